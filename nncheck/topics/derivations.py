"""Solvers of the derivation families (``problems/derivations.yaml``).

A derivation part's answer key is the result the derivation must reach, in the
symbols the part declares.  The two paths are independent, as for every family:

* ``exact`` differentiates (or rewrites) the *forward* expression with SymPy and
  checks that it equals the course notes' closed form before returning that form;
* ``numeric`` is a plain ``math`` callable ``f(env) -> float`` of the hand formula.

``solution`` is the course notes' own derivation written in the answer language, one step per
line, so ``nncheck solve ID`` shows a derivation that ``nncheck derive ID`` accepts.
"""

from __future__ import annotations

import math

from nncheck.lang.numeric import sigmoid
from nncheck.topics.base import Solver

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `nncheck show` imports this module
if TYPE_CHECKING:
    from typing import Any

PART = "derivation"


def _real(*names: str) -> list:
    import sympy

    return [sympy.Symbol(n, real=True) for n in names]


def _sympy() -> tuple[Any, Any]:
    """SymPy and the answer language's σ, imported when first needed (``nncheck show`` loads this module)."""
    import sympy

    from nncheck.lang.sympy_backend import sigma

    return sympy, sigma


def _must_vanish(expr: Any, what: str) -> None:
    """Refuse to return a closed form that the forward computation does not confirm."""
    sympy, sigma = _sympy()
    e = expr.replace(sigma, lambda u: 1 / (1 + sympy.exp(-u)))
    e = e.rewrite(sympy.exp) if e.has(sympy.tanh) else e
    if sympy.simplify(e) != 0:
        from nncheck.errors import AnswerKeyError

        raise AnswerKeyError(f"{what}: the closed form does not follow from the forward expression")


#: Each family's closed form once confirmed (:meth:`_OnePart.exact`); SymPy values are immutable.
_CONFIRMED: dict[type, Any] = {}


class _OnePart(Solver):
    """A family with one derivation part: its closed form, its hand formula, its steps, its wrong results.

    A family gives :meth:`closed_form` (SymPy, confirmed against the forward expression by
    :func:`_must_vanish`), :meth:`hand` (the hand formula in plain ``math``), ``steps`` (the
    course notes' derivation in the answer language, one step per line) and :meth:`wrong`
    (what each declared mistake gives); this class files them under the one part.
    """

    #: The course notes' derivation in the answer language, one step per line, as a student types it.
    steps = ""

    def closed_form(self) -> Any:
        raise NotImplementedError

    @staticmethod
    def hand(env: dict) -> float:
        raise NotImplementedError

    def wrong(self) -> dict[str, Any]:
        return {}

    def exact(self, p: dict) -> dict:
        # The closed form has no parameters: it is confirmed once a process, not once a key (the
        # confirmation, SymPy simplifying the forward expression's derivative, takes up to a second,
        # and a class has hundreds of these keys).  A refused form is not kept: it is refused again.
        form = _CONFIRMED.get(type(self))
        if form is None:
            form = _CONFIRMED[type(self)] = self.closed_form()
        return {PART: form}

    def numeric(self, p: dict) -> dict:
        return {PART: self.hand}

    def solution(self, p: dict, key: dict) -> dict:
        return {PART: [line.strip() for line in self.steps.strip().splitlines()]}

    def mistakes(self, p: dict) -> dict:
        return {mistake: {PART: value} for mistake, value in self.wrong().items()}


class SigmoidDerivative(_OnePart):
    """``derive.sigmoid-derivative``: d/dξ σ(ξ) = σ(ξ)(1 − σ(ξ)) = h(1 − h)."""

    steps = """
        d/dxi(sigma(xi)) = d/dxi(1/(1 + exp(-xi)))
        = exp(-xi)/(1 + exp(-xi))^2
        = (1/(1 + exp(-xi))) (exp(-xi)/(1 + exp(-xi)))
        = (1/(1 + exp(-xi))) (1 - 1/(1 + exp(-xi)))
        = sigma(xi)(1 - sigma(xi))
        = h(1 - h)
    """

    def closed_form(self) -> Any:
        sympy, sigma = _sympy()
        (xi,) = _real("xi")
        h = sympy.Symbol("h", positive=True)
        d = sympy.diff(sigma(xi), xi)  # σ knows σ′ = σ(1 − σ)
        _must_vanish(d - sympy.diff(1 / (1 + sympy.exp(-xi)), xi), "σ′")
        return sympy.expand(d.xreplace({sigma(xi): h}))

    @staticmethod
    def hand(env: dict) -> float:
        return env["h"] * (1.0 - env["h"])

    def wrong(self) -> dict[str, Any]:
        import sympy

        h = sympy.Symbol("h", positive=True)
        return {"lost-sign": -h * (1 - h), "missing-factor": 1 - h, "tanh-rule": 1 - h**2}


class TanhSigmoid(_OnePart):
    """``derive.tanh-sigmoid``: tanh ξ = 2σ(2ξ) − 1."""

    steps = """
        tanh(xi) = (exp(xi) - exp(-xi))/(exp(xi) + exp(-xi))
        = (1 - exp(-2 xi))/(1 + exp(-2 xi))
        = 2/(1 + exp(-2 xi)) - 1
        = 2 sigma(2 xi) - 1
    """

    def closed_form(self) -> Any:
        sympy, sigma = _sympy()
        (xi,) = _real("xi")
        target = 2 * sigma(2 * xi) - 1
        _must_vanish(sympy.tanh(xi) - target, "tanh = 2σ(2ξ) − 1")
        return target

    @staticmethod
    def hand(env: dict) -> float:
        return math.tanh(env["xi"])

    def wrong(self) -> dict[str, Any]:
        _, sigma = _sympy()
        (xi,) = _real("xi")
        return {"argument-not-scaled": 2 * sigma(xi) - 1, "shift-sign": 2 * sigma(2 * xi) + 1,
                "not-scaled": sigma(2 * xi) - 1}


class TanhDerivative(_OnePart):
    """``derive.tanh-derivative``: d tanh(ξ)/dξ = 1 − tanh²(ξ)."""

    steps = """
        d/dxi(tanh(xi)) = d/dxi(2 sigma(2 xi) - 1)
        = 2 * 2 sigma(2 xi)(1 - sigma(2 xi))
        = (2 sigma(2 xi))(2 - 2 sigma(2 xi))
        = (1 + tanh(xi))(1 - tanh(xi))
        = 1 - tanh(xi)^2
    """

    def closed_form(self) -> Any:
        import sympy

        (xi,) = _real("xi")
        return sympy.diff(sympy.tanh(xi), xi)

    @staticmethod
    def hand(env: dict) -> float:
        # The sigmoid route of the seed: d/dξ [2σ(2ξ) − 1] = 4σ(2ξ)(1 − σ(2ξ)).
        return 4.0 * sigmoid(2 * env["xi"]) * (1.0 - sigmoid(2 * env["xi"]))

    def wrong(self) -> dict[str, Any]:
        import sympy

        (xi,) = _real("xi")
        t = sympy.tanh(xi)
        return {"inner-factor-missing": (1 - t**2) / 2, "plus-square": 1 + t**2, "not-squared": 1 - t}


class BCEGradient(_OnePart):
    """``derive.bce-gradient``: ∂/∂ξ of −(1/n)(y ln ŷ + (1 − y) ln(1 − ŷ)) with ŷ = σ(ξ) is −(1/n)(y − ŷ)."""

    # The seed's second line reads "(1 − y)(1 − σ̇)/(1 − σ)": a typo, fixed here (σ̇, not 1 − σ̇).
    steps = """
        d/dxi(-(1/n)(y ln(yhat) + (1 - y) ln(1 - yhat)))
        = -(1/n)(y d/dxi(ln(sigma(xi))) + (1 - y) d/dxi(ln(1 - sigma(xi))))
        = -(1/n)(y d/dxi(sigma(xi))/sigma(xi) - (1 - y) d/dxi(sigma(xi))/(1 - sigma(xi)))
        = -(1/n)(y yhat(1 - yhat)/yhat - (1 - y) yhat(1 - yhat)/(1 - yhat))
        = -(1/n)(y (1 - yhat) - (1 - y) yhat)
        = -(1/n)(y - yhat)
    """

    def closed_form(self) -> Any:
        sympy, sigma = _sympy()
        xi, y = _real("xi", "y")
        n = sympy.Symbol("n", positive=True)
        yhat = sympy.Symbol("yhat", positive=True)
        s = sigma(xi)
        loss = -(y * sympy.log(s) + (1 - y) * sympy.log(1 - s)) / n
        d = sympy.diff(loss, xi)
        target = -(y - s) / n
        _must_vanish(d - target, "the BCE gradient")
        return target.xreplace({s: yhat})

    @staticmethod
    def hand(env: dict) -> float:
        return (env["yhat"] - env["y"]) / env["n"]

    def wrong(self) -> dict[str, Any]:
        import sympy

        (y,) = _real("y")
        n = sympy.Symbol("n", positive=True)
        yhat = sympy.Symbol("yhat", positive=True)
        return {"sign-flipped": (y - yhat) / n, "averaging-forgotten": -(y - yhat),
                "extra-sigma-prime": -(y - yhat) * yhat * (1 - yhat) / n}


_LSE = "ln(exp(z1) + exp(z2) + exp(z3))"  # ln Σ_k e^(z_k): ln ŷ_k = z_k − _LSE


class CESoftmaxGradient(_OnePart):
    """``derive.ce-softmax-gradient``: ∂/∂z₁ of −Σ y_k ln softmax_k(z) is ŷ₁ − y₁ when Σ y_k = 1."""

    steps = f"""
        d/dz1(-(y1 ln(yhat1) + y2 ln(yhat2) + y3 ln(yhat3)))
        = -(y1 d/dz1(ln(yhat1)) + y2 d/dz1(ln(yhat2)) + y3 d/dz1(ln(yhat3)))
        = -(y1 d/dz1(z1 - {_LSE}) + y2 d/dz1(z2 - {_LSE}) + y3 d/dz1(z3 - {_LSE}))
        = -(y1 (1 - yhat1) + y2 (0 - yhat1) + y3 (0 - yhat1))
        = -(y1 - yhat1 (y1 + y2 + y3))
        = -(y1 - yhat1)
        = yhat1 - y1
    """

    def closed_form(self) -> Any:
        import sympy

        z1, z2, z3, y1, y2, y3 = _real("z1", "z2", "z3", "y1", "y2", "y3")
        yhat1 = sympy.Symbol("yhat1", positive=True)
        den = sympy.exp(z1) + sympy.exp(z2) + sympy.exp(z3)
        s = [sympy.exp(z) / den for z in (z1, z2, z3)]
        loss = -(y1 * sympy.log(s[0]) + y2 * sympy.log(s[1]) + y3 * sympy.log(s[2]))
        d = sympy.diff(loss, z1).subs(y3, 1 - y1 - y2)  # one-hot: y1 + y2 + y3 = 1
        _must_vanish(d - (s[0] - y1), "the CE gradient")
        return yhat1 - y1

    @staticmethod
    def hand(env: dict) -> float:
        return env["yhat1"] - env["y1"]

    def wrong(self) -> dict[str, Any]:
        import sympy

        (y1,) = _real("y1")
        yhat1 = sympy.Symbol("yhat1", positive=True)
        return {"sign-flipped": y1 - yhat1, "assumed-class-one": yhat1 - 1, "derivative-in-yhat": -y1 / yhat1}


class SoftmaxTwoClass(_OnePart):
    """``derive.softmax-two-class``: e^(w₁h)/(e^(w₁h) + e^(w₂h)) = σ((w₁ − w₂)h)."""

    steps = """
        exp(w1 h)/(exp(w1 h) + exp(w2 h)) = 1/(1 + exp(w2 h)/exp(w1 h))
        = 1/(1 + exp(-(w1 - w2) h))
        = sigma((w1 - w2) h)
    """

    def closed_form(self) -> Any:
        sympy, sigma = _sympy()
        w1, w2, h = _real("w1", "w2", "h")
        softmax1 = sympy.exp(w1 * h) / (sympy.exp(w1 * h) + sympy.exp(w2 * h))
        target = sigma((w1 - w2) * h)
        _must_vanish(softmax1 - target, "two-class softmax = σ")
        return target

    @staticmethod
    def hand(env: dict) -> float:
        a, b = env["w1"] * env["h"], env["w2"] * env["h"]
        m = max(a, b)
        return math.exp(a - m) / (math.exp(a - m) + math.exp(b - m))

    def wrong(self) -> dict[str, Any]:
        _, sigma = _sympy()
        w1, w2, h = _real("w1", "w2", "h")
        return {"classes-swapped": sigma((w2 - w1) * h), "one-class-only": sigma(w1 * h)}


class ConvOutputSize(_OnePart):
    """``derive.conv-output-size``: (last − first)/S + 1 placements = (W₁ − F + 2P)/S + 1."""

    steps = """
        (last - first)/S + 1 = (Wp - F - 0)/S + 1
        = (W1 + 2P - F)/S + 1
        = (W1 - F + 2P)/S + 1
    """

    @staticmethod
    def _symbols() -> tuple:
        import sympy

        W1, F, S = (sympy.Symbol(n, positive=True) for n in ("W1", "F", "S"))
        return W1, F, S, sympy.Symbol("P", nonnegative=True)

    def closed_form(self) -> Any:
        import sympy

        W1, F, S, P = self._symbols()
        first = sympy.Integer(0)
        Wp = W1 + 2 * P  # P zeros on each side
        last = Wp - F  # the last offset at which the filter still fits
        count = (last - first) / S + 1  # offsets first, first + S, ..., last
        target = (W1 - F + 2 * P) / S + 1
        _must_vanish(count - target, "the conv output size")
        return target

    @staticmethod
    def hand(env: dict) -> float:
        return (env["W1"] - env["F"] + 2 * env["P"]) / env["S"] + 1

    def wrong(self) -> dict[str, Any]:
        W1, F, S, P = self._symbols()
        return {"padding-once": (W1 - F + P) / S + 1, "padding-forgotten": (W1 - F) / S + 1,
                "plus-one-forgotten": (W1 - F + 2 * P) / S}


class LSTMCellGradient(Solver):
    """``derive.lstm-dldc``: dL/dc[t] = dL/dh[t]·∂h[t]/∂c[t] + dL/dc[t+1]·f[t+1]."""

    _NAMES = ("dLdh_t", "dLdc_t1", "c_t", "o_t", "f_t1", "i_t1", "g_t1")
    template_vars = ("standard", "h_rule", "convention_name", "h_given")

    def derive(self, p: dict) -> dict:
        std = p.get("convention") == "standard"
        return {
            "standard": 1 if std else 0,
            "h_rule": "h[t] = o[t]tanh(c[t])" if std else "h[t] = o[t]c[t]",
            "convention_name": "the standard LSTM" if std else "the convention of the ECE 417 exam review",
            "h_given": "h_t = o_t*tanh(c_t)" if std else "h_t = o_t*c_t",
        }

    def _symbols(self):
        return _real(*self._NAMES)

    def exact(self, p: dict) -> dict:
        import sympy

        dLdh, dLdc1, c, o, f1, i1, g1 = self._symbols()
        c_next = f1 * c + i1 * g1  # g1 holds u_c h[t]: the partial derivative keeps it fixed
        out = {}
        for part, h in ((PART, o * c), ("derivation_std", o * sympy.tanh(c))):
            out[part] = sympy.expand(dLdh * sympy.diff(h, c) + dLdc1 * sympy.diff(c_next, c))
        return out

    def numeric(self, p: dict) -> dict:
        def ece(env):
            return env["dLdh_t"] * env["o_t"] + env["dLdc_t1"] * env["f_t1"]

        def std(env):
            return env["dLdh_t"] * env["o_t"] * (1.0 - math.tanh(env["c_t"]) ** 2) + env["dLdc_t1"] * env["f_t1"]

        return {PART: ece, "derivation_std": std}

    def solution(self, p: dict, key: dict) -> dict:
        return {
            PART: [
                "dLdc_t = dLdh_t d/dc_t(h_t) + dLdc_t1 d/dc_t(c_t1)",
                "= dLdh_t d/dc_t(o_t c_t) + dLdc_t1 d/dc_t(f_t1 c_t + i_t1 g_t1)",
                "= dLdh_t o_t + dLdc_t1 f_t1",
            ],
            "derivation_std": [
                "dLdc_t = dLdh_t d/dc_t(h_t) + dLdc_t1 d/dc_t(c_t1)",
                "= dLdh_t d/dc_t(o_t tanh(c_t)) + dLdc_t1 d/dc_t(f_t1 c_t + i_t1 g_t1)",
                "= dLdh_t o_t (1 - tanh(c_t)^2) + dLdc_t1 f_t1",
            ],
        }

    def mistakes(self, p: dict) -> dict:
        import sympy

        dLdh, dLdc1, c, o, f1, *_ = self._symbols()
        dh = {PART: o, "derivation_std": o * (1 - sympy.tanh(c) ** 2)}
        return {
            "forget-gate-dropped": {k: dLdh * v + dLdc1 for k, v in dh.items()},
            "future-path-dropped": {k: dLdh * v for k, v in dh.items()},
            "output-gate-dropped": {k: dLdh + dLdc1 * f1 for k in dh},
        }


class BackpropVector(_OnePart):
    """``derive.backprop-vector``: ∇_{W⁽¹⁾}L = (σ̇(ξ⁽¹⁾) ⊙ W⁽²⁾ᵀ δ⁽²⁾) xᵀ, the vector chain rule.

    The key is answer-language text in the part's named vectors and matrices (a matrix answer,
    ``nncheck.kinds.matrix_expression``); ``exact`` confirms it against the forward computation
    differentiated entry by entry, ``numeric`` is NumPy's backward pass.
    """

    steps = """
        d/dW1(L) = d/dxi1(L) x'
        = (d/dh(L) odot sigma'(xi1)) x'
        = (W2' d/dxi2(L) odot sigma'(xi1)) x'
        = (W2' delta2 odot sigma'(xi1)) x'
        = (sigma'(xi1) odot W2' delta2) x'
    """
    KEY = "(sigma'(xi1) ⊙ W2' delta2) x'"
    #: Sizes at which the closed form is confirmed: distinct, so that no transposition hides.
    SIZES = ({"K": 2, "N": 3, "D": 4}, {"K": 3, "N": 2, "D": 5})

    def closed_form(self) -> Any:
        import sympy

        from nncheck.lang.matrices import explicit
        from nncheck.lang.sympy_backend import sigma
        from nncheck.lang.syntax import parse

        for size in self.SIZES:
            K, N, D = size["K"], size["N"], size["D"]
            W1 = sympy.Matrix(N, D, lambda i, j: sympy.Symbol(f"W1_{i}{j}", real=True))
            W2 = sympy.Matrix(K, N, lambda i, j: sympy.Symbol(f"W2_{i}{j}", real=True))
            x = sympy.Matrix(D, 1, lambda i, _: sympy.Symbol(f"x_{i}", real=True))
            b1 = sympy.Matrix(N, 1, lambda i, _: sympy.Symbol(f"b1_{i}", real=True))
            b2 = sympy.Matrix(K, 1, lambda i, _: sympy.Symbol(f"b2_{i}", real=True))
            g = sympy.Matrix(K, 1, lambda i, _: sympy.Symbol(f"g_{i}", real=True))  # δ⁽²⁾ = ∇_{ξ⁽²⁾}L
            xi1 = W1 * x + b1
            xi2 = W2 * xi1.applyfunc(sigma) + b2
            # L depends on W⁽¹⁾ only through ξ⁽²⁾: ∂L/∂W⁽¹⁾ᵢⱼ = Σₖ δ⁽²⁾ₖ ∂ξ⁽²⁾ₖ/∂W⁽¹⁾ᵢⱼ (the scalar chain rule).
            forward = sum((g[k] * xi2[k] for k in range(K)), sympy.Integer(0))
            grad = [sympy.diff(forward, w) for w in W1]  # row by row, as the closed form's entries
            env = {"W2": sympy.ImmutableMatrix(W2), "delta2": sympy.ImmutableMatrix(g),
                   "xi1": sympy.ImmutableMatrix(xi1), "x": sympy.ImmutableMatrix(x)}
            closed = explicit(parse(self.KEY, symbols=None, matrix=True), env, self.KEY)
            for a, b in zip(grad, closed):
                _must_vanish(a - b, "∇_{W⁽¹⁾}L in vector form")
        return self.KEY

    @staticmethod
    def hand(env: dict) -> Any:
        import numpy as np

        s = 1.0 / (1.0 + np.exp(-np.asarray(env["xi1"], dtype=float)))
        delta1 = s * (1.0 - s) * (np.asarray(env["W2"]).T @ np.asarray(env["delta2"]))  # ∇_{ξ⁽¹⁾}L
        return np.outer(delta1, env["x"])

    def wrong(self) -> dict[str, Any]:
        return {"transposed": "x (sigma'(xi1) ⊙ W2' delta2)'", "sigma-dot-forgotten": "(W2' delta2) x'",
                "sigma-for-dsigma": "(sigma(xi1) ⊙ W2' delta2) x'"}
