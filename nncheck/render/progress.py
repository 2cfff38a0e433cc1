"""The ``stats`` report: the history in figures, the common mistakes, and progress as charts.

The charts are drawn with rich's own :class:`~rich.text.Text` (no plotting library): a row
of block characters per topic, one column a day, its height the day's accuracy, and a bar
per day for the reviews coming due.  A dozen cells a row say as much as a plot would at
terminal resolution, and the same text reads in a pipe, a log or a golden file.  Colour is
the console's business (none when piped or with ``NO_COLOR``): every figure is in the
characters themselves, the colour only repeats it.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from nncheck.render.quiz_views import when_text

#: Accuracy from 0 % (lowest block) to 100 % (full block), one level per eighth.
BLOCKS = "▁▂▃▄▅▆▇█"
#: A day without practice in a topic's row (a 0 % day is the lowest block, not this).
NO_PRACTICE = "·"
#: Days of accuracy the chart shows, ending today.
CHART_DAYS = 14
#: The longest bar of the reviews-due chart, in cells (longer queues are scaled down).
BAR_CELLS = 30
#: Common mistakes the terminal lists unless told otherwise (``--json`` always has all of them).
TOP_MISTAKES = 10
# English names, not strftime's %a: the locale must not change a report's text.
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


def _accuracy_style(acc: float) -> str:
    return "green" if acc >= 0.8 else "yellow" if acc >= 0.5 else "red"


def block(answered: int, correct: int) -> str:
    """The cell of one day: a block as high as the day's accuracy, or ``·`` for no practice."""
    if not answered:
        return NO_PRACTICE
    return BLOCKS[round(correct / answered * (len(BLOCKS) - 1))]


def accuracy_chart(series: dict[str, list[dict]], order: list[str], today: date,
                   days: int = CHART_DAYS) -> RenderableType:
    """Accuracy per topic over the ``days`` days ending ``today``: one row a topic, a column a day.

    ``series``: :func:`nncheck.practice.store.accuracy_series`; ``order``: the topics in the
    order of the report's table (weakest first).  Topics not practised in these days are left
    out; each row ends with its parts and accuracy over the days shown.
    """
    first = today - timedelta(days=days - 1)
    window = [(first + timedelta(days=k)).isoformat() for k in range(days)]
    rows = []
    for topic in order:
        by_day = {pt["date"]: pt for pt in series.get(topic, [])}
        shown = [by_day[d] for d in window if d in by_day]
        if shown:
            rows.append((topic, by_day, sum(p["answered"] for p in shown), sum(p["correct"] for p in shown)))
    head = Text.assemble(("Progress: ", "bold"), f"accuracy by topic, the last {days} days "
                         f"({BLOCKS[0]} 0% … {BLOCKS[-1]} 100%, {NO_PRACTICE} no practice)")
    if not rows:
        return Group(head, Text(f"  no practice in these {days} days", style="dim"))
    width = max(len(t) for t, *_ in rows)
    lines: list[RenderableType] = [head]
    for topic, by_day, answered, correct in rows:
        line = Text("  " + topic.ljust(width) + "  ")
        for d in window:
            pt = by_day.get(d)
            if pt is None:
                line.append(NO_PRACTICE, style="dim")
            else:
                line.append(block(pt["answered"], pt["correct"]), style=_accuracy_style(pt["correct"] / pt["answered"]))
        acc = correct / answered
        line.append(f"  {answered} part{'s' if answered != 1 else ''}, ")
        line.append(_pct(acc), style=_accuracy_style(acc))
        lines.append(line)
    # The time axis under the columns: the first day at the left, today at the right.
    start, end = first.isoformat()[5:], "today"
    axis = start + end.rjust(days - len(start)) if days >= len(start) + len(end) + 1 else ""
    if axis:
        lines.append(Text(" " * (width + 4) + axis, style="dim"))
    return Group(*lines)


def _day_label(d: date, today: date) -> str:
    return "today" if d == today else f"{WEEKDAYS[d.weekday()]} {d.isoformat()[5:]}"


def due_chart(series: list[dict], today: date) -> RenderableType | None:
    """Reviews due on each of the coming days as bars (today's bar includes those overdue);
    None when none is due in those days."""
    if not any(pt["count"] for pt in series):
        return None
    top = max(pt["count"] for pt in series)
    labels = [_day_label(date.fromisoformat(pt["date"]), today) for pt in series]
    width = max(len(s) for s in labels)
    lines: list[RenderableType] = [Text(f"Reviews due, the next {len(series)} days (today's include those overdue)",
                                        style="bold")]
    for label, pt in zip(labels, series):
        n = pt["count"]
        cells = n if top <= BAR_CELLS else math.ceil(n * BAR_CELLS / top)  # one cell a review while they fit
        line = Text("  " + label.ljust(width) + "  ")
        line.append("█" * cells, style="cyan")
        line.append(f"{' ' if cells else ''}{n}")
        lines.append(line)
    return Group(*lines)


class MistakesTable:
    """The common mistakes as a table sized to the console it is drawn on.

    Ids and family names are kept whole where the width allows, the explanation wrapping
    instead; where it does not, they are folded, never cut with "…" (an id cut short names
    nothing).  The choice needs the width, which only drawing knows.
    """

    #: The explanation column's narrowest width before ids give way instead.
    EXPLANATION_MIN = 24

    def __init__(self, mistakes: list[dict]):
        self.mistakes = mistakes

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        id_w = max(len(m["mistake"]) for m in self.mistakes)
        where_w = max(len(f) for m in self.mistakes for f in m["families"])
        # SIMPLE_HEAD's edges and dividers (5) and a space of padding either side of 4 columns (8),
        # "times" (5 wide), the ids, the explanation's narrowest.
        whole = 5 + 8 + 5 + id_w + where_w + self.EXPLANATION_MIN <= options.max_width
        t = Table(title=Text("Common mistakes", style="bold"), title_justify="left", box=box.SIMPLE_HEAD)
        t.add_column("times", justify="right")
        # (Not min_width: rich's collapse narrows the widest columns first, then widens them back.)
        t.add_column("mistake", overflow="fold", no_wrap=whole)
        t.add_column("where", overflow="fold", no_wrap=whole)
        t.add_column("what it means", overflow="fold")
        for m in self.mistakes:
            t.add_row(str(m["count"]), m["mistake"], ", ".join(m["families"]), m["message"] or "")
        # Printed with soft_wrap (long lines of the report are never broken when piped), the
        # cells would be measured unwrapped and the table would outgrow the width it was sized to.
        yield from console.render(t, options.update(no_wrap=False, overflow="fold"))


def mistakes_table(mistakes: list[dict], limit: int | None = TOP_MISTAKES) -> list[RenderableType]:
    """The common mistakes, the ``limit`` most frequent (None: all), and how to see the rest."""
    shown = mistakes if limit is None else mistakes[:limit]
    out: list[RenderableType] = [MistakesTable(shown)] if shown else []
    rest = len(mistakes) - len(shown)
    if rest:
        out.append(Text(f"{'  ' if shown else ''}{rest} {'more ' if shown else ''}common mistake"
                        f"{'s' if rest != 1 else ''}: nncheck stats --mistakes all", style="dim"))
    return out


def stats_view(st: dict[str, Any], *, mistakes: int | None = TOP_MISTAKES, now: float | None = None) -> Group:
    """The whole report of :func:`nncheck.practice.store.history_stats`.

    ``mistakes``: how many common mistakes to list (None: all).  ``now``: the moment the
    report is of (default: now), which fixes "today" in the charts.
    """
    import time

    now = time.time() if now is None else now
    today = date.fromtimestamp(now)
    items: list[RenderableType] = []
    if not st["totals"]["parts"]:
        items.append(Text("No answers yet. Start with: nncheck quiz", style="bold"))
    else:
        tot = st["totals"]
        items.append(Text.assemble(
            ("History: ", "bold"),
            f"{tot['sessions']} session{'s' if tot['sessions'] != 1 else ''}, {tot['parts']} parts answered, "
            f"{_pct(tot['accuracy'])} correct ({_pct(tot['first_try'])} at the first try)"
            + (f"; {tot['blank']} exam part{'s' if tot['blank'] != 1 else ''} left blank." if tot["blank"]
               else ".")))
        s = st["streak"]
        items.append(Text.assemble(("Streak: ", "bold"),
                                   f"{s['current']} day{'s' if s['current'] != 1 else ''}"
                                   f" (longest {s['longest']}; last practised {s['last_day'] or '—'})"))
        for what, rows, label in (("topic", st["topics"], "By topic"), ("family_id", st["families"], "By family")):
            t = Table(title=Text(label, style="bold"), title_justify="left", box=box.SIMPLE_HEAD)
            t.add_column("family" if what == "family_id" else what)
            t.add_column("parts", justify="right")
            t.add_column("correct", justify="right")
            t.add_column("first try", justify="right")
            if what == "family_id":
                t.add_column("last practised")
            for r in rows:
                cells = [r[what], str(r["parts"]), _pct(r["accuracy"]), _pct(r["first_try"])]
                if what == "family_id":
                    cells.append(r["last"] or "")
                t.add_row(*cells)
            items.append(t)
            if what == "topic":
                # All-time figures above, the recent trend under them.
                items.append(accuracy_chart(st["accuracy_series"], [r["topic"] for r in rows], today))
                items.append(Text(""))
        if st["mistakes"]:
            listed = mistakes_table(st["mistakes"], mistakes)
            items.extend(listed)
            if not isinstance(listed[-1], MistakesTable):  # a table ends with a blank line of its own
                items.append(Text(""))
    rv = st["reviews"]
    line = Text.assemble(("Reviews: ", "bold"), f"{rv['due_now']} due now")
    if rv["next_due"]:
        line.append(f"; next: {rv['next_family']} {when_text(rv['next_due'], now)}")
    line.append(f" ({rv['cards']} families scheduled).")
    items.append(line)
    if rv["due"]:
        items.append(Text("  due: " + ", ".join(rv["due"][:12]) + (" …" if len(rv["due"]) > 12 else "")
                          + "  → nncheck review", style="dim"))
    chart = due_chart(st["due_series"], today)
    if chart is not None:
        items.append(chart)
    return Group(*items)
