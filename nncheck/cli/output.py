"""What every command writes the same way: JSON on stdout, bank warnings on stderr.

Typer-free: the fast front end and the Typer commands both use it (the Typer side through
:mod:`nncheck.cli.common`, which re-exports these names).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (this module is on the start-up path)
if TYPE_CHECKING:
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
    for w in cat.warnings:
        sys.stderr.write(f"nncheck: warning: {w}\n")
    return cat
