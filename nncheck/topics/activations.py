"""Activation functions and their derivatives (ECE 417 "Derivative of a sigmoid", CS231n §6.1).

``backprop.activation-derivative``: h = g(ξ), g′(ξ), and g′ written in terms of h where the
course notes do it (σ̇ = h(1 − h), tanh′ = 1 − h²).

The definitions follow the course notes, including where each puts ξ = 0:

* ReLU(ξ) = ξ for ξ ≥ 0, 0 otherwise (ECE 417), so ReLU′(ξ) = u(ξ), the unit step, with u(0) = 1;
* leaky ReLU = max(αξ, ξ) (CS231n), with the same slope 1 at ξ = 0;
* ELU = ξ for ξ > 0, α(e^ξ − 1) for ξ ≤ 0 (CS231n), so ELU′(0) = α (the ξ ≤ 0 branch).

The helpers here (SymPy forms, NumPy forms, plain-Python values) are shared by the
two-layer network and the flow-graph families.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import cache

from nncheck.topics.base import ParamError, R, Solver, as_sympy, num

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")
SYMBOL = {"sigmoid": "σ", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "LReLU", "elu": "ELU"}


# ----------------------------------------------------------------------------
# Plain Python (draws, prompts, parameter checks: no SymPy, no NumPy).
# ----------------------------------------------------------------------------
def sigma_py(x: float) -> float:
    """σ(x), written so that neither branch overflows."""
    x = float(x)
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def value_py(g: str, xi, alpha=0):
    """g(ξ): exact (int/Fraction) for the piecewise-linear units and at ξ = 0, else a float."""
    if g == "sigmoid":
        return Fraction(1, 2) if xi == 0 else sigma_py(xi)
    if g == "tanh":
        return 0 if xi == 0 else math.tanh(float(xi))
    if g == "relu":
        return xi if xi >= 0 else 0
    if g == "leaky_relu":
        return xi if xi >= 0 else alpha * xi
    if g == "elu":
        return xi if xi > 0 else alpha * (math.expm1(float(xi)) if xi != 0 else 0)
    if g == "linear":
        return xi
    raise ValueError(g)


def slope_py(g: str, xi, alpha=0):
    """g′(ξ) with the conventions above (u(0) = 1, ELU′(0) = α)."""
    if g == "sigmoid":
        s = value_py(g, xi)
        return s * (1 - s)
    if g == "tanh":
        t = value_py(g, xi)
        return 1 - t * t
    if g == "relu":
        return 1 if xi >= 0 else 0
    if g == "leaky_relu":
        return 1 if xi >= 0 else alpha
    if g == "elu":
        return 1 if xi > 0 else alpha * math.exp(float(xi))
    if g == "linear":
        return 1
    raise ValueError(g)


def exp_text(x) -> str:
    """e^x as a prompt writes it: e, e^2, e^(−2), e^(0.5)."""
    if x == 1:
        return "e"
    if isinstance(x, int) and x > 0:
        return f"e^{x}"
    return f"e^({num(x)})"


def sig4(x) -> str:
    """A value as a table entry: exact when it is, else four significant figures."""
    if isinstance(x, (int, Fraction)):
        return num(x)
    return num(float(f"{float(x):.4g}"), 6)


# ----------------------------------------------------------------------------
# SymPy: the seeds' definitions, differentiated by SymPy (never a table of derivatives).
# ----------------------------------------------------------------------------
def g_sym(g: str, xi, alpha=0):
    """g(ξ) as a SymPy expression from its definition (exponentials, piecewise branches)."""
    import sympy

    if g == "sigmoid":
        return 1 / (1 + sympy.exp(-xi))
    if g == "tanh":
        return (sympy.exp(xi) - sympy.exp(-xi)) / (sympy.exp(xi) + sympy.exp(-xi))
    if g == "relu":
        return sympy.Piecewise((xi, xi >= 0), (0, True))
    if g == "leaky_relu":
        return sympy.Piecewise((xi, xi >= 0), (R(alpha) * xi, True))
    if g == "elu":
        return sympy.Piecewise((xi, xi > 0), (R(alpha) * (sympy.exp(xi) - 1), True))
    if g == "linear":
        return xi
    raise ValueError(g)


def inverse_sym(g: str, h):
    """ξ as a function of h = g(ξ), for rewriting g′(ξ) in terms of h (σ and tanh only)."""
    import sympy

    if g == "sigmoid":
        return sympy.log(h / (1 - h))
    if g == "tanh":
        return sympy.log((1 + h) / (1 - h)) / 2
    if g == "linear":
        return h
    raise ValueError(g)


@cache  # a pure function of its arguments; SymPy results are immutable
def slope_in_h_sym(g: str, h):
    """g′ written in terms of h: differentiate g, then substitute ξ = g⁻¹(h) and simplify."""
    import sympy

    xi = sympy.Symbol("xi", real=True)
    d = sympy.simplify(sympy.diff(g_sym(g, xi), xi).subs(xi, inverse_sym(g, h)))
    return seed_form(d)


def seed_form(e):
    """A polynomial answer as the course notes write it: h(1 − h) rather than −h(h − 1), 1 − h² rather
    than −(h − 1)(h + 1), (ŷ − y)ŷ(1 − ŷ)/n rather than its expansion."""
    import sympy

    f = sympy.factor(e)
    coeff, rest = f.as_coeff_Mul()
    factors = sympy.Mul.make_args(rest)
    adds = [a for a in factors if (a.base if a.is_Pow and abs(a.exp) == 1 else a).is_Add]
    expanded = sympy.expand(e)
    if len(adds) > 1 and len(sympy.Add.make_args(expanded)) <= 2 and expanded.is_polynomial():
        return expanded  # 1 − h² reads better than (1 − h)(1 + h)
    # Orient each bracket as the seeds do: constant first and positive (1 − h), else the
    # network's output positive (ŷ − y); every flip changes the overall sign once.
    flips, new = 0, []
    for a in factors:
        base, ex = (a.base, a.exp) if a.is_Pow and abs(a.exp) == 1 else (a, 1)
        if base.is_Add:
            const, _ = base.as_coeff_Add()
            lead = const if const != 0 else base.as_ordered_terms()[-1].as_coeff_Mul()[0]
            if lead < 0 or (const == 0 and _prefers_flip(base)):
                base, flips = -base, flips + 1
        new.append(base**ex if ex != 1 else base)
    sign = -1 if flips % 2 else 1
    return sympy.Mul(sign * coeff, *new, evaluate=False) if sign * coeff != 1 else sympy.Mul(*new, evaluate=False)


def _prefers_flip(add) -> bool:
    """For a bracket without a constant (ŷ − y): keep the output (yhat, h) positive."""
    for t in add.args:
        names = {s.name for s in t.free_symbols}
        if names & {"yhat", "h"}:
            return t.as_coeff_Mul()[0] < 0
    return False


def prefer(value, *forms):
    """The first of ``forms`` equal to ``value`` (to 50 digits) and shorter to read, else ``value``.

    Only the display changes: tanh(2) instead of its definition in exponentials.
    """
    import sympy

    for f in forms:
        if sympy.count_ops(f) < sympy.count_ops(value) and abs(sympy.N(value - f, 60)) < sympy.Float("1e-50"):
            return f
    return value


def tidy(e):
    """An exact value as shown in a key: rationals as they are, short closed forms kept
    (1/(1 + exp(-2))), anything longer evaluated to 30 digits."""
    import sympy

    e = as_sympy(e)
    if e.is_Rational:
        return e
    if _nodes_at_most(e, 40) and sympy.count_ops(e) <= 12:
        return e
    return high_precision(e)


def _nodes_at_most(e, limit: int) -> bool:
    """Is the tree small?  Stops counting at ``limit`` (count_ops walks all of a huge tree)."""
    import sympy

    for i, _ in enumerate(sympy.preorder_traversal(e)):
        if i >= limit:
            return False
    return True


def high_precision(e, digits: int = 30):
    """A long closed form as a 30-digit Float.

    ``evalf`` re-evaluates nested exponentials at rising precision and can take seconds on the
    derivative of a two-layer network.  Here every distinct sub-expression is evaluated once,
    with mpmath at a fixed 60 digits: ample for a key that is compared to 1e-9.
    """
    import mpmath
    import sympy

    memo: dict = {}

    def ev(x):
        v = memo.get(x)
        if v is not None:
            return v
        if x.is_Rational:
            v = mpmath.mpf(int(x.p)) / int(x.q)
        elif x.is_Float:
            v = mpmath.mpf(x)
        elif x is sympy.E:
            v = mpmath.e
        elif x.is_Add:
            v = mpmath.fsum(ev(a) for a in x.args)
        elif x.is_Mul:
            v = mpmath.fprod(ev(a) for a in x.args)
        elif x.is_Pow:
            v = mpmath.power(ev(x.base), ev(x.exp))
        elif isinstance(x, sympy.exp):
            v = mpmath.exp(ev(x.args[0]))
        elif isinstance(x, sympy.log):
            v = mpmath.log(ev(x.args[0]))
        elif isinstance(x, sympy.tanh):
            v = mpmath.tanh(ev(x.args[0]))
        else:  # anything rarer: let SymPy do it
            v = mpmath.mpf(sympy.N(x, 2 * digits))
        memo[x] = v
        return v

    with mpmath.workdps(2 * digits):
        v = ev(as_sympy(e))
        if isinstance(v, mpmath.mpc):
            raise ValueError(f"complex value {v}")
        return sympy.Float(v, digits)


# ----------------------------------------------------------------------------
# NumPy: the formulas a student writes (σ̇ = h(1 − h), 1 − h², u(ξ)).
# ----------------------------------------------------------------------------
def g_np(g: str, xi, alpha=0.0):
    import numpy as np

    xi = np.asarray(xi, dtype=float)
    if g == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * xi))  # the same σ, without overflow for large |ξ|
    if g == "tanh":
        return np.tanh(xi)
    if g == "relu":
        return np.maximum(xi, 0.0)
    if g == "leaky_relu":
        return np.where(xi >= 0, xi, alpha * xi)
    if g == "elu":
        return np.where(xi > 0, xi, alpha * np.expm1(np.minimum(xi, 0.0)))
    if g == "linear":
        return xi
    raise ValueError(g)


def dg_np(g: str, xi, alpha=0.0, h=None):
    """g′(ξ) from the course notes' shortcuts: σ̇ = h(1 − h), tanh′ = 1 − h², ReLU′ = u(ξ), ELU′ = h + α."""
    import numpy as np

    xi = np.asarray(xi, dtype=float)
    if h is None:
        h = g_np(g, xi, alpha)
    if g == "sigmoid":
        return h * (1.0 - h)
    if g == "tanh":
        return 1.0 - h * h
    if g == "relu":
        return (xi >= 0).astype(float)
    if g == "leaky_relu":
        return np.where(xi >= 0, 1.0, alpha)
    if g == "elu":
        return np.where(xi > 0, 1.0, h + alpha)  # α e^ξ = α(e^ξ − 1) + α
    if g == "linear":
        return np.ones_like(xi)
    raise ValueError(g)


# ----------------------------------------------------------------------------
# The family.
# ----------------------------------------------------------------------------
DEFINITIONS = {
    "sigmoid": "h = σ(ξ) = 1/(1 + e^(−ξ))",
    "tanh": "h = tanh(ξ) = (e^ξ − e^(−ξ))/(e^ξ + e^(−ξ))",
    "relu": "h = ReLU(ξ) = ξ for ξ ≥ 0 and 0 for ξ < 0 (ECE 417); ReLU′(ξ) = u(ξ), the unit step, "
            "with u(0) = 1",
    "leaky_relu": "h = max(αξ, ξ) with α = {a} (CS231n): ξ for ξ ≥ 0, αξ for ξ < 0; "
                  "the slope at ξ = 0 is taken as 1, as for ReLU (u(0) = 1)",
    "elu": "h = ξ for ξ > 0 and α(e^ξ − 1) for ξ ≤ 0, with α = {a} (CS231n); "
           "at ξ = 0 the ξ ≤ 0 branch gives g′(0) = α",
}


#: The activations whose formula reads α.
ALPHA_USERS = ("leaky_relu", "elu")


class ActivationDerivative(Solver):
    """``backprop.activation-derivative``: h = g(ξ), g′(ξ), and g′ in terms of h."""

    template_vars = ("definition", "given", "is_sigmoid", "is_tanh")

    def check(self, p: dict) -> None:
        if p["g"] == "leaky_relu" and not 0 < p["alpha"] < 1:
            raise ParamError(f"leaky_relu = max(αξ, ξ) needs 0 < alpha < 1; got alpha = {num(p['alpha'])}")
        if p["g"] == "elu" and not p["alpha"] > 0:
            raise ParamError(f"elu needs alpha > 0; got alpha = {num(p['alpha'])}")

    def unused(self, p: dict) -> set[str]:
        """α is read by leaky ReLU and ELU only: σ, tanh and ReLU have no parameter, so `show` does not
        list α among the defaults or draws of their instances."""
        return set() if p.get("g") in ALPHA_USERS else {"alpha"}

    def draw(self, p: dict, rng, fixed) -> dict:
        """Hand-computable draws: small ξ (0 now and then), α of the usual sizes."""
        p = dict(p)
        g = p["g"]
        if "xi" not in fixed:
            if g in ("sigmoid", "tanh"):
                p["xi"] = rng.choice([-2, -1, 0, 1, 1, 2, Fraction(1, 2), Fraction(-1, 2)])
            elif g == "elu":
                p["xi"] = rng.choice([-2, -1, -1, Fraction(-1, 2), 0, 1, 2])
            else:
                p["xi"] = rng.choice([-3, -2, -1, -1, Fraction(-1, 2), 0, 1, 2, 3])
        if "alpha" not in fixed:
            if g == "leaky_relu":
                p["alpha"] = rng.choice([Fraction(1, 100), Fraction(1, 10), Fraction(1, 5)])
            elif g == "elu":
                p["alpha"] = rng.choice([1, 1, Fraction(1, 2), 2])
        return p

    def derive(self, p: dict) -> dict:
        g, xi, a = p["g"], p["xi"], p.get("alpha", 0)
        given = []
        if xi != 0:
            if g == "sigmoid":
                given.append(f"{exp_text(-xi)} ≈ {sig4(math.exp(-float(xi)))}")
            elif g == "tanh":
                given.append(f"{exp_text(-2 * xi)} ≈ {sig4(math.exp(-2 * float(xi)))}")
            elif g == "elu" and xi < 0:
                given.append(f"{exp_text(xi)} ≈ {sig4(math.exp(float(xi)))}")
        return {
            "definition": DEFINITIONS[g].replace("{a}", num(a)),
            "given": ("You may use " + ", ".join(given) + ".") if given else "No exponentials are needed.",
            "is_sigmoid": int(g == "sigmoid"),
            "is_tanh": int(g == "tanh"),
        }

    def exact(self, p: dict) -> dict:
        import sympy

        g, a = p["g"], p.get("alpha", 0)
        xi = sympy.Symbol("xi", real=True)
        expr = g_sym(g, xi, a)
        at = {xi: R(p["xi"])}
        h_val = expr.subs(at)
        dh_val = sympy.diff(expr, xi).subs(at)
        if g == "tanh":  # shown as tanh(ξ) and 1 − tanh²(ξ), not as exponentials
            t = sympy.tanh(R(p["xi"]))
            h_val, dh_val = prefer(h_val, t), prefer(dh_val, 1 - t**2)
        out = {
            "h": tidy(h_val),
            "dh": tidy(dh_val),
            "dsigma_h": None,
            "dtanh_h": None,
        }
        h = sympy.Symbol("h", real=True)
        if g == "sigmoid":
            out["dsigma_h"] = slope_in_h_sym(g, h)
        if g == "tanh":
            out["dtanh_h"] = slope_in_h_sym(g, h)
        return out

    def numeric(self, p: dict) -> dict:
        g, a = p["g"], float(p.get("alpha", 0))
        xi = float(p["xi"])
        h = float(g_np(g, xi, a))
        return {
            "h": h,
            "dh": float(dg_np(g, xi, a, h)),
            "dsigma_h": (lambda env: env["h"] * (1 - env["h"])) if g == "sigmoid" else None,
            "dtanh_h": (lambda env: 1 - env["h"] ** 2) if g == "tanh" else None,
        }

    def carry_from(self, p: dict) -> dict[str, tuple[str, ...]]:
        """g′ written in h, as the course notes do: σ′ = h(1 − h), tanh′ = 1 − h², ELU′ = h + α for ξ ≤ 0."""
        if p["g"] in ("sigmoid", "tanh") or (p["g"] == "elu" and p["xi"] <= 0):
            return {"dh": ("h",)}
        return {}

    def carry(self, p: dict, given: dict) -> dict:
        """g′ from the student's h."""
        if "h" not in given or not self.carry_from(p):
            return {}
        h = float(given["h"])
        g = p["g"]
        return {"dh": h * (1 - h) if g == "sigmoid" else 1 - h * h if g == "tanh" else h + float(p.get("alpha", 0))}

    def solution(self, p: dict, key: dict) -> dict:
        g, xi, a = p["g"], p["xi"], p.get("alpha", 0)
        x = num(xi)
        h = value_py(g, xi, a)
        d = slope_py(g, xi, a)
        hs = sig4(h)
        if g == "sigmoid":
            val = [f"h = σ({x}) = 1/(1 + {exp_text(-xi)}) = {hs}"]
            der = ["σ̇(ξ) = e^(−ξ)/(1 + e^(−ξ))² = σ(ξ)(1 − σ(ξ)) = h(1 − h)",
                   f"σ̇({x}) = {hs}·(1 − {hs}) = {sig4(d)}"]
            inh = ["σ̇ = e^(−ξ)/(1 + e^(−ξ))² = [1/(1 + e^(−ξ))]·[e^(−ξ)/(1 + e^(−ξ))]",
                   "= σ(ξ)(1 − σ(ξ)) = h(1 − h)  (ECE 417: no need to store ξ)"]
        elif g == "tanh":
            e2 = exp_text(-2 * xi)
            val = [f"h = tanh({x}) = (1 − {e2})/(1 + {e2}) = {hs}"]
            der = ["d tanh(ξ)/dξ = 1 − tanh²(ξ) = 1 − h²", f"1 − ({hs})² = {sig4(d)}"]
            inh = ["tanh ξ = 2σ(2ξ) − 1, so d tanh/dξ = 4σ̇(2ξ) = 4σ(2ξ)(1 − σ(2ξ))",
                   "= (1 + h)(1 − h) = 1 − h²"]
        elif g == "relu":
            val = [f"ξ = {x} ≥ 0, so h = ξ = {num(h)}" if xi >= 0 else f"ξ = {x} < 0, so h = 0"]
            der = [f"ReLU′(ξ) = u(ξ), the unit step (u(0) = 1 here): u({x}) = {num(d)}"]
            inh = []
        elif g == "leaky_relu":
            val = [f"ξ = {x} ≥ 0, so h = ξ = {num(h)}" if xi >= 0 else
                   f"ξ = {x} < 0, so h = αξ = {num(a)}·({x}) = {num(h)}"]
            der = [f"g′(ξ) = 1 for ξ ≥ 0 and α for ξ < 0: g′({x}) = {num(d)}"]
            inh = []
        else:
            if xi > 0:
                val = [f"ξ = {x} > 0, so h = ξ = {num(h)}"]
                der = [f"g′(ξ) = 1 for ξ > 0: g′({x}) = 1"]
            else:
                val = [f"ξ = {x} ≤ 0, so h = α(e^ξ − 1) = {num(a)}·({exp_text(xi)} − 1) = {sig4(h)}"]
                der = [f"g′(ξ) = α e^ξ for ξ ≤ 0 (= h + α): {num(a)}·{exp_text(xi)} = {sig4(d)}"]
            inh = []
        return {"h": val, "dh": der, "dsigma_h": inh, "dtanh_h": inh}

    def mistakes(self, p: dict) -> dict:
        g, xi, a = p["g"], p["xi"], p.get("alpha", 0)
        h = value_py(g, xi, a)
        out: dict = {"value-for-derivative": {"dh": h}}
        if g == "sigmoid":
            import sympy

            H = sympy.Symbol("h", real=True)
            out["value-for-derivative"]["dsigma_h"] = H
            out["sigma-sign"] = {"h": value_py("sigmoid", -xi)}
            out["one-minus-h-only"] = {"dh": 1 - h, "dsigma_h": 1 - H}
            out["tanh-rule-for-sigmoid"] = {"dh": 1 - h * h, "dsigma_h": 1 - H**2}
            out["xi-for-h"] = {"dh": xi * (1 - xi)}
        elif g == "tanh":
            import sympy

            H = sympy.Symbol("h", real=True)
            out["value-for-derivative"]["dtanh_h"] = H
            out["sigmoid-rule-for-tanh"] = {"dh": h * (1 - h), "dtanh_h": H * (1 - H)}
            out["not-squared"] = {"dh": 1 - h, "dtanh_h": 1 - H}
            out["xi-for-h"] = {"dh": 1 - xi * xi}
            out["tanh-as-sigmoid"] = {"h": value_py("sigmoid", xi)}
        elif g in ("relu", "leaky_relu"):
            if xi < 0:
                out["derivative-one-everywhere"] = {"dh": 1}
                out["negative-passed-through"] = {"h": xi}
            if xi == 0:
                out["step-at-zero"] = {"dh": 0}
            if g == "leaky_relu" and xi < 0:
                out["leak-forgotten"] = {"h": 0, "dh": 0}
        elif g == "elu" and xi <= 0:
            e = math.exp(float(xi))
            out["derivative-one-everywhere"] = {"dh": 1}
            out["elu-minus-one-differentiated"] = {"dh": a * (e - 1)}
            out["elu-alpha-forgotten"] = {"h": e - 1, "dh": e}
            out["elu-minus-one-forgotten"] = {"h": a * e}
        # g′ = g(ξ) can coincide with a more specific slip (u(0) = 0 at ξ = 0; α(e^ξ − 1) for ELU):
        # name the specific one.
        generic = out["value-for-derivative"]
        for mid, vals in out.items():
            if mid != "value-for-derivative" and "dh" in vals and "dh" in generic and \
                    abs(float(vals["dh"]) - float(generic["dh"])) < 1e-12:
                del generic["dh"]
        return out
