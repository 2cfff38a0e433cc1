"""``list``, ``show``, ``solve`` and ``check``: look at problems and check one answer."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from nncheck.cli import fast
from nncheck.cli.common import AssignArg, BankOpt, IdArg, JsonOpt, LatexOpt, SeedOpt, catalog, console, emit_json

if TYPE_CHECKING:
    from nncheck.bank.index import Catalog
    from nncheck.generate.variant import Variant


def variant_for(cat: Catalog, family_id: str, seed: int, assignments: list[str] | None) -> Variant:
    from nncheck.generate.variant import make_variant, parse_assignments

    return make_variant(cat.get(family_id), seed, parse_assignments(assignments or []))


def given_answers(v: Variant, part: str, given: list[str]) -> dict[str, str]:
    """``--given PART=ANSWER`` options as {part: answer}; an unknown or repeated part is a usage error."""
    from nncheck.errors import UsageError

    out: dict[str, str] = {}
    for item in given:
        name, eq, text = item.partition("=")
        name = name.strip()
        if not eq or not name or not text.strip():
            raise UsageError(f"--given '{item}': write PART=ANSWER, e.g. --given xi1='[[1, 2]]'")
        v.part(name)  # a clear error for an unknown part
        if name == part:
            raise UsageError(f"--given {name}: that is the part being checked; give its answer with --answer")
        if name in out:
            raise UsageError(f"--given {name} appears twice: give each earlier part once")
        out[name] = text
    return out


def _check_given(key, part: str, earlier: dict[str, str], *, latex: bool | None = None) -> None:
    """Error carried forward needs every part ``part`` is computed from, and only those."""
    from nncheck.errors import UsageError

    inputs = key.carry_inputs(part)
    if not inputs:
        raise UsageError(f"part {part} is not computed from other parts of {key.variant.id}: "
                         "--given does not apply to it")
    extra = [n for n in earlier if n not in inputs]
    missing = [n for n in inputs if n not in earlier]
    if extra or missing:
        raise UsageError(f"part {part} is computed from {', '.join(inputs)}: give each of them with --given "
                         f"(your answer, right or wrong)" + (f", and not {', '.join(extra)}" if extra else ""))
    from nncheck.key.grade import grade

    for name, text in earlier.items():
        verdict = grade(key, name, text, latex=latex)
        if verdict.status == "invalid":  # it would carry nothing: say so rather than grade without it
            raise UsageError(f"--given {name}: {verdict.feedback}")


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
    def show_cmd(family_id: IdArg, assignments: AssignArg = None, seed: SeedOpt = 1, bank: BankOpt = None,
                 json_: JsonOpt = False) -> None:
        """Show a problem statement (drawn from SEED, or with your own numbers)."""
        fast.show_command(family_id=family_id, assignments=assignments, seed=seed, bank=bank, json_=json_)

    @app.command("solve")
    def solve_cmd(
        family_id: IdArg,
        assignments: AssignArg = None,
        seed: SeedOpt = 1,
        steps: Annotated[bool, typer.Option("--steps/--no-steps", help="Show the worked solution.")] = True,
        bank: BankOpt = None,
        json_: JsonOpt = False,
    ) -> None:
        """Answer key and worked solution, computed with SymPy and NumPy and cross-checked."""
        from nncheck.key.compute import answer_key

        v = variant_for(catalog(bank), family_id, seed, assignments)
        key = answer_key(v)
        if json_:
            emit_json(key.to_json())
            return
        from nncheck.render.rich_views import key_renderable

        tty = sys.stdout.isatty()
        console(wide=True).print(key_renderable(key, steps=steps, diagram=tty, wrap=tty))

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
        bank: BankOpt = None,
        json_: JsonOpt = False,
    ) -> None:
        """Grade one answer. Exit code: 0 correct, 1 incorrect, 2 unreadable answer or bad input."""
        from nncheck.errors import UsageError

        if answer is None:
            raise UsageError("give your answer with --answer TEXT")
        v = variant_for(catalog(bank), family_id, seed, assignments)
        parts = v.parts
        if part is None:
            if len(parts) != 1:
                raise UsageError(f"{v.id} has several parts; choose one with --part "
                                 f"({', '.join(p['name'] for p in parts)})")
            part = parts[0]["name"]
        v.part(part)  # a clear error for an unknown part, before any SymPy work
        earlier = given_answers(v, part, given or [])
        from nncheck.key.cache import cached_answer_key
        from nncheck.key.grade import grade

        # Checking the parts of one problem in turn computes its key once: later checks read it from
        # the cache, and grade a numeric part without SymPy (nncheck/key/cache.py).
        key = cached_answer_key(v, [part, *earlier])
        if earlier:
            _check_given(key, part, earlier, latex=latex or None)
        # Without --latex, an answer with a backslash, a brace or $ is read as LaTeX all the same.
        verdict = grade(key, part, answer, earlier, latex=latex or None)
        code = {"correct": 0, "incorrect": 1, "invalid": 2}[verdict.status]
        if json_:
            out = {"id": v.id, "seed": v.seed, "part": part, **verdict.to_json()}
            emit_json(out)
        else:
            from nncheck.render.rich_views import verdict_renderable

            console(wide=True).print(verdict_renderable(verdict, part))
        raise typer.Exit(code)
