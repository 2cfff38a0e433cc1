"""Whole-process time of ``nncheck solve lstm.bptt`` with T = 3 and one hidden unit (target: ≤ 1.5 s).

The command computes the answer key twice (SymPy differentiation of the unrolled graph and
the NumPy BPTT recursion), compares them, builds the mistake values and the worked solution,
and prints it all: this times the process from spawn to exit, as a user waits for it.
Bytecode is compiled first (nncheck and the packages the command imports) and the bank
cache warmed, as after a normal install.  It also reports, from one ``-X importtime`` run,
how much of the time is imports, and the same command for a larger instance (H = 3, T = 3).

    python bench/bench_lstm.py [--runs 15]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TARGET = 1.5
# T = 3 steps (three columns of x), one hidden unit; the other numbers come from seed 1.
SCALAR = ["solve", "lstm.bptt", "--seed", "1", "x=[1,2,0]", "h0=0", "c0=1", "convention=standard"]
LARGER = ["solve", "lstm.bptt", "--seed", "1", "x=[1,2,0]",
          "u_i=[[0.5,0,0],[0,0.5,0],[0,0,0.5]]", "convention=standard"]
PACKAGES = ("nncheck", "sympy", "mpmath", "numpy", "typer", "click", "rich", "yaml", "pydantic", "pydantic_core")


def nncheck_argv() -> list[str]:
    exe = shutil.which("nncheck", path=os.path.dirname(sys.executable)) or shutil.which("nncheck")
    return [exe] if exe else [sys.executable, "-m", "nncheck"]


def compile_packages(env: dict) -> None:
    dirs = []
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec and spec.submodule_search_locations:
            dirs.extend(spec.submodule_search_locations)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", *dirs], env=env,
                   stdout=subprocess.DEVNULL, check=True)


def timed(argv: list[str], env: dict, runs: int) -> tuple[list[float], list[float]]:
    """Wall times and CPU times (user + system) of ``runs`` whole processes.

    The CPU time is what the process itself costs; on a busy machine the wall time also
    holds the time spent waiting for a core, so both are reported."""
    wall, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        r = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        wall.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if r.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {r.stderr.decode().strip()}")
    return wall, cpu


def import_share(argv_tail: list[str], env: dict) -> float:
    """Seconds spent importing modules in one run (from -X importtime's top-level entries)."""
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "nncheck", *argv_tail], env=env,
                       capture_output=True, text=True)
    total = 0
    for line in r.stderr.splitlines():
        if "|" not in line or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|")
        if not name.startswith("  "):  # top level: its cumulative time includes its children
            total += int(cumulative)
    return total / 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["NNCHECK_CACHE_DIR"] = tempfile.mkdtemp(prefix="nncheck-bench-")
    env["NO_COLOR"] = "1"
    compile_packages(env)
    argv = nncheck_argv()
    subprocess.run(argv + ["list"], env=env, stdout=subprocess.DEVNULL, check=True)  # warm the bank cache
    base = statistics.median(timed([sys.executable, "-c", "pass"], env, 5)[0])
    print(f"python -c pass: {base * 1000:.0f} ms; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    for label, cmd in (("T=3, H=1", SCALAR), ("T=3, H=3", LARGER)):
        wall, cpu = timed(argv + cmd, env, args.runs)
        med, mx = statistics.median(wall), max(wall)
        imports = import_share(cmd, env)
        verdict = "" if label != "T=3, H=1" else f"  target ≤ {TARGET:.1f} s: {'met' if med <= TARGET else 'MISSED'}"
        print(f"nncheck {' '.join(cmd)}\n  {label}: wall median {med:.3f} s, max {mx:.3f} s; CPU median "
              f"{statistics.median(cpu):.3f} s, max {max(cpu):.3f} s over {args.runs} runs "
              f"(imports ≈ {imports:.2f} s of one run){verdict}")


if __name__ == "__main__":
    main()
