"""Hostile lines get the answer language's guarantees: no code runs, no hang, no traceback."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

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


# ----------------------------------------------------------------------------
# Costly lines: could not decide, without holding the lines after them.
# ----------------------------------------------------------------------------
def _valid():
    return {"status": "valid"}


def test_steps_that_run_out_of_time_share_an_allowance_then_get_a_short_limit(monkeypatch):
    # The allowance for slow steps covers two at the full limit; after it each step has the short one.
    monkeypatch.setattr(guard, "SLOW_SECONDS", 2.0)
    monkeypatch.setattr(guard, "QUICK_SECONDS", 0.3)
    tasks = [_blocked_sleep] * 6 + [_valid]
    t0 = time.monotonic()
    out = guard.run_tasks(tasks, isolate=True, step_seconds=1.0, total_seconds=30)
    took = time.monotonic() - t0
    assert [r["status"] for r in out] == ["undecided"] * 6 + ["valid"]
    assert took < 1.0 + 1.0 + 4 * 0.3 + 3, took  # not 6 × 1 s
    assert all("earlier steps used up the time for slow steps" in r["detail"] for r in out[2:6]), out
    assert all("earlier steps" not in r["detail"] for r in out[:2]), out


def test_a_step_gets_no_more_than_its_fair_share_of_the_whole_derivation():
    # Five steps stuck in C code and one ordinary step, 3 s in all: without shares the first stuck
    # step would take all 3 s and the ordinary one would never be checked.
    tasks = [_blocked_sleep] * 5 + [_valid]
    t0 = time.monotonic()
    out = guard.run_tasks(tasks, isolate=True, step_seconds=4.0, total_seconds=3.0)
    assert time.monotonic() - t0 < 6
    assert out[-1]["status"] == "valid", out
    assert all(r["status"] == "undecided" and "share" in r["detail"] for r in out[:5]), out


def test_the_in_process_fallback_keeps_the_same_limits(monkeypatch):
    monkeypatch.setattr(guard, "SLOW_SECONDS", 0.6)
    monkeypatch.setattr(guard, "QUICK_SECONDS", 0.2)

    def spin():
        while True:  # pure Python: the soft limit ends it
            pass

    t0 = time.monotonic()
    out = guard.run_tasks([spin] * 4 + [_valid], isolate=False, step_seconds=0.6, total_seconds=30)
    assert [r["status"] for r in out] == ["undecided"] * 4 + ["valid"]
    assert time.monotonic() - t0 < 0.6 + 3 * 0.2 + 2


# The console script, reporting the peak resident size of itself and of the checking processes it
# started (the largest of them), so that the bound covers the whole check (tests/peak_run.py).
_PEAK = str(Path(__file__).resolve().parents[1] / "peak_run.py")  # the check and its checking processes


@pytest.mark.skipif(not hasattr(os, "fork") or os.uname().sysname != "Linux", reason="ru_maxrss in KiB")
def test_costly_lines_are_could_not_decide_and_the_rest_is_checked(tmp_path):
    import subprocess
    import sys

    lines = [f"exp(exp(exp(exp(x)))) = exp(exp(exp(exp(x + {k}))))" for k in (3, 6, 7)]
    path = tmp_path / "towers.txt"
    path.write_text("\n".join(lines) + "\n(x + 1)^2 = x^2 + 2x + 1\n", encoding="utf-8")
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, _PEAK, "--with-children", "derive", str(path), "--json"],
                          capture_output=True, text=True, timeout=60)
    took = time.monotonic() - t0
    err, _, peak = proc.stderr.rpartition("PEAK-KB ")
    assert "Traceback" not in err and proc.returncode == 1, proc.stderr
    import json

    steps = json.loads(proc.stdout)["steps"]
    assert [s["status"] for s in steps][-1] == "valid"
    for s in steps[:3]:
        assert s["status"] in ("undecided", "invalid"), s  # e^e^e^e^x ≠ e^e^e^e^(x + k): never "valid"
        if s["status"] == "undecided":
            assert "too complex" in s["detail"] or "could not" in s["detail"], s
    # Two steps at the full 4 s limit, then 1 s each, plus start-up: not 3 × 4 s and more.
    assert took < guard.SLOW_SECONDS + guard.QUICK_SECONDS + 6, took
    assert int(peak) / 1024 < 300, f"{int(peak) / 1024:.0f} MiB"
