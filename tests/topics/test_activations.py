"""backprop.activation-derivative: seed facts, finite differences, g′ in terms of h, mistakes, bad input."""

from __future__ import annotations

from fractions import Fraction
from functools import partial

import pytest
import sympy

from nncheck.generate.variant import build_variant, make_variant
from nncheck.key.compute import answer_key
from nncheck.key.grade import grade
from nncheck.kinds.values import expr_text, to_float
from topics import helpers
from topics.helpers import check_mistake_library, show_fails_in_one_line

FID = "backprop.activation-derivative"
record = partial(helpers.record, FID)
key = partial(helpers.key_of, FID, 1)


def text(value) -> str:
    """A key or mistake value in the answer language (full float precision)."""
    if isinstance(value, sympy.Basic) and value.free_symbols:
        return expr_text(value)
    return repr(to_float(value))


# -- the seeds' facts --------------------------------------------------------------
def test_sigmoid_derivative_at_zero_is_a_quarter():
    k = key(g="sigmoid", xi=0)
    assert k.parts["h"].exact == Fraction(1, 2)
    assert k.parts["dh"].exact == sympy.Rational(1, 4)


def test_sigmoid_derivative_in_h_is_h_times_one_minus_h():
    k = key(g="sigmoid", xi=1)
    h = sympy.Symbol("h")
    assert sympy.simplify(k.parts["dsigma_h"].exact.subs(sympy.Symbol("h", real=True), h) - h * (1 - h)) == 0
    for answer in ("h*(1-h)", "h - h^2", "sigma(xi)*(1-sigma(xi))".replace("sigma(xi)", "h")):
        assert grade(k, "dsigma_h", answer).status == "correct", answer


def test_tanh_derivative_in_h_is_one_minus_h_squared():
    k = key(g="tanh", xi=-1)
    assert grade(k, "dtanh_h", "1 - h^2").status == "correct"
    assert grade(k, "dtanh_h", "(1-h)*(1+h)").status == "correct"
    assert abs(to_float(k.parts["dh"].exact) - (1 - to_float(k.parts["h"].exact) ** 2)) < 1e-12


def test_tanh_is_a_scaled_sigmoid():
    # ECE 417: tanh(ξ) = 2σ(2ξ) − 1.
    for xi in (-2, Fraction(1, 2), 1):
        t = to_float(key(g="tanh", xi=xi).parts["h"].exact)
        s = to_float(key(g="sigmoid", xi=2 * xi).parts["h"].exact)
        assert abs(t - (2 * s - 1)) < 1e-12


def test_relu_derivative_is_the_unit_step_with_u0_equal_one():
    assert key(g="relu", xi=0).parts["dh"].exact == 1
    assert key(g="relu", xi=-2).parts["dh"].exact == 0
    assert key(g="relu", xi=3).parts["dh"].exact == 1


def test_leaky_relu_and_elu_branches():
    k = key(g="leaky_relu", xi=-2, alpha=0.1)
    assert k.parts["h"].exact == sympy.Rational(-1, 5) and k.parts["dh"].exact == sympy.Rational(1, 10)
    k = key(g="elu", xi=-1, alpha=2)
    assert abs(to_float(k.parts["h"].exact) - 2 * (sympy.exp(-1) - 1)) < 1e-12
    assert k.parts["dh"].exact == 2 * sympy.exp(-1)
    assert key(g="elu", xi=0, alpha=0.5).parts["dh"].exact == sympy.Rational(1, 2)  # the ξ ≤ 0 branch


def test_only_the_matching_h_form_is_asked():
    names = lambda **o: [p["name"] for p in make_variant(record(), 1, {k: str(v) for k, v in o.items()}).parts]  # noqa: E731
    assert names(g="sigmoid") == ["h", "dh", "dsigma_h"]
    assert names(g="tanh") == ["h", "dh", "dtanh_h"]
    assert names(g="relu") == ["h", "dh"]


def test_closed_forms_are_accepted():
    k = key(g="sigmoid", xi=2)
    assert grade(k, "h", "1/(1+exp(-2))").status == "correct"
    assert grade(k, "dh", "sigma(2)*(1-sigma(2))").status == "correct"
    assert grade(k, "h", "0.881").status == "correct"


def test_prompt_states_the_convention_and_the_needed_exponential():
    v = make_variant(record(), 1, {"g": "relu", "xi": "0"})
    assert "u(0) = 1" in v.prompt
    assert "e^(−2) ≈ 0.1353" in make_variant(record(), 1, {"g": "sigmoid", "xi": "2"}).prompt


# -- random instances: cross-check (inside answer_key) and central finite differences ------------
@pytest.mark.parametrize("seed", range(1, 41))
def test_random_derivative_matches_finite_differences(seed):
    v = build_variant(record(), seed, {})
    k = answer_key(v)
    p = v.params
    xi = Fraction(p["xi"])
    if p["g"] in ("relu", "leaky_relu", "elu") and xi == 0:
        return  # a kink: no two-sided derivative to compare with
    eps = Fraction(1, 10**6)
    fixed = {"g": p["g"], "alpha": str(p["alpha"])}
    up = answer_key(make_variant(record(), seed, {**fixed, "xi": str(xi + eps)})).parts["h"].exact
    down = answer_key(make_variant(record(), seed, {**fixed, "xi": str(xi - eps)})).parts["h"].exact
    fd = (to_float(up) - to_float(down)) / (2 * float(eps))
    assert abs(fd - to_float(k.parts["dh"].exact)) < 1e-6


# -- the mistake library -------------------------------------------------------------
MISTAKE_CASES = [
    dict(g="sigmoid", xi=2), dict(g="sigmoid", xi=-1), dict(g="tanh", xi=1), dict(g="tanh", xi=-2),
    dict(g="relu", xi=-2), dict(g="relu", xi=0), dict(g="leaky_relu", xi=-2, alpha=0.1),
    dict(g="elu", xi=-1, alpha=2), dict(g="elu", xi=-2, alpha=0.5),
]


def test_every_declared_mistake_is_recognised_and_every_key_accepted():
    check_mistake_library({m["id"] for m in record()["mistakes"]}, MISTAKE_CASES, key, text)


def test_mistake_messages_explain():
    k = key(g="relu", xi=-2)
    v = grade(k, "dh", "1")
    assert v.mistake == "derivative-one-everywhere" and "other branch" in v.feedback
    v = grade(key(g="sigmoid", xi=0), "dsigma_h", "1-h^2")
    assert v.mistake == "tanh-rule-for-sigmoid"


# -- bad overrides -------------------------------------------------------------------
BAD_OVERRIDES = [
    (["g=leaky_relu", "alpha=2"], "needs 0 < alpha < 1"),
    (["g=elu", "alpha=-1"], "elu needs alpha > 0"),
    (["g=softplus"], "g must be one of"),
    (["xi=100"], "xi must be at most 50"),
]


def test_bad_overrides_give_one_line_and_exit_2():
    # One test for all cases: the catalogue cache built by the first command serves the others.
    for args, fragment in BAD_OVERRIDES:
        show_fails_in_one_line(FID, args, fragment)


# -- your own numbers: α is listed only where g reads it (issue 18) --------------------
@pytest.mark.parametrize("g, listed", [("sigmoid", False), ("tanh", False), ("relu", False),
                                       ("leaky_relu", True), ("elu", True)])
def test_alpha_is_listed_only_for_the_activations_that_read_it(g, listed):
    v = make_variant(record(), 1, {"g": g, "xi": "-1"})
    assert ("alpha" in v.used_defaulted()) is listed
    assert "alpha" not in v.drawn
    # The key agrees: α changes the answer exactly where it is listed.
    other = make_variant(record(), 1, {"g": g, "xi": "-1", "alpha": "0.5"})
    assert (answer_key(v).parts["dh"].exact != answer_key(other).parts["dh"].exact) is listed


def test_a_sigmoid_show_lists_no_alpha():
    from typer.testing import CliRunner

    from nncheck.cli.app import app

    r = CliRunner().invoke(app, ["show", FID, "g=sigmoid", "xi=2"])
    assert r.exit_code == 0, r.output
    assert "alpha" not in r.output
