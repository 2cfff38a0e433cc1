"""Loss functions and their gradients (ECE 417 "Loss Function", CS231n §3.2–3.3, 16-785).

* ``loss.mse``  — L = 1/(2n) Σᵢ ‖yᵢ − ŷᵢ‖² (ECE 417), or 16-785's 1/n Σ, or ½ Σ;
* ``loss.bce``  — L = −(1/n) Σᵢ [yᵢ ln ŷᵢ + (1 − yᵢ) ln(1 − ŷᵢ)], with ŷᵢ = σ(ξᵢ);
* ``loss.ce``   — L = −(1/n) Σᵢ Σₖ yₖᵢ ln ŷₖᵢ for one-hot y, with ŷ = softmax(ξ);
* ``loss.hinge`` — CS231n multiclass SVM: Lᵢ = Σ_{j≠yᵢ} max(0, s_j − s_{yᵢ} + Δ);
* ``loss.regularization`` — R(W) = Σ W² or Σ |W| (CS231n), Ω = ½‖w‖² (16-785).

The SymPy path writes the forward expression over symbols and differentiates it
(through σ or softmax for ∂L/∂ξ, evaluated back at ξ = logit ŷ); the NumPy path uses
the closed forms students write (−(1/n)(y − ŷ), ŷ − y, indicator counts for the hinge).
"""

from __future__ import annotations

from fractions import Fraction

from nncheck.topics.base import ParamError, R, Solver, num, paren, signed_sum

SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

#: Hand-computable probabilities for BCE draws (the bank's draw list, plus thirds).
BCE_POOL = [Fraction(1, 10), Fraction(1, 5), Fraction(1, 4), Fraction(1, 3), Fraction(1, 2), Fraction(2, 3),
            Fraction(3, 4), Fraction(4, 5), Fraction(9, 10)]
#: Softmax outputs with easy logarithms, by number of classes (rows sum to 1).
CE_ROWS = {
    2: [[Fraction(1, 2), Fraction(1, 2)], [Fraction(4, 5), Fraction(1, 5)], [Fraction(3, 4), Fraction(1, 4)],
        [Fraction(9, 10), Fraction(1, 10)], [Fraction(2, 3), Fraction(1, 3)]],
    3: [[Fraction(1, 2), Fraction(1, 4), Fraction(1, 4)], [Fraction(7, 10), Fraction(1, 5), Fraction(1, 10)],
        [Fraction(3, 5), Fraction(1, 5), Fraction(1, 5)], [Fraction(1, 2), Fraction(3, 10), Fraction(1, 5)],
        [Fraction(4, 5), Fraction(1, 10), Fraction(1, 10)], [Fraction(1, 3), Fraction(1, 3), Fraction(1, 3)]],
    4: [[Fraction(1, 2), Fraction(1, 4), Fraction(1, 8), Fraction(1, 8)],
        [Fraction(2, 5), Fraction(3, 10), Fraction(1, 5), Fraction(1, 10)],
        [Fraction(1, 4), Fraction(1, 4), Fraction(1, 4), Fraction(1, 4)],
        [Fraction(7, 10), Fraction(1, 10), Fraction(1, 10), Fraction(1, 10)]],
}


def sub(i) -> str:
    """An index as Unicode subscript digits: 12 -> ₁₂."""
    return str(i).translate(SUB)


def q(x) -> str:
    """An exact number as the answer language writes it: 4/5, -3, 0.25 -> 1/4."""
    if isinstance(x, float):
        return repr(x)
    f = Fraction(x)
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def qp(x) -> str:
    """Like :func:`q`, parenthesised when it is negative or a fraction (for products)."""
    s = q(x)
    return f"({s})" if ("/" in s or s.startswith("-")) else s


def exact(x):
    """A parameter value as a Fraction when it is rational (floats stay floats)."""
    return x if isinstance(x, float) else Fraction(x)


def entries(n: int) -> str:
    """'1 entry', '3 entries'."""
    return f"{n} entr{'y' if n == 1 else 'ies'}"


def shape_of(v) -> tuple:
    if isinstance(v, list) and v and isinstance(v[0], list):
        return (len(v), len(v[0]))
    return (len(v),)


def dims(shape: tuple) -> str:
    return "×".join(str(s) for s in shape) if len(shape) == 2 else f"{shape[0]} entries"


def scale(convention: str, n: int) -> Fraction:
    """The factor in front of the sum over examples: 1/n for mean conventions, 1 for sums."""
    return Fraction(1, n) if convention == "mean" else Fraction(1)


def scale_text(c: Fraction) -> str:
    return "" if c == 1 else f"({q(c)})·"


def as_float_rows(rows):
    return [[float(x) for x in r] for r in rows]


def total_steps(terms: list, closed: list[str], c: Fraction, value) -> list[str]:
    """The last steps of a log loss: L = −c(Σ logs), then the closed form a student may type."""
    lead = "−" if c == 1 else f"−({q(c)})"
    if len(terms) == 1:
        line = f"L = {lead}({num(terms[0])}) ≈ {num(value)}"
        exact_text = f"-{closed[0]}" if c == 1 else f"-{closed[0]}/{c.denominator}"
    else:
        line = f"L = {lead}({signed_sum(terms)}) = {lead}({num(sum(terms))}) ≈ {num(value)}"
        inner = " + ".join(closed)
        exact_text = f"-({inner})" if c == 1 else f"-({inner})/{c.denominator}"
    return [line, f"Exact: L = {exact_text}"]


def averaging_mistake(averaged: bool, n: int, values: dict) -> dict:
    """The 1/n mistake of a convention: 1/n dropped when the loss is averaged, added when it is summed."""
    if averaged:
        return {"dropped-1-over-n": {k: v * n for k, v in values.items()}}
    return {"divided-by-n": {k: v / n for k, v in values.items()}}


def _yhat_symbols(p: dict, **assumptions: bool) -> tuple:
    """Y and ŷ as exact n×k matrices, a symbol for each ŷ entry, and the substitution symbol → ŷ value."""
    import sympy

    n, k = shape_of(p["y"])
    Y = sympy.Matrix(n, k, lambda i, j: R(p["y"][i][j]))
    P = sympy.Matrix(n, k, lambda i, j: R(p["yhat"][i][j]))
    ps = sympy.Matrix(n, k, lambda i, j: sympy.Symbol(f"yhat_{i + 1}_{j + 1}", **assumptions))
    return Y, P, ps, {ps[i, j]: P[i, j] for i in range(n) for j in range(k)}


class _LossBase(Solver):
    """Shared plumbing: the averaging convention and its statement."""

    def _c(self, p: dict) -> Fraction:
        return scale(p["convention"], self._n(p))

    def _n(self, p: dict) -> int:
        return len(p["y"])


# ----------------------------------------------------------------------------
# Binary cross-entropy.
# ----------------------------------------------------------------------------
class BCE(_LossBase):
    """``loss.bce``: L_BCE, ∂L/∂ŷᵢ and ∂L/∂ξᵢ = −(1/n)(yᵢ − ŷᵢ) for a sigmoid output ŷᵢ = σ(ξᵢ)."""

    def draw(self, p: dict, rng, fixed) -> dict:
        p = dict(p)
        if "y" in fixed and "yhat" not in fixed:
            p["yhat"] = [rng.choice(BCE_POOL) for _ in p["y"]]
        elif "yhat" in fixed and "y" not in fixed:
            p["y"] = [rng.randint(0, 1) for _ in p["yhat"]]
        p["n"] = len(p["y"])
        return p

    def check(self, p: dict) -> None:
        y, yh = p["y"], p["yhat"]
        if len(y) != len(yh):
            raise ParamError(f"y has {entries(len(y))} but yhat has {len(yh)}: give one ŷ per label")
        for i, v in enumerate(y, 1):
            if v not in (0, 1):
                raise ParamError(f"y{sub(i)} = {num(v)}: BCE labels must be 0 or 1")
        for i, v in enumerate(yh, 1):
            if not 0 < v < 1:
                raise ParamError(f"yhat{sub(i)} = {num(v)} is not a probability in (0, 1): "
                                 f"BCE takes ln ŷ and ln(1 − ŷ)")

    def derive(self, p: dict) -> dict:
        import math

        n = len(p["y"])
        used = []
        for y, yh in zip(p["y"], p["yhat"]):
            arg = exact(yh) if y == 1 else 1 - exact(yh)
            if arg not in used:
                used.append(arg)
        lns = ", ".join(f"ln {num(a)} ≈ {num(math.log(a))}" for a in used)
        avg = "L = −(1/n) Σᵢ" if p["convention"] == "mean" else "L = −Σᵢ"
        return {"n_examples": n, "lns": lns,
                "loss_text": f"{avg} [yᵢ ln ŷᵢ + (1 − yᵢ) ln(1 − ŷᵢ)]",
                "avg_text": ("averaged over the n examples (ECE 417: 1/n)" if p["convention"] == "mean"
                             else "summed over the n examples (no 1/n)")}

    def exact(self, p: dict) -> dict:
        import sympy

        n, c = len(p["y"]), R(self._c(p))
        yh_s = sympy.symbols(f"yhat1:{n + 1}", positive=True)
        xi_s = sympy.symbols(f"xi1:{n + 1}", real=True)
        y = [R(v) for v in p["y"]]
        yh = [R(v) for v in p["yhat"]]
        loss = -c * sum(y[i] * sympy.log(yh_s[i]) + (1 - y[i]) * sympy.log(1 - yh_s[i]) for i in range(n))
        at = dict(zip(yh_s, yh))
        # ∂L/∂ξ: substitute ŷ = σ(ξ) in the forward expression, differentiate, and evaluate at ξ = logit(ŷ).
        loss_xi = loss.subs({yh_s[i]: 1 / (1 + sympy.exp(-xi_s[i])) for i in range(n)})
        at_xi = {xi_s[i]: sympy.log(yh[i] / (1 - yh[i])) for i in range(n)}
        return {
            "L": loss.subs(at),
            "dyhat": sympy.Matrix([sympy.nsimplify(sympy.diff(loss, yh_s[i]).subs(at)) for i in range(n)]),
            "dxi": sympy.Matrix([sympy.simplify(sympy.diff(loss_xi, xi_s[i]).subs(at_xi)) for i in range(n)]),
        }

    def numeric(self, p: dict) -> dict:
        import numpy as np

        y, yh, c = np.array(p["y"], float), np.array([float(v) for v in p["yhat"]]), float(self._c(p))
        return {
            "L": float(-c * np.sum(y * np.log(yh) + (1 - y) * np.log(1 - yh))),
            "dyhat": -c * (y / yh - (1 - y) / (1 - yh)),
            "dxi": -c * (y - yh),  # the seed's result: ∂L/∂ξᵢ = −(1/n)(yᵢ − ŷᵢ)
        }

    def carry_from(self, p: dict) -> dict[str, tuple[str, ...]]:
        """∂L/∂ξᵢ = ∂L/∂ŷᵢ · σ′(ξᵢ), with σ′ = ŷᵢ(1 − ŷᵢ) from the given outputs."""
        return {"dxi": ("dyhat",)}

    def carry(self, p: dict, given: dict) -> dict:
        """The chain rule through the sigmoid, applied to the student's ∂L/∂ŷ."""
        import numpy as np

        if "dyhat" not in given:
            return {}
        yh = np.array([float(v) for v in p["yhat"]])
        return {"dxi": np.array(given["dyhat"], dtype=float) * yh * (1 - yh)}

    def solution(self, p: dict, key: dict) -> dict:
        import math

        y, yh, c = p["y"], [exact(v) for v in p["yhat"]], self._c(p)
        n = len(y)
        ct = scale_text(c)
        conv = ("Convention: mean over the n = {n} examples, L = −(1/n) Σᵢ [yᵢ ln ŷᵢ + (1 − yᵢ) ln(1 − ŷᵢ)] "
                "(ECE 417)." if p["convention"] == "mean" else
                "Convention: sum over the examples, L = −Σᵢ [yᵢ ln ŷᵢ + (1 − yᵢ) ln(1 − ŷᵢ)].").format(n=n)
        steps_l, terms, closed = [], [], []
        for i, (yi, pi) in enumerate(zip(y, yh), 1):
            arg = pi if yi == 1 else 1 - pi
            which = f"ln ŷ{sub(i)}" if yi == 1 else f"ln(1 − ŷ{sub(i)}) = ln(1 − {num(pi)})"
            steps_l.append(f"i = {i}: y{sub(i)} = {yi}, so the term is {which} = ln {num(arg)} ≈ {num(math.log(arg))}")
            terms.append(math.log(arg))
            closed.append(f"ln({q(arg)})")
        steps_l += total_steps(terms, closed, c, key["L"])
        dy, dxi = [], []
        dy.append(f"∂L/∂ŷᵢ = −{ct}(yᵢ/ŷᵢ − (1 − yᵢ)/(1 − ŷᵢ))")
        dxi.append(f"With ŷᵢ = σ(ξᵢ), ∂ŷᵢ/∂ξᵢ = ŷᵢ(1 − ŷᵢ), so ∂L/∂ξᵢ = ∂L/∂ŷᵢ · ŷᵢ(1 − ŷᵢ) = −{ct}(yᵢ − ŷᵢ)")
        for i, (yi, pi) in enumerate(zip(y, yh), 1):
            g = key["dyhat"][i - 1]
            if yi == 1:
                dy.append(f"i = {i}: y{sub(i)} = 1: −{ct}(1/{num(pi)}) = {num(g)}")
            else:
                dy.append(f"i = {i}: y{sub(i)} = 0: −{ct}(−1/(1 − {num(pi)})) = {num(g)}")
            dxi.append(f"i = {i}: −{ct}({yi} − {num(pi)}) = {num(key['dxi'][i - 1])}")
        return {"_": [conv], "L": steps_l, "dyhat": dy, "dxi": dxi}

    def mistakes(self, p: dict) -> dict:
        import numpy as np

        y, yh, c = np.array(p["y"], float), np.array([float(v) for v in p["yhat"]]), float(self._c(p))
        n = len(y)
        loss = float(-c * np.sum(y * np.log(yh) + (1 - y) * np.log(1 - yh)))
        dy = -c * (y / yh - (1 - y) / (1 - yh))
        dxi = -c * (y - yh)
        out = {
            "one-term-only": {"L": float(-c * np.sum(y * np.log(yh))), "dyhat": -c * y / yh,
                              "dxi": -c * y * (1 - yh)},
            "log10": {"L": float(-c * np.sum(y * np.log10(yh) + (1 - y) * np.log10(1 - yh)))},
            "chain-rule-skipped": {"dxi": dy},
            "sigmoid-derivative-twice": {"dxi": dxi * yh * (1 - yh)},
            "sign-flipped": {"L": -loss, "dyhat": -dy, "dxi": -dxi},
        }
        out.update(averaging_mistake(p["convention"] == "mean", n, {"L": loss, "dyhat": dy, "dxi": dxi}))
        return out


# ----------------------------------------------------------------------------
# Cross-entropy with one-hot targets.
# ----------------------------------------------------------------------------
def _is_one_hot(row) -> bool:
    return all(v in (0, 1) for v in row) and sum(row) == 1


class CE(_LossBase):
    """``loss.ce``: L_CE = −(1/n) Σᵢ Σₖ yₖᵢ ln ŷₖᵢ; ∂L/∂ŷ; ∂L/∂ξ = (1/n)(ŷ − y) for a softmax output."""

    def draw(self, p: dict, rng, fixed) -> dict:
        p = dict(p)
        if "y" in fixed:
            n, k = shape_of(p["y"])
        elif "yhat" in fixed:
            n, k = shape_of(p["yhat"])
        else:
            n, k = p["n"], p["K"]
        if "yhat" not in fixed:
            rows = []
            for _ in range(n):
                row = list(rng.choice(CE_ROWS[k])) if k in CE_ROWS else [Fraction(1, k)] * k
                rng.shuffle(row)
                rows.append(row)
            p["yhat"] = rows
        if "y" not in fixed:
            p["y"] = [[1 if j == c else 0 for j in range(k)] for c in (rng.randrange(k) for _ in range(n))]
        p["n"], p["K"] = n, k
        return p

    def check(self, p: dict) -> None:
        y, yh = p["y"], p["yhat"]
        if shape_of(y) != shape_of(yh):
            raise ParamError(f"y is {dims(shape_of(y))} but yhat is {dims(shape_of(yh))}: "
                             f"both hold one row per example and one column per class")
        if len(y[0]) < 2:
            raise ParamError("cross-entropy needs at least K = 2 classes (columns)")
        for i, row in enumerate(y, 1):
            if not _is_one_hot(row):
                raise ParamError(f"row {i} of y is [{', '.join(num(v) for v in row)}], which is not one-hot "
                                 f"(exactly one 1, the rest 0)")
        for i, row in enumerate(yh, 1):
            for k, v in enumerate(row, 1):
                if not 0 < v < 1:
                    raise ParamError(f"yhat[{i},{k}] = {num(v)} is not a probability in (0, 1): "
                                     f"CE takes ln ŷ")
            total = sum(exact(v) for v in row)
            if abs(float(total) - 1) > 1e-9:
                raise ParamError(f"row {i} of yhat sums to {num(total)}, not 1: ŷ must be a softmax output")

    def derive(self, p: dict) -> dict:
        import math

        used = []
        for yrow, prow in zip(p["y"], p["yhat"]):
            a = exact(prow[yrow.index(1)])
            if a not in used:
                used.append(a)
        avg = "L = −(1/n) Σᵢ Σₖ" if p["convention"] == "mean" else "L = −Σᵢ Σₖ"
        return {"n_examples": len(p["y"]), "K_classes": len(p["y"][0]), "loss_text": f"{avg} yₖᵢ ln ŷₖᵢ",
                "lns": ", ".join(f"ln {num(a)} ≈ {num(math.log(a))}" for a in used),
                "avg_text": ("averaged over the n examples (ECE 417, CS231n: 1/n)" if p["convention"] == "mean"
                             else "summed over the n examples (no 1/n)")}

    def exact(self, p: dict) -> dict:
        import sympy

        n, k = shape_of(p["y"])
        c = R(self._c(p))
        Y, P, ps, at = _yhat_symbols(p, positive=True)
        xs = sympy.Matrix(n, k, lambda i, j: sympy.Symbol(f"xi_{i + 1}_{j + 1}", real=True))
        loss = -c * sum(Y[i, j] * sympy.log(ps[i, j]) for i in range(n) for j in range(k))
        # ŷ = softmax(ξ) row by row; ξ = ln ŷ is one pre-activation that produces this ŷ.
        soft = {ps[i, j]: sympy.exp(xs[i, j]) / sum(sympy.exp(xs[i, m]) for m in range(k))
                for i in range(n) for j in range(k)}
        loss_xi = loss.subs(soft)
        at_xi = {xs[i, j]: sympy.log(P[i, j]) for i in range(n) for j in range(k)}
        return {
            "L": loss.subs(at),
            "dyhat": sympy.Matrix(n, k, lambda i, j: sympy.diff(loss, ps[i, j]).subs(at)),
            "dxi": sympy.Matrix(n, k, lambda i, j: sympy.nsimplify(sympy.simplify(
                sympy.diff(loss_xi, xs[i, j]).subs(at_xi)))),
        }

    def numeric(self, p: dict) -> dict:
        import numpy as np

        Y, P, c = np.array(p["y"], float), np.array(as_float_rows(p["yhat"])), float(self._c(p))
        return {"L": float(-c * np.sum(Y * np.log(P))), "dyhat": -c * Y / P, "dxi": c * (P - Y)}

    def carry_from(self, p: dict) -> dict[str, tuple[str, ...]]:
        """∂L/∂ξ is ∂L/∂ŷ through the softmax's Jacobian diag(ŷ) − ŷŷᵀ, row by row."""
        return {"dxi": ("dyhat",)}

    def carry(self, p: dict, given: dict) -> dict:
        """Each row of the student's ∂L/∂ŷ times the softmax Jacobian of the given ŷ."""
        import numpy as np

        if "dyhat" not in given:
            return {}
        P = np.array(as_float_rows(p["yhat"]))
        D = np.array(given["dyhat"], dtype=float)
        return {"dxi": np.array([(np.diag(a) - np.outer(a, a)) @ d for a, d in zip(P, D)])}

    def solution(self, p: dict, key: dict) -> dict:
        import math

        c = self._c(p)
        ct = scale_text(c)
        n = len(p["y"])
        conv = (f"Convention: mean over the n = {n} examples, L = −(1/n) Σᵢ Σₖ yₖᵢ ln ŷₖᵢ (ECE 417; CS231n's "
                f"L = (1/N) Σᵢ Lᵢ)." if p["convention"] == "mean" else
                "Convention: sum over the examples, L = −Σᵢ Σₖ yₖᵢ ln ŷₖᵢ.")
        steps, terms, closed = ["y is one-hot, so only the correct class k*ᵢ of each example counts: "
                                "L = −" + ct + "Σᵢ ln ŷ_{k*ᵢ,i}"], [], []
        for i, (yrow, prow) in enumerate(zip(p["y"], p["yhat"]), 1):
            k = yrow.index(1) + 1
            a = exact(prow[k - 1])
            steps.append(f"example {i}: correct class k* = {k}, ŷ = {num(a)}, ln {num(a)} ≈ {num(math.log(a))}")
            terms.append(math.log(a))
            closed.append(f"ln({q(a)})")
        steps += total_steps(terms, closed, c, key["L"])
        dy = [f"∂L/∂ŷₖᵢ = −{ct}yₖᵢ/ŷₖᵢ: zero except at each example's correct class"]
        dxi = [f"With ŷ = softmax(ξ), the softmax Jacobian and the one-hot y give ∂L/∂ξ = {ct}(ŷ − y)"]
        for i, (yrow, prow) in enumerate(zip(p["y"], p["yhat"]), 1):
            k = yrow.index(1) + 1
            dy.append(f"example {i}: ∂L/∂ŷ_{k},{i} = −{ct}1/{num(prow[k - 1])} = {num(key['dyhat'][i - 1, k - 1])}")
            diff = [exact(v) - yv for v, yv in zip(prow, yrow)]
            dxi.append(f"example {i}: ŷ − y = {num(diff)}" + ("" if c == 1 else
                       f", times {q(c)}: {num([key['dxi'][i - 1, j] for j in range(len(prow))])}"))
        return {"_": [conv], "L": steps, "dyhat": dy, "dxi": dxi}

    def mistakes(self, p: dict) -> dict:
        import numpy as np

        Y, P, c = np.array(p["y"], float), np.array(as_float_rows(p["yhat"])), float(self._c(p))
        n = len(Y)
        loss = float(-c * np.sum(Y * np.log(P)))
        dy, dxi = -c * Y / P, c * (P - Y)
        out = {
            "all-classes-summed": {"L": float(-c * np.sum(np.log(P)))},
            "bce-per-output": {"L": float(-c * np.sum(Y * np.log(P) + (1 - Y) * np.log(1 - P))),
                               "dyhat": -c * (Y / P - (1 - Y) / (1 - P))},
            "log10": {"L": float(-c * np.sum(Y * np.log10(P)))},
            "y-not-subtracted": {"dxi": c * P},
            "chain-rule-skipped": {"dxi": dy},
            "sign-flipped": {"L": -loss, "dyhat": -dy, "dxi": -dxi},
        }
        out.update(averaging_mistake(p["convention"] == "mean", n, {"L": loss, "dyhat": dy, "dxi": dxi}))
        return out


# ----------------------------------------------------------------------------
# Mean squared error.
# ----------------------------------------------------------------------------
MSE_CONVENTIONS = {
    # name: (factor as a function of n, formula text, where it comes from)
    "half-mean": (lambda n: Fraction(1, 2 * n), "L = 1/(2n) Σᵢ ‖yᵢ − ŷᵢ‖²", "ECE 417"),
    "mean": (lambda n: Fraction(1, n), "L = (1/n) Σᵢ ‖yᵢ − ŷᵢ‖²", "16-785's J(θ) = ¼ Σ over the 4 XOR examples"),
    "half-sum": (lambda n: Fraction(1, 2), "L = ½ Σᵢ ‖yᵢ − ŷᵢ‖²", "ECE 417's RNN/LSTM loss ½ Σ (h − y)²"),
}


class MSE(_LossBase):
    """``loss.mse``: L and ∂L/∂ŷ = 2c(ŷ − y) for L = c Σᵢ ‖yᵢ − ŷᵢ‖² (c = 1/(2n), 1/n or ½)."""

    def _c(self, p: dict) -> Fraction:
        return MSE_CONVENTIONS[p["convention"]][0](len(p["y"]))

    def draw(self, p: dict, rng, fixed) -> dict:
        p = dict(p)
        # A prediction is the target plus a small error, so (y − ŷ)² stays a small square.
        errs = [Fraction(-2), Fraction(-1), Fraction(-1, 2), Fraction(0), Fraction(1, 2), Fraction(1), Fraction(2)]
        if "yhat" not in fixed:
            p["yhat"] = [[exact(v) + rng.choice(errs) for v in row] for row in p["y"]]
        elif "y" not in fixed:
            p["y"] = [[exact(v) - rng.choice(errs) for v in row] for row in p["yhat"]]
        n, k = shape_of(p["y"])
        p["n"], p["K"] = n, k
        return p

    def check(self, p: dict) -> None:
        if shape_of(p["y"]) != shape_of(p["yhat"]):
            raise ParamError(f"y is {dims(shape_of(p['y']))} but yhat is {dims(shape_of(p['yhat']))}: both hold "
                             f"one row per example")

    def derive(self, p: dict) -> dict:
        _, text, src = MSE_CONVENTIONS[p["convention"]]
        return {"n_examples": len(p["y"]), "loss_text": f"{text} ({src})"}

    def exact(self, p: dict) -> dict:
        import sympy

        n, k = shape_of(p["y"])
        c = R(self._c(p))
        Y, _, ps, at = _yhat_symbols(p, real=True)
        loss = c * sum((Y[i, j] - ps[i, j]) ** 2 for i in range(n) for j in range(k))
        return {"L": loss.subs(at), "dyhat": sympy.Matrix(n, k, lambda i, j: sympy.diff(loss, ps[i, j]).subs(at))}

    def numeric(self, p: dict) -> dict:
        import numpy as np

        Y, P, c = np.array(as_float_rows(p["y"])), np.array(as_float_rows(p["yhat"])), float(self._c(p))
        return {"L": float(c * np.sum((Y - P) ** 2)), "dyhat": 2 * c * (P - Y)}

    def solution(self, p: dict, key: dict) -> dict:
        c = self._c(p)
        _, text, src = MSE_CONVENTIONS[p["convention"]]
        n = len(p["y"])
        steps = ["Squared errors, example by example:"]
        total = Fraction(0)
        for i, (yr, pr) in enumerate(zip(p["y"], p["yhat"]), 1):
            sq = [(exact(a) - exact(b)) ** 2 for a, b in zip(yr, pr)]
            total += sum(sq)
            terms = " + ".join(f"({num(a)} − {paren(b)})²" for a, b in zip(yr, pr))
            steps.append(f"‖y{sub(i)} − ŷ{sub(i)}‖² = {terms} = {num(sum(sq))}")
        steps.append(f"L = {q(c)} · {num(total)} = {num(key['L'])}")
        two_c = 2 * c
        grad = [f"∂L/∂ŷₖᵢ = {q(c)} · 2(ŷₖᵢ − yₖᵢ) = {q(two_c)}·(ŷₖᵢ − yₖᵢ)"]
        for i, (yr, pr) in enumerate(zip(p["y"], p["yhat"]), 1):
            d = [exact(b) - exact(a) for a, b in zip(yr, pr)]
            grad.append(f"example {i}: ŷ − y = {num(d)} → {num([key['dyhat'][i - 1, j] for j in range(len(d))])}")
        return {"_": [f"Convention: {text} ({src}); n = {n}."], "L": steps, "dyhat": grad}

    def mistakes(self, p: dict) -> dict:
        import numpy as np

        Y, P, c = np.array(as_float_rows(p["y"])), np.array(as_float_rows(p["yhat"])), float(self._c(p))
        n = len(Y)
        loss, dy = float(c * np.sum((Y - P) ** 2)), 2 * c * (P - Y)
        conv = p["convention"]
        out = {"sign-flipped": {"dyhat": -dy}, "square-factor-dropped": {"dyhat": dy / 2}}
        if conv in ("half-mean", "half-sum"):
            out["half-dropped"] = {"L": loss * 2, "dyhat": dy * 2}
        else:
            out["half-added"] = {"L": loss / 2, "dyhat": dy / 2}
        out.update(averaging_mistake(conv in ("half-mean", "mean"), n, {"L": loss, "dyhat": dy}))
        # ‖·‖ instead of ‖·‖²: the root of each example's squared error.
        out["not-squared"] = {"L": float(c * np.sum(np.sqrt(np.sum((Y - P) ** 2, axis=1))))}
        return out


# ----------------------------------------------------------------------------
# Multiclass SVM (hinge) loss.
# ----------------------------------------------------------------------------
class Hinge(_LossBase):
    """``loss.hinge``: Lᵢ = Σ_{j≠yᵢ} max(0, s_j − s_{yᵢ} + Δ), L = (1/N) Σ Lᵢ, and ∂L/∂s."""

    def _n(self, p: dict) -> int:
        return len(p["s"])

    def draw(self, p: dict, rng, fixed) -> dict:
        p = dict(p)
        if "s" in fixed:
            n, c = shape_of(p["s"])
            if "y" not in fixed:
                p["y"] = [rng.randint(1, c) for _ in range(n)]
        else:
            n = len(p["y"]) if "y" in fixed else len(p["s"])
            c = max(len(p["s"][0]), max(p["y"]) if "y" in fixed else 0)
            if "y" in fixed or len(p["s"]) != n or len(p["s"][0]) != c:
                p["s"] = [[rng.randint(-3, 5) for _ in range(c)] for _ in range(n)]
            # Exam draws: make sure some margin is active (a loss of 0 everywhere teaches little).
            for i in range(n):
                yi = p["y"][i] - 1
                margins = [p["s"][i][j] - p["s"][i][yi] + exact(p["delta"]) for j in range(c) if j != yi]
                if all(m <= 0 for m in margins):
                    j = rng.choice([j for j in range(c) if j != yi])
                    p["s"][i][j] = p["s"][i][yi] + rng.choice([-1, 0, 1, 2])
        p["N"], p["C"] = shape_of(p["s"])
        return p

    def check(self, p: dict) -> None:
        s, y = p["s"], p["y"]
        n, c = shape_of(s)
        if len(y) != n:
            raise ParamError(f"s has {n} row{'s' if n != 1 else ''} (examples) but y has {len(y)} labels")
        if c < 2:
            raise ParamError("the hinge loss needs at least C = 2 classes (columns of s)")
        for i, v in enumerate(y, 1):
            if not 1 <= v <= c:
                raise ParamError(f"y{sub(i)} = {v} is not a class: classes are numbered 1 to C = {c}")

    def derive(self, p: dict) -> dict:
        return {"avg_text": ("L = (1/N) Σᵢ Lᵢ (CS231n)" if p["convention"] == "mean" else "L = Σᵢ Lᵢ (summed)"),
                "N_examples": len(p["s"]), "C_classes": len(p["s"][0])}

    def exact(self, p: dict) -> dict:
        import sympy

        n, c = shape_of(p["s"])
        S = sympy.Matrix(n, c, lambda i, j: sympy.Symbol(f"s_{i + 1}_{j + 1}", real=True))
        delta, k = R(p["delta"]), R(self._c(p))
        li = [sum(sympy.Max(0, S[i, j] - S[i, p["y"][i] - 1] + delta) for j in range(c) if j != p["y"][i] - 1)
              for i in range(n)]
        loss = k * sum(li)
        at = {S[i, j]: R(p["s"][i][j]) for i in range(n) for j in range(c)}

        def grad(i, j):
            # d/dx max(0, x) is the Heaviside step; at exactly 0 CS231n counts the margin as inactive.
            g = sympy.diff(loss, S[i, j]).replace(sympy.Heaviside, lambda a, *rest: sympy.Heaviside(a, 0))
            return g.subs(at)

        return {"Li": sympy.Matrix([v.subs(at) for v in li]), "L": loss.subs(at),
                "ds": sympy.Matrix(n, c, grad)}

    def numeric(self, p: dict) -> dict:
        import numpy as np

        s = np.array(as_float_rows(p["s"]))
        y = np.array(p["y"]) - 1
        n = len(s)
        rows = np.arange(n)
        margins = np.maximum(0.0, s - s[rows, y][:, None] + float(p["delta"]))
        margins[rows, y] = 0.0
        li = margins.sum(axis=1)
        k = float(self._c(p))
        active = (margins > 0).astype(float)
        ds = active.copy()
        ds[rows, y] = -active.sum(axis=1)
        return {"Li": li, "L": float(k * li.sum()), "ds": k * ds}

    def carry_from(self, p: dict) -> dict[str, tuple[str, ...]]:
        """L is the (averaged) sum of the per-example losses."""
        return {"L": ("Li",)}

    def carry(self, p: dict, given: dict) -> dict:
        """L from the student's Lᵢ."""
        if "Li" not in given:
            return {}
        return {"L": float(self._c(p)) * sum(float(v) for v in given["Li"])}

    def solution(self, p: dict, key: dict) -> dict:
        n, c = shape_of(p["s"])
        delta = exact(p["delta"])
        k = self._c(p)
        li_steps, ds_steps = [], [
            "∂Lᵢ/∂s_j = 1 for every j ≠ yᵢ with a positive margin; ∂Lᵢ/∂s_{yᵢ} = −(number of positive margins)."]
        for i in range(n):
            yi = p["y"][i] - 1
            sy = exact(p["s"][i][yi])
            terms, count = [], 0
            for j in range(c):
                if j == yi:
                    continue
                m = exact(p["s"][i][j]) - sy + delta
                terms.append(f"max(0, {num(p['s'][i][j])} − {paren(sy)} + {num(delta)}) = {num(max(m, 0))}"
                             + (" (margin exactly 0: inactive)" if m == 0 else ""))
                count += m > 0
            li_steps.append(f"example {i + 1} (y = {yi + 1}, s_y = {num(sy)}): " + "; ".join(terms)
                            + f" → L{sub(i + 1)} = {num(key['Li'][i])}")
            ds_steps.append(f"example {i + 1}: {count} positive margin{'s' if count != 1 else ''}, so "
                            f"∂L/∂s_y = −{count}{'' if k == 1 else '·' + q(k)}; "
                            f"row {num([key['ds'][i, j] for j in range(c)])}")
        if n == 1:
            l_steps = [f"L = L₁ = {num(key['L'])}"]
        else:
            l_steps = [f"L = {'(1/' + str(n) + ')·' if p['convention'] == 'mean' else ''}"
                       f"({' + '.join(num(v) for v in key['Li'])}) = {num(key['L'])}"]
        if p["convention"] == "mean" and n > 1:
            ds_steps.append(f"Every row is scaled by 1/N = 1/{n} because L averages the Lᵢ.")
        return {"_": [f"Margin Δ = {num(delta)}; the sum skips j = yᵢ; a margin of exactly 0 contributes 0 to the "
                      f"loss and 0 to the gradient."],
                "Li": li_steps, "L": li_steps + l_steps, "ds": ds_steps}

    def mistakes(self, p: dict) -> dict:
        import numpy as np

        s = np.array(as_float_rows(p["s"]))
        y = np.array(p["y"]) - 1
        n, c = s.shape
        rows = np.arange(n)
        delta, k = float(p["delta"]), float(self._c(p))
        raw = s - s[rows, y][:, None] + delta
        other = np.ones_like(s, dtype=bool)
        other[rows, y] = False

        def key(margins, active):
            li = np.where(other, np.maximum(0.0, margins), 0.0).sum(axis=1)
            ds = np.where(other, active, 0.0)
            ds[rows, y] = -ds.sum(axis=1)
            return li, ds

        li, ds = key(raw, (raw > 0) & other)
        minus_one = ds.copy()
        # −1 whenever some margin is active, whatever their number.
        minus_one[rows, y] = -(ds[rows, y] < 0).astype(float)
        out = {
            "correct-class-included": {"Li": li + delta, "L": float(k * (li.sum() + n * delta))},
            "tie-counted": {"ds": k * key(raw, (raw >= 0) & other)[1]},
            "margin-forgotten": {"Li": key(raw - delta, 0)[0], "L": float(k * key(raw - delta, 0)[0].sum()),
                                 "ds": k * key(raw - delta, (raw - delta > 0) & other)[1]},
            "correct-class-minus-one": {"ds": k * minus_one},
            "correct-class-gradient-missing": {"ds": k * np.where(other, ds, 0.0)},
            "sign-flipped": {"ds": -k * ds},
        }
        if p["convention"] == "mean":
            out["dropped-1-over-n"] = {"L": float(li.sum()), "ds": ds}
        else:
            out["divided-by-n"] = {"L": float(li.sum() / n), "ds": ds / n}
        return out


# ----------------------------------------------------------------------------
# L1 / L2 regularization.
# ----------------------------------------------------------------------------
class Regularization(Solver):
    """``loss.regularization``: R(W), λR(W) and ∂(λR)/∂W for L1 and L2 (CS231n R = ΣW², 16-785 Ω = ½‖w‖²)."""

    def _half(self, p: dict) -> bool:
        return p["norm"] == "L2" and p["convention"] == "16-785"

    def derive(self, p: dict) -> dict:
        if p["norm"] == "L1":
            text = "R(W) = Σᵢⱼ |Wᵢⱼ| (L1; CS231n and 16-785 agree)"
        elif self._half(p):
            text = "Ω(W) = ½‖W‖² = ½ Σᵢⱼ Wᵢⱼ² (16-785's L2 weight decay)"
        else:
            text = "R(W) = Σᵢⱼ Wᵢⱼ² (CS231n's L2 regularization, no ½)"
        return {"reg_text": text, "R_name": "Ω(W)" if self._half(p) else "R(W)"}

    def _forward(self, w, p):
        import sympy

        if p["norm"] == "L1":
            return sympy.Abs(w)
        return w ** 2 / 2 if self._half(p) else w ** 2

    def exact(self, p: dict) -> dict:
        import sympy

        rows, cols = shape_of(p["W"])
        W = sympy.Matrix(rows, cols, lambda i, j: sympy.Symbol(f"W_{i + 1}_{j + 1}", real=True))
        lam = R(p["lambda"])
        reg = sum(self._forward(W[i, j], p) for i in range(rows) for j in range(cols))
        at = {W[i, j]: R(p["W"][i][j]) for i in range(rows) for j in range(cols)}
        # SymPy's d|w|/dw is sign(w), and sign(0) = 0: the subgradient the prompt states at w = 0.
        return {"R": reg.subs(at), "penalty": (lam * reg).subs(at),
                "dW": sympy.Matrix(rows, cols, lambda i, j: sympy.diff(lam * reg, W[i, j]).subs(at))}

    def numeric(self, p: dict) -> dict:
        import numpy as np

        W, lam = np.array(as_float_rows(p["W"])), float(p["lambda"])
        if p["norm"] == "L1":
            reg, grad = np.abs(W).sum(), np.sign(W)
        elif self._half(p):
            reg, grad = 0.5 * (W ** 2).sum(), W
        else:
            reg, grad = (W ** 2).sum(), 2 * W
        return {"R": float(reg), "penalty": float(lam * reg), "dW": lam * grad}

    def carry_from(self, p: dict) -> dict[str, tuple[str, ...]]:
        """The penalty is λ times the regularizer."""
        return {"penalty": ("R",)}

    def carry(self, p: dict, given: dict) -> dict:
        """λ·R from the student's R."""
        return {"penalty": float(p["lambda"]) * float(given["R"])} if "R" in given else {}

    def solution(self, p: dict, key: dict) -> dict:
        flat = [x for row in p["W"] for x in row]
        lam = p["lambda"]
        name = self.derive(p)["R_name"]
        if p["norm"] == "L1":
            r = [f"{name} = Σ|Wᵢⱼ| = " + " + ".join(num(abs(exact(x))) for x in flat) + f" = {num(key['R'])}"]
            g = ["∂|w|/∂w = sign(w) (and 0 at w = 0), so ∂(λR)/∂W = λ·sign(W)",
                 f"sign(W) = {num([[int((x > 0) - (x < 0)) for x in row] for row in p['W']])}; "
                 f"times λ = {num(lam)}: {num(key['dW'].tolist())}"]
        else:
            half = self._half(p)
            sq = " + ".join(num(exact(x) ** 2) for x in flat)
            r = [f"{name} = {'½·' if half else ''}ΣWᵢⱼ² = {'½·(' if half else ''}{sq}{')' if half else ''} "
                 f"= {num(key['R'])}"]
            g = ([f"∂(λ·½w²)/∂w = λw: the ½ cancels the 2, so ∂(λΩ)/∂W = λW = {num(lam)}·W"] if half else
                 [f"∂(λw²)/∂w = 2λw, so ∂(λR)/∂W = 2λW = {num(2 * exact(lam))}·W"])
            g.append(f"= {num(key['dW'].tolist())}")
        return {"_": [self.derive(p)["reg_text"]], "R": r,
                "penalty": r + [f"λ·{name} = {num(lam)} · {num(key['R'])} = {num(key['penalty'])}"], "dW": g}

    def mistakes(self, p: dict) -> dict:
        import numpy as np

        W, lam = np.array(as_float_rows(p["W"])), float(p["lambda"])
        sq, ab = float((W ** 2).sum()), float(np.abs(W).sum())
        out: dict = {"sign-flipped": {"dW": -self.numeric(p)["dW"]}}
        if p["norm"] == "L1":
            out["l1-gradient-2w"] = {"dW": 2 * lam * W}
            out["sign-of-zero"] = {"dW": lam * np.where(W >= 0, 1.0, -1.0)}
            out["wrong-norm"] = {"R": sq, "penalty": lam * sq}
            out["lambda-forgotten"] = {"penalty": ab, "dW": np.sign(W)}
        else:
            half = self._half(p)
            reg, grad = (0.5 * sq, W) if half else (sq, 2 * W)
            out["lambda-forgotten"] = {"penalty": reg, "dW": grad}
            if half:
                out["half-missing"] = {"R": sq, "penalty": lam * sq, "dW": 2 * lam * W}
            else:
                out["half-added"] = {"R": sq / 2, "penalty": lam * sq / 2, "dW": lam * W}
            out["norm-not-squared"] = {"R": float(np.sqrt(sq)) * (0.5 if half else 1),
                                       "penalty": lam * float(np.sqrt(sq)) * (0.5 if half else 1)}
            out["wrong-norm"] = {"R": ab, "penalty": lam * ab, "dW": lam * np.sign(W)}
        return out
