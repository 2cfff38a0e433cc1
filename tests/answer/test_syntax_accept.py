"""Accepted syntax: every case asserts exactly what the answer was read as ("parsed as")."""

from __future__ import annotations

from fractions import Fraction

import pytest

from nncheck.lang.syntax import Matrix, Num, Transpose, Vector, parse, to_text

SYMS = {"x", "y", "z", "h", "n", "a", "b", "w", "w_a", "yhat", "xi", "eta", "lambda", "theta", "W1", "W2",
        "x1", "x_1", "ybar", "xbar", "hhat", "sigma2", "alpha", "beta1", "t", "eps"}

# (typed, parsed as)
CASES = [
    # integers, decimals, scientific notation, fractions
    ("0", "0"),
    ("42", "42"),
    ("007", "007"),
    ("3.14", "3.14"),
    ("0.5", "0.5"),
    (".5", ".5"),
    ("5.", "5."),
    ("1e-5", "1e-5"),
    ("1E5", "1E5"),
    ("2.5e3", "2.5e3"),
    ("6.02e+23", "6.02e+23"),
    ("1e−3", "1e−3"),
    ("1/3", "1/3"),
    ("-1/3", "-1/3"),
    ("22/7", "22/7"),
    ("123456789012345678901234567890", "123456789012345678901234567890"),
    ("-7", "-7"),
    ("+7", "7"),
    ("--3", "3"),
    ("-(-3)", "3"),
    # operators and their Unicode spellings
    ("1+2", "1 + 2"),
    ("1 - 2", "1 - 2"),
    ("1 − 2", "1 - 2"),
    ("1 – 2", "1 - 2"),
    ("2*3", "2*3"),
    ("2·3", "2*3"),
    ("2×3", "2*3"),
    ("2⋅3", "2*3"),
    ("2∗3", "2*3"),
    ("6/3", "6/3"),
    ("6÷3", "6/3"),
    ("2^3", "2^3"),
    ("2**3", "2^3"),
    ("2^3^2", "2^3^2"),
    ("(2^3)^2", "(2^3)^2"),
    ("2^-1", "2^(-1)"),
    ("2^+1", "2^1"),
    ("e^-x", "e^(-x)"),
    ("-x^2", "-x^2"),
    ("(-x)^2", "(-x)^2"),
    ("(-3)^2", "(-3)^2"),
    ("-2^2", "-2^2"),
    ("1/2/3", "1/2/3"),
    ("1/(2/3)", "1/(2/3)"),
    ("1-2-3", "1 - 2 - 3"),
    ("1-(2-3)", "1 - (2 - 3)"),
    ("a*-b", "a*(-b)"),
    ("x - -y", "x - (-y)"),
    ("x+-3", "x + (-3)"),
    ("-a*b", "-a*b"),
    ("-(a*b)", "-(a*b)"),
    ("-(a+b)", "-(a + b)"),
    ("((x))", "x"),
    ("(((1)))", "1"),
    ("[(1)]", "[1]"),
    # implicit multiplication
    ("2x", "2*x"),
    ("2 x", "2*x"),
    ("2(x+1)", "2*(x + 1)"),
    ("(a+b)(a-b)", "(a + b)*(a - b)"),
    ("h(1-h)", "h*(1 - h)"),
    ("h (1 - h)", "h*(1 - h)"),
    ("x y", "x*y"),
    ("2x y", "2*x*y"),
    ("2xy", None),  # unknown name 'xy': see the rejected tests
    ("3(x)(y)", "3*x*y"),
    ("2x^2", "2*x^2"),
    ("2(x+1)^2", "2*(x + 1)^2"),
    ("x(x+1)", "x*(x + 1)"),
    ("2 sqrt(2)", "2*sqrt(2)"),
    ("2sqrt(2)", "2*sqrt(2)"),
    ("x sigma(x)", "x*sigma(x)"),
    ("(x+1)/2", "(x + 1)/2"),
    ("x/2 + y", "x/2 + y"),
    ("x/(2y)", "x/(2*y)"),
    ("(x/2)y", "x/2*y"),
    ("2.5x", "2.5*x"),
    ("1e-3x", "1e-3*x"),
    ("2e", "2*e"),
    ("2pi", "2*pi"),
    ("2π", "2*pi"),
    # names kept whole, Greek letters, hats, layer indices
    ("yhat", "yhat"),
    ("yhat - y", "yhat - y"),
    ("ŷ - y", "yhat - y"),
    ("ŷ-y", "yhat - y"),
    ("y\u0302 - y", "yhat - y"),
    ("x\u0304", "xbar"),
    ("ȳ", "ybar"),
    ("xi", "xi"),
    ("ξ", "xi"),
    ("η x", "eta*x"),
    ("λ w", "lambda*w"),
    ("θ", "theta"),
    ("α x", "alpha*x"),
    ("W⁽¹⁾", "W1"),
    ("W₁", "W1"),
    ("W1", "W1"),
    ("x1", "x1"),
    ("x_1", "x_1"),
    ("x₁", "x1"),
    ("w_a", "w_a"),
    ("sigma2", "sigma2"),
    ("β1", "beta1"),
    # superscript digits
    ("x²", "x^2"),
    ("x³", "x^3"),
    ("h²", "h^2"),
    ("(1-h)²", "(1 - h)^2"),
    ("x⁻¹", "x^(-1)"),
    ("2x²", "2*x^2"),
    ("x¹⁰", "x^10"),
    ("e^x²", "e^x^2"),
    # functions and their spellings
    ("exp(x)", "exp(x)"),
    ("ln(x)", "ln(x)"),
    ("log(x)", "log(x)"),
    ("sqrt(x)", "sqrt(x)"),
    ("√x", "sqrt(x)"),
    ("√(x+1)", "sqrt(x + 1)"),
    ("abs(x)", "abs(x)"),
    ("max(0, x)", "max(0, x)"),
    ("min(x, y, 1)", "min(x, y, 1)"),
    ("sigma(x)", "sigma(x)"),
    ("sigmoid(x)", "sigma(x)"),
    ("σ(x)", "sigma(x)"),
    ("σ(ξ)(1−σ(ξ))", "sigma(xi)*(1 - sigma(xi))"),
    ("tanh(x)", "tanh(x)"),
    ("relu(x)", "relu(x)"),
    ("ReLU(x)", "relu(x)"),
    ("RELU(x)", "relu(x)"),
    ("exp(-x)/(1+exp(-x))^2", "exp(-x)/(1 + exp(-x))^2"),
    ("1/(1+exp(-2))", "1/(1 + exp(-2))"),
    ("ln(2)/3", "ln(2)/3"),
    ("ln(w/w_a)", "ln(w/w_a)"),
    ("exp(exp(x))", "exp(exp(x))"),
    ("max(0, 1 - x)^2", "max(0, 1 - x)^2"),
    ("sigma(x)^2", "sigma(x)^2"),
    ("2sigma(2x) - 1", "2*sigma(2*x) - 1"),
    # constants
    ("e", "e"),
    ("pi", "pi"),
    ("e^2", "e^2"),
    ("π/2", "pi/2"),
    # whitespace of every kind
    ("  x  ", "x"),
    ("x\t+\ty", "x + y"),
    ("x\u00a0+\u2009y", "x + y"),
    ("x +\ny", "x + y"),
    # vectors and matrices
    ("[1, 2, 3]", "[1, 2, 3]"),
    ("[1,2,3]", "[1, 2, 3]"),
    ("[1 2 3]", "[1, 2, 3]"),
    ("[1 -2]", "[1, -2]"),
    ("[1 - 2]", "[1 - 2]"),
    ("[a -b]", "[a, -b]"),
    ("[x, y^2]", "[x, y^2]"),
    ("[0.5, 1/3]", "[0.5, 1/3]"),
    ("[[1,2],[3,4]]", "[[1, 2], [3, 4]]"),
    ("[[1, 2], [3, 4], [5, 6]]", "[[1, 2], [3, 4], [5, 6]]"),
    ("[1 2; 3 4]", "[[1, 2], [3, 4]]"),
    ("[1, 2; 3, 4]", "[[1, 2], [3, 4]]"),
    ("[1 2; 3 4;]", "[[1, 2], [3, 4]]"),
    ("[1;2;3]", "[[1], [2], [3]]"),
    ("[sigma(x) 1-x]", "[sigma(x), 1 - x]"),
    ("[2x 3y]", "[2*x, 3*y]"),
    ("[[1,2],[3,4]]'", "[[1, 2], [3, 4]]ᵀ"),
    ("[[1,2],[3,4]]ᵀ", "[[1, 2], [3, 4]]ᵀ"),
    ("[1 2 3]'", "[1, 2, 3]ᵀ"),
    ("2*[1, 2]", "2*[1, 2]"),
    ("[1, 2] + [3, 4]", "[1, 2] + [3, 4]"),
    ("[-1 -2; -3 -4]", "[[-1, -2], [-3, -4]]"),
]


@pytest.mark.parametrize("typed,shown", [c for c in CASES if c[1] is not None], ids=lambda v: repr(v)[:40])
def test_accepted_and_read_as(typed, shown):
    node = parse(typed, symbols=SYMS)
    assert to_text(node) == shown
    # What was shown re-reads as the same tree: "parsed as" is itself a valid answer.
    assert parse(shown, symbols=SYMS) == node or isinstance(node, Num)


def test_case_count():
    assert len([c for c in CASES if c[1] is not None]) >= 150


@pytest.mark.parametrize("typed,value", [
    ("0.1", Fraction(1, 10)), ("1e-5", Fraction(1, 100000)), ("2.5e3", 2500), ("-1/3", None), (".5", Fraction(1, 2)),
    ("1e400", 10**400), ("0." + "0" * 70 + "1", Fraction(1, 10**71)),
])
def test_literals_are_exact(typed, value):
    node = parse(typed)
    if value is None:
        return
    assert isinstance(node, Num) and node.value == value


def test_declared_symbols_win_over_implicit_calls():
    # h(1-h) is h*(1-h) when h is a symbol; sigma(...) stays a call because sigma is not a symbol.
    assert to_text(parse("h(1-h)", symbols={"h"})) == "h*(1 - h)"
    assert to_text(parse("e(1)", symbols={"e"})) == "e*1"


def test_shapes_of_arrays():
    m = parse("[1 2 3; 4 5 6]")
    assert isinstance(m, Matrix) and m.shape == (2, 3)
    assert isinstance(parse("[1, 2, 3]"), Vector)
    assert isinstance(parse("[1 2]'"), Transpose)


def test_formula_mode_extras():
    assert to_text(parse("F <= W1 + 2*P and not isint(x)", symbols=None, formula=True)) == \
        "F <= W1 + 2*P and not isint(x)"
    assert to_text(parse("a % 2 = 0", symbols=None, formula=True)) == "a % 2 = 0"


def test_derivatives_mode():
    assert to_text(parse("d/dx(x^2)", symbols={"x"}, derivatives=True)) == "d/dx(x^2)"
    assert to_text(parse("diff(x^2, x)", symbols={"x"}, derivatives=True)) == "d/dx(x^2)"
    assert to_text(parse("σ′(ξ)", symbols={"xi"}, derivatives=True)) == "sigma'(xi)"
    assert to_text(parse("σ̇(ξ)", symbols={"xi"}, derivatives=True)) == "sigma'(xi)"
    assert to_text(parse("tanh'(x)", symbols={"x"}, derivatives=True)) == "tanh'(x)"
    assert to_text(parse("ReLU'(x)", symbols={"x"}, derivatives=True)) == "relu'(x)"


def test_equations_and_relations_modes():
    assert to_text(parse("h = sigma(xi)", symbols={"h", "xi"}, equations=True)) == "h = sigma(xi)"
    assert to_text(parse("0 < x ≤ 1", symbols={"x"}, relations=True)) == "0 < x <= 1"


def test_bare_function_names_are_names_where_any_name_is_allowed():
    # Bank formulas compare choice values: "g = relu" (the evaluator knows relu = "relu").
    assert to_text(parse("g = relu", symbols=None, formula=True)) == "g = relu"
    assert to_text(parse("relu(x)", symbols=None, formula=True)) == "relu(x)"


def test_words():
    assert to_text(parse("none", symbols=(), words={"none"})) == "none"
    assert to_text(parse("None", symbols=(), words={"none"})) == "none"
