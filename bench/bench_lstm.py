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
import os
import statistics
import sys

from _common import imported_modules, nncheck_argv, process_env, run_once  # bench/ is on sys.path as a script

TARGET = 1.5
# T = 3 steps (three columns of x), one hidden unit; the other numbers come from seed 1.
SCALAR = ["solve", "lstm.bptt", "--seed", "1", "x=[1,2,0]", "h0=0", "c0=1", "convention=standard"]
LARGER = ["solve", "lstm.bptt", "--seed", "1", "x=[1,2,0]",
          "u_i=[[0.5,0,0],[0,0.5,0],[0,0,0.5]]", "convention=standard"]
PACKAGES = ("nncheck", "sympy", "mpmath", "numpy", "typer", "click", "rich", "yaml", "pydantic", "pydantic_core")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    env = process_env(packages=PACKAGES)
    env["NO_COLOR"] = "1"
    argv = nncheck_argv()
    base = statistics.median(run_once([sys.executable, "-c", "pass"], env)[0] for _ in range(5))
    print(f"python -c pass: {base * 1000:.0f} ms; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    for label, cmd in (("T=3, H=1", SCALAR), ("T=3, H=3", LARGER)):
        times = [run_once(argv + cmd, env, check=True) for _ in range(args.runs)]
        wall, cpu = [t[0] for t in times], [t[1] for t in times]
        med, mx = statistics.median(wall), max(wall)
        imports = imported_modules(cmd, env)[1]
        verdict = "" if label != "T=3, H=1" else f"  target ≤ {TARGET:.1f} s: {'met' if med <= TARGET else 'MISSED'}"
        print(f"nncheck {' '.join(cmd)}\n  {label}: wall median {med:.3f} s, max {mx:.3f} s; CPU median "
              f"{statistics.median(cpu):.3f} s, max {max(cpu):.3f} s over {args.runs} runs "
              f"(imports ≈ {imports:.2f} s of one run){verdict}")


if __name__ == "__main__":
    main()
