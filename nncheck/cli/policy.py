"""One error policy for every way nncheck runs: an exception becomes one line and an exit code.

Both front ends call :func:`report`: the Typer app (``NNGroup`` in :mod:`nncheck.cli.common`)
and the fast front end (:mod:`nncheck.cli.fast`), so whichever path runs a command, a failure
looks the same and nothing prints a traceback:

- a domain error (:class:`~nncheck.errors.NNCheckError`): ``nncheck: error: …`` and its exit
  code (2 for bad input, 1 for an answer key whose two computations disagree);
- a usage error found by the argument parser: its one line, exit 2 (:func:`report_line`);
- Ctrl-C: ``interrupted``, exit 130;
- a closed pipe (``nncheck list | head``): nothing more is written, exit 0;
- anything else is a bug: one line asking for a report, exit 70 (``NNCHECK_DEBUG=1`` re-raises
  it, so the traceback can be seen).

With ``--json`` the error is also written to stdout as ``{"error": {...}}``, so a program that
reads stdout gets a JSON document whether the command worked or not.

Kept free of third-party imports: the fast front end imports it.
"""

from __future__ import annotations

import os
import sys

USAGE = 2  # a bad command line: the same code as bad input (NNCheckError.exit_code)
INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C
INTERNAL = 70  # EX_SOFTWARE (sysexits.h): a bug in nncheck, not in what the user typed


def describe(exc: BaseException) -> tuple[str, str, int]:
    """``exc`` as (type name, the one line to show, exit code); the line has no newline."""
    from nncheck.errors import NNCheckError

    if isinstance(exc, NNCheckError):
        return type(exc).__name__, "nncheck: error: " + _one_line(exc.line()), exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        return "Interrupted", "interrupted", INTERRUPTED
    if isinstance(exc, BrokenPipeError):
        return "BrokenPipe", "", 0
    name = type(exc).__name__
    return ("InternalError",
            f"nncheck: internal error: {name}: {_one_line(str(exc))} "
            "(please report it; NNCHECK_DEBUG=1 shows the traceback)",
            INTERNAL)


def report(exc: BaseException, *, json_: bool = False) -> int:
    """Report ``exc`` the one way every front end does and return the exit code.

    Call it from the ``except`` block that caught ``exc``.  An internal error is re-raised
    instead when ``NNCHECK_DEBUG`` is set.
    """
    kind, line, code = describe(exc)
    if kind == "InternalError" and os.environ.get("NNCHECK_DEBUG"):
        raise exc
    if kind == "BrokenPipe":
        _silence_stdout()
        return code
    if kind == "Interrupted":
        line = "\n" + line  # the cursor may sit after a half-typed answer
    report_line(line, code, kind=kind, json_=json_)
    return code


def report_line(line: str, code: int, *, kind: str = "UsageError", json_: bool = False) -> None:
    """Write one error ``line`` on stderr and, with ``--json``, the JSON error object on stdout."""
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
        if json_:
            import json

            message = line.strip()
            for prefix in ("nncheck: error: ", "nncheck: internal error: "):
                if message.startswith(prefix):
                    message = message[len(prefix):]
            sys.stdout.write(json.dumps({"error": {"type": kind, "message": message, "exit_code": code}},
                                        ensure_ascii=False, indent=2) + "\n")
            sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()


def wants_json(argv: list[str]) -> bool:
    """Did the command line ask for JSON output?  (Only options count, not what follows ``--``.)"""
    for arg in argv:
        if arg == "--":
            return False
        if arg == "--json" or arg.startswith("--json="):
            return True  # "--json=1" is a usage error, but one the script asked to read as JSON
    return False


def _one_line(text: str) -> str:
    if "\n" not in text:
        return text
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def _silence_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so that the final flush at exit is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (a test's capture): nothing to flush
        pass
