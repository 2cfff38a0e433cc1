"""Symbol domains: what values a symbol may take, and how to sample them.

Expression answers are compared at points, so each symbol needs a domain:

* a name: ``real`` (both signs, which matters for ReLU and |x|), ``positive`` (widths,
  counts), ``nonnegative``, ``negative``, ``nonpositive``, ``probability``, ``integer``
  or ``natural``;
* an interval such as ``(0,1)`` (σ outputs) or ``[0,1]`` (targets), ends ``-inf``/``inf``;
* a finite set such as ``{0,1}``: the symbol takes exactly these values (a one-hot
  target's entry is 0 or 1, nothing in between);
* a name or interval with documented values: ``real ∪ {0}`` (ASCII ``real | {0}``):
  the values are in the domain anyway, and are sure to be sampled.

Two kinds of points are drawn:

* **core points** (:func:`sample_points`) are *stratified*: each symbol visits every part
  of its domain near 0 (both signs of a real symbol, small and large values of a positive
  one) in a shuffled order, so ``relu(x)`` and ``x`` cannot agree at all twelve points by
  bad luck; documented values are among them.  They are where the course notes' exam
  values live.
* **reach points** (:func:`reach_points`) go where core points never do: three tiers of
  magnitude on every unbounded side (tens, hundreds, ten thousands: ``min(w, 10)`` and
  ``w`` differ only past 10), and on every bounded side the end itself when it is closed
  (the one-hot values y = 0 and y = 1 of a ``[0,1]`` target) or a point very near it when
  it is open (ŷ = 0.99, 0.999, 0.9999).  Each point takes every symbol to one of its
  two sides, chosen by the same parity patterns as the core points' signs.

Values are short decimals (``0.731``, ``-2.48``, ``27000``, ``0.999``) held as exact
fractions, so that a counterexample shows the very point at which it was computed.

**Bounds are exact.**  An interval's ends are read as exact rationals (``(1/3, inf)``,
``[0.1, 2]``, ``(1e300, inf)``), every point drawn is checked against them exactly
(:func:`contains`), and a closed end is sampled as itself, never as a nearby double.  A
bound must be 0 or between 10^-300 and 10^300 in size (:data:`MAX_BOUND`): beyond that
it is refused (:class:`DomainError`), so that every point drawn, even ten thousand times
beyond a bound, is a normal double as well.  Beside a bound larger than 16 in size, the
points go a multiple of the bound's size beyond it rather than a few units (10^300 + 3
is 10^300 to any precision a point is written with).
"""

from __future__ import annotations

import math
import random
import re
from fractions import Fraction
from functools import lru_cache

from nncheck.errors import NNCheckError

#: The largest size of an interval's bound, and the smallest nonzero one (see the module docstring).
MAX_BOUND = Fraction(10) ** 300
MIN_BOUND = 1 / MAX_BOUND
#: A bound written with more characters than this is refused before it is read.
_MAX_BOUND_CHARS = 400
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:e([+-]?\d+))?")

#: name -> (lo, hi, lo_open, hi_open)
NAMED = {
    "real": (-math.inf, math.inf, True, True),
    "positive": (0.0, math.inf, True, True),
    "nonnegative": (0.0, math.inf, False, True),
    "negative": (-math.inf, 0.0, True, True),
    "nonpositive": (-math.inf, 0.0, True, False),
    "probability": (0.0, 1.0, True, True),
    "integer": (-math.inf, math.inf, True, True),
    "natural": (0.0, math.inf, True, True),
}
_INTEGER_DOMAINS = {"integer": (-6, 6), "natural": (2, 9)}
#: Where an unbounded side is cut for core points: exam values in the course notes live in a few units of 0.
_SPAN = 3.0
#: Values at which distinct expressions often coincide (x² = x at 1, 1 − p = p at ½): no core point takes them.
_AVOID = frozenset(Fraction(v) for v in (0, 1, -1, 2, -2, 3, -3, Fraction(1, 2), Fraction(-1, 2)))
#: Reach tiers: an unbounded side is visited at m·10^k for each k (m a 2-digit mantissa in [1.2, 3)),
_TIER_POWERS = (1, 2, 4)
#: and an open end at these fractions of the interval's width (or of max(1, |end|) beside an
#: unbounded side); a closed end is taken exactly, in every tier (whichever tier a symbol's
#: parity pattern puts on that side, the end itself is tried).
_OPEN_OFFSETS = (Fraction(1, 100), Fraction(1, 1000), Fraction(1, 10000))


#: Parity masks for two-sided symbols: the first three are independent (all 8 sign patterns of
#: three symbols in 8 points); any two distinct masks give all four patterns of a pair.
_MASKS = (1, 2, 4, 3, 5, 6, 7)


class DomainError(NNCheckError, ValueError):
    """A domain spelled in a bank that is not one of the known names or a valid interval."""


class Domain:
    """A parsed domain: its hull, whether it holds integers only, and its documented values.

    (A plain class, not a NamedTuple: ``nncheck show`` reaches this module, and must not import ``typing``.)
    """

    __slots__ = ("lo", "hi", "lo_open", "hi_open", "integer", "values", "only", "base", "exact")

    def __init__(self, lo: float, hi: float, lo_open: bool, hi_open: bool, integer: bool,
                 values: tuple[Fraction, ...], only: bool, base: str, exact: Exact | None = None):
        self.lo, self.hi, self.lo_open, self.hi_open = lo, hi, lo_open, hi_open
        self.integer = integer  # integer or natural: whole numbers only
        self.values = values  # documented values: always sampled
        self.only = only  # a finite set: ``values`` is the whole domain
        self.base = base  # the name or interval before any documented values ("" for a set)
        # The base interval with exact ends (None: unbounded); the hull above is in doubles.
        self.exact = exact if exact is not None else Exact(None, None, True, True)

    def hull(self) -> Exact:
        """The smallest interval holding the domain, with exact ends (documented values widen it)."""
        iv = self.exact
        if not self.values or self.only:
            return iv
        lo, hi, lo_open, hi_open = iv.lo, iv.hi, iv.lo_open, iv.hi_open
        for v in self.values:
            if lo is not None and (v < lo or (v == lo and lo_open)):
                lo, lo_open = v, False
            if hi is not None and (v > hi or (v == hi and hi_open)):
                hi, hi_open = v, False
        return Exact(lo, hi, lo_open, hi_open)

    def __repr__(self) -> str:
        return (f"Domain({self.base or 'set'}: [{self.lo}, {self.hi}], open {self.lo_open}/{self.hi_open}, "
                f"values {[str(v) for v in self.values]}, only={self.only})")


class Exact:
    """An interval with exact ends: ``lo``/``hi`` are Fractions, or None for an unbounded side."""

    __slots__ = ("lo", "hi", "lo_open", "hi_open", "flo", "fhi")

    def __init__(self, lo: Fraction | None, hi: Fraction | None, lo_open: bool, hi_open: bool):
        self.lo, self.hi, self.lo_open, self.hi_open = lo, hi, lo_open, hi_open
        # The ends as doubles, for a fast first test (correctly rounded, see :func:`contains`).
        self.flo = -math.inf if lo is None else float(lo)
        self.fhi = math.inf if hi is None else float(hi)

    def floats(self) -> tuple[float, float, bool, bool]:
        return self.flo, self.fhi, self.lo_open, self.hi_open

    def holds(self, v: Fraction) -> bool:
        """Is ``v`` in this interval?  Exactly."""
        try:
            f = float(v)
        except OverflowError:
            f = math.copysign(math.inf, v)
        # Rounding to the nearest double never reverses an order, so a strict inequality
        # between doubles is one between the exact numbers: most values are decided here.
        if self.flo < f < self.fhi:
            return True
        if self.lo is not None and (v < self.lo or (v == self.lo and self.lo_open)):
            return False
        if self.hi is not None and (v > self.hi or (v == self.hi and self.hi_open)):
            return False
        return True


def read_bound(s: str, text: str | None = None) -> Fraction:
    """A bound written as a decimal (``-2.5``, ``1e300``) or a quotient (``1/3``), exactly.

    Raises :class:`DomainError` when it is not a number or is out of range (see :data:`MAX_BOUND`).
    """
    where = f" in '{text}'" if text else ""
    s = s.strip()
    if len(s) > _MAX_BOUND_CHARS:
        raise DomainError(f"bound too long{where} ({len(s)} characters)")
    num, slash, den = s.partition("/")
    parts = [num, den] if slash else [num]
    vals = []
    for part in parts:
        m = _NUMBER.fullmatch(part.strip().lower())
        if m is None:
            raise DomainError(f"bad bound '{s}'{where}")
        if m.group(1) is not None and abs(int(m.group(1))) > 2 * 300 + _MAX_BOUND_CHARS:
            raise _out_of_range(s, where)  # decided before 10^exponent is ever computed
        vals.append(Fraction(part.strip().lower()))
    if slash and vals[1] == 0:
        raise DomainError(f"bad bound '{s}'{where}: division by zero")
    v = vals[0] / vals[1] if slash else vals[0]
    check_bound(v, s, where)
    return v


def check_bound(v: Fraction, shown: str, where: str = "") -> None:
    """Raise :class:`DomainError` unless ``v`` is 0 or between :data:`MIN_BOUND` and :data:`MAX_BOUND` in size."""
    if v != 0 and not (MIN_BOUND <= abs(v) <= MAX_BOUND):
        raise _out_of_range(shown, where)


def _out_of_range(shown: str, where: str) -> DomainError:
    return DomainError(f"the bound {shown}{where} is out of range: a bound must be 0 or between "
                       f"1e-300 and 1e300 in size")


def bound_text(v: Fraction) -> str:
    """``v`` written so that :func:`read_bound` reads it back exactly, as short as that allows
    (``1e300``, ``0.25``, ``1e-300``, ``1/3``)."""
    if v.denominator == 1:
        return _integer_text(v.numerator)
    d, twos, fives = v.denominator, 0, 0
    while d % 2 == 0:
        d, twos = d // 2, twos + 1
    while d % 5 == 0:
        d, fives = d // 5, fives + 1
    if d != 1:  # not a terminating decimal
        return f"{_integer_text(v.numerator)}/{_integer_text(v.denominator)}"
    k = max(twos, fives)
    n = v.numerator * 10**k // v.denominator  # v = n·10^-k, n not a multiple of 10
    if k > 20:
        return f"{n}e-{k}"
    sign, digits = ("-" if n < 0 else ""), str(abs(n)).rjust(k + 1, "0")
    return f"{sign}{digits[:-k]}.{digits[-k:]}"


def _integer_text(n: int) -> str:
    zeros, m = 0, n
    while m and m % 10 == 0:
        m, zeros = m // 10, zeros + 1
    return f"{m}e{zeros}" if zeros > 15 else str(n)


def contains(domain_text: str, v: Fraction) -> bool:
    """Is the exact value ``v`` in the domain?  (A set: one of its values; an integer domain:
    a whole number in it; documented values are in it; otherwise the interval decides, exactly.)"""
    d = domain(domain_text or "real")
    return _contains(d, v)


def _contains(d: Domain, v: Fraction) -> bool:
    if v in d.values:
        return True
    if d.only:
        return False
    if d.integer and v.denominator != 1:
        return False
    return d.exact.holds(v)


def _norm(text: str) -> str:
    return str(text).strip().lower().replace(" ", "")


_HELP = ("use real, positive, nonnegative, negative, probability, integer, natural, an interval like (0,1), "
         "a set like {0,1}, or real ∪ {0}")


_NAMED_EXACT = {name: Exact(None if math.isinf(lo) else Fraction(lo), None if math.isinf(hi) else Fraction(hi),
                            lo_open, hi_open) for name, (lo, hi, lo_open, hi_open) in NAMED.items()}


def _interval(t: str, text: str) -> Exact:
    if t in NAMED:
        return _NAMED_EXACT[t]
    if len(t) >= 5 and t[0] in "([" and t[-1] in ")]" and t.count(",") == 1:
        lo_s, hi_s = t[1:-1].split(",", 1)
        if lo_s in ("-inf", "-oo"):
            lo = None
        elif lo_s in ("inf", "oo", "+inf", "+oo"):
            raise DomainError(f"empty interval '{text}'")
        else:
            lo = _bound(lo_s, text)
        if hi_s in ("inf", "oo", "+inf", "+oo"):
            hi = None
        elif hi_s in ("-inf", "-oo"):
            raise DomainError(f"empty interval '{text}'")
        else:
            hi = _bound(hi_s, text)
        if lo is not None and hi is not None and not lo < hi:
            raise DomainError(f"empty interval '{text}'")
        iv = Exact(lo, hi, t[0] == "(" or lo is None, t[-1] == ")" or hi is None)
        if not iv.flo < iv.fhi:
            # Ends that agree to every digit of a double: no point could be drawn between them.
            raise DomainError(f"interval too narrow to sample: '{text}'")
        return iv
    raise DomainError(f"unknown domain '{text}' ({_HELP})")


def _bound(s: str, text: str) -> Fraction:
    try:
        return read_bound(s, text)
    except DomainError as e:
        if "out of range" in e.message:
            raise
        raise DomainError(f"bad interval '{text}'") from None


def _values(t: str, text: str) -> tuple[Fraction, ...]:
    inner = t[1:-1]
    if not inner:
        raise DomainError(f"empty set '{text}'")
    out: list[Fraction] = []
    for item in inner.split(","):
        try:
            v = read_bound(item, text)
        except DomainError as e:
            if "out of range" in e.message:
                raise
            raise DomainError(f"bad value '{item}' in '{text}' (write numbers such as 0, 1, -0.5, 1/3)") from None
        if v not in out:
            out.append(v)
    return tuple(sorted(out))


@lru_cache(maxsize=256)
def domain(text: str) -> Domain:
    """The :class:`Domain` for a domain's text; raises :class:`DomainError` if it is not one."""
    t = _norm(text).replace("∪", "|")
    base, _, extra = t.partition("|")
    if base.startswith("{"):
        if extra or not base.endswith("}"):
            raise DomainError(f"bad set '{text}' ({_HELP})")
        members = _values(base, text)
        lo, hi = float(members[0]), float(members[-1])
        return Domain(lo, hi, False, False, all(v.denominator == 1 for v in members), members, True, "",
                      Exact(members[0], members[-1], False, False))
    exact = _interval(base, text)
    lo, hi, lo_open, hi_open = exact.floats()
    vals: tuple[Fraction, ...] = ()
    if extra:
        if not (extra.startswith("{") and extra.endswith("}")):
            raise DomainError(f"bad documented values in '{text}': write them as a set, e.g. real ∪ {{0}}")
        vals = _values(extra, text)
    integer = base in _INTEGER_DOMAINS
    for v in vals:
        if integer and v.denominator != 1:
            raise DomainError(f"'{text}': {v} is not a whole number")
        # Documented values widen the hull: (0,1) ∪ {0, 1} is [0,1].
        if v < lo or (v == lo and lo_open):
            lo, lo_open = float(v), False
        if v > hi or (v == hi and hi_open):
            hi, hi_open = float(v), False
    return Domain(lo, hi, lo_open, hi_open, integer, vals, False, base, exact)


def parse_domain(text: str) -> tuple[float, float, bool, bool]:
    """(lo, hi, lo_open, hi_open) for a domain (the hull of a set: ``{0,1}`` gives [0, 1])."""
    d = domain(text)
    return d.lo, d.hi, d.lo_open, d.hi_open


def is_integer_domain(domain_text: str) -> bool:
    d = domain(domain_text)
    return d.integer or (d.only and all(v.denominator == 1 for v in d.values))


def assumptions(domain_text: str | None) -> dict:
    """SymPy assumptions implied by a domain: ``(0,1)`` is positive, ``integer`` integer, ``{0,1}``
    a nonnegative integer."""
    d = domain(domain_text or "real")
    if d.base == "integer" and not d.values:
        return {"integer": True}
    if d.base == "natural" and not d.values:
        return {"integer": True, "positive": True}
    kw: dict = {"real": True}
    if is_integer_domain(domain_text or "real"):
        kw["integer"] = True
    lo, hi, lo_open, hi_open = d.lo, d.hi, d.lo_open, d.hi_open
    if lo > 0 or (lo == 0 and lo_open):
        kw["positive"] = True
    elif lo == 0:
        kw["nonnegative"] = True
    elif hi < 0 or (hi == 0 and hi_open):
        kw["negative"] = True
    elif hi == 0:
        kw["nonpositive"] = True
    return kw


# ----------------------------------------------------------------------------
# Core points.
# ----------------------------------------------------------------------------
def _bins(d: Domain) -> list[tuple[float, float]]:
    """The sub-intervals a symbol must visit near 0: both signs, and small and large magnitudes."""
    lo, hi, _, _ = d.exact.floats()
    if math.isinf(lo) and math.isinf(hi):
        lo, hi = -_SPAN, _SPAN
    elif math.isinf(hi):
        start = max(lo, 0.0)
        hi = start + stretch(start)  # positive widths: up to ~4
    elif math.isinf(lo):
        start = min(hi, 0.0)
        lo = start - stretch(start)
    # Keep 5% away from the ends: the ends and very near them are the reach points' business.
    pad = 0.05 * (hi - lo)
    lo, hi = lo + pad, hi - pad
    if lo < 0 < hi:
        return [(lo, lo / 2), (lo / 2, 0.0), (0.0, hi / 2), (hi / 2, hi)]
    q = (hi - lo) / 4
    return [(lo + k * q, lo + (k + 1) * q) for k in range(4)]


def stretch(start: float) -> float:
    """How far beyond ``start`` (a bound, or 0) core points go on an unbounded side: a few units,
    or a quarter of the bound's size beyond 16 (see the module docstring)."""
    return max(_SPAN + 1.0, abs(start) / 4)


def _inside(d: Domain) -> Fraction:
    """A point of the domain, exactly (when the drawn one is not: a domain too narrow for 3-digit values)."""
    if d.only or d.values:
        return d.values[0]
    if d.integer:
        return Fraction(2) if d.exact.lo is not None else Fraction(-2)
    iv = d.exact
    if iv.lo is not None and iv.hi is not None:
        return (iv.lo + iv.hi) / 2
    if iv.lo is not None:
        return iv.lo + max(Fraction(1), abs(iv.lo)) / 2
    if iv.hi is not None:
        return iv.hi - max(Fraction(1), abs(iv.hi)) / 2
    return Fraction(1, 2)


def _nice(x: float) -> Fraction:
    """``x`` as a short exact decimal (3 significant digits)."""
    if x == 0:
        return Fraction(0)
    k = 2 - math.floor(math.log10(abs(x)))  # decimal places that keep 3 significant digits
    m = round(x * 10.0**k)
    return Fraction(m * 10 ** -k) if k <= 0 else Fraction(m, 10**k)


_AVOID_F = frozenset(float(v) for v in _AVOID)


def _draw(lo: float, hi: float, dlo: float, dhi: float, rng: random.Random) -> Fraction:
    for _ in range(50):
        v = _nice(lo + (hi - lo) * rng.random())
        f = float(v)  # float comparisons: exact enough at 3 digits, and far cheaper than Fraction's
        if f not in _AVOID_F and dlo < f < dhi and abs(f) > 1e-3:
            return v
    # A very narrow domain: fall back to its midpoint, exactly.
    return Fraction((lo + hi) / 2)


def sample_points(domains: dict, n: int, rng: random.Random) -> list[dict]:
    """``n`` core points, each ``{name: Fraction}``, stratified over every symbol's domain near 0.

    Each symbol visits each quarter of its domain equally often.  Symbols whose domain
    has both signs get their signs from distinct parity patterns of the point index,
    so every *pair* of them meets all four sign combinations within 8 points:
    sqrt(a·b) = sqrt(a)·sqrt(b) fails only where both are negative, and is caught.
    A set's values are visited equally often; documented values (``real ∪ {0}``) each
    take one point.
    """
    plan: dict[str, list] = {}
    signed = 0
    specs = {name: domain(dom or "real") for name, dom in domains.items()}
    for name, d in specs.items():
        if d.only:
            seq: list = _balanced(list(d.values), n, rng)
        elif d.integer:
            a, b = _INTEGER_DOMAINS[d.base]
            strata: list = [Fraction(k) for k in range(a, b + 1) if k not in (0, 1, -1)]
            seq = _balanced(strata, n, rng)
        else:
            bins = _bins(d)
            if len(bins) == 4 and bins[1][1] == 0.0:  # a domain with both signs
                signed += 1
                mask, flip = _MASKS[(signed - 1) % 7], rng.random() < 0.5
                outer = _balanced([False, True], n, rng)
                seq = []
                for k in range(n):
                    positive = (bin(k % 8 & mask).count("1") % 2 == 1) != flip
                    seq.append(bins[2 + outer[k]] if positive else bins[1 - outer[k]])
            else:
                seq = _balanced(bins, n, rng)
        if d.values and not d.only and n >= 2 * len(d.values):
            for k, v in zip(rng.sample(range(n), len(d.values)), d.values):
                seq[k] = v
        plan[name] = seq
    points = []
    for k in range(n):
        pt = {}
        for name, d in specs.items():
            slot = plan[name][k]
            if isinstance(slot, Fraction):
                v = slot
            else:
                v = _draw(slot[0], slot[1], d.lo, d.hi, rng)
            pt[name] = v if _contains(d, v) else _inside(d)
        points.append(pt)
    return points


def _balanced(strata: list, n: int, rng: random.Random) -> list:
    """``n`` picks visiting every stratum equally often (the remainder at random), shuffled."""
    seq = strata * (n // len(strata)) + rng.sample(strata, n % len(strata))
    rng.shuffle(seq)
    return seq


def sample(domain_text: str, rng: random.Random) -> float:
    """One random core value inside ``domain_text``, kept away from the edges and from 0 (as a float)."""
    return float(sample_points({"_": domain_text}, 1, rng)[0]["_"])


# ----------------------------------------------------------------------------
# Reach points.
# ----------------------------------------------------------------------------
def _far(start: Fraction, direction: int, tier: int, integer: bool, rng: random.Random) -> Fraction:
    """A value about 10^k beyond ``start`` (0 for a side of ``real``), a 2-digit mantissa; beyond
    a bound larger than 16 in size, 10^k sixteenths of its size (see the module docstring)."""
    m = Fraction(rng.randrange(12, 30), 10) * 10 ** _TIER_POWERS[tier] * max(Fraction(1), abs(start) / 16)
    v = start + direction * m
    return Fraction(math.floor(v)) if integer and v.denominator != 1 else v


def _near(end: Fraction, direction: int, tier: int, is_open: bool, unit: Fraction) -> Fraction:
    """A closed ``end`` itself, or a point just inside an open one (``direction`` points inward)."""
    if not is_open:
        return end
    return end + direction * _OPEN_OFFSETS[tier] * unit


def _side(d: Domain, upper: bool, tier: int, rng: random.Random) -> Fraction:
    iv = d.exact
    lo, hi = iv.lo, iv.hi
    if d.integer:  # natural: its lowest value is 1; integer: both sides unbounded
        if not upper and lo is not None:
            return Fraction(1)
        return _far(Fraction(0), 1 if upper else -1, tier, True, rng)
    if upper:
        if hi is None:
            return _far(max(lo, Fraction(0)) if lo is not None else Fraction(0), 1, tier, False, rng)
        unit = hi - lo if lo is not None else Fraction(max(1, math.ceil(abs(hi))))
        return _near(hi, -1, tier, iv.hi_open, unit)
    if lo is None:
        return _far(min(hi, Fraction(0)) if hi is not None else Fraction(0), -1, tier, False, rng)
    unit = hi - lo if hi is not None else Fraction(max(1, math.ceil(abs(lo))))
    return _near(lo, 1, tier, iv.lo_open, unit)


def reach_points(domains: dict, n: int, rng: random.Random) -> list[dict]:
    """``n`` points where every symbol is at one of its sides: far out, at a closed end, or near an open one.

    Point ``k`` is in tier ``k·3 // n`` (tens, hundreds, ten thousands; or 1/100, 1/1000,
    1/10000 from an open end; a closed end is the end itself).  Which side each symbol is on
    follows a parity pattern of ``k``, as the core points' signs do, so two symbols meet
    both of each other's sides.  A set's values are visited in turn.
    """
    if n <= 0:
        return []
    sides: dict[str, list] = {}
    two_sided = 0
    for name, dom in domains.items():
        d = domain(dom or "real")
        if d.only:
            sides[name] = _balanced(list(d.values), n, rng)
            continue
        two_sided += 1
        mask, flip = _MASKS[(two_sided - 1) % 7], rng.random() < 0.5
        seq = []
        for k in range(n):
            upper = (bin(k % 8 & mask).count("1") % 2 == 1) != flip
            v = _side(d, upper, min(2, k * 3 // n), rng)
            seq.append(v if _contains(d, v) else _inside(d))
        sides[name] = seq
    return [{name: sides[name][k] for name in domains} for k in range(n)]
