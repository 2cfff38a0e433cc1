"""Shapes in a vector-form derivation: the ``shapes:`` line, and the shape of every term.

A derivation that declares shapes (``shapes: W1: N×D, x: D, W2: K×N, delta2: K``, or a bank
problem's ``shapes:``) is read in the answer language's matrix mode: transposes, ``⊙``,
products by juxtaposition (see ``docs/answer-language.md``, "Matrix answers").  Every term of
every line is shape-checked here, when the derivation is read and before anything is computed,
by the rules of :mod:`nncheck.lang.shapes` with two additions a derivation needs:

* a **defined name** (``xi1 = W1 x + b1``, from ``given:`` or a line of the derivation) has
  the shape of its definition;
* **``d/dV(E)``** is the gradient of a *number* E with respect to V, and has V's shape
  (∇_{W⁽¹⁾}L is N×D when W⁽¹⁾ is); the derivative of a vector (a Jacobian) is refused.

A term whose shapes do not conform makes its line unreadable, with the shapes named and the
change that would make it conform ("W2 delta2 is (K×N)(K×1), which does not conform: did you
mean W2' delta2?"), as a matrix answer's would be.  Plain Python: no SymPy.
"""

from __future__ import annotations

from collections.abc import Mapping

from nncheck.derive.lines import rebuild
from nncheck.lang.shapes import Shape, infer, is_scalar, mistake_of, shape_text
from nncheck.lang.syntax import AnswerSyntaxError, Derivative, Name, Node, names_in, walk

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import NoReturn

    from nncheck.derive.lines import ParsedText

PLACEHOLDER = "@g"  # '@' never appears in a user's name
#: The named mistakes a suggested change corrects, in words (:func:`nncheck.lang.shapes.mistake_of`).
MISTAKE_WORDS = {"transposed-product": "a transposed product", "product-for-hadamard":
                 "a matrix product where ⊙ belongs", "hadamard-for-product": "⊙ where a matrix product belongs",
                 "transposed": "a transpose"}


class Shaper:
    """The shapes of one derivation's terms: declared symbols, definitions, gradients."""

    def __init__(self, declared: Mapping[str, tuple[str, str]], definitions: Mapping[str, tuple[Node, str]]):
        self.declared = dict(declared)
        self.defs: dict[str, tuple[Node, str]] = dict(definitions)
        self._memo: dict[str, Shape] = {}
        self._busy: set[str] = set()

    def define(self, name: str, node: Node, text: str) -> None:
        self.defs.setdefault(name, (node, text))

    def of_name(self, name: str) -> Shape:
        """A name's shape: its definition's, else its declared one, else a number."""
        if name in self._memo:
            return self._memo[name]
        d = self.defs.get(name)
        if d is None or name in self._busy:
            shape: Shape = self.declared.get(name)
        else:
            self._busy.add(name)
            try:
                shape = self.of(d[0], d[1])
            finally:
                self._busy.discard(name)
        self._memo[name] = shape
        return shape

    def of(self, node: Node, text: str) -> Shape:
        """The shape of ``node`` (parsed from ``text``); raises :class:`AnswerSyntaxError` (code ``shape``)."""
        shapes: dict[str, Shape] = {}
        for n in names_in(node):
            shapes[n] = self.of_name(n)
        tree = node
        if any(isinstance(n, Derivative) for n in walk(node)):
            def repl(n: Node):
                if isinstance(n, Derivative):
                    name = f"{PLACEHOLDER}{len(shapes)}"
                    shapes[name] = self._gradient(n, text)
                    return Name(name, n.pos, n.end)
                return None

            tree = rebuild(node, repl)
        known = {k: v for k, v in shapes.items() if v is not None}
        return infer(tree, known, text)

    def _gradient(self, d: Derivative, text: str) -> Shape:
        inner = self.of(d.expr, text)
        if not is_scalar(inner):
            raise AnswerSyntaxError(f"d/d{d.var}( ) of something {shape_text(inner)}: a derivative here is the "
                                    f"gradient of a number (the loss), not of a vector or matrix",
                                    d.pos, text, code="shape")
        return self.of_name(d.var)


def _worded(e: AnswerSyntaxError) -> AnswerSyntaxError:
    """The shape error, with the named mistake its suggestion corrects in words."""
    mistake = mistake_of(e)
    if mistake is None or mistake not in MISTAKE_WORDS:
        return e
    out = AnswerSyntaxError(f"{e.message} ({MISTAKE_WORDS[mistake]})", e.pos, e.text, code=e.code)
    out.mistake = mistake  # type: ignore[attr-defined]
    return out


def shaper_for(plan) -> Shaper:
    """The shaper of a :class:`~nncheck.derive.plan.Plan` (its declared shapes and definitions)."""
    return Shaper(plan.shapes, {d.name: (d.node, d.text) for d in plan.definitions})


def check_lines(plan, parsed: ParsedText, problem=None) -> None:
    """Shape-check every line of a vector-form derivation, in order: a line whose terms do not conform
    becomes unreadable (``kind = "error"``), with the shapes named.  The problem's own start, target,
    definitions and gradients must conform: a :class:`~nncheck.errors.BankError` otherwise."""
    shaper = shaper_for(plan)
    for d in plan.definitions:
        declared = plan.shapes.get(d.name)
        try:
            got = shaper.of_name(d.name)
        except AnswerSyntaxError as e:
            _given_error(problem, parsed, d.line, f"the definition of {d.name}: {e.message}", e)
            continue
        if declared is not None and got != declared and not (is_scalar(got) and is_scalar(declared)):
            _given_error(problem, parsed, d.line, f"{d.name} is declared {shape_text(declared)} but its definition "
                                               f"{d.text.strip()} is {shape_text(got)}", None)
    for c in plan.constraints:
        try:
            a, b = shaper.of(c.left, c.text), shaper.of(c.right, c.text)
        except AnswerSyntaxError as e:
            _given_error(problem, parsed, c.line, e.message, e)
            continue
        if a != b and not (is_scalar(a) and is_scalar(b)):
            _given_error(problem, parsed, c.line, f"{c.text.strip()}: the left side is {shape_text(a)}, the right "
                                               f"side is {shape_text(b)}", None)
    for what, term in (("start", plan.start), ("target", plan.target)):
        if term is None:
            continue
        try:
            shaper.of(term.node, term.text)
        except AnswerSyntaxError as e:
            if term.line is not None:
                _given_error(problem, parsed, term.line, e.message, e)
            elif plan.mode == "problem":
                _bank_error(problem, f"the {what} '{term.text}': {e.message}")
            else:
                from nncheck.errors import UsageError

                raise UsageError(f"--{what}: {e.message}", hint=e.caret().replace("\n", " ")) from None
    for line in parsed.lines:
        if line.kind not in ("claim", "continuation", "definition") or line.node is None:
            continue
        terms = line.terms
        if line.kind == "definition" and line.define is not None:
            terms = line.terms[1:]
        try:
            shapes = [shaper.of(t, line.text) for t in terms]
        except AnswerSyntaxError as e:
            line.kind, line.error = "error", _worded(e)
            continue
        wanted = plan.shapes.get(line.define) if line.kind == "definition" and line.define else None
        if wanted is not None and shapes and shapes[0] != wanted and not (is_scalar(shapes[0]) and is_scalar(wanted)):
            line.kind = "error"
            line.error = AnswerSyntaxError(f"{line.define} is declared {shape_text(wanted)} but is defined here "
                                           f"as something {shape_text(shapes[0])}", terms[0].pos, line.text,
                                           code="shape")
            continue
        if line.kind == "definition" and line.define is not None:
            shaper.define(line.define, line.terms[1], line.text)


def _given_error(problem, parsed: ParsedText, line_no: int | None, message: str,
                 err: AnswerSyntaxError | None) -> None:
    """A definition or gradient that does not conform: its header line is unreadable, or (the problem's
    own) the bank is wrong."""
    if line_no is None:
        _bank_error(problem, message)
    for line in parsed.lines:
        if line.number == line_no and line.kind != "error":
            line.kind = "error"
            line.error = err if err is not None and err.text == line.text else \
                AnswerSyntaxError(message, 0, line.text, code="shape")
            return


def _bank_error(problem, message: str) -> NoReturn:
    from nncheck.errors import BankError

    where = "?" if problem is None else f"{problem.id or '?'}.{problem.part_name or 'part'}"
    raise BankError(f"the problem's shapes do not conform: {message}",
                    file=getattr(problem, "file", None) or "?", field=where)
