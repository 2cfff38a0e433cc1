"""The history database: location, schema versions and migrations, and refusing bad files."""

from __future__ import annotations

import os
import sqlite3

import pytest

from nncheck.practice import store as st
from nncheck.practice.store import SCHEMA_VERSION, StoreError, open_store


def _answer(idx=0, part="W2", status="correct", **kw):
    row = {"idx": idx, "family_id": "conv.output-size", "topic": "conv", "part": part, "attempt": 1,
           "answer": "55", "status": status, "score": 1.0 if status == "correct" else 0.0}
    row.update(kw)
    return row


def test_first_open_creates_directories_schema_and_wal(tmp_path):
    path = tmp_path / "new" / "deeper" / "history.sqlite3"
    s = open_store(str(path))
    try:
        assert path.exists()
        assert st.schema_version(s) == SCHEMA_VERSION
        assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        # synchronous=FULL (2): a commit is on disk before the next question is shown.
        assert s.conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    finally:
        s.close()


def test_default_location_env_then_platform_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("NNCHECK_DB", str(tmp_path / "x.sqlite3"))
    assert st.resolve_db_path(None) == str(tmp_path / "x.sqlite3")
    assert st.resolve_db_path(str(tmp_path / "y.db")) == str(tmp_path / "y.db")  # --db wins
    monkeypatch.delenv("NNCHECK_DB")
    monkeypatch.delenv("NNCHECK_DATA_DIR")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    import platformdirs

    assert st.resolve_db_path(None) == os.path.join(platformdirs.user_data_dir("nncheck", appauthor=False),
                                                    "history.sqlite3")


def test_session_answers_and_parts_round_trip(tmp_path):
    s = open_store(str(tmp_path / "h.db"))
    sid = s.start_session("exam", seed=5, config={"minutes": 180},
                          problems=[{"idx": 0, "family_id": "conv.output-size", "topic": "conv", "seed": 42,
                                     "overrides": {"W1": "227"}, "parts": ["W2", "D2"]}])
    s.record_answer(sid, _answer(status="incorrect", mistake="padding-forgotten", feedback="padding forgotten",
                                 elapsed=12.5), active_seconds=30)
    s.record_part(sid, {"idx": 0, "part": "W2", "family_id": "conv.output-size", "topic": "conv",
                        "outcome": "wrong", "attempts": 1, "hints": 0, "score": 0.0, "elapsed": 12.5})
    s.end_session(sid, "suspended", active_seconds=31)
    got = s.load_session(sid)
    assert got["mode"] == "exam" and got["seed"] == 5 and got["status"] == "suspended"
    assert got["config"] == {"minutes": 180} and got["active_seconds"] == 31
    assert got["problems"] == [{"idx": 0, "family_id": "conv.output-size", "topic": "conv", "seed": 42,
                                "overrides": {"W1": "227"}, "parts": ["W2", "D2"]}]
    assert got["answers"][0]["mistake"] == "padding-forgotten" and got["answers"][0]["elapsed"] == 12.5
    assert got["part_results"][0]["outcome"] == "wrong"
    assert [u["id"] for u in s.unfinished("exam")] == [sid]
    s.end_session(sid, "finished")
    assert s.unfinished("exam") == []
    s.close()


def test_v1_database_is_migrated_without_losing_rows(tmp_path):
    path = str(tmp_path / "old.db")
    conn = sqlite3.connect(path, isolation_level=None)
    for stmt in st._statements(st.MIGRATIONS[0]):
        conn.execute(stmt)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO sessions (id, mode, status, started_at, updated_at) "
                 "VALUES ('s1', 'quiz', 'finished', 1, 1)")
    conn.execute("INSERT INTO answers (session_id, idx, family_id, topic, part, attempt, answer, status, score, "
                 "created_at) VALUES ('s1', 0, 'conv.param-count', 'conv', 'total', 1, '10', 'correct', 1, 1)")
    conn.close()
    # A read-only report on the old file neither fails nor upgrades it.
    r = open_store(path, readonly=True)
    assert len(r.answer_rows()) == 1 and r.cards() == []
    r.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 1
    s = open_store(path)
    assert st.schema_version(s) == SCHEMA_VERSION == 2
    assert [a["answer"] for a in s.answer_rows()] == ["10"]
    assert s.cards() == []  # the v2 table exists now
    s.close()


def _sqlite_file(path, statement: str):
    """A SQLite file that another program (or a newer nncheck) made."""
    conn = sqlite3.connect(str(path))
    conn.execute(statement)
    conn.commit()
    conn.close()
    return path


def _refused_untouched(path, match: str | None = None) -> StoreError:
    """Opening ``path`` fails with a StoreError and leaves the file byte for byte as it was."""
    before = path.read_bytes()
    with pytest.raises(StoreError, match=match) as e:
        open_store(str(path))
    assert path.read_bytes() == before
    return e.value


def test_newer_schema_is_refused_untouched(tmp_path):
    err = _refused_untouched(_sqlite_file(tmp_path / "future.db", "PRAGMA user_version = 99"), "newer nncheck")
    assert "--db" in err.line()


def test_corrupt_file_is_refused_untouched(tmp_path):
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"this is not a database, it is a shopping list\n" * 200)
    line = _refused_untouched(path).line()
    assert "damaged" in line and str(path) in line and "--db" in line and "nothing was changed" in line
    assert not (tmp_path / "history.sqlite3-wal").exists() or (tmp_path / "history.sqlite3-wal").stat().st_size == 0
    with pytest.raises(StoreError):
        open_store(str(path), readonly=True)


def test_foreign_sqlite_file_is_refused_untouched(tmp_path):
    foreign = _sqlite_file(tmp_path / "other.db", "CREATE TABLE recipes (name TEXT)")
    _refused_untouched(foreign, "not an nncheck history")


def test_unwritable_location_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the directory") as e:
        open_store(str(blocker / "history.sqlite3"))
    assert "--db" in e.value.line()
    with pytest.raises(StoreError, match="is a directory"):
        open_store(str(tmp_path))


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_file_is_a_clear_error(tmp_path):
    path = tmp_path / "h.db"
    open_store(str(path)).close()
    os.chmod(path, 0o444)
    try:
        with pytest.raises(StoreError, match="cannot be written"):
            open_store(str(path))
    finally:
        os.chmod(path, 0o644)


def test_readonly_open_of_missing_db_creates_nothing(tmp_path):
    path = tmp_path / "nope" / "h.db"
    assert open_store(str(path), readonly=True) is None
    assert not path.parent.exists()


def test_update_card_is_read_modify_write(tmp_path):
    s = open_store(str(tmp_path / "h.db"))
    seen = []

    def bump(card):
        seen.append(card)
        n = (card or {}).get("n", 0) + 1
        return {"n": n}, 1000.0 + n, {"rating": 3, "reason": "test"}

    s.update_card("a.b", bump)
    s.update_card("a.b", bump)
    assert seen == [None, {"n": 1}]
    (card,) = s.cards()
    assert card["card"] == {"n": 2} and card["reviews"] == 2 and card["due"] == 1002.0
    assert len(s.review_log()) == 2
    s.close()


def test_history_stats_accuracy_mistakes_streak(tmp_path):
    import time

    s = open_store(str(tmp_path / "h.db"))
    sid = s.start_session("quiz", seed=1, config={}, problems=[])
    day = 86400.0
    now = time.time()
    rows = [("conv", "conv.output-size", "W2", "correct", 1, 0), ("conv", "conv.output-size", "H2", "wrong", 2, 0),
            ("detection", "detection.iou", "iou", "correct", 2, 0),
            ("detection", "detection.iou", "I", "correct", 1, 1),
            ("lstm", "lstm.bptt", "dLdc", "blank", 0, 0)]
    for i, (topic, fam, part, outcome, attempts, hints) in enumerate(rows):
        s.record_part(sid, {"idx": i, "part": part, "family_id": fam, "topic": topic, "outcome": outcome,
                            "attempts": attempts, "hints": hints, "score": float(outcome == "correct")})
    s.record_answer(sid, _answer(idx=1, part="H2", status="incorrect", mistake="stride-ignored", feedback="stride!"))
    s.record_answer(sid, _answer(idx=1, part="H2", status="incorrect", mistake="stride-ignored", feedback="stride!"))
    # Back-date practice to make a 3-day streak ending yesterday, with a gap before it.
    s.conn.execute("UPDATE part_results SET finished_at = ? WHERE idx = 0", (now - 1 * day,))
    s.conn.execute("UPDATE part_results SET finished_at = ? WHERE idx = 1", (now - 2 * day,))
    s.conn.execute("UPDATE part_results SET finished_at = ? WHERE idx = 2", (now - 3 * day,))
    s.conn.execute("UPDATE part_results SET finished_at = ? WHERE idx = 3", (now - 6 * day,))
    s.conn.execute("UPDATE part_results SET finished_at = ? WHERE idx = 4", (now - 6 * day,))
    out = st.history_stats(s, now=now)
    assert out["totals"]["parts"] == 4 and out["totals"]["correct"] == 3
    assert out["totals"]["blank"] == 1 and "lstm.bptt" not in {f["family_id"] for f in out["families"]}
    assert out["totals"]["first_try"] == 0.25
    fams = {f["family_id"]: f for f in out["families"]}
    assert fams["conv.output-size"]["accuracy"] == 0.5 and fams["detection.iou"]["accuracy"] == 1.0
    assert out["families"][0]["family_id"] == "conv.output-size"  # weakest first
    # Not the answer's feedback ("stride!", one instance's wording): without the banks, the id in words.
    assert out["mistakes"] == [{"mistake": "stride-ignored", "count": 2, "families": ["conv.output-size"],
                                "message": "stride ignored"}]
    assert out["streak"]["current"] == 3 and out["streak"]["longest"] == 3
    # Two whole days without practice end the streak.
    assert st.history_stats(s, now=now + 2 * day)["streak"]["current"] == 0
    s.close()
    assert st.history_stats(None)["totals"]["parts"] == 0


# ----------------------------------------------------------------------------
# Damaged, read-only and special files (issue 17): never written into, still read.
# ----------------------------------------------------------------------------
def _history_with_a_garbled_page(path) -> int:
    """A history of 600 answers with one page of the answers table overwritten; returns how
    many answers it held.  The page is found by a marker in an answer, so it is a data page."""
    s = open_store(str(path))
    for k in range(30):
        sid = s.start_session("quiz", seed=k, config={}, problems=[])
        for j in range(20):
            s.record_answer(sid, _answer(idx=0, attempt=j + 1, answer=f"MARKER-{k}-{j} " + "5" * 80,
                                         status="incorrect"))
        s.record_part(sid, {"idx": 0, "part": "W2", "family_id": "conv.output-size", "topic": "conv",
                            "outcome": "wrong", "attempts": 20, "hints": 0, "score": 0.0})
    page = s.conn.execute("PRAGMA page_size").fetchone()[0]
    s.close()
    data = bytearray(path.read_bytes())
    at = data.index(b"MARKER-15-10 ") // page * page  # a page in the middle of the answers table
    data[at + 8: at + page] = b"\xde\xad\xbe\xef" * ((page - 8) // 4)
    path.write_bytes(bytes(data))
    conn = sqlite3.connect(str(path))
    assert conn.execute("PRAGMA quick_check").fetchone()[0] != "ok"  # the test's own premise
    conn.close()
    return 600


def test_damaged_database_is_never_written_into(tmp_path):
    path = tmp_path / "history.sqlite3"
    _history_with_a_garbled_page(path)
    line = _refused_untouched(path, "is damaged").line()
    assert str(path) in line and "nothing was written" in line and "--db" in line and "nncheck stats" in line
    assert "\n" not in line


def test_damaged_database_is_still_read_for_reports(tmp_path):
    path = tmp_path / "history.sqlite3"
    total = _history_with_a_garbled_page(path)
    before = path.read_bytes()
    r = open_store(str(path), readonly=True)
    out = st.history_stats(r)
    r.close()
    assert path.read_bytes() == before
    assert out["damaged"]["check"] and out["damaged"]["tables_with_lost_rows"] == ["answers"]
    # The rows around the damaged page are still counted: only that page's rows are lost.
    assert total - 40 < out["totals"]["answers"] < total
    assert out["totals"]["parts"] == 30 and out["totals"]["sessions"] == 30


def test_stats_on_a_damaged_database_says_so_in_one_line(tmp_path):
    from shared_helpers import run

    path = tmp_path / "history.sqlite3"
    _history_with_a_garbled_page(path)
    for args in (["stats", "--db", path], ["stats", "--db", path, "--json"]):
        result = run(*args)
        assert result.exit_code == 0, result.output
        warnings = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert len(warnings) == 1 and "damaged" in warnings[0] and "answers" in warnings[0], result.stderr
    assert '"damaged"' in result.stdout


def _read_only_directory(directory):
    """Make ``directory`` unwritable even for root (chattr +i), or by permissions otherwise; returns
    the undo, or skips when neither is possible here."""
    import shutil
    import subprocess

    if hasattr(os, "geteuid") and os.geteuid() == 0:
        if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(directory)],
                                                        capture_output=True).returncode != 0:
            pytest.skip("root ignores permissions and chattr +i is not available")
        return lambda: subprocess.run(["chattr", "-i", str(directory)], check=True)
    os.chmod(directory, 0o555)
    return lambda: os.chmod(directory, 0o755)


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_read_only_database_in_a_read_only_directory_is_readable(tmp_path):
    from shared_helpers import run

    d = tmp_path / "ro"
    d.mkdir()
    path = d / "h.db"
    s = open_store(str(path))
    sid = s.start_session("quiz", seed=1, config={}, problems=[])
    s.record_part(sid, {"idx": 0, "part": "W2", "family_id": "conv.output-size", "topic": "conv",
                        "outcome": "correct", "attempts": 1, "hints": 0, "score": 1.0})
    s.close()
    assert sorted(os.listdir(d)) == ["h.db", "h.db.lock"]  # WAL checkpointed: no -shm to read through
    os.chmod(path, 0o444)
    undo = _read_only_directory(d)
    try:
        r = open_store(str(path), readonly=True)
        assert st.history_stats(r)["totals"]["parts"] == 1
        r.close()
        result = run("stats", "--db", path, "--json")
        assert result.exit_code == 0, result.stderr
        with pytest.raises(StoreError, match="cannot be written|unable to open"):
            open_store(str(path))  # writing still fails with its one line
    finally:
        undo()
        os.chmod(path, 0o644)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_pipe_or_device_is_not_a_database(tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "h.db"
        os.mkfifo(path)
        path = str(path)
    else:
        path = os.devnull
    for readonly in (True, False):
        with pytest.raises(StoreError, match="not a regular file"):
            open_store(path, readonly=readonly)


def test_seed_too_large_for_sqlite_is_refused_before_writing(tmp_path):
    s = open_store(str(tmp_path / "h.db"))
    for seed in (2**63, -(2**63) - 1, 10**30):
        with pytest.raises(StoreError, match="too large to keep"):
            s.start_session("quiz", seed=seed, config={}, problems=[])
    with pytest.raises(StoreError, match="too large to keep"):
        s.start_session("quiz", seed=1, config={}, problems=[
            {"idx": 0, "family_id": "conv.output-size", "topic": "conv", "seed": 2**64, "parts": ["W2"]}])
    assert s.sessions() == []
    s.start_session("quiz", seed=2**63 - 1, config={}, problems=[])  # the largest that fits
    s.close()
