"""Build SymPy objects from nncheck's syntax tree: the only road from user text to SymPy.

No string ever reaches ``sympify``/``parse_expr``: every node type maps to one SymPy
constructor, and every function to an allow-listed SymPy function.  σ and ReLU are
real SymPy functions (not opaque names), so σ(x)(1 − σ(x)) is provably the
derivative of σ and ``relu`` differentiates to a step.
"""

from __future__ import annotations

from fractions import Fraction

import sympy
from sympy import Function

from ..expr.syntax import (AnswerSyntaxError, BinOp, Call, Derivative, Matrix, Name, Node, Num, Relation,
                           Transpose, Unary, Vector, Word)


class sigma(Function):
    """The logistic sigmoid σ(x) = 1/(1 + e^(−x)), with σ′ = σ(1 − σ)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x == 0:
            return sympy.Rational(1, 2)
        if x is sympy.oo:
            return sympy.Integer(1)
        if x is sympy.S.NegativeInfinity:
            return sympy.Integer(0)
        return None

    def fdiff(self, argindex=1):
        s = sigma(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sympy.exp(-x))

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        if self.args[0].is_real:
            return True
        return None

    def _eval_evalf(self, prec):
        x = self.args[0]._eval_evalf(prec)
        if x is None:
            return None
        return (1 / (1 + sympy.exp(-x)))._eval_evalf(prec)

    def _sympystr(self, printer):
        return f"sigma({printer._print(self.args[0])})"


def relu(x):
    """ReLU as Max(0, x): SymPy knows its derivative (a Heaviside step) and its sign."""
    return sympy.Max(0, x)


FUNCS = {
    "exp": sympy.exp,
    "ln": sympy.log,
    "log": sympy.log,
    "sqrt": sympy.sqrt,
    "abs": sympy.Abs,
    "max": lambda *a: sympy.Max(*a),
    "min": lambda *a: sympy.Min(*a),
    "sigma": sigma,
    "tanh": sympy.tanh,
    "relu": relu,
}

MAX_EXACT_EXPONENT = 1000  # integer powers of symbolic bases beyond this are "too complex"


def make_symbol(name: str, domain: str | None = None) -> sympy.Symbol:
    """A SymPy symbol whose assumptions follow its declared domain."""
    d = (domain or "real").strip().lower().replace(" ", "")
    kw: dict = {"real": True}
    if d in ("positive",) or (d.startswith("(0,") or d.startswith("(0.")):
        kw["positive"] = True
    elif d in ("nonnegative",) or d.startswith("[0,"):
        kw["nonnegative"] = True
    elif d == "negative":
        kw["negative"] = True
    elif d == "integer":
        kw["integer"] = True
    return sympy.Symbol(name, **kw)


def to_sympy(node: Node, symbols: dict | None = None, text: str = ""):
    """Convert a syntax tree to SymPy.  ``symbols`` maps names to SymPy symbols (or values)."""
    return _Conv(symbols or {}, text).conv(node)


class _Conv:
    def __init__(self, symbols: dict, text: str):
        self.symbols = symbols
        self.text = text

    def err(self, node, msg, code="math"):
        raise AnswerSyntaxError(msg, getattr(node, "pos", 0), self.text, code=code)

    def conv(self, node: Node):
        if isinstance(node, Num):
            v = node.value
            if isinstance(v, Fraction):
                return sympy.Rational(v.numerator, v.denominator)
            return sympy.Integer(v)
        if isinstance(node, Name):
            if node.name in self.symbols:
                return self.symbols[node.name]
            if node.name == "e":
                return sympy.E
            if node.name == "pi":
                return sympy.pi
            sym = make_symbol(node.name)
            self.symbols[node.name] = sym
            return sym
        if isinstance(node, Word):
            self.err(node, f"'{node.word}' is not a value here")
        if isinstance(node, Unary):
            if node.op == "-":
                return -self.conv(node.arg)
            self.err(node, f"'{node.op}' is not allowed here")
        if isinstance(node, BinOp):
            a, b = self.conv(node.left), self.conv(node.right)
            op = node.op
            if op == "+":
                return self._add(node, a, b)
            if op == "-":
                return self._add(node, a, -b)
            if op == "*":
                return self._mul(node, a, b)
            if op == "/":
                if isinstance(b, sympy.MatrixBase):
                    self.err(node, "cannot divide by a matrix")
                if b == 0:
                    self.err(node, "division by zero")
                return a / b
            if op == "^":
                return self._pow(node, a, b)
            self.err(node, f"'{op}' is not allowed here")
        if isinstance(node, Call):
            args = [self.conv(a) for a in node.args]
            if any(isinstance(a, sympy.MatrixBase) for a in args):
                if len(args) == 1 and node.func in ("exp", "ln", "log", "sqrt", "abs", "sigma", "tanh", "relu"):
                    f = FUNCS[node.func]
                    return args[0].applyfunc(f)
                self.err(node, f"{node.func}( ) of a matrix is not defined here")
            if node.func in ("ln", "log") and args[0] == 0:
                self.err(node, "logarithm of 0")
            return FUNCS[node.func](*args)
        if isinstance(node, Vector):
            return sympy.Matrix([self._scalar(x) for x in node.items])
        if isinstance(node, Matrix):
            return sympy.Matrix([[self._scalar(x) for x in row] for row in node.rows])
        if isinstance(node, Transpose):
            v = self.conv(node.arg)
            if isinstance(v, sympy.MatrixBase):
                return v.T
            return v  # the transpose of a scalar is itself
        if isinstance(node, Derivative):
            inner = self.conv(node.expr)
            var = self.symbols.get(node.var)
            if var is None:
                var = make_symbol(node.var)
                self.symbols[node.var] = var
            return sympy.diff(inner, var)
        if isinstance(node, Relation):
            self.err(node, "an equation is not a value")
        raise TypeError(f"unknown node {node!r}")

    def _scalar(self, node):
        v = self.conv(node)
        if isinstance(v, sympy.MatrixBase):
            self.err(node, "a matrix entry cannot be a vector or matrix")
        return v

    def _add(self, node, a, b):
        ma, mb = isinstance(a, sympy.MatrixBase), isinstance(b, sympy.MatrixBase)
        if ma != mb:
            self.err(node, "cannot add a number to a vector or matrix")
        if ma and a.shape != b.shape:
            self.err(node, f"cannot add a {a.shape[0]}×{a.shape[1]} and a {b.shape[0]}×{b.shape[1]} array")
        return a + b

    def _mul(self, node, a, b):
        if isinstance(a, sympy.MatrixBase) and isinstance(b, sympy.MatrixBase):
            if a.shape[1] != b.shape[0]:
                self.err(node, f"cannot multiply a {a.shape[0]}×{a.shape[1]} by a {b.shape[0]}×{b.shape[1]} matrix")
            return a * b
        return a * b

    def _pow(self, node, a, b):
        if isinstance(a, sympy.MatrixBase) or isinstance(b, sympy.MatrixBase):
            self.err(node, "powers of vectors or matrices are not allowed")
        # Bound the work SymPy will do *before* asking it to do it.
        if b.is_Number:
            if abs(b) > MAX_EXACT_EXPONENT and not (a.is_Number and abs(a) in (0, 1)):
                self.err(node, "exponent too large to work with", code="too-complex")
            if a.is_Number and b.is_Integer:
                ra = sympy.Rational(a) if a.is_Rational else None
                if ra is not None:
                    size = max(len(str(abs(ra.p))), len(str(ra.q)))
                    if (size - 1) * abs(int(b)) > 2000:
                        self.err(node, "number too large to compute", code="too-complex")
        elif a.is_Number and abs(a) > 1 and b.is_number:
            try:
                if abs(float(b)) > MAX_EXACT_EXPONENT:
                    self.err(node, "exponent too large to work with", code="too-complex")
            except TypeError:
                pass
        if a == 0 and b.is_Number and b < 0:
            self.err(node, "division by zero (0 to a negative power)")
        return a**b
