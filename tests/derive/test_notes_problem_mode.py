"""The course notes' derivations against their bank problems, and the mechanisms that let them in.

The ECE 417 exam review prints more than a bare derivation: it restates the problem's givens above
it (``ŷ_i = σ(ξ_i)``), names the expression it differentiates (``L = …``, then ``∂L/∂ξ_i``), states a
result and then derives it again from the start (σ′), and follows a derivation with a second result
(tanh, then its derivative).  These tests check each reading on its own, in plain syntax, and the
notes' fixtures (``files/latex/``) end to end; and that none of them lets a derivation skip work:

* a line that restates a given is shown as such, with no step; one that gives a defined name another
  value is checked, and wrong;
* ``L = <start>`` makes ``d/dxi(L)`` begin at the start, and only when L really is the start;
* a claim that does not follow from the line before is a wrong step while the derivation is under way,
  an extra result once the target is reached (checked, not graded), and in free form a new result;
* a line that restates the start begins a new attempt; only one attempt is graded, never a mix.

Expected scores come from the milestones' shares in ``problems/derivations.yaml``.
"""

from __future__ import annotations

import os

import pytest

from nncheck.derive.core import check_derivation
from nncheck.derive.plan import build_plan

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "files", "latex")
CODES = {"valid": "v", "invalid": "x", "unparsable": "!", "undecided": "?"}
TYPO = r"\frac{1 - \dot{\sigma}(\xi_i)}{1 - \sigma(\xi_i)}"
FIXED = r"\frac{\dot{\sigma}(\xi_i)}{1 - \sigma(\xi_i)}"

BCE_START = "d/dxi(-(1/n)(y ln(yhat) + (1 - y) ln(1 - yhat)))"
BCE_WORK = ("= -(1/n)(y d/dxi(ln(sigma(xi))) + (1 - y) d/dxi(ln(1 - sigma(xi))))\n"
            "= -(1/n)(y sigma'(xi)/sigma(xi) - (1 - y) sigma'(xi)/(1 - sigma(xi)))\n"
            "= -(1/n)(y yhat(1 - yhat)/yhat - (1 - y) yhat(1 - yhat)/(1 - yhat))\n"
            "= -(1/n)(y - yhat)\n")
TANH = ("tanh(xi) = (exp(xi) - exp(-xi))/(exp(xi) + exp(-xi))\n= (1 - exp(-2 xi))/(1 + exp(-2 xi))\n"
        "= 2 sigma(2 xi) - 1\n")
SIGMOID = ("d/dxi(sigma(xi)) = exp(-xi)/(1 + exp(-xi))^2\n= (1/(1 + exp(-xi))) (exp(-xi)/(1 + exp(-xi)))\n"
           "= (1/(1 + exp(-xi))) (1 - 1/(1 + exp(-xi)))\n= sigma(xi)(1 - sigma(xi))\n= h(1 - h)\n")


def _tex(name: str) -> str:
    with open(os.path.join(HERE, name), encoding="utf-8") as fh:
        return fh.read()


def _fixed(name: str) -> str:
    tex = _tex(name)
    out = tex.replace(TYPO.replace("_i", "_{i}"), FIXED.replace("_i", "_{i}")).replace(TYPO, FIXED)
    assert out != tex
    return out


@pytest.fixture(scope="module")
def problems(catalog):
    from nncheck.generate.variant import make_variant
    from nncheck.key.compute import answer_key
    from nncheck.kinds.derivation import problem_for

    cache: dict = {}

    def get(family_id: str):
        if family_id not in cache:
            key = answer_key(make_variant(catalog.get(family_id), 1, {}))
            cache[family_id] = problem_for(key.parts["derivation"].spec, mistakes=key.mistakes_for("derivation"))
        return cache[family_id]

    return get


def _check(problems, family: str, text: str):
    return check_derivation(text, problem=problems(family), isolate=False)


def _codes(report) -> str:
    return "".join(CODES[s.status] for s in report.steps)


# ----------------------------------------------------------------------------
# The notes' fixtures, against their bank problems.
# ----------------------------------------------------------------------------
#: (family, fixture, fixed: the notes' typo corrected).  Every one earns full marks, every milestone
#: on a line of the derivation graded.
FULL_MARKS = [
    ("derive.sigmoid-derivative", "sigmoid.tex", False),
    ("derive.sigmoid-derivative", "sigmoid_homework.tex", False),
    ("derive.tanh-sigmoid", "tanh.tex", False),
    ("derive.softmax-two-class", "softmax.tex", False),
    ("derive.bce-gradient", "bce.tex", True),
    ("derive.bce-gradient", "bce_lines.tex", True),
]


@pytest.mark.parametrize("family,name,fixed", FULL_MARKS,
                         ids=[f"{n}{'-fixed' if f else ''}" for _, n, f in FULL_MARKS])
def test_the_notes_derivations_earn_full_marks_for_their_problems(problems, family, name, fixed):
    from nncheck.kinds.derivation import verdict_from_report

    report = _check(problems, family, _fixed(name) if fixed else _tex(name))
    assert report.valid and report.finished is True and report.shown, report.summary()
    assert report.score == 1.0 and report.exit_code == 0
    assert report.credit is not None and all(report.credit.earned)
    graded = {id(st) for _, st in report.path}
    assert all(st.role == "derivation" for st in report.steps if id(st) in graded)
    assert verdict_from_report(report).status == "correct"


@pytest.mark.parametrize("name", ["bce.tex", "bce_lines.tex"])
def test_the_notes_bce_typo_is_the_first_wrong_step_against_the_problem(problems, name):
    report = _check(problems, "derive.bce-gradient", _tex(name))
    bad = report.first_invalid
    assert bad is not None and bad.role == "derivation", report.summary()
    # The step that writes (1 − σ̇)/(1 − σ) where σ̇/(1 − σ) belongs, on the .tex line that prints it.
    assert "(1 - sigma'(xi))/(1 - sigma(xi))" in bad.right.shown
    assert r"1 - \dot{\sigma}" in _tex(name).splitlines()[bad.line - 1]
    # Everything before it is valid: the restated given and L are no steps, d/dxi(L) begins at the start.
    assert all(s.status == "valid" for s in report.steps[:bad.index - 1])
    assert report.steps[0].kind == "start" and report.steps[0].status == "valid"
    # The milestone before the typo is earned, the ones after it are not, and the result is no jump.
    assert 0 < report.score < 1 and report.finished is True and not report.valid


# (fixture, statuses in free form; the fixtures' own definitions make them checkable on their own)
FREE = [("sigmoid.tex", "vvvvvvvv"), ("tanh.tex", "vvvv"), ("softmax.tex", "vv"), ("bce.tex", "vxxv"),
        ("bce_lines.tex", "vxxv")]


@pytest.mark.parametrize("name,codes", FREE, ids=[f[0] for f in FREE])
def test_free_form_verdicts_of_the_fixtures_are_unchanged(name, codes):
    report = check_derivation(_tex(name), isolate=False)
    assert _codes(report) == codes, report.summary()


# ----------------------------------------------------------------------------
# A line that restates a given.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("restated", ["yhat = sigma(xi)", "sigma(xi) = yhat"])
def test_a_line_restating_a_given_is_no_step(problems, restated):
    text = f"{restated}\n{BCE_START}\n{BCE_WORK}"
    report = _check(problems, "derive.bce-gradient", text)
    first = report.plan.parsed.lines[0]
    assert first.kind == "definition" and first.define == "yhat" and "restates the given" in first.note
    assert not any(s.line == 1 for s in report.steps)
    assert report.steps[0].kind == "start" and report.steps[0].line == 2
    assert report.valid and report.score == 1.0, report.summary()


def test_a_restated_given_with_more_to_it_is_an_aside_that_earns_nothing(problems):
    # h = σ(ξ) = 1/(1 + e^(−ξ)) (the notes' first display): the second '=' is checked, as an aside;
    # its right side has the form of the exp-form milestone, which it must not earn.
    jump = "d/dxi(sigma(xi)) = h(1 - h)\n"
    alone = _check(problems, "derive.sigmoid-derivative", jump)
    report = _check(problems, "derive.sigmoid-derivative", "h = sigma(xi) = 1/(1 + exp(-xi))\n" + jump)
    aside = [s for s in report.steps if s.line == 1]
    assert [(s.left.shown, s.right.shown, s.status, s.role) for s in aside] == [
        ("sigma(xi)", "1/(1 + exp(-xi))", "valid", "aside")]
    assert report.steps[0] is aside[0] and report.steps[1].kind == "start"
    assert report.score == alone.score < 0.5
    assert not report.credit.earned[0]


@pytest.mark.parametrize("line", ["yhat = 2 sigma(xi)", "yhat = sigma(xi) = 1/2", "yhat = 1 - sigma(xi)"])
def test_a_given_restated_with_another_value_is_checked_and_wrong(problems, line):
    from nncheck.kinds.derivation import verdict_from_report

    report = _check(problems, "derive.bce-gradient", f"{line}\n{BCE_START}\n{BCE_WORK}")
    bad = report.first_invalid
    assert bad is not None and bad.line == 1 and bad.index == 1 and bad.role == "aside"
    # Never a new meaning: the derivation after it is checked with the problem's yhat = σ(ξ).
    assert [d.name for d in report.plan.definitions] == ["yhat"]
    assert all(s.status == "valid" for s in report.steps if s.line > 1)
    # The derivation's own milestones stand; the target's share needs every step valid.
    assert report.score == pytest.approx(0.6) and not report.valid
    assert verdict_from_report(report).status == "incorrect"


def test_a_line_about_a_given_name_in_the_middle_is_an_aside_not_a_link(problems):
    # The derivation carries on below it from where it had got to (an expression line), as it does
    # below a definition; an '=' line would carry the aside on.
    work = BCE_WORK.splitlines()
    text = f"{BCE_START}\n{work[0]}\nyhat = 1/(1 + exp(-xi))\n{work[1][2:]}\n" + "\n".join(work[2:])
    report = _check(problems, "derive.bce-gradient", text)
    assert not any(s.kind == "link" for s in report.steps)
    assert [(s.left.shown, s.role) for s in report.steps if s.line == 3] == [("yhat", "aside")]
    assert report.valid and report.score == 1.0, report.summary()


def test_the_given_restatement_is_a_problems_reading_only():
    # Free form with no start: a line about a defined name is a claim, as it always was.
    plan = build_plan("let h = sigma(xi)\nh = sigma(xi)\n")
    assert [(s.kind, s.left.shown, s.right.shown, s.role) for s in plan.steps] == [
        ("step", "h", "sigma(xi)", "derivation")]


# ----------------------------------------------------------------------------
# A definition of the start: L = …, then d/dxi(L).
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("definition", ["L = -(1/n)(y ln(yhat) + (1 - y) ln(1 - yhat))",
                                        "L = -(1/n)(y ln(sigma(xi)) + (1 - y) ln(1 - sigma(xi)))"])
def test_a_definition_equal_to_the_start_makes_its_derivative_begin_at_the_start(problems, definition):
    text = f"yhat = sigma(xi)\n{definition}\nd/dxi(L) {BCE_WORK}"
    report = _check(problems, "derive.bce-gradient", text)
    start = report.steps[0]
    assert start.kind == "start" and start.status == "valid" and start.line == 3 and start.right.shown == "d/dxi(L)"
    assert report.valid and report.finished is True and report.score == 1.0, report.summary()


@pytest.mark.parametrize("definition", ["L = -(1/n)(y ln(yhat))",
                                        "L = -(1/n)(y ln(yhat) + (1 - y) ln(1 - yhat)) + xi"])
def test_a_definition_that_is_not_the_start_does_not_make_a_start(problems, definition):
    report = _check(problems, "derive.bce-gradient", f"{definition}\nd/dxi(L) {BCE_WORK}")
    start = report.steps[0]
    assert start.kind == "start" and start.status == "invalid" and "must begin with the start" in start.detail
    assert report.score < 0.5 and not report.valid


# ----------------------------------------------------------------------------
# Independent chains: free form, extra results after the target, and links while under way.
# ----------------------------------------------------------------------------
def test_free_form_a_claim_that_does_not_carry_on_is_a_new_result():
    report = check_derivation(_tex("tanh.tex"), isolate=False)
    assert report.valid and _codes(report) == "vvvv"
    assert [s.role for s in report.steps] == ["derivation"] * 3 + ["result"]
    assert report.plan.notes == ["line 12 begins a new result, checked on its own (not as a step from the line "
                                 "before)"]
    assert report.step_json(report.steps[-1])["role"] == "result"
    assert "role" not in report.step_json(report.steps[0])
    # A claim whose left side is the line before carries the derivation on: no new result.
    plan = build_plan("2a = b\nb = c\n2c = d\n")
    assert [s.role for s in plan.steps] == ["derivation", "derivation", "result"]
    assert plan.notes == ["line 3 begins a new result, checked on its own (not as a step from the line before)"]


def test_after_the_target_a_claim_that_does_not_follow_is_an_extra_result(problems):
    extra = "d/dxi(tanh(xi)) = 1 - tanh(xi)^2\n"
    alone = _check(problems, "derive.tanh-sigmoid", TANH)
    report = _check(problems, "derive.tanh-sigmoid", TANH + extra)
    assert alone.score == 1.0
    # Checked and valid; no link step; not graded, and costs nothing.
    assert not any(s.kind == "link" for s in report.steps)
    assert [(s.line, s.status, s.role) for s in report.steps if s.line == 4] == [(4, "valid", "extra")]
    assert report.valid and report.finished is True and report.score == 1.0 and report.exit_code == 0
    assert report.plan.final.shown == "2*sigma(2*xi) - 1"
    assert any("line 4 begins a new result after the target is reached" in n for n in report.notes)
    assert report.to_json()["steps"][-1]["role"] == "extra"


def test_an_extra_result_earns_nothing(problems):
    # The one-line jump reaches the target; the extra line after it has the exp-form milestone's form.
    jump = "d/dxi(sigma(xi)) = h(1 - h)\n"
    extra = "d/dxi(1/(1 + exp(-2 xi))) = 2 exp(-2 xi)/(1 + exp(-2 xi))^2\n"
    alone = _check(problems, "derive.sigmoid-derivative", jump)
    report = _check(problems, "derive.sigmoid-derivative", jump + extra)
    assert [s.role for s in report.steps if s.line == 2] == ["extra"]
    assert report.score == alone.score and not report.credit.earned[0]


def test_a_wrong_extra_result_is_reported_wrong(problems):
    from nncheck.kinds.derivation import verdict_from_report

    report = _check(problems, "derive.tanh-sigmoid", TANH + "d/dxi(tanh(xi)) = 1 + tanh(xi)^2\n")
    bad = report.first_invalid
    assert bad is not None and bad.line == 4 and bad.role == "extra"
    assert not report.valid and report.exit_code == 1 and report.finished is True
    # The derivation's milestones stand, except the target's, which needs every step valid.
    assert report.score == pytest.approx(0.6)
    assert "a step outside it is not valid" in report.summary()
    assert verdict_from_report(report).status == "incorrect"


def test_before_the_target_a_claim_that_does_not_follow_is_still_a_wrong_link(problems):
    text = "tanh(xi) = (exp(xi) - exp(-xi))/(exp(xi) + exp(-xi))\nd/dxi(tanh(xi)) = 1 - tanh(xi)^2\n"
    report = _check(problems, "derive.tanh-sigmoid", text)
    link = next(s for s in report.steps if s.kind == "link")
    assert link.status == "invalid" and link.role == "derivation" and report.first_invalid is link
    assert report.finished is False and not report.valid


def test_a_line_that_restates_the_start_begins_a_new_attempt(problems):
    # The notes state dh/dξ = σ̇(ξ) = e^(−ξ)/(1 + e^(−ξ))² (σ′ = σ(1−σ) by name: circular), then derive
    # it again from dσ/dξ.  The second attempt is graded; the first is checked, and costs nothing.
    first = "d/dxi(h) = sigma'(xi) = exp(-xi)/(1 + exp(-xi))^2\n"
    report = _check(problems, "derive.sigmoid-derivative", first + SIGMOID)
    again = next(s for s in report.steps if s.kind == "start" and s.line == 2)
    assert again.status == "valid" and "a new attempt" in again.detail
    assert not any(s.kind == "link" for s in report.steps)
    assert {s.role for s in report.steps if s.line == 1} == {"attempt"}
    assert report.circular == {} and report.shown
    assert report.valid and report.finished is True and report.score == 1.0, report.summary()
    assert any("the derivation from line 2 is graded" in n for n in report.notes)


def test_attempts_are_graded_one_at_a_time_never_mixed(problems):
    # Attempt 1 shows the exp-form milestone and stops; attempt 2 jumps to the target.  Together they
    # would show every milestone; each on its own does not, and the better one is graded.  (A line whose
    # left side is, as written, the left side of the chain before carries that chain on: no new attempt.)
    first = "d/dxi(sigma(xi)) = d/dxi(1/(1 + exp(-xi)))\n= exp(-xi)/(1 + exp(-xi))^2\n"
    second = "d/dxi(h) = sigma(xi)(1 - sigma(xi))\n= h(1 - h)\n"
    report = _check(problems, "derive.sigmoid-derivative", first + second)
    assert report.score == pytest.approx(0.4) and report.finished is False
    assert [m for m, e in zip(report.credit.milestones, report.credit.earned) if e][0].id == "exp-form"
    assert {s.role for s in report.steps if s.line >= 3} == {"attempt"}
    # The circular attempt is not graded, so its circular step does not count.
    assert report.circular == {}


def test_a_wrong_attempt_is_reported_wrong_and_costs_the_targets_share(problems):
    wrong = "d/dxi(h) = exp(xi)/(1 + exp(-xi))^2\n"
    report = _check(problems, "derive.sigmoid-derivative", wrong + SIGMOID)
    bad = report.first_invalid
    assert bad is not None and bad.line == 1 and bad.role == "attempt"
    assert report.finished is True and report.score == pytest.approx(0.7)
