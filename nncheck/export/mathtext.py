"""Turn nncheck's Unicode prompts and worked steps into LaTeX math for LaTeX and Markdown.

Prompts are written for a terminal: ``W₁×H₁×D₁ = 227×227×3``, ``ξ⁽¹⁾``, ``σ(ξ)``,
``ŷ_c``, and matrices as tall bracket blocks (``⎡ 1  2⎤``).  pdflatex cannot take those
characters, and Markdown readers expect ``$…$``.  This module

1. splits text into *segments*: plain text, and values (numbers, vectors, matrices)
   that come straight from a template's placeholders or from a bracket block parsed
   back into rows;
2. finds the *math runs* in the text: maximal stretches of math-looking tokens
   (Greek letters, sub/superscripts, accents, operators such as × − ≤ ∂, variables
   such as ``x_a``) joined by single letters, numbers, brackets and spaces;
3. writes each math run as LaTeX (``W_{1}\\times H_{1}``) and everything else as
   escaped text.

It is a heuristic about *where* math is, never about *what* it says: every character
is converted or escaped, so the output always compiles.
"""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction

from nncheck.lang.template import FORMATS, fmt_number, fmt_value, scan_lines

GREEK = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\epsilon", "ϵ": r"\epsilon",
    "ζ": r"\zeta", "η": r"\eta", "θ": r"\theta", "ι": r"\iota", "κ": r"\kappa", "λ": r"\lambda",
    "μ": r"\mu", "ν": r"\nu", "ξ": r"\xi", "π": r"\pi", "ρ": r"\rho", "σ": r"\sigma", "τ": r"\tau",
    "υ": r"\upsilon", "φ": r"\phi", "ϕ": r"\phi", "χ": r"\chi", "ψ": r"\psi", "ω": r"\omega",
    "Γ": r"\Gamma", "Δ": r"\Delta", "Θ": r"\Theta", "Λ": r"\Lambda", "Ξ": r"\Xi", "Π": r"\Pi",
    "Σ": r"\sum", "Φ": r"\Phi", "Ψ": r"\Psi", "Ω": r"\Omega", "ℒ": r"\mathcal{L}",
}
ACCENTED = {"ŷ": ("y", "hat"), "ŝ": ("s", "hat"), "ĉ": ("c", "hat"), "ĥ": ("h", "hat"), "ẑ": ("z", "hat"),
            "ȳ": ("y", "bar"), "x̄": ("x", "bar"), "ō": ("o", "bar"), "ā": ("a", "bar")}
COMBINING = {"\u0302": "hat", "\u0304": "bar", "\u0303": "tilde", "\u0305": "bar", "\u20d7": "vec",
             "\u0307": "dot"}  # σ̇: the notes' σ′
SUB = {"₀": "0", "₁": "1", "₂": "2", "₃": "3", "₄": "4", "₅": "5", "₆": "6", "₇": "7", "₈": "8", "₉": "9",
       "₊": "+", "₋": "-", "₍": "(", "₎": ")", "ₐ": "a", "ₑ": "e", "ₒ": "o", "ₓ": "x", "ᵢ": "i", "ⱼ": "j",
       "ₖ": "k", "ₙ": "n", "ₘ": "m", "ₜ": "t", "ₗ": "l", "ₚ": "p", "ᵣ": "r", "ₛ": "s", "ᵤ": "u", "ᵥ": "v"}
SUP = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9",
       "⁺": "+", "⁻": "-", "⁽": "(", "⁾": ")", "ⁿ": "n", "ᵀ": "T", "ⁱ": "i", "ᵗ": "t", "′": r"\prime",
       "″": r"\prime\prime", "ˡ": "l", "ᵏ": "k", "ʲ": "j", "ᵐ": "m", "ᵈ": "d", "ᶜ": "c", "ᵃ": "a", "ᵇ": "b",
       "ᵉ": "e", "ʰ": "h", "ᵒ": "o", "ᵖ": "p", "ʳ": "r", "ˢ": "s", "ᵘ": "u", "ᵛ": "v", "ʷ": "w", "ˣ": "x",
       "ʸ": "y", "ᶻ": "z", "ᴸ": "L", "ᴺ": "N", "ᴰ": "D", "ᵂ": "W", "ᴴ": "H"}
#: Operators that make a stretch of text mathematical.
STRONG_OPS = {
    "×": r"\times", "·": r"\cdot", "⋅": r"\cdot", "∙": r"\cdot", "−": "-", "≤": r"\le", "≥": r"\ge",
    "≠": r"\ne", "≈": r"\approx", "∈": r"\in", "∉": r"\notin", "→": r"\to", "←": r"\leftarrow",
    "⊙": r"\odot", "∞": r"\infty", "±": r"\pm", "‖": r"\|", "∂": r"\partial", "∇": r"\nabla",
    "∑": r"\sum", "∏": r"\prod", "√": r"\sqrt", "½": r"\tfrac{1}{2}", "¼": r"\tfrac{1}{4}",
    "∘": r"\circ", "⊤": r"^{\top}", "∫": r"\int", "=": "=", "<": "<", ">": ">", "^": "^", "∝": r"\propto",
    "⇒": r"\Rightarrow", "↦": r"\mapsto", "∀": r"\forall", "∃": r"\exists", "⊂": r"\subset", "∪": r"\cup",
    "∩": r"\cap", "⟨": r"\langle", "⟩": r"\rangle", "⌊": r"\lfloor", "⌋": r"\rfloor", "⌈": r"\lceil",
    "⌉": r"\rceil",
}
#: Operators that may sit inside math but do not make text math on their own.
WEAK_OPS = {"+": "+", "-": "-", "/": "/", "*": r"\cdot", "|": "|", "'": "'"}
JOINERS = {"(": "(", ")": ")", "[": "[", "]": "]", ",": ",", "{": r"\{", "}": r"\}"}
FUNCTIONS = {"ln": r"\ln", "log": r"\log", "exp": r"\exp", "tanh": r"\tanh", "max": r"\max", "min": r"\min",
             "sin": r"\sin", "cos": r"\cos", "sqrt": r"\sqrt", "argmax": r"\operatorname{argmax}",
             "sigmoid": r"\operatorname{sigmoid}", "softmax": r"\operatorname{softmax}",
             "relu": r"\operatorname{ReLU}", "ReLU": r"\operatorname{ReLU}", "sum": r"\sum"}
#: Functions whose names are also words: "the sigmoid σ(ξ)" names it, "softmax(z)" applies it.
SPELLED_OUT = {"sigmoid", "softmax"}
TEXT_UNICODE = {"—": "---", "–": "--", "…": r"\ldots{}", "“": "``", "”": "''", "‘": "`", "’": "'",
                "\u00a0": "~", "\u2009": r"\,", "\u202f": r"\,", "•": r"$\bullet$", "✓": "(ok)", "✗": "(x)",
                "°": r"$^\circ$", "§": r"$\S$", "→": r"$\to$", "⎡": "[", "⎣": "[", "⎤": "]", "⎦": "]",
                "⎢": "|", "⎥": "|"}
LATEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
                 "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
                 "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}
BLOCK_CHARS = set("⎡⎢⎣⎤⎥⎦")
NOT_MATH_LETTERS = {"a", "A"}  # English articles, not variables


class Value:
    """A template value inside a line of text (a number, vector, matrix, or a word)."""

    __slots__ = ("value", "fmt")

    def __init__(self, value, fmt: str = "num"):
        self.value, self.fmt = value, fmt

    @property
    def is_text(self) -> bool:
        return isinstance(self.value, str) or isinstance(self.value, bool)


# ----------------------------------------------------------------------------
# Segments: from templates and from rendered text.
# ----------------------------------------------------------------------------
def template_lines(variant, template: str) -> list[list]:
    """The template filled with :class:`Value` segments instead of formatted text, line by line."""
    from nncheck.lang.numeric import evaluate
    from nncheck.lang.syntax import parse

    variant.render(template)  # the same errors as the terminal view, raised the same way
    values = variant.values()
    lines: list[list] = []
    for template_line in scan_lines(template):
        lines.append([])
        for kind, a, fmt, _pos in template_line:
            if kind == "text":
                lines[-1].append(a)
                continue
            value = evaluate(parse(a[1:], symbols=None, formula=True), values, a[1:]) if a.startswith("=") \
                else values[a]
            if isinstance(value, str) and "\n" in value:
                # Text a solver laid out over several lines (a bracket block): read it back into values.
                # Several rows of blocks become several lines; text after it continues the last one.
                block = text_lines(value)
                lines[-1].extend(block[0])
                lines.extend(list(b) for b in block[1:])
            else:
                lines[-1].append(Value(value, fmt if fmt in FORMATS else "num"))
    while lines and not lines[-1]:
        lines.pop()
    return lines


def text_lines(text: str) -> list[list]:
    """Rendered text (a worked step) as segment lines; bracket blocks become matrix values."""
    raw = text.split("\n")
    out: list[list] = []
    i = 0
    while i < len(raw):
        if any(c in BLOCK_CHARS for c in raw[i]):
            j = i
            while j < len(raw) and any(c in BLOCK_CHARS for c in raw[j]):
                j += 1
            # A block's top row may be the text row itself when the block is the tallest piece.
            seg = _parse_block(raw[i:j])
            if seg is None:
                out.extend([[line] for line in raw[i:j]])
            else:
                out.append(seg)
            i = j
            continue
        out.append(_inline_matrices(raw[i]) if raw[i] else [])
        i += 1
    return out


_NESTED = re.compile(r"\[\[[^\[\]]*\](?:,\s*\[[^\[\]]*\])*\]")


def _inline_matrices(text: str) -> list:
    """A line of text with each nested-list literal of numbers (``[[1, −1], [0, 2]]``, as worked steps
    write matrices) turned into a matrix value, so that every output sets it as a matrix."""
    out: list = []
    pos = 0
    for m in _NESTED.finditer(text):
        rows = [[_cell_value(c.strip()) for c in r.split(",")] for r in re.findall(r"\[([^\[\]]*)\]", m.group(0))]
        if any(isinstance(c, str) for r in rows for c in r) or len({len(r) for r in rows}) != 1:
            continue  # not all numbers, or ragged: leave it as written
        if m.start() > pos:
            out.append(text[pos:m.start()])
        out.append(Value(rows, "mat"))
        pos = m.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


def _parse_block(rows: list[str]) -> list | None:
    """Side-by-side bracket blocks (as :func:`nncheck.lang.template.render` lays them out) -> segments."""
    width = max(len(r) for r in rows)
    grid = [r.ljust(width) for r in rows]
    h = len(grid)
    taken = [[False] * width for _ in range(h)]
    blocks = []  # (col_start, col_end, rows of cells)
    for c in range(width):
        for r in range(h):
            if grid[r][c] == "⎡" and not taken[r][c]:
                r1 = next((k for k in range(r + 1, h) if grid[k][c] == "⎣"), None)
                if r1 is None:
                    return None
                c1 = grid[r].find("⎤", c + 1)
                if c1 < 0 or any(grid[k][c1] not in "⎤⎥⎦" for k in range(r, r1 + 1)):
                    return None
                cells = []
                for k in range(r, r1 + 1):
                    cells.append(grid[k][c + 1:c1].split())
                    for cc in range(c, c1 + 1):
                        taken[k][cc] = True
                if len({len(x) for x in cells}) != 1:
                    return None
                blocks.append((c, c1 + 1, cells))
    if not blocks:
        return None
    mid = (h - 1) // 2
    for r in range(h):
        if r == mid:
            continue
        rest = "".join(ch for c, ch in enumerate(grid[r]) if not taken[r][c])
        if rest.strip():
            return None  # text on a row other than the middle one: not a layout this parser knows
    segs: list = []
    pos = 0
    for c0, c1, cells in sorted(blocks):
        if c0 > pos:
            segs.append(grid[mid][pos:c0])
        segs.append(Value([[_cell_value(x) for x in row] for row in cells], "mat"))
        pos = c1
    tail = grid[mid][pos:].rstrip()
    if tail:
        segs.append(tail)
    return segs


def _cell_value(text: str):
    """A matrix cell printed by fmt_number, read back exactly (kept as text if it is not a number)."""
    t = text.replace("−", "-")
    try:
        if "/" in t:
            a, b = t.split("/")
            return Fraction(int(a), int(b))
        f = Fraction(t)
        return int(f) if f.denominator == 1 else f
    except (ValueError, ZeroDivisionError):
        return text


# ----------------------------------------------------------------------------
# Tokens and math runs.
# ----------------------------------------------------------------------------
def _is_wordchar(ch: str) -> bool:
    if ch in STRONG_OPS:
        return False  # ½ and friends are "numeric" to Python but operators here
    return (ch.isalnum() or ch == "_" or ch in GREEK or ch in SUB or ch in SUP or ch in ACCENTED
            or ch in COMBINING or unicodedata.category(ch) == "Mn")


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text): kind in word, space, op, weak, join, punct, other."""
    out = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            j = i
            while j < n and text[j].isspace():
                j += 1
            out.append(("space", text[i:j]))
            i = j
        elif ch.isdigit() and (m := _COURSE.match(text, i)):
            out.append(("word", m.group(0)))  # 16-785, 8-10: a course number or a range, not a subtraction
            i = m.end()
        elif _is_wordchar(ch):
            j = i
            while j < n and (_is_wordchar(text[j]) or (text[j] == "." and j + 1 < n and text[j + 1].isdigit()
                                                       and j > i and text[j - 1].isdigit())
                             or _is_star(text, j)):
                j += 1
            out.append(("word", text[i:j]))
            i = j
        elif ch in STRONG_OPS:
            out.append(("op", ch))
            i += 1
        elif ch in WEAK_OPS:
            out.append(("weak", ch))
            i += 1
        elif ch in JOINERS:
            out.append(("join", ch))
            i += 1
        elif ch in ".;:!?\"":
            out.append(("punct", ch))
            i += 1
        else:
            out.append(("other", ch))
            i += 1
    return out


_COURSE = re.compile(r"\d+-\d+(?![\d.])")


def _is_star(text: str, j: int) -> bool:
    """A ``*`` that marks a letter (the correct class k*, k*ᵢ), not a product (w1*h): it follows a
    letter and no word starts right after it."""
    if text[j] != "*" or j == 0 or not text[j - 1].isalpha():
        return False
    nxt = text[j + 1] if j + 1 < len(text) else " "
    return not (nxt.isalnum() or nxt in GREEK or nxt in ACCENTED or nxt == "(") or nxt in SUB


def _word_class(w: str) -> str:
    """'strong' (surely math), 'weak' (math next to math), or 'text'."""
    if any(c in GREEK or c in SUB or c in SUP or c in ACCENTED or c in COMBINING for c in w):
        return "strong"
    if "*" in w or w == "_" or (len(w) > 1 and (w.startswith("_") or w.endswith("_"))):
        return "strong"  # k*, a subscript after an operator (∇_W), a braced subscript to come (g_{t−1})
    if "_" in w.strip("_") and not w.startswith("_"):
        return "strong"
    if w in FUNCTIONS:
        return "weak"
    if _COURSE.fullmatch(w):
        return "text"
    if _is_number(w):
        return "weak"
    if len(w) == 1 and w.isascii() and w.isalpha() and w not in NOT_MATH_LETTERS:
        return "weak"
    if len(w) <= 3 and w[0].isdigit() and w.isascii() and w.isalnum():  # 2P, 2x
        return "weak"
    return "text"


def _is_number(w: str) -> bool:
    try:
        float(w)
        return w[0].isdigit()
    except ValueError:
        return False


def _classify(seg_tokens: list) -> list[tuple[str, object, str]]:
    """Each token as (class, payload, kind) with class S (strong), W (weak), J (joiner), T (text)."""
    out: list[tuple[str, object, str]] = []
    for k, tok in enumerate(seg_tokens):
        if isinstance(tok, Value):
            out.append(("T" if tok.is_text else "S", tok, "value"))
            continue
        kind, s = tok
        if kind == "word":
            c = _word_class(s)
            if c == "text" and _is_differential(s, seg_tokens, k):
                c = "weak"
            elif c == "weak" and s in FUNCTIONS and (_ends_phrase(seg_tokens, k) or (
                    s in SPELLED_OUT and k + 1 < len(seg_tokens) and seg_tokens[k + 1] == ("space", " "))):
                c = "text"  # "the derivative of tanh, …", "the sigmoid σ(…)": the function named in words
            out.append(({"strong": "S", "weak": "W", "text": "T"}[c], s, kind))
        elif kind == "op":
            out.append(("S", s, kind))
        elif kind == "weak":
            out.append(("W", s, kind))
        elif kind in ("join", "space"):
            out.append(("J", s, kind))
        else:
            out.append(("T", s, kind))
    return out


def _ends_phrase(toks: list, k: int) -> bool:
    """Nothing for the word at ``k`` to apply to: the line ends or a comma or full stop follows."""
    nxt = toks[k + 1] if k + 1 < len(toks) else None
    return nxt is None or (isinstance(nxt, tuple) and nxt[1] in (",", ".", ";", ":"))


def _is_differential(w: str, toks: list, k: int) -> bool:
    """``dh`` in ``dh/dξ``: a d and one letter, next to a slash."""
    if len(w) != 2 or w[0] != "d" or not w[1].isalpha():
        return False
    nxt = toks[k + 1] if k + 1 < len(toks) else None
    prev = toks[k - 1] if k > 0 else None
    return nxt == ("weak", "/") or prev == ("weak", "/")


def _runs(cls: list) -> list[tuple[int, int]]:
    """Index ranges [i, j) of the math runs."""
    runs = []
    n = len(cls)
    i = 0
    while i < n:
        if cls[i][0] == "T":
            i += 1
            continue
        j = i
        while j < n and cls[j][0] != "T":
            j += 1
        u = _first_unmatched(cls, i, j)
        if u is not None and u > i:
            j = u  # "c (2×4: one column…)": the bracket opens words, so the math ends before it
        a, b = i, j
        # Trim joiners (spaces, commas, unmatched brackets) at both ends.
        changed = True
        while changed and a < b:
            changed = False
            while a < b and cls[a][0] == "J" and cls[a][1] not in ("(", "[", "{"):
                a += 1
                changed = True
            while a < b and cls[b - 1][0] == "J" and cls[b - 1][1] not in (")", "]", "}"):
                b -= 1
                changed = True
            while a < b and cls[b - 1][0] == "W" and cls[b - 1][1] in ("-", "/", "'"):
                b -= 1  # a hyphen or slash at the edge joins words, not math
                changed = True
            if a < b:
                body = [c[1] for c in cls[a:b] if c[2] == "join"]
                opens = body.count("(") + body.count("[") + body.count("{")
                closes = body.count(")") + body.count("]") + body.count("}")
                if cls[a][1] in ("(", "[", "{") and cls[a][2] == "join" and opens > closes:
                    a += 1
                    changed = True
                elif cls[b - 1][1] in (")", "]", "}") and cls[b - 1][2] == "join" and closes > opens:
                    b -= 1
                    changed = True
        if a < b and any(c[0] == "S" for c in cls[a:b]) and any(c[2] in ("word", "value") for c in cls[a:b]):
            runs.append((a, b))
        i = j
    return runs


def _first_unmatched(cls: list, i: int, j: int) -> int | None:
    """The index of the first opening bracket in [i, j) that is not closed before j."""
    stack: list[int] = []
    for k in range(i, j):
        if cls[k][2] != "join":
            continue
        if cls[k][1] in ("(", "[", "{"):
            stack.append(k)
        elif cls[k][1] in (")", "]", "}") and stack:
            stack.pop()
    return stack[0] if stack else None


def _expand(line: list) -> list:
    """Segments -> a flat token list (text split into tokens, values kept whole)."""
    toks: list = []
    for seg in line:
        if isinstance(seg, Value) and isinstance(seg.value, str) and seg.fmt not in ("tex", "code"):
            toks.extend(_tokens(" ".join(seg.value.split("\n"))))  # text computed by a solver
        elif isinstance(seg, Value):
            toks.append(seg)
        else:
            toks.extend(_tokens(seg))
    return toks


def line_pieces(line: list) -> list[tuple[str, str, bool]]:
    """One segment line as pieces: ("math", LaTeX, tall) for each math run (tall: it holds a matrix
    or a column vector), ("code", text, False) for verbatim answer-language text, ("text", raw text,
    False) for the rest."""
    if any(isinstance(seg, Verbatim) for seg in line):
        out_: list[tuple[str, str, bool]] = []
        chunk: list = []
        for seg in line + [None]:
            if seg is None or isinstance(seg, Verbatim):
                out_ += line_pieces(chunk) if chunk else []
                chunk = []
                if seg is not None:
                    out_.append(("code", seg.value, False))
            else:
                chunk.append(seg)
        return out_
    toks = _expand(line)
    cls = _classify(toks)
    out: list[tuple[str, str, bool]] = []
    pos = 0
    for a, b in _runs(cls):
        if a > pos:
            out.append(("text", _text_of(cls[pos:a]), False))
        tall = any(isinstance(payload, Value) and _is_tall(payload) for _c, payload, _kind in cls[a:b])
        out.append(("math", _latex_of(cls[a:b]), tall))
        pos = b
    if pos < len(cls):
        out.append(("text", _text_of(cls[pos:]), False))
    return out


def convert_line(line: list, *, math, text, code=None) -> str:
    """One segment line: ``math(latex)`` wraps each math run, ``code(str)`` verbatim text (``text`` if
    not given), ``text(str)`` escapes the rest."""
    return "".join(math(x) if kind == "math" else (code or text)(x) if kind == "code" else text(x)
                   for kind, x, _tall in line_pieces(line))


def _is_tall(v: Value) -> bool:
    if isinstance(v, Formula):
        return v.display
    val = v.value
    return isinstance(val, (list, tuple)) and bool(val) and (isinstance(val[0], (list, tuple)) or v.fmt == "col")


def _text_of(cls: list) -> str:
    return "".join(value_plain(payload) if kind == "value" else payload for _c, payload, kind in cls)


def value_plain(v: Value) -> str:
    if isinstance(v, Formula):
        return v.text
    if isinstance(v, Verbatim):
        return str(v.value)
    if isinstance(v.value, bool):
        return "true" if v.value else "false"
    return fmt_value(v.value, v.fmt)


# ----------------------------------------------------------------------------
# LaTeX of math runs, words and values.
# ----------------------------------------------------------------------------
def _latex_of(cls: list) -> str:
    out: list[str] = []
    k = 0
    while k < len(cls):
        c, payload, kind = cls[k]
        if kind == "value":
            out.append(latex_value(payload))
        elif kind == "word" and payload.endswith("_") and k + 1 < len(cls) and cls[k + 1][1] in ("{", "("):
            # g_{t−1}, h_(t−1): a grouped subscript, as the solvers write multi-character ones
            inner, k = _group(cls, k + 1)
            out.append(latex_word(payload[:-1]) + "_{" + inner + "}")
            continue
        elif kind == "word" and len(payload) == 2 and payload[0] == "d" and payload[1].isalpha() and (
                (k + 1 < len(cls) and cls[k + 1][1] == "/") or (k > 0 and cls[k - 1][1] == "/")):
            out.append("d" + latex_word(payload[1]))  # dL/dh: the differential d, then the letter
        elif kind == "word":
            out.append(latex_word(payload))
        elif kind == "space":
            # A gap of two or more spaces separates side-by-side equations (x[1] = −1  x[2] = 0).
            if len(payload) >= 2:
                out.append(r"\qquad ")
            elif k + 1 < len(cls) and cls[k + 1][1] == "(" and k > 0 and cls[k - 1][2] in ("word", "value"):
                out.append(r"\ ")  # "∇W⁽²⁾L (1×2)": a remark in brackets, not a function's argument
            else:
                out.append(" ")
        elif kind == "op":
            if payload == "√":
                # √ takes the next word or bracket group as its argument.
                nxt, k = _group(cls, k + 1)
                out.append(r"\sqrt{" + nxt + "}")
                continue
            if payload == "^":
                nxt, k = _group(cls, k + 1)
                out.append("^{" + nxt + "}")
                continue
            op = STRONG_OPS[payload]
            out.append(op + (" " if op[-1].isalpha() else ""))
        elif kind == "weak":
            op = WEAK_OPS[payload]
            out.append(op + (" " if op[-1].isalpha() else ""))  # \cdot h, never \cdoth
        elif kind == "join":
            out.append(JOINERS[payload])
        else:
            out.append(latex_escape_math(payload))
        k += 1
    return "".join(out).strip()


def _group(cls: list, k: int) -> tuple[str, int]:
    """The LaTeX of the word or bracketed group at ``k`` (after spaces), and the index after it."""
    while k < len(cls) and cls[k][2] == "space":
        k += 1
    if k >= len(cls):
        return "", k
    if cls[k][1] in ("(", "{") and cls[k][2] == "join":
        opener = cls[k][1]
        closer = ")" if opener == "(" else "}"
        depth, j = 0, k
        while j < len(cls):
            if cls[j][2] == "join" and cls[j][1] == opener:
                depth += 1
            elif cls[j][2] == "join" and cls[j][1] == closer:
                depth -= 1
                if depth == 0:
                    break
            j += 1
        inner = _latex_of(cls[k + 1:j])
        return inner if j < len(cls) else JOINERS[opener] + inner, j + 1
    return _latex_of(cls[k:k + 1]), k + 1


def latex_word(w: str) -> str:
    """A math word: ``W₁`` -> ``W_{1}``, ``ξ⁽¹⁾`` -> ``\\xi^{(1)}``, ``x_REF`` -> ``x_{\\mathrm{REF}}``."""
    if w in FUNCTIONS:
        return FUNCTIONS[w] + " "
    if _is_number(w):
        return w
    if w.startswith("_") and len(w) > 1:  # ∇_W: the subscript of the operator before it
        return "_{" + latex_word(w[1:]) + "}"
    if w.endswith("_") and len(w) > 1:  # a subscript mark with nothing to attach to: keep it visible
        return latex_word(w[:-1]) + r"\_"
    if "_" in w.strip("_") and not w.startswith("_"):
        base, _, sub = w.partition("_")
        return latex_word(base) + "_{" + (latex_word(sub) if sub else "") + "}"
    body = ""
    sub = ""
    sup = ""
    plain = ""

    def flush():
        nonlocal plain, body
        if plain:
            body += plain if len(plain) == 1 or plain[0].isdigit() else (
                FUNCTIONS[plain].strip() + " " if plain in FUNCTIONS else r"\mathrm{" + plain + "}")
            plain = ""

    for ch in unicodedata.normalize("NFC", w):
        if ch in SUB:
            sub += SUB[ch]
        elif ch == "*":
            sup += "*"  # k*: the correct class, a starred letter
        elif ch in SUP:
            sup += SUP[ch] if len(SUP[ch]) == 1 else SUP[ch] + " "
        elif ch in GREEK:
            flush()
            body += "{" + GREEK[ch] + "}"
        elif ch in ACCENTED:
            flush()
            base, acc = ACCENTED[ch]
            body += "\\" + acc + "{" + base + "}"
        elif ch in COMBINING or unicodedata.category(ch) == "Mn":
            acc = COMBINING.get(ch, "tilde")
            if plain:
                last = plain[-1]
                plain = plain[:-1]
                flush()
                body += "\\" + acc + "{" + last + "}"
            else:
                body = "\\" + acc + "{" + body + "}"
        elif ch.isascii() and (ch.isalnum() or ch == "_"):
            if sub or sup:  # W₁x: the subscript belongs to what came before
                flush()
                body = _attach(body, sub, sup)
                sub = sup = ""
            plain += ch
        else:
            flush()
            body += latex_escape_math(ch)
    flush()
    return _attach(body, sub, sup)


def _attach(body: str, sub: str, sup: str) -> str:
    if sub:
        body += "_{" + sub + "}"
    if sup:
        body += "^{" + sup.strip() + "}"
    return body


def latex_escape_math(s: str) -> str:
    """Characters that are not part of a known math word, made safe inside math mode."""
    out = []
    for ch in s:
        if ch in STRONG_OPS:
            out.append(STRONG_OPS[ch] + " ")
        elif ch in GREEK:
            out.append(GREEK[ch] + " ")
        elif ch in "#$%&":
            out.append("\\" + ch)
        elif ch == "\\":
            out.append(r"\backslash ")
        elif ch == "~":
            out.append(r"\sim ")
        elif ch in "{}":
            out.append("\\" + ch)
        elif ch.isascii():
            out.append(ch)
        else:
            out.append(r"\text{" + latex_escape_text(ch) + "}")
    return "".join(out)


def latex_number(x, digits: int = 4) -> str:
    """A number as LaTeX: 3, 0.25, \\frac{1}{3}, -0.7311, 1.2\\times 10^{-5}."""
    if isinstance(x, bool):
        return r"\text{" + ("true" if x else "false") + "}"
    if isinstance(x, Fraction) and x.denominator != 1:
        s = fmt_number(x)
        if "/" in s:
            sign = "-" if x < 0 else ""
            return f"{sign}\\frac{{{abs(x.numerator)}}}{{{x.denominator}}}"
        return s.replace("−", "-")
    s = fmt_number(x, digits).replace("−", "-")
    if "e" in s and not s.startswith(("inf", "nan")):
        mant, _, exp = s.partition("e")
        return f"{mant}\\times 10^{{{int(exp)}}}"
    if s in ("inf", "-inf", "nan"):
        return r"\text{" + s + "}"
    return s


def latex_value(v: Value) -> str:
    """A template value in math mode, in the placeholder's format."""
    val, fmt = v.value, v.fmt
    if isinstance(v, Formula):
        return str(val)
    if isinstance(val, (list, tuple)):
        if val and isinstance(val[0], (list, tuple)):
            return latex_matrix([[_entry(x, fmt) for x in row] for row in val])
        entries = [_entry(x, fmt) for x in val]
        if fmt == "col":
            return latex_matrix([[e] for e in entries])
        if fmt == "box":
            return "(" + ", ".join(entries) + ")"
        if fmt == "seq":
            return ", ".join(entries)
        return "[" + ", ".join(entries) + "]"
    if fmt == "pct":
        return fmt_value(val, fmt).replace("%", r"\%").replace("−", "-")
    return _entry(val, fmt)


def _entry(x, fmt: str) -> str:
    if isinstance(x, str):
        return r"\text{" + latex_escape_text(x) + "}"
    if fmt.startswith("dec") or fmt == "frac":
        s = fmt_value(x, fmt).replace("−", "-")
        if "/" in s:
            a, b = s.split("/")
            sign = "-" if a.startswith("-") else ""
            return f"{sign}\\frac{{{a.lstrip('-')}}}{{{b}}}"
        return s
    return latex_number(x)


def latex_matrix(rows: list[list[str]]) -> str:
    body = r" \\ ".join(" & ".join(r) for r in rows)
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"


def latex_escape_text(s: str) -> str:
    """Plain text for pdflatex: specials escaped, typographic Unicode mapped, math symbols in $…$."""
    out = []
    for ch in s:
        if ch in LATEX_SPECIAL:
            out.append(LATEX_SPECIAL[ch])
        elif ch.isascii():
            out.append(ch)
        elif ch in TEXT_UNICODE:
            out.append(TEXT_UNICODE[ch])
        elif ch == "√":
            out.append(r"$\surd$")  # alone in text, with no argument to take
        elif ch in GREEK or ch in STRONG_OPS:
            out.append("$" + (GREEK.get(ch) or STRONG_OPS[ch]) + "$")
        elif ch in SUB:
            out.append(r"$_{" + SUB[ch] + "}$")
        elif ch in SUP:
            out.append(r"$^{" + SUP[ch] + "}$")
        elif ch in ACCENTED:
            base, acc = ACCENTED[ch]
            out.append(f"$\\{acc}{{{base}}}$")
        elif unicodedata.category(ch) == "Mn":
            continue  # a stray combining mark: its base letter was written already
        else:
            ascii_ = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            if ascii_ and ord(ch) < 0x250:  # Latin letters with accents: T1 + utf8 inputenc
                out.append(ch)
            elif ascii_:
                out.append(latex_escape_text(ascii_))
            else:
                out.append(f"[U+{ord(ch):04X}]")
    return "".join(out)


# ----------------------------------------------------------------------------
# Whole texts.
# ----------------------------------------------------------------------------
def latex_lines(lines: list[list]) -> str:
    return "\n".join(convert_line(line, math=lambda m: f"${m}$", text=latex_escape_text, code=texttt)
                     for line in lines)


#: Characters of math that fit on one displayed line (11 pt on a 16-17 cm text width).  An
#: estimate only: a display that is still too wide is scaled down by ``adjustbox``.
DISPLAY_WIDTH = 70
SENTENCE_END = (".", ":", "?", "!")


def segments(lines: list[list]):
    """The lines of a text as a renderer lays them out: ("table", its lines, None) for column-aligned
    lines (a forward-pass table), ("blank", line, None) for a line with no text (it ends a paragraph)
    and ("line", line, pieces) for the others, with the line's math/text/code pieces.  The LaTeX and
    Markdown renderers share this reading and differ only in what they make of each segment."""
    i = 0
    while i < len(lines):
        table = _table_at(lines, i)
        if table:
            yield "table", table, None
            i += len(table)
            continue
        line = lines[i]
        i += 1
        pieces = line_pieces(line)
        if not pieces or all(kind == "text" and not x.strip() for kind, x, _t in pieces):
            yield "blank", line, None
        else:
            yield "line", line, pieces


def latex_block(lines: list[list], *, steps: bool = False) -> str:
    """Segment lines laid out as a document does: sentences wrapped into paragraphs (a line that
    ends a sentence ends its paragraph), lines holding a matrix or set apart by indentation or wide
    gaps as centred displays (side-by-side equations broken into rows when they do not fit), and
    column-aligned lines (a forward-pass table) as a ``tabular``.  ``steps``: the lines of a worked
    solution, which read down the left margin: only a line holding a matrix is set apart, indented."""
    out: list[str] = []
    para: list[str] = []
    rows: list[str] = []  # display rows waiting to be set in one centred block

    def flush() -> None:
        if para:
            out.append(" ".join(para))
            para.clear()
        if rows and steps:
            indented = [r.replace("max width=\\linewidth", "max width=\\dimexpr\\linewidth-1.5em\\relax")
                        for r in rows]
            out.append("\\par\\smallskip" + "\\\\[3pt]\n".join("\\hspace*{1.5em}" + r for r in indented)
                       + "\\par\\smallskip")
        elif rows:
            out.append("\\begin{center}\n" + "\\\\[3pt]\n".join(rows) + "\n\\end{center}")
        rows.clear()

    for what, line, pieces in segments(lines):
        if what == "table":
            flush()
            out.append(_latex_table(line))
            continue
        if what == "blank":
            flush()
            continue
        if any(tall for _k, _x, tall in pieces) if steps else _is_display(line, pieces):
            lead, rest = _split_lead(pieces)
            if lead:
                flush()
                para.append(_inline(lead).strip())
            if para:
                flush()
            rows.extend(_display_rows(rest))
            continue
        if rows:
            flush()
        para.append(_inline(pieces).strip())
        if _raw(line).rstrip().endswith(SENTENCE_END):
            flush()
    flush()
    return "\n\n".join(out)


def _raw(line: list) -> str:
    return "".join(seg if isinstance(seg, str) else value_plain(seg) for seg in line)


def _inline(pieces: list[tuple[str, str, bool]]) -> str:
    return "".join(f"${x}$" if kind == "math" else texttt(x) if kind == "code" else latex_escape_text(x)
                   for kind, x, _t in pieces)


def texttt(s: str) -> str:
    """Answer-language text as typed, in a typewriter face."""
    return r"\texttt{" + latex_escape_text(s) + "}"


def _is_display(line: list, pieces: list[tuple[str, str, bool]]) -> bool:
    """A line to set apart: it holds a matrix, or it is indented or spaced out as a display."""
    if any(tall for _k, _x, tall in pieces):
        return True
    raw = _raw(line)
    math_chars = sum(len(x) for kind, x, _t in pieces if kind == "math")
    if not math_chars:
        return False
    if raw.startswith("  ") or all(kind == "math" or not x.strip() for kind, x, _t in pieces):
        return True  # indented, or nothing but math (h₀ = −0.5 on a line of its own)
    return "  " in raw.strip() and 2 * math_chars >= len(raw.strip())


def _split_lead(pieces: list) -> tuple[list, list]:
    """A sentence that leads into a matrix stays in the paragraph; the display starts at the math."""
    first_tall = next(k for k, (_kind, _x, tall) in enumerate(pieces) if tall) if any(
        p[2] for p in pieces) else 0
    lead = pieces[:first_tall]
    if sum(len(x) for kind, x, _t in lead if kind == "text") > 20:
        return lead, pieces[first_tall:]
    return [], pieces


GAP = "\\qquad "


def display_body(pieces: list[tuple[str, str, bool]], code=None) -> str:
    """A display line's pieces as one math body: math as it is, words as ``\\text``, wide gaps (two
    spaces or more) as ``\\qquad``, answer-language text through ``code`` (default: typewriter)."""
    body = ""
    for kind, x, _t in pieces:
        if kind == "math":
            body += x
            continue
        if kind == "code":
            body += code(x) if code else r"\text{" + texttt(x) + "}"
            continue
        for k, word in enumerate(re.split(r" {2,}", x)):
            if k:
                body += GAP
            if word.strip():
                body += r"\text{" + latex_escape_text(word) + "}"
            elif word:
                body += " "
    return body


def _display_rows(pieces: list[tuple[str, str, bool]]) -> list[str]:
    """A display line as centred rows, each scaled down if it is still too wide."""
    body = display_body(pieces)
    items = [it.strip() for it in _split_top(body.strip(), GAP) if it.strip()]
    rows: list[list[str]] = []
    for it in items:  # greedy: as many side-by-side items per row as fit
        if rows and _tex_width(GAP.join(rows[-1] + [it])) <= DISPLAY_WIDTH:
            rows[-1].append(it)
        else:
            rows.append([it])
    return [r"\adjustbox{max width=\linewidth}{$\displaystyle " + GAP.join(r) + "$}" for r in rows]


def _split_top(s: str, sep: str) -> list[str]:
    """``s`` split at ``sep`` outside braces and environments."""
    out, depth, start, k = [], 0, 0, 0
    while k < len(s):
        if s.startswith(r"\begin{", k):
            depth += 1
        elif s.startswith(r"\end{", k):
            depth -= 1
        elif s[k] == "{" and (k == 0 or s[k - 1] != "\\"):
            depth += 1
        elif s[k] == "}" and (k == 0 or s[k - 1] != "\\"):
            depth -= 1
        elif depth == 0 and s.startswith(sep, k):
            out.append(s[start:k])
            k += len(sep)
            start = k
            continue
        k += 1
    out.append(s[start:])
    return out


def _tex_width(s: str) -> int:
    """About how many characters wide ``s`` (math LaTeX) prints: a matrix counts its widest row,
    a command one symbol, braces and script markers nothing."""

    def matrix(m: re.Match) -> str:
        rows = m.group(1).split(r"\\")
        return "M" * (2 + max(sum(_tex_width(c) + 1 for c in r.split("&")) for r in rows))

    s = re.sub(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", matrix, s)
    s = s.replace(r"\qquad", "MMMM").replace(r"\quad", "MM").replace(r"\text{", "{")
    s = re.sub(r"\\[a-zA-Z]+", "M", s)
    return len(re.sub(r"[{}_^ $]", "", s))


def _table_at(lines: list[list], i: int) -> list[str] | None:
    """The column-aligned text lines starting at ``i`` (three or more, three or more columns), or None."""
    block: list[str] = []
    for line in lines[i:]:
        if len(line) != 1 or not isinstance(line[0], str) or len(re.findall(r"\S {2,}(?=\S)", line[0])) < 2:
            break
        block.append(line[0])
    if len(block) < 3 or len(_gutters(block)) < 2:
        return None
    return block


def _gutters(block: list[str]) -> list[tuple[int, int]]:
    """Runs of two or more columns blank in every line, between the first and last text."""
    width = max(len(r) for r in block)
    grid = [r.ljust(width) for r in block]
    blank = [all(r[c] == " " for r in grid) for c in range(width)]
    left = min(len(r) - len(r.lstrip()) for r in block)
    out, c = [], left
    while c < width:
        if blank[c]:
            d = c
            while d < width and blank[d]:
                d += 1
            if d - c >= 2 and d < width:
                out.append((c, d))
            c = d
        else:
            c += 1
    return out


def _latex_table(block: list[str]) -> str:
    width = max(len(r) for r in block)
    grid = [r.ljust(width) for r in block]
    cuts = _gutters(block)
    left = min(len(r) - len(r.lstrip()) for r in block)
    bounds = [left] + [c for gap in cuts for c in gap] + [width]
    rows = [[r[bounds[k]:bounds[k + 1]].strip() for k in range(0, len(bounds), 2)] for r in grid]
    cells = [[convert_line([c], math=lambda m: f"${m}$", text=latex_escape_text) if c else "" for c in row]
             for row in rows]
    head = rows[0]
    header = any(c and not _is_number(c.replace("−", "-").lstrip("-")) for c in head) and all(
        not c or _is_number(c.replace("−", "-").lstrip("-")) or c.startswith("[") for c in rows[-1])
    lines = [" & ".join(row) + r" \\" for row in cells]
    if header:
        lines[0] += r" \hline"
    return ("\\begin{center}\n\\adjustbox{max width=\\linewidth}{\\begin{tabular}{" + "r" * len(rows[0]) + "}\n"
            + "\n".join(lines) + "\n\\end{tabular}}\n\\end{center}")


MD_SPECIAL = set("\\`*_<$")


def md_escape(s: str) -> str:
    return "".join("\\" + ch if ch in MD_SPECIAL else ch for ch in s)


def markdown_lines(lines: list[list]) -> str:
    out = []
    for line in lines:
        s = convert_line(line, math=lambda m: f"${m}$", text=md_escape).strip()
        out.append(s)
    return "\n".join(out)


def latex_text(text: str) -> str:
    """Rendered text (a title, a worked step) as LaTeX."""
    return latex_lines(text_lines(text))


def markdown_text(text: str) -> str:
    return markdown_lines(text_lines(text))


# ----------------------------------------------------------------------------
# Answer-language formulas in bank prose.
#
# Derivation prompts state their claim in the answer language ("Derive d/dxi(sigma(xi)) = h(1 - h)",
# "Given: h = sigma(xi)"), since that is what a student types.  The heuristics above would set half of
# such a formula as math and half as words; instead each formula is parsed with the answer language's
# own parser (never evaluated) and printed as LaTeX from its tree, in the notes' notation: the names
# come from the prompt's own glossary ("Type σ as sigma, ξ as xi"), or from the usual reading of a
# name (yhat1 is ŷ₁, W1 is W₁).  Text that does not parse is kept verbatim (\texttt, `code`).
# ----------------------------------------------------------------------------
class Formula(Value):
    """An answer-language formula, as LaTeX math (``value``) and as written in the bank (``text``)."""

    __slots__ = ("text", "display")

    def __init__(self, latex: str, text: str, display: bool = False):
        super().__init__(latex, "tex")
        self.text, self.display = text, display

    @property
    def is_text(self) -> bool:
        return False


class Verbatim(Value):
    """Answer-language text shown as typed (``\\texttt``, Markdown code): what a student types."""

    __slots__ = ()

    def __init__(self, text: str):
        super().__init__(text, "code")


class Notation:
    """How a family's prose names its symbols: ``names`` (answer-language name -> LaTeX) from the
    prompt's glossary, and whether a numbered name is the notes' layer index (``ξ⁽¹⁾`` for xi1, as
    when the glossary says so) or a subscript (``W₁`` for W1)."""

    def __init__(self, names: dict[str, str] | None = None, layer_index: bool = False):
        self.names = dict(names or {})
        self.layer_index = layer_index


#: Sentences and clauses that tell a student how to type, which a paper exam has no use for.
_TYPE_SENTENCE = re.compile(r"(:\s*)?(?<![\w(])(?:Type |type |Names to type:).*?\.(?=\s|$)", re.S)
_TYPED_CLAUSE = re.compile(r",\s*typed\s+\S+?(?=[.;]?(?:\s|$))")
_TOOL_REMARK = re.compile(r"\s*\([^()]*\b(?:checker|grader)\b[^()]*\)")
_EQUALS_LINE = re.compile(r";\s*a line may start with '='")
_TYPE_WORD = re.compile(r"\(type (?=\w)")
#: How to type an array or a matrix expression ("write [a, b] for one row, …", "Write a transpose as
#: W2' (or W2ᵀ), ⊙ as ⊙, .* or odot, …"): on paper a student writes matrices by hand.
_ARRAY_SYNTAX = re.compile(r"(?::\s*)?\s*(?:[Ww]rite \[a, b\]|Write a transpose as).*?\.(?=\s|$)", re.S)
_GLOSSARY_ITEM = re.compile(r"(\S+?) as ([A-Za-z][\w']*)(?=[,;.)]|\s\(|\s+and\s|$)")
_NAMES_ITEM = re.compile(r"([A-Za-z]\w*) = ([^,;]+?)(?= \(|,|;|$)")
_NUMBERED = re.compile(r"^([A-Za-z]+?)(\d+)$")
_SPELLED_GREEK = {name: ch for ch, name in __import__("nncheck.lang.syntax", fromlist=["GREEK"]).GREEK.items()}


def paper_wording(text: str) -> str:
    """Bank prose made fit for a paper exam: instructions on how to type an answer dropped ("Type σ as
    sigma, …", ", typed d/dW1(L)", "a line may start with '='"), "(type none if …)" as "(write none if …)"."""
    # "…scalar (1-D): type w̄₁h as w1 h." keeps its sentence, now ending at the colon.
    text = _TYPE_SENTENCE.sub(lambda m: "." if m.group(1) else "", text)
    text = _TYPED_CLAUSE.sub("", text)
    text = _TOOL_REMARK.sub("", text)
    text = _EQUALS_LINE.sub("", text)
    # "Answers with one row per example: write [a, b] for …" keeps its first clause as a sentence.
    text = _ARRAY_SYNTAX.sub(lambda m: "." if m.group(0).lstrip().startswith(":") else "", text)
    return _TYPE_WORD.sub("(write ", text)


def notation_of(prompt: str) -> Notation:
    """The glossary of a family's prompt (``Type σ as sigma, ξ⁽¹⁾ as xi1``; ``Names to type: dLdh_t =
    dL/dh[t]``): each typed name with the notes' notation for it, as LaTeX."""
    names: dict[str, str] = {}
    layer = False
    for m in re.finditer(r"(?:Type |type |Names to type:)([^.]*)", prompt):
        body = m.group(1).replace("\n", " ")
        if m.group(0).startswith("Names"):
            pairs = [(typed, notes.strip()) for typed, notes in _NAMES_ITEM.findall(body)]
        else:
            pairs = [(typed, notes) for notes, typed in _GLOSSARY_ITEM.findall(body)]
        for typed, notes in pairs:
            if typed.endswith("'") and notes.endswith("ᵀ"):  # W⁽²⁾ᵀ as W2': the name is W⁽²⁾
                typed, notes = typed[:-1], notes[:-1]
            if not re.fullmatch(r"[A-Za-z]\w*", typed) or typed in _SPELLED_GREEK or typed == notes:
                continue
            names[typed] = _math_of(notes)
            num = _NUMBERED.match(typed)
            if num and notes.endswith("⁾"):
                layer = True
    return Notation(names, layer)


def _math_of(text: str) -> str:
    """Notes' notation (``ξ⁽¹⁾``, ``dL/dh[t]``, ``ŷ_k``) as LaTeX math, however short; a derivative in
    Leibniz notation as a fraction."""
    m = re.fullmatch(r"([d∂]\w+)/([d∂].+)", text)
    if m:
        return r"\frac{" + _math_of(m.group(1)) + "}{" + _math_of(m.group(2)) + "}"
    m = re.fullmatch(r"([d∂])([A-Za-z])(\W.*)?", text)
    if m:  # dh[t]: the differential d, then h[t]
        return latex_escape_math(m.group(1)) + m.group(2) + (_math_of(m.group(3)) if m.group(3) else "")
    return _latex_of(_classify(_expand([text])))


def name_latex(name: str, notation: Notation) -> str:
    """An answer-language name as the notes write it: the glossary's notation, else ``xi`` as ξ,
    ``yhat1`` as ŷ₁, ``W1`` as W₁ (or W⁽¹⁾ in a family that numbers layers), ``c_t`` as c_t."""
    if name in notation.names:
        return notation.names[name]
    m = re.fullmatch(r"d([A-Za-z])d([A-Za-z]\w*)", name)
    if m:  # dLdc_t, the answer language's spelling of dL/dc[t]
        return r"\frac{d" + name_latex(m.group(1), notation) + "}{d" + name_latex(m.group(2), notation) + "}"
    if "_" in name.strip("_"):
        base, _, sub = name.partition("_")
        return "{" + name_latex(base, notation) + "}_{" + _index_latex(sub) + "}"
    if name in _SPELLED_GREEK:
        return GREEK[_SPELLED_GREEK[name]]
    if name in ("e", "pi"):
        return {"e": "e", "pi": r"\pi"}[name]
    m = re.fullmatch(r"([A-Za-z]|[a-z]+?)(hat|bar)([0-9]+|[a-z])?", name)
    if m and (len(m.group(1)) == 1 or m.group(1) in _SPELLED_GREEK):
        body = "\\" + m.group(2) + "{" + name_latex(m.group(1), notation) + "}"
        return body + ("_{" + m.group(3) + "}" if m.group(3) else "")
    m = _NUMBERED.match(name)
    if m and (len(m.group(1)) == 1 or m.group(1) in _SPELLED_GREEK):
        base = name_latex(m.group(1), notation)
        return base + ("^{(" + m.group(2) + ")}" if notation.layer_index else "_{" + m.group(2) + "}")
    if len(name) == 1:
        return name
    return r"\mathrm{" + name + "}"


def _index_latex(sub: str) -> str:
    return sub if len(sub) == 1 or sub.isdigit() else r"\mathrm{" + sub + "}"


#: Functions of the answer language as the notes write them.
_CALLS = {"sigma": r"\sigma", "tanh": r"\tanh", "ln": r"\ln", "log": r"\log", "max": r"\max", "min": r"\min",
          "relu": r"\operatorname{ReLU}", "sech": r"\operatorname{sech}", "sigma'": r"\dot{\sigma}",
          "tanh'": r"\tanh'", "relu'": r"\operatorname{ReLU}'", "exp": r"\exp"}
#: Binding strength of a printed node: atoms 10, powers 9, unary minus 7, products 6, ⊙ 5.5 (a matrix
#: product binds tighter, as the notes write σ̇ ⊙ W⁽²⁾ᵀδ⁽²⁾), sums 5, relations 4.
_TEX_PREC = {"+": 5.0, "-": 5.0, "⊙": 5.5, "*": 6.0, "/": 6.0, "^": 9.0}


def formula_latex(text: str, notation: Notation | None = None, *, matrix: bool = False) -> str | None:
    """Answer-language ``text`` (a formula from bank prose) as LaTeX math, or None when it does not
    parse.  Parsed by :mod:`nncheck.lang.syntax` and printed from the tree: nothing is evaluated."""
    from nncheck.lang import syntax
    from nncheck.lang.walk import fold

    notation = notation or Notation()
    try:
        tree = syntax.parse(text, symbols=None, relations=True, equations=True, derivatives=True, matrix=matrix)
    except syntax.AnswerSyntaxError:
        return None

    def wrap(kid: tuple[str, float, object], prec: float, right: bool = False) -> str:
        s, p, _n = kid
        return s if p > prec or (p == prec and not right) else paren(s)

    def one(node, kids):  # (LaTeX, binding strength, node)
        if isinstance(node, syntax.Num):
            s = latex_number(node.value)
            return s, 10.0 if not s.startswith("-") else 7.0, node
        if isinstance(node, syntax.Name):
            return name_latex(node.name, notation), 10.0, node
        if isinstance(node, syntax.Word):
            return r"\text{" + latex_escape_text(node.word) + "}", 10.0, node
        if isinstance(node, syntax.Unary):
            return "-" + wrap(kids[0], 7.0), 7.0, node
        if isinstance(node, syntax.Transpose):
            m = re.fullmatch(r"([A-Za-z]|\\[a-z]+)\^\{([^{}]*)\}", kids[0][0])
            if re.fullmatch(r"[A-Za-z]", kids[0][0]):
                return kids[0][0] + r"^{\top}", 10.0, node
            if m:  # W⁽²⁾ᵀ as the notes write it, W^{(2)⊤}
                return m.group(1) + "^{" + m.group(2) + r"\top}", 10.0, node
            return "{" + wrap(kids[0], 9.0) + r"}^{\top}", 10.0, node
        if isinstance(node, syntax.Derivative):
            return _derivative_latex(node, kids[0], notation, matrix), 8.0, node
        if isinstance(node, syntax.Call):
            return _call_latex(node.func, [k[0] for k in kids]), 10.0, node
        if isinstance(node, (syntax.Vector, syntax.Matrix)):
            rows = [[k[0] for k in kids]] if isinstance(node, syntax.Vector) else \
                [[k[0] for k in kids[r * node.shape[1]:(r + 1) * node.shape[1]]] for r in range(node.shape[0])]
            return latex_matrix(rows if isinstance(node, syntax.Matrix) else [[x] for x in rows[0]]), 10.0, node
        if isinstance(node, syntax.Relation):
            ops = {"=": "=", "<": "<", "<=": r"\le", ">": ">", ">=": r"\ge", "!=": r"\ne"}
            out = kids[0][0]
            for op, kid in zip(node.ops, kids[1:]):
                out += f" {ops.get(op, op)} " + kid[0]
            return out, 4.0, node
        if isinstance(node, syntax.BinOp):
            prec = 10.0 if node.op == "/" else _TEX_PREC.get(node.op, 5.0)
            return _binop_latex(node.op, kids[0], kids[1], wrap), prec, node
        return r"\text{" + latex_escape_text(syntax.to_text(node)) + "}", 10.0, node

    return fold(tree, one)[0]


def _call_latex(func: str, args: list[str]) -> str:
    if func == "sqrt":
        return r"\sqrt{" + args[0] + "}"
    if func == "abs":
        return r"\left|" + args[0] + r"\right|"
    if func == "exp" and r"\frac" not in args[0] and len(args[0]) <= 24:
        return "e^{" + args[0] + "}"
    name = _CALLS.get(func, r"\operatorname{" + latex_escape_text(func) + "}")
    return name + paren(", ".join(args))


def paren(s: str) -> str:
    """``s`` in brackets, grown to its height only when it holds something tall (a fraction)."""
    tall = any(t in s for t in (r"\frac", r"\sum", r"\begin", r"\nabla"))
    return r"\left(" + s + r"\right)" if tall else "(" + s + ")"


def _binop_latex(op: str, a: tuple, b: tuple, wrap) -> str:
    """A binary operation; a quotient as a fraction, whose bar groups it as brackets would."""
    if op == "/":
        return r"\frac{" + a[0] + "}{" + b[0] + "}"
    from nncheck.lang import syntax

    if op == "^":
        node = a[2]
        if isinstance(node, syntax.Call) and node.func in ("tanh", "sigma", "ln", "log", "sech"):
            head = _CALLS[node.func]  # tanh(ξ)² as the notes write it, tanh²(ξ)
            return head + "^{" + b[0] + "}" + a[0][len(head):]
        return "{" + wrap(a, 9.0) + "}^{" + b[0] + "}"
    if op == "*":
        left, right = wrap(a, 6.0), wrap(b, 6.0, True)
        # Juxtaposition, as the notes write a product; a dot where two numbers would run together.
        if right[:1].isdigit() or right.startswith("-"):
            sep = r" \cdot "
        elif isinstance(a[2], syntax.Num) or right.startswith(r"\left(") or right.startswith(r"\frac"):
            sep = " "  # 2P, h(1 − h)
        else:
            sep = r"\, "
        return left + sep + right
    sym = {"+": " + ", "-": " - ", "⊙": r" \odot "}.get(op, " " + op + " ")
    return wrap(a, _TEX_PREC.get(op, 5.0)) + sym + wrap(b, _TEX_PREC.get(op, 5.0), True)


def _derivative_latex(node, kid: tuple, notation: Notation, matrix: bool) -> str:
    """``d/dx(f)``: the gradient ∇ₓf in a vector-form derivation; else df/dx, or ∂f/∂x when f has
    other variables too (a partial derivative)."""
    from nncheck.lang import syntax

    var = name_latex(node.var, notation)
    if matrix:
        return r"\nabla_{" + var + "}" + (kid[0] if kid[1] >= 10 else paren(kid[0]))
    others = syntax.names_in(node.expr) - {node.var}
    d = r"\partial " if others or isinstance(node.expr, syntax.Name) else "d"
    if kid[1] >= 10 and len(kid[0]) <= 16:
        return r"\frac{" + d + kid[0] + "}{" + d + var + "}"
    return r"\frac{" + d + "}{" + d + var + "}" + paren(kid[0])


_STEPS = re.compile(r"^Derive (.+?), one step per line(.*)$", re.S)
_CLAIM = re.compile(r"(?<=\bDerive )(.+?)(?=, one step per line|\.(?:\s|$)|$)", re.M)
class _Example:
    """An example answer in the prose ("closed forms such as ln(2) are fine", "e.g. -(ln(4/5) + ln(1/2))/2."):
    after "such as" or "e.g.", to the end of the sentence, a comma, a bracket it does not open, or the
    verb after it."""

    class Match:
        def __init__(self, text: str, start: int, end: int):
            self._text, self._start, self._end = text, start, end

        def start(self) -> int:
            return self._start

        def end(self) -> int:
            return self._end

        def group(self, _k: int = 0) -> str:
            return self._text[self._start:self._end]

    def finditer(self, text: str):
        for m in re.finditer(r"\b(?:such as|e\.g\.) ", text):
            depth, k = 0, m.end()
            while k < len(text):
                ch = text[k]
                depth += ch == "("
                if ch == ")":
                    depth -= 1
                    if depth < 0:
                        break
                if depth == 0 and (ch in ",;\n" or (ch == "." and (k + 1 == len(text) or text[k + 1].isspace()))
                                   or re.match(r" (?:are|is)\b", text[k:])):
                    break
                k += 1
            if k > m.end():
                yield self.Match(text, m.end(), k)


_EXAMPLE = _Example()
_BALANCED = r"(?:[^;()\n]|\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\))+"
_START = re.compile(r"(?<=\bstart from )" + _BALANCED + r"|(?<=\bbegin with )" + _BALANCED)
_GIVEN = re.compile(r"(?<=\bGiven: )([\s\S]+?)(?=\.\s|\.?\Z)")
#: What a typing instruction says to type: "σ as sigma", "(or odot, or .*)", "typed d/dW1(L)", and the
#: names of "Names to type: dLdh_t = dL/dh[t], …".
_TYPED = re.compile(r"(?:(?<= as )|(?<= is )|(?<=\(or )|(?<=, or )|(?<=typed ))"
                    r"(?:[^\s,;()]|\([^()]*\))+?(?=[.;]?(?:[\s,)]|$))(?! are\b)"
                    r"|(?:(?<=Names to type: )|(?<=, )|(?<=\n))[A-Za-z]\w*(?= = )"
                    r"|(?:(?<=\()|(?<=, ))[A-Za-z]\w*(?=[,)])")


def prose_lines(variant, template: str, *, paper: bool, formulas: bool, notation: Notation | None = None,
                matrix: bool = False, claim: bool = False) -> list[list]:
    """:func:`template_lines` with the answer-language formulas of a derivation's prose (where it starts,
    its "Given:" list; ``formulas``; and, in a derivation part's prompt, ``claim``, the identity to
    derive, set as a display under its instructions) as :class:`Formula` segments, the examples of
    closed forms as math, and the typing instructions dropped (``paper``) or shown verbatim."""
    flat: list = []
    for k, line in enumerate(template_lines(variant, template)):
        for seg in (["\n"] if k else []) + line:
            if (isinstance(seg, str) or (isinstance(seg, Value) and isinstance(seg.value, str))) and flat and \
                    isinstance(flat[-1], str):
                flat[-1] += seg if isinstance(seg, str) else seg.value
            else:
                flat.append(seg if not (isinstance(seg, Value) and isinstance(seg.value, str)) else seg.value)
    notation = notation or Notation()
    out: list = []
    for seg in flat:
        if not isinstance(seg, str):
            out.append(seg)
            continue
        text = paper_wording(seg) if paper else seg
        pieces: list = [text]
        steps = _STEPS.match(text) if claim else None
        shown = formula_latex(steps.group(1), notation, matrix=matrix) if steps else None
        if steps and shown is not None:
            # "Derive A = B, one step per line (start from A)": the identity displayed under the instructions.
            pieces = ["Derive the identity below, one step per line" + steps.group(2).rstrip(".") + ":\n",
                      Formula(shown, steps.group(1), display=True)]
        elif claim:
            pieces = _split(pieces, _CLAIM, lambda t: _formula_or_verbatim(t, notation, matrix, verbatim=True))
        pieces = _split(pieces, _EXAMPLE, lambda t: _formula_or_verbatim(t, notation, False, verbatim=False)
                        if re.search(r"[\d(/]", t) else None)
        if claim:
            pieces = _split(pieces, _START, lambda t: _formula_or_verbatim(t, notation, matrix, verbatim=True))
        if formulas:
            pieces = _split(pieces, _GIVEN, lambda t: _given(t, notation, matrix))
            if not paper:
                pieces = _split(pieces, _TYPED, lambda t: [Verbatim(t)], within=_typing_sentences)
        out.extend(pieces)
    lines: list[list] = [[]]
    for seg in out:
        if isinstance(seg, str):
            first, *rest = seg.split("\n")
            if first:
                lines[-1].append(first)
            for more in rest:
                lines.append([more] if more else [])
        else:
            lines[-1].append(seg)
    return lines


def _typing_sentences(text: str) -> list[tuple[int, int]]:
    spans = [(m.start(), m.end()) for m in re.finditer(r"(?:Type |type |Names to type:).*?(?:\.(?=\s|$)|$)", text,
                                                      re.S)]
    return spans + [(m.start(), m.end()) for m in _TYPED_CLAUSE.finditer(text)]


def _split(pieces: list, pattern: re.Pattern | _Example, convert, within=None) -> list:
    """``pieces`` with each text match of ``pattern`` (inside the spans ``within`` gives, if any)
    replaced by the segments ``convert`` returns for it (None: left as text)."""
    out: list = []
    for piece in pieces:
        if not isinstance(piece, str):
            out.append(piece)
            continue
        spans = within(piece) if within else None
        pos = 0
        for m in pattern.finditer(piece):
            if spans is not None and not any(a <= m.start() and m.end() <= b for a, b in spans):
                continue
            segs = convert(m.group(0))
            if segs is None:
                continue
            out.append(piece[pos:m.start()])
            out.extend(segs)
            pos = m.end()
        out.append(piece[pos:])
    return [p for p in out if not (isinstance(p, str) and not p)]


def _formula_or_verbatim(text: str, notation: Notation, matrix: bool, *, verbatim: bool) -> list | None:
    """One formula: as math, or verbatim when it does not parse (``dLdc_t = …`` keeps its ellipsis)."""
    body, tail = text.strip(), ""
    if body.endswith("= …"):
        body, tail = body[:-3].rstrip(), r" = \ldots"
    tex = formula_latex(body, notation, matrix=matrix)
    if tex is not None:
        return [Formula(tex + tail, text)]
    return [Verbatim(text)] if verbatim else None


def _given(text: str, notation: Notation, matrix: bool) -> list | None:
    """A "Given:" list: its formulas as math, separated by its words (", ", " and ", a remark in
    brackets, "for k = 1, 2, 3"); None when no item parses."""
    parts = re.split(r"(,\s+and\s+|,\s+|\s+and\s+|\s+for\s+|\s+\([^()]*\))", " ".join(text.split()))
    out: list = []
    found = False
    for k, part in enumerate(parts):
        if k % 2 or not part.strip():
            out.append(part)
            continue
        tex = formula_latex(part, notation, matrix=matrix)
        if tex is None:
            out.append(part)
            continue
        if part.strip().isdigit() and len(out) >= 2 and isinstance(out[-2], Formula):
            prev = out[-2]  # k = 1, 2, 3: the list continues the formula before it
            out[-2:] = [Formula(prev.value + ", " + tex, prev.text + out[-1] + part)]
            continue
        found = True
        out.append(Formula(tex, part))
    return out if found else None
