"""Run nncheck's equivalence checker on STACK's AlgEquiv fixtures and report agreement.

    python bench/stack_algequiv.py [--file /work/shared/benchmarks/stack_algequiv.yaml] [--verbose]

Each side is read by the answer language's own parser (every name a real symbol,
decimals exact), as a user's answer would be.  Rows that use functions outside the
answer language (sin, cos, tan) are read with SymPy's ``parse_expr`` instead, with
decimals rationalized so that both routes treat ``0.5`` the same way; ``parse_expr``
only ever sees this benchmark's own corpus text, never user input.  Free symbols are
real: STACK's variables are real unless declared otherwise.  No row is special-cased:
where we disagree, ``docs/answer-language.md`` explains why.
"""

from __future__ import annotations

import argparse
import os
import time

import yaml
from _common import reexec_with_bytecode  # bench/ is on sys.path when run as a script

DEFAULT = "/work/shared/benchmarks/stack_algequiv.yaml"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_side(text: str):
    """(SymPy expression, how it was read)."""
    import sympy

    from nncheck.lang.sympy_backend import make_symbol, to_sympy
    from nncheck.lang.syntax import AnswerSyntaxError, parse

    try:
        node = parse(text, symbols=None)
        return to_sympy(node, {}, text), "answer language"
    except AnswerSyntaxError as e:
        if e.code != "unknown-function":
            raise
    from sympy.parsing.sympy_parser import convert_xor, parse_expr, rationalize, standard_transformations

    expr = parse_expr(text, transformations=standard_transformations + (convert_xor, rationalize),
                      local_dict={"e": sympy.E, "pi": sympy.pi, "log": sympy.log})
    real = {s: make_symbol(s.name) for s in expr.free_symbols}
    return expr.xreplace(real), "parse_expr (functions outside the answer language)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", default=DEFAULT)
    ap.add_argument("--verbose", action="store_true", help="print every row")
    ap.add_argument("--domain", default="real",
                    help="domain of every free symbol (default real; 'positive' shows the branch cases)")
    args = ap.parse_args()

    from nncheck.answer.equiv import equivalent
    from nncheck.lang.syntax import AnswerSyntaxError

    with open(args.file, encoding="utf-8") as fh:
        rows = yaml.safe_load(fh)["pairs"]
    agree, disagree, errors, times, routes = 0, [], [], [], {}
    for i, row in enumerate(rows, 1):
        try:
            a, how_a = read_side(row["a"])
            b, how_b = read_side(row["b"])
        except AnswerSyntaxError as e:
            if e.code != "math":
                errors.append((i, row, f"{type(e).__name__}: {e}"))
                continue
            # Refused as a value (a negative number to a fractional power has no real value):
            # a grader never accepts it, so it is "not equivalent".
            ours, why = False, f"refused: {e.message}"
            if ours == row["equiv"]:
                agree += 1
            else:
                disagree.append((i, row, ours, why))
            if args.verbose:
                print(f"{i:3d} {'==' if ours == row['equiv'] else '!='} STACK {row['equiv']!s:5} ours {ours!s:5} "
                      f"[{why}] {row['a']}  vs  {row['b']}")
            continue
        except Exception as e:  # noqa: BLE001 - a row we cannot read is reported, not hidden
            errors.append((i, row, f"{type(e).__name__}: {e}"))
            continue
        routes[how_a] = routes.get(how_a, 0) + 1
        routes[how_b] = routes.get(how_b, 0) + 1
        if args.domain != "real":
            from nncheck.lang.sympy_backend import make_symbol

            a, b = (e.xreplace({s: make_symbol(s.name, args.domain) for s in e.free_symbols}) for e in (a, b))
        domains = {s.name: args.domain for s in a.free_symbols | b.free_symbols}
        t = time.perf_counter()
        r = equivalent(a, b, domains)
        times.append(time.perf_counter() - t)
        ours = bool(r.equal)
        if ours == row["equiv"]:
            agree += 1
        else:
            why = "too complex" if r.too_complex else (r.counterexample() or r.note or r.method)
            disagree.append((i, row, ours, why))
        if args.verbose:
            mark = "==" if ours == row["equiv"] else "!="
            print(f"{i:3d} {mark} STACK {row['equiv']!s:5} ours {ours!s:5} [{r.method}] {row['a']}  vs  {row['b']}")
    n = len(rows)
    print(f"STACK AlgEquiv fixtures, free symbols {args.domain}: {n} pairs; agreement {agree}/{n - len(errors)}"
          f" ({agree / max(1, n - len(errors)):.0%}); unreadable {len(errors)}")
    print(f"read by: {routes}")
    if times:
        times.sort()
        print(f"equivalent(): p50 {times[len(times) // 2] * 1e3:.1f} ms, max {times[-1] * 1e3:.1f} ms")
    for i, row, ours, why in disagree:
        print(f"  row {i}: STACK says {row['equiv']}, we say {ours}: {row['a']}  vs  {row['b']}")
        print(f"         ({why})")
    for i, row, err in errors:
        print(f"  row {i}: could not read: {row['a']}  vs  {row['b']}: {err}")


if __name__ == "__main__":
    reexec_with_bytecode()
    main()
