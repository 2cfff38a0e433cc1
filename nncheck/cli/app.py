"""The command line: a thin Typer shell over the core.

Command modules are ``cmd_*.py`` files in this package; each has ``register(app)``.
They are discovered by name so that adding a command never means editing a list.
"""

from __future__ import annotations

import os

import typer

from nncheck import __version__
from nncheck.cli.common import NNGroup

app = typer.Typer(
    cls=NNGroup,
    name="nncheck",
    help="Exam practice and derivation checking for neural-network coursework.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"nncheck {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """Exam practice and derivation checking for neural-network coursework."""


def _register_all() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    for name in sorted(os.listdir(here)):
        if name.startswith("cmd_") and name.endswith(".py"):
            module = __import__(f"nncheck.cli.{name[:-3]}", fromlist=["register"])
            module.register(app)


_register_all()


def main(argv: list[str] | None = None) -> None:
    app(args=argv, prog_name="nncheck")
