"""``bank validate`` and ``bank verify``: is a bank well-formed, and do its keys agree?"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from nncheck.cli.common import BankOpt, JsonOpt, NNGroup, catalog, console, emit_json

# Seeds per family for 'bank verify' and 'bank test': each seed computes a key twice (SymPy and
# NumPy), so a thousand seeds of every bundled family is already a long run; more is refused.
MAX_SEEDS = 1000

bank_app = typer.Typer(cls=NNGroup, help="Check problem banks: validate files, verify answer keys.",
                       no_args_is_help=True, add_completion=False)


@bank_app.command("validate")
def validate_cmd(
    paths: Annotated[list[str] | None, typer.Argument(
        help="Bank files or directories (default: the bundled banks).", show_default=False)] = None,
    json_: JsonOpt = False,
):
    """Check bank files against the schema; print every error as file:line: field: message."""
    from nncheck.bank.compile import compile_loaded, load_banks
    from nncheck.bank.index import MAX_BANK_BYTES, bank_files
    from nncheck.errors import BankError, BankErrors
    from nncheck.paths import bundled_banks_dir
    from nncheck.topics import solver_names

    files = bank_files(paths or [bundled_banks_dir()])
    names = solver_names()
    results: list[dict[str, Any]] = []
    errors: list[BankError] = []
    seen: dict[str, str] = {}
    # Too many bytes or families in all: one line before any file is validated.
    for loaded in load_banks(files, max_bytes=MAX_BANK_BYTES):
        f = loaded.path
        try:
            if loaded.error is not None:
                raise loaded.error
            recs = compile_loaded(f, loaded.data, loaded.lines, solver_names=names)
        except (BankError, BankErrors) as e:
            # Every error of the file: compiling collects them across all its families.
            found = e.errors if isinstance(e, BankErrors) else [e]
            errors.extend(found)
            results.append({"file": f, "ok": False, "errors": [x.line() for x in found]})
            continue
        file_errors = []
        for r in recs:
            if r["id"] in seen:
                file_errors.append(BankError(f"problem id '{r['id']}' is already defined in {seen[r['id']]}",
                                             file=f, line=r["_line"], field="id"))
            seen[r["id"]] = f"{f}:{r['_line']}"
        errors.extend(file_errors)
        results.append({"file": f, "ok": not file_errors, "families": [r["id"] for r in recs],
                        "errors": [x.line() for x in file_errors]})
    if json_:
        emit_json({"ok": not errors, "files": results, "errors": [_error_json(e) for e in errors]})
    else:
        for err in errors:
            sys.stderr.write(err.line() + "\n")
        n = sum(len(r.get("families", [])) for r in results)
        print(f"{len(files)} file{'s' if len(files) != 1 else ''}, {n} families: "
              + ("all valid" if not errors else f"{len(errors)} error{'s' if len(errors) != 1 else ''}"))
    raise typer.Exit(0 if not errors else 2)


def _error_json(e) -> dict[str, Any]:
    """One bank error in ``bank validate --json``: where (file, line, field), what, and the line as printed."""
    return {"file": e.file, "line": e.lineno, "field": e.field, "message": e.message, "hint": e.hint,
            "text": e.line()}


@bank_app.command("verify")
def verify_cmd(
    seeds: Annotated[int, typer.Option("--seeds", "-n", help="Variants to draw per family.", min=1,
                                       max=MAX_SEEDS)] = 20,
    family: Annotated[list[str] | None, typer.Option("--family", "-f", help="Only these families.")] = None,
    topic: Annotated[list[str] | None, typer.Option("--topic", "-t", help="Only these topics.")] = None,
    bank: BankOpt = None,
    json_: JsonOpt = False,
):
    """Draw N variants of every family and cross-check the SymPy and NumPy answer keys."""
    from nncheck.verify.crosscheck import verify_family

    cat = catalog(bank)
    records = cat.select(topics=topic, families=family)
    results = []
    show_progress = not json_ and sys.stderr.isatty()
    if show_progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        progress = Progress(TextColumn("{task.description:<32}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=console(stderr=True), transient=False)
        with progress:
            task = progress.add_task("verifying", total=len(records) * seeds)
            for rec in records:
                progress.update(task, description=rec["id"])
                results.append(verify_family(rec, seeds, on_step=lambda: progress.advance(task)))
    else:
        for rec in records:
            results.append(verify_family(rec, seeds))
    failures = sum(r["failed"] for r in results)
    if json_:
        emit_json({"ok": failures == 0, "seeds": seeds, "families": results})
    else:
        from rich.table import Table

        t = Table(title=f"bank verify: {seeds} seeds per family", title_justify="left")
        t.add_column("family")
        t.add_column("ok", justify="right")
        t.add_column("refused", justify="right")
        t.add_column("first problem")
        for r in results:
            t.add_row(r["id"], str(r["ok"]), str(r["failed"]), (r["problems"][0] if r["problems"] else ""))
        con = console()
        con.print(t)
        con.print(f"{len(results)} families, {sum(r['ok'] for r in results)} variants agree, {failures} refused")
    raise typer.Exit(0 if failures == 0 else 1)


def register(app: typer.Typer) -> None:
    app.add_typer(bank_app, name="bank")


@bank_app.command("test")
def test_cmd(
    paths: Annotated[list[str] | None, typer.Argument(
        help="Bank files or directories to test (default: every loaded bank).", show_default=False)] = None,
    seeds: Annotated[int, typer.Option("--seeds", "-n", help="Instances per family.", min=1, max=MAX_SEEDS)] = 10,
    family: Annotated[list[str] | None, typer.Option("--family", "-f", help="Only these families.")] = None,
    bank: BankOpt = None,
    json_: JsonOpt = False,
):
    """Self-test families: keys graded correct, mistakes named, garbage invalid, keys agree."""
    from nncheck.bank.compile import compile_loaded, load_banks
    from nncheck.bank.index import MAX_BANK_BYTES, Catalog, bank_files
    from nncheck.topics import solver_names
    from nncheck.verify.selftest import test_family

    if paths:
        names = solver_names()
        records = []
        for loaded in load_banks(bank_files(paths), max_bytes=MAX_BANK_BYTES):
            if loaded.error is not None:
                raise loaded.error  # one line, exit 2
            records.extend(compile_loaded(loaded.path, loaded.data, loaded.lines, solver_names=names))
        cat = Catalog(records)
    else:
        cat = catalog(bank)
    records = cat.select(families=family) if family else cat.records
    results = []
    show_progress = not json_ and sys.stderr.isatty()
    if show_progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        with Progress(TextColumn("{task.description:<32}"), BarColumn(), MofNCompleteColumn(),
                      console=console(stderr=True)) as progress:
            task = progress.add_task("testing", total=len(records) * seeds)
            for rec in records:
                progress.update(task, description=rec["id"])
                results.append(test_family(rec, seeds, on_step=lambda: progress.advance(task)))
    else:
        results = [test_family(rec, seeds) for rec in records]
    for rec, r in zip(records, results):
        _test_milestones(rec, seeds, r)
    ok = all(r["ok"] for r in results)
    if json_:
        emit_json({"ok": ok, "seeds": seeds, "families": results})
    else:
        from rich.table import Table

        t = Table(title=f"bank test: {seeds} seeds per family", title_justify="left")
        for col in ("family", "seeds", "answers", "mistakes", "garbage", "result"):
            t.add_column(col, justify="left" if col in ("family", "result") else "right")
        for r in results:
            if r["failures"]:
                more = len(r["failures"]) - 1
                result = f"FAIL: {r['failures'][0]}" + (f" (+{more} more)" if more else "")
            elif r["not_exercised"]:
                result = f"ok (not drawn in {seeds} seeds: {', '.join(r['not_exercised'])})"
            else:
                result = "ok"
            if not r["failures"] and r.get("milestones"):
                result += f" ({r['milestones']} milestones exercised)"
            t.add_row(r["id"], str(r["seeds"]), str(r["answers"]), str(r["mistakes"]), str(r["garbage"]), result)
        con = console()
        con.print(t)
        failed = sum(not r["ok"] for r in results)
        con.print(f"{len(results)} families: " + ("all passed" if ok else f"{failed} failed"))
    raise typer.Exit(0 if ok else 1)


def _test_milestones(rec, seeds: int, result: dict) -> None:
    """Exercise the milestones of each derivation part (``kinds.derivation.exercise_milestones``), once per
    part, in the first of the ``seeds`` instances that asks it; failures join the family's."""
    if not any(p["kind"] == "derivation" for p in rec["parts"]):
        return
    from nncheck.errors import NNCheckError
    from nncheck.generate.variant import build_variant
    from nncheck.key.compute import answer_key
    from nncheck.kinds.derivation import exercise_milestones

    done: set[str] = set()
    result["milestones"] = 0
    for seed in range(1, seeds + 1):
        try:
            key = answer_key(build_variant(rec, seed, {}))
        except NNCheckError:
            continue  # already a failure of the family's own test
        for part in key.variant.parts:
            if part["kind"] != "derivation" or part["name"] in done:
                continue
            done.add(part["name"])
            kp = key.parts[part["name"]]
            failures, exercised = exercise_milestones(part, kp.exact, kp.steps)
            result["failures"].extend(f"seed {seed}, {f}" for f in failures)
            result["milestones"] += exercised
    result["ok"] = not result["failures"]


STARTER = '''\
# A problem bank for nncheck. Check it with:   nncheck bank test {path}
# Use it with any command:                     nncheck quiz --bank {dir} --family {id}
# Formulas use the answer language (+ - * / ^, exp, ln, sqrt, sigma, tanh, relu, max, min)
# plus, in banks, comparisons, and/or/not, %, len(), rows(), cols(), at(v, i), isint().
bank: {bank}
description: A starter bank written by 'nncheck bank new'.
families:
  - id: {id}
    title: Forward pass of one ReLU neuron
    topic: {topic}
    source: "ECE 417: h = g(ξ), ξ = b + w·x"
    difficulty: 1
    params:
      # Each parameter: a type, bounds, and how a random instance draws it.
      w: {{type: vector, length: 2, entries: integer, min: -3, max: 3, doc: weights,
          draw: {{range: [-3, 3], shape: [2]}}}}
      x: {{type: vector, length: 2, entries: integer, min: -3, max: 3, doc: input,
          draw: {{range: [-3, 3], shape: [2]}}}}
      b: {{type: integer, min: -5, max: 5, doc: bias, draw: {{range: [-3, 3]}}}}
    derived:
      # Named formulas over the parameters, usable in prompts, answers and steps.
      xi: dot(w, x) + b
    constraints:
      - check: "b != 0"
        message: "a zero bias cannot tell 'forgot the bias' apart from the answer"
        draw_only: true
    prompt: |
      A neuron computes ξ = b + w·x and h = ReLU(ξ) = max(0, ξ), with
      w = {{w}}, x = {{x}} and b = {{b}}.
    parts:
      - name: xi
        kind: number
        prompt: "The excitation ξ"
        answer: dot(w, x) + b
        solution:
          - "ξ = b + w₁x₁ + w₂x₂ = {{b}} + ({{=at(w, 1)}})({{=at(x, 1)}}) + ({{=at(w, 2)}})({{=at(x, 2)}}) = {{xi}}"
      - name: h
        kind: number
        prompt: "The activation h"
        answer: relu(xi)
        solution:
          - "h = max(0, ξ) = max(0, {{xi}}) = {{=relu(xi)}}"
    hints:
      - "Multiply entry by entry, add the products, then add the bias."
    mistakes:
      - id: bias-forgotten
        message: "the bias b is missing from ξ"
        formula: {{xi: "dot(w, x)", h: "relu(dot(w, x))"}}
'''


@bank_app.command("new")
def new_cmd(
    family_id: Annotated[str, typer.Argument(metavar="ID", help="The new family's id, e.g. mycourse.neuron.")],
    output: Annotated[str | None, typer.Option("--output", "-o", help="File to write (default: ID.yaml).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    json_: JsonOpt = False,
):
    """Write a commented starter bank (a YAML-only family) that passes 'bank test' as written."""
    import os
    import re

    from nncheck.errors import UsageError

    if not re.fullmatch(r"[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*", family_id):
        raise UsageError(f"'{family_id}' is not a valid id: use lowercase words joined by '.' or '-', "
                         "e.g. mycourse.neuron")
    path = output or f"{family_id}.yaml"
    if os.path.exists(path) and not force:
        raise UsageError(f"{path} already exists (use --force to overwrite)")
    topic = family_id.split(".")[0]
    text = STARTER.format(id=family_id, topic=topic, bank=topic, path=path,
                          dir=os.path.dirname(path) or ".")
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None
    if json_:
        emit_json({"written": path, "id": family_id})
    else:
        print(f"wrote {path}; check it with: nncheck bank test {path}")
