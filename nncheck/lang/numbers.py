"""The numbers policy: how every text a person reads writes a number.

Exact where short: integers, decimals of at most :data:`MAX_SIG` significant figures (0.25,
0.001), fractions with a short numerator and denominator (2/7); anything else to :data:`SIG`
significant figures (0.7311, 12346, 1.235e6).  A key shown on its own gives a fraction or a
closed form its decimal beside it: ``2/7 ≈ 0.2857``, ``-ln(7/10 - 1/(10*(1 + e))) ≈ 0.3959``.
No key, hint, worked solution, report or export prints a float with more than ``MAX_SIG``
significant figures.  The grader never reads these texts: it keeps full precision.

* :func:`number` — a value inside a line (a prompt, a step, a matrix entry): ``2/7``, ``0.7311``;
* :func:`display` — a key's value on its own: ``2/7 ≈ 0.2857``, ``ln(2)/3 ≈ 0.231``;
* :func:`approx` — a value to ``SIG`` significant figures, whatever it is: ``0.2857``.

All three write an ASCII minus (text a user may copy as an answer); the prompt templates turn
it into "−" (:func:`nncheck.lang.template.fmt_number`).

Light on purpose: templates and ``nncheck show`` format numbers on the fast path, so nothing
here imports SymPy or NumPy; their numbers are read through ``p``/``q`` and ``float()``.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

#: Significant figures of a number that is not short (the issue's "4 significant figures").
SIG = 4
#: The most significant figures of any decimal shown; a short exact decimal may have this many.
MAX_SIG = 6
#: A fraction is short when its numerator and denominator are both below this (2/7, 125/12).
SHORT_TERMS = 1000
#: Plain decimals between these magnitudes; scientific notation (1.235e6, 2.5e-5) outside them.
SCI_LARGE, SCI_SMALL = 1e6, 1e-4


def exact(x: object) -> int | Fraction | float | None:
    """``x`` as an int, a Fraction (exact) or a float (approximate); None when it is not a number.

    Reads Python numbers, SymPy numbers (``p``/``q`` of a Rational, ``float()`` of anything
    else) and NumPy scalars without importing either library."""
    if isinstance(x, bool):
        return None
    if isinstance(x, int):
        return x
    if isinstance(x, Fraction):
        return x.numerator if x.denominator == 1 else x
    if isinstance(x, float):
        return float(x)  # np.float64 is a float subclass
    p, q = getattr(x, "p", None), getattr(x, "q", None)
    if isinstance(p, int) and isinstance(q, int) and getattr(x, "is_Rational", False):
        return p if q == 1 else Fraction(p, q)
    try:
        return float(x)  # type: ignore[arg-type]  # a SymPy Float or closed form, a NumPy scalar
    except (TypeError, ValueError, OverflowError):
        return None


def _layout(d: Decimal) -> str:
    """A finite decimal, trailing zeros dropped: positional, or scientific beyond the plain range."""
    if d == 0:
        return "0"
    d = d.normalize()
    e = d.adjusted()
    if 10.0**e >= SCI_LARGE or 10.0**e < SCI_SMALL:
        sign, digits, _ = d.as_tuple()
        mant = "".join(map(str, digits))
        mant = mant[0] + ("." + mant[1:] if len(mant) > 1 else "")
        return ("-" if sign else "") + f"{mant}e{e}"
    return format(d, "f")


def _sig_digits(d: Decimal) -> int:
    return len(d.normalize().as_tuple().digits)


def approx(x: object, sig: int = SIG) -> str:
    """``x`` to ``sig`` significant figures: 0.2857, 0.7311, 12346 (never a digit before the point
    dropped below 1e6), 1.235e6, 2.5e-5.  Text for what is not a finite number."""
    v = exact(x)
    if v is None:
        return str(x)
    f = float(v)
    if math.isnan(f) or math.isinf(f):
        return "nan" if math.isnan(f) else ("inf" if f > 0 else "-inf")
    if f == 0:
        return "0"
    if isinstance(v, int) and abs(v) < SCI_LARGE:
        return str(v)
    e = math.floor(math.log10(abs(f)))
    # Below a million every digit before the point stays: 12345.678 is 12346, not 12350.
    places = max(sig - 1 - e, 0) if abs(f) < SCI_LARGE else None
    if places is not None and abs(f) >= SCI_SMALL:
        d = Decimal(f"{f:.{places}f}")
    else:
        d = Decimal(f"{f:.{sig - 1}e}")
    return _layout(d)


def _short_fraction(v: Fraction) -> str | None:
    if abs(v.numerator) < SHORT_TERMS and v.denominator < SHORT_TERMS:
        return f"{v.numerator}/{v.denominator}"
    return None


def _terminating(v: Fraction) -> Decimal | None:
    """The exact decimal of a fraction whose denominator is 2^a·5^b; None for any other."""
    d = v.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    if d != 1:
        return None
    return Decimal(v.numerator) / Decimal(v.denominator)


def short(x: object) -> str | None:
    """``x`` exactly, when that is short: an integer, a decimal of at most ``MAX_SIG`` significant
    figures (a float whose shortest form is one), a short fraction (2/7); None otherwise."""
    v = exact(x)
    if v is None:
        return None
    if isinstance(v, int):
        return str(v)
    if isinstance(v, Fraction):
        dec = _terminating(v)
        if dec is not None and _sig_digits(dec) <= MAX_SIG:
            return _layout(dec)
        return _short_fraction(v)
    if not math.isfinite(v):
        return None
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    d = Decimal(repr(v))  # the shortest text that reads back as this float
    return _layout(d) if _sig_digits(d) <= MAX_SIG else None


def number(x: object, sig: int = SIG) -> str:
    """A value inside a line of text (a prompt, a worked step, a matrix entry): exact where
    short (3, 0.25, 2/7), else to ``sig`` significant figures (0.7311)."""
    s = short(x)
    return s if s is not None else approx(x, sig)


def display(x: object, closed: str | None = None) -> str:
    """A key's value shown on its own: ``3``, ``0.25``, ``0.7311``; a fraction that is not a short
    decimal with its decimal beside it, ``2/7 ≈ 0.2857``; with ``closed`` (the exact closed form's
    text), ``-ln(7/10 - 1/(10*(1 + e))) ≈ 0.3959``."""
    if closed:
        return f"{closed} ≈ {approx(x)}"
    text = number(x)
    return f"{text} ≈ {approx(x)}" if "/" in text else text


__all__ = ["SIG", "MAX_SIG", "exact", "short", "number", "approx", "display"]
