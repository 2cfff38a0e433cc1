"""The LaTeX tree → the answer language's own syntax tree (``Num``, ``Name``, ``Call``, …).

This is where LaTeX's math conventions are read: precedence and implicit products
(``2x``, ``y\\ln\\hat{y}``), function application with or without parentheses
(``\\ln x``, ``\\tanh^2(\\xi)`` = tanh(ξ)²), ``e^{…}`` as ``exp``, ``\\frac{d}{dx}`` and
``\\frac{\\partial L}{\\partial \\xi}`` as derivatives, ``|x|`` as ``abs``, and ``\\sum``
over a range of numbers, written out term by term.

:func:`parse_latex` then prints the tree in the plain language and reads that text with
the plain parser, under the caller's options: so a LaTeX answer meets exactly the
vocabulary, flags and bounds of the plain one, and the tree it returns is the tree the
plain parser gives for the plain text (the "parsed as" echo is plain).  Positions in the
returned tree, and the caret of every error, point into the LaTeX text.
"""

from __future__ import annotations

from fractions import Fraction

from nncheck.lang import syntax
from nncheck.lang.latex import grammar
from nncheck.lang.latex.parser import Atom, Fenced, Group, TexNode, parse_tex
from nncheck.lang.syntax import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NODES,
    AnswerSyntaxError,
    BinOp,
    Call,
    Derivative,
    Name,
    Node,
    Num,
    Relation,
    Transpose,
    Unary,
    to_text,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up cost, as in syntax.py)
if TYPE_CHECKING:
    from typing import NoReturn

#: Terms of one ``\sum`` written out (the range must be numbers); nested sums are bounded
#: by the node limit as well.
MAX_SUM_TERMS = 50
#: Highest derivative order read from ``\frac{d^n y}{dx^n}`` and highest power on a
#: function name (``\tanh^2``).
MAX_ORDER = 3
MAX_FUNCTION_POWER = 9

_NAME_KINDS = frozenset({"greek", "accent", "font", "word"})
_IDENT_FIRST = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_IDENT = _IDENT_FIRST | frozenset("0123456789")


def _is_ident(word: str) -> bool:
    return bool(word) and word[0] in _IDENT_FIRST and all(c in _IDENT for c in word)


def _function_of_word(word: str) -> str | None:
    """The language's function a word names (``ReLU`` → relu, ``sigmoid`` → sigma), or None."""
    canonical = syntax.FUNCTION_ALIASES.get(word, word)
    return canonical if canonical in syntax.FUNCTIONS else None


class _Cursor:
    """A read position in a slice ``items[lo:hi]`` of one item list."""

    __slots__ = ("items", "i", "hi", "end_pos", "pairs")

    def __init__(self, items: list, lo: int, hi: int, end_pos: int, pairs: dict):
        self.items, self.i, self.hi, self.end_pos, self.pairs = items, lo, hi, end_pos, pairs

    def peek(self, k: int = 0) -> TexNode | None:
        j = self.i + k
        return self.items[j] if j < self.hi else None

    def next(self) -> TexNode | None:
        t = self.peek()
        if t is not None:
            self.i += 1
        return t


class _Name:
    """A name as LaTeX builds it: base letter, accents, subscript pieces, layer index."""

    __slots__ = ("base", "accents", "pieces", "layer", "pos", "end")

    def __init__(self, base: str, pos: int, end: int):
        self.base, self.pos, self.end = base, pos, end
        self.accents: list[str] = []
        self.pieces: list[str] = []  # subscript pieces (``y_{k,i}``: ["k", "i"])
        self.layer = ""  # the digits of ``W^{(1)}``

    def spell(self, *, accents: list[str] | None = None, joined: bool = True) -> str:
        acc = "".join(self.accents if accents is None else accents)
        subtext = ""
        if self.pieces:
            if joined and len(self.pieces) == 1 and self.pieces[0].isdigit():
                subtext = self.pieces[0]  # y_1 is y1, as the plain language reads y₁
            else:
                subtext = "_" + "_".join(self.pieces)
        return self.base + acc + subtext + self.layer

    def candidates(self) -> list[str]:
        """The primary spelling first, then the forms a problem may declare the symbol in."""
        out = [self.spell()]
        digits = len(self.pieces) == 1 and self.pieces[0].isdigit()
        if digits:
            out.append(self.spell(joined=False))
        if "bar" in self.accents:  # \bar{w}_k, the notes' row of W: a problem may call it w_k
            plain = [a for a in self.accents if a != "bar"]
            out.append(self.spell(accents=plain))
            if digits:
                out.append(self.spell(accents=plain, joined=False))
        # A letter index (\xi_i where a problem declares xi) is left to the plain parser, which
        # reads it against the part's symbols (and refuses two different indices in one answer).
        return out


class _Reader:
    def __init__(self, text: str, symbols: set[str] | None, matrix: bool = False):
        self.text = text
        self.symbols = symbols
        self.matrix = matrix  # a matrix answer: \odot is ⊙, ^T a transpose, products in three levels
        self.depth = 0
        self.nodes = 0
        self.env: dict[str, int] = {}  # the indices of the sums being written out
        self._pairs: dict[int, tuple[list, dict]] = {}

    # -- helpers ---------------------------------------------------------------
    def error(self, msg: str, pos: int, code: str = "syntax") -> NoReturn:
        raise AnswerSyntaxError(msg, pos, self.text, code=code)

    def node(self, n: Node) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.error(f"answer too complex (more than {MAX_NODES} terms)", n.pos, "too-complex")
        return n

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.error(f"nested too deeply (the limit is {MAX_DEPTH} levels)", pos, "too-deep")

    def leave(self) -> None:
        self.depth -= 1

    def shown(self, item: TexNode) -> str:
        s = " ".join(self.text[item.pos:item.end].split())
        return s if len(s) <= 24 else s[:23] + "…"

    def cursor(self, items: list, end_pos: int, lo: int = 0, hi: int | None = None) -> _Cursor:
        key = id(items)
        if key not in self._pairs:
            self._pairs[key] = (items, self._match(items))  # the list is kept alive with its id
        return _Cursor(items, lo, len(items) if hi is None else hi, end_pos, self._pairs[key][1])

    def _match(self, items: list) -> dict[int, int]:
        """Pair ``( )``, ``[ ]`` and ``| |`` of one item list (TeX leaves them unpaired)."""
        pairs: dict[int, int] = {}
        stack: list[tuple[int, str]] = []
        for k, it in enumerate(items):
            if not (isinstance(it, Atom) and it.kind == "char"):
                continue
            v = it.value
            if v in "([":
                stack.append((k, v))
            elif v in ")]":
                want = "(" if v == ")" else "["
                if not stack:
                    self.error(f"unmatched '{v}'", it.pos)
                j, opener = stack.pop()
                if opener != want:
                    if opener == "|":
                        self.error(f"missing '|' to close the '|' at character {items[j].pos + 1}", it.pos)
                    self.error(f"'{opener}' closed by '{v}'", it.pos)
                pairs[j] = k
            elif v == "|":
                closes = bool(stack) and stack[-1][1] == "|" and it.side != "l"
                if closes:
                    j, _ = stack.pop()
                    pairs[j] = k
                elif it.side == "r":
                    self.error("\\rvert without \\lvert before it", it.pos)
                else:
                    stack.append((k, "|"))
        if stack:
            j, opener = stack[-1]
            close = {"(": ")", "[": "]", "|": "|"}[opener]
            self.error(f"missing '{close}' to close the '{opener}' at character {items[j].pos + 1}", items[j].pos)
        return pairs

    def finish(self, cur: _Cursor, what: str = "") -> None:
        t = cur.peek()
        if t is None:
            return
        if isinstance(t, Atom) and t.kind == "char":
            if t.value == ",":
                self.error("a tuple or list is not allowed here" if what != "args" else "unexpected ','", t.pos)
            if t.value in ".;":
                self.error(f"unexpected '{t.value}'", t.pos)
            if t.value in "=<>" or (t.value in ":!" and self._is_char(cur.peek(1), "=")):
                self.error(f"'{self.shown(t)}' is not allowed here", t.pos)
        if isinstance(t, Atom) and t.kind == "cmd" and grammar.kind_of(t.value) == "relation":
            self.error(f"'\\{t.value}' is not allowed here", t.pos)
        self.error(f"unexpected '{self.shown(t)}'", t.pos)

    @staticmethod
    def _is_char(t: TexNode | None, chars: str) -> bool:
        return isinstance(t, Atom) and t.kind == "char" and t.value in chars

    @staticmethod
    def _is_number(t: TexNode | None) -> bool:
        return isinstance(t, Atom) and t.kind == "num"

    # -- grammar ---------------------------------------------------------------
    def top(self, group: Group) -> Node:
        cur = self.cursor(group.items, group.end)
        if cur.peek() is None:
            self.error("the answer is empty", group.pos)
        node = self.relation(cur)
        self.finish(cur)
        return node

    def expression_of(self, items: list, pos: int, end: int) -> Node:
        """The expression in ``items`` (a group's content), which must all be read."""
        cur = self.cursor(items, end)
        if cur.peek() is None:
            self.error("empty braces", pos)
        node = self.additive(cur)
        self.finish(cur)
        return node

    def argument_expression(self, arg: TexNode) -> Node:
        """An argument or a script: a braced group's content, or the one item."""
        if isinstance(arg, Group):
            return self.expression_of(arg.items, arg.pos, arg.end)
        return self.expression_of([arg], arg.pos, arg.end)

    def rel_op(self, cur: _Cursor) -> tuple[str, int] | None:
        t = cur.peek()
        if isinstance(t, Atom) and t.kind == "char":
            nxt = cur.peek(1)
            if t.value == "=":
                return "=", 1
            if t.value in "<>":
                return (t.value + "=", 2) if self._is_char(nxt, "=") else (t.value, 1)
            if t.value == ":" and self._is_char(nxt, "="):
                return "=", 2
            if t.value == "!" and self._is_char(nxt, "="):
                return "!=", 2
        if isinstance(t, Atom) and t.kind == "cmd" and t.value in grammar.RELATIONS:
            return grammar.RELATIONS[t.value], 1
        return None

    def relation(self, cur: _Cursor) -> Node:
        first = self.additive(cur)
        rel = self.rel_op(cur)
        if rel is None:
            return first
        terms, ops = [first], []
        while rel is not None:
            op, n = rel
            cur.i += n
            ops.append(op)
            terms.append(self.additive(cur))
            rel = self.rel_op(cur)
        return self.node(Relation(terms, ops, first.pos, terms[-1].end))

    def additive(self, cur: _Cursor) -> Node:
        left = self.multiplicative(cur)
        while self._is_char(cur.peek(), "+-"):
            t = cur.next()
            assert isinstance(t, Atom)
            right = self.multiplicative(cur)
            left = self.node(BinOp(t.value, left, right, left.pos, right.end))
        return left

    def mul_op(self, t: TexNode | None) -> str | None:
        if self._is_char(t, "*/"):
            assert isinstance(t, Atom)
            return t.value
        if isinstance(t, Atom) and t.kind == "cmd" and t.value in grammar.OPERATORS:
            if self.matrix and t.value == "odot":
                return "⊙"
            return grammar.OPERATORS[t.value]
        return None

    # Matrix answers: juxtaposition binds tightest, then \odot, then \cdot, * and / (as the plain
    # matrix parser reads them, so that the printed plain text means the same).
    def _matrix_product(self, cur: _Cursor) -> Node:
        left = self._hadamard(cur)
        while True:
            t = cur.peek()
            op = self.mul_op(t)
            if op is None or op == "⊙":
                return left
            cur.next()
            nxt = cur.peek()
            if nxt is not None and t is not None and self.mul_op(nxt) is not None:
                self.error(f"'{self.shown(t)}' followed by '{self.shown(nxt)}'", nxt.pos)
            if op == "/":
                right = self.unary(cur)
                after = cur.peek()
                if after is not None and (self.starts_factor(cur, after) or self.mul_op(after) == "⊙"):
                    self.error("ambiguous after '/': write \\frac{…}{…} or add parentheses", after.pos)
            else:
                right = self._hadamard(cur)
            left = self.node(BinOp(op, left, right, left.pos, right.end))

    def _hadamard(self, cur: _Cursor) -> Node:
        left = self._juxtaposed(cur)
        while self.mul_op(cur.peek()) == "⊙":
            t = cur.next()
            nxt = cur.peek()
            if nxt is not None and t is not None and self.mul_op(nxt) is not None:
                self.error(f"'{self.shown(t)}' followed by '{self.shown(nxt)}'", nxt.pos)
            right = self._juxtaposed(cur)
            left = self.node(BinOp("⊙", left, right, left.pos, right.end))
        return left

    def _juxtaposed(self, cur: _Cursor) -> Node:
        start = cur.peek()
        left = self.unary(cur)
        while self.starts_factor(cur, cur.peek()):
            t = cur.peek()
            assert t is not None
            if isinstance(t, Atom) and t.kind == "num":
                before = " ".join((self.text[start.pos:t.pos] if start is not None else "").split())
                self.error(f"a number right after '{before[:24]}': add an operator such as \\cdot or '+'", t.pos)
            right = self.factor(cur)
            left = self.node(BinOp("*", left, right, left.pos, right.end))
        return left

    def multiplicative(self, cur: _Cursor) -> Node:
        if self.matrix:
            return self._matrix_product(cur)
        start = cur.peek()
        left = self.unary(cur)
        last = None
        while True:
            t = cur.peek()
            op = self.mul_op(t)
            if op is not None:
                cur.next()
                nxt = cur.peek()
                if nxt is not None and t is not None and self.mul_op(nxt) is not None:
                    self.error(f"'{self.shown(t)}' followed by '{self.shown(nxt)}'", nxt.pos)
                right = self.unary(cur)
                left = self.node(BinOp(op, left, right, left.pos, right.end))
                last = op
            elif self.starts_factor(cur, t):
                assert t is not None
                if isinstance(t, Atom) and t.kind == "num":
                    before = self.text[start.pos:t.pos] if start is not None else ""
                    before = " ".join(before.split())
                    before = before if len(before) <= 24 else before[:23] + "…"
                    self.error(f"a number right after '{before}': add an operator such as \\cdot or '+'", t.pos)
                if last == "/":
                    self.error("ambiguous after '/': write \\frac{…}{…} or add parentheses", t.pos)
                right = self.factor(cur)
                left = self.node(BinOp("*", left, right, left.pos, right.end))
                last = "*"
            else:
                return left

    def starts_factor(self, cur: _Cursor, t: TexNode | None) -> bool:
        """Juxtaposition means multiplication: 2x, 2(x+1), y\\ln\\hat{y}, \\frac{1}{n}(y - \\hat{y})."""
        if t is None:
            return False
        if isinstance(t, (Group, Fenced)):
            return True
        assert isinstance(t, Atom)
        if t.kind in ("letter", "num"):
            return True
        if t.kind == "char":
            return t.value in "([" or (t.value == "|" and cur.i in cur.pairs)
        kind = grammar.kind_of(t.value)
        return kind in ("greek", "function", "frac", "sqrt", "accent", "font", "word", "sum", "dot", "partial")

    def unary(self, cur: _Cursor) -> Node:
        t = cur.peek()
        if self._is_char(t, "+-"):
            assert isinstance(t, Atom)
            cur.next()
            self.enter(t.pos)
            arg = self.unary(cur)
            self.leave()
            if t.value == "+":
                return arg
            if isinstance(arg, Num):  # -3 is a literal, as the plain parser reads it
                return self.node(Num(-arg.value, arg.text[1:] if arg.text.startswith("-") else "-" + arg.text,
                                     t.pos, arg.end))
            return self.node(Unary("-", arg, t.pos, arg.end))
        return self.factor(cur)

    # -- factors -----------------------------------------------------------------
    def factor(self, cur: _Cursor) -> Node:
        t = cur.next()
        if t is None:
            self.error("the answer ends too early" if cur.end_pos >= len(self.text) else "a value is missing",
                       cur.end_pos)
        if isinstance(t, Group):
            if not t.items:
                self.error("empty braces", t.pos)
            self.enter(t.pos)
            inner = self.expression_of(t.items, t.pos, t.end)
            self.leave()
            return self.scripts(inner, t, "a group")
        if isinstance(t, Fenced):
            return self.fenced(t)
        assert isinstance(t, Atom)
        if t.kind == "num":
            return self.scripts(self.number(t), t, "a number")
        if t.kind == "letter":
            return self.named(cur, t)
        if t.kind == "char":
            if t.value in "([" or (t.value == "|" and cur.i - 1 in cur.pairs):
                return self.bracket(cur, t)
            if t.value in ")]":
                self.error(f"expected a value before '{t.value}'", t.pos)
            self.error(f"expected a value, found '{self.shown(t)}'", t.pos)
        return self.command(cur, t)

    def number(self, t: Atom) -> Node:
        try:
            toks = syntax.tokenize(t.value)
        except AnswerSyntaxError as e:
            raise AnswerSyntaxError(e.message, t.pos + e.pos, self.text, code=e.code) from None
        return self.node(Num(toks[0].value, t.value, t.pos, t.end))

    def bracket(self, cur: _Cursor, t: Atom) -> Node:
        """``( … )``, ``[ … ]`` (grouping in LaTeX) or ``| … |``, with the scripts of its closer."""
        k = cur.i - 1
        close = cur.pairs[k]
        closer = cur.items[close]
        self.enter(t.pos)
        inner_cur = _Cursor(cur.items, k + 1, close, closer.pos, cur.pairs)
        if inner_cur.peek() is None:
            self.error("empty brackets" if t.value != "|" else "empty | |", t.pos)
        inner = self.additive(inner_cur)
        self.finish(inner_cur)
        self.leave()
        cur.i = close + 1
        if t.value == "|":
            inner = self.node(Call("abs", [inner], t.pos, closer.end))
        return self.scripts(inner, closer, "a bracket")

    def fenced(self, t: Fenced) -> Node:
        if not t.items:
            self.error("empty brackets", t.pos)
        self.enter(t.pos)
        inner = self.expression_of(t.items, t.pos, t.right_pos)
        self.leave()
        if t.left == "|":
            inner = self.node(Call("abs", [inner], t.pos, t.end))
        return self.scripts(inner, t, "a bracket")

    def is_transpose(self, sup: TexNode) -> bool:
        items = sup.items if isinstance(sup, Group) else [sup]
        if len(items) != 1 or not isinstance(items[0], Atom):
            return False
        a = items[0]
        if self.matrix and a.kind == "letter" and a.value == "T" and a.sub is None and a.sup is None \
                and not (self.symbols is not None and "T" in self.symbols):
            return True  # W^T, W^{T}: in a matrix answer, the transpose
        return (a.kind == "cmd" and (grammar.kind_of(a.value) == "transpose"
                                     or (a.value in ("mathsf", "mathrm") and (a.word or "").strip() == "T")))

    @staticmethod
    def is_prime(sup: TexNode) -> bool:
        items = sup.items if isinstance(sup, Group) else [sup]
        return len(items) == 1 and isinstance(items[0], Atom) and items[0].kind == "cmd" \
            and items[0].value == "prime"

    def scripts(self, node: Node, item: TexNode, what: str) -> Node:
        """Apply ``item``'s superscript as a power; a subscript or prime here has no reading."""
        if item.primes:
            self.error("a prime is read only on \\sigma, \\tanh and ReLU: \\sigma'(\\xi)", item.end - 1)
        if item.sub is not None:
            self.error(f"a subscript on {what} is not read", item.sub.pos)
        if item.sup is not None:
            return self.power(node, item.sup)
        return node

    def power(self, node: Node, sup: TexNode) -> Node:
        if self.is_transpose(sup):
            return self.node(Transpose(node, node.pos, sup.end))
        if self.is_prime(sup):
            self.error("a prime is read only on \\sigma, \\tanh and ReLU: \\sigma'(\\xi)", sup.pos)
        self.enter(sup.pos)
        exp = self.argument_expression(sup)
        self.leave()
        return self.node(BinOp("^", node, exp, node.pos, max(sup.end, exp.end)))

    # -- names ---------------------------------------------------------------------
    def name_parts(self, item: Atom) -> tuple[_Name, TexNode | None]:
        """The name ``item`` spells, and what is left of its superscript (a power) if anything."""
        inner_sub: TexNode | None = None
        if item.kind == "letter":
            nm = _Name(item.value, item.pos, item.end)
        elif item.kind == "cmd":
            kind = grammar.kind_of(item.value)
            if kind == "greek":
                nm = _Name(grammar.GREEK[item.value], item.pos, item.end)
            elif kind == "word":
                word = (item.word or "").strip()
                if not _is_ident(word):
                    self.error(f"\\{item.value}{{{word}}} is not read as math: a name is letters and digits",
                               item.pos)
                nm = _Name(word, item.pos, item.end)
            elif kind in ("accent", "font"):
                arg = item.args[0]
                inner = arg.items if isinstance(arg, Group) else [arg]
                if len(inner) != 1 or not isinstance(inner[0], Atom) or not (
                        inner[0].kind == "letter" or grammar.kind_of(inner[0].value) in _NAME_KINDS):
                    self.error(f"\\{item.value}{{…}} is read over one letter, as in \\{item.value}{{y}}", item.pos)
                if inner[0].sup is not None or inner[0].primes:
                    self.error(f"put the superscript outside: \\{item.value}{{y}}^2", inner[0].pos)
                nm, _ = self.name_parts(inner[0])
                inner_sub = inner[0].sub
                if kind == "accent":
                    nm.accents.append(grammar.ACCENTS[item.value])
                nm.pos, nm.end = item.pos, item.end
            else:
                self.error(f"expected a name, found '{self.shown(item)}'", item.pos)
        else:
            self.error(f"expected a name, found '{self.shown(item)}'", item.pos)
        sub = item.sub
        if sub is not None and inner_sub is not None:
            self.error("two subscripts on one name", sub.pos)
        sub = sub or inner_sub
        if sub is not None:
            nm.pieces = self.subscript(sub)
            nm.end = max(nm.end, sub.end)
        sup = item.sup
        if sup is not None and isinstance(sup, Group) and self._is_char(sup.items[0] if sup.items else None, "("):
            layer = sup.items
            mark = self._layer_transpose(layer)
            if mark is not None:  # W^{(2),T}, W^{(2)\top}: the layer, then a transpose
                layer = layer[:3]
                sup = Group([mark], mark.pos, mark.end)
            if not (len(layer) == 3 and isinstance(layer[1], Atom) and layer[1].kind == "num"
                    and layer[1].value.isdigit() and self._is_char(layer[2], ")")
                    and all(x.sub is None and x.sup is None for x in layer)):
                self.error("a superscript in parentheses is read as a layer number only when it is a whole "
                           "number, as in W^{(1)}", sup.pos)
            assert isinstance(layer[1], Atom)
            nm.layer = layer[1].value
            if mark is None:
                nm.end = max(nm.end, sup.end)
                sup = None
            else:
                nm.end = max(nm.end, layer[2].end)
        return nm, sup

    def _layer_transpose(self, layer: list) -> TexNode | None:
        """In a matrix answer, the transpose mark after a layer number: ``^{(2),T}``, ``^{(2)\\top}``."""
        if not self.matrix or len(layer) < 4:
            return None
        rest = layer[3:]
        if len(rest) == 2 and self._is_char(rest[0], ","):
            rest = rest[1:]
        if len(rest) == 1 and self.is_transpose(rest[0]):
            return rest[0]
        return None

    def subscript(self, sub: TexNode) -> list[str]:
        items = sub.items if isinstance(sub, Group) else [sub]
        pieces, cur = [], ""
        for it in items:
            if self._is_char(it, ","):
                if not cur:
                    self.error("an empty index in a subscript", it.pos)
                pieces.append(cur)
                cur = ""
                continue
            ok = isinstance(it, Atom) and it.sub is None and it.sup is None and not it.primes
            if ok and isinstance(it, Atom) and it.kind == "letter" and len(it.value) == 1:
                if it.value in self.env:
                    cur += str(self.env[it.value])
                else:
                    cur += it.value
            elif ok and isinstance(it, Atom) and it.kind == "num" and it.value.isdigit():
                cur += it.value
            elif ok and isinstance(it, Atom) and it.kind == "cmd" and grammar.kind_of(it.value) == "greek":
                g = grammar.GREEK[it.value]
                cur += str(self.env[g]) if g in self.env else g
            elif ok and isinstance(it, Atom) and it.kind == "cmd" and grammar.kind_of(it.value) == "word" \
                    and _is_ident((it.word or "").strip()):
                cur += (it.word or "").strip()
            else:
                self.error("a subscript is read as an index of letters and digits, as in x_i or W_{12}",
                           it.pos)
        if not cur:
            self.error("an empty subscript", sub.pos)
        pieces.append(cur)
        return pieces

    def fit(self, nm: _Name, *, variable: bool = False) -> str:
        """The spelling to use: where the answer's symbols are declared, the first declared form.

        ``variable``: a derivative's variable, which the plain parser takes as spelled (no index
        reading there), so ``\\partial \\xi_i`` may also become a declared ``xi``.
        """
        cands = nm.candidates()
        if variable and nm.pieces and not (len(nm.pieces) == 1 and nm.pieces[0].isdigit()):
            cands.append(nm.base + "".join(nm.accents) + nm.layer)
        if self.symbols is not None and cands[0] not in self.symbols:
            for c in cands[1:]:
                if c in self.symbols:
                    return c
        return cands[0]

    def named(self, cur: _Cursor, t: Atom) -> Node:
        """A letter, Greek letter, accented or font name; a bound sum index; e^{…} as exp."""
        if t.kind == "letter" and t.value in self.env and t.sub is None:
            return self.scripts(self.node(Num(self.env[t.value], str(self.env[t.value]), t.pos, t.end)), t,
                                "a sum's index")
        if t.kind == "cmd" and t.value in grammar.GREEK and grammar.GREEK[t.value] in self.env and t.sub is None:
            k = self.env[grammar.GREEK[t.value]]
            return self.scripts(self.node(Num(k, str(k), t.pos, t.end)), t, "a sum's index")
        nm, sup = self.name_parts(t)
        name = self.fit(nm)
        if t.primes:
            self.error("a prime is read only on \\sigma, \\tanh and ReLU: \\sigma'(\\xi)", t.end - 1)
        if name == "e" and sup is not None and not (self.symbols is not None and "e" in self.symbols):
            self.enter(sup.pos)
            arg = self.argument_expression(sup)
            self.leave()
            return self.node(Call("exp", [arg], t.pos, sup.end))
        node = self.node(Name(name, nm.pos, nm.end))
        if sup is not None:
            return self.power(node, sup)
        return node

    # -- commands ------------------------------------------------------------------
    def command(self, cur: _Cursor, t: Atom) -> Node:
        kind = grammar.kind_of(t.value)
        if kind == "greek":
            if t.value == "sigma" and t.sub is None and (t.primes or self.argument_follows(cur)):
                return self.apply(cur, "sigma", t)
            return self.named(cur, t)
        if kind == "function":
            return self.apply(cur, grammar.FUNCTIONS[t.value], t)
        if kind == "word":
            word = (t.word or "").strip()
            func = _function_of_word(word)
            if func is not None:
                return self.apply(cur, func, t)
            if word in grammar.REFUSED_FUNCTIONS or word.lower() in grammar.REFUSED_FUNCTIONS:
                self.error(f"the function '{word}' is not part of the answer language", t.pos, "unknown-function")
            if t.value == "operatorname":
                self.error(f"unknown function '{word}'", t.pos, "unknown-function")
            return self.named(cur, t)
        if kind in ("accent", "font"):
            return self.named(cur, t)
        if kind == "dot":
            return self.apply(cur, self.dotted(t), t)
        if kind == "frac":
            return self.fraction(cur, t)
        if kind == "sqrt":
            return self.root(t)
        if kind == "sum":
            return self.sum(cur, t)
        if kind == "partial":
            self.error("\\partial is read in a derivative: \\frac{\\partial L}{\\partial x}", t.pos)
        if kind in ("operator", "relation"):
            self.error(f"expected a value before '\\{t.value}'", t.pos)
        self.error(f"'\\{t.value}' is not read here", t.pos)

    def argument_follows(self, cur: _Cursor) -> bool:
        t = cur.peek()
        return self._is_char(t, "(") or (isinstance(t, Fenced) and t.left in "([")

    def dotted(self, t: Atom) -> str:
        """``\\dot{\\sigma}``: σ̇, the notes' σ′ (also over tanh and ReLU)."""
        arg = t.args[0]
        inner = arg.items if isinstance(arg, Group) else [arg]
        base = None
        if len(inner) == 1 and isinstance(inner[0], Atom) and inner[0].kind == "cmd" and not inner[0].sub \
                and not inner[0].sup:
            a = inner[0]
            if a.value == "sigma" or a.value == "tanh":
                base = a.value
            elif grammar.kind_of(a.value) == "word":
                base = _function_of_word((a.word or "").strip())
        if base not in grammar.DERIVABLE:
            self.error("\\dot is read only over \\sigma, \\tanh or ReLU (σ̇ is σ′)", t.pos)
        return f"{base}'"

    def apply(self, cur: _Cursor, func: str, t: Atom) -> Node:
        """A function applied: ``\\ln x``, ``\\sigma(\\xi)``, ``\\tanh^2(\\xi)``, ``\\max(0, x)``."""
        shown = "\\" + t.value if t.value not in grammar.WORDS else (t.word or "").strip()
        if t.sub is not None:
            self.error(f"a subscript on {shown} is not read (no \\log_2, \\max_i)", t.sub.pos)
        power: Node | None = None
        if t.sup is not None:
            if self.is_prime(t.sup):
                func += "'"
            else:
                self.enter(t.sup.pos)
                power = self.argument_expression(t.sup)
                self.leave()
                if not (isinstance(power, Num) and isinstance(power.value, int) and 1 <= power.value
                        <= MAX_FUNCTION_POWER):
                    self.error("only a whole power is read on a function name, as in \\tanh^2 x "
                               "(\\tanh^{-1} would be the inverse)", t.sup.pos)
        if t.primes:
            if t.primes > 1 or func.endswith("'"):
                self.error("a second derivative is not read as primes: write \\frac{d^2}{dx^2}", t.end - 1)
            func += "'"
        if func.endswith("'") and func[:-1] not in grammar.DERIVABLE:
            self.error(f"a prime is read only on \\sigma, \\tanh and ReLU, not on {shown}", t.pos)
        lo, hi = syntax.FUNCTIONS.get(func) or syntax.DERIVATIVE_FUNCTIONS.get(func) or (1, 1)
        args, end, closer = self.arguments(cur, shown, t, many=hi > 1)
        if not lo <= len(args) <= hi:
            want = str(lo) if lo == hi else f"{lo} to {hi}"
            self.error(f"{shown} takes {want} argument{'s' if hi != 1 else ''}, got {len(args)}", t.pos)
        node = self.node(Call(func, args, t.pos, end))
        if closer is not None:
            node = self.scripts(node, closer, "a bracket")
        if power is not None:
            node = self.node(BinOp("^", node, power, node.pos, node.end))
        return node

    def arguments(self, cur: _Cursor, shown: str, owner: TexNode,
                  *, many: bool = False) -> tuple[list[Node], int, TexNode | None]:
        """The argument(s) after a function or ``\\frac{d}{dx}``: a bracket, a braced group, or
        (without brackets) the product of factors that follows, as in ``\\ln x^2`` or ``\\tanh^2 x``."""
        t = cur.peek()
        if self._is_char(t, "(["):
            assert isinstance(t, Atom)
            k = cur.i
            close = cur.pairs[k]
            closer = cur.items[close]
            self.enter(t.pos)
            args = self.comma_list(_Cursor(cur.items, k + 1, close, closer.pos, cur.pairs), t.pos)
            self.leave()
            cur.i = close + 1
            return args, closer.end, closer
        if isinstance(t, (Fenced, Group)) and not (isinstance(t, Fenced) and t.left == "|"):
            cur.next()
            self.enter(t.pos)
            args = self.comma_list(self.cursor(t.items, t.right_pos if isinstance(t, Fenced) else t.end), t.pos)
            self.leave()
            return args, t.end, t
        if many:
            self.error(f"{shown} needs its arguments in parentheses: {shown}(a, b)", owner.pos)
        if not self.starts_factor(cur, t):
            self.error(f"{shown} needs an argument", owner.end if t is None else t.pos)
        self.enter(owner.pos)
        arg = self.factor(cur)
        while self.starts_factor(cur, cur.peek()) and not self._is_number(cur.peek()):
            right = self.factor(cur)
            arg = self.node(BinOp("*", arg, right, arg.pos, right.end))
        self.leave()
        return [arg], arg.end, None

    def comma_list(self, cur: _Cursor, pos: int) -> list[Node]:
        if cur.peek() is None:
            self.error("empty brackets", pos)
        args = [self.additive(cur)]
        while self._is_char(cur.peek(), ","):
            cur.next()
            args.append(self.additive(cur))
        self.finish(cur, "args")
        return args

    def root(self, t: Atom) -> Node:
        self.enter(t.pos)
        arg = self.argument_expression(t.args[0])
        n: Num | None = None
        if t.opt is not None:
            index = self.expression_of(t.opt.items, t.opt.pos, t.opt.end)
            if not (isinstance(index, Num) and isinstance(index.value, int) and 2 <= index.value <= 1000):
                self.error("the index of a root must be a whole number, as in \\sqrt[3]{x}", t.opt.pos)
            n = index
        self.leave()
        if n is None or n.value == 2:
            node = self.node(Call("sqrt", [arg], t.pos, t.end))
        else:
            one = self.node(Num(1, "1", n.pos, n.pos))
            node = self.node(BinOp("^", arg, self.node(BinOp("/", one, n, n.pos, n.end)), t.pos, t.end))
        return self.scripts(node, t, "a root")

    # -- fractions and derivatives -------------------------------------------------
    @staticmethod
    def _is_d(item: TexNode) -> bool:
        """``d``, ``\\mathrm{d}`` or ``\\partial``: the differential sign."""
        if not isinstance(item, Atom) or item.sub is not None or item.primes:
            return False
        if item.kind == "letter":
            return item.value == "d"
        return item.kind == "cmd" and (item.value == "partial" or (
            grammar.kind_of(item.value) == "word" and (item.word or "").strip() == "d"))

    def _order(self, sup: TexNode | None, pos: int) -> int:
        if sup is None:
            return 1
        n = self.argument_expression(sup)
        if not (isinstance(n, Num) and isinstance(n.value, int) and 1 <= n.value <= MAX_ORDER):
            self.error(f"the order of a derivative is read as a number from 1 to {MAX_ORDER}", pos)
        return int(n.value)

    def differential(self, den: TexNode) -> tuple[str, int] | None:
        """``dx``, ``d\\xi_i``, ``\\partial \\xi``, ``d(\\xi)``, ``dx^2``: (variable, order), or None."""
        items = den.items if isinstance(den, Group) else [den]
        if not items or not self._is_d(items[0]) or items[0].sup is not None:
            return None
        rest = items[1:]
        if len(rest) == 3 and self._is_char(rest[0], "(") and self._is_char(rest[2], ")"):
            var_item, order_sup = rest[1], rest[2].sup
        elif len(rest) == 1 and isinstance(rest[0], Fenced) and rest[0].left == "(" and len(rest[0].items) == 1:
            var_item, order_sup = rest[0].items[0], rest[0].sup
        elif len(rest) == 1:
            var_item, order_sup = rest[0], None
        else:
            return None
        if not isinstance(var_item, Atom) or var_item.primes or not (
                var_item.kind == "letter" or grammar.kind_of(var_item.value) in _NAME_KINDS):
            return None
        if var_item.kind == "cmd" and grammar.kind_of(var_item.value) == "word" \
                and _function_of_word((var_item.word or "").strip()) is not None:
            return None
        nm, sup = self.name_parts(var_item)
        if sup is not None and order_sup is not None:
            self.error("the order of a derivative is given twice", sup.pos)
        sup = sup or order_sup
        return self.fit(nm, variable=True), self._order(sup, sup.pos if sup is not None else den.pos)

    def fraction(self, cur: _Cursor, t: Atom) -> Node:
        num_arg, den_arg = t.args
        diff = self.differential(den_arg)
        num_items = num_arg.items if isinstance(num_arg, Group) else [num_arg]
        if diff is not None and num_items and self._is_d(num_items[0]):
            var, order = diff
            if self._order(num_items[0].sup, num_items[0].pos) != order:
                self.error("the orders of d^n and dx^n differ", t.pos)
            rest = num_items[1:]
            if not rest:  # \frac{d}{dx} ( … ): the operator, applied to what follows
                args, end, closer = self.arguments(cur, "\\frac{d}{d" + var + "}", t)
                if len(args) != 1:
                    self.error("a derivative takes one expression", t.pos)
                node = args[0]
                for _ in range(order):
                    node = self.node(Derivative(node, var, t.pos, end))
                if closer is not None:
                    node = self.scripts(node, closer, "a bracket")
                return self.scripts(node, t, "a derivative")
            self.enter(t.pos)
            func = self._bare_function(rest)
            if func is not None:  # \frac{d\sigma}{d\xi}: σ as a function of the variable
                head = rest[0]
                inner: Node = self.node(Call(func, [self.node(Name(var, head.pos, head.end))], head.pos, head.end))
            else:
                inner = self.expression_of(rest, rest[0].pos, num_arg.end)
            self.leave()
            node = inner
            for _ in range(order):
                node = self.node(Derivative(node, var, t.pos, t.end))
            return self.scripts(node, t, "a derivative")
        self.enter(t.pos)
        a = self.argument_expression(num_arg)
        b = self.argument_expression(den_arg)
        self.leave()
        return self.scripts(self.node(BinOp("/", a, b, t.pos, t.end)), t, "a fraction")

    def _bare_function(self, items: list) -> str | None:
        """``\\sigma``, ``\\tanh`` or ``\\mathrm{ReLU}`` alone (no argument): the function's name."""
        if len(items) != 1 or not isinstance(items[0], Atom) or items[0].kind != "cmd":
            return None
        a = items[0]
        if a.sub is not None or a.sup is not None or a.primes:
            return None
        if a.value == "sigma":
            return "sigma"
        if grammar.kind_of(a.value) == "function" and a.value not in ("max", "min"):
            return grammar.FUNCTIONS[a.value]
        if grammar.kind_of(a.value) == "word":
            func = _function_of_word((a.word or "").strip())
            return func if func not in (None, "max", "min") else None
        return None

    # -- sums ----------------------------------------------------------------------
    def _integer(self, node: Node, pos: int) -> int:
        """A sum's bound: a whole number (arithmetic on numbers and outer indices allowed)."""
        if isinstance(node, Num) and isinstance(node.value, int):
            return node.value
        if isinstance(node, Num) and isinstance(node.value, Fraction) and node.value.denominator == 1:
            return int(node.value)
        if isinstance(node, Unary) and node.op == "-":
            return -self._integer(node.arg, pos)
        if isinstance(node, BinOp) and node.op in "+-*":
            a, b = self._integer(node.left, pos), self._integer(node.right, pos)
            return a + b if node.op == "+" else a - b if node.op == "-" else a * b
        found = [n for n in syntax.walk(node) if isinstance(n, Name)]
        names = sorted({n.name for n in found})
        what = f" (here {', '.join(names)})" if names else ""
        self.error(f"the range of a sum must be whole numbers{what}: nncheck writes a sum out term by term",
                   found[0].pos if found else pos)

    def sum(self, cur: _Cursor, t: Atom) -> Node:
        if t.sub is None or t.sup is None:
            self.error("a sum needs its range, as in \\sum_{i=1}^{3}", t.pos)
        if t.primes:
            self.error("unexpected prime", t.end - 1)
        sub = t.sub.items if isinstance(t.sub, Group) else [t.sub]
        idx_item = sub[0] if sub else None
        if not (isinstance(idx_item, Atom) and idx_item.sub is None and idx_item.sup is None and (
                idx_item.kind == "letter" or grammar.kind_of(idx_item.value) == "greek")
                and len(sub) >= 3 and self._is_char(sub[1], "=")):
            self.error("a sum's range is read as \\sum_{i=1}^{n} with numbers", t.sub.pos)
        index = idx_item.value if idx_item.kind == "letter" else grammar.GREEK[idx_item.value]
        if index in self.env:
            self.error(f"the index '{index}' is already in use by an outer sum", idx_item.pos)
        lower = self._integer(self.expression_of(sub[2:], sub[2].pos, t.sub.end), sub[2].pos)
        upper = self._integer(self.argument_expression(t.sup), t.sup.pos)
        if lower < 0:
            self.error("a sum's index starts at 0 or above here", sub[2].pos)
        count = upper - lower + 1
        if count < 1:
            self.error(f"this sum has no terms ({lower} to {upper})", t.pos)
        if count > MAX_SUM_TERMS:
            self.error(f"a sum of {count} terms is too long to write out (the limit is {MAX_SUM_TERMS})",
                       t.pos, "too-complex")
        start = cur.i
        terms: list[Node] = []
        self.enter(t.pos)
        for k in range(lower, upper + 1):
            cur.i = start
            self.env[index] = k
            terms.append(self.multiplicative(cur))
        del self.env[index]
        self.leave()
        node = terms[0]
        for term in terms[1:]:
            node = self.node(BinOp("+", node, term, t.pos, term.end))
        return node


# ----------------------------------------------------------------------------
# Entry points.
# ----------------------------------------------------------------------------
def _math_span(text: str) -> tuple[int, int]:
    """The answer without one pair of math delimiters around it: ``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``."""
    lo, hi = 0, len(text)
    while lo < hi and text[lo].isspace():
        lo += 1
    while hi > lo and text[hi - 1].isspace():
        hi -= 1
    for open_, close in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if text.startswith(open_, lo):
            if hi - lo >= len(open_) + len(close) and text.endswith(close, lo, hi):
                return lo + len(open_), hi - len(close)
            raise AnswerSyntaxError(f"'{open_}' is never closed", lo, text)
    return lo, hi


def to_node(text: str, *, symbols: set[str] | None = None, lo: int = 0, hi: int | None = None,
            matrix: bool = False) -> Node:
    """The answer language's tree for the LaTeX math in ``text[lo:hi]`` (positions in ``text``).

    ``symbols``: the declared names, used only to fit a LaTeX name to the form a problem
    declares (``\\bar{w}_1`` → ``w1``, ``x_1`` → ``x_1`` where ``x_1`` and not ``x1`` is
    declared); None keeps every name as spelled.  Letter indices (``\\xi_i``) are printed as
    they are (``xi_i``): the plain parser reads them against the symbols.
    """
    tree = parse_tex(text, lo, hi)
    return _Reader(text, symbols, matrix).top(tree)


def latex_to_plain(text: str, *, symbols=None) -> str:
    """One LaTeX expression or relation as plain answer-language text (raises on the LaTeX text)."""
    if len(text) > MAX_LENGTH:
        raise AnswerSyntaxError(f"answer too long ({len(text):,} characters; the limit is {MAX_LENGTH:,})",
                                MAX_LENGTH, text[:MAX_LENGTH + 1], code="too-long")
    lo, hi = _math_span(text)
    return to_text(to_node(text, symbols=None if symbols is None else set(symbols), lo=lo, hi=hi))


def _pair(plain: Node, tex: Node) -> list[tuple[Node, Node]] | None:
    """The nodes of two trees of one shape, side by side (None when the shapes differ)."""
    a, b = list(syntax.walk(plain)), list(syntax.walk(tex))
    if len(a) != len(b) or any(len(x.children()) != len(y.children()) for x, y in zip(a, b)):
        return None
    return list(zip(a, b))


def map_position(tex_tree: Node, plain_text: str, plain_pos: int, text: str) -> int:
    """Where in the LaTeX ``text`` the character ``plain_pos`` of its plain printing came from."""
    # Read the plain text again as permissively as the language allows: every name a symbol,
    # or (where a bare function name is refused even so) every name of the tree declared.
    declared = syntax.names_in(tex_tree) | {n.var for n in syntax.walk(tex_tree) if isinstance(n, Derivative)}
    pairs = None
    for symbols in (None, declared):
        try:
            reread = syntax.parse(plain_text, symbols=symbols, relations=True, derivatives=True, equations=True)
        except AnswerSyntaxError:
            continue
        pairs = _pair(reread, tex_tree)
        if pairs is not None:
            break
    if pairs is None:
        return tex_tree.pos
    best = None
    for p, t in pairs:
        if p.pos <= plain_pos < max(p.end, p.pos + 1) and (best is None or p.end - p.pos < best[0].end - best[0].pos):
            best = (p, t)
    if best is None:
        return tex_tree.end if plain_pos >= len(plain_text) else tex_tree.pos
    p, t = best
    if plain_pos == p.pos:
        return t.pos
    kids = list(zip(p.children(), t.children()))
    for (pk, tk), (pk2, tk2) in zip(kids, kids[1:]):
        if pk.end <= plain_pos < pk2.pos:  # an operator between two terms: the first mark after the left one
            j = tk.end
            while j < tk2.pos and (text[j].isspace() or text[j] in "&"):
                j += 1
            return j
    return t.pos


def relocate(plain: Node, tex: Node) -> Node:
    """Give the plain parser's tree the LaTeX positions of the tree it was printed from."""
    pairs = _pair(plain, tex)
    if pairs is None:
        for n in syntax.walk(plain):
            n.pos, n.end = tex.pos, tex.end
        return plain
    for p, t in pairs:
        p.pos, p.end = t.pos, t.end
    return plain


def parse_latex(text: str, symbols=(), *, relations: bool = False, words=(), derivatives: bool = False,
                equations: bool = False, extra_functions: dict | None = None, transpose: bool = True) -> Node:
    """Parse a LaTeX answer into the tree the plain parser gives for the same answer typed plain.

    The options are :func:`nncheck.lang.syntax.parse`'s (formula mode excepted: that is for
    bank files).  Raises :class:`AnswerSyntaxError` with its position in ``text``.
    """
    if not isinstance(text, str):
        raise AnswerSyntaxError("the answer must be text", 0, "")
    if len(text) > MAX_LENGTH:
        raise AnswerSyntaxError(f"answer too long ({len(text):,} characters; the limit is {MAX_LENGTH:,})",
                                MAX_LENGTH, text[:MAX_LENGTH + 1], code="too-long")
    lo, hi = _math_span(text)
    tree = to_node(text, symbols=None if symbols is None else set(symbols), lo=lo, hi=hi)
    plain = to_text(tree)
    try:
        node = syntax.parse(plain, symbols, relations=relations, words=words, derivatives=derivatives,
                            equations=equations, extra_functions=extra_functions, transpose=transpose)
    except AnswerSyntaxError as e:
        message = e.message
        if e.code == "too-long":
            message = f"too long once written out ({len(plain):,} characters; the limit is {MAX_LENGTH:,})"
        raise AnswerSyntaxError(message, map_position(tree, plain, e.pos, text), text, code=e.code) from None
    return relocate(node, tree)
