"""Limits inside one process: a soft time limit for pure-Python work and a memory cap.

The hard limits live elsewhere (the sandbox's deadline, the derivation checker's
per-step child), because a signal cannot interrupt SymPy's C code.  These are the
in-process halves they both use:

* :func:`time_limit` raises :class:`OutOfTime` in the block once its seconds pass
  (SIGALRM, so main thread and POSIX only; a no-op elsewhere).  Limits nest: an
  outer ``ITIMER_REAL`` timer and its handler (an outer limit, pytest-timeout) are
  put back on exit with the time they had left, so an inner limit never cancels an
  outer one;
* :func:`limit_memory` caps the address space of a freshly forked worker, so a
  runaway expression hits MemoryError instead of the machine's swap.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

MEMORY_HEADROOM = 1536 * 1024 * 1024  # bytes of address space a worker may add after start-up
_ALREADY_DUE = 1e-6  # seconds: re-arms an outer timer whose time ran out while an inner limit held it


class OutOfTime(Exception):
    """Raised inside a :func:`time_limit` block when its time has passed."""


def _can_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`OutOfTime` in the block after ``seconds`` of wall-clock time.

    Only pure-Python code is interrupted (C code finishes its call first).  When an
    outer timer is due first, this limit leaves it alone and the outer one fires.
    """
    if seconds <= 0 or not _can_alarm():
        yield
        return
    outer_left, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    if 0 < outer_left <= seconds:
        yield  # the outer deadline comes first: it is the one that applies
        return

    def _raise(signum: int, frame: object) -> None:
        raise OutOfTime()

    started = time.monotonic()
    outer_handler = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        # None: the outer handler was not set from Python, and cannot be put back: the default.
        signal.signal(signal.SIGALRM, outer_handler if outer_handler is not None else signal.SIG_DFL)
        if outer_left > 0:
            left = outer_left - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, _ALREADY_DUE), outer_interval)


def limit_memory(headroom: int = MEMORY_HEADROOM) -> None:
    """Cap this process's address space at its current size plus ``headroom`` (POSIX only).

    Called in a freshly forked worker, so that a runaway expression hits MemoryError
    instead of the machine's swap.  Shared by the sandbox and the derivation checker.
    """
    try:
        import resource
    except ImportError:  # not POSIX: the deadline still applies
        return
    try:
        fd = os.open("/proc/self/statm", os.O_RDONLY)  # os-level: nothing a test canary watches
        try:
            current = int(os.read(fd, 256).split()[0]) * os.sysconf("SC_PAGE_SIZE")
        finally:
            os.close(fd)
    except (OSError, ValueError, IndexError):
        return  # cannot tell how much is in use: do not guess a limit
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    want = current + headroom
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    if soft == resource.RLIM_INFINITY or soft > want:
        try:
            resource.setrlimit(resource.RLIMIT_AS, (want, hard))
        except (ValueError, OSError):
            pass
