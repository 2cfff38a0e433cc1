"""Every command is documented: in the README tour and in the fast path's help text."""

from __future__ import annotations

import os

import typer.main

from nncheck.cli.app import app
from nncheck.cli.helpgen import families_markdown, help_text, options_module

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def commands() -> list[str]:
    group = typer.main.get_command(app)
    out = []
    for name, cmd in group.commands.items():
        sub = getattr(cmd, "commands", None)
        if sub:
            out.extend(f"{name} {s}" for s in sub)
        else:
            out.append(name)
    return sorted(out)


def test_every_command_is_in_the_readme():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    missing = [c for c in commands() if f"nncheck {c}" not in readme]
    assert not missing, f"README.md does not document: {missing}"


def test_fast_help_text_is_current():
    with open(os.path.join(ROOT, "nncheck", "cli", "_help.txt"), encoding="utf-8") as fh:
        assert fh.read() == help_text(), "run: python -m nncheck.cli.helpgen"


def test_fast_option_table_is_current():
    """The fast front end reads the options the Typer commands declare, not a copy that drifted."""
    with open(os.path.join(ROOT, "nncheck", "cli", "_options.py"), encoding="utf-8") as fh:
        assert fh.read() == options_module(), "run: python -m nncheck.cli.helpgen"


def test_the_option_table_refuses_what_the_fast_parser_cannot_read(monkeypatch):
    """An option the fast parser would read differently from Typer fails the generator, loudly."""
    import pytest
    import typer

    from nncheck.cli import helpgen

    probe = typer.Typer()

    @probe.command("list")
    def _list(ratio: float = typer.Option(0.5, "--ratio")) -> None:
        """A float option: not in the fast parser's repertoire."""

    @probe.command("other")
    def _other() -> None:
        """Two commands, so that Typer keeps a group."""

    monkeypatch.setattr("nncheck.cli.app.app", probe)
    monkeypatch.setattr(helpgen, "FAST_COMMANDS", ("list",))
    with pytest.raises(ValueError, match="--ratio|ratio"):
        helpgen.options_table()


def test_every_command_has_help():
    group = typer.main.get_command(app)
    for name, cmd in group.commands.items():
        assert (cmd.help or "").strip(), name


def test_family_reference_is_current():
    with open(os.path.join(ROOT, "docs", "families.md"), encoding="utf-8") as fh:
        assert fh.read() == families_markdown(), "run: python -m nncheck.cli.helpgen"
