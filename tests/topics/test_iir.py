"""rnn.scalar-iir: keys, finite differences, a hand-worked case, rounded and closed-form answers, mistakes,
bad input."""

from __future__ import annotations

import math
import re
from functools import partial

import numpy as np
import pytest

from nncheck.generate.variant import make_variant
from nncheck.key.grade import grade
from nncheck.kinds.values import to_float
from topics import helpers
from topics.helpers import one_line_error

FID = "rnn.scalar-iir"
SEEDS = range(1, 41)
record = partial(helpers.record, FID)
drawn_keys = partial(helpers.drawn_keys, FID, SEEDS)
key_of = partial(helpers.key_of, FID, 1)


def vec(value) -> np.ndarray:
    return np.array(helpers.floats(value))


def answer_text(kind: str, value) -> str:
    return repr(to_float(value)) if kind == "number" else "[" + ", ".join(repr(float(x)) for x in vec(value)) + "]"


# ----------------------------------------------------------------------------
# An independent forward pass with a nudge δ added to one h[n]: the definition of dL/dh[n].
# ----------------------------------------------------------------------------
def sigma(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def forward_loss(x, y, w, *, nudge_at: int | None = None, delta: float = 0.0) -> float:
    h: list[float] = []
    for n in range(len(x)):
        z = x[n] + sum(w[m - 1] * h[n - m] for m in range(1, len(w) + 1) if n - m >= 0)
        h.append(sigma(z) + (delta if n == nudge_at else 0.0))
    return 0.5 * sum((hn - yn) ** 2 for hn, yn in zip(h, y))


def floats(p: dict, name: str) -> list[float]:
    return [float(v) for v in p[name]]


# ----------------------------------------------------------------------------
# Random instances.
# ----------------------------------------------------------------------------
def test_random_instances_agree_render_and_are_exam_sized():
    taps = set()
    for key in drawn_keys():
        p = key.variant.params
        data = key.to_json()
        assert all(part["solution"] for part in data["parts"])
        assert 2 <= len(p["x"]) <= 3 and len(p["y"]) == len(p["x"])
        assert 1 <= len(p["w"]) <= len(p["x"]) - 1 or len(p["w"]) == 1
        taps.add(len(p["w"]))
        # The σ values a student needs are in the prompt.
        shown = [float(s) for s in re.findall(r"≈ \[([^\]]*)\]", key.variant.prompt)[0].split(", ")]
        _, h = _h(p)
        assert np.allclose(shown, h, atol=5e-5)
    assert taps == {1, 2}


def _h(p):
    x, w = floats(p, "x"), floats(p, "w")
    h: list[float] = []
    for n in range(len(x)):
        h.append(sigma(x[n] + sum(w[m - 1] * h[n - m] for m in range(1, len(w) + 1) if n - m >= 0)))
    return x, h


def test_keys_match_central_finite_differences():
    eps = 1e-6
    for key in drawn_keys():
        p = key.variant.params
        x, y, w = floats(p, "x"), floats(p, "y"), floats(p, "w")
        assert math.isclose(to_float(key.part("L").exact), forward_loss(x, y, w), rel_tol=1e-12)
        fd_h = [(forward_loss(x, y, w, nudge_at=n, delta=eps) - forward_loss(x, y, w, nudge_at=n, delta=-eps))
                / (2 * eps) for n in range(len(x))]
        fd_w = []
        for m in range(len(w)):
            up, down = list(w), list(w)
            up[m] += eps
            down[m] -= eps
            fd_w.append((forward_loss(x, y, up) - forward_loss(x, y, down)) / (2 * eps))
        assert np.allclose(vec(key.part("dL_dh").exact), fd_h, rtol=1e-6, atol=1e-8), key.variant.seed
        assert np.allclose(vec(key.part("dL_dw").exact), fd_w, rtol=1e-6, atol=1e-8), key.variant.seed


def test_long_user_sequences_agree_too():
    key = key_of(x="[1, -1, 2, 0, 1, -2]", y="[0, 1, 0, 1, 0, 1]", w="[0.5, -0.5, 1]")
    x, y, w = [1, -1, 2, 0, 1, -2], [0, 1, 0, 1, 0, 1], [0.5, -0.5, 1]
    fd = [(forward_loss(x, y, w, nudge_at=n, delta=1e-6) - forward_loss(x, y, w, nudge_at=n, delta=-1e-6)) / 2e-6
          for n in range(6)]
    assert np.allclose(vec(key.part("dL_dh").exact), fd, rtol=1e-6, atol=1e-8)


# ----------------------------------------------------------------------------
# Hand-worked: x = [0, 0], y = [0, 0], w[1] = 1.
# h[0] = σ(0) = ½, h[1] = σ(½) = s; dL/dh[1] = s, dL/dh[0] = ½ + s·s(1 − s)·1, dL/dw[1] = s·s(1 − s)·h[0].
# ----------------------------------------------------------------------------
def test_hand_worked_instance():
    key = key_of(x="[0, 0]", y="[0, 0]", w="1")
    s = sigma(0.5)
    assert math.isclose(to_float(key.part("L").exact), 0.5 * (0.25 + s * s), rel_tol=1e-12)
    assert np.allclose(vec(key.part("dL_dh").exact), [0.5 + s * s * (1 - s), s], rtol=1e-12)
    assert np.allclose(vec(key.part("dL_dw").exact), [s * s * (1 - s) * 0.5], rtol=1e-12)
    # Closed forms are accepted as they are.
    assert grade(key, "dL_dh", "[1/2 + sigma(1/2)^2*(1 - sigma(1/2)), sigma(1/2)]").status == "correct"
    assert grade(key, "L", "(1/4 + sigma(0.5)^2)/2").status == "correct"
    # Forgetting the path through h[1]: dL/dh[0] = h[0] − y[0] = ½.
    v = grade(key, "dL_dh", f"[0.5, {s!r}]")
    assert v.status == "incorrect" and v.mistake == "future-path-forgotten"
    # Forgetting σ′: dL/dh[0] = ½ + s·1.
    v = grade(key, "dL_dh", f"[{0.5 + s!r}, {s!r}]")
    assert v.mistake == "sigma-prime-forgotten"
    v = grade(key, "L", repr(0.25 + s * s))
    assert v.mistake == "half-forgotten"


def test_answers_from_the_rounded_prompt_values_are_accepted():
    """A student works with the 4-decimal h[n] of the prompt: the tolerance must cover that."""
    for key in drawn_keys():
        p = key.variant.params
        y, w = np.array(floats(p, "y")), np.array(floats(p, "w"))
        h = np.round(_h(p)[1], 4)
        T, M1 = len(h), len(w)
        dh = np.zeros(T)
        for n in reversed(range(T)):
            dh[n] = h[n] - y[n] + sum(dh[n + m] * h[n + m] * (1 - h[n + m]) * w[m - 1]
                                      for m in range(1, M1 + 1) if n + m < T)
        dw = [sum(dh[n] * h[n] * (1 - h[n]) * h[n - m] for n in range(m, T)) for m in range(1, M1 + 1)]
        L = 0.5 * float(((h - y) ** 2).sum())
        # …and writes them to 4 decimals.
        for part, value in (("L", f"{L:.4f}"), ("dL_dh", "[" + ", ".join(f"{v:.4f}" for v in dh) + "]"),
                            ("dL_dw", "[" + ", ".join(f"{v:.4f}" for v in dw) + "]")):
            assert grade(key, part, value).status == "correct", (key.variant.seed, part, value)


def test_declared_mistakes_are_recognised():
    declared = {m["id"] for m in record()["mistakes"]}
    recognised = set()
    for key in drawn_keys():
        for part in key.variant.parts:
            name, kind = part["name"], part["kind"]
            assert grade(key, name, answer_text(kind, key.part(name).exact)).status == "correct"
            for mid, _msg, value in key.mistakes_for(name):
                v = grade(key, name, answer_text(kind, value))
                if v.status == "correct":
                    continue  # within the tolerance of the key for this instance: cannot be told apart
                if v.mistake == mid:
                    recognised.add(mid)
                else:
                    named = {m: val for m, _, val in key.mistakes_for(name)}
                    assert v.mistake in named and np.allclose(vec(named[v.mistake]), vec(value), rtol=0.02,
                                                              atol=1e-3), (mid, v.mistake, key.variant.seed)
    assert recognised == declared


# ----------------------------------------------------------------------------
# Bad overrides.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("args, fragment", [
    (["solve", FID, "x=[1, 2, 3]", "y=[0, 1]"], "x has 3 entries but y has 2"),
    (["show", FID, "x=[1, 2, 3, 4, 5, 6, 7, 8, 9]"], "sequences of at most 8 steps"),
    (["check", FID, "y=[1, 0, 1]", "x=[0, 1]", "--part", "L", "--answer", "0.1"], "x has 2 entries but y has 3"),
    (["solve", FID, "w=[1, 1, 1, 1, 1]"], "at most 4 feedback weights"),
])
def test_bad_overrides_give_one_line_and_exit_2(args, fragment):
    one_line_error(args, fragment)


def test_given_x_sets_the_length_of_drawn_targets():
    v = make_variant(record(), 3, {"x": "[1, 0, -1, 2, 0]"})
    assert len(v.params["y"]) == 5
