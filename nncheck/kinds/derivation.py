"""Derivation answers: a multi-line derivation, checked step by step, becomes a :class:`Verdict`.

``nncheck derive ID`` and the quiz share this: the part's ``start``, ``target``,
``given``, ``symbols`` and ``milestones`` make a :class:`~nncheck.derive.core.DerivationProblem`;
the report of :func:`~nncheck.derive.core.check_derivation` becomes a verdict whose feedback
names the first wrong step, a step that rests on the very identity to be shown, and the
work skipped or still to do.

Scores (the report's): with milestones, the shares of the milestones shown on the lines the
derivation reached soundly (a one-line jump from the start to the target earns at most the
final milestone's share); without, 1 for a valid derivation that reaches the target, 0.5
when it is valid but unfinished, otherwise half the fraction of steps before the first step
that is wrong, undecided or circular.

The key of a derivation part is the expression it arrives at: it is written, compared
and shown as an expression (:mod:`nncheck.kinds.expression`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from nncheck.answer.verdict import Verdict, invalid
from nncheck.kinds.base import Mistake, Part, TeX
from nncheck.kinds.expression import ExpressionKind
from nncheck.kinds.values import expr_text, sympy_text
from nncheck.lang.syntax import AnswerSyntaxError

if TYPE_CHECKING:
    from nncheck.derive.core import DerivationProblem, Report
    from nncheck.records import FamilyRecord, PartSpec

END_WORDS = {".", "end", "done"}


def problem_for(part: Part, *, family: FamilyRecord | None = None, prompt: str | None = None,
                mistakes: Sequence[Mistake] = (), expected: Any = None) -> DerivationProblem:
    """The :class:`DerivationProblem` of a derivation part (``expected`` stands in for a missing ``target``)."""
    from nncheck.derive.core import DerivationProblem

    problem = DerivationProblem.from_part(cast("PartSpec", part), family=family, prompt=prompt, mistakes=mistakes)
    if not problem.target and expected is not None:
        problem.target = expr_text(expected)
    return problem


def verdict_from_report(report: Report) -> Verdict:
    """Turn a checked derivation into a verdict (status, score, feedback, per-step details).

    The score is the report's (:attr:`~nncheck.derive.core.Report.score`): ``nncheck derive``,
    ``check``, ``grade`` and the quiz give a derivation the same credit.  Only full credit is
    *correct*: every step valid, none circular, the target reached in its form and, where the part
    declares milestones, every milestone shown.
    """
    details = [report.step_json(s) for s in report.steps]
    parsed = _parsed(report)
    unreadable = next((s for s in report.steps if s.status == "unparsable"), None)
    if not report.steps:
        err = AnswerSyntaxError("the derivation is empty: write one step per line", 0, "")
        return Verdict("invalid", 0.0, err.message, error=err, details=details)
    if unreadable is not None:
        where = f"line {unreadable.line}: " if unreadable.line else ""
        v = Verdict("invalid", 0.0, where + (unreadable.error.message if unreadable.error else unreadable.detail),
                    error=unreadable.error, details=details, parsed_as=parsed)
        return v
    n = len(report.steps)
    bad = report.first_problem
    score = report.score
    steps = f"{n} step{'s' if n != 1 else ''}"
    if bad is None and report.finished is not False and report.shown and score >= 1.0:
        shown = ", showing every milestone" if report.credit is not None else ""
        return Verdict("correct", 1.0, f"Correct: all {steps} are valid and the derivation reaches the "
                                       f"target{shown}.", parsed_as=parsed, details=details, shown=True)
    if bad is None and report.finished is not False:
        text = f"All {steps} are valid and the target is reached, but the work is not shown."
    elif bad is None:
        text = f"Every step is valid, but the derivation is not finished: {report.finish_detail}."
    else:
        if bad.status == "invalid":
            what = f"Step {bad.index} (line {bad.line}) is wrong"
        else:
            what = f"Step {bad.index} (line {bad.line}) could not be checked"
        text = f"{what}: {bad.detail}"
        if bad.hint:
            text += f" — {bad.hint}"
        text += "."
    for sentence in report.work_feedback():
        text += f" {sentence}."
    v = Verdict("incorrect", min(score, 1.0), text, parsed_as=parsed, details=details, shown=bool(report.shown))
    if report.mistake is not None:
        v.mistake = report.mistake[0]
        v.feedback += f" The result matches a known mistake: {report.mistake[1]}."
    return v


def _parsed(report: Report) -> str | None:
    """The derivation as read, on one line: a chain continues with '=', a new line after ';'."""
    parsed = report.plan.parsed
    out = ""
    for ln in (parsed.lines if parsed is not None else []):
        if ln.kind not in ("claim", "continuation", "definition"):
            continue
        piece = ln.shown_parsed()
        out += piece if not out else (" " if ln.kind == "continuation" else "; ") + piece
    return out or None


def grade_derivation(part: Part, expected: Any, text: str, mistakes: Sequence[Mistake] = (), *,
                     latex: bool | None = None) -> Verdict:
    """Grade a multi-line derivation for a ``kind: derivation`` part (called by ``grade_answer``);
    ``latex``: read it as LaTeX (True), plain (False) or as it looks (None)."""
    from nncheck.derive.core import check_derivation

    if not isinstance(text, str):
        return invalid(AnswerSyntaxError("the answer must be text", 0, ""))
    problem = problem_for(part, mistakes=[m for m in mistakes if m[2] is not None], expected=expected)
    return verdict_from_report(check_derivation(text, problem=problem, latex=latex))


def exercise_milestones(part: Part, expected: Any, steps: Sequence[str]) -> tuple[list[str], int]:
    """``bank test`` for a derivation part: (failures, milestones exercised).

    The worked solution (``steps``) must earn every milestone; the one-line jump from the start to
    the target must score below full and at most half; and for each milestone, the worked solution
    without the lines in its form (for the final one: stopped where the milestone before it was
    earned) must lose that milestone's share, with its ``missing`` text in the feedback.  A part
    without milestones fails: its one-line jump would earn full marks.
    """
    from nncheck.derive.core import check_derivation

    name = part.get("name", "?")
    problem = problem_for(part, expected=expected)
    if not problem.milestones:
        return [f"part {name}: no milestones, so a one-line jump from the start to the target earns full marks "
                f"(declare them: docs/authoring.md)"], 0
    failures: list[str] = []
    worked = check_derivation("\n".join(steps), problem=problem)
    if worked.credit is None or worked.score < 1.0:
        missing = [m.id for m, at in zip(problem.milestones, worked.credit.at if worked.credit else ())
                   if at is None]
        return [f"part {name}: the worked solution scores {worked.score:g}, not 1 "
                f"(milestones not met: {', '.join(missing) or 'none'}; {worked.summary()})"], 0
    jump = verdict_from_report(check_derivation(f"{problem.start}\n= {problem.target}", problem=problem))
    if not jump.score < 1.0 or jump.score > 0.5:
        failures.append(f"part {name}: the one-line jump from the start to the target scores {jump.score:g}; "
                        f"it must score below full and at most 0.5 (a milestone whose form the start or the "
                        f"target already has?)")
    path = [term for term, _ in worked.path]
    exercised = 0
    for i, m in enumerate(problem.milestones):
        if m.target:
            # Stopped on the line that earned the milestone before it (the lines after it may be in the
            # target's form already, rearranged).
            before = max((at for at in worked.credit.at[:i] if at is not None), default=0)
            kept = path[:before + 1]
        else:
            kept = [t for p, t in enumerate(path) if p in (0, len(path) - 1) or not worked.forms[p][i]]
        text = kept[0].shown + "".join(f"\n= {t.shown}" for t in kept[1:])
        report = check_derivation(text, problem=problem)
        v = verdict_from_report(report)
        exercised += 1
        if v.score > 1.0 - m.share + 1e-9 or m.missing not in v.feedback:
            failures.append(f"part {name}: without the lines in the form of milestone '{m.id}' the worked "
                            f"solution scores {v.score:g} (at most {1.0 - m.share:g} expected)"
                            + ("" if m.missing in v.feedback else ", and the feedback does not name the work"))
    return failures, exercised


def read_multiline(read_line: Callable[[], str | None], first: str | None = None, *, max_lines: int = 200
                   ) -> str | None:
    """Collect a derivation typed line by line: an empty line (or ``.``, ``end``) finishes it.

    ``read_line()`` returns the next line without its newline, or None at end of input.
    ``first`` is a line already read (the quiz reads one line before it knows it is a
    derivation).  Returns None when input ends before anything was typed.
    """
    lines: list[str] = [] if first is None else [first]
    while len(lines) < max_lines:
        line = read_line()
        if line is None:
            break
        if not line.strip() or line.strip().lower() in END_WORDS:
            break
        lines.append(line)
    if not lines:
        return None
    return "\n".join(lines)


class DerivationKind(ExpressionKind):
    """A derivation typed over several lines, checked step by step; its key is the expression it
    reaches, written, compared and shown as an expression is."""

    name = "derivation"
    multiline = True
    seconds = 360

    def grade(self, part: Part, expected: Any, text: str, mistakes: Sequence[Mistake] = ()) -> Verdict:
        return grade_derivation(part, expected, text, mistakes)

    def grade_as(self, part: Part, expected: Any, text: str, mistakes: Sequence[Mistake] = (), *,
                 latex: bool | None = None) -> Verdict:
        # A LaTeX derivation is read as a document (line numbers and carets of the source); by
        # default (None) the derivation reader tells LaTeX from the plain format by itself.
        if latex is None:
            return grade_derivation(part, expected, text, mistakes)
        return grade_derivation(part, expected, text, mistakes, latex=latex)

    def answer(self, part: Part, value: Any) -> str:
        """A derivation that arrives at ``value``: the part's start, then "= value" on a continuation line."""
        result = self.text(value)
        start = part.get("start")
        return f"{start}\n  = {result}" if start else result

    # A vector-form derivation (the part declares ``shapes``) arrives at a matrix expression: its key is
    # answer-language text, written, compared and shown as a matrix answer's (nncheck.kinds.matrix_expression).
    def _text(self, value: Any) -> str:
        return _MATRIX()._text(value) if isinstance(value, str) else super()._text(value)

    def _json(self, value: Any) -> Any:
        return _MATRIX()._json(value) if isinstance(value, str) else super()._json(value)

    def _latex(self, value: Any, tex: TeX) -> str:
        return _MATRIX()._latex(value, tex) if isinstance(value, str) else super()._latex(value, tex)

    def _display(self, value: Any) -> str:
        return _MATRIX()._display(value) if isinstance(value, str) else super()._display(value)

    def _agree(self, part: Part, exact: Any, numeric: Any, *, rel: float, abs_: float) -> tuple[bool, str]:
        if part.get("shapes"):
            return _MATRIX()._agree(part, exact, numeric, rel=rel, abs_=abs_)
        return super()._agree(part, exact, numeric, rel=rel, abs_=abs_)

    def _same(self, part: Part, expected: Any, value: Any) -> bool:
        return _MATRIX()._same(part, expected, value) if part.get("shapes") else super()._same(part, expected, value)

    def key_text(self, part: Part, value: Any) -> str:
        # The worked derivation where the part has one: with milestones, a jump from the start
        # straight to the target shows no work and no longer grades correct.
        if part.get("solution"):
            return "\n".join(part["solution"])
        # Otherwise the shortest derivation of the key: to the part's target as its author wrote it.
        target = part.get("target") or (sympy_text(value) if value is not None else "")
        start = part.get("start")
        return f"{start}\n  = {target}" if start else target


def _MATRIX():
    from nncheck.kinds.matrix_expression import MATRIX_EXPRESSION

    return MATRIX_EXPRESSION


DERIVATION = DerivationKind()
