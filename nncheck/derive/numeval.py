"""Fast complex-float evaluation of SymPy expressions, with "opaque" functions.

Naming the rule behind a valid step asks questions such as "are these two sides equal
if σ, tanh and ln are *arbitrary* functions?" (then the step is plain algebra) or "…if
ln is the real logarithm but σ is arbitrary?" (then it used the log rules).  An opaque
function is a fixed pseudo-random function of its argument's value, so equal arguments
give equal values wherever they appear, and nothing else is assumed about it.

Double precision is enough here: these answers only *name* a rule.  Whether a step is
valid is decided by :mod:`nncheck.derive.check` at 60 significant digits.
"""

from __future__ import annotations

import cmath
import math
import random

MAX_EXP = 700.0  # exp() of more than this overflows a double: the point is skipped


class Unsupported(Exception):
    """An expression this evaluator does not know (the caller falls back or gives up)."""


def opaque_value(name: str, z: complex, salt: int = 0) -> complex:
    """The value of the opaque function ``name`` at ``z``: random, but fixed for that argument."""
    # Round so that mathematically equal arguments computed along different paths agree.
    key = f"{name}|{_round(z.real)}|{_round(z.imag)}|{salt}"
    rng = random.Random(key)
    return complex(rng.uniform(-2.0, 2.0), 0.0)


def _round(x: float) -> str:
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    return f"{x:.8e}"


class Evaluator:
    """Evaluate SymPy expressions at one point.

    ``env`` maps SymPy symbols (and dummies) to complex values.  ``opaque`` holds
    function names treated as arbitrary functions: ``sigma``, ``tanh``, ``log``.
    ``tanh_as_sigma`` evaluates tanh(u) as 2σ(2u) − 1 (σ possibly opaque).
    """

    def __init__(self, env: dict, opaque: frozenset = frozenset(), *, salt: int = 0, tanh_as_sigma: bool = False):
        import sympy

        self.sympy = sympy
        self.env = env
        self.opaque = opaque
        self.salt = salt
        self.tanh_as_sigma = tanh_as_sigma
        self._memo: dict = {}

    def __call__(self, e) -> complex:
        return self.ev(e)

    def ev(self, e) -> complex:
        memo = self._memo
        if e in memo:
            return memo[e]
        v = self._ev(e)
        memo[e] = v
        return v

    def _sigma(self, u: complex) -> complex:
        if "sigma" in self.opaque:
            return opaque_value("sigma", u, self.salt)
        if u.real < -MAX_EXP:
            return cmath.exp(u)
        return 1.0 / (1.0 + _exp(-u))

    def _ev(self, e) -> complex:
        sympy = self.sympy
        if e.is_Symbol:
            try:
                return self.env[e]
            except KeyError:
                raise Unsupported(f"no value for {e}") from None
        if e.is_Number:
            if e.is_infinite or e is sympy.nan or e is sympy.zoo:
                raise ZeroDivisionError("not finite")
            return complex(e)
        if e.is_NumberSymbol:  # pi, E
            return complex(float(e))
        if e is sympy.I:
            return 1j
        if e.is_Add:
            return sum((self.ev(a) for a in e.args), 0j)
        if e.is_Mul:
            out = 1 + 0j
            for a in e.args:
                out *= self.ev(a)
            return out
        if e.is_Pow:
            b, x = e.args
            if b is sympy.E:
                return _exp(self.ev(x))
            vb = self.ev(b)
            if x.is_Integer:
                n = int(x)
                if vb == 0 and n < 0:
                    raise ZeroDivisionError("0 to a negative power")
                if abs(n) > 4000:
                    raise OverflowError("power too large")
                return vb**n
            vx = self.ev(x)
            if vb == 0:
                if vx.real > 0:
                    return 0j
                raise ZeroDivisionError("0 to a non-positive power")
            return _exp(vx * cmath.log(vb))
        name = type(e).__name__
        if name == "exp":
            return _exp(self.ev(e.args[0]))
        if name == "log":
            u = self.ev(e.args[0])
            if "log" in self.opaque:
                return opaque_value("log", u, self.salt)
            if u == 0:
                raise ZeroDivisionError("log of 0")
            return cmath.log(u)
        if name == "sigma":
            return self._sigma(self.ev(e.args[0]))
        if name == "tanh":
            u = self.ev(e.args[0])
            if self.tanh_as_sigma:
                return 2 * self._sigma(2 * u) - 1
            if "tanh" in self.opaque:
                return opaque_value("tanh", u, self.salt)
            if abs(u.real) > MAX_EXP / 2:
                return complex(math.copysign(1.0, u.real))
            return cmath.tanh(u)
        if name == "Abs":
            return complex(abs(self.ev(e.args[0])))
        if name in ("Max", "Min"):
            vals = [self.ev(a) for a in e.args]
            pick = max if name == "Max" else min
            return pick(vals, key=lambda z: z.real)
        if name == "Heaviside":
            u = self.ev(e.args[0]).real
            return complex(1.0 if u > 0 else (0.0 if u < 0 else 0.5))
        if name == "sign":
            u = self.ev(e.args[0]).real
            return complex(0.0 if u == 0 else math.copysign(1.0, u))
        if name in ("re",):
            return complex(self.ev(e.args[0]).real)
        if name in ("im",):
            return complex(self.ev(e.args[0]).imag)
        raise Unsupported(name)


def _exp(z: complex) -> complex:
    if z.real > MAX_EXP:
        raise OverflowError("exp overflow")
    if z.real < -MAX_EXP:
        return 0j
    return cmath.exp(z)


def close(a: complex, b: complex, rel: float = 1e-8) -> bool:
    """Equal up to double-precision noise."""
    if not (cmath.isfinite(a) and cmath.isfinite(b)):
        return False
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))
