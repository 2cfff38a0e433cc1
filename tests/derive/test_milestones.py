"""Derivations graded for the work shown: circular steps, milestones recognised by form, the score.

The mechanisms are tested on small problems written here (so that no bundled rubric is what
makes a test pass); ``test_problems.py`` checks every bundled problem's worked solution and
one-line jump, and the CLI tests at the end check ``derive --json``, ``check --json`` and
``bank test``.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from nncheck.cli.app import app
from nncheck.derive.core import DerivationProblem, check_derivation
from nncheck.derive.milestones import Milestone, credit, derivative_heads, has_vocabulary, vocabulary
from nncheck.kinds.derivation import verdict_from_report
from nncheck.lang.syntax import parse

runner = CliRunner()

# σ′ = h(1 − h), with the three milestones a grader looks for.
SIGMA = [
    {"id": "exp-form", "share": 0.4, "missing": "show the derivative of 1/(1 + e^(−ξ)) before writing it with σ",
     "uses": ["exp"], "not_uses": ["sigma", "h"], "derivative": False},
    {"id": "sigma-form", "share": 0.3, "missing": "write it with σ before writing it with h",
     "uses": ["sigma"], "not_uses": ["exp", "h"], "derivative": False},
    {"id": "in-h", "share": 0.3, "missing": "write it as h(1 − h)", "form": "target"},
]
WORKED = ("d/dxi(sigma(xi)) = d/dxi(1/(1 + exp(-xi)))\n= exp(-xi)/(1 + exp(-xi))^2\n"
          "= (1/(1 + exp(-xi)))(1 - 1/(1 + exp(-xi)))\n= sigma(xi)(1 - sigma(xi))\n= h(1 - h)\n")


def sigma_problem(milestones=SIGMA) -> DerivationProblem:
    return DerivationProblem("d/dxi(sigma(xi))", "h*(1 - h)", given=["h = sigma(xi)"],
                             symbols={"xi": "real", "h": "(0,1)"}, milestones=milestones, id="t.sigma",
                             part_name="derivation")


def check(text: str, problem: DerivationProblem):
    report = check_derivation(text, problem=problem, isolate=False)
    return report, verdict_from_report(report)


def node(text: str):
    return parse(text, None, derivatives=True)


# ----------------------------------------------------------------------------
# No circular justification.
# ----------------------------------------------------------------------------
def test_the_identity_to_be_shown_justifies_no_step():
    report, v = check("d/dxi(sigma(xi)) = h(1 - h)\n", sigma_problem())
    assert report.valid and report.finished is True  # valid mathematics ...
    (step,) = [s for s in report.steps if s.kind == "step"]
    assert report.circular == {step: "σ′ = σ(1−σ)"}  # ... that rests on the identity itself
    assert not report.shown and report.score == 0 and report.exit_code == 1
    assert v.status == "incorrect" and v.score == 0
    assert "rests on σ′ = σ(1−σ), the identity the problem asks you to show" in v.feedback
    assert [d.get("circular") for d in v.details] == [None, "σ′ = σ(1−σ)"]


def test_work_after_a_circular_step_earns_nothing():
    # σ′ = σ(1 − σ) used as a rule, then the exponentials written out: the later lines rest on it.
    text = ("d/dxi(sigma(xi))\n= sigma(xi)(1 - sigma(xi))\n= (1/(1 + exp(-xi)))(1 - 1/(1 + exp(-xi)))\n"
            "= sigma(xi)(1 - sigma(xi))\n= h(1 - h)\n")
    report, v = check(text, sigma_problem())
    assert report.valid and len(report.circular) == 1
    assert report.score == 0 and v.status == "incorrect"


@pytest.mark.parametrize("start,target,var,rule", [
    ("d/dxi(sigma(xi))", "sigma(xi)*(1 - sigma(xi))", "xi", "sigmoid-derivative"),
    ("d/dx(tanh(x))", "1 - tanh(x)^2", "x", "tanh-derivative"),
    ("tanh(x)", "2*sigma(2*x) - 1", "x", "tanh-sigmoid"),
])
def test_a_rule_that_is_the_problem_in_other_words_is_refused(start, target, var, rule):
    p = DerivationProblem(start, target, symbols={var: "real"}, id="t", part_name="p")
    report, _ = check(f"{start}\n= {target}\n", p)
    assert [s.rule for s in report.circular] == [rule]
    # The same step in a free-form derivation is a rule like any other.
    free = check_derivation(f"{start}\n= {target}\n", isolate=False)
    assert free.valid and free.steps[-1].rule == rule and not free.circular and free.exit_code == 0


def test_a_rule_the_problem_only_uses_stays_a_rule():
    """σ′ = σ(1 − σ) in a problem whose start is a whole loss (not σ alone) justifies its step."""
    p = DerivationProblem("d/dxi(-ln(sigma(xi)))", "sigma(xi) - 1", symbols={"xi": "real"}, id="t", part_name="p")
    report, v = check("d/dxi(-ln(sigma(xi)))\n= -d/dxi(sigma(xi))/sigma(xi)\n"
                      "= -sigma(xi)(1 - sigma(xi))/sigma(xi)\n= sigma(xi) - 1\n", p)
    assert [s.rule for s in report.steps][2] == "sigmoid-derivative"
    assert not report.circular and v.status == "correct"


def test_differentiating_the_definition_is_not_the_identity():
    """dσ/dξ = e^(−ξ)/(1 + e^(−ξ))², as the notes write it, differentiates σ's exponential form."""
    report, _ = check("d/dxi(sigma(xi))\n= exp(-xi)/(1 + exp(-xi))^2\n", sigma_problem())
    step = report.steps[-1]
    assert step.rule == "derivative" and "definition of σ" in step.detail
    assert not report.circular
    # Through σ, tanh′ is worked out, not assumed.
    free = check_derivation("d/dx(tanh(x))\n= 4 sigma(2x)(1 - sigma(2x))\n", isolate=False)
    assert free.steps[-1].rule == "sigmoid-derivative" and "tanh = 2σ(2u) − 1" in free.steps[-1].detail


# ----------------------------------------------------------------------------
# Recognising a milestone by form.
# ----------------------------------------------------------------------------
def test_vocabulary_is_how_a_line_is_written():
    assert vocabulary(node("e^(-xi)/(1 + exp(-xi))^2")) == {"exp", "xi"}
    assert vocabulary(node("log(x) + ln(y)")) == {"ln", "x", "y"}
    assert vocabulary(node("h*(1 - h) + pi")) == {"h"}
    assert vocabulary(node("sigma'(xi)/sigma(xi)")) == {"sigma'", "sigma", "xi"}


def test_derivatives_left_and_what_they_are_of():
    defs = {"yhat": node("sigma(xi)")}
    assert derivative_heads(node("-(1/n)(y d/dxi(ln(yhat)) + (1 - y) d/dxi(ln(1 - yhat)))"), defs) == ["ln", "ln"]
    assert derivative_heads(node("y d/dxi(yhat)/yhat + sigma'(xi)"), defs) == ["sigma", "sigma"]
    # A constant factor is set aside; a varying one is not.
    assert derivative_heads(node("d/dxi(3 y ln(yhat))"), defs) == ["ln"]
    assert derivative_heads(node("d/dxi(xi ln(yhat))"), defs) == [None]
    assert derivative_heads(node("h(1 - h)"), defs) == []


def test_each_form_key_decides():
    m = Milestone("m", 0.5, "…", uses=["exp"], not_uses=["sigma", "h"], derivative=False)
    assert has_vocabulary(m, node("e^(-xi)/(1 + e^(-xi))^2"), {})
    assert not has_vocabulary(m, node("sigma(xi) exp(-xi)"), {})  # not_uses
    assert not has_vocabulary(m, node("d/dxi(1/(1 + exp(-xi)))"), {})  # a derivative is left
    assert not has_vocabulary(m, node("h(1 - h)"), {})  # uses
    d = Milestone("d", 0.5, "…", derivative_of=["ln"])
    assert has_vocabulary(d, node("y d/dxi(ln(sigma(xi))) + d/dxi(ln(1 - sigma(xi)))"), {})
    assert not has_vocabulary(d, node("d/dxi(y ln(sigma(xi)) + ln(1 - sigma(xi)))"), {})  # the sum's derivative
    assert not has_vocabulary(d, node("y/sigma(xi)"), {})  # no derivative at all


def test_a_form_allows_rearranging_but_not_a_function_law():
    ms = [{"id": "divided", "share": 0.5, "missing": "divide by e^(w1 h)", "form": "1/(1 + exp(-(w1 - w2) h))"},
          {"id": "done", "share": 0.5, "missing": "write it with σ", "form": "target"}]
    p = DerivationProblem("exp(w1 h)/(exp(w1 h) + exp(w2 h))", "sigma((w1 - w2) h)",
                          symbols={"w1": "real", "w2": "real", "h": "real"}, milestones=ms, id="t", part_name="p")
    start = "exp(w1 h)/(exp(w1 h) + exp(w2 h))\n"
    for line in ("1/(1 + exp((w2 - w1) h))", "(1 + exp(w2 h - w1 h))^(-1)", "2/(2 + 2 exp(-(w1 - w2) h))"):
        report, _ = check(f"{start}= {line}\n= sigma((w1 - w2) h)\n", p)
        assert report.credit is not None and report.credit.earned == [True, True], line
    # Equal in value, but e^(w2 h)·e^(−w1 h) = e^((w2 − w1) h) is exp's law, not a rearrangement.
    report, v = check(f"{start}= 1/(1 + exp(w2 h) exp(-w1 h))\n= sigma((w1 - w2) h)\n", p)
    assert report.valid and report.credit is not None and report.credit.earned == [False, True]
    assert v.score == 0.5 and "Work skipped: divide by e^(w1 h)" in v.feedback


def test_the_start_line_earns_nothing():
    ms = [{"id": "d", "share": 0.5, "missing": "keep a derivative", "derivative": True},
          {"id": "t", "share": 0.5, "missing": "finish", "form": "target"}]
    p = DerivationProblem("d/dx(x^3 + x)", "3*x^2 + 1", symbols={"x": "real"}, milestones=ms, id="t", part_name="p")
    assert check("d/dx(x^3 + x)\n= 3x^2 + 1\n", p)[0].score == 0.5
    assert check("d/dx(x^3 + x)\n= d/dx(x^3) + d/dx(x)\n= 3x^2 + 1\n", p)[0].score == 1.0


# ----------------------------------------------------------------------------
# Credit: skipped milestones lose their share, and the feedback names the work.
# ----------------------------------------------------------------------------
def test_the_worked_derivation_earns_every_milestone():
    report, v = check(WORKED, sigma_problem())
    assert report.shown and report.score == 1.0 and report.exit_code == 0
    assert v.status == "correct" and "showing every milestone" in v.feedback
    rows = report.milestone_rows()
    assert [(r["id"], r["earned"], r["line"]) for r in rows] == [("exp-form", True, 2), ("sigma-form", True, 4),
                                                                   ("in-h", True, 5)]


def test_skipping_a_milestone_loses_its_share_and_names_the_work():
    text = "d/dxi(sigma(xi))\n= exp(-xi)/(1 + exp(-xi))^2\n= h(1 - h)\n"
    report, v = check(text, sigma_problem())
    assert report.valid and report.finished is True and not report.circular
    assert report.score == pytest.approx(0.7) and not report.shown
    assert v.status == "incorrect" and v.score == pytest.approx(0.7)
    assert "Work skipped: write it with σ before writing it with h" in v.feedback
    # The step that jumped past it says so.
    jump = v.details[-1]
    assert jump["skips"] == ["sigma-form"] and jump["milestones"] == ["in-h"]


def test_unfinished_work_lists_what_is_still_to_do():
    report, v = check("d/dxi(sigma(xi))\n= exp(-xi)/(1 + exp(-xi))^2\n", sigma_problem())
    assert report.score == pytest.approx(0.4)
    assert report.shown  # nothing skipped: just not finished
    assert "not finished" in v.feedback and "Still to do: write it with σ before writing it with h" in v.feedback


def test_milestones_after_a_wrong_step_earn_nothing():
    text = "d/dxi(sigma(xi))\n= exp(-xi)/(1 + exp(-xi))^2\n= sigma(xi)(1 + sigma(xi))\n= h(1 - h)\n"
    report, v = check(text, sigma_problem())
    assert report.first_invalid is not None
    assert report.score == pytest.approx(0.4)
    assert v.feedback.startswith("Step 3 (line 3) is wrong")


def test_the_final_line_must_be_in_the_targets_form():
    # Equal to h(1 − h), but written with σ: not finished, and the last milestone is not earned.
    report, v = check(WORKED.rsplit("\n= h(1 - h)", 1)[0] + "\n", sigma_problem())
    assert report.valid and report.finished is False and "not yet in its form" in report.finish_detail
    assert report.score == pytest.approx(0.7) and "Still to do: write it as h(1 − h)" in v.feedback
    # Rearranged is in the form.
    report, _ = check(WORKED.replace("= h(1 - h)", "= h - h^2"), sigma_problem())
    assert report.finished is True and report.score == 1.0


def test_credit_takes_the_assignment_that_earns_most():
    ms = [Milestone(f"m{i}", s, "…", derivative=True) for i, s in enumerate((0.2, 0.3, 0.5))]
    # Milestone 0 only on line 3, milestones 1 and 2 on lines 1 and 2: taking m0 would lose both.
    ok = [[False, False, False], [False, True, False], [False, False, True], [True, False, False]]
    c = credit(ms, ok)
    assert c.at == [None, 1, 2] and c.skipped == [True, False, False] and c.score == pytest.approx(0.8)
    # One line may earn several milestones in a row; none is skipped after the last one earned.
    c = credit(ms, [[False] * 3, [True, True, False]])
    assert c.at == [1, 1, None] and c.skipped == [False, False, False]


def test_without_milestones_the_old_scores_hold_and_circular_steps_still_count():
    p = sigma_problem(milestones=())
    assert check(WORKED, p)[1].score == 1.0
    assert check("d/dxi(sigma(xi))\n= exp(-xi)/(1 + exp(-xi))^2\n", p)[1].score == 0.5
    report, v = check("d/dxi(sigma(xi))\n= h(1 - h)\n", p)
    assert report.credit is None and report.circular and v.status == "incorrect" and v.score < 0.5


# ----------------------------------------------------------------------------
# Reporting: derive --json, check --json, bank test.
# ----------------------------------------------------------------------------
def test_derive_json_has_score_and_shown(tmp_path):
    f = tmp_path / "jump.txt"
    f.write_text("d/dxi(-(1/n)(y ln(yhat) + (1 - y) ln(1 - yhat)))\n= -(1/n)(y - yhat)\n", encoding="utf-8")
    r = runner.invoke(app, ["derive", "derive.bce-gradient", str(f), "--json"])
    data = json.loads(r.stdout)
    assert r.exit_code == 1
    assert data["valid"] is True and data["finished"] is True
    assert data["shown"] is False and 0 < data["score"] <= 0.5
    earned = {m["id"]: m["earned"] for m in data["milestones"]}
    assert list(earned.values())[-1] is True and not all(earned.values())
    assert all(m["skipped"] and m["missing"] for m in data["milestones"] if not m["earned"])
    r = runner.invoke(app, ["derive", "derive.sigmoid-derivative", "--json"], input=WORKED)
    data = json.loads(r.stdout)
    assert r.exit_code == 0 and data["score"] == 1 and data["shown"] is True


def test_derive_text_lists_the_milestones_and_the_score(tmp_path):
    f = tmp_path / "jump.txt"
    f.write_text("d/dxi(sigma(xi)) = h(1 - h)\n", encoding="utf-8")
    r = runner.invoke(app, ["derive", "derive.sigmoid-derivative", str(f)])
    assert r.exit_code == 1
    assert "circular: σ′ = σ(1−σ) is what the problem asks you to show" in r.output
    assert "milestones" in r.output and "score 0 of 1" in r.output
    assert "rests on the identity to be shown" in r.output


@pytest.mark.parametrize("fid,answer,most", [
    ("derive.sigmoid-derivative", "d/dxi(sigma(xi)) = h(1-h)", 0.0),
    ("derive.bce-gradient", "d/dxi(-(1/n)(y ln(yhat) + (1 - y) ln(1 - yhat))) = -(1/n)(y - yhat)", 0.5),
])
def test_check_json_scores_the_issue_examples_below_full(fid, answer, most):
    r = runner.invoke(app, ["check", fid, "--part", "derivation", "--answer", answer, "--json"])
    v = json.loads(r.stdout)
    assert r.exit_code == 1 and v["status"] == "incorrect" and v["score"] <= most
    assert "Work skipped" in v["feedback"] or "the identity the problem asks you to show" in v["feedback"]
    assert any(s.get("circular") or s.get("skips") for s in v["steps"])


def _bank(tmp_path, milestones: str) -> str:
    f = tmp_path / "cube.yaml"
    f.write_text(f"""bank: cube
families:
  - id: mine.cube
    title: The derivative of x^3 + x
    topic: derive
    prompt: "Derive d/dx(x^3 + x)."
    parts:
      - name: steps
        kind: derivation
        prompt: "Derive d/dx(x^3 + x) = 3x^2 + 1"
        symbols: {{x: real}}
        start: "d/dx(x^3 + x)"
        target: "3*x^2 + 1"
        answer: "3*x^2 + 1"
        solution: ["d/dx(x^3 + x)", "= d/dx(x^3) + d/dx(x)", "= 3x^2 + 1"]
{milestones}""", encoding="utf-8")
    return str(f)


SPLIT = """        milestones:
          - id: split
            share: 0.5
            missing: "differentiate x^3 and x one at a time"
            form: "d/dx(x^3) + d/dx(x)"
          - id: done
            share: 0.5
            missing: "evaluate the derivatives"
            form: target
"""


def test_bank_test_exercises_every_milestone(tmp_path):
    r = runner.invoke(app, ["bank", "test", _bank(tmp_path, SPLIT), "-n", "1", "--json"])
    fam = json.loads(r.stdout)["families"][0]
    assert r.exit_code == 0 and fam["failures"] == [] and fam["milestones"] == 2


@pytest.mark.parametrize("milestones,says", [
    ("", "no milestones"),
    # A milestone the target itself has: the one-line jump earns it as well.
    (SPLIT.replace('form: "d/dx(x^3) + d/dx(x)"', "uses: [x]"), "one-line jump"),
    # A milestone the worked solution never shows.
    (SPLIT.replace('form: "d/dx(x^3) + d/dx(x)"', 'form: "d/dx(x^3 + x) + 0*x"'), "worked solution scores"),
])
def test_bank_test_fails_a_rubric_that_does_not_tell_work_from_a_jump(tmp_path, milestones, says):
    r = runner.invoke(app, ["bank", "test", _bank(tmp_path, milestones), "-n", "1", "--json"])
    fam = json.loads(r.stdout)["families"][0]
    assert r.exit_code == 1 and any(says in f for f in fam["failures"]), fam["failures"]


@pytest.mark.parametrize("change,says", [
    (("share: 0.5\n            missing: \"evaluate", "share: 0.6\n            missing: \"evaluate"), "add up to 1.1"),
    (("form: target", 'form: "3x^2 + 1"'), "the last milestone must be 'form: target'"),
    (("form: \"d/dx(x^3) + d/dx(x)\"", "uses: [y]"), "names 'y'"),
    (("form: \"d/dx(x^3) + d/dx(x)\"", "shows: nothing"), "needs a form"),
    (("kind: derivation", "kind: expression"), "milestones are for derivation parts"),
])
def test_the_bank_refuses_a_malformed_rubric(tmp_path, change, says):
    path = _bank(tmp_path, SPLIT)
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    assert change[0] in text
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text.replace(*change))
    r = runner.invoke(app, ["bank", "validate", path])
    assert r.exit_code != 0 and says in r.output, r.output
