"""Grading a class across processes, each student under a time budget.

:func:`grade_class` hands submissions (:class:`~nncheck.batch.roster.Submission`) to ``jobs``
worker processes and collects one :class:`StudentResult` per student, in input order whatever
order they finish in, so ``--jobs 1`` and ``--jobs 8`` give the same class.

* Workers are *spawned* (a fresh interpreter, never a fork of a process that may have threads,
  such as a progress bar's): :func:`_worker_main` is importable, loads the catalogue, warms up
  SymPy, says it is ready, then grades one submission at a time.  A worker keeps one
  :class:`~nncheck.batch.grade.Grader`, so students who share a problem share its variant, key
  and verdicts; across workers (and across runs) keys are shared through the on-disk key cache
  (:mod:`nncheck.key.cache`).
* Each submission has a budget (``timeout`` seconds, from when its worker starts on it: loading
  the file included).  Past it the worker is killed with its process group (its sandboxed
  checker with it), the student is reported as not graded, and a fresh worker takes its place.
  A worker that dies is treated the same way.  Nothing a student's file does stops the class.
* A worker runs in a process group of its own: Ctrl-C at the terminal reaches only the parent,
  which stops the workers.  A worker whose parent goes away sees its pipe close and exits.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nncheck.batch.analysis import Item, ItemStats, item_analysis, item_label, tries_by_item
from nncheck.batch.roster import Roster, Submission, student_key, student_of_file
from nncheck.errors import NNCheckError

if TYPE_CHECKING:
    from nncheck.batch.grade import BatchResult

#: Seconds a worker may take to start (import, catalogue, SymPy) before the run gives up.
START_SECONDS = 120.0
#: Workers that may die before becoming ready before the run gives up (a broken install).
MAX_START_FAILURES = 3
DEFAULT_TIMEOUT = 30.0


class StudentResult:
    """One student's outcome: graded (``result``) or not (``error``, one line)."""

    def __init__(self, student: str, source: str, order: tuple, *, result: BatchResult | None = None,
                 error: str | None = None, declared: int | None = None, seconds: float = 0.0):
        self.student, self.source, self.order = student, source, order
        self.result, self.error, self.declared, self.seconds = result, error, declared, seconds

    @property
    def graded(self) -> bool:
        return self.result is not None

    def item_scores(self) -> dict[Item, float]:
        """The score of each item: its last try (see :mod:`nncheck.batch.analysis`)."""
        if self.result is None:
            return {}
        return {item: tries[-1].score for item, tries in tries_by_item(self.result).items()}

    def points(self) -> tuple[float, int]:
        """(score, points possible).  One point a part; a generated file declares how many parts it
        has (``set: {answers: 8}``), so a part deleted from the file still counts as 0."""
        scores = self.item_scores()
        possible = max(len(scores), self.declared or 0)
        if self.result is not None and not scores:
            possible = max(possible, len(self.result.results))  # no usable entry at all
        return round(sum(scores.values()), 6), possible

    def percent(self) -> float:
        score, possible = self.points()
        return round(100.0 * score / possible, 2) if possible else 0.0

    def to_json(self) -> dict:
        score, possible = self.points()
        out: dict[str, Any] = {"student": self.student, "file": self.source, "graded": self.graded,
                               "error": self.error}
        if self.result is not None:
            out.update({"score": score, "points_possible": possible, "percent": self.percent(),
                        "items": {item_label(k): round(v, 6) for k, v in self.item_scores().items()},
                        "total": self.result.total(), "topics": self.result.topics(),
                        "entries": [r.to_json() for r in self.result.results]})
        return out


class ClassResult:
    """A graded class: its students in input order, what is wrong with the roster, the items."""

    def __init__(self, students: list[StudentResult], *, roster: Roster | None = None, jobs: int = 1,
                 seconds: float = 0.0, timeout: float = DEFAULT_TIMEOUT):
        self.students = sorted(students, key=lambda s: s.order)
        self.roster, self.jobs, self.seconds, self.timeout = roster, jobs, seconds, timeout
        groups: dict[str, list[StudentResult]] = {}
        for s in self.students:
            groups.setdefault(student_key(s.student), []).append(s)
        #: Students named by more than one submission: none of them goes in the gradebook.
        self.duplicates = {k: v for k, v in groups.items() if len(v) > 1}
        self.items: list[ItemStats] = item_analysis([s.result for s in self.students if s.result is not None])
        self.missing: list[str] = []
        self.not_on_roster: list[str] = []
        self.ambiguous: list[str] = []
        self.roster_row: dict[str, int] = {}
        if roster is not None:
            matched: set[int] = set()
            for key, group in groups.items():
                rows = roster.match(group[0].student)
                if not rows:
                    self.not_on_roster.append(group[0].student)
                elif len(rows) > 1:
                    self.ambiguous.append(group[0].student)
                else:
                    self.roster_row[key] = rows[0]
                matched.update(rows)
            self.missing = [roster.label(i) for i in range(len(roster.rows)) if i not in matched]

    def is_duplicate(self, s: StudentResult) -> bool:
        return student_key(s.student) in self.duplicates

    def in_gradebook(self, s: StudentResult) -> bool:
        return s.graded and not self.is_duplicate(s)

    @property
    def graded(self) -> list[StudentResult]:
        return [s for s in self.students if s.graded]

    @property
    def all_correct(self) -> bool:
        return all(s.result is not None and s.result.all_correct for s in self.students)

    def summary(self) -> dict:
        pcts = sorted(s.percent() for s in self.graded)
        n = len(pcts)
        median = (pcts[n // 2] if n % 2 else (pcts[n // 2 - 1] + pcts[n // 2]) / 2) if n else 0.0
        return {"students": len(self.students), "graded": n, "not_graded": len(self.students) - n,
                "answers": sum(len(s.result.results) for s in self.graded if s.result is not None),
                "mean_percent": round(sum(pcts) / n, 2) if n else 0.0, "median_percent": round(median, 2),
                "student_timeout": self.timeout}

    def problems(self) -> list[str]:
        """One line per thing the TA must look at: students not graded, duplicates, the roster."""
        out = [f"{s.student} ({s.source}): not graded: {s.error}" for s in self.students if s.error]
        for group in self.duplicates.values():
            files = ", ".join(s.source for s in group)
            out.append(f"duplicate student '{group[0].student}': named by {files}; none of them is in the gradebook")
        if self.missing:
            out.append(f"missing: {len(self.missing)} on the roster without an answer file: {', '.join(self.missing)}")
        if self.not_on_roster:
            out.append(f"not on the roster: {', '.join(self.not_on_roster)}")
        if self.ambiguous:
            out.append(f"on several roster rows: {', '.join(self.ambiguous)}")
        return out

    def to_json(self) -> dict:
        return {"class": self.summary(), "problems": self.problems(),
                "duplicates": {g[0].student: [s.source for s in g] for g in self.duplicates.values()},
                "missing": self.missing, "not_on_roster": self.not_on_roster,
                "items": [s.to_json() for s in self.items],
                "students": [s.to_json() for s in self.students]}


# ----------------------------------------------------------------------------
# The run.
# ----------------------------------------------------------------------------
def default_jobs() -> int:
    return os.cpu_count() or 1


def grade_class(subs: list[Submission], *, banks: list[str] | None = None, latex: bool | None = None,
                jobs: int | None = None, timeout: float = DEFAULT_TIMEOUT,
                progress: Callable[[int, int], None] | None = None) -> list[StudentResult]:
    """Grade every submission in worker processes; ``progress(done, total)`` as students finish."""
    pool = _Pool(banks or [], latex, max(1, jobs or default_jobs()), timeout)
    return pool.run(subs, progress)


class _Worker:
    def __init__(self, ctx, banks: list[str], latex: bool | None):
        self.conn, child = ctx.Pipe(duplex=True)
        # Not a daemon: a daemonic process may not start children, and a worker grading an
        # expression starts its sandbox (nncheck.answer.sandbox).  The pool stops its workers
        # itself (``_Pool.run``'s ``finally``), and a worker whose parent dies sees its pipe close.
        self.proc = ctx.Process(target=_worker_main, args=(child, banks, latex), daemon=False,
                                name="nncheck-grade")
        self.proc.start()
        child.close()
        self.ready = False
        self.born = time.monotonic()
        self.task: Submission | None = None
        self.started = 0.0

    def send(self, sub: Submission) -> None:
        self.task, self.started = sub, time.monotonic()
        self.conn.send(("grade", sub))

    def ask_to_stop(self) -> None:
        try:
            self.conn.send(("stop",))
        except (OSError, ValueError):
            pass

    def stop(self) -> None:
        """After :meth:`ask_to_stop`: wait a little for the worker to end, then kill what is left."""
        self.proc.join(2.0)
        self.kill()

    def kill(self) -> None:
        """The worker and its process group (the sandboxed checker it may have forked)."""
        import signal

        if self.proc.pid is not None and self.proc.exitcode is None:
            # Only while it runs: the pid of a worker that has ended (and been reaped) may be another's.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (OSError, AttributeError):
                pass
        try:
            if self.proc.is_alive():
                self.proc.kill()
            self.proc.join(2.0)
        except (OSError, ValueError, AssertionError):
            pass
        try:
            self.conn.close()
        except OSError:
            pass


class _Pool:
    def __init__(self, banks: list[str], latex: bool | None, jobs: int, timeout: float):
        import multiprocessing

        self.ctx = multiprocessing.get_context("spawn")
        self.banks, self.latex, self.jobs, self.timeout = banks, latex, jobs, timeout
        self.workers: list[_Worker] = []
        self.failed_starts = 0

    def run(self, subs: list[Submission], progress) -> list[StudentResult]:
        from multiprocessing.connection import wait

        pending = deque(s for s in subs if s.error is None)
        results: list[StudentResult] = [StudentResult(s.student or student_of_file(None, s.path), s.path, s.order,
                                                      error=s.error) for s in subs if s.error is not None]
        total = len(subs)
        stopping: list[_Worker] = []
        try:
            while pending or any(w.task for w in self.workers):
                while len(self.workers) < min(self.jobs, len(pending) + sum(1 for w in self.workers if w.task)):
                    self.workers.append(_Worker(self.ctx, self.banks, self.latex))
                for w in self.workers:
                    if w.ready and w.task is None and pending:
                        w.send(pending.popleft())
                now = time.monotonic()
                deadlines = [w.started + self.timeout for w in self.workers if w.task] + \
                            [w.born + START_SECONDS for w in self.workers if not w.ready]
                wait_for = max(0.0, min(deadlines) - now) if deadlines else None
                by_conn = {id(w.conn): w for w in self.workers}
                for conn in wait([w.conn for w in self.workers], timeout=wait_for):
                    w = by_conn[id(conn)]
                    try:
                        msg = w.conn.recv()
                    except (EOFError, OSError):
                        self._lost(w, results, "the grading process stopped (out of memory or killed)")
                        continue
                    if msg[0] == "ready":
                        w.ready = True
                    elif msg[0] == "split":  # a class file: its students are graded one by one
                        split: list[Submission] = msg[1]
                        total += len(split) - 1
                        pending.extendleft(reversed(split))
                        w.task = None
                    else:
                        results.append(msg[1])
                        w.task = None
                    if msg[0] != "ready" and progress is not None:
                        progress(len(results), total)
                if not pending:
                    # No student left for an idle worker: it ends now, while the others finish theirs
                    # (a worker takes about half a second to exit).
                    for w in [w for w in self.workers if w.ready and w.task is None]:
                        w.ask_to_stop()
                        self.workers.remove(w)
                        stopping.append(w)
                now = time.monotonic()
                for w in list(self.workers):
                    if w.task is not None and now - w.started > self.timeout:
                        self._lost(w, results, f"exceeded {self.timeout:g} s")
                        if progress is not None:
                            progress(len(results), total)
                    elif not w.ready and w.task is None and now - w.born > START_SECONDS:
                        self._lost(w, results, "")
        finally:
            stopping += self.workers
            for w in self.workers:
                w.ask_to_stop()
            for w in stopping:
                w.stop()
            self.workers = []
        return results

    def _lost(self, w: _Worker, results: list[StudentResult], why: str) -> None:
        """A worker past its budget or dead: its student (if any) is not graded; it is replaced."""
        w.kill()
        self.workers.remove(w)
        sub = w.task
        if sub is not None:
            results.append(StudentResult(sub.student or student_of_file(None, sub.path), sub.path, sub.order,
                                         error=why))
        elif not w.ready:
            self.failed_starts += 1
            if self.failed_starts > MAX_START_FAILURES:
                raise NNCheckError("the grading processes could not be started",
                                   hint="try --jobs 1; run 'nncheck bank validate' to check the install")


# ----------------------------------------------------------------------------
# The worker (a spawned process).
# ----------------------------------------------------------------------------
#: SymPy's cache in a class worker.  SymPy keeps the results of building and evaluating expressions in
#: an LRU cache of 1,000 entries by default, read once when it is first imported.  A key rebuilds the
#: same pieces again and again (σ of the same numbers, the same sub-derivatives), and a worker that
#: computes hundreds of keys overflows 1,000 at once: with 10,000 a class with a seed per student
#: takes 10-20% less CPU, for about 40 MiB more per worker (bench/bench_grade.py).  One answer file
#: graded in one process keeps SymPy's default, within its own budget of memory.
WORKER_SYMPY_CACHE = "10000"


def _worker_main(conn, banks: list[str], latex: bool | None) -> None:
    # Before anything imports SymPy (a spawned worker starts without it); a value the user set is kept.
    os.environ.setdefault("SYMPY_CACHE_SIZE", WORKER_SYMPY_CACHE)
    import signal

    try:
        os.setpgid(0, 0)  # a group of its own: killed with its checker; Ctrl-C is the parent's
    except (OSError, AttributeError):
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from nncheck.bank.index import load_catalog
    from nncheck.batch.grade import Grader

    catalog = load_catalog(banks)
    grader = Grader(catalog, latex=latex)
    _warm_up()
    conn.send(("ready",))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg[0] != "grade":
            return
        sub: Submission = msg[1]
        try:
            reply = grade_submission(sub, catalog, grader)
        except Exception as e:  # noqa: BLE001 - a bug must cost one student, not the class
            reply = ("done", StudentResult(sub.student or student_of_file(None, sub.path), sub.path, sub.order,
                                           error=f"internal error (please report it): {type(e).__name__}: {e}"))
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


def _warm_up() -> None:
    """What grading imports on first use, before the first student's clock starts."""
    import nncheck.answer.symbolic  # noqa: F401
    import nncheck.key.compute  # noqa: F401
    import nncheck.kinds  # noqa: F401


def grade_submission(sub: Submission, catalog, grader) -> tuple[str, Any]:
    """("done", StudentResult), or ("split", [Submission, ...]) for a file holding a class."""
    from nncheck.batch.grade import grade_sheet, load_answers
    from nncheck.batch.roster import holds_a_class, split_by_student

    started = time.monotonic()
    sheet = sub.sheet
    if sheet is None:
        try:
            sheet = load_answers(sub.path)
        except NNCheckError as e:
            return "done", StudentResult(student_of_file(None, sub.path), sub.path, sub.order, error=e.line())
        if holds_a_class(sheet):
            return "split", split_by_student(sheet, sub.order)
    student = sub.student or student_of_file(sheet, sub.path)
    result = grade_sheet(sheet, catalog, grader=grader)
    return "done", StudentResult(student, sub.path, sub.order, result=result, declared=declared_answers(sheet.meta),
                                 seconds=time.monotonic() - started)


def declared_answers(meta: dict) -> int | None:
    """The number of answers a generated file declares (``set: {answers: 8}``)."""
    declared = meta.get("set")
    n = declared.get("answers") if isinstance(declared, dict) else None
    return n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else None
