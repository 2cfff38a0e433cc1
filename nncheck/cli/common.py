"""Shared pieces of the command line: options, output, and error handling.

The CLI is a thin shell: it parses arguments, calls the core, and prints.  Domain
errors (:class:`~nncheck.errors.NNCheckError`) and usage errors become one line on
stderr and exit code 2 — never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer
from typer.core import TyperGroup

from nncheck.errors import NNCheckError

try:  # typer >= 0.22 vendors click
    from typer._click import exceptions as _click_exc
except ImportError:  # pragma: no cover - older typer
    import click.exceptions as _click_exc  # type: ignore


def _one_line_usage_error(e) -> str:
    msg = e.format_message() if hasattr(e, "format_message") else str(e)
    msg = " ".join(msg.split())
    ctx = getattr(e, "ctx", None)
    path = ctx.command_path if ctx is not None else "nncheck"
    return f"{path}: error: {msg} (see '{path} --help')"


class NNGroup(TyperGroup):
    """A command group whose errors are one clean line and exit code 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except NNCheckError as e:
            sys.stderr.write(f"nncheck: error: {e.line()}\n")
            raise typer.Exit(e.exit_code) from None
        except KeyboardInterrupt:
            sys.stderr.write("\ninterrupted\n")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            raise typer.Exit(0) from None

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name or "nncheck", complete_var, standalone_mode=False, **extra)
        except _click_exc.ClickException as e:
            if type(e).__name__ == "NoArgsIsHelpError":
                sys.stdout.write(e.format_message() + "\n")
                sys.exit(0)
            sys.stderr.write(_one_line_usage_error(e) + "\n")
            sys.exit(2)
        except (typer.Abort, KeyboardInterrupt):
            sys.stderr.write("aborted\n")
            sys.exit(130)
        except Exception as e:  # a bug, not bad input: still one line unless debugging
            if os.environ.get("NNCHECK_DEBUG"):
                raise
            sys.stderr.write(f"nncheck: internal error: {type(e).__name__}: {e} "
                             "(please report it; NNCHECK_DEBUG=1 shows the traceback)\n")
            sys.exit(70)
        sys.exit(rv if isinstance(rv, int) else 0)


# ----------------------------------------------------------------------------
# Options used by several commands.
# ----------------------------------------------------------------------------
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of text.")]
SeedOpt = Annotated[int, typer.Option("--seed", "-s", help="Which instance to draw: the same seed gives the same problem.")]
BankOpt = Annotated[list[str] | None, typer.Option(
    "--bank", help="Extra bank directory or file (repeatable); NNCHECK_BANKS holds more.", show_default=False)]
AssignArg = Annotated[list[str] | None, typer.Argument(
    help="Your own numbers as NAME=VALUE, e.g. W1=227 F=11 'box_ref=[0,0,4,4]'.", show_default=False)]


def catalog(banks: list[str] | None = None):
    from nncheck.bank.index import load_catalog

    cat = load_catalog(banks or [])
    for w in cat.warnings:
        sys.stderr.write(f"nncheck: warning: {w}\n")
    return cat


def emit_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=_json_default) + "\n")


def _json_default(o):
    from fractions import Fraction

    if isinstance(o, Fraction):
        return float(o)
    if hasattr(o, "tolist"):
        return o.tolist()
    try:
        return float(o)
    except (TypeError, ValueError):
        return str(o)


def console(stderr: bool = False, *, wide: bool = False):
    """A rich console: colour only on a terminal, never with NO_COLOR; plain text when piped.

    ``wide``: when piped, never wrap (prompts hold matrix blocks that must stay intact).
    """
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        width = None
    elif wide:
        width = 10_000
    else:
        width = int(os.environ.get("COLUMNS", "100") or 100)
    return Console(stderr=stderr, highlight=False, width=width, emoji=False,
                   no_color=bool(os.environ.get("NO_COLOR")) or None)
