"""Repeat-check benchmark: `nncheck check` of a problem, first and again (issue #20, point 6).

A student checks the parts of one homework problem in turn.  The first check computes the key
(SymPy and NumPy) and stores it in the key cache (nncheck/key/cache.py); a later check of the same
problem reads it back and grades a numeric part without SymPy, and the fast front end
(nncheck/cli/fast.py) serves it without Typer, pydantic or NumPy.  Whole process, as installed
(bytecode compiled, bank cache warm): for each case the key cache is emptied, then the same
command runs twice; medians over N rounds of wall and CPU time (user + system of the child; on a
busy machine the wall time also holds the wait for a core).  Target: the second check at most
0.3 s.  The heavy modules each run imports are listed from ``-X importtime``.  For scale, the
same rounds time the imports every Typer command with options pays before it runs (Typer, the
pydantic it validates options with, and rich for the output): what a repeat check cost while it
went through the Typer app.

    python bench/bench_repeat_check.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile

from _common import imported_modules, nncheck_argv, process_env, run_once  # bench/ is on sys.path as a script

CASES = [
    ("number part", ["check", "detection.iou", "--seed", "2", "--part", "IoU", "--answer", "0.27"]),
    ("matrix part", ["check", "conv.forward", "--seed", "2", "--part", "xi",
                     "--answer", "[[1, 2, 3], [4, 5, 6], [7, 8, 9]]"]),
    ("--json", ["check", "detection.iou", "--seed", "2", "--part", "IoU", "--answer", "-0.27", "--json"]),
]
HEAVY = {"sympy", "numpy", "typer", "pydantic"}
TARGET = 0.3
#: What any `nncheck check` imports before its own work (see the module docstring).
FLOOR = ["-c", "import nncheck.cli.app, typer._adapters, nncheck.render.rich_views, nncheck.render.quiz_views"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="nncheck-bench-repeat-")
    try:
        env = process_env(work)
        keys = os.path.join(env["NNCHECK_CACHE_DIR"], "keys")
        base = nncheck_argv()
        print(f"each case: key cache emptied, then the same check twice; medians of {args.runs} rounds")
        worst = 0.0
        med = statistics.median
        for label, cmd in CASES:
            first, second, floor = [], [], []
            for _ in range(args.runs):
                shutil.rmtree(keys, ignore_errors=True)
                first.append(run_once(base + cmd, env))  # exit 1 for a wrong answer: not a failure
                second.append(run_once(base + cmd, env))
                floor.append(run_once([sys.executable, *FLOOR], env, check=True))
            heavy = imported_modules(cmd, env)[0] & HEAVY  # the cache is warm: a repeat check
            w1, c1 = med(r[0] for r in first), med(r[1] for r in first)
            w2, c2 = med(r[0] for r in second), med(r[1] for r in second)
            worst = max(worst, w2, c2)
            print(f"{label:<12} first: wall {w1:5.3f} s, cpu {c1:5.3f} s   second: wall {w2:5.3f} s "
                  f"(max {max(r[0] for r in second):5.3f}), cpu {c2:5.3f} s   "
                  f"second imports: {', '.join(sorted(heavy)) or 'no SymPy, NumPy, Typer or pydantic'}")
            print(f"{'':<12} the Typer path's floor (Typer + pydantic + rich imports): "
                  f"wall {med(r[0] for r in floor):5.3f} s, "
                  f"cpu {med(r[1] for r in floor):5.3f} s")
        print(f"second check, worst median (wall or cpu): {worst:.3f} s (target <= {TARGET} s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
