"""Resource attacks: each is answered "invalid" (usually "too complex") and never hangs.

Most are refused by the parser's or converter's bounds in microseconds; the rest run
into the sandbox's hard deadline, which kills the worker.  ``pytest-timeout`` is the
hang guard here (3 s per attack, the issue's bound); speed itself is measured in
``bench/bench_answer.py``, never asserted.
"""

from __future__ import annotations

import pytest
import sympy

from nncheck.answer import sandbox
from nncheck.answer.equiv import equivalent
from nncheck.kinds import grade_answer
from nncheck.lang.sympy_backend import make_symbol

X = make_symbol("x", "real")
EXPR = {"kind": "expression", "symbols": {"x": "real"}}
NUM = {"kind": "number"}
INT = {"kind": "integer"}
VEC = {"kind": "vector"}
MAT = {"kind": "matrix"}
EXPECTED = {"expression": X**2 + 1, "number": sympy.Rational(1, 3), "integer": 3, "vector": sympy.Matrix([1, 2]),
            "matrix": sympy.Matrix([[1, 2], [3, 4]])}
REFUSED = {"too-complex", "too-long", "too-deep", "syntax", "unknown-function", "unknown-name", "forbidden", "math"}

NEST = "x"
for _ in range(20):
    NEST = f"({NEST} + 1)^2"

ATTACKS = [
    (NUM, "9^9^9^9", "too-complex"),
    (EXPR, "9^9^9^9", "too-complex"),
    (NUM, "factorial(10^10)", "unknown-function"),
    (EXPR, "factorial(10^10)", "unknown-function"),
    (NUM, "1e9999999", "too-complex"),
    (EXPR, "1e9999999*x", "too-complex"),
    (NUM, "(" * 10_000 + "1" + ")" * 10_000, "too-long"),
    (NUM, "(" * 1_000 + "1" + ")" * 1_000, "too-deep"),
    (EXPR, "sqrt(" * 100 + "x" + ")" * 100, "too-deep"),
    (NUM, "-" * 3000 + "1", "too-deep"),
    (NUM, "1" * 1_000_000, "too-long"),
    (EXPR, "x+" * 500_000 + "x", "too-long"),
    (NUM, "1" + "+1" * 1999, "too-complex"),
    (VEC, "[" + ",".join(["1+1"] * 900) + "]", "too-complex"),
    (MAT, "[" + "[1,2]," * 1000 + "[1,2]]", "too-long"),
    (NUM, "10^10^10", "too-complex"),
    (NUM, "2^2^2^2^2^2", "too-complex"),
    (NUM, "(1/3)^(10^6)", "too-complex"),
    (NUM, "99999999999999999999^99999", "too-complex"),
    (NUM, "2^99999", "too-complex"),
    (INT, "7^7^7", "too-complex"),
    (NUM, "exp(exp(exp(exp(1))))", "too-complex"),
    (NUM, "exp(10^6)", "too-complex"),
    (EXPR, "x^(10^100)", "too-complex"),
    (EXPR, "(x + 1)^(10^9)", "too-complex"),
    (EXPR, "exp(exp(exp(10)))", "too-complex"),
    (EXPR, "e^(e^(e^10))", "too-complex"),
    (EXPR, "2^(2^(2^(2^5)))*x", "too-complex"),
    (EXPR, "sigma(exp(exp(12)))", "too-complex"),
    (EXPR, "exp(x)^(10^5)", "too-complex"),
    (NUM, "1" * 61, "too-complex"),
    (NUM, "0.1e-401", "too-complex"),
    (NUM, "x¹²³⁴⁵", "too-complex"),
    # These parse and convert, but evaluating them is astronomically expensive: the deadline answers.
    (EXPR, "x^x^x^x^x^x", "too-complex"),
    (EXPR, "exp(exp(x^100))", "too-complex"),
]


def test_attack_count():
    assert len(ATTACKS) >= 25


@pytest.mark.timeout(3)
@pytest.mark.parametrize("part,text,code", ATTACKS, ids=lambda v: repr(v)[:28])
def test_attack_is_refused_in_time(part, text, code):
    expected = EXPECTED[part["kind"]]
    if code == "too-complex" and part is EXPR and text.startswith(("x^x", "exp(exp(x")):
        # Equal to the key in disguise, so that every sample point must be evaluated.
        expected = _disguised(text)
    v = grade_answer(part, expected, text)
    assert v.status == "invalid", v
    assert v.error.code == code, (v.error.code, v.error.message)
    assert not v.costs_attempt


def _disguised(text: str):
    from nncheck.lang.sympy_backend import sigma, to_sympy
    from nncheck.lang.syntax import parse

    e = to_sympy(parse(text, symbols={"x"}), {"x": X}, text)
    return e * (sigma(X) + sigma(-X))  # = e, but not syntactically


@pytest.mark.timeout(3)
def test_the_hard_deadline_stops_c_code():
    """The issue's example: Decimal('1e9999999') expanded to an int, in C, no signal can stop it."""
    old = sandbox.set_timeout(0.5)
    try:
        sandbox.run("echo", 0)  # a live worker to kill
        spawns = sandbox.stats["spawns"]
        with pytest.raises(sandbox.TooComplex, match="gave up after 0.5 s"):
            sandbox.run("hang")
        # The worker was killed; the next job gets a fresh one and works.
        assert sandbox.run("echo", 41) == 41
        assert sandbox.stats["spawns"] == spawns + 1
    finally:
        sandbox.set_timeout(old)


@pytest.mark.timeout(3)
def test_equivalent_reports_too_complex_instead_of_hanging():
    x = X
    yours = x ** x ** x ** x ** x ** x
    from nncheck.lang.sympy_backend import sigma

    r = equivalent(yours, yours * (sigma(x) + sigma(-x)), {"x": "real"})
    assert r.too_complex and r.undecided and not r.equal
    assert "too complex" in r.note


@pytest.mark.timeout(10)
def test_heavy_but_legitimate_answers_are_graded():
    """Big but sane answers are graded (correct or incorrect), not refused."""
    for text, expected, status in [
        (NEST, sympy.Integer(5), "incorrect"),
        ("(x^2+1)^10000/(x^2+1)^9999", X**2 + 1, "correct"),
        ("max(x^1000, x^999, x^998, x^997)", X**2 + 1, "incorrect"),
        ("sigma(x)^10000 - sigma(x)^9999", X**2 + 1, "incorrect"),
        ("tanh(exp(10^5))", sympy.Integer(2), "incorrect"),
    ]:
        v = grade_answer(EXPR, expected, text)
        assert v.status == status, (text, v)
