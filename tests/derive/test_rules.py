"""The rule named for a valid step, and what an invalid step says."""

from __future__ import annotations

import pytest

from nncheck.derive.core import check_derivation
from nncheck.derive.rules import RULES

SOFTMAX = "".join(f"let p{k} = exp(z{k})/(exp(z1) + exp(z2) + exp(z3))\n" for k in (1, 2, 3))


def only_step(text: str):
    rep = check_derivation(text, isolate=False)
    assert len(rep.steps) == 1, [(s.status, s.detail) for s in rep.steps]
    return rep.steps[0]


@pytest.mark.parametrize("text,rule,words", [
    ("x^2 + 2x + 1\n= (x + 1)^2", "algebra", "algebra"),
    ("exp(a)/(exp(a) + exp(b))\n= 1/(1 + exp(b - a))", "algebra", "algebra"),
    ("assume: a > 0, b > 0\nln(a b)\n= ln(a) + ln(b)", "log-rules", "ln(ab)"),
    ("ln(exp(z)/(1 + exp(z)))\n= z - ln(1 + exp(z))", "log-rules", "log"),
    ("tanh(x)\n= 2 sigma(2x) - 1", "tanh-sigmoid", "2σ(2u) − 1"),
    ("sigma(x)\n= 1/(1 + exp(-x))", "definition", "definition of σ"),
    ("tanh(x)\n= (exp(x) - exp(-x))/(exp(x) + exp(-x))", "definition", "definition of tanh"),
    ("let h = sigma(xi)\nsigma(xi)(1 - sigma(xi))\n= h(1 - h)", "definition", "h = sigma(xi)"),
    (SOFTMAX + "1 - p1\n= p2 + p3", "softmax-normalisation", "p1 + p2 + p3 = 1"),
    ("exp(a)/(exp(a) + exp(b)) + exp(b)/(exp(a) + exp(b))\n= 1", "softmax-normalisation", "sum to 1"),
    ("exp(a)/(exp(a) + exp(b))\n= exp(a - c)/(exp(a - c) + exp(b - c))", "algebra", "algebra"),
    ("assume: x > 0\nd/dx(ln(x))\n= 1/x", "derivative", "ln"),
    (SOFTMAX + "p1\n= exp(z1)/(exp(z1) + exp(z2) + exp(z3))", "definition", "p1 ="),
    ("assume: y1 + y2 = 1\ny1 (1 - p) - y2 p\n= y1 - p", "normalisation", "y1 + y2 = 1"),
    ("d/dxi(sigma(xi))\n= sigma(xi)(1 - sigma(xi))", "sigmoid-derivative", "σ′ = σ(1−σ)"),
    ("d/dx(sigma(2x))\n= 2 sigma(2x)(1 - sigma(2x))", "sigmoid-derivative", "chain rule"),
    ("let h = sigma(xi)\nd/dxi(h)\n= h(1 - h)", "sigmoid-derivative", "σ′"),
    ("d/dx(tanh(x))\n= 1 - tanh(x)^2", "tanh-derivative", "tanh′"),
    ("d/dx(ln(sigma(x)))\n= d/dx(sigma(x))/sigma(x)", "chain-rule", "chain rule"),
    ("d/dx(exp(-x))\n= -exp(-x)", "chain-rule", "chain rule"),
    ("d/dx(x^2 + 3x)\n= d/dx(x^2) + 3 d/dx(x)", "derivative", "linearity"),
    ("d/dx(x^3)\n= 3x^2", "derivative", "power"),
    ("let g = 3x\nlet y = g^2 + x\nd/dx(y)\n= 2 g d/dx(g) + 1", "chain-rule", "through g"),
    ("d/dxi(sigma(xi))\n= d/dxi(1/(1 + exp(-xi)))", "definition", "inside d/dxi"),
    ("x + y\n= y + x", "algebra", "algebra"),
])
def test_rule_names(text, rule, words):
    st = only_step(text)
    assert st.status == "valid", st.detail
    assert st.rule == rule, (st.rule, st.detail)
    assert rule in RULES
    assert words in st.detail


def test_invalid_steps_name_the_point_and_the_two_values():
    st = only_step("d/dx(x^2)\n= 3x")
    assert st.status == "invalid" and st.rule is None
    ce = st.counterexample
    (x,) = ce["at"].values()
    assert ce["left"] == pytest.approx(2 * x, rel=1e-9) and ce["right"] == pytest.approx(3 * x, rel=1e-9)
    assert f"the left side is {ce['left_text']}, the right side is {ce['right_text']}" in st.detail


@pytest.mark.parametrize("text,hint", [
    ("d/dx(x^2)\n= -2x", "sign slip"),
    ("d/dx(x^3)\n= x^2", "1/3 times"),
    ("d/dx(x^2 + 5x)\n= 2x + 5 + 2", "plus 2"),
    ("sigma(x)(1 - sigma(x))\n= 2 sigma(x)(1 - sigma(x))", "2 times"),
])
def test_common_slips_are_named(text, hint):
    st = only_step(text)
    assert st.status == "invalid"
    assert st.hint and hint in st.hint, st.hint


def test_values_are_shown_with_the_digits_that_differ():
    st = only_step("x^40 + 1\n= x^40")
    assert st.status == "invalid"
    assert st.counterexample["left_text"] != st.counterexample["right_text"]


def test_a_domain_change_says_which_side_is_undefined():
    st = only_step("ln(w/wa)\n= ln(w) - ln(wa)")
    assert st.status == "invalid"
    assert "changes the domain" in st.detail and "undefined" in st.detail
    assert "assume" in st.hint
    assert only_step("assume: w > 0, wa > 0\nln(w/wa)\n= ln(w) - ln(wa)").status == "valid"


def test_saturation_is_not_mistaken_for_a_domain_change():
    # 1 − σ(40) is 4e-18: positive, though it rounds to 0 in double precision.
    assert only_step("ln(1 - sigma(40 x))\n= -40 x - ln(1 + exp(-40 x))").status == "valid"


def test_partial_derivative_in_a_defined_name():
    st = only_step("let yhat = sigma(xi)\nd/dyhat(ln(yhat))\n= 1/yhat")
    assert st.status == "valid"
    st = only_step("let yhat = sigma(xi)\nd/dxi(ln(yhat))\n= 1 - yhat")
    assert st.status == "valid"
    st = only_step("let yhat = sigma(xi)\nd/dxi(ln(yhat))\n= 1/yhat")
    assert st.status == "invalid"


def test_a_definition_substitutes_before_differentiating():
    # d/dxi(h) is σ′, not 0, although h is written as a name.
    st = only_step("let h = sigma(xi)\nd/dxi(h)\n= 0")
    assert st.status == "invalid"
