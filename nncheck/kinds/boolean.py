"""Yes/no answers: ``yes``, ``no``, ``true``, ``fits``, ``it does not fit``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nncheck.answer.verdict import Verdict, invalid
from nncheck.kinds.base import Kind, Mistake, Part, TeX
from nncheck.lang.syntax import AnswerSyntaxError

TRUE_WORDS = {"true", "yes", "y", "t", "1", "fits", "it fits"}
FALSE_WORDS = {"false", "no", "n", "f", "0"}


def bool_of(norm: str) -> bool | None:
    """The yes/no a normalised answer means, or None when it means neither."""
    if norm in TRUE_WORDS:
        return True
    if norm in FALSE_WORDS or norm in ("does not fit", "doesn't fit", "it does not fit", "not"):
        return False
    return None


def _yes_no(value: Any) -> str:
    return "yes" if value else "no"


class BooleanKind(Kind):
    """Yes or no."""

    name = "boolean"
    seconds = 30
    moodle = "truefalse"

    def grade(self, part: Part, expected: Any, text: str, mistakes: Sequence[Mistake] = ()) -> Verdict:
        b = bool_of(" ".join(text.lower().split()))
        if b is None:
            return invalid(AnswerSyntaxError("answer yes or no (true/false)", 0, text))
        shown = _yes_no(b)
        if b == bool(expected):
            return Verdict("correct", 1.0, "Correct.", parsed_as=shown)
        for mid, msg, value in mistakes:
            if value is not None and bool(value) == b:
                return Verdict("incorrect", 0.0, msg, parsed_as=shown, mistake=mid)
        return Verdict("incorrect", 0.0, f"Incorrect: the answer is {_yes_no(expected)}.", parsed_as=shown)

    def _text(self, value: Any) -> str:
        return _yes_no(value)

    def _json(self, value: Any) -> Any:
        return bool(value)

    def _latex(self, value: Any, tex: TeX) -> str:
        return tex.text(_yes_no(value))

    def _display(self, value: Any) -> str:
        return _yes_no(value)

    def _agree(self, part: Part, exact: Any, numeric: Any, *, rel: float, abs_: float) -> tuple[bool, str]:
        return bool(exact) == bool(numeric), f"{exact!r} vs {numeric!r}"

    def _same(self, part: Part, expected: Any, value: Any) -> bool:
        return bool(value) == bool(expected)


BOOLEAN = BooleanKind()
