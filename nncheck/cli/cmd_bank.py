"""``bank validate`` and ``bank verify``: is a bank well-formed, and do its keys agree?"""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from .common import BankOpt, JsonOpt, NNGroup, catalog, console, emit_json

bank_app = typer.Typer(cls=NNGroup, help="Check problem banks: validate files, verify answer keys.",
                       no_args_is_help=True, add_completion=False)


@bank_app.command("validate")
def validate_cmd(
    paths: Annotated[Optional[list[str]], typer.Argument(
        help="Bank files or directories (default: the bundled banks).", show_default=False)] = None,
    json_: JsonOpt = False,
):
    """Check bank files against the schema; print every error as file:line: field: message."""
    from ..bank.compile import compile_bank_file
    from ..bank.index import bank_files
    from ..errors import BankError, BankErrors
    from ..paths import bundled_banks_dir
    from ..topics import solver_names

    files = bank_files(paths or [bundled_banks_dir()])
    names = solver_names()
    results = []
    errors: list[str] = []
    seen: dict[str, str] = {}
    for f in files:
        try:
            recs = compile_bank_file(f, solver_names=names)
        except BankErrors as e:
            errors.extend(x.line() for x in e.errors)
            results.append({"file": f, "ok": False, "errors": [x.line() for x in e.errors]})
            continue
        except BankError as e:
            errors.append(e.line())
            results.append({"file": f, "ok": False, "errors": [e.line()]})
            continue
        file_errors = []
        for r in recs:
            if r["id"] in seen:
                file_errors.append(f"{f}:{r['_line']}: id: problem id '{r['id']}' is already defined in {seen[r['id']]}")
            seen[r["id"]] = f"{f}:{r['_line']}"
        errors.extend(file_errors)
        results.append({"file": f, "ok": not file_errors, "families": [r["id"] for r in recs], "errors": file_errors})
    if json_:
        emit_json({"ok": not errors, "files": results})
    else:
        for e in errors:
            sys.stderr.write(e + "\n")
        n = sum(len(r.get("families", [])) for r in results)
        print(f"{len(files)} file{'s' if len(files) != 1 else ''}, {n} families: "
              + ("all valid" if not errors else f"{len(errors)} error{'s' if len(errors) != 1 else ''}"))
    raise typer.Exit(0 if not errors else 2)


@bank_app.command("verify")
def verify_cmd(
    seeds: Annotated[int, typer.Option("--seeds", "-n", help="Variants to draw per family.", min=1)] = 20,
    family: Annotated[Optional[list[str]], typer.Option("--family", "-f", help="Only these families.")] = None,
    topic: Annotated[Optional[list[str]], typer.Option("--topic", "-t", help="Only these topics.")] = None,
    bank: BankOpt = None,
    json_: JsonOpt = False,
):
    """Draw N variants of every family and cross-check the SymPy and NumPy answer keys."""
    from ..verify import verify_family

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
