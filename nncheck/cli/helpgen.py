"""Regenerate ``nncheck/_help.txt``, the top-level help printed by the fast path.

Run ``python -m nncheck.cli.helpgen`` after adding or renaming a command;
``tests/test_cli_docs.py`` fails while the file is stale.
"""

from __future__ import annotations

import os

from .. import __version__


def help_text() -> str:
    import typer.main

    from . import app

    group = typer.main.get_command(app)
    rows = []
    for name in sorted(group.commands):
        cmd = group.commands[name]
        if getattr(cmd, "hidden", False):
            continue
        rows.append((name, (cmd.get_short_help_str(limit=70) or "").strip()))
        sub = getattr(cmd, "commands", None)
        if sub:
            for sname in sorted(sub):
                rows.append((f"{name} {sname}", (sub[sname].get_short_help_str(limit=70) or "").strip()))
    width = max(len(r[0]) for r in rows)
    lines = [
        f"nncheck {__version__}: exam practice and derivation checking for neural-network coursework.",
        "",
        "Usage: nncheck COMMAND [ARGS]...   (nncheck COMMAND --help for details)",
        "",
        "Commands:",
    ]
    lines += [f"  {n:<{width}}  {h}" for n, h in rows]
    lines += [
        "",
        "Options:",
        "  --version  Show the version.",
        "  -h, --help Show this message.",
        "",
        "Start with: nncheck quiz        Every command that prints results takes --json.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "_help.txt")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(help_text())
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
