"""Benchmark of the derivation checker (issue #6): accuracy on the labelled corpus and speed.

    python bench/bench_derive.py [--json] [--runs N] [--in-process]

* **accuracy**: every two-line step and every multi-line derivation of
  ``tests/derive/corpus.py`` (plus the bank problems' seed derivations and their broken
  variants); verdict accuracy, false accepts (an invalid step judged valid), and
  "could not decide" counts.
* **per-step time**: the time each step's check takes (SymPy conversion, equivalence,
  domain check, rule naming), measured inside the checker; p50/p95/max.
* **whole process**: ``nncheck derive FILE`` on a 10-line derivation, as a user runs it
  (interpreter start, imports, checking, output), several runs.

As a normal install would, the benchmark runs with bytecode caching on and compiles
``nncheck`` first.  It prints the machine's load average, since the process times move
with it.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests", "derive"))

TEN_LINES = """\
d/dx(x^2 sigma(x))
= 2x sigma(x) + x^2 d/dx(sigma(x))
= 2x sigma(x) + x^2 sigma(x)(1 - sigma(x))
= x sigma(x)(2 + x(1 - sigma(x)))
= x sigma(x)(2 + x - x sigma(x))
= 2x sigma(x) + x^2 sigma(x) - x^2 sigma(x)^2
= x sigma(x)(2 + x) - x^2 sigma(x)^2
= x sigma(x)(2 + x - x sigma(x))
= x sigma(x)(2 + x sigma(-x))
= x sigma(x)(2 + x(1 - sigma(x)))
"""

CODES = {"valid": "v", "invalid": "x", "unparsable": "!", "undecided": "?"}


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    k = min(len(s) - 1, max(0, int(round(q * (len(s) - 1)))))
    return s[k]


def accuracy(isolate: bool | None) -> dict:
    from corpus import DERIVATIONS, PROBLEM_BROKEN, STEPS, step_text

    from nncheck.bank.index import load_catalog
    from nncheck.derive.core import check_derivation
    from nncheck.generate.variant import make_variant
    from nncheck.key.compute import answer_key
    from nncheck.kinds.derivation import problem_for

    step_times: list[float] = []  # wall clock
    step_cpu: list[float] = []
    out = {"steps": 0, "steps_right": 0, "false_accepts": 0, "false_rejects": 0, "undecided": 0,
           "derivations": 0, "derivations_right": 0, "derivation_steps": 0, "mismatches": []}
    for label, left, right, assume in STEPS:
        rep = check_derivation(step_text(left, right, assume), isolate=isolate)
        st = rep.steps[0]
        step_times.append(st.elapsed)
        step_cpu.append(st.cpu)
        out["steps"] += 1
        out["undecided"] += st.status == "undecided"
        if st.status == label:
            out["steps_right"] += 1
        else:
            out["mismatches"].append(f"{left} = {right} [{assume}]: {label} -> {st.status}")
            if label == "invalid" and st.status == "valid":
                out["false_accepts"] += 1
            if label == "valid" and st.status == "invalid":
                out["false_rejects"] += 1

    def derivation(name, text, expect, finished, problem=None):
        rep = check_derivation(text, problem=problem, isolate=isolate)
        got = "".join(CODES[s.status] for s in rep.steps)
        step_times.extend(s.elapsed for s in rep.steps if s.kind != "line")
        step_cpu.extend(s.cpu for s in rep.steps if s.kind != "line")
        out["derivations"] += 1
        out["derivation_steps"] += len(rep.steps)
        out["undecided"] += got.count("?")
        for e, g in zip(expect, got):
            if e == "x" and g == "v":
                out["false_accepts"] += 1
        if got == expect and (finished is None or rep.finished is finished):
            out["derivations_right"] += 1
        else:
            out["mismatches"].append(f"{name}: {expect}/{finished} -> {got}/{rep.finished}")

    for name, text, expect, finished in DERIVATIONS:
        derivation(name, text, expect, finished)
    cat = load_catalog(use_cache=False)
    for fid in sorted(i for i in cat.ids() if i.startswith("derive.")):
        for conv in (("ece417", "standard") if fid == "derive.lstm-dldc" else (None,)):
            v = make_variant(cat.get(fid), 1, {"convention": conv} if conv else {})
            key = answer_key(v)
            for part in v.parts:
                # The seed's own derivation: every step valid, and the target reached.
                text = "\n".join(key.parts[part["name"]].steps)
                rep = check_derivation(text, problem=problem_for(part, family=cat.get(fid)), isolate=isolate)
                step_times.extend(s.elapsed for s in rep.steps)
                step_cpu.extend(s.cpu for s in rep.steps)
                out["derivations"] += 1
                out["derivation_steps"] += len(rep.steps)
                out["undecided"] += sum(s.status == "undecided" for s in rep.steps)
                if rep.valid and rep.finished is True:
                    out["derivations_right"] += 1
                else:
                    out["mismatches"].append(f"{fid} seed: {[s.status for s in rep.steps]} {rep.finished}")
    for fid, part_name, text, expect, finished in PROBLEM_BROKEN:
        v = make_variant(cat.get(fid), 1, {"convention": "ece417"} if fid == "derive.lstm-dldc" else {})
        part = v.part(part_name)
        derivation(f"{fid} broken", text, expect, finished, problem_for(part, family=cat.get(fid)))
    for key, values in (("step_ms", step_times), ("step_cpu_ms", step_cpu)):
        ms = [t * 1000 for t in values]
        out[key] = {"n": len(ms), "p50": round(_pct(ms, 0.5), 1), "p95": round(_pct(ms, 0.95), 1),
                    "max": round(max(ms), 1), "mean": round(statistics.mean(ms), 1)}
    return out


def _children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def whole_process(runs: int) -> dict:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["NO_COLOR"] = "1"
    exe = os.path.join(os.path.dirname(sys.executable), "nncheck")
    cmd = [exe] if os.path.exists(exe) else [sys.executable, "-m", "nncheck"]
    with tempfile.TemporaryDirectory() as tmp:
        env["NNCHECK_CACHE_DIR"] = os.path.join(tmp, "cache")
        path = os.path.join(tmp, "ten.txt")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(TEN_LINES)
        subprocess.run(cmd + ["derive", path], env=env, capture_output=True)  # warm the disk cache
        times, cpus, codes = [], [], set()
        for _ in range(runs):
            t0, c0 = time.perf_counter(), _children_cpu()
            p = subprocess.run(cmd + ["derive", path], env=env, capture_output=True)
            times.append(time.perf_counter() - t0)
            cpus.append(_children_cpu() - c0)  # nncheck and its forked checker
            codes.add(p.returncode)
        base, base_cpu = [], []
        for _ in range(max(3, runs // 2)):
            t0, c0 = time.perf_counter(), _children_cpu()
            subprocess.run([sys.executable, "-c", "import sympy"], env=env, capture_output=True)
            base.append(time.perf_counter() - t0)
            base_cpu.append(_children_cpu() - c0)
    return {"lines": TEN_LINES.count("\n"), "runs": runs, "median_s": round(statistics.median(times), 3),
            "max_s": round(max(times), 3), "min_s": round(min(times), 3), "exit_codes": sorted(codes),
            "cpu_median_s": round(statistics.median(cpus), 3), "cpu_max_s": round(max(cpus), 3),
            "python_import_sympy_median_s": round(statistics.median(base), 3),
            "python_import_sympy_cpu_s": round(statistics.median(base_cpu), 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--in-process", action="store_true", help="check in this process (no forked child)")
    args = ap.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.dont_write_bytecode = False
    compileall.compile_dir(os.path.join(ROOT, "nncheck"), quiet=1)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    t0 = time.perf_counter()
    acc = accuracy(False if args.in_process else None)
    acc_s = time.perf_counter() - t0
    proc = whole_process(args.runs)
    result = {"accuracy": acc, "accuracy_seconds": round(acc_s, 1), "process": proc,
              "load_average": [round(x, 2) for x in load] if load else None, "cpus": os.cpu_count()}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        a = acc
        print(f"machine: {os.cpu_count()} CPUs, load average {result['load_average']}")
        print(f"two-line steps:   {a['steps_right']}/{a['steps']} right")
        print(f"derivations:      {a['derivations_right']}/{a['derivations']} right "
              f"({a['derivation_steps']} steps)")
        print(f"false accepts:    {a['false_accepts']}    false rejects: {a['false_rejects']}    "
              f"could not decide: {a['undecided']}")
        s, c = a["step_ms"], a["step_cpu_ms"]
        where = "in-process" if args.in_process else "forked child"
        print(f"per-step time:    wall p50 {s['p50']} ms, p95 {s['p95']} ms, max {s['max']} ms; "
              f"CPU p50 {c['p50']} ms, p95 {c['p95']} ms, max {c['max']} ms (n = {s['n']}, {where})")
        p = proc
        print(f"whole process:    {p['lines']}-line derivation over {p['runs']} runs: wall median {p['median_s']} s "
              f"(max {p['max_s']} s), CPU median {p['cpu_median_s']} s (max {p['cpu_max_s']} s)")
        print(f"                  for scale, python -c 'import sympy': wall {p['python_import_sympy_median_s']} s, "
              f"CPU {p['python_import_sympy_cpu_s']} s")
        for m in a["mismatches"]:
            print("  MISMATCH", m)
    ok = (acc["steps_right"] == acc["steps"] and acc["derivations_right"] == acc["derivations"]
          and acc["false_accepts"] == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
