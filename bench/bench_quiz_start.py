"""Time to the first question of ``nncheck quiz`` (target: on screen within 0.35 s).

Starts ``nncheck quiz --seed N`` in a pseudo-terminal (the real interactive path, with
prompt_toolkit) and with piped stdin/stdout, and measures the wall time from spawning
the process to the moment the first problem's part list has been written.  Bytecode is
compiled first and the bank cache warmed, as after a normal install; the history
database is a fresh file per run, so the database's creation is included.  A first
run (no cache and no data directory at all) is reported separately.

Typer (0.29) coerces every option through a pydantic TypeAdapter, and importing pydantic
for that is a large share of the start-up.  ``nncheck.render.quiz_views.fast_quiz`` runs
the same quiz without the CLI framework; the line "fast path" times it through a
two-line stand-in for the ``quiz`` hook that ``nncheck/cli/fast.py`` does not have yet.
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

TARGET = 0.35
MARK = b"(a) "  # the first part line: the whole first problem is on screen


def nncheck_argv() -> list[str]:
    exe = shutil.which("nncheck", path=os.path.dirname(sys.executable)) or shutil.which("nncheck")
    return [exe] if exe else [sys.executable, "-m", "nncheck"]


def pty_run(argv: list[str], env: dict) -> float:
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


def pipe_run(argv: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
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


FAST_STANDIN = ("import sys\n"
                "from nncheck.render.quiz_views import fast_quiz\n"
                "code = fast_quiz(sys.argv[1:])\n"
                "sys.exit(code if code is not None else 3)\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("NO_COLOR", None)
    env["TERM"] = env.get("TERM") or "xterm-256color"
    work = tempfile.mkdtemp(prefix="nncheck-bench-quiz-")
    env["NNCHECK_CACHE_DIR"] = os.path.join(work, "cache")
    env["NNCHECK_DATA_DIR"] = os.path.join(work, "data")
    env.pop("NNCHECK_DB", None)
    import nncheck

    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.dirname(nncheck.__file__)],
                   env=env, stdout=subprocess.DEVNULL, check=True)
    base = nncheck_argv()

    # First run ever: no bank cache, no data directory.
    first_env = dict(env, NNCHECK_CACHE_DIR=os.path.join(work, "cold-cache"), NNCHECK_DATA_DIR=os.path.join(work, "cold-data"))
    cold = pipe_run(base + ["quiz", "--seed", "1"], first_env)

    subprocess.run(base + ["list"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    py = []
    for _ in range(args.runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
        py.append(time.perf_counter() - t)
    results = {}
    fast = [sys.executable, "-c", FAST_STANDIN]
    runs = (("pty (interactive)", pty_run, base), ("piped stdin/stdout", pipe_run, base),
            ("fast path, pty", pty_run, fast), ("fast path, piped", pipe_run, fast))
    for i in range(args.runs):  # interleaved, so that a burst of load hits every variant alike
        for name, fn, argv in runs:
            run_env = dict(env, NNCHECK_DB=os.path.join(work, f"{len(results)}-{name[:6]}-{i}.sqlite3"))
            results.setdefault(name, []).append(fn(argv + (["quiz"] if argv is base else []) + ["--seed", str(i + 1)],
                                                    run_env))
    py_med = statistics.median(py)
    print(f"python -c pass: {py_med * 1000:.1f} ms (median of {args.runs})")
    worst = 0.0
    for name, times in results.items():
        med, p90, mx = statistics.median(times), sorted(times)[int(0.9 * (len(times) - 1))], max(times)
        if not name.startswith("fast"):
            worst = max(worst, p90)
        print(f"nncheck quiz, first question, {name:<20} median {med * 1000:6.1f} ms  p90 {p90 * 1000:6.1f} ms  "
              f"max {mx * 1000:6.1f} ms  ({med / py_med:.1f}x python -c pass)")
    print(f"first run ever (no cache, no data dir), piped: {cold * 1000:.1f} ms")
    print(f"target: {TARGET * 1000:.0f} ms -> {'met' if worst <= TARGET else 'NOT met'} by 'nncheck quiz' "
          f"(p90 {worst * 1000:.1f} ms)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
