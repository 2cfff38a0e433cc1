"""Rejected inputs: each asserts its one-line reason, its caret position and its error code."""

from __future__ import annotations

import pytest

from nncheck.lang.syntax import MAX_DEPTH, MAX_LENGTH, AnswerSyntaxError, parse

SYMS = {"x", "y", "h", "n", "a", "b", "w", "yhat", "xi"}

# (typed, message fragment, caret position (0-based), code)
CASES = [
    # empty, incomplete, unbalanced
    ("", "the answer is empty", 0, "syntax"),
    ("   ", "the answer is empty", 3, "syntax"),
    ("x +", "the answer ends too early", 3, "syntax"),
    ("(x + 1", "missing ')' to close the '(' at character 1", 6, "syntax"),
    ("x + 1)", "unmatched ')'", 5, "syntax"),
    ("[1, 2", "missing ']' to close the '[' at character 1", 5, "syntax"),
    ("1, 2]", "a list of values goes inside [ ]", 1, "syntax"),
    ("[1, 2]]", "unmatched ']'", 6, "syntax"),
    ("()", "empty parentheses", 1, "syntax"),
    ("[]", "empty brackets", 1, "syntax"),
    ("x ** * 2", "expected a value, found '*'", 5, "syntax"),
    ("2 * / 3", "'*' followed by '/'", 4, "syntax"),
    ("* 2", "expected a value, found '*'", 0, "syntax"),
    ("/x", "expected a value, found '/'", 0, "syntax"),
    ("(,)", "expected a value, found ','", 1, "syntax"),
    ("sqrt()", "sqrt( ) needs an argument", 5, "syntax"),
    ("max(1)", "max takes 2 to 8 arguments, got 1", 0, "syntax"),
    ("exp(1, 2)", "exp takes 1 argument, got 2", 0, "syntax"),
    ("(1, 2)", "a tuple is not allowed; use [a, b] for a vector", 2, "syntax"),
    ("[[1, 2], [3]]", "the rows of this matrix have different lengths", 0, "syntax"),
    ("[1 2; 3]", "the rows of this matrix have different lengths", 0, "syntax"),
    ("[[1, [2]], [3, 4]]", "mixing numbers and rows", 1, "syntax"),
    ("[[[1]]]", "arrays of more than two dimensions are not supported", 0, "syntax"),
    ("[1, [2, 3]]", "mixing numbers and rows", 0, "syntax"),
    ("ᵀ", "a transpose mark needs a matrix before it", 0, "syntax"),
    ("²", "a superscript needs something before it", 0, "syntax"),
    ("x⁺", "malformed superscript exponent", 1, "syntax"),
    # ambiguity: refused rather than guessed
    ("1/2x", "ambiguous: write (1/2)*x or 1/(2*x)", 3, "syntax"),
    ("x/2y", "ambiguous: write (x/2)*y or x/(2*y)", 3, "syntax"),
    ("1/n(yhat - y)", "ambiguous: write (1/n)*(yhat - y) or 1/(n*(yhat - y))", 3, "syntax"),
    ("ln(2)/3x", "ambiguous: write (ln(2)/3)*x or ln(2)/(3*x)", 7, "syntax"),
    ("3 4", "a number right after '3'", 2, "syntax"),
    ("2 3/4", "a number right after '2'", 2, "syntax"),
    ("x 2", "a number right after 'x'", 2, "syntax"),
    ("(x+1)2", "a number right after '(x+1)'", 5, "syntax"),
    ("0,5", "a list of values goes inside [ ]", 1, "syntax"),
    # unknown names and functions
    ("z", "unknown name 'z' (this answer may use: a, b, h, n, w, x, xi, y, …)", 0, "unknown-name"),
    ("2xy", "unknown name 'xy' (did you mean x*y?)", 1, "unknown-name"),
    ("sin(x)", "the function 'sin' is not allowed here", 0, "unknown-function"),
    ("cos(x)", "the function 'cos' is not allowed here", 0, "unknown-function"),
    ("foo(x)", "unknown function 'foo'", 0, "unknown-function"),
    ("exp2", "unknown name 'exp2' (did you mean exp(2)?)", 0, "unknown-name"),
    ("exp x", "the function 'exp' needs parentheses", 4, "syntax"),
    ("ln 2x", "ambiguous: write ln(2*x) or ln(2)*x", 4, "syntax"),
    ("tanh x", "the function 'tanh' needs parentheses", 5, "syntax"),
    ("yhat_1", "unknown name 'yhat_1'", 0, "unknown-name"),
    ("σ'(x)", "the derivative sigma′( ) is not accepted here", 0, "unknown-function"),
    ("tanh′(x)", "the derivative tanh′( ) is not accepted here", 0, "unknown-function"),
    ("len(x)", "the function 'len' is not allowed here", 0, "unknown-function"),
    ("factorial(5)", "the function 'factorial' is not allowed here", 0, "unknown-function"),
    # characters and constructs that are not part of the language
    ("x.y", "attribute access is not allowed", 1, "forbidden"),
    ("1.x", "attribute access is not allowed", 1, "forbidden"),
    ("1.2.3", "a number has at most one decimal point", 3, "syntax"),
    ("'abc'", "strings are not allowed in an answer", 0, "forbidden"),
    ('"abc"', "strings are not allowed in an answer", 0, "forbidden"),
    ("x[0]", "subscripts/indexing are not allowed", 1, "forbidden"),
    ("{x}", "braces are not allowed", 0, "forbidden"),
    ("x:y", "':' is not allowed (no slices or lambdas)", 1, "forbidden"),
    ("5!", "factorial and '!' are not part of the answer language", 1, "forbidden"),
    ("50%", "'%' is not accepted: write 0.25 rather than 25%", 2, "syntax"),
    ("x # comment", "comments ('#') are not allowed", 2, "forbidden"),
    ("x @ y", "'@' is not part of the answer language", 2, "forbidden"),
    ("x & y", "'&' is not an operator here", 2, "forbidden"),
    ("$x", "'$' is not part of the answer language", 0, "forbidden"),
    ("x = 0.25", "'=' is not allowed here", 2, "syntax"),
    ("x < 1", "unexpected character '<'", 2, "syntax"),
    ("x\u200b", "invisible character U+200B", 1, "syntax"),
    ("x\u202e", "invisible character U+202E", 1, "syntax"),
    ("x\x00", "control character U+0000", 1, "syntax"),
    ("еxp(1)", "the letter 'е' (cyrillic small letter ie) is not accepted", 0, "syntax"),
    ("ｘ", "the letter 'ｘ' (fullwidth latin small letter x) is not accepted", 0, "syntax"),
    ("𝑥", "the letter '𝑥' (mathematical italic small x) is not accepted", 0, "syntax"),
    ("２", "the digit '２' (U+FF12) is not accepted", 0, "syntax"),
    ("eˣ", "superscript or subscript letter 'ˣ' is not accepted", 1, "syntax"),
    ("ᵢ", "superscript or subscript letter 'ᵢ' is not accepted", 0, "syntax"),
    ("xʲ", "superscript or subscript letter 'ʲ' is not accepted", 1, "syntax"),
    ("W⁽¹", "malformed layer index", 1, "syntax"),
    # bounds
    ("1" * 61, "number has too many digits (the limit is 60)", 0, "too-complex"),
    ("1e401", "exponent too large (the limit is e±400)", 1, "too-complex"),
    ("1e9999999", "exponent too large", 1, "too-complex"),
    ("x¹²³⁴⁵", "superscript exponent too large", 1, "too-complex"),
    ("(" * (MAX_DEPTH + 5) + "1" + ")" * (MAX_DEPTH + 5), f"nested too deeply (the limit is {MAX_DEPTH} levels)",
     MAX_DEPTH, "too-deep"),
    ("-" * 100 + "1", "nested too deeply", MAX_DEPTH, "too-deep"),
    ("x" + "+x" * 1500, "answer too complex (more than 2000 terms)", None, "too-complex"),
    ("x" * (MAX_LENGTH + 1), f"answer too long ({MAX_LENGTH + 1:,} characters; the limit is {MAX_LENGTH:,})",
     MAX_LENGTH, "too-long"),
]


@pytest.mark.parametrize("typed,message,pos,code", CASES, ids=lambda v: repr(v)[:30])
def test_rejected_with_reason_and_caret(typed, message, pos, code):
    with pytest.raises(AnswerSyntaxError) as info:
        parse(typed, symbols=SYMS)
    e = info.value
    assert message in e.message
    if pos is not None:
        assert e.pos == pos
    assert e.code == code
    # The caret line points at the offending character and ends with the one-line reason.
    line, marker = e.caret().split("\n")
    assert marker.rstrip().endswith(e.message)
    assert "\n" not in e.message


def test_case_count():
    assert len(CASES) >= 60


def test_caret_is_under_the_offending_character():
    with pytest.raises(AnswerSyntaxError) as info:
        parse("2*x + y $", symbols={"x", "y"})
    assert info.value.caret() == "2*x + y $\n        ^ '$' is not part of the answer language"


def test_caret_window_on_a_long_line():
    text = "x + " * 60 + "$"
    with pytest.raises(AnswerSyntaxError) as info:
        parse(text, symbols={"x"})
    line, marker = info.value.caret().split("\n")
    assert len(line) <= 74 and line.startswith("…")
    assert line[marker.index("^")] == "$"


def test_caret_shows_only_the_offending_line():
    with pytest.raises(AnswerSyntaxError) as info:
        parse("x +\n$ y", symbols={"x", "y"})
    assert info.value.caret().split("\n")[0] == "$ y"


def test_invisible_characters_are_not_echoed():
    with pytest.raises(AnswerSyntaxError) as info:
        parse("x\u202ey", symbols={"x", "y"})
    assert "\u202e" not in info.value.caret()


def test_excluded_functions_are_not_symbols_even_in_free_mode():
    # Where any name is a symbol (free derivations), cos(x) must not become cos*x.
    with pytest.raises(AnswerSyntaxError) as info:
        parse("cos(x) + 1", symbols=None)
    assert info.value.message == "the function 'cos' is not allowed here" and info.value.pos == 0
    assert str(parse("h(1 - h)", symbols=None)) == "h*(1 - h)"


def test_transpose_only_where_allowed():
    with pytest.raises(AnswerSyntaxError) as info:
        parse("x'", symbols={"x"}, transpose=False)
    assert "only accepted in vector and matrix answers" in info.value.message and info.value.pos == 1


def test_error_is_an_nncheck_error_and_pickles():
    import pickle

    from nncheck.errors import NNCheckError

    with pytest.raises(AnswerSyntaxError) as info:
        parse("x +", symbols={"x"})
    e = info.value
    assert isinstance(e, NNCheckError) and isinstance(e, ValueError)
    e2 = pickle.loads(pickle.dumps(e))
    assert (e2.message, e2.pos, e2.text, e2.code) == (e.message, e.pos, e.text, e.code)
    assert str(e) == "the answer ends too early (at character 4)"
