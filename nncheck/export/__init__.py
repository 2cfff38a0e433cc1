"""Problem-set export: Markdown, LaTeX, JSON, Moodle XML, SVG diagrams and answer files.

A library, not a command: :func:`nncheck.export.problemset.build_set` draws a set of
problems from a catalog, and each format module turns a set into ``{filename: bytes}``.
Nothing here reads the clock or the environment, so the same seed gives byte-identical
files; ``nncheck.cli.cmd_generate`` only parses options and writes the files.
"""

from __future__ import annotations

FORMATS = ("md", "tex", "json", "moodle")
KEY_MODES = ("inline", "separate", "none")


def render_set(pset, fmt: str, key: str = "inline") -> dict[str, bytes]:
    """Every file of ``pset`` in format ``fmt`` (plus the blank answer file), by relative path."""
    from nncheck.errors import UsageError

    if fmt not in FORMATS:
        raise UsageError(f"unknown format '{fmt}'", hint=f"formats: {', '.join(FORMATS)}")
    if key not in KEY_MODES:
        raise UsageError(f"unknown key mode '{key}'", hint=f"key modes: {', '.join(KEY_MODES)}")
    if fmt == "md":
        from nncheck.export.markdown import render_markdown as fn
    elif fmt == "tex":
        from nncheck.export.latex import render_latex as fn
    elif fmt == "json":
        from nncheck.export.jsonfmt import render_json as fn
    else:
        from nncheck.export.moodle import render_moodle as fn
    files = dict(fn(pset, key))
    from nncheck.export.answers import blank_answer_file

    files["answers.yaml"] = blank_answer_file(pset).encode("utf-8")
    return files
