"""SymPy -> answer-language text: what the key shows can be typed back and means the same."""

from __future__ import annotations

import sympy
from hypothesis import given, settings

from answer.test_properties import SYMS, trees
from nncheck.answer.equiv import equivalent_local
from nncheck.lang.printer import to_answer_text
from nncheck.lang.sympy_backend import make_symbol, relu, sigma, to_sympy
from nncheck.lang.syntax import AnswerSyntaxError, parse

X, Y = make_symbol("x"), make_symbol("y")


def test_spellings():
    assert to_answer_text(sigma(X) * (1 - sigma(X))) == "(1 - sigma(x))*sigma(x)"
    assert to_answer_text(relu(X)) == "relu(x)"
    assert to_answer_text(sympy.Abs(X)) == "abs(x)"
    assert to_answer_text(sympy.Max(X, Y)) == "max(x, y)"
    assert to_answer_text(sympy.log(2) / 3) == "ln(2)/3"
    assert to_answer_text(sympy.exp(-X) / (1 + sympy.exp(-X)) ** 2) == "exp(-x)/(1 + exp(-x))^2"
    assert to_answer_text(sympy.E * X) == "e*x"
    assert to_answer_text(sympy.Matrix([[X, 1], [2, Y]])) == "[[x, 1], [2, y]]"
    assert to_answer_text(sympy.Matrix([X, 1])) == "[x, 1]"
    assert to_answer_text(sympy.Rational(1, 2)) == "1/2"


@settings(max_examples=120, deadline=None)
@given(trees)
def test_printed_key_reads_back_as_the_same_expression(tree):
    syms = {n: make_symbol(n) for n in SYMS}
    try:
        e = to_sympy(tree, dict(syms), "")
    except AnswerSyntaxError:
        return
    text = to_answer_text(e)
    try:
        back = to_sympy(parse(text, symbols=set(SYMS)), dict(syms), text)
    except AnswerSyntaxError as err:
        # SymPy may fold 8^67 into a 61-digit literal, or exp(1)*exp(100000) into exp(100001):
        # beyond what an answer may type, though the key may hold it.
        assert err.code in ("too-complex", "too-long"), (text, err)
        return
    if back != e:
        assert equivalent_local(back, e, {n: "real" for n in SYMS}, n_points=4, prove=False).equal, text


def test_hyperbolic_keys_print_with_sech_and_read_back():
    # The language knows sech (tanh′ = sech²) but not cosh or sinh: a key holding them is
    # printed with sech, and what is printed reads back as the same value.
    for e in (sympy.sech(X), sympy.sech(X) ** 2, X / sympy.cosh(X), sympy.sinh(X) ** 2, 1 - sympy.tanh(X) ** 2):
        text = to_answer_text(e)
        assert "cosh" not in text and "sinh" not in text, text
        back = to_sympy(parse(text, symbols={"x"}), {"x": X}, text)
        assert equivalent_local(back, e, {"x": "real"}, n_points=6, prove=False).equal, text
    assert to_answer_text(sympy.sech(X) ** 2) == "sech(x)^2"
