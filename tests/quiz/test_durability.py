"""Nothing answered is lost: SIGKILL in the middle of a session, and two writers at once."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from quiz.helpers import key_for, nncheck_cmd, quiz_seeds, rows, subprocess_env, typed

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
FAM = "conv.param-count"


def read_until(proc, marker: bytes, buf: bytearray, timeout: float = 30.0) -> None:
    """Read the child's stdout into ``buf`` until ``marker`` has appeared one more time."""
    want = buf.count(marker) + 1
    end = time.monotonic() + timeout
    while buf.count(marker) < want:
        left = end - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out waiting for {marker!r}; got:\n{buf.decode(errors='replace')}")
        ready, _, _ = select.select([proc.stdout], [], [], left)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                raise AssertionError(f"process ended early:\n{buf.decode(errors='replace')}")
            buf.extend(chunk)


def test_sigkill_after_three_answers_keeps_all_three(catalog, tmp_path):
    db = str(tmp_path / "h.sqlite3")
    (vseed,) = quiz_seeds(catalog, FAM, 1, 8)
    key = key_for(catalog, FAM, vseed)
    right = [typed("integer", key.parts[n].exact) for n in ("per_filter", "weights", "biases")]
    proc = subprocess.Popen(nncheck_cmd() + ["quiz", "--family", FAM, "-n", "1", "--seed", "8"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env=subprocess_env(NNCHECK_DB=db))
    buf = bytearray()
    try:
        read_until(proc, "›".encode(), buf)
        for answer in (str(int(right[0]) + 1), right[0], right[1]):  # wrong, then two right
            proc.stdin.write(answer.encode() + b"\n")
            proc.stdin.flush()
            read_until(proc, b"parsed as", buf)  # the verdict is shown after the commit
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    got = rows(db, "SELECT part, attempt, answer, status FROM answers ORDER BY id")
    assert got == [
        {"part": "per_filter", "attempt": 1, "answer": str(int(right[0]) + 1), "status": "incorrect"},
        {"part": "per_filter", "attempt": 2, "answer": right[0], "status": "correct"},
        {"part": "weights", "attempt": 1, "answer": right[1], "status": "correct"},
    ]
    assert [r["outcome"] for r in rows(db, "SELECT outcome FROM part_results ORDER BY finished_at")] == [
        "correct", "correct"]
    assert rows(db, "SELECT status FROM sessions") == [{"status": "active"}]  # it never ended


def test_killed_exam_resumes_with_its_answers(tmp_path):
    db = str(tmp_path / "h.sqlite3")
    env = subprocess_env(NNCHECK_DB=db)
    proc = subprocess.Popen(nncheck_cmd() + ["exam", "--seed", "6"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    buf = bytearray()
    try:
        read_until(proc, "›".encode(), buf)
        for answer in (b"1", b"2"):
            proc.stdin.write(answer + b"\n")
            proc.stdin.flush()
            read_until(proc, b"recorded.", buf)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert [r["answer"] for r in rows(db, "SELECT answer FROM answers ORDER BY id")] == ["1", "2"]
    r = subprocess.run(nncheck_cmd() + ["exam", "--json"], input="submit\nyes\n", capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Exam (resumed)" in r.stderr
    import json

    data = json.loads(r.stdout)
    assert data["seed"] == 6
    assert [p["answer"] for p in data["parts"][:2]] == ["1", "2"]
    assert rows(db, "SELECT status FROM sessions") == [{"status": "finished"}]


WRITER = textwrap.dedent("""
    import sys, time
    from nncheck.practice.store import open_store
    from nncheck.practice.schedule import record_review
    db, who, n, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    s = open_store(db)
    sid = s.start_session("quiz", seed=None, config={"who": who}, problems=[])
    while time.time() < start:
        time.sleep(0.001)
    for i in range(n):
        s.record_answer(sid, {"idx": i, "family_id": "conv.output-size", "topic": "conv", "part": "W2",
                              "attempt": 1, "answer": f"{who}-{i}", "status": "correct", "score": 1.0})
        if i % 5 == 0:
            record_review(s, "conv.output-size", 3, who)
    s.end_session(sid, "finished")
""")


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    db = str(tmp_path / "h.sqlite3")
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    n = 150
    start = time.time() + 4.0  # both start hammering at the same moment (room for slow start-ups)
    procs = [subprocess.Popen([sys.executable, str(script), db, who, str(n), str(start)], env=subprocess_env(),
                              stderr=subprocess.PIPE, text=True) for who in ("A", "B")]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    got = rows(db, "SELECT answer FROM answers")
    assert len(got) == 2 * n
    assert {r["answer"] for r in got} == {f"{w}-{i}" for w in "AB" for i in range(n)}
    (card,) = rows(db, "SELECT reviews FROM cards")
    assert card["reviews"] == 2 * len(range(0, n, 5))  # read-modify-write: no lost update
    assert len(rows(db, "SELECT id FROM review_log")) == card["reviews"]
    # The two writers really overlapped in time.
    times = rows(db, "SELECT MIN(created_at) AS a, MAX(created_at) AS b FROM answers GROUP BY answer LIKE 'A%'")
    assert times[0]["a"] < times[1]["b"] and times[1]["a"] < times[0]["b"]


def test_two_quiz_sessions_at_once(catalog, tmp_path):
    db = str(tmp_path / "h.sqlite3")
    inputs = {}
    for sseed in (31, 32):
        lines = []
        for vseed in quiz_seeds(catalog, FAM, 3, sseed):
            key = key_for(catalog, FAM, vseed)
            lines += [typed(kp.kind, kp.exact) for kp in key.parts.values()]
        inputs[sseed] = "\n".join(lines) + "\n"
    procs = {s: subprocess.Popen(nncheck_cmd() + ["quiz", "--family", FAM, "-n", "3", "--seed", str(s)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=subprocess_env(NNCHECK_DB=db)) for s in inputs}
    for s, p in procs.items():
        out, err = p.communicate(inputs[s], timeout=120)
        assert p.returncode == 0, err
        assert "12 of 12 parts correct" in out, out
    assert len(rows(db, "SELECT id FROM answers WHERE status = 'correct'")) == 24
    assert sorted(r["status"] for r in rows(db, "SELECT status FROM sessions")) == ["finished", "finished"]
    (card,) = rows(db, "SELECT reviews FROM cards")
    assert card["reviews"] == 2  # one review per session (its three problems are one family), neither lost
    assert len(rows(db, "SELECT id FROM review_log")) == 2


OPENER = textwrap.dedent("""
    import sys, time
    from nncheck.practice.store import open_store
    db, start = sys.argv[1], float(sys.argv[2])
    while time.time() < start:
        time.sleep(0.0005)
    s = open_store(db)
    sid = s.start_session("quiz", seed=None, config={}, problems=[])
    s.end_session(sid, "finished")
""")


def test_many_processes_opening_a_new_database_at_once(tmp_path):
    """Creating the schema and switching to WAL must not deadlock when sessions start together."""
    db = str(tmp_path / "fresh.sqlite3")
    script = tmp_path / "opener.py"
    script.write_text(OPENER)
    start = time.time() + 3.0
    procs = [subprocess.Popen([sys.executable, str(script), db, str(start)], env=subprocess_env(),
                              stderr=subprocess.PIPE, text=True) for _ in range(6)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    assert len(rows(db, "SELECT id FROM sessions")) == 6
