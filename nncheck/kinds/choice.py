"""Multiple-choice answers: one of the part's ``choices``, by its text or its 1-based number."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nncheck.answer.verdict import Verdict, invalid
from nncheck.kinds.base import Kind, Mistake, Part, TeX
from nncheck.lang.syntax import AnswerSyntaxError


class ChoiceKind(Kind):
    """One of the part's choices."""

    name = "choice"
    seconds = 30
    moodle = "multichoice"

    def grade(self, part: Part, expected: Any, text: str, mistakes: Sequence[Mistake] = ()) -> Verdict:
        norm = " ".join(text.lower().split())
        choices = [str(c) for c in part.get("choices") or []]
        low = {" ".join(c.lower().split()): c for c in choices}
        if norm in low:
            pick = low[norm]
        elif norm.isascii() and norm.isdigit() and 1 <= int(norm) <= len(choices):  # "⁴".isdigit() is True
            pick = choices[int(norm) - 1]  # the 1-based number of the choice
        else:
            return invalid(AnswerSyntaxError(f"choose one of: {', '.join(choices)}", 0, text))
        if pick == str(expected):
            return Verdict("correct", 1.0, "Correct.", parsed_as=pick)
        return Verdict("incorrect", 0.0, "Incorrect.", parsed_as=pick)

    def _text(self, value: Any) -> str:
        return str(value)

    def _json(self, value: Any) -> Any:
        return str(value)

    def _latex(self, value: Any, tex: TeX) -> str:
        return tex.text(str(value))

    def _display(self, value: Any) -> str:
        return str(value)

    def _agree(self, part: Part, exact: Any, numeric: Any, *, rel: float, abs_: float) -> tuple[bool, str]:
        return bool(exact == numeric), f"{exact!r} vs {numeric!r}"

    def _same(self, part: Part, expected: Any, value: Any) -> bool:
        return self.grade(part, expected, self.text(value).strip()).status == "correct"


CHOICE = ChoiceKind()
