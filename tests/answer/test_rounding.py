"""Numbers read the way people round them, decimal commas, and exact integers.

The mechanisms of ``nncheck.kinds.tolerance`` (the window, or the key correctly rounded to
the significant figures written, with a minimum), as the number, vector and matrix kinds
apply them; the decimal-comma reading of array and number answers; and exactness of
closed forms typed for integer parts.  The rounding tests draw keys at random and build
the answers from the key with Python's ``decimal`` module, an implementation of rounding
independent of the one under test.
"""

from __future__ import annotations

import decimal
import random
from fractions import Fraction

import pytest
import sympy

from nncheck.kinds import grade_answer
from nncheck.kinds.number import same_integer
from nncheck.kinds.tolerance import (
    close_enough,
    describe_tolerance,
    literal_figures,
    literal_sigfigs,
    roundings,
    tolerance_spec,
    written_number,
)
from nncheck.lang.syntax import parse

NUM = {"kind": "number"}
VEC = {"kind": "vector"}
MAT = {"kind": "matrix"}
INT = {"kind": "integer"}
TWO_SEVENTHS = sympy.Rational(2, 7)


def _decimal(x: Fraction, n: int, mode: str) -> tuple[str, Fraction]:
    """``x`` to ``n`` significant figures with ``decimal``'s rounding ``mode``, in plain notation,
    and the value of one unit in its last figure."""
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        d = decimal.Decimal(x.numerator) / decimal.Decimal(x.denominator)
        exp = d.adjusted() - n + 1
        r = d.quantize(decimal.Decimal(1).scaleb(exp), rounding=mode)
        if r.adjusted() > d.adjusted():  # 0.0996 → 0.100: the carry made a figure; 0.10 has two
            exp += 1
            r = d.quantize(decimal.Decimal(1).scaleb(exp), rounding=mode)
    # Whole numbers in scientific notation, so that trailing zeros say how many figures they are.
    return format(r, "f" if exp < 0 else "e"), Fraction(10) ** exp


def _keys(count: int, seed: int) -> list[Fraction]:
    """Random rational keys across magnitudes and signs, none a short decimal."""
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        x = Fraction(rng.randint(1, 10**9), rng.randint(1, 10**9)) * Fraction(10) ** rng.randint(-4, 4)
        if len(str(x.denominator).rstrip("0")) > 2:
            out.append(x if rng.random() < 0.7 else -x)
    return out


# ----------------------------------------------------------------------------
# Counting the figures written.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("text,n", [
    ("0.29", 2), ("0.290", 3), (".29", 2), ("-0.0029", 2), ("2.9e-1", 2), ("2.90E-1", 3), ("29e-2", 2),
    ("290", 2), ("290.", 3), ("2.90e2", 3), ("3", 1), ("1.0", 2), ("100.0", 4), ("0", None), ("0.000", None),
])
def test_significant_figures_are_counted_as_written(text, n):
    assert literal_sigfigs(text) == n


def test_trailing_zeros_of_a_whole_number_are_read_as_either():
    assert literal_figures("290") == (2, 3) and literal_figures("290.") == (3, 3)
    assert literal_figures("2.90e2") == (3, 3) and literal_figures("3000") == (1, 4)
    for text, key, status in [("290", Fraction(2873, 10), "correct"), ("300", 296, "correct"),
                              ("290", Fraction(2906, 10), "correct"), ("290.", Fraction(2873, 10), "incorrect"),
                              ("300", 260, "incorrect"), ("40", Fraction(3959, 100), "correct")]:
        v = grade_answer(NUM, sympy.Rational(key), text)
        assert v.status == status, (text, key, v)
    assert grade_answer(NUM, 260, "300").mistake == "rounded-too-far"


@pytest.mark.parametrize("text,value,n", [
    ("0.29", Fraction(29, 100), 2), ("-0.29", Fraction(-29, 100), 2), ("2.9*10^-1", Fraction(29, 100), 2),
    ("2.9 × 10⁻¹", Fraction(29, 100), 2), ("-(2.90*10^(-1))", Fraction(-29, 100), 3), ("5.5e1", 55, 2),
])
def test_decimals_and_scientific_notation_are_written_numbers(text, value, n):
    w = written_number(parse(text, symbols=(), transpose=False))
    assert w is not None and (w.value, w.sigfigs) == (value, n)


@pytest.mark.parametrize("text", ["2/7", "29/100", "ln(2)/3", "0.29 + 0", "sqrt(0.09)", "2.9*10^k0", "0"])
def test_fractions_closed_forms_and_expressions_are_exact_not_rounded(text):
    try:
        node = parse(text, symbols=(), transpose=False)
    except Exception:  # noqa: BLE001 - an unreadable text has no written figures either
        return
    assert written_number(node) is None


# ----------------------------------------------------------------------------
# Correct rounding.
# ----------------------------------------------------------------------------
def test_every_correct_rounding_with_enough_figures_is_accepted():
    for x in _keys(300, seed=1):
        for n in (2, 3, 4, 6):
            text, _ = _decimal(x, n, decimal.ROUND_HALF_EVEN)
            v = grade_answer(NUM, sympy.Rational(x.numerator, x.denominator), text)
            assert v.status == "correct", (x, text, v)


def test_one_unit_off_in_the_last_figure_is_wrong_unless_inside_the_window():
    tol = tolerance_spec(NUM)
    for x in _keys(300, seed=2):
        for n in (2, 3):
            text, unit = _decimal(x, n, decimal.ROUND_HALF_EVEN)
            for off in (Fraction(decimal.Decimal(text)) + unit, Fraction(decimal.Decimal(text)) - unit):
                with decimal.localcontext() as ctx:
                    ctx.prec = 60
                    q = decimal.Decimal(unit.numerator) / decimal.Decimal(unit.denominator)
                    d = (decimal.Decimal(off.numerator) / decimal.Decimal(off.denominator)).quantize(q)
                typed = format(d, "f" if unit < 1 else "e")
                v = grade_answer(NUM, sympy.Rational(x.numerator, x.denominator), typed)
                inside = close_enough(float(off), float(x), tol)  # the window (±0.5% or ±1e-6)
                assert (v.status == "correct") == inside, (x, typed, v)


def test_exact_halves_accept_either_neighbour_and_nothing_else():
    assert roundings(Fraction(1, 8), 2) == {Fraction(12, 100), Fraction(13, 100)}
    part = {"kind": "number", "tolerance": {"rel": 0.001}}  # a window too narrow to decide it
    for key, ok, bad in [("0.125", ("0.12", "0.13"), ("0.11", "0.14")),
                         ("-0.0135", ("-0.013", "-0.014"), ("-0.012", "-0.015")),
                         ("2.5", (), ("2", "3"))]:  # 2 and 3 have one figure: rounded too far
        k = sympy.Rational(key)
        for text in ok:
            assert grade_answer(part, k, text).status == "correct", (key, text)
        for text in bad:
            assert grade_answer(part, k, text).status == "incorrect", (key, text)


def test_truncation_is_a_named_slip():
    for x in _keys(200, seed=3):
        for n in (2, 3):
            cut, _ = _decimal(x, n, decimal.ROUND_DOWN)
            if cut == _decimal(x, n, decimal.ROUND_HALF_EVEN)[0]:
                continue  # the digit cut off was below 5: truncating is rounding here
            v = grade_answer({"kind": "number", "tolerance": {"rel": 1e-6}}, sympy.Rational(x.numerator, x.denominator),
                             cut)
            assert v.status == "incorrect" and v.mistake == "truncated", (x, cut, v)


def test_rounded_too_far_is_incorrect_and_named():
    for x in _keys(200, seed=4):
        text, _ = _decimal(x, 1, decimal.ROUND_HALF_EVEN)
        v = grade_answer(NUM, sympy.Rational(x.numerator, x.denominator), text)
        if v.status == "correct":
            # Only the window accepts a single figure.
            assert close_enough(float(decimal.Decimal(text)), float(x), tolerance_spec(NUM)), (x, text)
            continue
        assert v.mistake == "rounded-too-far" and "give at least 2" in v.feedback, (x, text, v)


def test_the_feedback_says_the_answer_was_read_as_rounded():
    v = grade_answer(NUM, TWO_SEVENTHS, "0.29")
    assert v.status == "correct"
    assert v.feedback == "Correct: 0.29 is 2/7 = 0.285714… to 2 significant figures: accepted; give 3 to be safe."
    v = grade_answer(NUM, TWO_SEVENTHS, "0.3")
    assert v.status == "incorrect" and v.mistake == "rounded-too-far"
    assert v.feedback.startswith("rounded too far") and "give at least 2" in v.feedback
    assert grade_answer(NUM, TWO_SEVENTHS, "0.286").feedback == "Correct (within ±0.5%)."


def test_a_part_may_raise_the_minimum():
    raised = {"kind": "number", "tolerance": {"min_sigfigs": 3}}
    assert grade_answer(raised, TWO_SEVENTHS, "0.29").mistake == "rounded-too-far"
    assert grade_answer(raised, TWO_SEVENTHS, "0.286").status == "correct"
    assert tolerance_spec(raised)["rel"] == 0.005  # the window keeps its default
    # A part asking for N significant figures asks for at least N of them.
    assert grade_answer({"kind": "number", "tolerance": {"sigfigs": 3}}, TWO_SEVENTHS, "0.29").status == "incorrect"
    assert tolerance_spec({"tolerance": {"sigfigs": 4}})["min_sigfigs"] == 4


def test_the_rule_is_stated_once_in_words():
    assert describe_tolerance(tolerance_spec(NUM)) == (
        "within ±0.5%, or correctly rounded to at least 2 significant figures")
    assert describe_tolerance(tolerance_spec({"tolerance": {"rel": 0.01, "min_sigfigs": 3}})) == (
        "within ±1%, or correctly rounded to at least 3 significant figures")
    # To N significant figures: every correct rounding to N or more is inside that window already.
    assert describe_tolerance(tolerance_spec({"tolerance": {"sigfigs": 3}})) == "to 3 significant figures"
    v = grade_answer(NUM, TWO_SEVENTHS, "0.25")
    assert v.feedback == f"Incorrect (accepted {describe_tolerance(tolerance_spec(NUM))})."


def test_sign_flips_and_declared_mistakes_are_recognised_when_rounded():
    v = grade_answer(NUM, TWO_SEVENTHS, "-0.29")
    assert v.mistake == "sign-flipped"
    mistakes = [("union-as-sum", "the union counts the overlap twice", sympy.Rational(4, 18))]
    v = grade_answer(NUM, TWO_SEVENTHS, "0.22", mistakes)  # 2/9 = 0.2222 to 2 figures
    assert v.status == "incorrect" and v.mistake == "union-as-sum"


# ----------------------------------------------------------------------------
# Vectors and matrices: entry by entry.
# ----------------------------------------------------------------------------
SOFTMAX_2_0 = sympy.Matrix([sympy.exp(2) / (1 + sympy.exp(2)), 1 / (1 + sympy.exp(2))])


@pytest.mark.parametrize("text", ["[0.88, 0.12]", "[0.881, 0.12]", "0.88 0.12", "[0.88; 0.12]", "[0.88, 0.12]'",
                                  "[8.8e-1, 1.19*10^-1]", "[0.8808, 0.1192]"])
def test_vector_entries_are_read_one_by_one(text):
    v = grade_answer(VEC, SOFTMAX_2_0, text)
    assert v.status == "correct", v


def test_vector_entries_have_their_own_figures_and_slips():
    v = grade_answer(VEC, SOFTMAX_2_0, "[0.88, 0.11]")
    assert v.status == "incorrect" and v.score == 0.5 and v.mistake == "truncated"
    assert [d.get("mistake") for d in v.details] == [None, "truncated"]
    v = grade_answer(VEC, SOFTMAX_2_0, "[0.9, 0.1]")
    assert v.status == "incorrect" and v.mistake == "rounded-too-far"
    v = grade_answer(VEC, SOFTMAX_2_0, "[0.9, 0.5]")
    assert v.status == "incorrect" and v.mistake is None  # not every wrong entry is a slip of rounding
    v = grade_answer(VEC, SOFTMAX_2_0, "[-0.88, -0.12]")
    assert v.mistake == "sign-flipped"
    v = grade_answer(VEC, SOFTMAX_2_0, "[0.88, 0.12]")
    assert [d.get("rounded_to") for d in v.details] == [None, 2] and "give 3 to be safe" in v.feedback


def test_matrix_entries_and_the_transpose():
    key = sympy.Matrix([[sympy.Rational(2, 7), sympy.Rational(1, 3)], [sympy.Rational(5, 3), 7]])
    assert grade_answer(MAT, key, "[[0.29, 0.33], [1.7, 7]]").status == "correct"
    assert grade_answer(MAT, key, "[0.29 1.7; 0.33 7]'").status == "correct"
    v = grade_answer(MAT, key, "[[0.29, 1.7], [0.33, 7]]")
    assert v.mistake == "transposed"
    # Arithmetic on a whole array writes no entry as such: only the window applies.
    assert grade_answer(VEC, SOFTMAX_2_0, "[0.88, 0.12]*1").status == "incorrect"


# ----------------------------------------------------------------------------
# Decimal commas.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("part,key,text", [
    (NUM, TWO_SEVENTHS, "0,29"),
    (VEC, SOFTMAX_2_0, "[0,881, 0,119]"),
    (VEC, SOFTMAX_2_0, "[0,88 0,12]"),
    (VEC, SOFTMAX_2_0, "0,881; 0,119"),
    (VEC, sympy.Matrix([sympy.Rational(1, 2), 1]), "[0,5, 1]"),
    (MAT, sympy.Matrix([[sympy.Rational(1, 2), 2], [3, sympy.Rational(1, 4)]]), "[[0,5, 2], [3, 0,25]]"),
])
def test_a_decimal_comma_is_invalid_with_a_hint(part, key, text):
    v = grade_answer(part, key, text)
    assert v.status == "invalid" and not v.costs_attempt, v
    assert "decimal point" in v.error.message and v.error.caret() is not None


def test_commas_that_separate_entries_are_never_refused():
    """Every answer of the expected shape typed with tight commas is graded, right or wrong."""
    rng = random.Random(5)
    for _ in range(200):
        n = rng.randint(1, 5)
        key = [rng.randint(0, 3) for _ in range(n)]
        typed = key if rng.random() < 0.5 else [rng.randint(0, 3) for _ in range(n)]
        text = "[" + ",".join(map(str, typed)) + "]"
        v = grade_answer(VEC, sympy.Matrix(key), text)
        assert v.status == ("correct" if typed == key else "incorrect"), (key, text, v)
    assert grade_answer(VEC, sympy.Matrix([0, 1]), "[0,1]").status == "correct"
    # A wrong shape that a decimal reading does not fix either stays a wrong shape.
    assert grade_answer(VEC, SOFTMAX_2_0, "[0,1,2]").status == "incorrect"
    # Commas inside a function's arguments are commas.
    assert grade_answer(NUM, 29, "max(0,29)").status == "correct"


def test_an_integer_with_a_thousands_separator_is_told_to_drop_it():
    v = grade_answer(INT, 1000, "1,000")
    assert v.status == "invalid" and "1000" in v.error.message


# ----------------------------------------------------------------------------
# Integer parts: exact values only.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["32", "32.0", "64/2", "2^5", "sqrt(1024)", "exp(ln(32))", "e^(ln 32)",
                                  "ln(2^32)/ln(2)", "ln(e^32)", "16*2*sigma(0)*2"])
def test_a_closed_form_that_is_the_integer_is_correct(text):
    assert grade_answer(INT, 32, text).status == "correct"


@pytest.mark.parametrize("text", ["32 + exp(-25)", "32 - exp(-40)", "32 + exp(-2000)", "32*(1 + exp(-100))",
                                  "ln(2^32)/ln(2) + exp(-3000)", "32.0000000001"])
def test_a_closed_form_that_only_rounds_to_the_integer_is_incorrect(text):
    v = grade_answer(INT, 32, text)
    assert v.status == "incorrect", v


def test_a_closed_form_that_cannot_be_decided_is_invalid_not_correct(monkeypatch):
    # (e + 1)(e − 1) − e² + 33 is 32 only once expanded; without simplification there is no proof,
    # and no verdict either way.
    text = "(e + 1)*(e - 1) - e^2 + 33"
    assert grade_answer(INT, 32, text).status == "correct"
    monkeypatch.setattr(sympy, "simplify", lambda e, *a, **k: e)
    v = grade_answer(INT, 32, text)
    assert v.status == "invalid" and "type the number itself" in v.error.message


def test_computed_values_are_compared_exactly_too():
    assert same_integer(sympy.log(sympy.exp(5)), 5)
    assert not same_integer(5 + sympy.exp(-100), 5)
    assert not same_integer(5.000000001, 5)
    assert same_integer(Fraction(10, 2), sympy.Integer(5))
