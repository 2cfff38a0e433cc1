"""Time to the first question of ``nncheck quiz`` (target: on screen within 0.35 s).

Starts ``nncheck quiz --seed N`` in a pseudo-terminal (the real interactive path, with
prompt_toolkit) and with piped stdin/stdout, and measures the wall time from spawning
the process to the moment the first problem's part list has been written.  Bytecode is
compiled first and the bank cache warmed, as after a normal install; the history
database is a fresh file per run, so the database's creation is included.  A first
run (no cache and no data directory at all) is reported separately.

``nncheck quiz`` runs on the fast front end (nncheck/cli/fast.py), without Typer: Typer
(0.29) coerces every option through a pydantic TypeAdapter, and importing pydantic for
that is a large share of the start-up.  The line "through Typer" times the same quiz
started through the Typer app (what an option the fast front end leaves to Typer costs).
Times depend on the machine's load, so they are also given as a multiple of
``python -c pass`` measured in the same run.

    python bench/bench_quiz_start.py [--runs 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from _common import nncheck_argv, process_env, run_once  # bench/ is on sys.path as a script

TARGET = 0.35
MARK = b"(a) "  # the first part line: the whole first problem is on screen
THROUGH_TYPER = [sys.executable, "-c", "import sys\nfrom nncheck.cli.app import main\nmain(sys.argv[1:])"]


def pty_run(argv: list[str], env: dict[str, str]) -> float:
    import pexpect

    t0 = time.perf_counter()
    child = pexpect.spawn(argv[0], argv[1:], env=env, dimensions=(40, 120), timeout=20)
    child.expect_exact(MARK)
    dt = time.perf_counter() - t0
    child.expect_exact("›".encode())  # the prompt is up too: then quit cleanly
    child.sendline("quit")
    child.expect(pexpect.EOF)
    child.close()
    return dt


def pipe_run(argv: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert p.stdin is not None and p.stdout is not None
    buf = b""
    while MARK not in buf:
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            raise RuntimeError("quiz ended before the first question")
        buf += chunk
    dt = time.perf_counter() - t0
    p.stdin.write(b"quit\n")
    p.stdin.close()
    p.stdout.read()
    p.wait()
    return dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="nncheck-bench-quiz-")
    env = process_env(work)
    env.pop("NO_COLOR", None)
    env["TERM"] = env.get("TERM") or "xterm-256color"
    env["NNCHECK_DATA_DIR"] = os.path.join(work, "data")
    env.pop("NNCHECK_DB", None)
    base = nncheck_argv()

    # First run ever: no bank cache, no data directory.
    first_env = dict(env, NNCHECK_CACHE_DIR=os.path.join(work, "cold-cache"),
                     NNCHECK_DATA_DIR=os.path.join(work, "cold-data"))
    cold = pipe_run(base + ["quiz", "--seed", "1"], first_env)

    py = [run_once([sys.executable, "-c", "pass"], env)[0] for _ in range(args.runs)]
    results: dict[str, list[float]] = {}
    runs = (("pty (interactive)", pty_run, base), ("piped stdin/stdout", pipe_run, base),
            ("through Typer, piped", pipe_run, THROUGH_TYPER))
    for i in range(args.runs):  # interleaved, so that a burst of load hits every variant alike
        for name, fn, argv in runs:
            run_env = dict(env, NNCHECK_DB=os.path.join(work, f"{len(results)}-{name[:6]}-{i}.sqlite3"))
            results.setdefault(name, []).append(fn(argv + ["quiz", "--seed", str(i + 1)], run_env))
    py_med = statistics.median(py)
    print(f"python -c pass: {py_med * 1000:.1f} ms (median of {args.runs})")
    worst = 0.0
    for name, times in results.items():
        med, p90, mx = statistics.median(times), sorted(times)[int(0.9 * (len(times) - 1))], max(times)
        reference = name.startswith("through")
        if not reference:
            worst = max(worst, p90)
        print(f"nncheck quiz, first question, {name:<21} median {med * 1000:6.1f} ms  p90 {p90 * 1000:6.1f} ms  "
              f"max {mx * 1000:6.1f} ms  ({med / py_med:.1f}x python -c pass){'  (reference)' if reference else ''}")
    print(f"first run ever (no cache, no data dir), piped: {cold * 1000:.1f} ms")
    print(f"target: {TARGET * 1000:.0f} ms -> {'met' if worst <= TARGET else 'NOT met'} by 'nncheck quiz' "
          f"(p90 {worst * 1000:.1f} ms)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
