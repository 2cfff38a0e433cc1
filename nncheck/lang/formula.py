"""Bank formulas, evaluated in plain Python: derived values, constraints, ``when``, templates.

This is the light half of :mod:`nncheck.topics.formula`, on the start-up path of ``nncheck show``:
no SymPy, no NumPy.  The answer language's exact evaluator does the arithmetic; the
bank-only functions (``at``, ``dot``, ``norm``, ``mean``, ``ifelse``) are computed here and
spliced into the tree as literals.
"""

from __future__ import annotations

import math
from fractions import Fraction

from nncheck.lang.numeric import evaluate, exact_sqrt
from nncheck.lang.syntax import BinOp, Call, Matrix, Node, Num, Relation, Transpose, Unary, Vector, parse

TYPE_CHECKING = False  # typing stays off the start-up path
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

#: Functions bank formulas may use on top of the answer language's and the formula extras.
EXTRA_FUNCTIONS = {"at": (2, 3), "dot": (2, 2), "norm": (1, 1), "mean": (1, 1), "ifelse": (3, 3)}


class FormulaError(ValueError):
    def __init__(self, message: str, node: Node | None = None):
        super().__init__(message)
        self.message = message
        self.pos = getattr(node, "pos", 0)


def parse_formula(text: str, names=None) -> Node:
    """Parse a bank formula (formula mode: comparisons, %, and/or/not, len/rows/cols...)."""
    return parse(str(text), symbols=names, formula=True, extra_functions=EXTRA_FUNCTIONS)


def evaluate_formula(text: str, env: dict):
    """Exact light evaluation (int/Fraction/float/lists, no SymPy/NumPy) of a bank formula.

    Used for derived values, constraints, ``when`` and ``{=formula}`` placeholders, on
    the fast start-up path.  The answer language's evaluator does the work; the
    bank-only functions (``at``, ``dot``, ...) are computed here first and their values
    spliced into the tree as literals.
    """
    return evaluate_node(parse_formula(text, names=None), env, text)


def evaluate_node(node: Node, env: dict, text: str = ""):
    return evaluate(_splice(node, env, text), env, text)


def _has_extra(node: Node) -> bool:
    from nncheck.lang.syntax import walk

    return any(isinstance(n, Call) and n.func in EXTRA_FUNCTIONS for n in walk(node))


def _splice(node: Node, env: dict, text: str) -> Node:
    """A copy of ``node`` where every bank-only call is replaced by its computed value."""
    if not _has_extra(node):
        return node
    if isinstance(node, Call) and node.func in EXTRA_FUNCTIONS:
        args = [evaluate_node(a, env, text) for a in node.args]
        return Num(_light_extra(node, args), "(value)", node.pos, node.end)
    kids = [_splice(k, env, text) for k in node.children()]
    if isinstance(node, BinOp):
        return BinOp(node.op, kids[0], kids[1], node.pos, node.end)
    if isinstance(node, Unary):
        return Unary(node.op, kids[0], node.pos, node.end)
    if isinstance(node, Call):
        return Call(node.func, kids, node.pos, node.end)
    if isinstance(node, Vector):
        return Vector(kids, node.pos, node.end)
    if isinstance(node, Matrix):
        cols = node.shape[1]
        return Matrix([kids[r * cols:(r + 1) * cols] for r in range(len(node.rows))], node.pos, node.end)
    if isinstance(node, Transpose):
        return Transpose(kids[0], node.pos, node.end)
    if isinstance(node, Relation):
        return Relation(kids, node.ops, node.pos, node.end)
    raise FormulaError(f"{node.func if isinstance(node, Call) else type(node).__name__} cannot hold this", node)


def _flat(v):
    return [x for r in v for x in (r if isinstance(r, list) else [r])]


def _light_extra(node: Call, args: list):
    f = node.func
    if f == "ifelse":
        return args[1] if args[0] else args[2]
    if f == "at":
        m = args[0]
        if not isinstance(m, list):
            raise FormulaError("at( ) needs a vector or matrix", node)
        shape = (len(m), len(m[0])) if m and isinstance(m[0], list) else (len(m),)
        return _at(node, [_ListView(m, shape)] + args[1:], lambda v, i, j: m[i][j], lambda v, i: _flat(m)[i])
    for a in args:
        if not isinstance(a, list):
            raise FormulaError(f"{f}( ) needs vectors", node)
    flat = [_flat(a) for a in args]
    if f == "dot":
        if len(flat[0]) != len(flat[1]):
            raise FormulaError("dot needs two vectors of the same length", node)
        return sum(p * q for p, q in zip(flat[0], flat[1]))
    if f == "mean":
        total = sum(flat[0])
        return total / len(flat[0]) if isinstance(total, float) else Fraction(total) / len(flat[0])
    if f == "norm":
        sq = sum(x * x for x in flat[0])
        root = exact_sqrt(sq) if not isinstance(sq, float) else None
        return root if root is not None else math.sqrt(sq)
    raise FormulaError(f"function '{f}' is not available here", node)


class _ListView:
    """Lets ``_at`` read the shape of a plain nested list."""

    def __init__(self, m, shape):
        self.m, self.shape = m, shape


def _at(n, args, get2, get1):
    m = args[0]
    idx = []
    for a in args[1:]:
        try:
            fa = float(a)
        except (TypeError, ValueError):
            raise FormulaError("at( ) needs whole-number indices", n) from None
        if not fa.is_integer():
            raise FormulaError("at( ) needs whole-number indices", n)
        idx.append(int(fa) - 1)  # 1-based, as people count entries
    shape = getattr(m, "shape", None)
    if shape is None:
        raise FormulaError("at( ) needs a vector or matrix", n)
    if len(idx) == 1:
        size = shape[0] * shape[1] if len(shape) == 2 else shape[0]
        if not 0 <= idx[0] < size:
            raise FormulaError(f"index {idx[0] + 1} is outside 1..{size}", n)
        return get1(m, idx[0])
    if not (0 <= idx[0] < shape[0] and 0 <= idx[1] < shape[1]):
        raise FormulaError(f"index ({idx[0] + 1},{idx[1] + 1}) is outside the {shape[0]}×{shape[1]} matrix", n)
    return get2(m, idx[0], idx[1])


def choice_literals(family: Mapping[str, Any]) -> dict[str, str]:
    """Choice values usable as bare words in formulas: ``when: optimizer = adam``.

    Each maps to itself (a string); a parameter of the same name always wins.
    """
    out: dict[str, str] = {}
    for spec in family["params"].values():
        if spec["type"] == "choice":
            for c in spec.get("choices") or []:
                c = str(c)
                if c.isidentifier() and c not in family["params"]:
                    out[c] = c
    return out
