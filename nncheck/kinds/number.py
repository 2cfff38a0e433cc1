"""Number and integer answers: ``55``, ``1/3``, ``0.25``, ``ln(2)/3``, ``exp(ln(55))``.

A number is accepted within the part's tolerance (:mod:`nncheck.kinds.tolerance`); an
integer exactly (a closed form may differ from it by rounding only).  Both are read
by :mod:`nncheck.lang.numeric`, which is bounded by construction, so they are graded in
this process, without the sandbox.  A wrong answer whose magnitude is right is told
"sign flipped"; one that equals a declared mistake is told which mistake it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from nncheck.answer.verdict import Verdict, invalid
from nncheck.kinds.base import Kind, Mistake, Part, TeX
from nncheck.kinds.tolerance import WithinTolerance, close_enough, describe_tolerance, tolerance_spec
from nncheck.kinds.values import (
    agree_numeric,
    display_number,
    exact_fraction,
    expr_text,
    float_or_inf,
    json_number,
    number_text,
    to_float,
)
from nncheck.lang.syntax import AnswerSyntaxError, Node, parse, to_text
from nncheck.lang.template import plain_number

INTEGER_REL = 1e-9  # an integer answer typed as a closed form (exp(ln(55))) may differ by rounding only


def node_pos(node: Node) -> int:
    """Where a parsed node starts in the text (for the caret of an error about it)."""
    pos: int = getattr(node, "pos", 0)  # every node's slot; the base class does not declare it
    return pos


def _scalar(value: Any, node: Node, raw: str) -> Any:
    if isinstance(value, list):
        raise AnswerSyntaxError("expected a single number, not a list", node_pos(node), raw)
    if isinstance(value, (bool, str)):
        raise AnswerSyntaxError("expected a number", node_pos(node), raw)
    return value


def _is_scalar(value: Any) -> bool:
    """A value a number can be compared with (NumPy scalars have shape (); arrays are another kind of value)."""
    return not (isinstance(value, (list, tuple, bool)) or getattr(value, "shape", ()) != ())


def same_integer(value: Any, expected: Any) -> bool:
    """Integer parts are exact; a float value (a closed form such as exp(ln(55))) may differ by rounding."""
    x = float_or_inf(expected)
    if isinstance(value, float):
        return abs(value - x) <= INTEGER_REL * max(1.0, abs(x))
    exact = exact_fraction(expected)
    return Fraction(value) == exact if exact is not None else float(value) == x


class ScalarKind(Kind):
    """What numbers and integers share: reading one number, naming a sign flip or a declared mistake."""

    moodle = "numerical"
    #: Accepted exactly (up to rounding of a closed form), not within a tolerance.
    integer = False

    def grade(self, part: Part, expected: Any, text: str, mistakes: Sequence[Mistake] = ()) -> Verdict:
        from nncheck.lang.numeric import evaluate

        try:
            node = parse(text, symbols=(), transpose=False)
            value = evaluate(node, {}, text)
        except AnswerSyntaxError as e:
            return invalid(e)
        return self._grade_value(part, expected, value, to_text(node), mistakes, node=node, raw=text)

    def _grade_value(self, part: Part, expected: Any, value: Any, parsed: str, mistakes: Sequence[Mistake], *,
                     node: Node, raw: str) -> Verdict:
        integer = self.integer
        try:
            value = _scalar(value, node, raw)
        except AnswerSyntaxError as e:
            return invalid(e)
        tol = tolerance_spec(part)
        y = float_or_inf(value)
        if expected is None:
            return self._match_mistakes(Verdict("incorrect", 0.0, "Incorrect: it does not fit (answer none).",
                                                parsed_as=parsed), y, mistakes, tol)
        x = float_or_inf(expected)
        if integer:
            ok = same_integer(value, expected)
            tol_text = "exactly"
        else:
            ok = close_enough(y, x, tol)
            tol_text = describe_tolerance(tol)
        if ok:
            return Verdict("correct", 1.0, "Correct." if integer else f"Correct ({tol_text}).", parsed_as=parsed,
                           tolerance=tol_text)
        v = Verdict("incorrect", 0.0, "Incorrect." if integer else f"Incorrect (accepted {tol_text}).",
                    parsed_as=parsed, tolerance=tol_text)
        if x != 0 and y != 0 and (same_integer(-value, expected) if integer else close_enough(-y, x, tol)):
            v.feedback = "sign flipped: the magnitude is right but the sign is not."
            v.mistake = "sign-flipped"
        return self._match_mistakes(v, y, mistakes, tol)

    def _match_mistakes(self, v: Verdict, y: float, mistakes: Sequence[Mistake], tol: dict[str, Any]) -> Verdict:
        for mid, msg, mval in mistakes:
            if mval is None or not _is_scalar(mval):
                continue
            try:
                m = float_or_inf(mval)
            except (TypeError, ValueError):
                continue
            if (y == m) if self.integer else close_enough(y, m, tol):
                v.feedback = msg
                v.mistake = mid
                return v
        return v

    # -- forms of the key ----------------------------------------------------
    def _text(self, value: Any) -> str:
        return number_text(value)

    def _json(self, value: Any) -> Any:
        return json_number(value)

    def _latex(self, value: Any, tex: TeX) -> str:
        return tex.number(value)

    def _display(self, value: Any) -> str:
        return plain_number(display_number(value))

    # -- comparing values ----------------------------------------------------
    def _agree(self, part: Part, exact: Any, numeric: Any, *, rel: float, abs_: float) -> tuple[bool, str]:
        return agree_numeric(exact, numeric, rel=rel, abs_=abs_)


class NumberKind(WithinTolerance, ScalarKind):
    """A real number, accepted within the part's tolerance."""

    name = "number"
    seconds = 90

    def closed_form(self, value: Any) -> str | None:
        """ln(2)/3 for a key that is not a plain rational (its text and display may be decimals)."""
        if value is None:
            return None
        try:
            from nncheck.topics.base import as_sympy

            e = as_sympy(value) if not isinstance(value, (int, Fraction, float)) else None
        except Exception:  # noqa: BLE001 - a value SymPy cannot take has no closed form to show
            return None
        if e is None or e.is_Rational or e.is_Float:
            return None
        return expr_text(e)

    def _same(self, part: Part, expected: Any, value: Any) -> bool:
        # The grader's own test, with the key as the expected value (tolerances are not symmetric).
        if not _is_scalar(value):
            return False
        try:
            return close_enough(float_or_inf(value), float_or_inf(expected), tolerance_spec(part))
        except (TypeError, ValueError):
            return False


class IntegerKind(ScalarKind):
    """A whole number (a size, a count), accepted exactly."""

    name = "integer"
    seconds = 60
    integer = True

    def _text(self, value: Any) -> str:
        exact = exact_fraction(value)
        if exact is not None and exact.denominator == 1:
            return str(exact.numerator)
        x = to_float(value)
        # A closed form that is whole is typed as the whole number; anything else (a mistake's
        # value, 109/2) exactly, so that the grader sees that value and not a rounded one.
        return str(int(round(x))) if x.is_integer() else number_text(value)

    def _json(self, value: Any) -> Any:
        return int(round(to_float(value)))

    def _latex(self, value: Any, tex: TeX) -> str:
        return str(int(round(to_float(value))))

    def _same(self, part: Part, expected: Any, value: Any) -> bool:
        if not _is_scalar(value):
            return False
        try:
            exact = exact_fraction(value)
            # A value typed as text reaches the grader exact when it is rational (55, 109/2, 0.25).
            return same_integer(exact if exact is not None else to_float(value), expected)
        except (TypeError, ValueError, OverflowError):
            return False


NUMBER = NumberKind()
INTEGER = IntegerKind()
