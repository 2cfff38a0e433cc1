"""Is the user's expression equal to the key?  Sampling that cannot round a difference away, and proof.

The question is asked of the *difference* ``d = yours − expected``.  SymPy's automatic
canonical form already cancels the terms both sides share, so ``h(1 − h) + e^(−100000)·h``
against ``h(1 − h)`` leaves ``d = e^(−100000)·h``, which is evaluated directly and is
plainly nonzero (no cancellation, no 43,430 digits needed).

1. **Canonical form.**  ``d`` is literally 0 (equal) or a nonzero number (not equal).
2. **Points.**  Core points are stratified near 0 in each symbol's declared domain
   (both signs, every pair of signs); reach points go far out (tens, hundreds, ten
   thousands) on every unbounded side, to the closed ends of intervals and very near
   their open ends; documented values (``{0,1}``, ``real ∪ {0}``) are always among them
   (``nncheck.lang.domains``).  ``relu(x − 4)`` and 0, ``min(w, 10)`` and ``w``, and
   ``ŷ − y + 100·relu(y − 0.99)`` at the one-hot y = 1 are told apart there.
3. **Each point: zero or not, with an error bound** (``nncheck.lang.mpeval.Program.bounded``).
   ``d`` is evaluated with mpmath at 70 digits while a running error analysis bounds the
   absolute error of every node (each operation's rounding, plus each argument's error
   times the function's slope), and the smallest *scale* m in the computation is recorded:
   the smallest magnitude of any value in the tree, any literal's last digit, and what a
   saturating function hides (tanh(u) carries information at 2e^(−2|u|) though its value
   is about 1; σ(u) at e^(−|u|)).  Then:

   * |d̃| > 2·bound: **nonzero**, certified; it is confirmed at half as many digits again
     (the value must stay inside both bounds) before the verdict, so a slip in a bound
     cannot reject a right answer;
   * bound ≤ m²·10⁻⁵⁰: **zero** at this point: whatever the true difference is, it is
     below 10⁻⁵⁰ of the square of the smallest quantity the expression computes with;
   * otherwise the point is evaluated again with as many more digits as the bound says
     it lacks (``1 + tanh(10⁴(ŷ − 0.999))`` at ŷ = 0.99 is found nonzero at ~320 digits,
     ``x^40 + 1`` vs ``x^40·(σ(x) + σ(−x))`` at x = 100 at ~340; the identity
     σ(x)σ(−x) = σ(x)(1 − σ(x)) at x = 100 is settled at ~150), up to ``CAP_DPS`` digits.
     A point that needs more is *too costly*: it counts neither way.  There is no fixed
     relative threshold: a gap of 10⁻⁶⁵ is found as surely as a gap of 1.
4. **Verdict.**  A nonzero point ends the comparison: not equal, with the point.  Equal
   needs ``N_POINTS`` zero core points (up to ``MAX_TRIES`` rounds are drawn, so that
   points where a side is undefined can be made up), and every reach point zero, undefined
   on one side only, or too costly.  Fewer than ``MIN_POINTS`` zero points because the
   others were too costly is *too complex* (undecided), never "equal":
   ``tanh(exp(10^5))`` vs 1 is too complex, not equal.  Values are complex where real
   arithmetic has none, so ``sqrt(x^2)`` vs ``x`` or ``ln(x^2)`` vs ``2 ln(x)`` differ where they should.
5. **Exact proof, when quick.**  When the core points agree, σ and tanh are rewritten in
   exponentials, each exponential replaced by a power of a fresh symbol, and the numerator
   over a common denominator expanded: if it is 0 the method is ``exact`` and the reach
   points are skipped (an identity proved in free symbols holds on any domain).  Otherwise
   the reach points decide.
6. **Counterexample.**  The point and both values, with as many digits as it takes to
   show the difference ("at x = -2.02 yours gives 1637022987255.2, expected
   1637022987254.2"), or, for a difference beyond ``SHOWN_DIGITS`` digits, the difference
   itself ("… yours gives 0.237679, expected 0.237679: they differ by 1.386e-43430").

What remains, as in any method that samples: a difference smaller than m²·10⁻⁵⁰ at every
point evaluated, or living only where evaluation is too costly and nowhere else.

``equivalent`` runs in the sandbox worker (``nncheck.answer.sandbox``) under a
hard deadline; past it the answer is "too complex", never a hang.
"""

from __future__ import annotations

import math
import random
from contextlib import AbstractContextManager, nullcontext
from fractions import Fraction

import mpmath
import sympy

from nncheck.answer.limits import OutOfTime, time_limit
from nncheck.lang.domains import parse_domain, reach_points, sample_points
from nncheck.lang.mpeval import Program, Undefined, evaluate, mag
from nncheck.lang.sympy_backend import sigma

DPS = 70  # digits of the first evaluation at each point
MARGIN = 50  # a point is zero when |d| is certainly below m²·10^-MARGIN (m: the smallest scale there)
GUARD_BITS = 24  # extra bits when a point is evaluated again with the digits its error bound asks for
CAP_DPS = 4000  # no point is evaluated with more digits than this: past it the point is too costly
HEAVY_DPS = 600  # evaluations with more digits than this draw on HEAVY_BUDGET
HEAVY_BUDGET = 16000  # digits, summed over the heavy evaluations of one comparison (~0.3 s)
N_POINTS = 12  # core points that must agree for "equal"
N_REACH = 6  # reach points (far out, at and near the ends) that must not disagree
MIN_POINTS = 4  # fewer zero points than this: undecided
MAX_TRIES = 3  # draw up to MAX_TRIES * N_POINTS core points to find N_POINTS defined ones
PROOF_NODES = 200  # skip the exact proof for differences with more tree nodes than this
PROOF_SECONDS = 0.15  # and give it at most this long (inside the worker)
SHOWN_DIGITS = 20  # a difference finer than this many digits is shown as a difference, not by long values

_MARGIN_BITS = MARGIN * math.log2(10)
_INF = float("inf")


class Equivalence:
    """The outcome of one comparison; ``counterexample()`` explains a disagreement."""

    __slots__ = ("equal", "method", "point", "yours", "expected", "undecided", "too_complex", "note", "points",
                 "gap")

    def __init__(self, equal: bool, method: str, point=None, yours=None, expected=None, undecided=False,
                 *, too_complex: bool = False, note: str = "", points: int = 0, gap=None):
        self.equal, self.method, self.point = equal, method, point
        self.yours, self.expected, self.undecided = yours, expected, undecided
        self.too_complex = too_complex
        self.note = note  # e.g. "shapes differ: 2×1 vs 1×2" or "entry (1,2)"
        self.points = points  # how many sample points agreed
        self.gap = gap  # yours − expected at ``point``, when known

    def __bool__(self) -> bool:
        return bool(self.equal)

    def __repr__(self) -> str:
        return f"Equivalence(equal={self.equal}, method={self.method!r})"

    def counterexample(self) -> str:
        """'at x = 0.5 yours gives 0.30, expected 0.25', with enough digits to differ."""
        if self.yours is None and self.expected is None:
            return self.note
        where = f"at {format_point(self.point)} " if self.point else ""
        entry = f"{self.note}: " if self.note else ""
        fine = _fine_gap(self.yours, self.expected, self.gap)
        if fine is not None:
            ys, es = _fmt(self.yours, 10), _fmt(self.expected, 10)
            return f"{entry}{where}yours gives {ys}, expected {es}: they differ by {fine}"
        ys, es = format_pair(self.yours, self.expected)
        if ys == "undefined":
            return f"{entry}{where}yours is undefined, expected {es}"
        if es == "undefined":
            return f"{entry}{where}yours gives {ys}, where the expected answer is undefined"
        return f"{entry}{where}yours gives {ys}, expected {es}"


# ----------------------------------------------------------------------------
# Formatting.
# ----------------------------------------------------------------------------
def format_point(point: dict) -> str:
    return ", ".join(f"{k} = {_decimal(v)}" for k, v in point.items())


def _decimal(v) -> str:
    """A sampled Fraction as the exact short decimal it was drawn as (``-2.48``)."""
    if not isinstance(v, Fraction):
        return str(v)
    scaled, places = v, 0
    while scaled.denominator != 1 and places < 30:
        scaled *= 10
        places += 1
    if scaled.denominator != 1:
        return f"{float(v):.6g}"
    if places == 0:
        return str(scaled.numerator)
    sign = "-" if scaled < 0 else ""
    digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def _fmt(v, n: int) -> str:
    if v is None:
        return "undefined"
    if isinstance(v, mpmath.mpc):
        if v.imag == 0:
            v = v.real
        else:
            re, im = _fmt(v.real, n), _fmt(abs(v.imag), n)
            return f"{re} {'-' if v.imag < 0 else '+'} {im}i (not a real number)"
    s = mpmath.nstr(v, n, min_fixed=-4, max_fixed=n + 1)
    if s.endswith(".0"):
        s = s[:-2]
    return s


def _digits_needed(a, b) -> int:
    """Significant digits it takes to resolve the gap between ``a`` and ``b`` (at least 4)."""
    with mpmath.workdps(30):
        scale = max(abs(a), abs(b))
        gap = abs(a - b)
    if gap and scale:
        # Enough digits to resolve the gap's own leading digit, so that rounding cannot
        # make a difference of 1 look like a difference of 10.
        return max(4, int(mpmath.ceil(mpmath.log10(scale / gap))) + 1)
    return 4


def _fine_gap(a, b, gap) -> str | None:
    """The difference as text when showing it through the two values would take too many digits."""
    if a is None or b is None:
        return None
    if gap is None:
        with mpmath.workdps(max(mpmath.mp.dps, 40)):
            gap = a - b
    if not gap:
        return None
    with mpmath.workdps(30):
        scale = max(abs(a), abs(b))
        if scale and abs(gap) * mpmath.mpf(10) ** SHOWN_DIGITS >= scale:
            return None  # a few digits of each value show it
    return _fmt(gap, 4)


def format_pair(a, b) -> tuple[str, str]:
    """Both values with the fewest digits (at least 4) at which their texts differ."""
    start = 4 if a is None or b is None else _digits_needed(a, b)
    start = min(start, 1000)
    with mpmath.workdps(start + 20):
        for n in range(start, start + 12):
            sa, sb = _fmt(a, n), _fmt(b, n)
            if sa != sb:
                return sa, sb
        return _fmt(a, start + 12), _fmt(b, start + 12)


# ----------------------------------------------------------------------------
# One point.
# ----------------------------------------------------------------------------
class _Budget:
    """Digits left for heavy evaluations in one comparison (every point shares it)."""

    __slots__ = ("heavy",)

    def __init__(self) -> None:
        self.heavy = HEAVY_BUDGET

    def spend(self, dps: int) -> bool:
        if dps <= HEAVY_DPS:
            return True
        if dps > self.heavy:
            return False
        self.heavy -= dps
        return True


def _certain(b) -> bool:
    """Is the bounded value certainly nonzero (more than twice its error bound)?"""
    return mag(b.value) - 1 > b.err + 1


def zero_at(diff, pt: dict, budget: _Budget | None = None) -> tuple[str, object, int]:
    """Is ``diff`` (an expression or its :class:`Program`) zero at ``pt``?
    ("zero" | "nonzero" | "undefined" | "costly", its value, digits used).

    See the module docstring, step 3: the value is evaluated with an error bound, again with
    more digits while the bound is coarser than the point's smallest scale squared, and a
    nonzero value is confirmed at more digits before it counts.
    """
    budget = budget or _Budget()
    prog = diff if isinstance(diff, Program) else Program(diff)
    dps = DPS
    value = None
    for _ in range(10):
        if not budget.spend(dps):
            return "costly", value, dps
        try:
            b = prog.bounded(pt, dps)
        except Undefined:
            return "undefined", None, dps
        value = b.value
        if _certain(b):
            more = dps + max(20, dps // 2)
            if not budget.spend(more):
                return "costly", value, dps
            try:
                b2 = prog.bounded(pt, more)
            except Undefined:
                return "undefined", None, more
            with mpmath.workdps(20):
                moved = mag(b.value - b2.value)
            if _certain(b2) and moved <= max(b.err, b2.err) + 2:
                return "nonzero", b2.value, more
            dps = 2 * more  # a bound that did not hold: look again, much closer
            if dps > CAP_DPS:
                return "costly", value, dps
            continue
        target = 2 * b.scale - _MARGIN_BITS
        if b.err <= target:
            return "zero", value, dps
        if not math.isfinite(b.err - target) and b.err != _INF:
            return "costly", value, dps  # a NaN bound (exp towers overflow the bound itself): undecidable here
        if b.err == _INF:
            need = 2 * dps
        else:
            need = dps + int(math.ceil((b.err - target + GUARD_BITS) / math.log2(10)))
        need = max(need, dps + 10)
        if need > CAP_DPS:
            return "costly", value, need
        dps = need
    return "costly", value, dps


def compare_at(yours, expected, pt: dict, diff=None, budget: _Budget | None = None):
    """Compare two expressions at one point: (verdict, your value, expected value, yours − expected).

    verdict: "equal", "differ", "skip" (neither side defined), "yours-undefined",
    "expected-undefined" or "costly" (more digits than ``CAP_DPS`` would be needed).
    """
    d = yours - expected if diff is None else diff  # an expression or its Program
    verdict, gap, dps = zero_at(d, pt, budget)
    if verdict == "zero":
        return "equal", None, None, None
    if verdict == "costly":
        return "costly", None, None, None
    if verdict == "nonzero":
        return "differ", _value(yours, pt, dps), _value(expected, pt, dps), gap
    a, b = _value(yours, pt, DPS), _value(expected, pt, DPS)
    if a is None and b is not None:
        return "yours-undefined", None, b, None
    if b is None and a is not None:
        return "expected-undefined", a, None, None
    return "skip", None, None, None


def _value(expr, pt, dps):
    try:
        return evaluate(expr, pt, dps)
    except Undefined:
        return None


# ----------------------------------------------------------------------------
# The comparison.
# ----------------------------------------------------------------------------
def _sym(x):
    if isinstance(x, sympy.Basic) or isinstance(x, sympy.MatrixBase):
        return x
    if isinstance(x, bool):
        return sympy.Integer(int(x))
    if isinstance(x, Fraction):
        return sympy.Rational(x.numerator, x.denominator)
    if isinstance(x, int):
        return sympy.Integer(x)
    if isinstance(x, float):
        return sympy.Float(x)
    if isinstance(x, (list, tuple)):
        return sympy.Matrix(x)
    raise TypeError(f"cannot compare a {type(x).__name__}")


def _domain_of(sym: sympy.Symbol, domains: dict) -> str:
    d = domains.get(sym.name)
    if d:
        return d
    # An undeclared symbol: sample where its assumptions say it lives.
    if sym.is_integer:
        return "natural" if sym.is_positive else "integer"
    if sym.is_positive:
        return "positive"
    if sym.is_nonnegative:
        return "nonnegative"
    if sym.is_negative:
        return "negative"
    return "real"


def equivalent(yours, expected, domains: dict | None = None, *, seed: int = 0) -> Equivalence:
    """Compare two SymPy expressions (or matrices) over the declared ``domains``.

    Runs in the sandbox worker under its deadline; past it the result has
    ``too_complex=True`` and ``undecided=True``.
    """
    from nncheck.answer import sandbox

    try:
        return sandbox.run("equivalent", yours, expected, dict(domains or {}), seed)
    except sandbox.TooComplex as e:
        return Equivalence(False, "too-complex", undecided=True, too_complex=True, note=str(e))


def equivalent_local(yours, expected, domains: dict | None = None, seed: int = 0, *,
                     n_points: int = N_POINTS, prove: bool = True, reach: int = N_REACH) -> Equivalence:
    """:func:`equivalent` in this process, with no deadline: only for trusted or sandboxed callers.

    ``n_points`` core points must agree and ``reach`` reach points must not disagree;
    ``prove=False`` skips the exact proof (it only labels an equality "exact").
    """
    domains = dict(domains or {})
    yours, expected = _sym(yours), _sym(expected)
    ym, em = isinstance(yours, sympy.MatrixBase), isinstance(expected, sympy.MatrixBase)
    if ym or em:
        return _matrices(yours, expected, domains, seed, n_points, prove, reach)
    return _scalars(yours, expected, domains, seed, n_points, prove, reach)


def _matrices(yours, expected, domains, seed, n_points, prove, reach) -> Equivalence:
    if not (isinstance(yours, sympy.MatrixBase) and isinstance(expected, sympy.MatrixBase)):
        what = "a single expression" if not isinstance(expected, sympy.MatrixBase) else "a vector or matrix"
        return Equivalence(False, "shape", note=f"expected {what}")
    if yours.shape != expected.shape:
        (a, b), (c, d) = yours.shape, expected.shape
        return Equivalence(False, "shape", note=f"expected {c}×{d}, got {a}×{b}")
    methods = set()
    total = 0
    for i in range(expected.rows):
        for j in range(expected.cols):
            r = _scalars(yours[i, j], expected[i, j], domains, seed, n_points, prove, reach)
            if not r.equal:
                r.note = f"entry ({i + 1},{j + 1})" if expected.cols > 1 else f"entry {i + 1}"
                return r
            methods.add(r.method)
            total = max(total, r.points)
    method = "exact" if methods <= {"exact"} else "sampling"
    return Equivalence(True, method, points=total)


_COSTLY_NOTE = f"too complex to check: most points would need more than {CAP_DPS} digits"


def _scalars(yours, expected, domains, seed, n_points, prove, reach) -> Equivalence:
    diff = yours - expected
    if diff == 0:
        return Equivalence(True, "exact")
    syms = sorted(yours.free_symbols | expected.free_symbols, key=lambda s: s.name)
    if diff.is_Number:
        # A nonzero constant difference (1e-300 included): never equal.
        return _constant_gap(yours, expected)
    if not syms:
        return _constants(yours, expected, diff)
    doms = {s.name: _domain_of(s, domains) for s in syms}
    for d in doms.values():
        parse_domain(d)  # a bad domain is the bank's error, reported before any sampling
    rng = random.Random(seed)
    budget = _Budget()
    prog = Program(diff)  # walked once, run at every point
    agreed = costly = 0
    yours_only = expected_only = 0
    first_one_sided: tuple[dict, object, object] | None = None  # (point, yours, expected)
    for pt in _rounds(doms, n_points, rng):
        if agreed >= n_points:
            break
        verdict, a, b, gap = compare_at(yours, expected, pt, prog, budget)
        if verdict == "equal":
            agreed += 1
        elif verdict == "differ":
            return Equivalence(False, "sampling", pt, a, b, points=agreed, gap=gap)
        elif verdict == "costly":
            costly += 1
        elif verdict == "yours-undefined":
            yours_only += 1
            first_one_sided = first_one_sided or (pt, None, b)
        elif verdict == "expected-undefined":
            expected_only += 1
            first_one_sided = first_one_sided or (pt, a, None)
    core_agreed = agreed
    if prove and core_agreed >= MIN_POINTS and _prove_zero(diff):
        return Equivalence(True, "exact", points=agreed)
    for pt in reach_points(doms, reach, random.Random(seed + 104729)):
        verdict, a, b, gap = compare_at(yours, expected, pt, prog, budget)
        if verdict == "differ":
            return Equivalence(False, "sampling", pt, a, b, points=agreed, gap=gap)
        agreed += verdict == "equal"
        costly += verdict == "costly"
    if agreed < MIN_POINTS:
        if first_one_sided and (yours_only or expected_only) > agreed:
            pt, a, b = first_one_sided
            return Equivalence(False, "sampling", pt, a, b, points=agreed)
        if costly:
            return Equivalence(False, "sampling", undecided=True, too_complex=True, points=agreed, note=_COSTLY_NOTE)
        return Equivalence(False, "sampling", undecided=True, points=agreed,
                           note="both sides are undefined almost everywhere in the domain")
    if prove and core_agreed < MIN_POINTS and _prove_zero(diff):
        return Equivalence(True, "exact", points=agreed)
    return Equivalence(True, "sampling", points=agreed)


def _rounds(doms: dict, n: int, rng: random.Random):
    """Rounds of ``n`` core points, each stratified on its own, drawn only as they are needed."""
    for _ in range(MAX_TRIES):
        yield from sample_points(doms, n, rng)


def _constants(yours, expected, diff) -> Equivalence:
    verdict, a, b, gap = compare_at(yours, expected, {}, diff)
    if verdict == "equal":
        return Equivalence(True, "numeric", points=1)
    if verdict == "costly":
        return Equivalence(False, "numeric", undecided=True, too_complex=True, note=_COSTLY_NOTE.replace(
            "most points", "it"))
    if verdict == "skip":
        return Equivalence(False, "numeric", undecided=True, note="neither side has a finite value")
    return Equivalence(False, "numeric", {}, a, b, gap=gap)


def _constant_gap(yours, expected) -> Equivalence:
    """yours − expected is a nonzero number: show the two values (at one point if symbolic)."""
    syms = sorted(yours.free_symbols | expected.free_symbols, key=lambda s: s.name)
    pt = sample_points({s.name: "real" if not s.is_positive else "positive" for s in syms}, 1,
                       random.Random(0))[0] if syms else {}
    return Equivalence(False, "exact", pt or None, _value(yours, pt, DPS), _value(expected, pt, DPS),
                       gap=_value(yours - expected, {}, DPS))


# ----------------------------------------------------------------------------
# Exact proof.
# ----------------------------------------------------------------------------
def _prove_zero(diff) -> bool:
    """True when ``diff`` is provably 0 by rational-function arithmetic, cheaply; else False."""
    try:
        if _too_big(diff, PROOF_NODES) or _big_power(diff):
            return False
        with _proof_budget():
            e = diff.replace(sigma, lambda x: 1 / (1 + sympy.exp(-x)))
            if e.has(sympy.tanh):
                e = e.rewrite(sympy.exp)
            if e.has(sympy.Max, sympy.Min, sympy.Abs, sympy.Heaviside, sympy.Piecewise):
                return False  # piecewise: the sampled verdict stands
            e = _exp_to_powers(e)
            if e is None:
                return False
            # Over a common denominator, the difference is 0 exactly when its numerator expands to 0.
            numer, _ = e.as_numer_denom()  # like together(), without its costly gcd_terms
            return sympy.expand(numer) == 0
    except OutOfTime:
        return False
    except (sympy.PolynomialError, sympy.polys.polyerrors.PolificationFailed, TypeError, ValueError,
            ZeroDivisionError, RecursionError, NotImplementedError, AttributeError):
        return False


def _too_big(e, limit: int) -> bool:
    n = 0
    for _ in sympy.preorder_traversal(e):
        n += 1
        if n > limit:
            return True
    return False


def _big_power(e) -> bool:
    """A sum raised to a large power: ``expand`` would write out every term ((x + y)^9999)."""
    return any(p.exp.is_Integer and abs(int(p.exp)) > 64 and p.base.is_Add for p in e.atoms(sympy.Pow))


def _exp_to_powers(e):
    """Replace exp(c·u) by t_u^(c·L) (c rational, L the common denominator of u's coefficients).

    Then ``expand`` sees polynomials.  Treating each exp(u/L) as an independent symbol is sound
    for proving an identity: a rational identity in free symbols holds for any values they take.
    """
    atoms = list(e.atoms(sympy.exp))
    if not atoms:
        return e
    if len(atoms) > 12:
        return None
    groups: dict = {}
    split = {}
    for a in atoms:
        c, u = a.args[0].as_coeff_Mul()
        if not c.is_Rational:
            c, u = sympy.Integer(1), a.args[0]
        split[a] = (c, u)
        groups.setdefault(u, []).append(c)
    gens = {}
    for u, cs in groups.items():
        den = 1
        for c in cs:
            den = sympy.ilcm(den, c.q)
        gens[u] = (sympy.Dummy("t", positive=True), den)
    mapping = {}
    for a, (c, u) in split.items():
        t, den = gens[u]
        k = c * den
        if abs(k) > 64:
            return None  # t^1000 would expand into a huge polynomial: leave it to sampling
        mapping[a] = t ** int(k)
    return e.xreplace(mapping)


def _proof_budget() -> AbstractContextManager[None]:
    """A soft time limit for the optional proof, armed only inside the sandbox worker.

    It cannot interrupt C code, which is why the hard limit is the sandbox's deadline;
    this one only keeps an optional proof from eating the whole deadline.  Outside the
    worker the caller's process owns SIGALRM, so nothing is armed there.
    """
    from nncheck.answer.sandbox import in_worker

    return time_limit(PROOF_SECONDS) if in_worker() else nullcontext()


def check_domains(domains: dict) -> None:
    for d in domains.values():
        parse_domain(d)
