"""Symbol domains: what values a symbol may take, and how to sample them.

Expression answers are compared at random points, so each symbol needs a domain:
``real`` (both signs, which matters for ReLU and |x|), ``positive`` (widths,
counts), ``nonnegative``, ``negative``, ``probability`` or an interval such as
``(0,1)`` (σ outputs, targets), ``integer`` or ``natural``.

Points are *stratified*: each symbol visits every part of its domain (both signs
of a real symbol, small and large values of a positive one) in a shuffled order,
so ``relu(x)`` and ``x`` cannot agree at all twelve points by bad luck.  Values are
short decimals (``0.731``, ``-2.48``) held as exact fractions, so that a
counterexample shows the very point at which it was computed.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

from nncheck.errors import NNCheckError

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
#: Where an unbounded side is cut for sampling: exam values in the course notes live in a few units of 0.
_SPAN = 3.0
#: Values at which distinct expressions often coincide (x² = x at 1, 1 − p = p at ½).
_AVOID = frozenset(Fraction(v) for v in (0, 1, -1, 2, -2, 3, -3, Fraction(1, 2), Fraction(-1, 2)))


#: Parity masks for signed symbols: the first three are independent (all 8 sign patterns of
#: three symbols in 8 points); any two distinct masks give all four patterns of a pair.
_MASKS = (1, 2, 4, 3, 5, 6, 7)


class DomainError(NNCheckError, ValueError):
    """A domain spelled in a bank that is not one of the known names or a valid interval."""


def _norm(text: str) -> str:
    return str(text).strip().lower().replace(" ", "")


def parse_domain(text: str) -> tuple[float, float, bool, bool]:
    """(lo, hi, lo_open, hi_open) for a domain name or an interval like ``(0,1]``."""
    t = _norm(text)
    if t in NAMED:
        return NAMED[t]
    if len(t) >= 5 and t[0] in "([" and t[-1] in ")]" and t.count(",") == 1:
        lo_s, hi_s = t[1:-1].split(",", 1)
        try:
            lo = -math.inf if lo_s in ("-inf", "-oo") else float(lo_s)
            hi = math.inf if hi_s in ("inf", "oo", "+inf", "+oo") else float(hi_s)
        except ValueError:
            raise DomainError(f"bad interval '{text}'") from None
        if math.isnan(lo) or math.isnan(hi) or not lo < hi:
            raise DomainError(f"empty interval '{text}'")
        return lo, hi, t[0] == "(" or math.isinf(lo), t[-1] == ")" or math.isinf(hi)
    raise DomainError(f"unknown domain '{text}' (use real, positive, nonnegative, negative, probability, "
                      f"integer, natural or an interval like (0,1))")


def is_integer_domain(domain: str) -> bool:
    return _norm(domain) in _INTEGER_DOMAINS


def assumptions(domain: str | None) -> dict:
    """SymPy assumptions implied by a domain: ``(0,1)`` is positive, ``integer`` integer."""
    d = _norm(domain or "real")
    if d == "integer":
        return {"integer": True}
    if d == "natural":
        return {"integer": True, "positive": True}
    lo, hi, lo_open, hi_open = parse_domain(d)
    kw: dict = {"real": True}
    if lo > 0 or (lo == 0 and lo_open):
        kw["positive"] = True
    elif lo == 0:
        kw["nonnegative"] = True
    elif hi < 0 or (hi == 0 and hi_open):
        kw["negative"] = True
    elif hi == 0:
        kw["nonpositive"] = True
    return kw


def _bins(domain: str) -> list[tuple[float, float]]:
    """The sub-intervals a symbol must visit: both signs, and small and large magnitudes."""
    lo, hi, _, _ = parse_domain(domain)
    if math.isinf(lo) and math.isinf(hi):
        lo, hi = -_SPAN, _SPAN
    elif math.isinf(hi):
        hi = max(lo, 0.0) + _SPAN + 1.0  # positive widths: up to ~4
    elif math.isinf(lo):
        lo = min(hi, 0.0) - _SPAN - 1.0
    # Keep 5% away from the ends: σ(x) = 1 − 1e-9 and ln(0.0001) are poor test points.
    pad = 0.05 * (hi - lo)
    lo, hi = lo + pad, hi - pad
    if lo < 0 < hi:
        return [(lo, lo / 2), (lo / 2, 0.0), (0.0, hi / 2), (hi / 2, hi)]
    q = (hi - lo) / 4
    return [(lo + k * q, lo + (k + 1) * q) for k in range(4)]


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
    """``n`` points, each ``{name: Fraction}``, stratified over every symbol's domain.

    Each symbol visits each quarter of its domain equally often.  Symbols whose domain
    has both signs get their signs from distinct parity patterns of the point index,
    so every *pair* of them meets all four sign combinations within 8 points:
    sqrt(a·b) = sqrt(a)·sqrt(b) fails only where both are negative, and is caught.
    """
    plan: dict[str, list] = {}
    signed = 0
    for name, dom in domains.items():
        d = _norm(dom or "real")
        if d in _INTEGER_DOMAINS:
            a, b = _INTEGER_DOMAINS[d]
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
        plan[name] = seq
    points = []
    for k in range(n):
        pt = {}
        for name, dom in domains.items():
            slot = plan[name][k]
            if isinstance(slot, Fraction):
                pt[name] = slot
            else:
                dlo, dhi, _, _ = parse_domain(dom or "real")
                pt[name] = _draw(slot[0], slot[1], dlo, dhi, rng)
        points.append(pt)
    return points


def _balanced(strata: list, n: int, rng: random.Random) -> list:
    """``n`` picks visiting every stratum equally often (the remainder at random), shuffled."""
    seq = strata * (n // len(strata)) + rng.sample(strata, n % len(strata))
    rng.shuffle(seq)
    return seq


def sample(domain: str, rng: random.Random) -> float:
    """One random value inside ``domain``, kept away from the edges and from 0 (as a float)."""
    return float(sample_points({"_": domain}, 1, rng)[0]["_"])
