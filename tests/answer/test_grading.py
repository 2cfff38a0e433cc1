"""Verdicts for every answer kind: correct / incorrect / invalid, "parsed as", tolerance, mistakes."""

from __future__ import annotations

import json

import pytest
import sympy

from nncheck.answer.verdict import Verdict
from nncheck.key.grade import grade
from nncheck.kinds import grade_answer
from nncheck.kinds.tolerance import describe_tolerance
from nncheck.lang.sympy_backend import make_symbol, sigma

XI = make_symbol("xi", "real")
H = make_symbol("h", "(0,1)")
NUM = {"kind": "number"}


# ----------------------------------------------------------------------------
# Numbers.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("text,status,parsed", [
    ("0.8808", "correct", "0.8808"),
    ("1/(1+exp(-2))", "correct", "1/(1 + exp(-2))"),
    ("sigma(2)", "correct", "sigma(2)"),
    ("exp(2)/(1 + exp(2))", "correct", "exp(2)/(1 + exp(2))"),
    ("0.88", "correct", "0.88"),  # within ±0.5%
    ("0.87", "incorrect", "0.87"),
    ("88%", "invalid", None),
])
def test_closed_forms_and_decimals(text, status, parsed):
    v = grade_answer(NUM, 1 / (1 + sympy.exp(-2)), text)
    assert v.status == status and v.parsed_as == parsed


def test_tolerance_is_said_in_plain_words():
    v = grade_answer(NUM, sympy.log(2) / 3, "0.2310")
    rule = "within ±0.5%, or correctly rounded to at least 2 significant figures"
    assert v.status == "correct" and v.feedback == "Correct (within ±0.5%)." and v.tolerance == rule
    v = grade_answer({"kind": "number", "tolerance": {"rel": 0.01}}, sympy.log(2) / 3, "0.22")
    assert v.status == "incorrect"
    assert v.feedback == "Incorrect (accepted within ±1%, or correctly rounded to at least 2 significant figures)."
    assert describe_tolerance({"sigfigs": 3}) == "to 3 significant figures"
    assert describe_tolerance({"abs": 0.01}) == "within ±0.01"
    assert describe_tolerance({}) == "exactly"


def test_closed_form_key_ln2_over_3():
    assert grade_answer(NUM, sympy.log(2) / 3, "ln(2)/3").status == "correct"
    assert grade_answer(NUM, sympy.log(2) / 3, "log(2)/3").status == "correct"
    assert grade_answer(NUM, sympy.log(2) / 3, "ln(3)/2").status == "incorrect"


def test_significant_figures():
    part = {"kind": "number", "tolerance": {"sigfigs": 3}}
    assert grade_answer(part, sympy.Rational(12345, 100000), "0.123").status == "correct"
    assert grade_answer(part, sympy.Rational(12345, 100000), "0.124").status == "incorrect"


def test_absolute_tolerance_near_zero():
    part = {"kind": "number", "tolerance": {"abs": 0.001}}
    assert grade_answer(part, 0, "0.0004").status == "correct"
    assert grade_answer(part, 0, "0.004").status == "incorrect"


def test_sign_flipped_number():
    v = grade_answer(NUM, sympy.Rational(-3, 4), "0.75")
    assert v.status == "incorrect" and v.mistake == "sign-flipped" and "sign flipped" in v.feedback


def test_declared_mistake_is_named():
    mistakes = [("dropped-1-over-n", "dropped the 1/n: divide the sum by n", sympy.Integer(10))]
    v = grade_answer(NUM, sympy.Integer(5), "10", mistakes)
    assert v.mistake == "dropped-1-over-n" and v.feedback.startswith("dropped the 1/n")


def test_numpy_scalar_mistakes_are_named():
    np = pytest.importorskip("numpy")
    v = grade_answer(NUM, 5, "3.5", [("margin-forgotten", "the +1 margin is missing", np.float64(3.5))])
    assert v.mistake == "margin-forgotten"


def test_number_answers_reject_lists_and_symbols():
    v = grade_answer(NUM, 1, "[1, 2]")
    assert v.status == "invalid" and v.error.message == "expected a single number, not a list"
    v = grade_answer(NUM, 1, "x")
    assert v.status == "invalid" and "this answer takes numbers only" in v.error.message
    v = grade_answer(NUM, 1, "2'")
    assert v.status == "invalid" and "transpose" in v.error.message


def test_invalid_costs_no_attempt_and_carries_a_caret():
    v = grade_answer(NUM, 1, "2 +* 3")
    assert v.status == "invalid" and not v.costs_attempt and v.parsed_as is None
    assert v.caret() == "2 +* 3\n   ^ expected a value, found '*'"


@pytest.mark.parametrize("kind", ["number", "integer", "vector"])
def test_values_beyond_the_float_range_are_graded(kind):
    key = sympy.Matrix([1, 2]) if kind == "vector" else 1
    for text in ["1e400", "-1e400", "10^300*10^300", "[1e400, 1]", "1/1e400"]:
        v = grade_answer({"kind": kind}, key, text)
        assert v.status in ("incorrect", "invalid")
        json.dumps(v.to_json(), allow_nan=False)


def test_fuzz_findings_stay_fixed():
    # Found by Hypothesis: each used to raise instead of returning a verdict.
    assert grade_answer(NUM, 1, "e/1e-324").error.code == "too-complex"  # divisor underflows to 0.0
    x = {"kind": "expression", "symbols": {"x": "real"}}
    assert grade_answer(x, make_symbol("x"), "(11393*x)^1060").error.code == "too-complex"  # 4,300+ digits
    assert grade_answer(x, make_symbol("x"), "sqrt(-abs(x))").error.message.startswith("this has no real value")
    assert grade_answer(x, make_symbol("x"), "0^(-x)").error.code == "math"
    assert grade_answer({"kind": "choice", "choices": ["a", "b"]}, "a", "⁴").status == "invalid"


def test_math_errors_are_invalid():
    assert grade_answer(NUM, 1, "1/0").error.message == "division by zero"
    assert grade_answer(NUM, 1, "ln(-1)").error.message == "logarithm of a number that is not positive"
    assert grade_answer(NUM, 1, "sqrt(-4)").error.message == "square root of a negative number"


# ----------------------------------------------------------------------------
# Integers, booleans, choices, "none".
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("text,status", [("55", "correct"), ("55.0", "correct"), ("110/2", "correct"),
                                         ("5.5e1", "correct"), ("exp(ln(55))", "correct"), ("55.4", "incorrect"),
                                         ("54", "incorrect"), ("-55", "incorrect")])
def test_integer_is_exact(text, status):
    v = grade_answer({"kind": "integer"}, 55, text)
    assert v.status == status, v
    if text == "-55":
        assert v.mistake == "sign-flipped"


def test_big_integers_are_compared_exactly():
    big = 10**20 + 1
    assert grade_answer({"kind": "integer"}, sympy.Integer(big), str(big)).status == "correct"
    assert grade_answer({"kind": "integer"}, sympy.Integer(big), str(10**20)).status == "incorrect"


@pytest.mark.parametrize("text,shown,status", [("yes", "yes", "correct"), ("True", "yes", "correct"),
                                               ("no", "no", "incorrect"), ("maybe", None, "invalid")])
def test_boolean(text, shown, status):
    v = grade_answer({"kind": "boolean"}, True, text)
    assert (v.status, v.parsed_as) == (status, shown)


def test_boolean_mistake():
    v = grade_answer({"kind": "boolean"}, False, "yes", [("rounded", "a size was rounded", True)])
    assert v.mistake == "rounded"


def test_choice():
    part = {"kind": "choice", "choices": ["corner", "center"]}
    assert grade_answer(part, "center", "Center").status == "correct"
    assert grade_answer(part, "center", "2").parsed_as == "center"
    v = grade_answer(part, "center", "middle")
    assert v.status == "invalid" and v.error.message == "choose one of: corner, center"
    assert grade_answer(part, "center", "²").status == "invalid"  # a digit to str.isdigit, not to int()


def test_nullable_parts():
    part = {"kind": "integer", "nullable": True}
    assert grade_answer(part, None, "none").status == "correct"
    assert grade_answer(part, None, "does not fit").status == "correct"
    v = grade_answer(part, None, "27", [("rounded", "a non-integer size was rounded", 27)])
    assert v.status == "incorrect" and v.mistake == "rounded"
    v = grade_answer(part, 27, "none")
    assert v.status == "incorrect" and v.parsed_as == "none"


# ----------------------------------------------------------------------------
# Vectors and matrices.
# ----------------------------------------------------------------------------
VEC = {"kind": "vector"}
MAT = {"kind": "matrix"}
M23 = sympy.Matrix([[1, 2, 3], [4, 5, 6]])


@pytest.mark.parametrize("text", ["[1, 2, 3]", "[1 2 3]", "1 2 3", "1, 2, 3", "[1; 2; 3]", "[[1], [2], [3]]",
                                  "[1 2 3]'", "[3/3, 4/2, 0.3e1]"])
def test_vector_spellings(text):
    v = grade_answer(VEC, sympy.Matrix([1, 2, 3]), text)
    assert v.status == "correct", v


def test_vector_partial_credit_names_the_wrong_entries():
    v = grade_answer(VEC, sympy.Matrix([1, 2, 3, 4]), "[1, 0, 3, 0]")
    assert v.status == "incorrect" and v.score == 0.5
    assert v.feedback == ("2 of 4 entries correct; wrong: 2, 4 (accepted within ±0.5%, or correctly rounded to at "
                          "least 2 significant figures).")
    assert [d["correct"] for d in v.details] == [True, False, True, False]


def test_vector_shape_first():
    v = grade_answer(VEC, sympy.Matrix([1, 2, 3]), "[1, 2]")
    assert v.status == "incorrect" and v.feedback == "expected a vector of 3, got a vector of 2"


def test_vector_all_signs_flipped():
    v = grade_answer(VEC, sympy.Matrix([1, -2]), "[-1, 2]")
    assert v.mistake == "sign-flipped"


def test_matrix_transposed_shape_message():
    v = grade_answer(MAT, M23, "[1 4; 2 5; 3 6]")
    assert v.status == "incorrect" and v.feedback == "expected 2×3, got 3×2 — transposed?"
    assert v.mistake == "transposed"


def test_matrix_spellings():
    for text in ["[[1,2,3],[4,5,6]]", "[1 2 3; 4 5 6]", "[1, 2, 3; 4, 5, 6]", "[1 4; 2 5; 3 6]'",
                 "1 2 3; 4 5 6"]:
        assert grade_answer(MAT, M23, text).status == "correct", text


def test_square_matrix_transposed_is_named():
    v = grade_answer(MAT, sympy.Matrix([[1, 2], [3, 4]]), "[1 3; 2 4]")
    assert v.status == "incorrect" and v.mistake == "transposed" and v.score == 0.5


def test_matrix_partial_credit_and_entry_labels():
    v = grade_answer(MAT, sympy.Matrix([[1, 2], [3, 4]]), "[1 2; 3 5]")
    assert v.score == 0.75 and "wrong: (2,2)" in v.feedback


def test_matrix_given_as_a_flat_list():
    v = grade_answer(MAT, sympy.Matrix([[1, 2], [3, 4]]), "[1, 2, 3, 4]")
    assert v.status == "incorrect" and v.feedback.startswith("expected 2×2, got a vector of 4")


def test_matrix_declared_mistake():
    wrong = sympy.Matrix([[2, 4], [6, 8]])
    v = grade_answer(MAT, sympy.Matrix([[1, 2], [3, 4]]), "[2 4; 6 8]", [("doubled", "counted twice", wrong)])
    assert v.mistake == "doubled"


def test_json_form():
    v = grade_answer(MAT, sympy.Matrix([[1, 2], [3, 4]]), "[1 2; 3 5]")
    data = json.loads(json.dumps(v.to_json()))
    assert data["status"] == "incorrect" and data["entries"][3]["entry"] == [2, 2]
    bad = grade_answer(MAT, sympy.Matrix([[1, 2], [3, 4]]), "[1 2; 3]").to_json()
    assert bad["error"]["code"] == "syntax" and bad["error"]["position"] == 0 and "^" in bad["error"]["caret"]


# ----------------------------------------------------------------------------
# Expressions.
# ----------------------------------------------------------------------------
EXPR = {"kind": "expression", "symbols": {"xi": "real"}}
EXPR_H = {"kind": "expression", "symbols": {"h": "(0,1)"}}
SIG_PRIME = sigma(XI) * (1 - sigma(XI))


def test_expression_correct_and_read_as():
    v = grade_answer(EXPR, sympy.exp(-XI) / (1 + sympy.exp(-XI)) ** 2, "σ(ξ)(1−σ(ξ))")
    assert v.status == "correct" and v.parsed_as == "sigma(xi)*(1 - sigma(xi))"
    assert "shown exactly" in v.feedback


def test_expression_in_terms_of_h():
    assert grade_answer(EXPR_H, H * (1 - H), "h - h^2").status == "correct"
    v = grade_answer(EXPR_H, H * (1 - H), "1 - h^2")
    assert v.status == "incorrect" and v.feedback.startswith("Not equivalent: at h = ")


def test_counterexample_has_enough_digits():
    x = make_symbol("x", "real")
    part = {"kind": "expression", "symbols": {"x": "real"}}
    v = grade_answer(part, x**40 * (sigma(x) + sigma(-x)), "x^40 + 1")
    assert v.status == "incorrect"
    ys, es = v.feedback.rstrip(".").split(" yours gives ")[1].split(", expected ")
    assert ys != es


def test_expression_generic_mistakes():
    v = grade_answer(EXPR, SIG_PRIME, "-sigma(xi)*(1 - sigma(xi))")
    assert v.mistake == "sign-flipped"
    v = grade_answer(EXPR, SIG_PRIME, "2*sigma(xi)*(1 - sigma(xi))")
    assert v.mistake == "scaled" and "2 × the answer" in v.feedback


def test_expression_declared_mistake_forgot_sigma_prime():
    y = make_symbol("y", "real")
    part = {"kind": "expression", "symbols": {"xi": "real", "y": "real"}}
    key = (sigma(XI) - y) * sigma(XI) * (1 - sigma(XI))
    mistakes = [("forgot-sigma-prime", "forgot the σ′ factor", sigma(XI) - y)]
    v = grade_answer(part, key, "sigma(xi) - y", mistakes)
    assert v.status == "incorrect" and v.mistake == "forgot-sigma-prime"
    assert v.feedback.startswith("forgot the σ′ factor (at ")


def test_expression_mistake_ln_ratio():
    w, wa = make_symbol("w", "positive"), make_symbol("w_a", "positive")
    part = {"kind": "expression", "symbols": {"w": "positive", "w_a": "positive"}}
    mistakes = [("ratio-not-log", "w/w_a instead of ln(w/w_a)", w / wa)]
    v = grade_answer(part, sympy.log(w / wa), "w/w_a", mistakes)
    assert v.mistake == "ratio-not-log"
    assert grade_answer(part, sympy.log(w / wa), "ln(w) - ln(w_a)").status == "correct"


def test_expression_with_plain_solver_symbols_is_aligned():
    plain = sympy.Symbol("xi")  # a solver may build symbols without assumptions
    assert grade_answer(EXPR, sigma(plain) * (1 - sigma(plain)), "sigma(xi)*sigma(-xi)").status == "correct"


def test_expression_unknown_symbol_and_transpose_are_invalid():
    v = grade_answer(EXPR, SIG_PRIME, "sigma(x)")
    assert v.status == "invalid" and v.error.code == "unknown-name" and "this answer may use: xi" in v.error.message
    v = grade_answer(EXPR, SIG_PRIME, "xi'")
    assert v.status == "invalid"


def test_expression_answered_with_a_matrix():
    v = grade_answer(EXPR, SIG_PRIME, "[xi, 1]")
    assert v.status == "incorrect" and "not a vector or matrix" in v.feedback


def test_expression_too_complex_is_invalid():
    v = grade_answer(EXPR, SIG_PRIME, "exp(exp(exp(10)))")
    assert v.status == "invalid" and v.error.code == "too-complex" and v.too_complex


def test_jacobian_entries_with_partial_credit():
    x, y = make_symbol("x", "real"), make_symbol("y", "real")
    part = {"kind": "expression", "symbols": {"x": "real", "y": "real"}}
    key = sympy.Matrix([[2 * x, 1], [y, x]])
    assert grade_answer(part, key, "[2x 1; y x]").status == "correct"
    v = grade_answer(part, key, "[2x 1; y y]")
    assert v.status == "incorrect" and v.score == 0.75 and "wrong: (2,2)" in v.feedback
    v = grade_answer(part, key, "[2x y; 1 x]")
    assert v.mistake == "transposed"
    v = grade_answer(part, sympy.Matrix([[2 * x, 1, y]]), "[2x; 1; y]")
    assert v.status == "correct"  # a vector is a vector, row or column


def test_jacobian_shape_message():
    x = make_symbol("x", "real")
    part = {"kind": "matrix", "symbols": {"x": "real"}}
    v = grade_answer(part, sympy.Matrix([[x, 1, 2], [3, 4, 5]]), "[x 3; 1 4; 2 5]")
    assert v.feedback == "expected 2×3, got 3×2 — transposed?" and v.mistake == "transposed"


def test_symbolic_vector_part():
    part = {"kind": "vector", "symbols": {"xi": "real"}}
    key = sympy.Matrix([sigma(XI), SIG_PRIME])
    assert grade_answer(part, key, "sigma(xi), sigma(xi)*sigma(-xi)").status == "correct"
    v = grade_answer(part, key, "[sigma(xi), sigma(xi)]")
    assert v.score == 0.5 and "entry 2" in v.feedback


def test_every_non_invalid_verdict_says_how_it_was_read():
    cases = [(NUM, 1, "1"), (NUM, 1, "2"), ({"kind": "integer"}, 3, "3"), ({"kind": "boolean"}, True, "no"),
             (VEC, sympy.Matrix([1, 2]), "1 2"), (MAT, sympy.Matrix([[1]]), "[5]"), (EXPR, SIG_PRIME, "xi")]
    for part, key, text in cases:
        v = grade_answer(part, key, text)
        assert v.status != "invalid" and v.parsed_as, (part, text, v)


def test_kind_derivation_is_routed_to_the_derivation_checker(monkeypatch):
    import nncheck.kinds.derivation as dg

    seen = {}

    def fake(part, expected, text, mistakes):
        seen["args"] = (part["kind"], expected, text, list(mistakes))
        return Verdict("correct", 1.0, "ok")

    monkeypatch.setattr(dg, "grade_derivation", fake)
    v = grade_answer({"kind": "derivation"}, "key", "line 1\nline 2", [("m", "msg", 1)])
    assert v.status == "correct" and seen["args"] == ("derivation", "key", "line 1\nline 2", [("m", "msg", 1)])


def test_non_text_answers_are_invalid():
    assert grade_answer(NUM, 1, None).status == "invalid"  # type: ignore[arg-type]


def test_unknown_kind_is_invalid():
    assert grade_answer({"kind": "essay"}, 1, "hello").status == "invalid"


# ----------------------------------------------------------------------------
# Through a real answer key.
# ----------------------------------------------------------------------------
def test_grade_with_a_conv_key_names_padding_forgotten(catalog):
    from nncheck.generate.variant import make_variant
    from nncheck.key.compute import answer_key

    v = make_variant(catalog.get("conv.output-size"), 1, {"W1": "32", "F": "5", "S": "1", "P": "2", "K": "10",
                                                          "D1": "3"})
    key = answer_key(v)
    assert grade(key, "W2", "32").status == "correct"
    wrong = grade(key, "W2", "28")
    assert wrong.status == "incorrect" and wrong.mistake == "padding-forgotten"
    assert grade(key, "D2", "3").mistake == "depth-is-input-depth"
    assert grade(key, "W2", "3 2)").status == "invalid"
