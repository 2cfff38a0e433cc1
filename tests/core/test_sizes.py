"""Conv/pool sizes: the seeds' worked examples (CS231n §5.2–5.3) as fixed tests."""

from __future__ import annotations

import pytest

from nncheck.generate.variant import make_variant
from nncheck.key.compute import answer_key


def key(catalog, fid, **params):
    v = make_variant(catalog.get(fid), 1, {k: str(val) for k, val in params.items()})
    return {n: kp.answer_json() for n, kp in answer_key(v).parts.items()}


def test_32x32x3_with_one_5x5_filter_gives_28x28(catalog):
    k = key(catalog, "conv.output-size", W1=32, H1=32, D1=3, K=1, F=5, S=1, P=0)
    assert (k["W2"], k["H2"], k["D2"], k["fits"]) == (28, 28, 1, True)


def test_six_filters_give_28x28x6(catalog):
    k = key(catalog, "conv.output-size", W1=32, D1=3, K=6, F=5, S=1, P=0)
    assert (k["W2"], k["H2"], k["D2"]) == (28, 28, 6)


def test_ten_5x5_filters_stride_1_pad_2_keep_32x32_and_have_760_parameters(catalog):
    k = key(catalog, "conv.output-size", W1=32, D1=3, K=10, F=5, S=1, P=2)
    assert (k["W2"], k["H2"], k["D2"]) == (32, 32, 10)
    p = key(catalog, "conv.param-count", F=5, D1=3, K=10)
    assert p == {"per_filter": 75, "weights": 750, "biases": 10, "total": 760}


def test_7x7_input_3x3_filter_stride_3_does_not_fit(catalog):
    k = key(catalog, "conv.output-size", W1=7, D1=1, K=1, F=3, S=3, P=0)
    assert k["fits"] is False
    assert k["W2"] is None and k["H2"] is None  # never rounded to 2


def test_7x7_stride_2_fits_with_3x3_output(catalog):
    k = key(catalog, "conv.output-size", W1=7, D1=1, K=1, F=3, S=2, P=0)
    assert (k["fits"], k["W2"]) == (True, 3)


def test_pooling_224x224x64_f2_s2_gives_112x112x64(catalog):
    k = key(catalog, "pool.output-size", W1=224, D1=64, F=2, S=2)
    assert (k["W2"], k["H2"], k["D2"], k["fits"]) == (112, 112, 64, True)


def test_alexnet_conv1(catalog):
    k = key(catalog, "conv.output-size", W1=227, F=11, S=4, P=0, K=96, D1=3)
    assert (k["W2"], k["H2"], k["D2"]) == (55, 55, 96)
    p = key(catalog, "conv.param-count", F=11, D1=3, K=96)
    assert p["weights"] == 34_848
    assert p["total"] == 34_848 + 96


def test_non_square_input(catalog):
    k = key(catalog, "conv.output-size", W1=32, H1=16, D1=3, K=4, F=3, S=1, P=1)
    assert (k["W2"], k["H2"]) == (32, 16)


def test_non_integer_size_is_exact_not_rounded(catalog):
    from nncheck.topics.conv import OutputSize

    ex = OutputSize().exact({"W1": 7, "H1": 7, "D1": 1, "K": 1, "F": 3, "S": 3, "P": 0})
    assert ex["fits"] is False and ex["W2"] is None


@pytest.mark.parametrize("seed", range(1, 41))
def test_random_conv_sizes_match_brute_force_placement_count(catalog, seed):
    """Third check: count the filter placements directly, one pixel at a time."""
    v = make_variant(catalog.get("conv.output-size"), seed)
    p = v.params
    k = {n: kp.answer_json() for n, kp in answer_key(v).parts.items()}
    padded = p["W1"] + 2 * p["P"]
    starts = list(range(0, padded - p["F"] + 1, p["S"]))
    # The layer fits when the last placement ends exactly at the padded border.
    fits_w = starts[-1] + p["F"] == padded
    assert k["fits"] == (fits_w and (p["H1"] == p["W1"] or k["fits"]))
    if k["fits"]:
        assert k["W2"] == len(starts)
