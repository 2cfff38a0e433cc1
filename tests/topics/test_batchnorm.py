"""batchnorm.forward: per-dimension normalization over the batch, biased variance, ε inside the root."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest

from nncheck.key.grade import grade
from nncheck.kinds.values import to_float
from topics import helpers
from topics.helpers import mistake_recognised, one_line_error, part_floats

FID = "batchnorm.forward"
record = partial(helpers.record, FID)
drawn_keys = partial(helpers.drawn_keys, FID, range(1, 61))
key_of = partial(helpers.key_of, FID, 1)


def arr(key, part):
    out = np.array(part_floats(key, part))
    return out.reshape(key.part(part).exact.shape) if part in ("xhat", "y") else out


def text(value) -> str:
    if hasattr(value, "tolist"):
        value = value.tolist()
    if value and isinstance(value[0], list):
        return "[" + ", ".join("[" + ", ".join(repr(to_float(x)) for x in r) + "]" for r in value) + "]"
    return "[" + ", ".join(repr(to_float(x)) for x in value) + "]"


def reference(p: dict) -> dict:
    """Batch norm written out column by column in plain Python."""
    X = [[float(v) for v in r] for r in p["X"]]
    m, D = len(X), len(X[0])
    eps = float(p["eps"])
    mu = [sum(r[k] for r in X) / m for k in range(D)]
    var = [sum((r[k] - mu[k]) ** 2 for r in X) / m for k in range(D)]
    xhat = [[(r[k] - mu[k]) / math.sqrt(var[k] + eps) for k in range(D)] for r in X]
    y = [[float(p["gamma"][k]) * row[k] + float(p["beta"][k]) for k in range(D)] for row in xhat]
    return {"mu": mu, "var": var, "xhat": xhat, "y": y}


def test_random_instances_cross_check_and_match_the_reference():
    for key in drawn_keys():
        p = key.variant.params
        ref = reference(p)
        for part in ("mu", "var", "xhat", "y"):
            assert np.allclose(arr(key, part).ravel(), np.ravel(ref[part]), rtol=1e-12, atol=1e-12), part
            assert key.part(part).steps
        xh = arr(key, "xhat")
        # Each normalized column has mean 0 and (biased) variance Var/(Var + ε).
        assert np.allclose(xh.mean(axis=0), 0, atol=1e-12)
        var = np.array(ref["var"])
        assert np.allclose(xh.var(axis=0), var / (var + float(p["eps"])), rtol=1e-9)


def test_random_draws_are_hand_computable_and_sometimes_use_eps():
    keys = drawn_keys()
    rational = sum(all(x.is_Rational for x in key.part("xhat").exact) for key in keys)
    assert rational / len(keys) > 0.8
    eps = {key.variant.params["eps"] for key in keys}
    assert 0 in eps and len(eps) > 1
    assert {len(key.variant.params["X"][0]) for key in keys} >= {1, 2}


def test_correct_answers_accepted():
    for key in drawn_keys()[:15]:
        for part in key.variant.parts:
            assert grade(key, part["name"], text(key.part(part["name"]).exact)).status == "correct"


def test_hand_example_two_dimensions():
    # Column 1: mean 2, Var 1; column 2: mean 2, Var 4 → x̂ = ±1 in both.
    key = key_of(X="1,0; 3,4", gamma="[1,1]", beta="[0,0]", eps=0)
    assert np.allclose(arr(key, "mu"), [2, 2]) and np.allclose(arr(key, "var"), [1, 4])
    assert np.allclose(arr(key, "xhat"), [[-1, -1], [1, 1]])


def test_hand_example_eps_inside_the_root_then_scale_and_shift():
    # Mean 3, Var (9 + 1 + 1 + 9)/4 = 5, √(5 + 4) = 3: x̂ = [−1, −1/3, 1/3, 1]; y = 2x̂ + 1.
    key = key_of(X="0; 2; 4; 6", gamma="[2]", beta="[1]", eps=4)
    assert np.allclose(arr(key, "var"), [5])
    assert np.allclose(arr(key, "xhat").ravel(), [-1, -1 / 3, 1 / 3, 1])
    assert np.allclose(arr(key, "y").ravel(), [-1, 1 / 3, 5 / 3, 3])
    assert grade(key, "xhat", "[-1; -1/3; 1/3; 1]").status == "correct"
    # The same numbers with the usual slips:
    assert grade(key, "var", "[20/3]").mistake == "unbiased-variance"
    assert grade(key, "xhat", text([[v] for v in [-3 / math.sqrt(5), -1 / math.sqrt(5), 1 / math.sqrt(5),
                                                  3 / math.sqrt(5)]])).mistake == "eps-forgotten"
    assert grade(key, "xhat", text([[v / (math.sqrt(5) + 4)] for v in (-3, -1, 1, 3)])).mistake == "eps-outside-sqrt"
    assert grade(key, "xhat", text([[v / 9] for v in (-3, -1, 1, 3)])).mistake == "variance-not-sqrt"
    assert grade(key, "y", text([[v] for v in (-1, -1 / 3, 1 / 3, 1)])).status == "incorrect"
    assert grade(key, "y", text([[1 * v + 2] for v in (-1, -1 / 3, 1 / 3, 1)])).mistake == "gamma-beta-swapped"


def test_per_example_normalization_is_named():
    key = key_of(X="1,3; 2,6", gamma="[1,1]", beta="[0,0]", eps=0)
    # Layer-norm style (each row over its two features) gives ±1 per row: [[−1, 1], [−1, 1]].
    assert grade(key, "xhat", "[[-1, 1], [-1, 1]]").mistake == "per-example"


@pytest.mark.parametrize("mid", [m["id"] for m in record().get("mistakes", [])])
def test_each_declared_mistake_is_recognised(mid):
    extra = [key_of(X="0; 2; 4; 6", gamma="[2]", beta="[1]", eps=4), key_of(X="1,3; 2,6", eps=0)]
    if not mistake_recognised(list(drawn_keys()) + extra, mid, text, require_incorrect=False):
        pytest.fail(f"mistake {mid} never recognised")


@pytest.mark.parametrize("args,fragments", [
    (["X=1,2; 3,4", "gamma=[1,2,3]"], ["gamma has 3 entries but X has 2 columns"]),
    (["X=1,2; 3,4", "beta=[1]"], ["beta has 1 entry but X has 2 columns"]),
    (["X=1; 1; 1", "eps=0"], ["column 1 of X is constant", "ε = 0"]),
    (["eps=-1"], ["eps must be at least 0"]),
])
def test_bad_overrides_one_line_exit_2(args, fragments):
    one_line_error(["show", FID, *args], *fragments)
