"""Prompt templates and the formatting of values in them.

A template is plain text with placeholders ``{name}``, ``{name|fmt}`` and
``{=formula}``.  It is *not* ``str.format``: bank files are untrusted, and
``str.format`` would let ``{x.__class__}`` reach into Python objects.  Anything in
braces that is not a placeholder stays as written, so ``y ∈ {0, 1}`` needs no escaping.

Formats: ``num`` (default), ``frac`` (exact fraction), ``dec`` / ``dec2``..``dec6``
(decimal places), ``vec``, ``mat`` (a bracketed block laid out over several lines),
``inline`` (a matrix on one line), ``box`` (x, y, w, h), ``pct``.
"""

from __future__ import annotations

from fractions import Fraction

from nncheck.lang.numbers import SIG, exact, number

FORMATS = {"num", "frac", "dec", "dec1", "dec2", "dec3", "dec4", "dec5", "dec6", "vec", "mat", "inline", "box",
           "pct", "col", "seq"}


class TemplateError(ValueError):
    def __init__(self, message: str, pos: int):
        super().__init__(message)
        self.message, self.pos = message, pos


# ----------------------------------------------------------------------------
# Numbers.
# ----------------------------------------------------------------------------
def fmt_number(v, digits: int = SIG) -> str:
    """A number as a person would write it, by the numbers policy (:mod:`nncheck.lang.numbers`):
    3, 0.1, 1/3, −0.7311 (exact where short, else ``digits`` significant figures)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if exact(v) is None:
        return str(v)
    return _minus(number(v, digits))


def _minus(s: str) -> str:
    return s.replace("-", "−") if s.startswith("-") or "e-" in s else s


def plain_number(v) -> str:
    """Like :func:`fmt_number` but with an ASCII minus, for answers a user may copy."""
    return fmt_number(v).replace("−", "-")


def fmt_value(v, fmt: str = "num") -> str:
    if fmt == "frac" and isinstance(v, (int, Fraction)) and not isinstance(v, bool):
        f = Fraction(v)
        return _minus(str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}")
    if fmt.startswith("dec") and not isinstance(v, (list, tuple)):
        places = int(fmt[3:]) if len(fmt) > 3 else 4
        x = float(v)
        s = f"{x:.{places}f}"
        return _minus(s)
    if fmt == "pct":
        return f"{float(v) * 100:.4g}%"
    if isinstance(v, (list, tuple)):
        if v and isinstance(v[0], (list, tuple)):
            if fmt == "mat":
                return "\n".join(matrix_block(v))
            return "[" + ", ".join("[" + ", ".join(fmt_number(x) for x in row) + "]" for row in v) + "]"
        inner = ", ".join(fmt_value(x, fmt if fmt.startswith("dec") or fmt == "frac" else "num") for x in v)
        if fmt == "box":
            return f"({inner})"
        if fmt == "seq":
            return inner
        if fmt == "col":
            return "\n".join(matrix_block([[x] for x in v]))
        return f"[{inner}]"
    if isinstance(v, str):
        return v
    return fmt_number(v)


def matrix_block(rows, cell=fmt_number) -> list[str]:
    """A matrix as lines of text with tall brackets::

        ⎡ 1  −2⎤
        ⎣ 3   4⎦
    """
    cells = [[cell(x) for x in row] for row in rows]
    ncol = max(len(r) for r in cells) if cells else 0
    widths = [max(len(r[j]) for r in cells if j < len(r)) for j in range(ncol)]
    body = ["  ".join(r[j].rjust(widths[j]) for j in range(len(r))) for r in cells]
    if len(body) == 1:
        return [f"[{body[0]}]"]
    out = []
    for i, line in enumerate(body):
        if i == 0:
            out.append(f"⎡{line}⎤")
        elif i == len(body) - 1:
            out.append(f"⎣{line}⎦")
        else:
            out.append(f"⎢{line}⎥")
    return out


# ----------------------------------------------------------------------------
# Templates.
# ----------------------------------------------------------------------------
def placeholders(template: str) -> list[tuple[str, str, int]]:
    """The placeholders of a template as (name or '=formula', format, position)."""
    out = []
    for kind, a, b, pos in scan(template):
        if kind == "ph":
            out.append((a, b, pos))
    return out


def _is_name(s: str) -> bool:
    return bool(s) and (s[0].isalpha() and s.isascii()) and s.replace("_", "a").isalnum()


def scan(t: str):
    """Yield ('text', s, '', pos) and ('ph', name, fmt, pos) pieces of a template."""
    i, n = 0, len(t)
    buf = ""
    start = 0
    while i < n:
        ch = t[i]
        if ch == "{" and i + 1 < n and t[i + 1] == "{":
            buf += "{"
            i += 2
            continue
        if ch == "}" and i + 1 < n and t[i + 1] == "}":
            buf += "}"
            i += 2
            continue
        if ch == "{":
            j = t.find("}", i + 1)
            inner = t[i + 1 : j] if j > 0 else ""
            if j > 0 and "{" not in inner and "\n" not in inner:
                name, _, fmt = inner.partition("|")
                name, fmt = name.strip(), fmt.strip()
                if (_is_name(name) or (name.startswith("=") and len(name) > 1)) and (not fmt or fmt in FORMATS):
                    if buf:
                        yield ("text", buf, "", start)
                    yield ("ph", name, fmt or "num", i)
                    buf = ""
                    i = j + 1
                    start = i
                    continue
        buf += ch
        i += 1
    if buf:
        yield ("text", buf, "", start)


def scan_lines(t: str) -> list[list[tuple[str, str, str, int]]]:
    """The pieces of :func:`scan`, line by line: text is split at its line breaks (empty pieces dropped)."""
    lines: list[list[tuple[str, str, str, int]]] = [[]]
    for kind, a, fmt, pos in scan(t):
        if kind != "text":
            lines[-1].append((kind, a, fmt, pos))
            continue
        for i, piece in enumerate(a.split("\n")):
            if i:
                lines.append([])
            if piece:
                lines[-1].append(("text", piece, "", pos))
    return lines


def render(template: str, values: dict, *, evaluate=None) -> str:
    """Fill a template.  ``evaluate(formula, values)`` computes ``{=formula}`` placeholders."""

    def piece(kind: str, a: str, fmt: str, pos: int) -> str | list[str]:
        """Text as it is; a placeholder formatted, as a block of lines if it has several."""
        if kind == "text":
            return a
        text = fmt_value(_placeholder(a, pos, values, evaluate), fmt)
        return text.split("\n") if "\n" in text else text

    return "\n".join(_lay_out([piece(*p) for p in line]) for line in scan_lines(template))


def _placeholder(a: str, pos: int, values: dict, evaluate):
    """The value of placeholder ``{a}``: a parameter, or ``{=formula}`` computed by ``evaluate``."""
    if a.startswith("="):
        if evaluate is None:
            raise TemplateError(f"computed placeholder '{{{a}}}' is not available here", pos)
        return evaluate(a[1:], values)
    if a not in values:
        raise TemplateError(f"unknown placeholder '{{{a}}}'", pos)
    return values[a]


def _lay_out(pieces: list) -> str:
    """Join a line's pieces; multi-line blocks sit side by side, text on the middle row."""
    height = max((len(p) for p in pieces if isinstance(p, list)), default=1)
    if height == 1:
        return "".join(p if isinstance(p, str) else p[0] for p in pieces)
    mid = (height - 1) // 2
    rows = [""] * height
    for p in pieces:
        if isinstance(p, str):
            for r in range(height):
                rows[r] += p if r == mid else " " * _width(p)
        else:
            w = max(_width(x) for x in p)
            top = (height - len(p)) // 2
            for r in range(height):
                k = r - top
                rows[r] += (p[k] if 0 <= k < len(p) else "").ljust(w)
    return "\n".join(r.rstrip() for r in rows)


def _width(s: str) -> int:
    # Combining marks take no column; everything used here is otherwise single width.
    return sum(0 if 0x300 <= ord(c) <= 0x36F else 1 for c in s)


