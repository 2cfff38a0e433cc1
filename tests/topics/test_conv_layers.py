"""conv.forward / conv.backward with a stride S, zero padding P, D1 ≤ 3 input channels and K ≤ 3 output maps
(issue 18, items 1–3): hand-worked cases, the literal definitions, finite differences, prompts and draws."""

from __future__ import annotations

import numpy as np
import pytest

from nncheck.cli.app import app
from nncheck.generate.variant import build_variant, make_variant
from nncheck.key.compute import answer_key
from nncheck.key.grade import grade
from topics.conv_helpers import (
    channels,
    conv_finite_differences,
    gradient_parts,
    kernels,
    literal_conv,
    mat,
    suffix,
    text,
    xi_of,
)
from topics.helpers import arr, key_of, record, runner

H = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
W = [[1, 0, 0], [0, 0, 0], [0, 0, 2]]  # two taps: the stride and padding are easy to follow by hand


# ----------------------------------------------------------------------------
# Hand-worked: stride 2 with zero padding 1 (the CS231n demo's S = 2, P = 1).
# ----------------------------------------------------------------------------
def test_strided_padded_correlation_by_hand():
    # h̃ is h with a border of zeros (5×5); ξ[i,j] = h̃[2i, 2j]·1 + h̃[2i+2, 2j+2]·2, h̃[a,b] = h[a−1, b−1].
    # ξ[0,0] = 0 + 2·h[1,1] = 10, ξ[0,1] = 0 + 2·h̃[2,4] = 0, ξ[1,0] = 0, ξ[1,1] = h[1,1] + 2·h̃[4,4] = 5.
    key = key_of("conv.forward", h=mat(H), w=mat(W), S=2, P=1, convention="correlation")
    assert arr(key.part("xi").exact).tolist() == [[10, 0], [0, 5]]
    prompt = key.variant.prompt
    assert "stride S = 2, zero padding P = 1 on every side" in prompt and "h̃[2i+m, 2j+n, c]" in prompt
    assert grade(key, "xi", "[10 0; 0 5]").status == "correct"


def test_strided_padded_convolution_by_hand():
    # Convolution slides rot180(w) = [[2,0,0],[0,0,0],[0,0,1]]: ξ = 2h̃[2i,2j] + h̃[2i+2,2j+2] = [[5, 0], [0, 10]].
    # Its outputs are ξ[m,n] with m = R−1−P + S·i = 1 + 2i: the top-left one is ξ[1,1] = Σ w[1−m′,1−n′] h[m′,n′]
    # = w[0,0]·h[1,1] = 5 (every other term has h outside its support or w = 0).
    key = key_of("conv.forward", h=mat(H), w=mat(W), S=2, P=1, convention="convolution")
    assert arr(key.part("xi").exact).tolist() == [[5, 0], [0, 10]]
    v = key.variant
    assert "ξ[1,1]" in v.part_prompt(v.part("xi")) and "1 ≤ m ≤ 3" in v.prompt and "m = 1, 3" in v.prompt
    assert grade(key, "xi", "[10 0; 0 5]").mistake == "kernel-not-flipped"


def test_strided_padded_backward_by_hand():
    G = [[1, 2], [3, 4]]
    key = key_of("conv.backward", h=mat(H), w=mat(W), upstream=mat(G), S=2, P=1, convention="correlation")
    # ∂L/∂h[a,b] = Σ G[i,j]·w[a+1−2i, b+1−2j]: w's 1 meets h[1,1] in output (1,1), its 2 in output (0,0).
    assert arr(key.part("dh").exact).tolist() == [[0, 0, 0], [0, 4 + 2 * 1, 0], [0, 0, 0]]
    # ∂L/∂w[m,n] = Σ G[i,j]·h̃[2i+m, 2j+n].
    dw = arr(key.part("dw").exact)
    assert dw[0, 0] == 4 * 5  # only output (1,1) puts w[0,0] on h (at h[1,1])
    assert dw[1, 1] == 1 * 1 + 2 * 3 + 3 * 7 + 4 * 9  # the four corners of h
    assert dw[2, 2] == 1 * 5
    assert dw[0, 1] == 3 * 4 + 4 * 6
    conv_finite_differences(key)


def test_same_padding_keeps_the_size():
    # A 3×3 kernel with P = 1 and S = 1 maps a 3×3 input to a 3×3 map ("same" convolution).
    w = [[0, 1, 0], [1, -1, 0], [0, 0, 2]]
    key = key_of("conv.forward", h=mat(H), w=mat(w), P=1, convention="correlation")
    xi = arr(key.part("xi").exact)
    assert xi.shape == (3, 3)
    # ξ[0,0] = h̃[0,1]·1 + h̃[1,0]·1 + h̃[1,1]·(−1) + h̃[2,2]·2 = 0 + 0 − 1 + 2·5 = 9.
    assert xi[0, 0] == 9
    assert np.array_equal(xi, literal_conv(np.array(H, float), np.array(w, float), "correlation", 1, 1))


# ----------------------------------------------------------------------------
# Multi-channel: D1 input channels, K output maps (the ECE 417 formula's Σ_c and its d).
# ----------------------------------------------------------------------------
def layer(D1: int, K: int, n: int = 3, f: int = 2, seed: int = 0) -> dict:
    """User overrides for a D1-channel, K-map layer of small integers."""
    rng = np.random.default_rng(seed)
    out = {"D1": D1, "K": K}
    for c in range(D1):
        out["h" + suffix(c)] = mat(rng.integers(-2, 4, (n, n)).tolist())
        for d in range(K):
            out["w" + suffix(c, d)] = mat(rng.integers(-2, 3, (f, f)).tolist())
    return out


def test_two_maps_by_hand():
    # One channel, two filters: each map is its own correlation of h.
    key = key_of("conv.forward", h=mat(H), w="[1 0; 0 0]", w_d1="[0 0; 0 1]", K=2, convention="correlation")
    assert [p["name"] for p in key.variant.parts] == ["xi", "xi_d1"]
    assert arr(key.part("xi").exact).tolist() == [[1, 2], [4, 5]]  # h[i,j]
    assert arr(key.part("xi_d1").exact).tolist() == [[5, 6], [8, 9]]  # h[i+1,j+1]
    v = key.variant
    assert "ξ⁽ˡ⁾[·,·,1] (output map d = 1)" in v.part_prompt(v.part("xi_d1"))
    assert "D₁ = 1 input channel, K = 2 filters" in v.prompt and "w⁽ˡ⁾[m,n,0,1]" in v.prompt


@pytest.mark.parametrize("D1, K", [(3, 1), (1, 3), (3, 3), (2, 2)])
def test_multichannel_forward_matches_the_literal_sum_over_c(D1, K):
    key = key_of("conv.forward", convention="convolution", **layer(D1, K, seed=D1 * 10 + K))
    p = key.variant.params
    assert [q["name"] for q in key.variant.parts] == ["xi" + suffix(d=d) for d in range(K)]
    for d, xi in enumerate(xi_of(p)):
        assert np.allclose(arr(key.part("xi" + suffix(d=d)).exact), xi)
    if D1 > 1:  # each map sums every channel: channel c = 0 alone is the declared slip
        v = grade(key, "xi", text(literal_conv(channels(p)[0], kernels(p)[0][0], "convolution")))
        assert v.status == "incorrect" and v.mistake == "one-channel-only"


@pytest.mark.parametrize("D1, K, S, P, n, f", [(3, 3, 1, 0, 3, 2), (2, 3, 2, 1, 3, 3), (3, 2, 1, 1, 3, 2),
                                              (1, 2, 2, 0, 5, 3)])
def test_multichannel_backward_matches_finite_differences(D1, K, S, P, n, f):
    over = layer(D1, K, n=n, f=f, seed=7 * D1 + K)
    Mo = (n + 2 * P - f) // S + 1
    rng = np.random.default_rng(D1 + K)
    for d in range(K):
        over["upstream" + suffix(d=d)] = mat(rng.integers(-2, 3, (Mo, Mo)).tolist())
    key = key_of("conv.backward", convention="correlation" if D1 % 2 else "convolution", S=S, P=P, **over)
    p = key.variant.params
    assert sorted(q["name"] for q in key.variant.parts) == sorted(name for name, *_ in gradient_parts(p))
    assert key.to_json()["checked"]["sympy_vs_numpy"] is True
    conv_finite_differences(key)


def test_three_by_three_layer_asks_every_slice():
    over = layer(3, 3)
    for d in range(3):
        over["upstream" + suffix(d=d)] = "[1 -1; 2 1]"
    key = key_of("conv.backward", convention="correlation", **over)
    names = {q["name"] for q in key.variant.parts}
    assert names == {"dh", "dh_c1", "dh_c2"} | {"dw" + suffix(c, d) for c in range(3) for d in range(3)}
    v = key.variant
    assert "∂L/∂w⁽ˡ⁾[·,·,2,1] (input channel c = 2, filter d = 1)" in v.part_prompt(v.part("dw_c2_d1"))
    assert "∂L/∂ξ⁽ˡ⁾[·,·,2]" in v.prompt and "h⁽ˡ⁻¹⁾[m,n,2]" in v.prompt


# ----------------------------------------------------------------------------
# The command line, the defaults and the prompt's statement of S, P, D₁ and K.
# ----------------------------------------------------------------------------
def test_solve_with_a_stride_and_padding_from_the_command_line():
    r = runner.invoke(app, ["solve", "conv.forward", "h=[[1,2,0,1,0],[0,1,3,2,1],[2,1,0,1,2],[1,1,1,1,0],[0,2,1,0,1]]",
                       "w=[[1,2,1],[0,-1,0],[1,0,1]]", "S=2", "P=1", "convention=correlation"])
    assert r.exit_code == 0, r.output
    assert "stride S = 2, zero padding P = 1" in r.output and "3×3 matrix" in r.output


def test_your_numbers_get_the_plain_layer_and_the_old_prompt():
    v = make_variant(record("conv.forward"), 1, {"h": "[1 2 0; 0 1 3; 2 1 0]", "w": "[1 2; 0 -1]"})
    assert (v.params["S"], v.params["P"], v.params["K"], v.params["D1"]) == (1, 0, 1, 1)
    assert "stride 1, no padding, no bias." in v.prompt and "one input and one output channel" in v.prompt


def test_prompt_states_d1_and_k():
    v = make_variant(record("conv.forward"), 1, {k: str(x) for k, x in layer(3, 2).items()})
    assert "three input channels (c = 0, 1, 2) and two output channels (d = 0, 1)" in v.prompt
    assert "D₁ = 3 input channels, K = 2 filters, stride 1, no padding" in v.prompt


# ----------------------------------------------------------------------------
# Random exams: mostly the plain layer; sometimes a stride, padding or two maps, each hand-sized.
# ----------------------------------------------------------------------------
def test_random_draws_vary_the_layer_sometimes():
    kinds = {"stride": 0, "padding": 0, "maps": 0, "plain": 0}
    varied_seeds = []
    for seed in range(1, 201):
        p = build_variant(record("conv.backward"), seed, {}).params
        kind = "stride" if p["S"] > 1 else "padding" if p["P"] else "maps" if p["K"] > 1 else "plain"
        kinds[kind] += 1
        assert p["D1"] * p["K"] <= 2 and len(p["h"]) <= 4 and len(p["w"]) <= 3
        if kind != "plain" and len(varied_seeds) < 6:
            varied_seeds.append(seed)
    assert all(kinds[k] >= 10 for k in ("stride", "padding", "maps")), kinds
    assert kinds["plain"] >= 120, kinds  # most exams stay the plain layer
    for seed in varied_seeds:  # the varied ones are keyed two ways and their gradients are right
        conv_finite_differences(answer_key(build_variant(record("conv.backward"), seed, {})))
