"""The sandbox worker: reused across jobs, killed past its deadline, limited in memory."""

from __future__ import annotations

import os

import pytest

from nncheck.answer import sandbox
from nncheck.lang.syntax import AnswerSyntaxError


def _whoami():
    return os.getpid(), sandbox.in_worker()


def _raise_syntax():
    raise AnswerSyntaxError("bad", 3, "x + $", code="forbidden")


def _allocate():
    return len(bytearray(64 * 1024**3))  # 64 GiB: beyond the worker's address-space limit


@pytest.fixture
def tasks(monkeypatch):
    """Register this module's helpers as tasks; they exist in the worker only if it starts after this."""
    sandbox.shutdown()
    for name in ("_whoami", "_raise_syntax", "_allocate"):
        monkeypatch.setitem(sandbox.TASKS, name, f"{__name__}:{name}")
    yield
    sandbox.shutdown()


def test_jobs_run_in_one_reused_worker(tasks):
    pid, inside = sandbox.run("_whoami")
    assert inside and pid != os.getpid()
    spawns = sandbox.stats["spawns"]
    for _ in range(20):
        assert sandbox.run("_whoami")[0] == pid
    assert sandbox.stats["spawns"] == spawns
    assert not sandbox.in_worker()


@pytest.mark.timeout(10)
def test_deadline_kills_and_next_job_respawns(tasks):
    first, _ = sandbox.run("_whoami")
    old = sandbox.set_timeout(0.3)
    try:
        with pytest.raises(sandbox.TooComplex) as info:
            sandbox.run("hang")
        assert info.value.seconds == 0.3 and "gave up after 0.3 s" in str(info.value)
    finally:
        sandbox.set_timeout(old)
    second, _ = sandbox.run("_whoami")
    assert second != first


def test_exceptions_come_back_with_their_details(tasks):
    with pytest.raises(AnswerSyntaxError) as info:
        sandbox.run("_raise_syntax")
    e = info.value
    assert (e.message, e.pos, e.text, e.code) == ("bad", 3, "x + $", "forbidden")


@pytest.mark.timeout(20)
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="the memory limit needs /proc")
def test_memory_exhaustion_is_too_complex(tasks):
    with pytest.raises(sandbox.TooComplex, match="memory"):
        sandbox.run("_allocate")
    assert sandbox.run("_whoami")[1]  # a fresh worker serves the next job


def test_only_registered_tasks_run():
    with pytest.raises(KeyError):
        sandbox.run("os:system", "true")


def test_disabled_sandbox_runs_in_process():
    old = sandbox.set_enabled(False)
    try:
        assert sandbox.run("echo", 5) == 5
    finally:
        sandbox.set_enabled(old)


def test_too_complex_pickles():
    import pickle

    e = pickle.loads(pickle.dumps(sandbox.TooComplex(2.0)))
    assert e.seconds == 2.0 and str(e) == "too complex to check (gave up after 2 s)"
