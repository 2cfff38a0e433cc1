"""The session core without a terminal: attempts, commands, recording, exams, plans."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from nncheck.errors import AnswerKeyError, NNCheckError
from nncheck.key.compute import answer_key
from nncheck.practice.session import (
    EXAM_MAX_PARTS,
    PRACTICE_COMMANDS,
    KeyWorker,
    Planned,
    Session,
    allocate,
    command_of,
    exam_group,
    parse_difficulty,
    plan_exam,
    plan_quiz,
    plan_review,
)
from nncheck.practice.store import open_store
from quiz.helpers import key_for, typed


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


@pytest.fixture
def store(tmp_path):
    s = open_store(str(tmp_path / "h.db"))
    yield s
    s.close()


def pick_seed(catalog, family, ok, start=1):
    """The first variant seed whose key satisfies ``ok`` (keeps tests independent of draws)."""
    for seed in range(start, start + 200):
        key = key_for(catalog, family, seed)
        if ok(key):
            return seed, key
    raise AssertionError("no suitable seed")


def test_practice_rules_end_to_end(catalog, store):
    seed, key = pick_seed(catalog, "conv.param-count",
                          lambda k: k.parts["per_filter"].exact != 1 and k.mistakes_for("total"))
    clock = Clock()
    s = Session(catalog, [Planned("conv.param-count", seed)], mode="quiz", store=store, seed=1, clock=clock)
    right = {n: typed(kp.kind, kp.exact) for n, kp in key.parts.items()}
    prob, part = s.current
    assert part.name == "per_filter"

    ev = s.handle("hint")
    assert ev.kind == "hint" and ev.number == 1 and ev.text == prob.hints()[0]
    ev = s.handle("3 +* 4")
    assert ev.kind == "invalid" and ev.verdict.caret() and part.attempts == 0  # costs no attempt
    assert s.handle("   ").kind == "empty"
    clock.t += 30
    ev = s.handle(str(int(right["per_filter"]) + 1))
    assert ev.kind == "retry" and ev.verdict.status == "incorrect" and part.attempts == 1
    clock.t += 30
    ev = s.handle(right["per_filter"])
    assert ev.kind == "correct" and part.outcome == "correct" and part.attempts == 2 and part.hints == 1
    assert part.elapsed == pytest.approx(60)

    assert s.current[1].name == "weights"
    ev = s.handle("solution")
    assert ev.kind == "revealed" and s.problems[0].parts[1].outcome == "revealed"

    assert s.current[1].name == "biases"
    assert s.handle("0").kind == "retry"
    ev = s.handle("0")
    assert ev.kind == "wrong" and s.problems[0].parts[2].outcome == "wrong"  # then the worked solution

    mid, _msg, value = key.mistakes_for("total")[0]
    ev = s.handle(typed("integer", value))
    assert ev.kind == "retry" and ev.verdict.mistake == mid  # the named mistake
    ev = s.handle("quit")
    assert ev.kind == "quit" and s.finished and s.ended == "quit"

    stored = store.load_session(s.session_id)
    assert stored["status"] == "quit"
    assert [(a["part"], a["status"]) for a in stored["answers"]] == [
        ("per_filter", "incorrect"), ("per_filter", "correct"), ("biases", "incorrect"), ("biases", "incorrect"),
        ("total", "incorrect")]
    assert stored["answers"][-1]["mistake"] == mid
    assert stored["answers"][1]["hints"] == 1 and stored["answers"][1]["elapsed"] == pytest.approx(60)
    assert {r["part"]: r["outcome"] for r in stored["part_results"]} == {
        "per_filter": "correct", "weights": "revealed", "biases": "wrong"}
    # Quitting mid-problem still reviews what was answered: a revealed part makes it "again".
    (card,) = store.cards()
    assert card["family_id"] == "conv.param-count"
    assert store.review_log()[0]["rating"] == 1
    assert [r["rating"] for r in s.ratings()] == ["again"]


def test_skip_and_next(catalog, store):
    s = Session(catalog, [Planned("conv.param-count", 3), Planned("conv.param-count", 4)], mode="quiz",
                store=store, seed=1)
    assert s.handle("skip").kind == "skipped"
    assert s.current[1].name == "weights"
    ev = s.handle("next")
    assert ev.kind == "skipped" and ev.text == "problem"
    assert s.current[0].index == 1
    assert [p.outcome for p in s.problems[0].parts] == ["skipped"] * 4
    assert store.review_log()[0]["rating"] == 1


def test_exam_has_no_feedback_one_attempt_and_revisits_skips(catalog, store):
    seed, key = pick_seed(catalog, "conv.param-count", lambda k: True)
    clock = Clock()
    s = Session(catalog, [Planned("conv.param-count", seed, ["weights", "biases", "total"])], mode="exam",
                store=store, seed=9, minutes=10, clock=clock)
    right = {n: typed(kp.kind, kp.exact) for n, kp in key.parts.items()}
    assert s.handle("hint").kind == "unavailable"
    assert s.handle("solution").kind == "unavailable"
    assert s.handle("skip").kind == "skipped"
    assert s.current[1].name == "biases"
    assert s.handle("bogus(").kind == "invalid"
    ev = s.handle("0")
    assert ev.kind == "answered" and s.problems[0].parts[1].outcome == "wrong"  # no second attempt
    assert s.handle(right["total"]).kind == "answered"
    assert s.current[1].name == "weights" and s.second_pass()  # back to the skipped part
    clock.t += 120
    assert s.handle("time").kind == "time-left" and s.time_left() == pytest.approx(480)
    assert s.handle(right["weights"]).kind == "answered"
    assert s.current is None  # every part answered
    s.finish("finished")
    assert s.totals() == {"parts": 3, "correct": 2, "score": 2.0, "percent": 66.7}
    assert store.load_session(s.session_id)["status"] == "finished"
    assert store.review_log()[0]["rating"] == 1  # rated at the end: a wrong part is "again"


def test_exam_time_up_and_submit_leave_blanks(catalog, store):
    clock = Clock()
    s = Session(catalog, [Planned("conv.param-count", 5, ["weights", "total"])], mode="exam", store=store,
                seed=1, minutes=1, clock=clock)
    clock.t += 61
    assert s.time_up()
    assert s.handle("12").kind == "time"  # an answer after the end is not graded
    s.finish("time")
    assert [p.outcome for p in s.problems[0].parts] == ["blank", "blank"]
    assert store.answer_rows() == []
    assert store.review_log() == []  # nothing answered: nothing to rate


def test_exam_suspend_and_resume_keep_answers_and_clock(catalog, store):
    seed, key = pick_seed(catalog, "conv.param-count", lambda k: True)
    clock = Clock()
    plan = [Planned("conv.param-count", seed, ["weights", "total"]), Planned("conv.output-size", 7, ["D2"])]
    s = Session(catalog, plan, mode="exam", store=store, seed=2, minutes=30, clock=clock, config={"minutes": 30})
    clock.t += 100
    s.handle(typed("integer", key.parts["weights"].exact))
    clock.t += 50
    assert s.handle("quit").kind == "suspended"
    stored = store.load_session(s.session_id)
    assert stored["status"] == "suspended" and stored["active_seconds"] == pytest.approx(150)

    clock2 = Clock()
    r = Session.resume(catalog, stored, store=store, clock=clock2)
    assert r.session_id == s.session_id and r.seed == 2 and r.minutes == 30
    assert r.problems[0].parts[0].outcome == "correct" and r.problems[0].parts[0].answer
    assert r.current[1].name == "total"
    assert r.time_left() == pytest.approx(30 * 60 - 150)
    clock2.t += 10
    r.handle("submit")
    assert r.ended == "finished"
    assert [p.outcome for p in r.problems[1].parts] == ["blank"]
    assert store.load_session(s.session_id)["active_seconds"] == pytest.approx(160)


def test_refused_key_draws_a_fresh_instance(catalog, store):
    bad_seed = 11

    def compute(v):
        if v.seed == bad_seed:
            raise AnswerKeyError("the two computations disagree")
        return answer_key(v)

    s = Session(catalog, [Planned("conv.param-count", bad_seed)], mode="quiz", store=store, seed=1,
                worker=KeyWorker(compute))
    s.warm()
    ev = s.handle("12")
    assert ev.kind == "refused" and "disagree" in ev.error
    assert s.problems[0].variant.seed != bad_seed
    key = s.problems[0].key()
    assert s.handle(typed("integer", key.parts["per_filter"].exact)).kind == "correct"
    assert {p["seed"] for p in store.load_session(s.session_id)["problems"]} == {s.problems[0].variant.seed}


def test_commands_are_whole_words_only():
    assert command_of(" Hint ", PRACTICE_COMMANDS) == "hint"
    assert command_of("q", PRACTICE_COMMANDS) == "quit"
    assert command_of("h", PRACTICE_COMMANDS) is None  # may be an expression answer
    assert command_of("hint me", PRACTICE_COMMANDS) is None
    assert command_of("submit", PRACTICE_COMMANDS) == "submit"  # recognised, then refused as unavailable


# ----------------------------------------------------------------------------
# Plans.
# ----------------------------------------------------------------------------
def test_quiz_plan_is_reproducible_and_cycles_families(catalog):
    a = plan_quiz(catalog, topics=["conv"], count=7, seed=42)
    b = plan_quiz(catalog, topics=["conv"], count=7, seed=42)
    assert [(p.family_id, p.seed) for p in a] == [(p.family_id, p.seed) for p in b]
    ids = [p.family_id for p in a]
    n = len(catalog.select(topics=["conv"]))
    assert len(set(ids[:n])) == n  # every family once before any repeat
    assert all(x != y for x, y in zip(ids, ids[1:]))
    assert [p.family_id for p in plan_quiz(catalog, topics=["conv"], count=7, seed=43)] != ids or n == 1


def test_quiz_plan_difficulty_and_errors(catalog):
    easy = plan_quiz(catalog, count=20, seed=1, difficulty=parse_difficulty(["easy"]))
    assert all(catalog.get(p.family_id).get("difficulty", 2) == 1 for p in easy)
    assert parse_difficulty(["1-2", "hard"]) == {1, 2, 3}
    with pytest.raises(NNCheckError, match="unknown difficulty"):
        parse_difficulty(["brutal"])
    with pytest.raises(NNCheckError, match="unknown topic"):
        plan_quiz(catalog, topics=["astrology"], count=1, seed=1)


class FakeCatalog:
    def __init__(self, records):
        self.records = records
        self.by_id = {r["id"]: r for r in records}

    def get(self, fid):
        return self.by_id[fid]


def fam(fid, topic, **kw):
    return {"id": fid, "topic": topic, **kw}


def test_exam_groups_follow_the_seed_topics():
    assert exam_group(fam("backprop.two-layer", "backprop")).key == "nn"
    assert exam_group(fam("softmax.forward", "softmax")).key == "nn"
    assert exam_group(fam("conv.output-size", "conv")).key == "cnn"
    assert exam_group(fam("detection.iou", "detection")).key == "cnn"
    assert exam_group(fam("backprop.total-derivative", "backprop")).key == "rnn"
    assert exam_group(fam("rnn.bptt", "rnn")).key == "rnn"
    assert exam_group(fam("lstm.bptt", "lstm")).key == "lstm"
    assert exam_group(fam("derive.lstm-dc", "derivation")).key == "lstm"
    assert exam_group(fam("knn.distance", "knn")) is None
    assert exam_group(fam("conv.forward", "conv", exam=False)) is None


def test_exam_plan_shape_and_weights():
    recs = ([fam(f"backprop.f{i}", "backprop") for i in range(6)] + [fam(f"conv.f{i}", "conv") for i in range(6)]
            + [fam(f"rnn.f{i}", "rnn") for i in range(6)] + [fam(f"lstm.f{i}", "lstm") for i in range(6)]
            + [fam("knn.distance", "knn")])
    cat = FakeCatalog(recs)
    totals = Counter()
    for seed in range(200):
        plan = plan_exam(cat, seed=seed)
        assert 8 <= len(plan) <= 10
        groups = Counter(p.group for p in plan)
        assert max(groups.values()) - min(groups.values()) <= 1  # equal weights, 8-10 over 4 topics
        assert "knn.distance" not in {p.family_id for p in plan}
        assert max(Counter(p.family_id for p in plan).values()) == 1
        totals.update(groups)
        assert [(p.family_id, p.seed) for p in plan] == [(p.family_id, p.seed) for p in plan_exam(cat, seed=seed)]
    share = {k: v / sum(totals.values()) for k, v in totals.items()}
    assert all(abs(x - 0.25) < 0.02 for x in share.values()), share


def test_exam_plan_caps_repeats_and_moves_quota():
    cat = FakeCatalog([fam("lstm.only", "lstm")] + [fam(f"conv.f{i}", "conv") for i in range(8)])
    for seed in range(50):
        plan = plan_exam(cat, seed=seed)
        assert Counter(p.family_id for p in plan)["lstm.only"] == 2
        assert 8 <= len(plan) <= 10


def test_exam_parts_are_one_to_three(catalog):
    for seed in range(1, 6):
        s = Session(catalog, plan_exam(catalog, seed=seed), mode="exam", seed=seed, minutes=180)
        for p in s.problems:
            assert 1 <= len(p.parts) <= EXAM_MAX_PARTS
            names = [ps.name for ps in p.parts]
            order = [q["name"] for q in p.variant.parts]
            assert names == [n for n in order if n in names]  # kept in the problem's order


def test_allocate_largest_remainder():
    assert allocate(9, {"a": 1, "b": 1, "c": 1}, random.Random(0)) == {"a": 3, "b": 3, "c": 3}
    got = allocate(10, {"a": 1, "b": 1, "c": 1, "d": 1}, random.Random(0))
    assert sorted(got.values()) == [2, 2, 3, 3]


def test_review_plan_draws_fresh_seeds(catalog):
    seen = {"conv.output-size": set(range(1, 1_000_000, 2))}
    plan, missing = plan_review(catalog, ["conv.output-size", "gone.family", "detection.iou"], count=5,
                                seen=lambda f: seen.get(f, set()), never_seen=["pool.output-size"], new=1)
    assert missing == ["gone.family"]
    assert [p.family_id for p in plan] == ["conv.output-size", "detection.iou", "pool.output-size"]
    assert plan[0].seed % 2 == 0 or plan[0].seed >= 1_000_000


def test_key_worker_computes_in_order_and_drops_what_nobody_needs():
    import threading

    gate = threading.Event()
    order = []

    def compute(v):
        order.append(v)
        gate.wait(10)
        return v * 10

    w = KeyWorker(compute)
    futs = [w.submit(i) for i in range(3)]
    while not order:  # the first one is running
        threading.Event().wait(0.01)
    w.cancel_pending()
    gate.set()
    assert futs[0].result(10) == 0
    assert futs[1].cancelled() and futs[2].cancelled()
    assert w.submit(7).result(10) == 70 and order == [0, 7]


# ----------------------------------------------------------------------------
# Ratings of the whole problem, one review per family per session.
# ----------------------------------------------------------------------------
def answer_parts(s, key, n):
    """Answer the current problem's next ``n`` parts right at the first try."""
    for _ in range(n):
        _prob, part = s.current
        assert s.handle(typed(part.kind, key.parts[part.name].exact)).kind == "correct"


@pytest.mark.parametrize("mode", ["quiz", "review"])
@pytest.mark.parametrize("family, answered, rating", [
    ("rnn.forward", 1, "again"),       # the case: (a) of five parts, then quit
    ("conv.param-count", 1, "again"),  # 1 of 4
    ("conv.param-count", 2, "again"),  # 2 of 4: half is not enough
    ("conv.param-count", 3, "hard"),   # 3 of 4: at best hard
    ("conv.param-count", 4, None),     # all of them: rated from the answers alone
])
def test_leaving_a_problem_counts_its_unanswered_parts(catalog, store, mode, family, answered, rating):
    import time

    seed, key = pick_seed(catalog, family, lambda k: True)
    s = Session(catalog, [Planned(family, seed), Planned("conv.output-size", 3)], mode=mode, store=store, seed=1)
    answer_parts(s, key, answered)
    if rating is not None:
        assert s.handle("quit").kind == "quit"
    else:
        s.finish("quit")  # on the next problem, nothing answered there: only the finished problem counts
    (rev,) = s.ratings()
    n = len(s.problems[0].parts)
    if rating is None:
        assert rev["rating"] in ("good", "easy")
        return
    assert rev["rating"] == rating and rev["reason"] == f"left with {n - answered} of {n} parts unanswered"
    (card,) = store.cards()
    assert card["due"] - time.time() < 15 * 60  # comes back within minutes, not "next in 48 h"
    assert store.review_log()[0]["reason"] == rev["reason"]


def test_end_of_input_after_a_wrong_try_is_tried_not_reached(catalog, store):
    seed, key = pick_seed(catalog, "conv.param-count", lambda k: k.parts["per_filter"].exact != 1)
    s = Session(catalog, [Planned("conv.param-count", seed)], mode="quiz", store=store, seed=1)
    answer_parts(s, key, 1)
    assert s.handle("1").kind == "retry"  # weights: one wrong try
    assert s.handle(None).kind == "quit"  # Ctrl-C / Ctrl-D at the second try
    rows = {r["part"]: r for r in s.rows()}
    assert rows["weights"]["outcome"] is None and rows["weights"]["result"] == "tried, not solved"
    assert rows["weights"]["attempts"] == 1
    assert "biases" not in rows  # never shown: not listed
    (rev,) = s.ratings()
    assert (rev["rating"], rev["reason"]) == ("again", "weights tried, not solved")


def test_a_wrong_try_alone_is_still_a_review(catalog, store):
    """Ctrl-C after one wrong try at the first part: that problem was practised (and failed)."""
    s = Session(catalog, [Planned("conv.param-count", 3)], mode="quiz", store=store, seed=1)
    assert s.handle("12345").kind == "retry"
    s.handle(None)
    assert [r["rating"] for r in s.ratings()] == ["again"] and len(store.review_log()) == 1


@pytest.mark.parametrize("first_skipped", [False, True])
def test_a_family_asked_twice_is_one_review_with_the_worse_rating(catalog, store, first_skipped):
    fam_ = "conv.param-count"
    (s1, k1), (s2, k2) = pick_seed(catalog, fam_, lambda k: True), pick_seed(catalog, fam_, lambda k: True, start=300)
    s = Session(catalog, [Planned(fam_, s1), Planned("conv.output-size", 5), Planned(fam_, s2)], mode="quiz",
                store=store, seed=1)
    if first_skipped:
        assert s.handle("next").kind == "skipped"
    else:
        answer_parts(s, k1, 4)
    assert s.handle("next").kind == "skipped"  # conv.output-size: again
    if first_skipped:
        answer_parts(s, k2, 4)
    else:
        assert s.handle("next").kind == "skipped"
    assert s.finished
    revs = {r["id"]: r for r in s.ratings()}
    assert set(revs) == {fam_, "conv.output-size"}
    worst = 1 if first_skipped else 3
    assert revs[fam_]["rating"] == "again" and revs[fam_]["problems"] == [1, 3] and revs[fam_]["problem"] == worst
    assert [p.rating is not None for p in s.problems] == [True, True, True]  # each problem rated on its own
    cards = {c["family_id"]: c for c in store.cards()}
    assert cards[fam_]["reviews"] == 1  # one schedule update, not two
    log = [r for r in store.review_log() if r["family_id"] == fam_]
    assert [(r["rating"], r["idx"]) for r in log] == [(1, worst - 1)]
    assert cards[fam_]["due"] == pytest.approx(revs[fam_]["next_due"])
    # The schedule is the one a single "again" review of a new card gives: FSRS's first step.
    assert cards[fam_]["card"]["step"] == 0 and cards[fam_]["card"]["state"] == 1


def test_an_exam_with_a_family_twice_rates_it_once(catalog, store):
    plan = [Planned("conv.param-count", 3, ["weights"]), Planned("conv.param-count", 4, ["total"])]
    s = Session(catalog, plan, mode="exam", store=store, seed=1, minutes=10)
    s.warm()
    key = s.problems[0].key()
    assert s.handle(typed("integer", key.parts["weights"].exact)).kind == "answered"
    assert s.handle("0").kind == "answered"
    s.finish("finished")
    (rev,) = s.ratings()
    assert rev["rating"] == "again" and rev["problems"] == [1, 2] and rev["problem"] == 2
    assert store.cards()[0]["reviews"] == 1 and len(store.review_log()) == 1
