"""Spaced review per problem family, scheduled by FSRS (the ``fsrs`` package, py-fsrs).

One FSRS card per family.  Every practised problem — in a quiz, an exam or a review —
is one review of its family's card, rated from the auto-grade rather than by the
student, and from the *whole* problem: a part left unanswered (the session ended in the
middle of the problem) counts against the rating as a part not right.

======== =====================================================================
again    a part was wrong after its last attempt (or tried once and left), skipped,
         its solution shown or (exam) left blank — or the problem was left with
         no more than half of its parts answered
hard     every part answered was right and more than half of them were answered,
         but the problem was left unfinished — or a part needed a hint or a second
         attempt, or it was slow
good     every part right at the first attempt without hints, within the time budget
easy     as good, in under half the time budget
======== =====================================================================

So a problem left after one of its parts is "again" and comes back within minutes
(FSRS's learning or relearning step), and an unfinished problem is never better than
"hard".  A family asked twice in one session (a
small bank, or an exam's repeat) is still one review: the session keeps the worse
rating (:class:`SessionReview`).

"Slow" compares the time spent on the problem's parts with a budget from the parts'
kinds and the family's difficulty (:func:`time_budget`).  The scheduler runs without
interval fuzzing, so the same history always gives the same schedule.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
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

    ``parts``: one dict per part the problem asks — answered or not — with ``outcome``
    (correct, wrong, skipped, revealed, blank; None for a part the session ended before
    finishing), ``attempts``, ``hints`` and ``elapsed`` (seconds).  ``budget``: the time
    budget of the whole problem (:func:`time_budget`).
    """
    if not any(p["outcome"] is not None or p.get("attempts", 0) > 0 for p in parts):
        raise ValueError("a problem with no answered part cannot be rated")
    what = {"wrong": "wrong", "skipped": "skipped", "revealed": "solution shown", "blank": "left blank"}
    # A part tried and then left (the session ended before its second attempt) was wrong.
    bad = [p for p in parts if p["outcome"] in what or (p["outcome"] is None and p.get("attempts", 0) > 0)]
    if bad:
        first = bad[0]
        return AGAIN, f"{first['part']} {what.get(first['outcome'] or '', 'tried, not solved')}"
    left = [p for p in parts if p["outcome"] is None]
    if left:
        # Unanswered counts as not right: half right or less is "again", more is at best "hard"
        # ("hard" on a well-learnt card is weeks away; a problem left after one part must come back soon).
        unanswered = f"left with {len(left)} of {len(parts)} parts unanswered"
        return (AGAIN if 2 * (len(parts) - len(left)) <= len(parts) else HARD), unanswered
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


@dataclass
class SessionReview:
    """One family's review in one session, as written to the history.

    ``before`` is the card as it was before this review (None: a new card), so that another
    problem of the same family later in the session can replace this review by a worse one
    (:func:`record_review` with ``amend``) instead of reviewing the family a second time.
    """

    family_id: str
    rating: int
    reason: str
    card: dict
    due: float
    before: dict | None


def record_review(store, family_id: str, rating: int, reason: str, *, session_id: str | None = None,
                  idx: int | None = None, duration_ms: int | None = None, when: datetime | None = None,
                  amend: SessionReview | None = None) -> SessionReview:
    """Rate one family in the history; the card is read and written in one transaction.

    ``amend``: this session's earlier review of the family.  The new rating replaces it (the
    card is reviewed again from its state before the session, and that review's log row is
    replaced), so one session is one review of a family.  If another session has reviewed the
    family since, its review stands and this one is added after it.
    """
    when = when or datetime.now(UTC)
    seen: dict = {}

    def apply(card: dict | None):
        replace = amend is not None and card == amend.card
        base = amend.before if replace and amend is not None else card
        seen["before"] = base
        new, due = review(base, family_id, rating, when, duration_ms)
        log = {"rating": rating, "reason": reason, "session_id": session_id, "idx": idx,
               "duration_ms": duration_ms, "reviewed_at": when.timestamp()}
        if replace:
            log["amends"] = True  # the store replaces this session's row for the family
        return new, due, log

    new = store.update_card(family_id, apply)
    # The card as the store gives it back (JSON), so that a later amend recognises it.
    card = json.loads(json.dumps(new))
    return SessionReview(family_id, rating, reason, card, float(review_due(card)), seen["before"])


def review_due(card: dict) -> float:
    """A card's due time (unix seconds)."""
    return datetime.fromisoformat(card["due"]).timestamp()


def retrievability(card: dict, when: datetime | None = None) -> float:
    from fsrs import Card

    return float(scheduler().get_card_retrievability(Card.from_dict(cast("CardDict", card)), when or datetime.now(UTC)))


def due_cards(store, now: float) -> list[dict]:
    """Cards due at ``now`` (unix time), most overdue first."""
    return [c for c in store.cards() if c["due"] <= now]
