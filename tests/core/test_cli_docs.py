"""Every command is documented: in the README tour and in the fast path's help text."""

from __future__ import annotations

import os

import typer.main

from nncheck.cli.app import app
from nncheck.cli.helpgen import families_markdown, help_text

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


def test_every_command_has_help():
    group = typer.main.get_command(app)
    for name, cmd in group.commands.items():
        assert (cmd.help or "").strip(), name


def test_family_reference_is_current():
    with open(os.path.join(ROOT, "docs", "families.md"), encoding="utf-8") as fh:
        assert fh.read() == families_markdown(), "run: python -m nncheck.cli.helpgen"
