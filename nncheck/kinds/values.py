"""Key values as every kind reads them: floats, shapes, exact rationals, answer-language text.

A solver's value may be a Python int, float or Fraction, a SymPy number, expression or
Matrix, a NumPy scalar or array, or nested lists.  These helpers turn any of them into
what a kind needs, importing SymPy only when the value is a SymPy object (the quiz
imports this module before SymPy is loaded).
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache
from typing import Any


# ----------------------------------------------------------------------------
# Numbers and shapes.
# ----------------------------------------------------------------------------
def to_float(x: Any) -> float:
    """A value as a float (SymPy values are evaluated to 30 digits first); a value beyond the
    float range raises OverflowError."""
    if isinstance(x, bool):
        return float(x)
    if isinstance(x, (int, Fraction, float)):
        return float(x)
    if is_sympy(x) and not x.is_Number:
        return _closed_form_float(x)
    return _evaluated_float(x)


@lru_cache(maxsize=4096)
def _closed_form_float(x: Any) -> float:
    """A SymPy closed form's float, worked out once a process: the key checks each mistake against it,
    the key cache stores it and the grader compares every answer with it, and each is an evaluation."""
    return _evaluated_float(x)


def _evaluated_float(x: Any) -> float:
    try:
        return float(x)
    except TypeError:
        import sympy

        return float(sympy.N(x, 30))


def float_or_inf(x: Any) -> float:
    """A value as a float; an exact value beyond the float range (1e400) becomes ±inf, never an error."""
    try:
        return to_float(x)
    except OverflowError:
        return math.copysign(math.inf, 1 if x > 0 else -1)


def to_list(x: Any) -> Any:
    """A vector/matrix value (SymPy Matrix, NumPy array, list) as nested lists."""
    if hasattr(x, "tolist"):
        x = x.tolist()
    return x


def flat_shape(x: Any) -> tuple[list[Any], tuple[int, ...]]:
    """(the entries in row order, the shape): ``(n,)`` for a vector, ``(r, c)`` for a matrix, ``()`` for a scalar."""
    x = to_list(x)
    if isinstance(x, list):
        if x and isinstance(x[0], list):
            return [v for r in x for v in r], (len(x), len(x[0]))
        return list(x), (len(x),)
    return [x], ()


class KeyNumber:
    """A key's number that is not rational (``ln(2)/3``, ``1/(1 + e^-2)``, a SymPy Float), held without
    SymPy, as the key cache (:mod:`nncheck.key.cache`) stores it.  Every phase of grading reads it as
    it reads the SymPy value it was made from: ``float()`` gives that value's float, ``digits`` its
    value to :data:`nncheck.kinds.tolerance.KEY_DIGITS` digits (the rounding rule), ``text`` its exact
    form in the answer language (:func:`number_text`, shown in feedback)."""

    __slots__ = ("text", "value", "digits")

    def __init__(self, text: str, value: float, digits: Fraction | None) -> None:
        self.text, self.value, self.digits = text, value, digits

    def __float__(self) -> float:
        return self.value

    def __repr__(self) -> str:
        return f"KeyNumber({self.text!r}, {self.value!r})"


def is_sympy(x: Any) -> bool:
    """Is ``x`` a SymPy object?  (Without importing SymPy: no SymPy object exists before it is imported.)"""
    sympy = sys.modules.get("sympy")
    return sympy is not None and isinstance(x, sympy.Basic)


def exact_fraction(v: Any) -> Fraction | None:
    """A key value as an exact Fraction when it is rational (int, Fraction, finite float, SymPy Rational)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, Fraction)):
        return Fraction(v)
    if isinstance(v, float):
        return Fraction(v) if math.isfinite(v) else None
    p, q = getattr(v, "p", None), getattr(v, "q", None)
    if isinstance(p, int) and isinstance(q, int) and getattr(v, "is_Rational", False):
        return Fraction(p, q)
    return None


def close(a: float, b: float, rel: float, abs_: float) -> bool:
    """Symmetric closeness, for comparing two computations of one value (not for grading)."""
    if math.isnan(a) or math.isnan(b):
        return False
    return abs(a - b) <= max(abs_, rel * max(abs(a), abs(b)))


def sample_point(symbols: dict[str, str], rng: random.Random) -> dict[str, Any]:
    """A random point in each symbol's declared domain."""
    from nncheck.lang.domains import sample

    return {name: sample(domain, rng) for name, domain in symbols.items()}


# ----------------------------------------------------------------------------
# Text in the answer language.
# ----------------------------------------------------------------------------
def expr_text(e: Any) -> str:
    """A SymPy expression printed in the answer language (``^`` for powers)."""
    from nncheck.lang.printer import to_answer_text

    return to_answer_text(e)


def sympy_text(x: Any) -> str:
    """A SymPy value in the answer language.

    The shared printer writes Euler's number as ``E`` when it is not raised to a power
    (``E/(1 + E)``), which the answer language does not know; it is ``e`` here.
    """
    import re

    from nncheck.topics.base import as_sympy

    text = expr_text(x)
    names = {s.name for s in getattr(as_sympy(x), "free_symbols", ())}
    if "E" not in names:
        text = re.sub(r"\bE\b", "e", text)
    return text


def number_text(x: Any) -> str:
    """One exact number in the answer language: 3, 1/3, 0.25, ln(2)/3, or a float's repr."""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    if isinstance(x, float):
        x = float(x)  # np.float64 is a float whose repr is 'np.float64(…)'
        return str(int(x)) if x.is_integer() and abs(x) < 2**53 else repr(x)
    if isinstance(x, KeyNumber):
        return x.text
    if is_sympy(x):
        if x.is_Integer:
            return str(int(x))
        if x.is_Rational:
            return f"{int(x.p)}/{int(x.q)}"
        if x.is_Float:
            return repr(float(x))
        return sympy_text(x)
    f = float(x)  # NumPy scalars (whose repr is 'np.float64(…)')
    return str(int(f)) if f.is_integer() and abs(f) < 2**53 else repr(f)


# ----------------------------------------------------------------------------
# JSON.
# ----------------------------------------------------------------------------
def json_number(x: Any) -> Any:
    """A number (or nested list of numbers) as JSON: exact integers stay ints, everything else a float."""
    from nncheck.generate.variant import json_value

    if isinstance(x, list):
        return [json_number(v) for v in x]
    if isinstance(x, bool):
        return x
    if isinstance(x, int):
        return x
    if isinstance(x, Fraction):
        return json_value(x)
    if _is_sympy_integer(x):
        return int(x)
    f = to_float(x)
    return int(f) if f.is_integer() and abs(f) < 2**53 and _is_exact_int(x) else f


def _is_sympy_integer(x: Any) -> bool:
    return is_sympy(x) and bool(x.is_Integer)


def _is_exact_int(x: Any) -> bool:
    return _is_sympy_integer(x) or isinstance(x, int)


# ----------------------------------------------------------------------------
# Terminal display.
# ----------------------------------------------------------------------------
def display_number(x: Any) -> Any:
    """A key entry as the terminal views print it: SymPy rationals as Fractions, integral floats as ints."""
    if isinstance(x, KeyNumber):
        return float(x)  # as a SymPy closed form is shown
    if is_sympy(x):
        if x.is_Integer:
            return int(x)
        if x.is_Rational:
            return Fraction(int(x.p), int(x.q))
        return float(x)
    if isinstance(x, float) and x.is_integer():
        return int(x)
    return x


# ----------------------------------------------------------------------------
# The two computations of a numeric key.
# ----------------------------------------------------------------------------
def agree_numeric(exact: Any, numeric: Any, *, rel: float, abs_: float, vector: bool = False) -> tuple[bool, str]:
    """Do two numeric values (scalars or arrays) agree entry by entry?  ``vector``: compare lengths only
    (a row and a column are the same vector)."""
    a, sa = flat_shape(exact)
    b, sb = flat_shape(numeric)
    if vector:
        sa, sb = (len(a),), (len(b),)
    if sa != sb:
        return False, f"shapes {sa} vs {sb}"
    for i, (x, y) in enumerate(zip(a, b)):
        fx, fy = to_float(x), to_float(y)
        if not close(fx, fy, rel, abs_):
            where = f" at entry {i + 1}" if len(a) > 1 else ""
            return False, f"SymPy gives {fx!r}, NumPy gives {fy!r}{where}"
    return True, ""


def remembered(memo: dict, key: Any, compute: Callable[[], Any], size: int = 4096) -> Any:
    """``compute()``, remembered in ``memo`` under ``key`` (None: not remembered).  For comparisons that
    are deterministic in their hashable inputs (a fixed sampling seed): the same inputs give the same
    answer, so a key's comparison of fixed texts or expressions is paid once per process.  Bounded:
    the memo is emptied when it reaches ``size`` entries."""
    if key is None:
        return compute()
    hit = memo.get(key)
    if hit is None:
        if len(memo) >= size:
            memo.clear()
        hit = memo[key] = compute()
    return hit
