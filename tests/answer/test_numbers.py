"""The numbers policy (``nncheck.lang.numbers``): exact where short, else 4 significant figures.

The expected texts are written out by hand from the rule; the random checks compare with
Python's ``decimal`` module, an implementation of rounding independent of the one under test.
"""

from __future__ import annotations

import decimal
import random
import subprocess
import sys
from fractions import Fraction

import pytest
import sympy

from nncheck import kinds
from nncheck.kinds.base import long_decimals
from nncheck.lang.numbers import approx, display, number, short
from nncheck.lang.template import fmt_number, plain_number


@pytest.mark.parametrize("value, text", [
    (3, "3"), (-2, "-2"), (10**12, "1000000000000"),
    (Fraction(1, 8), "0.125"), (Fraction(109, 2), "54.5"), (Fraction(2, 7), "2/7"),
    (Fraction(-1, 3), "-1/3"), (Fraction(12345, 67891), "0.1818"),
    (0.25, "0.25"), (0.001, "0.001"), (1.5232, "1.5232"), (2.0, "2"), (0.1 + 0.2, "0.3"),
    (0.7310585786300049, "0.7311"), (-1.0097157521145779, "-1.01"), (0.04742587317756678, "0.04743"),
    (12345.678, "12346"), (1234567.89, "1.235e6"), (1e-7, "1e-7"), (2.5e-5, "2.5e-5"),
    (sympy.Rational(2, 7), "2/7"), (sympy.Integer(-5), "-5"), (sympy.log(2), "0.6931"),
    (sympy.Float(0.1), "0.1"),
])
def test_number_is_exact_where_short_else_four_figures(value, text):
    assert number(value) == text


@pytest.mark.parametrize("value, closed, text", [
    (Fraction(2, 7), None, "2/7 ≈ 0.2857"),
    (Fraction(1, 4), None, "0.25"),
    (7, None, "7"),
    (0.7310585786300049, None, "0.7311"),
    (-sympy.log(Fraction(7, 10) - 1 / (10 * (1 + sympy.E))), "-ln(7/10 - 1/(10*(1 + e)))",
     "-ln(7/10 - 1/(10*(1 + e))) ≈ 0.3959"),
])
def test_display_gives_a_fraction_or_closed_form_its_decimal(value, closed, text):
    assert display(value, closed) == text


def test_approx_rounds_as_decimal_does():
    rng = random.Random(5)
    for _ in range(2000):
        x = rng.uniform(-1, 1) * 10 ** rng.randint(-3, 5)
        got = approx(x)
        want = decimal.Decimal(x).quantize(decimal.Decimal(1).scaleb(decimal.Decimal(abs(x)).adjusted() - 3),
                                           rounding=decimal.ROUND_HALF_EVEN)
        if abs(x) >= 1000:  # every digit before the point stays
            want = decimal.Decimal(x).quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_EVEN)
        assert decimal.Decimal(got) == want, (x, got, want)
        assert not long_decimals(got)


def test_short_refuses_what_is_long():
    assert short(0.7310585786300049) is None
    assert short(Fraction(1234, 56789)) is None
    assert short(Fraction(1234567, 10**7)) is None  # seven figures: more than six
    assert short(float("nan")) is None


def test_templates_use_the_policy_with_a_true_minus():
    assert fmt_number(-0.7310585786300049) == "−0.7311"
    assert fmt_number(Fraction(-2, 7)) == "−2/7"
    assert fmt_number(1e-7) == "1e−7"
    assert plain_number(-0.7310585786300049) == "-0.7311"
    assert fmt_number(True) == "true" and fmt_number("x") == "x"


def test_the_module_stays_light():
    """Templates and `show` format numbers on the fast path: no SymPy, NumPy or typing."""
    code = "import sys, nncheck.lang.numbers, nncheck.lang.template; " \
           "print(sorted(m for m in ('sympy', 'numpy', 'typing') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ----------------------------------------------------------------------------
# The kinds: display, one-line reading, and the "type …" text that still grades correct.
# ----------------------------------------------------------------------------
def test_number_kind_shows_closed_forms_and_fractions_with_their_decimal():
    k = kinds.get("number")
    assert k.display(sympy.log(2) / 3) == "ln(2)/3 ≈ 0.231"
    assert k.display(sympy.Rational(2, 7)) == "2/7 ≈ 0.2857"
    assert k.display(0.7310585786300049) == "0.7311"
    assert k.readable(None) == "none"


def test_arrays_read_on_one_line():
    assert kinds.get("matrix").readable([[0.7310585786300049, Fraction(1, 2)], [2, -1.0097157521145779]]) \
        == "[[0.7311, 0.5], [2, -1.01]]"
    assert kinds.get("vector").readable([sympy.log(2), 3]) == "[0.6931, 3]"


@pytest.mark.parametrize("kind, part, value", [
    ("number", {"kind": "number"}, 0.7310585786300049),
    ("vector", {"kind": "vector"}, [0.7310585786300049, -0.0889513447455263, 1]),
    ("matrix", {"kind": "matrix"}, [[0.8807970779778824, 0.5]]),
])
def test_typed_key_is_short_and_graded_correct(kind, part, value):
    k = kinds.get(kind)
    full = k.key_text(part, value)
    typed = k.typed(part, value)
    assert long_decimals(full) and not long_decimals(typed)
    assert kinds.grade_answer(part, value, typed).status == "correct"


@pytest.mark.parametrize("sigfigs, typed", [(5, "0.73106"), (6, "0.731059")])
def test_typed_key_keeps_the_digits_a_tight_tolerance_needs(sigfigs, typed):
    part = {"kind": "number", "tolerance": {"sigfigs": sigfigs}}
    assert kinds.get("number").typed(part, 0.7310585786300049) == typed
    assert kinds.grade_answer(part, 0.7310585786300049, typed).status == "correct"
    assert kinds.grade_answer(part, 0.7310585786300049, "0.7311").status != "correct"
