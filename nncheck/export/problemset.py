"""Draw a problem set: which families, which seeds, which parts, in which order.

Everything is decided by one ``random.Random`` seeded from the set's seed (a string
seed, so the draw does not depend on ``PYTHONHASHSEED``), and problems are listed in
catalog order, so a seed always gives the same set.  ``exam=True`` follows the ECE 417
final-exam review: 8-10 problems with 1-3 parts each, grouped in the
review's four neural-network sections, hand-computable draws only.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from nncheck.errors import AnswerKeyError, NNCheckError, UsageError

if TYPE_CHECKING:
    from nncheck.bank.index import Catalog
    from nncheck.records import FamilyRecord, PartSpec

#: The neural-network sections of the ECE 417 exam review ("Material from the last third of the course").
EXAM_SECTIONS = (
    ("Neural networks & back-propagation", ("backprop", "softmax", "loss", "optim", "activation", "knn", "batchnorm")),
    ("CNN & Faster R-CNN", ("conv", "pool", "detection")),
    ("Partial derivatives & RNN", ("rnn", "flowgraph")),
    ("LSTM", ("lstm", "gru")),
)
#: Families whose topic says "backprop" but that the ECE 417 exam review teaches under partial derivatives
#: (flow graphs).
EXAM_SECTION_OF_ID = {"backprop.total-derivative": 2, "backprop.graph": 2}
OTHER_SECTION = "Other topics"
EXAM_COUNT = 9  # the seed: "8-10 problems"
EXAM_MAX_PARTS = 3  # the seed: "1-3 parts each"
#: The review's "usual rules", as the paper exam's header lists them.
EXAM_TIME = "3 hours"
EXAM_RULE_LIST = ("No calculators or computers.",
                  "Two sheets of handwritten notes are allowed.",
                  "Exact answers (fractions, ln(2), σ(0.5)) are fine wherever a number is asked.")
EXAM_RULES = (f"{EXAM_TIME}. No calculators or computers; two sheets of handwritten notes are allowed. "
              f"{EXAM_RULE_LIST[2]}")
MAX_KEY_TRIES = 8
MAX_COUNT = 1000


class SetProblem:
    """One numbered problem of a set: its variant, its answer key and the parts asked."""

    def __init__(self, number: int, variant, key, parts: list[PartSpec], section: str | None):
        self.number, self.variant, self.key, self.parts, self.section = number, variant, key, parts, section

    @property
    def label(self) -> str:
        return f"{self.number}"

    def part_label(self, i: int) -> str:
        return f"({chr(97 + i)})"


class ProblemSet:
    def __init__(self, seed: int, problems: list[SetProblem], *, exam: bool, title: str,
                 formula_sheet: bool | None = None):
        self.seed, self.problems, self.exam, self.title = seed, problems, exam, title
        #: Write the set's formula sheet too: always with an exam (the ECE 417 review's "two pages of
        #: formulas"), on request otherwise.
        self.formula_sheet = exam if formula_sheet is None else formula_sheet

    def sections(self) -> list[tuple[str | None, list[SetProblem]]]:
        out: list[tuple[str | None, list[SetProblem]]] = []
        for p in self.problems:
            if not out or out[-1][0] != p.section:
                out.append((p.section, []))
            out[-1][1].append(p)
        return out

    @property
    def answer_count(self) -> int:
        return sum(len(p.parts) for p in self.problems)


def exam_section(record: FamilyRecord) -> int:
    """The index of the ECE 417 exam review's section for a family (len(EXAM_SECTIONS) for 'other')."""
    if record["id"] in EXAM_SECTION_OF_ID:
        return EXAM_SECTION_OF_ID[record["id"]]
    prefix = record["id"].split(".")[0]
    for i, (_, topics) in enumerate(EXAM_SECTIONS):
        if record["topic"] in topics or prefix in topics:
            return i
    return len(EXAM_SECTIONS)


def build_set(catalog: Catalog, *, topics=None, families=None, count: int | None = None, seed: int = 1,
              exam: bool = False, title: str | None = None, formula_sheet: bool | None = None) -> ProblemSet:
    """Draw ``count`` problems (answer keys included) from the families selected."""
    pool = catalog.select(topics=topics, families=families)
    if exam:
        pool = [r for r in pool if r.get("exam", True)]
    if not pool:
        raise NNCheckError("no problem families to draw from" + (" (none may appear in exams)" if exam else ""))
    if count is None:
        count = EXAM_COUNT if exam else 10
    if not 1 <= count <= MAX_COUNT:
        raise UsageError(f"--count must be between 1 and {MAX_COUNT}; got {count}")
    rng = random.Random(f"nncheck-set#{seed}")
    order = {r["id"]: i for i, r in enumerate(catalog.records)}
    picks: list[tuple[FamilyRecord, int | None]]
    if exam:
        picks = list(_exam_picks(pool, count, rng))
    else:
        picks = [(r, None) for r in _spread(pool, count, rng)]
    drawn = []
    used: set[tuple[str, int]] = set()
    for n, (record, section) in enumerate(picks):
        variant, key = _draw(record, rng, used)
        parts = variant.parts
        if exam and len(parts) > EXAM_MAX_PARTS:
            start = rng.randrange(len(parts) - EXAM_MAX_PARTS + 1)
            parts = parts[start:start + EXAM_MAX_PARTS]
        drawn.append((section if section is not None else -1, order.get(record["id"], 0), n, variant, key, parts))
    drawn.sort(key=lambda t: (t[0], t[1], t[2]))
    problems = []
    for i, (section, _, _, variant, key, parts) in enumerate(drawn, 1):
        name = None
        if exam:
            name = EXAM_SECTIONS[section][0] if section < len(EXAM_SECTIONS) else OTHER_SECTION
        problems.append(SetProblem(i, variant, key, parts, name))
    if title is None:
        title = (f"Neural networks final exam (practice), seed {seed}" if exam else f"Problem set, seed {seed}")
    return ProblemSet(seed, problems, exam=exam, title=title, formula_sheet=formula_sheet)


def _spread(pool: list[FamilyRecord], count: int, rng: random.Random) -> list[FamilyRecord]:
    """``count`` families, every family once before any repeats (shuffled rounds)."""
    out: list[FamilyRecord] = []
    while len(out) < count:
        batch = list(pool)
        rng.shuffle(batch)
        out.extend(batch[: count - len(out)])
    return out


def _exam_picks(pool: list[FamilyRecord], count: int, rng: random.Random) -> list[tuple[FamilyRecord, int]]:
    """Spread ``count`` problems over the ECE 417 exam review's sections, round robin, then over families."""
    by_section: dict[int, list[FamilyRecord]] = {}
    for r in pool:
        by_section.setdefault(exam_section(r), []).append(r)
    sections = sorted(by_section)
    quota = {s: 0 for s in sections}
    for i in range(count):
        quota[sections[i % len(sections)]] += 1
    picks: list[tuple[FamilyRecord, int]] = []
    for s in sections:
        picks.extend((r, s) for r in _spread(by_section[s], quota[s], rng))
    return picks


def _draw(record: FamilyRecord, rng: random.Random, used: set[tuple[str, int]]):
    """A variant of ``record`` with a fresh seed whose answer key is accepted."""
    from nncheck.generate.variant import build_variant
    from nncheck.key.compute import answer_key

    last: NNCheckError | None = None
    for _ in range(MAX_KEY_TRIES):
        vseed = rng.randrange(1, 1_000_000)
        if (record["id"], vseed) in used:
            continue
        used.add((record["id"], vseed))
        variant = build_variant(record, vseed, {})
        try:
            return variant, answer_key(variant)
        except AnswerKeyError as e:  # a refused variant is never served: draw another
            last = e
    raise NNCheckError(f"{record['id']}: no usable variant in {MAX_KEY_TRIES} draws ({last.message if last else ''})")
