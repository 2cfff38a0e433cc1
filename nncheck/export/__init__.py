"""Problem-set export: Markdown, LaTeX, JSON, Moodle XML, SVG diagrams and answer files.

A library, not a command: :func:`nncheck.export.problemset.build_set` draws a set of
problems from a catalog, and each format module turns a set into ``{filename: bytes}``.
Nothing here reads the clock or the environment, so the same seed gives byte-identical
files; ``nncheck.cli.cmd_generate`` only parses options and writes the files.

A new format is one module with a ``render_<format>(pset, key_mode) -> {path: bytes}`` function
and one row in :data:`FORMATS`; ``generate --format`` and its help text are built from
that table.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nncheck.export.problemset import ProblemSet

#: name -> (module:function rendering a set, what the user reads in ``generate --help``).
FORMATS: dict[str, tuple[str, str]] = {
    "md": ("nncheck.export.markdown:render_markdown", "Markdown"),
    "tex": ("nncheck.export.latex:render_latex", "LaTeX for pdflatex"),
    "json": ("nncheck.export.jsonfmt:render_json", "JSON"),
    "moodle": ("nncheck.export.moodle:render_moodle", "Moodle XML"),
}
KEY_MODES = ("inline", "separate", "none")


def format_help() -> str:
    """``md (Markdown), tex (LaTeX for pdflatex), …``: the formats as ``generate --help`` lists them."""
    return ", ".join(f"{name} ({what})" for name, (_fn, what) in FORMATS.items())


def check_format(fmt: str) -> str:
    """``fmt`` as a key of :data:`FORMATS` (any case), or a usage error that lists them."""
    from nncheck.errors import UsageError

    name = fmt.lower()
    if name not in FORMATS:
        raise UsageError(f"unknown format '{fmt}'", hint=f"formats: {', '.join(FORMATS)}")
    return name


def render_set(pset: ProblemSet, fmt: str, key: str = "inline") -> dict[str, bytes]:
    """Every file of ``pset`` in format ``fmt`` (plus the blank answer file), by relative path."""
    from nncheck.errors import UsageError

    fmt = check_format(fmt)
    if key not in KEY_MODES:
        raise UsageError(f"unknown key mode '{key}'", hint=f"key modes: {', '.join(KEY_MODES)}")
    module, _, name = FORMATS[fmt][0].partition(":")
    fn = getattr(importlib.import_module(module), name)
    files = dict(fn(pset, key))
    from nncheck.export.answers import blank_answer_file

    files["answers.yaml"] = blank_answer_file(pset).encode("utf-8")
    return files
