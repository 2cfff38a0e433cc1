"""``nncheck stats`` (issue 20): every common mistake, explained for any instance, and progress as charts.

Histories are built through the store API with real bank families, their dates set by hand
(local noon, so that no time zone moves a part to another day).
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from datetime import date, datetime, timedelta

import pytest
from typer.testing import CliRunner

from nncheck.cli.app import app
from nncheck.lang.template import placeholders, scan
from nncheck.practice import store as st
from nncheck.practice.store import open_store
from nncheck.render import progress

runner = CliRunner()
ANSI = re.compile(r"\x1b\[")
NUMBER = re.compile(r"\d+(?:\.\d+)?")
#: The moment the constructed histories are reported at: a Wednesday, at noon.
NOW = datetime(2030, 5, 22, 12).timestamp()


def run(*args):
    return runner.invoke(app, list(args))


def noon(days_ago: int) -> float:
    return (datetime.fromtimestamp(NOW).replace(hour=12) - timedelta(days=days_ago)).timestamp()


def _numbers(text: str) -> set[str]:
    return set(NUMBER.findall(text))


def _template_text(template: str) -> str:
    """A bank message without its fields: what the bank itself says."""
    return "".join(a for kind, a, _f, _p in scan(template) if kind == "text")


# ----------------------------------------------------------------------------
# A history with thirteen named mistakes, each answered with its instance's feedback.
# ----------------------------------------------------------------------------
def _templated_mistakes(catalog) -> list[tuple[dict, dict]]:
    """(family record, declared mistake) whose message has template fields, one per mistake id."""
    out, seen = [], set()
    for rec in catalog.records:
        for m in rec.get("mistakes") or []:
            if placeholders(m["message"]) and m["id"] not in seen:
                seen.add(m["id"])
                out.append((rec, m))
    return out


@pytest.fixture
def thirteen(catalog, tmp_path):
    """A history of 13 named mistakes (12 declared with fields in their message, 1 generic), the
    i-th most frequent made 13 - i times; returns (db path, [(mistake id, family, feedback, template)])."""
    from nncheck.generate.variant import make_variant

    chosen = _templated_mistakes(catalog)[:12]
    assert len(chosen) == 12  # the bundled banks have that many messages with fields
    # A generic mistake (no declaration), in a family that does not declare it.
    conv = catalog.get("conv.output-size")
    assert "sign-flipped" not in {m["id"] for m in conv["mistakes"]}
    path = str(tmp_path / "h.sqlite3")
    s = open_store(path)
    sid = s.start_session("quiz", seed=1, config={}, problems=[])
    made = []
    for i, (rec, m) in enumerate(chosen + [(conv, {"id": "sign-flipped", "message": ""})]):
        v = make_variant(rec, 100 + i)
        # As a kind stores it: the rendered message, with the counterexample an expression adds.
        feedback = (v.render(m["message"]) + " (at y = 0.439)") if m["message"] else \
            "sign flipped: the magnitude is right but the sign is not."
        for k in range(13 - i):
            s.record_answer(sid, {"idx": i, "family_id": rec["id"], "topic": rec["topic"],
                                  "part": rec["parts"][0]["name"], "attempt": k + 1, "answer": "1",
                                  "status": "incorrect", "score": 0.0, "mistake": m["id"], "feedback": feedback})
        s.record_part(sid, {"idx": i, "part": rec["parts"][0]["name"], "family_id": rec["id"], "topic": rec["topic"],
                            "outcome": "wrong", "attempts": 13 - i, "hints": 0, "score": 0.0})
        made.append((m["id"], rec["id"], feedback, m["message"]))
    s.close()
    return path, made


def test_every_mistake_is_in_the_json_with_a_generic_explanation(thirteen, monkeypatch):
    path, made = thirteen
    got = json.loads(run("stats", "--db", path, "--json").stdout)["mistakes"]
    assert [m["mistake"] for m in got] == [mid for mid, *_ in made]  # all 13, most frequent first
    assert [m["count"] for m in got] == list(range(13, 0, -1))
    instance_numbers = 0
    for row, (mid, fam, feedback, template) in zip(got, made):
        assert row["families"] == [fam]
        message = row["message"]
        assert message and message != feedback and "0.439" not in message
        assert "{" not in message or "{" in _template_text(template)  # no field left to fill
        if template:
            # Every number in the explanation is the bank's own ("1/n", "ECE 417"), none an instance's.
            assert _numbers(message) <= _numbers(_template_text(template)), (mid, message)
            instance_numbers += len(_numbers(feedback) - _numbers(_template_text(template)) - {"0.439"})
        else:
            assert message == st.GENERIC_MISTAKES[mid]
    assert instance_numbers >= 6  # the premise: the feedback stored did carry instance values


def test_terminal_lists_the_top_mistakes_and_says_how_to_see_the_rest(thirteen, monkeypatch):
    path, made = thirteen
    monkeypatch.setenv("COLUMNS", "250")  # whole ids, one row a line
    ids = [mid for mid, *_ in made]

    def listed(out: str) -> list[str]:
        table = out.partition("Common mistakes")[2].split("Reviews:", 1)[0]
        return [mid for mid in ids if re.search(rf"^\s+\d+\s+{re.escape(mid)}\s", table, re.M)]

    out = run("stats", "--db", path).output
    assert listed(out) == ids[:10]  # the ten most frequent, by default
    assert "3 more common mistakes: nncheck stats --mistakes all" in out
    for _mid, _fam, feedback, _t in made:
        assert feedback not in out
    out = run("stats", "--db", path, "--mistakes", "all").output
    assert listed(out) == ids and "more common mistake" not in out
    out = run("stats", "--db", path, "--mistakes", "12").output
    assert listed(out) == ids[:12] and "1 more common mistake: nncheck stats --mistakes all" in out
    out = run("stats", "--db", path, "--mistakes", "0").output
    assert listed(out) == [] and "13 common mistakes: nncheck stats --mistakes all" in out
    r = run("stats", "--db", path, "--mistakes", "many")
    assert r.exit_code == 2 and "'many'" in r.output


def test_narrow_terminal_folds_ids_instead_of_cutting_them(thirteen):
    path, made = thirteen
    rows = json.loads(run("stats", "--db", path, "--json").stdout)["mistakes"]
    for width in (100, 70):
        con = _console(width)
        con.print(progress.MistakesTable(rows), soft_wrap=True)  # as the command prints it
        lines = con.file.getvalue().splitlines()
        assert max(len(line) for line in lines) <= width
        # Each column read down the table holds every id whole (on one line, or folded).
        head = next(line for line in lines if "what it means" in line)
        cuts = [head.index(" mistake "), head.index(" where "), head.index(" what it means")]
        body = lines[lines.index(head) + 2:]
        ids = "".join(line[cuts[0]:cuts[1]].strip() for line in body)
        where = "".join(line[cuts[1]:cuts[2]].strip() for line in body)
        assert ids == "".join(mid for mid, *_ in made)
        assert where == "".join(fam for _mid, fam, *_ in made)
        whole = sum(mid in line for mid, *_ in made for line in body)
        assert whole == 13 if width == 100 else whole < 13  # wide: one line each; narrow: some folded


# ----------------------------------------------------------------------------
# Explanations.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("template, generic", [
    ("the 1/n is missing: this instance averages over the n = {n_examples} examples",
     "the 1/n is missing: this instance averages over the n examples"),
    ("λ = {lambda} is missing: the penalty is λ·{R_name}", "λ is missing: the penalty is λ·⟨R_name⟩"),
    ("the filter (F = {F}) is larger than the input ({=W1+2*P}×{H1})",
     "the filter (F) is larger than the input (⟨W1+2*P⟩×⟨H1⟩)"),
    ("y ∈ {0, 1} and s_{yᵢ} stay as written", "y ∈ {0, 1} and s_{yᵢ} stay as written"),
    ("a ≥ {low} is kept", "a ≥ ⟨low⟩ is kept"),  # only "=" introduces a value
    ("{wrong_convention}", ""),  # nothing is left to say without an instance
])
def test_generic_message(template, generic):
    assert st.generic_message(template) == generic


def test_explanation_falls_back_from_the_declaration_to_the_generic_to_the_id():
    rec = {"mistakes": [{"id": "half-dropped", "message": "the ½ is missing: this is {loss_text}"},
                        {"id": "wrong-convention", "message": "{wrong_convention}"},
                        {"id": "sign-flipped", "message": "sign flipped: ŷ − y, not y − ŷ"}]}
    assert st.mistake_explanation("half-dropped", rec) == "the ½ is missing: this is ⟨loss_text⟩"
    assert st.mistake_explanation("sign-flipped", rec) == "sign flipped: ŷ − y, not y − ŷ"  # declared wins
    assert st.mistake_explanation("sign-flipped", None) == st.GENERIC_MISTAKES["sign-flipped"]
    assert st.mistake_explanation("wrong-convention", rec) == "wrong convention"
    assert st.mistake_explanation("stride-ignored", None) == "stride ignored"  # a family no bank knows


def test_every_bundled_declared_mistake_explains_itself_without_an_instance(catalog):
    checked = 0
    for rec in catalog.records:
        for m in rec.get("mistakes") or []:
            text = st.mistake_explanation(m["id"], rec)
            assert text, (rec["id"], m["id"])
            assert not placeholders(text), (rec["id"], m["id"], text)
            assert _numbers(text) <= _numbers(_template_text(m["message"])), (rec["id"], m["id"], text)
            checked += 1
    assert checked > 200


def test_same_id_with_different_messages_is_a_row_each(catalog):
    answers = [{"family_id": fam, "mistake": "stride-ignored", "status": "incorrect"}
               for fam in ("conv.output-size", "pool.output-size", "conv.output-size")]
    rows = st.common_mistakes(answers, catalog.by_id.get)
    assert [(r["count"], r["families"]) for r in rows] == [(2, ["conv.output-size"]), (1, ["pool.output-size"])]
    assert "2P" in rows[0]["message"] and "2P" not in rows[1]["message"]
    # Without the banks the id is the explanation, and both families share it.
    assert st.common_mistakes(answers) == [{"mistake": "stride-ignored", "count": 3, "message": "stride ignored",
                                           "families": ["conv.output-size", "pool.output-size"]}]


# ----------------------------------------------------------------------------
# The series and the charts.
# ----------------------------------------------------------------------------
def _part(s, sid, i, topic, outcome, days_ago):
    fam = {"conv": "conv.output-size", "loss": "loss.ce", "optim": "optim.step"}[topic]
    s.record_part(sid, {"idx": i, "part": f"p{i}", "family_id": fam, "topic": topic, "outcome": outcome,
                        "attempts": 1, "hints": 0, "score": float(outcome == "correct")})
    s.conn.execute("UPDATE part_results SET finished_at = ? WHERE idx = ?", (noon(days_ago), i))


@pytest.fixture
def dated(tmp_path):
    """A history over the last three weeks and five review cards, relative to NOW."""
    path = str(tmp_path / "dated.sqlite3")
    s = open_store(path)
    sid = s.start_session("quiz", seed=1, config={}, problems=[])
    rows = [("conv", "correct", 20), ("conv", "wrong", 13),  # before the chart's 14 days, and its first day
            ("conv", "correct", 3), ("conv", "wrong", 3), ("conv", "skipped", 3), ("conv", "correct", 0),
            ("loss", "wrong", 1), ("loss", "revealed", 1), ("loss", "blank", 1),
            ("optim", "correct", 2), ("optim", "correct", 2), ("optim", "correct", 2), ("optim", "wrong", 0)]
    for i, (topic, outcome, ago) in enumerate(rows):
        _part(s, sid, i, topic, outcome, ago)
    for mistake, feedback in (("padding-forgotten", "padding forgotten: the input is 227 + 2·3 wide"),
                              ("sign-flipped", "sign flipped: the magnitude is right but the sign is not."),
                              ("sign-flipped", "sign flipped: the magnitude is right but the sign is not.")):
        s.record_answer(sid, {"idx": 3, "family_id": "conv.output-size", "topic": "conv", "part": "p3",
                              "attempt": 1, "answer": "1", "status": "incorrect", "score": 0.0,
                              "mistake": mistake, "feedback": feedback})
    dues = {"conv.output-size": NOW - 2 * 86400,   # overdue: counted today
            "loss.ce": NOW + 3 * 3600,             # later today
            "optim.step": NOW + 86400,             # tomorrow
            "pool.output-size": noon(-6) + 3600,   # the seventh day
            "detection.iou": noon(-7)}             # the eighth: not in the next 7 days
    for fam, due in dues.items():
        s.update_card(fam, lambda card, due=due: ({"n": 1}, due, {"rating": 3, "reason": "test"}))
    s.close()
    return path


def test_accuracy_and_due_series(dated):
    r = open_store(dated, readonly=True)
    out = st.history_stats(r, now=NOW)
    r.close()
    day = lambda ago: (date.fromtimestamp(NOW) - timedelta(days=ago)).isoformat()  # noqa: E731
    assert out["accuracy_series"] == {
        "conv": [{"date": day(20), "answered": 1, "correct": 1}, {"date": day(13), "answered": 1, "correct": 0},
                 {"date": day(3), "answered": 3, "correct": 1}, {"date": day(0), "answered": 1, "correct": 1}],
        # The blank exam part was never attempted: not in the series, as not in the totals.
        "loss": [{"date": day(1), "answered": 2, "correct": 0}],
        "optim": [{"date": day(2), "answered": 3, "correct": 3}, {"date": day(0), "answered": 1, "correct": 0}],
    }
    assert out["due_series"] == [{"date": day(-k), "count": n} for k, n in enumerate([2, 1, 0, 0, 0, 0, 1])]
    # The series add up to the totals.
    assert sum(p["answered"] for ps in out["accuracy_series"].values() for p in ps) == out["totals"]["parts"]
    assert sum(p["correct"] for ps in out["accuracy_series"].values() for p in ps) == out["totals"]["correct"]


def test_block_heights():
    assert progress.block(0, 0) == progress.NO_PRACTICE
    assert [progress.block(7, k) for k in range(8)] == list(progress.BLOCKS)
    assert progress.block(3, 0) == "▁" and progress.block(3, 3) == "█" and progress.block(2, 1) in "▄▅"


def test_accuracy_chart_columns_are_days(dated):
    r = open_store(dated, readonly=True)
    out = st.history_stats(r, now=NOW)
    r.close()
    con = _console(80)
    con.print(progress.accuracy_chart(out["accuracy_series"], ["loss", "conv", "optim"], date.fromtimestamp(NOW)))
    lines = con.file.getvalue().splitlines()
    rows = {line.split()[0]: line.split()[1] for line in lines[1:4]}
    # 14 columns, oldest first: conv's day 13 (0 of 1) is the first, today the last.
    assert rows == {"loss": "·" * 12 + "▁·", "conv": "▁" + "·" * 9 + "▃··█", "optim": "·" * 11 + "█·▁"}
    assert lines[1].startswith("  loss ") and lines[2].startswith("  conv ")  # in the table's order
    assert lines[1].endswith("2 parts, 0%") and lines[2].endswith("5 parts, 40%")  # over the 14 days only
    assert lines[4].split() == [(date.fromtimestamp(NOW) - timedelta(days=13)).isoformat()[5:], "today"]


def test_charts_with_nothing_to_show():
    today = date.fromtimestamp(NOW)
    con = _console(80)
    old = (today - timedelta(days=30)).isoformat()
    con.print(progress.accuracy_chart({"conv": [{"date": old, "answered": 2, "correct": 1}]}, ["conv"], today))
    assert "no practice in these 14 days" in con.file.getvalue()
    assert progress.due_chart([{"date": today.isoformat(), "count": 0}], today) is None


def test_due_bars_scale_down_past_their_width():
    today = date.fromtimestamp(NOW)
    series = [{"date": (today + timedelta(days=k)).isoformat(), "count": n} for k, n in enumerate([90, 45, 1, 0])]
    con = _console(80)
    con.print(progress.due_chart(series, today))
    bars = [line.count("█") for line in con.file.getvalue().splitlines()[1:]]
    assert bars == [progress.BAR_CELLS, progress.BAR_CELLS // 2, 1, 0]


# ----------------------------------------------------------------------------
# Output: a golden render, and plain text when piped.
# ----------------------------------------------------------------------------
def _console(width: int, **kw):
    from rich.console import Console

    kw.setdefault("color_system", None)
    return Console(file=io.StringIO(), width=width, highlight=False, emoji=False, **kw)


def _report(path: str, width: int, catalog, **kw) -> str:
    r = open_store(path, readonly=True)
    try:
        data = st.history_stats(r, now=NOW, record_of=catalog.by_id.get)
    finally:
        r.close()
    con = _console(width, **kw)
    con.print(progress.stats_view(data, now=NOW), soft_wrap=True)  # as the command prints it
    return con.file.getvalue()


GOLDEN = """\
History: 1 session, 12 parts answered, 50% correct (50% at the first try); 1 exam part left blank.
Streak: 4 days (longest 4; last practised 2030-05-22)
By topic

  topic   parts   correct   first try
 ─────────────────────────────────────
  loss        2        0%          0%
  conv        6       50%         50%
  optim       4       75%         75%

Progress: accuracy by topic, the last 14 days (▁ 0% … █ 100%, · no practice)
  loss   ············▁·  2 parts, 0%
  conv   ▁·········▃··█  5 parts, 40%
  optim  ···········█·▁  4 parts, 75%
         05-09    today

By family

  family             parts   correct   first try   last practised
 ─────────────────────────────────────────────────────────────────
  loss.ce                2        0%          0%   2030-05-21
  conv.output-size       6       50%         50%   2030-05-22
  optim.step             4       75%         75%   2030-05-22

Common mistakes

  times   mistake             where              what it means
 ──────────────────────────────────────────────────────────────────────────────
      2   sign-flipped        conv.output-size   sign flipped: the magnitude
                                                 is right but the sign is not
      1   padding-forgotten   conv.output-size   padding forgotten: the input
                                                 is W₁ + 2P wide once P zeros
                                                 are added on both sides

Reviews: 1 due now; next: loss.ce in 3 h (5 families scheduled).
  due: conv.output-size  → nncheck review
Reviews due, the next 7 days (today's include those overdue)
  today      ██ 2
  Thu 05-23  █ 1
  Fri 05-24  0
  Sat 05-25  0
  Sun 05-26  0
  Mon 05-27  0
  Tue 05-28  █ 1
"""


def test_golden_report_at_80_columns(dated, catalog):
    out = "\n".join(line.rstrip() for line in _report(dated, 80, catalog).splitlines()) + "\n"
    assert out == GOLDEN


def test_colour_only_repeats_what_the_characters_say(dated, catalog):
    coloured = _report(dated, 80, catalog, force_terminal=True, color_system="standard")
    assert ANSI.search(coloured)
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == _report(dated, 80, catalog)


def test_piped_stats_is_plain_text(tmp_path):
    import time

    # Practice today and a review tomorrow, by the clock the command reads: both charts are drawn.
    path = str(tmp_path / "recent.sqlite3")
    s = open_store(path)
    sid = s.start_session("quiz", seed=1, config={}, problems=[])
    for i, outcome in enumerate(("correct", "wrong", "correct")):
        s.record_part(sid, {"idx": i, "part": "W2", "family_id": "conv.output-size", "topic": "conv",
                            "outcome": outcome, "attempts": 1, "hints": 0, "score": 0.0})
    s.update_card("conv.output-size", lambda card: ({"n": 1}, time.time() + 86400, {"rating": 3, "reason": "t"}))
    s.close()
    # Colour allowed (no NO_COLOR, a colour terminal type): only the pipe keeps it out.
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(NNCHECK_DB=path, COLUMNS="100", TERM="xterm-256color")
    r = subprocess.run([sys.executable, "-m", "nncheck", "stats"], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert "Progress: accuracy by topic" in r.stdout and "Reviews due, the next 7 days" in r.stdout
    assert "  conv  " in r.stdout and "3 parts, 67%" in r.stdout
    assert not ANSI.search(r.stdout) and not ANSI.search(r.stderr)
