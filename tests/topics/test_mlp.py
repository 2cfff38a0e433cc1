"""backprop.mlp: L = 2 and 3 layers, with and without weight decay, against finite differences of an
independent J; the same gradients as backprop.two-layer for L = 2 and λ = 0; your own numbers; the
weight-decay conventions; the mistake library; hand-computable draws and bad overrides."""

from __future__ import annotations

import itertools
import json
from functools import partial

import numpy as np
import pytest

from nncheck.generate.variant import build_variant, make_variant
from nncheck.key.compute import answer_key
from nncheck.key.grade import grade
from nncheck.kinds.values import to_float
from topics import helpers
from topics.helpers import arr, kind_text, runner, show_fails_in_one_line, strs
from topics.netref import act, fd, loss_of_yhat, out_act, penalty

FID = "backprop.mlp"
record = partial(helpers.record, FID)
key = partial(helpers.key_of, FID)


# ----------------------------------------------------------------------------
# An independent reference: J in NumPy from the definitions, differentiated numerically.
# ----------------------------------------------------------------------------
def layers(p) -> int:
    return int(p["layers"])


def acts(p) -> list[str]:
    return [p[f"g{lyr}"] for lyr in range(1, layers(p))]


def top_from(p, lyr, xi, Ws):
    """ŷ from ξ⁽ˡ⁾ through the layers above it."""
    L = layers(p)
    z = xi
    for k in range(lyr + 1, L + 1):
        z = Ws[f"b{k}"] + Ws[f"W{k}"] @ act(acts(p)[k - 2], z)
    return out_act(p["output"], z)


def reference_J(p, Ws) -> float:
    X, Y = np.array(p["x"], float), np.array(p["y"], float)
    L, lam = layers(p), float(p["lambda"])
    total = 0.0
    for x, y in zip(X, Y):
        xi1 = Ws["b1"] + Ws["W1"] @ x
        total += loss_of_yhat(p["loss"], top_from(p, 1, xi1, Ws), y, len(X))
    names = [f"W{lyr}" for lyr in range(1, L + 1)]
    if p["omega"] == "all":
        names += [f"b{lyr}" for lyr in range(1, L + 1)]
    return total + penalty(lam, [Ws[k] for k in names])


def check_against_finite_differences(k):
    p = k.variant.params
    L = layers(p)
    Ws = {f"{c}{lyr}": np.array(p[f"{c}{lyr}"], float) for lyr in range(1, L + 1) for c in "Wb"}
    X, Y = np.array(p["x"], float), np.array(p["y"], float)
    parts = k.parts
    J = parts["J"] if float(p["lambda"]) else parts["L"]  # J is asked when λ ≠ 0; otherwise J = L
    assert ("J" in parts) == bool(float(p["lambda"]))
    assert abs(reference_J(p, Ws) - to_float(J.exact)) < 1e-9
    for name, W in Ws.items():
        got = arr(parts["d" + name].exact).reshape(W.shape)
        want = fd(lambda v, name=name: reference_J(p, {**Ws, name: v}), W)
        assert np.allclose(got, want, atol=1e-6), (name, got, want)
        new = W - float(p["eta"]) * got
        assert np.allclose(new, arr(parts[name + "_new"].exact).reshape(W.shape), atol=1e-12)
    # ∇ξ⁽ˡ⁾J: perturb one example's excitation, keep the rest of the batch (Ω does not depend on ξ).
    for i, (x, y) in enumerate(zip(X, Y)):
        xi = Ws["b1"] + Ws["W1"] @ x
        for lyr in range(1, L + 1):
            if lyr > 1:
                xi = Ws[f"b{lyr}"] + Ws[f"W{lyr}"] @ act(acts(p)[lyr - 2], xi)
            assert np.allclose(xi, arr(parts[f"xi{lyr}"].exact)[i])
            want = fd(lambda v, lyr=lyr, y=y: loss_of_yhat(p["loss"], top_from(p, lyr, v, Ws), y, len(X)), xi)
            assert np.allclose(want, arr(parts[f"dxi{lyr}"].exact)[i], atol=1e-6), (lyr, i)


def net_numbers(L, output, loss):
    """A network with no ξ at a ReLU kink, and a linear output kept inside (0, 1) for BCE and CE."""
    o = {"x": "[[1, 2], [0, -1]]", "y": "[[0, 1], [1, 0]]", "W1": "[[1, -1], [2, 0.5]]", "b1": "[0.5, -1]"}
    small = output == "linear" and loss != "mse"
    top = "[[0.1, -0.2], [0.2, 0.1]]" if small else "[[1, -2], [2, 1]]"
    if L == 3:
        o.update(W2="[[1, -0.5], [0.5, 1]]", b2="[0.25, 0.5]", W3=top, b3="[0.5, 0.4]" if small else "[0, 1]")
    else:
        o.update(W2=top, b2="[0.5, 0.4]" if small else "[0, 1]")
    return {**o, "output": output, "loss": loss, "eta": 0.5}


HIDDEN = ["sigmoid", "tanh", "relu"]
OUTPUTS = [("sigmoid", "bce"), ("softmax", "ce"), ("linear", "mse"), ("sigmoid", "mse"), ("linear", "bce"),
           ("softmax", "mse")]


@pytest.mark.parametrize("g1", HIDDEN)
@pytest.mark.parametrize("lam", [0, 0.5])
@pytest.mark.parametrize("output, loss", OUTPUTS[:3])
def test_two_layers_match_finite_differences(g1, lam, output, loss):
    check_against_finite_differences(key(**net_numbers(2, output, loss), g1=g1, **{"lambda": lam}))


@pytest.mark.parametrize("g1, g2", list(itertools.product(HIDDEN, HIDDEN)))
@pytest.mark.parametrize("lam", [0, 0.5])
def test_three_layers_match_finite_differences(g1, g2, lam):
    check_against_finite_differences(key(**net_numbers(3, "sigmoid", "bce"), g1=g1, g2=g2, **{"lambda": lam}))


@pytest.mark.parametrize("output, loss", OUTPUTS)
def test_every_output_and_loss_in_three_layers(output, loss):
    check_against_finite_differences(key(**net_numbers(3, output, loss), g1="tanh", g2="relu", **{"lambda": 0.1}))


@pytest.mark.parametrize("seed", range(1, 16))
def test_random_instances_match_finite_differences(seed):
    check_against_finite_differences(answer_key(build_variant(record(), seed, {"ask": "all"})))


@pytest.mark.parametrize("seed", range(1, 16))
def test_random_exam_draws_have_keys(seed):
    """A seeded draw: any L, λ, slice; SymPy and NumPy agree (answer_key refuses otherwise)."""
    v = build_variant(record(), seed, {})
    k = answer_key(v)
    assert k.parts
    if v.params["ask"] in ("all", "backward"):
        assert "dxi1" in k.parts and ("dxi3" in k.parts) == (v.params["layers"] == "3")


def test_random_draws_include_both_depths_and_weight_decay():
    ps = [build_variant(record(), s, {}).params for s in range(1, 61)]
    assert {p["layers"] for p in ps} == {"2", "3"}
    assert any(p["lambda"] != 0 for p in ps) and any(p["lambda"] == 0 for p in ps)
    assert {p["g1"] for p in ps if p["layers"] == "2"} == set(HIDDEN)


# ----------------------------------------------------------------------------
# The tie to backprop.two-layer: L = 2 with λ = 0 is that network.
# ----------------------------------------------------------------------------
TWO_LAYER_PARTS = {"xi1": "xi1", "h": "h1", "xi2": "xi2", "yhat": "yhat", "L": "L", "dxi2": "dxi2", "dW2": "dW2",
                   "db2": "db2", "dxi1": "dxi1", "dW1": "dW1", "db1": "db1", "W2_new": "W2_new",
                   "b2_new": "b2_new", "W1_new": "W1_new", "b1_new": "b1_new"}


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output, loss", OUTPUTS[:4])
def test_two_layers_without_decay_are_backprop_two_layer(hidden, output, loss):
    numbers = net_numbers(2, output, loss)
    two = helpers.key_of("backprop.two-layer", 1, **numbers, hidden=hidden, ask="all")
    mine = key(**numbers, g1=hidden)
    assert mine.variant.params["layers"] == "2" and mine.variant.params["lambda"] == 0
    for theirs, ours in TWO_LAYER_PARTS.items():
        assert np.allclose(arr(two.parts[theirs].exact), arr(mine.parts[ours].exact), rtol=1e-12, atol=1e-14), ours
    assert "J" not in mine.parts  # λ = 0: J = L, not asked twice


@pytest.mark.parametrize("hidden, output, loss", [("tanh", "sigmoid", "bce"), ("relu", "softmax", "ce"),
                                                  ("sigmoid", "linear", "mse")])
@pytest.mark.parametrize("lam, omega", [(0.5, "weights"), ("1/3", "all")])
def test_two_layers_with_decay_are_backprop_two_layer_with_decay(hidden, output, loss, lam, omega):
    numbers = {**net_numbers(2, output, loss), "lambda": lam, "omega": omega}
    two = helpers.key_of("backprop.two-layer", 1, **numbers, hidden=hidden, ask="all")
    mine = key(**numbers, g1=hidden)
    for theirs, ours in {**TWO_LAYER_PARTS, "J": "J"}.items():
        assert np.allclose(arr(two.parts[theirs].exact), arr(mine.parts[ours].exact), rtol=1e-12, atol=1e-14), ours


# ----------------------------------------------------------------------------
# Weight decay: the notes' Ω (weights only), the other convention, and what λ adds.
# ----------------------------------------------------------------------------
def test_weight_decay_adds_lambda_w_to_weight_gradients_only():
    base = key(**net_numbers(3, "sigmoid", "bce"), g1="tanh", g2="sigmoid")
    decayed = key(**net_numbers(3, "sigmoid", "bce"), g1="tanh", g2="sigmoid", **{"lambda": 0.5})
    p = decayed.variant.params
    assert p["omega"] == "weights"
    for lyr in (1, 2, 3):
        W = np.array(p[f"W{lyr}"], float)
        assert np.allclose(arr(decayed.parts[f"dW{lyr}"].exact), arr(base.parts[f"dW{lyr}"].exact) + 0.5 * W)
        assert np.allclose(arr(decayed.parts[f"db{lyr}"].exact), arr(base.parts[f"db{lyr}"].exact))
        assert np.allclose(arr(decayed.parts[f"dxi{lyr}"].exact), arr(base.parts[f"dxi{lyr}"].exact))
    omega = sum(float(np.sum(np.array(p[f"W{lyr}"], float) ** 2)) for lyr in (1, 2, 3)) / 2
    assert to_float(decayed.parts["J"].exact) == pytest.approx(to_float(base.parts["L"].exact) + 0.5 * omega)


def test_omega_all_decays_the_biases_too():
    k = key(**net_numbers(2, "sigmoid", "bce"), g1="relu", omega="all", **{"lambda": 0.5})
    base = key(**net_numbers(2, "sigmoid", "bce"), g1="relu")
    for lyr in (1, 2):
        b = np.array(k.variant.params[f"b{lyr}"], float)
        assert np.allclose(arr(k.parts[f"db{lyr}"].exact).ravel(), arr(base.parts[f"db{lyr}"].exact).ravel() + 0.5 * b)
    check_against_finite_differences(k)


def test_the_prompt_states_the_convention():
    v = make_variant(record(), 1, strs({**net_numbers(2, "sigmoid", "bce"), "lambda": 0.1}))
    assert "Ω = ½(‖W⁽¹⁾‖² + ‖W⁽²⁾‖²)" in v.prompt and "no biases" in v.prompt and "CMU 16-785" in v.prompt
    v = make_variant(record(), 1, strs({**net_numbers(2, "sigmoid", "bce"), "lambda": 0.1, "omega": "all"}))
    assert "‖b⁽¹⁾‖²" in v.prompt


# ----------------------------------------------------------------------------
# Your own numbers.
# ----------------------------------------------------------------------------
def test_giving_w3_makes_three_layers_and_leaving_it_out_two():
    three = make_variant(record(), 1, {"x": "[1,2]", "W1": "[[1,-1],[2,0]]", "W2": "[[1,1],[-1,2]]",
                                       "W3": "[[1,-2]]", "lambda": "0.1"})
    assert three.params["layers"] == "3" and three.params["b3"] == [0]
    assert float(three.params["lambda"]) == pytest.approx(0.1)
    assert "W3" not in three.drawn and "x" not in three.drawn
    two = make_variant(record(), 1, {"x": "[1,2]", "W1": "[[1,-1],[2,0]]", "W2": "[[1,1]]"})
    assert two.params["layers"] == "2"
    assert not {"W3", "b3", "g2"} & (set(two.drawn) | set(two.used_defaulted()))


def test_solve_with_your_own_numbers():
    args = ["solve", FID, "x=[1,2]", "W1=[[1,-1],[2,0]]", "W2=[[1,1],[-1,2]]", "W3=[[1,-2]]", "y=[1]",
            "lambda=0.1", "g1=relu", "g2=tanh", "output=sigmoid", "loss=bce", "eta=0.5", "--json"]
    r = runner.invoke(helpers.app, args)
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    names = {p["name"] for p in data["parts"]}
    assert {"xi3", "dW3", "db3", "W3_new", "J"} <= names
    assert data["drawn"] == []


def test_strict_names_what_is_missing():
    r = runner.invoke(helpers.app, ["show", FID, "x=[1,2]", "W1=[[1,-1],[2,0]]", "W2=[[1,1]]", "--strict"])
    assert r.exit_code == 2
    assert "g1" in r.output and "eta" in r.output


def test_a_kink_free_instance_of_your_own_is_answered_and_graded():
    k = key(**net_numbers(3, "softmax", "ce"), g1="relu", g2="relu", **{"lambda": 1})
    for part in k.variant.parts:
        kp = k.parts[part["name"]]
        assert grade(k, part["name"], kind_text(kp.exact, kp.kind)).status == "correct", part["name"]


# ----------------------------------------------------------------------------
# Mistakes.
# ----------------------------------------------------------------------------
def _mistake_keys():
    cases = [
        dict(net_numbers(3, "sigmoid", "mse"), g1="relu", g2="sigmoid", **{"lambda": 0.5}),
        dict(net_numbers(2, "softmax", "ce"), g1="tanh", **{"lambda": 1}),
        dict(net_numbers(3, "sigmoid", "bce"), g1="sigmoid", g2="tanh", **{"lambda": 0.1}),
    ]
    return [key(**c) for c in cases] + list(helpers.drawn_keys(FID, range(1, 13)))


@pytest.mark.parametrize("mid", helpers.declared(FID))
def test_each_declared_mistake_is_recognised(mid):
    assert helpers.mistake_recognised(_mistake_keys(), mid, kind_text, by_kind=True), mid


def test_the_weight_decay_mistakes_have_their_values():
    k = key(**net_numbers(2, "sigmoid", "bce"), g1="relu", **{"lambda": 0.5})
    W2 = np.array(k.variant.params["W2"], float)
    right = arr(k.parts["dW2"].exact)
    values = {mid: v for mid, _m, v in k.mistakes_for("dW2")}
    assert np.allclose(arr(values["decay-forgotten"]), right - 0.5 * W2)
    assert np.allclose(arr(values["decay-doubled"]), right + 0.5 * W2)
    b2 = np.array(k.variant.params["b2"], float)
    biased = {mid: v for mid, _m, v in k.mistakes_for("db2")}["decay-on-biases"]
    assert np.allclose(arr(biased).ravel(), arr(k.parts["db2"].exact).ravel() + 0.5 * b2)
    verdict = grade(k, "dW2", kind_text(values["decay-forgotten"], "matrix"))
    assert verdict.status == "incorrect" and verdict.mistake == "decay-forgotten"


def test_a_forgotten_sigma_dot_in_layer_two():
    k = key(**net_numbers(3, "sigmoid", "bce"), g1="tanh", g2="sigmoid")
    forgot = {mid: v for mid, _m, v in k.mistakes_for("dxi2")}["forgot-sigma-dot"]
    W3 = np.array(k.variant.params["W3"], float)
    assert np.allclose(arr(forgot), arr(k.parts["dxi3"].exact) @ W3)


# ----------------------------------------------------------------------------
# Draws and bad input.
# ----------------------------------------------------------------------------
def test_exam_draws_never_pair_linear_with_cross_entropy_nor_softmax_with_one_output():
    for s in range(1, 201):
        p = build_variant(record(), s, {}).params
        assert (p["output"], p["loss"]) != ("linear", "ce")
        K = len(p["y"][0])
        assert K > 1 or (p["output"] != "softmax" and p["loss"] != "ce")


def test_exam_draws_are_hand_sized():
    for s in range(1, 121):
        p = build_variant(record(), s, {}).params
        L = int(p["layers"])
        for lyr in range(1, L + 1):
            assert all(abs(v) <= 2 for row in p[f"W{lyr}"] for v in row)
        h = [list(r) for r in p["x"]]
        for lyr in range(1, L):
            xi = [[p[f"b{lyr}"][j] + sum(w * v for w, v in zip(p[f"W{lyr}"][j], r)) for j in range(len(p[f"W{lyr}"]))]
                  for r in h]
            if p[f"g{lyr}"] == "relu":
                assert all(v != 0 for r in xi for v in r), (s, lyr)  # no kink: ReLU′(0) is a convention
            h = [[max(v, 0) if p[f"g{lyr}"] == "relu" else v for v in r] for r in xi]
            if p[f"g{lyr}"] != "relu":
                break  # above a σ/tanh layer the numbers are not integers any more


@pytest.mark.parametrize("args, fragment", [
    (["x=[1,2]", "W1=[[1,2,3]]", "W2=[[1]]"], "W1 is 1×3 but x has 2 entries per example"),
    (["x=[1,2]", "W1=[[1,2]]", "b1=[1,2]", "W2=[[1]]"], "b1 has 2 entries but W1 has 1 rows"),
    (["x=[1,2]", "W1=[[1,2]]", "W2=[[1],[2]]", "W3=[[1,2,3]]"], "W3 is 1×3 but W2 has 2 entries"),
    (["x=[1,2]", "W1=[[1,2]]", "W2=[[1]]", "y=[[1, 0]]"], "y has 2 entries per example but W2 has 1 rows"),
    (["x=[1,2]", "W1=[[1,2]]", "W2=[[1],[2]]", "loss=ce", "y=[[1, 1]]"], "loss=ce needs one-hot targets"),
    (["x=[1,2]", "W1=[[1,2]]", "W2=[[1]]", "lambda=-1"], "lambda"),
    (["x=[1,2]", "W1=[[1,2]]", "W2=[[1]]", "W3=[[1]]", "layers=2"], "layers=2 has no W3"),
])
def test_bad_overrides(args, fragment):
    show_fails_in_one_line(FID, args, fragment)
