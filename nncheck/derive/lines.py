"""Read a derivation: split it into lines and parse each one with the answer language.

A derivation has one step per line::

    # the derivative of the sigmoid          <- a comment
    assume: xi > -10                          <- a header: domains and constraints
    let h = sigma(xi)                         <- a header: a definition
    shapes: W2: K×N, h: N, delta2: K          <- a header: vectors and matrices (matrix mode)
    d/dxi(sigma(xi)) = d/dxi(1/(1+exp(-xi)))  <- an equation (a chain a = b = c is several steps)
      = exp(-xi)/(1+exp(-xi))^2               <- a continuation of the line above
    h(1-h)                                    <- an expression: equal to the line before

An equation ``NAME = …`` whose NAME has not been used yet is a *definition*, as the
course notes write ``h = σ(ξ) = 1/(1+e^(−ξ))``.  No SymPy here: this module only parses, so
that a hostile line costs the parser's bounded work and nothing more.
"""

from __future__ import annotations

from fractions import Fraction

from nncheck.lang.syntax import (
    CONSTANTS,
    AnswerSyntaxError,
    BinOp,
    Call,
    Derivative,
    Matrix,
    Name,
    Node,
    Relation,
    Transpose,
    Unary,
    Vector,
    names_in,
    parse,
    tokenize,
    walk,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import NoReturn

MAX_LINES = 200  # lines of one derivation (a derivation is typed by hand; the parser bounds each line)
MAX_CHARS = 40_000  # characters of one derivation in all

#: Header words.  ``start:``/``target:`` need the colon, since start and target are fine symbol names.
_HEADERS = {"assume": "assume", "assuming": "assume", "given": "given", "let": "given", "define": "given",
            "where": "given", "start": "start", "target": "target", "shapes": "shapes"}
_NEEDS_COLON = {"start", "target", "where", "shapes"}


class Line:
    """One line of the derivation as typed, and what it was read as."""

    __slots__ = ("number", "row", "raw", "text", "kind", "node", "terms", "define", "error", "note")

    def __init__(self, number: int, raw: str, text: str, kind: str):
        self.number = number  # 1-based line number in the input (a LaTeX document: its .tex line)
        # The line of the text that was read, unique: a .tex line may hold two equations, which
        # become two lines with one ``number`` (see nncheck.derive.plan.read_latex).
        self.row = number
        self.raw = raw  # the line as typed (comment included)
        self.text = text  # the part that was parsed; node positions refer to it
        self.kind = kind  # claim | continuation | definition | assume | given | start | target | error
        self.node: Node | None = None
        self.terms: list[Node] = []  # the terms of a chain a = b = c, or [expr]
        self.define: str | None = None  # the name a definition line introduces
        self.error: AnswerSyntaxError | None = None
        self.note = ""  # why a line was read the way it was (shown with --json)

    @property
    def shown(self) -> str:
        """The line without its comment, for display."""
        return self.text.strip() if self.kind != "continuation" else "= " + self.text.strip()

    def shown_parsed(self) -> str:
        """The line as it was read (explicit ``*``), or as typed when it was not read."""
        if self.node is None:
            return self.shown
        from nncheck.lang.syntax import to_text

        return ("= " if self.kind == "continuation" else "") + to_text(self.node)


class Definition:
    """``name = value``: a substitution every later step may use."""

    __slots__ = ("name", "node", "line", "text")

    def __init__(self, name: str, node: Node, line: int | None, text: str):
        self.name, self.node, self.line, self.text = name, node, line, text


class Constraint:
    """An equation such as ``y1 + y2 + y3 = 1`` that holds throughout (one-hot labels)."""

    __slots__ = ("left", "right", "line", "text")

    def __init__(self, left: Node, right: Node, line: int | None, text: str):
        self.left, self.right, self.line, self.text = left, right, line, text


class ParsedText:
    """Everything read from a derivation's text."""

    def __init__(self):
        self.lines: list[Line] = []
        self.domains: dict[str, str] = {}
        self.constraints: list[Constraint] = []
        self.definitions: list[Definition] = []
        self.start: tuple[Node, str] | None = None
        self.target: tuple[Node, str] | None = None
        #: ``shapes:`` lines: name -> (rows, columns) in named sizes (a vector-form derivation).
        self.shapes: dict[str, tuple[str, str]] = {}


def shift_error(err: AnswerSyntaxError, offset: int, text: str) -> AnswerSyntaxError:
    """The same error, with its position moved into the full line ``text``."""
    return AnswerSyntaxError(err.message, err.pos + offset, text, code=err.code)


# ----------------------------------------------------------------------------
# Domains: "w > 0, 0 < yhat < 1", "n: integer", "x in [0, 1]".
# ----------------------------------------------------------------------------
def _split_top(text: str, sep: str = ",") -> list[tuple[int, str]]:
    """Split at ``sep`` outside brackets; keep each piece's offset."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == sep and depth == 0:
            out.append((start, text[start:i]))
            start = i + 1
    out.append((start, text[start:]))
    return out


class _Interval:
    """The bounds assumed for one symbol: exact (Fractions), or infinite (floats)."""

    __slots__ = ("lo", "hi", "lo_closed", "hi_closed", "named")

    def __init__(self):
        self.lo: Fraction | float = -float("inf")
        self.hi: Fraction | float = float("inf")
        self.lo_closed = self.hi_closed = False
        self.named = None  # "integer" or another named domain given with "x: name"

    def lower(self, v: Fraction | float, closed: bool):
        if v > self.lo or (v == self.lo and not closed):
            self.lo, self.lo_closed = v, closed

    def upper(self, v: Fraction | float, closed: bool):
        if v < self.hi or (v == self.hi and not closed):
            self.hi, self.hi_closed = v, closed

    def domain(self) -> str:
        if self.named and self.lo == -float("inf") and self.hi == float("inf"):
            return self.named
        lo, hi = self.lo, self.hi
        if lo == 0 and hi == float("inf"):
            return "nonnegative" if self.lo_closed else "positive"
        if hi == 0 and lo == -float("inf") and not self.hi_closed:
            return "negative"
        if lo == -float("inf") and hi == float("inf"):
            return "real"
        return (("[" if self.lo_closed else "(") + _num(lo) + "," + _num(hi) + ("]" if self.hi_closed else ")"))


def _num(v: Fraction | float) -> str:
    if v == float("inf"):
        return "inf"
    if v == -float("inf"):
        return "-inf"
    from nncheck.lang.domains import bound_text

    return bound_text(Fraction(v))  # exactly: x > 1/3 is not x > 0.3333333333333333


def _inward(v: float, up: bool) -> Fraction:
    """An inexact bound (``x > e``, a double a few units in its last place off) as a 12-digit
    decimal just inside it: rounded up for a lower bound, down for an upper one, so that every
    point of the domain satisfies the assumption as written."""
    import math

    if v == 0:
        return Fraction(0)
    q = Fraction(v)
    q += (1 if up else -1) * abs(q) / 10**13
    scale = Fraction(10) ** (math.floor(math.log10(abs(v))) - 11)
    n = q / scale
    return (math.ceil(n) if up else math.floor(n)) * scale


_NAMED_DOMAINS = ("real", "positive", "nonnegative", "negative", "probability", "integer")


def parse_assumptions(text: str, *, offset: int = 0, full: str | None = None,
                      line: int | None = None) -> tuple[dict[str, str], list[Constraint]]:
    """Domains and constraints from ``w > 0, 0 < yhat < 1, n: integer, y1 + y2 = 1``.

    Raises :class:`AnswerSyntaxError` pointing into ``full`` (the whole line) on a bad item.
    """
    from nncheck.lang.domains import DomainError, check_bound, domain
    from nncheck.lang.numeric import EvalError, evaluate

    full = text if full is None else full
    intervals: dict[str, _Interval] = {}
    constraints: list[Constraint] = []
    where: dict[str, int] = {}  # where each symbol's last condition starts

    def fail(msg: str, pos: int) -> NoReturn:
        raise AnswerSyntaxError(msg, offset + pos, full)

    for pos, item in _split_top(text):
        stripped = item.strip()
        lead = pos + len(item) - len(item.lstrip())
        if not stripped:
            if len(_split_top(text)) > 1:
                fail("an empty condition between commas", pos)
            continue
        # "x: positive", "x: (0,1)", "x in (0,1)"
        name, sep, dom = stripped.partition(":")
        if not sep and " in " in stripped:
            name, sep, dom = stripped.partition(" in ")
        if sep:
            name, dom = name.strip(), dom.strip()
            if not name.replace("_", "a").isalnum() or not name[0].isalpha():
                fail(f"'{name}' is not a symbol name", lead)
            try:
                hull = domain(dom).hull()
            except DomainError as e:
                fail(str(e), lead + len(stripped) - len(dom))  # at the domain, after ':' or 'in'
            iv = intervals.setdefault(name, _Interval())
            if dom.strip().lower() in _NAMED_DOMAINS and dom.strip().lower() in ("integer", "real"):
                iv.named = dom.strip().lower()
            else:
                iv.lower(hull.lo if hull.lo is not None else -float("inf"), not hull.lo_open)
                iv.upper(hull.hi if hull.hi is not None else float("inf"), not hull.hi_open)
            continue
        try:
            node = parse(item, symbols=None, relations=True, equations=True)
        except AnswerSyntaxError as e:
            raise shift_error(e, offset + pos, full) from None
        if not isinstance(node, Relation):
            fail("expected a condition such as w > 0, 0 < yhat < 1 or y1 + y2 + y3 = 1", lead)
        if all(op == "=" for op in node.ops):
            if len(node.terms) != 2:
                fail("write one equation per condition", lead)
            constraints.append(Constraint(node.terms[0], node.terms[1], line, item))
            continue
        if "=" in node.ops or "!=" in node.ops:
            fail("mix of '=' and '<'/'>' in one condition", lead)
        names = [t.name for t in node.terms if isinstance(t, Name) and t.name not in CONSTANTS]
        if len(names) != 1:
            fail("a domain condition compares one symbol with numbers, e.g. 0 < yhat < 1", lead)
        var = names[0]
        iv = intervals.setdefault(var, _Interval())
        # None stands for the symbol itself; a bound is exact (a Fraction), or a float when it is
        # not rational (e, sqrt(2)), rounded inward below once its side is known.
        values: list[Fraction | float | None] = []
        for t in node.terms:
            if isinstance(t, Name) and t.name == var:
                values.append(None)
                continue
            if names_in(t) - CONSTANTS:
                fail("the bounds of a domain must be numbers", t.pos + pos)
            try:
                v = evaluate(t, {}, item)
            except EvalError as e:
                raise shift_error(e, offset + pos, full) from None
            if not isinstance(v, (int, float, Fraction)) or isinstance(v, bool):
                fail("the bounds of a domain must be numbers", t.pos + pos)
            try:
                # Beyond 10^300 in size (x > 1e400, x < 10^300*10^300) a bound is refused, not rounded.
                check_bound(Fraction(v), item[t.pos:t.end].strip() or str(v))
            except (DomainError, OverflowError, ValueError) as e:  # OverflowError, ValueError: inf, nan
                fail(str(e) if isinstance(e, DomainError) else "a bound must be a finite number", t.pos + pos)
            values.append(v if isinstance(v, float) else Fraction(v))
        for (a, b), op in zip(zip(values, values[1:]), node.ops):
            if a is None and b is None:
                fail("compare the symbol with a number", lead)
            # Normalise to "var OP bound" (a number compared with a number says nothing about var).
            if a is None and b is not None:
                bound, o = b, op
            elif b is None and a is not None:
                bound, o = a, {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
            else:
                continue
            if isinstance(bound, float):
                bound = _inward(bound, o in (">", ">="))
            if o in (">", ">="):
                iv.lower(bound, o == ">=")
            else:
                iv.upper(bound, o == "<=")
        if not (iv.lo < iv.hi):
            fail(f"the conditions on {var} leave no value", lead)
        where[var] = lead
    out = {name: iv.domain() for name, iv in intervals.items()}
    for name, text_ in out.items():
        try:
            domain(text_)  # e.g. 1e300 < x < 10^300 + 1: no double lies between the ends
        except DomainError as e:
            fail(f"the conditions on {name}: {e}", where.get(name, 0))
    return out, constraints


# ----------------------------------------------------------------------------
# Shapes: "W2: K×N, h: N" (a vector-form derivation, nncheck.derive.shaping).
# ----------------------------------------------------------------------------
def parse_shapes(text: str, *, offset: int = 0, full: str | None = None) -> dict[str, tuple[str, str]]:
    """``W2: K×N, h: N, delta2: K`` → {name: (rows, columns)}; a vector is a column.

    Raises :class:`AnswerSyntaxError` pointing into ``full`` (the whole line) on a bad item.
    """
    from nncheck.lang.shapes import MAX_DIMS, ShapeError, read_shape, sizes_of

    full = text if full is None else full
    out: dict[str, tuple[str, str]] = {}
    for pos, item in _split_top(text):
        stripped = item.strip()
        lead = offset + pos + len(item) - len(item.lstrip())
        if not stripped:
            raise AnswerSyntaxError("an empty shape between commas", lead, full)
        name, sep, spec = stripped.partition(":")
        name = name.strip()
        if not sep or not spec.strip():
            raise AnswerSyntaxError("a shape is declared as NAME: K×N (or NAME: N for a vector)", lead, full)
        if not (name[:1].isalpha() and name.replace("_", "a").isalnum()):
            raise AnswerSyntaxError(f"'{name}' is not a symbol name", lead, full)
        try:
            out[name] = read_shape(spec.strip())
        except ShapeError as e:
            raise AnswerSyntaxError(str(e), lead + len(stripped) - len(spec.lstrip()), full) from None
        if len(sizes_of(out)) > MAX_DIMS:  # each size takes a prime up to 13: the matrices stay small
            raise AnswerSyntaxError(f"at most {MAX_DIMS} size names in one derivation", lead, full)
    return out



# ----------------------------------------------------------------------------
# Lines.
# ----------------------------------------------------------------------------
def _strip_comment(raw: str) -> str:
    cut = raw.find("#")
    return raw if cut < 0 else raw[:cut]


def _header(text: str) -> tuple[str, int] | None:
    """(kind, offset of the content) when ``text`` is a header line such as ``assume: w > 0``."""
    s = text.lstrip()
    lead = len(text) - len(s)
    word = ""
    for ch in s:
        if ch.isalpha():
            word += ch
        else:
            break
    kind = _HEADERS.get(word.lower())
    if kind is None:
        return None
    rest = s[len(word):]
    if rest.lstrip().startswith(":"):
        return kind, lead + len(word) + rest.index(":") + 1
    if word.lower() in _NEEDS_COLON or not rest[:1].isspace() or not rest.strip():
        return None
    # "let h = ..." / "assume w > 0": the word must be followed by more than an '=' claim.
    if rest.lstrip().startswith("="):
        return None
    return kind, lead + len(word)


def rebuild(node: Node, fn):
    """A copy of ``node`` in which ``fn`` may replace nodes (fn returns None to recurse)."""
    r = fn(node)
    if r is not None:
        return r
    if isinstance(node, Unary):
        return Unary(node.op, rebuild(node.arg, fn), node.pos, node.end)
    if isinstance(node, BinOp):
        return BinOp(node.op, rebuild(node.left, fn), rebuild(node.right, fn), node.pos, node.end)
    if isinstance(node, Call):
        return Call(node.func, [rebuild(a, fn) for a in node.args], node.pos, node.end)
    if isinstance(node, Vector):
        return Vector([rebuild(a, fn) for a in node.items], node.pos, node.end)
    if isinstance(node, Matrix):
        return Matrix([[rebuild(a, fn) for a in row] for row in node.rows], node.pos, node.end)
    if isinstance(node, Transpose):
        return Transpose(rebuild(node.arg, fn), node.pos, node.end)
    if isinstance(node, Derivative):
        return Derivative(rebuild(node.expr, fn), node.var, node.pos, node.end)
    if isinstance(node, Relation):
        return Relation([rebuild(t, fn) for t in node.terms], node.ops, node.pos, node.end)
    return node


def _derivative_vars(node: Node) -> set[str]:
    return {n.var for n in walk(node) if isinstance(n, Derivative)}


def _quotient_of_ds(node: Node, declared) -> tuple[str, str, int] | None:
    """``dh/dxi`` written for a derivative: a quotient of two names starting with d.

    Returns the two names and where the quotient starts.
    """
    for n in walk(node):
        if isinstance(n, BinOp) and n.op == "/" and isinstance(n.left, Name) and isinstance(n.right, Name):
            a, b = n.left.name, n.right.name
            if (len(a) > 1 and len(b) > 1 and a[0] == "d" and b[0] == "d"
                    and not (declared is not None and a in declared and b in declared)):
                return a, b, n.pos
    return None


def _terms(node: Node) -> list[Node]:
    if isinstance(node, Relation):
        return list(node.terms)
    return [node]


def _first_name_before_eq(text: str) -> str | None:
    try:
        toks = tokenize(text)
    except AnswerSyntaxError:
        return None
    if len(toks) >= 3 and toks[0].kind == "name" and toks[1].kind == "rel" and toks[1].value == "=":
        return toks[0].value
    return None


class LineReader:
    """Parse lines one by one, tracking the names in use (so that fresh names can be defined).

    ``symbols``: None accepts any name (free-form); otherwise the names a problem
    declares, to which definitions add their names.
    """

    def __init__(self, symbols: set[str] | None = None, used: set[str] | None = None, *, matrix: bool = False):
        self.symbols = None if symbols is None else set(symbols)
        # A vector-form derivation (shapes declared) reads every line in the answer language's matrix
        # mode: transposes, ⊙, products by juxtaposition binding tighter than ⊙ (nncheck.derive.shaping).
        self.matrix = matrix
        # Names already taken: a definition must introduce a new one.  A problem's own given
        # names are declared symbols (for their domains) that its definitions then claim.
        self.used: set[str] = set(used) if used is not None else set(self.symbols or ())

    def parse_expr(self, text: str, *, allow_equation: bool = True, define: str | None = None) -> Node:
        syms = self.symbols if define is None or self.symbols is None else self.symbols | {define}
        return parse(text, symbols=syms, derivatives=True, equations=allow_equation, matrix=self.matrix)

    def _lint(self, node: Node, text: str):
        from nncheck.lang.syntax import FUNCTION_ALIASES, FUNCTIONS

        # Where any name is a symbol, the parser reads a function name without '(' as a name:
        # tanh^2(xi) would be a symbol "tanh" squared times xi.  In a derivation that is a slip.
        for n in walk(node):
            if isinstance(n, Name) and (n.name in FUNCTIONS or n.name in FUNCTION_ALIASES) \
                    and not (self.symbols is not None and n.name in self.symbols):
                raise AnswerSyntaxError(f"the function '{n.name}' needs parentheses: write {n.name}(…) "
                                        f"(and tanh(xi)^2 for tanh²ξ)", n.pos, text)
        bad = _quotient_of_ds(node, self.symbols)
        if bad is not None:
            a, b, at = bad
            raise AnswerSyntaxError(
                f"{a}/{b} reads as a quotient of two symbols; write d/{b}({a[1:]}) for a derivative",
                at, text, code="ambiguous")

    def note_used(self, node: Node):
        self.used |= names_in(node) | _derivative_vars(node)

    def read_definition(self, text: str, offset: int, full: str, line_no: int | None) -> Definition | Constraint:
        """The content of a ``let``/``given:`` header: ``NAME = expr`` or a constraint equation."""
        name = _first_name_before_eq(text)
        fresh = name is not None and name not in self.used and name not in CONSTANTS
        try:
            node = self.parse_expr(text, define=name if fresh else None)
            self._lint(node, text)
        except AnswerSyntaxError as e:
            raise shift_error(e, offset, full) from None
        if not isinstance(node, Relation) or len(node.terms) != 2:
            raise AnswerSyntaxError("a definition is one equation: NAME = expression", offset, full)
        left, right = node.terms
        if isinstance(left, Name) and left.name not in CONSTANTS:
            if left.name in self.used:
                raise AnswerSyntaxError(f"'{left.name}' is already in use; a definition must introduce a new name",
                                        offset + left.pos, full)
            if left.name in names_in(right) | _derivative_vars(right):
                raise AnswerSyntaxError(f"'{left.name}' cannot be defined in terms of itself", offset + left.pos, full)
            self.note_used(node)
            if self.symbols is not None:
                self.symbols.add(left.name)
            return Definition(left.name, right, line_no, text)
        self.note_used(node)
        return Constraint(left, right, line_no, text)

    def read_claim(self, line: Line) -> None:
        """Parse a claim or continuation line in place (sets node/terms/define or error)."""
        text = line.text
        define = None
        if line.kind != "continuation":
            cand = _first_name_before_eq(text)
            if cand is not None and cand not in self.used and cand not in CONSTANTS:
                define = cand
        try:
            try:
                node = self.parse_expr(text)
            except AnswerSyntaxError as e:
                # In a problem, a fresh name may be introduced by a definition line: NAME = ...
                if define is None or self.symbols is None or e.code != "unknown-name":
                    raise
                node = self.parse_expr(text, define=define)
            self._lint(node, text)
        except AnswerSyntaxError as e:
            line.kind, line.error = "error", e
            return
        terms = _terms(node)
        line.node, line.terms = node, terms
        if (define is not None and len(terms) >= 2 and isinstance(terms[0], Name) and terms[0].name == define
                and define not in set().union(*(names_in(t) | _derivative_vars(t) for t in terms[1:]))):
            line.kind, line.define = "definition", define
            line.note = f"defines {define}"
            if self.symbols is not None:
                self.symbols.add(define)
        self.note_used(node)


def declares_shapes(text: str) -> bool:
    """Does ``text`` have a ``shapes:`` line (so that every line is read in matrix mode)?"""
    return any((head := _header(_strip_comment(raw))) is not None and head[0] == "shapes"
               for raw in text.replace("\r", "\n").split("\n"))


def read_text(text: str, *, symbols: set[str] | None = None, used: set[str] | None = None,
              allow_headers: tuple[str, ...] = ("assume", "given", "start", "target", "shapes"),
              reader: LineReader | None = None) -> ParsedText:
    """Split ``text`` into lines and parse every one; errors stay on their lines."""
    out = ParsedText()
    if len(text) > MAX_CHARS:
        raise AnswerSyntaxError(f"derivation too long ({len(text):,} characters; the limit is {MAX_CHARS:,})",
                                MAX_CHARS, text[:MAX_CHARS], code="too-long")
    raws = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if sum(1 for r in raws if _strip_comment(r).strip()) > MAX_LINES:
        raise AnswerSyntaxError(f"derivation too long (more than {MAX_LINES} lines)", 0, "", code="too-long")
    reader = reader or LineReader(symbols, used)
    if "shapes" in allow_headers and declares_shapes(text):
        reader.matrix = True  # before any line is read: the shapes may come below a definition
    for number, raw in enumerate(raws, 1):
        body = _strip_comment(raw).rstrip()
        if not body.strip():
            continue
        head = _header(body)
        if head is not None:
            kind, off = head
            line = Line(number, raw, body, kind)
            out.lines.append(line)
            content = body[off:]
            try:
                if kind not in allow_headers:
                    raise AnswerSyntaxError(f"'{kind}' lines are not allowed here"
                                            + (": the problem sets the domains" if kind == "assume" else "")
                                            + (": the problem sets the shapes" if kind == "shapes" else ""),
                                            len(body) - len(body.lstrip()), body)
                if not content.strip():
                    raise AnswerSyntaxError(f"'{kind}:' needs something after it", off, body)
                _read_header(out, reader, line, kind, content, off, body)
            except AnswerSyntaxError as e:
                line.kind, line.error = "error", e
            continue
        s = body.lstrip()
        if s.startswith("=") and not s.startswith("=="):
            lead = len(body) - len(s)
            line = Line(number, raw, body[:lead] + " " + s[1:], "continuation")
        else:
            line = Line(number, raw, body, "claim")
        out.lines.append(line)
        reader.read_claim(line)
    return out


def _read_header(out: ParsedText, reader: LineReader, line: Line, kind: str, content: str, off: int,
                 body: str) -> None:
    if kind == "assume":
        domains, constraints = parse_assumptions(content, offset=off, full=body, line=line.number)
        out.domains.update(domains)
        out.constraints.extend(constraints)
        for c in constraints:
            reader.note_used(c.left)
            reader.note_used(c.right)
        reader.used |= set(domains)
        line.note = ", ".join(f"{k}: {v}" for k, v in domains.items())
        return
    if kind == "shapes":
        from nncheck.lang.shapes import declared_text

        shapes = parse_shapes(content, offset=off, full=body)
        out.shapes.update(shapes)
        line.note = ", ".join(f"{k}: {declared_text(v)}" for k, v in shapes.items())
        return
    if kind == "given":
        for pos, piece in _split_top(content, ";"):
            if not piece.strip():
                continue
            item = reader.read_definition(piece, off + pos, body, line.number)
            if isinstance(item, Definition):
                out.definitions.append(item)
                line.define = item.name if line.define is None else line.define
            else:
                out.constraints.append(item)
        line.node = None
        return
    # start: / target:
    try:
        node = reader.parse_expr(content, allow_equation=False)
        reader._lint(node, content)
    except AnswerSyntaxError as e:
        raise shift_error(e, off, body) from None
    # Not "used": a target may name h before the line that defines h = sigma(xi).
    line.node, line.terms = node, [node]
    setattr(out, kind, (node, content))
