"""``derive``: check a derivation step by step, free-form or against a bank problem."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from nncheck.cli.common import BankOpt, JsonOpt, SeedOpt, catalog, emit_json

MAX_BYTES = 200_000  # a derivation file larger than this is not a derivation

HELP = (
    "Check a derivation step by step: each step valid (with its rule) or wrong (with a counterexample).\n\n"
    "One step per line. A line is an expression or an equation; a chain a = b = c is several steps; a line "
    "starting with '=' continues the line above; '#' starts a comment. NAME = … with a new NAME is a definition "
    "(h = sigma(xi)) that later steps may substitute. Derivatives: d/dxi(…) or diff(…, xi).\n\n"
    "Free-form: nncheck derive FILE (or - for standard input). Domains come from --assume \"w>0, 0<yhat<1\" or "
    "a header line 'assume: w > 0'; other headers: 'let h = sigma(xi)', 'start: …', 'target: …'.\n\n"
    "Problem: nncheck derive ID [FILE] [NAME=VALUE...] checks a derivation for a bank problem (nncheck list -t "
    "derive): the first line must be the problem's start and the last must reach its target, in its form. "
    "The work must be shown: the identity to be shown justifies no step, and the problem's milestones earn "
    "the score (with --json: score, shown and each milestone). On a terminal "
    "without FILE, the problem is shown and the derivation is typed line by line.\n\n"
    "LaTeX: a .tex file (any file with --latex, or one with a backslash, brace or $ outside '#' comments) is "
    "read as a document: its display math (align, equation, gather, $$ … $$ and the like), with &= chains "
    "and \\\\ line breaks as steps; prose, \\label and \\text{…} remarks are skipped. Line numbers and carets are the "
    ".tex file's; each step is shown as it was read, in the plain language.\n\n"
    "Exit code: 0 every step valid (and, for a problem, the target reached with full marks), 1 a wrong, "
    "undecided, unfinished or not shown derivation, 2 an unreadable line or bad input."
)


def _read_path(path: str) -> str:
    from nncheck.errors import UsageError

    try:
        if path == "-":
            data = sys.stdin.buffer.read(MAX_BYTES + 1)
        else:
            from nncheck.paths import FileTooLarge, read_regular

            try:  # a regular file only: a named pipe with no writer would block the read forever
                data = read_regular(path, MAX_BYTES)
            except FileTooLarge:
                raise UsageError(f"{path} is larger than {MAX_BYTES:,} bytes: not a derivation") from None
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror or e}") from None
    if len(data) > MAX_BYTES:
        raise UsageError(f"{'standard input' if path == '-' else path} is larger than {MAX_BYTES:,} bytes: "
                         f"not a derivation")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise UsageError(f"{'standard input' if path == '-' else path} is not UTF-8 text "
                         f"(byte {e.start + 1})") from None


def _interactive(header: str | None) -> str:
    """Read a derivation typed at the terminal: an empty line ends it."""
    from nncheck.kinds.derivation import read_multiline

    if header:
        print(header)
    print("Type the derivation, one step per line; an empty line ends it.")

    def read_line():
        try:
            return input("  ")
        except EOFError:
            return None

    return read_multiline(read_line) or ""


def _looks_like_path(s: str) -> bool:
    return os.sep in s or "/" in s or s.endswith((".txt", ".md", ".drv", ".derive", ".tex")) or os.path.exists(s)


def register(app: typer.Typer) -> None:
    @app.command("derive", help=HELP, short_help="Check a derivation step by step (free-form or a bank problem).")
    def derive_cmd(
        source: Annotated[str | None, typer.Argument(
            metavar="FILE|-|ID", help="A derivation file, - for standard input, or a problem id.",
            show_default=False)] = None,
        rest: Annotated[list[str] | None, typer.Argument(
            metavar="FILE NAME=VALUE",
            help="With a problem id: the derivation (a file or -; default: standard input) and parameter values, "
                 "e.g. convention=ece417.", show_default=False)] = None,
        assume: Annotated[list[str] | None, typer.Option(
            "--assume", help='Domains for free-form derivations, e.g. "w>0, 0<yhat<1" (repeatable).',
            show_default=False)] = None,
        start: Annotated[str | None, typer.Option(
            "--start", help="Free-form: the expression the derivation must begin with.", show_default=False)] = None,
        target: Annotated[str | None, typer.Option(
            "--target", help="Free-form: the result the derivation must reach.", show_default=False)] = None,
        part: Annotated[str | None, typer.Option(
            "--part", "-p", help="With a problem id: which derivation part.", show_default=False)] = None,
        latex: Annotated[bool, typer.Option(
            "--latex", help="Read the derivation as a LaTeX document whatever it looks like (a .tex file always "
                            "is).")] = False,
        seed: SeedOpt = 1,
        bank: BankOpt = None,
        json_: JsonOpt = False,
    ):
        from nncheck.derive.core import check_derivation
        from nncheck.errors import UsageError

        problem = None
        problem_header = None
        verdict = None
        rest = list(rest or [])
        assignments = [a for a in rest if "=" in a and not os.path.exists(a)]
        files = [a for a in rest if a not in assignments]
        if len(files) > 1:
            raise UsageError(f"one derivation at a time: got {', '.join(files)}")
        file = files[0] if files else None
        if source is not None and source != "-" and not _looks_like_path(source):
            # A problem id.
            if assume or start or target:
                raise UsageError("--assume, --start and --target are for free-form derivations; "
                                 "a problem sets its own")
            from nncheck.generate.variant import make_variant, parse_assignments
            from nncheck.key.compute import answer_key
            from nncheck.kinds.derivation import problem_for

            rec = catalog(bank).get(source)
            v = make_variant(rec, seed, parse_assignments(assignments))
            parts = [p for p in v.parts if p["kind"] == "derivation"]
            if not parts:
                raise UsageError(f"{v.id} has no derivation part; derivation problems: nncheck list -t derive")
            if part is not None:
                chosen = v.part(part)
                if chosen["kind"] != "derivation":
                    raise UsageError(f"part '{part}' of {v.id} is not a derivation")
            else:
                chosen = parts[0]
            key = answer_key(v)
            problem = problem_for(chosen, family=rec, prompt=v.part_prompt(chosen),
                                  mistakes=[m for m in key.mistakes_for(chosen["name"]) if m[2] is not None],
                                  expected=key.parts[chosen["name"]].exact)
            problem_header = v.prompt + "\n" + v.part_prompt(chosen)
            path = file
        else:
            if assignments:
                raise UsageError(f"NAME=VALUE ({assignments[0]}) sets a problem's parameters; "
                                 f"a free-form derivation takes --assume")
            if file is not None:
                raise UsageError(f"one derivation at a time: got both {source} and {file}")
            path = source
        if path is None and sys.stdin.isatty():
            text = _interactive(problem_header)
        else:
            text = _read_path(path or "-")
        # A .tex file is LaTeX; any other text is LaTeX when it looks like it (--latex: always).
        as_latex = True if latex or (path or "").lower().endswith(".tex") else None
        report = check_derivation(text, assume=", ".join(assume) if assume else None, problem=problem,
                                  start=start, target=target, latex=as_latex)
        if problem is not None:
            from nncheck.kinds.derivation import verdict_from_report

            verdict = verdict_from_report(report)
        if json_:
            out = report.to_json()
            if verdict is not None:
                out["score"] = round(verdict.score, 6)
                out["verdict"] = verdict.status
                out["feedback"] = verdict.feedback
            emit_json(out)
        else:
            from nncheck.derive.render import plain_text, rich_renderable, view_lines

            lines = view_lines(report)
            if sys.stdout.isatty():
                from nncheck.cli.common import console

                console().print(rich_renderable(lines))
            else:
                sys.stdout.write(plain_text(lines))
        raise typer.Exit(report.exit_code)
