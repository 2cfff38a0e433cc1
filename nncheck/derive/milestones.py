"""Milestones: the pieces of work a grader looks for in a derivation, recognised by *form*.

Every line of a valid derivation has the same value as every other, so a milestone cannot
be recognised by value.  It is recognised by how a line is written (a bank part declares
its milestones; ``docs/authoring.md`` documents the keys):

* ``uses: [exp]``            every name listed appears in the line (functions and symbols alike);
* ``not_uses: [sigma, h]``   none of them appears;
* ``derivative: false``      no derivative is left unevaluated (``true``: at least one is);
* ``derivative_of: [ln]``    at least one derivative is left, and each is the derivative of one
  of these functions (constant factors aside): ``y d/dxi(ln(yhat))``;
* ``form: EXPR`` (or a list)  the line is EXPR rearranged: the same names, and equal when every
  function (σ, tanh, exp, ln, …) is an unknown function of its argument.  Expanding,
  factoring, cancelling and reordering are trivial; using a function's law (e^a·e^b = e^(a+b),
  σ's definition) is not.  ``form: target`` is the problem's target in this sense, and is
  always the last milestone: the final line must be *in the target's form*.

Names are the answer language's: ``ln`` and ``log`` are one function, ``e^u`` is ``exp``,
``sigma'`` (σ′ written as such) is a derivative of σ left unevaluated.

:func:`credit` turns the milestones met on a derivation's lines into a score: a milestone
earns its share on the first line, at or after the previous milestone's line, that has its
form; a milestone no line reaches while a later one is reached was *skipped*, and earns
nothing.  Nothing here evaluates user text: lines are syntax trees from the answer language.
"""

from __future__ import annotations

import random

from nncheck.derive.numeval import Evaluator
from nncheck.derive.plan import Term
from nncheck.lang.syntax import (
    CONSTANTS,
    DERIVATIVE_FUNCTIONS,
    FUNCTION_ALIASES,
    FUNCTIONS,
    BinOp,
    Call,
    Derivative,
    Name,
    Node,
    Unary,
    walk,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (kept off the grading path's imports)
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

#: The keys of a milestone that describe a form (at least one is required).
FORM_KEYS = ("uses", "not_uses", "derivative", "derivative_of", "form")
TARGET = "target"
K_POINTS = 4  # random points at which two forms must agree
#: Spellings of one function: ln and log are the natural log.
_SAME = {"log": "ln"}


def canonical(name: str) -> str:
    """The one spelling of a function or symbol name (``log`` → ``ln``, ``sigmoid`` → ``sigma``)."""
    name = FUNCTION_ALIASES.get(name, name)
    return _SAME.get(name, name)


def function_names() -> set[str]:
    """Every function a milestone may name (``sigma'`` and the other shorthands included)."""
    return {canonical(f) for f in (*FUNCTIONS, *DERIVATIVE_FUNCTIONS)}


class Milestone:
    """One milestone of a derivation part (from the bank's ``milestones:`` list)."""

    __slots__ = ("id", "share", "missing", "shows", "uses", "not_uses", "derivative", "derivative_of", "forms",
                 "target")

    def __init__(self, id: str, share: float, missing: str, *, shows: str | None = None, uses: Iterable[str] = (),
                 not_uses: Iterable[str] = (), derivative: bool | None = None, derivative_of: Iterable[str] = (),
                 form: str | list[str] | None = None):
        self.id, self.share, self.missing = id, float(share), missing
        self.shows = shows or id
        self.uses = frozenset(canonical(n) for n in uses)
        self.not_uses = frozenset(canonical(n) for n in not_uses)
        self.derivative = derivative
        self.derivative_of = frozenset(canonical(n) for n in derivative_of)
        forms = [form] if isinstance(form, str) else list(form or [])
        self.target = TARGET in forms
        self.forms = [f for f in forms if f != TARGET]  # expressions whose form a line must have

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Milestone:
        return cls(spec["id"], spec["share"], spec["missing"], shows=spec.get("shows"),
                   uses=spec.get("uses") or (), not_uses=spec.get("not_uses") or (),
                   derivative=spec.get("derivative"), derivative_of=spec.get("derivative_of") or (),
                   form=spec.get("form"))

    @property
    def needs_sympy(self) -> bool:
        """Does recognising it compare a line with an expression (beyond the names it uses)?"""
        return bool(self.forms)

    def names(self) -> set[str]:
        """The names the milestone mentions (for the bank's check that each is known)."""
        return set(self.uses | self.not_uses | self.derivative_of)

    def to_json(self) -> dict:
        return {"id": self.id, "share": self.share, "shows": self.shows}


def milestones_from(specs: Iterable[Mapping[str, Any]] | None) -> list[Milestone]:
    return [Milestone.from_spec(s) for s in specs or ()]


# ----------------------------------------------------------------------------
# The vocabulary of a line (syntax trees only: no SymPy).
# ----------------------------------------------------------------------------
def vocabulary(node: Node) -> set[str]:
    """The functions and symbols a line is written with (``e^u`` counts as exp; e and pi do not count)."""
    out: set[str] = set()
    for n in walk(node):
        if isinstance(n, Call):
            out.add(canonical(n.func))
        elif isinstance(n, Name):
            if n.name not in CONSTANTS:
                out.add(n.name)
        elif isinstance(n, BinOp) and n.op == "^" and isinstance(n.left, Name) and n.left.name == "e":
            out.add("exp")
        elif isinstance(n, Derivative):
            out.add(n.var)
    return out


def _depends(node: Node, var: str, defs: Mapping[str, Node]) -> bool:
    """Does ``node`` depend on ``var``, through the definitions (``h = sigma(xi)`` depends on xi)?"""
    seen: set[str] = set()
    todo = [node]
    while todo:
        for n in walk(todo.pop()):
            if isinstance(n, Derivative):
                if n.var == var:
                    return True
            elif isinstance(n, Name):
                if n.name == var:
                    return True
                if n.name in defs and n.name not in seen:
                    seen.add(n.name)
                    todo.append(defs[n.name])
    return False


def _head(node: Node, var: str, defs: Mapping[str, Node]) -> str | None:
    """The function a derivative in ``var`` is taken of: ``d/dxi(-y ln(yhat))`` is of ln, ``d/dxi(h)``
    with ``h = sigma(xi)`` of σ; None for a sum, a product of two varying factors, a plain symbol."""
    seen: set[str] = set()
    while True:
        if isinstance(node, Unary):
            node = node.arg
        elif isinstance(node, BinOp) and node.op == "*" and not _depends(node.left, var, defs):
            node = node.right
        elif isinstance(node, BinOp) and node.op in "*/" and not _depends(node.right, var, defs):
            node = node.left
        elif isinstance(node, Call):
            return canonical(node.func)
        elif isinstance(node, Name) and node.name in defs and node.name not in seen:
            seen.add(node.name)
            node = defs[node.name]
        else:
            return None


def derivative_heads(node: Node, defs: Mapping[str, Node]) -> list[str | None]:
    """One entry per derivative left in the line: the function it is the derivative of (or None).

    ``d/dxi(…)`` nodes count once each (a derivative inside another is part of it), and so do the
    shorthands σ′(u), tanh′(u), relu′(u), which are derivatives written as such.
    """
    out: list[str | None] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Derivative):
            out.append(_head(n.expr, n.var, defs))
            continue
        if isinstance(n, Call) and n.func.endswith("'"):
            out.append(canonical(n.func[:-1]))
        stack.extend(n.children())
    return out


def has_vocabulary(m: Milestone, node: Node, defs: Mapping[str, Node]) -> bool:
    """The part of a milestone's form that the syntax tree alone decides (everything but ``form``)."""
    vocab = vocabulary(node)
    if not m.uses <= vocab or m.not_uses & vocab:
        return False
    if m.derivative is not None or m.derivative_of:
        heads = derivative_heads(node, defs)
        if m.derivative is not None and bool(heads) != m.derivative:
            return False
        if m.derivative_of and not (heads and all(h in m.derivative_of for h in heads)):
            return False
    return True


# ----------------------------------------------------------------------------
# Same form: the same names, equal with every function unknown (SymPy, in the checker's child).
# ----------------------------------------------------------------------------
def same_form(ctx, a: Term, b: Term) -> bool:
    """Is ``a`` written in ``b``'s form: the same functions and symbols, and equal once every
    function is an arbitrary function of its argument (so only rearranging is allowed)?"""
    if getattr(ctx, "matrix", False):  # a vector-form derivation: entry by entry
        return bool(ctx.same_form(a, b))
    if vocabulary(a.node) != vocabulary(b.node):
        return False
    if a.node == b.node:
        return True
    return opaque_equal(ctx, ctx.literal(a.node, a.text), ctx.literal(b.node, b.text))


def opaque_equal(ctx, A, B, seed: int = 0) -> bool:
    """``A`` = ``B`` at K_POINTS random points, every function application a fixed random function
    of its arguments' values (defined names and derivatives are plain symbols in literal views)."""
    from nncheck.derive.check import random_point
    from nncheck.derive.numeval import Unsupported, close

    syms = sorted(A.free_symbols | B.free_symbols, key=lambda s: s.name)
    ok = 0
    for k in range(K_POINTS + 4):
        rng = random.Random(seed * 7919 + k)
        named = [s for s in syms if not s.name.startswith("_") and type(s).__name__ != "Dummy"]
        pt = random_point([s.name for s in named], ctx.domains, rng)
        env = {s: complex(float(pt[s.name])) if s in named else complex(rng.uniform(-2.0, 2.0)) for s in syms}
        ev = _OpaqueEvaluator(env, salt=k)
        try:
            a, b = ev(A), ev(B)
        except (Unsupported, ZeroDivisionError, OverflowError, ValueError, TypeError):
            continue
        if not close(a, b, 1e-7):
            return False
        ok += 1
        if ok >= K_POINTS:
            return True
    return False


class _OpaqueEvaluator(Evaluator):
    """Every function application is an unknown function of its arguments' values."""

    def _ev(self, e):
        if getattr(e, "is_Function", False) and e.args:
            vals = [self.ev(x) for x in e.args]
            key = type(e).__name__ + "|" + "|".join(f"{_key(v.real)},{_key(v.imag)}" for v in vals) + f"|{self.salt}"
            return complex(random.Random(key).uniform(-2.0, 2.0), 0.0)
        return super()._ev(e)


def _key(x: float) -> str:
    """``x`` rounded so that equal arguments computed along different paths agree (−0.0 and 1e-17 are 0)."""
    return "0" if abs(x) < 1e-12 else f"{x:.8e}"


# ----------------------------------------------------------------------------
# Credit.
# ----------------------------------------------------------------------------
class Credit:
    """Which milestones a derivation earned, on which of its lines, and which it skipped."""

    def __init__(self, milestones: list[Milestone]):
        self.milestones = milestones
        self.at: list[int | None] = [None] * len(milestones)  # the line (position on the path) that earned it
        self.skipped: list[bool] = [False] * len(milestones)

    @property
    def score(self) -> float:
        return round(sum(m.share for m, at in zip(self.milestones, self.at) if at is not None), 9)

    @property
    def earned(self) -> list[bool]:
        return [at is not None for at in self.at]

    def missing(self, *, skipped: bool) -> list[Milestone]:
        """The milestones skipped (a later one was reached) or, with ``skipped=False``, not reached yet."""
        return [m for m, at, sk in zip(self.milestones, self.at, self.skipped) if at is None and sk == skipped]


def credit(milestones: list[Milestone], ok: list[list[bool]]) -> Credit:
    """Assign milestones to lines: ``ok[p][i]`` says line ``p`` of the (sound part of the) derivation has
    milestone ``i``'s form.  Milestones are met in order, each on a line at or after the previous one's;
    the assignment that earns the most credit wins (the earliest milestones first, on a tie)."""
    n, lines = len(milestones), len(ok)
    out = Credit(milestones)
    if not n:
        return out
    # best[i][p]: the most credit milestones i.. can earn on lines p..; pick[i][p]: the line milestone i takes.
    best = [[0.0] * (lines + 1) for _ in range(n + 1)]
    pick: list[list[int | None]] = [[None] * (lines + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        share = milestones[i].share
        for p in range(lines, -1, -1):
            value, where = best[i + 1][p], None  # milestone i not earned
            first = next((q for q in range(p, lines) if ok[q][i]), None)
            if first is not None and share + best[i + 1][first] >= value - 1e-12:
                value, where = share + best[i + 1][first], first
            best[i][p], pick[i][p] = value, where
    p = 0
    for i in range(n):
        where = pick[i][p]
        if where is not None:
            out.at[i] = where
            p = where
    last = max((i for i in range(n) if out.at[i] is not None), default=-1)
    out.skipped = [out.at[i] is None and i < last for i in range(n)]
    return out


__all__ = ["FORM_KEYS", "TARGET", "Credit", "Milestone", "canonical", "credit", "derivative_heads",
           "function_names", "has_vocabulary", "milestones_from", "opaque_equal", "same_form", "vocabulary"]
