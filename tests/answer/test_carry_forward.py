"""Error carried forward: a later part computed correctly from the student's own wrong earlier answer
earns its marks (``nncheck.key.grade.carry_forward``, the solvers' ``carry_from``/``carry``).

For every chain of the non-recurrent families the student's slip is an earlier value off the key, and
the later value is computed *here*, by hand in NumPy from that slip (never by the solver):

* that later answer is graded correct, carried forward from exactly the wrong inputs;
* an answer wrong even given the slip stays wrong, and without the earlier answers it is wrong too.

Then the policy: correct inputs keep the key's value, every input must be answered and readable, the
earlier part itself stays wrong, inputs a session does not ask keep the key, and dishonest inputs
(zeros, copies of the data, values off the key's scale) carry nothing.  Last, the maps themselves: the
key's own values give back the key, and every listed input changes what is carried.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from nncheck.generate.variant import build_variant, make_variant, parse_assignments
from nncheck.key.compute import answer_key
from nncheck.key.grade import CARRY_SCALE, CARRY_SCORE, grade, label


def sig(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def text(v) -> str:
    """A value typed as a student would: repr floats, rows of a matrix as nested lists."""
    v = np.asarray(v, dtype=float)
    if v.ndim == 0:
        return repr(float(v))
    if v.ndim == 1:
        return "[" + ", ".join(repr(float(x)) for x in v) + "]"
    return "[" + ", ".join(text(r) for r in v) + "]"


def off(v):
    """A value wrong even given the slip: its first entry is off by far more than any tolerance."""
    v = np.array(v, dtype=float)
    if v.ndim == 0:
        return v + 0.2 * (1 + abs(v))
    v.flat[0] += 0.2 * (1 + abs(v.flat[0]))
    return v


def key_of(catalog, family: str, **params):
    return answer_key(make_variant(catalog.get(family), 1, parse_assignments([f"{k}={v}" for k, v in params.items()])))


def keyval(key, part):
    return np.asarray(key.parts[part].numeric, dtype=float)


def check_chain(key, later: str, wrong: dict, value, *, asked=None) -> None:
    """The mechanism on one chain: ``wrong`` slipped inputs, ``value`` the later part computed from them."""
    inputs = key.carry_inputs(later, asked)
    assert set(wrong) <= set(inputs), (later, inputs)
    given = {n: text(wrong[n]) if n in wrong else text(keyval(key, n)) for n in inputs}
    right = grade(key, later, text(value), given, asked=asked)
    assert right.status == "correct" and right.score == CARRY_SCORE, (later, right)
    assert right.carried_forward == [n for n in inputs if n in wrong]
    assert right.feedback.startswith("Correct given your " + label(key, right.carried_forward[0]) + " = ")
    assert right.to_json()["carried_forward"] == right.carried_forward
    # Wrong against the key without the earlier answers; wrong given them when it does not follow.
    plain = grade(key, later, text(value))
    assert plain.status == "incorrect" and not plain.carried_forward and "carried_forward" not in plain.to_json()
    still = grade(key, later, text(off(value)), given, asked=asked)
    assert still.status == "incorrect" and not still.carried_forward


# ----------------------------------------------------------------------------
# Two-layer network: forward → backward → step.
# ----------------------------------------------------------------------------
X = np.array([[1.0, 2.0]])
W1 = np.array([[1.0, -1.0], [2.0, 0.0]])
B1 = np.array([0.0, -1.0])
W2 = np.array([[1.0, -2.0]])
B2 = np.array([0.0])
ETA = 0.5
NET = {"x": "[[1,2]]", "W1": "[[1,-1],[2,0]]", "b1": "[0,-1]", "W2": "[[1,-2]]", "b2": "[0]", "eta": "0.5",
       "ask": "all"}


@pytest.fixture(scope="module")
def bce(catalog):
    """Sigmoid hidden layer, sigmoid output, BCE, y = 1 (a matched pair: ∇ξ⁽²⁾L = ŷ − y)."""
    return key_of(catalog, "backprop.two-layer", **NET, y="[[1]]", hidden="sigmoid", output="sigmoid", loss="bce")


def test_two_layer_forward_chain(bce):
    xi1 = np.array([[-1.0, 2.0]])  # the key's is [[-1, 1]]
    h = sig(xi1)
    check_chain(bce, "h", {"xi1": xi1}, h)
    h = np.array([[0.25, 0.75]])
    xi2 = B2 + h @ W2.T
    check_chain(bce, "xi2", {"h": h}, xi2)
    xi2 = np.array([[-0.5]])
    check_chain(bce, "yhat", {"xi2": xi2}, sig(xi2))
    yhat = np.array([[0.4]])
    check_chain(bce, "L", {"yhat": yhat}, -math.log(0.4))  # y = 1: only ln ŷ is left


def test_two_layer_backward_and_step_chain(bce):
    yhat = np.array([[0.4]])
    check_chain(bce, "dxi2", {"yhat": yhat}, yhat - 1.0)
    dxi2 = np.array([[-0.5]])
    h_key = keyval(bce, "h")
    check_chain(bce, "dW2", {"dxi2": dxi2}, dxi2.T @ h_key)
    h = np.array([[0.25, 0.75]])
    check_chain(bce, "dW2", {"dxi2": dxi2, "h": h}, dxi2.T @ h)  # both inputs the student's
    check_chain(bce, "db2", {"dxi2": dxi2}, dxi2.sum(axis=0))
    check_chain(bce, "dxi1", {"dxi2": dxi2, "h": h}, h * (1 - h) * (dxi2 @ W2))  # σ̇ = h(1 − h)
    dxi1 = np.array([[0.1, -0.2]])
    check_chain(bce, "dW1", {"dxi1": dxi1}, dxi1.T @ X)
    check_chain(bce, "db1", {"dxi1": dxi1}, dxi1.sum(axis=0))
    dW1 = np.array([[0.5, 1.0], [-0.25, 0.5]])
    check_chain(bce, "W1_new", {"dW1": dW1}, W1 - ETA * dW1)
    dW2 = np.array([[0.3, -0.6]])
    check_chain(bce, "W2_new", {"dW2": dW2}, W2 - ETA * dW2)
    check_chain(bce, "b1_new", {"db1": np.array([0.2, 0.4])}, B1 - ETA * np.array([0.2, 0.4]))


def test_two_layer_relu_and_unmatched_output(catalog):
    relu = key_of(catalog, "backprop.two-layer", **NET, y="[[1]]", hidden="relu", output="sigmoid", loss="bce")
    xi1 = np.array([[1.0, 1.0]])  # the key's [[-1, 1]]: the student's ReLU passes unit 1 on
    dxi2 = keyval(relu, "dxi2")
    check_chain(relu, "dxi1", {"xi1": xi1}, (xi1 >= 0) * (dxi2 @ W2))  # ReLU′ = u(ξ⁽¹⁾)
    mse = key_of(catalog, "backprop.two-layer", **NET, y="[[1]]", hidden="sigmoid", output="sigmoid", loss="mse")
    yhat = np.array([[0.4]])
    check_chain(mse, "dxi2", {"yhat": yhat}, yhat * (1 - yhat) * (yhat - 1.0))  # σ̇(ξ⁽²⁾)·∂L/∂ŷ
    check_chain(mse, "L", {"yhat": yhat}, (1 - 0.4) ** 2 / 2)


# ----------------------------------------------------------------------------
# Softmax → CE → gradient; IoU; the detection loss; optimizer steps; conv parameter counts.
# ----------------------------------------------------------------------------
def test_softmax_ce_gradient_chain(catalog):
    key = key_of(catalog, "softmax.ce-gradient", z="[1,2,0]", y="[0,1,0]")
    yhat = np.array([0.2, 0.5, 0.3])  # sums to 1, but it is not softmax([1, 2, 0])
    check_chain(key, "L", {"yhat": yhat}, -math.log(0.5))
    check_chain(key, "grad", {"yhat": yhat}, yhat - np.array([0, 1, 0]))


def test_iou_chain(catalog):
    key = key_of(catalog, "detection.iou", box_ref="[0,0,4,4]", box_roi="[2,2,4,4]")  # I = 4, U = 28
    check_chain(key, "U", {"I": 6.0}, 16 + 16 - 6.0)
    check_chain(key, "IoU", {"I": 6.0, "U": 26.0}, 6 / 26)
    check_chain(key, "IoU", {"I": 6.0}, 6 / 28)  # U right: the key's U
    check_chain(key, "IoU", {"U": 32.0}, 4 / 32)


def test_bbox_loss_chain(catalog):
    key = key_of(catalog, "detection.bbox-loss", y_c="[1, 0]", yhat_c="[0.75, 0.25]",
                 y_r="[[0, 0, 0, 0], [1, 1, 1, 1]]", yhat_r="[[0.5, 0, 0, 0], [0, 0, 0, 0]]")
    l_c = -(math.log(0.75) + math.log(0.75)) / 2
    check_chain(key, "L", {"L_c": 2 * l_c}, 2 * l_c + 0.5 * 0.25)
    check_chain(key, "L", {"L_c": 2 * l_c, "L_r": 0.25}, 2 * l_c + 0.25)


def test_optimizer_steps_chain(catalog):
    key = key_of(catalog, "optim.step", optimizer="momentum", f="given", steps=3, x0="[1, -2]",
                 grads="[[2, 1], [1, -1], [3, 0]]", alpha="0.1", rho="0.9")
    g = np.array([[2.0, 1.0], [1.0, -1.0], [3.0, 0.0]])
    x1 = keyval(key, "x1") + np.array([0.5, 0.0])
    v2 = 0.9 * g[0] + g[1]
    v3 = 0.9 * v2 + g[2]
    check_chain(key, "xT", {"x1": x1}, x1 - 0.1 * v2 - 0.1 * v3)
    assert key.carry_inputs("v") == ()  # with given gradients the velocity never depends on x₁
    # f = ½ Σ aᵢxᵢ²: steps 2… take their gradient at the student's x₁, and so does the velocity.
    quad = key_of(catalog, "optim.step", optimizer="momentum", f="quadratic", steps=2, x0="[2, 1]", a="[1, 2]",
                  alpha="0.1", rho="0.5")
    a, x0 = np.array([1.0, 2.0]), np.array([2.0, 1.0])
    x1 = x0 - 0.1 * a * x0 + np.array([0.0, 0.5])
    v2 = 0.5 * (a * x0) + a * x1
    check_chain(quad, "xT", {"x1": x1}, x1 - 0.1 * v2)
    check_chain(quad, "v", {"x1": x1}, v2)


def test_conv_parameter_count_chain(catalog):
    key = key_of(catalog, "conv.param-count", F=3, D1=3, K=10)  # 27 per filter, 270 weights, 280 in all
    check_chain(key, "weights", {"per_filter": 9.0}, 90.0)
    check_chain(key, "total", {"weights": 90.0}, 100.0)
    check_chain(key, "total", {"weights": 90.0, "biases": 1.0}, 91.0)
    # An integer part stays exact when carried: 90 ± a little is not 90.
    given = {"per_filter": "9"}
    assert grade(key, "weights", "90.5", given).status == "incorrect"


def test_loss_and_activation_chains(catalog):
    bce = key_of(catalog, "loss.bce", y="[1, 0]", yhat="[0.8, 0.25]", convention="mean")
    dyhat = np.array([-0.5, 0.5])  # the key's is [−0.625, 0.667]
    check_chain(bce, "dxi", {"dyhat": dyhat}, dyhat * np.array([0.8 * 0.2, 0.25 * 0.75]))  # × σ′ = ŷ(1 − ŷ)
    ce = key_of(catalog, "loss.ce", y="[[1, 0, 0]]", yhat="[[0.5, 0.25, 0.25]]", convention="mean")
    d = np.array([-1.5, 0.5, 0.0])
    jac = np.diag([0.5, 0.25, 0.25]) - np.outer([0.5, 0.25, 0.25], [0.5, 0.25, 0.25])
    check_chain(ce, "dxi", {"dyhat": d[None, :]}, (jac @ d)[None, :])
    hinge = key_of(catalog, "loss.hinge", s="[[3, 1, 2], [0, 2, 1]]", y="[1, 2]", delta=1, convention="mean")
    check_chain(hinge, "L", {"Li": np.array([1.5, 2.0])}, 1.75)
    reg = key_of(catalog, "loss.regularization", W="[[1, -2], [0, 3]]", norm="L1", **{"lambda": "0.5"})
    check_chain(reg, "penalty", {"R": 5.0}, 2.5)
    act = key_of(catalog, "backprop.activation-derivative", g="tanh", xi=1)
    check_chain(act, "dh", {"h": 0.75}, 1 - 0.75 ** 2)  # tanh′ = 1 − h²
    relu = key_of(catalog, "backprop.activation-derivative", g="relu", xi=1)
    assert relu.carry_inputs("dh") == ()  # u(ξ) is not computed from h


# ----------------------------------------------------------------------------
# Scope.
# ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def params(catalog):
    return key_of(catalog, "conv.param-count", F=3, D1=3, K=10)


def test_correct_inputs_keep_the_key(params, bce):
    # per_filter right (27) while weights is wrong: nothing to carry, whatever weights was computed from.
    v = grade(params, "weights", "280", {"per_filter": "27"})
    assert v.status == "incorrect" and not v.carried_forward
    # A correctly rounded input is the key's value, so a later answer computed from the rounding
    # itself cannot drift into or out of credit.
    h = keyval(bce, "h")
    rounded = np.round(keyval(bce, "xi2") + 0.0004, 3)
    assert grade(bce, "xi2", text(rounded)).status == "correct"
    v = grade(bce, "yhat", text(off(sig(rounded))), {"xi2": text(rounded)})
    assert v.status == "incorrect" and not v.carried_forward
    assert grade(bce, "xi2", text(B2 + h @ W2.T), {"h": text(h)}).status == "correct"


@pytest.mark.parametrize("earlier", [None, "", "   ", "3 +* 4", "none", "[1, 2]"])
def test_every_input_must_be_answered_readably(params, earlier):
    given = {} if earlier is None else {"per_filter": earlier}
    v = grade(params, "weights", "90", given)
    assert v.status == "incorrect" and not v.carried_forward


def test_all_inputs_are_needed_and_the_root_stays_wrong(catalog, bce):
    iou = key_of(catalog, "detection.iou", box_ref="[0,0,4,4]", box_roi="[2,2,4,4]")
    assert grade(iou, "IoU", repr(6 / 26), {"I": "6"}).status == "incorrect"  # U not answered
    assert grade(iou, "IoU", repr(6 / 26), {"I": "6", "U": "26"}).status == "correct"
    # The part that was itself wrong earns nothing from the parts computed from it.
    assert grade(iou, "I", "6", {"U": "26", "IoU": repr(6 / 26)}).status == "incorrect"
    assert bce.carry_inputs("xi1") == ()


def test_inputs_not_asked_keep_the_key(bce):
    """An exam asks 3 parts: an input it does not ask is not the student's to get wrong."""
    asked = ["dxi2", "dW2", "W2_new"]
    assert bce.carry_inputs("dW2", asked) == ("dxi2",)
    dxi2 = np.array([[-0.5]])
    check_chain(bce, "dW2", {"dxi2": dxi2}, dxi2.T @ keyval(bce, "h"), asked=asked)
    assert bce.carry_inputs("dW2") == ("dxi2", "h")  # asked in full, h is needed too
    v = grade(bce, "dW2", text(dxi2.T @ keyval(bce, "h")), {"dxi2": text(dxi2)})
    assert v.status == "incorrect"


# ----------------------------------------------------------------------------
# Honest attempts only.
# ----------------------------------------------------------------------------
def test_trivial_inputs_carry_nothing(catalog, params, bce):
    # All zeros makes every product after it trivial.
    v = grade(params, "weights", "0", {"per_filter": "0"})
    assert v.status == "incorrect" and not v.carried_forward
    assert "Not carried forward from your weights per filter = 0" in v.feedback and "is zero" in v.feedback
    v = grade(bce, "xi2", text(B2), {"h": "[[0, 0]]"})
    assert v.status == "incorrect" and "all zeros" in v.feedback
    # A copy of data the problem gives is no attempt either (h typed as b⁽¹⁾).
    v = grade(bce, "xi2", text(B2 + B1 @ W2.T), {"h": text(B1)})
    assert v.status == "incorrect" and "copies the given b1" in v.feedback
    ce = key_of(catalog, "softmax.ce-gradient", z="[1,2,0]", y="[0,1,0]")
    v = grade(ce, "L", "0", {"yhat": "[0, 1, 0]"})  # ŷ typed as the one-hot y: L = 0 and ∂L/∂z = 0
    assert v.status == "incorrect" and "copies the given y" in v.feedback
    # Nor a value off the key's scale, either way (27 weights per filter).
    big, small = 27 * CARRY_SCALE * 1.5, 27 / CARRY_SCALE / 1.5
    v = grade(params, "weights", repr(big * 10), {"per_filter": repr(big)})
    assert v.status == "incorrect" and "too large" in v.feedback
    v = grade(params, "weights", repr(small * 10), {"per_filter": repr(small)})
    assert v.status == "incorrect" and "too small" in v.feedback
    # Within the scale, a slip carries: a dropped depth (9 for 27) is an honest attempt.
    assert grade(params, "weights", "90", {"per_filter": "9"}).status == "correct"
    # The note appears only when the answer does follow from the refused input.
    v = grade(params, "weights", "5", {"per_filter": "0"})
    assert "Not carried forward" not in v.feedback


def test_labels_come_from_the_prompts(bce, catalog):
    assert [label(bce, n) for n in ("xi1", "h", "L", "dxi2", "dW1")] == ["ξ⁽¹⁾", "h", "loss L", "∇ξ⁽²⁾L", "∇W⁽¹⁾L"]
    iou = key_of(catalog, "detection.iou", box_ref="[0,0,4,4]", box_roi="[2,2,4,4]")
    assert label(iou, "I") == "intersection area I"
    v = grade(iou, "U", "26", {"I": "6"})
    assert v.feedback.startswith("Correct given your intersection area I = 6: error carried forward")


# ----------------------------------------------------------------------------
# The maps: exact on the key, and every listed input is used.
# ----------------------------------------------------------------------------
CARRY_FAMILIES = ("backprop.two-layer", "softmax.ce-gradient", "detection.iou", "detection.bbox-loss", "optim.step",
                  "conv.param-count", "loss.bce", "loss.ce", "loss.hinge", "loss.regularization",
                  "backprop.activation-derivative")


def _numeric(variant):
    return {k: v for k, v in variant.solver.numeric(variant.params).items() if not callable(v)}


#: Instances the random draws never make (exam draws keep square-root optimizers on given gradients).
EXTRA = {"optim.step": [{"optimizer": opt, "f": "quadratic", "steps": "3", "x0": "[2, -1]", "a": "[1, 2]",
                         "alpha": "0.1", "eps": "0.01"} for opt in ("adagrad", "rmsprop", "adam", "momentum")]}


def variants(catalog, family):
    for seed in range(1, 31):
        yield build_variant(catalog.get(family), seed, {})
    for over in EXTRA.get(family, []):
        yield make_variant(catalog.get(family), 1, over)


@pytest.mark.parametrize("family", CARRY_FAMILIES)
def test_the_key_carries_to_the_key(catalog, family):
    """Fed the key's own values, every carried part is the key: the formulas are the numeric path's."""
    checked = 0
    for v in variants(catalog, family):
        base = _numeric(v)
        for later, inputs in v.solver.carry_from(v.params).items():
            given = {i: np.asarray(base[i], dtype=float).tolist() for i in inputs if i in base}
            out = v.solver.carry(v.params, given)
            assert later in out, (family, v.params, later)
            assert np.allclose(np.asarray(out[later], dtype=float), np.asarray(base[later], dtype=float),
                               rtol=1e-9, atol=1e-12), (family, v.params, later)
            checked += 1
    assert checked


@pytest.mark.parametrize("family", CARRY_FAMILIES)
def test_every_listed_input_is_used(catalog, family):
    """Changing any one listed input changes the carried value (in some draw): the map lists no input
    the formulas ignore."""
    used: dict[tuple[str, str], bool] = {}
    for v in variants(catalog, family):
        base = _numeric(v)
        for later, inputs in v.solver.carry_from(v.params).items():
            for i in inputs:
                moved = np.asarray(base[i], dtype=float) * -0.9 + 0.05  # flips signs too (ReLU′ reads them)
                out = v.solver.carry(v.params, {i: moved.tolist()})
                changed = later in out and not np.allclose(np.asarray(out[later], dtype=float),
                                                           np.asarray(base[later], dtype=float))
                used[(later, i)] = used.get((later, i), False) or changed
    assert used and all(used.values()), [k for k, ok in used.items() if not ok]


# ----------------------------------------------------------------------------
# Where the earlier answers come from: check --given, grade, quiz and exam.
# ----------------------------------------------------------------------------
IOU = ["detection.iou", "box_ref=[0,0,4,4]", "box_roi=[2,2,4,4]"]  # I = 4, U = 28, IoU = 1/7


def test_check_given(catalog):
    import json

    from shared_helpers import one_line_error, run

    r = run("check", *IOU, "--part", "IoU", "--answer", "6/26", "--given", "I=6", "--given", "U=26", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["status"] == "correct" and out["carried_forward"] == ["I", "U"]
    assert out["feedback"].startswith("Correct given your intersection area I = 6 and union area U = 26")
    r = run("check", *IOU, "--part", "IoU", "--answer", "6/26", "--given", "I=6", "--given", "U=27")
    assert r.exit_code == 1  # 6/26 does not follow from U = 27
    r = run("check", *IOU, "--part", "U", "--answer", "26", "--given", "I=6")
    assert r.exit_code == 0 and "Correct given your intersection area I = 6" in r.stdout
    one_line_error(run("check", *IOU, "--part", "IoU", "--answer", "6/26", "--given", "I=6"),
                   "computed from I, U", "--given")
    one_line_error(run("check", *IOU, "--part", "I", "--answer", "6", "--given", "U=26"),
                   "not computed from other parts")
    one_line_error(run("check", *IOU, "--part", "U", "--answer", "26", "--given", "I"), "PART=ANSWER")
    one_line_error(run("check", *IOU, "--part", "U", "--answer", "26", "--given", "X=6"), "no part 'X'")
    one_line_error(run("check", *IOU, "--part", "U", "--answer", "26", "--given", "I=6", "--given", "I=7"),
                   "twice")
    one_line_error(run("check", *IOU, "--part", "U", "--answer", "26", "--given", "I=3 +* 4"), "--given I:")


def test_grade_carries_within_a_students_entries(catalog):
    from nncheck.batch.grade import grade_sheet, load_answers_text

    entry = "{{id: detection.iou, params: {{box_ref: '[0,0,4,4]', box_roi: '[2,2,4,4]'}}, {rest}}}"
    sheet = "answers:\n" + "\n".join("  - " + entry.format(rest=rest) for rest in (
        "problem: 1, parts: {I: 6, U: 26, IoU: 0.2308}",       # U and IoU follow from I = 6
        "problem: 2, parts: {I: null, U: 26}",                  # I left blank: nothing to carry from
        "problem: 3, part: I, answer: 6",                       # I twice, differently: ambiguous
        "problem: 3, part: I, answer: 5",
        "problem: 3, part: U, answer: 26",
    ))
    res = grade_sheet(load_answers_text(sheet, "a.yaml"), catalog)
    got = [(r.entry.problem, r.entry.part, r.status, r.carried_forward) for r in res.results]
    assert got == [("1", "I", "incorrect", []), ("1", "U", "correct", ["I"]), ("1", "IoU", "correct", ["I", "U"]),
                   ("2", "I", "unanswered", []), ("2", "U", "incorrect", []),
                   ("3", "I", "incorrect", []), ("3", "I", "incorrect", []), ("3", "U", "incorrect", [])]
    js = res.to_json()["entries"]
    assert js[2]["carried_forward"] == ["I", "U"] and "carried_forward" not in js[0]
    assert res.total()["score"] == 2
    from nncheck.export.report import report_markdown

    rows = [ln for ln in report_markdown(res).splitlines() if "(carried forward)" in ln]
    assert len(rows) == 2 and "| U |" in rows[0] and "| IoU |" in rows[1]


def test_quiz_and_exam_carry_from_the_session(catalog, tmp_path):
    from nncheck.practice.session import Planned, Session
    from nncheck.practice.store import open_store

    over = {"box_ref": "[0,0,4,4]", "box_roi": "[2,2,4,4]"}
    quiz = Session(catalog, [Planned("detection.iou", 1, overrides=dict(over))], mode="quiz", seed=1)
    assert quiz.handle("6").kind == "retry"
    assert quiz.handle("6").kind == "wrong"
    ev = quiz.handle("26")
    assert ev.kind == "correct" and ev.verdict.carried_forward == ["I"] and ev.part.score == CARRY_SCORE
    ev = quiz.handle("0.3")
    assert ev.kind == "retry" and not ev.verdict.carried_forward  # 0.3 is neither 1/7 nor 6/26
    row = quiz.rows()[1]
    assert row["carried_forward"] == ["I"] and row["result"] == "correct, carried forward"
    assert "carried_forward" not in quiz.rows()[0]
    # An exam answered out of order: U before the I it was computed from, graded again at the end.
    store = open_store(str(tmp_path / "h.db"))
    try:
        exam = Session(catalog, [Planned("detection.iou", 1, parts=["I", "U", "IoU"], overrides=dict(over))],
                       mode="exam", seed=1, store=store)
        assert exam.handle("skip").kind == "skipped"
        assert exam.handle("26").kind == "answered"  # U: wrong against the key, and I not yet answered
        assert exam.handle(repr(6 / 26)).kind == "answered"  # IoU: I is still unanswered
        u = exam.problems[0].parts[1]
        assert u.outcome == "wrong" and u.score == 0
        assert exam.handle("6").kind == "answered"
        assert exam.finished  # every part answered: the CLI's loop ends the exam
        exam.finish("finished")
        assert [(p.outcome, p.score) for p in exam.problems[0].parts] == [
            ("wrong", 0.0), ("correct", CARRY_SCORE), ("correct", CARRY_SCORE)]
        results = {r["part"]: r for r in store.load_session(exam.session_id)["part_results"]}
        assert results["U"]["outcome"] == "correct" and results["U"]["score"] == CARRY_SCORE
        # The report says why a score of 1 sits beside an answer that differs from the key.
        from rich.console import Console

        from nncheck.render.quiz_views import exam_report_view

        con = Console(width=200, record=True, color_system=None)
        con.print(exam_report_view(exam))
        shown = con.export_text()
        assert "Error carried forward" in shown and "1 U: Correct given your intersection area I = 6" in shown
    finally:
        store.close()
