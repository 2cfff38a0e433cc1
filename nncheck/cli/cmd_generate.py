"""``generate``: write a problem set (Markdown, LaTeX, JSON or Moodle XML) and its blank answer file."""

from __future__ import annotations

import enum
import os
import sys
from typing import Annotated

import typer

from nncheck.cli.cmd_quiz import FamilyOpt, TopicOpt
from nncheck.cli.common import BankOpt, JsonOpt, catalog, emit_json
from nncheck.export import FORMATS, check_format, format_help


class KeyMode(enum.StrEnum):
    inline = "inline"
    separate = "separate"
    none = "none"


def write_files(out_dir: str, files: dict[str, bytes]) -> list[str]:
    """Write ``files`` under ``out_dir``; any OS failure is one NNCheckError line."""
    from nncheck.errors import NNCheckError

    written = []
    try:
        if os.path.exists(out_dir) and not os.path.isdir(out_dir):
            raise NNCheckError(f"cannot write to {out_dir}: it is a file, not a directory")
        os.makedirs(out_dir, exist_ok=True)
        for rel, data in files.items():
            path = os.path.join(out_dir, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(data)
            written.append(path)
    except OSError as e:
        where = e.filename or out_dir
        raise NNCheckError(f"cannot write to {where}: {e.strerror or e}") from None
    return written


def register(app: typer.Typer) -> None:
    @app.command("generate")
    def generate_cmd(
        topic: TopicOpt = None,
        family: FamilyOpt = None,
        count: Annotated[int | None, typer.Option(
            "--count", "-n", help="How many problems (default 10; 9 with --exam).")] = None,
        seed: Annotated[int | None, typer.Option(
            "--seed", "-s",
            help="Seed of the whole set: the same seed gives byte-identical files (default: random, printed).")] = None,
        # The formats come from the export registry (nncheck.export.FORMATS): a new format is one
        # row there, and render_set refuses an unknown one with the list of formats (exit 2).
        fmt: Annotated[str, typer.Option(
            "--format", metavar="|".join(FORMATS), help=format_help() + ".")] = "md",
        out: Annotated[str | None, typer.Option(
            "--output", "-o", help="Directory to write (default: ./nncheck-set-SEED).")] = None,
        key: Annotated[KeyMode, typer.Option(
            "--key", help="Answer keys with worked solutions: inline, separate (key.*) or none.",
            case_sensitive=False)] = KeyMode.inline,
        exam: Annotated[bool, typer.Option(
            "--exam", help="The layout of the ECE 417 exam review: 8-10 problems of 1-3 parts in the four NN "
                           "sections.")] = False,
        formula_sheet: Annotated[bool | None, typer.Option(
            "--formula-sheet/--no-formula-sheet",
            help="Write the set's formula sheet (the formulas its problems need, in the notes' notation, one or "
                 "two pages); on by default with --exam.", show_default=False)] = None,
        bank: BankOpt = None,
        json_: JsonOpt = False,
    ) -> None:
        """Write a problem set with answer keys, diagrams and a blank answer file for 'nncheck grade'."""
        from nncheck.export import render_set
        from nncheck.export.problemset import build_set

        fmt = check_format(fmt)  # before any work: a typo costs nothing
        if seed is None:
            import random

            seed = random.SystemRandom().randrange(1, 1_000_000)
        cat = catalog(bank)
        pset = build_set(cat, topics=topic, families=family, count=count, seed=seed, exam=exam,
                         formula_sheet=formula_sheet)
        files = render_set(pset, fmt, key.value)
        if pset.formula_sheet and not any(name.startswith("formula-sheet.") for name in files):
            # A format without a sheet of its own gets the Markdown one, which reads as plain text too.
            from nncheck.export.formulas import formula_sheet_markdown

            files["formula-sheet.md"] = formula_sheet_markdown(pset).encode("utf-8")
        out_dir = out or f"nncheck-set-{seed}"
        write_files(out_dir, files)
        if json_:
            emit_json({"directory": out_dir, "seed": seed, "format": fmt, "key": key.value, "exam": exam,
                       "files": sorted(files), "problems": [{"number": p.number, "id": p.variant.id,
                                                             "seed": p.variant.seed,
                                                             "parts": [s["name"] for s in p.parts]}
                                                            for p in pset.problems]})
            return
        sys.stdout.write(f"wrote {len(files)} files to {out_dir}/ ({len(pset.problems)} problems, "
                         f"{pset.answer_count} answers, seed {seed}):\n")
        for name in sorted(files):
            sys.stdout.write(f"  {name}\n")
        sys.stdout.write(f"Students fill in {os.path.join(out_dir, 'answers.yaml')}; "
                         f"grade it with: nncheck grade {os.path.join(out_dir, 'answers.yaml')}\n")
