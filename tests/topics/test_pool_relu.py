"""pool.max-backward with ECE 417's ReLU inside the max, h = max ReLU(ξ) (issue 18, item 7): a window whose
entries are all ≤ 0 gives h = 0 and passes no gradient (the notes route ∂L/∂h to the argmax only when h > 0)."""

from __future__ import annotations

import random

import numpy as np

from nncheck.generate.variant import build_variant, make_variant
from nncheck.key.compute import answer_key
from nncheck.key.grade import grade
from topics.conv_helpers import mat, text
from topics.helpers import arr, key_of, record

# Windows (F = S = 2): top-left all negative, top-right positive, bottom-left with maximum exactly 0.
X = [[-1, -2, 3, 4],
     [-3, -4, 1, 2],
     [0, -6, 5, 1],
     [-1, -2, 2, 7]]
G = [[1, 2], [3, 4]]


def relu_max_pool(x: np.ndarray, F: int, S: int) -> np.ndarray:
    """The notes' formula term by term: h[i,j] = max over the window of ReLU(x)."""
    Ho, Wo = (x.shape[0] - F) // S + 1, (x.shape[1] - F) // S + 1
    return np.array([[max(max(x[i * S + a, j * S + b], 0.0) for a in range(F) for b in range(F)) for j in range(Wo)]
                     for i in range(Ho)])


def test_relu_pooling_by_hand():
    key = key_of("pool.max-backward", x=mat(X), F=2, S=2, upstream=mat(G), relu_inside="true")
    # h = ReLU of each window's maximum: −1 → 0, 4, 0 → 0, 7.
    assert arr(key.part("h").exact).tolist() == [[0, 4], [0, 7]]
    # Only the windows with h > 0 route their gradient: 2 to x[0,3], 4 to x[3,3]; h = 0 passes nothing,
    # also where the maximum is exactly 0 (x[2,0]).
    assert arr(key.part("dx").exact).tolist() == [[0, 0, 0, 2], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 4]]
    prompt = key.variant.prompt
    assert "ReLU(x[2i + a, 2j + b])" in prompt and "ECE 417" in prompt and "h = 0" in prompt
    # Without the ReLU: the negative maximum −1 and the 0 keep their gradients.
    v = grade(key, "dx", "[1 0 0 2; 0 0 0 0; 3 0 0 0; 0 0 0 4]")
    assert v.status == "incorrect" and v.mistake == "relu-ignored"
    v = grade(key, "h", "[-1 4; 0 7]")
    assert v.status == "incorrect" and v.mistake == "relu-ignored"
    steps = " ".join(key.part("dx").steps)
    assert "reaches no cell of x" in steps


def test_plain_pooling_is_the_default_for_your_numbers():
    key = key_of("pool.max-backward", x=mat(X), F=2, S=2, upstream=mat(G))
    assert key.variant.params["relu_inside"] is False
    assert arr(key.part("h").exact).tolist() == [[-1, 4], [0, 7]]
    assert "ReLU" not in key.variant.prompt


def test_relu_pooling_matches_finite_differences():
    """Distinct nonzero entries: the ReLU max is differentiable, and a nudge of 0.25 changes no argmax."""
    rng = random.Random(11)
    for F, S, n in [(2, 2, 4), (2, 1, 3), (3, 1, 4), (3, 2, 5)]:
        for _ in range(3):
            values = [v for v in rng.sample(range(-20, 12), n * n + 1) if v][: n * n]
            x = [values[r * n:(r + 1) * n] for r in range(n)]
            Ho = (n - F) // S + 1
            g = [[rng.choice([-3, -2, -1, 1, 2, 3]) for _ in range(Ho)] for _ in range(Ho)]
            key = answer_key(build_variant(record("pool.max-backward"), 1,
                                           {"x": x, "F": F, "S": S, "upstream": g, "relu_inside": True}))
            xa, ga = np.array(x, float), np.array(g, float)
            assert np.array_equal(arr(key.part("h").exact), relu_max_pool(xa, F, S))
            fd = np.zeros_like(xa)
            for idx in np.ndindex(xa.shape):
                plus, minus = xa.copy(), xa.copy()
                plus[idx] += 0.25
                minus[idx] -= 0.25
                fd[idx] = ((ga * relu_max_pool(plus, F, S)).sum() - (ga * relu_max_pool(minus, F, S)).sum()) / 0.5
            assert np.allclose(arr(key.part("dx").exact), fd), (F, S, x)


def test_random_draws_sometimes_have_the_relu_and_a_silenced_window():
    relu = 0
    for seed in range(1, 121):
        v = build_variant(record("pool.max-backward"), seed, {})
        p = v.params
        if not p["relu_inside"]:
            continue
        relu += 1
        x, F, S = np.array(p["x"]), p["F"], p["S"]
        Ho = (len(x) - F) // S + 1
        maxima = [x[i * S:i * S + F, j * S:j * S + F].max() for i in range(Ho) for j in range(Ho)]
        assert min(maxima) <= 0 < max(maxima), seed  # one window silenced, one that is not
    assert 20 <= relu <= 60


def test_relu_mistake_is_recognised_in_draws():
    seen = 0
    for seed in range(1, 41):
        key = answer_key(build_variant(record("pool.max-backward"), seed, {}))
        if not key.variant.params["relu_inside"]:
            continue
        for part in ("h", "dx"):
            for mid, _msg, value in key.mistakes_for(part):
                if mid == "relu-ignored":
                    seen += grade(key, part, text(value)).mistake == "relu-ignored"
    assert seen >= 5


def test_show_states_the_rule():
    v = make_variant(record("pool.max-backward"), 1, {"x": mat(X), "F": "2", "S": "2", "relu_inside": "true"})
    assert "a window whose entries are all ≤ 0\ngives h = 0" in v.prompt
