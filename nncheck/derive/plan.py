"""From parsed lines to the list of steps to check (no SymPy here).

How lines relate (the rules the user sees in ``nncheck derive --help``):

* ``a = b = c`` claims a = b and b = c: two steps;
* a line starting with ``=`` continues the line above it;
* a line that is just an expression must equal where the derivation had got to;
* an equation line is a claim of its own; in a *problem* its left side must also follow
  from where the derivation had got to (a "link" step), so that a derivation cannot
  jump from the start to the target;
* ``NAME = …`` with a new NAME is a definition.  A definition with a single right side
  is an aside; a definition chain at the very top (``dLdc_t = … = …``) starts the derivation;
* in a problem, ``NAME = …`` where NAME already has a definition (the problem's ``given:``, as
  the notes restate ``ŷ_i = σ(ξ_i)`` above a derivation) is an aside about that definition, not a
  line of the derivation: written exactly as the definition it is shown as one (no step), and
  otherwise each ``=`` of it is checked (``yhat = 2 sigma(xi)`` is wrong, not a new meaning).

The steps are grouped into :class:`Chain` s: a claim line with the ``=`` and expression lines that
carry it on, or an aside.  A claim that does not continue where the derivation had got to
*opens* its chain: in free form it is a new result, checked on its own; in a problem the link
step decides (:mod:`.core`): a link that fails once the target is reached begins an extra result,
and a chain whose left side restates the start begins the derivation again.

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
                 "error", "hint", "elapsed", "cpu", "chain", "role")

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
        self.chain: int | None = None  # the index of its Chain in Plan.chains
        #: What the step is part of: the derivation (graded in a problem), an aside (a definition's or a
        #: given's own chain), an attempt (another derivation from the start, not graded), an extra result
        #: (after the target is reached, in a problem) or a result (a free-form claim on its own).
        self.role = "derivation"

    def to_json(self) -> dict:
        out = {"step": self.index, "line": self.line, "kind": self.kind, "status": self.status, "rule": self.rule,
               "detail": self.detail,
               "from": self.left.shown if self.left is not None else None,
               "to": self.right.shown if self.right is not None else None}
        if self.counterexample is not None:
            out["counterexample"] = self.counterexample
        if self.role != "derivation":
            out["role"] = self.role
        if self.hint:
            out["hint"] = self.hint
        if self.error is not None:
            out["error"] = {"message": self.error.message, "position": self.error.pos, "caret": self.error.caret(),
                            "code": self.error.code}
        return out


class Chain:
    """Steps written as one: a claim line with the ``=`` and expression lines that carry it on
    (kind ``claim``), or a definition's or a given's own ``=`` chain (kind ``aside``)."""

    __slots__ = ("index", "kind", "line", "head", "link", "steps", "opens")

    def __init__(self, index: int, kind: str, line: int, head: Term):
        self.index, self.kind, self.line, self.head = index, kind, line, head
        self.link: Step | None = None  # in a problem: the step from where the derivation had got to
        self.steps: list[Step] = []
        #: It does not continue where the derivation had got to (its left side is neither the last
        #: line nor the left side of the chain before): a new result, or in a problem a link to check.
        self.opens = False


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
        self.chains: list[Chain] = []
        self.start_candidates: list[tuple[Term, bool]] = []  # (term, hard): hard = must match the start
        self.final: Term | None = None  # where the derivation got to
        self.notes: list[str] = []
        self.symbols: set[str] | None = None
        #: A vector-form derivation: the declared shapes (name -> (rows, columns) in named sizes), and
        #: every line read in matrix mode and shape-checked (:mod:`nncheck.derive.shaping`).
        self.shapes: dict[str, tuple[str, str]] = {}
        self.matrix = False


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
        plan.shapes = dict(problem.shapes)
        plan.matrix = bool(plan.shapes)
        names = set(problem.symbols) | set(plan.shapes)
        reader = LineReader(names, used=names - defined, matrix=plan.matrix)
        plan.domains = dict(problem.symbols)
        for i, g in enumerate(problem.given):
            # _bank_text calls the function at once; the default binds this iteration's g regardless.
            item = _bank_text(lambda g=g: reader.read_definition(g, 0, g, None), problem, f"given[{i}]", g)
            (plan.definitions if isinstance(item, Definition) else plan.constraints).append(item)
        plan.start = _bank_term(reader, problem.start, problem, "start")
        plan.target = _bank_term(reader, problem.target, problem, "target") if problem.target else None
        headers: tuple[str, ...] = ("given",)
    else:
        from nncheck.derive.lines import declares_shapes

        reader = LineReader(None, matrix=declares_shapes(text))
        plan.matrix = reader.matrix
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
                    if not plan.matrix and (latex or (latex is None and is_latex(value))):
                        from nncheck.lang.latex import parse_latex

                        node = parse_latex(value, None, derivatives=True)
                    else:
                        node = reader.parse_expr(value, allow_equation=False)
                except AnswerSyntaxError as e:
                    from nncheck.errors import UsageError

                    raise UsageError(f"--{opt}: {e.message}", hint=e.caret().replace("\n", " ")) from None
                setattr(plan, opt, Term(node, value, None))
        headers = ("assume", "given", "start", "target", "shapes")
    # A vector-form derivation is read as plain text: '{' and '\\' have no meaning there, and the LaTeX
    # reader has no matrix mode for whole documents yet.
    doc = read_latex(text, problem) if not plan.matrix and (latex or (latex is None and is_latex(text))) else None
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
    plan.shapes.update(parsed.shapes)
    if plan.matrix:
        from nncheck.derive.shaping import check_lines

        check_lines(plan, parsed, problem)
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
    """Walk the lines and lay out the steps and their chains (see the module docstring for the rules)."""
    problem = plan.mode == "problem" or plan.start is not None
    anchor: Term | None = None  # where the derivation has got to
    anchor_head: Term | None = None  # the first term of the chain that got there
    prev_last: Term | None = None  # the last term of the line just above (for '=' lines)
    chain_is_definition = False  # the chain above is an aside ('=' lines carry it on, not the derivation)
    chain_can_start = False  # ...that starts the derivation if it is a chain at the very top
    chain_terms = 0
    seen_claim = False
    current: Chain | None = None  # the chain '=' lines continue
    claim_chain: Chain | None = None  # the chain where the derivation has got to (anchor's)

    def new_chain(kind: str, line: Line, head: Term) -> Chain:
        ch = Chain(len(plan.chains), kind, line.number, head)
        plan.chains.append(ch)
        return ch

    def add(step: Step, chain: Chain) -> None:
        step.chain = chain.index
        step.role = "aside" if chain.kind == "aside" else "derivation"
        chain.steps.append(step)
        plan.steps.append(step)

    def close_chain():
        # A definition chain at the top (two terms or more) starts the derivation.
        nonlocal anchor, anchor_head, claim_chain
        if chain_is_definition and chain_can_start and not seen_claim and chain_terms >= 2 \
                and prev_last is not None and current is not None:
            anchor, anchor_head = prev_last, chain_head
            if current.kind == "aside":
                current.kind = "claim"
                for st in current.steps:
                    st.role = "derivation"
            claim_chain = current

    chain_head: Term | None = None
    for line in parsed.lines:
        if line.kind in ("assume", "given", "start", "target", "shapes"):
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
            if prev_last is None or current is None:
                plan.notes.append(f"line {line.number} starts with '=' but there is no line above it to continue")
                # Read it as a fresh chain so that the lines after it can still be checked.
                line.kind = "claim"
            else:
                add(Step(line.number, "step", prev_last, terms[0]), current)
                for a, b in zip(terms, terms[1:]):
                    add(Step(line.number, "step", a, b), current)
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
            current = new_chain("aside", line, rhs[0])
            for a, b in zip(rhs, rhs[1:]):
                add(Step(line.number, "step", a, b), current)
            chain_is_definition, chain_can_start, chain_terms, chain_head = True, True, len(rhs), rhs[0]
            prev_last = rhs[-1]
            continue
        given = _restated_definition(plan, line, terms) if problem else None
        if given is not None:
            # A line about a definition already in force (the notes restate the problem's ŷ_i = σ(ξ_i)
            # above the derivation): an aside, never the start nor a link.  Each '=' is still checked,
            # so that a line giving a defined name another value is wrong, not a new meaning.
            if given.node == terms[0].node:  # value = NAME, exactly the definition turned round
                terms = terms[::-1]
            head, rhs = terms[0], terms[1:]
            current = new_chain("aside", line, head)
            if rhs[0].node == given.node:
                line.kind, line.define = "definition", given.name
                where = "the given" if given.line is None else f"the definition on line {given.line}:"
                line.note = f"restates {where} {given.name} = {to_text(given.node)}"
            else:
                add(Step(line.number, "step", head, rhs[0]), current)
            for a, b in zip(rhs, rhs[1:]):
                add(Step(line.number, "step", a, b), current)
            chain_is_definition, chain_can_start, chain_terms, chain_head = True, False, len(rhs), rhs[0]
            prev_last = rhs[-1]
            continue
        # A claim: an expression, or an equation t0 = t1 = ...
        head = terms[0]
        if len(terms) == 1 and anchor is not None and claim_chain is not None:
            # An expression line carries the derivation on from where it had got to.
            add(Step(line.number, "step", anchor, head), claim_chain)
            current = claim_chain
        else:
            current = new_chain("claim", line, head)
            current.opens = anchor is not None and not _same(head, anchor) \
                and not (anchor_head is not None and _same(head, anchor_head))
            if plan.mode == "problem" and current.opens:
                assert anchor is not None  # an opening chain has something before it
                current.link = Step(line.number, "link", anchor, head)
                add(current.link, current)
            for a, b in zip(terms, terms[1:]):
                add(Step(line.number, "step", a, b), current)
            claim_chain = current
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
    if plan.mode == "free":
        # Free form: a claim that does not carry on from the line before is a result of its own.
        opened = [ch for ch in plan.chains if ch.kind == "claim" and ch.opens]
        for ch in opened:
            for st in ch.steps:
                st.role = "result"
        if opened:
            plan.notes.append(_new_results_note([ch.line for ch in opened]))


def lines_text(lines: list[int]) -> str:
    """``line 4``, ``lines 4 and 9``, ``lines 2, 4 and 9``."""
    if len(lines) == 1:
        return f"line {lines[0]}"
    return "lines " + ", ".join(str(n) for n in lines[:-1]) + f" and {lines[-1]}"


def _new_results_note(lines: list[int]) -> str:
    if len(lines) == 1:
        return f"line {lines[0]} begins a new result, checked on its own (not as a step from the line before)"
    return f"{lines_text(lines)} begin new results, each checked on its own (not as a step from the line before)"


def _restated_definition(plan: Plan, line: Line, terms: list[Term]) -> Definition | None:
    """The definition in force that a claim is about: ``NAME = …`` where NAME is defined (by the
    problem's ``given:``, a header or an earlier line) and is not the problem's start, or the definition
    written the other way round, ``value = NAME``, exactly."""
    from nncheck.lang.syntax import Name

    def in_force(node: Node) -> Definition | None:
        if not isinstance(node, Name) or (plan.start is not None and plan.start.node == node):
            return None
        return next((d for d in plan.definitions
                     if d.name == node.name and (d.line is None or d.line <= line.number)), None)

    if len(terms) < 2:
        return None
    d = in_force(terms[0].node)
    if d is not None:
        return d
    d = in_force(terms[-1].node) if len(terms) == 2 else None
    if d is not None and terms[0].node == d.node and not (plan.start is not None and plan.start.node == d.node):
        return d
    return None


def _same(a: Term, b: Term) -> bool:
    return a.node == b.node
