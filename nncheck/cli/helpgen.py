"""Regenerate what the fast front end reads instead of asking Typer, and the family reference.

- ``nncheck/cli/_help.txt``: the top-level help;
- ``nncheck/cli/_options.py``: the option table of the commands the fast front end runs
  (:data:`FAST_COMMANDS`), read by :mod:`nncheck.cli.fastargs`;
- ``docs/families.md``: every bundled family with its parameters.

Run ``python -m nncheck.cli.helpgen`` after adding or changing a command or an option;
``tests/core/test_cli_docs.py`` fails while a file is stale.
"""

from __future__ import annotations

import os

from nncheck import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    import typer.core

    from nncheck.cli.fastargs import ArgumentSpec, CommandSpec, ValuedSpec
    from nncheck.records import ParamSpec

# The commands typed often enough to skip Typer; each has a function in nncheck.cli.fast.COMMANDS.
FAST_COMMANDS = ("list", "show", "quiz", "check")
HERE = os.path.dirname(os.path.abspath(__file__))


def _group() -> typer.core.TyperGroup:
    import typer.core
    import typer.main

    from nncheck.cli.app import app

    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    return group


def help_text() -> str:
    group = _group()
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


def options_table() -> dict[str, CommandSpec]:
    """What the Typer declarations of :data:`FAST_COMMANDS` say, in the form fastargs reads.

    An option the fast parser cannot reproduce (a callback, an environment variable, a
    prompt, a type other than int and str) is refused here, loudly: better than a fast path
    that quietly reads the command line differently from Typer.
    """
    import typer.core

    group = _group()
    table: dict[str, CommandSpec] = {}
    for name in FAST_COMMANDS:
        flags: dict[str, tuple[str, bool]] = {}
        valued: dict[str, ValuedSpec] = {}
        arguments: list[ArgumentSpec] = []
        defaults: dict[str, object] = {}
        for p in group.commands[name].params:
            where = f"nncheck {name}: {p.name}"
            assert p.name is not None
            info = p.type_descriptor.parameter_info if isinstance(p, typer.core._TyperParameter) else None
            if p.callback is not None or p.envvar or getattr(p, "prompt", None) or getattr(info, "clamp", False) \
                    or getattr(p, "count", False) or p.is_eager:
                raise ValueError(f"{where}: the fast front end cannot read this option; "
                                 "teach nncheck/cli/fastargs.py or drop the command from FAST_COMMANDS")
            annotation = p.type_descriptor.annotation if isinstance(p, typer.core._TyperParameter) else None
            defaults[p.name] = p.default
            if isinstance(p, typer.core.TyperArgument):
                if annotation not in (str, list[str]):
                    raise ValueError(f"{where}: a positional argument of type {annotation} is not supported")
                if arguments and arguments[-1]["nargs"] == -1:
                    raise ValueError(f"{where}: only the last positional argument may take several words")
                arguments.append({"dest": p.name, "nargs": p.nargs, "required": p.required})
                continue
            assert isinstance(p, typer.core.TyperOption)
            if p.is_flag:
                if annotation is not bool or not p.is_bool_flag:
                    raise ValueError(f"{where}: only true/false flags are supported")
                flags.update({opt: (p.name, True) for opt in p.opts})
                flags.update({opt: (p.name, False) for opt in p.secondary_opts})
                continue
            types: dict[object, Literal["int", "str"]] = {int: "int", str: "str", list[str]: "str", list[int]: "int"}
            if annotation not in types:
                raise ValueError(f"{where}: an option of type {annotation} is not supported")
            spec: ValuedSpec = {"opts": list(p.opts), "type": types[annotation], "multiple": bool(p.multiple)}
            if any(limit is not None and not isinstance(limit, int) for limit in (p.min, p.max)):
                raise ValueError(f"{where}: only whole-number limits are supported")
            if isinstance(p.min, int):
                spec["min"] = p.min
            if isinstance(p.max, int):
                spec["max"] = p.max
            valued[p.name] = spec
        table[name] = {"flags": flags, "valued": valued, "arguments": arguments, "defaults": defaults}
    return table


def options_module() -> str:
    """``nncheck/cli/_options.py``: :func:`options_table` as a Python literal (no parsing at start-up)."""
    body = _literal(options_table(), 0, "OPTIONS: dict[str, CommandSpec] = ")
    return (
        '"""The options of the commands the fast front end runs, as the Typer app declares them.\n\n'
        "Generated by ``python -m nncheck.cli.helpgen`` from the Typer commands; do not edit by hand\n"
        "(``tests/core/test_cli_docs.py`` fails while it is stale).  Read by :mod:`nncheck.cli.fastargs`.\n"
        '"""\n\n'
        "from __future__ import annotations\n\n"
        "TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up path)\n"
        "if TYPE_CHECKING:\n"
        "    from nncheck.cli.fastargs import CommandSpec\n\n"
        f"OPTIONS: dict[str, CommandSpec] = {body}\n"
    )


def _literal(obj: object, depth: int, key: str = "") -> str:
    """``obj`` as a Python literal: on one line when its line fits in 116 columns, else one entry a line.

    ``key``: what stands before it on its line (``'name': ``), ``depth`` levels in.
    """
    flat = repr(obj)
    if 4 * depth + len(key) + len(flat) + 1 <= 116 or not isinstance(obj, (dict, list)) or not obj:
        return flat
    pad = "    " * (depth + 1)
    if isinstance(obj, dict):
        entries = [f"{k!r}: " for k in obj]
        inner = "".join(f"{pad}{e}{_literal(v, depth + 1, e)},\n" for e, v in zip(entries, obj.values()))
        return "{\n" + inner + "    " * depth + "}"
    inner = "".join(f"{pad}{_literal(v, depth + 1)},\n" for v in obj)
    return "[\n" + inner + "    " * depth + "]"


def families_markdown() -> str:
    """docs/families.md: every bundled family with its parameters (the names users type)."""
    from nncheck.bank.index import load_catalog

    cat = load_catalog(use_cache=False)
    out = ["# Problem families and their parameters", "",
           "Generated by `python -m nncheck.cli.helpgen` from the bundled banks; do not edit by hand.",
           "Set any parameter on the command line as `NAME=VALUE`, e.g. "
           "`nncheck solve conv.output-size W1=227 F=11 S=4 P=0 K=96 D1=3`.",
           "Once you give any parameter, each one you leave out takes its **default** (the column below), and "
           "one without a default is drawn from the seed and listed as `drawn at random: …` by `show`, `solve` "
           "and `check`; with `--strict` nothing is drawn and the missing parameters are named.", ""]
    for topic in cat.topics():
        out += [f"## {topic}", ""]
        for r in cat.records:
            if r["topic"] != topic or r.get("_origin", "bundled") != "bundled":
                continue
            out += [f"### `{r['id']}` — {r['title']}", ""]
            if r.get("source"):
                out += [f"Source: {r['source']}.", ""]
            out += ["| parameter | type | default | meaning |", "|---|---|---|---|"]
            for name, spec in r["params"].items():
                if spec.get("hidden"):
                    continue
                typ: str = spec["type"]
                if typ == "choice":
                    typ += " (" + ", ".join(str(c) for c in spec.get("choices") or []) + ")"
                doc = (spec.get("doc") or "").replace("|", "\\|")
                out.append(f"| `{name}` | {typ} | {_default_text(spec)} | {doc} |")
            parts = ", ".join(f"`{p['name']}` ({p['kind']}" + (f"; else it is `{p['same_as']}`" if p.get("same_as")
                                                              else "") + ")" for p in r["parts"])
            out += ["", f"Parts: {parts}.", ""]
    return "\n".join(out).rstrip() + "\n"


def _default_text(spec: ParamSpec) -> str:
    """A parameter's neutral default as the families table shows it ("0 in every entry", "= W1"), or —."""
    d = spec.get("default")
    if d is None:
        return "—"
    if isinstance(d, bool):
        return "true" if d else "false"
    if isinstance(d, str) and spec["type"] != "choice":
        return f"= `{d}`"
    if spec["type"] in ("vector", "matrix") and not isinstance(d, list):
        return f"{d} in every entry"
    return f"`{d}`".replace("|", "\\|")


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> None:
    for path, text in ((os.path.join(HERE, "_help.txt"), help_text()),
                       (os.path.join(HERE, "_options.py"), options_module())):
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"wrote {path}")
    docs = os.path.join(ROOT, "docs", "families.md")
    if os.path.isdir(os.path.dirname(docs)):
        text = families_markdown()  # before the file is opened: a bank that fails to load leaves it as it was
        with open(docs, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"wrote {docs}")


if __name__ == "__main__":
    main()
