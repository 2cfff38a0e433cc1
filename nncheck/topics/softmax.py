"""Softmax and its cross-entropy gradient (ECE 417 "Softmax Nonlinearity", 16-785 output units).

ŷ_k = exp(z_k)/Σ_ℓ exp(z_ℓ);  L_CE = −Σ_k y_k ln ŷ_k for a one-hot y;  ∂L/∂z = ŷ − y.

The SymPy path differentiates L built from the definition; the symbolic answer ŷ − y is
*derived*, not written down: ∂L/∂z_j is rewritten in terms of ŷ by substituting the
inverse of the softmax (z_k = ln ŷ_k, which softmax allows since it ignores a common
shift) together with Σ ŷ = 1 and Σ y = 1.

Large scores (z = [1000, 1001, 999]) are an exam point: softmax is unchanged by a shift, so both
paths work with z − max z (SymPy exactly, which keeps exp(1000) out of the key; NumPy and the
plain-Python values in floats, which would overflow otherwise), and the worked solution says so.
The loss is ln Σ exp(z − max z) − (z_k* − max z): no ŷ that underflows to 0 is ever logged.
"""

from __future__ import annotations

import math
from functools import cache, lru_cache

from nncheck.topics.activations import exp_text, sig4, sigma_py, tidy
from nncheck.topics.base import RM, ParamError, Solver, num, signed_sum


# ----------------------------------------------------------------------------
# Shared pieces (also used by the two-layer network).
# ----------------------------------------------------------------------------
def softmax_py(z) -> list[float]:
    """Plain-Python softmax, shifted by max z so that no exponential overflows."""
    m = max(float(v) for v in z)
    e = [math.exp(float(v) - m) for v in z]
    s = sum(e)
    return [v / s for v in e]


def softmax_sym(z: list):
    """The definition, exp(z_k)/Σ exp(z_ℓ), on a list of SymPy expressions."""
    import sympy

    den = sum(sympy.exp(v) for v in z)
    return [sympy.exp(v) / den for v in z]


def softmax_np(z):
    import numpy as np

    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def is_onehot(row) -> bool:
    return all(v in (0, 1) for v in row) and sum(row) == 1


def in_terms_of_outputs(d, z: list, yhat_syms: list, y: list):
    """Rewrite ∂L/∂z (an expression in z and y) in terms of ŷ: z_k = ln ŷ_k with Σ ŷ = 1, Σ y = 1."""
    import sympy

    K = len(z)
    d = d.subs({z[k]: sympy.log(yhat_syms[k]) for k in range(K)})
    d = d.subs({yhat_syms[-1]: 1 - sum(yhat_syms[:-1]), y[-1]: 1 - sum(y[:-1])})
    return sympy.simplify(d)


@cache  # a pure function of its arguments; SymPy results are immutable
def ce_gradient_formula(scale=1):
    """∂L/∂z_j for L = −scale·Σ_k y_k ln softmax_k(z), in terms of ŷ_j and y_j only.

    Derived with K = 3 classes (the cross terms of the softmax Jacobian appear); raises if
    the result still depends on another class, which would mean it has no per-class form.
    """
    import sympy

    K = 3
    z = list(sympy.symbols("z1:4", real=True))
    y = list(sympy.symbols("y1:4", real=True))
    p = list(sympy.symbols("p1:4", positive=True))
    yh = softmax_sym(z)
    L = -scale * sum(y[k] * sympy.log(yh[k]) for k in range(K))
    d = in_terms_of_outputs(sympy.diff(L, z[0]), z, p, y)
    yhat, yy = sympy.Symbol("yhat", real=True), sympy.Symbol("y", real=True)
    out = sympy.expand(d.subs({p[0]: yhat, y[0]: yy}))
    if out.free_symbols - {yhat, yy} - (scale.free_symbols if isinstance(scale, sympy.Basic) else set()):
        raise ValueError(f"∂L/∂z_1 has no per-class form: {out}")
    return out


#: Scores beyond this size are "large": the exact key works with z − max z (exp(1000) in a key would
#: cost SymPy and tell a student nothing), and the worked solution explains the shift.
LARGE_SCORE = 20


def is_large(z) -> bool:
    return max(abs(v) for v in z) > LARGE_SCORE


def shifted(z) -> list:
    """z − max z, exactly for exact scores (a float of 10^15 + 0.1 would lose the 0.1 before the shift)."""
    m = max(z)
    return [v - m for v in z]


def exact_scores(z) -> list:
    """The scores the SymPy path evaluates at: z itself, or z − max z when the scores are large."""
    return list(RM(shifted(z) if is_large(z) else z))


def log_softmax_py(z) -> list[float]:
    """ln ŷ_k = (z_k − max z) − ln Σ_ℓ exp(z_ℓ − max z): finite even where ŷ_k underflows to 0."""
    s = [float(v) for v in shifted(z)]
    lse = math.log(sum(math.exp(v) for v in s))
    return [v - lse for v in s]


def _large_note(z) -> list[str]:
    """The shift trick named, for scores whose exponentials cannot be written down."""
    if not is_large(z):
        return []
    big = max(z, key=abs)
    return [f"The scores are large: exp({num(big)}) is out of reach (a double holds exp(x) only for about "
            "−745 < x < 709). Softmax is unchanged by a shift, softmax(z) = softmax(z − c) for any c, so "
            "subtract max z: the largest term becomes exp(0) = 1."]


def _given_exps(z) -> str:
    """e^(z_k − max z) for the distinct non-zero shifts: what a student without a calculator needs."""
    m = max(z)
    shifts = sorted({v - m for v in z if v != m})
    # A closed form with exp(1000) is refused by the grader as too large to compute: say so up front.
    limit = " A closed form must stay computable: exp(x) only up to x ≈ 709." if max(z) > 709 else ""
    if not shifts:
        return "All entries are equal." + limit
    return ("You may use " + ", ".join(f"{exp_text(s)} ≈ {sig4(math.exp(float(s)))}" for s in shifts) + "."
            + limit)


def _forward_steps(z) -> list[str]:
    m = max(z)
    shifted = [v - m for v in z]
    e = [math.exp(float(s)) for s in shifted]
    total = sum(e)
    zm = signed_sum(["z", num(-m)], str)  # z − 2, or z + 1 when max z = −1 (never "z − −1")
    return [
        f"Subtract max z = {num(m)} first (softmax ignores a common shift): {zm} = {num(shifted)}",
        f"exp({zm}) = [{', '.join(sig4(v) if s else '1' for v, s in zip(e, shifted))}], "
        f"sum = {sig4(total)}",
        f"ŷ = exp({zm})/sum = [{', '.join(sig4(v / total) for v in e)}]",
    ]


def _draw_z(rng, K: int) -> list[int]:
    """Small integers whose spread is at most 3, so e^(z − max z) comes from a short table."""
    lo = rng.randint(-2, 1)
    return [lo + rng.randint(0, 3) for _ in range(K)]


# ----------------------------------------------------------------------------
# softmax.forward
# ----------------------------------------------------------------------------

@lru_cache(maxsize=64)  # one per number of classes and target; SymPy's results are immutable
def _ce_in_scores(K: int, y: tuple) -> tuple:
    """(z symbols, ŷ, L = −Σ y_k ln ŷ_k, [∂L/∂z_k]) written in the scores: SymPy's derivative of the
    forward expression, taken once per shape; each key puts its own scores in."""
    import sympy

    zs = list(sympy.symbols(f"z1:{K + 1}", real=True))
    yh = softmax_sym(zs)
    # Classes with y_k = 0 contribute 0·ln ŷ_k = 0: only the true class stays in L.
    L = -sum(y[k] * sympy.log(yh[k]) for k in range(K) if y[k])
    return zs, yh, L, [sympy.diff(L, zk) for zk in zs]

class Forward(Solver):
    """``softmax.forward``: ŷ = softmax(z)."""

    template_vars = ("given", "K")

    def check(self, p: dict) -> None:
        if len(p["z"]) < 2:
            raise ParamError("softmax needs at least 2 scores; z has 1 entry")

    def draw(self, p: dict, rng, fixed) -> dict:
        p = dict(p)
        if "z" not in fixed:
            p["z"] = _draw_z(rng, rng.choice([2, 3, 3, 4]))
        return p

    def derive(self, p: dict) -> dict:
        return {"given": _given_exps(p["z"]), "K": len(p["z"])}

    def exact(self, p: dict) -> dict:
        import sympy

        return {"yhat": sympy.Matrix([tidy(v) for v in softmax_sym(exact_scores(p["z"]))])}

    def numeric(self, p: dict) -> dict:
        return {"yhat": softmax_np(shifted(p["z"]))}

    def solution(self, p: dict, key: dict) -> dict:
        steps = ["ŷ_k = exp(z_k)/Σ_ℓ exp(z_ℓ)"] + _large_note(p["z"]) + _forward_steps(p["z"])
        if len(p["z"]) == 2:
            z1, z2 = p["z"]
            steps.append(f"Check (ECE 417): with two classes ŷ₁ = σ(z₁ − z₂) = σ({num(z1 - z2)}) = "
                         f"{sig4(sigma_py(z1 - z2))}")
        return {"yhat": steps}

    def mistakes(self, p: dict) -> dict:
        z = [float(v) for v in p["z"]]
        out: dict = {**_unnormalised(p["z"]),
                     "sigmoid-each": {"yhat": [sigma_py(v) for v in z]},
                     "exp-of-minus": {"yhat": softmax_py([-v for v in z])}}
        if sum(z) != 0:
            out["no-exp"] = {"yhat": [v / sum(z) for v in z]}
        return out


def _unnormalised(z) -> dict:
    """exp(z_k) without the division (while a double holds it), and exp(z_k − max z) without it: the
    shift done, the normalisation forgotten (the same thing when max z = 0)."""
    out: dict = {}
    if max(z) < 709:
        out["not-normalised"] = {"yhat": [math.exp(float(v)) for v in z]}
    if max(z) != 0:
        out["shift-not-normalised"] = {"yhat": [math.exp(float(v)) for v in shifted(z)]}
    return out


# ----------------------------------------------------------------------------
# softmax.ce-gradient
# ----------------------------------------------------------------------------
class CEGradient(Solver):
    """``softmax.ce-gradient``: ŷ, L_CE = −Σ y_k ln ŷ_k and ∂L/∂z = ŷ − y, numeric and symbolic."""

    template_vars = ("given", "K", "k_star")

    def check(self, p: dict) -> None:
        z, y = p["z"], p["y"]
        if len(z) < 2:
            raise ParamError("softmax needs at least 2 scores; z has 1 entry")
        if len(y) != len(z):
            raise ParamError(f"y has {len(y)} entries but z has {len(z)}: one target per class")
        if not is_onehot(y):
            raise ParamError(f"y must be one-hot (a single 1, the rest 0); got {num(y)}")

    def draw(self, p: dict, rng, fixed) -> dict:
        p = dict(p)
        if "z" not in fixed:
            K = len(p["y"]) if "y" in fixed else rng.choice([2, 3, 3, 4])
            p["z"] = _draw_z(rng, max(K, 2))
        if "y" not in fixed:
            K = len(p["z"])
            k = rng.randrange(K)
            p["y"] = [1 if i == k else 0 for i in range(K)]
        return p

    def derive(self, p: dict) -> dict:
        y = p["y"]
        k_star = (y.index(1) + 1) if is_onehot(y) and len(y) == len(p["z"]) else 0
        return {"given": _given_exps(p["z"]), "K": len(p["z"]), "k_star": k_star}

    def exact(self, p: dict) -> dict:
        import sympy

        zs, yh, L, dL = _ce_in_scores(len(p["z"]), tuple(int(v) for v in p["y"]))
        at = dict(zip(zs, exact_scores(p["z"])))  # L and ∂L/∂z ignore a common shift too
        grad = [tidy(d.subs(at)) for d in dL]
        return {
            "yhat": sympy.Matrix([tidy(v.subs(at)) for v in yh]),
            "L": tidy(sympy.expand_log(L.subs(at), force=True)),
            "grad": sympy.Matrix(grad),
            "grad_sym": ce_gradient_formula(),
        }

    def numeric(self, p: dict) -> dict:
        import numpy as np

        s = np.array([float(v) for v in shifted(p["z"])])
        yhat = softmax_np(s)
        y = np.array(p["y"], dtype=float)
        k = int(np.argmax(y))
        # L = −ln ŷ_k* = ln Σ exp(z − max z) − (z_k* − max z): ŷ_k* may underflow to 0, this does not.
        return {"yhat": yhat, "L": float(np.log(np.exp(s).sum()) - s[k]), "grad": yhat - y,
                "grad_sym": lambda env: env["yhat"] - env["y"]}

    def carry_from(self, p: dict) -> dict[str, tuple[str, ...]]:
        """L = −Σ y_k ln ŷ_k and ∂L/∂z = ŷ − y are both computed from ŷ."""
        return {"L": ("yhat",), "grad": ("yhat",)}

    def carry(self, p: dict, given: dict) -> dict:
        """L and ŷ − y from the student's ŷ (a ŷ_k* ≤ 0 has no log: L is left out)."""
        import numpy as np

        if "yhat" not in given:
            return {}
        yhat = np.array(given["yhat"], dtype=float)
        y = np.array(p["y"], dtype=float)
        out: dict = {"grad": yhat - y}
        k = int(np.argmax(y))
        if yhat[k] > 0:
            out["L"] = float(-np.log(yhat[k]))
        return out

    def solution(self, p: dict, key: dict) -> dict:
        z, y = p["z"], p["y"]
        k = y.index(1)
        yh = softmax_py(shifted(z))
        fwd = ["ŷ_k = exp(z_k)/Σ_ℓ exp(z_ℓ)"] + _large_note(z) + _forward_steps(z)
        m = max(z)
        lse = "ln(" + " + ".join(f"exp({num(v - m)})" for v in z) + ")"
        L = -log_softmax_py(z)[k]
        loss = [f"y is one-hot with its 1 in class k* = {k + 1}, so L = −Σ_k y_k ln ŷ_k = −ln ŷ_{k + 1}",
                f"L = −ln {sig4(yh[k])} = {sig4(L)}" if yh[k] > 0 else
                f"L = −ln ŷ_{k + 1} (ŷ_{k + 1} is below a double's range: use the closed form) = {sig4(L)}",
                f"(closed form: L = {signed_sum([m, -z[k]])} + {lse})" if m != z[k] else
                f"(closed form: L = {lse})"]
        grad = ["∂L/∂z = ŷ − y (softmax followed by cross-entropy)",
                f"ŷ − y = [{', '.join(sig4(a) for a in yh)}] − {num(y)} = "
                f"[{', '.join(sig4(a - b) for a, b in zip(yh, y))}]"]
        sym = ["L = −Σ_k y_k ln ŷ_k with ln ŷ_k = z_k − ln Σ_ℓ exp(z_ℓ)",
               "∂L/∂z_j = −Σ_k y_k (δ_kj − ŷ_j) = ŷ_j Σ_k y_k − y_j",
               "Σ_k y_k = 1 for a one-hot y, so ∂L/∂z_j = ŷ_j − y_j"]
        return {"yhat": fwd, "L": fwd[-1:] + loss, "grad": fwd[-1:] + grad, "grad_sym": sym}

    def mistakes(self, p: dict) -> dict:
        import sympy

        z = [float(v) for v in p["z"]]
        y = [int(v) for v in p["y"]]
        k = y.index(1)
        yh = softmax_py(shifted(p["z"]))
        log_yh = log_softmax_py(p["z"])  # the logs of ŷ, finite where ŷ_k underflows
        Yh, Y = sympy.Symbol("yhat", real=True), sympy.Symbol("y", real=True)
        return {
            **_unnormalised(p["z"]),
            "sigmoid-each": {"yhat": [sigma_py(v) for v in z]},
            "sign-flipped": {"L": log_yh[k], "grad": [b - a for a, b in zip(yh, y)],
                             "grad_sym": Y - Yh},
            "sum-over-classes": {"L": -sum(log_yh)},
            "log10": {"L": -log_yh[k] / math.log(10)},
            "y-forgotten": {"grad": yh, "grad_sym": Yh},
            "diagonal-jacobian-only": {"grad": [(a - 1) if b else 0.0 for a, b in zip(yh, y)],
                                       "grad_sym": Y * (Yh - 1)},
            "extra-sigma-dot": {"grad": [(a - b) * a * (1 - a) for a, b in zip(yh, y)],
                                "grad_sym": (Yh - Y) * Yh * (1 - Yh)},
        }


__all__ = ["Forward", "CEGradient", "softmax_py", "softmax_sym", "softmax_np", "is_onehot",
           "ce_gradient_formula", "in_terms_of_outputs", "log_softmax_py", "shifted", "is_large"]
