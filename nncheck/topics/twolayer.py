"""The two-layer network of ECE 417 ("The Back-Propagation Algorithm"), forward, backward, one step.

Shapes are the ECE 417 exam review's: W⁽¹⁾ is N×D, ξᵢ⁽¹⁾ = b⁽¹⁾ + W⁽¹⁾xᵢ, hᵢ = g(ξᵢ⁽¹⁾), ξᵢ⁽²⁾ = b⁽²⁾ + W⁽²⁾hᵢ
(W⁽²⁾ is K×N), ŷᵢ = out(ξᵢ⁽²⁾), and with n examples

    L_MSE = 1/(2n) Σᵢ ‖yᵢ − ŷᵢ‖²,  L_BCE = −(1/n) Σᵢ Σ_k [y ln ŷ + (1 − y) ln(1 − ŷ)],
    L_CE = −(1/n) Σᵢ Σ_k y_ik ln ŷ_ik,
    ∇W⁽²⁾L = Σᵢ ∇ξᵢ⁽²⁾L hᵢᵀ,  ∇ξᵢ⁽¹⁾L = σ̇(ξᵢ⁽¹⁾) ⊙ W⁽²⁾ᵀ ∇ξᵢ⁽²⁾L,  ∇W⁽¹⁾L = Σᵢ ∇ξᵢ⁽¹⁾L xᵢᵀ.

Two derivations of every gradient:

* SymPy builds L from the forward pass with the weights as symbols and differentiates it
  (∇ξ⁽²⁾L and ∇ξ⁽¹⁾L likewise, from L written in ξ⁽²⁾ or ξ⁽¹⁾ symbols); the derivatives are taken
  once per network shape, with the inputs and targets as symbols too, and each key puts its numbers in;
* NumPy runs the ECE 417 exam review's backward pass, with the matched shortcuts ∇ξ⁽²⁾L = (ŷ − y)/n for
  sigmoid+BCE, softmax+CE and linear+MSE, and the chain through the output Jacobian otherwise.

A log term with a zero coefficient is left out of L (0·ln 0 = 0), so BCE and CE need only the
logarithms they use to be defined; a linear output that makes one of them ln(≤ 0) is refused.
Answers for several examples have one row per example, as x is given.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import cache, lru_cache

from nncheck.topics import twolayer_vector as vector
from nncheck.topics._net import (
    MATCHED,
    OUTPUT_FOR,
    NetKind,
    act_np,
    beyond_float64,
    check_targets,
    complement_np,
    complement_sym,
    decay_np,
    decay_sym,
    decay_text,
    draw_targets,
    f4,
    given_sentence,
    ill_defined,
    mtext,
    output_backward_np,
    saturation_note,
    sigmoid_np,
    slope_np,
    structure_act,
    substitute,
    table_text,
    vtext,
)
from nncheck.topics._net import example_loss_sym as _example_loss_sym
from nncheck.topics._net import is_rational as _is_rational
from nncheck.topics._net import log_outputs as _log_outputs
from nncheck.topics._net import out_sym as _out_sym
from nncheck.topics._net import present as _present
from nncheck.topics._net import shape as _shape
from nncheck.topics._net import sz as _sz
from nncheck.topics.activations import (
    SYMBOL,
    dg_np,
    g_np,
    g_sym,
    inverse_sym,
    seed_form,
    tidy,
    value_py,
)
from nncheck.topics.base import RM, ParamError, R, Solver, num, paren
from nncheck.topics.softmax import ce_gradient_formula, softmax_np, softmax_py

#: Random exams mostly use the matched pairs of the ECE 417 exam review; the others appear now and then.
COMBOS = ([("sigmoid", "bce")] * 3 + [("softmax", "ce")] * 3 + [("linear", "mse")] * 3
          + [("sigmoid", "mse")] * 2 + [("softmax", "mse"), ("sigmoid", "ce"), ("linear", "bce"),
                                        ("linear", "ce")])
MAX_SIZE = 5  # examples, inputs, hidden units, outputs: a hand-sized network
DATA = ("x", "y", "W1", "b1", "W2", "b2")
ASKS = ("all", "forward", "backward", "step")


# ----------------------------------------------------------------------------
# Shapes.
# ----------------------------------------------------------------------------
def canonical(p: dict) -> dict:
    """Read a single example written as a column, and K = 1 targets written as one list.

    ``x=[[1],[2]]`` against a W1 with 2 columns is one example; ``y=[1,0,1]`` with three
    examples and one output is one target per example.  Anything else is left for check().
    """
    p = dict(p)
    x, y, W1 = p.get("x"), p.get("y"), p.get("W1")
    if x and W1:
        D = len(W1[0])
        r, c = _shape(x)
        if c != D and c == 1 and r == D:
            p["x"] = [[v[0] for v in x]]
    x = p.get("x")
    if x and y:
        n = len(x)
        r, c = _shape(y)
        K = len(p["W2"]) if p.get("W2") else (len(p["b2"]) if p.get("b2") else None)
        if r == 1 and n > 1 and c == n and K in (None, 1):
            p["y"] = [[v] for v in y[0]]
    return p


class Net(NetKind):
    """The parameters as exact numbers, with the sizes n, D, N, K."""

    def __init__(self, p: dict):
        self.X, self.Y = p["x"], p["y"]
        self.W1, self.b1, self.W2, self.b2 = p["W1"], p["b1"], p["W2"], p["b2"]
        self.hidden, self.output, self.loss = p["hidden"], p["output"], p["loss"]
        self.eta = p["eta"]
        # Weight decay (CMU 16-785): J = L + λΩ, Ω = ½(‖W⁽¹⁾‖² + ‖W⁽²⁾‖²), the biases too with omega=all.
        self.lam, self.omega = p.get("lambda", 0), p.get("omega", "weights")
        self.n, self.D = _shape(self.X)
        self.N, self.K = len(self.W1), len(self.W2)


    @property
    def elementwise(self) -> bool:
        """Has ∂L/∂ξ_k⁽²⁾ a form in ŷ_k, y_k alone (not for softmax with MSE or BCE)?"""
        return self.output != "softmax" or self.loss == "ce"


# ----------------------------------------------------------------------------
# Plain Python forward pass (parameter checks and prompt tables; no NumPy).
# ----------------------------------------------------------------------------
def forward_py(net: Net) -> list[dict]:
    """Per example: ξ⁽¹⁾ exact, h, ξ⁽²⁾ and ŷ (exact where the arithmetic is rational)."""
    rows = []
    for x in net.X:
        a = [net.b1[j] + sum(net.W1[j][d] * x[d] for d in range(net.D)) for j in range(net.N)]
        h = [value_py(net.hidden, v) for v in a]
        z = [net.b2[k] + sum(net.W2[k][j] * h[j] for j in range(net.N)) for k in range(net.K)]
        if net.output == "sigmoid":
            yh = [value_py("sigmoid", v) for v in z]
        elif net.output == "softmax":
            yh = [Fraction(1)] if net.K == 1 else softmax_py(z)
        else:
            yh = list(z)
        rows.append({"xi1": a, "h": h, "xi2": z, "yhat": yh})
    return rows


def _beyond_float64(net: Net, rows) -> str | None:
    """Why the float path cannot compute ∂L/∂ŷ (a ŷ below float64's range, divided by), or None."""
    return beyond_float64(net.output, net.loss, net.K, [r["xi2"] for r in rows], net.Y)


def _ill_defined(net: Net, rows) -> str | None:
    """Why L cannot be evaluated for these numbers (a ŷ outside (0, 1) in a log), or None."""
    return ill_defined(net.output, net.loss, net.K, [r["yhat"] for r in rows])


# ----------------------------------------------------------------------------
# SymPy: L from the forward pass, differentiated once per network shape.
# ----------------------------------------------------------------------------
def _loss_sym(net: Net, yhat_rows: list, rest_rows: list | None = None):
    """L of the whole batch for these outputs and their complements 1 − ŷ (exact numbers: the key's L)."""
    import sympy

    n = sympy.Integer(net.n)
    total = sympy.Integer(0)
    for i, (yh, y) in enumerate(zip(yhat_rows, net.Y)):
        y = [R(t) for t in y]
        total += _example_loss_sym(net.loss, yh, y, _present(net.loss, y), n, rest_rows[i] if rest_rows else None)
    return total


def _forward_sym(net: Net, W1, b1, W2, b2) -> list[tuple]:
    rows = []
    for x in net.X:
        a = [b1[j] + sum(W1[j, d] * R(x[d]) for d in range(net.D)) for j in range(net.N)]
        h = [g_sym(net.hidden, v) for v in a]
        z = [b2[k] + sum(W2[k, j] * h[j] for j in range(net.N)) for k in range(net.K)]
        rows.append((a, h, z, _out_sym(net.output, z)))
    return rows


# Differentiating L costs SymPy about 0.1 s a key, and a class of 1,000 students with seeds of their own
# asks for hundreds of keys of the same few networks.  L is a sum over the examples, and one example's
# share ℓᵢ has the same form for every network of one shape (activations, loss, sizes, which targets
# are 0 or 1): its derivatives are taken once per shape with symbols for the weights, the inputs, the
# targets and n, and each key puts its exact numbers in.  Still SymPy's derivative of the forward
# expression; the numbers go in as they would have gone into L (tests/topics/test_twolayer_symbolic.py
# checks the values are identical to differentiating L with the numbers in).
def _symbols(prefix: str, rows: int, cols: int):
    import sympy

    return sympy.Matrix(rows, cols, lambda r, c: sympy.Symbol(f"{prefix}_{r}_{c}", real=True))


@lru_cache(maxsize=128)
def _weight_derivatives(hidden: str, output: str, loss: str, D: int, N: int, K: int, present: tuple | None):
    """(symbols, {dW1, db1, dW2, db2: [∂ℓ/∂θ for θ in row order]}) of one example's share ℓ of L."""
    import sympy

    x, y = _symbols("x", D, 1), _symbols("y", K, 1)
    W1, b1, W2, b2 = _symbols("w1", N, D), _symbols("b1", N, 1), _symbols("w2", K, N), _symbols("b2", K, 1)
    n = sympy.Symbol("n", positive=True)
    a = [b1[j] + sum(W1[j, d] * x[d] for d in range(D)) for j in range(N)]
    h = [structure_act(hidden, v) for v in a]
    z = [b2[k] + sum(W2[k, j] * h[j] for j in range(N)) for k in range(K)]
    ell = _example_loss_sym(loss, _out_sym(output, z), list(y), present, n, complement_sym(output, z))
    grads = {name: [sympy.diff(ell, s) for s in M] for name, M in (("dW1", W1), ("db1", b1), ("dW2", W2),
                                                                    ("db2", b2))}
    return (x, y, W1, b1, W2, b2, n), grads


@lru_cache(maxsize=128)
def _xi2_derivatives(output: str, loss: str, K: int, present: tuple | None):
    """(symbols, [∂ℓ/∂ξ_k⁽²⁾]) of one example's share ℓ of L, written in its ξ⁽²⁾."""
    import sympy

    z, y, n = _symbols("z", K, 1), _symbols("y", K, 1), sympy.Symbol("n", positive=True)
    ell = _example_loss_sym(loss, _out_sym(output, list(z)), list(y), present, n, complement_sym(output, list(z)))
    return (z, y, n), [sympy.diff(ell, s) for s in z]


@lru_cache(maxsize=128)
def _xi1_derivatives(hidden: str, output: str, loss: str, N: int, K: int, present: tuple | None):
    """(symbols, [∂ℓ/∂ξ_j⁽¹⁾]) of one example's share ℓ of L, written in its ξ⁽¹⁾ through h, ξ⁽²⁾ and ŷ."""
    import sympy

    a, y, n = _symbols("a", N, 1), _symbols("y", K, 1), sympy.Symbol("n", positive=True)
    W2, b2 = _symbols("w2", K, N), _symbols("b2", K, 1)
    h = [structure_act(hidden, v) for v in a]
    z = [b2[k] + sum(W2[k, j] * h[j] for j in range(N)) for k in range(K)]
    ell = _example_loss_sym(loss, _out_sym(output, z), list(y), present, n, complement_sym(output, z))
    return (a, y, W2, b2, n), [sympy.diff(ell, s) for s in a]


def _bind(symbols, numbers) -> dict:
    """{symbol: exact number} for a matrix of symbols and the numbers in the same row order."""
    return dict(zip(symbols, numbers))


def _gradients_sym(net: Net, W1, b1, W2, b2, rows: list, *, excitations: bool) -> dict:
    """∇W⁽¹⁾J, ∇b⁽¹⁾J, ∇W⁽²⁾J, ∇b⁽²⁾J (and ∇ξ⁽²⁾J = ∇ξ⁽²⁾L, ∇ξ⁽¹⁾J of each example when ``excitations``) as
    exact values: the cached derivatives of each example's share of L at its numbers, plus those of λΩ."""
    import sympy

    n = sympy.Integer(net.n)
    total: dict[str, list] = {}
    per_example: dict[str, list] = {"dxi2": [], "dxi1": []}
    for i, (x, y) in enumerate(zip(net.X, net.Y)):
        y = [R(t) for t in y]
        present = _present(net.loss, y)
        (xs, ys, W1s, b1s, W2s, b2s, ns), grads = _weight_derivatives(
            net.hidden, net.output, net.loss, net.D, net.N, net.K, present)
        at = {ns: n, **_bind(xs, [R(v) for v in x]), **_bind(ys, y), **_bind(W1s, W1), **_bind(b1s, b1),
              **_bind(W2s, W2), **_bind(b2s, b2)}
        names = list(grads)
        flat = substitute([e for name in names for e in grads[name]], at)
        for name in names:
            mine, flat = flat[:len(grads[name])], flat[len(grads[name]):]
            # Σᵢ ∂ℓᵢ/∂θ: the derivative of the sum L, term by term.
            total[name] = mine if name not in total else [s + v for s, v in zip(total[name], mine)]
        if excitations:
            (zs, ys, ns), d2 = _xi2_derivatives(net.output, net.loss, net.K, present)
            per_example["dxi2"].append(substitute(d2, {ns: n, **_bind(ys, y), **_bind(zs, rows[i][2])}))
            (As, ys, W2s, b2s, ns), d1 = _xi1_derivatives(net.hidden, net.output, net.loss, net.N, net.K, present)
            per_example["dxi1"].append(substitute(d1, {ns: n, **_bind(ys, y), **_bind(As, rows[i][0]),
                                                       **_bind(W2s, W2), **_bind(b2s, b2)}))
    if net.lam != 0:
        # J = L + λΩ: SymPy's derivatives of λΩ (taken once per shape) at these weights, added term by term.
        _omega, decay = decay_sym([net.W1, net.W2], [net.b1, net.b2], net.lam, net.decay_biases)
        for name, extra in decay.items():
            total[name] = [s + v for s, v in zip(total[name], extra)]
    out = {"dW1": sympy.Matrix(net.N, net.D, total["dW1"]), "db1": sympy.Matrix(total["db1"]),
           "dW2": sympy.Matrix(net.K, net.N, total["dW2"]), "db2": sympy.Matrix(total["db2"])}
    if excitations:
        out["dxi2"] = sympy.Matrix(per_example["dxi2"])
        out["dxi1"] = sympy.Matrix(per_example["dxi1"])
    return out


@cache  # a pure function of its arguments; SymPy results are immutable
def output_gradient_formula(output: str, loss: str):
    """∂L/∂ξ_k⁽²⁾ for one example in terms of yhat, y and n, derived from the loss definition.

    Elementwise outputs: differentiate ℓ(g(ξ), y)/n, then substitute ξ = g⁻¹(ŷ).  Softmax with
    CE: the per-class form of the softmax Jacobian (see softmax.ce_gradient_formula).
    """
    import sympy

    yhat, y = sympy.Symbol("yhat", real=True), sympy.Symbol("y", real=True)
    n = sympy.Symbol("n", positive=True)
    if output == "softmax":
        if loss != "ce":
            raise ValueError("softmax with MSE or BCE has no per-class form")
        return seed_form(ce_gradient_formula(1 / n))
    xi = sympy.Symbol("xi", real=True)
    v = g_sym(output, xi)
    if loss == "mse":
        ell = (y - v) ** 2 / (2 * n)
    elif loss == "bce":
        ell = -(y * sympy.log(v) + (1 - y) * sympy.log(1 - v)) / n
    else:
        ell = -y * sympy.log(v) / n
    d = sympy.diff(ell, xi).subs(xi, inverse_sym(output, yhat))
    return seed_form(sympy.simplify(d))


def _output_gradient_np(output: str, loss: str):
    """The same per-class formulas as a student writes them (the NumPy side of the key)."""
    table = {
        ("sigmoid", "mse"): lambda e: (e["yhat"] - e["y"]) * e["yhat"] * (1 - e["yhat"]) / e["n"],
        ("sigmoid", "bce"): lambda e: (e["yhat"] - e["y"]) / e["n"],
        ("sigmoid", "ce"): lambda e: -e["y"] * (1 - e["yhat"]) / e["n"],
        ("linear", "mse"): lambda e: (e["yhat"] - e["y"]) / e["n"],
        ("linear", "bce"): lambda e: -(e["y"] / e["yhat"] - (1 - e["y"]) / (1 - e["yhat"])) / e["n"],
        ("linear", "ce"): lambda e: -e["y"] / (e["yhat"] * e["n"]),
        ("softmax", "ce"): lambda e: (e["yhat"] - e["y"]) / e["n"],
    }
    return table.get((output, loss))


# ----------------------------------------------------------------------------
# NumPy: the seed's backward pass, with switches for the common mistakes.
# ----------------------------------------------------------------------------
def backprop_np(net: Net, *, no_sigma_dot=False, xi_for_h=False, w_not_t=False, drop_n=False,
                flip=False, relu_one=False, shortcut=False, sigma_dot_from_xi=False, mse_half=False,
                w1_t=False, no_hidden=False, no_b1=False, relu_zero=False, decay=True, decay_biases=None,
                decay_factor=1.0, half_omega=True) -> dict:
    """Forward and backward pass for all examples; answers have one row per example.

    With weight decay, J = L + λΩ and λW (λb with omega=all) added to the weight gradients once, for the
    batch; ``decay``, ``decay_biases``, ``decay_factor`` and ``half_omega`` make its slips (mistakes)."""
    import numpy as np

    X, Y = np.array(net.X, dtype=float), np.array(net.Y, dtype=float)
    W1, b1 = np.array(net.W1, dtype=float), np.array(net.b1, dtype=float)
    W2, b2 = np.array(net.W2, dtype=float), np.array(net.b2, dtype=float)
    n = float(net.n)
    with np.errstate(divide="ignore", invalid="ignore"):  # a mistaken pass may leave (0, 1); it then gives nan
        out = _backprop_np(net, X, Y, W1, b1, W2, b2, n, no_sigma_dot=no_sigma_dot, xi_for_h=xi_for_h,
                           w_not_t=w_not_t, drop_n=drop_n, flip=flip, relu_one=relu_one, shortcut=shortcut,
                           sigma_dot_from_xi=sigma_dot_from_xi, mse_half=mse_half, w1_t=w1_t,
                           no_hidden=no_hidden, no_b1=no_b1, relu_zero=relu_zero)
    penalty, dWs, dbs = decay_np([W1, W2], [b1, b2], float(net.lam),
                                 net.decay_biases if decay_biases is None else decay_biases,
                                 decay=decay, factor=decay_factor, half=half_omega)
    out["J"] = out["L"] + penalty
    for name, extra in zip(("dW1", "dW2", "db1", "db2"), dWs + dbs):
        out[name] = out[name] + extra
    return out


def _backprop_np(net, X, Y, W1, b1, W2, b2, n, *, no_sigma_dot, xi_for_h, w_not_t, drop_n, flip, relu_one,
                 shortcut, sigma_dot_from_xi, mse_half, w1_t, no_hidden, no_b1, relu_zero=False) -> dict:
    import numpy as np

    rows: dict[str, list] = {k: [] for k in ("xi1", "h", "xi2", "yhat", "dxi2", "dxi1")}
    dW1, db1 = np.zeros_like(W1), np.zeros_like(b1)
    dW2, db2 = np.zeros_like(W2), np.zeros_like(b2)
    L = 0.0
    for x, y in zip(X, Y):
        a = (W1.T if w1_t else W1) @ x + (0.0 if no_b1 else b1)
        h = a.copy() if no_hidden else act_np(net.hidden, a)  # σ(−40) is 4.2e−18, not 0
        z = b2 + W2 @ h
        if net.output == "sigmoid":
            yh = sigmoid_np(z)
        elif net.output == "softmax":
            yh = softmax_np(z)
        else:
            yh = z
        # The loss of this example (terms with a zero coefficient are left out, as in L).
        if net.loss == "mse":
            L += np.sum((y - yh) ** 2) / (1.0 if mse_half else 2.0) / (1.0 if drop_n else n)
        else:
            log_yh, log_1m = _log_outputs(net.output, z, yh)
            pos = y != 0
            L -= np.sum(y[pos] * log_yh[pos]) / (1.0 if drop_n else n)
            if net.loss == "bce":
                neg = y != 1
                L -= np.sum((1 - y[neg]) * log_1m[neg]) / (1.0 if drop_n else n)
        scale = 1.0 if drop_n else n
        # ∇ξ⁽²⁾L: the seed's (ŷ − y)/n for the matched pairs, else ∂L/∂ŷ through the output Jacobian
        # (with 1 − ŷ from ξ⁽²⁾: a saturated softmax with BCE divides by it).
        if net.matched or shortcut:
            d2 = (yh - y) / scale
        else:
            d2 = output_backward_np(net.output, net.loss, y, yh, complement_np(net.output, z, yh), scale,
                                    mse_factor=2.0 if mse_half else 1.0)
        if net.matched and net.loss == "mse" and mse_half:
            d2 = 2 * d2
        if flip:
            d2 = -d2
        dW2 += np.outer(d2, a if xi_for_h else h)
        db2 += d2
        back = (W2 if w_not_t else W2.T) @ d2
        if no_sigma_dot:
            sd = np.ones_like(a)
        elif relu_one and net.hidden == "relu":
            sd = np.ones_like(a)
        elif relu_zero and net.hidden == "relu":
            sd = (a > 0).astype(float)  # ReLU′(0) taken as 0 (PyTorch's choice), where the bank has u(0) = 1
        elif sigma_dot_from_xi and net.hidden == "sigmoid":
            sd = a * (1 - a)
        elif sigma_dot_from_xi and net.hidden == "tanh":
            sd = 1 - a * a
        else:
            sd = slope_np(net.hidden, a, h)  # h(1 − h), (1 − h)(1 + h), u(ξ), each complement from ξ
        d1 = sd * back
        dW1 += np.outer(d1, x)
        db1 += d1
        for k, v in (("xi1", a), ("h", h), ("xi2", z), ("yhat", yh), ("dxi2", d2), ("dxi1", d1)):
            rows[k].append(v)
    out: dict = {k: np.array(v) for k, v in rows.items()}
    out.update(L=float(L), dW2=dW2, db2=db2, dW1=dW1, db1=db1)
    return out


def _loss_from_yhat(net: Net, Y, yh) -> float:
    """L from ŷ as ECE 417 writes it (terms with a zero coefficient left out), for error carried forward."""
    import numpy as np

    if net.loss == "mse":
        return float(np.sum((Y - yh) ** 2) / (2.0 * net.n))
    pos = Y != 0
    total = -np.sum(Y[pos] * np.log(yh[pos]))
    if net.loss == "bce":
        neg = Y != 1
        total -= np.sum((1 - Y[neg]) * np.log(1 - yh[neg]))
    return float(total / net.n)


def _dxi2_from_yhat(net: Net, Y, yh):
    """∇ξ⁽²⁾L of every example from ŷ: the seed's (ŷ − y)/n, or ∂L/∂ŷ through the output's Jacobian."""
    import numpy as np

    n = float(net.n)
    if net.matched:
        return (yh - Y) / n
    if net.loss == "mse":
        dy = (yh - Y) / n
    elif net.loss == "bce":
        dy = -(np.where(Y != 0, Y / yh, 0.0) - np.where(Y != 1, (1 - Y) / (1 - yh), 0.0)) / n
    else:
        dy = -np.where(Y != 0, Y / np.where(Y != 0, yh, 1.0), 0.0) / n
    if net.output == "sigmoid":
        return yh * (1 - yh) * dy
    if net.output == "softmax":
        return np.array([(np.diag(a) - np.outer(a, a)) @ d for a, d in zip(yh, dy)])
    return dy


def _step(out: dict, net: Net, eta: float) -> dict:
    import numpy as np

    return {"W1_new": np.array(net.W1, dtype=float) - eta * out["dW1"],
            "b1_new": np.array(net.b1, dtype=float) - eta * out["db1"],
            "W2_new": np.array(net.W2, dtype=float) - eta * out["dW2"],
            "b2_new": np.array(net.b2, dtype=float) - eta * out["db2"]}


# ----------------------------------------------------------------------------
# Text.
# ----------------------------------------------------------------------------
HIDDEN_TEXT = {"sigmoid": "σ (logistic sigmoid)", "tanh": "tanh",
               "relu": "ReLU (ReLU(ξ) = ξ for ξ ≥ 0, else 0; ReLU′(0) = u(0) = 1)"}
OUTPUT_TEXT = {"sigmoid": "σ(ξ⁽²⁾) (sigmoid)", "softmax": "softmax(ξ⁽²⁾)", "linear": "ξ⁽²⁾ (linear output)"}


def loss_text(net: Net) -> str:
    n = net.n
    if net.loss == "mse":
        return f"L = 1/(2n) Σᵢ ‖yᵢ − ŷᵢ‖² (ECE 417 MSE, n = {n})"
    if net.loss == "bce":
        return (f"L = −(1/n) Σᵢ Σ_k [y_ik ln ŷ_ik + (1 − y_ik) ln(1 − ŷ_ik)] (ECE 417 BCE, n = {n}; "
                "a term whose coefficient is 0 is left out)")
    return (f"L = −(1/n) Σᵢ Σ_k y_ik ln ŷ_ik (ECE 417 cross-entropy with one-hot yᵢ, n = {n}; "
            "terms with y_ik = 0 are left out)")


def given_text(net: Net, rows) -> str:
    """The σ/tanh/exp values a student needs, as a table; closed forms accepted for the rest."""
    sig_points: set = set()
    tanh_points: set = set()
    exps: set = set()
    notes = []
    if net.hidden == "sigmoid":
        sig_points |= {v for r in rows for v in r["xi1"]}
    if net.hidden == "tanh":
        tanh_points |= {v for r in rows for v in r["xi1"]}
    rational2 = all(_is_rational(v) for r in rows for v in r["xi2"])
    if net.output == "sigmoid":
        if rational2:
            sig_points |= {v for r in rows for v in r["xi2"]}
        else:
            notes.append("σ of a non-integer may be left as sigma(…)")
    if net.output == "softmax" and net.K > 1:
        if rational2:
            for r in rows:
                m = max(r["xi2"])
                exps |= {v - m for v in r["xi2"] if v != m}
        else:
            notes.append("exp(…) may be left in closed form")
    parts = table_text(sig_points, tanh_points, exps)  # σ(18) ≈ 1 − 1.523e−8: a table value keeps its digits
    if not rational2 and net.output in ("sigmoid", "softmax"):
        # No table for ξ⁽²⁾: where the output saturates, only a closed form keeps 1 − ŷ.
        spread = max((abs(float(v)) if net.output == "sigmoid" else float(max(r["xi2"]) - min(r["xi2"]))
                      for r in rows for v in r["xi2"]), default=0.0)
        note = saturation_note(spread, net.output)
        if note:
            notes.append(note)
    return given_sentence(parts, notes, net.loss)


# ----------------------------------------------------------------------------
# The family.
# ----------------------------------------------------------------------------
class TwoLayer(Solver):
    """``backprop.two-layer``: forward values, every gradient, one gradient-descent step."""

    template_vars = ("n", "D", "N", "K", "sizes", "hidden_text", "output_text", "loss_text", "given",
                     "ask_forward", "ask_backward", "ask_step", "sym_ok", "obj", "decay_text", "has_decay",
                     "hidden_fn", "ask_vector", "answers_text")

    def unused(self, p: dict) -> set[str]:
        """λ = 0 reads no choice of Ω."""
        return {"omega"} if not p.get("lambda") else set()

    # -- generate -------------------------------------------------------------
    def check(self, p: dict) -> None:
        x, y, W1, b1, W2, b2 = (p[k] for k in DATA)
        n, D = _shape(x)
        N, D1 = _shape(W1)
        K, N2 = _shape(W2)
        if D1 != D:
            raise ParamError(f"W1 is {_sz(N, D1)} (N×D) but x has {D} entr{'y' if D == 1 else 'ies'} per example: "
                             f"W1 needs one column per input")
        if len(b1) != N:
            raise ParamError(f"b1 has {len(b1)} entries but W1 has {N} rows (hidden units)")
        if N2 != N:
            raise ParamError(f"W2 is {_sz(K, N2)} (K×N) but W1 has {N} rows (hidden units): W2 needs {N} columns")
        if len(b2) != K:
            raise ParamError(f"b2 has {len(b2)} entries but W2 has {K} rows (outputs)")
        ry, cy = _shape(y)
        if ry == 1 and K == 1 and n > 1 and cy != n:
            raise ParamError(f"y has {cy} target{'s' if cy != 1 else ''} but x has {n} examples: "
                             "one target per example")
        if ry != n:
            raise ParamError(f"y has {ry} row{'s' if ry != 1 else ''} but x has {n} example{'s' if n != 1 else ''}: "
                             f"one target row per example")
        if cy != K:
            raise ParamError(f"y has {cy} entr{'y' if cy == 1 else 'ies'} per example but W2 has {K} rows (outputs)")
        if max(n, D, N, K) > MAX_SIZE:
            raise ParamError(f"backprop.two-layer is hand-sized: at most {MAX_SIZE} examples, inputs, hidden units "
                             f"and outputs (here n={n}, D={D}, N={N}, K={K})")
        why = check_targets(p["loss"], y)
        if why:
            raise ParamError(why)
        why = vector.check(p, n)  # ask=vector: one example, no weight decay
        if why:
            raise ParamError(why)
        net = Net(p)
        rows = forward_py(net)
        why = _beyond_float64(net, rows) or _ill_defined(net, rows)
        if why:
            raise ParamError(why)

    def draw(self, p: dict, rng, fixed) -> dict:
        """Hand-computable draws around whatever the user fixed: small integers, short σ tables."""
        p = canonical(p)
        if "output" not in fixed and "loss" not in fixed:
            p["output"], p["loss"] = rng.choice(COMBOS)
        elif "loss" not in fixed:
            p["loss"] = MATCHED[p["output"]]
        elif "output" not in fixed:
            p["output"] = OUTPUT_FOR[p["loss"]]
        if "ask" not in fixed:
            # Your own numbers: every part.  A random exam instance: one hand-sized slice.
            p["ask"] = "all" if fixed & set(DATA) else rng.choice(["forward", "backward", "step"])
        out, loss, hidden = p["output"], p["loss"], p["hidden"]

        def given(name):
            return name in fixed

        D = len(p["x"][0]) if given("x") else len(p["W1"][0]) if given("W1") else 2
        N = (len(p["W1"]) if given("W1") else len(p["b1"]) if given("b1") else
             len(p["W2"][0]) if given("W2") else 2)
        K = (len(p["W2"]) if given("W2") else len(p["b2"]) if given("b2") else
             len(p["y"][0]) if given("y") else 2 if (out == "softmax" or loss == "ce") else 1)
        n = len(p["x"]) if given("x") else len(p["y"]) if given("y") else (
            2 if rng.random() < 0.3 and p["ask"] != "vector" else 1)  # the vector form is for one example

        def mat(r, c, choices):
            return [[rng.choice(choices) for _ in range(c)] for _ in range(r)]

        if not given("y"):
            p["y"] = draw_targets(rng, loss, out, n, K)
        # Hidden layer: no ReLU kink exactly at 0 (the derivative is a convention there) and a
        # short table of σ/tanh values.
        for _ in range(200):
            if not given("x"):
                p["x"] = mat(n, D, [-1, 0, 1, 1, 2])
            if not given("W1"):
                p["W1"] = mat(N, D, [-2, -1, 0, 1, 1, 2])
            if not given("b1"):
                p["b1"] = [rng.choice([-1, 0, 0, 1]) for _ in range(N)]
            try:
                a = [[p["b1"][j] + sum(p["W1"][j][d] * xr[d] for d in range(D)) for j in range(N)] for xr in p["x"]]
            except (IndexError, TypeError):
                break  # shapes the user got wrong: check() says which
            flat = [v for r in a for v in r]
            if hidden == "relu":
                ok = 0 not in flat and all(any(v > 0 for v in r) for r in a) and max(flat) <= 4
            else:
                ok = all(abs(v) <= 2 for v in flat) and any(v != 0 for v in flat)
            if ok or all(given(k) for k in ("x", "W1", "b1")):
                break
        # Output layer: targets of ln must stay positive; σ/exp arguments small.
        free_out = not (given("W2") or given("b2"))
        for _attempt in range(300):
            w_choices: list[int] | list[Fraction]
            b_choices: list[int] | list[Fraction]
            if out == "linear" and loss in ("bce", "ce"):
                w_choices, b_choices = [Fraction(k, 10) for k in (-2, -1, 1, 2)], [Fraction(k, 10) for k in range(2, 9)]
            else:
                w_choices, b_choices = [-2, -1, 1, 1, 2], [-1, 0, 0, 1]
            if not given("W2"):
                p["W2"] = mat(K, N, w_choices)
            if not given("b2"):
                p["b2"] = [rng.choice(b_choices) for _ in range(K)]
            try:
                net = Net(p)
                rows = forward_py(net)
            except (IndexError, TypeError, KeyError):
                break
            small = all(abs(float(v)) <= 3 for r in rows for v in r["xi2"])
            if _ill_defined(net, rows) is None and (small or out == "linear"):
                break
            if not free_out:
                break
        else:
            if free_out and out == "linear":
                p["W2"], p["b2"] = [[0] * N for _ in range(K)], [Fraction(1, 2)] * K
        return vector.draw(p, rng, fixed)  # a share of the one-example draws asks the vector form

    def derive(self, p: dict) -> dict:
        net = Net(p)
        rows = forward_py(net)
        ask = p["ask"]
        return {
            "n": net.n, "D": net.D, "N": net.N, "K": net.K,
            "sizes": (f"D = {net.D} input{'s' * (net.D != 1)}, N = {net.N} hidden unit{'s' * (net.N != 1)} "
                      f"and K = {net.K} output{'s' * (net.K != 1)}"),
            "hidden_text": HIDDEN_TEXT[net.hidden], "output_text": OUTPUT_TEXT[net.output],
            "loss_text": loss_text(net), "given": given_text(net, rows),
            "ask_forward": int(ask in ("all", "forward")),
            "ask_backward": int(ask in ("all", "backward")),
            "ask_step": int(ask in ("all", "step")),
            "sym_ok": int(net.elementwise),
            **vector.template_values(p, net.n, net.D, net.N, net.K),
            # With weight decay the gradients are of J = L + λΩ; without, the prompt is as it always was.
            "obj": "J" if net.lam != 0 else "L", "has_decay": int(net.lam != 0),
            "decay_text": (" Weight decay: " + decay_text(net.lam, net.decay_biases, 2)) if net.lam != 0 else "",
        }

    # -- key ------------------------------------------------------------------
    def exact(self, p: dict) -> dict:
        """The parts asked (``ask``): the forward values, and SymPy's derivatives of L at them."""
        import sympy

        net = Net(p)
        W1, b1, W2, b2 = RM(net.W1), RM(net.b1), RM(net.W2), RM(net.b2)
        ask = p["ask"]
        # Forward values with the actual weights.
        rows = _forward_sym(net, W1, b1, W2, b2)
        # 1 − ŷ as the forward pass's complement (σ(−ξ⁽²⁾), …): the same L, and its value keeps its digits.
        loss = _loss_sym(net, [r[3] for r in rows], [complement_sym(net.output, r[2]) for r in rows])
        out = {
            "xi1": sympy.Matrix([[tidy(v) for v in r[0]] for r in rows]),
            "h": sympy.Matrix([[tidy(v) for v in r[1]] for r in rows]),
            "xi2": sympy.Matrix([[tidy(v) for v in r[2]] for r in rows]),
            "yhat": sympy.Matrix([[tidy(v) for v in r[3]] for r in rows]),
            "L": tidy(loss),
        }
        out["J"] = out["L"] if net.lam == 0 else tidy(
            loss + R(net.lam) * decay_sym([net.W1, net.W2], [net.b1, net.b2], net.lam, net.decay_biases)[0])
        if ask == "vector":
            return {**out, **vector.exact(p)}  # gradients as matrix expressions in the named vectors
        if ask == "forward":
            return out  # the gradients are not asked: no derivative is taken
        backward = ask in ("all", "backward")
        # ∇θL, ∇ξ⁽²⁾L and ∇ξ⁽¹⁾L: L differentiated (written in the weights, in ξ⁽²⁾, in ξ⁽¹⁾), at the numbers.
        g = _gradients_sym(net, W1, b1, W2, b2, rows, excitations=backward)
        eta = R(net.eta)
        g["W1_new"] = W1 - eta * g["dW1"]
        g["b1_new"] = b1 - eta * g["db1"]
        g["W2_new"] = W2 - eta * g["dW2"]
        g["b2_new"] = b2 - eta * g["db2"]
        for k, v in g.items():
            out[k] = v.applyfunc(tidy)
        if backward:
            out["dxi2_sym"] = output_gradient_formula(net.output, net.loss) if net.elementwise else None
        return out

    def numeric(self, p: dict) -> dict:
        net = Net(p)
        out = backprop_np(net)
        out.update(_step(out, net, float(net.eta)))
        out["db1"], out["db2"] = out["db1"].ravel(), out["db2"].ravel()
        out["dxi2_sym"] = _output_gradient_np(net.output, net.loss) if net.elementwise else None
        if p["ask"] == "vector":
            out.update(vector.numeric(p))
        return out

    # -- error carried forward --------------------------------------------------
    def carry_from(self, p: dict) -> dict[str, tuple[str, ...]]:
        """Each value from the ones a student computes it from, as the ECE 417 exam review's passes do.

        σ̇(ξ⁽¹⁾) is h(1 − h) or 1 − h² from h (the worked solution's form), and u(ξ⁽¹⁾) for ReLU.
        Inputs a variant does not ask (a backward-only instance asks no h) keep the key's value.
        """
        return {"h": ("xi1",), "xi2": ("h",), "yhat": ("xi2",), "L": ("yhat",), "dxi2": ("yhat",),
                "dW2": ("dxi2", "h"), "db2": ("dxi2",),
                "dxi1": ("dxi2", "xi1" if p["hidden"] == "relu" else "h"),
                "dW1": ("dxi1",), "db1": ("dxi1",),
                "W2_new": ("dW2",), "b2_new": ("db2",), "W1_new": ("dW1",), "b1_new": ("db1",),
                **({"J": ("L",)} if p.get("lambda") else {})}

    def carry(self, p: dict, given: dict) -> dict:
        """The numeric path's formulas, fed the student's own earlier values (the key's for the rest)."""
        import numpy as np

        net = Net(p)
        eta = float(net.eta)
        base = backprop_np(net)
        base.update(_step(base, net, eta))
        X, Y = np.array(net.X, dtype=float), np.array(net.Y, dtype=float)
        W1, b1 = np.array(net.W1, dtype=float), np.array(net.b1, dtype=float)
        W2, b2 = np.array(net.W2, dtype=float), np.array(net.b2, dtype=float)

        def val(name):
            return np.array(given[name], dtype=float) if name in given else np.asarray(base[name], dtype=float)

        # Weight decay is the same whatever the student's back-propagation gave: λΩ and λW (λb with omega=all).
        penalty, (kW1, kW2), (kb1, kb2) = decay_np([W1, W2], [b1, b2], float(net.lam), net.decay_biases)
        formulas = {
            "h": lambda: g_np(net.hidden, val("xi1")),
            "xi2": lambda: val("h") @ W2.T + b2,
            "yhat": lambda: np.array([g_np("sigmoid", z) if net.output == "sigmoid" else
                                      softmax_np(z) if net.output == "softmax" else z for z in val("xi2")]),
            "L": lambda: _loss_from_yhat(net, Y, val("yhat")),
            "dxi2": lambda: _dxi2_from_yhat(net, Y, val("yhat")),
            "J": lambda: val("L") + penalty,
            "dW2": lambda: val("dxi2").T @ val("h") + kW2,
            "db2": lambda: val("dxi2").sum(axis=0) + kb2,
            "dxi1": lambda: dg_np(net.hidden, val("xi1"), 0.0, val("h")) * (val("dxi2") @ W2),
            "dW1": lambda: val("dxi1").T @ X + kW1,
            "db1": lambda: val("dxi1").sum(axis=0) + kb1,
            "W2_new": lambda: W2 - eta * val("dW2"), "b2_new": lambda: b2 - eta * val("db2"),
            "W1_new": lambda: W1 - eta * val("dW1"), "b1_new": lambda: b1 - eta * val("db1"),
        }
        out: dict = {}
        with np.errstate(all="ignore"):  # a student's ŷ outside (0, 1) has no log: that part is left out
            for part, inputs in self.carry_from(p).items():
                if any(i in given for i in inputs):
                    value = np.asarray(formulas[part](), dtype=float)
                    if np.all(np.isfinite(value)):
                        out[part] = value if value.ndim else float(value)
        return out

    # -- worked solution --------------------------------------------------------
    def solution(self, p: dict, key: dict) -> dict:
        net = Net(p)
        o = backprop_np(net)
        st = _step(o, net, float(net.eta))
        many = net.n > 1
        g1 = SYMBOL[net.hidden]

        def ex(i):
            return f" (example {i + 1})" if many else ""

        def xsub(i):
            return f"x{'₁₂₃₄₅'[i]}" if many else "x"

        steps: dict = {k: [] for k in ("xi1", "h", "xi2", "yhat", "dxi2", "dxi1")}
        steps["_"] = [f"Shapes: x has D = {net.D} inputs, W⁽¹⁾ is {_sz(net.N, net.D)} (N×D), "
                      f"W⁽²⁾ is {_sz(net.K, net.N)} (K×N); n = {net.n} example{'s' if many else ''}."]
        if p["ask"] not in ("all", "forward"):
            # Back-propagation starts from the forward values: show them first.
            for i in range(net.n):
                steps["_"].append(f"Forward{ex(i)}: ξ⁽¹⁾ = {vtext(o['xi1'][i])}, h = {vtext(o['h'][i])}, "
                                  f"ξ⁽²⁾ = {vtext(o['xi2'][i])}, ŷ = {vtext(o['yhat'][i])}")
        for i in range(net.n):
            x = net.X[i]
            a, h, z, yh = (o[k][i] for k in ("xi1", "h", "xi2", "yhat"))
            terms = ", ".join(" + ".join([num(net.b1[j])]
                                         + [f"({num(net.W1[j][d])})({num(x[d])})" for d in range(net.D)])
                              for j in range(net.N))
            steps["xi1"].append(f"ξ⁽¹⁾ = b⁽¹⁾ + W⁽¹⁾{xsub(i)} = [{terms}] = {vtext(a)}{ex(i)}")
            steps["h"].append(f"h = {g1}(ξ⁽¹⁾) = [{', '.join(f'{g1}({f4(float(v))})' for v in a)}] = {vtext(h)}{ex(i)}")
            terms2 = ", ".join(" + ".join([num(net.b2[k])] + [f"({num(net.W2[k][j])})({f4(float(h[j]))})"
                                                               for j in range(net.N)]) for k in range(net.K))
            steps["xi2"].append(f"ξ⁽²⁾ = b⁽²⁾ + W⁽²⁾h = [{terms2}] = {vtext(z)}{ex(i)}")
            if net.output == "sigmoid":
                sig = ", ".join(f"σ({f4(float(v))})" for v in z)
                steps["yhat"].append(f"ŷ = σ(ξ⁽²⁾) = [{sig}] = {vtext(yh)}{ex(i)}")
            elif net.output == "softmax":
                e = [math.exp(float(v) - float(max(z))) for v in z]
                steps["yhat"].append(f"ŷ = softmax(ξ⁽²⁾): exp(ξ⁽²⁾ − {f4(float(max(z)))}) = {vtext(e)}, sum "
                                     f"{f4(sum(e))}, ŷ = {vtext(yh)}{ex(i)}")
            else:
                steps["yhat"].append(f"ŷ = ξ⁽²⁾ = {vtext(yh)}{ex(i)}")
        steps["L"] = [loss_text(net), self._loss_steps(net, o)]
        # Backward: ∇ξ⁽²⁾L.
        d2_rule = self._dxi2_rule(net)
        steps["dxi2"].append(d2_rule)
        for i in range(net.n):
            steps["dxi2"].append(f"∇ξ⁽²⁾L{ex(i)} = {self._dxi2_numbers(net, o, i)} = {vtext(o['dxi2'][i])}")
        outer2 = " + ".join(f"{vtext(o['dxi2'][i])}·{vtext(o['h'][i])}ᵀ" for i in range(net.n))
        steps["dW2"] = [d2_rule + ": " + ", ".join(vtext(r) for r in o["dxi2"]),
                        "∇W⁽²⁾L = Σᵢ ∇ξᵢ⁽²⁾L hᵢᵀ (an outer product: K×N, like W⁽²⁾)",
                        f"= {outer2} = {mtext(o['dW2'])}"]
        steps["db2"] = ["∇b⁽²⁾L = Σᵢ ∇ξᵢ⁽²⁾L = " + " + ".join(vtext(o["dxi2"][i]) for i in range(net.n))
                        + f" = {vtext(o['db2'])}"]
        # ∇ξ⁽¹⁾L.
        sd_name = {"sigmoid": "σ̇(ξ⁽¹⁾) = h ⊙ (1 − h)", "tanh": "tanh′(ξ⁽¹⁾) = 1 − h ⊙ h",
                   "relu": "ReLU′(ξ⁽¹⁾) = u(ξ⁽¹⁾)"}[net.hidden]
        steps["dxi1"].append("∇ξ⁽¹⁾L = σ̇(ξ⁽¹⁾) ⊙ W⁽²⁾ᵀ ∇ξ⁽²⁾L")
        for i in range(net.n):
            a, h, d2 = o["xi1"][i], o["h"][i], o["dxi2"][i]
            back = net_back(net, d2)
            sd = dg_np(net.hidden, a, 0.0, h)
            steps["dxi1"] += [f"W⁽²⁾ᵀ∇ξ⁽²⁾L{ex(i)} = {vtext(back)}",
                              f"{sd_name}{ex(i)} = {vtext(sd)}",
                              f"∇ξ⁽¹⁾L{ex(i)} = {vtext(sd)} ⊙ {vtext(back)} = {vtext(o['dxi1'][i])}"]
        steps["dW1"] = ["∇ξ⁽¹⁾L = σ̇(ξ⁽¹⁾) ⊙ W⁽²⁾ᵀ ∇ξ⁽²⁾L = " + ", ".join(vtext(r) for r in o["dxi1"]),
                        "∇W⁽¹⁾L = Σᵢ ∇ξᵢ⁽¹⁾L xᵢᵀ (N×D, like W⁽¹⁾)",
                        "= " + " + ".join(f"{vtext(o['dxi1'][i])}·{vtext(net.X[i])}ᵀ" for i in range(net.n))
                        + f" = {mtext(o['dW1'])}"]
        steps["db1"] = ["∇b⁽¹⁾L = Σᵢ ∇ξᵢ⁽¹⁾L = " + " + ".join(vtext(r) for r in o["dxi1"]) + f" = {vtext(o['db1'])}"]
        if net.lam != 0:
            self._decay_steps(net, o, steps)
        eta, obj = num(net.eta), "J" if net.lam != 0 else "L"
        for name, W, label in (("W1_new", net.W1, "W⁽¹⁾"), ("W2_new", net.W2, "W⁽²⁾")):
            grad = o["dW1"] if name == "W1_new" else o["dW2"]
            steps[name] = [f"{label} ← {label} − η∇{label}{obj} = {mtext(W)} − {eta}·{mtext(grad)} = {mtext(st[name])}"]
        for name, b, label in (("b1_new", net.b1, "b⁽¹⁾"), ("b2_new", net.b2, "b⁽²⁾")):
            grad = o["db1"] if name == "b1_new" else o["db2"]
            steps[name] = [f"{label} ← {label} − η∇{label}{obj} = {vtext(b)} − {eta}·{vtext(grad)} = {vtext(st[name])}"]
        steps["dxi2_sym"] = self._sym_steps(net)
        if p["ask"] == "vector":
            steps.update(vector.solution(p))
        return steps

    @staticmethod
    def _decay_steps(net: Net, o: dict, steps: dict) -> None:
        """J = L + λΩ: its value, and λW (λb with omega=all) joining each gradient after the sum over examples."""
        lam = num(net.lam)
        steps["J"] = [decay_text(net.lam, net.decay_biases, 2),
                      f"J = L + λΩ = {f4(o['L'])} + {f4(o['J'] - o['L'])} = {f4(o['J'])}"]
        decayed: list = [("dW2", "W⁽²⁾", net.W2, mtext), ("dW1", "W⁽¹⁾", net.W1, mtext)]
        if net.decay_biases:
            decayed += [("db2", "b⁽²⁾", net.b2, vtext), ("db1", "b⁽¹⁾", net.b1, vtext)]
        for name, label, value, text in decayed:
            # The last step ends "= ∇L"; here ∇L is the sum before the decay term, so it is written again.
            last = steps[name][-1].rsplit(" = ", 1)[0]
            steps[name][-1] = f"{last} = {text(o[name] - lam_times(net.lam, value))}"
            steps[name] += [f"∇{label}J = ∇{label}L + λ{label} (the derivative of ½λ‖{label}‖²), λ = {lam}",
                            f"= {text(o[name] - lam_times(net.lam, value))} + {lam}·{text(value)} = {text(o[name])}"]

    @staticmethod
    def _dxi2_rule(net: Net) -> str:
        if net.matched:
            pair = {"bce": "sigmoid + BCE", "ce": "softmax + CE", "mse": "linear output + MSE"}[net.loss]
            return f"∇ξᵢ⁽²⁾L = (ŷᵢ − yᵢ)/n for {pair} (ECE 417)"
        dl = {"mse": "(ŷ − y)/n", "bce": "−(1/n)(y/ŷ − (1 − y)/(1 − ŷ))", "ce": "−(1/n) y/ŷ"}[net.loss]
        jac = {"sigmoid": "σ̇(ξ⁽²⁾) ⊙ ∂L/∂ŷ = ŷ(1 − ŷ) ⊙ ∂L/∂ŷ", "softmax": "(diag(ŷ) − ŷŷᵀ) ∂L/∂ŷ",
               "linear": "∂L/∂ŷ (a linear output passes it through)"}[net.output]
        return f"∂L/∂ŷᵢ = {dl}; ∇ξᵢ⁽²⁾L = {jac}"

    @staticmethod
    def _dxi2_numbers(net: Net, o: dict, i: int) -> str:
        yh, y = o["yhat"][i], net.Y[i]
        n = net.n
        over = f"/{n}" if n > 1 else ""
        if net.matched or net.loss == "mse":
            dl = f"({vtext(yh)} − {vtext(y)}){over}"
        else:
            # ∂L/∂ŷ entry by entry, leaving out the terms whose coefficient is 0 (as L does).
            entries = []
            for v, t in zip(yh, y):
                v4 = f4(float(v))
                bits = []
                if t != 0:
                    bits.append(f"{num(t)}/{v4}")
                if net.loss == "bce" and t != 1:
                    bits.append(f"{num(1 - t)}/(1 − {v4})")
                body = " − ".join(bits) if bits else "0"
                entries.append(f"−({body}){over}" if len(bits) > 1 else
                               (f"−{body}{over}" if t != 0 else f"{body}{over}"))
            dl = "[" + ", ".join(entries) + "]"
        if net.matched or net.output == "linear":
            return dl
        if net.output == "sigmoid":
            return f"{vtext(yh * (1 - yh))} ⊙ {dl}"
        return f"(diag(ŷ) − ŷŷᵀ)·{dl} with ŷ = {vtext(yh)}"

    @staticmethod
    def _loss_steps(net: Net, o: dict) -> str:
        parts = []
        for yh, y in zip(o["yhat"], net.Y):
            for v, t in zip(yh, y):
                if net.loss == "mse":
                    parts.append(f"({num(t)} − {paren(float(v), f4)})²")
                else:
                    if t != 0:
                        parts.append(f"{num(t)}·ln {f4(float(v))}" if t != 1 else f"ln {f4(float(v))}")
                    if net.loss == "bce" and t != 1:
                        parts.append(f"{num(1 - t)}·ln(1 − {f4(float(v))})" if t != 0 else f"ln(1 − {f4(float(v))})")
        body = " + ".join(parts) if parts else "0"
        n = net.n
        if net.loss == "mse":
            return f"L = (1/{2 * n})·[{body}] = {f4(o['L'])}"
        return f"L = −(1/{n})·[{body}] = {f4(o['L'])}"

    @staticmethod
    def _sym_steps(net: Net) -> list[str]:
        if not net.elementwise:
            return []
        if net.output == "softmax":
            return ["ℓᵢ = −(1/n) Σ_k y_k ln ŷ_k with ln ŷ_k = ξ_k − ln Σ_ℓ exp(ξ_ℓ)",
                    "∂ℓᵢ/∂ξ_j = −(1/n) Σ_k y_k (δ_kj − ŷ_j) = (1/n)(ŷ_j Σ_k y_k − y_j) = (ŷ_j − y_j)/n (Σ_k y_k = 1)"]
        ell = {"mse": "(y − ŷ)²/(2n)", "bce": "−[y ln ŷ + (1 − y) ln(1 − ŷ)]/n", "ce": "−y ln ŷ/n"}[net.loss]
        dl = {"mse": "(ŷ − y)/n", "bce": "−(1/n)[y/ŷ − (1 − y)/(1 − ŷ)]", "ce": "−y/(nŷ)"}[net.loss]
        dg = {"sigmoid": "ŷ(1 − ŷ)", "linear": "1"}[net.output]
        steps = [f"per output: ℓ = {ell}, ∂ℓ/∂ŷ = {dl}", f"dŷ/dξ⁽²⁾ = {dg}", "∂L/∂ξ⁽²⁾ = ∂ℓ/∂ŷ · dŷ/dξ⁽²⁾"]
        if (net.output, net.loss) == ("sigmoid", "bce"):
            steps.append("= −(1/n)[y(1 − ŷ) − (1 − y)ŷ] = (ŷ − y)/n")
        return steps

    # -- mistakes -------------------------------------------------------------------
    def mistakes(self, p: dict) -> dict:
        import numpy as np
        import sympy

        net = Net(p)
        eta = float(net.eta)
        grads = ("dxi2", "dW2", "db2", "dxi1", "dW1", "db1")
        news = ("W1_new", "b1_new", "W2_new", "b2_new")

        def run(**flags) -> dict:
            o = backprop_np(net, **flags)
            o.update(_step(o, net, eta))
            return o

        def pick(o, names):
            return {k: o[k] for k in names}

        out: dict = {}
        objective = ("L", "J") if net.lam != 0 else ("L",)
        if net.lam != 0:
            # The weight-decay slips, with the ids of backprop.mlp.
            weights = ("dW1", "dW2", "W1_new", "W2_new")
            decayed = weights + (("db1", "db2", "b1_new", "b2_new") if net.decay_biases else ())
            out["decay-forgotten"] = pick(run(decay=False), ("J",) + decayed)
            out["decay-doubled"] = pick(run(decay_factor=2.0, half_omega=False), ("J",) + decayed)
            if not net.decay_biases:
                out["decay-on-biases"] = pick(run(decay_biases=True), ("J", "db1", "db2", "b1_new", "b2_new"))
        hidden_side = ("dxi1", "dW1", "db1", "W1_new", "b1_new")
        if net.hidden != "relu":  # for ReLU this is relu-derivative-one, whose message says more
            out["forgot-sigma-dot"] = pick(run(no_sigma_dot=True), hidden_side)
        out["xi-for-h"] = pick(run(xi_for_h=True), ("dW2", "W2_new"))
        if net.hidden in ("sigmoid", "tanh"):
            out["sigma-dot-from-xi"] = pick(run(sigma_dot_from_xi=True), hidden_side)
        if net.hidden == "relu":
            out["relu-derivative-one"] = pick(run(relu_one=True), hidden_side)
            # Differs from the key only where some ξ⁽¹⁾ is exactly 0 (elsewhere it is dropped as the key).
            out["step-at-zero"] = pick(run(relu_zero=True), hidden_side)
        if net.K == net.N:
            out["w2-not-transposed"] = pick(run(w_not_t=True), hidden_side)
        base = run()
        out["transposed"] = {"dW1": base["dW1"].T, "dW2": base["dW2"].T}
        flipped = run(flip=True)
        out["sign-flipped"] = pick(flipped, grads)
        out["update-sign"] = {k: v for k, v in zip(news, (
            np.array(net.W1, float) + eta * base["dW1"], np.array(net.b1, float) + eta * base["db1"],
            np.array(net.W2, float) + eta * base["dW2"], np.array(net.b2, float) + eta * base["db2"]))}
        if eta != 1:
            out["eta-forgotten"] = {k: v for k, v in zip(news, (
                np.array(net.W1, float) - base["dW1"], np.array(net.b1, float) - base["db1"],
                np.array(net.W2, float) - base["dW2"], np.array(net.b2, float) - base["db2"]))}
        if net.n > 1:
            out["dropped-1-over-n"] = pick(run(drop_n=True), objective + grads + news)
            out["bias-averaged"] = {"db2": base["db2"] / net.n, "db1": base["db1"] / net.n}
        if net.loss == "mse":
            out["mse-half-dropped"] = pick(run(mse_half=True), objective + grads + news)
        if not net.matched:
            out["matched-shortcut"] = pick(run(shortcut=True), grads + news)
        if net.N == net.D:
            out["w1-transposed"] = pick(run(w1_t=True), ("xi1", "h", "xi2", "yhat"))
        if any(v != 0 for v in net.b1):
            out["bias-forgotten"] = pick(run(no_b1=True), ("xi1", "h"))
        out["activation-forgotten"] = pick(run(no_hidden=True), ("h", "xi2", "yhat"))
        if net.loss == "bce" and any(t != 1 for r in net.Y for t in r):
            # Only the y ln ŷ half of BCE.
            L = -sum(float(t) * float(lv) for z, yh, y in zip(base["xi2"], base["yhat"], net.Y)
                     for lv, t in zip(_log_outputs(net.output, z, yh)[0], y) if t != 0) / net.n
            out["bce-one-term"] = {"L": L}
        # A slip that leaves ŷ outside the logs' domain has no value to recognise.
        for vals in out.values():
            for part in [k for k, v in vals.items() if not np.all(np.isfinite(np.asarray(v, dtype=float)))]:
                del vals[part]
        # The symbolic part: the same slips, written as formulas.
        if net.elementwise:
            Yh, Y, n = sympy.Symbol("yhat", real=True), sympy.Symbol("y", real=True), sympy.Symbol("n", positive=True)
            right = output_gradient_formula(net.output, net.loss)
            out["sign-flipped"]["dxi2_sym"] = -right
            out.setdefault("dropped-1-over-n", {})["dxi2_sym"] = right * n
            if not net.matched:
                out.setdefault("matched-shortcut", {})["dxi2_sym"] = (Yh - Y) / n
            elif net.output == "sigmoid":
                out["extra-sigma-dot"] = {"dxi2_sym": (Yh - Y) * Yh * (1 - Yh) / n}
        if p["ask"] == "vector":
            for mistake, values in vector.mistakes(p).items():
                out.setdefault(mistake, {}).update(values)
        return out


def lam_times(lam, value):
    """λ·value as floats (the decay term a worked step takes back out of, or adds to, a gradient)."""
    import numpy as np

    return float(lam) * np.array(value, dtype=float)


def net_back(net: Net, d2):
    """W⁽²⁾ᵀ ∇ξ⁽²⁾L for the worked solution."""
    import numpy as np

    return np.array(net.W2, dtype=float).T @ d2
