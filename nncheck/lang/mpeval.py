"""Evaluate a SymPy expression at a point with mpmath, at a chosen precision.

This is how the equivalence checker samples: it walks the SymPy tree itself with
an allow-list of node types, instead of ``lambdify`` (which generates and ``exec``s
Python source) or ``subs(...).evalf()`` (which is 10-100× slower).  Values are
complex where real arithmetic has no answer (``ln`` of a negative, a negative base
to a fractional power), so that branch differences show up as differences.
Points where an expression is undefined (a pole, ``ln 0``) raise :class:`Undefined`.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import sympy
from sympy.core.relational import Relational

from nncheck.lang.sympy_backend import sigma


class Undefined(ArithmeticError):
    """The expression has no finite value at this point."""


def _num(p: int, q: int = 1):
    return mpmath.mpf(p) / q if q != 1 else mpmath.mpf(p)


def to_mp(v):
    """An exact point value (Fraction, int, SymPy number) as an mpmath number at the current precision."""
    if isinstance(v, Fraction):
        return _num(v.numerator, v.denominator)
    if isinstance(v, int):
        return mpmath.mpf(v)
    if isinstance(v, sympy.Rational):
        return _num(int(v.p), int(v.q))
    return mpmath.mpmathify(v)


def _finite(v):
    if isinstance(v, mpmath.mpc):
        if not (mpmath.isfinite(v.real) and mpmath.isfinite(v.imag)):
            raise Undefined("not finite")
        if v.imag == 0:
            return v.real
        return v
    if not mpmath.isfinite(v):
        raise Undefined("not finite")
    return v


def _real(v, what: str):
    if isinstance(v, mpmath.mpc):
        if v.imag != 0:
            raise Undefined(f"{what} of a complex number")
        return v.real
    return v


def _heaviside(x, h0=None):
    x = _real(x, "step")
    if x > 0:
        return mpmath.mpf(1)
    if x < 0:
        return mpmath.mpf(0)
    if h0 is None:
        raise Undefined("step at 0")
    return h0


def _log(x, base=None):
    if x == 0:
        raise Undefined("log 0")
    r = mpmath.log(x)
    if base is not None:
        if base == 0 or base == 1:
            raise Undefined("log base")
        r = r / mpmath.log(base)
    return r


def _pow(b, e, e_expr):
    if b == 0:
        if isinstance(e, mpmath.mpc) or e < 0:
            raise Undefined("0 to a negative power")
        return mpmath.mpf(1) if e == 0 else mpmath.mpf(0)
    if e_expr.is_Integer:
        return mpmath.power(b, int(e_expr))  # exact squaring, no complex detour for negative bases
    return mpmath.power(b, e)


_SIMPLE = {
    sympy.exp: mpmath.exp,
    sympy.tanh: mpmath.tanh,
    sympy.sinh: mpmath.sinh,
    sympy.cosh: mpmath.cosh,
    sympy.sin: mpmath.sin,
    sympy.cos: mpmath.cos,
    sympy.tan: mpmath.tan,
    sympy.cot: mpmath.cot,
    sympy.sec: mpmath.sec,
    sympy.csc: mpmath.csc,
    sympy.asin: mpmath.asin,
    sympy.acos: mpmath.acos,
    sympy.atan: mpmath.atan,
    sympy.asinh: mpmath.asinh,
    sympy.acosh: mpmath.acosh,
    sympy.atanh: mpmath.atanh,
    sympy.Abs: abs,
    sympy.sign: mpmath.sign,
    sympy.floor: lambda x: mpmath.floor(_real(x, "floor")),
    sympy.ceiling: lambda x: mpmath.ceil(_real(x, "ceiling")),
    sympy.re: lambda x: mpmath.re(x),
    sympy.im: lambda x: mpmath.im(x),
    sigma: lambda x: 1 / (1 + mpmath.exp(-x)),
}

_CONSTANTS = {
    sympy.pi: lambda: +mpmath.pi,
    sympy.E: lambda: +mpmath.e,
    sympy.EulerGamma: lambda: +mpmath.euler,
    sympy.GoldenRatio: lambda: +mpmath.phi,
    sympy.Catalan: lambda: +mpmath.catalan,
    sympy.I: lambda: mpmath.mpc(0, 1),
}


def evaluate(expr, point: dict, dps: int):
    """The value of ``expr`` with each symbol replaced by ``point[name]``, at ``dps`` digits.

    Returns an ``mpf`` or ``mpc``; raises :class:`Undefined` where there is no finite value.
    """
    with mpmath.workdps(dps):
        env = {name: to_mp(v) for name, v in point.items()}
        try:
            return _finite(_Walker(env, point, dps).run(expr))
        except (ZeroDivisionError, ValueError, OverflowError) as e:
            raise Undefined(str(e)) from None


class _Walker:
    def __init__(self, env: dict, point: dict, dps: int):
        self.env = env
        self.point = point
        self.dps = dps
        self.memo: dict = {}

    def run(self, root):
        """Post-order over the SymPy tree with an explicit stack and a memo of shared subtrees."""
        memo = self.memo
        stack = [(root, False)]
        while stack:
            e, ready = stack.pop()
            if e in memo:
                continue
            if not ready and e.args and not _is_leaf(e):
                stack.append((e, True))
                stack.extend((a, False) for a in e.args if a not in memo)
                continue
            memo[e] = self.one(e)
        return memo[root]

    def one(self, e):
        if e.is_Integer:
            return mpmath.mpf(int(e.p))
        if e.is_Rational:
            return _num(int(e.p), int(e.q))
        if e.is_Float:
            return mpmath.mpf(e._mpf_)
        if e.is_Symbol:
            if e.name not in self.env:
                raise Undefined(f"no value for {e.name}")
            return self.env[e.name]
        if e in _CONSTANTS:
            return _CONSTANTS[e]()
        if e in (sympy.oo, -sympy.oo, sympy.zoo, sympy.nan):
            raise Undefined("infinite")
        m = self.memo
        if e.is_Add:
            return mpmath.fsum(m[a] for a in e.args)
        if e.is_Mul:
            r = mpmath.mpf(1)
            for a in e.args:
                r *= m[a]
            return r
        if e.is_Pow:
            return _pow(m[e.base], m[e.exp], e.exp)
        f = e.func
        if f in _SIMPLE:
            return _SIMPLE[f](m[e.args[0]])
        if f is sympy.log:
            return _log(*[m[a] for a in e.args])
        if f is sympy.Max or f is sympy.Min:
            vals = [_real(m[a], "max/min") for a in e.args]
            return max(vals) if f is sympy.Max else min(vals)
        if f is sympy.Heaviside:
            return _heaviside(*[m[a] for a in e.args])
        if isinstance(e, Relational):
            a, b = _real(m[e.lhs], "comparison"), _real(m[e.rhs], "comparison")
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}[e.rel_op]
        if e is sympy.true or e is sympy.false:
            return bool(e)
        if isinstance(e, sympy.And):
            return all(m[a] for a in e.args)
        if isinstance(e, sympy.Or):
            return any(m[a] for a in e.args)
        if isinstance(e, sympy.Not):
            return not m[e.args[0]]
        return self.fallback(e)

    def fallback(self, e):
        """Anything else a solver may put in a key (Piecewise, a special function): SymPy's evalf."""
        subs = {s: sympy.Rational(self.point[s.name].numerator, self.point[s.name].denominator)
                if isinstance(self.point.get(s.name), Fraction) else self.point.get(s.name)
                for s in e.free_symbols}
        if any(v is None for v in subs.values()):
            raise Undefined("no value for a symbol")
        v = e.evalf(self.dps, subs=subs) if subs else e.evalf(self.dps)
        if not v.is_number or v.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
            raise Undefined("no numeric value")
        re, im = v.as_real_imag()
        re = mpmath.mpf(sympy.Float(re, self.dps)._mpf_)
        im = mpmath.mpf(sympy.Float(im, self.dps)._mpf_)
        return mpmath.mpc(re, im) if im != 0 else re


def _is_leaf(e) -> bool:
    """Nodes evaluated from their own data or by SymPy as a whole (their args are not walked)."""
    return e.is_Number or e.is_Symbol or e.func in (sympy.Piecewise, sympy.Derivative, sympy.Integral,
                                                     sympy.Subs, sympy.Sum, sympy.Product)
