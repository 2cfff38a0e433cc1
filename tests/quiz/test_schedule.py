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


def unanswered(name="o", hints=0):
    return {"part": name, "outcome": None, "attempts": 0, "hints": hints, "elapsed": 0.0}


@pytest.mark.parametrize("parts, rating, why", [
    # rnn.forward left after its first part: not "easy" — under half the parts right is "again".
    ([part(name="a")] + [unanswered(n) for n in ("h", "o", "yhat", "L")], sch.AGAIN,
     "left with 4 of 5 parts unanswered"),
    ([part(name="a"), part(name="h"), unanswered()], sch.HARD, "left with 1 of 3 parts unanswered"),
    ([part(name="a"), unanswered()], sch.AGAIN, "left with 1 of 2 parts unanswered"),  # left after one part
    ([part(name="a"), part(name="b"), unanswered(), unanswered("p")], sch.AGAIN, "2 of 4 parts unanswered"),
    ([part(name="a"), part(name="b"), unanswered(hints=1)], sch.HARD, "unanswered"),  # a hint is not an answer
    # Tried once, wrong, then the session ended: a wrong part, whatever else was answered.
    ([part(name="a"), {**unanswered("h"), "attempts": 1}], sch.AGAIN, "h tried, not solved"),
    ([part(name="a", attempts=2), part(name="b"), unanswered()], sch.HARD, "unanswered"),
])
def test_unanswered_parts_count_against_the_rating(parts, rating, why):
    got, reason = sch.rate(parts, budget=600.0)
    assert got == rating and why in reason
    # Never better than the same problem with every part answered right at once.
    complete = [part(name=p["part"]) for p in parts]
    assert got < sch.rate(complete, budget=600.0)[0]


def test_share_answered_decides_again_or_hard():
    """Unanswered parts count as not right: half right or less is "again", more than half "hard"."""
    for n in range(2, 8):
        for answered in range(1, n):
            parts = [part(name=f"p{i}") for i in range(answered)] + [unanswered(f"u{i}") for i in range(n - answered)]
            got, _ = sch.rate(parts, budget=600.0)
            assert got == (sch.AGAIN if 2 * answered <= n else sch.HARD), (answered, n)
            if answered == 1:
                assert got == sch.AGAIN  # left after one part: back within minutes, whatever the card


def test_a_problem_with_nothing_answered_is_not_rated():
    with pytest.raises(ValueError):
        sch.rate([unanswered("a", hints=2), unanswered("b")], budget=60.0)


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
    r1 = sch.record_review(s, "detection.iou", sch.AGAIN, "iou wrong", session_id="s", idx=0, when=T0)
    r2 = sch.record_review(s, "detection.iou", sch.GOOD, "right first time", when=T0 + timedelta(minutes=2))
    assert r1.card["card_id"] == r2.card["card_id"] == sch.card_id("detection.iou")
    assert r1.before is None and r2.before == r1.card
    (card,) = s.cards()
    assert card["reviews"] == 2 and card["card"] == r2.card and card["due"] == r2.due
    log = s.review_log()
    assert [r["rating"] for r in log] == [1, 3] and log[0]["reason"] == "iou wrong"
    assert sch.due_cards(s, now=card["due"] + 1)[0]["family_id"] == "detection.iou"
    assert sch.due_cards(s, now=card["due"] - 1) == []
    s.close()


def test_amending_a_session_review_replaces_it(tmp_path):
    """A second, worse problem of one family in one session is the same one review, re-rated
    from the card as it was before the session."""
    s = open_store(str(tmp_path / "h.db"))
    old = sch.record_review(s, "detection.iou", sch.GOOD, "earlier session", session_id="s0", when=T0)
    later = T0 + timedelta(days=3)
    first = sch.record_review(s, "detection.iou", sch.HARD, "a needed a hint", session_id="s1", idx=0, when=later)
    worse = sch.record_review(s, "detection.iou", sch.AGAIN, "b wrong", session_id="s1", idx=2,
                              when=later + timedelta(minutes=5), amend=first)
    assert worse.before == old.card  # reviewed from the card before this session
    expected, due = sch.review(old.card, "detection.iou", sch.AGAIN, later + timedelta(minutes=5))
    (card,) = s.cards()
    assert card["card"] == expected and card["due"] == due == worse.due
    assert card["reviews"] == 2  # the earlier session and this one: not three
    log = s.review_log()
    assert [(r["session_id"], r["rating"], r["idx"]) for r in log] == [("s0", 3, None), ("s1", 1, 2)]
    s.close()


def test_amend_keeps_another_sessions_review(tmp_path):
    """If another session reviewed the family in between, its review is not undone."""
    s = open_store(str(tmp_path / "h.db"))
    mine = sch.record_review(s, "x.y", sch.HARD, "mine", session_id="a", when=T0)
    theirs = sch.record_review(s, "x.y", sch.GOOD, "theirs", session_id="b", when=T0 + timedelta(minutes=1))
    again = sch.record_review(s, "x.y", sch.AGAIN, "mine, worse", session_id="a", amend=mine,
                              when=T0 + timedelta(minutes=2))
    assert again.before == theirs.card
    (card,) = s.cards()
    assert card["reviews"] == 3 and len(s.review_log()) == 3
    s.close()
