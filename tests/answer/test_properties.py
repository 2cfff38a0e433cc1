"""Property tests: printed trees parse back to themselves; no input escapes as an uncaught exception."""

from __future__ import annotations

from fractions import Fraction

import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nncheck.answer.verdict import Verdict
from nncheck.kinds import grade_answer
from nncheck.lang.numeric import evaluate
from nncheck.lang.sympy_backend import make_symbol, to_sympy
from nncheck.lang.syntax import (
    FUNCTIONS,
    AnswerSyntaxError,
    BinOp,
    Call,
    Matrix,
    Name,
    Num,
    Unary,
    Vector,
    parse,
    to_text,
)

SYMS = ["x", "y", "h", "xi", "yhat", "w_a", "W1"]

# ----------------------------------------------------------------------------
# Random trees in the parser's canonical form (a negative literal is a Num, not Unary(Num)).
# ----------------------------------------------------------------------------
ints = st.integers(min_value=-10**6, max_value=10**6).map(lambda v: Num(v, str(v)))
decimals = st.tuples(st.integers(0, 999), st.integers(1, 99)).map(
    lambda t: Num(Fraction(f"{t[0]}.{t[1]:02d}"), f"{t[0]}.{t[1]:02d}"))
leaves = st.one_of(ints, decimals, st.sampled_from(SYMS).map(Name), st.sampled_from(["e", "pi"]).map(Name))
one_arg = sorted(f for f, (lo, hi) in FUNCTIONS.items() if lo == 1)


def _extend(children):
    return st.one_of(
        st.tuples(st.sampled_from("+-*/^"), children, children).map(lambda t: BinOp(t[0], t[1], t[2])),
        children.filter(lambda c: not isinstance(c, Num)).map(lambda c: Unary("-", c)),
        st.tuples(st.sampled_from(one_arg), children).map(lambda t: Call(t[0], [t[1]])),
        st.tuples(st.sampled_from(["max", "min"]), st.lists(children, min_size=2, max_size=3)).map(
            lambda t: Call(t[0], t[1])),
    )


trees = st.recursive(leaves, _extend, max_leaves=25)
arrays = st.one_of(
    st.lists(trees, min_size=1, max_size=4).map(Vector),
    st.integers(1, 3).flatmap(lambda cols: st.lists(st.lists(trees, min_size=cols, max_size=cols),
                                                    min_size=1, max_size=3)).map(Matrix),
)

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(trees)
def test_print_then_parse_is_the_identity(tree):
    text = to_text(tree)
    again = parse(text, symbols=set(SYMS))
    assert again == tree, text
    assert to_text(again) == text


@FAST
@given(arrays)
def test_arrays_round_trip(tree):
    text = to_text(tree)
    assert parse(text, symbols=set(SYMS)) == tree


@settings(max_examples=150, deadline=None)
@given(trees)
def test_printed_text_means_the_same_to_sympy(tree):
    syms = {n: make_symbol(n) for n in SYMS}
    text = to_text(tree)
    try:
        a = to_sympy(tree, dict(syms), text)
    except AnswerSyntaxError:
        return  # 1/0, a power too large: refused the same way both times
    b = to_sympy(parse(text, symbols=set(SYMS)), dict(syms), text)
    assert sympy.srepr(a) == sympy.srepr(b)


# ----------------------------------------------------------------------------
# Any text: parse returns a tree or raises AnswerSyntaxError; grading returns a Verdict.
# ----------------------------------------------------------------------------
ANSWERY = "0123456789.+-*/^()[],; xyhe σξŷ²ᵀ'=<>!@#$%{}\"\\_−·×√\u200b\u00a0\nabcdefghijklmnopqrstuvwz"
# Literals at and beyond the bounds (1e400 overflows a float), joined by operators.
literals = st.builds(lambda m, e: f"{m}e{e}", st.integers(0, 10**6), st.integers(-450, 450)) | \
    st.integers(-10**70, 10**70).map(str)
arithmetic = st.lists(literals, min_size=1, max_size=4).flatmap(
    lambda xs: st.lists(st.sampled_from(["+", "-", "*", "/", "^", ", "]), min_size=len(xs) - 1,
                        max_size=len(xs) - 1).map(lambda ops: xs[0] + "".join(o + x for o, x in zip(ops, xs[1:]))))
texts = st.one_of(st.text(alphabet=ANSWERY, max_size=40), st.text(max_size=30), arithmetic,
                  arithmetic.map(lambda s: f"[{s}]"))


@settings(max_examples=500, deadline=None)
@given(texts)
def test_parse_never_raises_anything_else(text):
    for kwargs in ({"symbols": set(SYMS)}, {"symbols": None}, {"symbols": (), "formula": True},
                   {"symbols": None, "derivatives": True, "equations": True}):
        try:
            node = parse(text, **kwargs)
        except AnswerSyntaxError as e:
            assert 0 <= e.pos <= len(text) and e.message and "\n" not in e.message
            e.caret()
            continue
        to_text(node)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_numeric_evaluation_never_raises_anything_else(text):
    try:
        node = parse(text, symbols=())
        evaluate(node, {}, text)
    except AnswerSyntaxError:
        pass


X = make_symbol("x", "real")
PARTS = [
    ({"kind": "number"}, sympy.Rational(1, 3)),
    ({"kind": "integer"}, 3),
    ({"kind": "vector"}, sympy.Matrix([1, 2])),
    ({"kind": "matrix"}, sympy.Matrix([[1, 2], [3, 4]])),
    ({"kind": "boolean"}, True),
    ({"kind": "choice", "choices": ["a", "b"]}, "a"),
    ({"kind": "integer", "nullable": True}, None),
]


@settings(max_examples=300, deadline=None)
@given(texts)
def test_grading_always_returns_a_verdict(text):
    for part, key in PARTS:
        v = grade_answer(part, key, text)
        assert isinstance(v, Verdict) and v.status in ("correct", "incorrect", "invalid")
        assert (v.error is not None) == (v.status == "invalid")


@settings(max_examples=60, deadline=None)
@given(st.one_of(trees.map(to_text), st.text(alphabet=ANSWERY, max_size=30), arithmetic.map(lambda s: s + "*x")))
def test_expression_grading_always_returns_a_verdict(text):
    v = grade_answer({"kind": "expression", "symbols": {n: "real" for n in SYMS}}, X**2 + 1, text)
    assert isinstance(v, Verdict) and v.status in ("correct", "incorrect", "invalid")
