"""Answer-language benchmark (issue #3): parse and equivalence latency, against naive SymPy.

    python bench/bench_answer.py [--repeat 3] [--naive-timeout 10]

Measured on the labelled corpus ``tests/answer/equiv_corpus.yaml`` (the seeds' algebra):

* parse: ``parse()`` of every answer text of the corpus and of the accepted-syntax
  tests; target p95 <= 5 ms;
* equivalence: ``equivalent()`` per pair, through the sandbox worker exactly as grading
  runs it, with fresh SymPy objects for every pair (no warm per-object caches); target
  p95 <= 50 ms.  Also end to end (parse + convert + check), and in-process;
* naive: ``simplify(parse_expr(a) - parse_expr(b)) == 0`` on the same pairs (parse_expr is
  fed our own printed form of the corpus, which is trusted data, never user text), with
  its accuracy against the labels;
* resource attacks from ``tests/answer/test_resources.py``: the slowest answer (bound: 3 s).

Like every benchmark here, it unsets PYTHONDONTWRITEBYTECODE and compiles bytecode first,
as a normal install would, then re-runs itself.
"""

from __future__ import annotations

import argparse
import importlib.util
import keyword
import os
import re
import signal
import statistics
import sys
import time

from _common import reexec_with_bytecode  # bench/ is on sys.path when run as a script

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "tests", "answer")


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, os.path.join(TESTS, name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # our own test module (trusted), for its data lists
    return mod


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def line(label: str, xs: list[float], unit: float = 1e3) -> str:
    return (f"{label:<44} n={len(xs):<5} p50 {pct(xs, .5) * unit:7.2f} ms   p95 {pct(xs, .95) * unit:7.2f} ms"
            f"   max {max(xs) * unit:8.2f} ms")


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def naive_equal(a_text: str, b_text: str, domains: dict, limit: float):
    """simplify(parse_expr(a) - parse_expr(b)) == 0, with our σ and domains; None on timeout."""
    import sympy
    from sympy.parsing.sympy_parser import parse_expr, standard_transformations

    from nncheck.lang.sympy_backend import make_symbol, relu, sigma

    # A symbol named like a Python keyword (lambda) would be read as Python by parse_expr: rename it.
    rename = {n: n + "_" for n in domains if keyword.iskeyword(n)}
    for old_name, new_name in rename.items():
        a_text = re.sub(rf"\b{old_name}\b", new_name, a_text)
        b_text = re.sub(rf"\b{old_name}\b", new_name, b_text)
    local = {rename.get(n, n): make_symbol(n, d) for n, d in domains.items()}
    local.update({"sigma": sigma, "relu": relu, "ln": sympy.log, "log": sympy.log, "exp": sympy.exp,
                  "sqrt": sympy.sqrt, "abs": sympy.Abs, "max": sympy.Max, "min": sympy.Min, "tanh": sympy.tanh,
                  "e": sympy.E, "pi": sympy.pi})
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        a = parse_expr(a_text, local_dict=local, transformations=standard_transformations)
        b = parse_expr(b_text, local_dict=local, transformations=standard_transformations)
        return sympy.simplify(a - b) == 0
    except _Timeout:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3, help="parse timings: repetitions per text")
    ap.add_argument("--naive-timeout", type=float, default=10.0, help="seconds per pair for simplify()")
    args = ap.parse_args()

    import sympy

    from nncheck.answer import sandbox
    from nncheck.answer.equiv import equivalent, equivalent_local
    from nncheck.kinds import grade_answer
    from nncheck.lang.sympy_backend import make_symbol, to_sympy
    from nncheck.lang.syntax import parse, to_text

    corpus = _load("test_equivalence").PAIRS
    accepted = _load("test_syntax_accept")
    attacks = _load("test_resources")
    print(f"python {sys.version.split()[0]}, sympy {sympy.__version__}; corpus: {len(corpus)} labelled pairs")

    # -- parse -----------------------------------------------------------------------------
    texts = [(a, set(d)) for a, b, _, d, _ in corpus] + [(b, set(d)) for a, b, _, d, _ in corpus]
    texts += [(t, accepted.SYMS) for t, shown in accepted.CASES if shown is not None]
    parse_times = []
    for text, syms in texts:
        for _ in range(args.repeat):
            t = time.perf_counter()
            parse(text, symbols=syms)
            parse_times.append(time.perf_counter() - t)
    longest = "[" + ", ".join(["sigma(x)*(1 - sigma(x))/2"] * 140) + "]"
    long_times = []
    for _ in range(20):
        t = time.perf_counter()
        parse(longest, symbols={"x"})
        long_times.append(time.perf_counter() - t)
    print(line("parse (corpus + accepted syntax)", parse_times))
    print(line(f"parse, a {len(longest)}-character answer", long_times))

    # -- equivalence -------------------------------------------------------------------------
    def convert(text, domains):
        syms = {k: make_symbol(k, v) for k, v in domains.items()}
        return to_sympy(parse(text, symbols=set(domains)), syms, text)

    t = time.perf_counter()
    sandbox.run("echo", 0)
    spawn = time.perf_counter() - t
    rt = []
    for _ in range(200):
        t = time.perf_counter()
        sandbox.run("echo", 0)
        rt.append(time.perf_counter() - t)
    print(f"sandbox worker start {spawn * 1e3:.1f} ms; empty job round trip p50 {pct(rt, .5) * 1e3:.2f} ms")

    check, e2e, local, wrong, methods = [], [], [], [], {}
    for a, b, label, domains, _ in corpus:
        t0 = time.perf_counter()
        ya, yb = convert(a, domains), convert(b, domains)
        t1 = time.perf_counter()
        r = equivalent(ya, yb, domains)
        t2 = time.perf_counter()
        check.append(t2 - t1)
        e2e.append(t2 - t0)
        methods[r.method] = methods.get(r.method, 0) + 1
        if bool(r.equal) != label:
            wrong.append((a, b, label))
        ya, yb = convert(a, domains), convert(b, domains)  # fresh objects again
        t = time.perf_counter()
        equivalent_local(ya, yb, domains)
        local.append(time.perf_counter() - t)
    print(line("equivalent(), sandboxed (the grading path)", check))
    print(line("parse + convert + equivalent()", e2e))
    print(line("equivalent_local(), in-process", local))
    fa = sum(1 for _, _, label in wrong if not label)
    print(f"  agreement with labels: {len(corpus) - len(wrong)}/{len(corpus)}; false accepts {fa}, "
          f"false rejects {len(wrong) - fa}; methods {methods}")

    naive, n_wrong, n_fa, n_timeout = [], 0, 0, 0
    for a, b, label, domains, _ in corpus:
        at, bt = to_text(parse(a, symbols=set(domains))), to_text(parse(b, symbols=set(domains)))
        at, bt = at.replace("^", "**"), bt.replace("^", "**")
        t = time.perf_counter()
        verdict = naive_equal(at, bt, domains, args.naive_timeout)
        naive.append(time.perf_counter() - t)
        if verdict is None:
            n_timeout += 1
            continue
        if verdict != label:
            n_wrong += 1
            n_fa += (verdict and not label)
    print(line("naive simplify(parse_expr(a) - parse_expr(b)) == 0", naive))
    print(f"  naive agreement with labels: {len(corpus) - n_wrong - n_timeout}/{len(corpus)}; false accepts "
          f"{n_fa}, false rejects {n_wrong - n_fa}, timeouts ({args.naive_timeout:g} s) {n_timeout}")

    # -- resource attacks --------------------------------------------------------------------
    worst, worst_text, refused = 0.0, "", 0
    for part, text, _code in attacks.ATTACKS:
        expected = attacks.EXPECTED[part["kind"]]
        if part is attacks.EXPR and text.startswith(("x^x", "exp(exp(x")):
            expected = attacks._disguised(text)
        t = time.perf_counter()
        v = grade_answer(part, expected, text)
        dt = time.perf_counter() - t
        refused += v.status == "invalid"
        if dt > worst:
            worst, worst_text = dt, text
    print(f"resource attacks: {refused}/{len(attacks.ATTACKS)} refused; slowest {worst:.2f} s ({worst_text[:30]!r}); "
          f"deadline {sandbox.DEFAULT_TIMEOUT:g} s, bound 3 s")
    print(f"targets: parse p95 {pct(parse_times, .95) * 1e3:.2f} ms (<= 5), "
          f"equivalence p95 {pct(check, .95) * 1e3:.1f} ms (<= 50)")
    ok = pct(parse_times, .95) <= 5e-3 and pct(check, .95) <= 50e-3 and not fa and worst <= 3.0
    print("PASS" if ok else "FAIL")
    statistics.mean(check)  # noqa: B018 - keep the import honest for readers


if __name__ == "__main__":
    reexec_with_bytecode()
    main()
