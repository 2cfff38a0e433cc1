"""The fast start-up path for ``nncheck``, ``--help``, ``list``, ``show`` and ``quiz``.

These commands are typed often and must feel instant, so they skip Typer, rich,
PyYAML, pydantic, NumPy and SymPy: they read the cached bank index, draw the
variant in plain Python and print plain text (a few ANSI codes on a terminal).
Anything this parser is not sure about is handed to the full CLI, which owns every
error message; ``tests/test_fast.py`` checks that both paths print the same thing.
"""

from __future__ import annotations

import os
import sys

HELP_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_help.txt")


def _opts(args: list[str], flags: set, valued: dict) -> tuple[dict, list[str]] | None:
    """Parse ``args``; None means "not sure, let the full CLI do it"."""
    out: dict = {"json": False, "topic": [], "bank": [], "seed": None}
    positional: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("-") and not _looks_like_assignment(a):
            name, eq, val = a.partition("=")
            if name in flags and not eq:
                out[flags[name] if isinstance(flags, dict) else "json"] = True
                i += 1
                continue
            if name in valued:
                if not eq:
                    if i + 1 >= len(args):
                        return None
                    val = args[i + 1]
                    i += 1
                key = valued[name]
                if key == "seed":
                    try:
                        out["seed"] = int(val)
                    except ValueError:
                        return None
                else:
                    out[key].append(val)
                i += 1
                continue
            return None
        positional.append(a)
        i += 1
    return out, positional


def _looks_like_assignment(a: str) -> bool:
    return "=" in a and not a.startswith("--") and a[1:2] != "-" and a.split("=", 1)[0].lstrip("-") == ""


def run(argv: list[str]) -> int | None:
    """Run a fast command and return its exit code, or None to use the full CLI."""
    if not argv or argv in (["--help"], ["-h"]):
        try:
            with open(HELP_FILE, encoding="utf-8") as fh:
                sys.stdout.write(fh.read())
        except OSError:
            return None
        return 0
    cmd, rest = argv[0], argv[1:]
    if cmd == "quiz":
        # The first question must be on screen fast: skip typer (it validates every option
        # through pydantic). fast_quiz hands anything it does not parse back (None).
        from nncheck.render.quiz_views import fast_quiz

        return fast_quiz(rest)
    if cmd == "list":
        parsed = _opts(rest, {"--json"}, {"--topic": "topic", "-t": "topic", "--bank": "bank"})
        if parsed is None or parsed[1]:
            return None
        return _guard(lambda: _list(parsed[0]))
    if cmd == "show":
        parsed = _opts(rest, {"--json"}, {"--seed": "seed", "-s": "seed", "--bank": "bank"})
        if parsed is None or not parsed[1]:
            return None
        opts, pos = parsed
        if any("=" not in p for p in pos[1:]):
            return None
        return _guard(lambda: _show(opts, pos[0], pos[1:]))
    return None


def _guard(fn) -> int:
    from nncheck.errors import NNCheckError

    try:
        fn()
    except NNCheckError as e:
        sys.stderr.write(f"nncheck: error: {e.line()}\n")
        return e.exit_code
    except BrokenPipeError:
        return 0
    return 0


def _catalog(banks):
    from nncheck.bank.index import load_catalog

    cat = load_catalog(banks)
    for w in cat.warnings:
        sys.stderr.write(f"nncheck: warning: {w}\n")
    return cat


def _dump(obj) -> None:
    import json

    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def _list(opts: dict) -> None:
    from nncheck.render.text import list_json, list_view, use_color

    records = _catalog(opts["bank"]).select_summaries(topics=opts["topic"])
    if opts["json"]:
        _dump(list_json(records))
    else:
        sys.stdout.write(list_view(records, use_color()) + "\n")


def _show(opts: dict, family_id: str, assignments: list[str]) -> None:
    from nncheck.generate.variant import make_variant, parse_assignments
    from nncheck.render.text import show_view, use_color

    cat = _catalog(opts["bank"])
    seed = 1 if opts["seed"] is None else opts["seed"]
    v = make_variant(cat.get(family_id), seed, parse_assignments(assignments))
    if opts["json"]:
        _dump(v.to_json())
    else:
        sys.stdout.write(show_view(v, use_color()) + "\n")
