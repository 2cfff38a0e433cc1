"""Run work on untrusted answers in a separate process with a hard wall-clock limit.

Parsing is bounded by construction, but what SymPy and mpmath do with a parsed
answer (simplify, cancel, evaluate ``exp(exp(exp(10)))``) can run for minutes, and
much of it in C code that no signal can interrupt (``1e9999999`` used to hang in
Decimal conversion).  So symbolic work runs in a *worker process*:

* the worker is forked once, lazily, from this process (which has already imported
  SymPy), and reused for every later job: a job costs a pickle round trip
  (~0.1 ms), not a process start;
* each job has a deadline (``DEFAULT_TIMEOUT``); past it the worker is killed with
  SIGKILL and :class:`TooComplex` is raised.  The next job starts a fresh worker;
* the worker has an address-space limit (:func:`nncheck.answer.limits.limit_memory`),
  ignores Ctrl-C (the parent owns the terminal) and exits when the parent goes away.

Only named tasks from ``TASKS`` can be run, and the user's *text* crosses the
boundary, never a parsed tree (pickling a 2,000-node chain would recurse).
"""

from __future__ import annotations

import importlib
import os
import sys
import threading

from nncheck.answer.limits import limit_memory

DEFAULT_TIMEOUT = 2.0  # seconds of wall-clock time per job

#: task name -> "module:function", all inside nncheck.answer.
TASKS = {
    "equivalent": "nncheck.answer.equiv:equivalent_local",
    "grade_expression": "nncheck.answer.symbolic:grade_expression_local",
    "grade_symbolic_array": "nncheck.answer.symbolic:grade_symbolic_array_local",
    "grade_matrix_expression": "nncheck.answer.matgrade:grade_matrix_expression_local",
    "echo": "nncheck.answer.sandbox:_echo",
    "hang": "nncheck.answer.sandbox:_hang",
}

_IN_WORKER = False
_ENABLED = True
_lock = threading.Lock()
_worker = None  # (process, connection)
_timeout = DEFAULT_TIMEOUT
stats = {"jobs": 0, "timeouts": 0, "spawns": 0}


class TooComplex(Exception):
    """The job did not finish within its deadline (or exhausted the worker's memory)."""

    def __init__(self, seconds: float, why: str = "deadline"):
        self.seconds = seconds
        self.why = why
        super().__init__(f"too complex to check (gave up after {seconds:g} s)" if why == "deadline"
                         else f"too complex to check ({why})")

    def __reduce__(self):
        return (TooComplex, (self.seconds, self.why))


def in_worker() -> bool:
    """True inside the sandbox worker (work there runs directly, never re-dispatched)."""
    return _IN_WORKER


def set_timeout(seconds: float) -> float:
    """Change the per-job deadline; returns the previous one."""
    global _timeout
    old, _timeout = _timeout, float(seconds)
    return old


def set_enabled(flag: bool) -> bool:
    """Run jobs in-process without any limit (for profiling only); returns the previous setting."""
    global _ENABLED
    old, _ENABLED = _ENABLED, bool(flag)
    return old


def _resolve(task: str):
    mod, _, fn = TASKS[task].partition(":")
    return getattr(importlib.import_module(mod), fn)


def run(task: str, *args, timeout: float | None = None):
    """Run ``TASKS[task](*args)`` in the worker and return its result.

    Raises :class:`TooComplex` past the deadline; an exception raised by the task
    is re-raised here.
    """
    if task not in TASKS:
        raise KeyError(f"unknown sandbox task {task!r}")
    if _IN_WORKER or not _ENABLED:
        return _resolve(task)(*args)
    limit = _timeout if timeout is None else timeout
    with _lock:
        stats["jobs"] += 1
        for attempt in (0, 1):
            proc, conn = _get_worker()
            try:
                conn.send((task, args))
                break
            except (BrokenPipeError, EOFError, OSError) as e:
                _kill_worker()  # it died between jobs: start another once
                if attempt:
                    raise TooComplex(limit, "the checker process could not be started") from e
        if not conn.poll(limit):
            stats["timeouts"] += 1
            _kill_worker()
            raise TooComplex(limit)
        try:
            ok, payload = conn.recv()
        except (EOFError, OSError):
            _kill_worker()  # killed from outside, or by the memory limit
            raise TooComplex(limit, "the checking process ran out of memory or stopped") from None
    if ok:
        return payload
    if isinstance(payload, TooComplex):
        with _lock:
            _kill_worker()  # after MemoryError/RecursionError the worker's state is suspect
    raise payload


def shutdown() -> None:
    """Stop the worker (it is also stopped automatically at exit)."""
    with _lock:
        _kill_worker()


def _get_worker():
    global _worker
    if _worker is not None and _worker[0].is_alive():
        return _worker
    if _worker is not None:
        _kill_worker()
    import multiprocessing

    # Import what the worker needs *before* forking, so the child starts warm.
    for mod in {v.partition(":")[0] for v in TASKS.values()}:
        importlib.import_module(mod)
    ctx = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else \
        multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=True)
    proc = ctx.Process(target=_worker_main, args=(child, os.getpid()), daemon=True, name="nncheck-sandbox")
    import warnings

    with warnings.catch_warnings():
        # Python 3.12+ warns about fork() in a process with threads (a quiz's prompt_toolkit may
        # have some).  The worker only runs already-imported code and takes no lock those
        # threads could hold, so the warning does not apply; it would only reach the user.
        warnings.filterwarnings("ignore", message=r".*fork\(\).*", category=DeprecationWarning)
        proc.start()
    child.close()
    stats["spawns"] += 1
    _worker = (proc, parent)
    return _worker


def _kill_worker() -> None:
    global _worker
    if _worker is None:
        return
    proc, conn = _worker
    _worker = None
    try:
        if proc.is_alive():
            proc.kill()
        proc.join(1.0)
    except (OSError, ValueError, AssertionError):
        pass
    try:
        conn.close()
    except OSError:
        pass


def _worker_main(conn, parent_pid: int) -> None:
    """The worker's loop: receive (task, args), send (ok, result-or-exception)."""
    global _IN_WORKER
    import signal

    _IN_WORKER = True
    # Everything inherited from the parent is long-lived here: keep the collector from walking
    # (and copy-on-write touching) the whole inherited heap on every full collection.
    import gc

    gc.freeze()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the parent
    limit_memory()
    while True:
        try:
            if not conn.poll(5.0):
                if os.getppid() != parent_pid:
                    os._exit(0)  # orphaned: the parent died without closing the pipe
                continue
            task, args = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            os._exit(0)
        fatal = False
        try:
            reply = (True, _resolve(task)(*args))
        except (MemoryError, RecursionError) as e:
            reply = (False, TooComplex(0, "it needs too much memory" if isinstance(e, MemoryError)
                                       else "it is nested too deeply"))
            fatal = True
        except BaseException as e:  # noqa: BLE001 - everything goes back to the parent
            reply = (False, e)
        try:
            conn.send(reply)
        except Exception as e:  # noqa: BLE001 - e.g. an exception that cannot be pickled
            try:
                conn.send((False, RuntimeError(f"{type(reply[1]).__name__}: {e}")))
            except Exception:  # noqa: BLE001
                os._exit(1)
        if fatal:
            os._exit(0)


def _echo(x):
    """A no-op task, for tests and the benchmark's round-trip measurement."""
    return x


def _hang():
    """The issue's own example: ``1e9999999`` expanded through Decimal, in C code that
    no signal can interrupt.  A test of the hard deadline; never called in grading."""
    import decimal

    return int(decimal.Decimal("1e9999999")) % 7
