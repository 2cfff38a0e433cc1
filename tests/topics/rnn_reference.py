"""The RNN tests' reference: the loss recomputed from scratch in NumPy (softmax with cross-entropy, or
output=linear with ½‖ŷ − y‖²), and the finite differences of the answer key's gradients against it.
Shared by test_rnn.py and test_rnn_linear.py; the reference uses no solver code (the plain-Python
pass that vets exam draws is checked against the key in :func:`check_plain_recursion`)."""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest

from nncheck.generate.variant import build_variant
from nncheck.key.compute import answer_key
from nncheck.topics import rnn as R
from nncheck.topics._steps import Calc
from topics.helpers import arr, catalog, central


def ref_loss(p: dict, bump=None, eps: float = 0.0) -> float:
    """L from scratch; eps is added to node bump = (name, t, k) so the quotient is dL/d(node)."""
    f = lambda m: np.array(m, dtype=float)  # noqa: E731
    x, U, W, V, b, c = f(p["x"]), f(p["U"]), f(p["W"]), f(p["V"]), f(p["b"]), f(p["c"])
    linear = p.get("output") == "linear"
    h = f(p["h0"])
    total = 0.0
    for t in range(1, x.shape[1] + 1):
        h = np.tanh(b + W @ h + U @ x[:, t - 1])
        if bump and bump[:2] == ("h", t):
            h = h.copy()
            h[bump[2]] += eps
        o = c + V @ h
        if bump and bump[:2] == ("o", t):
            o = o.copy()
            o[bump[2]] += eps
        if linear:
            total += 0.5 * float(np.sum((o - f(p["y"])[:, t - 1]) ** 2))
        else:
            total += -o[p["y"][t - 1] - 1] + float(np.log(np.exp(o).sum()))
    return total


def check_gradients(key, p: dict) -> None:
    """Every entry of ∇o⁽ᵗ⁾L, ∇h⁽ᵗ⁾L and of the weight gradients against central differences of
    :func:`ref_loss`."""
    T, H, K = len(p["x"][0]), len(p["b"]), len(p["c"])
    for name, node, size in (("grad_o", "o", K), ("grad_h", "h", H)):
        got = arr(key.parts[name].exact).reshape(size, T)
        for k in range(size):
            for t in range(1, T + 1):
                fd = central(lambda e, node=node, t=t, k=k: ref_loss(p, (node, t, k), e))
                assert got[k, t - 1] == pytest.approx(fd, rel=1e-6, abs=1e-7), (name, t, k)
    for name in ("U", "W", "V", "b", "c"):
        base = np.array(p[name], dtype=float)
        got = arr(key.parts[f"grad_{name}"].exact).reshape(base.shape)
        for idx in np.ndindex(base.shape):
            def bumped(e, name=name, idx=idx, base=base):
                m = base.copy()
                m[idx] += e
                return ref_loss({**p, name: m})

            assert got[idx] == pytest.approx(central(bumped), rel=1e-6, abs=1e-7), (name, idx)


def check_plain_recursion(key, p: dict) -> None:
    """The plain-Python BPTT that vets exam draws agrees with the key."""
    T = len(p["x"][0])
    plain = R.rnn_backward(p, R.rnn_forward(p, Calc()))
    for name in ("grad_o", "grad_h"):
        assert np.allclose(np.array(plain[name], dtype=float).T, arr(key.parts[name].exact).reshape(-1, T),
                           atol=1e-12), name
    for name in ("grad_c", "grad_b", "grad_V", "grad_W", "grad_U"):
        want = np.array(plain[name], dtype=float)
        assert np.allclose(want, arr(key.parts[name].exact).reshape(want.shape), atol=1e-12), name


def random_params(rng: random.Random, H: int, D: int, T: int, K: int, linear: bool = False) -> dict:
    """Weights in tenths (several units, inputs and outputs); y: T labels (softmax) or K×T targets."""
    def r():
        return Fraction(rng.randint(-15, 15), 10)

    def mat(rows, cols):
        return [[r() for _ in range(cols)] for _ in range(rows)]

    p = {"x": mat(D, T), "U": mat(H, D), "W": mat(H, H), "V": mat(K, H), "b": mat(1, H)[0], "c": mat(1, K)[0],
         "h0": [v / 2 for v in mat(1, H)[0]]}
    if linear:
        return {**p, "y": mat(K, T), "output": "linear"}
    return {**p, "y": [[rng.randint(1, K) for _ in range(T)]]}


def check_random_bptt(seed: str, H: int, D: int, T: int, K: int, linear: bool = False) -> None:
    """rnn.bptt on random weights: the key (refused if SymPy ≠ NumPy) against finite differences and the
    plain-Python recursion; the user's numbers are kept (a softmax's labels as a flat row)."""
    given = random_params(random.Random(seed), H, D, T, K, linear)
    key = answer_key(build_variant(catalog().get("rnn.bptt"), 1, given))
    p = key.variant.params
    assert {**given, "y": given["y"] if linear else given["y"][0]} == {k: p[k] for k in given}
    check_gradients(key, p)
    check_plain_recursion(key, p)
