"""``list``, ``show``, ``solve`` and ``check``: look at problems and check one answer."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from nncheck.cli import fast
from nncheck.cli.common import (
    AssignArg,
    BankOpt,
    IdArg,
    JsonOpt,
    LatexOpt,
    SeedOpt,
    StrictOpt,
    catalog,
    console,
    emit_json,
)

if TYPE_CHECKING:
    from nncheck.bank.index import Catalog
    from nncheck.generate.variant import Variant


def variant_for(cat: Catalog, family_id: str, seed: int, assignments: list[str] | None, *,
                strict: bool = False) -> Variant:
    from nncheck.generate.variant import make_variant, parse_assignments

    return make_variant(cat.get(family_id), seed, parse_assignments(assignments or []), strict=strict)


def register(app: typer.Typer) -> None:
    # list and show are defined once, in the fast front end, which usually runs them without Typer.
    @app.command("list")
    def list_cmd(
        topic: Annotated[list[str] | None, typer.Option(
            "--topic", "-t", help="Only these topics (repeatable).")] = None,
        bank: BankOpt = None,
        json_: JsonOpt = False,
    ) -> None:
        """List the problem families (id, topic, title)."""
        fast.list_command(topic=topic, bank=bank, json_=json_)

    @app.command("show")
    def show_cmd(family_id: IdArg, assignments: AssignArg = None, seed: SeedOpt = 1, strict: StrictOpt = False,
                 bank: BankOpt = None, json_: JsonOpt = False) -> None:
        """Show a problem statement (drawn from SEED, or with your own numbers)."""
        fast.show_command(family_id=family_id, assignments=assignments, seed=seed, strict=strict, bank=bank,
                          json_=json_)

    @app.command("solve")
    def solve_cmd(
        family_id: IdArg,
        assignments: AssignArg = None,
        seed: SeedOpt = 1,
        steps: Annotated[bool, typer.Option("--steps/--no-steps", help="Show the worked solution.")] = True,
        strict: StrictOpt = False,
        bank: BankOpt = None,
        json_: JsonOpt = False,
    ) -> None:
        """Answer key and worked solution, computed with SymPy and NumPy and cross-checked."""
        from nncheck.key.compute import answer_key

        v = variant_for(catalog(bank), family_id, seed, assignments, strict=strict)
        key = answer_key(v)
        if json_:
            emit_json(key.to_json())
            return
        from nncheck.render.rich_views import key_renderable

        tty = sys.stdout.isatty()
        out = console(wide=True)
        fast.print_origin(out, v)
        out.print(key_renderable(key, steps=steps, diagram=tty, wrap=tty))

    @app.command("check")
    def check_cmd(
        family_id: IdArg,
        assignments: AssignArg = None,
        part: Annotated[str | None, typer.Option("--part", "-p", help="Which part you answer (see 'show').")] = None,
        answer: Annotated[str | None, typer.Option(
            "--answer", "-a", help="Your answer, in the answer language or in LaTeX.")] = None,
        given: Annotated[list[str] | None, typer.Option(
            "--given", metavar="PART=ANSWER",
            help="Your answer to an earlier part this one is computed from (repeatable): a wrong "
                 "answer computed correctly from it earns credit (error carried forward).")] = None,
        latex: LatexOpt = False,
        seed: SeedOpt = 1,
        strict: StrictOpt = False,
        bank: BankOpt = None,
        json_: JsonOpt = False,
    ) -> None:
        """Grade one answer. Exit code: 0 correct, 1 incorrect, 2 unreadable answer or bad input."""
        # Defined once, in the fast front end, which runs a repeat check (key cached) without Typer.
        code = fast.check_command(family_id=family_id, assignments=assignments, part=part, answer=answer,
                                  given=given, latex=latex, seed=seed, strict=strict, bank=bank, json_=json_)
        raise typer.Exit(code)
