"""Symbol domains: what values a symbol may take, and how to sample them.

Expression answers are compared at random points, so each symbol needs a domain:
``real`` (both signs, which matters for ReLU), ``positive``, ``nonnegative``,
``negative``, an interval such as ``(0,1)`` for probabilities, or ``integer``.
"""

from __future__ import annotations

import math
import random

NAMED = {
    "real": (-3.0, 3.0, False, False),
    "positive": (0.0, 4.0, True, False),
    "nonnegative": (0.0, 4.0, False, False),
    "negative": (-4.0, 0.0, False, True),
    "probability": (0.0, 1.0, True, True),
    "integer": (-5.0, 5.0, False, False),
}


class DomainError(ValueError):
    pass


def parse_domain(text: str) -> tuple[float, float, bool, bool]:
    """(lo, hi, lo_open, hi_open) for a domain name or an interval like ``(0,1]``."""
    t = text.strip().lower().replace(" ", "")
    if t in NAMED:
        return NAMED[t]
    if len(t) >= 5 and t[0] in "([" and t[-1] in ")]" and "," in t:
        lo_s, hi_s = t[1:-1].split(",", 1)
        try:
            lo = -math.inf if lo_s in ("-inf", "-oo") else float(lo_s)
            hi = math.inf if hi_s in ("inf", "oo", "+inf") else float(hi_s)
        except ValueError:
            raise DomainError(f"bad interval '{text}'") from None
        if not lo < hi:
            raise DomainError(f"empty interval '{text}'")
        return lo, hi, t[0] == "(", t[-1] == ")"
    raise DomainError(f"unknown domain '{text}' (use real, positive, nonnegative, negative, integer or an interval like (0,1))")


def sample(domain: str, rng: random.Random) -> float:
    """A random value inside ``domain``, kept away from the edges and from exact 0."""
    if domain.strip().lower() == "integer":
        return float(rng.choice([-3, -2, -1, 1, 2, 3]))
    lo, hi, _, _ = parse_domain(domain)
    if math.isinf(lo) and math.isinf(hi):
        lo, hi = -3.0, 3.0
    elif math.isinf(hi):
        hi = lo + 4.0
    elif math.isinf(lo):
        lo = hi - 4.0
    span = hi - lo
    while True:
        x = lo + span * (0.05 + 0.9 * rng.random())
        if abs(x) > 1e-3:
            return round(x, 6) if False else x
