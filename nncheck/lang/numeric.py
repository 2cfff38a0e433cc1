"""Evaluate a syntax tree to plain Python values without SymPy.

Rationals stay exact (``Fraction``); anything transcendental becomes a float.  This
is what parameter overrides (``eta=0.1``, ``W1=[[1,2],[3,4]]``), bank constraints
(``F <= W1 + 2*P``) and numeric answers (``ln(2)/3``, ``[1 2; 3 4]``) use, so it
must be cheap to import and impossible to blow up:

* every exact result is size-checked (``MAX_BITS`` per numerator/denominator) and
  every power is bounded *before* it is computed, so each operation costs at most
  microseconds and a 2,000-node tree stays well under a millisecond or so;
* the walk is iterative, so a long chain ``1+1+…+1`` cannot exhaust the stack.

That is why numeric answers are graded in-process, without the sandbox.
"""

from __future__ import annotations

import math
from fractions import Fraction

import nncheck.lang.syntax as syntax
from nncheck.lang.walk import fold

MAX_POWER_DIGITS = 400  # the result of an exact power may have at most this many digits
MAX_BITS = 12_000  # numerator or denominator of any exact intermediate (~3,600 digits, below
# the 4,300 digits Python will still convert to text)
_MAX_FLOAT_LOG10 = 300  # |log10| of a float result beyond which it would overflow
_CONSTANTS = {"e": math.e, "pi": math.pi}  # the answer language's constants (a name in env shadows them)


class EvalError(syntax.AnswerSyntaxError):
    """A well-formed expression whose value cannot be computed (1/0, ln(-1), a huge power)."""


def _err(node: syntax.Node, msg: str, text: str, code: str = "math"):
    raise EvalError(msg, getattr(node, "pos", 0), text, code=code)


def is_number(v) -> bool:
    return isinstance(v, (int, Fraction, float)) and not isinstance(v, bool)


def as_float(v) -> float:
    return float(v)


def exact_sqrt(x: int | Fraction) -> int | Fraction | None:
    """√x for an exact x ≥ 0 when it is rational (√(9/4) = 3/2), else None."""
    fx = Fraction(x)
    rn, rd = math.isqrt(fx.numerator), math.isqrt(fx.denominator)
    if rn * rn != fx.numerator or rd * rd != fx.denominator:
        return None
    return rn if rd == 1 else Fraction(rn, rd)  # in lowest terms, as x is


def sigmoid(x: float) -> float:
    """σ(x) = 1/(1 + e^(−x)) in floating point, written so that neither branch overflows."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def evaluate(node: syntax.Node, env: dict | None = None, text: str = ""):
    """Value of ``node`` with names looked up in ``env``.

    Returns int/Fraction (exact), float, bool, str (a bare word), or lists for vectors
    and matrices.  Raises :class:`EvalError` with the node's position on failure.
    """
    env = env or {}
    return _Eval(env, text).ev(node)


def _walks_children(node: syntax.Node) -> bool:
    """False for the nodes that evaluate their own children: short-circuit logic and relations."""
    if isinstance(node, syntax.BinOp):
        return node.op not in ("and", "or")
    if isinstance(node, syntax.Unary):
        return node.op != "not"
    return not isinstance(node, syntax.Relation)


class _Eval:
    def __init__(self, env: dict, text: str):
        self.env = env
        self.text = text

    def ev(self, root: syntax.Node):
        """Post-order evaluation through the shared iterative walk (no recursion through the tree)."""
        return fold(root, self._one, _walks_children)

    def _one(self, node: syntax.Node, args: list):
        if isinstance(node, syntax.BinOp) and node.op in ("and", "or"):
            return self._logic(node)  # formula-only and shallow: recursion is fine here
        return getattr(self, "_" + type(node).__name__)(node, *args)

    def _logic(self, node: syntax.BinOp):
        a = _truth(self.ev(node.left))
        if node.op == "and":
            return a and _truth(self.ev(node.right))
        return a or _truth(self.ev(node.right))

    def _Num(self, node: syntax.Num):
        return node.value

    def _Word(self, node: syntax.Word):
        return node.word

    def _Name(self, node: syntax.Name):
        if node.name in self.env:
            return self.env[node.name]
        if node.name in _CONSTANTS:
            return _CONSTANTS[node.name]
        _err(node, f"'{node.name}' has no value here", self.text, code="unknown-name")

    def _Vector(self, node: syntax.Vector, *items):
        return list(items)

    def _Matrix(self, node: syntax.Matrix, *flat):
        cols = node.shape[1]
        return [list(flat[r * cols:(r + 1) * cols]) for r in range(len(node.rows))]

    def _Transpose(self, node: syntax.Transpose, v):
        if isinstance(v, list) and v and isinstance(v[0], list):
            return [list(col) for col in zip(*v)]
        if isinstance(v, list):
            return [[x] for x in v]
        return v

    def _Derivative(self, node: syntax.Derivative, *_):
        _err(node, "a derivative has no numeric value here", self.text)

    def _Relation(self, node: syntax.Relation):
        vals = [self.ev(t) for t in node.terms]
        for op, a, b in zip(node.ops, vals, vals[1:]):
            try:
                if not _compare(op, a, b):
                    return False
            except TypeError as e:
                _err(node, str(e), self.text)
        return True

    def _Unary(self, node: syntax.Unary, v=None):
        if node.op == "not":
            return not _truth(self.ev(node.arg))
        return _map1(lambda x: self._neg(node, x), v)

    def _neg(self, node, x):
        if not is_number(x):
            _err(node, "'-' needs a number", self.text)
        return -x

    def _BinOp(self, node: syntax.BinOp, a, b):
        op = node.op
        if op in ("<", "<=", ">", ">=", "=", "!="):
            try:
                return _compare(op, a, b)
            except TypeError as e:
                _err(node, str(e), self.text)
        if isinstance(a, list) or isinstance(b, list):
            return self._array_op(node, op, a, b)
        if not (is_number(a) and is_number(b)):
            _err(node, f"'{op}' needs numbers", self.text)
        return self._scalar(node, op, a, b)

    def _scalar(self, node, op, a, b):
        try:
            if op == "+":
                r = a + b
            elif op == "-":
                r = a - b
            elif op == "*":
                r = a * b
            elif op == "/":
                if b == 0:
                    _err(node, "division by zero", self.text)
                r = Fraction(a) / Fraction(b) if not (isinstance(a, float) or isinstance(b, float)) else a / b
                if isinstance(r, Fraction) and r.denominator == 1:
                    r = int(r)
            elif op == "%":
                if b == 0:
                    _err(node, "modulo by zero", self.text)
                r = a % b
            elif op == "^":
                r = self._power(node, a, b)
            else:
                _err(node, f"unknown operator {op}", self.text)
        except (OverflowError, ZeroDivisionError):
            # e/1e-324: the divisor is nonzero but rounds to 0.0 as a float, the quotient overflows.
            _err(node, "number too large", self.text, code="too-complex")
        return self._checked(node, r)

    def _checked(self, node, r):
        """Refuse non-finite floats and exact values too large to keep computing with."""
        if isinstance(r, float):
            if math.isinf(r) or math.isnan(r):
                _err(node, "the value is not a finite number", self.text, code="math")
        elif isinstance(r, Fraction):
            if r.numerator.bit_length() > MAX_BITS or r.denominator.bit_length() > MAX_BITS:
                _err(node, "number too large to compute exactly", self.text, code="too-complex")
        elif isinstance(r, int) and r.bit_length() > MAX_BITS:
            _err(node, "number too large to compute exactly", self.text, code="too-complex")
        return r

    def _power(self, node, a, b):
        if isinstance(b, Fraction) and b.denominator == 1:
            b = int(b)
        if isinstance(b, int) and not isinstance(a, float):
            if a == 0 and b < 0:
                _err(node, "division by zero (0 to a negative power)", self.text)
            if a in (0, 1) or b == 0:
                return Fraction(a) ** b if b < 0 else a ** b
            if a == -1:
                return 1 if b % 2 == 0 else -1
            fa = Fraction(a)
            # Bound the result's size from the operands' bit lengths before computing it.
            bits = max(abs(fa.numerator).bit_length(), fa.denominator.bit_length()) * abs(b)
            if abs(b) > 100_000 or bits > MAX_POWER_DIGITS * 3.33:
                _err(node, "number too large to compute", self.text, code="too-complex")
            r = fa ** b
            return int(r) if r.denominator == 1 else r
        xa, xb = float(a), float(b)
        if xa < 0 and not xb.is_integer():
            _err(node, "a negative number to a fractional power", self.text)
        if xa == 0:
            if xb < 0:
                _err(node, "division by zero (0 to a negative power)", self.text)
            return 0.0 if xb > 0 else 1.0
        if abs(xb * math.log10(abs(xa))) > _MAX_FLOAT_LOG10:
            _err(node, "number too large to compute", self.text, code="too-complex")
        return xa ** xb

    def _array_op(self, node, op, a, b):
        if op in ("+", "-"):
            if not (isinstance(a, list) and isinstance(b, list)) or _shape(a) != _shape(b):
                _err(node, f"'{op}' needs two arrays of the same shape", self.text)
            return _map2(lambda x, y: self._scalar(node, op, x, y), a, b)
        if op in ("*", "/") and not isinstance(b, list):
            return _map1(lambda x: self._scalar(node, op, x, b), a)
        if op == "*" and not isinstance(a, list):
            return _map1(lambda y: self._scalar(node, op, a, y), b)
        _err(node, f"'{op}' between arrays is not defined here", self.text)

    def _Call(self, node: syntax.Call, *args):
        f = node.func
        if f in ("len", "rows", "cols", "sum", "onehot"):
            v = args[0]
            if not isinstance(v, list):
                _err(node, f"{f}( ) needs a vector or matrix", self.text)
            if f == "len":
                return len(v)
            if f == "rows":
                return len(v)
            if f == "cols":
                return len(v[0]) if v and isinstance(v[0], list) else 1
            if f == "sum":
                return self._checked(node, sum(x for row in v for x in (row if isinstance(row, list) else [row])))
            flat = [x for row in v for x in (row if isinstance(row, list) else [row])]
            return all(x in (0, 1) for x in flat) and sum(flat) == 1
        if f == "isint":
            v = args[0]
            return is_number(v) and (v == int(v)) if not isinstance(v, float) else v.is_integer()
        if f in ("max", "min"):
            for a in args:
                if not is_number(a):
                    _err(node, f"{f}( ) needs numbers", self.text)
            return max(args) if f == "max" else min(args)
        x = args[0]
        if not is_number(x):
            _err(node, f"{f}( ) needs a number", self.text)
        if f == "abs":
            return abs(x)
        if f == "floor":
            return math.floor(x)
        if f == "ceil":
            return math.ceil(x)
        if f == "round":
            nd = int(args[1]) if len(args) > 1 else 0
            return round(Fraction(x), nd) if not isinstance(x, float) else round(x, nd)
        if f == "relu":
            return x if x > 0 else 0
        if f == "sqrt":
            if x < 0:
                _err(node, "square root of a negative number", self.text)
            root = exact_sqrt(x) if not isinstance(x, float) else None
            return root if root is not None else self._checked(node, math.sqrt(x))
        if f in ("ln", "log"):
            if x <= 0:
                _err(node, "logarithm of a number that is not positive", self.text)
            if x == 1:
                return 0
            return _log(x)
        if f == "exp":
            if x == 0:
                return 1
            if x > 690:
                _err(node, "number too large to compute", self.text, code="too-complex")
            return math.exp(x)
        if f == "sigma":
            return Fraction(1, 2) if x == 0 else sigmoid(float(x))
        if f == "tanh":
            return 0 if x == 0 else math.tanh(float(x))
        if f == "sech":
            # 2e^(-|x|)/(1 + e^(-2|x|)): no overflow for any x (math.cosh(800) would).
            z = math.exp(-abs(float(x)))
            return 1 if x == 0 else 2 * z / (1 + z * z)
        if f == "sigma'":
            s = Fraction(1, 2) if x == 0 else sigmoid(float(x))
            return s * (1 - s)
        if f == "tanh'":
            return 1 if x == 0 else 1.0 - math.tanh(float(x)) ** 2
        if f == "relu'":
            if x == 0:
                _err(node, "relu′(0) is undefined", self.text)
            return 1 if x > 0 else 0
        _err(node, f"the function '{f}' has no numeric value here", self.text)


def _log(x) -> float:
    """ln(x) for an int/Fraction of any size (``math.log`` of a huge Fraction would overflow)."""
    if isinstance(x, Fraction):
        return math.log(x.numerator) - math.log(x.denominator)
    return math.log(x)


def _truth(v) -> bool:
    if isinstance(v, bool):
        return v
    if is_number(v):
        return v != 0
    return bool(v)


def _compare(op: str, a, b) -> bool:
    if isinstance(a, list) or isinstance(b, list):
        if op == "=":
            return a == b
        if op == "!=":
            return a != b
        raise TypeError("arrays can only be compared with = or !=")
    if op == "=":
        return a == b
    if op == "!=":
        return a != b
    if not (is_number(a) and is_number(b)):
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _shape(v):
    if isinstance(v, list):
        if v and isinstance(v[0], list):
            return (len(v), len(v[0]))
        return (len(v),)
    return ()


def _map1(f, v):
    if isinstance(v, list):
        return [_map1(f, x) for x in v]
    return f(v)


def _map2(f, a, b):
    if isinstance(a, list):
        return [_map2(f, x, y) for x, y in zip(a, b)]
    return f(a, b)
