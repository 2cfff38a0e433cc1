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
matexpr     :mod:`nncheck.kinds.matrix_expression`
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
from nncheck.kinds.matrix_expression import MATRIX_EXPRESSION
from nncheck.kinds.number import INTEGER, NUMBER
from nncheck.lang.latex import looks_like_latex
from nncheck.lang.syntax import AnswerSyntaxError, Node

#: name -> kind: the one table of answer kinds.
KINDS: dict[str, Kind] = {k.name: k for k in (NUMBER, INTEGER, BOOLEAN, CHOICE, VECTOR, MATRIX, EXPRESSION,
                                               MATRIX_EXPRESSION, DERIVATION)}

#: What "does not fit" may be typed as, for a part whose answer may be none.
NULL_WORDS = {"none", "null", "nothing", "doesnotfit", "does not fit", "doesn't fit", "not fit", "n/a", "na",
              "undefined", "-", "—"}


def get(name: str) -> Kind:
    """The kind called ``name``; KeyError when there is none."""
    return KINDS[name]


def grade_answer(part: Part, expected: Any, text: str, mistakes: Sequence[Mistake] = (), *,
                 symbols: dict[str, str] | None = None, latex: bool | None = None) -> Verdict:
    """Grade ``text`` for a part spec against the exact ``expected`` value.

    ``mistakes``: (id, message, value) triples; a wrong answer equal to a value is named.
    ``symbols`` is accepted for callers that pass it; a part's own ``symbols`` are what count.
    ``latex``: read ``text`` as LaTeX (True: ``--latex``, whatever it looks like), as the plain
    language (False), or as LaTeX when it looks like it (None: it has a backslash, a brace or a
    ``$``, none of which the plain language has).  A LaTeX answer is read into the plain
    language (:func:`read_latex`) and graded as that text: the same vocabulary, bounds and
    verdicts, the "parsed as" echo in the plain language, every caret under the LaTeX.
    """
    if not isinstance(text, str):
        return invalid(AnswerSyntaxError("the answer must be text", 0, ""))
    kind = KINDS.get(part["kind"])
    raw = text.strip()
    if kind is not None and kind.multiline:
        return kind.grade_as(part, expected, text, mistakes, latex=latex)  # line by line, as typed
    if latex or (latex is None and looks_like_latex(raw)):
        try:
            tree, plain = read_latex(part, raw, matrix=getattr(kind, "matrix_language", False))
        except AnswerSyntaxError as e:
            return invalid(e)  # an unknown command, with its caret: costs no attempt
        return _caret_on_latex(_grade_plain(kind, part, expected, plain, mistakes), tree, plain, raw)
    return _grade_plain(kind, part, expected, raw, mistakes)


def _grade_plain(kind: Kind | None, part: Part, expected: Any, raw: str, mistakes: Sequence[Mistake]) -> Verdict:
    norm = " ".join(raw.lower().split())
    if part.get("nullable") or expected is None:
        if norm in NULL_WORDS or norm.replace(" ", "") in NULL_WORDS:
            if expected is None:
                return Verdict("correct", 1.0, "Correct: it does not fit.", parsed_as="none")
            return Verdict("incorrect", 0.0, "It does fit: there is a value to give.", parsed_as="none")
    if kind is None:
        return invalid(AnswerSyntaxError(f"answers of kind '{part['kind']}' are not supported", 0, raw))
    return kind.grade(part, expected, raw, mistakes)


def read_latex(part: Part, text: str, *, matrix: bool = False) -> tuple[Node, str]:
    """A one-line LaTeX answer as (its tree, with positions in ``text``; the plain text it means).

    Names take the spelling the part declares (``\\hat{y}`` is ``yhat``, ``\\bar{w}_1`` is ``w1``).
    ``matrix``: a matrix answer's LaTeX (``\\odot`` elementwise, ``^T`` a transpose).
    Raises :class:`AnswerSyntaxError` with its position in ``text`` (an unknown command: under it).
    """
    from nncheck.lang.latex.transformer import _math_span, to_node
    from nncheck.lang.syntax import MAX_LENGTH, to_text

    if len(text) > MAX_LENGTH:  # before the LaTeX parser sees it, as for a plain answer
        raise AnswerSyntaxError(f"answer too long ({len(text):,} characters; the limit is {MAX_LENGTH:,})",
                                MAX_LENGTH, text[:MAX_LENGTH + 1], code="too-long")
    lo, hi = _math_span(text)
    names = set((part.get("symbols") or {}).keys()) | set(part.get("shapes") or {})
    tree = to_node(text, symbols=names, lo=lo, hi=hi, matrix=matrix)
    return tree, to_text(tree)


def plain_answer(part: Part, text: str, *, latex: bool | None = None) -> str:
    """``text`` in the plain language: itself, or (``latex`` as in :func:`grade_answer`) the
    plain text its LaTeX means.  Raises :class:`AnswerSyntaxError` on unreadable LaTeX."""
    raw = text.strip()
    if latex or (latex is None and looks_like_latex(raw)):
        kind = KINDS.get(part.get("kind", ""))
        return read_latex(part, raw, matrix=getattr(kind, "matrix_language", False))[1]
    return raw


def _caret_on_latex(verdict: Verdict, tree: Node, plain: str, latex: str) -> Verdict:
    """An error the kind found on the plain text, moved under the LaTeX it was read from."""
    from nncheck.lang.latex.transformer import map_position

    err = verdict.error
    if err is not None and err.text == plain:
        verdict.error = AnswerSyntaxError(err.message, map_position(tree, plain, err.pos, latex), latex,
                                          code=err.code)
    return verdict


__all__ = ["KINDS", "NULL_WORDS", "Kind", "get", "grade_answer", "plain_answer", "read_latex"]
