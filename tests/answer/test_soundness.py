"""No wrong answer is graded correct (issue 13, part 1), one test group per mechanism.

* **reach points**: a difference that lives only far from 0, at a closed end of an
  interval, very near an open end, or at a documented value is found;
* **adaptive precision**: a difference too small for any fixed relative threshold
  (e^(−100000)·h, a saturated tanh, a factor 1 + 10^-70) is found, the error bound the
  decision rests on holds, and where the digits needed pass the cap the verdict is
  "too complex", never "equal";
* **derivations**: ``nncheck derive`` refuses the same false steps and does not reach a
  target through them;
* and none of it costs a false reject: identities with heavy cancellation stay equal at
  the far points, whatever the seed.
"""

from __future__ import annotations

import random
from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from topics.helpers import key_of

from nncheck.answer.equiv import CAP_DPS, compare_at, equivalent_local, zero_at
from nncheck.derive.core import check_derivation
from nncheck.key.grade import grade
from nncheck.lang.domains import DomainError, assumptions, domain, reach_points, sample_points
from nncheck.lang.mpeval import Program, Undefined
from nncheck.lang.sympy_backend import make_symbol, to_sympy
from nncheck.lang.syntax import parse

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def conv(text: str, domains: dict):
    syms = {k: make_symbol(k, v) for k, v in domains.items()}
    return to_sympy(parse(text, symbols=set(domains)), syms, text)


def same(a: str, b: str, domains: dict, seed: int = 0):
    return equivalent_local(conv(a, domains), conv(b, domains), domains, seed)


# ----------------------------------------------------------------------------
# Reach points: far out, at the ends, documented values.
# ----------------------------------------------------------------------------
def _reach(domains: dict, seed: int = 0) -> list[dict]:
    return reach_points(domains, 6, random.Random(seed))


@pytest.mark.parametrize("seed", range(5))
def test_unbounded_sides_are_visited_in_three_tiers_of_magnitude(seed):
    xs = [p["x"] for p in _reach({"x": "real", "w": "positive"}, seed)]
    ws = [p["w"] for p in _reach({"x": "real", "w": "positive"}, seed)]
    for lo, hi in ((10, 30), (100, 300), (10_000, 30_000)):
        assert any(lo <= abs(x) <= hi for x in xs), xs
    assert any(x > 0 for x in xs) and any(x < 0 for x in xs)
    assert any(w >= 10 for w in ws) and any(0 < w <= Fraction(1, 100) for w in ws)
    # Short decimals: a counterexample a student can read.
    for v in xs + ws:
        assert len(str(abs(v.numerator)).rstrip("0")) <= 3 and str(v.denominator).strip("10") == ""


@pytest.mark.parametrize("seed", range(5))
def test_closed_ends_are_taken_exactly_and_open_ends_closely(seed):
    pts = _reach({"y": "[0,1]", "yhat": "(0,1)", "h": "(-1,1)"}, seed)
    assert {p["y"] for p in pts} <= {0, 1} and {p["y"] for p in pts} == {0, 1}
    assert any(p["yhat"] >= Fraction(99, 100) for p in pts) and any(p["yhat"] <= Fraction(1, 100) for p in pts)
    assert all(0 < p["yhat"] < 1 and -1 < p["h"] < 1 for p in pts)


def test_a_set_is_the_whole_domain_and_documented_values_are_sampled():
    rng = random.Random(3)
    core = sample_points({"y": "{0,1}", "x": "real ∪ {0}"}, 12, rng)
    assert {p["y"] for p in core} == {0, 1}
    assert any(p["x"] == 0 for p in core)
    assert {p["y"] for p in _reach({"y": "{0,1}"})} == {0, 1}
    assert domain("{0, 1}").only and domain("real | {0}").values == (0,)
    assert assumptions("{0,1}") == {"real": True, "integer": True, "nonnegative": True}
    assert assumptions("(0,1) ∪ {0, 1}") == {"real": True, "nonnegative": True}
    for bad in ("{}", "{a}", "{0,1} ∪ real", "real ∪ 0", "natural ∪ {0.5}"):
        with pytest.raises(DomainError):
            domain(bad)


def test_stratification_still_gives_every_pair_of_signs():
    pts = sample_points({"a": "real", "b": "real"}, 8, random.Random(1))
    assert {(p["a"] > 0, p["b"] > 0) for p in pts} == {(True, True), (True, False), (False, True), (False, False)}


@pytest.mark.parametrize("a,b,domains", [
    ("abs(x + 10) - 10", "abs(x + 11) - 11", {"x": "real"}),
    ("relu(x - 4)", "0", {"x": "real"}),
    ("min(w, 10)", "w", {"w": "positive"}),
    ("yhat - y + 100*relu(y - 0.99)", "yhat - y", {"yhat": "(0,1)", "y": "[0,1]"}),
    ("yhat - y + 100*relu(y - 0.99)", "yhat - y", {"yhat": "(0,1)", "y": "{0,1}"}),
    ("yhat - y + relu(yhat - 0.97)", "yhat - y", {"yhat": "(0,1)", "y": "{0,1}"}),
    ("relu(x) + max(0, 1 - 10^6*abs(x))", "relu(x)", {"x": "real ∪ {0}"}),  # differs at x = 0 only
])
def test_differences_only_far_out_or_at_the_ends_are_found(a, b, domains):
    for seed in range(4):
        r = same(a, b, domains, seed)
        assert not r.equal and not r.undecided, (seed, r.counterexample())
        assert r.counterexample().startswith("at ")


@FAST
@given(a=st.integers(5, 11_000), sign=st.sampled_from([1, -1]), seed=st.integers(0, 50))
def test_a_kink_anywhere_up_to_ten_thousand_is_never_equal(a, sign, seed):
    x = make_symbol("x", "real")
    w = make_symbol("w", "positive")
    assert not equivalent_local(sympy.Max(0, sign * x - a), 0, {"x": "real"}, seed, prove=False).equal
    assert not equivalent_local(sympy.Min(w, a), w, {"w": "positive"}, seed, prove=False).equal
    assert not equivalent_local(abs(x + sign * a) - a, abs(x + sign * (a + 1)) - a - 1, {"x": "real"}, seed,
                                prove=False).equal


# ----------------------------------------------------------------------------
# Adaptive precision.
# ----------------------------------------------------------------------------
@FAST
@given(k=st.integers(1, 100_000), c=st.sampled_from([1, -3, sympy.Rational(1, 7)]), seed=st.integers(0, 50))
def test_a_perturbation_c_exp_minus_k_is_never_equal(k, c, seed):
    x = make_symbol("x", "real")
    h = make_symbol("h", "(0,1)")
    tiny = c * sympy.exp(-k)
    from nncheck.lang.sympy_backend import sigma

    forms = [
        (h * (1 - h) + tiny * h, h * (1 - h), {"h": "(0,1)"}),  # SymPy's difference is the perturbation
        (x * (1 + tiny), x, {"x": "real"}),  # inside a product
        (sigma(x) * sigma(-x) + tiny * x, sigma(x) * (1 - sigma(x)), {"x": "real"}),  # beside a cancellation
    ]
    for yours, expected, doms in forms:
        r = equivalent_local(yours, expected, doms, seed, prove=False)
        assert not r.equal, (k, c, yours)
        if k < 2000:  # within the digits the checker allows: a counterexample, not "too complex"
            assert not r.undecided, (k, yours, r.note)


@pytest.mark.parametrize("steep", [100, 1000, 10_000])
def test_a_saturated_tanh_hides_nothing(steep):
    r = same(f"yhat - y + 1 + tanh({steep}*(yhat - 0.999))", "yhat - y", {"yhat": "(0,1)", "y": "{0,1}"})
    assert not r.equal and not r.undecided


def test_tiny_differences_are_shown_as_differences():
    r = same("h*(1 - h) + exp(-100000)*h", "h*(1 - h)", {"h": "(0,1)"})
    assert not r.equal and "they differ by 1." in r.counterexample() and "e-4343" in r.counterexample()
    r = same("32 + exp(-25)", "32", {})
    assert not r.equal and r.counterexample().startswith("yours gives 32.0000000000")


def test_past_the_cap_the_verdict_is_too_complex_not_equal():
    from nncheck.lang.sympy_backend import sigma

    x = make_symbol("x", "real")
    for yours, expected in [(sympy.tanh(sympy.exp(10**5)), sympy.Integer(1)),
                            (sigma(x) * sigma(-x) + sympy.exp(-100_000) * x, sigma(x) * (1 - sigma(x)))]:
        r = equivalent_local(yours, expected, {"x": "real"})
        assert not r.equal and r.undecided and r.too_complex, yours
        assert str(CAP_DPS) in r.note


def test_grading_turns_too_complex_into_an_invalid_answer_that_costs_nothing():
    from nncheck.kinds import grade_answer
    from nncheck.lang.sympy_backend import sigma

    x = make_symbol("x", "real")
    v = grade_answer({"kind": "expression", "symbols": {"x": "real"}}, sigma(x) * (1 - sigma(x)),
                     "sigma(x)*sigma(-x) + exp(-100000)*x")
    assert v.status == "invalid" and v.too_complex and not v.costs_attempt


_PIECES = [
    "x", "y", "2.5", "1/3", "exp(x)", "exp(-40*y)", "sigma(30*x)", "tanh(x*y)", "ln(1 + x^2)", "sqrt(y^2 + 1)",
    "x^7", "(x - y)^3", "1/(x + 3.5)", "abs(x - 0.3)", "max(x, y)", "relu(y - x)", "sigma(x)*sigma(-x)",
    "1 - sigma(20*y)", "1 + tanh(12*x)", "x^40 + 1", "ln(x^2)", "sqrt(x)",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(st.sampled_from(_PIECES), min_size=2, max_size=5), ops=st.lists(st.sampled_from("+-*/"),
       min_size=4, max_size=4), x=st.sampled_from(["-2.7", "0.31", "1.6", "27", "-140", "12000"]),
       y=st.sampled_from(["-1.3", "0.0021", "2.2", "-19", "260"]))
def test_the_error_bound_holds(parts, ops, x, y):
    """The value at 70 digits is within its error bound of the value at 600 digits."""
    text = parts[0]
    for p, op in zip(parts[1:], ops):
        text = f"({text}) {op} ({p})"
    e = conv(text, {"x": "real", "y": "real"})
    prog = Program(e)
    pt = {"x": Fraction(x), "y": Fraction(y)}
    try:
        b = prog.bounded(pt, 70)
        ref = prog.evaluate(pt, 600)
    except Undefined:
        return
    if b.err == float("inf"):
        return
    with mpmath.workdps(650):
        gap = abs(mpmath.mpmathify(b.value) - ref)
    assert gap <= mpmath.mpf(2) ** b.err, (text, pt, b, gap)


def test_a_nonzero_verdict_is_confirmed_and_a_zero_one_is_certain():
    x = make_symbol("x", "real")
    from nncheck.lang.sympy_backend import sigma

    zero = sigma(x) * sigma(-x) - sigma(x) * (1 - sigma(x))
    for v in ("-2.7", "27", "140", "-260"):
        assert zero_at(zero, {"x": Fraction(v)})[0] == "zero", v
    nonzero = zero + sympy.exp(-300) * x
    verdict, gap, _ = zero_at(nonzero, {"x": Fraction(27)})
    with mpmath.workdps(60):
        assert verdict == "nonzero" and abs(gap - 27 * mpmath.exp(-300)) < mpmath.exp(-300) * 1e-30
    assert compare_at(sympy.log(x), sympy.log(x), {"x": Fraction(0)})[0] == "equal"  # SymPy's d is 0
    assert compare_at(sympy.log(x) + 1, sympy.Integer(1), {"x": Fraction(0)})[0] == "yours-undefined"


# ----------------------------------------------------------------------------
# No false rejects.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("a,b,domains", [
    ("sigma(x)*sigma(-x)", "exp(-x)/(1 + exp(-x))^2", {"x": "real"}),
    ("4*sigma(2*x)*(1 - sigma(2*x))", "1 - tanh(x)^2", {"x": "real"}),
    ("ln(1 + exp(x))", "x + ln(1 + exp(-x))", {"x": "real"}),
    ("x^40*(sigma(x) + sigma(-x)) + 1", "x^40 + 1", {"x": "real"}),
    ("exp(a)/(exp(a) + exp(b))", "sigma(a - b)", {"a": "real", "b": "real"}),
    ("y*ln(1/yhat) + (1 - y)*ln(1/(1 - yhat))", "-(y*ln(yhat) + (1 - y)*ln(1 - yhat))", {"yhat": "(0,1)",
                                                                                         "y": "[0,1]"}),
    ("relu(x) - relu(-x)", "x", {"x": "real"}),
    ("min(w, 10) + relu(w - 10)", "w", {"w": "nonnegative"}),
    ("yhat - y^2", "yhat - y", {"yhat": "(0,1)", "y": "{0,1}"}),
    ("(1 + tanh(x/2))/2", "sigma(x)", {"x": "real"}),
])
def test_identities_stay_equal_at_the_far_points(a, b, domains, seed):
    ya, yb = conv(a, domains), conv(b, domains)
    r = equivalent_local(ya, yb, domains, seed, prove=False)
    assert r.equal, (seed, r.counterexample(), r.note)


# ----------------------------------------------------------------------------
# The issue's examples, through the bundled banks' keys.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("answer", [
    "yhat - y + 100*relu(y - 0.99)",  # a one-hot y is exactly 1
    "yhat - y + relu(yhat - 0.97)",  # ŷ near 1
    "yhat - y + exp(-150)*yhat",  # 10^-65 relative
    "yhat - y + 1 + tanh(10^4*(yhat - 0.999))",  # a saturated tanh
])
def test_the_softmax_gradient_examples_are_not_correct(answer):
    k = key_of("softmax.ce-gradient", z=[1, 2, 0], y=[0, 1, 0])
    assert grade(k, "grad_sym", "yhat - y").status == "correct"
    assert grade(k, "grad_sym", answer).status == "incorrect", answer


def test_the_sigmoid_derivative_example_is_not_correct():
    k = key_of("backprop.activation-derivative", g="sigmoid")
    v = grade(k, "dsigma_h", "h*(1-h) + exp(-100000)*h")
    assert v.status == "incorrect" and "differ by" in v.feedback


def test_an_integer_key_is_not_matched_by_a_near_integer_closed_form():
    r = equivalent_local(32 + sympy.exp(-25), sympy.Integer(32), {})
    assert not r.equal and not r.undecided


# ----------------------------------------------------------------------------
# Derivations.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "x + exp(-1000)*x\n= x\n",
    "x\n= x + relu(x^2 - 49)\n",
    "(x + y + z + w)^9999\n= 0\n",
])
def test_derive_refuses_the_false_steps(text):
    rep = check_derivation(text, isolate=False)
    assert [s.status for s in rep.steps] == ["invalid"], [(s.status, s.detail) for s in rep.steps]
    assert rep.steps[0].counterexample is not None


def test_a_derivation_does_not_reach_its_target_through_a_tiny_difference():
    rep = check_derivation("target: x\nx*(1 + exp(-1000))\n= x + exp(-1000)*x\n", isolate=False)
    assert [s.status for s in rep.steps] == ["valid"]
    assert rep.to_json()["finished"] is False and "not the target" in (rep.finish_detail or "")
    assert rep.exit_code == 1
