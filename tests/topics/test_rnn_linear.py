"""rnn.forward and rnn.bptt with output=linear (the CS231n notes' y_t = W_hy h_t, with the ECE 417
final-exam review's squared loss L = ½ Σ_t ‖ŷ⁽ᵗ⁾ − y⁽ᵗ⁾‖²): both answer paths against finite
differences, a hand-worked case, the user's own numbers at the command line, error carried
forward, exam draws, and the softmax default left as it was."""

from __future__ import annotations

import json
import math
import random
from fractions import Fraction

import numpy as np
import pytest

from nncheck.cli.app import app
from nncheck.generate.variant import build_variant
from nncheck.key.compute import answer_key
from nncheck.key.grade import grade
from nncheck.topics import rnn as R
from nncheck.topics._steps import Calc, rounded, workable
from topics.helpers import arr, bad_overrides_test, catalog, central, key_of, runner
from topics.rnn_reference import check_random_bptt, random_params, ref_loss


@pytest.mark.parametrize("H,D,T,K", [(1, 1, 1, 1), (1, 1, 3, 1), (2, 1, 3, 2), (3, 2, 2, 1), (2, 3, 3, 4)])
def test_random_instances_match_finite_differences(H, D, T, K):
    check_random_bptt(f"linear{H}{D}{T}{K}", H, D, T, K, linear=True)


@pytest.mark.parametrize("H,D,T,K", [(1, 1, 2, 1), (2, 2, 3, 3)])
def test_forward_matches_reference(H, D, T, K):
    given = random_params(random.Random(f"fw{H}{K}"), H, D, T, K, linear=True)
    key = answer_key(build_variant(catalog().get("rnn.forward"), 1, given))
    p = key.variant.params
    f = lambda m: np.array(m, dtype=float)  # noqa: E731
    h = f(p["h0"])
    for t in range(T):
        a = f(p["b"]) + f(p["W"]) @ h + f(p["U"]) @ f(p["x"])[:, t]
        h = np.tanh(a)
        o = f(p["c"]) + f(p["V"]) @ h
        for name, v in (("a", a), ("h", h), ("o", o), ("yhat", o)):
            assert np.allclose(arr(key.parts[name].exact).reshape(-1, T)[:, t], v, rtol=1e-12), (name, t)
    assert float(key.parts["L"].exact) == pytest.approx(ref_loss(p), rel=1e-12)


def test_hand_worked_linear_bptt():
    """x = [1, 0], U = W = V = 1, b = c = 0, h⁽⁰⁾ = 0, targets y = [½, 0] (K = 1).

    Forward: h⁽¹⁾ = tanh 1 =: τ, ŷ⁽¹⁾ = τ; h⁽²⁾ = tanh τ =: κ, ŷ⁽²⁾ = κ;
             L = ½(τ − ½)² + ½κ².
    Backward: ∇o⁽¹⁾L = τ − ½, ∇o⁽²⁾L = κ (the ½ cancels the square's 2);
              ∇h⁽²⁾L = κ, ∇h⁽¹⁾L = (1 − κ²)κ + τ − ½;
              ∇bL = (1 − τ²)∇h⁽¹⁾L + (1 − κ²)∇h⁽²⁾L, ∇WL = (1 − κ²)∇h⁽²⁾L·τ (h⁽⁰⁾ = 0),
              ∇UL = (1 − τ²)∇h⁽¹⁾L (x⁽²⁾ = 0), ∇VL = (τ − ½)τ + κ², ∇cL = τ − ½ + κ.
    """
    common = dict(x="[1, 0]", U=1, W=1, V=1, b=0, c=0, h0=0, y="[0.5, 0]", output="linear")
    tau = math.tanh(1)
    kappa = math.tanh(tau)
    gh2 = kappa
    gh1 = (1 - kappa**2) * kappa + tau - 0.5
    want = {"grad_o": [[tau - 0.5, kappa]], "grad_h": [[gh1, gh2]], "grad_c": [tau - 0.5 + kappa],
            "grad_b": [(1 - tau**2) * gh1 + (1 - kappa**2) * gh2], "grad_W": [[(1 - kappa**2) * gh2 * tau]],
            "grad_U": [[(1 - tau**2) * gh1]], "grad_V": [[(tau - 0.5) * tau + kappa**2]]}
    key = key_of("rnn.bptt", **common)
    for name, v in want.items():
        assert np.allclose(arr(key.parts[name].exact).reshape(np.shape(v)), v, atol=1e-12), name
    assert grade(key, "grad_o", "[tanh(1) - 0.5, tanh(tanh(1))]").status == "correct"
    assert grade(key, "grad_o", f"[{0.5 - tau!r}, {-kappa!r}]").mistake == "residual-sign-flipped"
    assert grade(key, "grad_o", f"[{2 * tau - 1!r}, {2 * kappa!r}]").mistake == "half-not-cancelled"
    assert grade(key, "grad_h_rule", "W*(1 - h_next^2)*g_next + s").status == "correct"
    fw = key_of("rnn.forward", **common)
    assert np.allclose(arr(fw.parts["yhat"].exact), [[tau, kappa]], atol=1e-12)
    assert grade(fw, "L", "0.5*(tanh(1) - 0.5)^2 + 0.5*tanh(tanh(1))^2").status == "correct"
    assert grade(fw, "L", "(tanh(1) - 0.5)^2 + tanh(tanh(1))^2").mistake == "half-dropped"
    assert grade(fw, "L", "0.5*tanh(tanh(1))^2").mistake == "last-step-loss"


def test_the_prompt_states_the_output_and_the_loss():
    v = key_of("rnn.bptt", 3, output="linear").variant
    assert "ŷ⁽ᵗ⁾ = o⁽ᵗ⁾" in v.prompt and "½‖ŷ⁽ᵗ⁾ − y⁽ᵗ⁾‖²" in v.prompt and "CS231n notes" in v.prompt
    assert "softmax" not in v.prompt and "1_{y" not in " ".join(v.hints())
    soft = key_of("rnn.bptt", 3).variant
    assert "ŷ⁽ᵗ⁾ = softmax o⁽ᵗ⁾" in soft.prompt and "½" not in soft.prompt


# ----------------------------------------------------------------------------
# The user's own numbers, at the command line.
# ----------------------------------------------------------------------------
OWN = ["x=[1,2]", "y=[0.5,-1]", "U=1", "W=0.5", "b=0", "h0=0", "V=1", "c=0", "output=linear"]


@pytest.mark.parametrize("fid,part", [("rnn.bptt", "grad_U"), ("rnn.bptt", "grad_h"), ("rnn.forward", "L")])
def test_solve_with_own_numbers_then_check(fid, part):
    r = runner.invoke(app, ["solve", fid, *OWN, "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    answer = next(p for p in out["parts"] if p["name"] == part)["answer"]
    # The key is the one computed here from the same numbers, from scratch.
    p = {"x": [[1, 2]], "y": [[0.5, -1]], "U": [[1]], "W": [[0.5]], "b": [0], "h0": [0], "V": [[1]], "c": [0],
         "output": "linear"}
    if part == "L":
        want = ref_loss(p)
    elif part == "grad_U":
        want = central(lambda e: ref_loss({**p, "U": [[1 + e]]}))
    else:
        want = [central(lambda e, t=t: ref_loss(p, ("h", t, 0), e)) for t in (1, 2)]
    assert np.allclose(np.ravel(answer), want, rtol=1e-5), (answer, want)
    assert not out["drawn"], out["drawn"]  # every number is the user's
    r = runner.invoke(app, ["check", fid, *OWN, "-p", part, "-a", json.dumps(answer)])
    assert r.exit_code == 0, r.output


test_bad_overrides = bad_overrides_test([
    (["show", "rnn.forward", "y=[[1,2],[1,2]]"], ["y is a 2×2 matrix", "output=softmax"]),
    (["show", "rnn.bptt", "y=[1.5,2]"], ["y⁽¹⁾ = 1.5 is not a class label"]),
    (["show", "rnn.bptt", "output=linear", "x=[1,2]", "y=[1,2,3]"], ["y has 3 time steps", "x has 2"]),
    (["show", "rnn.forward", "output=linear", "y=[[1,2],[3,4]]", "V=[1]"], ["output size K"]),
    (["show", "rnn.forward", "output=tanh"], ["output must be one of softmax, linear"]),
])


def test_a_column_of_labels_is_a_row():
    assert R.shaped_y([[1], [2], [2]], False) == [1, 2, 2]
    assert R.shaped_y([[1, 2.0, Fraction(2)]], False) == [1, 2, 2]
    assert R.shaped_y([0.5, 1], True) == [[0.5, 1]]


# ----------------------------------------------------------------------------
# Error carried forward and exam draws.
# ----------------------------------------------------------------------------
def test_carry_recomputes_from_the_students_own_values():
    v = key_of("rnn.forward", 5, output="linear").variant
    p, solver = v.params, v.solver
    key = solver.numeric(p)
    o = np.asarray(key["o"]) + 0.25  # a slip in o: ŷ = o and L follow from it
    got = solver.carry(p, {"o": o.tolist(), "yhat": o.tolist()})
    assert np.allclose(got["yhat"], o)
    assert got["L"] == pytest.approx(0.5 * float(np.sum((o - np.array(p["y"], dtype=float)) ** 2)))
    bptt = key_of("rnn.bptt", 5, output="linear").variant
    key = bptt.solver.numeric(bptt.params)
    got = bptt.solver.carry(bptt.params, {"grad_o": np.asarray(key["grad_o"]).tolist()})
    for part in ("grad_c", "grad_V", "grad_h"):
        assert np.allclose(got[part], key[part], rtol=1e-12), part


@pytest.mark.parametrize("cls", [R.Forward, R.BPTT])
def test_linear_exam_draws_are_workable_by_hand(cls):
    """The draw hook, asked for output=linear only: one output unit, halves for the targets, and every
    answer reproducible from the printed values (as for the softmax draws)."""
    solver = cls()
    start = {"x": [[1, 0]], "y": [[1, 2]], "U": [[1]], "W": [[1]], "V": [[1], [-1]], "b": [0], "c": [0, 0],
             "h0": [0], "output": "linear"}
    for seed in range(40):
        q = solver.draw(dict(start), random.Random(seed), frozenset({"output"}))
        solver.check(q)
        assert len(q["c"]) == 1 and len(q["y"]) == 1 and len(q["y"][0]) == len(q["x"][0]), q
        assert all(2 * Fraction(v) == int(2 * Fraction(v)) and abs(v) <= 1 for v in q["y"][0]), q
        fw = R.rnn_forward(q, Calc())
        if cls is R.BPTT:
            exact = R.rnn_backward(q, fw)
            student = R.rnn_backward(q, {k: rounded(v) if k in ("h", "yhat") else v for k, v in fw.items()})
            assert all(workable(exact[k], student[k]) for k in exact), (seed, q)
        else:
            student = R.rnn_forward(q, Calc(rounded=True))
            assert all(workable(fw[k][1:], student[k][1:]) for k in ("a", "h", "o", "yhat")), (seed, q)


def test_random_draws_stay_softmax():
    """output has a default, not a draw: the seeds of the softmax RNN (and the tours) are unchanged."""
    for fid in ("rnn.forward", "rnn.bptt"):
        for seed in range(1, 21):
            p = build_variant(catalog().get(fid), seed, {}).params
            assert p["output"] == "softmax" and all(isinstance(v, int) for v in p["y"]), (fid, seed, p["y"])
