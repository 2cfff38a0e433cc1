"""Is the user's expression equal to the key?  Sampling with a precision check, then proof.

1. SymPy's automatic canonical form settles the easy cases: ``yours − expected``
   is literally 0 (equal) or a nonzero number (not equal).
2. Both sides are evaluated with mpmath at stratified random points of each
   symbol's declared domain (``nncheck.lang.domains``), at 60 significant digits (more
   when the answer has long literals such as ``1e-300``).  A relative gap below
   10^-52 is rounding.  Anything larger is evaluated again at twice the precision:
   rounding shrinks by 10^-60 while a real difference stays, so ``x^40 + 1`` vs
   ``x^40`` (relative gap 1e-19) is told apart, and cancellation in a correct answer
   is not mistaken for a gap.  Values are complex where real arithmetic has no
   value, so ``sqrt(x^2)`` vs ``x`` or ``ln(x^2)`` vs ``2 ln(x)`` differ where they should.
3. If every point agrees, a cheap exact proof is attempted (σ and tanh rewritten
   in exponentials, each exponential replaced by a power of a fresh symbol, the
   numerator over a common denominator expanded); the verdict is the same either
   way, only ``method`` says "exact".
4. A disagreement yields a counterexample with as many digits as it takes to show
   the difference: "at x = -2.02 yours gives 1637022987255.2, expected 1637022987254.2".

``equivalent`` runs in the sandbox worker (``nncheck.answer.sandbox``) under a
hard deadline; past it the answer is "too complex", never a hang.
"""

from __future__ import annotations

import random
from contextlib import AbstractContextManager, nullcontext
from fractions import Fraction

import mpmath
import sympy

from nncheck.answer.limits import OutOfTime, time_limit
from nncheck.lang.domains import parse_domain, sample_points
from nncheck.lang.mpeval import Undefined, evaluate
from nncheck.lang.sympy_backend import sigma

DPS = 60  # working digits at each point (more for long literals: see _precision)
SLACK = 8  # digits of rounding slack: a relative gap below 10^(SLACK - DPS) is rounding
N_POINTS = 12  # points that must agree for "equal"
MIN_POINTS = 4  # fewer defined points than this: undecided
MAX_TRIES = 3  # draw up to MAX_TRIES * N_POINTS points to find N_POINTS defined ones
PROOF_NODES = 200  # skip the exact proof for differences with more tree nodes than this
PROOF_SECONDS = 0.15  # and give it at most this long (inside the worker)


class Equivalence:
    """The outcome of one comparison; ``counterexample()`` explains a disagreement."""

    __slots__ = ("equal", "method", "point", "yours", "expected", "undecided", "too_complex", "note", "points")

    def __init__(self, equal: bool, method: str, point=None, yours=None, expected=None, undecided=False,
                 *, too_complex: bool = False, note: str = "", points: int = 0):
        self.equal, self.method, self.point = equal, method, point
        self.yours, self.expected, self.undecided = yours, expected, undecided
        self.too_complex = too_complex
        self.note = note  # e.g. "shapes differ: 2×1 vs 1×2" or "entry (1,2)"
        self.points = points  # how many sample points agreed

    def __bool__(self) -> bool:
        return bool(self.equal)

    def __repr__(self) -> str:
        return f"Equivalence(equal={self.equal}, method={self.method!r})"

    def counterexample(self) -> str:
        """'at x = 0.5 yours gives 0.30, expected 0.25', with enough digits to differ."""
        if self.yours is None or self.expected is None:
            return self.note
        ys, es = format_pair(self.yours, self.expected)
        where = f"at {format_point(self.point)} " if self.point else ""
        entry = f"{self.note}: " if self.note else ""
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


def format_pair(a, b) -> tuple[str, str]:
    """Both values with the fewest digits (at least 4) at which their texts differ."""
    start = 4
    if a is not None and b is not None:
        # The relative gap says how many digits it takes: 1e-400·x + x needs ~400.
        with mpmath.workdps(30):
            scale = max(abs(a), abs(b))
            gap = abs(a - b)
        if gap and scale:
            # Enough digits to resolve the gap's own leading digit, so that rounding cannot
            # make a difference of 1 look like a difference of 10.
            start = max(4, int(mpmath.ceil(mpmath.log10(scale / gap))) + 1)
    start = min(start, 1000)
    with mpmath.workdps(start + 20):
        for n in range(start, start + 12):
            sa, sb = _fmt(a, n), _fmt(b, n)
            if sa != sb:
                return sa, sb
        return _fmt(a, start + 12), _fmt(b, start + 12)


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
                     n_points: int = N_POINTS, prove: bool = True) -> Equivalence:
    """:func:`equivalent` in this process, with no deadline: only for trusted or sandboxed callers."""
    domains = dict(domains or {})
    yours, expected = _sym(yours), _sym(expected)
    ym, em = isinstance(yours, sympy.MatrixBase), isinstance(expected, sympy.MatrixBase)
    if ym or em:
        return _matrices(yours, expected, domains, seed, n_points, prove)
    return _scalars(yours, expected, domains, seed, n_points, prove)


def _matrices(yours, expected, domains, seed, n_points, prove) -> Equivalence:
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
            r = _scalars(yours[i, j], expected[i, j], domains, seed, n_points, prove)
            if not r.equal:
                r.note = f"entry ({i + 1},{j + 1})" if expected.cols > 1 else f"entry {i + 1}"
                return r
            methods.add(r.method)
            total = max(total, r.points)
    method = "exact" if methods <= {"exact"} else "sampling"
    return Equivalence(True, method, points=total)


def _scalars(yours, expected, domains, seed, n_points, prove) -> Equivalence:
    diff = yours - expected
    if diff == 0:
        return Equivalence(True, "exact")
    syms = sorted(yours.free_symbols | expected.free_symbols, key=lambda s: s.name)
    if diff.is_Number:
        # A nonzero constant difference (1e-300 included): never equal.
        return _constant_gap(yours, expected)
    if not syms:
        return _constants(yours, expected)
    doms = {s.name: _domain_of(s, domains) for s in syms}
    for d in doms.values():
        parse_domain(d)  # a bad domain is the bank's error, reported before any sampling
    rng = random.Random(seed)
    dps = _precision(yours, expected)
    agreed = 0
    yours_only = expected_only = 0
    first_one_sided: tuple[dict, object, object] | None = None  # (point, yours, expected)
    for pt in _rounds(doms, n_points, rng):
        if agreed >= n_points:
            break
        verdict, a, b = _compare_at(yours, expected, pt, dps)
        if verdict == "equal":
            agreed += 1
        elif verdict == "differ":
            return Equivalence(False, "sampling", pt, a, b, points=agreed)
        elif verdict == "yours-undefined":
            yours_only += 1
            first_one_sided = first_one_sided or (pt, None, b)
        elif verdict == "expected-undefined":
            expected_only += 1
            first_one_sided = first_one_sided or (pt, a, None)
    if agreed < MIN_POINTS:
        if first_one_sided and (yours_only or expected_only) > agreed:
            pt, a, b = first_one_sided
            return Equivalence(False, "sampling", pt, a, b, points=agreed)
        return Equivalence(False, "sampling", undecided=True, points=agreed,
                           note="both sides are undefined almost everywhere in the domain")
    if prove and _prove_zero(diff):
        return Equivalence(True, "exact", points=agreed)
    return Equivalence(True, "sampling", points=agreed)


def _rounds(doms: dict, n: int, rng: random.Random):
    """Rounds of ``n`` points, each stratified on its own, drawn only as they are needed."""
    for _ in range(MAX_TRIES):
        yield from sample_points(doms, n, rng)


def _precision(yours, expected) -> int:
    """Working digits: DPS, plus the digit span of long literals (1e-300 needs 300 more to show)."""
    span = 0
    for r in yours.atoms(sympy.Rational) | expected.atoms(sympy.Rational):
        span = max(span, abs(r.p).bit_length(), r.q.bit_length())
    extra = int(span * 0.302) - 15  # bits to decimal digits, beyond what DPS already covers
    return DPS + min(max(extra, 0), 500)


def _value(expr, pt, dps):
    try:
        return evaluate(expr, pt, dps)
    except Undefined:
        return None


def _compare_at(yours, expected, pt, dps: int = 0) -> tuple[str, object, object]:
    """Compare at one point: "equal", "differ", "skip" or "<side>-undefined", with the two values."""
    dps = dps or DPS
    a, b = _value(yours, pt, dps), _value(expected, pt, dps)
    if a is None and b is None:
        return "skip", None, None
    if a is None:
        return "yours-undefined", None, b
    if b is None:
        return "expected-undefined", a, None
    with mpmath.workdps(2 * dps + 10):
        gap, scale = abs(a - b), max(abs(a), abs(b))
        if gap <= scale * mpmath.mpf(10) ** (SLACK - dps):
            return "equal", a, b  # within rounding of the working precision
    # A real difference, or rounding amplified by cancellation: at twice the precision,
    # rounding shrinks by 10^-dps while a real difference stays where it is.
    a2, b2 = _value(yours, pt, 2 * dps), _value(expected, pt, 2 * dps)
    if a2 is None or b2 is None:
        return "skip", None, None
    with mpmath.workdps(2 * dps + 10):
        gap, scale = abs(a2 - b2), max(abs(a2), abs(b2))
        err = (abs(a - a2) + abs(b - b2)) * mpmath.mpf(10) ** (-dps) * 1000
        tol = max(err, scale * mpmath.mpf(10) ** (SLACK - 2 * dps))
        return ("equal" if gap <= tol else "differ"), a2, b2


def _constants(yours, expected) -> Equivalence:
    verdict, a, b = _compare_at(yours, expected, {}, _precision(yours, expected))
    if verdict == "equal":
        return Equivalence(True, "numeric", points=1)
    if verdict == "skip":
        return Equivalence(False, "numeric", undecided=True, note="neither side has a finite value")
    return Equivalence(False, "numeric", {}, a, b)


def _constant_gap(yours, expected) -> Equivalence:
    """yours − expected is a nonzero number: show the two values (at one point if symbolic)."""
    syms = sorted(yours.free_symbols | expected.free_symbols, key=lambda s: s.name)
    pt = sample_points({s.name: "real" if not s.is_positive else "positive" for s in syms}, 1,
                       random.Random(0))[0] if syms else {}
    return Equivalence(False, "exact", pt or None, _value(yours, pt, DPS), _value(expected, pt, DPS))


# ----------------------------------------------------------------------------
# Exact proof (only to label a sampled equality as proved).
# ----------------------------------------------------------------------------
def _prove_zero(diff) -> bool:
    """True when ``diff`` is provably 0 by rational-function arithmetic, cheaply; else False."""
    try:
        if _too_big(diff, PROOF_NODES):
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
