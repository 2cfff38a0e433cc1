"""backprop.two-layer with saturated units: σ(18), tanh(−12), a softmax spread over 40 are answered.

Random networks with small integer weights reach |ξ| of 20 and more; float64 holds σ(18) and
ln σ(−18) when they are written in their stable forms, so the key is computed (SymPy and NumPy
agree to 1e-9) and checked here against finite differences of a reference that is itself stable
(ln σ(ξ) = −ln(1 + e^(−ξ)), log-softmax).  Only what float64 cannot hold is refused.
"""

from __future__ import annotations

import itertools
import random
from functools import partial

import numpy as np
import pytest

from nncheck.generate.variant import make_variant
from nncheck.key.compute import answer_key
from nncheck.kinds.values import to_float
from topics import helpers
from topics.helpers import arr
from topics.netref import fd, penalty

FID = "backprop.two-layer"
key = partial(helpers.key_of, FID)


# ----------------------------------------------------------------------------
# A stable reference: J from log-space outputs, so that a saturated unit's loss keeps its digits.
# ----------------------------------------------------------------------------
def sigmoid(t):
    t = np.asarray(t, float)
    e = np.exp(-np.abs(t))
    return np.where(t >= 0, 1 / (1 + e), e / (1 + e))


def hidden_act(g, a):
    return {"sigmoid": sigmoid, "tanh": np.tanh, "relu": lambda t: np.maximum(t, 0)}[g](a)


def log_outputs(output, z):
    """(ln ŷ, ln(1 − ŷ)) from ξ⁽²⁾, never through ŷ itself."""
    if output == "sigmoid":
        return -np.logaddexp(0, -z), -np.logaddexp(0, z)
    lse = np.logaddexp.reduce(z)
    rest = np.array([np.logaddexp.reduce(np.delete(z, k)) if len(z) > 1 else -np.inf for k in range(len(z))])
    return z - lse, rest - lse


def example_loss(p, z, y, n):
    if p["loss"] == "mse":
        yh = sigmoid(z) if p["output"] == "sigmoid" else np.exp(log_outputs("softmax", z)[0]) \
            if p["output"] == "softmax" else z
        return np.sum((y - yh) ** 2) / (2 * n)
    log_yh, log_rest = log_outputs(p["output"], z)
    total = np.sum(np.where(y != 0, y * np.where(y != 0, log_yh, 0), 0))
    if p["loss"] == "bce":
        total += np.sum(np.where(y != 1, (1 - y) * np.where(y != 1, log_rest, 0), 0))
    return -total / n


def reference_J(p, W1, b1, W2, b2):
    X, Y = np.array(p["x"], float), np.array(p["y"], float)
    L = sum(example_loss(p, b2 + W2 @ hidden_act(p["hidden"], b1 + W1 @ x), y, len(X)) for x, y in zip(X, Y))
    return L + penalty(float(p["lambda"]), [W1, W2] + ([b1, b2] if p["omega"] == "all" else []))


def check_against_finite_differences(k):
    p = k.variant.params
    W = {name: np.array(p[name], float) for name in ("W1", "b1", "W2", "b2")}
    parts = k.parts
    J = parts["J" if "J" in parts else "L"].exact
    assert reference_J(p, **W) == pytest.approx(to_float(J), rel=1e-9, abs=1e-12)
    for name in W:
        want = fd(lambda v, name=name: reference_J(p, **{**W, name: v}), W[name])
        got = arr(parts["d" + name].exact).reshape(W[name].shape)
        assert np.allclose(got, want, rtol=1e-6, atol=1e-6), (name, got, want)
    X, Y = np.array(p["x"], float), np.array(p["y"], float)
    for i, (x, y) in enumerate(zip(X, Y)):
        a = W["b1"] + W["W1"] @ x
        z = W["b2"] + W["W2"] @ hidden_act(p["hidden"], a)
        d2 = fd(lambda zz, y=y: example_loss(p, zz, y, len(X)), z)
        d1 = fd(lambda aa, y=y: example_loss(p, W["b2"] + W["W2"] @ hidden_act(p["hidden"], aa), y, len(X)), a)
        assert np.allclose(d2, arr(parts["dxi2"].exact)[i], rtol=1e-6, atol=1e-6)
        assert np.allclose(d1, arr(parts["dxi1"].exact)[i], rtol=1e-6, atol=1e-6)


# ----------------------------------------------------------------------------
# 20 random networks with integer weights and inputs in [−3, 3].
# ----------------------------------------------------------------------------
COMBOS = [c for c in itertools.product(["sigmoid", "tanh", "relu"], ["sigmoid", "softmax", "linear"],
                                       ["mse", "bce", "ce"])
          if c[1] != "linear" or c[2] == "mse"]  # a linear output with integer weights leaves (0, 1)


def _matrix(rng, rows, cols) -> str:
    return "[" + ", ".join("[" + ", ".join(str(rng.randint(-3, 3)) for _ in range(cols)) + "]"
                           for _ in range(rows)) + "]"


def random_nets(count=20):
    rng = random.Random(417)
    nets = []
    for i in range(count):
        hidden, output, loss = COMBOS[i % len(COMBOS)]
        K = 2 if (output == "softmax" or loss == "ce") else rng.choice([1, 2])
        n, D, N = rng.choice([1, 2]), 3, 3
        if loss == "ce":
            y = [[1 if k == j else 0 for k in range(K)] for j in (rng.randrange(K) for _ in range(n))]
        elif loss == "bce":
            y = [[rng.choice([0, 1, 0.5]) for _ in range(K)] for _ in range(n)]
        else:
            y = [[rng.randint(-3, 3) for _ in range(K)] for _ in range(n)]
        nets.append(dict(hidden=hidden, output=output, loss=loss, eta=1, ask="all", x=_matrix(rng, n, D),
                         W1=_matrix(rng, N, D), b1=_matrix(rng, 1, N)[1:-1], W2=_matrix(rng, K, N),
                         b2=_matrix(rng, 1, K)[1:-1], y=str(y), **({"lambda": "1/2"} if i % 4 == 3 else {})))
    return nets


NETS = random_nets()


def _largest_xi(k) -> float:
    return max(float(np.max(np.abs(arr(k.parts[name].exact)))) for name in ("xi1", "xi2"))


def test_the_random_networks_reach_saturation():
    """The test below would prove nothing with small ξ: most of these nets go beyond the old |ξ| = 12."""
    keys = [key(**net) for net in NETS]
    assert sum(_largest_xi(k) > 12 for k in keys) >= 5


@pytest.mark.parametrize("i", range(len(NETS)))
def test_every_random_integer_network_is_answered_and_matches_finite_differences(i):
    k = key(**NETS[i])  # answer_key refuses when SymPy and NumPy disagree beyond 1e-9
    check_against_finite_differences(k)


# ----------------------------------------------------------------------------
# The digits a saturated unit keeps.
# ----------------------------------------------------------------------------
def test_a_saturated_sigmoid_slope_keeps_its_digits():
    # ξ⁽¹⁾ = 18: σ̇(18) = 1.5e−8 times a back-propagated 1e6.  h(1 − h) as a difference of floats has
    # only half of its digits; σ(18)σ(−18) has them all, and the two keys agree to 1e−9.
    k = key(hidden="sigmoid", output="linear", loss="mse", eta=1, ask="all", x="[3, 3]", W1="[[3, 3]]", b1="[0]",
            W2="[[1000]]", b2="[0]", y="[0]")
    exact, numeric = arr(k.parts["dxi1"].exact), arr(k.parts["dxi1"].numeric)
    assert 1e-3 < abs(exact[0, 0]) < 1 and exact[0, 0] == pytest.approx(numeric[0, 0], rel=1e-12)
    assert "σ(18) ≈ 1 − 1.523e−8" in k.variant.prompt  # the table keeps the digits of 1 − h


def test_a_saturated_softmax_with_bce_is_answered():
    # A spread of 40: 1 − ŷ = 4e−18, which BCE divides by; it comes from the other entries, not 1 − ŷ.
    k = key(hidden="relu", output="softmax", loss="bce", eta=1, ask="all", x="[40, 0]", W1="[[1, 0], [-1, 0]]",
            b1="[0, 0]", W2="[[1, 0], [0, 1]]", b2="[0, 0]", y="[[0.5, 0]]")
    check_against_finite_differences(k)
    assert np.allclose(arr(k.parts["dxi2"].exact), arr(k.parts["dxi2"].numeric), rtol=1e-12, atol=0)


def test_a_closed_form_output_that_saturates_is_warned_about():
    # ξ⁽²⁾ = 1 + 10·tanh(2) is no table entry: a decimal ŷ would lose 1 − ŷ, so the prompt says so.
    v = make_variant(helpers.record(FID), 1, helpers.strs(dict(
        hidden="tanh", output="sigmoid", loss="bce", eta=1, x="[1, 1]", W1="[[1, 1]]", b1="[0]", W2="[[10]]",
        b2="[1]", y="[0]")))
    assert "saturated" in v.prompt and "sigma(−ξ)" in v.prompt
    answer_key(v)
    calm = make_variant(helpers.record(FID), 1, helpers.strs(dict(
        hidden="tanh", output="sigmoid", loss="bce", eta=1, x="[1, 1]", W1="[[1, 1]]", b1="[0]", W2="[[1]]",
        b2="[1]", y="[0]")))
    assert "saturated" not in calm.prompt
