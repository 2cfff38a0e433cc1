"""knn.distance: L1/L2 distances and the k-NN vote with CS231n's tie rules."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest

from nncheck.cli.app import app
from nncheck.key.grade import grade
from nncheck.kinds.values import flat_shape, to_float
from topics import helpers
from topics.helpers import mistake_recognised, one_line_error, runner
from topics.helpers import part_floats as vec

FID = "knn.distance"
record = partial(helpers.record, FID)
drawn_keys = partial(helpers.drawn_keys, FID, range(1, 61))
key_of = partial(helpers.key_of, FID, 1)


def text(value) -> str:
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list):
        return "[" + ", ".join(repr(to_float(x)) for x in flat_shape(value)[0]) + "]"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def brute_force(p: dict) -> dict:
    """The classifier written the slow way: every distance, a stable sort, a counted vote."""
    x, X = p["x"], p["X"]
    d1 = [sum(abs(a - b) for a, b in zip(x, r)) for r in X]
    d2sq = [sum((a - b) ** 2 for a, b in zip(x, r)) for r in X]
    dist = d1 if p["metric"] == "L1" else d2sq
    order = sorted(range(len(X)), key=lambda i: (dist[i], i))
    votes: dict = {}
    for i in order[: p["k"]]:
        votes[p["labels"][i]] = votes.get(p["labels"][i], 0) + 1
    best = max(votes.values())
    return {"d1": [float(v) for v in d1], "d2": [math.sqrt(v) for v in d2sq], "nearest": order[0] + 1,
            "label": min(lab for lab, c in votes.items() if c == best)}


def test_random_instances_cross_check_and_match_brute_force():
    keys = drawn_keys()
    assert {k.variant.params["metric"] for k in keys} == {"L1", "L2"}
    ties = 0
    for key in keys:
        ref = brute_force(key.variant.params)
        assert np.allclose(vec(key, "d1"), ref["d1"]) and np.allclose(vec(key, "d2"), ref["d2"])
        assert to_float(key.part("nearest").exact) == ref["nearest"]
        assert to_float(key.part("label").exact) == ref["label"]
        for part in key.variant.parts:
            assert key.part(part["name"]).steps
        p = key.variant.params
        picked = [p["labels"][i] for i in sorted(range(len(p["X"])), key=lambda i: (
            brute_force(p)["d1" if p["metric"] == "L1" else "d2"][i], i))[: p["k"]]]
        counts = sorted((picked.count(lab) for lab in set(picked)), reverse=True)
        ties += len(counts) > 1 and counts[0] == counts[1]
    assert ties > 0, "random draws never exercise the vote tie rule"


def test_correct_answers_accepted_including_closed_forms():
    for key in drawn_keys()[:15]:
        for part in key.variant.parts:
            assert grade(key, part["name"], text(key.part(part["name"]).exact)).status == "correct"
    key = key_of(x="[0,0]", X="1,0; 0,2; 3,4; 1,1", labels="[1,2,2,1]", k=3, metric="L2")
    assert grade(key, "d2", "[1, 2, 5, sqrt(2)]").status == "correct"


def test_hand_example_l2_and_l1():
    # d₁ = [1, 2, 7, 2], d₂ = [1, 2, 5, √2].  L2 order: X₁, X₄, X₂ → labels 1, 1, 2 → 1.
    key = key_of(x="[0,0]", X="1,0; 0,2; 3,4; 1,1", labels="[1,2,2,1]", k=3, metric="L2")
    assert vec(key, "d1") == [1, 2, 7, 2]
    assert np.allclose(vec(key, "d2"), [1, 2, 5, math.sqrt(2)])
    assert to_float(key.part("nearest").exact) == 1 and to_float(key.part("label").exact) == 1
    assert "√2" in " ".join(key.part("d2").steps)


def test_distance_tie_keeps_the_lower_numbered_point_and_vote_tie_takes_the_smallest_label():
    # L1: X₂ and X₄ are both at distance 2; X₂ (label 2) comes first.  k = 2 → labels 1, 2: a tie → 1.
    key = key_of(x="[0,0]", X="1,0; 0,2; 3,4; 1,1", labels="[1,2,2,1]", k=2, metric="L1")
    assert to_float(key.part("label").exact) == 1
    v = grade(key, "label", "2")
    assert v.status == "incorrect" and v.mistake == "tie-larger-label"
    assert "smallest label wins" in " ".join(key.part("label").steps)
    # Some courses give a tied vote to the nearest point's label instead.  Three labels tie here
    # (2, 3, 1 from the nearest out): the smallest is 1, the nearest's 2, the largest 3.
    key = key_of(x="[0]", X="1; 2; 3", labels="[2,3,1]", k=3, metric="L1")
    assert to_float(key.part("label").exact) == 1
    assert grade(key, "label", "2").mistake == "tie-nearest-neighbor"
    assert grade(key, "label", "3").mistake == "tie-larger-label"


def test_named_mistakes_on_a_fixed_instance():
    key = key_of(x="[0,0]", X="1,0; 0,2; 3,4; 1,1", labels="[1,2,2,1]", k=3, metric="L2")
    assert grade(key, "d2", "[1, 4, 25, 2]").mistake == "l2-squared"
    key = key_of(x="[0,0]", X="2,2; 0,3; 3,0", labels="[1,2,3]", k=1, metric="L2")
    # d₂ = [√8, 3, 3] and d₁ = [4, 3, 3]: L2 picks X₁, L1 picks X₂.
    assert to_float(key.part("nearest").exact) == 1
    assert grade(key, "nearest", "2").mistake == "l1-for-l2"


@pytest.mark.parametrize("mid", [m["id"] for m in record().get("mistakes", [])])
def test_each_declared_mistake_is_recognised(mid):
    extra = [key_of(x="[0]", X="1; 2; 3", labels="[2,3,1]", k=3, metric="L1"),
             key_of(x="[0,0]", X="1,0; 0,2; 3,4; 1,1", labels="[1,2,2,1]", k=2, metric="L1"),
             key_of(x="[0,0]", X="2,2; 0,3; 3,0", labels="[1,2,3]", k=1, metric="L2"),
             key_of(x="[0,0]", X="2,2; 0,3; 3,0", labels="[1,2,3]", k=1, metric="L1")]
    if not mistake_recognised(list(drawn_keys()) + extra, mid, text, require_incorrect=False):
        pytest.fail(f"mistake {mid} never recognised")


@pytest.mark.parametrize("args,fragments", [
    (["k=5", "X=1,2; 3,4", "labels=[1,2]", "x=[0,0]"], ["k = 5 is larger than the number of training points N = 2"]),
    (["x=[1,2,3]", "X=1,2; 3,4"], ["x has 3 entries but the training points (rows of X) have 2"]),
    (["X=1,2; 3,4", "labels=[1,2,3]"], ["X has 2 training points (rows) but labels has 3"]),
    (["metric=L3"], ["metric must be one of L2, L1"]),
    (["k=0"], ["k must be at least 1"]),
    (["labels=[1.5,2]"], ["labels must be a whole number"]),
])
def test_bad_overrides_one_line_exit_2(args, fragments):
    one_line_error(["show", FID, *args], *fragments)


def test_k_alone_draws_enough_training_points():
    r = runner.invoke(app, ["show", "knn.distance", "k=7", "--json"])
    assert r.exit_code == 0, r.output
    import json

    data = json.loads(r.output)
    assert len(data["params"]["X"]) >= 7 and data["params"]["k"] == 7
