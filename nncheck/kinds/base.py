"""What an answer kind is: the phases every kind implements, after PrairieLearn's elements.

A kind (number, integer, boolean, choice, vector, matrix, expression, derivation) owns
everything that depends on what sort of answer a part takes:

========== ==========================================================================
grade      read the student's text (invalid?) and compare it with the key
text       a key value as a student would type it (grading that text gives *correct*);
           ``answer``/``key_text``: the whole submission (a derivation: a step to the value)
json       a key value in JSON exports and reports
latex      a key value as LaTeX math, through the export's :class:`TeX` writer
display    a key value in the terminal views; ``readable``: on one line (reports)
typed      the key as the exports' "type …" shows it: ``key_text`` with its long decimals cut
           to the numbers policy (:mod:`nncheck.lang.numbers`) when the grader still accepts them
tolerance  what closeness the grader accepts, as JSON, in words, and around one value
agree      whether two computations of the key (SymPy and NumPy) give the same answer
same       whether the grader would accept a value as the answer (the key drops a
           declared mistake that cannot be told apart from the answer)
========== ==========================================================================

``None`` is the key of a part that "does not fit"; the public methods handle it once,
here, and hand every other value to the kind's own ``_text``/``_json``/``_latex``/``_display``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from nncheck.answer.verdict import Verdict
from nncheck.lang.numbers import MAX_SIG, SIG, approx

#: A decimal literal in answer-language text (the sign stays outside it).
DECIMAL = re.compile(r"(?<![\w.])\d*\.\d+(?:e[-+]?\d+)?(?![\w.])")


def long_decimals(text: str) -> list[str]:
    """The decimal literals of ``text`` with more than :data:`~nncheck.lang.numbers.MAX_SIG`
    significant figures (a float's repr, ``0.7310585786300049``): what no reader should see."""
    return [m for m in DECIMAL.findall(text) if len(m.split("e")[0].replace(".", "").lstrip("0")) > MAX_SIG]

#: A part spec as a bank record holds it (``nncheck.records.PartSpec``, or a plain dict in tests).
Part = Mapping[str, Any]
#: A declared mistake as the grader receives it: (id, message, value for this part).
Mistake = tuple[str, str, Any]


class TeX:
    """How an export writes LaTeX: kinds sit below the exports and choose only the structure."""

    def number(self, x: Any) -> str:
        """One exact entry (an integer, a fraction, a closed form with its decimal value)."""
        raise NotImplementedError

    def expression(self, x: Any) -> str:
        """A SymPy expression."""
        raise NotImplementedError

    def matrix(self, rows: list[list[str]]) -> str:
        """A matrix from its entries, already written as LaTeX."""
        raise NotImplementedError

    def text(self, s: str) -> str:
        """Words in math mode (``\\text{…}``), escaped."""
        raise NotImplementedError


class Kind:
    """One answer kind.  Subclasses implement ``grade`` and the underscored phases."""

    #: The kind's name in bank files (``kind: number``).
    name: str = ""
    #: The answer is typed over several lines (a derivation): it reaches :meth:`grade` as typed,
    #: line breaks included, and ``none`` is not a shortcut for "does not fit".
    multiline: bool = False
    #: Seconds a prepared student needs for one part of this kind at difficulty 1 (practice
    #: schedule).  Derived from the ECE 417 exam review's pace: 180 minutes for 8-10 problems of
    #: 1-3 parts is 6-20 minutes a problem, with writing; typed answers to one part take far less.
    seconds: int = 90
    #: The Moodle question type that can grade it: numerical, truefalse, multichoice, cloze or
    #: essay (a person grades it: Moodle cannot test equivalence).
    moodle: str = "essay"

    # -- grading -------------------------------------------------------------
    def grade(self, part: Part, expected: Any, text: str, mistakes: Sequence[Mistake] = ()) -> Verdict:
        """Grade ``text`` (stripped, unless :attr:`multiline`) against the key's exact ``expected``."""
        raise NotImplementedError

    def grade_as(self, part: Part, expected: Any, text: str, mistakes: Sequence[Mistake] = (), *,
                 latex: bool | None = None) -> Verdict:
        """Grade a :attr:`multiline` answer read as LaTeX (``latex`` True), as the plain language
        (False) or as it looks (None).  A one-line answer's LaTeX is read into the plain language
        before :meth:`grade` (``kinds.grade_answer``); a multiline kind that reads a LaTeX document
        itself (a derivation, whose line numbers are the document's) overrides this."""
        return self.grade(part, expected, text, mistakes)

    # -- the key's value in every form ----------------------------------------
    def text(self, value: Any) -> str:
        """``value`` as a student would type it, in the answer language."""
        return "none" if value is None else self._text(value)

    def answer(self, part: Part, value: Any) -> str:
        """What a student submits to answer ``part`` with ``value`` (a derivation: a step to it)."""
        return self.text(value)

    def key_text(self, part: Part, value: Any) -> str:
        """The key of ``part`` as a student would submit it: grading it gives *correct*."""
        return self.answer(part, value)

    def typed(self, part: Part, value: Any) -> str:
        """The key of ``part`` as the exports' "type …" shows it: :meth:`key_text`, with every decimal
        longer than the numbers policy allows cut to 4 significant figures (5, 6 when the part's
        tolerance needs them) if the grader accepts that text as *correct*; else :meth:`key_text`."""
        text = self.key_text(part, value)
        if value is None or self.multiline or not long_decimals(text):
            return text
        for sig in range(SIG, MAX_SIG + 1):
            def cut(m: re.Match[str], sig: int = sig) -> str:
                return approx(float(m.group()), sig) if long_decimals(m.group()) else m.group()

            short = DECIMAL.sub(cut, text)
            try:
                if self.grade(part, value, short).status == "correct":
                    return short
            except Exception:  # noqa: BLE001 - a text the grader cannot take is not offered
                break
        return text

    def json(self, value: Any) -> Any:
        """``value`` in JSON (``null`` when the part does not fit)."""
        return None if value is None else self._json(value)

    def latex(self, value: Any, tex: TeX) -> str:
        """``value`` as LaTeX math, without the surrounding ``$``."""
        return r"\text{none (it does not fit)}" if value is None else self._latex(value, tex)

    def display(self, value: Any) -> str:
        """``value`` as the terminal views show it (a matrix as a block of lines)."""
        return "none (does not fit)" if value is None else self._display(value)

    def readable(self, value: Any) -> str:
        """``value`` on one line as a person reads it (a report's cell), by the numbers policy
        (:mod:`nncheck.lang.numbers`): exact where short, else 4 significant figures, a closed form
        with its decimal beside it (``-ln(7/10 - 1/(10*(1 + e))) ≈ 0.3959``).  Never graded."""
        return "none" if value is None else self._readable(value)

    def _readable(self, value: Any) -> str:
        return self._text(value)

    def closed_form(self, value: Any) -> str | None:
        """The exact closed form shown beside a value whose text is not it (None: nothing to add)."""
        return None

    def rows(self, value: Any) -> list[list[Any]]:
        """The entries of ``value`` in rows, for formats that lay them out in a grid."""
        return [[value]]

    def _text(self, value: Any) -> str:
        raise NotImplementedError

    def _json(self, value: Any) -> Any:
        raise NotImplementedError

    def _latex(self, value: Any, tex: TeX) -> str:
        raise NotImplementedError

    def _display(self, value: Any) -> str:
        raise NotImplementedError

    # -- tolerance -----------------------------------------------------------
    def tolerance(self, part: Part) -> dict[str, Any] | None:
        """The declared tolerance as JSON shows it; None when answers are not compared numerically."""
        return None

    def tolerance_text(self, part: Part) -> str | None:
        """The tolerance in words ("within ±0.5%"); None when answers are not compared numerically."""
        return None

    def half_width(self, part: Part, expected: float) -> float:
        """How far from ``expected`` a number may lie and be accepted (0: exactly)."""
        return 0.0

    # -- comparing values ----------------------------------------------------
    def agree(self, part: Part, exact: Any, numeric: Any, *, rel: float, abs_: float) -> tuple[bool, str]:
        """Do the SymPy (``exact``) and NumPy (``numeric``) computations of a key agree?  (ok, why not)."""
        if exact is None or numeric is None:
            return (exact is None and numeric is None), f"{exact!r} vs {numeric!r}"
        return self._agree(part, exact, numeric, rel=rel, abs_=abs_)

    def same(self, part: Part, expected: Any, value: Any) -> bool:
        """Would the grader accept ``value`` as the answer when the key is ``expected``?

        Typed as text, a value of None is "none": correct exactly when the key is None too.
        """
        if expected is None or value is None:
            return expected is None and value is None
        return self._same(part, expected, value)

    def _agree(self, part: Part, exact: Any, numeric: Any, *, rel: float, abs_: float) -> tuple[bool, str]:
        raise NotImplementedError

    def _same(self, part: Part, expected: Any, value: Any) -> bool:
        raise NotImplementedError
