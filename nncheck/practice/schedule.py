"""Spaced review per problem family, scheduled by FSRS (the ``fsrs`` package, py-fsrs).

One FSRS card per family.  Every practised problem — in a quiz, an exam or a review —
is one review of its family's card, rated from the auto-grade rather than by the
student:

======== =====================================================================
again    a part was wrong after its last attempt, skipped, or its solution shown
hard     every part right, but one needed a hint or a second attempt — or it was slow
good     every part right at the first attempt without hints, within the time budget
easy     as good, in under half the time budget
======== =====================================================================

"Slow" compares the time spent on the problem's parts with a budget from the parts'
kinds and the family's difficulty (:func:`time_budget`).  The scheduler runs without
interval fuzzing, so the same history always gives the same schedule.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from fsrs.card import CardDict

AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4
RATING_NAMES = {AGAIN: "again", HARD: "hard", GOOD: "good", EASY: "easy"}

# Seconds a prepared student needs for one part of each kind, at difficulty 1: each answer
# kind says (``Kind.seconds``); a kind this version does not know counts as a number.
UNKNOWN_KIND_SECONDS = 90
DIFFICULTY_FACTOR = {1: 1.0, 2: 1.5, 3: 2.0}


def time_budget(kinds: list[str], difficulty: int) -> float:
    """The seconds within which answering these parts does not count as slow."""
    from nncheck.kinds import KINDS

    factor = DIFFICULTY_FACTOR.get(int(difficulty or 2), 1.5)
    return sum(KINDS[k].seconds if k in KINDS else UNKNOWN_KIND_SECONDS for k in kinds) * factor


def rate(parts: list[dict], budget: float) -> tuple[int, str]:
    """The FSRS rating of one practised problem, with the reason in words.

    ``parts``: one dict per part that was reached, with ``outcome`` (correct, wrong,
    skipped, revealed, blank), ``attempts``, ``hints`` and ``elapsed`` (seconds).
    """
    if not parts:
        raise ValueError("a problem with no answered part cannot be rated")
    bad = [p for p in parts if p["outcome"] != "correct"]
    if bad:
        what = {"wrong": "wrong", "skipped": "skipped", "revealed": "solution shown", "blank": "left blank"}
        first = bad[0]
        return AGAIN, f"{first['part']} {what.get(first['outcome'], first['outcome'])}"
    helped = [p for p in parts if p.get("hints", 0) > 0 or p.get("attempts", 1) > 1]
    if helped:
        p = helped[0]
        return HARD, f"{p['part']} needed {'a hint' if p.get('hints', 0) else 'a second attempt'}"
    spent = sum(float(p.get("elapsed") or 0.0) for p in parts)
    if spent > budget:
        return HARD, f"slow: {_mmss(spent)} for a budget of {_mmss(budget)}"
    if spent <= budget / 2:
        return EASY, f"right first time in {_mmss(spent)}"
    return GOOD, "right first time"


def _mmss(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 60}:{s % 60:02d}"


def card_id(family_id: str) -> int:
    """A stable card id per family (fsrs would otherwise use the creation time)."""
    return zlib.crc32(family_id.encode("utf-8"))


_SCHEDULER = None


def scheduler():
    global _SCHEDULER
    if _SCHEDULER is None:
        from fsrs import Scheduler

        _SCHEDULER = Scheduler(enable_fuzzing=False)
    return _SCHEDULER


def review(card: dict | None, family_id: str, rating: int, when: datetime | None = None,
           duration_ms: int | None = None) -> tuple[dict, float]:
    """Apply one rated review with py-fsrs; returns the new card (as a dict) and its due time."""
    from fsrs import Card, Rating

    when = when or datetime.now(UTC)
    # The store keeps the card as the plain dict ``Card.to_dict`` gave.
    c = Card.from_dict(cast("CardDict", card)) if card else Card(card_id=card_id(family_id))
    new, _log = scheduler().review_card(c, Rating(int(rating)), review_datetime=when, review_duration=duration_ms)
    return new.to_dict(), new.due.timestamp()


def record_review(store, family_id: str, rating: int, reason: str, *, session_id: str | None = None,
                  idx: int | None = None, duration_ms: int | None = None, when: datetime | None = None) -> dict:
    """Rate one family in the history; the card is read and written in one transaction."""
    when = when or datetime.now(UTC)

    def apply(card: dict | None):
        new, due = review(card, family_id, rating, when, duration_ms)
        return new, due, {"rating": rating, "reason": reason, "session_id": session_id, "idx": idx,
                          "duration_ms": duration_ms, "reviewed_at": when.timestamp()}

    return store.update_card(family_id, apply)


def retrievability(card: dict, when: datetime | None = None) -> float:
    from fsrs import Card

    return float(scheduler().get_card_retrievability(Card.from_dict(cast("CardDict", card)), when or datetime.now(UTC)))


def due_cards(store, now: float) -> list[dict]:
    """Cards due at ``now`` (unix time), most overdue first."""
    return [c for c in store.cards() if c["due"] <= now]
