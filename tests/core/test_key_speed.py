"""What makes an answer key cheap without changing it.

* A declared mistake's value is dropped when the grader would accept it as the answer.  The key
  (``compute._Bound``) skips the grader's rule for a value with an entry far beyond anything the rule
  accepts, and accepts without the rule a value of the key's shape whose every entry is well inside
  its window.  Here both are held against the rule itself, on values at and around every way the
  rule accepts one (the window, correct roundings, truncations).
* The key cache lists its directory on a budget, not at every write, and stays within its bounds.
"""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest
import sympy

from nncheck import kinds
from nncheck.key import cache, compute
from nncheck.key.model import KeyPart
from nncheck.kinds.tolerance import roundings, truncation

TOLERANCES = [None, {"rel": 0.1}, {"abs": 0.5}, {"rel": 1e-6, "abs": 1e-9}, {"sigfigs": 3}, {"sigfigs": 1},
              {"rel": 0.02, "min_sigfigs": 4}]


def _keys(rng: random.Random) -> list:
    """Exact key entries of every sort and magnitude: integers, fractions, closed forms, 30-digit Floats."""
    out = [sympy.Integer(0), sympy.Integer(3), sympy.Rational(-2, 7), sympy.Rational(1, 8),
           1 / (1 + sympy.exp(-2)), sympy.log(2) / 3, sympy.Float("0.0199952508073097376899859710495", 30)]
    for _ in range(25):
        mag = 10.0 ** rng.randint(-6, 6)
        out.append(sympy.Float(rng.uniform(-1, 1) * mag, 30))
        out.append(sympy.Rational(rng.randint(-999, 999), rng.randint(1, 999)))
    return out


def _candidates(x, rng: random.Random) -> list[float]:
    """Values a mistake might give, from the key itself to far away, through every reading of the rule."""
    xf = float(x)
    out = [xf, -xf, 0.0, xf + 1, xf * 2]
    for d in (1e-12, 1e-9, 1e-6, 1e-4, 1e-3, 4e-3, 5e-3, 6e-3, 0.01, 0.05, 0.1, 0.3, 0.49, 0.5, 0.51, 1, 3, 10):
        out += [xf * (1 + d), xf * (1 - d), xf + d, xf - d]
    k = Fraction(sympy.Rational(sympy.N(x, 40))) if xf else Fraction(0)
    for n in range(1, 8):
        out += [float(r) for r in roundings(k, n)] + [float(truncation(k, n))]
    out += [xf * (1 + rng.uniform(-1, 1) * 10.0 ** -rng.randint(0, 10)) for _ in range(10)]
    return out


def _keyed(kind: str, tol, rng: random.Random):
    """(spec, exact, key part, x, other) for each key entry x of :func:`_keys`, beside a second entry
    ``other`` = 1/3, as a 1×2 matrix or a vector."""
    spec = {"name": "v", "kind": kind, **({"tolerance": tol} if tol else {})}
    for x in _keys(rng):
        other = sympy.Rational(1, 3)  # a second entry, given exactly right
        exact = sympy.Matrix([[x, other]]) if kind == "matrix" else sympy.Matrix([x, other])
        yield spec, exact, KeyPart("v", kind, exact, None, [], spec), x, other


@pytest.mark.parametrize("tol", TOLERANCES, ids=str)
@pytest.mark.parametrize("kind", ["vector", "matrix"])
def test_a_value_judged_apart_is_never_one_the_grader_accepts(kind, tol):
    rng = random.Random(f"{kind}{tol}")
    rule = kinds.get(kind)
    apart = checked = 0
    for spec, exact, kp, x, other in _keyed(kind, tol, rng):
        for y in _candidates(x, rng):
            value = np.array([[y, float(other)]]) if kind == "matrix" else np.array([y, float(other)])
            checked += 1
            if compute._Bound(kp).settles(value) is False:
                apart += 1
                assert not rule.same(spec, exact, value), (x, y, tol)
    # The bound does its work: a share of these values (most are close on purpose) is far enough.
    assert apart > checked // 10


@pytest.mark.parametrize("tol", TOLERANCES, ids=str)
@pytest.mark.parametrize("kind", ["vector", "matrix"])
def test_a_value_judged_the_same_is_one_the_grader_accepts(kind, tol):
    rng = random.Random(f"same{kind}{tol}")
    rule = kinds.get(kind)
    same = checked = 0
    for spec, exact, kp, x, other in _keyed(kind, tol, rng):
        bound = compute._Bound(kp)
        for y in _candidates(x, rng):
            # As solvers give mistake values: NumPy arrays, nested lists, exact fractions and integers.
            rows = [[y, float(other)]], [[y, Fraction(1, 3)]], [[int(y) if float(y).is_integer() else y, other]]
            forms = (np.array(rows[0]), rows[0], rows[1], rows[2], [y, float(other)], np.array(rows[0]).T)
            for value in rng.sample(forms, 2):
                if kind == "vector" and isinstance(value, list) and isinstance(value[0], list):
                    value = value[0]
                checked += 1
                settled = bound.settles(value)
                if settled is True:
                    same += 1
                    assert rule.same(spec, exact, value), (x, y, value, tol)
                elif settled is False:
                    assert not rule.same(spec, exact, value), (x, y, value, tol)
    assert same > checked // 20  # most candidates are near the window's edge on purpose


def test_only_a_value_read_in_the_keys_shape_is_judged_the_same_without_the_rule():
    spec = {"name": "m", "kind": "matrix"}
    bound = compute._Bound(KeyPart("m", "matrix", sympy.Matrix([[1, 2]]), None, [], spec))
    assert bound.settles([[1.0, 2.0]]) is True
    assert bound.settles([1.0, 2.0]) is None and bound.settles([[1.0], [2.0]]) is None  # the rule says why
    assert bound.settles([[1, sympy.Integer(2)]]) is None  # printed and parsed again: the rule judges it
    vec = compute._Bound(KeyPart("v", "vector", sympy.Matrix([1, 2]), None, [], {"name": "v", "kind": "vector"}))
    assert vec.settles([[1.0, 2.0]]) is True and vec.settles(np.array([1.0, 2.0])) is True


def _apart(kp, value) -> bool:
    return compute._Bound(kp).settles(value) is False


def test_a_far_mistake_is_dropped_or_kept_as_the_rule_says():
    spec = {"name": "v", "kind": "vector"}
    kp = KeyPart("v", "vector", sympy.Matrix([sympy.Rational(1, 3), 2]), None, [], spec)
    assert _apart(kp, [0.5, 2.0])  # 50% off
    assert not _apart(kp, [0.333, 2.0])  # close: the rule decides (it accepts 0.333)
    assert compute._same(kp, [0.333, 2.0]) and not compute._same(kp, [0.5, 2.0])
    assert not _apart(kp, [0.5])  # another length: the rule decides
    spec_x = {"name": "e", "kind": "vector", "symbols": {"x": "real"}}
    expr = KeyPart("e", "vector", sympy.Matrix([1, 2]), None, [], spec_x)
    assert not _apart(expr, [5.0, 7.0])  # arrays of expressions are not bounded here


def test_figures_of_a_float_as_written():
    assert [compute._figures(v) for v in (0.5, 290.0, 0.1234, 1e-05, 1.5e20, 0.0, -2.50)] == [1, 2, 4, 1, 2, 1, 2]


# ----------------------------------------------------------------------------
# The cache's bound, kept on a budget.
# ----------------------------------------------------------------------------
def test_the_directory_is_listed_on_a_budget_and_stays_bounded(tmp_path, monkeypatch):
    d = str(tmp_path)
    listings = []
    real = cache._evict

    def counting(directory, max_entries, max_bytes):
        listings.append(directory)
        return real(directory, max_entries, max_bytes)

    monkeypatch.setattr(cache, "_evict", counting)
    monkeypatch.setattr(cache, "MAX_ENTRIES", 100)
    monkeypatch.setattr(cache, "_BUDGET", {})
    for i in range(400):
        with open(tmp_path / f"{i:04d}.json", "wb") as fh:
            fh.write(b"{}")
        cache._bound(d, 2)
        assert len(list(tmp_path.iterdir())) <= 100
    # Far fewer listings than writes (each lists a quarter of the room left), yet the bound held.
    assert 10 < len(listings) < 200


# ----------------------------------------------------------------------------
# Keys that do not depend on their numbers are confirmed once a process.
# ----------------------------------------------------------------------------
def test_a_derivation_closed_form_is_confirmed_once_a_process(monkeypatch):
    from nncheck.errors import AnswerKeyError
    from nncheck.topics import derivations

    monkeypatch.setattr(derivations, "_CONFIRMED", {})
    calls = []
    real = derivations.SigmoidDerivative.closed_form
    monkeypatch.setattr(derivations.SigmoidDerivative, "closed_form", lambda self: calls.append(1) or real(self))
    solver = derivations.SigmoidDerivative()
    assert solver.exact({}) == solver.exact({}) == {"derivation": real(solver)}
    assert len(calls) == 1

    class Refused(derivations.SigmoidDerivative):
        def closed_form(self):
            calls.append(2)
            raise AnswerKeyError("the closed form does not follow from the forward expression")

    for _ in range(2):  # a refusal is not kept: it is refused again
        with pytest.raises(AnswerKeyError):
            Refused().exact({})
    assert calls.count(2) == 2


def test_a_number_with_more_digits_than_the_language_reads_is_left_to_the_rule():
    spec = {"name": "v", "kind": "vector"}
    kp = KeyPart("v", "vector", sympy.Matrix([sympy.Rational(1, 3), 2]), None, [], spec)
    long = Fraction(10**70 + 1, 3 * 10**70)  # 1/3 to 70 digits: the answer language refuses the literal
    assert compute._Bound(kp).settles([long, 2]) is None
    assert compute._Bound(kp).settles([Fraction(1, 3), 2]) is True


def test_a_value_whose_text_the_language_would_refuse_is_left_to_the_rule():
    # 250 full-length floats write past the answer language's 4,000 characters: the rule refuses the
    # text (not the same), so the bound must not say "the same".
    spec = {"name": "v", "kind": "vector"}
    exact = sympy.Matrix([sympy.Rational(k + 1, 7) for k in range(250)])
    kp = KeyPart("v", "vector", exact, None, [], spec)
    value = [float(x) for x in exact]
    assert compute._Bound(kp).settles(value) is None
    assert not kinds.get("vector").same(spec, exact, value)
    short = KeyPart("v", "vector", exact[:100, :], None, [], spec)
    assert compute._Bound(short).settles(value[:100]) is True
    assert compute._Bound(KeyPart("v", "vector", sympy.Matrix([]), None, [], spec)).settles([]) is None
