"""Answer kinds, one module each, on the model of PrairieLearn's elements.

Every kind of answer a part can take (``kind:`` in a bank file) is one :class:`Kind`
object that owns parsing and grading the student's text, and writing the key's value
as text, JSON, LaTeX and terminal display, and its tolerance:

=========== =========================================
number      :mod:`nncheck.kinds.number`
integer     :mod:`nncheck.kinds.number`
boolean     :mod:`nncheck.kinds.boolean`
choice      :mod:`nncheck.kinds.choice`
vector      :mod:`nncheck.kinds.array`
matrix      :mod:`nncheck.kinds.array`
expression  :mod:`nncheck.kinds.expression`
derivation  :mod:`nncheck.kinds.derivation`
=========== =========================================

A new kind is one module with a :class:`~nncheck.kinds.base.Kind` subclass, and its
object in the :data:`KINDS` table below (and its name in ``PartKind``, in
``nncheck/records.py``, which the bank schema validates with, so that bank files may use it).
Grading, keys, exports, views and the practice schedule ask the kind
(``kinds.get(name)``) instead of branching on its name.

The modules import SymPy only inside the functions that need it: the quiz's terminal
views import this package before anything heavy is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nncheck.answer.verdict import Verdict, invalid
from nncheck.kinds.array import MATRIX, VECTOR
from nncheck.kinds.base import Kind, Mistake, Part
from nncheck.kinds.boolean import BOOLEAN
from nncheck.kinds.choice import CHOICE
from nncheck.kinds.derivation import DERIVATION
from nncheck.kinds.expression import EXPRESSION
from nncheck.kinds.number import INTEGER, NUMBER
from nncheck.lang.syntax import AnswerSyntaxError

#: name -> kind: the one table of answer kinds.
KINDS: dict[str, Kind] = {k.name: k for k in (NUMBER, INTEGER, BOOLEAN, CHOICE, VECTOR, MATRIX, EXPRESSION,
                                               DERIVATION)}

#: What "does not fit" may be typed as, for a part whose answer may be none.
NULL_WORDS = {"none", "null", "nothing", "doesnotfit", "does not fit", "doesn't fit", "not fit", "n/a", "na",
              "undefined", "-", "—"}


def get(name: str) -> Kind:
    """The kind called ``name``; KeyError when there is none."""
    return KINDS[name]


def grade_answer(part: Part, expected: Any, text: str, mistakes: Sequence[Mistake] = (), *,
                 symbols: dict[str, str] | None = None) -> Verdict:
    """Grade ``text`` for a part spec against the exact ``expected`` value.

    ``mistakes``: (id, message, value) triples; a wrong answer equal to a value is named.
    ``symbols`` is accepted for callers that pass it; a part's own ``symbols`` are what count.
    """
    if not isinstance(text, str):
        return invalid(AnswerSyntaxError("the answer must be text", 0, ""))
    kind = KINDS.get(part["kind"])
    raw = text.strip()
    if kind is not None and kind.multiline:
        return kind.grade(part, expected, text, mistakes)  # line by line, as typed
    norm = " ".join(raw.lower().split())
    if part.get("nullable") or expected is None:
        if norm in NULL_WORDS or norm.replace(" ", "") in NULL_WORDS:
            if expected is None:
                return Verdict("correct", 1.0, "Correct: it does not fit.", parsed_as="none")
            return Verdict("incorrect", 0.0, "It does fit: there is a value to give.", parsed_as="none")
    if kind is None:
        return invalid(AnswerSyntaxError(f"answers of kind '{part['kind']}' are not supported", 0, raw))
    return kind.grade(part, expected, raw, mistakes)


__all__ = ["KINDS", "NULL_WORDS", "Kind", "get", "grade_answer"]
