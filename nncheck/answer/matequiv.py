"""Are two matrix answers equal?  Explicit matrices at several sizes, entry by entry, with the
scalar checker's soundness.

Both answers are shape-checked first (:mod:`nncheck.lang.shapes`); then every declared size
gets a number, in three assignments of distinct small primes (K, N, D = 2, 3, 5; 3, 5, 2;
5, 2, 3): no two sizes are ever equal, so a transposition cannot hide in a square shape,
and each size takes three values.  At each assignment every symbol becomes a matrix of
fresh scalar symbols (:mod:`nncheck.lang.matrices`) and both answers are computed entry by
entry.  Then, as for a scalar answer (``nncheck.answer.equiv``):

1. **Screen.**  Every entry's difference is evaluated at ``QUICK_POINTS`` random points of
   each assignment (entries drawn from the symbols' domains), with a certified error
   bound: a nonzero entry, confirmed at more digits, ends the comparison (not equal, with
   the sizes and the entry).  Most wrong answers end here.
2. **Exact proof.**  Each entry's difference is 0 by rational-function arithmetic (σ and tanh
   rewritten in exponentials, ``equiv._prove_zero``): an identity in the entries' symbols.
3. **Sampling.**  An entry with no proof (ReLU, max, a difference too large to expand) is
   compared by the scalar checker itself, ``equiv.equivalent_local``: core points near 0,
   reach points far out and at the domain's ends, each certified.

Equal needs every entry of every assignment proved or sampled equal.  What remains, beyond
the scalar checker's own gap: an identity that holds at these sizes and fails at others
(none can be written with the language's operations short of a polynomial identity such as
Amitsur–Levitzki's, which needs 2n square factors of size n).

Runs in the sandbox worker (``nncheck.answer.matgrade``), under its deadline.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sympy

from nncheck.answer.equiv import _Budget, _prove_zero, compare_at, equivalent_local, format_pair
from nncheck.lang.domains import sample_points
from nncheck.lang.matrices import define, explicit, symbol_matrices
from nncheck.lang.mpeval import Program
from nncheck.lang.shapes import ONE, Shape, sizes_of
from nncheck.lang.syntax import Node

#: The sizes given to the declared size names, in three cyclic assignments (see the module docstring).
SIZE_VALUES = (2, 3, 5, 7, 11, 13)
ASSIGNMENTS = 3
QUICK_POINTS = 2  # screening points per assignment
N_POINTS = 12  # core points of an entry with no proof (the scalar checker's count)
N_REACH = 6
#: A declared mistake is matched with fewer points, and no proof: a match only names the mistake.
MISTAKE_POINTS = 4

#: A side of the comparison: the symbols' explicit matrices -> the answer's explicit value.
Side = Callable[[Mapping[str, Any]], Any]


def size_assignments(dims: list[str]) -> list[dict[str, int]]:
    """Three assignments of distinct primes to ``dims``, each name taking three values."""
    values = SIZE_VALUES[:max(ASSIGNMENTS, len(dims))]
    return [{d: values[(k + shift) % len(values)] for k, d in enumerate(dims)} for shift in range(ASSIGNMENTS)]


def node_side(node: Node, text: str = "") -> Side:
    """The side of a parsed (and shape-checked) answer."""
    return lambda env: explicit(node, env, text)


def matrix_expr_side(expr: Any) -> Side:
    """The side of a SymPy matrix expression over ``MatrixSymbol``\\ s named as the declared symbols."""
    def build(env: Mapping[str, Any]):
        mapping = {m: env[m.name] for m in expr.atoms(sympy.MatrixSymbol) if m.name in env}
        scalars = {s: env[s.name] for s in expr.free_symbols
                   if isinstance(s, sympy.Symbol) and s.name in env and not isinstance(env[s.name], sympy.MatrixBase)}
        value = expr.xreplace({**mapping, **scalars}).doit()
        return sympy.ImmutableMatrix(value.as_explicit()) if isinstance(value, sympy.MatrixExpr) else value
    return build


def matrix_expr_shape(expr: Any) -> Shape:
    """A SymPy matrix expression's shape in size names (its dimensions are symbols named K, N, …)."""
    if not isinstance(expr, sympy.MatrixExpr):
        return None
    return tuple(ONE if d == 1 else str(d) for d in expr.shape)  # type: ignore[return-value]


class MatEquivalence:
    """The outcome of one comparison; ``counterexample()`` explains a disagreement."""

    __slots__ = ("equal", "method", "sizes", "entry", "result", "undecided", "too_complex", "note", "points")

    def __init__(self, equal: bool, method: str, *, sizes: dict[str, int] | None = None, entry: str = "",
                 result: Any = None, undecided: bool = False, too_complex: bool = False, note: str = "",
                 points: int = 0):
        self.equal, self.method, self.sizes, self.entry = equal, method, sizes or {}, entry
        self.result = result  # the scalar comparison of the differing entry, or (yours, expected) values
        self.undecided, self.too_complex, self.note, self.points = undecided, too_complex, note, points

    def __bool__(self) -> bool:
        return bool(self.equal)

    def __repr__(self) -> str:
        return f"MatEquivalence(equal={self.equal}, method={self.method!r})"

    def counterexample(self) -> str:
        """'with K = 3, N = 5, D = 2, entry (2,1) of random matrices: yours gives 0.88, expected 0.65'."""
        sizes = ", ".join(f"{k} = {v}" for k, v in self.sizes.items())
        where = f"with {sizes}, " if sizes else ""
        if self.note and self.result is None:
            return f"{where}{self.note}"
        if isinstance(self.result, tuple):
            ys, es = format_pair(*self.result)
            return f"{where}{self.entry} of random matrices: yours gives {ys}, expected {es}"
        why = self.result.counterexample() if self.result is not None else self.note
        return f"{where}{self.entry}: {why}"


def _entry_label(k: int, shape: tuple[int, int]) -> str:
    i, j = divmod(k, shape[1])
    if shape == (1, 1):
        return "the value"
    if shape[1] == 1 or shape[0] == 1:
        return f"entry {k + 1}"
    return f"entry ({i + 1},{j + 1})"


def _as_matrix(v: Any):
    return v if isinstance(v, sympy.MatrixBase) else sympy.ImmutableMatrix([[v]])


def compare(yours: Side, expected: Side, shapes: Mapping[str, tuple[str, str]], domains: Mapping[str, str], *,
            seed: int = 0, prove: bool = True, quick: int = QUICK_POINTS, points: int = N_POINTS,
            reach: int = N_REACH, given: Sequence[str] = ()) -> MatEquivalence:
    """Compare two shape-checked answers of one shape (see the module docstring); ``given``: the part's
    definitions (``h = sigma(xi1)``), which bind a defined symbol's entries (:func:`~nncheck.lang.matrices.define`)."""
    rng = random.Random(seed)
    budget = _Budget()
    cases = []
    for sizes in size_assignments(sizes_of(shapes)):
        env, entry_domains = symbol_matrices(shapes, sizes, domains)
        env = define(env, given)
        y, e = _as_matrix(yours(env)), _as_matrix(expected(env))
        if y.shape != e.shape:
            return MatEquivalence(False, "shape", sizes=sizes, note=f"the shapes differ: {y.shape} vs {e.shape}")
        diffs = [(k, y[k], e[k], y[k] - e[k]) for k in range(len(e))]
        cases.append((sizes, entry_domains, e.shape, [d for d in diffs if d[3] != 0]))
    # 1. Screen: a few certified points per assignment.
    for sizes, entry_domains, shape, diffs in cases:
        if not diffs:
            continue
        progs = {k: Program(d) for k, _, _, d in diffs}
        for pt in sample_points(entry_domains, quick, rng) if quick else []:
            for k, a, b, _ in diffs:
                verdict, ya, eb, _gap = compare_at(a, b, pt, progs[k], budget)
                if verdict == "differ":
                    return MatEquivalence(False, "sampling", sizes=sizes, entry=_entry_label(k, shape),
                                          result=(ya, eb))
    # 2. Exact proof, entry by entry; 3. the scalar checker for the rest.
    proved = True
    agreed = 0
    for sizes, entry_domains, shape, diffs in cases:
        for k, a, b, d in diffs:
            if prove and _prove_zero(d):
                continue
            proved = False
            r = equivalent_local(a, b, dict(entry_domains), seed + k, n_points=points, prove=False, reach=reach)
            if not r.equal:
                return MatEquivalence(False, r.method, sizes=sizes, entry=_entry_label(k, shape), result=r,
                                      undecided=r.undecided, too_complex=r.too_complex, note=r.note)
            agreed = max(agreed, r.points)
    return MatEquivalence(True, "exact" if proved and prove else "sampling", points=agreed)
