"""Start-up benchmark: `nncheck --help`, `list` and `show` against `python -c pass`.

Whole-process wall time, median of N runs each, after compiling bytecode (as a normal
install does) and warming the bank cache.  The target (issue #2): each command at most
2.5x `python -c pass`, and none of them imports SymPy.

    python bench/bench_startup.py [--runs 40]
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

COMMANDS = [
    ["--help"],
    ["list"],
    ["show", "conv.output-size"],
    ["show", "detection.iou", "--seed", "3"],
    ["show", "conv.output-size", "W1=227", "F=11", "S=4", "P=0", "K=96", "D1=3"],
]


def nncheck_argv() -> list[str]:
    exe = shutil.which("nncheck")
    return [exe] if exe else [sys.executable, "-m", "nncheck"]


def timed(argv, env, runs):
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        out.append(time.perf_counter() - t)
    return statistics.median(out), max(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=40)
    args = ap.parse_args()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["NNCHECK_CACHE_DIR"] = tempfile.mkdtemp(prefix="nncheck-bench-")
    import nncheck

    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.dirname(nncheck.__file__)],
                   env=env, stdout=subprocess.DEVNULL, check=True)
    base_cmd = nncheck_argv()
    subprocess.run(base_cmd + ["list"], env=env, stdout=subprocess.DEVNULL, check=True)  # warm the cache
    base, _ = timed([sys.executable, "-c", "pass"], env, args.runs)
    print(f"python -c pass: {base * 1000:.1f} ms (median of {args.runs})")
    worst = 0.0
    for cmd in COMMANDS:
        med, mx = timed(base_cmd + cmd, env, args.runs)
        imp = subprocess.run([sys.executable, "-X", "importtime", "-m", "nncheck", *cmd], env=env,
                             capture_output=True, text=True)
        sympy = "sympy" in {ln.rsplit("|", 1)[1].strip().split(".")[0] for ln in imp.stderr.splitlines() if "|" in ln}
        ratio = med / base
        worst = max(worst, ratio)
        print(f"nncheck {' '.join(cmd):<60} {med * 1000:6.1f} ms  (max {mx * 1000:5.1f})  "
              f"{ratio:4.2f}x  sympy imported: {'YES' if sympy else 'no'}")
    print(f"worst ratio: {worst:.2f}x (target <= 2.5x)")


if __name__ == "__main__":
    main()
