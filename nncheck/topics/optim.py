"""``optim.step``: SGD, SGD + Momentum, AdaGrad, RMSProp and Adam, as the CS231n notes (§7.1) write them.

    SGD       x_{t+1} = x_t − α∇f(x_t)
    Momentum  v_{t+1} = ρv_t + ∇f(x_t);  x_{t+1} = x_t − αv_{t+1}
    AdaGrad   g_t = g_{t−1} + (∇f)²;  x_{t+1} = x_t − α∇f/√(g_t + ε)
    RMSProp   g_t = γg_{t−1} + (1 − γ)(∇f)²;  same step
    Adam      m_t = β₁m_{t−1} + (1 − β₁)∇f;  v_t = β₂v_{t−1} + (1 − β₂)(∇f)²;
              m̃_t = m_t/(1 − β₁ᵗ);  ṽ_t = v_t/(1 − β₂ᵗ);  x_{t+1} = x_t − α m̃_t/√(ṽ_t + ε)

    Newton    x_{t+1} = x_t − [H f(x_t)]⁻¹ ∇f(x_t)   (second order: no learning rate)

The CS231n notes put ε *inside* the square root; ``convention=adam-paper`` puts it after (Kingma & Ba,
PyTorch).  Gradients are either given per step or come from f(x) = ½ Σᵢ aᵢxᵢ², so later
steps need the new x.  The SymPy path differentiates f and runs the steps in exact arithmetic
coordinate by coordinate; the NumPy path runs the vectorised float updates.  Newton's step needs the
Hessian: f = ½ Σ aᵢxᵢ² has H f = diag(a), and with given gradients the user gives H f(x₀) as ``H``
(one step: a second one would need ∇f and H at x₁).  SymPy inverts H exactly; NumPy solves H s = ∇f.
"""

from __future__ import annotations

from fractions import Fraction

from nncheck.topics.base import RM, ParamError, R, Solver, num
from nncheck.topics.losses import entries, sub
from nncheck.topics.losses import exact as frac

NAMES = {"sgd": "SGD", "momentum": "SGD + Momentum", "adagrad": "AdaGrad", "rmsprop": "RMSProp",
         "adam": "Adam (with bias correction)", "newton": "Newton's method"}
NEWTON_RULE = "x_{t+1} = x_t − [H f(x_t)]⁻¹ ∇f(x_t)"
#: Steps drawn per optimizer: momentum needs two steps before the velocity shows.
STEPS = {"sgd": (1, 2, 2, 3), "momentum": (2, 2, 3), "adagrad": (1, 2, 2), "rmsprop": (1, 2), "adam": (1, 2, 2),
         "newton": (1,)}  # Newton on f = ½ Σ aᵢxᵢ² is at the minimum after one step: a second shows nothing new
#: AdaGrad draws: ε values that make g + ε a square for small gradients (3² + 16 = 5², 1 + 3 = 2², …).
ADAGRAD_EPS = (0, 0, 0, 16, 9, 3, 7)
SQRT_OPTS = ("adagrad", "rmsprop", "adam")
#: RMSProp draws: 1 − γ ∈ {1/4, 1/25, 1/100} make (1 − γ)(∇f)² a square; 0.9 is the common default.
RMSPROP_GAMMA = (Fraction(9, 10), Fraction(99, 100), Fraction(3, 4), Fraction(24, 25))
SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _rational_sqrt(x: Fraction):
    """√x as a Fraction when x is a perfect square of a rational, else None."""
    import math

    if x < 0:
        return None
    n, d = math.isqrt(x.numerator), math.isqrt(x.denominator)
    return Fraction(n, d) if n * n == x.numerator and d * d == x.denominator else None


def simulate(p: dict, *, exact_only: bool = False, **flags):
    """Run the steps in plain Python, with optional deliberate mistakes (``flags``).

    Returns {"x1", "xT", "v", "g", "m", "nice", "zero_div"}: ``nice`` counts square roots of
    perfect squares (hand-computable), ``zero_div`` names the first step that divides by 0.
    With ``exact_only`` the run stops (nice = −1) at the first root that is not rational.
    """
    import math

    opt = p["optimizer"]
    x = [frac(v) for v in p["x0"]]
    d = len(x)
    alpha = frac(p["alpha"])
    eps = frac(p["eps"])
    inside = p["convention"] == "cs231n"
    if flags.get("eps_swapped"):
        inside = not inside
    b1, b2 = frac(p["beta1"]), frac(p["beta2"])
    if flags.get("betas_swapped"):
        b1, b2 = b2, b1
    rho, gam = frac(p["rho"]), frac(p["gamma"])
    v, g, m = [0] * d, [0] * d, [0] * d
    nice, x1 = 0, None
    exact_ok = True
    # Bias-correction powers: the step number t, or 1 at every step for the "power missing" slip.
    power = (lambda t: 1) if flags.get("power_missing") else (lambda t: t)
    for t in range(1, p["steps"] + 1):
        if p["f"] == "quadratic":
            base = p["x0"] if flags.get("stale_gradient") else x
            grad = [frac(a) * frac(xi) for a, xi in zip(p["a"], base)]
        else:
            grad = [frac(gi) for gi in p["grads"][t - 1]]
        if flags.get("state_reset"):  # the state not carried over: every step starts from v = g = m = 0
            v, g, m = [0] * d, [0] * d, [0] * d
        step: list = [0] * d  # exact numbers, or nan where a slip takes the root of a negative number
        for i in range(d):
            gi = grad[i]
            # What the second moment accumulates: (∇fᵢ)², or a squaring slip.
            if flags.get("not_squared"):
                sq = gi
            elif flags.get("squared_norm"):
                sq = sum(gj * gj for gj in grad)
            else:
                sq = gi * gi
            if opt == "sgd":
                step[i] = gi
            elif opt == "momentum":
                if flags.get("no_momentum"):
                    step[i] = gi
                elif flags.get("lagged"):
                    step[i] = v[i]
                    v[i] = rho * v[i] + gi
                elif flags.get("other_form"):  # v ← ρv − α∇f, x ← x + v: x moves the same, v is −α times
                    v[i] = rho * v[i] - alpha * gi
                    step[i] = -v[i] / alpha
                else:
                    v[i] = rho * v[i] + ((1 - rho) * gi if flags.get("ema") else gi)
                    step[i] = v[i]
            else:
                if opt == "adagrad":
                    g[i] = sq if flags.get("not_accumulated") else g[i] + sq
                    num_, den_arg = gi, g[i]
                elif opt == "rmsprop":
                    if flags.get("adagrad_sum"):
                        g[i] = g[i] + sq
                    elif flags.get("decay_swapped"):
                        g[i] = (1 - gam) * g[i] + gam * sq
                    else:
                        g[i] = gam * g[i] + (1 - gam) * sq
                    num_, den_arg = gi, g[i]
                else:
                    m[i] = b1 * m[i] + (1 - b1) * gi
                    v[i] = b2 * v[i] + (1 - b2) * sq
                    if flags.get("no_bias_correction"):
                        num_, den_arg = m[i], v[i]
                    else:
                        num_ = m[i] if flags.get("m_uncorrected") else m[i] / (1 - b1 ** power(t))
                        den_arg = v[i] if flags.get("v_uncorrected") else v[i] / (1 - b2 ** power(t))
                if flags.get("no_sqrt"):
                    den = den_arg + eps
                else:
                    arg = den_arg + eps if inside else den_arg
                    if not isinstance(arg, float) and arg < 0:
                        # A slip's state can go below 0 (∇f not squared): its x has no value, its state has.
                        step[i] = math.nan
                        continue
                    root = _rational_sqrt(Fraction(arg)) if not isinstance(arg, float) else None
                    if root is None:
                        exact_ok = False
                        root = math.sqrt(float(arg)) if not arg < 0 else math.nan
                    elif exact_ok:
                        nice += 1
                    den = root if inside else root + eps
                if den == 0:
                    return {"zero_div": t}
                step[i] = num_ / den
        sign = -1 if flags.get("ascent") else 1
        x = [xi - sign * alpha * s for xi, s in zip(x, step)]
        if t == 1:
            x1 = list(x)
        if exact_only and not exact_ok:
            return {"nice": -1}
    return {"x1": x1, "xT": x, "v": v, "g": g, "m": m, "nice": nice, "zero_div": None}


# ---------------------------------------------------------------------------- Newton's method
def det_inverse(H: list) -> tuple:
    """(det H, H⁻¹) of a square matrix of exact numbers by Gauss–Jordan elimination; H⁻¹ is None when
    det H = 0."""
    n = len(H)
    M = [[frac(v) for v in row] + [Fraction(int(i == j)) for j in range(n)] for i, row in enumerate(H)]
    d = Fraction(1)
    for c in range(n):
        pivot = next((r for r in range(c, n) if M[r][c] != 0), None)
        if pivot is None:
            return Fraction(0), None
        if pivot != c:
            M[c], M[pivot] = M[pivot], M[c]
            d = -d
        lead = M[c][c]
        d *= lead
        M[c] = [v / lead for v in M[c]]
        for r in range(n):
            if r != c and M[r][c] != 0:
                k = M[r][c]
                M[r] = [v - k * w for v, w in zip(M[r], M[c])]
    return d, [row[n:] for row in M]


def hessian(p: dict) -> list:
    """H f: diag(a) for f = ½ Σ aᵢxᵢ² (the same at every x), else the given H f(x₀)."""
    if p["f"] == "quadratic":
        d = len(p["a"])
        return [[frac(p["a"][i]) if i == j else Fraction(0) for j in range(d)] for i in range(d)]
    return [[frac(v) for v in row] for row in p["H"]]


def _matvec(M: list, v: list) -> list:
    return [sum((m * x for m, x in zip(row, v)), Fraction(0)) for row in M]


def newton_run(p: dict, **flags) -> dict:
    """Newton's steps in exact plain Python, with optional deliberate mistakes (``flags``).

    Returns {"x1", "xT"}, or {} when a slip's matrix has no value (a zero on the diagonal)."""
    H = hessian(p)
    if flags.get("not_inverted"):  # x − H∇f: the Hessian multiplies instead of dividing
        M = H
    elif flags.get("diagonal_only"):  # ∇fᵢ/Hᵢᵢ entry by entry: the off-diagonal curvature ignored
        if any(H[i][i] == 0 for i in range(len(H))):
            return {}
        M = [[1 / H[i][i] if i == j else Fraction(0) for j in range(len(H))] for i in range(len(H))]
    else:
        M = det_inverse(H)[1]
        if M is None:
            return {}
    x0 = [frac(v) for v in p["x0"]]
    x, x1 = list(x0), None
    for t in range(1, p["steps"] + 1):
        if p["f"] == "quadratic":
            at = x0 if flags.get("stale_gradient") else x
            grad = [frac(a) * xi for a, xi in zip(p["a"], at)]
        else:
            grad = [frac(v) for v in p["grads"][t - 1]]
        step = _matvec(M, grad)
        x = [xi + s if flags.get("ascent") else xi - s for xi, s in zip(x, step)]
        if t == 1:
            x1 = list(x)
    return {"x1": x1, "xT": x}


def _draw_hessian(d: int, rng) -> list:
    """A symmetric positive-definite H = LLᵀ with L lower triangular, small integers and 1s or 2s on its
    diagonal: det H = Π Lᵢᵢ² is 1, 4 or 16, so H⁻¹ has the small denominators of a hand computation."""
    while True:
        L = [[(rng.choice([1, 1, 2]) if i == j else rng.choice([-1, 0, 1]) if j < i else 0) for j in range(d)]
             for i in range(d)]
        H = [[sum(L[i][k] * L[j][k] for k in range(d)) for j in range(d)] for i in range(d)]
        # Not H = I (Newton would be a plain gradient step), and coupled coordinates where there are two.
        if any(H[i][j] for i in range(d) for j in range(i)) or (d == 1 and H != [[1]]):
            return H


def _check_newton(p: dict) -> None:
    """Refusals that belong to Newton's step: it needs a Hessian, one given point, and det H ≠ 0."""
    d = len(p["x0"])
    if p["f"] == "given":
        if p["steps"] != 1:
            raise ParamError(f"optimizer=newton with f=given takes one step (here steps = {p['steps']}): grads and "
                             "H describe f at x₀ only, and a second step needs ∇f and H at x₁ "
                             "(use f=quadratic, or pose each step on its own)")
        H = p["H"]
        if len(H) != d or any(len(row) != d for row in H):
            raise ParamError(f"H is {len(H)}×{len(H[0]) if H else 0} but x0 has {entries(d)}: the Hessian "
                             f"H f(x₀) of Newton's step is {d}×{d}")
        for i in range(d):
            for j in range(i):
                if H[i][j] != H[j][i]:
                    raise ParamError(f"H is not symmetric (H{sub(i + 1)}{sub(j + 1)} = {num(H[i][j])}, "
                                     f"H{sub(j + 1)}{sub(i + 1)} = {num(H[j][i])}): a Hessian is, "
                                     "∂²f/∂xᵢ∂xⱼ = ∂²f/∂xⱼ∂xᵢ")
    if det_inverse(hessian(p))[0] == 0:
        raise ParamError("H is singular (det H = 0): Newton's step x − [H f(x)]⁻¹∇f(x) needs the inverse of "
                         "the Hessian; give an H with det H ≠ 0")


def positive_definite(H: list) -> bool:
    """Sylvester's criterion: every leading principal minor of the symmetric H is positive."""
    return all(det_inverse([row[:k] for row in H[:k]])[0] > 0 for k in range(1, len(H) + 1))


def _run_from_x1(p: dict, x1) -> dict:
    """The NumPy path's updates (``Step.numeric``), with x replaced by ``x1`` after the first step."""
    import numpy as np

    opt = p["optimizer"]
    x = np.array([float(v) for v in p["x0"]])
    a = np.array([float(v) for v in p["a"]]) if p["f"] == "quadratic" else None
    alpha, eps = float(p["alpha"]), float(p["eps"])
    lr = 1.0 if opt == "newton" else alpha  # Newton's step has no learning rate
    rho, gam, b1, b2 = (float(p[k]) for k in ("rho", "gamma", "beta1", "beta2"))
    inside = p["convention"] == "cs231n"
    v, g, m = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    with np.errstate(all="ignore"):  # a student's x₁ may send a root below 0: that value is not finite
        for t in range(1, p["steps"] + 1):
            dx = a * x if a is not None else np.array([float(gv) for gv in p["grads"][t - 1]])
            if opt == "momentum":
                v = rho * v + dx
                step = v
            elif opt in ("adagrad", "rmsprop"):
                g = g + dx * dx if opt == "adagrad" else gam * g + (1 - gam) * dx * dx
                step = dx / (np.sqrt(g + eps) if inside else np.sqrt(g) + eps)
            elif opt == "adam":
                m = b1 * m + (1 - b1) * dx
                v = b2 * v + (1 - b2) * dx * dx
                mt, vt = m / (1 - b1 ** t), v / (1 - b2 ** t)
                step = mt / (np.sqrt(vt + eps) if inside else np.sqrt(vt) + eps)
            elif opt == "newton":  # only f = ½ Σ aᵢxᵢ² takes more than one step: H f = diag(a), no α
                assert a is not None  # f=given is one step, and carry_from has nothing to carry then
                step = np.linalg.solve(np.diag(a), dx)
            else:
                step = dx
            x = np.array([float(xi) for xi in x1]) if t == 1 else x - lr * step
    return {"xT": x, "v": v, "g": g, "m": m}


def _check_rates(p: dict) -> None:
    for name, sym in (("rho", "ρ"), ("gamma", "γ"), ("beta1", "β₁"), ("beta2", "β₂")):
        if not 0 <= p[name] < 1:
            raise ParamError(f"{name} = {num(p[name])}: the decay rate {sym} must be at least 0 and below 1")


class Step(Solver):
    """``optim.step``: x after one and after T steps, and the optimizer's state after the last step."""

    # ------------------------------------------------------------------ generate
    def draw(self, p: dict, rng, fixed) -> dict:
        p = dict(p)
        opt = p["optimizer"]
        _check_rates(p)  # before any simulated step divides by 1 − βᵗ
        if "x0" in fixed:
            d = len(p["x0"])
        elif "grads" in fixed:
            d = len(p["grads"][0])
        elif "a" in fixed:
            d = len(p["a"])
        elif "H" in fixed:
            d = len(p["H"])
        else:
            d = p["d"]
        if opt == "newton":
            return self._draw_newton(p, rng, fixed, d)
        if "H" in fixed:
            raise ParamError(f"H is the Hessian of Newton's step: give it with optimizer=newton ({NAMES[opt]} "
                             f"uses the gradient only)")
        if opt in SQRT_OPTS and "f" not in fixed:
            # f = ½ax² feeds x back into the roots and gives fractions like 23764/3025: keep exams on given ∇f.
            p["f"] = "given"
        if "steps" not in fixed:
            p["steps"] = len(p["grads"]) if ("grads" in fixed and p["f"] == "given") else rng.choice(STEPS[opt])
        T = p["steps"]
        best, best_score = None, None
        # Hand-computable instances: among a few candidates, keep the one whose square roots are exact.
        for _ in range(40 if opt in SQRT_OPTS else 1):
            c = dict(p)
            if "x0" not in fixed:
                c["x0"] = [rng.choice([-3, -2, -1, 1, 2, 3]) for _ in range(d)]
            if "a" not in fixed:
                c["a"] = [rng.choice([1, 1, 2]) for _ in range(d)]
            if "grads" not in fixed:
                first = [rng.choice([-4, -3, -2, -1, 1, 2, 3, 4]) for _ in range(d)]
                rows = [first]
                for _ in range(T - 1):
                    # A repeated gradient keeps Adam's bias-corrected moments exact (m̃ = g, ṽ = g²).
                    rows.append(list(first) if rng.random() < 0.4 else
                                [rng.choice([-4, -3, -2, -1, 1, 2, 3, 4]) for _ in range(d)])
                c["grads"] = rows
            if "eps" not in fixed:
                if opt not in SQRT_OPTS:
                    c["eps"] = 0
                elif p["convention"] != "cs231n":
                    c["eps"] = rng.choice([0, 0, 1, Fraction(1, 10 ** 8)])
                else:
                    c["eps"] = rng.choice(ADAGRAD_EPS if opt == "adagrad" else [0, 0, 0, Fraction(1, 10 ** 8)])
            if opt == "rmsprop" and "gamma" not in fixed:
                c["gamma"] = rng.choice(RMSPROP_GAMMA)
            if opt not in SQRT_OPTS:
                best = c
                break
            run = simulate(c, exact_only=True)
            if run.get("zero_div"):
                continue
            score = run["nice"]
            if best_score is None or score > best_score:
                best, best_score = c, score
        p = best or p
        p["d"] = d
        p["asks_v"] = opt in ("momentum", "adam")
        p["asks_g"] = opt in ("adagrad", "rmsprop")
        p["asks_m"] = opt == "adam"
        return p

    def _draw_newton(self, p: dict, rng, fixed, d: int) -> dict:
        """Newton's step as an exam poses it: a symmetric positive-definite H whose inverse has small
        denominators, and (when the gradient is drawn too) ∇f = H·s for a small integer step s."""
        if "alpha" in fixed:
            raise ParamError("Newton's step has no learning rate (CS231n §7.1: x − [H f(x)]⁻¹∇f(x)): "
                             "leave alpha out with optimizer=newton")
        if p["f"] == "quadratic" and "H" in fixed:
            raise ParamError("with f=quadratic the Hessian is H f = diag(a): give H only with f=given "
                             "(the gradients and the Hessian given directly)")
        if not {"x0", "grads", "a", "H"} & fixed:
            d = rng.choice([1, 2, 2])  # a 2×2 H is the exam's Newton step; 1×1 is f′/f″
        if "steps" not in fixed:
            p["steps"] = 1 if p["f"] == "given" else rng.choice(STEPS["newton"])
        if "x0" not in fixed:
            p["x0"] = [rng.choice([-3, -2, -1, 1, 2, 3]) for _ in range(d)]
        if "a" not in fixed:
            p["a"] = [rng.choice([1, 1, 2]) for _ in range(d)]
        if p["f"] == "given":
            if "H" not in fixed:
                p["H"] = _draw_hessian(d, rng)
            if "grads" not in fixed:
                step = [rng.choice([-2, -1, 1, 2]) for _ in range(d)]
                H = [[frac(v) for v in row] for row in p["H"]]
                p["grads"] = [_matvec(H, step) if len(H) == d and all(len(r) == d for r in H) else step
                              for _ in range(p["steps"])]
        p["d"] = d
        p["eps"] = p["eps"] if "eps" in fixed else 0
        p["asks_v"] = p["asks_g"] = p["asks_m"] = False
        return p

    def unused(self, p: dict) -> set[str]:
        """The parameters this instance does not read (the hyperparameters of the other optimizers, and a
        or grads for the other f), which `show` leaves out of its list of drawn and default values."""
        keeps = {"sgd": set(), "momentum": {"rho"}, "adagrad": {"eps", "convention"},
                 "rmsprop": {"gamma", "eps", "convention"}, "adam": {"beta1", "beta2", "eps", "convention"},
                 "newton": set()}
        rates = {"rho", "gamma", "beta1", "beta2", "eps", "convention"}
        out = (rates - keeps.get(p.get("optimizer", ""), rates)) | {"a" if p.get("f") == "given" else "grads"}
        # Newton has no learning rate, and reads H only when the gradients are given (else H f = diag(a)).
        if p.get("optimizer") == "newton":
            out.add("alpha")
        if p.get("optimizer") != "newton" or p.get("f") != "given":
            out.add("H")
        return out

    def check(self, p: dict) -> None:
        d = len(p["x0"])
        if p["f"] == "given":
            cols = {len(r) for r in p["grads"]}
            if cols != {d}:
                raise ParamError(f"grads has {max(cols)} column{'s' if max(cols) != 1 else ''} but x0 has {d} "
                                 f"entr{'ies' if d != 1 else 'y'}: each row of grads is one gradient ∇f(x)")
            if len(p["grads"]) != p["steps"]:
                raise ParamError(f"grads has {len(p['grads'])} row{'s' if len(p['grads']) != 1 else ''} "
                                 f"(one gradient per step) but steps = {p['steps']}")
        elif len(p["a"]) != d:
            raise ParamError(f"a has {entries(len(p['a']))} but x0 has {d}: f(x) = ½ Σ aᵢxᵢ² needs one aᵢ per xᵢ")
        if p["optimizer"] == "newton":
            _check_newton(p)
            return
        _check_rates(p)
        run = simulate(p)
        if run.get("zero_div"):
            what = "√(g_t + ε)" if p["optimizer"] in ("adagrad", "rmsprop") else "√(ṽ_t + ε)"
            raise ParamError(f"step {run['zero_div']} divides by {what} = 0 (a zero gradient with ε = 0): "
                             f"give eps > 0 or a nonzero gradient")

    # ------------------------------------------------------------------ render
    def derive(self, p: dict) -> dict:
        opt = p["optimizer"]
        if opt == "newton":
            return self._derive_newton(p)
        inside = p["convention"] == "cs231n"
        root = (lambda a: f"√({a} + ε)") if inside else (lambda a: f"(√{a} + ε)")
        rules = {
            "sgd": "x_{t+1} = x_t − α∇f(x_t)",
            "momentum": "v_{t+1} = ρv_t + ∇f(x_t);   x_{t+1} = x_t − αv_{t+1}",
            "adagrad": f"g_t = g_{{t−1}} + (∇f(x_t))²;   x_{{t+1}} = x_t − α∇f(x_t)/{root('g_t')}",
            "rmsprop": f"g_t = γg_{{t−1}} + (1 − γ)(∇f(x_t))²;   x_{{t+1}} = x_t − α∇f(x_t)/{root('g_t')}",
            "adam": ("m_t = β₁m_{t−1} + (1 − β₁)∇f(x_t);   v_t = β₂v_{t−1} + (1 − β₂)(∇f(x_t))²\n"
                     f"m̃_t = m_t/(1 − β₁ᵗ);   ṽ_t = v_t/(1 − β₂ᵗ);   x_{{t+1}} = x_t − α·m̃_t/{root('ṽ_t')}"),
        }
        hyper = [f"α = {num(p['alpha'])}"]
        if opt == "momentum":
            hyper.append(f"ρ = {num(p['rho'])}")
        if opt == "rmsprop":
            hyper.append(f"γ = {num(p['gamma'])}")
        if opt == "adam":
            hyper += [f"β₁ = {num(p['beta1'])}", f"β₂ = {num(p['beta2'])}"]
        if opt in SQRT_OPTS:
            hyper.append(f"ε = {num(p['eps'])}, " + ("inside the square root, as CS231n writes it" if inside else
                                                      "added after the square root (Adam paper, PyTorch)"))
        init = {"sgd": "", "momentum": " and velocity v₀ = 0", "adagrad": " and g₀ = 0", "rmsprop": " and g₀ = 0",
                "adam": " and moments m₀ = v₀ = 0"}[opt]
        if p["f"] == "given":
            lines = [f"  step {t}: ∇f = {num(list(row))}" for t, row in enumerate(p["grads"], 1)]
            grad_text = "The gradient used at each step is given:\n" + "\n".join(lines)
        else:
            terms = " + ".join(f"{'' if a == 1 else num(a)}x{sub(i)}²" for i, a in enumerate(p["a"], 1))
            grads = ", ".join(("" if a == 1 else num(a)) + "x" + sub(i) for i, a in enumerate(p["a"], 1))
            grad_text = (f"f(x) = ½({terms}), so ∇f(x) = ({grads}):"
                         f" each step needs the gradient at the current x.")
        labels = {"momentum": "the velocity v", "adam": "the second-moment estimate v (before bias correction)"}
        return {"opt_name": NAMES[opt], "rule": rules[opt], "hyper": ", ".join(hyper), "init": init,
                "grad_text": grad_text, "v_label": labels.get(opt, "v"),
                "g_label": "AdaGrad's running sum g" if opt == "adagrad" else "RMSProp's running average g",
                "rule_scope": ", entry by entry", "hyper_text": f"Hyperparameters: {', '.join(hyper)}."}

    def _derive_newton(self, p: dict) -> dict:
        if p["f"] == "given":
            grad_text = (f"At x₀ the gradient and the Hessian of f are given:\n  ∇f(x₀) = {num(list(p['grads'][0]))}\n"
                         f"  H f(x₀) = {num([list(r) for r in p['H']])}")
        else:
            terms = " + ".join(f"{'' if a == 1 else num(a)}x{sub(i)}²" for i, a in enumerate(p["a"], 1))
            grads = ", ".join(("" if a == 1 else num(a)) + "x" + sub(i) for i, a in enumerate(p["a"], 1))
            grad_text = (f"f(x) = ½({terms}), so ∇f(x) = ({grads}) and its Hessian H f(x) = "
                         f"diag({', '.join(num(a) for a in p['a'])}).")
        return {"opt_name": NAMES["newton"], "rule": NEWTON_RULE, "hyper": "", "init": "", "grad_text": grad_text,
                "v_label": "v", "g_label": "g", "rule_scope": ", second order (H f is the Hessian of f)",
                "hyper_text": "No learning rate: the step goes to the minimum of f's quadratic model at x_t."}

    # ------------------------------------------------------------------ keys
    def _exact_run(self, p: dict) -> tuple[dict, list[dict]]:
        """Exact arithmetic, coordinate by coordinate; ∇f comes from differentiating f with SymPy."""
        import sympy

        opt = p["optimizer"]
        d = len(p["x0"])
        xs = sympy.symbols(f"x1:{d + 1}", real=True)
        if p["f"] == "quadratic":
            f = sum(R(a) * xi ** 2 for a, xi in zip(p["a"], xs)) / 2
            grad_f = [sympy.diff(f, xi) for xi in xs]
        alpha, eps = R(p["alpha"]), R(p["eps"])
        rho, gam, b1, b2 = R(p["rho"]), R(p["gamma"]), R(p["beta1"]), R(p["beta2"])
        inside = p["convention"] == "cs231n"
        x = [R(v) for v in p["x0"]]
        v, g, m = [sympy.Integer(0)] * d, [sympy.Integer(0)] * d, [sympy.Integer(0)] * d
        trace = []
        for t in range(1, p["steps"] + 1):
            if p["f"] == "quadratic":
                grad = [ge.subs(dict(zip(xs, x))) for ge in grad_f]
            else:
                grad = [R(gv) for gv in p["grads"][t - 1]]
            rec: dict = {"t": t, "x_prev": list(x), "grad": grad, "v_prev": list(v), "g_prev": list(g),
                         "m_prev": list(m)}
            new_x = []
            for i in range(d):
                if opt == "sgd":
                    upd = grad[i]
                elif opt == "momentum":
                    v[i] = rho * v[i] + grad[i]
                    upd = v[i]
                elif opt in ("adagrad", "rmsprop"):
                    g[i] = g[i] + grad[i] ** 2 if opt == "adagrad" else gam * g[i] + (1 - gam) * grad[i] ** 2
                    upd = grad[i] / (sympy.sqrt(g[i] + eps) if inside else sympy.sqrt(g[i]) + eps)
                else:
                    m[i] = b1 * m[i] + (1 - b1) * grad[i]
                    v[i] = b2 * v[i] + (1 - b2) * grad[i] ** 2
                    mt, vt = m[i] / (1 - b1 ** t), v[i] / (1 - b2 ** t)
                    rec.setdefault("mt", []).append(mt)
                    rec.setdefault("vt", []).append(vt)
                    upd = mt / (sympy.sqrt(vt + eps) if inside else sympy.sqrt(vt) + eps)
                new_x.append(x[i] - alpha * upd)
            x = new_x
            rec.update({"x": list(x), "v": list(v), "g": list(g), "m": list(m)})
            trace.append(rec)
        col = lambda vals: sympy.Matrix(vals)  # noqa: E731 — a column vector part
        out = {"x1": col(trace[0]["x"]), "xT": col(x), "v": col(v), "g": col(g), "m": col(m)}
        return out, trace

    def _newton_exact(self, p: dict) -> tuple[dict, list[dict]]:
        """SymPy: ∇f and H f differentiated from f (or given), H inverted exactly, x − H⁻¹∇f."""
        import sympy

        d = len(p["x0"])
        xs = sympy.symbols(f"x1:{d + 1}", real=True)
        if p["f"] == "quadratic":
            f = sum(R(a) * xi ** 2 for a, xi in zip(p["a"], xs)) / 2
            grad_f, hess_f = sympy.Matrix([f]).jacobian(xs).T, sympy.hessian(f, xs)
        x = sympy.Matrix([R(v) for v in p["x0"]])
        trace = []
        for t in range(1, p["steps"] + 1):
            if p["f"] == "quadratic":
                at = dict(zip(xs, x))
                grad, H = grad_f.subs(at), hess_f.subs(at)
            else:
                grad, H = sympy.Matrix([R(v) for v in p["grads"][t - 1]]), RM(p["H"])
            Hinv = H.inv()
            step = Hinv * grad
            trace.append({"t": t, "x_prev": list(x), "grad": list(grad), "H": H.tolist(), "det": H.det(),
                          "Hinv": Hinv.tolist(), "step": list(step)})
            x = x - step
            trace[-1]["x"] = list(x)
        zero = sympy.zeros(d, 1)
        return {"x1": sympy.Matrix(trace[0]["x"]), "xT": x, "v": zero, "g": zero, "m": zero}, trace

    def exact(self, p: dict) -> dict:
        if p["optimizer"] == "newton":
            return self._newton_exact(p)[0]
        return self._exact_run(p)[0]

    def _newton_numeric(self, p: dict) -> dict:
        """NumPy: solve H s = ∇f (no explicit inverse) and step x − s."""
        import numpy as np

        x = np.array([float(v) for v in p["x0"]])
        x1 = None
        for t in range(1, p["steps"] + 1):
            if p["f"] == "quadratic":
                a = np.array([float(v) for v in p["a"]])
                grad, H = a * x, np.diag(a)  # ∇(½ Σ aᵢxᵢ²) = a ⊙ x, ∇²(½ Σ aᵢxᵢ²) = diag(a)
            else:
                grad = np.array([float(v) for v in p["grads"][t - 1]])
                H = np.array([[float(v) for v in r] for r in p["H"]])
            x = x - np.linalg.solve(H, grad)
            if t == 1:
                x1 = x.copy()
        return {"x1": x1, "xT": x, "v": np.zeros_like(x), "g": np.zeros_like(x), "m": np.zeros_like(x)}

    def numeric(self, p: dict) -> dict:
        import numpy as np

        opt = p["optimizer"]
        if opt == "newton":
            return self._newton_numeric(p)
        x = np.array([float(v) for v in p["x0"]])
        a = np.array([float(v) for v in p["a"]]) if p["f"] == "quadratic" else None
        G = np.array([[float(v) for v in r] for r in p["grads"]]) if p["f"] == "given" else None
        alpha, eps = float(p["alpha"]), float(p["eps"])
        rho, gam, b1, b2 = (float(p[k]) for k in ("rho", "gamma", "beta1", "beta2"))
        inside = p["convention"] == "cs231n"
        v, g, m = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
        x1 = None

        def scaled(num_, acc):
            return num_ / (np.sqrt(acc + eps) if inside else np.sqrt(acc) + eps)

        for t in range(1, p["steps"] + 1):
            if a is not None:
                dx = a * x  # ∇(½ Σ aᵢxᵢ²) = a ⊙ x
            else:
                assert G is not None  # f is "given": the gradients are parameters
                dx = G[t - 1]
            if opt == "sgd":
                x = x - alpha * dx
            elif opt == "momentum":
                v = rho * v + dx
                x = x - alpha * v
            elif opt == "adagrad":
                g = g + dx * dx
                x = x - alpha * scaled(dx, g)
            elif opt == "rmsprop":
                g = gam * g + (1 - gam) * dx * dx
                x = x - alpha * scaled(dx, g)
            else:
                m = b1 * m + (1 - b1) * dx
                v = b2 * v + (1 - b2) * dx * dx
                x = x - alpha * scaled(m / (1 - b1 ** t), v / (1 - b2 ** t))
            if t == 1:
                x1 = x.copy()
        return {"x1": x1, "xT": x, "v": v, "g": g, "m": m}

    def carry_from(self, p: dict) -> dict[str, tuple[str, ...]]:
        """Steps 2…T start from x₁.  The state after step 1 comes from ∇f(x₀), so it never depends
        on x₁; with f = ½ Σ aᵢxᵢ² the later gradients a ⊙ xₜ, and so the final state, do."""
        if p["steps"] < 2:
            return {}
        out: dict[str, tuple[str, ...]] = {"xT": ("x1",)}
        if p["f"] == "quadratic":
            kept = {"momentum": ("v",), "adagrad": ("g",), "rmsprop": ("g",), "adam": ("v", "m")}
            out.update({k: ("x1",) for k in kept.get(p["optimizer"], ())})
        return out

    def carry(self, p: dict, given: dict) -> dict:
        """Steps 2…T of the numeric path from the student's x₁ (the state after step 1 as the key has it)."""
        if "x1" not in given or p["steps"] < 2:
            return {}
        run = _run_from_x1(p, given["x1"])
        return {k: run[k] for k in self.carry_from(p)}

    # ------------------------------------------------------------------ explain
    def _newton_solution(self, p: dict) -> dict:
        _, trace = self._newton_exact(p)
        steps = []
        for rec in trace:
            T, P = sub(rec["t"]), sub(rec["t"] - 1)
            Hx, inv = f"H f(x{P})", f"[H f(x{P})]⁻¹"
            steps.append([
                f"step {rec['t']}: ∇f(x{P}) = {num(rec['grad'])}",
                f"{Hx} = {num(rec['H'])}, det {Hx} = {num(rec['det'])}",
                f"{inv} = {num(rec['Hinv'])}",
                f"{inv}∇f(x{P}) = {num(rec['step'])}",
                f"x{T} = x{P} − {inv}∇f(x{P}) = {num(rec['x_prev'])} − {num(rec['step'])} = {num(rec['x'])}",
            ])
        pre = ["Newton's method (CS231n §7.1): x_t steps to the minimum of the quadratic model "
               "f(x_t) + (x − x_t)ᵀ∇f(x_t) + ½(x − x_t)ᵀ H f(x_t) (x − x_t), with no learning rate."]
        if p["f"] == "quadratic":
            pre.append("f is itself quadratic, so the model is f: one step reaches the minimum, where ∇f = 0.")
        elif not positive_definite(hessian(p)):
            pre.append("H is not positive definite: the step reaches a stationary point of the model that is "
                       "not a minimum.")
        flat = [line for lines in steps for line in lines]
        return {"_": pre, "x1": steps[0], "xT": flat}

    def solution(self, p: dict, key: dict) -> dict:
        if p["optimizer"] == "newton":
            return self._newton_solution(p)
        _, trace = self._exact_run(p)
        opt = p["optimizer"]
        inside = p["convention"] == "cs231n"
        a, e = num(p["alpha"]), num(p["eps"])
        steps = []
        for rec in trace:
            t = rec["t"]
            T, P = sub(t), sub(t - 1)
            grad, xp = num(rec["grad"]), num(rec["x_prev"])
            sq = num([gv ** 2 for gv in rec["grad"]])
            line = [f"step {t}: ∇f(x{P}) = {grad}"]
            if opt == "sgd":
                line.append(f"x{T} = x{P} − α∇f = {xp} − {a}·{grad} = {num(rec['x'])}")
            elif opt == "momentum":
                line.append(f"v{T} = ρv{P} + ∇f = {num(p['rho'])}·{num(rec['v_prev'])} + {grad} = {num(rec['v'])}")
                line.append(f"x{T} = x{P} − αv{T} = {xp} − {a}·{num(rec['v'])} = {num(rec['x'])}")
            elif opt in ("adagrad", "rmsprop"):
                if opt == "adagrad":
                    line.append(f"g{T} = g{P} + (∇f)² = {num(rec['g_prev'])} + {sq} = {num(rec['g'])}")
                else:
                    gm = num(p["gamma"])
                    line.append(f"g{T} = γg{P} + (1 − γ)(∇f)² = {gm}·{num(rec['g_prev'])} + "
                                f"{num(1 - frac(p['gamma']))}·{sq} = {num(rec['g'])}")
                den = f"√({num(rec['g'])} + {e})" if inside else f"(√{num(rec['g'])} + {e})"
                line.append(f"x{T} = {xp} − {a}·{grad}/{den} = {num(rec['x'])}")
            else:
                b1, b2 = num(p["beta1"]), num(p["beta2"])
                line.append(f"m{T} = β₁m{P} + (1 − β₁)∇f = {b1}·{num(rec['m_prev'])} + "
                            f"{num(1 - frac(p['beta1']))}·{grad} = {num(rec['m'])}")
                line.append(f"v{T} = β₂v{P} + (1 − β₂)(∇f)² = {b2}·{num(rec['v_prev'])} + "
                            f"{num(1 - frac(p['beta2']))}·{sq} = {num(rec['v'])}")
                sup = str(t).translate(SUP)
                line.append(f"m̃{T} = m{T}/(1 − {b1}{sup}) = {num(rec['mt'])};  "
                            f"ṽ{T} = v{T}/(1 − {b2}{sup}) = {num(rec['vt'])}")
                den = f"√({num(rec['vt'])} + {e})" if inside else f"(√{num(rec['vt'])} + {e})"
                line.append(f"x{T} = {xp} − {a}·{num(rec['mt'])}/{den} = {num(rec['x'])}")
            steps.append(line)
        flat = [s for line in steps for s in line]
        last = sub(trace[-1]["t"])
        pre = [f"{NAMES[opt]}: every operation acts entry by entry; step t uses the gradient at the current x"
               + ("; Adam's bias correction uses this step number t." if opt == "adam" else ".")]
        return {"_": pre, "x1": steps[0], "xT": flat,
                "v": flat + [f"after the last step: v{last} = {num(trace[-1]['v'])}"],
                "g": flat + [f"after the last step: g{last} = {num(trace[-1]['g'])}"],
                "m": flat + [f"after the last step: m{last} = {num(trace[-1]['m'])}"]}

    def mistakes(self, p: dict) -> dict:
        import math

        opt = p["optimizer"]
        out: dict = {}
        if opt == "newton":
            return self._newton_mistakes(p)

        def put(mid, **flags):
            run = simulate(p, **flags)
            if run.get("zero_div"):
                return
            vals = {"xT": [float(v) for v in run["xT"]]}
            if p["steps"] >= 2:
                vals["x1"] = [float(v) for v in run["x1"]]
            for k in ("v", "g", "m"):
                vals[k] = [float(v) for v in run[k]]
            # A slip whose step takes the root of a negative number has no x there (its state still counts).
            out[mid] = {k: v for k, v in vals.items() if all(math.isfinite(e) for e in v)}

        put("ascent", ascent=True)
        if p["f"] == "quadratic" and p["steps"] >= 2:
            put("gradient-not-recomputed", stale_gradient=True)
        if opt == "momentum":
            put("momentum-ignored", no_momentum=True)
            put("velocity-lagged", lagged=True)
            put("ema-velocity", ema=True)
        if opt in SQRT_OPTS:
            put("eps-outside-sqrt" if p["convention"] == "cs231n" else "eps-inside-sqrt", eps_swapped=True)
            put("no-sqrt", no_sqrt=True)
        if opt == "adagrad":
            put("not-accumulated", not_accumulated=True)
        if opt == "rmsprop":
            put("decay-swapped", decay_swapped=True)
            put("summed-like-adagrad", adagrad_sum=True)
        if opt == "adam":
            put("no-bias-correction", no_bias_correction=True)
            put("betas-swapped", betas_swapped=True)
        # State slips (CS231n §7.1's v, g, m): each its own formula, run through every step.
        if opt == "momentum":
            put("velocity-not-carried", state_reset=True)
            put("velocity-other-form", other_form=True)
        if opt == "rmsprop":
            put("average-not-carried", state_reset=True)  # AdaGrad's is not-accumulated
        if opt == "adam":
            put("moments-not-carried", state_reset=True)
            put("m-not-bias-corrected", m_uncorrected=True)
            put("v-not-bias-corrected", v_uncorrected=True)
            put("bias-correction-power-missing", power_missing=True)
            # m and v are asked before bias correction; the slip reports m̃_T and ṽ_T instead.
            run, T = simulate(p), p["steps"]
            b1, b2 = frac(p["beta1"]), frac(p["beta2"])
            out["corrected-moments-reported"] = {"m": [float(mi / (1 - b1 ** T)) for mi in run["m"]],
                                                 "v": [float(vi / (1 - b2 ** T)) for vi in run["v"]]}
        if opt in SQRT_OPTS:
            put("gradient-not-squared", not_squared=True)
            if len(p["x0"]) > 1:
                put("squared-norm", squared_norm=True)
        return out

    def _newton_mistakes(self, p: dict) -> dict:
        out: dict = {}
        slips = {"ascent": {"ascent": True}, "hessian-not-inverted": {"not_inverted": True}}
        H = hessian(p)
        if any(H[i][j] != 0 for i in range(len(H)) for j in range(len(H)) if i != j):
            slips["hessian-diagonal-only"] = {"diagonal_only": True}
        if p["f"] == "quadratic" and p["steps"] >= 2:
            slips["gradient-not-recomputed"] = {"stale_gradient": True}
        for mid, flags in slips.items():
            run = newton_run(p, **flags)
            if run:
                out[mid] = {"xT": [float(v) for v in run["xT"]]}
                if p["steps"] >= 2:
                    out[mid]["x1"] = [float(v) for v in run["x1"]]
        return out
