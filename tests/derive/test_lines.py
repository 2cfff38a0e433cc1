"""Reading a derivation: lines, headers, definitions, chains and continuation lines."""

from __future__ import annotations

import pytest

from nncheck.derive.lines import parse_assumptions, read_text
from nncheck.derive.plan import build_plan
from nncheck.errors import UsageError
from nncheck.lang.syntax import AnswerSyntaxError


def kinds(text: str, **kw) -> list[str]:
    return [ln.kind for ln in read_text(text, **kw).lines]


def steps(text: str, **kw) -> list[tuple[str, str, str]]:
    plan = build_plan(text, **kw)
    return [(s.kind, s.left.shown if s.left else "", s.right.shown if s.right else "") for s in plan.steps]


def test_blank_lines_and_comments_are_skipped():
    text = "# a comment\n\n  x + x   # trailing comment\n\n= 2x\n"
    assert kinds(text) == ["claim", "continuation"]
    assert steps(text) == [("step", "x + x", "2*x")]


def test_a_chain_is_several_steps():
    assert steps("2a = b = c = d") == [("step", "2*a", "b"), ("step", "b", "c"), ("step", "c", "d")]


def test_continuation_lines_continue_the_line_above():
    assert steps("2a = b\n= c\n  = d\n") == [("step", "2*a", "b"), ("step", "b", "c"), ("step", "c", "d")]


def test_an_expression_line_follows_the_last_line():
    assert steps("a\nb\n2c = d\ne\n") == [("step", "a", "b"), ("step", "2*c", "d"), ("step", "d", "e")]


def test_equation_lines_are_their_own_claims_in_free_form():
    assert steps("2a = b\n2c = d\n") == [("step", "2*a", "b"), ("step", "2*c", "d")]


def test_equation_lines_link_to_the_line_before_in_a_problem():
    from nncheck.derive.core import DerivationProblem

    prob = DerivationProblem("2a", None, symbols={"a": "real", "b": "real", "c": "real", "d": "real"})
    assert steps("2a = b\n2c = d\nc + c = b\n", problem=prob) == [
        ("step", "2*a", "b"), ("link", "b", "2*c"), ("step", "2*c", "d"), ("link", "d", "c + c"),
        ("step", "c + c", "b")]
    # Restating the left side of the line before is no jump: no link step.
    assert steps("2a = b\n2a = c\n", problem=prob) == [("step", "2*a", "b"), ("step", "2*a", "c")]


def test_a_fresh_name_is_a_definition():
    plan = build_plan("h = sigma(xi)\nd/dxi(h) = h(1 - h)\n")
    assert [d.name for d in plan.definitions] == ["h"]
    assert steps("h = sigma(xi)\nd/dxi(h) = h(1 - h)\n") == [("step", "d/dxi(h)", "h*(1 - h)")]
    # A used name is not redefined: the line is a claim.
    assert steps("x + 1\nx = 3\n") == [("step", "x", "3")]


def test_a_definition_with_a_chain_checks_the_chain():
    plan = build_plan("h = sigma(xi) = 1/(1 + exp(-xi))\n")
    assert [d.name for d in plan.definitions] == ["h"]
    assert [(s.left.shown, s.right.shown) for s in plan.steps] == [("sigma(xi)", "1/(1 + exp(-xi))")]


def test_a_definition_cannot_use_its_own_name():
    plan = build_plan("h = h + 1\n")
    assert plan.definitions == []
    assert [(s.left.shown, s.right.shown) for s in plan.steps] == [("h", "h + 1")]


def test_headers():
    text = "assume: w > 0, 0 < yhat < 1\nlet h = sigma(xi)\ngiven: L = -ln(yhat); u = 2\nstart: d/dxi(h)\n" \
           "target: h(1 - h)\nd/dxi(h)\n"
    plan = build_plan(text)
    assert plan.domains == {"w": "positive", "yhat": "(0,1)"}
    assert [d.name for d in plan.definitions] == ["h", "L", "u"]
    assert plan.start.shown == "d/dxi(h)" and plan.target.shown == "h*(1 - h)"


def test_target_may_name_a_later_definition():
    plan = build_plan("target: h(1 - h)\nlet h = sigma(xi)\nd/dxi(sigma(xi)) = h(1 - h)\n")
    assert [d.name for d in plan.definitions] == ["h"]


@pytest.mark.parametrize("text,domains", [
    ("w>0, 0<yhat<1", {"w": "positive", "yhat": "(0,1)"}),
    ("x >= 0", {"x": "nonnegative"}),
    ("x < 0", {"x": "negative"}),
    ("0 <= p <= 1", {"p": "[0,1]"}),
    ("x > 2", {"x": "(2,inf)"}),
    ("-1 < x", {"x": "(-1,inf)"}),
    ("x > 0, x < 1", {"x": "(0,1)"}),
    ("n: integer", {"n": "integer"}),
    ("x: (0,1)", {"x": "(0,1)"}),
    ("x in [0, 1]", {"x": "[0,1]"}),
    ("x ≥ 1/2", {"x": "[0.5,inf)"}),
])
def test_assumptions(text, domains):
    got, constraints = parse_assumptions(text)
    assert got == domains
    assert constraints == []


def test_constraint_assumptions():
    domains, constraints = parse_assumptions("y1 + y2 + y3 = 1, p > 0")
    assert domains == {"p": "positive"}
    assert len(constraints) == 1


@pytest.mark.parametrize("text,where", [
    ("x > y", 0),  # two symbols
    ("x", 0),  # not a condition
    ("x > 0, , y > 0", 6),  # empty item
    ("x > 1, x < 0", 7),  # no value left
    ("x: wide", 0),  # unknown domain
    ("x > 'a'", 4),
])
def test_bad_assumptions_point_at_the_problem(text, where):
    with pytest.raises(AnswerSyntaxError) as e:
        parse_assumptions(text)
    assert e.value.pos >= where
    assert "^" in e.value.caret()


def test_bad_assume_option_is_a_usage_error():
    with pytest.raises(UsageError):
        build_plan("x = x", assume="x >")


def test_errors_stay_on_their_line_with_a_caret():
    plan = build_plan("x + 1\n= (x + 1\n= x + 1\n")
    line_err = [s for s in plan.steps if s.status == "unparsable"]
    assert len(line_err) == 1 and line_err[0].line == 2
    assert "')'" in line_err[0].error.caret()
    # The line after the unreadable one still follows the last good line.
    assert [(s.left.shown, s.right.shown) for s in plan.steps if s.left] == [("x + 1", "x + 1")]


def test_a_leibniz_derivative_is_read_as_one():
    # dh/dξ and dσ/dξ, as the course notes write them (issue 13): the derivative, shown as read.
    plan = build_plan("dh/dxi = h(1 - h)\ndσ/dξ = σ(ξ)(1 - σ(ξ))\n")
    assert [(s.status, s.left.shown) for s in plan.steps] == [("pending", "d/dxi(h)"),
                                                               ("pending", "d/dxi(sigma(xi))")]


def test_continuation_with_nothing_above_is_noted():
    plan = build_plan("= x + 1\n= 1 + x\n")
    assert plan.notes and "nothing" not in plan.notes[0] or "no line above" in plan.notes[0]
    assert [(s.left.shown, s.right.shown) for s in plan.steps] == [("x + 1", "1 + x")]


def test_problem_headers_are_limited():
    from nncheck.derive.core import DerivationProblem

    prob = DerivationProblem("d/dx(x^2)", "2x", symbols={"x": "real"})
    plan = build_plan("assume: x > 0\nd/dx(x^2) = 2x\n", problem=prob)
    assert plan.steps[0].status == "unparsable"
    assert "problem sets the domains" in plan.steps[0].error.message


def test_problem_names_are_checked_against_its_symbols():
    from nncheck.derive.core import DerivationProblem

    prob = DerivationProblem("d/dx(x^2)", "2x", symbols={"x": "real"})
    plan = build_plan("d/dx(x^2) = 2 xx\n", problem=prob)
    assert plan.steps[0].status == "unparsable"
    assert "xx" in plan.steps[0].error.message
    # ... but a fresh name may be defined, and then used.
    plan = build_plan("u = x^2\nd/dx(u) = 2x\n", problem=prob)
    assert [d.name for d in plan.definitions] == ["u"]
    assert all(s.status == "pending" for s in plan.steps)


def test_size_bounds():
    from nncheck.derive.core import check_derivation

    rep = check_derivation("x\n" * 300, isolate=False)
    assert rep.steps[0].status == "unparsable" and "too long" in rep.steps[0].detail
    rep = check_derivation("x" * 50_000, isolate=False)
    assert rep.steps[0].status == "unparsable"
    assert rep.exit_code == 2


def test_a_function_name_without_parentheses_is_a_slip():
    plan = build_plan("d/dxi(tanh(xi))\n= 1 - tanh xi\n")
    (st,) = plan.steps
    assert st.status == "unparsable"
    assert "needs parentheses" in st.error.message and st.error.pos == len("  1 - tanh ")
    # tanh²(ξ) and tanh^2(ξ), the notes' notation, are the square of the value.
    plan = build_plan("d/dxi(tanh(xi))\n= 1 - tanh^2(xi)\n= 1 - tanh²(ξ)\n")
    assert [s.right.shown for s in plan.steps] == ["1 - tanh(xi)^2", "1 - tanh(xi)^2"]
