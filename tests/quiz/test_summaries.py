"""The end-of-session summary says what happened: tried parts, one review per family, when it comes back,
and the whole command that asks the same problems again."""

from __future__ import annotations

import io
import shlex
import sys
import time

import pytest

from nncheck.practice.session import Planned, Session, quiz_command_line
from nncheck.practice.store import open_store
from nncheck.render.quiz_views import Terminal, next_review, summary_view
from quiz.helpers import typed


@pytest.fixture
def store(tmp_path):
    s = open_store(str(tmp_path / "h.db"))
    yield s
    s.close()


def shown(monkeypatch, session: Session, title: str = "Quiz summary") -> str:
    """The summary as printed to a pipe (100 columns, no colour)."""
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    Terminal().show(summary_view(session, title=title))
    return out.getvalue()


def scheduled(text: str) -> list[str]:
    """The lines under "Reviews scheduled"."""
    lines = text.splitlines()
    at = lines.index("Reviews scheduled (FSRS):")
    return [ln.strip() for ln in lines[at + 1:] if ln.strip()]


def right(session: Session) -> str:
    session.warm()  # the CLI asks for the keys once a problem is on screen
    prob, part = session.current
    return typed(part.kind, prob.key().parts[part.name].exact)


def test_a_part_tried_then_interrupted_is_not_shown_as_not_reached(catalog, store, monkeypatch):
    s = Session(catalog, [Planned("conv.param-count", 3)], mode="quiz", store=store, seed=1)
    s.warm()
    assert s.handle(right(s)).kind == "correct"
    assert s.handle("123456").kind == "retry"  # weights: wrong once
    s.handle(None)  # Ctrl-C at the second try
    text = shown(monkeypatch, s)
    assert "not reached" not in text
    row = next(ln for ln in text.splitlines() if " weights " in ln)
    assert "tried, not solved" in row and row.split()[-3:-1] == ["1", "0"]  # 1 try, 0 hints
    assert "biases" not in text.split("Reviews")[0]  # never shown to the student: not in the table
    (line,) = scheduled(text)
    assert line.startswith("conv.param-count: again (weights tried, not solved) · next in ")


def test_one_line_and_one_schedule_per_family(catalog, store, monkeypatch):
    """A small bank asks one family twice: the summary has one review line for it, with the worse rating."""
    plan = [Planned("conv.param-count", 3), Planned("detection.iou", 4), Planned("conv.param-count", 5)]
    s = Session(catalog, plan, mode="quiz", store=store, seed=1)
    s.warm()
    for _ in range(4):
        assert s.handle(right(s)).kind == "correct"  # problem 1: all right
    assert s.handle("next").kind == "skipped"  # problem 2
    assert s.handle(right(s)).kind == "correct"
    assert s.handle("hint").kind == "hint"
    assert s.handle(right(s)).kind == "correct"
    assert s.handle(right(s)).kind == "correct"  # problem 3: three of four parts (one after a hint), then left
    s.finish("quit")
    lines = scheduled(shown(monkeypatch, s))
    assert [ln.split(":")[0] for ln in lines] == ["conv.param-count", "detection.iou"]
    assert lines[0].startswith("conv.param-count: hard (problem 3: left with 1 of 4 parts unanswered) · next in")
    assert lines[1].startswith("detection.iou: again (I skipped) · next in")
    assert len(store.cards()) == 2 and all(c["reviews"] == 1 for c in store.cards())


def test_a_review_whose_time_passed_during_the_session_is_due_again_now(catalog, store, monkeypatch):
    s = Session(catalog, [Planned("conv.param-count", 3), Planned("detection.iou", 4)], mode="review", store=store)
    s.warm()
    assert s.handle("next").kind == "skipped"  # "again": due in a minute
    assert s.handle("next").kind == "skipped"
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 180)  # the summary comes three minutes later
    lines = scheduled(shown(monkeypatch, s, "Review summary"))
    assert lines and all(ln.endswith(" · due again now") for ln in lines), lines
    assert not any("overdue" in ln for ln in lines)


def test_next_review_wording():
    assert next_review(None, 1000.0) == ""
    assert next_review(1000.0 + 360, 1000.0) == " · next in 6 min"
    assert next_review(1000.0 + 86400, 1000.0) == " · next in 24 h"
    for past in (0, 1, 59, 120, 86400):
        assert next_review(1000.0 - past, 1000.0) == " · due again now"


def test_quiz_summary_ends_with_the_whole_replay_command(catalog, monkeypatch, tmp_path):
    bank = tmp_path / "my banks" / "it's.yaml"  # a path a shell would split or choke on
    config = {"topics": ["conv", "pool"], "families": ["detection.iou"], "count": 7, "difficulty": ["1-2"],
              "banks": [str(bank)]}
    s = Session(catalog, [Planned("conv.param-count", 3)], mode="quiz", seed=345942, config=config)
    s.handle("next")
    text = shown(monkeypatch, s)
    (line,) = [ln for ln in text.splitlines() if ln.startswith("The same problems again: ")]
    cmd = line.removeprefix("The same problems again: ")
    assert cmd == quiz_command_line(345942, config)  # whole, on one line, not wrapped at 100 columns
    assert len(cmd) > 100
    assert shlex.split(cmd) == ["nncheck", "quiz", "--seed", "345942", "-n", "7", "-t", "conv", "-t", "pool",
                                "-f", "detection.iou", "-d", "1-2", "--bank", str(bank)]


def test_only_a_quiz_has_a_replay_command(catalog, monkeypatch):
    s = Session(catalog, [Planned("conv.param-count", 3)], mode="review", config={"count": 3})
    s.handle("next")
    assert "same problems" not in shown(monkeypatch, s, "Review summary")
    assert s.replay_command() is None


def test_replay_command_reads_back_into_the_same_options():
    """Every option of the plan goes through the real option parser of the fast front end unchanged."""
    from nncheck.cli._options import OPTIONS
    from nncheck.cli.fastargs import parse

    config = {"topics": ["conv"], "families": ["a.b", "c.d"], "count": 3, "difficulty": ["easy", "2-3"],
              "banks": ["/tmp/x y/b.yaml"]}
    words = shlex.split(quiz_command_line(12, config))
    assert words[:2] == ["nncheck", "quiz"]
    got = parse(OPTIONS["quiz"], words[2:])
    assert got is not None
    assert (got["seed"], got["count"], got["topic"], got["family"], got["difficulty"], got["bank"]) == (
        12, 3, ["conv"], ["a.b", "c.d"], ["easy", "2-3"], ["/tmp/x y/b.yaml"])
