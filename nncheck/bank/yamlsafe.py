"""Safe, strict YAML for bank and answer files.

Bank files come from users, so loading them must be boring: only plain scalars,
mappings and sequences; no Python tags, no anchors or aliases (the "billion laughs"
shape), no merge keys, no duplicate keys, and a size cap.  Every value keeps the line
it came from so that errors can say ``file:line: field: message``.
"""

from __future__ import annotations

import re

import yaml

from nncheck.errors import BankError
from nncheck.paths import MAX_BANK_FILE_BYTES, FileTooLarge, read_regular

MAX_FILE_BYTES = MAX_BANK_FILE_BYTES
# Nesting of mappings and sequences.  A bank needs about eight levels and an answer file six
# (a matrix answer inside an entry); each level costs a frame of the recursive composer and
# builder, so thousands of levels ran out of Python's stack instead of being refused.
MAX_DEPTH = 64
# Characters in one number.  Python refuses to convert integers of more than 4,300 digits
# (a guard against quadratic conversion); no bank or answer needs more than a few dozen.
MAX_NUMBER_CHARS = 1000
# What YAML itself forbids in a file (control characters other than tab and newlines), and in
# any string once escapes are decoded ("\0", "\x01", "\ud800"): a NUL or a lone surrogate
# would reach the terminal, the JSON output or the database.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")

_ALLOWED_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors, aliases and deep nesting before anything is built."""

    _depth = 0

    def compose_node(self, parent, index):  # noqa: D401 - PyYAML hook
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused("YAML aliases (*name) are not allowed", event.start_mark)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise _Refused(f"YAML anchors (&{anchor}) are not allowed", event.start_mark)
        nests = isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent))
        if nests:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise _Refused(_too_deep(), event.start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            if nests:
                self._depth -= 1


def _too_deep() -> str:
    return f"nested too deeply (the limit is {MAX_DEPTH} levels of mappings and lists)"


class _Refused(Exception):
    def __init__(self, message: str, mark):
        super().__init__(message)
        self.message = message
        self.mark = mark


Lines = dict[tuple, int]  # path tuple -> 1-based line


def read_text(path: str, *, what: str = "bank file", max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a regular UTF-8 file with a size cap; every failure is a one-line BankError.

    Anything but a regular file (a named pipe, a device such as /dev/zero) is refused
    before it is read: a pipe with no writer would block forever.  Characters YAML forbids
    (a NUL, other control characters) are refused here with their line, for every format.
    """
    try:
        raw = read_regular(path, max_bytes)
    except FileTooLarge as e:
        raise BankError(f"{what} too large ({e.size:,} bytes; the limit is {max_bytes:,})", file=path) from None
    except OSError as e:
        raise BankError(f"cannot read {what}: {e.strerror or e}", file=path) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise BankError("not valid UTF-8 text", file=path, line=line) from None
    bad = _FORBIDDEN.search(text)
    if bad is not None:
        raise BankError(f"{_char_name(bad.group())} is not allowed in a text file", file=path,
                        line=text.count("\n", 0, bad.start()) + 1)
    return text


def forbidden_char(text: str) -> tuple[int, str] | None:
    """(index, description) of the first character nncheck refuses in a file's text, or None."""
    bad = _FORBIDDEN.search(text)
    return None if bad is None else (bad.start(), _char_name(bad.group()))


def _char_name(ch: str) -> str:
    name = "a NUL character" if ch == "\0" else (
        "a lone surrogate" if "\ud800" <= ch <= "\udfff" else "a control character")
    return f"{name} (U+{ord(ch):04X})"


def _compose_fast(text: str, path: str):
    """Compose with libyaml when PyYAML has it (about ten times faster than pure Python).

    libyaml resolves aliases while composing, so the events are scanned first — also in C —
    and any anchor or alias is refused before a node tree is built.  None: use the
    pure-Python loader (no libyaml, or an error whose message it words better).
    """
    if not getattr(yaml, "__with_libyaml__", False):
        return None
    try:
        depth = 0
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.AliasEvent):
                raise _Refused("YAML aliases (*name) are not allowed", event.start_mark)
            anchor = getattr(event, "anchor", None)
            if anchor is not None:
                raise _Refused(f"YAML anchors (&{anchor}) are not allowed", event.start_mark)
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _Refused(_too_deep(), event.start_mark)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
        return yaml.compose(text, Loader=yaml.CSafeLoader)
    except _Refused as e:
        raise BankError(e.message, file=path, line=e.mark.line + 1) from None
    except yaml.YAMLError:
        return None  # let the pure-Python loader report it, with its clearer messages


def load_yaml_text(text: str, path: str) -> tuple[object, Lines]:
    """Parse YAML text into plain Python values plus a map from path to line number."""
    lines: Lines = {}
    node = _compose_fast(text, path)
    if node is not None:
        builder = yaml.SafeLoader("")  # only its constructor is used, to build scalars
        try:
            return _build(node, (), lines, path, builder), lines
        finally:
            builder.dispose()
    bad = _FORBIDDEN.search(text)  # the reader would refuse it with a position, not a line
    if bad is not None:
        raise BankError(f"{_char_name(bad.group())} is not allowed in YAML", file=path,
                        line=text.count("\n", 0, bad.start()) + 1)
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
    except _Refused as e:
        raise BankError(e.message, file=path, line=e.mark.line + 1) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        msg = (e.problem or e.context or "invalid YAML").strip()
        if e.context and e.problem:
            msg = f"{e.problem} ({e.context})"
        raise BankError(f"invalid YAML: {msg}", file=path, line=(mark.line + 1) if mark else None) from None
    except yaml.YAMLError as e:
        raise BankError(f"invalid YAML: {e}", file=path) from None
    finally:
        loader.dispose()
    if node is None:
        return None, lines
    value = _build(node, (), lines, path, loader)
    return value, lines


def load_yaml(path: str, *, what: str = "bank file") -> tuple[object, Lines]:
    return load_yaml_text(read_text(path, what=what), path)


def _build(node, at: tuple, lines: Lines, path: str, loader) -> object:
    lines[at] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        if node.tag != _MAP:
            raise BankError(f"YAML tag {node.tag!r} is not allowed", file=path, line=node.start_mark.line + 1)
        out: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise BankError("YAML merge keys (<<) are not allowed", file=path, line=key_node.start_mark.line + 1)
            if not isinstance(key_node, yaml.ScalarNode):
                raise BankError("a mapping key must be a plain name", file=path, line=key_node.start_mark.line + 1)
            key = _scalar(key_node, path, loader)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise BankError("a mapping key must be a plain name", file=path, line=key_node.start_mark.line + 1)
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                raise BankError(f"duplicate key '{key}'", file=path, line=key_node.start_mark.line + 1,
                                field=_field(at + (key,)))
            lines[at + (key,)] = key_node.start_mark.line + 1
            out[key] = _build(value_node, at + (key,), lines, path, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ:
            raise BankError(f"YAML tag {node.tag!r} is not allowed", file=path, line=node.start_mark.line + 1)
        return [_build(v, at + (i,), lines, path, loader) for i, v in enumerate(node.value)]
    return _scalar(node, path, loader)


def _scalar(node, path: str, loader):
    tag = node.tag
    if tag == "tag:yaml.org,2002:timestamp":
        return node.value  # keep dates as the text written
    if tag not in _ALLOWED_SCALAR_TAGS:
        raise BankError(f"YAML tag {tag!r} is not allowed", file=path, line=node.start_mark.line + 1)
    if tag in _NUMBER_TAGS and len(node.value) > MAX_NUMBER_CHARS:
        raise BankError(f"a number of {len(node.value):,} characters is too long (the limit is "
                        f"{MAX_NUMBER_CHARS:,})", file=path, line=node.start_mark.line + 1)
    value = loader.construct_object(node, deep=True)
    if isinstance(value, str):
        bad = _FORBIDDEN.search(value)  # from an escape such as "\0" or "\ud800"
        if bad is not None:
            raise BankError(f"{_char_name(bad.group())} is not allowed in text", file=path,
                            line=node.start_mark.line + 1)
    return value


def _field(at: tuple) -> str:
    out = ""
    for p in at:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def line_of(lines: Lines, at: tuple) -> int | None:
    """The line of ``at`` or of its nearest ancestor that has one."""
    at = tuple(at)
    while at:
        if at in lines:
            return lines[at]
        at = at[:-1]
    return lines.get(())


field_name = _field
