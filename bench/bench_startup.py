"""Start-up benchmark: `nncheck --help`, `list` and `show` against `python -c pass`.

Whole-process wall time, median of N runs each, after compiling bytecode (as a normal
install does) and warming the bank cache.  The target (issue #2): each command at most
2.5x `python -c pass`, and none of them imports SymPy.

    python bench/bench_startup.py [--runs 40]
"""

from __future__ import annotations

import argparse
import os
import resource
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


def once(argv, env) -> tuple[float, float]:
    """(wall time, CPU time of the child) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def timed(argv, env, runs, base_argv):
    """Medians of ``argv`` and of the baseline, run alternately so that drift in the
    machine's load affects both alike: (wall, max wall, base wall, cpu, base cpu)."""
    cmd, base = [], []
    for _ in range(runs):
        base.append(once(base_argv, env))
        cmd.append(once(argv, env))
    med = statistics.median
    return (med(c[0] for c in cmd), max(c[0] for c in cmd), med(b[0] for b in base),
            med(c[1] for c in cmd), med(b[1] for b in base))


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
    base_argv = [sys.executable, "-c", "pass"]
    print(f"each command alternates with `python -c pass`, {args.runs} runs each; ratio of the medians")
    worst = 0.0
    for cmd in COMMANDS:
        med, mx, base, cpu, base_cpu = timed(base_cmd + cmd, env, args.runs, base_argv)
        imp = subprocess.run([sys.executable, "-X", "importtime", "-m", "nncheck", *cmd], env=env,
                             capture_output=True, text=True)
        sympy = "sympy" in {ln.rsplit("|", 1)[1].strip().split(".")[0] for ln in imp.stderr.splitlines() if "|" in ln}
        ratio = med / base
        worst = max(worst, ratio)
        cpu_ratio = cpu / base_cpu if base_cpu else float("nan")
        print(f"nncheck {' '.join(cmd):<58} wall {med * 1000:5.1f} ms vs {base * 1000:4.1f}: {ratio:4.2f}x"
              f"   cpu {cpu * 1000:5.1f} ms vs {base_cpu * 1000:4.1f}: {cpu_ratio:4.2f}x"
              f"   max {mx * 1000:5.1f} ms   sympy imported: {'YES' if sympy else 'no'}")
    print(f"worst wall-time ratio: {worst:.2f}x (target <= 2.5x)")


if __name__ == "__main__":
    main()
