"""Derivation answers: a multi-line derivation, checked step by step, becomes a :class:`Verdict`.

``nncheck derive ID`` and the quiz share this: the part's ``start``, ``target``,
``given`` and ``symbols`` make a :class:`~nncheck.derive.core.DerivationProblem`; the report of
:func:`~nncheck.derive.core.check_derivation` becomes a verdict whose feedback names
the first wrong step, and whose score gives credit for the valid steps before it.

Scores: 1 for a derivation whose every step is valid and that reaches the target;
0.5 when every step is valid but the target is not reached yet; otherwise half the
fraction of steps that are valid before the first step that is not.

The key of a derivation part is the expression it arrives at: it is written, compared
and shown as an expression (:mod:`nncheck.kinds.expression`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from nncheck.answer.verdict import Verdict, invalid
from nncheck.kinds.base import Mistake, Part
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
    """Turn a checked derivation into a verdict (status, score, feedback, per-step details)."""
    details = [s.to_json() for s in report.steps]
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
    if bad is None and report.finished is not False:
        return Verdict("correct", 1.0, f"Correct: all {n} step{'s' if n != 1 else ''} are valid and the "
                                       f"derivation reaches the target.", parsed_as=parsed, details=details)
    if bad is None:
        v = Verdict("incorrect", 0.5, f"Every step is valid, but the derivation is not finished: "
                                      f"{report.finish_detail}.", parsed_as=parsed, details=details)
    else:
        good = bad.index - 1
        score = 0.5 * good / n
        if bad.status == "invalid":
            what = f"Step {bad.index} (line {bad.line}) is wrong"
        else:
            what = f"Step {bad.index} (line {bad.line}) could not be checked"
        text = f"{what}: {bad.detail}"
        if bad.hint:
            text += f" — {bad.hint}"
        v = Verdict("incorrect", score, text + ".", parsed_as=parsed, details=details)
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


def grade_derivation(part: Part, expected: Any, text: str, mistakes: Sequence[Mistake] = ()) -> Verdict:
    """Grade a multi-line derivation for a ``kind: derivation`` part (called by ``grade_answer``)."""
    from nncheck.derive.core import check_derivation

    if not isinstance(text, str):
        return invalid(AnswerSyntaxError("the answer must be text", 0, ""))
    problem = problem_for(part, mistakes=[m for m in mistakes if m[2] is not None], expected=expected)
    return verdict_from_report(check_derivation(text, problem=problem))


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

    def answer(self, part: Part, value: Any) -> str:
        """A derivation that arrives at ``value``: the part's start, then "= value" on a continuation line."""
        result = self.text(value)
        start = part.get("start")
        return f"{start}\n  = {result}" if start else result

    def key_text(self, part: Part, value: Any) -> str:
        # The shortest derivation of the key: to the part's target as its author wrote it.
        target = part.get("target") or (sympy_text(value) if value is not None else "")
        start = part.get("start")
        return f"{start}\n  = {target}" if start else target


DERIVATION = DerivationKind()
