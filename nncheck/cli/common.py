"""Shared pieces of the Typer commands: the command group, options, output.

The CLI is a thin shell: it parses arguments, calls the core, and prints.  Every failure
goes through the one error policy (:mod:`nncheck.cli.policy`), as on the fast front end:
one line on stderr and an exit code, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from nncheck.cli import policy
from nncheck.cli.output import catalog, console, emit_json, json_default

try:  # typer >= 0.22 vendors click
    from typer._click import exceptions as _click_exc
    from typer._click.core import Context
except ImportError:  # pragma: no cover - older typer
    import click.exceptions as _click_exc  # type: ignore[import-not-found,no-redef]
    from click.core import Context  # type: ignore[import-not-found,no-redef]

__all__ = ["AssignArg", "BankOpt", "IdArg", "JsonOpt", "NNGroup", "SeedOpt", "StrictOpt", "catalog", "console",
           "emit_json", "json_default"]


def _one_line_usage_error(e: _click_exc.ClickException) -> str:
    msg = " ".join(e.format_message().split())
    ctx = getattr(e, "ctx", None)
    path = ctx.command_path if ctx is not None else "nncheck"
    return f"{path}: error: {msg} (see '{path} --help')"


class _Failed(Exception):
    """What a command raised, carried past click's own handlers to :meth:`NNGroup.main`.

    Left alone, click would turn Ctrl-C into a silent exit 130 and a closed pipe into exit 1,
    and let everything else out as a traceback; the policy decides instead, in one place.
    """

    def __init__(self, error: BaseException) -> None:
        super().__init__(error)
        self.error = error


class NNGroup(TyperGroup):
    """A command group whose failures follow the one error policy (:mod:`nncheck.cli.policy`)."""

    def invoke(self, ctx: Context) -> Any:
        try:
            rv = super().invoke(ctx)
            sys.stdout.flush()  # a closed pipe shows here, inside the policy, not in the flush at exit
            return rv
        except (_Failed, _click_exc.ClickException, typer.Exit, typer.Abort):
            raise  # click's own (usage errors, exit codes) and a sub-group's, already wrapped
        except (Exception, KeyboardInterrupt) as e:
            raise _Failed(e) from e

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, windows_expand_args: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            try:
                return super().main(args, prog_name, complete_var, standalone_mode=False,
                                    windows_expand_args=windows_expand_args, **extra)
            except _Failed as f:
                raise f.error from None
        argv = list(sys.argv[1:] if args is None else args)
        json_ = policy.wants_json(argv)
        try:
            rv = super().main(argv, prog_name or "nncheck", complete_var, standalone_mode=False,
                              windows_expand_args=windows_expand_args, **extra)
        except _Failed as f:
            sys.exit(policy.report(f.error, json_=json_))
        except _click_exc.ClickException as e:
            if type(e).__name__ == "NoArgsIsHelpError":
                sys.stdout.write(e.format_message() + "\n")
                sys.exit(0)
            policy.report_line(_one_line_usage_error(e), policy.USAGE, json_=json_)
            sys.exit(policy.USAGE)
        except typer.Abort:  # end of input at a prompt, which click turns into Abort
            sys.exit(policy.report(KeyboardInterrupt(), json_=json_))
        except (Exception, KeyboardInterrupt) as e:  # raised outside a command (while parsing)
            sys.exit(policy.report(e, json_=json_))
        sys.exit(rv if isinstance(rv, int) else 0)


# ----------------------------------------------------------------------------
# Options used by several commands.
# ----------------------------------------------------------------------------
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of text.")]
SeedOpt = Annotated[int, typer.Option(
    "--seed", "-s", help="Which instance to draw: the same seed gives the same problem.")]
BankOpt = Annotated[list[str] | None, typer.Option(
    "--bank", help="Extra bank directory or file (repeatable); NNCHECK_BANKS holds more.", show_default=False)]
LatexOpt = Annotated[bool, typer.Option(
    "--latex", help="Read answers as LaTeX even when they have no backslash, brace or $ (an answer that has "
                    "one is read as LaTeX anyway, e.g. '\\frac{1}{2}').")]
StrictOpt = Annotated[bool, typer.Option(
    "--strict", help="Draw nothing at random: refuse, naming the parameters you did not give that have no "
                     "default.")]
IdArg = Annotated[str, typer.Argument(metavar="ID", help="Problem family id, e.g. conv.output-size.")]
AssignArg = Annotated[list[str] | None, typer.Argument(
    help="Your own numbers as NAME=VALUE, e.g. W1=227 F=11 'box_ref=[0,0,4,4]'.", show_default=False)]
