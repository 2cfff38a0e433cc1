"""conv.output-size and pool.output-size: a filter larger than its input is a question whose answer is
"does not fit" (issue 18, item 10), and the CS231n worked example stays as it is."""

from __future__ import annotations

import pytest

from nncheck.generate.variant import build_variant
from nncheck.key.grade import grade
from topics.helpers import key_of, record


def answers(key) -> dict:
    return {p["name"]: key.part(p["name"]).exact for p in key.variant.parts}


@pytest.mark.parametrize("fid, extra", [("conv.output-size", {"P": 0, "K": 1}), ("pool.output-size", {})])
def test_a_filter_larger_than_its_input_does_not_fit(fid, extra):
    key = key_of(fid, W1=3, F=5, S=1, D1=1, **extra)
    got = answers(key)
    assert got["fits"] is False and got["W2"] is None and got["H2"] is None and int(got["D2"]) == 1
    assert "A size is a whole number ≥ 1." in key.variant.prompt
    assert grade(key, "W2", "none").status == "correct"
    assert grade(key, "fits", "no").status == "correct"
    # The formula applied blindly gives (3 − 5)/1 + 1 = −1, a whole number but no size.
    v = grade(key, "W2", "-1")
    assert v.status == "incorrect" and v.mistake == "filter-larger-than-input"
    assert "larger than" in " ".join(key.part("W2").steps)


def test_padding_can_make_a_large_filter_fit():
    # F = 5 on W₁ = 3 fits once P = 1: (3 − 5 + 2)/1 + 1 = 1.
    got = answers(key_of("conv.output-size", W1=3, F=5, S=1, P=1, K=2, D1=1))
    assert got["fits"] is True and int(got["W2"]) == 1 and int(got["D2"]) == 2


def test_one_dimension_larger_than_the_filter():
    key = key_of("conv.output-size", W1=7, H1=3, F=5, S=1, P=0, K=4, D1=3)
    got = answers(key)
    assert got["fits"] is False and int(got["W2"]) == 3 and got["H2"] is None
    assert "H₂ is none" in " ".join(key.part("fits").steps)


def test_the_cs231n_example_stays():
    # CS231n notes §5.2: a 32×32×3 input, ten 5×5 filters, S = 1, P = 2 → 32×32×10 and 760 parameters.
    got = answers(key_of("conv.output-size", W1=32, F=5, S=1, P=2, K=10, D1=3))
    assert (got["fits"], int(got["W2"]), int(got["H2"]), int(got["D2"])) == (True, 32, 32, 10)
    assert int(key_of("conv.param-count", F=5, D1=3, K=10).part("total").exact) == 760


def test_neutral_defaults_of_stride_and_padding():
    v = key_of("conv.output-size", W1=32, F=5, K=10, D1=3).variant
    assert (v.params["S"], v.params["P"], v.params["H1"]) == (1, 0, 32)


@pytest.mark.parametrize("fid", ["conv.output-size", "pool.output-size"])
def test_random_draws_still_fit_the_filter(fid):
    for seed in range(1, 201):
        p = build_variant(record(fid), seed, {}).params
        assert p["F"] <= p["W1"] + 2 * p.get("P", 0) and p["F"] <= p["H1"] + 2 * p.get("P", 0), seed
