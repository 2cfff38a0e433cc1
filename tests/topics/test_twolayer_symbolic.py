"""backprop.two-layer's SymPy key: derivatives taken once per network shape, numbers put in after.

The reference here is the way the key was computed before: L written with the example's numbers and
the weights as symbols, differentiated, the weights' numbers put in.  The key must hold the same exact
values, entry for entry (a 30-digit Float is the same Float), over many draws and every combination
of activations and loss.  Both write BCE's 1 − ŷ as the forward pass's complement (σ(−ξ⁽²⁾), the other
softmax entries: ``_net.complement_sym``), the form of L that keeps a saturated output's digits.
"""

from __future__ import annotations

import itertools

import pytest
import sympy

from nncheck.generate.variant import make_variant
from nncheck.topics import twolayer
from nncheck.topics._net import complement_sym
from nncheck.topics.activations import g_sym, tidy
from nncheck.topics.base import RM, R
from topics import helpers

FID = "backprop.two-layer"
GRADIENTS = ("dW1", "db1", "dW2", "db2", "dxi2", "dxi1", "W1_new", "b1_new", "W2_new", "b2_new")


def _reference_loss(net, yhat_rows, z_rows):
    n = sympy.Integer(net.n)
    total = sympy.Integer(0)
    for yh, z, y in zip(yhat_rows, z_rows, net.Y):
        for v, rest, t in zip(yh, complement_sym(net.output, z), y):
            t = R(t)
            if net.loss == "mse":
                total += (t - v) ** 2 / (2 * n)
            else:
                if t != 0:
                    total -= t * sympy.log(v) / n
                if net.loss == "bce" and t != 1:
                    total -= (1 - t) * sympy.log(rest) / n
    return total


def _reference_forward(net, W1, b1, W2, b2):
    rows = []
    for x in net.X:
        a = [b1[j] + sum(W1[j, d] * R(x[d]) for d in range(net.D)) for j in range(net.N)]
        h = [g_sym(net.hidden, v) for v in a]
        z = [b2[k] + sum(W2[k, j] * h[j] for j in range(net.N)) for k in range(net.K)]
        rows.append((a, h, z, twolayer._out_sym(net.output, z)))
    return rows


def reference_gradients(p) -> dict:
    """Every gradient part by differentiating L written with this example's numbers (the old path)."""
    net = twolayer.Net(p)
    N, D, K, n = net.N, net.D, net.K, net.n
    W1s = sympy.Matrix(N, D, lambda j, d: sympy.Symbol(f"w1_{j}_{d}", real=True))
    b1s = sympy.Matrix(N, 1, lambda j, _: sympy.Symbol(f"b1_{j}", real=True))
    W2s = sympy.Matrix(K, N, lambda k, j: sympy.Symbol(f"w2_{k}_{j}", real=True))
    b2s = sympy.Matrix(K, 1, lambda k, _: sympy.Symbol(f"b2_{k}", real=True))
    W1, b1, W2, b2 = RM(net.W1), RM(net.b1), RM(net.W2), RM(net.b2)
    weights = {**dict(zip(W1s, W1)), **dict(zip(b1s, b1)), **dict(zip(W2s, W2)), **dict(zip(b2s, b2))}
    rows = _reference_forward(net, W1, b1, W2, b2)
    symbolic = _reference_forward(net, W1s, b1s, W2s, b2s)
    L_w = _reference_loss(net, [r[3] for r in symbolic], [r[2] for r in symbolic])

    def grad(symbols):
        return symbols.applyfunc(lambda s: sympy.diff(L_w, s).xreplace(weights))

    g = {"dW1": grad(W1s), "db1": grad(b1s), "dW2": grad(W2s), "db2": grad(b2s)}
    Z = sympy.Matrix(n, K, lambda i, k: sympy.Symbol(f"z_{i}_{k}"))
    L_z = _reference_loss(net, [twolayer._out_sym(net.output, list(Z.row(i))) for i in range(n)],
                          [list(Z.row(i)) for i in range(n)])
    at_z = {Z[i, k]: rows[i][2][k] for i in range(n) for k in range(K)}
    g["dxi2"] = Z.applyfunc(lambda s: sympy.diff(L_z, s).xreplace(at_z))
    A = sympy.Matrix(n, N, lambda i, j: sympy.Symbol(f"a_{i}_{j}"))
    yh_a, z_a = [], []
    for i in range(n):
        h = [g_sym(net.hidden, A[i, j]) for j in range(N)]
        z = [b2[k] + sum(W2[k, j] * h[j] for j in range(N)) for k in range(K)]
        yh_a.append(twolayer._out_sym(net.output, z))
        z_a.append(z)
    L_a = _reference_loss(net, yh_a, z_a)
    at_a = {A[i, j]: rows[i][0][j] for i in range(n) for j in range(N)}
    g["dxi1"] = A.applyfunc(lambda s: sympy.diff(L_a, s).xreplace(at_a))
    eta = R(net.eta)
    g["W1_new"], g["b1_new"] = W1 - eta * g["dW1"], b1 - eta * g["db1"]
    g["W2_new"], g["b2_new"] = W2 - eta * g["dW2"], b2 - eta * g["db2"]
    return {k: v.applyfunc(tidy) for k, v in g.items()}


def _same_entry(a, b) -> bool:
    """The same exact value.  One allowance: a gradient entry that is exactly 0 but whose closed form
    is too long to keep is evaluated at 60 digits (activations.high_precision), which leaves the
    cancellation's noise, about 1e-62; two ways of writing that 0 leave different noise."""
    if a == b:
        return True
    if isinstance(a, sympy.Float) and isinstance(b, sympy.Float):
        return abs(a) < 1e-50 and abs(b) < 1e-50
    return False


def assert_same_key(p) -> None:
    new = twolayer.TwoLayer().exact({**p, "ask": "all"})
    old = reference_gradients(p)
    for name in GRADIENTS:
        a, b = old[name], new[name]
        assert a.shape == b.shape, name
        bad = [(x, y) for x, y in zip(a, b) if not _same_entry(x, y)]
        assert not bad, (name, bad[:3], p)


@pytest.mark.parametrize("seed", range(1, 31))
def test_the_key_is_the_derivative_of_L_with_the_numbers_in(seed):
    v = make_variant(helpers.record(FID), seed, {"ask": "all"})
    assert_same_key(v.params)


COMBOS = list(itertools.product(["sigmoid", "tanh", "relu"], ["sigmoid", "softmax", "linear"], ["mse", "bce", "ce"]))


@pytest.mark.parametrize("hidden, output, loss", COMBOS)
def test_every_combination_two_examples_and_probability_targets(hidden, output, loss):
    # Two examples, fractions, a target of 1/2 for BCE (both of its log terms), one-hot rows for CE.
    y = "[[0, 1], [1, 0]]" if loss == "ce" else "[[1/2, 1], [0, 1/4]]" if loss == "bce" else "[[1, -1], [2, 0]]"
    o = dict(hidden=hidden, output=output, loss=loss, eta="1/2", ask="all", x="[[1, 2], [0, -1]]",
             W1="[[1, -1], [2, 1/2]]", b1="[1/2, -1]", y=y)
    if output == "linear" and loss != "mse":
        o.update(W2="[[1/10, -1/5], [1/5, 1/10]]", b2="[1/2, 2/5]")
    else:
        o.update(W2="[[1, -2], [2, 1]]", b2="[0, 1]")
    v = make_variant(helpers.record(FID), 1, o)
    assert_same_key(v.params)


def test_a_shape_is_differentiated_once_and_its_derivatives_serve_other_numbers():
    twolayer._weight_derivatives.cache_clear()
    base = dict(hidden="sigmoid", output="sigmoid", loss="bce", eta="1", ask="backward", x="[[1, 2]]", y="[[1]]",
                W1="[[1, -1], [2, 0]]", b1="[0, 1]", W2="[[1, -2]]", b2="[0]")
    key = twolayer.TwoLayer().exact(make_variant(helpers.record(FID), 1, base).params)
    other = twolayer.TwoLayer().exact(make_variant(helpers.record(FID), 1, {**base, "x": "[[2, -1]]",
                                                                            "W2": "[[2, 1]]"}).params)
    info = twolayer._weight_derivatives.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    assert key["dW1"] != other["dW1"]  # the numbers went in, not the first key's
    # A target of 0 instead of 1 is another form of L (the other log term): another shape.
    twolayer.TwoLayer().exact(make_variant(helpers.record(FID), 1, {**base, "y": "[[0]]"}).params)
    assert twolayer._weight_derivatives.cache_info().misses == 2


def test_a_forward_instance_takes_no_derivative():
    twolayer._weight_derivatives.cache_clear()
    p = make_variant(helpers.record(FID), 1, {"ask": "forward"}).params
    out = twolayer.TwoLayer().exact(p)
    assert {"xi1", "h", "xi2", "yhat", "L"} <= set(out) and "dW1" not in out
    assert twolayer._weight_derivatives.cache_info().misses == 0


def test_substitute_rebuilds_as_xreplace_does():
    x, y = sympy.symbols("x y", real=True)
    e = sympy.exp(-x) / (1 + sympy.exp(-x)) ** 2 + y * sympy.log(1 + sympy.exp(-x)) - x * y
    values = {x: sympy.Rational(1, 3), y: sympy.Integer(2)}
    assert twolayer.substitute([e, x + y, sympy.Integer(3)], values) == [
        e.xreplace(values), sympy.Rational(7, 3), sympy.Integer(3)]
