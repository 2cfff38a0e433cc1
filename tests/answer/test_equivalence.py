"""Equivalence on the labelled corpus (no false accepts), and the checker's reasoning and messages."""

from __future__ import annotations

import os
import random

import pytest
import sympy
import yaml

from nncheck.answer.equiv import Equivalence, equivalent, equivalent_local, format_pair
from nncheck.lang.sympy_backend import make_symbol, relu, sigma, to_sympy
from nncheck.lang.syntax import parse

CORPUS = os.path.join(os.path.dirname(__file__), "equiv_corpus.yaml")


def load_corpus() -> list[tuple[str, str, bool, dict, str]]:
    with open(CORPUS, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    out = []
    for g in data["groups"]:
        for a, b, label in g["pairs"]:
            out.append((a, b, label, g["symbols"] or {}, g["group"]))
    return out


def convert(text: str, domains: dict):
    syms = {k: make_symbol(k, v) for k, v in domains.items()}
    return to_sympy(parse(text, symbols=set(domains)), syms, text)


PAIRS = load_corpus()


def test_corpus_size_and_balance():
    assert len(PAIRS) >= 300
    assert sum(1 for p in PAIRS if p[2]) >= 100 and sum(1 for p in PAIRS if not p[2]) >= 100
    # Domain traps: the same identity labelled both ways under different domains.
    traps = {(a, b) for a, b, label, _, _ in PAIRS if label} & {(a, b) for a, b, label, _, _ in PAIRS if not label}
    assert len(traps) >= 3


def test_no_false_accepts_and_no_false_rejects():
    false_accepts, false_rejects = [], []
    for a, b, label, domains, group in PAIRS:
        r = equivalent(convert(a, domains), convert(b, domains), domains)
        assert not r.too_complex, (a, b)
        if r.equal and not label:
            false_accepts.append((group, a, b))
        if not r.equal and label:
            false_rejects.append((group, a, b, r.counterexample()))
    assert false_accepts == []
    assert false_rejects == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_wrong_pairs_stay_wrong_whatever_the_seed(seed):
    for a, b, label, domains, _ in PAIRS:
        if not label:
            assert not equivalent_local(convert(a, domains), convert(b, domains), domains, seed).equal, (a, b)


def test_sigmoid_identity_is_proved_exactly():
    xi = make_symbol("xi", "real")
    r = equivalent(sigma(xi) * (1 - sigma(xi)), sympy.exp(-xi) / (1 + sympy.exp(-xi)) ** 2, {"xi": "real"})
    assert r.equal and r.method == "exact"
    r = equivalent(2 * sigma(2 * xi) - 1, sympy.tanh(xi), {"xi": "real"})
    assert r.equal and r.method == "exact"


def test_sigma_is_known_to_sympy():
    xi = make_symbol("xi", "real")
    assert sympy.diff(sigma(xi), xi) == sigma(xi) * (1 - sigma(xi))
    assert sigma(0) == sympy.Rational(1, 2)
    assert sigma(xi).rewrite(sympy.exp) == 1 / (1 + sympy.exp(-xi))
    assert sigma(xi).is_positive and sigma(xi).is_real
    assert sympy.diff(relu(xi), xi).has(sympy.Heaviside)
    assert relu(make_symbol("w", "positive")) == make_symbol("w", "positive")


def test_high_precision_tells_x40_from_x40_plus_1():
    x = make_symbol("x", "real")
    # SymPy sees x^40 + 1 - x^40 = 1 at once; hide the x^40 behind σ(x) + σ(−x) = 1 so that
    # only sampling can tell: the relative gap is ~1e-19 at |x| ≈ 3, invisible to doubles.
    r = equivalent(x**40 + 1, x**40 * (sigma(x) + sigma(-x)), {"x": "real"})
    assert not r.equal and r.method == "sampling"
    msg = r.counterexample()
    # Enough digits that the two printed values differ.
    ys, es = msg.split(" yours gives ")[1].split(", expected ")
    assert ys != es
    assert msg.startswith("at x = ")


def test_counterexample_point_is_the_exact_point_used():
    x = make_symbol("x", "real")
    r = equivalent(x**2, x**3, {"x": "real"})
    value = sympy.Rational(str(r.point["x"]))
    point_text = r.counterexample().split(" yours")[0][len("at x = "):]
    assert sympy.Rational(point_text) == value
    assert abs(float(r.yours) - float(value) ** 2) < 1e-12


def test_format_pair_shows_just_enough_digits():
    import mpmath

    assert format_pair(mpmath.mpf("0.30"), mpmath.mpf("0.25")) == ("0.3", "0.25")
    with mpmath.workdps(40):
        big, bigger = mpmath.mpf(10) ** 20, mpmath.mpf(10) ** 20 + 1
    a, b = format_pair(bigger, big)
    assert a != b and len(a) > 15
    assert format_pair(mpmath.mpc(1, 2), mpmath.mpf(1))[0] == "1 + 2i (not a real number)"


def test_branches_of_ln_and_sqrt_are_told_apart():
    a = make_symbol("a", "real")
    r = equivalent(sympy.log(a**2), 2 * sympy.log(a), {"a": "real"})
    assert not r.equal and "not a real number" in r.counterexample()


def test_constants_and_nonzero_constant_gaps():
    assert equivalent(sympy.sqrt(8), 2 * sympy.sqrt(2), {}).equal
    r = equivalent(sympy.E**2 + sympy.Rational(1, 10**300), sympy.exp(2), {})
    assert not r.equal
    x = make_symbol("x", "real")
    assert not equivalent(x + sympy.Rational(1, 10**300), x, {"x": "real"}).equal


def test_matrices_entry_by_entry():
    x = make_symbol("x", "real")
    good = equivalent(sympy.Matrix([[sigma(x) * (1 - sigma(x)), 1]]), sympy.Matrix([[sigma(x) * sigma(-x), 1]]),
                      {"x": "real"})
    assert good.equal
    bad = equivalent(sympy.Matrix([[x, 1]]), sympy.Matrix([[x, 2]]), {"x": "real"})
    assert not bad.equal and bad.note == "entry (1,2)"
    shape = equivalent(sympy.Matrix([[x, 1]]), sympy.Matrix([x, 1]), {"x": "real"})
    assert not shape.equal and shape.note == "expected 2×1, got 1×2"


def test_undefined_everywhere_is_undecided_not_equal():
    x = make_symbol("x", "positive")
    r = equivalent(sympy.log(-x) * 0 + 1 / (x - x + sympy.zoo), sympy.zoo * x, {"x": "positive"})
    assert not r.equal


def test_points_where_only_one_side_is_undefined_are_skipped():
    # (x^2 - 1)/(x - 1) = x + 1 except at x = 1, which is never sampled.
    x = make_symbol("x", "real")
    assert equivalent((x**2 - 1) / (x - 1), x + 1, {"x": "real"}).equal


def test_undeclared_symbols_are_sampled_by_their_assumptions():
    w = sympy.Symbol("w", positive=True)
    assert equivalent(sympy.sqrt(w**2), w, {}).equal
    v = sympy.Symbol("v", real=True)
    assert not equivalent(sympy.sqrt(v**2), v, {}).equal


def test_plain_python_numbers_are_accepted():
    assert equivalent(sympy.Rational(1, 2), 0.5, {}).equal
    from fractions import Fraction

    assert equivalent(Fraction(1, 3), sympy.Rational(1, 3), {}).equal


def test_equivalence_object():
    e = Equivalence(True, "exact")
    assert bool(e) and e.counterexample() == "" and "exact" in repr(e)


def test_sampling_is_deterministic_for_a_seed():
    x = make_symbol("x", "real")
    a = equivalent_local(x**2, x**3, {"x": "real"}, 5)
    b = equivalent_local(x**2, x**3, {"x": "real"}, 5)
    assert a.point == b.point
    rnd = random.Random(1)
    assert rnd.random() == random.Random(1).random()
