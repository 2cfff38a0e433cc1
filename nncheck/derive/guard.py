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
* a line that runs out of time does not hold the rest (:class:`Budget`): each line's
  deadline is also at most its fair share of what is left of the whole derivation's
  (never less than ``MIN_SECONDS``), and lines that run out of time draw on a common
  allowance (``SLOW_SECONDS``): once it is spent, each later line has ``QUICK_SECONDS``.
  A valid step takes milliseconds, so a derivation of eight lines like
  ``exp(exp(exp(exp(x)))) = …`` costs 4 + 4 + 6 × 1 s instead of 8 × 4 s, and the
  ordinary lines after them are still checked;
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
SLOW_SECONDS = 8.0  # what the steps that run out of time may spend together at the full limit
QUICK_SECONDS = 1.0  # a step's limit once that is spent
MIN_SECONDS = 0.25  # a fair share of the whole derivation's time is never less than this
#: Address space a child may add to what it inherits.  Checking a step takes a few MiB; what
#: takes hundreds (mpmath's e^x for x with a million-bit exponent) would not finish in time anyway,
#: and fails faster at this limit, with the whole check under 300 MiB.
MEMORY_HEADROOM = 112 * 1024 * 1024


def _undecided(detail: str) -> dict:
    return {"status": "undecided", "detail": detail}


class Budget:
    """How long each task may run: the rules of the module docstring, as one computation.

    The parent and its child process each hold a copy (the child's is inherited at the fork)
    and feed it the same events (a task that ran out of time, and how long it ran), so both
    reach the same limit for every task: the child's soft one and the parent's hard one.
    """

    def __init__(self, n: int, step_seconds: float, total_seconds: float):
        self.n = n
        self.step = step_seconds
        self.deadline = time.monotonic() + total_seconds
        self.slow_left = SLOW_SECONDS

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def limit(self, i: int) -> tuple[float, str]:
        """(seconds task ``i`` may run, why it is less than the step limit, or "")."""
        cap, why = self.step, ""
        if self.slow_left < cap:
            cap = max(min(self.step, QUICK_SECONDS), self.slow_left)
            why = "earlier steps used up the time for slow steps"
        share = max(MIN_SECONDS, self.left() / max(1, self.n - i))
        if share < cap:
            cap, why = share, "its share of the time for the whole derivation"
        return cap, why

    def ran_out(self, seconds: float) -> None:
        """A task ran out of time after ``seconds``: they come off the allowance for slow tasks."""
        self.slow_left -= seconds


def _gave_up(seconds: float, why: str) -> dict:
    return _undecided(f"too complex to check (gave up after {seconds:.3g} s{'; ' + why if why else ''})")


def run_one(task, seconds: float, why: str = "") -> dict:
    """Run one task with the soft limit, turning every failure into an undecided result."""
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        with time_limit(seconds):
            out = task()
    except OutOfTime:
        out = _gave_up(seconds, why)
        out["ran_out"] = True
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
    budget = Budget(len(tasks), step_seconds, total_seconds)
    if not isolate:
        out = []
        for i, task in enumerate(tasks):
            if budget.left() <= 0:
                out.append(_undecided("the whole derivation ran out of time"))
                continue
            seconds, why = budget.limit(i)
            seconds = min(seconds, budget.left())
            res = run_one(task, seconds, why)
            if res.pop("ran_out", False):
                budget.ran_out(seconds)
            out.append(res)
        return out
    results: list[dict | None] = [None] * len(tasks)
    start = 0
    while start < len(tasks):
        if budget.left() <= 0:
            break
        stuck = _child_run(tasks, start, results, budget, prepare)
        if stuck is None:
            break
        i, seconds, why, died = stuck
        if died:  # the memory limit, or a crash: the step it was on is lost, the others go on
            results[i] = _undecided("too complex to check (the checking process stopped: it needed too much memory)")
        elif budget.left() > 0:  # killed at its hard limit
            gave_up = _gave_up(seconds, why)
            gave_up["elapsed"] = seconds
            results[i] = gave_up
            budget.ran_out(seconds)
        start = i + 1
    return [r if r is not None else _undecided("the whole derivation ran out of time") for r in results]


def _soft(seconds: float) -> float:
    """The child's own limit: the hard one less a margin for C code to return to Python."""
    return max(0.05, seconds - min(0.5, seconds / 4))


def _child(tasks, start: int, w: int, budget: Budget, prepare) -> None:
    """The child's whole life: run tasks[start:], one JSON line each, then exit without cleanup."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the parent
        limit_memory(MEMORY_HEADROOM)
        if prepare is not None:
            prepare()
        for i in range(start, len(tasks)):
            seconds, why = budget.limit(i)
            res = run_one(tasks[i], _soft(seconds), why)
            if res.get("ran_out"):
                # Counted as the parent counts it, with the same number: the limit it reached
                # for this task is the one its hard deadline used.
                budget.ran_out(seconds)
                res["limit"] = seconds
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


def _child_run(tasks, start: int, results: list, budget: Budget, prepare) -> tuple[int, float, str, bool] | None:
    """Run tasks from ``start`` in a child; None when all are done, else the task it got stuck at:
    (its index, its limit, why the limit was short, whether the child died rather than ran out of time)."""
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
        _child(tasks, start, w, budget, prepare)
    gc.unfreeze()
    os.close(w)
    nxt = start
    buf = b""
    progress = time.monotonic()
    limit, why = budget.limit(nxt)
    try:
        while nxt < len(tasks):
            now = time.monotonic()
            wait = min(progress + limit, budget.deadline) - now
            if wait <= 0:
                return nxt, limit, why, False
            ready, _, _ = select.select([r], [], [], wait)
            if not ready:
                continue
            chunk = os.read(r, 1 << 16)
            if not chunk:  # the child died (memory limit, a crash): skip the step it was on
                return nxt, limit, why, True
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                try:
                    res = json.loads(line)
                except ValueError:
                    continue
                i = res.pop("i", nxt)
                if res.pop("ran_out", False):
                    budget.ran_out(float(res.pop("limit", limit)))
                results[i] = res
                nxt = i + 1
                progress = time.monotonic()
                if nxt < len(tasks):
                    limit, why = budget.limit(nxt)
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
