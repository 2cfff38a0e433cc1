"""Shapes of matrix answers: declared sizes by name (K×N), and the shape of an expression.

A matrix answer (``nncheck.kinds.matrix_expression``) declares each symbol's shape in
*named* sizes, as the course notes do: ``W2: K×N``, ``h: N``, ``delta2: K``, ``x: D``.  A
vector is a column (``N`` is N×1); a symbol with no shape is a scalar.  :func:`infer` gives
the shape of a parsed answer, in those names, or refuses it before anything is computed:
an expression whose shapes do not conform is *invalid* (it costs no attempt), with a
message that names the shapes and, where one small change makes it conform, that change
("W2 h' is (K×N)(1×N), which does not conform: did you mean W2 h?").

The rules (matrix answers only):

* ``A B`` and ``A * B``: a matrix product, (r×m)(m×c) → r×c; a scalar, or a 1×1 product such
  as ``x'y``, scales the other side;
* ``A ⊙ B``: the elementwise product of two arrays of one shape (a scalar scales);
* ``A + B``, ``A - B``: one shape, or a scalar added to every entry (``1 - h``);
* ``A / s``: a scalar divisor only; ``f(A)`` for an elementwise function (σ, σ̇, tanh, ReLU,
  exp, …): the shape of A; ``max``/``min``: entry by entry, scalars broadcast;
* ``Aᵀ``: the transpose; ``A^2``: entry by entry for a non-square A (of a square one it is
  ambiguous, and refused).

Shapes are compared by name, never by number: ``W2 h`` conforms because both sizes are N,
whatever N is.  This module is plain Python (no SymPy): the kind checks shapes in the
grading process, at once, before the sandbox sees the answer.
"""

from __future__ import annotations

from collections.abc import Mapping

from nncheck.errors import NNCheckError
from nncheck.lang.syntax import (
    AnswerSyntaxError,
    BinOp,
    Call,
    Derivative,
    Matrix,
    Name,
    Node,
    Num,
    Relation,
    Transpose,
    Unary,
    Vector,
    Word,
    _clip,
    parse,
)
from nncheck.lang.walk import fold

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn

#: A shape: (rows, columns) by size name (``"1"`` for one); None for a scalar.
Shape = tuple[str, str] | None

#: At most this many vector or matrix operations in one answer, and matrix products among them:
#: an answer of the notes is a handful; a chain of hundreds only makes the checker slow.
MAX_MATRIX_OPS = 200
MAX_MATRIX_PRODUCTS = 16
#: Sizes a declaration may name.
MAX_DIMS = 6

ONE = "1"
_SEPARATORS = ("×", "*", ",", " x ")


class ShapeError(NNCheckError, ValueError):
    """A ``shapes:`` declaration that cannot be read (a bank error)."""


def read_shape(spec: object) -> tuple[str, str]:
    """One declared shape: ``"K×N"``, ``"K x N"``, ``["K", "N"]``, ``"N"`` or ``["N"]`` (a column)."""
    if isinstance(spec, str):
        parts = [spec]
        for sep in _SEPARATORS:
            if sep in spec:
                parts = spec.split(sep)
                break
    elif isinstance(spec, (list, tuple)):
        parts = list(spec)
    else:
        raise ShapeError(f"a shape is written K×N, or N for a vector; not {spec!r}")
    dims = [_dim(p) for p in parts]
    if len(dims) == 1:
        return dims[0], ONE
    if len(dims) != 2:
        raise ShapeError(f"a shape has one or two sizes (a vector, a matrix); {spec!r} has {len(dims)}")
    return dims[0], dims[1]


def _dim(part: object) -> str:
    if isinstance(part, bool):
        raise ShapeError(f"a size is a name such as N, or 1; not {part!r}")
    if isinstance(part, int):
        if part != 1:
            raise ShapeError(f"a size is a name such as N (or 1), so that answers are checked at many sizes; "
                             f"not {part}")
        return ONE
    text = str(part).strip()
    if text == ONE:
        return ONE
    if not (text[:1].isalpha() and text.isascii() and all(c.isalnum() or c == "_" for c in text)):
        raise ShapeError(f"a size is a name such as N, or 1; not {part!r}")
    return text


def read_shapes(mapping: Mapping[str, object] | None) -> dict[str, tuple[str, str]]:
    """A part's ``shapes:`` (name → shape), read; raises :class:`ShapeError`."""
    if not mapping:
        raise ShapeError("a matrix expression part needs 'shapes' (name: K×N, or N for a vector)")
    shapes = {str(name): read_shape(spec) for name, spec in mapping.items()}
    dims = sizes_of(shapes)
    if len(dims) > MAX_DIMS:
        raise ShapeError(f"at most {MAX_DIMS} size names in one part ({len(dims)} here)")
    return shapes


def sizes_of(shapes: Mapping[str, tuple[str, str]]) -> list[str]:
    """The size names the shapes use, sorted (``1`` is not a name)."""
    return sorted({d for shape in shapes.values() for d in shape if d != ONE})


def shape_text(shape: Shape) -> str:
    """``K×N``, or ``a number`` for a scalar."""
    return "a number" if shape is None else f"{shape[0]}×{shape[1]}"


def declared_text(shape: tuple[str, str]) -> str:
    """A declared shape as the prompt writes it: ``K×N``, and ``N`` for a column."""
    return shape[0] if shape[1] == ONE else f"{shape[0]}×{shape[1]}"


def transposed(shape: Shape) -> Shape:
    return None if shape is None else (shape[1], shape[0])


def is_scalar(shape: Shape) -> bool:
    """A number, or a 1×1 product (xᵀy), which scales what it multiplies."""
    return shape is None or shape == (ONE, ONE)


def same(a: Shape, b: Shape) -> bool:
    return a == b or (is_scalar(a) and is_scalar(b))


# ----------------------------------------------------------------------------
# Inference.
# ----------------------------------------------------------------------------
class _Infer:
    def __init__(self, shapes: Mapping[str, tuple[str, str]], text: str, overrides: dict[int, Shape]):
        self.shapes = shapes
        self.text = text
        self.overrides = overrides  # id(node) -> the shape a suggested change would give it
        self.ops = 0
        self.products = 0
        self.bad: tuple[Node, str, list[tuple[str, Shape, str]]] | None = None  # (node, message, fixes)

    def err(self, node: Node, message: str, code: str = "shape") -> NoReturn:
        raise AnswerSyntaxError(message, node.pos, self.text, code=code)

    def src(self, node: Node) -> str:
        return _clip(source(self.text, node), 32)

    def one(self, node: Node, kids: list[Shape]) -> Shape:
        if id(node) in self.overrides:
            return self.overrides[id(node)]
        shape = self._shape(node, kids)
        if shape is not None:
            self.ops += 1
            if self.ops > MAX_MATRIX_OPS:
                self.err(node, f"too many vector and matrix operations (the limit is {MAX_MATRIX_OPS})",
                         "too-complex")
        return shape

    def _shape(self, node: Node, kids: list[Shape]) -> Shape:  # noqa: C901 - one branch per node type
        if isinstance(node, Num):
            return None
        if isinstance(node, Name):
            return self.shapes.get(node.name)
        if isinstance(node, Transpose):
            return transposed(kids[0])
        if isinstance(node, Unary):
            return kids[0]
        if isinstance(node, Call):
            return self._call(node, kids)
        if isinstance(node, BinOp):
            a, b = kids
            if node.op == "*":
                return self._product(node, a, b)
            if node.op == "⊙":
                return self._hadamard(node, a, b)
            if node.op in "+-":
                return self._sum(node, a, b)
            if node.op == "/":
                if not is_scalar(b):
                    self.err(node.right, f"cannot divide by {self.src(node.right)}, which is {shape_text(b)}: "
                                         "only by a number")
                return a
            if node.op == "^":
                return self._power(node, a, b)
            self.err(node, f"'{node.op}' is not allowed in a matrix answer")
        if isinstance(node, (Vector, Matrix)):
            self.err(node, "a literal [ … ] has no declared size here: write the answer with the named "
                           "vectors and matrices")
        if isinstance(node, Derivative):
            self.err(node, "a derivative is not a value in a matrix answer: write the gradient itself", "syntax")
        if isinstance(node, Relation):
            self.err(node, "an equation is not a value", "syntax")
        if isinstance(node, Word):
            self.err(node, f"'{node.word}' is not a value here", "syntax")
        self.err(node, "this is not a value in a matrix answer", "syntax")

    # -- the operations --------------------------------------------------------
    def _product(self, node: BinOp, a: Shape, b: Shape) -> Shape:
        if is_scalar(a):
            return b if b is not None or a is None else a
        if is_scalar(b):
            return a
        assert a is not None and b is not None
        self.products += 1
        if self.products > MAX_MATRIX_PRODUCTS:
            self.err(node, f"too many matrix products (the limit is {MAX_MATRIX_PRODUCTS})", "too-complex")
        if a[1] == b[0]:
            return (a[0], b[1])
        fixes: list[tuple[str, Shape, str]] = []
        left, right = self.src(node.left), self.src(node.right)
        if a == b:
            fixes.append((f"{_group(left)} ⊙ {_group(right)}", a, "product-for-hadamard"))
        if a[0] == b[0]:
            fixes.append((f"{_flip(node.left, left)} {right}", (a[1], b[1]), "transposed-product"))
        if a[1] == b[1]:
            fixes.append((f"{_group(left)} {_flip(node.right, right)}", (a[0], b[0]), "transposed-product"))
        if b[1] == a[0]:
            fixes.append((f"{_group(right)} {_group(left)}", (b[0], a[1]), "transposed-product"))
        if a[0] == b[1]:
            fixes.append((f"{_flip(node.left, left)} {_flip(node.right, right)}", (a[1], b[0]),
                          "transposed-product"))
        self._fail(node, f"{self.src(node)} is ({shape_text(a)})({shape_text(b)}), which does not conform", fixes)

    def _hadamard(self, node: BinOp, a: Shape, b: Shape) -> Shape:
        if is_scalar(a):
            return b if b is not None or a is None else a
        if is_scalar(b) or a == b:
            return a
        assert a is not None and b is not None
        fixes: list[tuple[str, Shape, str]] = []
        left, right = self.src(node.left), self.src(node.right)
        if a[1] == b[0]:
            fixes.append((f"{_group(left)} {_group(right)}", (a[0], b[1]), "hadamard-for-product"))
        if a == transposed(b):
            fixes.append((f"{_group(left)} ⊙ {_flip(node.right, right)}", a, "transposed"))
        self._fail(node, f"{self.src(node)} is ({shape_text(a)}) ⊙ ({shape_text(b)}): ⊙ needs two arrays of one "
                         "shape", fixes)

    def _sum(self, node: BinOp, a: Shape, b: Shape) -> Shape:
        if a is None:
            return b
        if b is None or a == b:
            return a
        fixes: list[tuple[str, Shape, str]] = []
        if a == transposed(b):
            fixes.append((f"{self.src(node.left)} {node.op} {_flip(node.right, self.src(node.right))}", a,
                          "transposed"))
        self._fail(node, f"{self.src(node)} is ({shape_text(a)}) {node.op} ({shape_text(b)}): a sum needs one "
                         "shape", fixes)

    def _power(self, node: BinOp, a: Shape, b: Shape) -> Shape:
        if b is not None:
            self.err(node.right, "an exponent is a number, not a vector or matrix")
        if a is not None and a[0] == a[1]:
            self.err(node, f"ambiguous: {self.src(node.left)} is square ({shape_text(a)}); write A A for the "
                           "matrix product or A ⊙ A entry by entry")
        return a

    def _call(self, node: Call, kids: list[Shape]) -> Shape:
        arrays = [k for k in kids if k is not None]
        if not arrays:
            return None
        if len(kids) == 1:
            return kids[0]
        if any(k != arrays[0] for k in arrays):
            shown = ", ".join(shape_text(k) for k in kids)
            self.err(node, f"{node.func}( ) entry by entry needs arrays of one shape (here {shown})")
        return arrays[0]

    def _fail(self, node: Node, message: str, fixes: list[tuple[str, Shape, str]]) -> NoReturn:
        self.bad = (node, message, fixes)
        raise _Nonconforming()


class _Nonconforming(Exception):
    """Raised inside the walk at the first node whose shapes do not conform (see :func:`infer`)."""


def source(text: str, node: Node) -> str:
    """The text of ``node`` in the answer, with the parentheses around it that its span leaves out."""
    lo, hi = node.pos, node.end
    depth = low = 0
    for c in text[lo:hi]:
        depth += {"(": 1, ")": -1}.get(c, 0)
        low = min(low, depth)
    opening, closing = -low, depth - low  # unmatched ')' in the span, then unmatched '('
    while opening and lo > 0:
        lo -= 1
        opening -= text[lo] == "("
    while closing and hi < len(text):
        closing -= text[hi] == ")"
        hi += 1
    return text[lo:hi].strip()


def _group(s: str) -> str:
    """A piece of the answer as a factor: in parentheses unless it is one name, call or group."""
    if all(c.isalnum() or c in "_'ᵀ" for c in s) or (s.startswith("(") and s.endswith(")") and _balanced(s[1:-1])):
        return s
    head = s.split("(", 1)[0]
    if s.endswith(")") and head and all(c.isalnum() or c in "_'" for c in head) and _balanced(s[len(head) + 1:-1]):
        return s  # sigma(xi1)
    return f"({s})"


def _balanced(s: str) -> bool:
    depth = 0
    for c in s:
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0


def _flip(node: Node, s: str) -> str:
    """The text of ``node`` transposed: its transpose mark dropped, or one added."""
    if isinstance(node, Transpose):
        inner = s.rstrip()
        for mark in ("^T", "'", "ᵀ", "′", "⊤"):
            if inner.endswith(mark):
                return inner[: -len(mark)].rstrip()
        return s
    return _group(s) + "'"


def infer(node: Node, shapes: Mapping[str, tuple[str, str]], text: str = "", *,
          expected: Shape | None = None) -> Shape:
    """The shape of ``node`` (parsed from ``text``) in the declared ``shapes``; None for a scalar.

    Raises :class:`AnswerSyntaxError` with code ``shape`` (and a ``mistake`` attribute naming a
    swapped ⊙ or a transposed product, when the suggested change is one) at the first node
    whose shapes do not conform; ``too-complex`` past :data:`MAX_MATRIX_OPS` or
    :data:`MAX_MATRIX_PRODUCTS`.  ``expected``: the answer's shape, to prefer a suggestion
    that gives it.
    """
    walker = _Infer(shapes, text, {})
    try:
        return fold(node, walker.one)
    except _Nonconforming:
        pass
    assert walker.bad is not None
    bad, message, fixes = walker.bad
    best = _best_fix(node, shapes, text, bad, fixes, expected)
    mistake = None
    if best is not None:
        message += f": did you mean {best[0]}?"
        mistake = best[2]
    err = AnswerSyntaxError(message, bad.pos, text, code="shape")
    err.mistake = mistake  # type: ignore[attr-defined]
    raise err


def _best_fix(root: Node, shapes: Mapping[str, tuple[str, str]], text: str, bad: Node,
              fixes: list[tuple[str, Shape, str]], expected: Shape | None) -> tuple[str, Shape, str] | None:
    """The suggested change that makes the whole answer conform, best with the expected shape."""
    conforming: list[tuple[tuple[str, Shape, str], Shape]] = []
    for fix in fixes:
        try:
            whole = fold(root, _Infer(shapes, text, {id(bad): fix[1]}).one)
        except (AnswerSyntaxError, _Nonconforming):
            continue
        conforming.append((fix, whole))
    for fix, whole in conforming:
        if expected is not None and same(whole, expected):
            return fix
    return conforming[0][0] if conforming else None


def mistake_of(err: AnswerSyntaxError) -> str | None:
    """The named mistake a shape error's suggestion corrects (None: none, or not a shape error)."""
    return getattr(err, "mistake", None)


# ----------------------------------------------------------------------------
# A part's answer.
# ----------------------------------------------------------------------------
def allowed_names(part: Mapping[str, object]) -> set[str]:
    """The names a matrix answer may use: the shaped symbols (``shapes``) and the scalar ones (``symbols``)."""
    return set(part.get("shapes") or {}) | set(part.get("symbols") or {})  # type: ignore[call-overload]


def domains_of(part: Mapping[str, object]) -> dict[str, str]:
    """name -> domain (``symbols``); a shaped symbol with none is real."""
    return {str(k): str(v) for k, v in (part.get("symbols") or {}).items()}  # type: ignore[attr-defined]


def definitions_of(part: Mapping[str, object]) -> list[str]:
    """A matrix answer's definitions (``given: ["h = sigma(xi1)"]``); a derivation's ``given`` are its own."""
    return [str(g) for g in (part.get("given") or [])] if part.get("kind") == "matexpr" else []  # type: ignore[attr-defined]


def read_answer(part: Mapping[str, object], text: str, expected: Shape | None = None) -> tuple[Node, Shape]:
    """Parse and shape-check a matrix answer of ``part``: (tree, shape).  Raises
    :class:`AnswerSyntaxError` (see :func:`infer`) or :class:`ShapeError` (the part's declaration)."""
    shapes = read_shapes(part.get("shapes"))  # type: ignore[arg-type]
    node = parse(text, symbols=allowed_names(part), matrix=True)
    return node, infer(node, shapes, text, expected=expected)
