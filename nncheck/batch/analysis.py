"""Item analysis: how the class did on each problem and part, and which mistakes it made.

An *item* is one part of one problem as the answer files name it: the problem's label in the
file (``problem: 3`` in a generated file), the family id and the part.  Students with a seed of
their own answer the same item with different numbers; their named mistakes are still the same
mistake, so they are counted together.

Answer files record answers, not attempts: there is no attempt number or time stamp in them.  So
*tries* are read from what a file can hold: when it answers the same part more than once (a log
exported one row per attempt), its entries, in file order, are the student's tries; the last is
the answer that counts and the first is the *first try*.  A file that answers each part once has
one try per part, and "correct at the first try" is then the share correct; the analysis says
which case it is (``several_tries``).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nncheck.batch.grade import BatchResult, Entry, EntryResult

Item = tuple[str, str, str]  # (problem label or "", family id, part)
#: How many named mistakes and invalid answers an item lists.
TOP = 5
#: Invalid answers are shown up to this many characters.
ANSWER_CHARS = 40


def item_of(e: Entry) -> Item | None:
    """The item an entry answers (None for an entry that names no problem or part)."""
    if e.family is None or e.part is None:
        return None
    return (e.problem or "", e.family, e.part)


def item_label(item: Item) -> str:
    problem, family, part = item
    return f"{problem}. {family} {part}" if problem else f"{family} {part}"


def tries_by_item(result: BatchResult) -> dict[Item, list[EntryResult]]:
    """A student's results per item, in file order (several when the file answers a part again)."""
    out: dict[Item, list[EntryResult]] = {}
    for r in result.results:
        item = item_of(r.entry)
        if item is not None:
            out.setdefault(item, []).append(r)
    return out


class ItemStats:
    """The class's figures for one item (over the students who have an entry for it)."""

    def __init__(self, item: Item):
        self.item = item
        self.topic = ""
        self.answered = 0          # students with an entry for the item (blank ones included)
        self.correct = 0           # their last try correct
        self.first_try = 0         # their first try correct
        self.several_tries = False
        self.score = 0.0
        self.status: Counter[str] = Counter()
        self.mistakes: Counter[str] = Counter()
        self.messages: dict[str, Counter[str]] = {}
        self.invalid: Counter[str] = Counter()
        self.reasons: dict[str, str] = {}
        self.expected: set[str | None] = set()

    def add(self, tries: list[EntryResult]) -> None:
        last = tries[-1]
        self.topic = self.topic or last.topic
        self.answered += 1
        self.several_tries = self.several_tries or len(tries) > 1
        self.correct += last.status == "correct"
        self.first_try += tries[0].status == "correct"
        self.score += last.score
        self.status[last.status] += 1
        self.expected.add(last.expected)
        if last.mistake and last.status == "incorrect":
            self.mistakes[last.mistake] += 1
            self.messages.setdefault(last.mistake, Counter())[_message(last)] += 1
        if last.status == "invalid" and last.field == "answer":
            text = " ".join((last.entry.answer or "").split())
            if len(text) > ANSWER_CHARS:
                text = text[:ANSWER_CHARS - 1] + "…"
            self.invalid[text] += 1
            self.reasons.setdefault(text, last.feedback)

    def share(self, count: float) -> float:
        return round(count / self.answered, 4) if self.answered else 0.0

    def top_mistakes(self) -> list[tuple[str, int, str]]:
        """(mistake id, students, the message most of them got), most frequent first."""
        return [(m, n, self.messages[m].most_common(1)[0][0]) for m, n in _ranked(self.mistakes)[:TOP]]

    def top_invalid(self) -> list[tuple[str, int, str]]:
        """(answer as typed, students, why it could not be read), most frequent first."""
        return [(a, n, self.reasons[a]) for a, n in _ranked(self.invalid)[:TOP]]

    def shared_expected(self) -> str | None:
        """The key's answer when every student had the same one (a shared set), else None."""
        known = {x for x in self.expected if x is not None}
        return next(iter(known)) if len(known) == 1 else None

    def to_json(self) -> dict:
        problem, family, part = self.item
        return {
            "item": item_label(self.item), "problem": problem or None, "id": family, "part": part,
            "topic": self.topic or None, "answered": self.answered,
            "correct": self.correct, "share_correct": self.share(self.correct),
            "correct_first_try": self.first_try, "share_correct_first_try": self.share(self.first_try),
            "several_tries": self.several_tries, "mean_score": self.share(self.score),
            "incorrect": self.status["incorrect"], "invalid": self.status["invalid"],
            "unanswered": self.status["unanswered"], "error": self.status["error"],
            "expected": self.shared_expected(),
            "mistakes": [{"mistake": m, "students": n, "share": self.share(n), "message": msg}
                         for m, n, msg in self.top_mistakes()],
            "invalid_answers": [{"answer": a, "students": n, "reason": why} for a, n, why in self.top_invalid()],
        }


def _message(r: EntryResult) -> str:
    """A mistake's message without the verdict's own wording around it."""
    return " ".join(r.feedback.split())


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    """Most frequent first; ties in alphabetical order, so that the order never depends on
    which process graded which student."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def item_analysis(results: list[BatchResult]) -> list[ItemStats]:
    """Per item, in order of first appearance: ``results`` are the students' graded files."""
    stats: dict[Item, ItemStats] = {}
    for res in results:
        for item, tries in tries_by_item(res).items():
            if item not in stats:
                stats[item] = ItemStats(item)
            stats[item].add(tries)
    return list(stats.values())
