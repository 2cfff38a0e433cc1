"""Reading a fast command's arguments from the option table generated from the Typer app.

The table (:mod:`nncheck.cli._options`, written by ``python -m nncheck.cli.helpgen``) holds,
for each command the fast front end runs, what its Typer declaration says: the flags, the
options that take a value with their types and limits, the positional arguments and the
defaults.  :func:`parse` accepts only what it is sure the Typer app reads the same way
(``--count 3``, ``--count=3``, ``-n 3``, ``--answer -0.25``, ``--json``) and returns the same
keyword arguments the Typer command receives.  Anything else — ``--help``, ``-n3``, an unknown
option, a value out of range, ``--``, an option's name where its value should be — gives None,
and the Typer app runs the command: it owns every usage message.

Typer-free, like everything on the start-up path.
"""

from __future__ import annotations

MAX_DIGITS = 18  # a longer number is left to the full parser (every int option here fits in 64 bits)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (this module is on the start-up path)
if TYPE_CHECKING:
    from typing import Literal, NotRequired, TypedDict

    class ValuedSpec(TypedDict):
        """An option that takes a value: ``--count N``."""

        opts: list[str]  # its names: ["--count", "-n"]
        type: Literal["int", "str"]
        multiple: bool  # repeatable: values are collected in a list (else the last one wins)
        min: NotRequired[int]
        max: NotRequired[int]

    class ArgumentSpec(TypedDict):
        """A positional argument: one word (``nargs`` 1) or all the remaining ones (-1)."""

        dest: str
        nargs: int
        required: bool

    class CommandSpec(TypedDict):
        flags: dict[str, tuple[str, bool]]  # "--json": ("json_", True) sets json_ to True
        valued: dict[str, ValuedSpec]  # by the Typer command's parameter name
        arguments: list[ArgumentSpec]
        defaults: dict[str, object]


def parse(spec: CommandSpec, argv: list[str]) -> dict[str, object] | None:
    """The keyword arguments of the command for ``argv``, or None when unsure."""
    values: dict[str, object] = dict(spec["defaults"])
    valued = {name: (dest, opt) for dest, opt in spec["valued"].items() for name in opt["opts"]}
    collected: dict[str, list[object]] = {}
    words: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            return None  # rare enough to leave to the full parser
        if not arg.startswith("-") or arg == "-":
            words.append(arg)
            continue
        # Only long options take "=value": for a short one, "-n=3" means the value "=3".
        name, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        flag = spec["flags"].get(name)
        if flag is not None:
            if eq:
                return None
            values[flag[0]] = flag[1]
            continue
        if name not in valued:
            return None
        dest, opt = valued[name]
        if not eq:
            if i >= len(argv) or (argv[i].startswith("-") and _names_an_option(spec, valued, argv[i])):
                return None  # a missing value, or one that is an option's name: let the full parser say
            # Otherwise the next word is the value, as click reads it, even when it starts with "-":
            # "--answer -0.25", "--seed -4".
            value = argv[i]
            i += 1
        converted = _convert(opt, value)
        if converted is None:
            return None
        if opt["multiple"]:
            collected.setdefault(dest, []).append(converted)
        else:
            values[dest] = converted  # the last one wins, as in the full CLI
    values.update(collected)
    for argument in spec["arguments"]:
        if argument["nargs"] == -1:
            if words:
                values[argument["dest"]] = words
            elif argument["required"]:
                return None
            words = []
        elif words:
            values[argument["dest"]] = words.pop(0)
        elif argument["required"]:
            return None
    return None if words else values


def _names_an_option(spec: CommandSpec, valued: dict[str, tuple[str, ValuedSpec]], word: str) -> bool:
    """Is ``word`` "--", or one of the command's options (``--json``, ``--seed=3``)?  Click would take it
    as the value all the same, but a user who typed it most likely forgot the value: Typer words it."""
    name = word.partition("=")[0] if word.startswith("--") else word
    return word in ("--", "--help", "-h") or name in spec["flags"] or name in valued


def _convert(opt: ValuedSpec, text: str) -> object | None:
    """The value of ``text`` for ``opt``, or None when the full parser should judge it."""
    if opt["type"] == "str":
        return text
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit()):
        return None  # "+3", " 3", "3_000", "1.5": the full parser knows which it takes
    if len(digits) > MAX_DIGITS:
        return None  # int() refuses past 4,300 digits; the full parser words the refusal
    number = int(text)
    if number < opt.get("min", number) or number > opt.get("max", number):
        return None
    return number
