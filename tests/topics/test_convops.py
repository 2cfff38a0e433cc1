"""conv.forward, conv.backward, pool.max-backward: keys, finite differences, hand-worked cases, mistakes, bad input."""

from __future__ import annotations

import random
from functools import partial

import numpy as np
import pytest

from nncheck.generate.variant import build_variant, make_variant
from nncheck.key.compute import answer_key
from nncheck.key.grade import grade
from topics import helpers
from topics.conv_helpers import channels, conv_finite_differences, mat, suffix, text, xi_of
from topics.helpers import arr, key_of, one_line_error, record

FAMILIES = ["conv.forward", "conv.backward", "pool.max-backward"]
SEEDS = range(1, 41)
drawn_keys = partial(helpers.drawn_keys, seeds=SEEDS)


def max_pool(x: np.ndarray, F: int, S: int) -> np.ndarray:
    Ho, Wo = (x.shape[0] - F) // S + 1, (x.shape[1] - F) // S + 1
    return np.array([[max(x[i * S + a, j * S + b] for a in range(F) for b in range(F)) for j in range(Wo)]
                     for i in range(Ho)])


# ----------------------------------------------------------------------------
# Random instances: the two computations agree, and they are exam-sized.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("fid", FAMILIES)
def test_random_instances_agree_and_render(fid):
    for key in drawn_keys(fid):
        data = key.to_json()
        assert data["checked"]["sympy_vs_numpy"] is True
        assert all(part["solution"] for part in data["parts"]), "every part has worked steps"


def test_conv_draws_are_hand_sized_and_tell_the_conventions_apart():
    seen = set()
    for key in drawn_keys("conv.forward") + drawn_keys("conv.backward"):
        p = key.variant.params
        seen.add((p["convention"], p["D1"]))
        assert np.array(p["h"]).shape in ((3, 3), (4, 4)) and np.array(p["w"]).shape in ((2, 2), (3, 3))
        assert p["D1"] * p["K"] <= 2, "random draws have at most two kernels"
        assert all(-2 <= v <= 3 for h in channels(p) for row in h for v in row)
        other = "correlation" if p["convention"] == "convolution" else "convolution"
        xis = xi_of(p)
        assert all(x.size <= 9 for x in xis), "at most a 3×3 output map"
        assert not all(np.array_equal(a, b) for a, b in zip(xis, xi_of({**p, "convention": other})))
        if "upstream" in p:
            for d in range(p["K"]):
                G = p["upstream" + suffix(d=d)]
                assert np.array(G).shape == xis[d].shape and all(v != 0 for row in G for v in row)
        names = [n for n in p if n[0] in "hw" and n not in ("h", "w")]
        for n in names:  # the slices the layer does not have are empty
            c = int(n.split("_c")[1][0]) if "_c" in n else 0
            d = int(n.split("_d")[1][0]) if "_d" in n else 0
            assert (p[n] == []) == (c >= p["D1"] or d >= p["K"]), n
    assert {c for c, _ in seen} == {"convolution", "correlation"} and {d for _, d in seen} == {1, 2}


def test_pool_draws_are_hand_sized_with_ties_and_overlap():
    ties = overlap = 0
    for key in drawn_keys("pool.max-backward"):
        p = key.variant.params
        x = np.array(p["x"])
        assert x.shape[0] == x.shape[1] <= 5
        overlap += p["S"] < p["F"]
        for i in range(len(p["upstream"])):
            for j in range(len(p["upstream"][0])):
                win = x[i * p["S"]:i * p["S"] + p["F"], j * p["S"]:j * p["S"] + p["F"]]
                ties += (win == win.max()).sum() > 1
    assert ties >= 5 and overlap >= 5


def test_conv_forward_matches_the_literal_definition():
    for key in drawn_keys("conv.forward"):
        p = key.variant.params
        for d, xi in enumerate(xi_of(p)):
            assert np.allclose(arr(key.part("xi" + suffix(d=d)).exact), xi), (key.variant.seed, d)


def test_conv_backward_matches_central_finite_differences():
    for key in drawn_keys("conv.backward"):
        conv_finite_differences(key)


def test_pool_matches_central_finite_differences_without_ties():
    rng = random.Random(7)
    for F, S, n in [(2, 2, 4), (2, 1, 4), (3, 1, 5), (3, 2, 5), (2, 3, 5), (1, 1, 3)]:
        for _ in range(3):
            values = rng.sample(range(-20, 20), n * n)  # distinct: max is differentiable
            x = [values[r * n:(r + 1) * n] for r in range(n)]
            Ho = (n - F) // S + 1
            G = [[rng.choice([-3, -2, -1, 1, 2, 3]) for _ in range(Ho)] for _ in range(Ho)]
            key = answer_key(build_variant(record("pool.max-backward"), 1, {"x": x, "F": F, "S": S, "upstream": G}))
            xa, Ga = np.array(x, float), np.array(G, float)
            assert np.array_equal(arr(key.part("h").exact), max_pool(xa, F, S))
            fd = np.zeros_like(xa)
            for idx in np.ndindex(xa.shape):
                plus, minus = xa.copy(), xa.copy()
                plus[idx] += 0.25  # below the smallest gap (1): no window changes its argmax
                minus[idx] -= 0.25
                fd[idx] = ((Ga * max_pool(plus, F, S)).sum() - (Ga * max_pool(minus, F, S)).sum()) / 0.5
            assert np.allclose(arr(key.part("dx").exact), fd), (F, S, x)


# ----------------------------------------------------------------------------
# Hand-worked examples.
# ----------------------------------------------------------------------------
H = [[1, 2, 0], [0, 1, 3], [2, 1, 0]]
W = [[1, 2], [0, -1]]


def test_convolution_and_correlation_differ_by_hand():
    # Correlation: ξ[i,j] = h[i,j] + 2h[i,j+1] − h[i+1,j+1].
    corr = key_of("conv.forward", h=mat(H), w=mat(W), convention="correlation")
    assert arr(corr.part("xi").exact).tolist() == [[4, -1], [1, 7]]
    # Convolution slides rot180(w) = [[-1, 0], [2, 1]]; e.g. ξ[1,1] = w[1,1]h[0,0] + w[1,0]h[0,1] + w[0,1]h[1,0]
    # + w[0,0]h[1,1] = −1 + 0 + 0 + 1 = 0.
    conv = key_of("conv.forward", h=mat(H), w=mat(W), convention="convolution")
    assert arr(conv.part("xi").exact).tolist() == [[0, 3], [5, 1]]
    assert conv.variant.params["D1"] == 1 and "ξ[1,1]" in conv.variant.part_prompt(conv.variant.part("xi"))
    assert "ξ[0,0]" in corr.variant.part_prompt(corr.variant.part("xi"))
    # The other convention's answer is the declared mistake.
    v = grade(conv, "xi", "[[4, -1], [1, 7]]")
    assert v.status == "incorrect" and v.mistake == "kernel-not-flipped"
    v = grade(corr, "xi", "[0 3; 5 1]")
    assert v.status == "incorrect" and v.mistake == "convolution-computed"
    assert grade(conv, "xi", "[[0, 3], [5, 1]]").status == "correct"
    # Flipping one axis only: fliplr(w) = [[2, 1], [-1, 0]] slid: 2h[i,j] + h[i,j+1] − h[i+1,j].
    v = grade(conv, "xi", "[[4, 3], [-1, 4]]")
    assert v.mistake == "flipped-left-right-only"


def test_conv_backward_by_hand():
    G = [[1, 0], [0, 2]]
    corr = key_of("conv.backward", h=mat(H), w=mat(W), upstream=mat(G), convention="correlation")
    # ∂L/∂h is a full convolution: w placed at (0,0) times 1, plus w placed at (1,1) times 2.
    assert arr(corr.part("dh").exact).tolist() == [[1, 2, 0], [0, 1, 4], [0, 0, -2]]
    # ∂L/∂w[m,n] = 1·h[m,n] + 2·h[1+m,1+n].
    assert arr(corr.part("dw").exact).tolist() == [[3, 8], [2, 1]]
    conv = key_of("conv.backward", h=mat(H), w=mat(W), upstream=mat(G), convention="convolution")
    # ∂L/∂h[m′,n′] = Σ w[m−m′, n−n′] ∂L/∂ξ[m,n] with ∂L/∂ξ[1,1] = 1, ∂L/∂ξ[2,2] = 2.
    assert arr(conv.part("dh").exact).tolist() == [[-1, 0, 0], [2, -1, 0], [0, 4, 2]]
    # ∂L/∂w[a,b] = h[1−a,1−b] + 2h[2−a,2−b]: the correlation result rotated by 180°.
    assert arr(conv.part("dw").exact).tolist() == [[1, 2], [8, 3]]
    assert grade(conv, "dh", "[[-1,0,0],[2,-1,0],[0,4,2]]").status == "correct"
    # Back-prop with the kernel in the wrong orientation gives the other convention's ∂L/∂h.
    v = grade(conv, "dh", "[[1, 2, 0], [0, 1, 4], [0, 0, -2]]")
    assert v.status == "incorrect" and v.mistake == "backward-flipped-twice"
    v = grade(corr, "dh", "[[-1, 0, 0], [2, -1, 0], [0, 4, 2]]")
    assert v.status == "incorrect" and v.mistake == "backward-not-flipped"
    assert grade(conv, "dw", "[[3, 8], [2, 1]]").mistake == "dw-not-flipped"
    assert grade(corr, "dw", "[[1, 2], [8, 3]]").mistake == "dw-flipped"


def test_two_input_channels_by_hand():
    H1, W1 = [[0, 1, 1], [1, 0, 1], [1, 1, 0]], [[1, 0], [0, 1]]
    G = [[1, 0], [0, 2]]
    fw = key_of("conv.forward", h=mat(H), w=mat(W), h_c1=mat(H1), w_c1=mat(W1), convention="correlation", D1=2)
    assert fw.variant.params["D1"] == 2
    # Channel 1 adds h1[i,j] + h1[i+1,j+1] = [[0, 2], [2, 0]] to channel 0's [[4, -1], [1, 7]].
    assert arr(fw.part("xi").exact).tolist() == [[4, 1], [3, 7]]
    assert grade(fw, "xi", "[[4, -1], [1, 7]]").mistake == "one-channel-only"
    bw = key_of("conv.backward", h=mat(H), w=mat(W), h_c1=mat(H1), w_c1=mat(W1), upstream=mat(G),
                convention="correlation", D1=2)
    assert [p["name"] for p in bw.variant.parts] == ["dh", "dw", "dh_c1", "dw_c1"]
    assert arr(bw.part("dh_c1").exact).tolist() == [[1, 0, 0], [0, 3, 0], [0, 0, 2]]
    assert arr(bw.part("dw_c1").exact).tolist() == [[0, 3], [3, 0]]
    assert grade(bw, "dw_c1", "[[3, 8], [2, 1]]").mistake == "channels-swapped"


X_TIE = [[1, 3, 3], [2, 0, 1], [3, 1, 2]]
G_TIE = [[1, 2], [3, 4]]


def test_pool_by_hand_with_a_tie_and_overlap():
    key = key_of("pool.max-backward", x=mat(X_TIE), F=2, S=1, upstream=mat(G_TIE))
    assert arr(key.part("h").exact).tolist() == [[3, 3], [3, 2]]
    # Windows (0,0) and (0,1) both route to x[0,1] (in (0,1) it ties with x[0,2] and comes first): 1 + 2.
    assert arr(key.part("dx").exact).tolist() == [[0, 3, 0], [0, 0, 0], [3, 0, 4]]
    expected = {
        "tie-last-max": "[[0, 1, 2], [0, 0, 0], [3, 0, 4]]",
        "tie-every-max": "[[0, 3, 2], [0, 0, 0], [3, 0, 4]]",
        "gradient-to-every-cell": "[[1, 3, 2], [4, 10, 6], [3, 7, 4]]",
        "overlap-overwritten": "[[0, 2, 0], [0, 0, 0], [3, 0, 4]]",
        "average-pooling": "[[0.25, 0.75, 0.5], [1, 2.5, 1.5], [0.75, 1.75, 1]]",
    }
    for mid, answer in expected.items():
        v = grade(key, "dx", answer)
        assert v.status == "incorrect" and v.mistake == mid, (mid, v.feedback)
    assert grade(key, "dx", "[0 3 0; 0 0 0; 3 0 4]").status == "correct"
    assert grade(key, "h", "[[3, 3], [3, 2]]").status == "correct"


def test_pool_tie_rule_is_stated_in_the_prompt():
    v = make_variant(record("pool.max-backward"), 3)
    assert "FIRST" in v.prompt and "row-major" in v.prompt


# ----------------------------------------------------------------------------
# Every declared mistake is recognised; the key itself is accepted.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("fid", FAMILIES)
def test_declared_mistakes_are_recognised(fid):
    declared = {m["id"] for m in record(fid)["mistakes"]}
    recognised = set()
    for key in drawn_keys(fid):
        for part in key.variant.parts:
            name = part["name"]
            assert grade(key, name, text(key.part(name).exact)).status == "correct"
            for mid, _msg, value in key.mistakes_for(name):
                v = grade(key, name, text(value))
                assert v.status == "incorrect", (mid, name, key.variant.seed)
                if v.mistake == mid:
                    recognised.add(mid)
                else:
                    # Another reading came first: it must give this very value.
                    named = dict((m, val) for m, _, val in key.mistakes_for(name))
                    exp = arr(key.part(name).exact)
                    same = (v.mistake in named and np.allclose(arr(named[v.mistake]), arr(value))) or \
                        (v.mistake == "sign-flipped" and np.allclose(-exp, arr(value))) or \
                        (v.mistake == "transposed" and np.allclose(exp.T, arr(value)))
                    assert same, (mid, v.mistake, key.variant.seed)
    assert recognised == declared


# ----------------------------------------------------------------------------
# Bad overrides: one clear line, exit code 2.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("args, fragment", [
    (["solve", "conv.forward", "h=[[1,2],[3,4]]", "w=[[1,0,1],[0,1,0],[1,0,1]]"],
     "the kernel w is 3×3, larger than the input h (2×2)"),
    (["solve", "conv.backward", "h=[1 2 0; 0 1 3; 2 1 0]", "w=[1 2; 0 -1]", "upstream=[1 0 1; 0 2 0; 1 1 1]"],
     "upstream (∂L/∂ξ) must be 2×2, the shape of ξ; got 3×3"),
    (["show", "conv.forward", "convention=fourier"], "convention must be one of convolution, correlation"),
    (["solve", "conv.forward", "D1=1", "h_c1=[1 2; 3 4]"], "h_c1 holds input channel c = 1, but D1 = 1"),
    (["solve", "conv.forward", "h=[1 2 3; 4 5 6; 7 8 9]", "h_c1=[1 2; 3 4]", "D1=2"], "h_c1 is 2×2 but h is 3×3"),
    # Your own second channel without D1 = 2: D1 is 1 unless given (a neutral default, not a guess).
    (["solve", "conv.forward", "h=[1 2 3; 4 5 6; 7 8 9]", "h_c1=[1 2 3; 4 5 6; 7 8 9]"],
     "h_c1 holds input channel c = 1, but D1 = 1: give D1=2 or leave h_c1 out"),
    (["solve", "conv.forward", "h=[1 2 3; 4 5 6; 7 8 9]", "w_d1=[1 0; 0 1]", "K=1"],
     "w_d1 holds output map d = 1, but K = 1: give K=2 or leave w_d1 out"),
    (["solve", "conv.forward", "h=[1 2 3 4; 4 5 6 7; 7 8 9 1; 1 2 3 4]", "w=[1 0 1; 0 1 0; 1 0 1]", "S=2"],
     "the kernel does not tile the rows of h with stride S = 2"),
    (["solve", "conv.forward", "h=[1 2; 3 4]", "w=[1 0 1 1 1; 0 1 0 1 1; 1 0 1 1 1; 1 1 1 1 1; 1 1 1 1 1]", "P=1"],
     "the kernel w is 5×5, larger than the padded input (4×4, P = 1)"),
    (["solve", "pool.max-backward", "x=[1 2; 3 4]", "F=3"], "the pooling window F×F = 3×3 is larger than x (2×2)"),
    (["solve", "pool.max-backward", "x=[1 2 3 4; 5 6 7 8; 9 1 2 3; 4 5 6 7]", "F=2", "S=2", "upstream=[1 2 3]"],
     "upstream (∂L/∂h) must be 2×2, the shape of the pooled map; got 1×3"),
    (["solve", "pool.max-backward", "x=[1 2 3; 4 5 6; 7 8 9]", "F=2", "S=2"], "the windows do not tile x"),
])
def test_bad_overrides_give_one_line_and_exit_2(args, fragment):
    one_line_error(args, fragment)


def test_user_numbers_are_kept_and_fitted():
    # Only the kernel given: the drawn input grows to fit it, and stays single-channel.
    v = make_variant(record("conv.forward"), 2, {"w": "[1 2 3; 0 1 0; -1 0 1]"})
    assert v.params["D1"] == 1 and len(v.params["h"]) >= 4
    # Only x given for pooling: F and S are chosen so that the windows tile it.
    v = make_variant(record("pool.max-backward"), 4, {"x": "[1 2 3 4 5; 6 7 8 9 1; 2 3 4 5 6; 7 8 9 1 2; 3 4 5 6 7]"})
    n, F, S = 5, v.params["F"], v.params["S"]
    assert (n - F) % S == 0 and np.array(v.params["upstream"]).shape == ((n - F) // S + 1,) * 2
