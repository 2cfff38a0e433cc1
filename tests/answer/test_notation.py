"""The notation students copy from the course notes, read the same way wherever an answer is read.

Each construct of issue 13 has the forms it accepts (asserted as the "parsed as" echo), the
ambiguous forms it refuses (a caret, a reason, an error code: an invalid answer costs no
attempt), and a check through a grader: an expression part, a number part or a derivation.
"""

from __future__ import annotations

import time
from fractions import Fraction

import pytest
import sympy

from nncheck.kinds import grade_answer
from nncheck.lang.numeric import evaluate
from nncheck.lang.sympy_backend import make_symbol, sigma, to_sympy
from nncheck.lang.syntax import MAX_DEPTH, AnswerSyntaxError, parse, to_text

SYMS = {"x", "y", "h", "n", "xi", "yhat"}
FREE = {"symbols": None, "derivatives": True, "equations": True}  # how a free-form derivation reads a line
DERIV = {"symbols": {"x", "xi", "h", "z1"}, "derivatives": True, "equations": True}  # a bank derivation


def read(text: str, **kwargs) -> str:
    kwargs.setdefault("symbols", SYMS)
    return to_text(parse(text, **kwargs))


def refused(text: str, **kwargs) -> AnswerSyntaxError:
    kwargs.setdefault("symbols", SYMS)
    with pytest.raises(AnswerSyntaxError) as info:
        parse(text, **kwargs)
    e = info.value
    line, marker = e.caret().split("\n")[-2:]
    assert marker.rstrip().endswith(e.message) and "\n" not in e.message
    return e


# ----------------------------------------------------------------------------
# d/dξ( … ), ∂/∂z( … ), dσ/dξ, dh/dξ.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("typed,kwargs,shown", [
    ("d/dξ(σ(ξ))", FREE, "d/dxi(sigma(xi))"),
    ("d/dxi(sigma(xi))", FREE, "d/dxi(sigma(xi))"),
    ("d/dξ (tanh(ξ))", FREE, "d/dxi(tanh(xi))"),
    ("∂/∂ξ(h)", FREE, "d/dxi(h)"),
    ("d/dξ⁽¹⁾(x)", FREE, "d/dxi1(x)"),
    ("dσ/dξ", FREE, "d/dxi(sigma(xi))"),
    ("dtanh/dx", FREE, "d/dx(tanh(x))"),
    ("dh/dξ = h(1 - h)", FREE, "d/dxi(h) = h*(1 - h)"),
    ("∂L/∂z₁", FREE, "d/dz1(L)"),
    ("2 dh/dx + 1", FREE, "2*d/dx(h) + 1"),
    ("dh/dxi", DERIV, "d/dxi(h)"),
    ("d/dz1(x z1)", DERIV, "d/dz1(x*z1)"),
    ("dσ/dξ", DERIV, "d/dxi(sigma(xi))"),
])
def test_derivative_notation_is_read_in_derivations(typed, kwargs, shown):
    assert read(typed, **kwargs) == shown


@pytest.mark.parametrize("typed,kwargs,fragment,pos", [
    # Where the derivative is the answer asked for, the notation is named, never "unknown name 'd'".
    ("d/dξ(σ(ξ))", {}, "derivative notation (d/dξ) is only read in derivations", 0),
    ("dσ/dξ", {}, "derivative notation (dσ/dξ) is only read in derivations", 0),
    ("1 - dh/dxi", {}, "derivative notation (dh/dxi) is only read in derivations", 4),
    ("d/dw(h)", DERIV, "unknown variable 'w' in d/dw", 3),
    ("dq/dxi", DERIV, "unknown name 'q'", 1),
    ("dσ/dξ(ξ)", FREE, "ambiguous: write d/dξ( … ) for the derivative of an expression", 5),
    ("dh/dx^2", FREE, "write (dh/dx)^… with parentheses", 5),
    ("dh/dx²", FREE, "write (dh/dx)^… with parentheses", 5),
    ("d²h/dξ²", FREE, "second derivatives (d²/dx²) are not accepted", 0),
    ("d/dξ σ(ξ)", FREE, "write d/dξ( … ) with parentheses", 5),
    ("∂ + 1", FREE, "'∂' is only read in derivative notation", 0),
])
def test_derivative_notation_refused_with_a_reason(typed, kwargs, fragment, pos):
    e = refused(typed, **kwargs)
    assert fragment in e.message and e.pos == pos


def test_declared_names_keep_their_meaning():
    # A part that declares d, dh or dx: declared symbols win over the notation.
    assert read("dh/dx", symbols={"dh", "dx"}, derivatives=True) == "dh/dx"
    assert refused("dx/dy", symbols={"d", "x", "y"}).message == "unknown name 'dx' (did you mean d*x?)"
    # A Greek δ is "delta", not d + "elta"; bank formulas keep quotients of names.
    assert read("δ/dt", symbols=None, derivatives=True) == "delta/dt"
    assert read("dh/dx", symbols=None, formula=True) == "dh/dx"


def test_a_derivation_with_the_notation_is_checked():
    from nncheck.derive.core import check_derivation

    rep = check_derivation("dσ/dξ = σ(ξ)(1 - σ(ξ))\n= d/dξ(1/(1 + e^(-ξ)))\n", isolate=False)
    assert [s.status for s in rep.steps] == ["valid", "valid"]
    rep = check_derivation("d/dξ(tanh(ξ)) = sech(ξ)^2\n= 1 - tanh²(ξ)\n", isolate=False)
    assert [s.status for s in rep.steps] == ["valid", "valid"]
    rep = check_derivation("d/dξ(tanh(ξ)) = sech(ξ)\n", isolate=False)
    assert [s.status for s in rep.steps] == ["invalid"]  # a false step, with its counterexample


# ----------------------------------------------------------------------------
# tanh²(ξ), tanh^2(ξ), σ²(ξ): a power of the function's value.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("typed,kwargs,shown", [
    ("tanh²(ξ)", {}, "tanh(xi)^2"),
    ("tanh^2(xi)", {}, "tanh(xi)^2"),
    ("tanh**2(xi)", {}, "tanh(xi)^2"),
    ("1 - tanh²(ξ)", {}, "1 - tanh(xi)^2"),
    ("σ²(ξ)", {}, "sigma(xi)^2"),
    ("sigmoid^3 (x)", {}, "sigma(x)^3"),
    ("2 sech²(x)", {}, "2*sech(x)^2"),
    ("1 - tanh²(ξ)", FREE, "1 - tanh(xi)^2"),
])
def test_a_power_on_a_function_name_is_the_power_of_its_value(typed, kwargs, shown):
    assert read(typed, **kwargs) == shown


@pytest.mark.parametrize("typed,fragment,pos", [
    ("tanh^-1(x)", "ambiguous: tanh⁻¹ may mean the inverse function or 1/tanh( … )", 4),
    ("tanh⁻¹(x)", "ambiguous: tanh⁻¹ may mean the inverse function or 1/tanh( … )", 4),
    ("σ^-2(x)", "ambiguous: σ⁻¹ may mean the inverse function", 1),
    ("tanh² x", "the function 'tanh' needs parentheses: write tanh( … )^2", 4),
    ("tanh^n(x)", "the function 'tanh' needs parentheses", 4),
    ("tanh^2.5(x)", "the function 'tanh' needs parentheses", 4),
    ("σ²", "the function 'σ' needs parentheses: write σ( … )^2", 1),
])
def test_function_powers_refused_where_ambiguous(typed, fragment, pos):
    e = refused(typed)
    assert fragment in e.message and e.pos == pos


def test_a_power_on_a_declared_symbol_stays_a_power():
    # σ declared as a symbol (a standard deviation, say): σ²(x) is sigma^2 times x.
    assert read("σ²(x)", symbols={"sigma", "x"}) == "sigma^2*x"


# ----------------------------------------------------------------------------
# sech, and known function names typed without parentheses.
# ----------------------------------------------------------------------------
def test_sech_is_one_over_cosh_in_every_backend():
    x = make_symbol("x", "real")
    e = to_sympy(parse("sech(x)", symbols={"x"}), {"x": x})
    assert sympy.simplify((e - 1 / sympy.cosh(x)).rewrite(sympy.exp)) == 0
    d = to_sympy(parse("d/dx(tanh(x)) - sech(x)^2", symbols={"x"}, derivatives=True), {"x": x})
    assert sympy.simplify(d) == 0
    for v in (0, Fraction(1, 3), -2, 800):
        value = evaluate(parse(f"sech({v})", symbols=()), {}, "")
        assert value == pytest.approx(float(1 / sympy.cosh(v)), rel=1e-12, abs=1e-300)


def test_sech_grades_against_the_derivative_of_tanh():
    xi = make_symbol("xi", "real")
    part = {"kind": "expression", "symbols": {"xi": "real"}}
    key = 1 - sympy.tanh(xi) ** 2
    for text in ("sech(xi)^2", "sech²(ξ)", "1 - tanh²(ξ)"):
        v = grade_answer(part, key, text)
        assert v.status == "correct", (text, v.feedback)
    v = grade_answer(part, key, "sech(xi)")
    assert v.status == "incorrect"
    assert grade_answer({"kind": "number"}, 1 - sympy.tanh(2) ** 2, "sech(2)^2").status == "correct"


@pytest.mark.parametrize("typed,kwargs,fragment,code", [
    ("sech", {}, "the function 'sech' needs parentheses", "syntax"),
    ("1 - sech x", {}, "the function 'sech' needs parentheses", "syntax"),
    ("tanh x", FREE, "the function 'tanh' needs parentheses", "syntax"),
    ("sech xi = 1", FREE, "the function 'sech' needs parentheses", "syntax"),
    ("cosh + 1", FREE, "the function 'cosh' is not part of the answer language", "unknown-function"),
    ("2 sinh", FREE, "the function 'sinh' is not part of the answer language", "unknown-function"),
])
def test_a_function_name_is_never_a_variable(typed, kwargs, fragment, code):
    # Read as a variable, "sech" gave a false counterexample in a derivation.
    e = refused(typed, **kwargs)
    assert fragment in e.message and e.code == code


# ----------------------------------------------------------------------------
# ln 2, ln x.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("typed,kwargs,shown", [
    ("ln 2", {}, "ln(2)"),
    ("ln x", {}, "ln(x)"),
    ("log x", {}, "log(x)"),
    ("ln x + 1", {}, "ln(x) + 1"),
    ("-ln yhat", {}, "-ln(yhat)"),
    ("2 ln x", {}, "2*ln(x)"),
    ("ln 2 * x", {}, "ln(2)*x"),
    ("y ln yhat + (1 - y) ln(1 - yhat)", {}, "y*ln(yhat) + (1 - y)*ln(1 - yhat)"),
    ("ln ξ", {}, "ln(xi)"),
    ("lnξ", {}, "ln(xi)"),
    ("ln e", {}, "ln(e)"),
    ("ln 0.5", {}, "ln(0.5)"),
    ("e^ln x", {}, "e^ln(x)"),
    ("|ln x|", {}, "abs(ln(x))"),
    ("[ln 2, ln 3]", {}, "[ln(2), ln(3)]"),
    ("ln u - ln v", FREE, "ln(u) - ln(v)"),
])
def test_ln_of_one_number_or_one_name(typed, kwargs, shown):
    assert read(typed, **kwargs) == shown


@pytest.mark.parametrize("typed,fragment,pos", [
    ("ln 2x", "ambiguous: write ln(2*x) or ln(2)*x", 4),
    ("ln x y", "ambiguous: write ln(x*y) or ln(x)*y", 5),
    ("ln 2 (x+1)", "ambiguous: write ln(2*(", 5),
    ("ln x^2", "ambiguous: write ln(x^2) or ln(x)^2", 4),
    ("ln x²", "ambiguous: write ln(x²) or ln(x)²", 4),
    ("ln 2/3", "ambiguous: write ln(2/3) or ln(2)/3", 4),
    ("ln h(1-h)", "ambiguous: write ln( … ) around everything the log applies to", 3),
    ("ln -2", "the function 'ln' needs parentheses", 3),
    ("ln tanh(x)", "the function 'ln' needs parentheses", 3),
    ("ln", "the function 'ln' needs parentheses", 2),
])
def test_ln_without_parentheses_refused_where_ambiguous(typed, fragment, pos):
    e = refused(typed)
    assert fragment in e.message and e.pos == pos


# ----------------------------------------------------------------------------
# ½ and the other vulgar fractions.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("typed,value,shown", [
    ("½", Fraction(1, 2), "1/2"),
    ("¾", Fraction(3, 4), "3/4"),
    ("⅓", Fraction(1, 3), "1/3"),
    ("-⅛", Fraction(-1, 8), "-(1/8)"),
    ("1⁄2", Fraction(1, 2), "1/2"),
])
def test_vulgar_fractions_are_exact(typed, value, shown):
    node = parse(typed, symbols=())
    assert to_text(node) == shown
    assert evaluate(node, {}, typed) == value


def test_vulgar_fractions_in_expressions():
    # ½ is the quotient 1/2, whole: ½x is never the ambiguous 1/2x.
    assert read("½x") == "1/2*x"
    assert read("½(yhat - y)^2") == "1/2*(yhat - y)^2"
    assert read("x^½") == "x^(1/2)"
    assert read("½²") == "(1/2)^2"
    assert read("x/½") == "x/(1/2)"
    assert parse("½", symbols=()) == parse("1/2", symbols=())
    assert grade_answer({"kind": "number"}, sympy.Rational(1, 2), "½").status == "correct"


@pytest.mark.parametrize("typed,fragment,pos", [
    ("1½", "a mixed number: write 1 + 1/2 (or one fraction)", 1),
    ("2¾x", "a mixed number: write 2 + 3/4", 1),
    ("½ 2", "a number right after '½'", 2),
])
def test_mixed_numbers_are_refused(typed, fragment, pos):
    e = refused(typed)
    assert fragment in e.message and e.pos == pos


# ----------------------------------------------------------------------------
# |x|.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("typed,shown", [
    ("|x|", "abs(x)"),
    ("|x - y|", "abs(x - y)"),
    ("|x - |y||", "abs(x - abs(y))"),
    ("||x| - |y||", "abs(abs(x) - abs(y))"),
    ("2|x|", "2*abs(x)"),
    ("|x|y", "abs(x)*y"),
    ("|x||y|", "abs(x)*abs(y)"),
    ("|x|^2 + |y|²", "abs(x)^2 + abs(y)^2"),
    ("(|x| + 1)/|y|", "(abs(x) + 1)/abs(y)"),
    ("|x|y + |h|", "abs(x)*y + abs(h)"),
    ("x(|y| + 1)", "x*(abs(y) + 1)"),
    ("|-x|", "abs(-x)"),
    ("[|x| |y|]", "[abs(x), abs(y)]"),
    ("[|x|, -|y|]", "[abs(x), -abs(y)]"),
    ("max(|x|, |y|)", "max(abs(x), abs(y))"),
])
def test_bars_are_abs(typed, shown):
    assert read(typed) == shown


@pytest.mark.parametrize("typed,fragment,pos,code", [
    ("|x|y|h|", "ambiguous: these '|' pair up in two ways; write abs( … )", 2, "syntax"),
    ("|x| y |h|", "ambiguous: these '|' pair up in two ways", 2, "syntax"),
    ("|x", "missing '|' to close the '|' at character 1", 2, "syntax"),
    ("|x)", "expected '|' to close the '|' at character 1, found ')'", 2, "syntax"),
    ("|[1, 2]|", "|…| of a vector or matrix: norms and determinants are not in the answer language", 0, "syntax"),
    ("|[[1, 2], [3, 4]]|", "|…| of a vector or matrix", 0, "syntax"),
    ("‖x‖", "norm bars ‖ ‖ are not part of the answer language", 0, "syntax"),
    ("||", "the answer ends too early", 2, "syntax"),
])
def test_bars_refused_where_ambiguous(typed, fragment, pos, code):
    e = refused(typed)
    assert fragment in e.message and e.pos == pos and e.code == code


def test_bars_are_not_an_operator_in_bank_formulas():
    e = refused("a | b", symbols=None, formula=True)
    assert e.message == "'|' is not an operator here" and e.code == "forbidden"


# ----------------------------------------------------------------------------
# The prompt's subscripted names: ŷ_k − y_k where yhat and y are declared.
# ----------------------------------------------------------------------------
CE = {"yhat", "y"}


@pytest.mark.parametrize("typed,symbols,shown", [
    ("ŷ_k − y_k", CE, "yhat - y"),
    ("ŷₖ − yₖ", CE, "yhat - y"),
    ("yhat_k - y_k", CE, "yhat - y"),
    ("ŷ_k - y", CE, "yhat - y"),
    ("(ŷ_i − y_i)/n", CE | {"n"}, "(yhat - y)/n"),
    ("h_j(1 - h_j)", {"h"}, "h*(1 - h)"),
    # A declared subscripted name is itself: W_1, x_1, w_a.
    ("W_1 + W_2", {"W_1", "W_2"}, "W_1 + W_2"),
    ("x_1 + x", {"x", "x_1"}, "x_1 + x"),
])
def test_a_subscript_at_the_prompts_index_is_the_declared_symbol(typed, symbols, shown):
    assert read(typed, symbols=symbols) == shown


@pytest.mark.parametrize("typed,symbols,fragment,pos", [
    # Two indices are two entries: not the one entry each symbol stands for.
    ("ŷ_j − y_k", CE, "'y_k' has the index k but 'ŷ_j' has j: use one index throughout", 6),
    # The index is a symbol of the part: yhat_n is not yhat.
    ("yhat_n - y_n", CE | {"n"}, "'yhat_n': n is a symbol of this answer, not an index", 0),
    # A number subscript names one particular entry.
    ("ŷ_1 − y_1", CE, "unknown name 'yhat1' (yhat here already stands for one entry: write yhat)", 0),
    ("yhat_1", CE, "unknown name 'yhat_1' (yhat here already stands for one entry", 0),
    # Where the part declares subscripted relatives, a subscript tells symbols apart.
    ("x_k", {"x", "x1"}, "unknown name 'x_k'", 0),
    ("W_k", {"W1", "W2"}, "unknown name 'W_k'", 0),
    # A subscript on an undeclared name is still unknown.
    ("z_k", CE, "unknown name 'z_k'", 0),
])
def test_subscripts_refused_where_they_would_change_the_meaning(typed, symbols, fragment, pos):
    e = refused(typed, symbols=symbols)
    assert fragment in e.message and e.pos == pos and e.code == "unknown-name"


def test_the_softmax_gradient_typed_as_in_the_prompt_is_graded():
    yhat, y = make_symbol("yhat", "(0,1)"), make_symbol("y", "[0,1]")
    part = {"kind": "expression", "symbols": {"yhat": "(0,1)", "y": "[0,1]"},
            "prompt": "Write ∂L/∂z_k in terms of yhat (ŷ_k) and y (y_k) only"}
    v = grade_answer(part, yhat - y, "ŷ_k − y_k")
    assert v.status == "correct" and v.parsed_as == "yhat - y"
    v = grade_answer(part, yhat - y, "y_k − ŷ_k")
    assert v.status == "incorrect"
    v = grade_answer(part, yhat - y, "ŷ_j − y_k")
    assert v.status == "invalid" and not v.costs_attempt and v.error is not None


def test_a_free_derivation_keeps_subscripted_names_as_its_own():
    # Where any name is a symbol there is nothing to alias: ŷ_k is the symbol yhatk.
    assert read("ŷ_k − y_k", symbols=None) == "yhatk - y_k"


# ----------------------------------------------------------------------------
# The hostile-input bounds hold for every new construct.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("typed", [
    "|" * (MAX_DEPTH + 5) + "x" + "|" * (MAX_DEPTH + 5),
    "tanh²(" * (MAX_DEPTH + 5) + "x" + ")" * (MAX_DEPTH + 5),
    "d/dx(" * (MAX_DEPTH + 5) + "x" + ")" * (MAX_DEPTH + 5),
])
def test_nesting_bound(typed):
    kwargs = {"symbols": {"x"}, "derivatives": True}
    e = refused(typed, **kwargs)
    assert e.code == "too-deep"


def test_node_bound_and_no_repeated_work():
    for chain in ("|x|+" * 700, "½+" * 1100, "ln 2+" * 790):
        assert refused(chain + "1", symbols={"x"}).code == "too-complex"
    # Closing bars look ahead by a token scan, never a trial parse: |x|(|x|(…)) nested to the
    # depth limit would take 2^59 trial parses otherwise.
    deep = "|x|(" * (MAX_DEPTH - 2) + "x" + ")" * (MAX_DEPTH - 2)
    start = time.perf_counter()
    assert read(deep, symbols={"x"}).count("abs(x)") == MAX_DEPTH - 2
    assert time.perf_counter() - start < 2.0


def test_exponent_bound_on_function_powers():
    x = make_symbol("x", "real")
    e = parse("tanh^99999(x)", symbols={"x"})
    with pytest.raises(AnswerSyntaxError) as info:
        to_sympy(e, {"x": x}, "tanh^99999(x)")
    assert info.value.code == "too-complex"
    assert refused("tanh¹²³⁴⁵(x)").code == "too-complex"


def test_sigma_notation_round_trip():
    # What the echo prints parses back to the same tree (the printer's contract).
    for typed in ("tanh²(ξ)", "dσ/dξ", "|x - |y||", "½x", "ln 2", "ŷ_k - y_k"):
        kwargs = {"symbols": SYMS | {"y"}, "derivatives": True}
        node = parse(typed, **kwargs)
        assert parse(to_text(node), **kwargs) == node
    xi = make_symbol("xi", "real")
    assert sympy.simplify(to_sympy(parse("dσ/dξ", symbols={"xi"}, derivatives=True), {"xi": xi})
                          - sigma(xi) * (1 - sigma(xi))) == 0
