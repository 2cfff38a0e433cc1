"""The numeric tolerance rule in words, and its defaults: light enough for ``nncheck show``.

The grader (:mod:`nncheck.kinds.tolerance`) applies the rule; this module only says what it
is, so that the prompt of every problem (``show``, the quiz, the exports) and the grader's
feedback state the same rule from one place.  No SymPy, no dataclasses: the show path imports it.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the show path)
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

DEFAULT_REL = 0.005  # ±0.5%: three significant figures, as exam answers are written
DEFAULT_ABS = 1e-6
#: The fewest significant figures a rounded answer may have, unless the part says otherwise:
#: 0.29 for 2/7 is a grader's "correct", 0.3 is "rounded too far".
DEFAULT_MIN_SIGFIGS = 2
WINDOW_KEYS = ("rel", "abs", "sigfigs")
#: Part kinds whose answers are numbers read under the rule (integer parts are exact).
NUMERIC_KINDS = frozenset({"number", "vector", "matrix"})


def tolerance_spec(part: Mapping[str, Any]) -> dict[str, Any]:
    """The tolerance the grader applies to ``part``: the declared window (or the default) and
    ``min_sigfigs``, the fewest figures of a correctly rounded answer."""
    tol = {k: v for k, v in dict(part.get("tolerance") or {}).items() if v is not None}
    if not any(tol.get(k) for k in WINDOW_KEYS):
        tol.update(rel=DEFAULT_REL, abs=DEFAULT_ABS)
    tol.setdefault("min_sigfigs", tol.get("sigfigs") or DEFAULT_MIN_SIGFIGS)
    return tol


def declared_tolerance(part: Mapping[str, Any]) -> dict[str, Any]:
    """The tolerance as the part declares it (keys set to null kept), with the defaults it does not
    override: what JSON shows."""
    tol = dict(part.get("tolerance") or {})
    if not any(tol.get(k) for k in WINDOW_KEYS):
        tol.update(rel=DEFAULT_REL, abs=DEFAULT_ABS)
    tol.setdefault("min_sigfigs", tol.get("sigfigs") or DEFAULT_MIN_SIGFIGS)
    return tol


def describe_window(tol: Mapping[str, Any]) -> str:
    """The window in plain words: "within ±0.5%", "to 3 significant figures"."""
    if tol.get("sigfigs"):
        return f"to {tol['sigfigs']} significant figures"
    bits = []
    if tol.get("rel"):
        pct = tol["rel"] * 100
        bits.append(f"within ±{pct:g}%")
    if tol.get("abs") and (not tol.get("rel") or tol["abs"] >= 1e-4):
        bits.append(f"within ±{tol['abs']:g}")
    return " or ".join(bits) if bits else "exactly"


def describe_tolerance(tol: Mapping[str, Any]) -> str:
    """The whole rule in plain words, once: "within ±0.5%, or correctly rounded to at least 2
    significant figures" (the rounding clause only when ``tol`` has ``min_sigfigs`` and it can
    accept an answer the window does not)."""
    window = describe_window(tol)
    m = tol.get("min_sigfigs")
    if not m or (tol.get("sigfigs") and m >= tol["sigfigs"]):
        return window  # to N significant figures: every correct rounding to N or more is inside it
    return f"{window}, or correctly rounded to at least {m} significant figure{'s' if m != 1 else ''}"


def prompt_line(parts: list[Mapping[str, Any]], labels: list[str]) -> str | None:
    """The tolerance line of a prompt: "Numbers are accepted within ±0.5%, or correctly rounded to
    at least 2 significant figures." (per part where the parts' rules differ); None without
    numeric parts."""
    rules: dict[str, list[str]] = {}
    for part, label in zip(parts, labels):
        if part.get("kind") in NUMERIC_KINDS:
            rules.setdefault(describe_tolerance(tolerance_spec(part)), []).append(label)
    if not rules:
        return None
    if len(rules) == 1:
        return f"Numbers are accepted {next(iter(rules))}."
    return "Numbers are accepted " + "; ".join(f"{', '.join(ls)}: {rule}" for rule, ls in rules.items()) + "."
