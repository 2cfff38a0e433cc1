"""Evaluate a SymPy expression at a point with mpmath, at a chosen precision.

This is how the equivalence checker samples: it walks the SymPy tree itself with
an allow-list of node types, instead of ``lambdify`` (which generates and ``exec``s
Python source) or ``subs(...).evalf()`` (which is 10-100× slower).  Values are
complex where real arithmetic has no answer (``ln`` of a negative, a negative base
to a fractional power), so that branch differences show up as differences.
Points where an expression is undefined (a pole, ``ln 0``) raise :class:`Undefined`.

The tree is flattened once into a :class:`Program` (its distinct subtrees in post-order,
each with its operation and its arguments' positions), which is then run at each point:
a checker that evaluates one expression at twenty points walks it once.

:meth:`Program.bounded` also carries, for every node, a bound on the absolute error of its
value (running error analysis: the rounding of each operation, plus the error of the
arguments times a bound on the function's slope over the arguments' error interval), and
the *smallest scale* in the computation: the smallest magnitude of any value in the tree
that is known to within half of itself, of any literal's last digit, and of what σ, tanh,
sinh, cosh and atan hide when they saturate (tanh(u) = ±(1 − 2e^(−2|u|)) carries
information at 2e^(−2|u|), though its value is about 1).  The equivalence checker uses
both to decide how many digits a point needs.
"""

from __future__ import annotations

import math
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


def _pow(b, e):
    """b^e; ``e`` an int for an integer exponent (exact squaring, no complex detour for negative bases)."""
    if b == 0:
        if isinstance(e, mpmath.mpc) or e < 0:
            raise Undefined("0 to a negative power")
        return mpmath.mpf(1) if e == 0 else mpmath.mpf(0)
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
    return Program(expr).evaluate(point, dps)


def evaluate_bounded(expr, point: dict, dps: int) -> Bounded:
    """:meth:`Program.bounded` of ``expr`` (compile once with :class:`Program` to evaluate at many points)."""
    return Program(expr).bounded(point, dps)


# ----------------------------------------------------------------------------
# The program.
# ----------------------------------------------------------------------------
_NEG_INF = float("-inf")
_INF = float("inf")
_LOG2E = 1.4426950408889634

(_NUM, _FLOAT, _SYM, _CONST, _INFINITE, _ADD, _MUL, _POWI, _POW, _FUNC, _LOG, _MAX, _MIN, _HEAVISIDE, _STEP,
 _REL, _BOOL, _AND, _OR, _NOT, _OTHER) = range(21)


class Bounded:
    """A value with ``err`` (log2 of a bound on its absolute error; -inf when exact, inf when
    unknown) and ``scale`` (log2 of the smallest scale in the computation, at most 0)."""

    __slots__ = ("value", "err", "scale")

    def __init__(self, value, err: float, scale: float):
        self.value, self.err, self.scale = value, err, scale

    def __repr__(self) -> str:
        return f"Bounded({mpmath.nstr(self.value, 8)}, err=2^{self.err:.1f}, scale=2^{self.scale:.1f})"


def mag(v) -> float:
    """An upper bound on log2|v| (within 1 of it; 0.5 more for a complex number); -inf for 0."""
    try:
        _, man, exp, bc = v._mpf_
        return float(exp + bc) if man else _NEG_INF
    except AttributeError:
        pass
    if isinstance(v, mpmath.mpc):
        return max(mag(v.real), mag(v.imag)) + 0.5
    if isinstance(v, bool):
        return 0.0 if v else _NEG_INF
    return mag(mpmath.mpmathify(v))


def _lsum(*es: float) -> float:
    """log2 of an upper bound on the sum of 2^e over ``es``."""
    top = max(es)
    if top == _NEG_INF or top == _INF:
        return top
    return top + math.log2(len(es))


def _re_abs(v) -> float:
    """|Re v| as a float (saturating at 1e300)."""
    x = v.real if isinstance(v, mpmath.mpc) else v
    return min(abs(float(x)), 1e300) if isinstance(x, mpmath.mpf) else 0.0


def _im_abs(v) -> float:
    return min(abs(float(v.imag)), 1e300) if isinstance(v, mpmath.mpc) else 0.0


class Program:
    """``expr`` flattened into post-order steps, to be run at many points (see the module docstring)."""

    __slots__ = ("nodes", "ops", "kids", "data", "root")

    def __init__(self, expr):
        index: dict = {}
        nodes: list = []
        stack = [(expr, False)]
        while stack:
            e, ready = stack.pop()
            if e in index:
                continue
            if not ready and e.args and not _is_leaf(e):
                stack.append((e, True))
                stack.extend((a, False) for a in reversed(e.args) if a not in index)
                continue
            index[e] = len(nodes)
            nodes.append(e)
        self.nodes = nodes
        self.root = index[expr]
        self.ops: list[int] = []
        self.kids: list[tuple[int, ...]] = []
        self.data: list = []
        for e in nodes:
            op, data = _classify(e)
            self.ops.append(op)
            self.data.append(data)
            self.kids.append(tuple(index[a] for a in e.args) if op not in (_NUM, _FLOAT, _SYM, _CONST, _INFINITE,
                                                                            _BOOL, _OTHER) else ())

    def evaluate(self, point: dict, dps: int):
        """The value at ``point`` (``{name: Fraction or number}``), at ``dps`` digits."""
        with mpmath.workdps(dps):
            try:
                return _finite(self._run(point, dps, None)[0])
            except (ZeroDivisionError, ValueError, OverflowError) as e:
                raise Undefined(str(e)) from None

    def bounded(self, point: dict, dps: int) -> Bounded:
        """The value with an error bound and the smallest scale (the root's own value left out of
        the scale: it is the quantity under test)."""
        with mpmath.workdps(dps):
            errs: list[float] = [_NEG_INF] * len(self.nodes)
            try:
                value, scale = self._run(point, dps, errs)
                value = _finite(value)
            except (ZeroDivisionError, ValueError, OverflowError) as e:
                raise Undefined(str(e)) from None
            return Bounded(value, errs[self.root], min(scale, 0.0))

    def _run(self, point: dict, dps: int, errs: list | None) -> tuple:  # noqa: C901 - one branch per operation
        env = {name: to_mp(v) for name, v in point.items()}
        ops, kids, data, nodes = self.ops, self.kids, self.data, self.nodes
        vals: list = [None] * len(nodes)
        prec = mpmath.mp.prec
        scale = _INF
        root = self.root
        for i, op in enumerate(ops):
            k = kids[i]
            d = data[i]
            if op == _NUM:
                v = _num(*d)
            elif op == _SYM:
                if d not in env:
                    raise Undefined(f"no value for {d}")
                v = env[d]
            elif op == _ADD:
                v = mpmath.fsum([vals[j] for j in k])
            elif op == _MUL:
                v = vals[k[0]]
                for j in k[1:]:
                    v = v * vals[j]
            elif op == _POWI:
                v = _pow(vals[k[0]], d)
            elif op == _POW:
                v = _pow(vals[k[0]], vals[k[1]])
            elif op == _FUNC:
                v = d[0](vals[k[0]])
            elif op == _FLOAT:
                v = mpmath.mpf(d)
            elif op == _CONST:
                v = d()
            elif op == _INFINITE:
                raise Undefined("infinite")
            elif op == _LOG:
                v = _log(*[vals[j] for j in k])
            elif op == _MAX:
                v = max(_real(vals[j], "max/min") for j in k)
            elif op == _MIN:
                v = min(_real(vals[j], "max/min") for j in k)
            elif op == _HEAVISIDE:
                v = _heaviside(*[vals[j] for j in k])
            elif op == _STEP:
                v = d[0](vals[k[0]])
            elif op == _REL:
                a, b = _real(vals[k[0]], "comparison"), _real(vals[k[1]], "comparison")
                v = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}[d]
            elif op == _BOOL:
                v = d
            elif op == _AND:
                v = all(vals[j] for j in k)
            elif op == _OR:
                v = any(vals[j] for j in k)
            elif op == _NOT:
                v = not vals[k[0]]
            else:
                v = _fallback(nodes[i], point, dps)
            vals[i] = v
            if errs is None:
                continue
            mv = mag(v)
            err = errs[i] = _error(op, d, k, v, mv, vals, errs, prec)
            # The node's scale: its magnitude when known to within half of itself, a literal's
            # last digit, what a saturating function hides.
            if i != root:
                if mv != _NEG_INF and mv - 2 > err and mv - 1 < scale:
                    scale = mv - 1
                if op == _NUM and d[1] != 1:
                    scale = min(scale, mv - max(d[0].bit_length(), d[1].bit_length()) - 1)
                elif op == _FLOAT:
                    scale = min(scale, mv - nodes[i]._prec - 1)
                elif op == _FUNC and d[4] is not None:
                    scale = min(scale, d[4](vals[k[0]]))
        return vals[root], scale


def _classify(e) -> tuple[int, object]:
    """The operation of one node, and what it needs besides its arguments' values."""
    if e.is_Atom:
        if e.is_Rational:
            return _NUM, (int(e.p), int(e.q))
        if e.is_Float:
            return _FLOAT, e._mpf_
        if e.is_Symbol:
            return _SYM, e.name
        if e in _CONSTANTS:
            return _CONST, _CONSTANTS[e]
        if e in (sympy.oo, -sympy.oo, sympy.zoo, sympy.nan):
            return _INFINITE, None
        if e is sympy.true or e is sympy.false:
            return _BOOL, bool(e)
        return _OTHER, None
    if e.is_Add:
        return _ADD, None
    if e.is_Mul:
        return _MUL, None
    if e.is_Pow:
        if e.exp.is_Integer:
            return _POWI, int(e.exp)
        return _POW, None
    f = e.func
    if f in _SIMPLE and f not in _STEPS and not _is_leaf(e):
        return _FUNC, (_SIMPLE[f], _SLOPES[f], _LIPSCHITZ.get(f), _RANGE.get(f, _INF), _TAILS.get(f))
    if f in _STEPS and f is not sympy.Heaviside:
        return _STEP, (_SIMPLE[f], f)
    if f is sympy.Heaviside:
        return _HEAVISIDE, f
    if f is sympy.log:
        return _LOG, None
    if f is sympy.Max:
        return _MAX, None
    if f is sympy.Min:
        return _MIN, None
    if isinstance(e, Relational):
        return _REL, e.rel_op
    if isinstance(e, sympy.And):
        return _AND, None
    if isinstance(e, sympy.Or):
        return _OR, None
    if isinstance(e, sympy.Not):
        return _NOT, None
    return _OTHER, None


def _fallback(e, point: dict, dps: int):
    """Anything else a solver may put in a key (Piecewise, a special function): SymPy's evalf."""
    subs = {s: sympy.Rational(point[s.name].numerator, point[s.name].denominator)
            if isinstance(point.get(s.name), Fraction) else point.get(s.name)
            for s in e.free_symbols}
    if any(v is None for v in subs.values()):
        raise Undefined("no value for a symbol")
    v = e.evalf(dps, subs=subs) if subs else e.evalf(dps)
    if not v.is_number or v.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        raise Undefined("no numeric value")
    re, im = v.as_real_imag()
    re = mpmath.mpf(sympy.Float(re, dps)._mpf_)
    im = mpmath.mpf(sympy.Float(im, dps)._mpf_)
    return mpmath.mpc(re, im) if im != 0 else re


# ----------------------------------------------------------------------------
# Error bounds, one rule per operation.
# ----------------------------------------------------------------------------
def _error(op: int, d, k: tuple, v, mv: float, vals: list, errs: list, prec: int) -> float:  # noqa: C901
    rnd = mv - prec + 1 if mv != _NEG_INF else _NEG_INF
    if op == _ADD:
        return _lsum(*[errs[j] for j in k], rnd)
    if op == _MUL:
        return _mul_error(k, vals, errs, rnd)
    if op == _POWI:
        return _powi_error(d, vals[k[0]], errs[k[0]], rnd)
    if op == _POW:
        return _pow_error(vals[k[0]], vals[k[1]], errs[k[0]], errs[k[1]], v, mv, rnd)
    if op == _NUM:
        return _NEG_INF if d[1] == 1 and d[0].bit_length() <= prec else rnd
    if op in (_SYM, _FLOAT, _CONST):
        return rnd  # a point value, float or constant: rounded once
    if op == _FUNC:
        u = vals[k[0]]
        eu = errs[k[0]]
        if eu == _NEG_INF:
            return rnd + 1
        lipschitz = d[2]
        if lipschitz is not None and not isinstance(u, mpmath.mpc):
            # Globally Lipschitz on the reals (with a slope bound over all of [u − δ, u + δ]),
            # and bounded: the error is at most the slope times δ, and at most the range.
            return _lsum(min(eu + lipschitz(u, eu), d[3]), rnd + 1)
        slope = d[1](u, v)
        if slope == _INF or eu > -4:
            return _INF  # an argument this uncertain: the first-order bound does not hold
        return _lsum(eu + slope, rnd + 1)
    if op in (_STEP, _HEAVISIDE):
        f = d[1] if op == _STEP else d
        u = vals[k[0]]
        eu = errs[k[0]]
        if eu == _NEG_INF or _step_distance(f, u) > eu + 1:
            return _NEG_INF
        # The argument is within its error of a jump: the value is known to within the jump
        # (sign: 2, a step: 1; floor and ceiling: 1 more than the argument's error).
        return 1.0 if f is sympy.sign else 0.0 if f is sympy.Heaviside else _lsum(eu, 0.0)
    if op == _LOG:
        return _log_error(k, vals, errs, v, mv, rnd)
    if op in (_MAX, _MIN):
        return _lsum(*[errs[j] for j in k])
    if op in (_REL, _AND, _OR, _NOT):
        return _NEG_INF if _separated(op, k, vals, errs) else _INF
    if op == _BOOL:
        return _NEG_INF
    # Piecewise, special functions: SymPy's evalf, good to its working precision less some slack.
    return mv - prec + 24 if mv != _NEG_INF else _NEG_INF


def _separated(op: int, k: tuple, vals: list, errs: list) -> bool:
    """A comparison whose two sides are apart by more than their errors (so its truth is known)."""
    if op != _REL:
        return all(errs[j] != _INF for j in k)
    a, b = vals[k[0]], vals[k[1]]
    if isinstance(a, bool) or isinstance(b, bool):
        return True
    ea, eb = errs[k[0]], errs[k[1]]
    if ea == _NEG_INF and eb == _NEG_INF:
        return True
    return mag(a - b) - 1 > _lsum(ea, eb) + 1


def log2abs(v) -> float:
    """log2|v| to double precision (-inf for 0), for any size of mpf or mpc."""
    try:
        _, man, exp, _ = v._mpf_
        return math.log2(man) + exp if man else _NEG_INF
    except AttributeError:
        pass
    if isinstance(v, mpmath.mpc):
        a, b = log2abs(v.real), log2abs(v.imag)
        hi, lo = max(a, b), min(a, b)
        return hi if lo == _NEG_INF else hi + 0.5 * math.log2(1 + 2.0 ** max(2 * (lo - hi), -1000))
    return log2abs(mpmath.mpmathify(v))


def _mul_error(k: tuple, vals: list, errs: list, rnd: float) -> float:
    rnd += math.log2(len(k))
    rel = []
    for j in k:
        ej = errs[j]
        if ej == _NEG_INF:
            continue
        lj = log2abs(vals[j])
        if ej > lj - 4:
            break  # a factor not known to within 1/16 of itself: use the absolute bound below
        rel.append(ej - lj)
    else:
        if not rel:
            return rnd
        total = _lsum(*rel)
        if total < -4:
            # Relative errors add (to first order; (1 + r)^m − 1 ≤ 2mr while mr ≤ 1/2).
            return _lsum(sum(log2abs(vals[j]) for j in k) + total + 1, rnd)
        return _INF
    # |Π t̃ − Π t| ≤ Σ_i e_i Π_{j≠i} (|t̃_j| + e_j): each factor's error times the others' bounds.
    bounds = []
    for j in k:
        mj, ej = mag(vals[j]), errs[j]
        bounds.append(max(mj, ej) + 1 if ej != _NEG_INF else mj)
    if _NEG_INF in bounds:
        return _NEG_INF  # an exact zero factor
    total = sum(bounds)
    terms = [errs[j] + total - b for j, b in zip(k, bounds) if errs[j] != _NEG_INF]
    return _lsum(*terms, rnd)


def _powi_error(n: int, b, eb: float, rnd: float) -> float:
    rnd += 2 + math.log2(abs(n) + 1)
    if eb == _NEG_INF or n == 0:
        return rnd
    lb = log2abs(b)
    if lb == _NEG_INF:
        # (0 ± e)^n: at most e^n for n > 0; unbounded for n < 0.
        return _lsum(n * eb + 1, rnd) if n > 0 else _INF
    rel = eb - lb + math.log2(abs(n))  # log2 of |n|·(e_b/|b̃|)
    if rel > -2:
        return _INF  # (1 + r)^n − 1 is not small: more digits are needed
    # |b^n − b̃^n| ≤ |b̃|^n ((1 + r)^|n| − 1) ≤ |b̃|^n · 2|n|r, with r = e_b/|b̃| and |n|r ≤ 1/4.
    return _lsum(n * lb + rel + 1, rnd)


def _pow_error(b, x, eb: float, ex: float, v, mv: float, rnd: float) -> float:
    rnd += 3
    if eb == _NEG_INF and ex == _NEG_INF:
        return rnd
    mb = mag(b)
    if mb == _NEG_INF:
        if isinstance(x, mpmath.mpf) and x > 0 and eb != _INF:
            return _lsum(float(x) * eb + 1, rnd)  # (0 ± ε)^x: at most ε^x
        return _INF
    if eb > mb - 3:
        return _INF
    # b^x = exp(x ln b): the error of x ln b, then exp's (relative) slope.  |ln b| ≤ |log2|b||·ln 2 + π.
    ln_b = math.log2(abs(mb) * 0.7 + 4.0)
    e_ln = eb - (mb - 2) + 1
    e_arg = _lsum(mag(x) + e_ln if e_ln != _NEG_INF else _NEG_INF,
                  ln_b + ex if ex != _NEG_INF else _NEG_INF)
    if e_arg > -2:
        return _INF
    return _lsum(mv + e_arg + 1, rnd)


def _log_error(k: tuple, vals: list, errs: list, v, mv: float, rnd: float) -> float:
    x, ex = vals[k[0]], errs[k[0]]
    rnd += 2
    if ex != _NEG_INF:
        mx = mag(x)
        if ex > mx - 3:
            return _INF
        ex = ex - (mx - 2) + 1  # |ln(x + δ) − ln x| ≤ 2|δ|/|x| for |δ| ≤ |x|/2
    if len(k) == 1:
        return _lsum(ex, rnd)
    # log(x, b) = ln x / ln b: relative errors add.
    b, eb = vals[k[1]], errs[k[1]]
    ln_x, ln_b = mpmath.log(x), mpmath.log(b)
    if eb != _NEG_INF:
        mbv = mag(b)
        if eb > mbv - 3:
            return _INF
        eb = eb - (mbv - 2) + 1
    rel = _lsum(ex - (mag(ln_x) - 1) if ex != _NEG_INF else _NEG_INF,
                eb - (mag(ln_b) - 1) if eb != _NEG_INF else _NEG_INF)
    if rel > -2:
        return _INF
    return _lsum(mv + rel + 1, rnd)


def _cosh_log2(u) -> float:
    """log2 of a bound on cosh(|Re u|) ≥ |sinh'|, |cosh'| and |sin'|, |cos'| at Im u."""
    return _re_abs(u) * _LOG2E


def _sq(v) -> float:
    """log2 of a bound on 1 + |v|²."""
    return 2 * max(mag(v), 0.0) + 1


def _one_minus_sq(u) -> float:
    """log2 of |1 − u²| (from below), or -inf when it is 0."""
    with mpmath.workdps(20):
        g = abs(1 - mpmath.mpmathify(u) ** 2)
    return mag(g) - 1 if g else _NEG_INF


def _one_plus_sq(u) -> float:
    with mpmath.workdps(20):
        g = abs(1 + mpmath.mpmathify(u) ** 2)
    return mag(g) - 1 if g else _NEG_INF


#: log2 of a bound on |f'(u)| near the argument u, given the value v = f(u); inf when unbounded.
_SLOPES = {
    sympy.exp: lambda u, v: mag(v) + 1,
    sigma: lambda u, v: -2.0 if not isinstance(u, mpmath.mpc) else _sq(v) + 1,
    sympy.tanh: lambda u, v: 0.0 if not isinstance(u, mpmath.mpc) else _sq(v) + 1,
    sympy.sinh: lambda u, v: _cosh_log2(u) + 1,
    sympy.cosh: lambda u, v: _cosh_log2(u) + 1,
    sympy.sin: lambda u, v: _im_abs(u) * _LOG2E + 1,
    sympy.cos: lambda u, v: _im_abs(u) * _LOG2E + 1,
    sympy.tan: lambda u, v: _sq(v) + 1,
    sympy.cot: lambda u, v: _sq(v) + 1,
    sympy.sec: lambda u, v: _sq(v) + 1,
    sympy.csc: lambda u, v: _sq(v) + 1,
    sympy.asin: lambda u, v: 1 - _one_minus_sq(u) / 2,
    sympy.acos: lambda u, v: 1 - _one_minus_sq(u) / 2,
    sympy.acosh: lambda u, v: 1 - _one_minus_sq(u) / 2,
    sympy.atanh: lambda u, v: 1 - _one_minus_sq(u),
    sympy.atan: lambda u, v: 1 - _one_plus_sq(u) if isinstance(u, mpmath.mpc) else 0.0,
    sympy.asinh: lambda u, v: 1 - _one_plus_sq(u) / 2 if isinstance(u, mpmath.mpc) else 0.0,
    sympy.Abs: lambda u, v: 0.0,
    sympy.re: lambda u, v: 0.0,
    sympy.im: lambda u, v: 0.0,
}

def _saturated(u, eu: float) -> float:
    """A lower bound on |t| over t in [u − δ, u + δ] (δ = 2^eu), as a float: where σ′ and tanh′ are largest."""
    mu = mag(u)
    if eu < mu - 10:
        return _re_abs(u) * 0.998
    if eu < mu - 2:
        return _re_abs(u) / 2
    return 0.0


#: log2 of a bound on |f′| over [u − δ, u + δ] for real u, for functions with a global bound on the reals.
_LIPSCHITZ = {
    sigma: lambda u, eu: min(-2.0, -_saturated(u, eu) * _LOG2E),  # σ′(t) ≤ min(1/4, e^(−|t|))
    sympy.tanh: lambda u, eu: min(0.0, 2 - 2 * _saturated(u, eu) * _LOG2E),  # sech²(t) ≤ min(1, 4e^(−2|t|))
    sympy.sin: lambda u, eu: 0.0,
    sympy.cos: lambda u, eu: 0.0,
    sympy.atan: lambda u, eu: 0.0,
    sympy.asinh: lambda u, eu: 0.0,
    sympy.Abs: lambda u, eu: 0.0,
    sympy.re: lambda u, eu: 0.0,
    sympy.im: lambda u, eu: 0.0,
}
#: log2 of the width of a bounded function's range: no error can exceed it.
_RANGE = {sigma: 0.0, sympy.tanh: 1.0, sympy.sin: 1.0, sympy.cos: 1.0, sympy.atan: 1.7}

#: log2 of what a saturating function hides: its distance from the limit it approaches.
_TAILS = {
    sigma: lambda u: -_re_abs(u) * _LOG2E,  # min(σ, 1 − σ) ≈ e^(−|u|)
    sympy.tanh: lambda u: 1 - 2 * _re_abs(u) * _LOG2E,  # 1 − |tanh u| ≈ 2e^(−2|u|)
    sympy.sinh: lambda u: -_re_abs(u) * _LOG2E - 1,  # e^(−|u|)/2 beside e^(|u|)/2
    sympy.cosh: lambda u: -_re_abs(u) * _LOG2E - 1,
    sympy.atan: lambda u: -max(0.0, math.log2(max(_re_abs(u), 1.0))),  # π/2 − |atan u| ≈ 1/|u|
}

_STEPS = {sympy.sign, sympy.Heaviside, sympy.floor, sympy.ceiling}


def _step_distance(f, u) -> float:
    """log2 of how far ``u`` is from the nearest jump of ``f`` (-inf when on it)."""
    if isinstance(u, mpmath.mpc):
        u = u.real if u.imag == 0 else u
        if isinstance(u, mpmath.mpc):
            return mag(u) - 1  # sign of a complex number: continuous away from 0
    if f is sympy.floor or f is sympy.ceiling:
        return mag(u - mpmath.nint(u)) - 1
    return mag(u) - 1


def _is_leaf(e) -> bool:
    """Nodes evaluated from their own data or by SymPy as a whole (their args are not walked)."""
    return e.is_Number or e.is_Symbol or e.func in (sympy.Piecewise, sympy.Derivative, sympy.Integral,
                                                     sympy.Subs, sympy.Sum, sympy.Product)
