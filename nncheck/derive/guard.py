"""Run a derivation's SymPy work under a hard time limit per step.

Parsing is bounded by the answer language, but what SymPy does with a parsed line
(differentiate a 60-deep composition, cancel a huge rational function, evaluate
``exp(exp(exp(9)))``) can run for minutes, partly in C code that no signal can
interrupt.  So the checks run in a **forked child process**:

* the child inherits the parsed derivation (no pickling) and streams one JSON line
  per finished task back through a pipe;
* every task has a deadline (``STEP_SECONDS``): a soft one inside the child
  (:func:`nncheck.answer.limits.time_limit`, which interrupts SymPy's Python code and
  lets the child carry on with the next step), and a hard one in the parent, which
  kills the child with SIGKILL and starts a new one at the next step.  The step that
  ran out of time is "could not decide";
* the whole derivation has a deadline too (``TOTAL_SECONDS``); steps not reached by
  then are "could not decide" as well;
* the child has the sandbox's address-space limit (:func:`nncheck.answer.limits.limit_memory`),
  ignores Ctrl-C and never prints.

The answer language's own sandbox (``nncheck.answer.sandbox``) serves single answers
from a persistent worker with a whitelist of tasks; a derivation needs its own
per-step restarts, hence this module.  Inside the child, the answer language's
functions run in-process: the child *is* the sandbox.

Where ``os.fork`` does not exist the tasks run in this process with the soft limit only.
"""

from __future__ import annotations

import json
import os
import select
import signal
import time

from nncheck.answer.limits import OutOfTime, limit_memory, time_limit

STEP_SECONDS = 4.0  # hard limit for one step
TOTAL_SECONDS = 30.0  # hard limit for a whole derivation


def _undecided(detail: str) -> dict:
    return {"status": "undecided", "detail": detail}


def run_one(task, seconds: float) -> dict:
    """Run one task with the soft limit, turning every failure into an undecided result."""
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        with time_limit(seconds):
            out = task()
    except OutOfTime:
        out = _undecided(f"too complex to check (gave up after {seconds:g} s)")
    except MemoryError:
        out = _undecided("too complex to check (it needs too much memory)")
    except RecursionError:
        out = _undecided("too complex to check (it is nested too deeply)")
    except KeyboardInterrupt:
        raise
    except Exception as e:  # noqa: BLE001 - a bug or SymPy failure must not become a traceback
        out = _undecided(f"could not decide ({type(e).__name__} in the checker)")
    out["elapsed"] = time.perf_counter() - t0  # wall clock
    out["cpu"] = time.process_time() - c0  # this process's CPU time: what the step costs on an idle machine
    return out


def can_isolate() -> bool:
    return hasattr(os, "fork") and hasattr(select, "select")


def run_tasks(tasks: list, *, isolate: bool | None = None, step_seconds: float = STEP_SECONDS,
              total_seconds: float = TOTAL_SECONDS, prepare=None) -> list[dict]:
    """Run every task (a zero-argument callable returning a JSON-able dict); one result each.

    ``prepare`` runs first in each child (e.g. to switch the answer sandbox to in-process).
    """
    if isolate is None:
        isolate = can_isolate()
    if not tasks:
        return []
    if not isolate:
        deadline = time.monotonic() + total_seconds
        out = []
        for task in tasks:
            left = deadline - time.monotonic()
            if left <= 0:
                out.append(_undecided("the whole derivation ran out of time"))
                continue
            out.append(run_one(task, min(step_seconds, left)))
        return out
    results: list[dict | None] = [None] * len(tasks)
    deadline = time.monotonic() + total_seconds
    start = 0
    while start < len(tasks):
        if time.monotonic() >= deadline:
            break
        stopped = _child_run(tasks, start, results, step_seconds, deadline, prepare)
        if stopped is None:
            break
        if results[stopped] is None:
            gave_up = _undecided(f"too complex to check (gave up after {step_seconds:g} s)")
            gave_up["elapsed"] = step_seconds
            results[stopped] = gave_up
        start = stopped + 1
    return [r if r is not None else _undecided("the whole derivation ran out of time") for r in results]


def _child(tasks, start: int, w: int, step_seconds: float, prepare) -> None:
    """The child's whole life: run tasks[start:], one JSON line each, then exit without cleanup."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the parent
        limit_memory()
        if prepare is not None:
            prepare()
        soft = max(0.1, step_seconds - 0.5)
        for i in range(start, len(tasks)):
            res = run_one(tasks[i], soft)
            res["i"] = i
            data = (json.dumps(res, default=str) + "\n").encode()
            view = memoryview(data)
            while view:
                n = os.write(w, view)
                view = view[n:]
    except BaseException:  # noqa: BLE001 - the parent sees the pipe close and moves on
        code = 1
    finally:
        os._exit(code)


def _child_run(tasks, start: int, results: list, step_seconds: float, deadline: float, prepare) -> int | None:
    """Run tasks from ``start`` in a child; return the index it got stuck at, or None when all done."""
    import gc

    r, w = os.pipe()
    # Objects that exist now are moved out of the collector's sight: the child's collections
    # then do not write to (and so copy) every page of SymPy's object graph.
    gc.freeze()
    try:
        pid = os.fork()
    except OSError:
        gc.unfreeze()
        raise
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(r)
        _child(tasks, start, w, step_seconds, prepare)
    gc.unfreeze()
    os.close(w)
    nxt = start
    buf = b""
    progress = time.monotonic()
    try:
        while nxt < len(tasks):
            now = time.monotonic()
            wait = min(progress + step_seconds, deadline) - now
            if wait <= 0:
                return nxt
            ready, _, _ = select.select([r], [], [], wait)
            if not ready:
                continue
            chunk = os.read(r, 1 << 16)
            if not chunk:  # the child died (memory limit, a crash): skip the step it was on
                return nxt
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                try:
                    res = json.loads(line)
                except ValueError:
                    continue
                i = res.pop("i", nxt)
                results[i] = res
                nxt = i + 1
                progress = time.monotonic()
        return None
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.waitpid(pid, 0)
        except OSError:
            pass
        os.close(r)
