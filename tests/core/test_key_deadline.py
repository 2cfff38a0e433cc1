"""The answer key of a problem with the user's own values has a deadline (``USER_KEY_SECONDS``).

Past it the variant is refused with one line (a ParamError: exit code 2, "too large to solve in
time"), also when the interruption lands in a comparison that catches every exception; keys of
drawn variants have no such deadline, and the sandbox still works afterwards.
"""

from __future__ import annotations

import time

import pytest
from shared_helpers import one_line_error, run

from nncheck import kinds
from nncheck.errors import ParamError
from nncheck.generate.variant import make_variant
from nncheck.key import compute

FAMILY, GIVEN = "rnn.scalar-iir", {"w": "[0.5]"}


class _Slow:
    """A solver whose SymPy path (or whose mistakes) runs in Python for ``seconds``."""

    def __init__(self, inner, seconds: float, where: str):
        self.inner, self.seconds, self.where = inner, seconds, where

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def _spin(self):
        end = time.monotonic() + self.seconds
        while time.monotonic() < end:
            pass

    def exact(self, p):
        if self.where == "exact":
            self._spin()
        return self.inner.exact(p)


def _variant(catalog, overrides=GIVEN, seed=1):
    return make_variant(catalog.get(FAMILY), seed, dict(overrides))


def test_a_slow_key_with_given_values_is_refused_in_time(catalog, monkeypatch):
    monkeypatch.setattr(compute, "USER_KEY_SECONDS", 1.0)
    v = _variant(catalog)
    v._solver = _Slow(v.solver, 30, "exact")
    t0 = time.monotonic()
    with pytest.raises(ParamError, match="too large to solve in time") as e:
        compute.answer_key(v)
    assert time.monotonic() - t0 < 3
    assert FAMILY in e.value.line() and "w" in e.value.line()


def test_an_interruption_caught_by_a_comparison_still_ends_the_key(catalog, monkeypatch):
    # A kind's comparison that catches every exception (as "not the same") swallows the time
    # limit's interruption; the computation still stops at its next phase.
    monkeypatch.setattr(compute, "USER_KEY_SECONDS", 1.0)
    kind = kinds.get(_variant(catalog).parts[0]["kind"])

    def swallowing_same(spec, expected, value):
        try:
            end = time.monotonic() + 30
            while time.monotonic() < end:
                pass
        except Exception:  # noqa: BLE001 - the point of the test
            return False
        return False

    monkeypatch.setattr(type(kind), "same", lambda self, spec, expected, value: swallowing_same(spec, expected, value))
    v = _variant(catalog)
    if not (v.solver.mistakes(v.params) or {}):
        pytest.skip("the family declares no mistakes to compare")
    t0 = time.monotonic()
    with pytest.raises(ParamError, match="too large to solve in time"):
        compute.answer_key(v)
    assert time.monotonic() - t0 < 3


def test_ordinary_keys_are_unchanged(catalog):
    v = _variant(catalog)
    key = compute.answer_key(v)
    assert key.parts
    drawn = make_variant(catalog.get(FAMILY), 3)
    assert not drawn.overrides and compute.answer_key(drawn).parts


def test_the_sandbox_works_after_a_refused_key(catalog, monkeypatch):
    import sympy

    from nncheck.answer.equiv import equivalent

    monkeypatch.setattr(compute, "USER_KEY_SECONDS", 0.5)
    v = _variant(catalog)
    v._solver = _Slow(v.solver, 30, "exact")
    with pytest.raises(ParamError):
        compute.answer_key(v)
    x = sympy.Symbol("x", real=True)
    assert equivalent(x + x, 2 * x, {"x": "real"}).equal
    assert not equivalent(x + 1, x, {"x": "real"}).equal


def test_solve_with_huge_given_values_answers_or_refuses_in_one_line(monkeypatch):
    # w = 10^15 once ran for minutes (its rounding of huge exact values): now it is answered
    # or refused within the deadline.
    monkeypatch.setattr(compute, "USER_KEY_SECONDS", 2.0)
    t0 = time.monotonic()
    r = run("solve", FAMILY, "w=[1000000000000000]")
    assert time.monotonic() - t0 < 2.0 + 5
    if r.exit_code != 0:
        one_line_error(r, "too large to solve in time", FAMILY)
