"""A LaTeX document (homework from Overleaf, the course notes) → the lines of a derivation.

Only display math is read: ``equation``, ``align``, ``gather``, ``multline``, ``flalign``,
``alignat``, ``eqnarray`` (starred or not), ``split``/``aligned``/``gathered`` inside them,
``\\[ … \\]`` and ``$$ … $$``.  Prose, inline ``$…$`` math, the preamble and ``%`` comments
are skipped, so a macro defined there is never expanded (using it in math is an unknown
command, with a caret).  Inside a block:

* ``\\\\`` ends a row; a row that starts with ``&=`` continues the one above
  (``= …`` in the plain format), as does a new line starting with ``=`` in a block without
  ``\\\\`` (the ECE 417 exam review prints its BCE gradient that way);
* ``&`` marks alignment (in ``align`` every second ``&`` starts a new column: a new equation);
* ``\\quad``/``\\qquad`` and ``\\text{…}`` remarks (``\\text{ since } …``, ``\\text{(chain rule)}``)
  separate two statements of one row; ``\\label``, ``\\tag``, ``\\nonumber`` are dropped;
  a trailing ``,`` or ``.`` is punctuation;
* a row that starts with ``+`` (or ``&-``, ``\\cdot`` …) is the previous row wrapped, and a
  row that ends with ``=`` goes on in the next.

Each statement is read by the transformer and printed in the plain language, so the
derivation checker reads LaTeX homework exactly as it reads a plain file.  Every
:class:`MathLine` remembers where each character came from, so errors found later, on the
plain text, still get their caret under the LaTeX source.
"""

from __future__ import annotations

import re

from nncheck.lang.latex import grammar
from nncheck.lang.latex.transformer import _function_of_word, _is_ident, map_position, to_node
from nncheck.lang.syntax import MAX_LENGTH, AnswerSyntaxError, Node, to_text

#: Characters of one document (prose included; scanning is linear, ~1 s at the limit).
MAX_DOCUMENT_CHARS = 200_000
#: Steps (statements) of one document, as a plain derivation's lines are bounded.
MAX_STEPS = 200
#: Characters of math in all the steps (a plain derivation has 40,000; LaTeX is wordier).
MAX_MATH_CHARS = 80_000
#: Rows, columns and remarks before wrapped rows are merged: far more than any real
#: document, checked while scanning so that a flood of ``\quad`` stops early.
MAX_PIECES = 10 * MAX_STEPS

_TOKEN = re.compile(r"\\begin\s*\{([^{}]*)\}|\\\[|\\\(|\$\$|\$|\\.", re.S)
_ALIGN_LIKE_EXCEPT = frozenset({"eqnarray", "eqnarray*"})  # "a &=& b": every & is alignment
_OPERATOR_START = ("+", "*", "\\cdot", "\\times", "\\odot", "\\ast")


class MathLine:
    """One step of the document, read: its ``.tex`` line, its plain text, or its error.

    ``text`` is the plain line ("A = B", or "= B" for a continuation), ready for the
    derivation reader; empty when ``error`` is set (an :class:`AnswerSyntaxError` whose
    ``text`` is the ``.tex`` source line, so that its caret shows the LaTeX).
    """

    __slots__ = ("number", "text", "latex", "error", "continuation", "node", "_offsets", "_source")

    def __init__(self, number: int, latex: str, offsets: list[int], source: str, continuation: bool):
        self.number = number  # 1-based line of the .tex where the statement starts
        self.latex = latex  # the statement as read (remarks, labels and '&' dropped)
        self.text = ""
        self.error: AnswerSyntaxError | None = None
        self.continuation = continuation
        self.node: Node | None = None  # the tree, positions in ``latex``
        self._offsets = offsets  # latex[i] came from source[offsets[i]]
        self._source = source

    def __repr__(self) -> str:
        return f"MathLine({self.number}, {self.text or self.error!r})"

    def _doc_offset(self, pos: int) -> int:
        if not self._offsets:
            return 0
        return self._offsets[min(max(pos, 0), len(self._offsets) - 1)] + (1 if pos >= len(self._offsets) else 0)

    def source_position(self, plain_pos: int) -> tuple[int, int]:
        """(line, column) in the ``.tex`` of the character ``plain_pos`` of ``text``, both from 1."""
        return _line_col(self._source, self._doc_offset(self._latex_pos(plain_pos)))

    def _latex_pos(self, plain_pos: int) -> int:
        if self.node is None:
            return 0
        lead = 2 if self.continuation else 0
        body = self.text[lead:]
        return map_position(self.node, body, max(0, plain_pos - lead), self.latex)

    def map_error(self, err: AnswerSyntaxError) -> AnswerSyntaxError:
        """An error found on ``text`` (by the plain reader), as an error on the ``.tex`` line."""
        return _error_at(self._source, self._doc_offset(self._latex_pos(err.pos)), err.message, err.code)


class LatexDocument:
    """The plain derivation text read from a document, and the way back to the source.

    ``text`` puts each step on the plain line with the number of its ``.tex`` line where
    it can (blank lines pad the gaps), so the checker's line numbers are the document's.
    Steps that share a ``.tex`` line: a continuation joins the chain on that line
    (``A = B = C`` is the same steps as ``A = B`` then ``= C``); another equation goes on
    the next free line, and :meth:`line_of` gives its ``.tex`` line.  A step that could
    not be read appears as its LaTeX, which the plain reader always refuses (a ``\\`` is put
    in front if it has none); ``errors`` holds the LaTeX error to show instead.
    """

    def __init__(self, lines: list[MathLine]):
        self.lines = lines
        self.origin: dict[int, list[tuple[int, MathLine]]] = {}  # plain line -> [(offset in it, MathLine)]
        self.errors: dict[int, AnswerSyntaxError] = {}
        out: dict[int, str] = {}
        cur = 0
        for ml in lines:
            plain = ml.text if ml.error is None else _unreadable(ml.latex)
            joinable = (ml.continuation and ml.error is None and cur in out and cur not in self.errors
                        and ml.number <= cur)
            if joinable:
                offset = len(out[cur]) + 1
                out[cur] += " " + plain
                self.origin[cur].append((offset, ml))
                continue
            cur = max(cur + 1, ml.number)
            out[cur] = plain
            self.origin[cur] = [(0, ml)]
            if ml.error is not None:
                self.errors[cur] = ml.error
        self.text = "\n".join(out.get(k, "") for k in range(1, cur + 1)) + ("\n" if cur else "")

    def line_of(self, plain_line: int) -> int:
        """The ``.tex`` line of a line of ``text`` (as numbered by the derivation reader)."""
        parts = self.origin.get(plain_line)
        return parts[0][1].number if parts else plain_line

    def map_error(self, plain_line: int, err: AnswerSyntaxError) -> AnswerSyntaxError:
        """An error the plain reader raised on line ``plain_line`` of ``text``, moved to the ``.tex``."""
        if plain_line in self.errors:
            return self.errors[plain_line]
        parts = self.origin.get(plain_line)
        if not parts:
            return err
        offset, ml = parts[0]
        for off, m in parts:
            if off <= err.pos:
                offset, ml = off, m
        moved = AnswerSyntaxError(err.message, err.pos - offset, ml.text, code=err.code)
        return ml.map_error(moved)


def _unreadable(latex: str) -> str:
    """A step the LaTeX reader refused, as a line the plain reader refuses too (never as something
    it might read differently: TeX's ``x^23`` is x²·3, plain ``x^23`` would be x to the 23)."""
    flat = " ".join(latex.split())
    return flat if any(m in flat for m in "\\{}$") else "\\ " + flat


# ----------------------------------------------------------------------------
# Source positions.
# ----------------------------------------------------------------------------
def _line_col(source: str, offset: int) -> tuple[int, int]:
    line = source.count("\n", 0, offset) + 1
    start = source.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


def _error_at(source: str, offset: int, message: str, code: str) -> AnswerSyntaxError:
    """An error whose text is the ``.tex`` line holding ``offset`` (its caret shows the LaTeX)."""
    offset = max(0, min(offset, len(source)))
    start = source.rfind("\n", 0, offset) + 1
    end = source.find("\n", offset)
    end = len(source) if end < 0 else end
    return AnswerSyntaxError(message, offset - start, source[start:end], code=code)


def _strip_comments(tex: str) -> str:
    """``tex`` with every ``%`` comment blanked out (same length, so offsets still hold)."""
    out = list(tex)
    i, n = 0, len(tex)
    while i < n:
        c = tex[i]
        if c == "\\":
            i += 2  # \% is a percent sign, \\% a line break then a comment
            continue
        if c == "%":
            j = tex.find("\n", i)
            j = n if j < 0 else j
            out[i:j] = " " * (j - i)
            i = j
            continue
        i += 1
    return "".join(out)


# ----------------------------------------------------------------------------
# Blocks.
# ----------------------------------------------------------------------------
class _Block:
    """A display block: its environment, its content's span, and whether a new line ends a row
    (in bare math typed as an answer, as in the plain format; in a document only ``\\\\`` does)."""

    __slots__ = ("env", "lo", "hi", "newline_rows")

    def __init__(self, env: str, lo: int, hi: int, newline_rows: bool = False):
        self.env, self.lo, self.hi, self.newline_rows = env, lo, hi, newline_rows


def _find_unescaped(text: str, what: str, start: int) -> int:
    i = text.find(what, start)
    while i > 0:
        k = i - 1
        while k >= 0 and text[k] == "\\":
            k -= 1
        if (i - 1 - k) % 2 == 0:
            return i
        i = text.find(what, i + 1)
    return i


def _blocks(clean: str, source: str) -> tuple[list[_Block], list[MathLine]]:
    """The display-math blocks of a document, and an error line for each one never closed."""
    blocks: list[_Block] = []
    broken: list[MathLine] = []
    i = 0

    def unclosed(pos: int, what: str, end: str) -> None:
        ml = MathLine(_line_col(source, pos)[0], clean[pos:pos + len(what)], [pos], source, False)
        ml.error = _error_at(source, pos, f"{what} is never closed (no {end})", "syntax")
        broken.append(ml)

    while True:
        m = _TOKEN.search(clean, i)
        if m is None:
            break
        tok = m.group(0)
        if tok.startswith("\\begin"):
            env = m.group(1).strip()
            end_tag = "\\end{" + env + "}"
            if env in grammar.DISPLAY_ENVIRONMENTS or env in grammar.VERBATIM_ENVIRONMENTS:
                close = clean.find(end_tag, m.end())
                if close < 0:
                    if env in grammar.DISPLAY_ENVIRONMENTS:
                        unclosed(m.start(), f"\\begin{{{env}}}", end_tag)
                    break
                if env in grammar.DISPLAY_ENVIRONMENTS:
                    lo = m.end()
                    if env.startswith("alignat"):  # \begin{alignat}{2}: the column count
                        lo = _skip_braced(clean, lo)
                    blocks.append(_Block(env, lo, close))
                i = close + len(end_tag)
            else:
                i = m.end()
        elif tok == "\\[":
            close = clean.find("\\]", m.end())
            if close < 0:
                unclosed(m.start(), "\\[", "\\]")
                break
            blocks.append(_Block("displaymath", m.end(), close))
            i = close + 2
        elif tok == "$$":
            close = _find_unescaped(clean, "$$", m.end())
            if close < 0:
                unclosed(m.start(), "$$", "$$")
                break
            blocks.append(_Block("displaymath", m.end(), close))
            i = close + 2
        elif tok == "$":  # inline math is prose's: skipped
            close = _find_unescaped(clean, "$", m.end())
            i = len(clean) if close < 0 else close + 1
        elif tok == "\\(":
            close = clean.find("\\)", m.end())
            i = len(clean) if close < 0 else close + 2
        else:
            i = m.end()
    return blocks, broken


def _skip_braced(text: str, i: int) -> int:
    j = i
    while j < len(text) and text[j].isspace():
        j += 1
    if j < len(text) and text[j] == "{":
        k = text.find("}", j)
        return len(text) if k < 0 else k + 1
    return i


# ----------------------------------------------------------------------------
# Statements.
# ----------------------------------------------------------------------------
class _Piece:
    """A statement being collected: spans of the source, and how it began."""

    __slots__ = ("spans", "start", "lead_amp", "filled", "has_relation")

    def __init__(self, start: str):
        self.spans: list[list[int]] = []
        self.start = start  # "row" | "column" | "quad" | "newline"
        self.lead_amp = False  # the row began with '&' (an aligned, wrapped line)
        self.filled = False  # holds something besides blanks
        self.has_relation = False  # holds an '=' outside braces and brackets

    def add(self, i: int) -> None:
        if self.spans and self.spans[-1][1] == i:
            self.spans[-1][1] = i + 1
        else:
            self.spans.append([i, i + 1])

    def text(self, clean: str) -> tuple[str, list[int]]:
        chars: list[str] = []
        offsets: list[int] = []
        for k, (a, b) in enumerate(self.spans):
            if k:
                chars.append(" ")
                offsets.append(a)
            chars.append(clean[a:b])
            offsets.extend(range(a, b))
        text = "".join(chars)
        # Trim blanks and trailing punctuation, keeping the offsets in step.
        lo, hi = 0, len(text)
        while lo < hi and text[lo].isspace():
            lo += 1
        while hi > lo and (text[hi - 1].isspace() or (text[hi - 1] in ",.;" and (hi < 2 or text[hi - 2] != "\\"))):
            hi -= 1
        return text[lo:hi], offsets[lo:hi]


def _command_at(clean: str, j: int, hi: int) -> str:
    k = j + 1
    while k < hi and clean[k].isalpha():
        k += 1
    if k < hi and clean[k] == "*":
        k += 1
    return clean[j + 1:k]


def _braced_end(clean: str, j: int, hi: int) -> tuple[int, int, int] | None:
    """(content start, content end, end) of ``{…}`` at or after ``j`` (spaces skipped)."""
    while j < hi and clean[j] in " \t":
        j += 1
    if j >= hi or clean[j] != "{":
        return None
    depth, k = 1, j + 1
    while k < hi and depth:
        if clean[k] == "\\":
            k += 2
            continue
        depth += {"{": 1, "}": -1}.get(clean[k], 0)
        k += 1
    return (j + 1, k - 1, k) if depth == 0 else None


def _is_remark(content: str) -> bool:
    """``\\text{…}``: a remark (``\\text{ since }``, ``\\text{(chain rule)}``) unless it is one word
    that is not a connective, used as math: ``\\text{ReLU}(x)``, ``\\text{lr} \\cdot g``."""
    word = content.strip()
    if _function_of_word(word) is not None or word in grammar.REFUSED_FUNCTIONS:
        return False
    return not _is_ident(word) or word.lower() in grammar.CONNECTIVES


def _pieces(clean: str, block: _Block) -> list[_Piece]:
    """Split one block into statements (before merging wrapped rows)."""
    lo, hi = block.lo, block.hi
    out: list[_Piece] = []
    piece = _Piece("row")
    braces = parens = envs = 0
    amps = 0  # '&' seen in this row
    every_amp_aligns = block.env in _ALIGN_LIKE_EXCEPT

    def split(start: str) -> _Piece:
        out.append(piece)
        if len(out) > MAX_PIECES:
            raise AnswerSyntaxError(f"derivation too long (more than {MAX_STEPS} steps)", 0, "", code="too-long")
        return _Piece(start)

    j = lo
    while j < hi:
        c = clean[j]
        top = braces == 0 and envs == 0
        if c == "\\":
            name = _command_at(clean, j, hi)
            if not name:  # \\ , \{ , \, …
                two = clean[j:j + 2]
                if two == "\\\\" and top:
                    piece = split("row")
                    amps = 0
                    j += 2
                    if j < hi and clean[j] == "*":
                        j += 1
                    k = j
                    while k < hi and clean[k].isspace():
                        k += 1
                    if k < hi and clean[k] == "[":  # \\[2pt]
                        close = clean.find("]", k)
                        j = hi if close < 0 or close >= hi else close + 1
                    continue
                piece.add(j)
                if j + 1 < hi:
                    piece.add(j + 1)
                piece.filled = True
                j += 2
                continue
            end = j + 1 + len(name)
            if name in ("begin", "end"):
                arg = _braced_end(clean, end, hi)
                env = clean[arg[0]:arg[1]].strip() if arg else ""
                if arg and env in grammar.INNER_ENVIRONMENTS:
                    j = arg[2]
                    if name == "begin" and env == "alignedat":
                        j = _skip_braced(clean, j)
                    continue
                envs += 1 if name == "begin" else -1
                envs = max(envs, 0)
            elif name in ("label", "tag", "tag*"):
                arg = _braced_end(clean, end, hi)
                j = arg[2] if arg else end
                continue
            elif name in ("nonumber", "notag"):
                j = end
                continue
            elif name in ("quad", "qquad") and top and parens == 0:
                piece = split("quad")
                j = end
                continue
            elif name in grammar.TEXT_WORDS and top and parens == 0:
                arg = _braced_end(clean, end, hi)
                if arg and (name == "intertext" or _is_remark(clean[arg[0]:arg[1]])):
                    piece = split("quad")
                    j = arg[2]
                    continue
            for k in range(j, end):
                piece.add(k)
            piece.filled = True
            j = end
            continue
        if c == "{":
            braces += 1
        elif c == "}":
            braces = max(braces - 1, 0)
        elif c in "([":
            parens += 1
        elif c in ")]":
            parens = max(parens - 1, 0)
        elif c == "&" and top:
            amps += 1
            if amps % 2 == 0 and not every_amp_aligns:
                piece = split("column")
            elif not piece.filled:
                piece.lead_amp = True
            j += 1
            continue
        elif c == "\n" and top and parens == 0 and piece.filled:
            k = j + 1
            while k < hi and (clean[k] in " \t&"):
                k += 1
            continues = k < hi and clean[k] == "=" and clean[k + 1:k + 2] != "="
            # A new line is a new statement when it starts with '=' (the notes' $$ … \n= … $$), in
            # bare math, or when both lines are equations: "a = b" then "c = d" would otherwise
            # read as TeX typesets them, a = b c = d, a product nobody meant.
            if continues or block.newline_rows or (piece.has_relation and _line_has_relation(clean, k, hi)):
                piece = split("row" if block.newline_rows and not continues else "newline")
                j += 1
                continue
        elif c == "=" and top and parens == 0:
            piece.has_relation = True
        piece.add(j)
        if not c.isspace():
            piece.filled = True
        j += 1
    out.append(piece)
    return out


def _line_has_relation(clean: str, k: int, hi: int) -> bool:
    """Whether the source line from ``k`` holds an '=' outside braces (before a ``\\\\``)."""
    depth = 0
    while k < hi and clean[k] != "\n":
        c = clean[k]
        if c == "\\":
            if clean[k + 1:k + 2] == "\\":
                return False
            k += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == "=" and depth == 0:
            return True
        k += 1
    return False


def _ends_with_relation(text: str) -> bool:
    t = text.rstrip()
    return t.endswith("=") or any(t.endswith("\\" + r) for r in grammar.RELATIONS)


def _statements(clean: str, block: _Block) -> list[_Piece]:
    """The block's statements, wrapped rows merged back into the statement they continue."""
    merged: list[_Piece] = []
    last = ""  # the text of the piece merged last: a merged statement ends as it does
    for p in _pieces(clean, block):
        if not p.filled:
            continue
        text, _ = p.text(clean)
        if not text:
            continue
        if merged:
            wrapped = text.startswith(_OPERATOR_START) or (
                text.startswith("-") and (p.start == "quad" or p.lead_amp))
            if _ends_with_relation(last) or wrapped:
                merged[-1].spans.extend(p.spans)
                last = text
                continue
        merged.append(p)
        last = text
    return merged


def _read_statement(piece: _Piece, clean: str, source: str, symbols) -> MathLine:
    text, offsets = piece.text(clean)
    continuation = text.startswith("=") and not text.startswith("==")
    number = _line_col(source, offsets[0])[0]
    ml = MathLine(number, text, offsets, source, continuation)
    try:
        if len(text) > MAX_LENGTH:
            raise AnswerSyntaxError(f"this step is too long ({len(text):,} characters; the limit is "
                                    f"{MAX_LENGTH:,})", MAX_LENGTH, text, code="too-long")
        lo = 1 if continuation else 0
        node = to_node(text, symbols=symbols, lo=lo)
        ml.node = node
        ml.text = ("= " if continuation else "") + to_text(node)
    except AnswerSyntaxError as e:
        ml.error = _error_at(source, ml._doc_offset(e.pos), e.message, e.code)
    return ml


def _bare_math(tex: str) -> _Block | None:
    """A text with no display block and no prose math: the whole of it is one block
    (an answer such as ``\\frac{d\\sigma}{d\\xi} &= … \\\\ &= …``, or one wrapped in ``$…$``)."""
    s = tex.strip()
    lo = len(tex) - len(tex.lstrip())
    if s.startswith("$") and not s.startswith("$$") and s.endswith("$") and len(s) > 1 \
            and _find_unescaped(s, "$", 1) == len(s) - 1:
        return _Block("align*", lo + 1, lo + len(s) - 1, newline_rows=True)
    if any(m in tex for m in ("\\begin", "\\[", "$", "\\(")):
        return None
    return _Block("align*", 0, len(tex), newline_rows=True)


def derivation_lines(tex: str, *, symbols=None) -> list[MathLine]:
    """Every step of a LaTeX document, in order, each read or carrying its error.

    ``symbols``: a problem's declared names (LaTeX names are fitted to them, see
    :func:`nncheck.lang.latex.transformer.to_node`); None for a free-form derivation.
    Raises :class:`AnswerSyntaxError` only when the whole document is refused (too long).
    """
    if not isinstance(tex, str):
        raise AnswerSyntaxError("the document must be text", 0, "")
    if len(tex) > MAX_DOCUMENT_CHARS:
        raise AnswerSyntaxError(f"document too long ({len(tex):,} characters; the limit is "
                                f"{MAX_DOCUMENT_CHARS:,})", 0, "", code="too-long")
    tex = tex.replace("\r\n", "\n").replace("\r", "\n")
    syms = None if symbols is None else set(symbols)
    clean = _strip_comments(tex)
    bare = _bare_math(clean)
    broken: list[MathLine] = []
    if bare is not None:
        blocks = [bare]
    else:
        blocks, broken = _blocks(clean, tex)
    pieces = [p for b in blocks for p in _statements(clean, b)]
    if len(pieces) > MAX_STEPS:
        raise AnswerSyntaxError(f"derivation too long (more than {MAX_STEPS} steps)", 0, "", code="too-long")
    math = sum(b - a for p in pieces for a, b in p.spans)
    if math > MAX_MATH_CHARS:
        raise AnswerSyntaxError(f"derivation too long ({math:,} characters of math; the limit is "
                                f"{MAX_MATH_CHARS:,})", 0, "", code="too-long")
    lines = [_read_statement(p, clean, tex, syms) for p in pieces] + broken
    lines.sort(key=lambda ml: ml._offsets[0] if ml._offsets else 0)
    return lines


def read_document(tex: str, *, symbols=None) -> LatexDocument:
    """:func:`derivation_lines`, as plain derivation text with the way back to the source."""
    return LatexDocument(derivation_lines(tex, symbols=symbols))
