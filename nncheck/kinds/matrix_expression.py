"""Matrix answers: back-propagation in vector form, ``(W2' delta2 ⊙ dsigma(xi1)) x'``.

A part of kind ``matexpr`` declares the shapes of its symbols in named sizes
(``shapes: {W2: K×N, delta2: K, xi1: N, x: D}``; a vector is a column) and, optionally,
their domains (``symbols: {h: "(0,1)"}``; real otherwise).  Its key, and each declared
mistake's value, is answer-language text in those symbols (or a SymPy matrix expression
over ``MatrixSymbol``\\ s of those names).

Grading (see ``docs/answer-language.md``, "Matrix answers"):

* the text is parsed in matrix mode and **shape-checked here**, at once: an expression whose
  shapes do not conform is *invalid* (no attempt), with a message naming the shapes and the
  change that would make it conform; a product where ⊙ belonged (or the reverse), or a
  transposed product, is named as the mistake it is;
* an answer of the wrong shape is incorrect, and one of the transposed shape is the named
  mistake ``transposed``;
* otherwise the two are compared in the sandbox (``nncheck.answer.matgrade``): explicit
  matrices at three sets of sizes, entry by entry, with the scalar checker's soundness.

The key's two computations (the answer-language formula, evaluated through SymPy, and the
solver's NumPy backprop, a callable ``f(env) -> array``) are compared at random matrices
of three sets of sizes (:func:`agree_matrix`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from nncheck.answer.verdict import Verdict, invalid
from nncheck.kinds.base import Kind, Mistake, Part, TeX
from nncheck.kinds.values import close, remembered
from nncheck.lang.shapes import ONE, Shape, allowed_names, mistake_of, read_answer, read_shapes, same, shape_text
from nncheck.lang.syntax import AnswerSyntaxError, parse, to_text

#: Random points per set of sizes at which the key's two computations are compared, and their closeness.
AGREE_POINTS = 2
AGREE_REL, AGREE_ABS = 1e-7, 1e-9


def key_shape(part: Part, value: Any) -> Shape:
    """The shape of a key (or mistake) value: text is read in the part's symbols."""
    if isinstance(value, str):
        return read_answer(part, value)[1]
    from nncheck.answer.matequiv import matrix_expr_shape

    return matrix_expr_shape(value)


def _side(part: Part, value: Any):
    from nncheck.answer.matgrade import key_side

    return key_side(part, value)[0]


def numeric_values(part: Part, value: Any, points: list[tuple[dict[str, int], dict[str, Any]]]) -> list[Any]:
    """``value`` (text, a SymPy matrix expression, or a NumPy callable ``f(env)``) at each point, as
    float arrays of the declared shape (rows × columns)."""
    import numpy as np

    from nncheck.lang.mpeval import evaluate

    out = []
    if callable(value) and not isinstance(value, str) and not hasattr(value, "atoms"):
        shapes = read_shapes(part.get("shapes"))
        for _sizes, env in points:
            arrays = {k: _as_numpy(v, shapes.get(k)) for k, v in env.items()}
            out.append(np.asarray(value(arrays), dtype=float))
        return out
    side = _side(part, value)
    for _sizes, env in points:
        v = side(env)
        rows = v.tolist() if hasattr(v, "tolist") else [[v]]
        out.append(np.array([[float(evaluate(x, {}, 20)) for x in r] for r in rows], dtype=float))
    return out


def _as_numpy(v: Any, shape: tuple[str, str] | None):
    """A point's exact value as NumPy sees it: a column vector is 1-D, as backprop code writes it."""
    import numpy as np

    if not hasattr(v, "tolist"):
        return float(v)
    a = np.array([[float(x) for x in row] for row in v.tolist()], dtype=float)
    return a[:, 0] if shape is not None and shape[1] == ONE else a


def random_points(part: Part, seed: int = 12345, n: int = AGREE_POINTS) -> list[tuple[dict[str, int], dict[str, Any]]]:
    """(sizes, name → an exact random matrix or number) at every set of sizes the checker uses."""
    import sympy

    from nncheck.answer.matequiv import size_assignments
    from nncheck.lang.domains import sample_points
    from nncheck.lang.matrices import define, symbol_matrices
    from nncheck.lang.shapes import definitions_of, domains_of, sizes_of

    shapes = read_shapes(part.get("shapes"))
    domains = domains_of(part)
    rng = random.Random(seed)
    out = []
    for sizes in size_assignments(sizes_of(shapes)):
        env, entry_domains = symbol_matrices(shapes, sizes, domains)
        for pt in sample_points(entry_domains, n, rng):
            values = {s.name: sympy.Rational(pt[s.name].numerator, pt[s.name].denominator)
                      for v in env.values() for s in (v.free_symbols if hasattr(v, "free_symbols") else ())}
            at = {k: v.xreplace({s: values[s.name] for s in v.free_symbols}) for k, v in env.items()}
            out.append((sizes, define(at, definitions_of(part))))  # h = sigma(xi1): h is not free
    return out


#: agree_matrix's results by (exact, numeric, shapes, given, symbols) when both values are texts or
#: function objects: the comparison is deterministic (random_points' fixed seed), so a family whose
#: key and mistakes are fixed texts pays for it once per process (kinds.values.remembered).
_AGREE_MEMO: dict[tuple, tuple[bool, str]] = {}


def agree_matrix(part: Part, exact: Any, numeric: Any) -> tuple[bool, str]:
    """Do two computations of a matrix key (or a key and a mistake) give the same matrices at random
    points of three sets of sizes?  (ok, why not)."""
    key = None
    if all(isinstance(v, str) or (callable(v) and hasattr(v, "__code__")) for v in (exact, numeric)):
        key = (exact, numeric, repr(part.get("shapes")), repr(part.get("given")), repr(part.get("symbols")))
    return remembered(_AGREE_MEMO, key, lambda: _agree_matrix(part, exact, numeric))


def _agree_matrix(part: Part, exact: Any, numeric: Any) -> tuple[bool, str]:
    import numpy as np

    shape = key_shape(part, exact)
    if not isinstance(numeric, str) and hasattr(numeric, "atoms") is False and not callable(numeric):
        return False, f"not a matrix expression or a callable: {numeric!r}"
    if isinstance(numeric, str) or hasattr(numeric, "atoms"):
        other = key_shape(part, numeric)
        if not same(shape, other):
            return False, f"shapes differ: {shape_text(shape)} vs {shape_text(other)}"
    points = random_points(part)
    a_vals, b_vals = numeric_values(part, exact, points), numeric_values(part, numeric, points)
    for (sizes, _env), a, b in zip(points, a_vals, b_vals):
        where = ", ".join(f"{k} = {v}" for k, v in sizes.items())
        if b.size != a.size:
            return False, f"with {where}: {a.shape} vs {b.shape}"
        b = b.reshape(a.shape)
        for x, y in zip(a.ravel(), b.ravel()):
            if not (np.isfinite(x) and np.isfinite(y)) or not close(float(x), float(y), AGREE_REL, AGREE_ABS):
                return False, f"with {where}: SymPy gives {float(x)!r}, NumPy gives {float(y)!r}"
    return True, ""


def latex_of(text: str, tex: TeX) -> str:
    """The answer-language text of a matrix expression as LaTeX: names through the export's writer
    (``W2`` as ``W_{2}``), ``⊙`` as ``\\odot``, transposes as ``^{\\top}``, σ̇ as ``\\dot{\\sigma}``."""
    import sympy

    from nncheck.lang import syntax
    from nncheck.lang.walk import fold

    funcs = {"sigma'": r"\dot{\sigma}", "tanh'": r"\tanh'", "relu'": r"\operatorname{relu}'", "sigma": r"\sigma",
             "relu": r"\operatorname{relu}", "sqrt": r"\sqrt", "abs": r"\operatorname{abs}"}

    def one(node: Any, kids: list[tuple[str, int]]) -> tuple[str, int]:
        def wrap(k: tuple[str, int], prec: int) -> str:
            return k[0] if k[1] >= prec else r"\left(" + k[0] + r"\right)"

        if isinstance(node, syntax.Name):
            return tex.expression(sympy.Symbol(node.name)), 10
        if isinstance(node, syntax.Num):
            from fractions import Fraction

            return tex.number(Fraction(node.value)), 10 if node.value >= 0 else 7
        if isinstance(node, syntax.Transpose):
            return "{" + wrap(kids[0], 10) + r"}^{\top}", 10
        if isinstance(node, syntax.Unary):
            return "-" + wrap(kids[0], 7), 7
        if isinstance(node, syntax.Call):
            name = funcs.get(node.func, "\\" + node.func if node.func in ("exp", "ln", "log", "tanh", "max", "min")
                             else r"\operatorname{" + node.func + "}")
            return name + r"\left(" + ", ".join(k[0] for k in kids) + r"\right)", 10
        if isinstance(node, syntax.BinOp):
            a, b = kids
            if node.op == "^":
                return "{" + wrap(a, 10) + "}^{" + b[0] + "}", 9
            if node.op == "/":
                return r"\frac{" + a[0] + "}{" + b[0] + "}", 10
            prec = {"+": 5, "-": 5, "*": 6, "⊙": 6}[node.op]
            op = {"+": " + ", "-": " - ", "*": r" \, ", "⊙": r" \odot "}[node.op]
            return wrap(a, prec) + op + wrap(b, prec + (node.op != "+")), prec
        return tex.text(syntax.to_text(node)), 10

    return fold(parse(text, symbols=None, matrix=True), one)[0]


class MatrixExpressionKind(Kind):
    """A vector or matrix given as an expression in named vectors and matrices of declared shapes."""

    name = "matexpr"
    seconds = 180  # a vector-form gradient: slower to write than one entry
    #: LaTeX answers are read with ``\\odot`` as the elementwise product (``kinds.read_latex``).
    matrix_language = True

    def grade(self, part: Part, expected: Any, text: str, mistakes: Sequence[Mistake] = ()) -> Verdict:
        from nncheck.answer import sandbox
        from nncheck.answer.verdict import too_complex

        if expected is None:
            try:
                node = parse(text, symbols=allowed_names(part), matrix=True)
            except AnswerSyntaxError as e:
                return invalid(e)
            return Verdict("incorrect", 0.0, "Incorrect: there is no value here (answer none).",
                           parsed_as=to_text(node))
        try:
            read_answer(part, text, key_shape(part, expected))
        except AnswerSyntaxError as e:
            v = invalid(e)
            v.mistake = mistake_of(e)
            return v
        try:
            verdict: Verdict = sandbox.run("grade_matrix_expression", dict(part), expected, text, list(mistakes))
            return verdict
        except sandbox.TooComplex as e:
            return too_complex(text, e)

    def _text(self, value: Any) -> str:
        if isinstance(value, str):
            return to_text(parse(value, symbols=None, matrix=True))
        return str(value)

    def _json(self, value: Any) -> Any:
        return self._text(value)

    def _latex(self, value: Any, tex: TeX) -> str:
        if isinstance(value, str):
            return latex_of(value, tex)
        return tex.expression(value)

    def _display(self, value: Any) -> str:
        return self._text(value)

    def _agree(self, part: Part, exact: Any, numeric: Any, *, rel: float, abs_: float) -> tuple[bool, str]:
        return agree_matrix(part, exact, numeric)

    def _same(self, part: Part, expected: Any, value: Any) -> bool:
        try:
            return agree_matrix(part, expected, value)[0]
        except Exception:  # noqa: BLE001 - a value that cannot be evaluated is not the answer
            return False


MATRIX_EXPRESSION = MatrixExpressionKind()
