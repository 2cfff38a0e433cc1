"""Number and integer answers: ``55``, ``1/3``, ``0.25``, ``ln(2)/3``, ``exp(ln(55))``.

A number is accepted within the part's tolerance or as the key correctly rounded to the
significant figures written (:mod:`nncheck.kinds.tolerance`: ``0.29`` for 2/7 is correct,
``0.3`` is "rounded too far"); an integer exactly: a closed form counts only when it *is*
the integer (``exp(ln(55))``), decided by SymPy's exact arithmetic, never by float
rounding (``32 + exp(-25)`` is not 32).  Both are read by :mod:`nncheck.lang.numeric`,
which is bounded by construction, so they are graded in this process, without the
sandbox.  A wrong answer whose magnitude is right is told "sign flipped"; one that equals
a declared mistake is told which mistake it is.  A decimal comma (``0,29``) is an
unreadable answer with a hint, never a wrong one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from nncheck.answer.verdict import Verdict, invalid
from nncheck.kinds.base import Kind, Mistake, Part, TeX
from nncheck.kinds.tolerance import (
    Reading,
    WithinTolerance,
    Written,
    accepted,
    close_enough,
    describe_tolerance,
    describe_window,
    figures,
    judge,
    key_digits,
    rounded_figures,
    safe_sigfigs,
    tolerance_spec,
    written_number,
)
from nncheck.kinds.values import (
    KeyNumber,
    agree_numeric,
    display_number,
    exact_fraction,
    expr_text,
    float_or_inf,
    is_sympy,
    json_number,
    number_text,
    to_float,
)
from nncheck.lang.numbers import display, number
from nncheck.lang.syntax import AnswerSyntaxError, Node, Unary, parse, to_text
from nncheck.lang.template import plain_number

#: A closed form (a float value) further than this from the integer key is plainly not it; a
#: nearer one (``exp(ln(55))``, or ``32 + exp(-25)``) is decided exactly.
INTEGER_REL = 1e-9
#: Seconds of SymPy's exact arithmetic on a closed form typed for an integer (pure Python work,
#: interrupted by :func:`nncheck.answer.limits.time_limit`; the tree is already bounded).
EXACT_SECONDS = 1.0
#: A comma between two digits, with no space: ``0,29`` (a decimal comma) or ``1,000``.
TIGHT_COMMA = re.compile(r"(?<=[0-9]),(?=[0-9])")
_THOUSANDS = re.compile(r"^[+-]?[1-9][0-9]{0,2}(,[0-9]{3})+$")


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


def decimal_comma(raw: str, fits: Callable[[Any], bool], *, transpose: bool, integer: bool = False
                  ) -> AnswerSyntaxError | None:
    """The error for an answer typed with decimal commas (``0,29``, ``[0,881, 0,119]``), or None.

    Called only once the answer as typed has failed (unreadable, or of the wrong shape), so it
    never refuses a valid answer: ``[0,1]`` for a vector of two is graded as the integers 0 and 1.
    It is a decimal comma when reading each comma between two digits as a decimal point gives
    an answer that ``fits`` (a single number; the expected number of entries).  Whole numbers
    with a thousands separator (``1,000``) are told to drop it instead.
    """
    from nncheck.lang.numeric import evaluate

    commas = [m.start() for m in TIGHT_COMMA.finditer(raw)]
    if not commas:
        return None
    if integer and _THOUSANDS.match(raw.strip()):
        return AnswerSyntaxError(f"no thousands separator: write {raw.strip().replace(',', '')}", commas[0], raw)
    fixed = TIGHT_COMMA.sub(".", raw)
    try:
        value = evaluate(parse(fixed, symbols=(), transpose=transpose), {}, fixed)
    except AnswerSyntaxError:
        return None
    if not fits(value):
        return None
    first = TIGHT_COMMA.search(raw)
    assert first is not None
    # Quote the first number with a comma, as it should be typed.
    start, end = first.start(), first.end()
    while start > 0 and raw[start - 1].isdigit():
        start -= 1
    while end < len(raw) and raw[end].isdigit():
        end += 1
    number = raw[start:end]
    return AnswerSyntaxError(f"use a decimal point: write {number.replace(',', '.')}, not {number}"
                             + (" (a comma separates entries)" if transpose else ""), commas[0], raw)


def _is_decimal(text: str) -> bool:
    """Is ``text`` a plain number (a SymPy Float's text) rather than a closed form?"""
    try:
        float(text)
    except ValueError:
        return False
    return True


def same_integer(value: Any, expected: Any) -> bool:
    """Is a computed value (a solver's key or mistake value; never the student's text) exactly the
    integer part's ``expected``?  Rationals and floats are compared as exact fractions; a SymPy
    closed form by SymPy's exact arithmetic."""
    a, b = exact_fraction(value), exact_fraction(expected)
    if a is not None and b is not None:
        return a == b
    if is_sympy(value) or is_sympy(expected):
        import sympy

        from nncheck.topics.base import as_sympy

        d = as_sympy(value) - as_sympy(expected)
        return bool(d == 0 or d.is_zero or sympy.simplify(d) == 0)
    return float_or_inf(value) == float_or_inf(expected)


def exactly(node: Node, value: Any, expected: Any, raw: str) -> bool | None:
    """Is the student's answer (``node``, evaluated to ``value``) exactly ``expected``?  None: cannot
    tell (a closed form SymPy can neither reduce nor tell apart from it, such as ``ln(8)/ln(2)``).

    Rationals are compared exactly.  A float value comes from a closed form (``exp(ln(55))``):
    unless it is plainly far from the key, it is converted to SymPy, whose automatic evaluation
    reduces the exact ones to the integer, and ``answer − key`` is evaluated with adaptive
    precision (``strict``), so a difference as small as ``exp(-2000)`` is seen, never rounded away.
    """
    target = exact_fraction(expected)
    if not isinstance(value, float):
        exact = Fraction(value)
        return exact == target if target is not None else float(exact) == float_or_inf(expected)
    x = float_or_inf(expected)
    if target is None or abs(value - x) > INTEGER_REL * max(1.0, abs(x)):
        return False
    import sympy
    from sympy.core.evalf import PrecisionExhausted

    from nncheck.answer.limits import OutOfTime, time_limit
    from nncheck.lang.sympy_backend import sigma, to_sympy

    try:
        with time_limit(EXACT_SECONDS):
            d = to_sympy(node, {}, raw) - sympy.Rational(target.numerator, target.denominator)
            if d == 0:
                return True
            if d.is_zero is not None:
                return bool(d.is_zero)
            try:
                return bool(d.evalf(30, strict=True) == 0)
            except PrecisionExhausted:
                # Numerically indistinguishable from 0: 0 only if it simplifies to 0 (every log's
                # argument is positive, or the numeric evaluation would have refused it, so
                # expanding logs is exact here): ln(2^32)/ln(2) is 32.
                e = d.replace(sigma, lambda t: 1 / (1 + sympy.exp(-t))).rewrite(sympy.exp)
                return True if sympy.simplify(sympy.expand_log(e, force=True)) == 0 else None
    except (PrecisionExhausted, OutOfTime, RecursionError, ValueError, TypeError, ArithmeticError, AnswerSyntaxError):
        return None


def _is_number(value: Any) -> bool:
    return not isinstance(value, (list, bool, str))


#: Readings of a decimal answer that are slips of rounding, named as mistakes.
SLIPS = ("rounded-too-far", "truncated")


def rounded_feedback(written: Written, expected: Any, tol: dict[str, Any]) -> str:
    """Why a rounded answer is accepted: "0.29 is 2/7 = 0.285714… to 2 significant figures: accepted;
    give 3 to be safe"."""
    n = rounded_figures(written, expected, tol.get("min_sigfigs", 1)) or written.sigfigs
    text = f"{written.text} is {key_digits(expected, number_text(expected))} to {figures(n)}: accepted"
    safe = safe_sigfigs(expected, tol)
    return text + (f"; give {safe} to be safe" if safe and safe > n else "")


def slip_feedback(reading: Reading, written: Written, tol: dict[str, Any]) -> str:
    """The named rounding slip: too few figures, or digits cut off instead of rounded."""
    if reading == "rounded-too-far":
        return (f"rounded too far: {written.text} has {figures(written.sigfigs)}; "
                f"give at least {tol.get('min_sigfigs')}.")
    return (f"truncated: {written.text} cuts the digits after it off instead of rounding them "
            "(round to the nearest: a next digit of 5 or more rounds up).")


class ScalarKind(Kind):
    """What numbers and integers share: reading one number, naming a sign flip or a declared mistake."""

    moodle = "numerical"
    #: Accepted exactly (a closed form only when it is exactly the value), not within a tolerance.
    integer = False

    def grade(self, part: Part, expected: Any, text: str, mistakes: Sequence[Mistake] = ()) -> Verdict:
        from nncheck.lang.numeric import evaluate

        try:
            node = parse(text, symbols=(), transpose=False)
            value = evaluate(node, {}, text)
        except AnswerSyntaxError as e:
            return invalid(decimal_comma(text, _is_number, transpose=False, integer=self.integer) or e)
        if isinstance(value, list):
            comma = decimal_comma(text, _is_number, transpose=False, integer=self.integer)
            if comma is not None:
                return invalid(comma)
        return self._grade_value(part, expected, value, to_text(node), mistakes, node=node, raw=text)

    def _grade_value(self, part: Part, expected: Any, value: Any, parsed: str, mistakes: Sequence[Mistake], *,
                     node: Node, raw: str) -> Verdict:
        try:
            value = _scalar(value, node, raw)
        except AnswerSyntaxError as e:
            return invalid(e)
        tol = tolerance_spec(part)
        y = float_or_inf(value)
        written = None if self.integer else written_number(node)
        if expected is None:
            return self._match_mistakes(Verdict("incorrect", 0.0, "Incorrect: it does not fit (answer none).",
                                                parsed_as=parsed), y, written, mistakes, tol)
        if self.integer:
            return self._grade_integer(expected, value, y, parsed, mistakes, tol, node=node, raw=raw)
        x = float_or_inf(expected)
        rule = describe_tolerance(tol)
        reading = judge(y, written, expected, tol)
        if reading == "window":
            return Verdict("correct", 1.0, f"Correct ({describe_window(tol)}).", parsed_as=parsed, tolerance=rule)
        if reading == "rounded" and written is not None:
            return Verdict("correct", 1.0, "Correct: " + rounded_feedback(written, expected, tol) + ".",
                           parsed_as=parsed, tolerance=rule)
        v = Verdict("incorrect", 0.0, f"Incorrect (accepted {rule}).", parsed_as=parsed, tolerance=rule)
        negated = written.negated() if written is not None else None
        if x != 0 and y != 0 and accepted(judge(-y, negated, expected, tol)):
            v.feedback = "sign flipped: the magnitude is right but the sign is not."
            v.mistake = "sign-flipped"
        elif written is not None and reading in SLIPS:
            v.feedback, v.mistake = slip_feedback(reading, written, tol), reading
        return self._match_mistakes(v, y, written, mistakes, tol)

    def _grade_integer(self, expected: Any, value: Any, y: float, parsed: str, mistakes: Sequence[Mistake],
                       tol: dict[str, Any], *, node: Node, raw: str) -> Verdict:
        ok = exactly(node, value, expected, raw)
        if ok is None:
            return invalid(AnswerSyntaxError(
                "cannot tell whether this closed form is exactly a whole number: type the number itself",
                node_pos(node), raw, code="math"))
        if ok:
            return Verdict("correct", 1.0, "Correct.", parsed_as=parsed, tolerance="exactly")
        v = Verdict("incorrect", 0.0, "Incorrect.", parsed_as=parsed, tolerance="exactly")
        x = float_or_inf(expected)
        if isinstance(value, float) and abs(y - x) <= INTEGER_REL * max(1.0, abs(x)):
            # As near as a float can tell, yet not it: 32 + exp(-25) for 32.
            v.feedback = "not exact: this closed form is not a whole number (this part is graded exactly)."
            v.mistake = "not-exact"
        if x != 0 and y != 0 and exactly(Unary("-", node, node_pos(node)), -value, expected, raw):
            v.feedback = "sign flipped: the magnitude is right but the sign is not."
            v.mistake = "sign-flipped"
        return self._match_mistakes(v, y, None, mistakes, tol)

    def _match_mistakes(self, v: Verdict, y: float, written: Written | None, mistakes: Sequence[Mistake],
                        tol: dict[str, Any]) -> Verdict:
        for mid, msg, mval in mistakes:
            if mval is None or not _is_scalar(mval):
                continue
            try:
                m = float_or_inf(mval)
            except (TypeError, ValueError):
                continue
            # A mistake's value is recognised as the key is: within the window, or correctly rounded.
            if (y == m) if self.integer else accepted(judge(y, written, mval, tol)):
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
        # A fraction that is not a short decimal gets its decimal beside it, as a closed form does.
        exact = exact_fraction(value)
        if exact is not None and "/" in number(exact):
            return tex.number(value) + r" \approx " + tex.number(float(exact))
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

    def _display(self, value: Any) -> str:
        # The numbers policy: 2/7 ≈ 0.2857, ln(2)/3 ≈ 0.231, 0.7311.
        return display(display_number(value), self.closed_form(value))

    def _readable(self, value: Any) -> str:
        return self._display(value)

    def closed_form(self, value: Any) -> str | None:
        """ln(2)/3 for a key that is not a plain rational (its text and display may be decimals)."""
        if value is None:
            return None
        if isinstance(value, KeyNumber):  # a cached key keeps its exact text: no SymPy to print it
            return None if _is_decimal(value.text) else value.text
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
