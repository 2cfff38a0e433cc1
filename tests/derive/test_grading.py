"""From a checked derivation to a Verdict (shared by ``nncheck derive ID`` and the quiz)."""

from __future__ import annotations

from nncheck.derive.core import DerivationProblem, check_derivation
from nncheck.kinds.derivation import read_multiline, verdict_from_report

PROBLEM = DerivationProblem("d/dx(x^3 + x)", "3x^2 + 1", symbols={"x": "real"})


def verdict(text: str):
    return verdict_from_report(check_derivation(text, problem=PROBLEM, isolate=False))


def test_correct_derivation_scores_one():
    v = verdict("d/dx(x^3 + x)\n= d/dx(x^3) + d/dx(x)\n= 3x^2 + 1\n")
    assert v.status == "correct" and v.score == 1.0
    assert "3 steps" in v.feedback
    assert v.parsed_as == "d/dx(x^3 + x) = d/dx(x^3) + d/dx(x) = 3*x^2 + 1"
    assert [d["status"] for d in v.details] == ["valid"] * 3


def test_first_wrong_step_named_and_earlier_steps_credited():
    v = verdict("d/dx(x^3 + x)\n= d/dx(x^3) + d/dx(x)\n= 3x^2\n= 3x^2 + 1\n")
    assert v.status == "incorrect"
    assert v.feedback.startswith("Step 3 (line 3) is wrong: not equal at x = ")
    assert 0 < v.score < 0.5
    # An early mistake earns less than a late one.
    early = verdict("d/dx(x^3 + x)\n= 3x^2\n= 3x^2 + 1\n")
    assert early.score < v.score


def test_valid_but_unfinished_scores_half():
    v = verdict("d/dx(x^3 + x)\n= d/dx(x^3) + d/dx(x)\n")
    assert v.status == "incorrect" and v.score == 0.5
    assert "not finished" in v.feedback


def test_unreadable_line_is_invalid_and_costs_no_attempt():
    v = verdict("d/dx(x^3 + x)\n= 3x^2 + 1)\n")
    assert v.status == "invalid" and not v.costs_attempt
    assert v.feedback.startswith("line 2: ") and v.caret()


def test_empty_derivation_is_invalid():
    for text in ("", "\n\n# only a comment\n"):
        v = verdict(text)
        assert v.status == "invalid"
        assert "empty" in v.feedback


def test_read_multiline_for_the_quiz():
    lines = iter(["= d/dx(x^3) + d/dx(x)", "= 3x^2 + 1", "", "not read"])
    text = read_multiline(lambda: next(lines), first="d/dx(x^3 + x)")
    assert text == "d/dx(x^3 + x)\n= d/dx(x^3) + d/dx(x)\n= 3x^2 + 1"
    assert verdict(text).status == "correct"
    lines = iter(["x + 1", "."])
    assert read_multiline(lambda: next(lines)) == "x + 1"
    assert read_multiline(lambda: None) is None


def test_the_verdict_scores_what_the_report_scores():
    """``check``, ``grade`` and the quiz give a derivation the report's own score (``derive --json``)."""
    for text in ("d/dx(x^3 + x)\n= d/dx(x^3) + d/dx(x)\n= 3x^2 + 1\n", "d/dx(x^3 + x)\n= 3x^2\n= 3x^2 + 1\n",
                 "d/dx(x^3 + x)\n= d/dx(x^3) + d/dx(x)\n", "d/dx(x^3 + x)\n= 3x^2 + 1)\n"):
        report = check_derivation(text, problem=PROBLEM, isolate=False)
        v = verdict_from_report(report)
        assert v.score == report.score
        assert (v.status == "correct") == (report.score == 1.0 and report.exit_code == 0)
