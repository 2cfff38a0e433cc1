"""backprop.two-layer: every hidden/output/loss combination against finite differences, the seed's
shortcuts and averaging, hand-computable draws, the mistake library, and bad overrides."""

from __future__ import annotations

import itertools
from functools import partial

import numpy as np
import pytest
import sympy

from nncheck.generate.variant import build_variant, make_variant
from nncheck.key.compute import answer_key
from nncheck.key.grade import grade
from nncheck.kinds.values import expr_text, to_float
from topics import helpers
from topics.helpers import arr, check_mistake_library, show_fails_in_one_line, strs
from topics.netref import act, fd, loss_of_yhat, out_act, penalty

FID = "backprop.two-layer"
record = partial(helpers.record, FID)
key = partial(helpers.key_of, FID)


def text(value) -> str:
    """A key or mistake value in the answer language (full float precision)."""
    if isinstance(value, sympy.Basic) and not isinstance(value, sympy.MatrixBase) and value.free_symbols:
        return expr_text(value)
    if isinstance(value, (sympy.MatrixBase, np.ndarray, list)):
        a = arr(value)
        if a.ndim == 1:
            return "[" + ", ".join(repr(float(v)) for v in a) + "]"
        return "[" + ", ".join("[" + ", ".join(repr(float(v)) for v in row) + "]" for row in a) + "]"
    return repr(to_float(value))


# ----------------------------------------------------------------------------
# An independent reference: the forward pass and L in NumPy, differentiated numerically.
# ----------------------------------------------------------------------------
def reference_loss(p, W1, b1, W2, b2):
    X, Y = np.array(p["x"], float), np.array(p["y"], float)
    return sum(loss_of_yhat(p["loss"], out_act(p["output"], b2 + W2 @ act(p["hidden"], b1 + W1 @ x)), y, len(X))
               for x, y in zip(X, Y))


def reference_J(p, W1, b1, W2, b2):
    """J = L + λΩ, CMU 16-785's Ω = ½(‖W⁽¹⁾‖² + ‖W⁽²⁾‖²) (+ the biases with omega=all)."""
    lam = float(p.get("lambda", 0))
    decayed = [W1, W2] + ([b1, b2] if p.get("omega") == "all" else [])
    return reference_loss(p, W1, b1, W2, b2) + penalty(lam, decayed)


def check_against_finite_differences(k):
    p = k.variant.params
    W = {n: np.array(p[n], float) for n in ("W1", "b1", "W2", "b2")}
    X, Y = np.array(p["x"], float), np.array(p["y"], float)
    n = len(X)

    def J_with(name):
        return lambda v: reference_J(p, **{**W, name: v})

    parts = k.parts
    assert abs(reference_loss(p, **W) - to_float(parts["L"].exact)) < 1e-9
    assert ("J" in parts) == bool(float(p["lambda"]))  # J is asked only with weight decay
    if "J" in parts:
        assert abs(reference_J(p, **W) - to_float(parts["J"].exact)) < 1e-9
    for name, part in (("W1", "dW1"), ("b1", "db1"), ("W2", "dW2"), ("b2", "db2")):
        assert np.allclose(fd(J_with(name), W[name]), arr(parts[part].exact).reshape(W[name].shape), atol=1e-6), part
        new = W[name] - float(p["eta"]) * arr(parts[part].exact).reshape(W[name].shape)
        assert np.allclose(new, arr(parts[name + "_new"].exact).reshape(W[name].shape), atol=1e-12)
    # ∇ξ⁽²⁾L and ∇ξ⁽¹⁾L: perturb one example's excitation, keep the rest of the batch.
    for i, (x, y) in enumerate(zip(X, Y)):
        a = W["b1"] + W["W1"] @ x
        z = W["b2"] + W["W2"] @ act(p["hidden"], a)
        d2 = fd(lambda zz, y=y: loss_of_yhat(p["loss"], out_act(p["output"], zz), y, n), z)
        d1 = fd(lambda aa, y=y: loss_of_yhat(p["loss"], out_act(p["output"], W["b2"] + W["W2"] @ act(p["hidden"], aa)),
                                             y, n), a)
        assert np.allclose(d2, arr(parts["dxi2"].exact)[i], atol=1e-6)
        assert np.allclose(d1, arr(parts["dxi1"].exact)[i], atol=1e-6)
        assert np.allclose(a, arr(parts["xi1"].exact)[i]) and np.allclose(z, arr(parts["xi2"].exact)[i])


# ----------------------------------------------------------------------------
# Every combination of hidden, output and loss.
# ----------------------------------------------------------------------------
def combo_overrides(hidden, output, loss):
    # No ξ⁽¹⁾ is 0 (a ReLU kink); a linear output with BCE/CE stays inside (0, 1).
    o = dict(hidden=hidden, output=output, loss=loss, eta=0.5, ask="all",
             x="[[1, 2], [0, -1]]", W1="[[1, -1], [2, 0]]", b1="[0.5, -1]", y="[[0, 1], [1, 0]]")
    if output == "linear" and loss != "mse":
        o.update(W2="[[0.1, -0.2], [0.2, 0.1]]", b2="[0.5, 0.4]")
    else:
        o.update(W2="[[1, -2], [2, 1]]", b2="[0, 1]")
    return o


COMBOS = list(itertools.product(["sigmoid", "tanh", "relu"], ["sigmoid", "softmax", "linear"], ["mse", "bce", "ce"]))


@pytest.mark.parametrize("hidden, output, loss", COMBOS)
def test_every_combination_matches_finite_differences(hidden, output, loss):
    # One example keeps the 27 SymPy derivations quick; batches of n are covered below.
    k = key(**{**combo_overrides(hidden, output, loss), "x": "[1, 2]", "y": "[0, 1]"})
    check_against_finite_differences(k)


@pytest.mark.parametrize("seed", range(1, 13))
def test_random_instances_match_finite_differences(seed):
    k = answer_key(build_variant(record(), seed, {"ask": "all"}))
    check_against_finite_differences(k)


@pytest.mark.parametrize("output, loss", [("sigmoid", "bce"), ("softmax", "ce"), ("linear", "mse")])
def test_matched_pairs_give_yhat_minus_y_over_n(output, loss):
    k = key(**combo_overrides("sigmoid", output, loss))
    yh, y = arr(k.parts["yhat"].exact), np.array([[0, 1], [1, 0]], float)
    assert np.allclose(arr(k.parts["dxi2"].exact), (yh - y) / 2, atol=1e-12)
    assert grade(k, "dxi2_sym", "(yhat - y)/n").status == "correct"
    assert grade(k, "dxi2_sym", "(ŷ - y)/n").status == "correct"


def test_unmatched_symbolic_forms():
    k = key(**combo_overrides("relu", "sigmoid", "mse"))
    assert grade(k, "dxi2_sym", "(yhat - y)*yhat*(1 - yhat)/n").status == "correct"
    v = grade(k, "dxi2_sym", "(yhat - y)/n")
    assert v.mistake == "matched-shortcut"
    k = key(**combo_overrides("relu", "linear", "ce"))
    assert grade(k, "dxi2_sym", "-y/(n*yhat)").status == "correct"
    # softmax with MSE or BCE has no per-class form: the symbolic part is not asked
    names = [p["name"] for p in make_variant(record(), 1, strs(combo_overrides("relu", "softmax", "mse"))).parts]
    assert "dxi2_sym" not in names and "dW1" in names


def test_the_loss_is_averaged_over_the_examples():
    # ECE 417: L = 1/(2n) Σ‖y − ŷ‖², so the loss and every gradient of two examples are the means.
    both = key(**combo_overrides("tanh", "linear", "mse"))
    one = [key(**{**combo_overrides("tanh", "linear", "mse"), "x": x, "y": y})
           for x, y in (("[1, 2]", "[0, 1]"), ("[0, -1]", "[1, 0]"))]
    assert abs(to_float(both.parts["L"].exact) - sum(to_float(k.parts["L"].exact) for k in one) / 2) < 1e-12
    for part in ("dW1", "db1", "dW2", "db2"):
        assert np.allclose(arr(both.parts[part].exact), sum(arr(k.parts[part].exact) for k in one) / 2, atol=1e-12)


def test_seed_shapes_and_a_hand_example():
    # relu hidden, linear output, MSE, one example: everything is rational and checkable by hand.
    k = key(hidden="relu", output="linear", loss="mse", eta=1, ask="all", x="[1, 2]",
            W1="[[1, -1], [2, 0]]", b1="[0, 1]", W2="[[1, -2]]", b2="[0]", y="[1]")
    ex = {n: kp.exact for n, kp in k.parts.items()}
    assert arr(ex["xi1"]).tolist() == [[-1, 3]] and arr(ex["h"]).tolist() == [[0, 3]]
    assert arr(ex["yhat"]).tolist() == [[-6]] and ex["L"] == sympy.Rational(49, 2)
    assert arr(ex["dxi2"]).tolist() == [[-7]]
    assert arr(ex["dW2"]).tolist() == [[0, -21]]  # ∇ξ⁽²⁾L hᵀ: K×N like W⁽²⁾
    assert arr(ex["dxi1"]).tolist() == [[0, 14]]  # u(ξ⁽¹⁾) ⊙ W⁽²⁾ᵀ ∇ξ⁽²⁾L
    assert arr(ex["dW1"]).tolist() == [[0, 0], [14, 28]]
    assert arr(ex["W1_new"]).tolist() == [[1, -1], [-12, -28]]
    steps = " ".join(k.parts["dW2"].steps)
    assert "Σᵢ ∇ξᵢ⁽²⁾L hᵢᵀ" in steps and "[[0, −21]]" in steps
    assert "[0, 14]" in " ".join(k.parts["dxi1"].steps)


def test_prompt_states_the_conventions():
    v = make_variant(record(), 1, strs(combo_overrides("sigmoid", "linear", "mse")))
    assert "L = 1/(2n) Σᵢ ‖yᵢ − ŷᵢ‖² (ECE 417 MSE, n = 2)" in v.prompt
    assert "W ← W − η∇_W L with η = 0.5" in v.prompt
    assert "σ(−0.5) ≈ 0.3775" in v.prompt  # the σ values a student needs
    v = make_variant(record(), 1, strs(combo_overrides("relu", "sigmoid", "bce")))
    assert "u(0) = 1" in v.prompt and "−(1/n)" in v.prompt


# ----------------------------------------------------------------------------
# Random exam instances are hand-computable and hand-sized.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(1, 41))
def test_random_draws_are_hand_computable(seed):
    v = build_variant(record(), seed, {})
    p = v.params
    for name in ("x", "W1", "b1"):
        flat = [e for r in p[name] for e in (r if isinstance(r, list) else [r])]
        assert all(float(e).is_integer() and abs(e) <= 2 for e in flat), (name, p[name])
    a = [[p["b1"][j] + sum(p["W1"][j][d] * x[d] for d in range(len(x))) for j in range(len(p["W1"]))] for x in p["x"]]
    if p["hidden"] == "relu":
        assert all(e != 0 for r in a for e in r)  # never at the kink
    else:
        for e in {e for r in a for e in r}:
            if e != 0:
                assert f"({e})" in v.prompt.replace("−", "-")  # its σ/tanh value is given
    assert len(v.parts) <= 8  # one slice of the question, not all sixteen parts


def test_your_own_numbers_get_every_part():
    v = make_variant(record(), 3, {"x": "[1, 2]"})
    assert len(v.parts) >= 15


# ----------------------------------------------------------------------------
# The mistake library.
# ----------------------------------------------------------------------------
MISTAKE_CASES = [
    combo_overrides("sigmoid", "sigmoid", "bce"),
    combo_overrides("relu", "softmax", "ce"),
    combo_overrides("tanh", "sigmoid", "mse"),
    {**combo_overrides("relu", "linear", "mse"), "x": "[1, 2]", "y": "[1, 0]", "eta": 1},
    {**combo_overrides("sigmoid", "linear", "mse"), "x": "[[1, 2], [0, -1], [2, 1]]", "y": "[[0, 1], [1, 0], [1, 1]]"},
]


def test_every_declared_mistake_is_recognised_and_every_key_accepted():
    check_mistake_library({m["id"] for m in record()["mistakes"]}, MISTAKE_CASES, key, text)


def test_a_forgotten_sigma_dot_is_named():
    k = key(**combo_overrides("sigmoid", "sigmoid", "bce"))
    wrong = backprop_without_sigma_dot(k)
    v = grade(k, "dW1", text(wrong))
    assert v.mistake == "forgot-sigma-dot" and "σ̇(ξ⁽¹⁾)" in v.feedback


def backprop_without_sigma_dot(k) -> np.ndarray:
    p = k.variant.params
    W2 = np.array(p["W2"], float)
    X = np.array(p["x"], float)
    d2 = arr(k.parts["dxi2"].exact)
    return sum(np.outer(W2.T @ d2[i], X[i]) for i in range(len(X)))


# ----------------------------------------------------------------------------
# Bad overrides: one line, exit code 2.
# ----------------------------------------------------------------------------
BAD_OVERRIDES = [
    (["W1=[[1,2],[3,4],[5,6]]", "x=[1,2,3]"], "W1 is 3×2 (N×D) but x has 3 entries per example"),
    (["x=[1,2]", "W1=[[1,0],[0,1]]", "b1=[0,0,1]"], "b1 has 3 entries but W1 has 2 rows"),
    (["W1=[[1,0],[0,1]]", "W2=[[1,1,1]]"], "W2 is 1×3 (K×N) but W1 has 2 rows"),
    (["W2=[[1,1]]", "b2=[0,0]"], "b2 has 2 entries but W2 has 1 rows"),
    (["x=[[1,2],[3,4]]", "y=[1,0,1]", "W2=[[1,1]]"], "y has 3 targets but x has 2 examples"),
    (["loss=ce", "W2=[[1,1],[0,1]]", "y=[1,1]"], "loss=ce needs one-hot targets"),
    (["loss=bce", "output=sigmoid", "W2=[[1,1]]", "y=[2]"], "loss=bce needs targets in [0, 1]"),
    (["x=[1,2]", "W1=[[1,0],[0,1]]", "b1=[0,0]", "W2=[[1,1]]", "b2=[0]", "y=[1]", "loss=bce", "output=linear"],
     "output=linear with loss=bce needs 0 < ŷ < 1"),
    (["output=softmax", "loss=bce", "W2=[[1,1]]"], "output=softmax with a single output"),
    (["x=[[1],[2],[3],[4],[5],[6]]", "W1=[[1]]"], "hand-sized"),
    # Saturated units are answered; an unmatched loss dividing by a ŷ below float64's range is not.
    (["x=[1000,1000]", "W1=[[1,1],[1,1]]", "b1=[0,0]", "hidden=relu", "W2=[[-1,0],[0,1]]", "b2=[0,0]",
      "output=sigmoid", "loss=ce", "y=[[1,0]]"], "ŷ = e^(−2000), beyond float64"),
    (["hidden=elu"], "hidden must be one of"),
    (["eta=-1"], "eta must be positive"),
]


def test_bad_overrides_give_one_line_and_exit_2():
    # One test for all cases: the catalogue cache built by the first command serves the others.
    for args, fragment in BAD_OVERRIDES:
        show_fails_in_one_line(FID, args, fragment)


# ----------------------------------------------------------------------------
# ReLU′(0) taken as 0: only an instance with some ξ⁽¹⁾ exactly 0 tells it from u(0) = 1, so the
# mistake library above gets one (ξ⁽¹⁾ = W⁽¹⁾x + b⁽¹⁾ = [0, 1]).
# ----------------------------------------------------------------------------
RELU_KINK_CASE = dict(hidden="relu", output="linear", loss="mse", eta=1, ask="all", x="[1, 1]", y="[0]",
                      W1="[[1, -1], [1, 0]]", b1="[0, 0]", W2="[[1, 1]]", b2="[0]")
MISTAKE_CASES.append(RELU_KINK_CASE)


def test_relu_kink_is_named_only_where_xi_is_zero():
    k = key(**RELU_KINK_CASE)
    assert grade(k, "dxi1", "[0, 1]").mistake == "step-at-zero"  # u(0) = 1 would give [1, 1]
    assert grade(k, "dxi1", "[1, 1]").status == "correct"
    for case in [c for c in MISTAKE_CASES if c is not RELU_KINK_CASE]:  # no ξ⁽¹⁾ is 0 there: not offered
        assert "step-at-zero" not in key(**case).mistakes or not key(**case).mistakes["step-at-zero"]


# ----------------------------------------------------------------------------
# Weight decay (CMU 16-785 Deep Learning Basics): J = L + λΩ, Ω = ½(‖W⁽¹⁾‖² + ‖W⁽²⁾‖²) by default.
# ----------------------------------------------------------------------------
DECAY_CASES = [
    {**combo_overrides("tanh", "sigmoid", "bce"), "lambda": 0.5},
    {**combo_overrides("relu", "softmax", "ce"), "lambda": 0.1, "omega": "all"},
    {**combo_overrides("sigmoid", "linear", "mse"), "lambda": "1/3", "x": "[1, 2]", "y": "[0, 1]", "eta": 1},
]
MISTAKE_CASES += DECAY_CASES[:2]


@pytest.mark.parametrize("case", DECAY_CASES)
def test_weight_decay_matches_finite_differences(case):
    check_against_finite_differences(key(**case))


def test_weight_decay_adds_lambda_w_to_the_weight_gradients_only():
    plain = key(**combo_overrides("tanh", "sigmoid", "bce"))
    decayed = key(**DECAY_CASES[0])
    p = decayed.variant.params
    assert p["omega"] == "weights" and "J" in decayed.parts and "J" not in plain.parts
    for name in ("W1", "W2"):
        W = np.array(p[name], float)
        grad = arr(decayed.parts["d" + name].exact)
        assert np.allclose(grad, arr(plain.parts["d" + name].exact) + 0.5 * W, atol=1e-12)
        assert np.allclose(arr(decayed.parts[name + "_new"].exact), W - 0.5 * grad, atol=1e-12)  # η = 0.5
    for part in ("db1", "db2", "dxi1", "dxi2", "L"):
        assert np.allclose(arr(decayed.parts[part].exact), arr(plain.parts[part].exact), atol=1e-12), part
    omega = sum(float(np.sum(np.array(p[w], float) ** 2)) for w in ("W1", "W2")) / 2
    assert to_float(decayed.parts["J"].exact) == pytest.approx(to_float(plain.parts["L"].exact) + 0.5 * omega)


def test_omega_all_decays_the_biases_too():
    decayed, plain = key(**DECAY_CASES[1]), key(**{**DECAY_CASES[1], "lambda": 0})
    for name in ("b1", "b2"):
        b = np.array(decayed.variant.params[name], float)
        want = arr(plain.parts["d" + name].exact).ravel() + 0.1 * b
        assert np.allclose(arr(decayed.parts["d" + name].exact).ravel(), want)


def test_without_weight_decay_the_prompt_and_parts_are_as_before():
    numbers = strs(combo_overrides("sigmoid", "linear", "mse"))
    without = make_variant(record(), 1, numbers)
    zero = make_variant(record(), 1, {**numbers, "lambda": "0", "omega": "all"})
    assert without.prompt == zero.prompt and "λ" not in without.prompt and "∇_W L" in without.prompt
    assert [q["name"] for q in without.parts] == [q["name"] for q in zero.parts]
    assert "J" not in [q["name"] for q in without.parts]
    assert "omega" in zero.unused  # λ = 0 reads no choice of Ω


def test_the_prompt_states_the_weight_decay_convention():
    v = make_variant(record(), 1, strs(DECAY_CASES[0]))
    assert "CMU 16-785 Deep Learning Basics" in v.prompt and "Ω = ½(‖W⁽¹⁾‖² + ‖W⁽²⁾‖²)" in v.prompt
    assert "no biases" in v.prompt and "W ← W − η∇_W J" in v.prompt
    assert "∇W⁽²⁾J" in v.part_prompt(next(q for q in v.parts if q["name"] == "dW2"))
    v = make_variant(record(), 1, strs(DECAY_CASES[1]))
    assert "‖b⁽¹⁾‖²" in v.prompt and "biases are decayed too" in v.prompt


def test_the_weight_decay_mistakes_have_their_values():
    k = key(**DECAY_CASES[0])
    W2, b2 = np.array(k.variant.params["W2"], float), np.array(k.variant.params["b2"], float)
    right = arr(k.parts["dW2"].exact)
    values = {mid: v for mid, _m, v in k.mistakes_for("dW2")}
    assert np.allclose(arr(values["decay-forgotten"]), right - 0.5 * W2)
    assert np.allclose(arr(values["decay-doubled"]), right + 0.5 * W2)
    biased = {mid: v for mid, _m, v in k.mistakes_for("db2")}["decay-on-biases"]
    assert np.allclose(arr(biased).ravel(), arr(k.parts["db2"].exact).ravel() + 0.5 * b2)
    verdict = grade(k, "dW2", text(values["decay-forgotten"]))
    assert verdict.status == "incorrect" and verdict.mistake == "decay-forgotten"
    assert "decay-on-biases" not in key(**DECAY_CASES[1]).mistakes  # omega=all: decaying them is right


def test_weight_decay_keeps_one_derivative_per_shape():
    from nncheck.topics import _net, twolayer

    twolayer._weight_derivatives.cache_clear()
    _net.decay_derivatives.cache_clear()
    first = key(**{**DECAY_CASES[0], "lambda": 0.5})
    second = key(**{**DECAY_CASES[0], "lambda": 2, "W2": "[[2, 1], [-1, 1]]"})
    assert (twolayer._weight_derivatives.cache_info().misses, _net.decay_derivatives.cache_info().misses) == (2, 1)
    assert not np.allclose(arr(first.parts["dW2"].exact), arr(second.parts["dW2"].exact))
