"""The SymPy answer path of the recurrent families (rnn, lstm, gru): an unrolled graph.

The forward pass is a graph of scalar nodes, each a SymPy expression of earlier nodes.
``sympy.diff`` gives each node's partial derivatives; a reverse sweep adds adjoint ×
partial over every use of a node, so every adjoint is the *total* derivative
d out/d node (all paths, as in the course notes' flow graphs).  Nothing here knows
tanh′ = 1 − tanh², σ′ = σ(1 − σ) or any BPTT recursion: that is what makes it an
independent check of the NumPy path.

SymPy is imported inside the methods: ``nncheck show`` imports the topic modules.
"""

from __future__ import annotations

from nncheck.errors import AnswerKeyError
from nncheck.topics.base import R

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `nncheck show` imports this module
if TYPE_CHECKING:
    from typing import Any

    #: A SymPy expression or symbol (SymPy ships no type information).
    Expr = Any

CHOP = 1e-24
PREC = 30  # digits carried by the SymPy path: σ and tanh make closed forms nest beyond use

#: A node's symbolic partials, by its expression: ``sympy.diff`` depends only on the expression, and
#: the unrolled graphs of two instances of one shape repeat the same expressions of the same node
#: symbols (σ(z_i1[0]), f1[0]·c0[0] + i1[0]·g1[0], …), only the numbers substituted afterwards
#: differ.  Grading a class computes hundreds of keys of a few shapes: each partial is derived once a
#: process.  Bounded: past :data:`MAX_PARTIALS` expressions it starts again.
_PARTIALS: dict = {}
MAX_PARTIALS = 50_000


class Graph:
    """Scalar nodes defined by SymPy expressions of earlier nodes, with 30-digit values.

    ``adjoints(out)`` returns d out / d node for every node: partials come from
    ``sympy.diff`` of each node's own expression (with the numbers substituted at once,
    which keeps every expression small), and are summed over every use of a node.
    Symbols are declared real (every value is): SymPy then settles its assumption queries
    quickly, which halves the time of a cold run.
    """

    def __init__(self) -> None:
        import sympy

        self.sp = sympy
        self.defs: dict[Expr, Expr | None] = {}  # node -> its expression (None for an input)
        self.vals: dict[Expr, Expr] = {}  # node -> its value
        self.order: list[Expr] = []  # nodes in the order defined: a topological order

    def const(self, x: object) -> Expr:
        """A parameter value as an exact SymPy number (0.1 stays 1/10)."""
        return R(x)

    def input(self, name: str, value: object) -> Expr:
        """A leaf: a parameter the output is differentiated with respect to."""
        s = self.sp.Symbol(name, real=True)
        self.defs[s] = None
        self.vals[s] = self.sp.Float(self.const(value), PREC)
        self.order.append(s)
        return s

    def inputs(self, name: str, values: list) -> list:
        """A vector (``name[k]``) or a matrix given as rows (``name[k][j]``) of leaves."""
        return [self.inputs(f"{name}[{k}]", v) if isinstance(v, list) else self.input(f"{name}[{k}]", v)
                for k, v in enumerate(values)]

    def define(self, name: str, expr: Expr) -> Expr:
        """A node whose value is ``expr`` of earlier nodes."""
        s = self.sp.Symbol(name, real=True)
        v = expr.xreplace(self.vals)
        if not v.is_Number:
            v = v.evalf(PREC)
        self.defs[s] = expr
        self.vals[s] = v
        self.order.append(s)
        return s

    def value(self, s: Expr) -> Expr:
        return chop(self.vals[s])

    def adjoints(self, out: Expr) -> dict[Expr, Expr]:
        """d out / d node for every node that ``out`` depends on (total derivatives)."""
        adj: dict[Expr, Expr] = {out: self.sp.Float(1, PREC)}
        diff = self.sp.diff
        for s in reversed(self.order):
            e = self.defs[s]
            if e is None or s not in adj:
                continue
            g = adj[s]
            partials = _PARTIALS.get(e)
            if partials is None:
                if len(_PARTIALS) >= MAX_PARTIALS:
                    _PARTIALS.clear()
                partials = _PARTIALS[e] = tuple((parent, diff(e, parent)) for parent in e.free_symbols)
            for parent, symbolic in partials:
                partial = symbolic.xreplace(self.vals)
                if not partial.is_Number:
                    partial = partial.evalf(PREC)
                adj[parent] = adj.get(parent, 0) + g * partial
        return {s: chop(v) for s, v in adj.items()}

    @staticmethod
    def sigmoid(z: Expr) -> Expr:
        """σ written out, so that SymPy differentiates the exponential itself."""
        import sympy

        return 1 / (1 + sympy.exp(-z))


def lin(row: list[Expr], v: list[Expr]) -> Expr:
    """Σ_j row[j]·v[j]: one unit's weighted input (a row of a weight matrix times a vector)."""
    return sum(a * x for a, x in zip(row, v))


def chop(v: Expr) -> Expr:
    """A 30-digit value below 1e-24 is rounding noise of an exact 0 (the bounded inputs keep real
    values far above it), so the key shows 0 rather than -1.8e-31."""
    import sympy

    return sympy.Integer(0) if abs(v) < CHOP else v


def proven(derived: Expr, nice: Expr, what: str) -> Expr:
    """Return ``nice`` once SymPy shows it equals what differentiation gave; refuse otherwise."""
    import sympy

    if sympy.cancel(sympy.expand(derived - nice)) != 0:
        raise AnswerKeyError(f"the SymPy derivation of {what} does not reduce to the stated rule: {derived}")
    return nice
