"""The kit of the feed-forward networks: ``backprop.two-layer`` (:mod:`twolayer`) and ``backprop.mlp`` (:mod:`mlp`).

What the two solvers share:

* the loss of one example in SymPy, a term whose coefficient is 0 left out (0·ln 0 = 0), and 1 − ŷ
  written as the forward pass's own complement (σ(−ξ), the sum of the other softmax entries): the
  same J, but a saturated output keeps its digits when the exact key is evaluated;
* derivatives taken once per network shape: symbols for every number, :func:`substitute` puts them in;
* weight decay (CMU 16-785 Deep Learning Basics: J = L + λΩ, Ω = ½‖w‖², the weights only unless
  ``omega=all``), differentiated by SymPy and added by hand in NumPy;
* NumPy: σ, σ̇, tanh′, 1 − ŷ, ln ŷ and ln(1 − ŷ) in forms that lose no digits where a unit saturates
  (σ(18) is 1 − 1.5e−8: 1 − σ(18) computed as a difference keeps half of float64's digits, σ(−18) all);
* text: values as the worked solutions print them, the σ/tanh/exp table of a prompt.

No NumPy or SymPy at import time: ``nncheck show`` derives the prompt.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

from nncheck.topics.activations import sig4, sigma_py
from nncheck.topics.base import num

MATCHED = {"sigmoid": "bce", "softmax": "ce", "linear": "mse"}
OUTPUT_FOR = {"bce": "sigmoid", "ce": "softmax", "mse": "linear"}


class NetKind:
    """What both networks' ``Net`` read from their parameters' names: the output, loss and Ω."""

    output: str
    loss: str
    omega: str

    @property
    def matched(self) -> bool:
        """sigmoid + BCE, softmax + CE, linear + MSE: ∇ξ⁽ᴸ⁾L = (ŷ − y)/n."""
        return MATCHED[self.output] == self.loss

    @property
    def decay_biases(self) -> bool:
        return self.omega == "all"


def draw_targets(rng, loss: str, output: str, n: int, K: int) -> list:
    """Random exam targets: one-hot rows for CE (or a softmax), small integers for linear + MSE, else 0/1."""
    if loss == "ce" or (output == "softmax" and K > 1):
        return [[1 if k == j else 0 for k in range(K)] for j in (rng.randrange(K) for _ in range(n))]
    choices = [-1, 0, 1, 2] if output == "linear" and loss == "mse" else [0, 1]
    return [[rng.choice(choices) for _ in range(K)] for _ in range(n)]


def shape(m) -> tuple[int, int]:
    return len(m), (len(m[0]) if m else 0)


def sz(r, c) -> str:
    return f"{r}×{c}"


# ----------------------------------------------------------------------------
# Parameter checks (plain Python).
# ----------------------------------------------------------------------------
def check_targets(loss: str, y) -> str | None:
    """Why the targets do not suit the loss, or None: CE needs one-hot rows, BCE probabilities."""
    from nncheck.topics.softmax import is_onehot

    for i, row in enumerate(y, 1):
        if loss == "ce" and not is_onehot(row):
            return f"loss=ce needs one-hot targets (a single 1 per example); y row {i} is {num(row)}"
        if loss == "bce":
            for v in row:
                if not 0 <= v <= 1:
                    return f"loss=bce needs targets in [0, 1] (probabilities); y row {i} has {num(v)}"
    return None


def ill_defined(output: str, loss: str, K: int, yhat_rows) -> str | None:
    """Why L cannot be evaluated for these outputs, or None.

    ECE 417: cross-entropy "is only well-defined if 0 < ŷ < 1".  A sigmoid, or a softmax over two
    or more outputs, guarantees it; a linear output or a one-output softmax (ŷ = 1) may not.
    """
    if loss == "mse" or output == "sigmoid" or (output == "softmax" and K > 1):
        return None
    if output == "softmax":
        return (f"output=softmax with a single output always gives ŷ = 1, where loss={loss} is not defined "
                f"(it needs 0 < ŷ < 1): use 2 or more outputs, or output=sigmoid")
    for i, row in enumerate(yhat_rows, 1):
        for k, yh in enumerate(row, 1):
            if not 0 < yh < 1:
                where = f"example {i}" + (f", output {k}" if K > 1 else "")
                why = ("ln ŷ and ln(1 − ŷ) must exist" if loss == "bce" else
                       "ECE 417: cross-entropy is only well-defined if 0 < ŷ < 1")
                return (f"output=linear with loss={loss} needs 0 < ŷ < 1 ({why}); {where} has "
                        f"ŷ = {sig4(yh)}: use output={OUTPUT_FOR[loss]}, or weights that keep ŷ in (0, 1)")
    return None


#: ln of the smallest ŷ or 1 − ŷ the float path may divide by: e^(−700) ≈ 1e−304, whose reciprocal float64
#: still holds (it ends near 1.8e308).
FLOAT64_LN_TINY = -700.0


def beyond_float64(output: str, loss: str, K: int, xi_rows, Y) -> str | None:
    """Why the float path cannot compute ∂L/∂ŷ, or None.

    A saturated unit is answered: σ(40) and ln σ(−40) have stable forms, and ŷ = 1 − e⁻⁴⁰ keeps its
    digits as σ(−ξ).  What float64 cannot hold is ŷ itself below about 1e−308, and an unmatched
    BCE or CE (sigmoid with CE, softmax with BCE) divides by it: ∂L/∂ŷ = −y/ŷ."""
    if MATCHED[output] == loss or output == "linear" or loss == "mse":
        return None
    for i, (xi, y) in enumerate(zip(xi_rows, Y), 1):
        z = [float(v) for v in xi]
        if output == "sigmoid":
            log_yh = [-_softplus(-v) for v in z]
            log_rest = [-_softplus(v) for v in z]
        else:  # ln ŷ_k = ξ_k − ln Σ exp(ξ), ln(1 − ŷ_k) = ln Σ_{j≠k} exp(ξ_j) − ln Σ exp(ξ)
            log_yh = [v - _lse(z) for v in z]
            log_rest = [_lse(z[:k] + z[k + 1:]) - _lse(z) for k in range(len(z))]
        for k, t in enumerate(y):
            small = min([log_yh[k]] * (t != 0) + [log_rest[k]] * (loss == "bce" and t != 1), default=0.0)
            if small < FLOAT64_LN_TINY:
                which = "ŷ" if small == log_yh[k] else "1 − ŷ"
                where = f"example {i}" + (f", output {k + 1}" if K > 1 else "")
                return (f"{where} has {which} = e^({sig4(small)}), beyond float64 (below 1e−304), and "
                        f"output={output} with loss={loss} divides by it (∂L/∂ŷ): use smaller weights, "
                        f"or the matched output {OUTPUT_FOR[loss]}")
    return None


def _softplus(v: float) -> float:
    """ln(1 + e^v) without overflow."""
    return max(v, 0.0) + math.log1p(math.exp(-abs(v)))


def _lse(values: list) -> float:
    """ln Σ exp(v) without overflow; −∞ for no terms."""
    if not values:
        return -math.inf
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


# ----------------------------------------------------------------------------
# SymPy: the loss, symbols, and putting numbers in.
# ----------------------------------------------------------------------------
def sigmoid_sym(v):
    import sympy

    return 1 / (1 + sympy.exp(-v))


def structure_act(g: str, v):
    """A hidden activation g(ξ) in a derivative taken once per shape (:func:`twolayer._weight_derivatives`):
    its definition, with ReLU as one SymPy function (:mod:`nncheck.topics._relu`: nested piecewise
    branches made those derivatives slow), which gives the same values at the key's numbers."""
    from nncheck.topics.activations import g_sym

    if g == "relu":
        from nncheck.topics._relu import ReLU

        return ReLU(v)
    return g_sym(g, v)


def out_sym(output: str, z: list) -> list:
    """ŷ = out(ξ⁽ᴸ⁾) from its definition."""
    from nncheck.topics.softmax import softmax_sym

    if output == "sigmoid":
        return [sigmoid_sym(v) for v in z]
    if output == "softmax":
        return softmax_sym(z)
    return list(z)


def complement_sym(output: str, z: list) -> list:
    """1 − ŷ_k as the forward pass gives it: σ(−ξ) for a sigmoid, Σ_{j≠k} exp(ξ_j)/Σ exp(ξ) for a softmax.

    The same number as 1 − ŷ_k; written as a difference, a saturated unit (ŷ = 1 − e⁻³⁰⁰) cancels to
    nothing at any fixed precision, and ln(1 − ŷ) has no value."""
    import sympy

    if output == "sigmoid":
        return [sigmoid_sym(-v) for v in z]
    if output == "softmax":
        den = sum(sympy.exp(v) for v in z)
        return [sum(sympy.exp(w) for j, w in enumerate(z) if j != k) / den for k in range(len(z))]
    return [1 - v for v in z]


def present(loss: str, y_row) -> tuple | None:
    """Which log terms of one example's loss exist: per output, (y ≠ 0, y ≠ 1); None for MSE.

    A term with a zero coefficient is left out of L (0·ln 0 = 0), so the *form* of L depends on
    where the targets are 0 or 1, not only on the sizes: it is part of the network's shape."""
    if loss == "mse":
        return None
    return tuple((t != 0, t != 1) for t in y_row)


def example_loss_sym(loss: str, yhat: list, y: list, terms: tuple | None, n, rest: list | None = None):
    """One example's share of L (its terms already divided by n), in whatever ``yhat``, ``y`` and ``n``
    are: exact numbers, or symbols to differentiate.  ``terms`` is :func:`present`'s; ``rest`` the
    complements 1 − ŷ (:func:`complement_sym`), by default the differences."""
    import sympy

    rest = [1 - v for v in yhat] if rest is None else rest
    total = 0
    for k, (v, t) in enumerate(zip(yhat, y)):
        if loss == "mse":
            total += (t - v) ** 2 / (2 * n)
            continue
        nonzero, not_one = terms[k]  # type: ignore[index]  # not None for BCE and CE
        # 0·ln(·) terms are left out: they are 0 and their log may not exist.
        if nonzero:
            total -= t * sympy.log(v) / n
        if loss == "bce" and not_one:
            total -= (1 - t) * sympy.log(rest[k]) / n
    return total


def symbols(prefix: str, rows: int, cols: int):
    import sympy

    return sympy.Matrix(rows, cols, lambda r, c: sympy.Symbol(f"{prefix}_{r}_{c}", real=True))


def substitute(exprs: list, values: dict) -> list:
    """``[e.xreplace(values) for e in exprs]``, rebuilding each shared sub-expression once.

    A derivative of L repeats its sub-expressions (every σ(ξ) in every chain-rule term); ``xreplace``
    rebuilds each occurrence, this rebuilds each distinct one, by the same ``func(*args)`` rule, so
    the result is the same expression."""
    memo: dict = {}

    def sub(e):
        hit = memo.get(e)
        if hit is not None:
            return hit
        if e.args:
            args = tuple(sub(a) for a in e.args)
            out = e.func(*args) if any(a is not b for a, b in zip(args, e.args)) else e
        else:
            out = values.get(e, e)
        memo[e] = out
        return out

    return [sub(e) for e in exprs]


# ----------------------------------------------------------------------------
# Weight decay: J = L + λΩ.
# ----------------------------------------------------------------------------
@lru_cache(maxsize=64)
def decay_derivatives(shapes: tuple, with_biases: bool):
    """λΩ with Ω = ½ Σ‖W⁽ˡ⁾‖² (+ ½ Σ‖b⁽ˡ⁾‖²) in symbols, and SymPy's derivatives of it in every weight:
    (symbols {"lambda", "W1", "b1", …: [symbol, …]}, λΩ, {"dW1", "db1", …: [∂(λΩ)/∂θ, …]})."""
    import sympy

    lam = sympy.Symbol("lambda", nonnegative=True)
    syms: dict = {"lambda": [lam]}
    terms = []
    for lyr, (rows, cols) in enumerate(shapes, 1):
        W, b = symbols(f"w{lyr}", rows, cols), symbols(f"b{lyr}", rows, 1)
        syms[f"W{lyr}"], syms[f"b{lyr}"] = list(W), list(b)
        terms += list(W) + (list(b) if with_biases else [])
    penalty = lam * sum(s**2 for s in terms) / 2
    grads = {}
    for lyr in range(1, len(shapes) + 1):
        grads[f"dW{lyr}"] = [sympy.diff(penalty, s) for s in syms[f"W{lyr}"]]
        grads[f"db{lyr}"] = [sympy.diff(penalty, s) for s in syms[f"b{lyr}"]]
    return syms, penalty, grads


def flat_exact(m) -> list:
    from nncheck.topics.base import R

    return [R(v) for row in m for v in row] if m and isinstance(m[0], list) else [R(v) for v in m]


def decay_sym(Ws: list, bs: list, lam, with_biases: bool) -> tuple:
    """(Ω, {"dW1", "db1", …: [∂(λΩ)/∂θ, …]}) at these weights, exact: the cached derivatives with the
    numbers in.  Ω comes from the same symbolic λΩ (divided by λ)."""
    import sympy

    from nncheck.topics.base import R

    shapes = tuple(shape(W) for W in Ws)
    syms, penalty, grads = decay_derivatives(shapes, with_biases)
    at: dict = {syms["lambda"][0]: R(lam)}
    for lyr, (W, b) in enumerate(zip(Ws, bs), 1):
        at.update(zip(syms[f"W{lyr}"], flat_exact(W)))
        at.update(zip(syms[f"b{lyr}"], flat_exact(b)))
    names = list(grads)
    flat = substitute([e for k in names for e in grads[k]], at)
    out = {}
    for k in names:
        out[k], flat = flat[:len(grads[k])], flat[len(grads[k]):]
    omega = substitute([penalty / syms["lambda"][0]], {**at, syms["lambda"][0]: sympy.Integer(1)})[0]
    return omega, out


def decay_np(Ws: list, bs: list, lam: float, with_biases: bool, *, decay: bool = True, factor: float = 1.0,
             half: bool = True) -> tuple:
    """(λΩ, [λW⁽ˡ⁾], [λb⁽ˡ⁾ or 0]) by hand: the penalty is on the whole batch, once (not per example, not
    over n).  The switches make the named slips: ``decay=False`` forgets it, ``factor=2`` with
    ``half=False`` drops the ½ of Ω (2λW), ``with_biases`` where Ω has none decays the biases."""
    import numpy as np

    omega = sum(float(np.sum(W * W)) for W in Ws) + (sum(float(np.sum(b * b)) for b in bs) if with_biases else 0.0)
    k = factor * lam if decay else 0.0
    penalty = (lam if decay else 0.0) * omega * (0.5 if half else 1.0)
    return penalty, [k * W for W in Ws], [k * b if with_biases else np.zeros_like(b) for b in bs]


def sup(layer: int) -> str:
    return f"⁽{'⁰¹²³⁴'[layer]}⁾"


def decay_text(lam, with_biases: bool, layers: int) -> str:
    """The convention in force, as the prompt states it (λ ≠ 0)."""
    ws = " + ".join(f"‖W{sup(lyr)}‖²" for lyr in range(1, layers + 1))
    if with_biases:
        bs = " + ".join(f"‖b{sup(lyr)}‖²" for lyr in range(1, layers + 1))
        return (f"J = L + λΩ with λ = {num(lam)} and Ω = ½({ws} + {bs}): here the biases are decayed too "
                f"(‖·‖² sums the squares of all entries).")
    return (f"J = L + λΩ with λ = {num(lam)} and Ω = ½({ws}) (CMU 16-785 Deep Learning Basics: the weights only, "
            f"no biases; ‖·‖² sums the squares of all entries).")


# ----------------------------------------------------------------------------
# NumPy: the forms that keep their digits where a unit saturates.
# ----------------------------------------------------------------------------
def sigmoid_np(v):
    """σ(ξ) with every digit: 1/(1 + e^(−ξ)) for ξ ≥ 0, e^ξ/(1 + e^ξ) below (σ(−40) is 4.2e−18, not 0)."""
    import numpy as np

    v = np.asarray(v, dtype=float)
    e = np.exp(-np.abs(v))
    return np.where(v >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def act_np(g: str, v):
    import numpy as np

    if g == "sigmoid":
        return sigmoid_np(v)
    if g == "tanh":
        return np.tanh(v)
    if g == "relu":
        return np.maximum(v, 0.0)
    return np.asarray(v, dtype=float)


def slope_np(g: str, v, h):
    """σ̇ = h(1 − h) and tanh′ = (1 − h)(1 + h), with each complement from ξ (1 − σ(ξ) = σ(−ξ),
    1 ∓ tanh(ξ) = 2σ(∓2ξ)), so that a saturated unit's slope keeps its digits; ReLU′ = u(ξ), u(0) = 1."""
    import numpy as np

    if g == "sigmoid":
        return h * sigmoid_np(-v)
    if g == "tanh":
        return 4.0 * sigmoid_np(-2.0 * v) * sigmoid_np(2.0 * v)
    if g == "relu":
        return (v >= 0).astype(float)
    return np.ones_like(v)


def complement_np(output: str, z, yh):
    """1 − ŷ for one example, from ξ⁽ᴸ⁾ where a difference would cancel: σ(−ξ), the other softmax entries."""
    import numpy as np

    if output == "sigmoid":
        return sigmoid_np(-z)
    if output == "softmax":
        e = np.exp(z - z.max())
        return np.array([np.sum(np.delete(e, k)) for k in range(len(e))]) / e.sum()
    return 1.0 - yh


def log_outputs(output: str, z, yh):
    """ln ŷ and ln(1 − ŷ) from ξ⁽ᴸ⁾, so that ŷ near 0 or 1 loses no digits (ln σ(ξ) = −ln(1 + e^(−ξ)))."""
    import numpy as np

    if output == "sigmoid":
        return -np.logaddexp(0.0, -z), -np.logaddexp(0.0, z)
    if output == "softmax":
        lse = np.logaddexp.reduce(z)
        rest = np.array([np.logaddexp.reduce(np.delete(z, k)) if len(z) > 1 else -np.inf for k in range(len(z))])
        return z - lse, rest - lse
    return np.log(yh), np.log1p(-yh)


def output_backward_np(output: str, loss: str, y, yh, om, scale: float, *, mse_factor: float = 1.0):
    """∇ξ⁽ᴸ⁾L of one example the long way: ∂L/∂ŷ through the output's Jacobian, with 1 − ŷ = ``om``.

    A saturated softmax with BCE has (1 − y)/(1 − ŷ) near 10¹³ and a Jacobian entry ŷ(1 − ŷ) near
    10⁻¹³: both are taken from ``om``, never from 1 − ŷ, so that their product keeps its digits."""
    import numpy as np

    if loss == "mse":
        dy = (yh - y) * mse_factor / scale
    elif loss == "bce":
        dy = -(np.where(y != 0, y / np.where(y != 0, yh, 1.0), 0.0)
               - np.where(y != 1, (1 - y) / np.where(y != 1, om, 1.0), 0.0)) / scale
    else:
        dy = -np.where(y != 0, y / np.where(y != 0, yh, 1.0), 0.0) / scale
    if output == "sigmoid":
        return yh * om * dy
    if output == "softmax":
        jac = -np.outer(yh, yh)
        np.fill_diagonal(jac, yh * om)
        return jac @ dy
    return dy


# ----------------------------------------------------------------------------
# Text.
# ----------------------------------------------------------------------------
def f4(x) -> str:
    if isinstance(x, float) and abs(x) < 1e-12:
        return "0"  # rounding noise of the float path (1e−17), not a value
    return sig4(x) if isinstance(x, float) else num(x)


def vtext(v) -> str:
    return "[" + ", ".join(num(a) if isinstance(a, (int, Fraction)) else f4(float(a)) for a in v) + "]"


def mtext(m) -> str:
    return "[" + ", ".join(vtext(r) for r in m) + "]"


def is_rational(v) -> bool:
    return isinstance(v, (int, Fraction))


#: A table value within this of ±1 is written 1 − c (c to four figures): four figures of σ(6) = 0.9975
#: leave 1 − h = 0.0025, 1% off, and "σ(18) ≈ 1" no digit of σ̇ = h(1 − h) or of ln(1 − ŷ) at all.
NEAR_ONE = 0.01


def _unit_value(name: str, v, value: float, complement: float) -> str:
    """One entry of the table: exact at 0, else four figures, or 1 − c near ±1 (c = 1 − |value|)."""
    if v == 0:
        return f"{name}({num(v)}) = {'0.5' if name == 'σ' else '0'}"
    if complement <= 1e-300:  # no float holds the rest, and no answer needs it
        return f"{name}({num(v)}) ≈ {'−1' if value < 0 else '1'}"
    if complement < NEAR_ONE:
        near = f"1 − {sig4(complement)}"
        return f"{name}({num(v)}) ≈ {f'−({near})' if value < 0 else near}"
    return f"{name}({num(v)}) ≈ {sig4(value)}"


def table_text(sig: set, tanh: set, exps: set) -> list[str]:
    """The σ, tanh and exp values of a prompt's table, one string a function."""
    parts = []
    if sig:
        parts.append(", ".join(_unit_value("σ", v, sigma_py(v), sigma_py(-abs(v)) if v > 0 else 1.0)
                               for v in sorted(sig)))
    if tanh:
        parts.append(", ".join(_unit_value("tanh", v, math.tanh(v), 2 * sigma_py(-2 * abs(float(v))))
                               for v in sorted(tanh)))
    if exps:
        parts.append(", ".join(f"exp({num(v)}) ≈ {sig4(math.exp(v))}" for v in sorted(exps)))
    return parts


def given_sentence(parts: list[str], notes: list[str], loss: str) -> str:
    """"Values you may use: …. Closed forms are accepted: …." from the table and the notes."""
    if loss in ("bce", "ce"):
        notes = notes + ["ln(…) may be left in closed form, e.g. ln(sigma(2))"]
    out = ("Values you may use: " + "; ".join(parts) + ".") if parts else ""
    if notes:
        out += (" " if out else "") + "Closed forms are accepted: " + "; ".join(notes) + "."
    return out


#: Beyond |ξ| = 9, 1 − σ(ξ) < 1.3e−4: a ŷ written to four figures has at most one digit of it left.
SATURATED = 9


def saturation_note(spread: float, output: str) -> str:
    """The warning for an output that must be written in closed form (its ξ is not tabulated) and is
    saturated: a decimal ŷ (0.99999998) has no digit of 1 − ŷ left, and ln(1 − ŷ) or 1/(1 − ŷ) need them."""
    if spread <= SATURATED:
        return ""
    closed = "sigma(−ξ)" if output == "sigmoid" else "a sum of the other exp(…) over the total"
    return (f"the {output} output is saturated (ξ {'reaches ±' if output == 'sigmoid' else 'spreads over '}"
            f"{sig4(spread)}): write 1 − ŷ as {closed} in closed form, as decimals lose its digits")
