"""Decide one step ``left = right``: valid, invalid (with a counterexample) or undecided.

Equality is the answer language's :func:`~nncheck.answer.equiv.equivalent` over the
symbols' declared domains: points near 0, far out and at the domain's ends, each decided
with an error bound that cannot round a nonzero difference away (``x + e^(−1000)·x = x``
is invalid, and so is ``x = x + relu(x^2 − 49)``, wrong only past |x| = 7).  On top of it
the derivation checker adds what a derivation needs:

* **real domains.**  Each side is also evaluated with real semantics on the syntax
  tree (``nncheck.lang.numeric``): ln of a non-positive number, the square root of a
  negative one and a division by zero leave a side *undefined*.  A step whose sides
  are defined at different points of the domain changes the domain, and is invalid
  there: ``ln(w/wa) = ln(w) − ln(wa)`` without w, wa > 0, ``sqrt(x)^2 = x`` for x < 0.
* **more points.**  Besides equivalence's points, points near the edges of each domain
  and beside the kinks of max/min/abs are tried, so a step wrong only on part of the
  domain (``max(x, -2.9) = x``) is caught.  Every point is judged by equivalence's own
  point test (:func:`~nncheck.answer.equiv.compare_at`), never by a fixed tolerance.
* **a counterexample a student can check by hand**: a short point and both values.
* **inside the assumptions.**  Every point a verdict rests on, equivalence's included, is
  checked against every assumption before it is used (:func:`admissible`): each symbol in
  its domain, exactly (``x > 1e300`` is never shown a point x = 3.58), each value a
  constraint gives a symbol in that symbol's domain, and each constraint that could not be
  solved for a symbol holding at the point.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

from nncheck.derive.context import Context, Skip, Undefined
from nncheck.derive.plan import Term
from nncheck.lang.syntax import AnswerSyntaxError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

N_RANDOM = 8  # extra random points for the real-domain check
MIN_AGREE = 3  # points where both sides are defined and agree, when equivalence had no verdict
MAX_EXTRA = 40  # more random points drawn when few have both sides defined
HP_DPS = 50  # digits of the values shown in a counterexample


class Outcome:
    """The verdict on one step, before the rule is named."""

    __slots__ = ("status", "detail", "counterexample", "error", "hint", "A", "B", "point")

    def __init__(self, status: str, detail: str = "", *, counterexample: dict | None = None,
                 error: AnswerSyntaxError | None = None, hint: str | None = None, point: dict | None = None):
        self.status, self.detail = status, detail
        self.counterexample, self.error, self.hint = counterexample, error, hint
        self.A = self.B = None
        self.point = point  # the counterexample's point, exactly ({name: Fraction})


# ----------------------------------------------------------------------------
# Points.
# ----------------------------------------------------------------------------
_INTEGER = {"integer": (-6, 6), "natural": (2, 9)}


def _cut(domain: str) -> tuple[float, float]:
    """A finite sampling range inside ``domain`` (unbounded sides cut a few units out, or, beside a
    bound larger than 16 in size, a quarter of its size: see :func:`nncheck.lang.domains.stretch`)."""
    from nncheck.lang.domains import parse_domain, stretch

    lo, hi, _, _ = parse_domain(domain)
    if math.isinf(lo) and math.isinf(hi):
        return -3.0, 3.0
    if math.isinf(hi):
        return lo, max(lo, 0.0) + stretch(max(lo, 0.0))
    if math.isinf(lo):
        return min(hi, 0.0) - stretch(min(hi, 0.0)), hi
    return lo, hi


def _far(start: float) -> float:
    """How far beyond ``start`` (a bound, or 0) the far extreme point lies: 9.5, or as many
    sixteenths of a bound larger than 16 in size (as the reach points go)."""
    return 9.5 * max(1.0, abs(start) / 16)


def _extremes(domain: str) -> tuple[float, float]:
    """A value near each end of ``domain``: where σ saturates, where ln is steep."""
    d = domain.strip().lower().replace(" ", "")
    if d in _INTEGER:
        a, b = _INTEGER[d]
        return float(a), float(b)
    from nncheck.lang.domains import domain as spec_of
    from nncheck.lang.domains import parse_domain

    spec = spec_of(domain)
    if spec.only:
        return float(spec.values[0]), float(spec.values[-1])
    lo, hi, _, _ = parse_domain(domain)
    if math.isinf(lo) and math.isinf(hi):
        return -6.5, 6.5
    if math.isinf(hi):
        return lo + 0.011 * max(1.0, abs(lo)) if lo != 0 else 0.011, max(lo, 0.0) + _far(max(lo, 0.0))
    if math.isinf(lo):
        return min(hi, 0.0) - _far(min(hi, 0.0)), hi - 0.011 * max(1.0, abs(hi)) if hi != 0 else -0.011
    span = hi - lo
    return lo + 0.013 * span, hi - 0.013 * span


def _nice(x: float) -> Fraction:
    return Fraction(f"{x:.3g}")


def random_point(names, domains: dict, rng: random.Random) -> dict:
    from nncheck.lang.domains import domain

    out = {}
    for n in names:
        d = domains.get(n, "real").strip().lower().replace(" ", "")
        spec = domain(d)
        if spec.only:  # a set such as {0,1}: one of its values
            out[n] = rng.choice(spec.values)
            continue
        if d in _INTEGER:
            a, b = _INTEGER[d]
            out[n] = Fraction(rng.choice([k for k in range(a, b + 1) if k not in (0, 1)]))
            continue
        lo, hi = _cut(domains.get(n, "real"))
        pad = 0.04 * (hi - lo)
        for _ in range(20):
            v = _nice(lo + pad + (hi - lo - 2 * pad) * rng.random())
            if lo < v < hi and abs(v) > Fraction(1, 1000):
                break
        out[n] = v
    return out


def extreme_points(names, domains: dict) -> list[dict]:
    names = sorted(names)
    ex = {n: _extremes(domains.get(n, "real")) for n in names}
    # (A set's values are exact small fractions already; limit_denominator keeps them.)
    pts = [{n: Fraction(ex[n][0]).limit_denominator(1000) for n in names},
           {n: Fraction(ex[n][1]).limit_denominator(1000) for n in names}]
    if len(names) > 1:
        pts.append({n: Fraction(ex[n][i % 2]).limit_denominator(1000) for i, n in enumerate(names)})
        pts.append({n: Fraction(ex[n][1 - i % 2]).limit_denominator(1000) for i, n in enumerate(names)})
    return pts


def kink_points(exprs, base: dict, domains: dict, limit: int = 6) -> list[dict]:
    """Points on both sides of each kink of max/min/abs/step that is linear in one symbol."""
    import sympy

    out: list[dict] = []
    args: list[Any] = []  # SymPy expressions (untyped)
    for e in exprs:
        for a in e.atoms(sympy.Max, sympy.Min, sympy.Abs, sympy.Heaviside, sympy.sign):
            if isinstance(a, (sympy.Max, sympy.Min)):
                xs = list(a.args)
                args.extend(x - y for i, x in enumerate(xs) for y in xs[i + 1:])
            else:
                args.append(a.args[0])
    for g in args[:12]:
        for s in sorted(g.free_symbols, key=lambda s: s.name):
            if s.name not in base:
                continue
            others = {t: sympy.Rational(base[t.name].numerator, base[t.name].denominator)
                      for t in g.free_symbols if t != s and t.name in base}
            gs = g.xreplace(others)
            k = gs.diff(s)
            rest = sympy.expand(gs - k * s)
            if not (k.is_Number and k != 0 and rest.is_Number):
                continue
            root = -rest / k
            try:
                r = float(root)
            except TypeError:
                continue
            from nncheck.lang.domains import domain as spec_of
            from nncheck.lang.domains import parse_domain

            if spec_of(domains.get(s.name, "real")).only:
                continue  # a symbol with a few values has no kink to straddle
            dlo, dhi, _, _ = parse_domain(domains.get(s.name, "real"))
            for delta in (-1, 1):
                v = _nice(r + delta * 1e-2 * max(1.0, abs(r)))
                if dlo < v < dhi:
                    p = dict(base)
                    p[s.name] = v
                    out.append(p)
            if len(out) >= limit:
                return out
    return out


# ----------------------------------------------------------------------------
# Values.
# ----------------------------------------------------------------------------
def hp_value(expr, point: dict, dps: int = HP_DPS):
    """``expr`` at ``point`` to ``dps`` digits (mpmath), or None where it has no finite value."""
    try:
        from nncheck.lang.mpeval import Undefined as MpUndefined
        from nncheck.lang.mpeval import evaluate
    except ImportError:  # an older answer package: SymPy's evalf does the same, slower
        return _hp_evalf(expr, point, dps)
    try:
        return evaluate(expr, point, dps)
    except MpUndefined:
        return None
    except (ValueError, TypeError, ZeroDivisionError, OverflowError):
        return None


def _hp_evalf(expr, point: dict, dps: int):
    import sympy

    subs = {s: sympy.Rational(point[s.name].numerator, point[s.name].denominator)
            for s in expr.free_symbols if s.name in point}
    try:
        v = sympy.N(expr.xreplace(subs), dps)
    except (ValueError, TypeError, ZeroDivisionError, OverflowError):
        return None
    if not v.is_number or v.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        return None
    import mpmath

    re, im = v.as_real_imag()
    re = mpmath.mpf(sympy.Float(re, dps)._mpf_)
    im = mpmath.mpf(sympy.Float(im, dps)._mpf_)
    return mpmath.mpc(re, im) if im != 0 else re


def _fmt(v, n: int) -> str:
    """A value with ``n`` significant digits, as a person writes it."""
    if isinstance(v, Undefined) or v is None:
        return "undefined"
    try:
        import mpmath

        if isinstance(v, mpmath.mpc):
            if v.imag == 0:
                v = v.real
            else:
                return "not a real number"
        if isinstance(v, mpmath.mpf):
            s = mpmath.nstr(v, n, min_fixed=-4, max_fixed=n + 1)
            return s[:-2] if s.endswith(".0") else s
    except ImportError:  # pragma: no cover
        pass
    f = float(v)
    if f == int(f) and abs(f) < 1e15:
        return str(int(f))
    s = f"{f:.{n}g}"
    return s


def format_pair(a, b) -> tuple[str, str]:
    """Both values with the fewest digits (at least 4) at which they read differently."""
    for n in range(4, 50):
        sa, sb = _fmt(a, n), _fmt(b, n)
        if sa != sb or n >= 17 and not _is_mp(a) and not _is_mp(b):
            return sa, sb
    return _fmt(a, 50), _fmt(b, 50)


def _is_mp(v) -> bool:
    return type(v).__module__.startswith("mpmath")


def format_number(v) -> str:
    if isinstance(v, Fraction):
        if v.denominator == 1 and abs(v.numerator) < 10**15:
            return str(v.numerator)
        f = float(v)
        s = f"{f:.6g}"
        return s
    return _fmt(v, 4)


def format_point(point: dict) -> str:
    return ", ".join(f"{k} = {format_number(v)}" for k, v in sorted(point.items()))


def counterexample(point: dict, a, b, why: str = "", *, gap=None) -> tuple[str, dict]:
    """Text and JSON of a counterexample: the point and the two sides' values (and their
    difference, when it is too fine for the values to show: x + e^(−1000)·x against x)."""
    sa, sb = format_pair(a, b)
    where = f" at {format_point(point)}" if point else ""
    text = f"{where}: the left side is {sa}, the right side is {sb}"
    if sa == sb and sa != "undefined":
        shown = _fmt(gap if gap is not None else _difference(a, b), 4)
        text += f"; they differ by {shown}"
    if why:
        text += f" ({why})"
    data = {"at": {k: float(v) for k, v in sorted(point.items())},
            "left": None if sa == "undefined" else _json_num(a), "right": None if sb == "undefined" else _json_num(b),
            "left_text": sa, "right_text": sb}
    return text, data


def _difference(a, b):
    try:
        import mpmath

        with mpmath.workdps(max(mpmath.mp.dps, 60)):
            return mpmath.mpmathify(a) - mpmath.mpmathify(b)
    except (TypeError, ValueError):
        return None


def _json_num(v):
    try:
        import mpmath

        if isinstance(v, mpmath.mpc):
            return None
    except ImportError:  # pragma: no cover
        pass
    if isinstance(v, Undefined) or v is None:
        return None
    return float(v)


# ----------------------------------------------------------------------------
# The check.
# ----------------------------------------------------------------------------
_EQUIV = None


def equivalence():
    """The answer language's equivalence, run in this process (the caller is the sandbox).

    Its optional exact proof only relabels a sampled equality as "exact", which a step's
    verdict does not use: it is skipped where the function allows it.
    """
    global _EQUIV
    if _EQUIV is None:
        import inspect

        from nncheck.answer import equiv

        # Which function, and whether it takes ``prove``, is probed at run time: type it loosely.
        fn: Callable[..., Any] = getattr(equiv, "equivalent_local", None) or equiv.equivalent
        try:
            takes_prove = "prove" in inspect.signature(fn).parameters
        except (TypeError, ValueError):
            takes_prove = False
        _EQUIV = (lambda a, b, d, seed=0: fn(a, b, d, seed=seed, prove=False)) if takes_prove else fn
    return _EQUIV


#: functions defined on part of the real line, and piecewise ones
_PARTIAL = {"ln", "log", "sqrt"}
_PIECEWISE = {"abs", "max", "min", "relu", "relu'"}


def analytic(ctx: Context, *nodes) -> bool:
    """True when every node (through its definitions) is analytic and defined on the whole domain.

    Then two sides that agree at equivalence's random points agree everywhere (the
    identity theorem) and have the same domain up to isolated poles, so the extra
    real-domain points can be skipped.
    """
    from nncheck.lang.syntax import BinOp, Call, Num, walk

    seen: set[str] = set()
    todo = list(nodes)
    while todo:
        node = todo.pop()
        for n in walk(node):
            if isinstance(n, Call) and (n.func in _PARTIAL or n.func in _PIECEWISE):
                return False
            if isinstance(n, BinOp) and n.op == "^":
                e = n.right
                if not (isinstance(e, Num) and isinstance(e.value, int)):
                    return False
            for name in (getattr(n, "name", None), getattr(n, "var", None)):
                if name in ctx.defs and name not in seen:
                    seen.add(name)
                    todo.append(ctx.defs[name].node)
    return True


# ----------------------------------------------------------------------------
# The assumptions.
# ----------------------------------------------------------------------------
#: How close to a bound a value known only approximately may come and still count as inside.
_MARGIN = Fraction(1, 10**30)


def admissible(ctx: Context, point: dict) -> bool:
    """Does ``point`` ({name: Fraction}) satisfy every assumption of the derivation?

    Each symbol is in its domain (exactly); each symbol a constraint was solved for
    (``y3 = 1 − y1 − y2``) has, from the point, a value in its own domain; each constraint
    that could not be solved for a symbol holds at the point (to 20 digits).  What
    depends on a symbol the point does not set is not checked: the point only names the
    step's own symbols.
    """
    from nncheck.lang.domains import contains

    for name, v in point.items():
        if name in ctx.domains and not contains(ctx.domains[name], v):
            return False
    for name, expr in ctx.solved.items():
        if name in ctx.domains and {s.name for s in expr.free_symbols} <= point.keys():
            if not _value_in(ctx.domains[name], expr, point):
                return False
    for c in _unsolved(ctx):
        try:
            a = ctx.real_value(c.left, c.text, point)
            b = ctx.real_value(c.right, c.text, point)
        except (Skip, AnswerSyntaxError):
            continue  # it involves a symbol the point does not set (or cannot be evaluated there)
        if isinstance(a, Undefined) or isinstance(b, Undefined):
            return False
        if abs(a - b) > 10**-20 * max(1, abs(a), abs(b)):
            return False
    return True


def _unsolved(ctx: Context) -> list:
    left = set(ctx.unused_constraints)
    return [c for c in ctx.constraints if c.text in left]


def _unsolved_text(ctx: Context) -> list[str]:
    return [f"{c.text.strip()} could not be solved for one of its symbols" for c in _unsolved(ctx)]


def _value_in(domain_text: str, expr, point: dict) -> bool:
    """Is ``expr`` (SymPy, in the point's symbols) at ``point`` in the domain?  Exactly when the
    value is rational; otherwise it must be inside with a margin of 30 digits on both sides."""
    import sympy

    from nncheck.lang.domains import contains

    subs = {s: sympy.Rational(point[s.name].numerator, point[s.name].denominator) for s in expr.free_symbols}
    val = expr.xreplace(subs)
    if val.is_Rational:
        return contains(domain_text, Fraction(int(val.p), int(val.q)))
    approx = hp_value(val, {}, 60)
    try:
        import mpmath

        if approx is None or isinstance(approx, mpmath.mpc) or not mpmath.isfinite(approx):
            return False
        sign, man, exp, _ = approx._mpf_  # the exact binary value: (-1)^sign · man · 2^exp
        q = (-1) ** sign * Fraction(int(man)) * Fraction(2) ** int(exp)
    except (AttributeError, TypeError, ValueError, OverflowError):
        return False
    gap = abs(q) * _MARGIN + _MARGIN**10
    return contains(domain_text, q - gap) and contains(domain_text, q + gap)


def _fraction_point(point: dict) -> dict:
    out = {}
    for k, v in point.items():
        if isinstance(v, Fraction):
            out[k] = v
        else:
            try:
                out[k] = Fraction(v)
            except (TypeError, ValueError):
                out[k] = Fraction(str(v))
    return out


def check_step(ctx: Context, left: Term, right: Term, *, seed: int = 0) -> Outcome:
    """Is ``left = right`` true on the domain?  Never raises for user input."""
    import sympy

    if left.node == right.node:
        out = Outcome("valid", "the same expression")
        return out
    try:
        A = ctx.value(left.node, left.text)
        B = ctx.value(right.node, right.text)
    except AnswerSyntaxError as e:
        return Outcome("unparsable", e.message, error=e)
    if isinstance(A, sympy.MatrixBase) or isinstance(B, sympy.MatrixBase):
        return Outcome("undecided", "vectors and matrices are not supported in derivation steps")
    names = sorted(ctx.free_names(left.node) | ctx.free_names(right.node))
    domains = {n: ctx.domain(n) for n in names}
    r = equivalence()(A, B, domains, seed=seed)
    if r.equal and analytic(ctx, left.node, right.node):
        return Outcome("valid", "equal on the domain")
    rng = random.Random(seed + 7919)
    points: list[dict] = []
    if r.point:
        points.append(_fraction_point(r.point))
    randoms = [random_point(names, domains, rng) for _ in range(N_RANDOM)]
    points += randoms
    points += extreme_points(names, domains)
    if randoms:
        try:
            points += kink_points((A, B), randoms[0], domains)
        except (TypeError, ValueError, AttributeError):
            pass
    both_defined: list[tuple[dict, float, float]] = []
    extra = outside = 0
    while points:
        pt = points.pop(0)
        # Few points where both sides have a value (ln(p) + ln(1 - p) lives on (0, 1) only):
        # keep drawing, within a bound.
        if not points and len(both_defined) < MIN_AGREE + 1 and extra < MAX_EXTRA:
            points.append(random_point(names, domains, rng))
            extra += 1
        if not admissible(ctx, pt):
            outside += 1  # a point outside the assumptions decides nothing
            continue
        try:
            a = ctx.real_value(left.node, left.text, pt)
            b = ctx.real_value(right.node, right.text, pt)
        except Skip:
            continue
        except AnswerSyntaxError:
            continue
        ua, ub = isinstance(a, Undefined), isinstance(b, Undefined)
        if ua != ub:
            why = (a.reason if ua else b.reason)
            _, data = counterexample(pt, a, b)
            shown = _fmt(b if ua else a, 4)
            text = (f"the step changes the domain: at {format_point(pt)} the {'right' if ua else 'left'} side is "
                    f"{shown} but the {'left' if ua else 'right'} side is undefined ({why})")
            out = Outcome("invalid", text, counterexample=data, point=pt)
            out.hint = "if the derivation assumes a domain, state it (assume: x > 0)"
            return out
        if not ua:
            both_defined.append((pt, a, b))
    if not r.equal and not r.undecided and r.point and admissible(ctx, _fraction_point(r.point)):
        # Equivalence's disagreement is certified (an error bound excludes 0, and more digits
        # confirm it); it stands unless neither side has a real value there (a complex branch):
        # then the points where both sides are defined decide.  (At a point outside the
        # assumptions, which equivalence does not all know, it says nothing: our points decide.)
        pt = _fraction_point(r.point)
        try:
            a = ctx.real_value(left.node, left.text, pt)
            b = ctx.real_value(right.node, right.text, pt)
        except (Skip, AnswerSyntaxError):
            a = b = None  # our real-valued evaluation cannot tell: equivalence's verdict stands
        if not (isinstance(a, Undefined) and isinstance(b, Undefined)):
            ya, yb = _display_values(r, A, B, pt, a, b)
            text, data = counterexample(pt, ya, yb, gap=getattr(r, "gap", None))
            return _invalid(text, data, A, B, both_defined, pt)
    differ, agree, costly = _judge(A, B, both_defined)
    if differ is not None:
        pt, ha, hb, gap = differ
        text, data = counterexample(pt, ha, hb, gap=gap)
        return _invalid(text, data, A, B, both_defined, pt)
    if r.equal:
        if not both_defined and points:
            return Outcome("undecided", "neither side is defined at any point tried")
        return Outcome("valid", "equal on the domain")
    if agree >= MIN_AGREE:
        return Outcome("valid", "equal wherever both sides are defined")
    note = getattr(r, "note", "") or ""
    if getattr(r, "too_complex", False) or costly:
        return Outcome("undecided", note or "too complex to check in the time allowed")
    if outside and not both_defined:
        return Outcome("undecided", "no point tried satisfies every assumption"
                       + (f" ({'; '.join(unsolved)})" if (unsolved := _unsolved_text(ctx)) else ""))
    return Outcome("undecided", note or "no point of the domain where both sides can be evaluated")


def _display_values(r, A, B, pt, a, b):
    """The two values to show: equivalence's high-precision ones when real, else our own."""
    ya, yb = getattr(r, "yours", None), getattr(r, "expected", None)
    try:
        import mpmath

        if isinstance(ya, (mpmath.mpf,)) and isinstance(yb, (mpmath.mpf,)):
            return ya, yb
    except ImportError:  # pragma: no cover
        pass
    ha, hb = hp_value(A, pt), hp_value(B, pt)
    if ha is not None and hb is not None:
        return ha, hb
    return a, b


def _judge(A, B, both_defined):
    """Equivalence's point test at each point where both sides have a real value.

    (first difference as (point, value of A, value of B, A − B) or None, points equal, points
    too costly to decide).  A point counts as equal only when the test says so: agreeing to
    some number of digits is not enough.
    """
    from nncheck.answer.equiv import compare_at
    from nncheck.lang.mpeval import Program

    if not both_defined:
        return None, 0, 0
    prog = Program(A - B)
    agree = costly = 0
    for pt, _a, _b in both_defined:
        verdict, ha, hb, gap = compare_at(A, B, pt, prog)
        if verdict == "differ" and ha is not None and hb is not None:
            return (pt, ha, hb, gap), agree, costly
        agree += verdict == "equal"
        costly += verdict == "costly"
    return None, agree, costly


def _invalid(text: str, data: dict, A, B, both_defined, point: dict) -> Outcome:
    out = Outcome("invalid", "not equal" + text, counterexample=data, point=point)
    out.hint = slip_hint(A, B, [pt for pt, _, _ in both_defined])
    return out


def slip_hint(A, B, points: list[dict]) -> str | None:
    """Name a common slip: a flipped sign, a constant factor, a constant added."""
    from nncheck.derive.numeval import Evaluator, Unsupported

    pairs = []
    for pt in points[:6]:
        env = {s: complex(float(pt[s.name])) for s in (A.free_symbols | B.free_symbols) if s.name in pt}
        try:
            ev = Evaluator(env)
            a, b = ev(A), ev(B)
        except (Unsupported, ZeroDivisionError, OverflowError, ValueError, TypeError):
            continue
        if abs(a.imag) > 1e-12 or abs(b.imag) > 1e-12:
            continue
        pairs.append((a.real, b.real))
    if len(pairs) < 3:
        return None

    def same(xs):
        return all(abs(x - xs[0]) <= 1e-7 * max(1.0, abs(xs[0])) for x in xs)

    if same([a for a, _ in pairs]) and same([b for _, b in pairs]):
        return None  # two constants: "2 times" or "plus 1" would say nothing the values do not

    def nice(x: float) -> str | None:
        k = Fraction(x).limit_denominator(24)
        return str(k) if abs(float(k) - x) <= 1e-9 * max(1.0, abs(x)) else None

    if (all(abs(a) > 1e-9 for a, _ in pairs) and same([a + b for a, b in pairs])
            and abs(pairs[0][0] + pairs[0][1]) < 1e-9):
        return "a sign slip: the right side is the negative of the left side"
    if all(abs(a) > 1e-9 for a, _ in pairs):
        ratios = [b / a for a, b in pairs]
        shown = nice(ratios[0])
        if same(ratios) and shown is not None and shown not in ("1", "0", "-1"):
            return f"a constant factor: the right side is {shown} times the left side"
    diffs = [b - a for a, b in pairs]
    shown = nice(diffs[0])
    if same(diffs) and shown is not None and shown != "0":
        return f"a constant term: the right side is the left side plus {shown}"
    return None
