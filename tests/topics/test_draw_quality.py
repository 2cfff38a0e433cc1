"""Exam draws worth answering: over 200 seeds per family, degenerate instances stay rare.

Only draws are made here (no answer keys), so the whole file runs in seconds.  Each measure is
computed from the drawn numbers by a rule of its own, not by the solver's draw hook that avoids it.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from nncheck.generate.variant import build_variant

SEEDS = range(1, 201)


def _draws(catalog, family_id: str) -> list:
    record = catalog.get(family_id)
    return [build_variant(record, seed, {}) for seed in SEEDS]


def _rate(flags: list[bool]) -> float:
    return sum(flags) / len(flags)


# ----------------------------------------------------------------------------
# detection.iou: boxes apart (I = 0) now and then, not in a third of the exams.
# ----------------------------------------------------------------------------
def _apart(ref, roi) -> bool:
    (xa, ya, wa, ha), (xb, yb, wb, hb) = ref, roi
    width = min(xa + wa, xb + wb) - max(xa, xb)
    height = min(ya + ha, yb + hb) - max(ya, yb)
    return not (width > 0 and height > 0)


def test_iou_boxes_apart_are_kept_but_rare(catalog):
    rate = _rate([_apart(v.params["box_ref"], v.params["box_roi"]) for v in _draws(catalog, "detection.iou")])
    assert 0.03 <= rate <= 0.15, f"{rate:.1%} of the detection.iou draws have boxes that do not overlap"


def test_the_iou_measure_sees_boxes_apart():
    assert _apart([0, 0, 2, 2], [2, 0, 2, 2])  # touching edges: no area in common
    assert _apart([0, 0, 2, 2], [5, 5, 1, 1])
    assert not _apart([0, 0, 2, 2], [1, 1, 2, 2])


# ----------------------------------------------------------------------------
# lstm.forward / lstm.bptt: something is written to the cell.
# ----------------------------------------------------------------------------
def _column(x, t):
    return [row[t] for row in x]


def _candidates_zero(p: dict) -> bool:
    """True when the candidate pre-activation w_c x[t] + u_c h[t−1] + b_c is 0 at every step and unit,
    so g[t] = tanh(0) = 0 and nothing is ever written to the cell.  h[t−1] is that of a forward pass with
    the cell never written: c[t] = f[t]c[t−1] only, which is enough to decide the zero case exactly
    (with every candidate 0, h[t] depends on c0 alone, and u_c h[t−1] is then what the rule reads)."""

    def sig(z):
        return 1 / (1 + math.exp(-float(z)))

    def dot(row, vec):
        return sum(float(a) * float(b) for a, b in zip(row, vec))

    H, T = len(p["c0"]), len(p["x"][0])
    c, h = [float(v) for v in p["c0"]], [float(v) for v in p["h0"]]
    for t in range(T):
        xt = _column(p["x"], t)
        pre = [dot(p["w_c"][k], xt) + dot(p["u_c"][k], h) + float(p["b_c"][k]) for k in range(H)]
        if any(abs(z) > 1e-12 for z in pre):
            return False
        f = [sig(dot(p["w_f"][k], xt) + dot(p["u_f"][k], h) + float(p["b_f"][k])) for k in range(H)]
        o = [sig(dot(p["w_o"][k], xt) + dot(p["u_o"][k], h) + float(p["b_o"][k])) for k in range(H)]
        c = [f[k] * c[k] for k in range(H)]
        h = [o[k] * (math.tanh(c[k]) if p["convention"] == "standard" else c[k]) for k in range(H)]
    return True


@pytest.mark.parametrize("family_id", ["lstm.forward", "lstm.bptt"])
def test_an_lstm_draw_always_writes_to_the_cell(catalog, family_id):
    empty = [v.seed for v in _draws(catalog, family_id) if _candidates_zero(v.params)]
    assert not empty, f"{family_id}: nothing is written to the cell for seeds {empty}"


def test_the_lstm_measure_sees_an_empty_cell():
    p = {"x": [[0, 0]], "c0": [Fraction(1, 2)], "h0": [0], "convention": "ece417"}
    for g in "iofc":
        p[f"w_{g}"], p[f"u_{g}"], p[f"b_{g}"] = [[1]], [[0]], [0]
    p["w_c"], p["u_c"], p["b_c"] = [[0]], [[0]], [0]
    assert _candidates_zero(p)
    p["x"] = [[0, 1]]
    p["w_c"] = [[1]]
    assert not _candidates_zero(p)


# ----------------------------------------------------------------------------
# backprop.two-layer: never a linear output with cross-entropy, and gradients that are not all zero.
# ----------------------------------------------------------------------------
def test_two_layer_draws_never_pair_a_linear_output_with_cross_entropy(catalog):
    draws = _draws(catalog, "backprop.two-layer")
    pairs = [(v.params["output"], v.params["loss"]) for v in draws]
    assert ("linear", "ce") not in pairs
    # Every other pairing the notes use still appears.
    assert {("sigmoid", "bce"), ("softmax", "ce"), ("linear", "mse")} <= set(pairs)


def _relu_dead(p: dict) -> bool:
    """With a ReLU hidden layer, every hidden unit off for every example: h = 0, so ∇W⁽¹⁾L = 0 and ∇W⁽²⁾L = 0."""
    if p["hidden"] != "relu":
        return False
    for x in p["x"]:
        for row, b in zip(p["W1"], p["b1"]):
            if b + sum(w * xi for w, xi in zip(row, x)) > 0:
                return False
    return True


def test_two_layer_draws_have_a_live_hidden_layer(catalog):
    dead = [v.seed for v in _draws(catalog, "backprop.two-layer") if _relu_dead(v.params)]
    assert not dead, f"backprop.two-layer: every ReLU unit is off (all-zero gradients) for seeds {dead}"


def test_the_two_layer_measures_see_degenerate_nets():
    p = {"hidden": "relu", "x": [[1, 2]], "W1": [[-1, 0], [0, -1]], "b1": [0, 0]}
    assert _relu_dead(p)
    p["b1"] = [0, 3]
    assert not _relu_dead(p)
