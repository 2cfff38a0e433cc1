"""Real-valued evaluation of a syntax tree at 30 digits: where is a term *defined*?

A step may not change the domain: ``sqrt(x)^2 = x`` is wrong for x < 0 even though
SymPy simplifies the left side to x, so definedness is judged on the tree as typed
(before any simplification), with real semantics: ln of a non-positive number, an
even root or fractional power of a negative number and a division by zero are
undefined.  ``nncheck.lang.numeric`` has the same semantics in double precision,
which is too coarse here: at ξ = 40, 1 − σ(ξ) rounds to 0.0 and ln(1 − σ(ξ)) would
look undefined.  So this walk uses mpmath at ``DPS`` digits.

Derivative nodes and anything else this module does not evaluate are supplied by the
caller through ``env`` (placeholders), never guessed.
"""

from __future__ import annotations

from fractions import Fraction

from nncheck.lang.syntax import BinOp, Call, Name, Node, Num, Unary
from nncheck.lang.walk import fold

DPS = 30
RETRY_DPS = (DPS, 120, 500)  # precisions tried before a term is called undefined
MAX_EXP = 10**6  # e^x beyond this: the point is skipped


class NotDefined(Exception):
    """The term has no real value here; ``args[0]`` says why."""


class CannotEvaluate(Exception):
    """This point or node cannot be used (a value too large, an unknown node)."""


def evaluate(node: Node, env: dict):
    """The real value of ``node`` (an ``mpf``) with names looked up in ``env`` (numbers or mpf).

    A term that looks undefined is evaluated again with more digits before the verdict
    stands: 1 − σ(100) is 4e-44, which is 0 at 30 digits but not at 120.
    """
    import mpmath

    *first, last = RETRY_DPS
    for dps in first:
        with mpmath.workdps(dps):
            try:
                return _Walk({k: _mp(v) for k, v in env.items()}).run(node)
            except NotDefined:
                continue
    with mpmath.workdps(last):  # undefined here too: the NotDefined stands
        return _Walk({k: _mp(v) for k, v in env.items()}).run(node)


def _mp(v):
    import mpmath

    if isinstance(v, Fraction):
        return mpmath.mpf(v.numerator) / v.denominator
    return mpmath.mpf(v)


class _Walk:
    def __init__(self, env: dict):
        import mpmath

        self.mp = mpmath
        self.env = env

    def run(self, root: Node):
        """Post-order through the shared iterative walk: no recursion limit whatever the depth.

        Only arithmetic is walked into; any other node reaches :meth:`one` without its
        children's values, and :meth:`one` refuses it.
        """
        return fold(root, self.one, lambda node: isinstance(node, (Unary, BinOp, Call)))

    def one(self, node: Node, args: list):
        mp = self.mp
        if isinstance(node, Num):
            return _mp(node.value)
        if isinstance(node, Name):
            if node.name in self.env:
                return self.env[node.name]
            if node.name in ("e", "pi"):
                return getattr(mp, node.name)  # mpmath's constant, at the working precision
            raise CannotEvaluate(f"no value for {node.name}")
        if isinstance(node, Unary):
            if node.op == "-":
                return -args[0]
            raise CannotEvaluate(node.op)
        if isinstance(node, BinOp):
            a, b = args
            op = node.op
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if op == "/":
                if b == 0:
                    raise NotDefined("division by zero")
                return a / b
            if op == "^":
                return self.power(a, b)
            raise CannotEvaluate(op)
        if isinstance(node, Call):
            return self.call(node.func, args)
        raise CannotEvaluate(type(node).__name__)

    def power(self, a, b):
        mp = self.mp
        if b == int(b) and abs(b) <= 10**6:
            n = int(b)
            if a == 0 and n < 0:
                raise NotDefined("division by zero (0 to a negative power)")
            if a != 0 and abs(n) * abs(mp.log(abs(a), 10)) > 10**6:
                raise CannotEvaluate("power too large")
            return a**n
        if a < 0:
            # As in the answer language's numeric evaluator (and SymPy's principal branch, which
            # is not real): a negative base takes integer powers only.
            raise NotDefined("a negative number to a fractional power")
        if a == 0:
            if b > 0:
                return mp.mpf(0)
            raise NotDefined("0 to a non-positive power")
        if abs(b * mp.log(a)) > MAX_EXP:
            raise CannotEvaluate("power too large")
        return a**b

    def call(self, f: str, args: list):
        mp = self.mp
        if not args:  # every function of the answer language takes an argument; the parser checks
            raise CannotEvaluate(f"the function {f} without arguments")
        x = args[0]
        if f == "exp":
            if x > MAX_EXP:
                raise CannotEvaluate("exp too large")
            return mp.exp(x)
        if f in ("ln", "log"):
            if x <= 0:
                raise NotDefined("logarithm of a number that is not positive")
            return mp.log(x)
        if f == "sqrt":
            if x < 0:
                raise NotDefined("square root of a negative number")
            return mp.sqrt(x)
        if f == "abs":
            return abs(x)
        if f == "max":
            return max(args)
        if f == "min":
            return min(args)
        if f == "relu":
            return x if x > 0 else mp.mpf(0)
        if f in ("sigma", "sigma'"):
            if x < -MAX_EXP:
                s = mp.exp(x)
            elif x > MAX_EXP:
                s = 1 - mp.exp(-x)
            else:
                s = 1 / (1 + mp.exp(-x))
            return s if f == "sigma" else s * (1 - s)
        if f == "tanh":
            return mp.tanh(x)
        if f == "tanh'":
            return 1 - mp.tanh(x) ** 2
        if f == "relu'":
            return mp.mpf(1) if x >= 0 else mp.mpf(0)
        raise CannotEvaluate(f"the function {f}")
