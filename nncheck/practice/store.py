"""Durable practice history in SQLite: sessions, answers, part results and review cards.

Design, and why:

* **Every write is its own short transaction** (``BEGIN IMMEDIATE`` … ``COMMIT``) made
  the moment an answer is graded, so ``kill -9`` in the middle of a session loses
  nothing already answered.  The database runs in WAL mode with
  ``synchronous=FULL``: a commit is on disk before the next question is shown.
* **Two sessions at once lose no writes.**  ``BEGIN IMMEDIATE`` takes the write lock
  up front (a deferred transaction that reads first could not be retried when it
  upgrades), and the connection waits up to :data:`BUSY_TIMEOUT` seconds for it.
  Read-modify-write updates (a review card) happen inside one such transaction.
* **The schema is versioned** with ``PRAGMA user_version`` and upgraded by the ordered
  :data:`MIGRATIONS`; a database written by a newer nncheck is refused, not touched.
* **A corrupt, foreign or unwritable file is never repaired, replaced or ignored
  silently**: it raises :class:`StoreError` with the path and the way out
  (``--db PATH`` or ``NNCHECK_DB``).  Every read-write open runs SQLite's
  ``PRAGMA quick_check`` before anything is written, so a damaged file is never written
  into; reports (``stats``) still read what can be read from it, read-only.
* **Reading needs no write access**: a read-only open of a WAL database whose directory
  cannot hold the ``-shm`` file reads it as immutable.

The location is ``--db PATH``, else ``$NNCHECK_DB``, else ``history.sqlite3`` in the
user data directory (:func:`nncheck.paths.data_dir`, platformdirs' layout).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from nncheck.errors import NNCheckError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the quiz's start-up path)
if TYPE_CHECKING:
    from typing import Any

DB_ENV = "NNCHECK_DB"
DB_NAME = "history.sqlite3"
BUSY_TIMEOUT = 30.0  # seconds a writer waits for another nncheck's transaction

WAY_OUT = f"use --db PATH or set {DB_ENV} to keep the history in another file"
MOVE_ASIDE = f"move it aside to start a new history, or {WAY_OUT}"
DAMAGED_WAY_OUT = f"nothing was written to it; 'nncheck stats' still shows what can be read; {MOVE_ASIDE}"
# SQLite stores integers in 64 bits: a larger seed could never be written back.
INT64 = (-(2**63), 2**63 - 1)


class StoreError(NNCheckError):
    """The history database cannot be used; the message names the file and the way out."""


def default_db_path() -> str:
    """``$NNCHECK_DB``, else ``history.sqlite3`` in the user data directory."""
    env = os.environ.get(DB_ENV, "").strip()
    if env:
        return os.path.expanduser(env)
    from nncheck.paths import data_dir

    return os.path.join(data_dir(), DB_NAME)


def resolve_db_path(explicit: str | None = None) -> str:
    return os.path.abspath(os.path.expanduser(explicit)) if explicit else os.path.abspath(default_db_path())


# ----------------------------------------------------------------------------
# Schema and migrations.  Each entry upgrades the schema from version i to i + 1;
# entries are never edited once released, only appended.
# ----------------------------------------------------------------------------
_V1 = """
CREATE TABLE sessions (
    id             TEXT PRIMARY KEY,
    mode           TEXT NOT NULL,              -- quiz | exam | review
    status         TEXT NOT NULL,              -- active | finished | quit | suspended | abandoned
    seed           INTEGER,
    config         TEXT NOT NULL DEFAULT '{}', -- JSON: options the session was started with
    started_at     REAL NOT NULL,              -- unix time
    updated_at     REAL NOT NULL,
    ended_at       REAL,
    active_seconds REAL NOT NULL DEFAULT 0,    -- time spent answering (the exam clock)
    pid            INTEGER
);
CREATE TABLE problems (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    idx        INTEGER NOT NULL,
    family_id  TEXT NOT NULL,
    topic      TEXT NOT NULL,
    seed       INTEGER NOT NULL,
    overrides  TEXT NOT NULL DEFAULT '{}',     -- JSON: NAME -> value text
    parts      TEXT NOT NULL,                  -- JSON: the part names asked
    PRIMARY KEY (session_id, idx)
);
CREATE TABLE answers (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    idx        INTEGER NOT NULL,
    family_id  TEXT NOT NULL,
    topic      TEXT NOT NULL,
    part       TEXT NOT NULL,
    attempt    INTEGER NOT NULL,
    answer     TEXT NOT NULL,
    status     TEXT NOT NULL,                  -- correct | incorrect
    score      REAL NOT NULL,
    mistake    TEXT,
    feedback   TEXT,
    parsed_as  TEXT,
    hints      INTEGER NOT NULL DEFAULT 0,
    elapsed    REAL,                           -- seconds since the part was shown
    created_at REAL NOT NULL
);
CREATE INDEX answers_session ON answers(session_id, idx);
CREATE INDEX answers_family ON answers(family_id);
CREATE TABLE part_results (
    session_id  TEXT NOT NULL REFERENCES sessions(id),
    idx         INTEGER NOT NULL,
    part        TEXT NOT NULL,
    family_id   TEXT NOT NULL,
    topic       TEXT NOT NULL,
    outcome     TEXT NOT NULL,                 -- correct | wrong | skipped | revealed | blank
    attempts    INTEGER NOT NULL,
    hints       INTEGER NOT NULL,
    score       REAL NOT NULL,
    elapsed     REAL,
    finished_at REAL NOT NULL,
    PRIMARY KEY (session_id, idx, part)
);
CREATE INDEX part_results_family ON part_results(family_id);
"""

_V2 = """
CREATE TABLE cards (
    family_id  TEXT PRIMARY KEY,
    card       TEXT NOT NULL,                  -- fsrs.Card.to_dict() as JSON
    due        REAL NOT NULL,                  -- unix time
    reviews    INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);
CREATE INDEX cards_due ON cards(due);
CREATE TABLE review_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    family_id   TEXT NOT NULL,
    session_id  TEXT,
    idx         INTEGER,
    rating      INTEGER NOT NULL,              -- fsrs.Rating: 1 again, 2 hard, 3 good, 4 easy
    reason      TEXT NOT NULL,
    reviewed_at REAL NOT NULL,
    duration_ms INTEGER,
    due_after   REAL NOT NULL
);
CREATE INDEX review_log_family ON review_log(family_id);
"""

MIGRATIONS: list[str] = [_V1, _V2]
SCHEMA_VERSION = len(MIGRATIONS)
OUR_TABLES = {"sessions", "problems", "answers", "part_results", "cards", "review_log"}


def _now() -> float:
    return time.time()


class Store:
    """One open history database.  Create with :func:`open_store`."""

    def __init__(self, conn: sqlite3.Connection, path: str):
        self.conn = conn
        self.path = path

    # -- plumbing --------------------------------------------------------------
    def close(self) -> None:
        try:
            self.conn.close()
        except sqlite3.Error:
            pass

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def write(self, what: str) -> Iterator[sqlite3.Connection]:
        """One durable write transaction; any SQLite failure becomes a :class:`StoreError`."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise _as_store_error(e, self.path, f"could not save {what}") from None
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException as e:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            if isinstance(e, sqlite3.Error):
                raise _as_store_error(e, self.path, f"could not save {what}") from None
            raise

    def _read(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        try:
            return self.conn.execute(sql, args).fetchall()
        except sqlite3.Error as e:
            raise _as_store_error(e, self.path, "could not read the history") from None

    # -- sessions --------------------------------------------------------------
    def start_session(self, mode: str, *, seed: int | None, config: dict, problems: list[dict]) -> str:
        """Create a session and its planned problems in one transaction; returns its id."""
        for value in [seed] + [p["seed"] for p in problems]:
            _check_seed(value)
        sid = os.urandom(8).hex()  # not uuid: its import costs start-up time
        now = _now()
        with self.write("the new session") as c:
            c.execute("INSERT INTO sessions (id, mode, status, seed, config, started_at, updated_at, pid) "
                      "VALUES (?, ?, 'active', ?, ?, ?, ?, ?)",
                      (sid, mode, seed, json.dumps(config, sort_keys=True), now, now, os.getpid()))
            self._insert_problems(c, sid, problems)
        return sid

    def add_problems(self, session_id: str, problems: list[dict]) -> None:
        for p in problems:
            _check_seed(p["seed"])
        with self.write("the drawn problems") as c:
            self._insert_problems(c, session_id, problems)

    @staticmethod
    def _insert_problems(c, sid: str, problems: list[dict]) -> None:
        c.executemany(
            "INSERT OR REPLACE INTO problems (session_id, idx, family_id, topic, seed, overrides, parts) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(sid, p["idx"], p["family_id"], p["topic"], p["seed"], json.dumps(p.get("overrides") or {}),
              json.dumps(list(p["parts"]))) for p in problems])

    def record_answer(self, session_id: str, row: dict, *, active_seconds: float | None = None) -> int:
        """Commit one graded answer (and the session clock) before anything else happens."""
        now = _now()
        with self.write("your answer") as c:
            cur = c.execute(
                "INSERT INTO answers (session_id, idx, family_id, topic, part, attempt, answer, status, score, "
                "mistake, feedback, parsed_as, hints, elapsed, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (session_id, row["idx"], row["family_id"], row["topic"], row["part"], row["attempt"],
                 row["answer"], row["status"], float(row["score"]), row.get("mistake"), row.get("feedback"),
                 row.get("parsed_as"), int(row.get("hints", 0)), row.get("elapsed"), now))
            self._touch(c, session_id, now, active_seconds)
            assert cur.lastrowid is not None  # sqlite3 sets it after every INSERT
            return int(cur.lastrowid)

    def record_part(self, session_id: str, row: dict, *, active_seconds: float | None = None) -> None:
        """Commit how a part ended (correct, wrong, skipped, revealed, blank)."""
        now = _now()
        with self.write("the part's result") as c:
            c.execute(
                "INSERT OR REPLACE INTO part_results (session_id, idx, part, family_id, topic, outcome, attempts, "
                "hints, score, elapsed, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (session_id, row["idx"], row["part"], row["family_id"], row["topic"], row["outcome"],
                 int(row["attempts"]), int(row["hints"]), float(row["score"]), row.get("elapsed"), now))
            self._touch(c, session_id, now, active_seconds)

    @staticmethod
    def _touch(c, sid: str, now: float, active_seconds: float | None) -> None:
        if active_seconds is None:
            c.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (now, sid))
        else:
            c.execute("UPDATE sessions SET updated_at = ?, active_seconds = ? WHERE id = ?",
                      (now, float(active_seconds), sid))

    def set_clock(self, session_id: str, active_seconds: float) -> None:
        with self.write("the exam clock") as c:
            self._touch(c, session_id, _now(), active_seconds)

    def end_session(self, session_id: str, status: str, *, active_seconds: float | None = None) -> None:
        now = _now()
        with self.write("the end of the session") as c:
            ended = None if status == "suspended" else now  # a suspended exam has not ended
            c.execute("UPDATE sessions SET status = ?, ended_at = ?, updated_at = ? WHERE id = ?",
                      (status, ended, now, session_id))
            if active_seconds is not None:
                c.execute("UPDATE sessions SET active_seconds = ? WHERE id = ?", (float(active_seconds), session_id))

    def reopen_session(self, session_id: str) -> None:
        with self.write("the resumed session") as c:
            c.execute("UPDATE sessions SET status = 'active', pid = ?, updated_at = ? WHERE id = ?",
                      (os.getpid(), _now(), session_id))

    def unfinished(self, mode: str) -> list[dict]:
        """Sessions of ``mode`` that never ended (crashed, killed or suspended), newest first."""
        rows = self._read("SELECT * FROM sessions WHERE mode = ? AND status IN ('active', 'suspended') "
                          "ORDER BY started_at DESC", (mode,))
        return [_session_dict(r) for r in rows]

    def load_session(self, session_id: str) -> dict:
        """A session with its problems, answers and part results, enough to resume or report it."""
        rows = self._read("SELECT * FROM sessions WHERE id = ?", (session_id,))
        if not rows:
            raise StoreError(f"no session '{session_id}' in {self.path}")
        out = _session_dict(rows[0])
        out["problems"] = [
            {"idx": r["idx"], "family_id": r["family_id"], "topic": r["topic"], "seed": r["seed"],
             "overrides": json.loads(r["overrides"]), "parts": json.loads(r["parts"])}
            for r in self._read("SELECT * FROM problems WHERE session_id = ? ORDER BY idx", (session_id,))]
        out["answers"] = [dict(r) for r in self._read(
            "SELECT * FROM answers WHERE session_id = ? ORDER BY id", (session_id,))]
        out["part_results"] = [dict(r) for r in self._read(
            "SELECT * FROM part_results WHERE session_id = ? ORDER BY idx, finished_at", (session_id,))]
        return out

    def mark_abandoned(self, session_id: str) -> None:
        self.end_session(session_id, "abandoned")

    # -- review cards ----------------------------------------------------------
    def update_card(self, family_id: str, review: Callable[[dict | None], tuple[dict, float, dict]]) -> dict:
        """Read-modify-write one family's card atomically.

        ``review(card_dict_or_None)`` returns ``(new_card_dict, due_unix_time, log_row)``; it runs
        inside the write transaction, so two sessions reviewing the same family both count.
        A log row with ``amends`` replaces its session's earlier review of the family (one
        session is one review: :func:`nncheck.practice.schedule.record_review`).
        """
        now = _now()
        with self.write("the review schedule") as c:
            row = c.execute("SELECT card FROM cards WHERE family_id = ?", (family_id,)).fetchone()
            card = json.loads(row["card"]) if row else None
            new, due, log = review(card)
            amends = bool(log.get("amends")) and row is not None and log.get("session_id") is not None
            if amends:
                c.execute("DELETE FROM review_log WHERE family_id = ? AND session_id = ?",
                          (family_id, log.get("session_id")))
            c.execute("INSERT INTO cards (family_id, card, due, reviews, updated_at) VALUES (?, ?, ?, 1, ?) "
                      "ON CONFLICT(family_id) DO UPDATE SET card = excluded.card, due = excluded.due, "
                      "reviews = cards.reviews + ?, updated_at = excluded.updated_at",
                      (family_id, json.dumps(new), float(due), now, 0 if amends else 1))
            c.execute("INSERT INTO review_log (family_id, session_id, idx, rating, reason, reviewed_at, duration_ms, "
                      "due_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      (family_id, log.get("session_id"), log.get("idx"), int(log["rating"]), log["reason"],
                       log.get("reviewed_at", now), log.get("duration_ms"), float(due)))
        return new

    def cards(self) -> list[dict]:
        return [{"family_id": r["family_id"], "card": json.loads(r["card"]), "due": r["due"],
                 "reviews": r["reviews"], "updated_at": r["updated_at"]}
                for r in self._read("SELECT * FROM cards ORDER BY due, family_id")]

    def seeds_seen(self, family_id: str) -> set[int]:
        return {r["seed"] for r in self._read("SELECT DISTINCT seed FROM problems WHERE family_id = ?", (family_id,))}

    def families_seen(self) -> set[str]:
        return {r["family_id"] for r in self._read("SELECT DISTINCT family_id FROM part_results")} | {
            r["family_id"] for r in self._read("SELECT family_id FROM cards")}

    # -- queries for stats -----------------------------------------------------
    def part_results(self) -> list[dict]:
        return [dict(r) for r in self._read(
            "SELECT p.*, s.mode FROM part_results p JOIN sessions s ON s.id = p.session_id")]

    def answer_rows(self) -> list[dict]:
        return [dict(r) for r in self._read(
            "SELECT a.*, s.mode FROM answers a JOIN sessions s ON s.id = a.session_id ORDER BY a.id")]

    def review_log(self) -> list[dict]:
        return [dict(r) for r in self._read("SELECT * FROM review_log ORDER BY id")]

    def sessions(self) -> list[dict]:
        return [_session_dict(r) for r in self._read("SELECT * FROM sessions ORDER BY started_at")]


def _check_seed(seed: int | None) -> None:
    if seed is not None and not INT64[0] <= seed <= INT64[1]:
        raise StoreError(f"the seed {seed} is too large to keep in the history",
                         hint=f"use a seed from {INT64[0]} to {INT64[1]}")


def _session_dict(r: sqlite3.Row) -> dict:
    d = dict(r)
    try:
        d["config"] = json.loads(d.get("config") or "{}")
    except ValueError:
        d["config"] = {}
    return d


# ----------------------------------------------------------------------------
# Opening.
# ----------------------------------------------------------------------------
def _as_store_error(e: BaseException, path: str, doing: str) -> StoreError:
    text = str(e)
    low = text.lower()
    if "not a database" in low or "malformed" in low or "corrupt" in low:
        return StoreError(f"{doing}: {path} is damaged or not an SQLite file ({text})",
                          hint=f"nothing was changed; move it aside to start a new history, or {WAY_OUT}")
    if "readonly" in low or "read-only" in low or "permission" in low or "unable to open" in low \
            or "disk i/o" in low:
        return StoreError(f"{doing}: {path} cannot be written ({text})", hint=WAY_OUT)
    if "locked" in low or "busy" in low:
        return StoreError(f"{doing}: {path} stayed locked by another program for {BUSY_TIMEOUT:g} s",
                          hint="close the other nncheck session, or " + WAY_OUT)
    if "full" in low:
        return StoreError(f"{doing}: the disk holding {path} is full", hint=WAY_OUT)
    return StoreError(f"{doing}: {path}: {text}", hint=WAY_OUT)


def open_store(path: str | None = None, *, readonly: bool = False) -> Store | None:
    """Open (and create or upgrade) the history database.

    ``readonly``: for reports; a missing database gives ``None`` instead of a new file,
    and nothing is migrated or written.
    """
    path = resolve_db_path(path)
    if os.path.isdir(path):
        raise StoreError(f"the history database {path} is a directory", hint=WAY_OUT)
    from nncheck.paths import special_kind

    kind = special_kind(path)
    if kind is not None:  # a named pipe would block SQLite's first read; a device is not a history
        raise StoreError(f"the history database {path} is {kind}, not a regular file", hint=WAY_OUT)
    if readonly:
        if not os.path.exists(path):
            return None
        return _open_readonly(path)
    parent = os.path.dirname(path)
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as e:
        why = e.strerror or str(e)
        probe = parent
        while probe and not os.path.exists(probe):
            probe = os.path.dirname(probe)
        if probe and not os.path.isdir(probe):
            why = f"{probe} is a file, not a directory"
        raise StoreError(f"cannot create the directory for the history database {path} ({why})",
                         hint=WAY_OUT) from None
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
    except sqlite3.Error as e:
        raise _as_store_error(e, path, "cannot open the history database") from None
    conn.row_factory = sqlite3.Row
    store = Store(conn, path)
    try:
        with _init_lock(path):
            _initialise(store, conn, path)
    except StoreError:
        store.close()
        raise
    except sqlite3.Error as e:
        store.close()
        raise _as_store_error(e, path, "cannot use the history database") from None
    return store


@contextmanager
def _init_lock(path: str) -> Iterator[None]:
    """Serialise opening across processes.

    Two processes that open a new database at the same moment can deadlock inside SQLite:
    each holds a shared lock while switching the journal to WAL or migrating, and each
    waits for the other's exclusive lock until the busy timeout.  A lock file held only
    while opening (never during a session) removes that race; where no such lock exists
    (Windows, or a directory we cannot write a lock file to) we proceed without it.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    try:
        fh = open(path + ".lock", "a+b")
    except OSError:
        yield
        return
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        yield
    finally:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        finally:
            fh.close()


def _initialise(store: Store, conn: sqlite3.Connection, path: str) -> None:
    """Check, switch to WAL, migrate and test-write: the start-up of every read-write open."""
    # Read-only checks first: switching to WAL rewrites the header of a file we may refuse.
    _check_foreign(conn, path)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise _newer(path, version)
    damage = damage_found(conn)
    if damage is not None:
        raise StoreError(f"{path} is damaged (SQLite's check: {damage})", hint=DAMAGED_WAY_OUT)
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        # A file system without shared memory (some network mounts): still durable, just serial.
        conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    _migrate(store)
    # Prove that we can write now, not after the first answer: an unwritable file is
    # reported before the session starts.
    with store.write("a test write"):
        pass


def damage_found(conn: sqlite3.Connection) -> str | None:
    """SQLite's ``PRAGMA quick_check``: None when the file is sound, else its first finding.

    quick_check reads every page once (O(file size), milliseconds for a history of years) but
    skips the index-content comparison of ``integrity_check``.  A file too damaged to run it
    at all is damaged too.
    """
    try:
        rows = conn.execute("PRAGMA quick_check(1)").fetchall()
    except sqlite3.DatabaseError as e:
        return str(e)
    first = str(rows[0][0]) if rows else "no answer"
    if first == "ok":
        return None
    return " ".join(first.replace("*** in database main ***", "").split())


def _connect_readonly(path: str, *, immutable: bool) -> sqlite3.Connection:
    flags = "mode=ro&immutable=1" if immutable else "mode=ro"
    conn = sqlite3.connect(f"file:{_uri_path(path)}?{flags}", uri=True, timeout=BUSY_TIMEOUT, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def _open_readonly(path: str) -> Store:
    """Open for reading only: nothing is created, migrated or written.

    A database in WAL mode needs its ``-shm`` index to be read; in a directory the user
    cannot write, SQLite cannot create it and reports "attempt to write a readonly
    database".  Nothing else can be writing a file there, so it is read as immutable.
    """
    conn = None
    try:
        try:
            conn = _connect_readonly(path, immutable=False)
            _check_foreign(conn, path)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.OperationalError as e:
            if "readonly" not in str(e).lower() and "unable to open" not in str(e).lower():
                raise
            if conn is not None:
                conn.close()
            conn = _connect_readonly(path, immutable=True)
            _check_foreign(conn, path)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        damage = damage_found(conn)
    except StoreError:
        if conn is not None:
            conn.close()
        raise
    except sqlite3.Error as e:
        if conn is not None:
            conn.close()
        raise _as_store_error(e, path, "cannot read the history database") from None
    if version > SCHEMA_VERSION:
        conn.close()
        raise _newer(path, version)
    if damage is not None:
        return _DamagedReadonlyStore(conn, path, damage)
    if version < SCHEMA_VERSION:
        # An old database is read as if empty where tables are missing; it is upgraded by
        # the next command that writes.
        return _OldReadonlyStore(conn, path)
    return Store(conn, path)


class _OldReadonlyStore(Store):
    """A read-only view of a database older than this nncheck: missing tables read as empty."""

    def _read(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        try:
            return self.conn.execute(sql, args).fetchall()
        except sqlite3.OperationalError as e:
            if "no such table" in str(e):
                return []
            raise _as_store_error(e, self.path, "could not read the history") from None


class _DamagedReadonlyStore(_OldReadonlyStore):
    """A read-only view of a damaged database: what can still be read, and what could not.

    Each query is read row by row; where a damaged page stops it, the rows read so far are
    kept and the reading resumes past the damage, in rowid order (:meth:`_salvage`).
    ``damage`` is SQLite's first finding and ``lost`` names the tables that lost rows, for
    the report to say that its figures are incomplete.
    """

    def __init__(self, conn: sqlite3.Connection, path: str, damage: str):
        super().__init__(conn, path)
        self.damage = damage
        self.lost: set[str] = set()

    def _read(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        try:
            return super()._read(sql, args)  # a missing table reads as empty, as in an older database
        except sqlite3.DatabaseError:  # a damaged page (an OperationalError became a StoreError above)
            pass
        return self._query_by_parts(sql, args)

    def _query_by_parts(self, sql: str, args: tuple) -> list[sqlite3.Row]:
        """The reports' queries read one table, or one joined with its sessions' mode, in some
        order: salvage each table, join and sort here.  Other queries are not salvaged."""
        low = " ".join(sql.split()).lower()
        table = low.split(" from ", 1)[1].split()[0]
        if args or " where " in low or table not in OUR_TABLES:
            raise StoreError(f"could not read the history: {self.path} is damaged ({self.damage})",
                             hint=DAMAGED_WAY_OUT)
        rows = [{k: r[k] for k in r.keys() if k != "_rowid"} for r in self._salvage(table)]
        if " join sessions s on s.id = " in low:
            modes = {r["id"]: r["mode"] for r in self._salvage("sessions")}
            rows = [{**r, "mode": modes[r["session_id"]]} for r in rows if r["session_id"] in modes]
        if " order by " in low:
            keys = [k.strip().split(".")[-1] for k in low.split(" order by ", 1)[1].split(",")]
            rows.sort(key=lambda r: tuple((r.get(k) is None, r.get(k) or 0) for k in keys))
        # Plain dicts: the callers read rows by column name (row["x"], dict(row)), as dicts answer too.
        return rows  # type: ignore[return-value]

    def _salvage(self, table: str) -> list[sqlite3.Row]:
        """Every row of ``table`` that can be read, in rowid order, stepping over damaged pages."""
        out: list[sqlite3.Row] = []
        after = None
        step = 1
        try:
            top = self.conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0]
        except sqlite3.DatabaseError:
            top = None
        while True:
            where = "" if after is None else f" WHERE rowid > {int(after)}"
            try:
                for row in self.conn.execute(f"SELECT rowid AS _rowid, * FROM {table}{where} ORDER BY rowid"):
                    out.append(row)
                    after = row["_rowid"]
                    step = 1
                return out
            except sqlite3.DatabaseError:
                self.lost.add(table)
                # Skip ahead past the damaged page, further each time it is hit again.
                if top is None or (after or 0) >= top:
                    return out
                after = (after or 0) + step
                step *= 2


def _uri_path(path: str) -> str:
    from urllib.parse import quote

    return quote(path)


def _newer(path: str, version: int) -> StoreError:
    return StoreError(f"{path} was written by a newer nncheck (schema {version}; this one knows {SCHEMA_VERSION})",
                      hint="upgrade nncheck, or " + WAY_OUT)


def _check_foreign(conn: sqlite3.Connection, path: str) -> None:
    """Refuse an SQLite file that holds someone else's tables (never write into it)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version:
        return
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    names = {n for n in names if not n.startswith("sqlite_")}
    if names - OUR_TABLES:
        raise StoreError(f"{path} is an SQLite database but not an nncheck history "
                         f"(it holds {', '.join(sorted(names - OUR_TABLES)[:3])})",
                         hint="nothing was changed; " + WAY_OUT)


def _migrate(store: Store) -> None:
    conn = store.conn
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise _newer(store.path, version)
    if version == SCHEMA_VERSION:
        return
    with store.write("the upgraded schema") as c:
        # Another process may have migrated while we waited for the lock: read again inside it.
        version = c.execute("PRAGMA user_version").fetchone()[0]
        for i in range(version, SCHEMA_VERSION):
            for stmt in _statements(MIGRATIONS[i]):
                c.execute(stmt)
            c.execute(f"PRAGMA user_version = {i + 1}")


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (``executescript`` would commit on its own)."""
    out, buf = [], []
    for line in script.splitlines():
        line = line.split("--", 1)[0].rstrip()
        if not line:
            continue
        buf.append(line)
        if line.endswith(";"):
            out.append("\n".join(buf))
            buf = []
    if buf:
        out.append("\n".join(buf))
    return out


def schema_version(store: Store) -> int:
    return int(store.conn.execute("PRAGMA user_version").fetchone()[0])


# ----------------------------------------------------------------------------
# Reports.
# ----------------------------------------------------------------------------
def history_stats(store: Store | None, *, now: float | None = None,
                  record_of: Callable[[str], Mapping[str, Any] | None] | None = None) -> dict:
    """Accuracy per topic and family, common mistakes, reviews due, the streak and the series
    the progress charts are drawn from.

    A part counts once, by how it ended (correct, wrong, skipped, solution shown); exam
    parts left blank are counted apart.  "First try" means correct at the first attempt
    without a hint.  Days are local days.
    ``store`` may be None (no history yet): everything is empty.
    ``record_of``: a family's bank record by id (None: unknown), which explains the mistakes it
    declares (:func:`common_mistakes`); a family no bank knows still has its mistakes counted.
    """
    from datetime import date, datetime, timedelta

    now = time.time() if now is None else now
    asked = store.part_results() if store else []
    # Exam parts left blank (handed in early, or the time ran out) were never attempted: they
    # are counted apart, not as wrong answers.
    parts = [p for p in asked if p["outcome"] != "blank"]
    answers = store.answer_rows() if store else []
    cards = store.cards() if store else []
    sessions = store.sessions() if store else []

    def agg(key: str) -> list[dict]:
        groups: dict[str, dict] = {}
        for p in parts:
            g = groups.setdefault(p[key], {key: p[key], "parts": 0, "correct": 0, "first": 0, "last_ts": 0.0})
            g["parts"] += 1
            g["correct"] += p["outcome"] == "correct"
            g["first"] += p["outcome"] == "correct" and p["attempts"] == 1 and p["hints"] == 0
            g["last_ts"] = max(g["last_ts"], p["finished_at"])
        out = []
        for g in groups.values():
            out.append({key: g[key], "parts": g["parts"], "correct": g["correct"],
                        "accuracy": g["correct"] / g["parts"], "first_try": g["first"] / g["parts"],
                        "last": datetime.fromtimestamp(g["last_ts"]).strftime("%Y-%m-%d")})
        # Weakest first: that is where practice pays.
        return sorted(out, key=lambda r: (r["accuracy"], -r["parts"], r[key]))

    common = common_mistakes(answers, record_of)

    days = sorted({date.fromtimestamp(p["finished_at"]) for p in parts})
    longest = run = 0
    prev = None
    for d in days:
        run = run + 1 if prev is not None and d - prev == timedelta(days=1) else 1
        longest = max(longest, run)
        prev = d
    today = date.fromtimestamp(now)
    current = 0
    if days and days[-1] >= today - timedelta(days=1):  # a streak lives until a whole day is missed
        current = 1
        for earlier, later in zip(reversed(days[:-1]), reversed(days[1:])):
            if later - earlier != timedelta(days=1):
                break
            current += 1

    due = [c for c in cards if c["due"] <= now]
    future = [c for c in cards if c["due"] > now]
    n = len(parts)
    correct = sum(1 for p in parts if p["outcome"] == "correct")
    first = sum(1 for p in parts if p["outcome"] == "correct" and p["attempts"] == 1 and p["hints"] == 0)
    damaged = {}
    if isinstance(store, _DamagedReadonlyStore):
        # Only a damaged file has this key: the report says what SQLite found and which tables
        # lost rows (the figures leave those rows out).
        damaged = {"damaged": {"check": store.damage, "tables_with_lost_rows": sorted(store.lost)}}
    return {**damaged,
        "database": store.path if store else None,
        "totals": {"sessions": len({p["session_id"] for p in parts}), "sessions_started": len(sessions),
                   "parts": n, "blank": len(asked) - n, "correct": correct, "accuracy": correct / n if n else None,
                   "first_try": first / n if n else None, "answers": len(answers)},
        "topics": agg("topic"),
        "families": agg("family_id"),
        "mistakes": common,
        "reviews": {"cards": len(cards), "due_now": len(due), "due": [c["family_id"] for c in due],
                    "next_due": future[0]["due"] if future else None,
                    "next_family": future[0]["family_id"] if future else None},
        "streak": {"current": current, "longest": longest,
                   "last_day": days[-1].isoformat() if days else None,
                   "days_practised": len(days)},
        "accuracy_series": accuracy_series(parts),
        "due_series": due_series(cards, now=now),
    }


#: The mistakes every family's grader names without a declaration (docs/answer-language.md
#: lists them; the kinds detect them), in words true of any instance: the feedback given at
#: the time carries that instance's numbers ("this is 2 × the answer", "0.43 has 2 figures").
GENERIC_MISTAKES = {
    "sign-flipped": "sign flipped: the magnitude is right but the sign is not",
    "transposed": "transposed: rows and columns swapped",
    "scaled": "off by a constant factor: a small multiple c ≠ ±1 of the answer",
    "rounded-too-far": "rounded too far: fewer significant figures than the part asks for",
    "truncated": "truncated: the digits were cut off instead of rounded (a next digit of 5 or more rounds up)",
    "not-exact": "not exact: a closed form that is not a whole number, for a part graded exactly",
}


def common_mistakes(answers: list[dict],
                    record_of: Callable[[str], Mapping[str, Any] | None] | None = None) -> list[dict]:
    """Every named mistake in ``answers`` (wrong answers only), most frequent first.

    One row per mistake and explanation: families that declare the same id with different
    messages (``stride-ignored`` of a conv layer and of a pool) get a row each, so a row's
    explanation holds for every family it names.  ``message`` is the explanation true of any
    instance (:func:`mistake_explanation`), never one answer's feedback.
    """
    rows: dict[tuple[str, str], dict] = {}
    explained: dict[tuple[str, str], str] = {}
    for a in answers:
        if not a["mistake"] or a["status"] == "correct":
            continue
        fam, mid = a["family_id"], a["mistake"]
        if (fam, mid) not in explained:
            explained[fam, mid] = mistake_explanation(mid, record_of(fam) if record_of else None)
        message = explained[fam, mid]
        m = rows.setdefault((mid, message), {"mistake": mid, "count": 0, "families": [], "message": message})
        m["count"] += 1
        if fam not in m["families"]:
            m["families"].append(fam)
    return sorted(rows.values(), key=lambda m: (-m["count"], m["mistake"], m["families"]))


def mistake_explanation(mistake_id: str, record: Mapping[str, Any] | None) -> str:
    """What ``mistake_id`` means in any instance of the family ``record``.

    The family's declared message with its template fields made symbolic
    (:func:`generic_message`); else the graders' own wording of a generic mistake
    (:data:`GENERIC_MISTAKES`); else, for a family no loaded bank knows, the id in words.
    """
    for m in (record or {}).get("mistakes") or []:
        if m.get("id") == mistake_id:
            text = generic_message(str(m.get("message") or ""))
            if text:
                return text
            break
    return GENERIC_MISTAKES.get(mistake_id) or mistake_id.replace("-", " ").replace("_", " ")


def generic_message(template: str) -> str:
    """A bank message template without any one instance's values ("" when nothing is left).

    ``n = {n_examples}`` and ``α = {alpha}``: the symbol already names the quantity, so only
    the value goes ("with n examples", "α is missing").  Any other field is shown by its
    name, ``⟨loss_text⟩``.  A message that is a field and nothing else (``"{wrong_convention}"``)
    says nothing without an instance: "" (the caller names the mistake instead).
    """
    from nncheck.lang.template import scan

    out = ""
    words = ""
    for kind, text, _fmt, _pos in scan(template):
        if kind == "text":
            out += text
            words += text
            continue
        head = out.rstrip()
        symbol = head[:-1].rstrip()
        if head.endswith("=") and symbol and symbol[-1] not in "=<>!≠≤≥":
            out = symbol
        else:
            out += f"⟨{text.removeprefix('=')}⟩"
    if not any(ch.isalpha() for ch in words):
        return ""
    return " ".join(out.split())


def accuracy_series(parts: list[dict]) -> dict[str, list[dict]]:
    """Per topic, the parts answered and correct on each local day with practice, oldest first.

    ``parts``: part results as :meth:`Store.part_results` gives them, exam parts left blank
    already left out (they were never attempted).
    """
    from datetime import date

    by_topic: dict[str, dict[str, list[int]]] = {}
    for p in parts:
        day = date.fromtimestamp(p["finished_at"]).isoformat()
        tally = by_topic.setdefault(p["topic"], {}).setdefault(day, [0, 0])
        tally[0] += 1
        tally[1] += p["outcome"] == "correct"
    return {topic: [{"date": d, "answered": n, "correct": c} for d, (n, c) in sorted(days.items())]
            for topic, days in sorted(by_topic.items())}


def due_series(cards: list[dict], *, now: float, days: int = 7) -> list[dict]:
    """Reviews due on each of the ``days`` local days from today: ``[{date, count}]``.

    Today's count includes the cards already overdue: they are all to be done today.
    """
    from datetime import date, timedelta

    today = date.fromtimestamp(now)
    counts = [0] * days
    for c in cards:
        ahead = (date.fromtimestamp(c["due"]) - today).days
        if ahead < days:
            counts[max(ahead, 0)] += 1
    return [{"date": (today + timedelta(days=k)).isoformat(), "count": n} for k, n in enumerate(counts)]
