"""backprop.graph, backprop.total-derivative, backprop.xor-network: gate rules, path sums, the
16-785 XOR example, finite differences, mistakes and bad overrides."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import sympy

from nncheck.generate.variant import build_variant, make_variant
from nncheck.key.compute import answer_key
from nncheck.key.grade import grade
from nncheck.kinds.values import to_float
from topics.helpers import arr, check_mistake_library, floats, record, show_fails_in_one_line
from topics.helpers import key_of as key


def text(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "tolist") or isinstance(value, (list, tuple, sympy.MatrixBase)):
        a = arr(value)
        if a.ndim == 1:
            return "[" + ", ".join(repr(float(v)) for v in a) + "]"
        return "[" + ", ".join("[" + ", ".join(repr(float(v)) for v in r) + "]" for r in a) + "]"
    return repr(to_float(value))


def exact(k) -> dict:
    return {n: kp.exact for n, kp in k.parts.items()}


# -- backprop.graph: the CS231n patterns ------------------------------------------------
def test_add_distributes_max_routes_mul_switches():
    k = exact(key("backprop.graph", graph="add-max", x=3, y=-1, z=2, w=5, upstream=2))
    # q = 2, m = 5, f = 10
    assert k["f"] == 10
    assert k["dq"] == 2 * 5 and k["dm"] == 2 * 2  # mul switches
    assert k["dx"] == k["dy"] == k["dq"]  # add distributes
    assert k["dw"] == k["dm"] and k["dz"] == 0  # max routes to the larger input


def test_a_tie_at_max_goes_to_the_first_input():
    k = exact(key("backprop.graph", graph="add-max", x=1, y=1, z=4, w=4, upstream=1))
    assert k["dz"] == 2 and k["dw"] == 0
    assert "first input" in make_variant(record("backprop.graph"), 1, {"graph": "add-max"}).family["conventions"][1]


def test_mul_max_graph():
    k = exact(key("backprop.graph", graph="mul-max", x=2, y=-3, z=1, w=4, upstream=-1))
    # q = −6 < z = 1: the max routes to z; q and its inputs get nothing.
    assert k["f"] == 5 and k["dz"] == -1 and k["dq"] == 0 and k["dx"] == 0 and k["dy"] == 0 and k["dw"] == -1


def test_logistic_graph_uses_sigma_dot():
    k = exact(key("backprop.graph", graph="logistic", w=1, x=-2, b=2, upstream=1))
    assert k["f"] == sympy.Rational(1, 2) and k["ds"] == sympy.Rational(1, 4)
    assert k["dw"] == sympy.Rational(-1, 2) and k["dx"] == sympy.Rational(1, 4) and k["db"] == sympy.Rational(1, 4)


@pytest.mark.parametrize("seed", range(1, 31))
def test_random_graph_gradients_match_finite_differences(seed):
    k = answer_key(build_variant(record("backprop.graph"), seed, {}))
    p = k.variant.params
    g = p["graph"]
    f = {"add-max": lambda v: (v["x"] + v["y"]) * max(v["z"], v["w"]),
         "mul-max": lambda v: max(v["x"] * v["y"], v["z"]) + v["w"],
         "logistic": lambda v: 1 / (1 + np.exp(-(v["w"] * v["x"] + v["b"])))}[g]
    names = {"add-max": "xyzw", "mul-max": "xyzw", "logistic": "wxb"}[g]
    point = {n: float(p[n]) for n in names}
    assert abs(f(point) - to_float(k.parts["f"].exact)) < 1e-12
    for n in names:
        eps = 1e-6
        up, down = dict(point), dict(point)
        up[n] += eps
        down[n] -= eps
        fd = float(p["upstream"]) * (f(up) - f(down)) / (2 * eps)
        assert abs(fd - to_float(k.parts["d" + n].exact)) < 1e-6, n


# -- backprop.total-derivative ----------------------------------------------------------
def test_total_derivative_sums_every_path():
    # h0 = 2x, h1 = 3x + 1·h0, y = 1·h0 + 1·h1: dŷ/dx = 2 + 3 + 2 = 7 (three paths).
    k = exact(key("backprop.total-derivative", x=1, w="[2, 3]", u="[1]", v="[1, 1]", g="linear"))
    assert floats(k["dyhat_dh"]) == [2, 1]  # dŷ/dh0 counts h0 → ŷ and h0 → h1 → ŷ
    assert floats(k["dh_dx"]) == [2, 3]
    assert k["dyhat_dx"] == 7


def test_relu_node_below_zero_blocks_its_paths():
    k = exact(key("backprop.total-derivative", x=1, w="[2, -5]", u="[1]", v="[1, 1]", g="relu"))
    assert floats(k["h"]) == [2, 0] and floats(k["dh_dx"]) == [2, 0] and k["dyhat_dx"] == 2


@pytest.mark.parametrize("seed", range(1, 31))
def test_random_total_derivative_matches_finite_differences(seed):
    k = answer_key(build_variant(record("backprop.total-derivative"), seed, {}))
    p = k.variant.params

    def yhat(x):
        h, out = 0.0, 0.0
        for i, (w, v) in enumerate(zip(p["w"], p["v"])):
            a = float(w) * x + (float(p["u"][i - 1]) * h if i else 0.0)
            h = max(a, 0.0) if p["g"] == "relu" else a
            out += float(v) * h
        return out

    x = float(p["x"])
    assert abs(yhat(x) - to_float(k.parts["yhat"].exact)) < 1e-12
    fd = (yhat(x + 1e-6) - yhat(x - 1e-6)) / 2e-6
    assert abs(fd - to_float(k.parts["dyhat_dx"].exact)) < 1e-6
    assert abs(sum(a * b for a, b in zip(floats(k.parts["dyhat_dh"].exact), floats(k.parts["dh_dx"].exact)))
               - fd) < 1e-6


# -- backprop.xor-network: the 16-785 slide ---------------------------------------------
def test_seed_xor_network_gives_0_1_1_0():
    k = exact(key("backprop.xor-network", W="[[1,1],[1,1]]", c="[0,-1]", w="[1,-2]", b=0))
    assert floats(k["f"]) == [0, 1, 1, 0]
    assert np.array(floats(k["pre"])).reshape(2, 4).tolist() == [[0, 1, 1, 2], [-1, 0, 0, 1]]
    assert np.array(floats(k["h"])).reshape(2, 4).tolist() == [[0, 1, 1, 2], [0, 0, 0, 1]]
    assert k["computes_xor"] is True


def test_xor_check_is_asked_only_for_the_four_xor_inputs():
    v = make_variant(record("backprop.xor-network"), 1, {"x": "[[0, 1], [1, 1]]"})
    assert [p["name"] for p in v.parts] == ["pre", "h", "f"]
    assert not exact(key("backprop.xor-network", W="[[1,1],[1,1]]", c="[0,0]", w="[1,-2]", b=0))["computes_xor"]


@pytest.mark.parametrize("seed", range(1, 21))
def test_random_xor_networks_agree_with_a_direct_evaluation(seed):
    k = answer_key(build_variant(record("backprop.xor-network"), seed, {}))
    p = k.variant.params
    X = np.array(p["x"], float)
    f = [float(np.dot(p["w"], np.maximum(0, np.array(p["W"], float).T @ X[:, j] + np.array(p["c"], float))))
         + float(p["b"]) for j in range(X.shape[1])]
    assert np.allclose(f, floats(k.parts["f"].exact))


# -- mistakes -------------------------------------------------------------------------
CASES = {
    "backprop.graph": [dict(graph="add-max", x=3, y=-1, z=2, w=5, upstream=3),
                       dict(graph="mul-max", x=2, y=3, z=1, w=4, upstream=3),
                       dict(graph="logistic", w=1, x=-2, b=1, upstream=2)],
    "backprop.total-derivative": [dict(x=1, w="[2, 3, 1]", u="[1, -1]", v="[1, 2, 1]", g="linear"),
                                  dict(x=2, w="[1, -2, 3]", u="[1, 2]", v="[1, 1, 1]", g="relu")],
    "backprop.xor-network": [dict(W="[[1,2],[0,1]]", c="[0,-1]", w="[1,-2]", b=1)],
}


@pytest.mark.parametrize("fid", sorted(CASES))
def test_every_declared_mistake_is_recognised_and_every_key_accepted(fid):
    check_mistake_library({m["id"] for m in record(fid)["mistakes"]}, CASES[fid], partial(key, fid), text)


def test_the_max_gate_message():
    k = key("backprop.graph", graph="add-max", x=3, y=-1, z=2, w=5, upstream=2)
    v = grade(k, "dz", "4")
    assert v.mistake == "max-distributes" and "routes" in v.feedback


def test_worked_steps_name_the_gate_rules():
    k = key("backprop.graph", graph="add-max", x=3, y=-1, z=2, w=5, upstream=2)
    steps = " ".join(k.parts["dx"].steps + k.parts["dz"].steps)
    assert "mul switches" in steps and "add distributes" in steps and "max routes" in steps


# -- bad overrides -------------------------------------------------------------------
BAD_OVERRIDES = [
    ("backprop.graph", ["graph=logistic", "y=2"], "graph=logistic has no input y"),
    ("backprop.graph", ["graph=add-max", "b=1"], "graph=add-max has no input b"),
    ("backprop.total-derivative", ["w=[1,2,3]", "u=[1]"], "u has 1 entries but there are 3 hidden nodes"),
    ("backprop.total-derivative", ["w=[1,2]", "v=[1]"], "v has 1 entries but w has 2"),
    ("backprop.xor-network", ["W=[[1,1],[1,1],[1,1]]"], "W is 3×2 (D×N, used as Wᵀx) but x has 2 rows"),
    ("backprop.xor-network", ["W=[[1,1],[1,1]]", "c=[0,0,0]"], "c has 3 entries but W has 2 columns"),
]


def test_bad_overrides_give_one_line_and_exit_2():
    # One test for all cases: the catalogue cache built by the first command serves the others.
    for fid, args, fragment in BAD_OVERRIDES:
        show_fails_in_one_line(fid, args, fragment)


# -- your own numbers: only the graph's own inputs are listed as drawn (issue 18) --------
@pytest.mark.parametrize("graph", ["add-max", "mul-max", "logistic"])
def test_only_the_graphs_inputs_are_listed_as_drawn(graph):
    from nncheck.topics.graphs import INPUTS

    v = make_variant(record("backprop.graph"), 1, {"graph": graph})
    assert set(v.drawn) == set(INPUTS[graph])
    # An input the graph lacks changes nothing in the solver's answers: it is rightly left out.
    base = v.solver.exact(v.values())
    lacking = ({"x", "y", "z", "w", "b"} - set(INPUTS[graph])).pop()
    moved = v.solver.exact({**v.values(), lacking: v.values()[lacking] + 1})
    assert moved == base
