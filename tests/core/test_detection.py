"""Detection families: IoU properties, a geometric third check, targets and their inverse."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from nncheck.generate.variant import make_variant
from nncheck.key.compute import answer_key
from nncheck.key.grade import grade


def iou(catalog, ref, roi):
    v = make_variant(catalog.get("detection.iou"), 1, {"box_ref": str(ref), "box_roi": str(roi)})
    return {n: kp.exact for n, kp in answer_key(v).parts.items()}


def pixels(box):
    x, y, w, h = box
    return {(i, j) for i in range(x, x + w) for j in range(y, y + h)}


def test_disjoint_boxes_have_zero_intersection(catalog):
    k = iou(catalog, [0, 0, 2, 2], [5, 5, 2, 2])
    assert k["I"] == 0 and k["IoU"] == 0 and k["U"] == 8


def test_boxes_separated_on_both_axes_are_not_a_positive_product(catalog):
    # The unclamped seed formula gives (2-5)*(2-5) = +9 here; the answer must be 0.
    k = iou(catalog, [0, 0, 2, 2], [5, 5, 3, 3])
    assert k["I"] == 0


def test_iou_of_a_box_with_itself_is_one(catalog):
    assert iou(catalog, [1, 2, 3, 4], [1, 2, 3, 4])["IoU"] == 1


def test_iou_is_symmetric(catalog):
    a, b = [0, 0, 4, 4], [2, 1, 4, 5]
    assert iou(catalog, a, b) == iou(catalog, b, a)


def test_touching_boxes_have_zero_intersection(catalog):
    assert iou(catalog, [0, 0, 2, 2], [2, 0, 2, 2])["I"] == 0


def test_fractional_boxes_are_exact(catalog):
    k = iou(catalog, "[0, 0, 1.5, 1]", "[0.5, 0, 1.5, 1]")
    assert k["I"] == 1 and k["U"] == 2 and k["IoU"] == Fraction(1, 2)


@pytest.mark.parametrize("seed", range(1, 61))
def test_random_iou_agrees_with_pixel_counting(catalog, seed):
    v = make_variant(catalog.get("detection.iou"), seed)
    ref, roi = v.params["box_ref"], v.params["box_roi"]
    a, b = pixels(ref), pixels(roi)
    k = answer_key(v)
    assert k.parts["I"].exact == len(a & b)
    assert k.parts["U"].exact == len(a | b)
    assert k.parts["IoU"].exact == Fraction(len(a & b), len(a | b))


def test_union_without_minus_i_is_named(catalog):
    v = make_variant(catalog.get("detection.iou"), 1, {"box_ref": "[0,0,4,4]", "box_roi": "[2,2,4,4]"})
    key = answer_key(v)
    verdict = grade(key, "U", "32")
    assert verdict.status == "incorrect" and verdict.mistake == "union-without-minus-i"
    assert "−I" in verdict.feedback
    assert grade(key, "U", "28").status == "correct"
    assert grade(key, "IoU", "4/28").status == "correct"
    assert grade(key, "IoU", "1/7").status == "correct"
    assert grade(key, "IoU", "4/32").mistake == "union-without-minus-i"
    assert grade(key, "IoU", "4/16").mistake == "iou-over-ref-area"


def test_unclamped_overlap_is_named(catalog):
    v = make_variant(catalog.get("detection.iou"), 1, {"box_ref": "[0,0,2,2]", "box_roi": "[5,5,3,3]"})
    verdict = grade(answer_key(v), "I", "9")
    assert verdict.mistake == "overlap-not-clamped"


def targets(catalog, anchor, ref, convention):
    v = make_variant(catalog.get("detection.bbox-targets"), 1,
                     {"anchor": str(anchor), "ref": str(ref), "convention": convention})
    return answer_key(v)


def test_corner_targets_follow_the_seed_formula(catalog):
    k = targets(catalog, [2, 2, 4, 4], [3, 4, 8, 2], "corner")
    t = [float(x) for x in k.parts["t"].exact]
    assert t == pytest.approx([0.25, 0.5, math.log(2), math.log(0.5)])


def test_centre_targets_use_box_centres(catalog):
    k = targets(catalog, [2, 2, 4, 4], [3, 4, 8, 2], "center")
    # centres: anchor (4, 4); ref (7, 5)
    t = [float(x) for x in k.parts["t"].exact]
    assert t == pytest.approx([0.75, 0.25, math.log(2), math.log(0.5)])


def test_target_mistakes_are_named(catalog):
    k = targets(catalog, [2, 2, 4, 4], [3, 4, 8, 2], "center")
    assert grade(k, "t", "[0.75, 0.25, ln(2), -ln(2)]").status == "correct"
    assert grade(k, "t", "[0.75, 0.25, 2, 0.5]").mistake == "ratio-without-log"
    assert grade(k, "t", "[0.25, 0.5, ln 2, ln(1/2)]").mistake == "wrong-reference-point"  # ln 2 is ln(2)
    assert grade(k, "t", "[0.25, 0.5, ln 2x, ln(1/2)]").status == "invalid"  # ln(2x) or ln(2)·x: ambiguous
    assert grade(k, "t", "[0.25, 0.5, ln(2), ln(1/2)]").mistake == "wrong-reference-point"


@pytest.mark.parametrize("convention", ["corner", "center"])
@pytest.mark.parametrize("seed", range(1, 16))
def test_decode_inverts_targets(catalog, seed, convention):
    """Encoding a box and decoding the targets gives the box back (round trip)."""
    v = make_variant(catalog.get("detection.bbox-targets"), seed, {"convention": convention})
    t = [float(x) for x in answer_key(v).parts["t"].exact]
    d = make_variant(catalog.get("detection.bbox-decode"), 1, {
        "anchor": str(v.params["anchor"]), "t": "[" + ", ".join(repr(x) for x in t) + "]",
        "convention": convention})
    box = [float(x) for x in answer_key(d).parts["box"].exact]
    assert box == pytest.approx([float(x) for x in v.params["ref"]], abs=1e-9)


def test_bbox_loss_by_hand(catalog):
    v = make_variant(catalog.get("detection.bbox-loss"), 1, {
        "y_c": "[1, 0]", "yhat_c": "[0.5, 0.25]",
        "y_r": "[[0, 0, 0, 0], [1, 1, 1, 1]]", "yhat_r": "[[1, 0, 0, 1], [0, 0, 0, 0]]"})
    k = answer_key(v)
    lc = -(math.log(0.5) + math.log(0.75)) / 2
    assert float(k.parts["L_c"].exact) == pytest.approx(lc)
    assert k.parts["L_r"].exact == 1  # ½ · (1 + 1) / 1: the second ROI is masked out
    assert grade(k, "L_c", "-(ln(1/2) + ln(3/4))/2").status == "correct"
    assert grade(k, "L_r", "1/2").mistake == "averaged-over-all-rois"
    assert grade(k, "L_r", "2").mistake == "half-forgotten"
    assert grade(k, "L_r", "3").mistake == "mask-forgotten"
