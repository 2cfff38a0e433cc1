"""quiz, exam, review and stats driven end to end with CliRunner(input=...)."""

from __future__ import annotations

import json
import os
import re

import pytest
from typer.testing import CliRunner

from nncheck.cli.app import app
from quiz.helpers import key_for, quiz_seeds, rows, typed

runner = CliRunner()
FAM = "conv.param-count"


def run(*args, input=None):
    return runner.invoke(app, list(args), input=input)


@pytest.fixture
def db():
    return os.environ["NNCHECK_DB"]


def quiz_key(catalog, seed=7, count=1):
    (vseed, *_) = quiz_seeds(catalog, FAM, count, seed)
    return vseed, key_for(catalog, FAM, vseed)


def test_interactive_quiz_invalid_wrong_hint_solution_quit(catalog, db):
    # Session seed chosen so that the wrong guesses below are really wrong for its variant.
    for sseed in range(1, 100):
        vseed, key = quiz_key(catalog, sseed)
        if key.parts["per_filter"].exact != 1 and key.mistakes_for("total"):
            break
    right = {n: typed(kp.kind, kp.exact) for n, kp in key.parts.items()}
    mistake_id, mistake_msg, mistake_value = key.mistakes_for("total")[0]
    script = "\n".join([
        "help",
        "hint",                                  # a hint
        "3 +* 4",                                # invalid: caret, no attempt
        str(int(right["per_filter"]) + 1),       # wrong: feedback, one more try
        right["per_filter"],                     # right at the second try
        "solution",                              # the worked solution
        "0", "0",                                # biases wrong twice: then the solution
        typed("integer", mistake_value),         # a named mistake
        "quit",
    ]) + "\n"
    r = run("quiz", "--family", FAM, "-n", "1", "--seed", str(sseed), input=script)
    out = r.output
    assert r.exit_code == 0, out
    assert "Problem 1 of 1" in out and FAM in out and f"seed {vseed}" in out
    assert "hint" in out and "solution" in out and "quit" in out  # the help
    assert "hint 1/" in out
    assert "3 +* 4" in out and "^" in out and "costs no attempt" in out
    assert "One more try." in out
    assert out.count("✓ correct") == 1
    assert "solution for (b) weights" in out and f"answer: {right['weights']}" in out
    assert "solution for (c) biases" in out and f"answer: {right['biases']}" in out
    assert f"mistake: {mistake_msg}" in out
    assert "Quiz summary" in out and "correct, 2nd try" in out and "solution shown" in out
    assert "Reviews scheduled (FSRS)" in out and "again" in out
    assert "Traceback" not in out

    (sess,) = rows(db, "SELECT * FROM sessions")
    assert sess["mode"] == "quiz" and sess["status"] == "quit" and sess["seed"] == sseed
    got = rows(db, "SELECT part, attempt, answer, status, mistake FROM answers ORDER BY id")
    assert [(g["part"], g["status"]) for g in got] == [
        ("per_filter", "incorrect"), ("per_filter", "correct"), ("biases", "incorrect"), ("biases", "incorrect"),
        ("total", "incorrect")]
    assert got[-1]["mistake"] == mistake_id
    assert rows(db, "SELECT seed FROM problems") == [{"seed": vseed}]


def test_quiz_piped_to_the_end_with_json_summary(catalog, db):
    vseed, key = quiz_key(catalog, 3)
    answers = [typed(kp.kind, kp.exact) for kp in key.parts.values()]
    r = run("quiz", "--family", FAM, "-n", "1", "--seed", "3", "--json", input="\n".join(answers) + "\n")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)  # the session itself went to stderr
    assert "Problem 1 of 1" in r.stderr
    assert data["status"] == "finished" and data["seed"] == 3 and data["mode"] == "quiz"
    assert data["totals"] == {"parts": 4, "correct": 4, "score": 4.0, "percent": 100.0}
    assert all(p["outcome"] == "correct" and p["attempts"] == 1 for p in data["parts"])
    assert data["reviews"][0]["id"] == FAM and data["reviews"][0]["rating"] in ("good", "easy")


def test_quiz_end_of_input_ends_the_session(catalog, db):
    r = run("quiz", "--family", FAM, "-n", "2", "--seed", "5", input="")
    assert r.exit_code == 0 and "No parts were answered." in r.output
    assert rows(db, "SELECT status FROM sessions") == [{"status": "quit"}]


def test_quiz_first_run_creates_the_data_directory(monkeypatch, tmp_path):
    data = tmp_path / "fresh" / "data"
    monkeypatch.delenv("NNCHECK_DB")
    monkeypatch.setenv("NNCHECK_DATA_DIR", str(data))
    r = run("quiz", input="quit\n")
    assert r.exit_code == 0, r.output
    assert "Problem 1 of 5" in r.output
    assert (data / "history.sqlite3").exists()


def test_quiz_db_option_overrides_env(tmp_path, db):
    other = tmp_path / "other.sqlite3"
    r = run("quiz", "--family", FAM, "-n", "1", "--db", str(other), input="quit\n")
    assert r.exit_code == 0
    assert rows(str(other), "SELECT mode FROM sessions") == [{"mode": "quiz"}]
    assert not os.path.exists(db)


def one_line_error(r, *fragments):
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.output.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in r.output, r.output
    for f in fragments:
        assert f in lines[0], lines[0]


def test_corrupt_database_is_one_line_with_a_way_out(tmp_path):
    bad = tmp_path / "history.sqlite3"
    bad.write_bytes(b"\x00garbage" * 500)
    before = bad.read_bytes()
    for cmd in (["quiz"], ["exam"], ["review"], ["stats"]):
        r = run(*cmd, "--db", str(bad), input="1\n")
        one_line_error(r, str(bad), "--db")
        assert "Problem" not in r.output  # refused before anything is asked
    assert bad.read_bytes() == before


def test_unwritable_database_location_is_one_line(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    one_line_error(run("quiz", "--db", str(blocker / "h.sqlite3"), input="1\n"), "cannot create", "--db")


def test_exam_suspend_resume_and_report(catalog, db):
    r = run("exam", "--seed", "4", input="1\nskip\nquit\n")
    assert r.exit_code == 0, r.output
    out = r.output
    assert "Exam" in out and "No feedback until the end" in out
    assert "[3:00:00]" in out or "[2:59:5" in out  # the countdown in every prompt
    assert "recorded." in out and "left for later" in out and "Exam suspended" in out
    assert not re.search(r"\b(in)?correct\b", out.lower())  # no feedback in the exam ("correctly rounded": the rule)
    (sess,) = rows(db, "SELECT * FROM sessions")
    assert sess["status"] == "suspended" and sess["mode"] == "exam"
    n_problems = len(rows(db, "SELECT idx FROM problems"))
    assert 8 <= n_problems <= 10
    assert rows(db, "SELECT answer, status FROM answers")[0]["answer"] == "1"

    r = run("exam", "--json", input="submit\nno\nsubmit\nyes\n")
    assert r.exit_code == 0, r.output
    assert "(resumed)" in r.stderr and "Hand in now?" in r.stderr
    assert "Exam report" in r.stderr and "Worked solutions" in r.stderr
    data = json.loads(r.stdout)
    assert data["status"] == "finished" and data["seed"] == 4 and data["minutes"] == 180
    assert data["parts"][0]["answer"] == "1" and data["parts"][0]["correct_answer"] is not None
    assert data["parts"][0]["solution"]
    assert sum(1 for p in data["parts"] if p["outcome"] == "blank") == len(data["parts"]) - 1
    assert rows(db, "SELECT status FROM sessions") == [{"status": "finished"}]
    # The next exam starts afresh.
    r = run("exam", "--seed", "4", "--minutes", "30", input="quit\n")
    assert "(resumed)" not in r.output and "0:30:00" in r.output.replace(" 30:00", " 0:30:00")


def test_exam_new_sets_the_unfinished_one_aside(db):
    run("exam", "--seed", "1", input="quit\n")
    r = run("exam", "--new", "--seed", "2", input="quit\n")
    assert "set aside" in r.output
    assert sorted(x["status"] for x in rows(db, "SELECT status FROM sessions")) == ["abandoned", "suspended"]
    r = run("exam", "--resume", input="quit\n")
    assert "(resumed)" in r.output and "Seed 2" in r.output


def test_exam_resume_without_one_is_an_error():
    one_line_error(run("exam", "--resume"), "no unfinished exam")


def test_review_draws_fresh_instances_of_due_families(catalog, db):
    vseed, key = quiz_key(catalog, 11)
    run("quiz", "--family", FAM, "-n", "1", "--seed", "11", input="solution\nquit\n")
    r = run("review")
    assert "Nothing is due" in r.output and "in 1 min" in r.output
    # Let time pass: make the card due now.
    import sqlite3

    conn = sqlite3.connect(db)
    conn.execute("UPDATE cards SET due = 0")
    conn.commit()
    conn.close()
    r = run("review", "--list")
    assert f"Due now (1): {FAM}" in r.output
    r = run("review", "--json", input="quit\n")
    assert r.exit_code == 0, r.output
    assert "Review: 1 due" in r.stderr
    data = json.loads(r.stdout)
    assert data["mode"] == "review"
    seeds = [x["seed"] for x in rows(db, "SELECT p.seed FROM problems p JOIN sessions s ON s.id = p.session_id "
                                         "WHERE s.mode = 'review'")]
    assert seeds and vseed not in seeds  # a fresh variant


def test_review_new_families_for_a_beginner():
    r = run("review")
    assert "nncheck quiz" in r.output and "--new" in r.output
    r = run("review", "--new", "1", "--topic", "pool", input="quit\n")
    assert "Review: 0 due + 1 new" in r.output and "pool." in r.output


def test_stats_json_and_text(catalog, db):
    assert json.loads(run("stats", "--json").stdout)["totals"]["parts"] == 0
    assert not os.path.exists(db)  # a report never creates the database
    assert "No answers yet" in run("stats").output
    vseed, key = quiz_key(catalog, 2)
    mid, _msg, value = key.mistakes_for("total")[0] if key.mistakes_for("total") else (None, None, None)
    answers = [typed(key.parts[n].kind, key.parts[n].exact) for n in ("per_filter", "weights", "biases")]
    wrong_total = typed("integer", value) if value is not None else "0"
    run("quiz", "--family", FAM, "-n", "1", "--seed", "2", input="\n".join(answers + [wrong_total, "0"]) + "\n")
    st = json.loads(run("stats", "--json").stdout)
    assert st["totals"]["parts"] == 4 and st["totals"]["correct"] == 3
    assert st["families"][0]["family_id"] == FAM and st["families"][0]["accuracy"] == 0.75
    assert st["topics"][0]["topic"] == "conv"
    assert st["streak"]["current"] == 1
    assert st["reviews"]["cards"] == 1
    if mid:
        assert st["mistakes"][0]["mistake"] == mid
    text = run("stats").output
    assert "By topic" in text and "By family" in text and "Streak: 1 day" in text and "Reviews:" in text


def test_exam_running_in_another_process_is_not_taken_over(db):
    import sqlite3
    import subprocess
    import sys

    run("exam", "--seed", "5", input="quit\n")
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        conn = sqlite3.connect(db)
        conn.execute("UPDATE sessions SET status = 'active', pid = ?", (other.pid,))
        conn.commit()
        conn.close()
        one_line_error(run("exam", input="quit\n"), "another nncheck", f"pid {other.pid}", "--resume")
    finally:
        other.kill()
        other.wait()
    r = run("exam", input="quit\n")  # that process is gone: resume
    assert "(resumed)" in r.output


def test_history_failing_mid_session_stops_loudly_with_the_summary(catalog, monkeypatch):
    from nncheck.practice import store as st

    vseed, key = quiz_key(catalog, 9)
    right = typed("integer", key.parts["per_filter"].exact)
    real = st.Store.record_answer
    calls = []

    def flaky(self, sid, row, **kw):
        calls.append(row["answer"])
        if len(calls) == 2:
            raise st.StoreError(f"could not save your answer: {self.path}: database or disk is full",
                                hint=st.WAY_OUT)
        return real(self, sid, row, **kw)

    monkeypatch.setattr(st.Store, "record_answer", flaky)
    r = run("quiz", "--family", FAM, "-n", "1", "--seed", "9", input=f"{right}\n{right}\n{right}\n")
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "Quiz summary" in r.stdout and "correct" in r.stdout  # what was done is still shown
    assert r.stderr.strip().splitlines() == [
        f"nncheck: error: could not save your answer: {os.environ['NNCHECK_DB']}: database or disk is full "
        f"({st.WAY_OUT})"]


def test_the_replay_command_in_the_summary_asks_the_same_problems(tmp_path, monkeypatch):
    """The printed command, run as printed (from another directory), draws the same ids and seeds."""
    import shlex
    import shutil
    from pathlib import Path

    bank_dir = tmp_path / "my bank"
    bank_dir.mkdir()
    shutil.copy(Path(__file__).parents[2] / "docs" / "examples" / "dilated-conv.yaml", bank_dir)
    monkeypatch.chdir(tmp_path)

    def drawn(args: list[str]) -> tuple[list[tuple[int, str, int]], str]:
        r = run(*args, "--json", input="next\n" * 8)
        assert r.exit_code == 0, r.output
        data = json.loads(r.stdout)
        assert f"The same problems again: {data['replay']}" in r.stderr
        return sorted({(p["problem"], p["id"], p["seed"]) for p in data["parts"]}), r.stderr

    first, shown = drawn(["quiz", "-t", "conv", "-t", "pool", "-n", "6", "-d", "1-2", "--bank", "my bank",
                          "--seed", "345942"])
    assert len(first) == 6 and "conv.dilated-output-size" in {f[1] for f in first}  # the bank's family is drawn
    (line,) = [ln for ln in shown.splitlines() if ln.startswith("The same problems again: ")]
    words = shlex.split(line.removeprefix("The same problems again: "))
    assert words[:2] == ["nncheck", "quiz"] and str(bank_dir) in words
    monkeypatch.chdir(bank_dir)  # absolute bank paths: it works from anywhere
    again, _ = drawn(words[1:])
    assert again == first
    # The seed alone (the old hint), even with the count, draws other problems: the filters matter.
    alone, _ = drawn(["quiz", "--seed", "345942", "-n", "6"])
    assert alone != first
