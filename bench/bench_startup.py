"""Start-up benchmark: `nncheck --help`, `list` and `show` against `python -c pass`.

Whole-process wall time, median of N runs each, after compiling bytecode (as a normal
install does) and warming the bank cache.  The target (issue #2): each command at most
2.5x `python -c pass`, and none of them imports SymPy, NumPy or Typer (the fast front end,
nncheck/cli/fast.py, runs them).

    python bench/bench_startup.py [--runs 40]
"""

from __future__ import annotations

import argparse
import statistics
import sys

from _common import imported_modules, nncheck_argv, process_env, run_once  # bench/ is on sys.path as a script

COMMANDS = [
    ["--help"],
    ["list"],
    ["show", "conv.output-size"],
    ["show", "detection.iou", "--seed", "3"],
    ["show", "conv.output-size", "W1=227", "F=11", "S=4", "P=0", "K=96", "D1=3"],
]
TARGET = 2.5


def timed(argv: list[str], env: dict[str, str], runs: int, base_argv: list[str]
          ) -> tuple[float, float, float, float, float]:
    """Medians of ``argv`` and of the baseline, run alternately so that drift in the
    machine's load affects both alike: (wall, max wall, base wall, cpu, base cpu)."""
    cmd, base = [], []
    for _ in range(runs):
        base.append(run_once(base_argv, env))
        cmd.append(run_once(argv, env))
    med = statistics.median
    return (med(c[0] for c in cmd), max(c[0] for c in cmd), med(b[0] for b in base),
            med(c[1] for c in cmd), med(b[1] for b in base))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=40)
    args = ap.parse_args()
    env = process_env()
    base_cmd = nncheck_argv()
    base_argv = [sys.executable, "-c", "pass"]
    print(f"each command alternates with `python -c pass`, {args.runs} runs each; ratio of the medians")
    worst = 0.0
    for cmd in COMMANDS:
        med, mx, base, cpu, base_cpu = timed(base_cmd + cmd, env, args.runs, base_argv)
        heavy = imported_modules(cmd, env)[0] & {"sympy", "numpy", "typer"}
        ratio = med / base
        worst = max(worst, ratio)
        cpu_ratio = cpu / base_cpu if base_cpu else float("nan")
        print(f"nncheck {' '.join(cmd):<58} wall {med * 1000:5.1f} ms vs {base * 1000:4.1f}: {ratio:4.2f}x"
              f"   cpu {cpu * 1000:5.1f} ms vs {base_cpu * 1000:4.1f}: {cpu_ratio:4.2f}x"
              f"   max {mx * 1000:5.1f} ms   heavy imports: {', '.join(sorted(heavy)) or 'none'}")
    print(f"worst wall-time ratio: {worst:.2f}x (target <= {TARGET}x)")


if __name__ == "__main__":
    main()
