"""The one tolerance of numeric answers: what it is, how it reads, and the test itself.

A part may declare ``tolerance: {rel, abs}`` or ``tolerance: {sigfigs}``; without one,
numeric answers are accepted within ±0.5% (three significant figures, as exam answers
are written) or ±1e-6.  The grader (:mod:`nncheck.kinds.number`, :mod:`nncheck.kinds.array`),
the answer key (which drops a declared mistake only when the grader would accept it as
the answer), the exports (the words "accepted within ±0.5%") and Moodle (an absolute
tolerance per answer) all use these functions, so they cannot drift apart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

DEFAULT_REL = 0.005  # ±0.5%: three significant figures, as exam answers are written
DEFAULT_ABS = 1e-6


def tolerance_spec(part: Mapping[str, Any]) -> dict[str, Any]:
    """The tolerance the grader applies to ``part``: the declared one, or the default."""
    tol = {k: v for k, v in dict(part.get("tolerance") or {}).items() if v is not None}
    if not tol:
        tol = {"rel": DEFAULT_REL, "abs": DEFAULT_ABS}
    return tol


def declared_tolerance(part: Mapping[str, Any]) -> dict[str, Any]:
    """The tolerance as the part declares it (keys set to null kept), or the default: what JSON shows."""
    tol = dict(part.get("tolerance") or {})
    if not tol:
        tol = {"rel": DEFAULT_REL, "abs": DEFAULT_ABS}
    return tol


def describe_tolerance(tol: Mapping[str, Any]) -> str:
    """The tolerance in plain words: "within ±0.5%", "to 3 significant figures"."""
    if tol.get("sigfigs"):
        return f"to {tol['sigfigs']} significant figures"
    bits = []
    if tol.get("rel"):
        pct = tol["rel"] * 100
        bits.append(f"within ±{pct:g}%")
    if tol.get("abs") and (not tol.get("rel") or tol["abs"] >= 1e-4):
        bits.append(f"within ±{tol['abs']:g}")
    return " or ".join(bits) if bits else "exactly"


def close_enough(yours: float, expected: float, tol: Mapping[str, Any]) -> bool:
    """Is ``yours`` accepted for ``expected``?  (Not symmetric: a tolerance is around the expected value.)"""
    if math.isnan(yours) or math.isinf(yours):
        return False
    if tol.get("sigfigs"):
        if expected == 0:
            return bool(abs(yours) < 10 ** (-tol["sigfigs"]))
        mag = math.floor(math.log10(abs(expected)))
        unit = 10 ** (mag - tol["sigfigs"] + 1)
        return abs(yours - expected) <= unit / 2 * (1 + 1e-9)
    rel, ab = tol.get("rel") or 0.0, tol.get("abs") or 0.0
    return bool(abs(yours - expected) <= max(ab, rel * abs(expected)) * (1 + 1e-12))


def half_width(tol: Mapping[str, Any], expected: float) -> float:
    """How far from ``expected`` an answer may lie and still be accepted (Moodle's absolute tolerance)."""
    if tol.get("sigfigs"):
        if expected == 0:
            return float(10.0 ** (-tol["sigfigs"]))
        mag = math.floor(math.log10(abs(expected)))
        return float(0.5 * 10.0 ** (mag - tol["sigfigs"] + 1))
    return float(max(tol.get("abs") or 0.0, (tol.get("rel") or 0.0) * abs(expected)))


class WithinTolerance:
    """The tolerance phases of a kind whose answers are numbers accepted within the part's tolerance
    (mixed into :class:`~nncheck.kinds.base.Kind` subclasses: numbers, vectors, matrices)."""

    def tolerance(self, part: Mapping[str, Any]) -> dict[str, Any] | None:
        return declared_tolerance(part)

    def tolerance_text(self, part: Mapping[str, Any]) -> str | None:
        return describe_tolerance(tolerance_spec(part))

    def half_width(self, part: Mapping[str, Any], expected: float) -> float:
        return half_width(tolerance_spec(part), expected)
