"""Hostile lines get the answer language's guarantees: no code runs, no hang, no traceback."""

from __future__ import annotations

import os
import signal
import time

import pytest

from nncheck.derive import guard
from nncheck.derive.core import check_derivation

pytestmark = pytest.mark.skipif(not guard.can_isolate(), reason="needs os.fork for the hard time limit")


def _blocked_sleep():
    # SIGALRM blocked: only the parent's SIGKILL can end this task, as with C code that ignores signals.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    time.sleep(30)
    return {"status": "valid"}


def test_a_task_stuck_in_c_code_is_killed_and_the_next_one_still_runs():
    tasks = [lambda: {"status": "valid"}, _blocked_sleep, lambda: {"status": "invalid"}]
    t0 = time.monotonic()
    out = guard.run_tasks(tasks, isolate=True, step_seconds=1.0, total_seconds=20)
    took = time.monotonic() - t0
    assert [r["status"] for r in out] == ["valid", "undecided", "invalid"]
    assert "too complex" in out[1]["detail"]
    assert took < 6, took


def test_the_whole_derivation_has_a_deadline():
    tasks = [_blocked_sleep] * 5
    t0 = time.monotonic()
    out = guard.run_tasks(tasks, isolate=True, step_seconds=1.0, total_seconds=2.5)
    assert time.monotonic() - t0 < 8
    assert all(r["status"] == "undecided" for r in out)
    assert any("whole derivation" in r["detail"] for r in out)


def test_a_crashing_child_costs_one_step_only():
    tasks = [lambda: os._exit(3), lambda: {"status": "valid"}]
    out = guard.run_tasks(tasks, isolate=True, step_seconds=2.0)
    assert out[0]["status"] == "undecided" and out[1]["status"] == "valid"


def test_a_task_error_is_a_verdict_not_a_traceback():
    def boom():
        raise ZeroDivisionError("bug")

    (out,) = guard.run_tasks([boom], isolate=False)
    assert out["status"] == "undecided" and "ZeroDivisionError" in out["detail"]


def test_a_sympy_blow_up_is_undecided_within_the_limit():
    text = "d/dx(" * 16 + "sigma(x)" + ")" * 16 + "\n= 0\n2x = x + x\n"
    t0 = time.monotonic()
    rep = check_derivation(text, step_seconds=1.5)
    assert time.monotonic() - t0 < 8
    assert [s.status for s in rep.steps] == ["undecided", "valid"]
    assert "too complex" in rep.steps[0].detail


@pytest.mark.parametrize("line", [
    "__import__('os').system('touch /tmp/nncheck-pwned')",
    "eval(\"1\")",
    "exec(x)",
    "x.__class__",
    "open(f)",
    "os.system(x)",
    "lambda: 1",
    "{x: 1}",
    "x; import os",
    "`touch /tmp/nncheck-pwned`",
    "x @ y",
    "1e999999999",
    "9" * 5000,
    "(" * 500 + "x" + ")" * 500,
    "x" + "+x" * 3000,
    "\x00\x1b[31m",
    "x\u202e = 1",
])
def test_hostile_lines_are_unreadable_and_run_nothing(line, tmp_path):
    marker = "/tmp/nncheck-pwned"
    if os.path.exists(marker):
        os.remove(marker)
    rep = check_derivation(f"x + 1\n= {line}\n", isolate=True)
    assert not os.path.exists(marker)
    statuses = {s.status for s in rep.steps}
    assert statuses <= {"unparsable", "invalid", "undecided"}, [(s.status, s.detail) for s in rep.steps]
    assert rep.exit_code in (1, 2)
    for s in rep.steps:
        if s.error is not None:
            assert "^" in s.error.caret()


@pytest.mark.parametrize("text", [
    "10^(10^(10^10))\n= 1\n",
    "exp(exp(exp(exp(exp(x)))))\n= 1\n",
    "(x + y + z + w)^9999\n= 0\n",
    "d/dx(x^9999 sigma(x)^9999)\n= 0\n",
    "2^(1/3)^(1/3)^(1/3)^(1/3)\n= 1\n",
    "ln(0)\n= 1\n",
    "1/(x - x)\n= 1\n",
    "sqrt(-1)\n= x\n",
])
def test_huge_or_undefined_values_are_reported_quickly(text):
    t0 = time.monotonic()
    rep = check_derivation(text, step_seconds=3.0)
    assert time.monotonic() - t0 < 10
    assert rep.steps and rep.steps[0].status in ("invalid", "unparsable", "undecided")
    assert rep.to_json()["valid"] is False
