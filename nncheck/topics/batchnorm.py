"""``batchnorm.forward``: batch normalization of a mini-batch (the CS231n notes §6.4; CMU 16-785's slides).

    x̂⁽ᵏ⁾ = (x⁽ᵏ⁾ − E[x⁽ᵏ⁾]) / √(Var[x⁽ᵏ⁾] + ε),   y⁽ᵏ⁾ = γ⁽ᵏ⁾x̂⁽ᵏ⁾ + β⁽ᵏ⁾

Each dimension k (a column of X) is normalized over the m examples of the batch (the rows),
with the biased variance (1/m) Σ (x − E[x])² as in the BN paper.  The CS231n notes' formula has no ε;
the prompt states the ε in use (0 gives the CS231n notes' formula).  The SymPy path is exact
(rational means and variances, exact square roots); the NumPy path uses mean/var(axis=0).
"""

from __future__ import annotations

from fractions import Fraction

from nncheck.topics.base import ParamError, R, Solver, num, paren, signed_sum
from nncheck.topics.losses import exact, shape_of, sub

SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")

_DEVS: dict = {}


def _deviations(m: int) -> list[tuple]:
    """Integer deviation vectors of length m (entries −4..4, summing to 0, not all 0), cached."""
    if m not in _DEVS:
        import itertools

        _DEVS[m] = [t for t in itertools.product(range(-4, 5), repeat=m) if sum(t) == 0 and any(t)]
    return _DEVS[m]


def _is_square(x: Fraction) -> bool:
    import math

    return x >= 0 and math.isqrt(x.numerator) ** 2 == x.numerator and math.isqrt(x.denominator) ** 2 == x.denominator


def column_stats(col: list) -> tuple:
    """(mean, biased variance) of one column in exact arithmetic when the entries are rational."""
    m = len(col)
    mu = sum(exact(v) for v in col) / m
    return mu, sum((exact(v) - mu) ** 2 for v in col) / m


class Forward(Solver):
    """``batchnorm.forward``: E[x⁽ᵏ⁾], Var[x⁽ᵏ⁾], x̂ and y = γx̂ + β for a mini-batch X (m × D)."""

    def draw(self, p: dict, rng, fixed) -> dict:
        p = dict(p)
        if "X" in fixed:
            m, D = shape_of(p["X"])
        else:
            m = p["m"]
            D = len(p["gamma"]) if "gamma" in fixed else (len(p["beta"]) if "beta" in fixed else p["D"])
            devs = _deviations(m)
            first = rng.choice(devs)
            if "eps" not in fixed:
                # Hand-computable: ε completes Var to the next perfect square (Var = 5, ε = 4 → √9 = 3).
                var = Fraction(sum(v * v for v in first), m)
                gaps = [Fraction(r * r) - var for r in range(1, 5) if 0 <= Fraction(r * r) - var <= 8]
                p["eps"] = min(gaps) if gaps and rng.random() < 0.65 else 0  # ε = 0 is the seed's formula
            eps = exact(p["eps"])
            # The other columns: deviations whose Var + ε is a perfect square too, each shifted by a mean.
            nice = [t for t in devs if _is_square(Fraction(sum(v * v for v in t), m) + eps)] or devs
            picks = [first if _is_square(Fraction(sum(v * v for v in first), m) + eps) else rng.choice(nice)]
            picks += [rng.choice(nice) for _ in range(D - 1)]
            cols = [[dv + shift for dv in t] for t, shift in
                    zip(picks, (rng.randint(-1, 3) for _ in range(D)))]
            p["X"] = [[cols[k][i] for k in range(D)] for i in range(m)]
        if "gamma" not in fixed and len(p["gamma"]) != D:
            p["gamma"] = [rng.choice([1, 2, Fraction(1, 2), 3]) for _ in range(D)]
        if "beta" not in fixed and len(p["beta"]) != D:
            p["beta"] = [rng.choice([0, 1, -1, 2]) for _ in range(D)]
        p["m"], p["D"] = m, D
        return p

    def check(self, p: dict) -> None:
        m, D = shape_of(p["X"])
        for name in ("gamma", "beta"):
            if len(p[name]) != D:
                k = len(p[name])
                raise ParamError(f"{name} has {k} entr{'ies' if k != 1 else 'y'} "
                                 f"but X has {D} column{'s' if D != 1 else ''} "
                                 f"(dimensions): one {name} per dimension")
        if p["eps"] == 0:
            for k in range(D):
                col = [r[k] for r in p["X"]]
                if all(v == col[0] for v in col):
                    raise ParamError(f"column {k + 1} of X is constant, so Var = 0 and with ε = 0 x̂ = 0/0: "
                                     f"give eps > 0")

    def derive(self, p: dict) -> dict:
        m, D = shape_of(p["X"])
        return {"m_rows": m, "D_cols": D}

    # ------------------------------------------------------------------ keys
    def exact(self, p: dict) -> dict:
        import sympy

        m, D = shape_of(p["X"])
        X = sympy.Matrix(m, D, lambda i, k: R(p["X"][i][k]))
        eps = R(p["eps"])
        mu = [sum(X[:, k]) / m for k in range(D)]
        var = [sum((X[i, k] - mu[k]) ** 2 for i in range(m)) / m for k in range(D)]
        xhat = sympy.Matrix(m, D, lambda i, k: (X[i, k] - mu[k]) / sympy.sqrt(var[k] + eps))
        y = sympy.Matrix(m, D, lambda i, k: R(p["gamma"][k]) * xhat[i, k] + R(p["beta"][k]))
        return {"mu": sympy.Matrix(mu), "var": sympy.Matrix(var), "xhat": xhat, "y": y}

    def numeric(self, p: dict) -> dict:
        import numpy as np

        X = np.array([[float(v) for v in r] for r in p["X"]])
        mu, var = X.mean(axis=0), X.var(axis=0)  # np.var's default ddof=0 is the biased 1/m variance
        xhat = (X - mu) / np.sqrt(var + float(p["eps"]))
        gamma, beta = np.array([float(v) for v in p["gamma"]]), np.array([float(v) for v in p["beta"]])
        return {"mu": mu, "var": var, "xhat": xhat, "y": gamma * xhat + beta}

    # ------------------------------------------------------------------ explain
    def solution(self, p: dict, key: dict) -> dict:
        import sympy

        m, D = shape_of(p["X"])
        eps = p["eps"]
        mu_s, var_s, xh_s, y_s = [], [], [], []
        for k in range(D):
            col = [r[k] for r in p["X"]]
            K = sub(k + 1)
            kk = str(k + 1).translate(SUP)
            mu_s.append(f"E[x⁽{kk}⁾] = ({signed_sum(col)})/{m} = {num(key['mu'][k])}")
            mu = key["mu"][k]
            var_s.append(f"Var[x⁽{kk}⁾] = (" + " + ".join(f"({num(v)} − {paren(mu)})²" for v in col)
                         + f")/{m} = {num(key['var'][k])}")
            den = key["var"][k] + R(eps)
            root = sympy.sqrt(den)
            xh_s.append(f"dimension {k + 1}: √(Var + ε) = √({num(key['var'][k])} + {num(eps)}) = √{num(den)}"
                        + (f" = {num(root)}" if root.is_Rational else f" ≈ {num(root)}")
                        + f"; x̂⁽{kk}⁾ = (x − {paren(mu)})/{num(root) if root.is_Rational else '√' + num(den)} = "
                        + num([key["xhat"][i, k] for i in range(m)]))
            y_s.append(f"dimension {k + 1}: y = γ{K}x̂ + β{K} = {num(p['gamma'][k])}·x̂ + {paren(p['beta'][k])} = "
                       + num([key["y"][i, k] for i in range(m)]))
        pre = [f"Each column (dimension) is normalized over the m = {m} rows (examples), with the biased "
               f"variance (1/m)Σ(x − E[x])² and ε = {num(eps)} inside the square root."]
        return {"_": pre, "mu": mu_s, "var": mu_s + var_s, "xhat": mu_s + var_s + xh_s,
                "y": mu_s + var_s + xh_s + y_s}

    def mistakes(self, p: dict) -> dict:
        import numpy as np

        X = np.array([[float(v) for v in r] for r in p["X"]])
        m, D = X.shape
        eps = float(p["eps"])
        gamma, beta = np.array([float(v) for v in p["gamma"]]), np.array([float(v) for v in p["beta"]])
        mu, var = X.mean(axis=0), X.var(axis=0)
        xhat = (X - mu) / np.sqrt(var + eps)
        out: dict = {}

        def put(mid, xh, extra=None):
            with np.errstate(divide="ignore", invalid="ignore"):
                vals = {"xhat": xh, "y": gamma * xh + beta}
            if not np.all(np.isfinite(xh)):
                return
            vals.update(extra or {})
            out[mid] = vals

        if m > 1:
            var_u = X.var(axis=0, ddof=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                put("unbiased-variance", (X - mu) / np.sqrt(var_u + eps), {"var": var_u})
        with np.errstate(divide="ignore", invalid="ignore"):
            put("variance-not-sqrt", (X - mu) / (var + eps))
            if eps:
                put("eps-forgotten", (X - mu) / np.sqrt(var))
                put("eps-outside-sqrt", (X - mu) / (np.sqrt(var) + eps))
            if D > 1:
                # Normalizing each example over its D features is layer norm, not batch norm.
                mu_r, var_r = X.mean(axis=1, keepdims=True), X.var(axis=1, keepdims=True)
                put("per-example", (X - mu_r) / np.sqrt(var_r + eps))
            put("mean-not-subtracted", X / np.sqrt(var + eps))
        out["gamma-beta-swapped"] = {"y": beta * xhat + gamma}
        return out

