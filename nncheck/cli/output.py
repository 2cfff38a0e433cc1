"""What every command writes the same way: JSON on stdout, bank warnings on stderr, rich output.

Typer-free: the fast front end and the Typer commands both use it (the Typer side through
:mod:`nncheck.cli.common`, which re-exports these names).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (this module is on the start-up path)
if TYPE_CHECKING:
    from rich.console import Console

    from nncheck.bank.index import Catalog


def emit_json(obj: object) -> None:
    """``obj`` as indented JSON on stdout (rationals and NumPy values become numbers)."""
    import json

    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=json_default) + "\n")


def json_default(o: object) -> object:
    """JSON for what :mod:`json` does not know: arrays as lists, numbers (Fraction, SymPy) as floats."""
    tolist = getattr(o, "tolist", None)
    if callable(tolist):
        return tolist()
    try:
        return float(o)  # type: ignore[arg-type]  # anything with __float__; the rest is shown as text
    except (TypeError, ValueError, OverflowError):
        return str(o)


def catalog(banks: list[str] | None = None) -> Catalog:
    """The bundled banks plus ``banks``; a bank that cannot be read is a warning on stderr."""
    from nncheck.bank.index import load_catalog

    cat = load_catalog(banks or [])
    warn(cat)
    return cat


def warn(cat: Catalog) -> None:
    """The catalogue's warnings (a bank that cannot be read), one line each on stderr."""
    for w in cat.warnings:
        sys.stderr.write(f"nncheck: warning: {w}\n")


def console(stderr: bool = False, *, wide: bool = False) -> Console:
    """A rich console: colour only on a terminal, never with NO_COLOR; plain text when piped.

    ``wide``: when piped, never wrap (prompts hold matrix blocks that must stay intact).
    Typer-free, so that the fast front end prints what the Typer commands print (``check``).
    """
    from nncheck.render.quiz_views import PipeConsole

    stream = sys.stderr if stderr else sys.stdout
    width: int | None
    if stream.isatty():
        width = None
    elif wide:
        width = 10_000
    else:
        width = int(os.environ.get("COLUMNS", "100") or 100)
    return PipeConsole(stderr=stderr, highlight=False, width=width, emoji=False,
                       no_color=bool(os.environ.get("NO_COLOR")) or None)
