"""A matrix answer at given sizes: explicit SymPy matrices whose entries are scalar expressions.

The checker (``nncheck.answer.matequiv``) compares two matrix answers by giving every
declared size a number (K = 2, N = 3, D = 5, …) and every declared symbol a matrix of
fresh scalar symbols of those sizes (``W2[1,2]``, ``h[3]``), and computing both answers
entry by entry.  Each entry is then an ordinary scalar expression, which the scalar
checker's machinery (certified evaluation, exact proof) compares.

Scalar pieces of an answer (``1/n``, a number, a scalar symbol) and every entry of an
elementwise operation go through the scalar converter (``nncheck.lang.sympy_backend``),
so the bounds on powers, exponentials and literal sizes are the scalar language's own.
The walk is iterative (:func:`nncheck.lang.walk.fold`); the number of matrix operations
and products is bounded before this runs (:mod:`nncheck.lang.shapes`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sympy

from nncheck.lang import syntax
from nncheck.lang.shapes import ONE
from nncheck.lang.sympy_backend import _Conv, make_symbol
from nncheck.lang.walk import fold


def entry_name(name: str, i: int, j: int, shape: tuple[str, str]) -> str:
    """``h[3]`` for an entry of a column, ``W2[1,2]`` for one of a matrix (1-based; no answer can type it)."""
    if shape[1] == ONE:
        return f"{name}[{i + 1}]"
    if shape[0] == ONE:
        return f"{name}[{j + 1}]"
    return f"{name}[{i + 1},{j + 1}]"


def size_of(dim: str, sizes: Mapping[str, int]) -> int:
    return 1 if dim == ONE else sizes[dim]


def symbol_matrices(shapes: Mapping[str, tuple[str, str]], sizes: Mapping[str, int],
                    domains: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """(name → an explicit matrix of entry symbols, entry name → its domain) at ``sizes``.

    An entry's domain is its matrix's (``h: (0,1)`` makes every hᵢ lie in (0,1)); scalar
    symbols (declared in ``domains`` with no shape) stay one symbol each.
    """
    env: dict[str, Any] = {}
    entry_domains: dict[str, str] = {}
    for name, shape in shapes.items():
        dom = domains.get(name) or "real"
        rows, cols = size_of(shape[0], sizes), size_of(shape[1], sizes)
        grid = []
        for i in range(rows):
            row = []
            for j in range(cols):
                en = entry_name(name, i, j, shape)
                entry_domains[en] = dom
                row.append(make_symbol(en, dom))
            grid.append(row)
        env[name] = sympy.ImmutableMatrix(grid)
    for name, dom in domains.items():
        if name not in shapes:
            env[name] = make_symbol(name, dom)
            entry_domains[name] = dom or "real"
    return env, entry_domains


def define(env: Mapping[str, Any], given: Sequence[str] = ()) -> dict[str, Any]:
    """``env`` with each defined symbol bound to its definition's value (``given: ["h = sigma(xi1)"]``).

    A part whose symbols are related (h = σ(ξ⁽¹⁾) in a two-layer network) declares the relation, so
    that ``h ⊙ (1 - h)`` and ``dsigma(xi1)`` are the same answer: a defined symbol is not a free
    matrix of its own, its entries are the definition's.  Definitions apply in order.
    """
    out = dict(env)
    for line in given:
        node = syntax.parse(line, symbols=None, equations=True, matrix=True)
        if not (isinstance(node, syntax.Relation) and node.ops == ["="] and isinstance(node.terms[0], syntax.Name)):
            raise ValueError(f"a definition is 'name = expression', not {line!r}")
        out[node.terms[0].name] = explicit(node.terms[1], out, line)
    return out


def explicit(node: syntax.Node, env: Mapping[str, Any], text: str = ""):
    """The value of a shape-checked matrix answer with the declared symbols bound to ``env``'s
    explicit matrices (or numbers): a SymPy matrix, or a scalar for a scalar answer.

    Raises :class:`nncheck.lang.syntax.AnswerSyntaxError` where the scalar converter would
    (a division by zero, a number too large to work with).
    """
    return _Explicit(env, text).run(node)


class _Explicit:
    def __init__(self, env: Mapping[str, Any], text: str):
        self.env = env
        scalars = {k: v for k, v in env.items() if not isinstance(v, sympy.MatrixBase)}
        self.conv = _Conv(scalars, text)

    def run(self, node: syntax.Node):
        return fold(node, self.one)

    def one(self, node: syntax.Node, args: list):
        if isinstance(node, syntax.Name) and isinstance(self.env.get(node.name), sympy.MatrixBase):
            return self.env[node.name]
        if not any(isinstance(a, sympy.MatrixBase) for a in args):
            if isinstance(node, syntax.BinOp) and node.op == "⊙":
                return self.conv._checked(syntax.BinOp("*", node.left, node.right, node.pos, node.end), args)
            return self.conv._checked(node, args)
        if isinstance(node, syntax.Transpose):
            return args[0].T
        if isinstance(node, syntax.Unary):
            return -args[0]
        if isinstance(node, syntax.Call):
            return self._call(node, args)
        assert isinstance(node, syntax.BinOp)  # the shapes allow nothing else around a matrix
        a, b = args
        if node.op in "+-":
            a, b = _broadcast(a, b)
            return a + b if node.op == "+" else a - b
        if node.op == "*":
            if _scalar(a) or _scalar(b):
                return self._entrywise(node, "*", a, b)
            return a * b
        if node.op == "⊙":
            return self._entrywise(node, "*", a, b)
        if node.op == "/":
            return self._entrywise(node, "/", a, b)
        if node.op == "^":
            return self._entrywise(node, "^", a, b)
        raise TypeError(f"no matrix meaning for {node.op!r}")

    def _entrywise(self, node: syntax.BinOp, op: str, a, b):
        """``a op b`` entry by entry (a scalar or a 1×1 matrix applies to every entry)."""
        a, b = _broadcast(_unwrap(a), _unwrap(b))
        scalar_node = syntax.BinOp(op, node.left, node.right, node.pos, node.end)
        return sympy.ImmutableMatrix(a.rows, a.cols, [self.conv._checked(scalar_node, [x, y]) for x, y in zip(a, b)])

    def _call(self, node: syntax.Call, args: list):
        arrays = [a for a in args if isinstance(a, sympy.MatrixBase)]
        shape = arrays[0].shape
        full = [a if isinstance(a, sympy.MatrixBase) else sympy.ImmutableMatrix.ones(*shape) * a for a in args]
        return sympy.ImmutableMatrix(shape[0], shape[1],
                                     [self.conv._checked(node, list(entry)) for entry in zip(*full)])


def _scalar(v) -> bool:
    return not isinstance(v, sympy.MatrixBase) or v.shape == (1, 1)


def _unwrap(v):
    """A 1×1 matrix (a product xᵀy) as the scalar it is."""
    return v[0, 0] if isinstance(v, sympy.MatrixBase) and v.shape == (1, 1) else v


def _broadcast(a, b):
    """Two operands of one shape: a scalar is spread over the other side's shape."""
    if not isinstance(a, sympy.MatrixBase) and not isinstance(b, sympy.MatrixBase):
        return sympy.ImmutableMatrix([[a]]), sympy.ImmutableMatrix([[b]])
    if not isinstance(a, sympy.MatrixBase):
        a = sympy.ImmutableMatrix.ones(*b.shape) * a
    if not isinstance(b, sympy.MatrixBase):
        b = sympy.ImmutableMatrix.ones(*a.shape) * b
    return a, b
