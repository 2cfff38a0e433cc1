"""Practice and exam sessions: the pure core that ``quiz``, ``exam`` and ``review`` drive.

Nothing here prints, prompts or exits.  The CLI shows a problem, reads a line, hands it
to :meth:`Session.handle` and renders the :class:`Event` it gets back, so every rule
below is testable without a terminal:

* An unreadable answer (``Verdict.status == "invalid"``) is returned with its caret and
  costs no attempt.
* Practice (quiz, review): a wrong answer gets its feedback and named mistake, then one
  more attempt; after that comes the worked solution.  ``hint``, ``skip``, ``next``,
  ``solution``, ``quit`` and ``help`` work at any prompt.
* Exam: one attempt per part and no feedback; ``skip`` leaves a part for later,
  ``submit`` ends the exam, ``quit`` suspends it (resumable).
* Every graded answer and every finished part is committed to the history store as it
  happens; a finished problem is one FSRS review of its family (:mod:`nncheck.practice.schedule`).

Answer keys need SymPy (a slow import), so they are computed by :class:`KeyWorker` in a
background thread while the student reads the prompt, which needs no SymPy.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from nncheck.errors import NNCheckError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (this module is on the quiz start-up path)
if TYPE_CHECKING:
    from nncheck.bank.index import Catalog
    from nncheck.practice.schedule import SessionReview
    from nncheck.records import FamilyRecord, PartSpec

MAX_ATTEMPTS = 2  # a wrong answer gets one more try, as in the issue

PRACTICE_COMMANDS = {
    "hint": "show the next hint (a correct answer after a hint is rated hard)",
    "skip": "skip this part",
    "next": "skip the rest of this problem",
    "solution": "show the worked solution for this part (rated again)",
    "quit": "end the session and show the summary (also Ctrl-D)",
    "help": "show this list",
}
EXAM_COMMANDS = {
    "skip": "leave this part for later (you come back to it at the end)",
    "submit": "hand in the exam now; unanswered parts score 0",
    "time": "show the time left",
    "quit": "suspend the exam; 'nncheck exam' resumes it (also Ctrl-C)",
    "help": "show this list",
}
# Single letters other than q are left alone: "h" or "t" may well be an expression answer.
ALIASES = {"exit": "quit", ":q": "quit", "q": "quit", "?": "help", "hints": "hint", "sol": "solution",
           "show solution": "solution", "pass": "skip", "done": "submit"}


def command_of(text: str, commands: dict) -> str | None:
    """The session command ``text`` names, if it is one (whole words only)."""
    word = " ".join(text.strip().lower().split())
    word = ALIASES.get(word, word)
    if word in commands:
        return word
    # Words that mean something in the other mode get a clear "not here" instead of a
    # confusing parse error.
    if word in PRACTICE_COMMANDS or word in EXAM_COMMANDS:
        return word
    return None


# ----------------------------------------------------------------------------
# Exam topics.  The seed review (ECE 417 final, 000) lists the neural-network part of the
# exam as four topics with no split among them, so each gets an equal share.  A family
# belongs to the first group whose family ids, topics or id words match; a family that
# matches none (e.g. k-NN, from another seed) is not drawn for exams.
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ExamGroup:
    key: str
    title: str
    families: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    weight: float = 0.25


EXAM_GROUPS: tuple[ExamGroup, ...] = (
    ExamGroup("rnn", "Partial derivatives & RNN",
              families=("backprop.total-derivative", "backprop.graph", "backprop.flow-graph"),
              topics=("rnn", "gru", "partial", "flowgraph", "flow-graph", "graph"),
              words=("rnn", "bptt", "recurrent", "iir", "gru", "total-derivative", "flow", "partial")),
    ExamGroup("lstm", "LSTM", topics=("lstm",), words=("lstm",)),
    ExamGroup("cnn", "CNN & Faster RCNN",
              topics=("conv", "pool", "detection", "cnn", "rcnn", "faster-rcnn"),
              words=("conv", "pool", "iou", "bbox", "detection", "rcnn", "anchor", "roi", "cnn")),
    ExamGroup("nn", "Neural networks & back-propagation",
              topics=("backprop", "softmax", "loss", "optim", "batchnorm", "activation", "activations", "mlp",
                      "nn", "neural"),
              words=("backprop", "softmax", "sigmoid", "tanh", "relu", "loss", "bce", "entropy", "gradient",
                     "mlp", "neural", "activation", "xor", "optim", "batchnorm", "adam", "sgd")),
)
# Display order: the seed's order.
SEED_ORDER = ("nn", "cnn", "rnn", "lstm")


def exam_group(record: FamilyRecord) -> ExamGroup | None:
    """The exam topic group (of the ECE 417 exam review) of a family, or None when it is not exam material."""
    if record.get("exam") is False:
        return None
    fid = record["id"]
    for g in EXAM_GROUPS:
        if fid in g.families:
            return g
    topic = str(record.get("topic", "")).lower()
    for g in EXAM_GROUPS:
        if topic in g.topics:
            return g
    import re

    words = set(re.split(r"[.\-_ ]+", fid.lower())) | {fid.lower().split(".", 1)[-1]}
    words |= {str(t).lower() for t in record.get("tags") or []}
    for g in EXAM_GROUPS:
        if words & set(g.words):
            return g
    return None


EXAM_MIN_PROBLEMS, EXAM_MAX_PROBLEMS = 8, 10  # "8-10 problems with 1-3 parts each"
EXAM_MAX_PARTS = 3
EXAM_MAX_REPEATS = 2  # the same family (with different numbers) at most twice in one exam
EXAM_MINUTES = 180


# ----------------------------------------------------------------------------
# Plans: which problems a session asks.
# ----------------------------------------------------------------------------
@dataclass
class Planned:
    """One problem of a session: enough to rebuild the exact variant later."""

    family_id: str
    seed: int
    parts: list[str] | None = None  # None: every part the variant asks
    overrides: dict[str, str] = field(default_factory=dict)
    group: str | None = None  # exam topic group


DIFFICULTY_WORDS = {"easy": 1, "medium": 2, "hard": 3, "1": 1, "2": 2, "3": 3}


def parse_difficulty(values: list[str] | None) -> set[int] | None:
    if not values:
        return None
    out = set()
    for v in values:
        for piece in str(v).replace(",", " ").split():
            lo, dash, hi = piece.partition("-")
            if dash and lo in DIFFICULTY_WORDS and hi in DIFFICULTY_WORDS:
                out |= set(range(DIFFICULTY_WORDS[lo], DIFFICULTY_WORDS[hi] + 1))
            elif piece.lower() in DIFFICULTY_WORDS:
                out.add(DIFFICULTY_WORDS[piece.lower()])
            else:
                raise NNCheckError(f"unknown difficulty '{piece}'",
                                   hint="use easy, medium, hard, 1-3 or a range like 1-2")
    return out


def fresh_seed(rng: random.Random | None = None, avoid: set[int] | frozenset = frozenset()) -> int:
    """A variant seed, different from ``avoid`` (the seeds this student has already seen)."""
    r = rng or random.SystemRandom()
    for _ in range(1000):
        s = r.randrange(1, 1_000_000)
        if s not in avoid:
            return s
    return r.randrange(1_000_000, 1_000_000_000)


def session_seed(seed: int | None) -> int:
    return seed if seed is not None else random.SystemRandom().randrange(1, 1_000_000)


def plan_quiz(catalog: Catalog, *, topics=None, families=None, count: int = 5, seed: int,
              difficulty: set[int] | None = None) -> list[Planned]:
    """``count`` problems from the selected families, each family once before any repeats."""
    pool = catalog.select(topics=topics, families=families)
    if difficulty:
        pool = [r for r in pool if int(r.get("difficulty", 2)) in difficulty]
    if not pool:
        raise NNCheckError("no problem families match these options", hint="see 'nncheck list'")
    if count < 1:
        raise NNCheckError("--count must be at least 1")
    rng = random.Random(f"quiz#{seed}")
    out: list[Planned] = []
    bag: list[FamilyRecord] = []
    while len(out) < count:
        if not bag:
            bag = list(pool)
            rng.shuffle(bag)
            # Never the same family twice in a row across a reshuffle.
            if out and len(bag) > 1 and bag[-1]["id"] == out[-1].family_id:
                bag[0], bag[-1] = bag[-1], bag[0]
        rec = bag.pop()
        out.append(Planned(rec["id"], rng.randrange(1, 1_000_000)))
    return out


def quiz_command_line(seed: int, config: dict) -> str:
    """``nncheck quiz`` with every option that decides which problems :func:`plan_quiz` draws.

    ``config``: the session's (``topics``, ``families``, ``count``, ``difficulty``, ``banks``,
    as given; the banks as absolute paths, so the command works from any directory).  The
    order of repeated options is kept: the pool is drawn in the order they name it.  Banks in
    ``NNCHECK_BANKS`` are not repeated: the environment that had them has them still.
    """
    import shlex

    words = ["nncheck", "quiz", "--seed", str(seed), "-n", str(config.get("count", 5))]
    for flag, key in (("-t", "topics"), ("-f", "families"), ("-d", "difficulty"), ("--bank", "banks")):
        for value in config.get(key) or []:
            words += [flag, str(value)]
    return shlex.join(words)


def plan_exam(catalog: Catalog, *, seed: int) -> list[Planned]:
    """8-10 problems of 1-3 parts, spread over the ECE 417 exam review's four topics (equal weights)."""
    rng = random.Random(f"exam#{seed}")
    by_group: dict[str, list[FamilyRecord]] = {}
    for rec in catalog.records:
        g = exam_group(rec)
        if g is not None:
            by_group.setdefault(g.key, []).append(rec)
    groups = [g for g in EXAM_GROUPS if by_group.get(g.key)]
    if not groups:
        raise NNCheckError("no exam families in the banks", hint="an exam draws from the ECE 417 exam review's topics: "
                           + "; ".join(g.title for g in EXAM_GROUPS))
    n = rng.randint(EXAM_MIN_PROBLEMS, EXAM_MAX_PROBLEMS)
    # A family appears at most EXAM_MAX_REPEATS times; a group with too few families hands
    # its extra problems to the others (by weight), and the exam is shorter only when the
    # whole bank is too small.
    capacity = {g.key: EXAM_MAX_REPEATS * len(by_group[g.key]) for g in groups}
    n = min(n, sum(capacity.values()))
    quota: dict[str, int] = {}
    open_groups = list(groups)
    left = n
    while left > 0 and open_groups:
        share = allocate(left, {g.key: g.weight for g in open_groups}, rng)
        for g in open_groups:
            quota[g.key] = quota.get(g.key, 0) + share[g.key]
        left = 0
        for g in list(open_groups):
            if quota[g.key] >= capacity[g.key]:
                left += quota[g.key] - capacity[g.key]
                quota[g.key] = capacity[g.key]
                open_groups.remove(g)
    out: list[Planned] = []
    for key in SEED_ORDER:
        recs = sorted(by_group.get(key, []), key=lambda r: r["id"])
        bag: list[FamilyRecord] = []
        for _ in range(quota.get(key, 0)):
            if not bag:
                bag = list(recs)
                rng.shuffle(bag)
            rec = bag.pop()
            out.append(Planned(rec["id"], rng.randrange(1, 1_000_000), group=key))
    return out


def allocate(n: int, weights: dict[str, float], rng: random.Random) -> dict[str, int]:
    """Split ``n`` items by ``weights``: floors, then the largest remainders (ties at random)."""
    total = sum(weights.values())
    exact = {k: n * w / total for k, w in weights.items()}
    out = {k: int(v) for k, v in exact.items()}
    order = sorted(weights, key=lambda k: (-(exact[k] - out[k]), rng.random()))
    for k in order[: n - sum(out.values())]:
        out[k] += 1
    return out


def exam_parts(variant, rng: random.Random) -> list[str]:
    """The parts an exam asks of a variant: all of them, or 3 in their order."""
    names = [p["name"] for p in variant.parts]
    if len(names) <= EXAM_MAX_PARTS:
        return names
    keep = sorted(rng.sample(range(len(names)), EXAM_MAX_PARTS))
    return [names[i] for i in keep]


def plan_review(catalog: Catalog, due: list[str], *, count: int, new: int = 0, seen: Callable[[str], set],
                never_seen: list[str] | None = None) -> tuple[list[Planned], list[str]]:
    """Due families first (in the order given), then ``new`` families never practised.

    Each gets a *fresh* seed, one this student has not been given before.  Returns the plan
    and the due families that are not in the loaded banks (a user bank not passed now).
    """
    rng = random.SystemRandom()
    missing = [f for f in due if f not in catalog.by_id]
    ids = [f for f in due if f in catalog.by_id][:count]
    for f in never_seen or []:
        if len(ids) >= count + new or new <= 0:
            break
        if f not in ids and len([i for i in ids if i not in due]) < new:
            ids.append(f)
    return [Planned(f, fresh_seed(rng, seen(f))) for f in ids], missing


# ----------------------------------------------------------------------------
# Answer keys in the background.
# ----------------------------------------------------------------------------
class KeyWorker:
    """Computes answer keys, in order, in one daemon thread.

    A daemon thread, not a ThreadPoolExecutor: quitting must not wait for SymPy to finish
    an import or a key nobody will look at.
    """

    def __init__(self, compute: Callable | None = None):
        self._compute = compute
        self._queue: deque = deque()
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, variant) -> Future:
        fut: Future = Future()
        with self._cv:
            self._queue.append((variant, fut))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="nncheck-keys", daemon=True)
                self._thread.start()
            self._cv.notify()
        return fut

    def cancel_pending(self) -> None:
        """Drop the keys not yet started: nobody will look at them (the session ended)."""
        with self._cv:
            while self._queue:
                _variant, fut = self._queue.popleft()
                fut.cancel()

    def _run(self) -> None:
        compute = self._compute
        if compute is None:
            from nncheck.key.compute import answer_key

            compute = answer_key
        while True:
            with self._cv:
                while not self._queue:
                    self._cv.wait()
                variant, fut = self._queue.popleft()
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                fut.set_result(compute(variant))
            except BaseException as e:  # handed to whoever waits for this key
                fut.set_exception(e)


# ----------------------------------------------------------------------------
# Session state.
# ----------------------------------------------------------------------------
@dataclass
class PartState:
    name: str
    kind: str
    spec: PartSpec
    outcome: str | None = None  # correct | wrong | skipped | revealed | blank (None: not finished)
    attempts: int = 0
    hints: int = 0
    score: float = 0.0
    answer: str | None = None  # the last graded answer
    verdict: object = None  # the last Verdict (or a stored stand-in after a resume)
    elapsed: float = 0.0
    visited: bool = False
    started: float | None = None

    @property
    def done(self) -> bool:
        return self.outcome is not None

    def result_word(self) -> str:
        if self.outcome == "correct":
            if getattr(self.verdict, "carried_forward", None):
                return "correct, carried forward"  # right from the student's own wrong earlier answers
            if self.attempts > 1:
                return "correct, 2nd try"
            return "correct after a hint" if self.hints else "correct"
        if self.outcome is None and self.attempts:
            return "tried, not solved"  # a wrong try, then the session ended before the next one
        return {"wrong": "wrong", "skipped": "skipped", "revealed": "solution shown", "blank": "blank",
                None: "not reached"}.get(self.outcome, self.outcome or "")


class SessionProblem:
    """One problem of a session: the planned variant, its parts' states and its key."""

    def __init__(self, index: int, planned: Planned, record: FamilyRecord, variant):
        self.index = index
        self.planned = planned
        self.record = record
        self.variant = variant
        # variant.parts evaluates every part's 'when' formula: read it once.
        asked = {p["name"]: p for p in variant.parts}
        names = planned.parts or list(asked)
        specs = [asked[n] if n in asked else variant.part(n) for n in names]  # part() explains a missing one
        self.parts = [PartState(n, spec["kind"], spec) for n, spec in zip(names, specs)]
        self.hints_given = 0
        self.key_future: Future | None = None
        self.rating: tuple[int, str] | None = None  # this problem's own rating (its family's: Session.reviews)

    @property
    def family_id(self) -> str:
        return self.record["id"]

    @property
    def topic(self) -> str:
        return self.record["topic"]

    @property
    def done(self) -> bool:
        return all(p.done for p in self.parts)

    @property
    def started(self) -> bool:
        """A part is finished or has a graded answer: there is something to rate."""
        return any(p.done or p.attempts > 0 for p in self.parts)

    def key(self, timeout: float | None = None):
        """The answer key (waits for the background computation)."""
        if self.key_future is None:
            raise RuntimeError("the key was never requested")
        return self.key_future.result(timeout)

    def key_ready(self) -> bool:
        return self.key_future is not None and self.key_future.done()

    def hints(self) -> list[str]:
        return self.variant.hints()

    def store_row(self) -> dict:
        return {"idx": self.index, "family_id": self.family_id, "topic": self.topic, "seed": self.variant.seed,
                "overrides": self.planned.overrides, "parts": [p.name for p in self.parts]}


@dataclass
class FamilyReview:
    """A family's one review in a session, over every problem of the family the session asked."""

    family_id: str
    problems: list[int]  # the indices of its rated problems, in the order they were rated
    rating: int
    reason: str
    worst: int  # the index of the problem whose rating counts (the worst, the first of equals)
    next_due: float | None = None
    recorded: SessionReview | None = None  # the review written to the history


@dataclass
class Event:
    """What an input did, for the CLI to render."""

    kind: str  # see Session.handle
    problem: SessionProblem | None = None
    part: PartState | None = None
    verdict: object = None
    text: str | None = None  # a hint, or a message
    number: int = 0  # which hint
    total: int = 0  # of how many
    error: str | None = None  # a refused key


class StoredVerdict:
    """A verdict read back from the history (after a resume), enough for the exam report."""

    def __init__(self, row: dict):
        self.status = row["status"]
        self.score = row["score"]
        self.feedback = row.get("feedback") or ""
        self.mistake = row.get("mistake")
        self.parsed_as = row.get("parsed_as")
        self.error = None
        self.details: list = []
        self.tolerance = None
        self.carried_forward: list = []  # the history keeps the feedback, which names them

    def caret(self):
        return None

    def to_json(self) -> dict:
        return {"status": self.status, "score": self.score, "feedback": self.feedback,
                "parsed_as": self.parsed_as, "mistake": self.mistake}


class Session:
    """A quiz, exam or review session over a list of planned problems.

    ``store``: a :class:`nncheck.practice.store.Store` (or None: nothing is recorded).
    ``clock``: monotonic seconds, injectable for tests.
    """

    def __init__(self, catalog: Catalog, plan: list[Planned], *, mode: str, store=None, session_id: str | None = None,
                 seed: int | None = None, config: dict | None = None, minutes: float | None = None,
                 clock: Callable[[], float] = time.monotonic, worker: KeyWorker | None = None,
                 rate_reviews: bool = True):
        if mode not in ("quiz", "exam", "review"):
            raise ValueError(mode)
        self.catalog = catalog
        self.mode = mode
        self.exam = mode == "exam"
        self.commands = EXAM_COMMANDS if self.exam else PRACTICE_COMMANDS
        self.max_attempts = 1 if self.exam else MAX_ATTEMPTS
        self.store = store
        self.seed = seed
        self.config = config or {}
        self.minutes = minutes
        self.clock = clock
        self.worker = worker or KeyWorker()
        self.rate_reviews = rate_reviews
        self.ended: str | None = None  # finished | quit | suspended | time
        self.reviews: dict[str, FamilyReview] = {}  # family id → its one review in this session
        self._base_active = 0.0
        self._segment = clock()
        self.problems: list[SessionProblem] = []
        rng = random.Random(f"parts#{seed}")
        for i, pl in enumerate(plan):
            self.problems.append(self._build(i, pl, rng))
        # A new session is written to the history by warm() — just after the first problem is
        # on screen, so its commit (an fsync) is not in the start-up path — or by the first
        # write, whichever comes first.  open_store() has already proved the file writable.
        self.session_id = session_id
        self._pos: int | None = 0  # index into self._flat of the current part (None: none left)
        self._flat = [(pi, ki) for pi, p in enumerate(self.problems) for ki in range(len(p.parts))]
        self._advance(start=True)

    # -- building --------------------------------------------------------------
    def _build(self, index: int, pl: Planned, rng: random.Random) -> SessionProblem:
        from nncheck.generate.variant import build_variant, make_variant

        rec = self.catalog.get(pl.family_id)
        v = make_variant(rec, pl.seed, pl.overrides) if pl.overrides else build_variant(rec, pl.seed, {})
        if self.exam and pl.parts is None:
            pl.parts = exam_parts(v, rng)
        return SessionProblem(index, pl, rec, v)

    @classmethod
    def resume(cls, catalog: Catalog, stored: dict, *, store, clock: Callable[[], float] = time.monotonic,
               worker: KeyWorker | None = None) -> Session:
        """Rebuild a session from :meth:`nncheck.practice.store.Store.load_session` output."""
        plan = []
        for p in stored["problems"]:
            if p["family_id"] not in catalog.by_id:
                banks = stored.get("config", {}).get("banks") or []
                raise NNCheckError(f"cannot resume: problem family '{p['family_id']}' is not in the loaded banks",
                                   hint=("pass the bank it came from: " + " ".join(f"--bank {b}" for b in banks))
                                   if banks else "run with the --bank it came from")
            plan.append(Planned(p["family_id"], p["seed"], list(p["parts"]), dict(p.get("overrides") or {})))
        cfg = stored.get("config") or {}
        s = cls(catalog, plan, mode=stored["mode"], store=store, session_id=stored["id"], seed=stored.get("seed"),
                config=cfg, minutes=cfg.get("minutes"), clock=clock, worker=worker)
        s._base_active = float(stored.get("active_seconds") or 0.0)
        answers: dict[tuple, dict] = {}
        for a in stored.get("answers", []):
            answers[(a["idx"], a["part"])] = a  # the last graded answer of each part
        for r in stored.get("part_results", []):
            if r["idx"] >= len(s.problems):
                continue
            prob = s.problems[r["idx"]]
            for ps in prob.parts:
                if ps.name == r["part"]:
                    ps.outcome, ps.attempts, ps.hints = r["outcome"], r["attempts"], r["hints"]
                    ps.score, ps.elapsed, ps.visited = r["score"], r["elapsed"] or 0.0, True
                    a = answers.get((r["idx"], r["part"]))
                    if a is not None:
                        ps.answer, ps.verdict = a["answer"], StoredVerdict(a)
        if store is not None:
            store.reopen_session(stored["id"])
        s._pos = 0
        s._advance(start=True)
        return s

    # -- time ------------------------------------------------------------------
    def active_seconds(self) -> float:
        return self._base_active + (self.clock() - self._segment)

    def time_left(self) -> float | None:
        if self.minutes is None:
            return None
        return self.minutes * 60 - self.active_seconds()

    def time_up(self) -> bool:
        left = self.time_left()
        return left is not None and left <= 0

    # -- where we are ----------------------------------------------------------
    @property
    def current(self) -> tuple[SessionProblem, PartState] | None:
        if self.ended or self._pos is None:
            return None
        pi, ki = self._flat[self._pos]
        return self.problems[pi], self.problems[pi].parts[ki]

    @property
    def finished(self) -> bool:
        return self.current is None

    def _advance(self, start: bool = False) -> None:
        """Move to the next unfinished part: in order, then (exam) the skipped ones again."""
        n = len(self._flat)
        if n == 0:
            self._pos = None
            return
        here = self._pos if self._pos is not None else 0
        first = range(n) if start else range(here + 1, n)
        nxt = None
        for i in first:
            pi, ki = self._flat[i]
            ps = self.problems[pi].parts[ki]
            if not ps.done and not ps.visited:
                nxt = i
                break
        if nxt is None and self.exam:
            # Second pass: the parts skipped for later, round-robin from here.
            for step in range(1, n + 1):
                i = (here + step) % n if not start else (step - 1) % n
                pi, ki = self._flat[i]
                if not self.problems[pi].parts[ki].done:
                    nxt = i
                    break
        if nxt is None and not self.exam and start:
            for i in range(n):
                pi, ki = self._flat[i]
                if not self.problems[pi].parts[ki].done:
                    nxt = i
                    break
        self._pos = nxt
        if nxt is None:
            return
        pi, ki = self._flat[nxt]
        ps = self.problems[pi].parts[ki]
        ps.started = self.clock()

    def second_pass(self) -> bool:
        cur = self.current
        return cur is not None and cur[1].visited

    def warm(self) -> None:
        """Start computing the keys of the current and the next problem (exam: all of them).

        Called once the problem is on screen; a new session is also written to the history now.
        """
        self._db()
        cur = self.current
        if cur is None:
            return
        start = cur[0].index
        todo = self.problems if self.exam else self.problems[start:start + 2]
        for p in todo:
            if p.key_future is None:
                p.key_future = self.worker.submit(p.variant)

    # -- input -------------------------------------------------------------------
    def handle(self, text: str | None) -> Event:
        """Act on one line (or block) of input; ``None`` means end of input (Ctrl-D).

        Event kinds: ``empty``, ``help``, ``hint``, ``no-hint``, ``unavailable``, ``invalid``,
        ``retry`` (wrong, one more try), ``correct``, ``wrong`` (show the solution),
        ``skipped``, ``revealed``, ``answered`` (exam), ``refused`` (the key failed; the
        problem was replaced), ``time``, ``quit``, ``suspended``, ``submitted``.
        """
        cur = self.current
        if cur is None:
            return Event("quit")
        prob, part = cur
        if text is None:
            return self._quit(prob, part)
        cmd = command_of(text, self.commands)
        if cmd is None and not text.strip():
            return Event("empty", prob, part)
        if cmd is not None:
            if cmd not in self.commands:
                return Event("unavailable", prob, part, text=cmd)
            return getattr(self, "_cmd_" + cmd)(prob, part)
        if self.exam and self.time_up():
            return Event("time", prob, part)
        if prob.key_future is None:
            self.warm()
        try:
            key = prob.key()
        except Exception as e:  # noqa: BLE001 - any failure of a key is reported and the problem replaced
            return self._refused(prob, e)
        from nncheck.key.grade import grade

        verdict = grade(key, part.name, text, self._earlier(prob, part), asked=[ps.name for ps in prob.parts])
        if verdict.status == "invalid":
            return Event("invalid", prob, part, verdict=verdict)
        part.attempts += 1
        part.answer = text
        part.verdict = verdict
        part.score = float(verdict.score)
        part.visited = True
        elapsed = self._elapsed(part)
        self._record_answer(prob, part, text, verdict, elapsed)
        if self.exam:
            self._finish_part(prob, part, "correct" if verdict.status == "correct" else "wrong")
            return Event("answered", prob, part, verdict=verdict)
        if verdict.status == "correct":
            self._finish_part(prob, part, "correct")
            return Event("correct", prob, part, verdict=verdict)
        if part.attempts < self.max_attempts:
            return Event("retry", prob, part, verdict=verdict)
        self._finish_part(prob, part, "wrong")
        return Event("wrong", prob, part, verdict=verdict)

    @staticmethod
    def _earlier(prob: SessionProblem, part: PartState) -> dict[str, str]:
        """The student's answers to the problem's other parts: error carried forward grades a wrong
        answer again from them (:func:`nncheck.key.grade.carry_forward`)."""
        return {ps.name: ps.answer for ps in prob.parts if ps is not part and ps.answer is not None}

    def _carry_again(self) -> None:
        """Exam: a part answered before a part it is computed from (skipped, then answered) is graded
        again with every answer in, so the order of answering never changes the marks."""
        from typing import cast

        from nncheck.answer.verdict import Verdict
        from nncheck.key.grade import carry_forward

        for prob in self.problems:
            wrong = [ps for ps in prob.parts if ps.outcome == "wrong" and ps.answer is not None
                     and getattr(ps.verdict, "status", None) == "incorrect"
                     and not getattr(ps.verdict, "carried_forward", None)]
            if not wrong or prob.key_future is None:
                continue
            try:
                key = prob.key()
            except Exception:  # noqa: BLE001 - a refused key was reported when the problem was shown
                continue
            asked = [ps.name for ps in prob.parts]
            for ps in wrong:
                assert ps.answer is not None
                # A stored verdict (after a resume) has every attribute carry_forward reads.
                verdict = carry_forward(key, ps.name, ps.answer, cast(Verdict, ps.verdict), self._earlier(prob, ps),
                                        asked=asked)
                if verdict is not ps.verdict and verdict.status == "correct":
                    ps.verdict, ps.score = verdict, float(verdict.score)
                    self._finish_part(prob, ps, "correct", advance=False)

    def _elapsed(self, part: PartState) -> float:
        now = self.clock()
        if part.started is not None:
            part.elapsed += now - part.started
        part.started = now
        return part.elapsed

    def _cmd_help(self, prob, part) -> Event:
        return Event("help", prob, part, text="\n".join(f"{k:<9} {v}" for k, v in self.commands.items()))

    def _cmd_time(self, prob, part) -> Event:
        return Event("time-left", prob, part)

    def _cmd_hint(self, prob: SessionProblem, part: PartState) -> Event:
        hints = prob.hints()
        if prob.hints_given >= len(hints):
            return Event("no-hint", prob, part, total=len(hints))
        text = hints[prob.hints_given]
        prob.hints_given += 1
        part.hints += 1
        return Event("hint", prob, part, text=text, number=prob.hints_given, total=len(hints))

    def _cmd_skip(self, prob: SessionProblem, part: PartState) -> Event:
        if self.exam:
            part.visited = True
            self._elapsed(part)
            self._advance()
            return Event("skipped", prob, part)
        self._elapsed(part)
        part.visited = True
        self._finish_part(prob, part, "skipped")
        return Event("skipped", prob, part)

    def _cmd_next(self, prob: SessionProblem, part: PartState) -> Event:
        self._elapsed(part)
        for ps in prob.parts:
            if not ps.done:
                ps.visited = True
                self._finish_part(prob, ps, "skipped", advance=False)
        self._after_problem(prob)
        self._advance()
        return Event("skipped", prob, part, text="problem")

    def _cmd_solution(self, prob: SessionProblem, part: PartState) -> Event:
        if prob.key_future is None:
            self.warm()
        try:
            prob.key()
        except Exception as e:  # noqa: BLE001
            return self._refused(prob, e)
        self._elapsed(part)
        part.visited = True
        self._finish_part(prob, part, "revealed")
        return Event("revealed", prob, part)

    def _cmd_quit(self, prob, part) -> Event:
        return self._quit(prob, part)

    def _cmd_submit(self, prob, part) -> Event:
        self.finish("finished")
        return Event("submitted", prob, part)

    def _quit(self, prob: SessionProblem, part: PartState) -> Event:
        if self.exam:
            self.suspend()
            return Event("suspended", prob, part)
        self.finish("quit")
        return Event("quit", prob, part)

    def _refused(self, prob: SessionProblem, err: Exception) -> Event:
        """The key of this variant failed: replace the problem by a fresh draw of the same family."""
        msg = err.line() if isinstance(err, NNCheckError) else f"{type(err).__name__}: {err}"
        from nncheck.generate.variant import build_variant

        for _ in range(5):
            # Practice asks whatever parts the new draw has; an exam keeps its parts.
            pl = Planned(prob.family_id, fresh_seed(avoid={prob.variant.seed}),
                         prob.planned.parts if self.exam else None, group=prob.planned.group)
            try:
                new = SessionProblem(prob.index, pl, prob.record, build_variant(prob.record, pl.seed, {}))
            except NNCheckError:  # this draw does not ask the same parts: draw again
                continue
            self.problems[prob.index] = new
            self._flat = [(pi, ki) for pi, p in enumerate(self.problems) for ki in range(len(p.parts))]
            if self._db() is not None:
                self.store.add_problems(self.session_id, [new.store_row()])
            self._pos = None
            self._advance(start=True)
            self.warm()
            return Event("refused", new, self.current[1] if self.current else None, error=msg)
        raise NNCheckError(f"{prob.family_id}: no instance with a working answer key ({msg})")

    # -- recording ---------------------------------------------------------------
    def _db(self):
        """The store, with this session written to it (None when nothing is recorded)."""
        if self.store is not None and self.session_id is None:
            self.session_id = self.store.start_session(self.mode, seed=self.seed, config=self.config,
                                                       problems=[p.store_row() for p in self.problems])
        return self.store

    def _record_answer(self, prob: SessionProblem, part: PartState, text: str, verdict, elapsed: float) -> None:
        if self._db() is None:
            return
        self.store.record_answer(self.session_id, {
            "idx": prob.index, "family_id": prob.family_id, "topic": prob.topic, "part": part.name,
            "attempt": part.attempts, "answer": text, "status": verdict.status, "score": verdict.score,
            "mistake": verdict.mistake, "feedback": verdict.feedback, "parsed_as": verdict.parsed_as,
            "hints": part.hints, "elapsed": round(elapsed, 3)}, active_seconds=self.active_seconds())

    def _finish_part(self, prob: SessionProblem, part: PartState, outcome: str, *, advance: bool = True) -> None:
        part.outcome = outcome
        if outcome != "correct" and not self.exam:
            part.score = 0.0 if outcome != "wrong" else part.score
        if self._db() is not None:
            self.store.record_part(self.session_id, {
                "idx": prob.index, "part": part.name, "family_id": prob.family_id, "topic": prob.topic,
                "outcome": outcome, "attempts": part.attempts, "hints": part.hints, "score": part.score,
                "elapsed": round(part.elapsed, 3)}, active_seconds=self.active_seconds())
        if advance:
            if prob.done and not self.exam:
                self._after_problem(prob)
            self._advance()

    def _after_problem(self, prob: SessionProblem) -> None:
        """A finished practice problem is one review of its family."""
        if self.exam or not self.rate_reviews:
            return
        self._rate(prob)

    def _rate(self, prob: SessionProblem) -> None:
        """Rate ``prob`` from all its parts (unanswered ones count against it), as its family's review.

        A family asked twice in one session is still one review, with the worse rating: a later,
        worse rating replaces the review written for the earlier problem (``amend``), a better one
        leaves it standing.
        """
        from nncheck.practice.schedule import rate, record_review, time_budget

        if prob.rating is not None or not prob.started:
            return
        parts = [{"part": p.name, "outcome": p.outcome, "attempts": p.attempts, "hints": p.hints,
                  "elapsed": p.elapsed} for p in prob.parts]
        budget = time_budget([p.kind for p in prob.parts], int(prob.record.get("difficulty", 2)))
        rating, reason = prob.rating = rate(parts, budget)
        fam = self.reviews.get(prob.family_id)
        if fam is None:
            fam = self.reviews[prob.family_id] = FamilyReview(prob.family_id, [prob.index], rating, reason,
                                                              prob.index)
        else:
            fam.problems.append(prob.index)
            if rating >= fam.rating:
                return  # the earlier, worse (or equal) rating stands
            fam.rating, fam.reason, fam.worst = rating, reason, prob.index
        if self._db() is not None:
            seconds = sum(p.elapsed for i in fam.problems for p in self.problems[i].parts)
            rec = record_review(self.store, prob.family_id, rating, reason, session_id=self.session_id,
                                idx=prob.index, duration_ms=int(seconds * 1000), amend=fam.recorded)
            fam.recorded, fam.next_due = rec, rec.due

    # -- ending ------------------------------------------------------------------
    def suspend(self) -> None:
        """Exam: stop the clock and keep everything for a resume."""
        self.ended = "suspended"
        self.worker.cancel_pending()
        if self._db() is not None:
            self.store.end_session(self.session_id, "suspended", active_seconds=self.active_seconds())

    def finish(self, status: str = "finished") -> None:
        """End the session: exam parts not answered become blank; problems are rated."""
        if self.ended and self.ended != "suspended":
            return
        active = self.active_seconds()
        if self.exam:
            self._carry_again()
            for prob in self.problems:
                for ps in prob.parts:
                    if not ps.done:
                        self._finish_part(prob, ps, "blank", advance=False)
            if self.rate_reviews:
                for prob in self.problems:
                    if any(ps.outcome != "blank" for ps in prob.parts):
                        self._rate(prob)
        else:
            # A problem left half-done by quit is still a review: its unanswered parts count against it.
            cur = self.current
            if cur is not None:
                self._rate(cur[0])
        self.ended = status
        if not self.exam:  # an exam's report still needs every key
            self.worker.cancel_pending()
        if self._db() is not None:
            self.store.end_session(self.session_id, status, active_seconds=active)

    # -- results -----------------------------------------------------------------
    def rows(self) -> list[dict]:
        """One row per part asked (or reached), for summaries and --json."""
        out = []
        for prob in self.problems:
            for ps in prob.parts:
                if not ps.done and not self.exam and not ps.visited:
                    continue
                row = {"problem": prob.index + 1, "id": prob.family_id, "topic": prob.topic,
                       "seed": prob.variant.seed, "part": ps.name, "kind": ps.kind,
                       "outcome": ps.outcome, "result": ps.result_word(), "attempts": ps.attempts,
                       "hints": ps.hints, "score": round(ps.score, 4), "answer": ps.answer,
                       "mistake": getattr(ps.verdict, "mistake", None),
                       "seconds": round(ps.elapsed, 1)}
                carried = getattr(ps.verdict, "carried_forward", None)
                if carried:
                    row["carried_forward"] = list(carried)  # graded from these parts' (wrong) answers
                out.append(row)
        return out

    def totals(self) -> dict:
        rows = self.rows()
        asked = len(rows)
        correct = sum(1 for r in rows if r["outcome"] == "correct")
        score = sum(r["score"] for r in rows)
        return {"parts": asked, "correct": correct, "score": round(score, 4),
                "percent": round(100 * score / asked, 1) if asked else 0.0}

    def ratings(self) -> list[dict]:
        """One review per family rated in this session: ``problem`` is the problem whose rating
        counts, ``problems`` every problem of the family that was rated."""
        from nncheck.practice.schedule import RATING_NAMES

        return [{"problem": f.worst + 1, "problems": [i + 1 for i in f.problems], "id": f.family_id,
                 "rating": RATING_NAMES[f.rating], "reason": f.reason, "next_due": f.next_due}
                for f in sorted(self.reviews.values(), key=lambda f: f.problems[0])]

    def replay_command(self) -> str | None:
        """The command that asks this quiz's problems again (None for other sessions)."""
        if self.mode != "quiz" or self.seed is None:
            return None
        return quiz_command_line(self.seed, self.config)

    def summary_json(self) -> dict:
        out = {"session": self.session_id, "mode": self.mode, "seed": self.seed, "status": self.ended,
               "parts": self.rows(), "totals": self.totals(), "reviews": self.ratings(),
               "active_seconds": round(self.active_seconds(), 1)}
        replay = self.replay_command()
        if replay:
            out["replay"] = replay  # the command that asks the same problems again
        return out
