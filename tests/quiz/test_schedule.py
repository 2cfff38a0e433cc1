"""Ratings from the auto-grade, and scheduling through the real py-fsrs package."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import fsrs
import pytest

from nncheck.practice import schedule as sch
from nncheck.practice.store import open_store

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def part(outcome="correct", attempts=1, hints=0, elapsed=10.0, name="W2"):
    return {"part": name, "outcome": outcome, "attempts": attempts, "hints": hints, "elapsed": elapsed}


@pytest.mark.parametrize("parts, rating, why", [
    ([part(), part(outcome="wrong", attempts=2)], sch.AGAIN, "wrong"),
    ([part(outcome="skipped", attempts=0)], sch.AGAIN, "skipped"),
    ([part(outcome="revealed", attempts=0)], sch.AGAIN, "solution shown"),
    ([part(outcome="blank", attempts=0)], sch.AGAIN, "left blank"),
    ([part(), part(hints=1)], sch.HARD, "a hint"),
    ([part(attempts=2)], sch.HARD, "a second attempt"),
    ([part(elapsed=100.0)], sch.HARD, "slow"),
    ([part(elapsed=40.0)], sch.GOOD, "right first time"),
    ([part(elapsed=20.0)], sch.EASY, "right first time in"),
])
def test_rating_from_the_auto_grade(parts, rating, why):
    got, reason = sch.rate(parts, budget=60.0)
    assert got == rating
    assert why in reason


def test_budget_grows_with_kinds_and_difficulty():
    assert sch.time_budget(["integer"], 1) == 60
    assert sch.time_budget(["integer", "matrix"], 2) == (60 + 210) * 1.5
    assert sch.time_budget(["derivation"], 3) > sch.time_budget(["derivation"], 1)


def test_reviews_follow_the_fsrs_package_exactly():
    """Our wrapper gives the very card py-fsrs gives for the same history."""
    ours = None
    ref = fsrs.Card(card_id=sch.card_id("conv.output-size"))
    ref_sched = fsrs.Scheduler(enable_fuzzing=False)
    when = T0
    for rating in (sch.GOOD, sch.GOOD, sch.AGAIN, sch.GOOD, sch.EASY, sch.HARD):
        ours, due = sch.review(ours, "conv.output-size", rating, when)
        ref, _ = ref_sched.review_card(ref, fsrs.Rating(rating), review_datetime=when)
        assert ours == ref.to_dict()
        assert due == ref.due.timestamp()
        when = ref.due + timedelta(hours=1)


def test_intervals_order_again_hard_good_easy():
    dues = {r: sch.review(None, "x.y", r, T0)[1] - T0.timestamp() for r in (1, 2, 3, 4)}
    assert dues[1] <= dues[2] <= dues[3] < dues[4]
    assert dues[1] == 60  # FSRS's first learning step: a minute
    assert dues[4] >= 86400  # easy graduates at once


def test_growing_intervals_for_repeated_success():
    card, when, gaps = None, T0, []
    for _ in range(5):
        card, due = sch.review(card, "x.y", sch.GOOD, when)
        gaps.append(due - when.timestamp())
        when = datetime.fromtimestamp(due, UTC)
    assert gaps[-1] > gaps[-2] > gaps[-3] and gaps[-1] > 5 * 86400


def test_record_review_persists_card_and_log(tmp_path):
    s = open_store(str(tmp_path / "h.db"))
    c1 = sch.record_review(s, "detection.iou", sch.AGAIN, "iou wrong", session_id="s", idx=0, when=T0)
    c2 = sch.record_review(s, "detection.iou", sch.GOOD, "right first time", when=T0 + timedelta(minutes=2))
    assert c1["card_id"] == c2["card_id"] == sch.card_id("detection.iou")
    (card,) = s.cards()
    assert card["reviews"] == 2 and card["card"] == c2
    log = s.review_log()
    assert [r["rating"] for r in log] == [1, 3] and log[0]["reason"] == "iou wrong"
    assert sch.due_cards(s, now=card["due"] + 1)[0]["family_id"] == "detection.iou"
    assert sch.due_cards(s, now=card["due"] - 1) == []
    s.close()
