"""From parsed lines to the list of steps to check (no SymPy here).

How lines relate (the rules the user sees in ``nncheck derive --help``):

* ``a = b = c`` claims a = b and b = c: two steps;
* a line starting with ``=`` continues the line above it;
* a line that is just an expression must equal where the derivation had got to;
* an equation line is a claim of its own; in a *problem* its left side must also follow
  from where the derivation had got to (a "link" step), so that a derivation cannot
  jump from the start to the target;
* ``NAME = …`` with a new NAME is a definition.  A definition with a single right side
  is an aside; a definition chain at the very top (``dLdc_t = … = …``) starts the derivation.

A derivation in LaTeX (a ``.tex`` homework, or a bare ``&=`` chain) is read by
:mod:`nncheck.lang.latex` into plain lines first (:func:`read_latex`); every line, step and
caret then refers to the ``.tex`` source.
"""

from __future__ import annotations

from nncheck.derive.lines import (
    Constraint,
    Definition,
    Line,
    LineReader,
    ParsedText,
    parse_assumptions,
    read_text,
)
from nncheck.lang.syntax import AnswerSyntaxError, Node, to_text

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from nncheck.lang.latex.document import LatexDocument


class Term:
    """One side of a step: a syntax tree and the text its positions refer to."""

    __slots__ = ("node", "text", "line", "row", "shown")

    def __init__(self, node: Node, text: str, line: int | None, row: int | None = None):
        self.node, self.text, self.line = node, text, line
        self.row = line if row is None else row  # the Line.row it was read from (unique, unlike line)
        self.shown = to_text(node)


class Step:
    """One claim ``left = right`` and, once checked, its verdict."""

    __slots__ = ("index", "line", "row", "kind", "left", "right", "status", "rule", "detail", "counterexample",
                 "error", "hint", "elapsed", "cpu")

    def __init__(self, line: int, kind: str, left: Term | None, right: Term | None):
        self.index = 0
        self.line = line
        # The line that carries the step (its right side's): views group steps by it, since two
        # lines of a LaTeX document may share a .tex line number.
        self.row = right.row if right is not None and right.row is not None else line
        self.kind = kind  # step | link | start | line (an unparsable line)
        self.left, self.right = left, right
        self.status = "pending"  # valid | invalid | unparsable | undecided
        self.rule: str | None = None
        self.detail = ""
        self.counterexample: dict | None = None
        self.error: AnswerSyntaxError | None = None
        self.hint: str | None = None
        self.elapsed = 0.0  # seconds the check took (wall clock)
        self.cpu = 0.0  # CPU seconds the check took

    def to_json(self) -> dict:
        out = {"step": self.index, "line": self.line, "kind": self.kind, "status": self.status, "rule": self.rule,
               "detail": self.detail,
               "from": self.left.shown if self.left is not None else None,
               "to": self.right.shown if self.right is not None else None}
        if self.counterexample is not None:
            out["counterexample"] = self.counterexample
        if self.hint:
            out["hint"] = self.hint
        if self.error is not None:
            out["error"] = {"message": self.error.message, "position": self.error.pos, "caret": self.error.caret(),
                            "code": self.error.code}
        return out


class Plan:
    """The steps of a derivation and everything needed to check them."""

    def __init__(self):
        self.mode = "free"  # free | problem
        self.parsed: ParsedText | None = None
        self.domains: dict[str, str] = {}
        self.definitions: list[Definition] = []
        self.constraints: list[Constraint] = []
        self.start: Term | None = None
        self.target: Term | None = None
        self.steps: list[Step] = []
        self.start_candidates: list[tuple[Term, bool]] = []  # (term, hard): hard = must match the start
        self.final: Term | None = None  # where the derivation got to
        self.notes: list[str] = []
        self.symbols: set[str] | None = None


def is_latex(text: str) -> bool:
    """Whether a derivation is LaTeX: outside the plain format's ``#`` comments it has a backslash,
    a brace or a ``$``, none of which a plain derivation can use (so ``# see {notes}`` in a plain
    file is still plain).  ``\\#`` keeps its backslash, so LaTeX with an escaped ``#`` is still LaTeX."""
    from nncheck.lang.latex import looks_like_latex

    return any(looks_like_latex(raw.split("#", 1)[0]) for raw in text.splitlines())


def read_latex(text: str, problem=None) -> LatexDocument:
    """A LaTeX derivation (a document, or bare math such as ``a &= b \\\\ &= c``) as a
    :class:`~nncheck.lang.latex.document.LatexDocument`, whose ``text`` the plain reader reads.
    Names are fitted to a problem's symbols (``\\bar{w}_1`` is its ``w1``).  Raises
    :class:`AnswerSyntaxError` when the whole document is refused (too long)."""
    from nncheck.lang.latex import read_document

    return read_document(text, symbols=None if problem is None else set(problem.symbols))


def _to_source(parsed: ParsedText, doc: LatexDocument) -> None:
    """Give every line read from ``doc.text`` the number of its ``.tex`` line, and its error the
    caret under the LaTeX (``row`` keeps the plain line: two equations may share a ``.tex`` line)."""
    rows: set[int] = set()
    for ln in parsed.lines:
        ln.row = ln.number
        rows.add(ln.row)
        ln.number = doc.line_of(ln.row)
        if ln.error is not None:
            ln.error = doc.map_error(ln.row, ln.error)
    items: list[Definition | Constraint] = [*parsed.definitions, *parsed.constraints]
    for item in items:
        if item.line is not None:
            item.line = doc.line_of(item.line)
    # A statement the LaTeX reader refused is always on a line of its own; should the plain reader
    # have skipped that line (a '#' cuts it to nothing), its error must still be reported.
    missing = [r for r in doc.errors if r not in rows]
    for r in missing:
        err = doc.errors[r]
        line = Line(doc.line_of(r), err.text, err.text, "error")
        line.row, line.error = r, err
        parsed.lines.append(line)
    if missing:
        parsed.lines.sort(key=lambda ln: ln.row)


def build_plan(text: str, *, assume: str | None = None, problem=None, start: str | None = None,
               target: str | None = None, latex: bool | None = None) -> Plan:
    """Parse ``text`` (and the problem or the free-form options) into a :class:`Plan`.

    ``latex``: read ``text`` as LaTeX (True), as the plain format (False), or by what it looks
    like (None, :func:`is_latex`).
    """
    plan = Plan()
    reader: LineReader
    if problem is not None:
        plan.mode = "problem"
        from nncheck.derive.lines import _first_name_before_eq

        defined = {_first_name_before_eq(g) for g in problem.given} - {None}
        reader = LineReader(set(problem.symbols), used=set(problem.symbols) - defined)
        plan.domains = dict(problem.symbols)
        for i, g in enumerate(problem.given):
            # _bank_text calls the function at once; the default binds this iteration's g regardless.
            item = _bank_text(lambda g=g: reader.read_definition(g, 0, g, None), problem, f"given[{i}]", g)
            (plan.definitions if isinstance(item, Definition) else plan.constraints).append(item)
        plan.start = _bank_term(reader, problem.start, problem, "start")
        plan.target = _bank_term(reader, problem.target, problem, "target") if problem.target else None
        headers: tuple[str, ...] = ("given",)
    else:
        reader = LineReader(None)
        if assume:
            try:
                domains, constraints = parse_assumptions(assume)
            except AnswerSyntaxError as e:
                from nncheck.errors import UsageError

                raise UsageError(f"--assume: {e.message}", hint=e.caret().replace("\n", " ")) from None
            plan.domains.update(domains)
            plan.constraints.extend(constraints)
            reader.used |= set(domains)
        for opt, value in (("start", start), ("target", target)):
            if value is not None:
                try:
                    if latex or (latex is None and is_latex(value)):
                        from nncheck.lang.latex import parse_latex

                        node = parse_latex(value, None, derivatives=True)
                    else:
                        node = reader.parse_expr(value, allow_equation=False)
                except AnswerSyntaxError as e:
                    from nncheck.errors import UsageError

                    raise UsageError(f"--{opt}: {e.message}", hint=e.caret().replace("\n", " ")) from None
                setattr(plan, opt, Term(node, value, None))
        headers = ("assume", "given", "start", "target")
    doc = read_latex(text, problem) if latex or (latex is None and is_latex(text)) else None
    parsed = read_text(text if doc is None else doc.text, reader=reader, allow_headers=headers)
    if doc is not None:
        _to_source(parsed, doc)
    plan.parsed = parsed
    plan.symbols = reader.symbols
    # Header lines: the text's own domains, constraints, definitions, start and target.
    plan.domains.update(parsed.domains)
    plan.constraints.extend(parsed.constraints)
    plan.definitions.extend(parsed.definitions)
    if parsed.start is not None:
        plan.start = Term(parsed.start[0], parsed.start[1], _line_of(parsed, "start"))
    if parsed.target is not None:
        plan.target = Term(parsed.target[0], parsed.target[1], _line_of(parsed, "target"))
    _steps(plan, parsed)
    for i, s in enumerate(plan.steps, 1):
        s.index = i
    return plan


def _line_of(parsed: ParsedText, kind: str) -> int | None:
    for line in parsed.lines:
        if line.kind == kind:
            return line.number
    return None


def _bank_text(fn, problem, field: str, text: str):
    try:
        return fn()
    except AnswerSyntaxError as e:
        from nncheck.errors import BankError

        raise BankError(f"{field} '{text}' does not parse: {e.message} at character {e.pos + 1}",
                        file=problem.file or "?", field=f"{problem.id or '?'}.{problem.part_name or 'part'}") from None


def _bank_term(reader: LineReader, text: str, problem, field: str) -> Term:
    node = _bank_text(lambda: reader.parse_expr(text, allow_equation=False), problem, field, text)
    return Term(node, text, None)


def _steps(plan: Plan, parsed: ParsedText) -> None:
    """Walk the lines and lay out the steps (see the module docstring for the rules)."""
    problem = plan.mode == "problem" or plan.start is not None
    anchor: Term | None = None  # where the derivation has got to
    anchor_head: Term | None = None  # the first term of the chain that got there
    prev_last: Term | None = None  # the last term of the line just above (for '=' lines)
    chain_is_definition = False
    chain_terms = 0
    seen_claim = False

    def close_chain():
        # A definition chain at the top (two terms or more) starts the derivation.
        nonlocal anchor, anchor_head
        if chain_is_definition and not seen_claim and chain_terms >= 2 and prev_last is not None:
            anchor, anchor_head = prev_last, chain_head

    chain_head: Term | None = None
    for line in parsed.lines:
        if line.kind in ("assume", "given", "start", "target"):
            continue
        if line.kind == "error":
            assert line.error is not None  # an "error" line carries its error
            close_chain()
            st = Step(line.number, "line", None, None)
            st.row = line.row
            st.status, st.error, st.detail = "unparsable", line.error, line.error.message
            plan.steps.append(st)
            prev_last = None
            chain_is_definition, chain_terms = False, 0
            continue
        terms = [Term(t, line.text, line.number, line.row) for t in line.terms]
        if line.kind == "continuation":
            if prev_last is None:
                plan.notes.append(f"line {line.number} starts with '=' but there is no line above it to continue")
                # Read it as a fresh chain so that the lines after it can still be checked.
                line.kind = "claim"
            else:
                plan.steps.append(Step(line.number, "step", prev_last, terms[0]))
                for a, b in zip(terms, terms[1:]):
                    plan.steps.append(Step(line.number, "step", a, b))
                chain_terms += len(terms)
                prev_last = terms[-1]
                if not chain_is_definition:
                    anchor = prev_last
                continue
        close_chain()
        if line.kind == "definition":
            assert line.define is not None  # a "definition" line names what it defines
            rhs = terms[1:]
            plan.definitions.append(Definition(line.define, rhs[0].node, line.number, line.text))
            if problem and not seen_claim:
                plan.start_candidates.append((rhs[0], False))
            for a, b in zip(rhs, rhs[1:]):
                plan.steps.append(Step(line.number, "step", a, b))
            chain_is_definition, chain_terms, chain_head = True, len(rhs), rhs[0]
            prev_last = rhs[-1]
            continue
        # A claim: an expression, or an equation t0 = t1 = ...
        head = terms[0]
        if len(terms) == 1:
            if anchor is not None:
                plan.steps.append(Step(line.number, "step", anchor, head))
        else:
            if plan.mode == "problem" and anchor is not None and not _same(head, anchor) \
                    and not (anchor_head is not None and _same(head, anchor_head)):
                plan.steps.append(Step(line.number, "link", anchor, head))
            for a, b in zip(terms, terms[1:]):
                plan.steps.append(Step(line.number, "step", a, b))
        if problem and not seen_claim:
            plan.start_candidates.append((head, True))
        seen_claim = True
        chain_is_definition, chain_terms, chain_head = False, len(terms), head
        prev_last = terms[-1]
        anchor = terms[-1]
        # An equation line starts a chain of its own; an expression line carries the chain on.
        anchor_head = head if len(terms) > 1 else (anchor_head or head)
    close_chain()
    if problem and not any(hard for _, hard in plan.start_candidates) and plan.start_candidates:
        # No claim line: the last definition chain at the top must be the start (dLdc_t = … lines).
        term, _ = plan.start_candidates[-1]
        plan.start_candidates[-1] = (term, True)
    plan.final = anchor


def _same(a: Term, b: Term) -> bool:
    return a.node == b.node
