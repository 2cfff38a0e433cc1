"""Evaluate a syntax tree to plain Python values without SymPy.

Rationals stay exact (``Fraction``); anything transcendental becomes a float.  This
is what parameter overrides (``eta=0.1``, ``W1=[[1,2],[3,4]]``) and bank constraints
(``F <= W1 + 2*P``) use, so it must be cheap to import and impossible to blow up:
powers are bounded before they are computed.
"""

from __future__ import annotations

import math
from fractions import Fraction

from .syntax import (AnswerSyntaxError, BinOp, Call, Derivative, Matrix, Name, Node, Num, Relation,
                     Transpose, Unary, Vector, Word)

MAX_POWER_DIGITS = 400  # the result of an exact power may have at most this many digits


class EvalError(AnswerSyntaxError):
    """A well-formed expression whose value cannot be computed (1/0, ln(-1), a huge power)."""


def _err(node: Node, msg: str, text: str, code: str = "math"):
    raise EvalError(msg, getattr(node, "pos", 0), text, code=code)


def is_number(v) -> bool:
    return isinstance(v, (int, Fraction, float)) and not isinstance(v, bool)


def as_float(v) -> float:
    return float(v)


def _sigma(x: float) -> float:
    # Written so that neither branch overflows.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def evaluate(node: Node, env: dict | None = None, text: str = ""):
    """Value of ``node`` with names looked up in ``env``.

    Returns int/Fraction (exact), float, bool, str (a bare word), or lists for vectors
    and matrices.  Raises :class:`EvalError` with the node's position on failure.
    """
    env = env or {}
    return _Eval(env, text).ev(node)


class _Eval:
    def __init__(self, env: dict, text: str):
        self.env = env
        self.text = text

    def ev(self, node: Node):
        m = getattr(self, "_" + type(node).__name__)
        return m(node)

    def _Num(self, node: Num):
        return node.value

    def _Word(self, node: Word):
        return node.word

    def _Name(self, node: Name):
        if node.name in self.env:
            return self.env[node.name]
        if node.name == "pi":
            return math.pi
        if node.name == "e":
            return math.e
        _err(node, f"'{node.name}' has no value here", self.text, code="unknown-name")

    def _Vector(self, node: Vector):
        return [self.ev(x) for x in node.items]

    def _Matrix(self, node: Matrix):
        return [[self.ev(x) for x in row] for row in node.rows]

    def _Transpose(self, node: Transpose):
        v = self.ev(node.arg)
        if isinstance(v, list) and v and isinstance(v[0], list):
            return [list(col) for col in zip(*v)]
        if isinstance(v, list):
            return [[x] for x in v]
        return v

    def _Derivative(self, node: Derivative):
        _err(node, "a derivative has no numeric value here", self.text)

    def _Relation(self, node: Relation):
        vals = [self.ev(t) for t in node.terms]
        for op, a, b in zip(node.ops, vals, vals[1:]):
            if not _compare(op, a, b):
                return False
        return True

    def _Unary(self, node: Unary):
        v = self.ev(node.arg)
        if node.op == "not":
            return not _truth(v)
        return _map1(lambda x: -x, v)

    def _BinOp(self, node: BinOp):
        op = node.op
        if op == "and":
            return _truth(self.ev(node.left)) and _truth(self.ev(node.right))
        if op == "or":
            return _truth(self.ev(node.left)) or _truth(self.ev(node.right))
        a, b = self.ev(node.left), self.ev(node.right)
        if op in ("<", "<=", ">", ">=", "=", "!="):
            return _compare(op, a, b)
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
        except OverflowError:
            _err(node, "number too large", self.text, code="too-complex")
        if isinstance(r, float) and (math.isinf(r) or math.isnan(r)):
            _err(node, "the value is not a finite number", self.text, code="math")
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
            size = max(len(str(abs(fa.numerator))), len(str(fa.denominator)))
            if abs(b) > 100_000 or (size - 1) * abs(b) > MAX_POWER_DIGITS:
                _err(node, "number too large to compute", self.text, code="too-complex")
            r = fa ** b
            return int(r) if r.denominator == 1 else r
        fa, fb = float(a), float(b)
        if fa < 0:
            _err(node, "a negative number to a fractional power", self.text)
        if fa > 0 and abs(fb * math.log10(fa)) > 300:
            _err(node, "number too large to compute", self.text, code="too-complex")
        return fa ** fb

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

    def _Call(self, node: Call):
        f = node.func
        args = [self.ev(a) for a in node.args]
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
                return sum(x for row in v for x in (row if isinstance(row, list) else [row]))
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
            if not isinstance(x, float):
                fx = Fraction(x)
                rn, rd = math.isqrt(fx.numerator), math.isqrt(fx.denominator)
                if rn * rn == fx.numerator and rd * rd == fx.denominator:
                    r = Fraction(rn, rd)
                    return int(r) if r.denominator == 1 else r
            return math.sqrt(x)
        if f in ("ln", "log"):
            if x <= 0:
                _err(node, "logarithm of a number that is not positive", self.text)
            if x == 1:
                return 0
            return math.log(x)
        if f == "exp":
            if x == 0:
                return 1
            if x > 700:
                _err(node, "number too large to compute", self.text, code="too-complex")
            return math.exp(x)
        if f == "sigma":
            return Fraction(1, 2) if x == 0 else _sigma(float(x))
        if f == "tanh":
            return 0 if x == 0 else math.tanh(float(x))
        _err(node, f"the function '{f}' has no numeric value here", self.text)


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
