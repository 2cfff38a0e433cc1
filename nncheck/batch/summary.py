"""The terminal summary of a graded class, as plain lines (the CLI prints them as they are).

Student text (names, file names, answers, feedback quoting them) goes through
:func:`~nncheck.batch.escape.terminal_text`: no ESC sequence, control character or bidi override
reaches the terminal.  Columns are cut at :data:`WIDTH` characters with an ellipsis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nncheck.batch.analysis import item_label
from nncheck.batch.escape import one_line, terminal_text

if TYPE_CHECKING:
    from nncheck.batch.classrun import ClassResult

WIDTH = 32


def _fit(text: object, width: int = WIDTH) -> str:
    s = terminal_text(one_line(text))
    return s if len(s) <= width else s[: width - 1] + "…"


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return " " + "   ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return [line(header).rstrip(), " " + "─" * (sum(widths) + 3 * (len(widths) - 1))] + \
        [line(r).rstrip() for r in rows]


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%"


def class_summary(cls: ClassResult) -> list[str]:
    summ = cls.summary()
    out = [f"Graded {summ['graded']} of {summ['students']} students ({summ['answers']} answers): "
           f"mean {summ['mean_percent']:.1f}%, median {summ['median_percent']:.1f}%.", ""]
    rows = []
    for s in cls.students:
        if s.result is None:
            rows.append([_fit(s.student), _fit(s.source, 40), "not graded", ""])
            continue
        score, possible = s.points()
        mark = " (duplicate)" if cls.is_duplicate(s) else ""
        rows.append([_fit(s.student) + mark, _fit(s.source, 40), f"{score:g} / {possible}", f"{s.percent():.1f}"])
    out += _table(["student", "answer file", "score", "%"], rows, {2, 3})
    if cls.items:
        out += ["", "Item analysis (of the students who have an entry for the part):", ""]
        rows = [[_fit(item_label(it.item), 40), str(it.answered), _pct(it.share(it.correct)),
                 _pct(it.share(it.first_try)), str(it.status["invalid"]), str(it.status["unanswered"])]
                for it in cls.items]
        out += _table(["item", "students", "correct", "first try", "invalid", "blank"], rows, {1, 2, 3, 4, 5})
        if not any(it.several_tries for it in cls.items):
            out += ["", "Each file answers each part once: the first try is the only one."]
        notes = []
        for it in cls.items:
            mistakes, invalid = it.top_mistakes(), it.top_invalid()
            if not mistakes and not invalid:
                continue
            notes.append(f" {terminal_text(item_label(it.item))}")
            for m, n, msg in mistakes:
                notes.append(f"   {_pct(n / it.answered)} ({n} of {it.answered}) {terminal_text(m)}: "
                             f"{terminal_text(one_line(msg))}")
            for a, n, why in invalid:
                notes.append(f"   could not be read, {n}×: {terminal_text(a)} — {terminal_text(one_line(why))}")
        if notes:
            out += ["", "Named mistakes and answers that could not be read:", ""] + notes
    problems = cls.problems()
    if problems:
        out += ["", "Needs a look:"] + [f"  {terminal_text(p)}" for p in problems]
    return out
