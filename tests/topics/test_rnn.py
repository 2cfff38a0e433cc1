"""rnn.forward and rnn.bptt: both answer paths, finite differences, hand-worked cases, exam draws,
mistakes through the grader, and bad overrides at the command line."""

from __future__ import annotations

import math
import random
from functools import cache

import numpy as np
import pytest

from nncheck.generate.variant import build_variant
from nncheck.key.compute import answer_key
from nncheck.key.grade import grade
from topics.helpers import (
    arr,
    bad_overrides_test,
    catalog,
    declared_mistake_tests,
    key_of,
    solve_then_check,
)
from topics.rnn_reference import check_random_bptt, random_params

GRADS = ("grad_o", "grad_h", "grad_c", "grad_b", "grad_V", "grad_W", "grad_U")


@pytest.mark.parametrize("H,D,T,K", [(1, 1, 1, 2), (1, 1, 3, 2), (2, 1, 3, 3), (3, 2, 2, 2), (2, 3, 3, 4)])
def test_random_instances_match_finite_differences(H, D, T, K):
    check_random_bptt(f"{H}{D}{T}{K}", H, D, T, K)


def test_forward_matches_reference():
    rng = random.Random(7)
    given = random_params(rng, 2, 2, 3, 3)
    key = answer_key(build_variant(catalog().get("rnn.forward"), 1, given))
    p = key.variant.params
    f = lambda m: np.array(m, dtype=float)  # noqa: E731
    h, total = f(p["h0"]), 0.0
    for t in range(3):
        a = f(p["b"]) + f(p["W"]) @ h + f(p["U"]) @ f(p["x"])[:, t]
        h = np.tanh(a)
        o = f(p["c"]) + f(p["V"]) @ h
        yhat = np.exp(o) / np.exp(o).sum()
        total -= math.log(yhat[p["y"][t] - 1])
        for name, v in (("a", a), ("h", h), ("o", o), ("yhat", yhat)):
            assert np.allclose(arr(key.parts[name].exact)[:, t], v, rtol=1e-12), (name, t)
    assert float(key.parts["L"].exact) == pytest.approx(total, rel=1e-12)


def test_hand_worked_bptt():
    """T = 2, H = 1, K = 2: x = [1, 0], U = W = 1, b = 0, h⁽⁰⁾ = 0, V = [1; −1], c = 0, y = [1, 1].

    Forward: a⁽¹⁾ = 1, h⁽¹⁾ = tanh 1 =: τ, o⁽¹⁾ = [τ, −τ], ŷ⁽¹⁾ = [σ(2τ), σ(−2τ)]
             (e^τ/(e^τ + e^−τ) = σ(2τ)); a⁽²⁾ = τ, h⁽²⁾ = tanh τ =: κ, ŷ⁽²⁾ = [σ(2κ), σ(−2κ)].
    Backward: ∇o⁽ᵗ⁾L = ŷ⁽ᵗ⁾ − [1, 0], so ∇o⁽¹⁾L = [−σ(−2τ), σ(−2τ)], ∇o⁽²⁾L = [−σ(−2κ), σ(−2κ)];
              ∇h⁽²⁾L = Vᵀ∇o⁽²⁾L = −2σ(−2κ);
              ∇h⁽¹⁾L = W (1 − κ²) ∇h⁽²⁾L + Vᵀ∇o⁽¹⁾L = −2(1 − κ²)σ(−2κ) − 2σ(−2τ).
              ∇bL = Σ_t (1 − h⁽ᵗ⁾²)∇h⁽ᵗ⁾L; ∇WL adds h⁽ᵗ⁻¹⁾ (h⁽⁰⁾ = 0: only t = 2, times τ);
              ∇UL adds x⁽ᵗ⁾ (x⁽²⁾ = 0: only t = 1); ∇VL = Σ_t ∇o⁽ᵗ⁾L h⁽ᵗ⁾.
    """
    key = key_of("rnn.bptt", x="[1, 0]", U=1, W=1, b=0, h0=0, V="[1; -1]", c="[0, 0]", y="[1, 1]")
    sig = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    tau = math.tanh(1)
    kappa = math.tanh(tau)
    s1, s2 = sig(-2 * tau), sig(-2 * kappa)
    gh2 = -2 * s2
    gh1 = (1 - kappa**2) * gh2 - 2 * s1
    da1, da2 = (1 - tau**2) * gh1, (1 - kappa**2) * gh2
    want = {"grad_o": [[-s1, -s2], [s1, s2]], "grad_h": [[gh1, gh2]], "grad_c": [-s1 - s2, s1 + s2],
            "grad_b": [da1 + da2], "grad_W": [[da2 * tau]], "grad_U": [[da1]],
            "grad_V": [[-s1 * tau - s2 * kappa], [s1 * tau + s2 * kappa]]}
    for name, v in want.items():
        assert np.allclose(arr(key.parts[name].exact).reshape(np.shape(v)), v, atol=1e-12), name
    # A 1×1 matrix part takes [g]; the seed's recursion typed with closed forms is accepted too.
    assert grade(key, "grad_W", f"[{da2 * tau!r}]").status == "correct"
    closed = "[-2*(1 - tanh(tanh(1))^2)*sigma(-2*tanh(tanh(1))) - 2*sigma(-2*tanh(1)), -2*sigma(-2*tanh(tanh(1)))]"
    assert grade(key, "grad_h", closed).status == "correct"


def test_hand_worked_forward():
    """x = [1, 1], U = 1, b = −1, W = 2, h⁽⁰⁾ = 0: a⁽¹⁾ = 0 and a⁽²⁾ = 2·0 + 1 − 1 = 0, so h = 0;
    with c = 0 every ŷ = [½, ½] and L = 2 ln 2 (y⁽ᵗ⁾ does not matter)."""
    key = key_of("rnn.forward", x="[1, 1]", U=1, b=-1, W=2, h0=0, V="[1; 3]", c="[0, 0]", y="[1, 2]")
    assert np.allclose(arr(key.parts["a"].exact), [[0, 0]])
    assert np.allclose(arr(key.parts["yhat"].exact), [[0.5, 0.5], [0.5, 0.5]])
    assert float(key.parts["L"].exact) == pytest.approx(2 * math.log(2), rel=1e-12)
    assert grade(key, "L", "2*ln(2)").status == "correct"
    assert grade(key, "L", "ln(2)").mistake == "last-step-loss"


def test_exam_draws():
    for fid in ("rnn.forward", "rnn.bptt"):
        for seed in range(1, 11):
            key = key_of(fid, seed)
            p = key.variant.params
            assert len(p["x"]) == 1 and len(p["x"][0]) <= 3 and len(p["c"]) == 2
            for kp in key.parts.values():
                assert kp.steps, (fid, seed, kp.name)
            if fid == "rnn.bptt":
                # Nothing degenerate: every entry of every gradient is clearly non-zero.
                for name in GRADS:
                    assert np.all(np.abs(arr(key.parts[name].exact)) >= 0.01), (seed, name)


def test_the_rule():
    key = key_of("rnn.bptt", 1, x="[1, -1]", U=1, W=0.5, b=0, h0=0, V="[1; -1]", c="[0, 0]", y="[1, 2]")
    assert grade(key, "grad_h_rule", "W*(1 - h_next^2)*g_next + s").status == "correct"
    assert grade(key, "grad_h_rule", "s + g_next*W*(1-h_next)*(1+h_next)").status == "correct"
    assert grade(key, "grad_h_rule", "W*g_next + s").mistake == "tanh-prime-missing"
    assert grade(key, "grad_h_rule", "W*(1 - h^2)*g_next + s").mistake == "tanh-prime-wrong-step"
    assert grade(key, "grad_h_rule", "s").mistake == "future-forgotten"
    two = key_of("rnn.bptt", 1, W="[[0.5, 1], [-1, 0.5]]")
    assert "grad_h_rule" not in [p["name"] for p in two.variant.parts]  # a rule for one hidden unit


# ----------------------------------------------------------------------------
# Mistakes.
# ----------------------------------------------------------------------------
@cache
def mistake_keys(fid: str) -> tuple:
    keys = [key_of(fid, s) for s in (1, 2, 3)]
    # W not symmetric, H = 2: transposing W matters.
    keys.append(key_of(fid, 4, W="[[0.5, 1], [-0.5, 0.5]]"))
    # A linear output with ½‖ŷ − y‖² has its own slips (the ½, the sign of ŷ − y).
    keys += [key_of(fid, s, output="linear") for s in (1, 2)]
    return tuple(keys)


test_each_declared_mistake_is_recognised, test_the_key_itself_is_accepted = declared_mistake_tests(
    ("rnn.forward", "rnn.bptt"), mistake_keys)


# ----------------------------------------------------------------------------
# Bad overrides.
# ----------------------------------------------------------------------------
test_bad_overrides = bad_overrides_test([
    (["show", "rnn.bptt", "x=[1,2,3]", "y=[1,2]"], ["y has 2 entries", "x has 3 time steps"]),
    (["show", "rnn.forward", "y=[1,3]", "c=[0,0]"], ["y⁽²⁾ = 3", "K = 2 classes"]),
    (["show", "rnn.bptt", "W=[[1,0],[0,1]]", "b=[0]"], ["hidden size H"]),
    (["show", "rnn.bptt", "V=[[1,2],[3,4]]", "U=[1]"], ["V has 2 columns"]),
    (["solve", "rnn.bptt", "x=[[1,2],[3,4]]", "U=1"], ["U has 1 column", "x has 2 rows"]),
    (["show", "rnn.forward", "c=[0]", "V=[1]"], ["at least 2"]),
    (["check", "rnn.bptt", "x=[1,2]", "y=[1]", "-p", "grad_o", "-a", "[1]"], ["y has 1 entry"]),
])


def test_cli_solve_json_and_check():
    solve_then_check("rnn.bptt", 2, "grad_c")
