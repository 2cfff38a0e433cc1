"""LaTeX math text → a small LaTeX tree: TeX's own grouping, with positions for carets.

The parser does what TeX's math scanner does and no more: it splits the text into
tokens (commands, letters, numbers, characters), groups ``{…}``, gives each command the
arguments the whitelist (:mod:`.grammar`) says it takes, attaches ``^``/``_`` scripts
and primes to the item before them, and pairs ``\\left … \\right``.  What the items
*mean* (precedence, implicit products, functions, derivatives) is the transformer's job.

Every node keeps where it starts and ends in the text, so an error anywhere later can
put its caret under the command that caused it.  Nesting is bounded (the answer
language's ``MAX_DEPTH``) before it can exhaust the Python stack, and the text's length
is bounded by the caller.
"""

from __future__ import annotations

from nncheck.lang.latex import grammar
from nncheck.lang.syntax import ACCENTED, GREEK, MAX_DEPTH, MINUS_CHARS, MUL_CHARS, AnswerSyntaxError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up cost, as in syntax.py)
if TYPE_CHECKING:
    from typing import NoReturn

#: Greek letters typed as Unicode inside LaTeX: the command they stand for.
_UNICODE_GREEK = dict(GREEK)
_UNICODE_RELATIONS = {"≤": "le", "≥": "ge", "≠": "ne"}
_CHARS = frozenset("+-*/=<>()[]|,;:'!.&")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = frozenset("0123456789")
_SPACES = frozenset(" \t\n\r\u00a0\u2009\u202f~")
#: Commands whose argument is read as raw text (a word, a label, an environment's name).
_RAW = grammar.WORDS | grammar.IGNORED_WITH_ARGUMENT | {"begin", "end", "intertext"}


class TexTok:
    """A token: ``cmd`` (value: the name; ``word``: a raw argument), ``letter`` (value: the
    name it stands for), ``num`` (the literal), ``char``, ``open``/``close`` (braces),
    ``sup``/``sub`` (``^``/``_``) or ``end``."""

    __slots__ = ("kind", "value", "pos", "end", "word", "word_pos")

    def __init__(self, kind: str, value: str, pos: int, end: int):
        self.kind, self.value, self.pos, self.end = kind, value, pos, end
        self.word: str | None = None
        self.word_pos = pos

    def __repr__(self) -> str:
        return f"TexTok({self.kind},{self.value!r},{self.pos})"


def _explain(ch: str) -> str:
    if ch in "\"`":
        return "strings are not allowed in an answer"
    if ch == "#" or ch == "@" or ch == "?":
        return f"'{ch}' is not part of LaTeX math that nncheck reads"
    if ch == "$":
        return "'$' here: math delimiters go only around the whole answer"
    if ord(ch) < 32 or 0x7f <= ord(ch) < 0xa0 or ch in "\u200b\u200c\u200d\u2060\ufeff\u00ad\u202e\u202d":
        return f"invisible or control character U+{ord(ch):04X} is not allowed; retype the answer"
    return f"unexpected character '{ch}'"


def tokenize(text: str, lo: int = 0, hi: int | None = None) -> list[TexTok]:
    """Tokens of ``text[lo:hi]``; positions are offsets into ``text``."""
    hi = len(text) if hi is None else hi
    toks: list[TexTok] = []
    i = lo
    while i < hi:
        ch = text[i]
        if ch in _SPACES:
            i += 1
            continue
        if ch == "%":  # a TeX comment runs to the end of the line
            while i < hi and text[i] != "\n":
                i += 1
            continue
        start = i
        if ch == "\\":
            i += 1
            if i >= hi:
                raise AnswerSyntaxError("a lone '\\' at the end", start, text)
            if text[i] in _LETTERS:
                while i < hi and text[i] in _LETTERS:
                    i += 1
                name = text[start + 1:i]
                if i < hi and text[i] == "*" and (name + "*" in grammar.IGNORED_WITH_ARGUMENT
                                                  or name == "operatorname"):
                    i += 1
                    name = name if name == "operatorname" else name + "*"
            else:
                name = text[i]
                i += 1
            tok = TexTok("cmd", name, start, i)
            # Refuse a command the moment it is met, so that the first problem in the text is the
            # one reported (\catcode`… is refused for \catcode, not for the backquote after it).
            kind = grammar.kind_of(name)
            if kind == "forbidden":
                raise AnswerSyntaxError(f"'\\{name}' is not read: nncheck runs no TeX and expands no macros",
                                        start, text, code="forbidden")
            if kind is None and name != "\\" and name not in grammar.REFUSED_DELIMITERS:
                raise AnswerSyntaxError(f"unknown LaTeX command '\\{name}'", start, text)
            if name in _RAW:
                i = _raw_argument(text, i, hi, tok)
            toks.append(tok)
        elif ch in _LETTERS:
            toks.append(TexTok("letter", ch, i, i + 1))
            i += 1
        elif ch in _DIGITS or (ch == "." and i + 1 < hi and text[i + 1] in _DIGITS):
            while i < hi and text[i] in _DIGITS:
                i += 1
            if i + 1 < hi and text[i] == "." and text[i + 1] in _DIGITS:
                i += 1
                while i < hi and text[i] in _DIGITS:
                    i += 1
            toks.append(TexTok("num", text[start:i], start, i))
        elif ch == "{":
            toks.append(TexTok("open", ch, i, i + 1))
            i += 1
        elif ch == "}":
            toks.append(TexTok("close", ch, i, i + 1))
            i += 1
        elif ch == "^":
            toks.append(TexTok("sup", ch, i, i + 1))
            i += 1
        elif ch == "_":
            toks.append(TexTok("sub", ch, i, i + 1))
            i += 1
        elif ch in _CHARS:
            toks.append(TexTok("char", ch, i, i + 1))
            i += 1
        elif ch in MINUS_CHARS:
            toks.append(TexTok("char", "-", i, i + 1))
            i += 1
        elif ch in MUL_CHARS:
            toks.append(TexTok("char", "*", i, i + 1))
            i += 1
        elif ch == "÷":
            toks.append(TexTok("char", "/", i, i + 1))
            i += 1
        elif ch == "′":
            toks.append(TexTok("char", "'", i, i + 1))
            i += 1
        elif ch in _UNICODE_RELATIONS:
            toks.append(TexTok("cmd", _UNICODE_RELATIONS[ch], i, i + 1))
            i += 1
        elif ch in _UNICODE_GREEK:
            toks.append(TexTok("cmd", _UNICODE_GREEK[ch], i, i + 1))
            i += 1
        elif ch in ACCENTED:
            toks.append(TexTok("letter", ACCENTED[ch], i, i + 1))
            i += 1
        else:
            raise AnswerSyntaxError(_explain(ch), i, text, code="forbidden" if ch in "\"`#@$" else "syntax")
    toks.append(TexTok("end", "", hi, hi))
    return toks


def _raw_argument(text: str, i: int, hi: int, tok: TexTok) -> int:
    """Read ``{raw text}`` (or one letter, as TeX allows ``\\mathrm d``) after a command."""
    j = i
    while j < hi and text[j] in " \t":
        j += 1
    if j < hi and text[j] == "{":
        depth, k = 1, j + 1
        while k < hi and depth:
            if text[k] == "\\":
                k += 2
                continue
            depth += {"{": 1, "}": -1}.get(text[k], 0)
            k += 1
        if depth:
            raise AnswerSyntaxError(f"missing '}}' to close the '{{' at character {j + 1}", j, text)
        tok.word, tok.word_pos, tok.end = text[j + 1:k - 1], j + 1, k
        return k
    if j < hi and text[j] in _LETTERS and tok.value not in ("begin", "end"):
        tok.word, tok.word_pos, tok.end = text[j], j, j + 1
        return j + 1
    raise AnswerSyntaxError(f"\\{tok.value} needs its argument in braces: \\{tok.value}{{…}}", tok.pos, text)


# ----------------------------------------------------------------------------
# The tree.
# ----------------------------------------------------------------------------
class TexNode:
    """An item of a math list: scripts (``sub``/``sup``) and primes attach to it."""

    __slots__ = ("pos", "end", "sub", "sup", "primes")

    def __init__(self, pos: int, end: int):
        self.pos, self.end = pos, end
        self.sub: TexNode | None = None
        self.sup: TexNode | None = None
        self.primes = 0


class Atom(TexNode):
    """A letter, a number, a character, or a command with its arguments.

    ``kind``: letter | num | char | cmd.  For a command: ``args`` (its braced arguments),
    ``opt`` (``\\sqrt[n]``), ``word`` (a raw argument, as in ``\\mathrm{ReLU}``).  For the
    character ``|``: ``side`` is "l" (``\\lvert``), "r" (``\\rvert``) or "" (either).
    """

    __slots__ = ("kind", "value", "args", "opt", "word", "word_pos", "side")

    def __init__(self, kind: str, value: str, pos: int, end: int):
        TexNode.__init__(self, pos, end)
        self.kind, self.value = kind, value
        self.args: list[TexNode] = []
        self.opt: Group | None = None
        self.word: str | None = None
        self.word_pos = pos
        self.side = ""

    def __repr__(self) -> str:
        return f"Atom({self.kind},{self.value!r})"


class Group(TexNode):
    """``{ … }`` (and the whole text): a list of items."""

    __slots__ = ("items",)

    def __init__(self, items: list, pos: int, end: int):
        TexNode.__init__(self, pos, end)
        self.items = items


class Fenced(TexNode):
    """``\\left( … \\right)``: the two delimiters (as characters) and the items between."""

    __slots__ = ("left", "right", "items", "right_pos")

    def __init__(self, left: str, right: str, items: list, pos: int, end: int, right_pos: int):
        TexNode.__init__(self, pos, end)
        self.left, self.right, self.items, self.right_pos = left, right, items, right_pos


class _TexParser:
    def __init__(self, text: str, toks: list[TexTok]):
        self.text, self.toks, self.i, self.depth = text, toks, 0, 0

    @property
    def tok(self) -> TexTok:
        return self.toks[self.i]

    def error(self, msg: str, pos: int, code: str = "syntax") -> NoReturn:
        raise AnswerSyntaxError(msg, pos, self.text, code=code)

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.error(f"nested too deeply (the limit is {MAX_DEPTH} levels)", pos, "too-deep")

    def items(self, closer: str | None, opener: TexTok | None = None) -> list:
        """Items up to ``closer``: "}" (a group), "right" (``\\left``), "]" (``\\sqrt[``) or None (the end)."""
        out: list[TexNode] = []
        while True:
            t = self.tok
            if t.kind == "end":
                if closer is None:
                    return out
                at = opener.pos if opener is not None else t.pos
                what = {"}": "'}' to close the '{'", "right": "\\right to close the \\left",
                        "]": "']' to close the '['"}[closer]
                self.error(f"missing {what} at character {at + 1}", at)
            if t.kind == "close":
                if closer == "}":
                    return out
                self.error("unmatched '}'", t.pos)
            if closer == "]" and t.kind == "char" and t.value == "]":
                return out
            if t.kind == "cmd" and t.value == "right":
                if closer == "right":
                    return out
                self.error("\\right without a \\left before it", t.pos)
            if t.kind in ("sup", "sub"):
                self.script(out, t)
                continue
            if t.kind == "char" and t.value == "'":
                if not out:
                    self.error("a prime needs something before it", t.pos)
                if out[-1].sup is not None:
                    self.error("write the prime before the exponent: f'^2 is not read", t.pos)
                out[-1].primes += 1
                out[-1].end = t.end
                self.i += 1
                continue
            node = self.item()
            if node is not None:
                out.append(node)

    def script(self, out: list, t: TexTok) -> None:
        sup = t.kind == "sup"
        what = "superscript" if sup else "subscript"
        if not out:
            self.error(f"a {what} needs something before it", t.pos)
        target = out[-1]
        if (target.sup if sup else target.sub) is not None:
            self.error(f"double {what}: use braces, as in x^{{ab}}" if sup else f"double {what}: use braces, "
                       f"as in x_{{ab}}", t.pos)
        self.i += 1
        nxt = self.tok
        if nxt.kind == "char" and nxt.value in "+-*/=<>,;:.|&":
            self.error(f"put the {what} in braces: {'^' if sup else '_'}{{{nxt.value}…}}", nxt.pos)
        arg = self.argument(t)
        if sup:
            target.sup = arg
        else:
            target.sub = arg
        target.end = arg.end

    def argument(self, owner: TexTok) -> TexNode:
        """One argument: a braced group or a single token (TeX reads ``\\frac12`` as 1/2, ``x^23`` as x²·3)."""
        t = self.tok
        while t.kind == "cmd" and grammar.kind_of(t.value) == "ignored":  # \frac\,1 2
            self.i += 1
            t = self.tok
        if t.kind == "open":
            return self.group()
        if t.kind == "num" and len(t.value) > 1:
            # A single token is a single digit: split the literal and leave the rest.
            atom = Atom("num", t.value[0], t.pos, t.pos + 1)
            t.value, t.pos = t.value[1:], t.pos + 1
            return atom
        if t.kind in ("letter", "num"):
            self.i += 1
            return Atom(t.kind, t.value, t.pos, t.end)
        if t.kind == "cmd" and t.value not in ("left", "right", "begin", "end"):
            # A command as a whole argument (x^\xi, \frac\alpha\beta): one level deeper, since
            # \frac\frac\frac… nests without a single brace.
            self.enter(t.pos)
            node = self.item()
            self.depth -= 1
            if node is None:  # \label{…} between a command and its argument
                self.error(f"{self._name(owner)} needs an argument here", t.pos)
            return node
        if t.kind == "char":
            self.error(f"put the argument of {self._name(owner)} in braces", t.pos)
        if t.kind == "end":
            self.error(f"{self._name(owner)} needs an argument", owner.pos)
        self.error(f"{self._name(owner)} needs an argument here", t.pos)

    @staticmethod
    def _name(t: TexTok) -> str:
        if t.kind == "cmd":
            return "\\" + t.value
        return {"sup": "the superscript '^'", "sub": "the subscript '_'"}.get(t.kind, f"'{t.value}'")

    def group(self) -> Group:
        t = self.tok
        self.i += 1
        self.enter(t.pos)
        items = self.items("}", t)
        close = self.tok
        self.i += 1
        self.depth -= 1
        return Group(items, t.pos, close.end)

    def delimiter(self, owner: TexTok) -> tuple[str, str, int]:
        """The delimiter after ``\\left``, ``\\right`` or ``\\big``: (character, side, end)."""
        t = self.tok
        if t.kind == "char" and t.value in grammar.DELIMITER_CHARS:
            self.i += 1
            return t.value, "", t.end
        if t.kind == "char" and t.value == ".":
            self.error(grammar.REFUSED_DELIMITERS["."], t.pos)
        if t.kind == "cmd" and t.value in grammar.DELIMITER_COMMANDS:
            self.i += 1
            side = {"lvert": "l", "rvert": "r"}.get(t.value, "")
            return grammar.DELIMITER_COMMANDS[t.value], side, t.end
        if t.kind == "cmd" and t.value in grammar.REFUSED_DELIMITERS:
            self.error(grammar.REFUSED_DELIMITERS[t.value], t.pos)
        self.error(f"\\{owner.value} needs a delimiter such as ( ) [ ] or |", t.pos if t.kind != "end" else owner.pos)

    def item(self) -> TexNode | None:
        t = self.tok
        if t.kind == "open":
            return self.group()
        if t.kind in ("letter", "num"):
            self.i += 1
            return Atom(t.kind, t.value, t.pos, t.end)
        if t.kind == "char":
            if t.value == "&":
                self.error("'&' (alignment) is read only in a derivation's align block", t.pos)
            self.i += 1
            return Atom("char", t.value, t.pos, t.end)
        if t.kind != "cmd":  # "close" and "end" are handled by items()
            self.error(f"unexpected '{t.value}'", t.pos)
        return self.command(t)

    def command(self, t: TexTok) -> TexNode | None:
        name = t.value
        kind = grammar.kind_of(name)
        if kind is None:
            if name == "\\":
                self.error("a line break '\\\\' is read only in a derivation (one step per line)", t.pos)
            if name in grammar.REFUSED_DELIMITERS:
                self.error(grammar.REFUSED_DELIMITERS[name], t.pos)
            self.error(f"unknown LaTeX command '\\{name}'", t.pos)
        if kind == "forbidden":
            self.error(f"'\\{name}' is not read: nncheck runs no TeX and expands no macros", t.pos, "forbidden")
        if kind == "hint":
            self.error(grammar.HINTS[name], t.pos)
        if kind == "refused-function":
            self.error(f"the function '\\{name}' is not part of the answer language", t.pos, "unknown-function")
        self.i += 1
        if kind in ("ignored", "ignored-argument"):
            return None
        if kind in ("begin", "end"):
            self.error(f"the environment '{t.word}' is not read here", t.pos)
        if kind == "size":
            ch, side, end = self.delimiter(t)
            atom = Atom("char", ch, t.pos, end)
            atom.side = side or {"l": "l", "r": "r"}.get(name[-1], "")
            return atom
        if kind in ("bar", "delimiter"):
            atom = Atom("char", grammar.DELIMITER_COMMANDS[name], t.pos, t.end)
            atom.side = {"lvert": "l", "rvert": "r"}.get(name, "")
            return atom
        if kind == "left":
            return self.fenced(t)
        atom = Atom("cmd", name, t.pos, t.end)
        if kind == "word":
            atom.word, atom.word_pos = t.word, t.word_pos
            return atom
        nargs = {"frac": 2, "sqrt": 1, "accent": 1, "font": 1, "dot": 1}.get(kind, 0)
        if kind == "sqrt" and self.tok.kind == "char" and self.tok.value == "[":
            opener = self.tok
            self.i += 1
            self.enter(opener.pos)
            items = self.items("]", opener)
            close = self.tok
            self.i += 1
            self.depth -= 1
            atom.opt = Group(items, opener.pos, close.end)
        if nargs:
            for _ in range(nargs):
                atom.args.append(self.argument(t))
            atom.end = atom.args[-1].end
        return atom

    def fenced(self, t: TexTok) -> Fenced:
        left, side, _ = self.delimiter(t)
        self.enter(t.pos)
        items = self.items("right", t)
        right_tok = self.tok
        self.i += 1
        right, rside, end = self.delimiter(right_tok)
        self.depth -= 1
        if (left, right) not in (("(", ")"), ("[", "]"), ("|", "|")):
            self.error(f"\\left{left} is closed by \\right{right}", right_tok.pos)
        return Fenced(left, right, items, t.pos, end, right_tok.pos)


def parse_tex(text: str, lo: int = 0, hi: int | None = None) -> Group:
    """The LaTeX tree of ``text[lo:hi]`` (positions are offsets into ``text``)."""
    toks = tokenize(text, lo, hi)
    p = _TexParser(text, toks)
    items = p.items(None)
    hi = len(text) if hi is None else hi
    return Group(items, lo, hi)
