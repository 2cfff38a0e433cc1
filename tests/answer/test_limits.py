"""The in-process soft time limit: it interrupts pure-Python work, and limits nest.

An inner limit must never cancel an outer ``ITIMER_REAL`` timer: the derivation
checker's per-step limit wraps the equivalence proof's own limit, and pytest-timeout
wraps both.  The old proof budget set the timer to 0 on exit, which left the outer
step without any limit.
"""

from __future__ import annotations

import signal
import threading
import time

import pytest
import sympy

from nncheck.answer import sandbox
from nncheck.answer.limits import OutOfTime, time_limit

pytestmark = pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs POSIX interval timers")

OUTER = 30.0


class _Fired(Exception):
    """Raised by the outer handler: the outer timer, not an inner limit, went off."""


def _outer_handler(signum, frame):
    raise _Fired()


@pytest.fixture
def outer_timer():
    """An outer SIGALRM timer set with the raw API, as another library (pytest-timeout) would."""
    assert threading.current_thread() is threading.main_thread()
    saved_handler = signal.signal(signal.SIGALRM, _outer_handler)
    saved_timer = signal.setitimer(signal.ITIMER_REAL, OUTER)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, saved_handler)
        if saved_timer[0] > 0:
            signal.setitimer(signal.ITIMER_REAL, *saved_timer)  # pytest-timeout's own


def _busy(seconds: float) -> None:
    """Pure-Python work (a signal handler runs between bytecodes, not inside a C sleep)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_a_limit_interrupts_pure_python_work():
    t0 = time.monotonic()
    with pytest.raises(OutOfTime), time_limit(0.05):
        _busy(5)
    assert time.monotonic() - t0 < 2


def test_a_nested_limit_restores_the_outer_timer_and_handler(outer_timer):
    with time_limit(0.5):
        _busy(0.05)
    left, _ = signal.getitimer(signal.ITIMER_REAL)
    assert OUTER - 5 < left <= OUTER
    assert signal.getsignal(signal.SIGALRM) is _outer_handler


def test_the_outer_timer_keeps_only_the_time_it_had_left(outer_timer):
    with time_limit(OUTER - 1):
        time.sleep(0.3)
    left, _ = signal.getitimer(signal.ITIMER_REAL)
    assert left <= OUTER - 0.25  # not reset to its full length


def test_limits_nest_and_the_sooner_one_fires():
    t0 = time.monotonic()
    with pytest.raises(OutOfTime), time_limit(0.1), time_limit(10):
        _busy(5)
    assert time.monotonic() - t0 < 2, "the inner (longer) limit replaced the outer one"


def test_an_outer_timer_that_expires_inside_an_inner_limit_still_fires(outer_timer):
    signal.setitimer(signal.ITIMER_REAL, 0.2)  # the outer is due before the inner limit
    with pytest.raises(_Fired):
        with time_limit(10):
            _busy(5)


def test_the_proof_budget_leaves_an_outer_timer_armed(outer_timer, monkeypatch):
    """Inside the sandbox worker the proof arms its own limit; the step's limit must survive it."""
    from nncheck.answer.equiv import _prove_zero

    monkeypatch.setattr(sandbox, "_IN_WORKER", True)
    x = sympy.Symbol("x", real=True)
    assert _prove_zero((x + 1) ** 2 - x**2 - 2 * x - 1)
    left, _ = signal.getitimer(signal.ITIMER_REAL)
    assert left > 0, "the proof's limit cancelled the outer timer"
    assert signal.getsignal(signal.SIGALRM) is _outer_handler


def test_a_derivation_step_leaves_an_outer_timer_armed(outer_timer):
    from nncheck.derive import guard

    out = guard.run_one(lambda: {"status": "valid"}, 2.0)
    assert out["status"] == "valid"
    left, _ = signal.getitimer(signal.ITIMER_REAL)
    assert 0 < left <= OUTER
