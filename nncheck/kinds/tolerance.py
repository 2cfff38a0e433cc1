"""The one tolerance of numeric answers: what it is, how it reads, and the test itself.

A numeric answer (a number, or an entry of a vector or matrix) is accepted when either

* it lies within the part's **window**: ``tolerance: {rel, abs}`` or ``tolerance: {sigfigs}``;
  without one, ±0.5% (what three significant figures always meet) or ±1e-6; or
* it is the key **correctly rounded** to the significant figures the student wrote, and
  they wrote at least ``min_sigfigs`` of them (default 2; the part's ``sigfigs`` when it
  declares one).  ``0.29`` for 2/7 = 0.2857… is accepted this way, as a grader reads it.

What "the figures the student wrote" means (:func:`literal_figures`): ``0.29`` and
``2.9e-1`` and ``2.9*10^-1`` have 2, ``0.290`` has 3; a whole number's trailing zeros are
ambiguous, so ``290`` has 2 or 3, whichever makes it a correct rounding (``290.`` or
``2.90e2`` has 3).
Fractions and closed forms (``2/7``, ``ln(2)/3``) are exact values, never read as rounded:
only the window applies to them.  "Correctly rounded" is rounding to nearest; at an exact
half either neighbour is accepted (0.125 → 0.12 or 0.13: round-half-even and round-half-up
both), and a truncated answer (0.28 for 0.2857…) is not: it is named as a slip.  An answer
that is the key rounded to fewer figures than required (``0.3`` for 2/7) is *rounded too
far*, and told so.

The grader (:mod:`nncheck.kinds.number`, :mod:`nncheck.kinds.array`), the answer key (which
drops a declared mistake only when the grader would accept its value as the answer), the
exports (the words "accepted within ±0.5%, or correctly rounded to at least 2 significant
figures") and Moodle (an absolute tolerance per answer: the window only) all use these
functions, so they cannot drift apart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

from nncheck.kinds.values import KeyNumber, exact_fraction, float_or_inf, is_sympy
from nncheck.lang.syntax import BinOp, Matrix, Node, Num, Transpose, Unary, Vector

# The rule's words and defaults live in the lang layer, where `show` can state them without the grader;
# they are re-exported here so that the grader's callers have one module to import.
from nncheck.lang.tolerance_rule import DEFAULT_ABS as DEFAULT_ABS
from nncheck.lang.tolerance_rule import DEFAULT_MIN_SIGFIGS as DEFAULT_MIN_SIGFIGS
from nncheck.lang.tolerance_rule import DEFAULT_REL as DEFAULT_REL
from nncheck.lang.tolerance_rule import declared_tolerance as declared_tolerance
from nncheck.lang.tolerance_rule import describe_tolerance as describe_tolerance
from nncheck.lang.tolerance_rule import describe_window as describe_window
from nncheck.lang.tolerance_rule import tolerance_spec as tolerance_spec
from nncheck.lang.walk import fold

#: Keys that are not rational are rounded from this many digits (far beyond any typed answer).
KEY_DIGITS = 40


def close_enough(yours: float, expected: float, tol: Mapping[str, Any]) -> bool:
    """Is ``yours`` inside the window around ``expected``?  (Not symmetric: a tolerance is around the
    expected value.)  The rounding rule needs the answer as written: :func:`judge`."""
    if math.isnan(yours) or math.isinf(yours):
        return False
    if tol.get("sigfigs"):
        if expected == 0:
            return bool(abs(yours) < 10 ** (-tol["sigfigs"]))
        mag = math.floor(math.log10(abs(expected)))
        unit = 10 ** (mag - tol["sigfigs"] + 1)
        return abs(yours - expected) <= unit / 2 * (1 + 1e-9)
    rel, ab = tol.get("rel") or 0.0, tol.get("abs") or 0.0
    return bool(abs(yours - expected) <= max(ab, rel * abs(expected)) * (1 + 1e-12))


def half_width(tol: Mapping[str, Any], expected: float) -> float:
    """How far from ``expected`` an answer may lie and still be inside the window (Moodle's absolute
    tolerance)."""
    if tol.get("sigfigs"):
        if expected == 0:
            return float(10.0 ** (-tol["sigfigs"]))
        mag = math.floor(math.log10(abs(expected)))
        return float(0.5 * 10.0 ** (mag - tol["sigfigs"] + 1))
    return float(max(tol.get("abs") or 0.0, (tol.get("rel") or 0.0) * abs(expected)))


# ----------------------------------------------------------------------------
# Numbers as written: how many significant figures.
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Written:
    """A decimal number as the student typed it: its exact value and its significant figures,
    ``sigfigs`` to ``upto`` (more than one count only for a whole number's trailing zeros)."""

    value: Fraction
    sigfigs: int
    text: str
    upto: int = 0

    @property
    def counts(self) -> range:
        """Every count of significant figures the student may mean."""
        return range(self.sigfigs, max(self.sigfigs, self.upto) + 1)

    def negated(self) -> Written:
        return Written(-self.value, self.sigfigs, self.text, self.upto)


def literal_figures(text: str) -> tuple[int, int] | None:
    """The significant figures a decimal literal may have (sign and exponent allowed): the fewest
    and the most, or None for zero, which has none.

    Leading zeros never count; after a decimal point every digit counts (``0.290``: 3).  A whole
    number's trailing zeros are ambiguous ("290 km" is about 290, or exactly 290): ``290`` may
    have 2 or 3, and is read as whichever makes it a correct rounding (``290.`` has 3).  So a
    reading of the zeros is never the reason a correctly rounded answer is refused; ``300`` for
    2.6e2 is "rounded too far" at every count it may mean.
    """
    s = text.strip().lstrip("+-−")
    mantissa = s
    for i, ch in enumerate(s):
        if ch in "eE":
            mantissa = s[:i]
            break
    if "." in mantissa:
        whole, _, frac = mantissa.partition(".")
        digits = (whole + frac).lstrip("0")
        return (len(digits), len(digits)) if digits else None
    digits = mantissa.lstrip("0")
    least = len(digits.rstrip("0"))
    return (least, len(digits)) if least else None


def literal_sigfigs(text: str) -> int | None:
    """The fewest significant figures a decimal literal has (:func:`literal_figures`)."""
    figs = literal_figures(text)
    return figs[0] if figs else None


def _as_int(node: Node) -> int | None:
    if isinstance(node, Num) and isinstance(node.value, int) and "." not in node.text and "e" not in node.text.lower():
        return node.value
    if isinstance(node, Unary) and node.op == "-":
        k = _as_int(node.arg)
        return -k if k is not None else None
    return None


def written_number(node: Node) -> Written | None:
    """``node`` as a number written to some significant figures: a decimal literal (``0.29``,
    ``-2.9e-1``) or one in scientific notation (``2.9*10^-1``, ``2.9 × 10⁻¹``).  None for anything
    else (a fraction, a closed form, an expression): exact values, not rounded ones."""
    if isinstance(node, Num):
        figs = literal_figures(node.text)
        return Written(Fraction(node.value), figs[0], node.text, figs[1]) if figs else None
    if isinstance(node, Unary) and node.op == "-":
        w = written_number(node.arg)
        return Written(-w.value, w.sigfigs, "-" + w.text, w.upto) if w else None
    if isinstance(node, BinOp) and node.op == "*" and isinstance(node.left, Num):
        p = node.right
        if isinstance(p, BinOp) and p.op == "^" and isinstance(p.left, Num) and p.left.value == 10 \
                and p.left.text == "10":
            k = _as_int(p.right)
            figs = literal_figures(node.left.text)
            if k is not None and figs and abs(k) <= 400:
                return Written(Fraction(node.left.value) * Fraction(10) ** k, figs[0], f"{node.left.text}*10^{k}",
                               figs[1])
    return None


def written_entries(node: Node) -> Any:
    """Like the numeric value of ``node`` (nested lists for vectors and matrices), with each entry a
    :class:`Written` or None (not a rounded decimal); None when the answer is not a plain array of
    entries (``[1, 2]*0.5``): its entries then have no figures of their own."""

    def visit(n: Node, vals: list[Any]) -> Any:
        if any(v is _OPAQUE for v in vals):
            return _OPAQUE
        if isinstance(n, Vector):
            return list(vals)
        if isinstance(n, Matrix):
            cols = n.shape[1]
            return [list(vals[r * cols:(r + 1) * cols]) for r in range(len(n.rows))]
        if isinstance(n, Transpose):
            v = vals[0]
            if not isinstance(v, list):
                return v
            if v and isinstance(v[0], list):
                return [list(col) for col in zip(*v)]
            return [[x] for x in v]
        if any(isinstance(v, list) for v in vals):
            return _OPAQUE  # arithmetic on whole arrays: no entry was written as such
        return written_number(n)

    # One bottom-up walk (iterative: a 2,000-node chain is fine); children's values are only
    # looked at to see whether an array sits below.
    out = fold(node, visit)
    return None if out is _OPAQUE else out


_OPAQUE = object()


def flatten(x: Any) -> list[Any]:
    """Nested lists in row order (a scalar: a list of one)."""
    if not isinstance(x, list):
        return [x]
    return [y for r in x for y in (r if isinstance(r, list) else [r])]


# ----------------------------------------------------------------------------
# Correct rounding.
# ----------------------------------------------------------------------------
def key_fraction(x: Any) -> Fraction | None:
    """A key value as an exact Fraction (rationals, floats), or to :data:`KEY_DIGITS` digits
    (closed forms such as 1/(1 + exp(-2))); None when it has no finite real value."""
    f = exact_fraction(x)
    if f is not None:
        return f
    if isinstance(x, KeyNumber):
        return x.digits  # what _sympy_fraction gave for the SymPy value it was made from
    if is_sympy(x):
        return _sympy_fraction(x)
    try:
        fl = float(x)
    except (TypeError, ValueError, OverflowError):
        return None
    return Fraction(fl) if math.isfinite(fl) else None


@lru_cache(maxsize=4096)
def _sympy_fraction(x: Any) -> Fraction | None:
    """A SymPy key value to :data:`KEY_DIGITS` digits (cached: a key is graded again and again)."""
    import sympy

    v = sympy.N(x, KEY_DIGITS)
    if v.is_Number and v.is_finite and v.is_real:
        r = sympy.Rational(v)
        return Fraction(int(r.p), int(r.q))
    return None


def _exponent(a: Fraction) -> int:
    """floor(log10(a)) for a > 0, exactly."""
    e = len(str(a.numerator)) - len(str(a.denominator))
    ten = Fraction(10)
    while ten ** e > a:
        e -= 1
    while ten ** (e + 1) <= a:
        e += 1
    return e


def roundings(x: Fraction, n: int) -> set[Fraction]:
    """``x`` rounded to ``n`` significant figures: one value, or both neighbours at an exact half."""
    if x == 0:
        return {Fraction(0)}
    place = Fraction(10) ** (_exponent(abs(x)) - n + 1)
    q = x / place
    low = math.floor(q)
    rest = q - low
    if rest < Fraction(1, 2):
        return {low * place}
    if rest > Fraction(1, 2):
        return {(low + 1) * place}
    return {low * place, (low + 1) * place}


def truncation(x: Fraction, n: int) -> Fraction:
    """``x`` cut (toward zero) to ``n`` significant figures."""
    if x == 0:
        return Fraction(0)
    place = Fraction(10) ** (_exponent(abs(x)) - n + 1)
    q = abs(x) / place
    return (1 if x > 0 else -1) * math.floor(q) * place


#: What :func:`judge` found.  ``window``: inside the window; ``rounded``: the key correctly rounded
#: to the figures written (at least the minimum); ``rounded-too-far``: correctly rounded, to too few;
#: ``truncated``: the key cut off, not rounded; ``wrong``: none of these.
Reading = str


def rounded_figures(written: Written, expected: Any, least: int = 1) -> int | None:
    """The fewest significant figures, at least ``least``, that ``written`` may have and at which it
    is ``expected`` correctly rounded; None when there are none."""
    k = key_fraction(expected)
    if k is None or k == 0:
        return None
    for n in written.counts:
        if n >= least and written.value in roundings(k, n):
            return n
    return None


def judge(y: float, written: Written | None, expected: Any, tol: Mapping[str, Any]) -> Reading:
    """How an answer (``y`` as a float; ``written`` when it was typed as a decimal) stands against
    ``expected`` under the rule of this module."""
    x = float_or_inf(expected)
    if close_enough(y, x, tol):
        return "window"
    if written is None:
        return "wrong"
    if rounded_figures(written, expected, tol.get("min_sigfigs", DEFAULT_MIN_SIGFIGS)) is not None:
        return "rounded"
    if rounded_figures(written, expected) is not None:
        return "rounded-too-far"
    k = key_fraction(expected)
    if k is not None and k != 0 and any(written.value == truncation(k, n) for n in written.counts):
        return "truncated"
    return "wrong"


def accepted(reading: Reading) -> bool:
    return reading in ("window", "rounded")


def safe_sigfigs(expected: Any, tol: Mapping[str, Any]) -> int | None:
    """The fewest significant figures at which *any* correct rounding of ``expected`` is inside
    the window: what "give N to be safe" names."""
    k = key_fraction(expected)
    if k is None or k == 0:
        return None
    hw = Fraction(half_width(tol, float(k)))
    e = _exponent(abs(k))
    for n in range(1, 18):
        if Fraction(1, 2) * Fraction(10) ** (e - n + 1) <= hw:
            return n
    return None


def key_digits(expected: Any, text: str) -> str:
    """The key as feedback about rounding shows it: its exact text, with six significant figures
    beside it unless it is a short decimal already ("2/7 = 0.285714…", "0.125")."""
    k = key_fraction(expected)
    if k is None:
        return text
    short = f"{float(k):.6g}"
    more = "" if Fraction(short) == k else "…"
    plain = not any(c.isalpha() or c == "/" for c in text)
    if plain:
        return text if not more else short + more
    return f"{text} = {short}{more}"


def figures(n: int) -> str:
    return f"{n} significant figure{'s' if n != 1 else ''}"


class WithinTolerance:
    """The tolerance phases of a kind whose answers are numbers accepted under this rule
    (mixed into :class:`~nncheck.kinds.base.Kind` subclasses: numbers, vectors, matrices)."""

    def tolerance(self, part: Mapping[str, Any]) -> dict[str, Any] | None:
        return declared_tolerance(part)

    def tolerance_text(self, part: Mapping[str, Any]) -> str | None:
        return describe_tolerance(tolerance_spec(part))

    def half_width(self, part: Mapping[str, Any], expected: float) -> float:
        return half_width(tolerance_spec(part), expected)
