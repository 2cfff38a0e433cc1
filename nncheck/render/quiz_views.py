"""The terminal views of quiz, exam, review and stats, and the answer reader (:class:`Terminal`).

Typer-free on purpose: ``nncheck quiz`` is the command students start most, and the first
question must be on screen within 0.35 s, so the fast front end (:mod:`nncheck.cli.fast`)
shows it without the CLI framework.  Nothing heavy is imported before the first problem is
shown: its answer key (SymPy) is computed in a background thread while the student reads,
and prompt_toolkit is imported only when the first answer is read from a real terminal.
The loops that use these views are in :mod:`nncheck.cli.loop`.

Everything is built from :class:`rich.text.Text` objects, never from markup strings:
prompts and answers are full of brackets (``[1, 2]``) that rich markup would eat.
Colour is the console's business (none when piped or with ``NO_COLOR``).
"""

from __future__ import annotations

import errno
import math
import os
import sys
import time

from rich import box
from rich.console import Console, Group
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from nncheck.lang.template import fmt_number
from nncheck.lang.tolerance_rule import prompt_line
from nncheck.render.rich_views import answer_display, verdict_renderable
from nncheck.render.text import diagram_lines

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the quiz's start-up path)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TextIO

    from prompt_toolkit import PromptSession
    from prompt_toolkit.formatted_text import AnyFormattedText
    from rich.console import RenderableType

    from nncheck.generate.variant import Variant
    from nncheck.key.model import AnswerKey, KeyPart
    from nncheck.practice.session import Event, PartState, Session, SessionProblem

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def letter(i: int) -> str:
    return LETTERS[i] if i < len(LETTERS) else str(i + 1)


def duration(seconds: float | None) -> str:
    """3:07, 1:02:09."""
    if seconds is None:
        return ""
    s = max(0, int(round(seconds)))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def when_text(ts: float | None, now: float | None = None) -> str:
    """'now', 'in 10 min', 'in 3 days', 'overdue by 2 h'."""
    if ts is None:
        return ""
    now = time.time() if now is None else now
    d = ts - now
    if -60 < d <= 0:
        return "now"
    mag = abs(d)
    if mag < 3600:
        t = f"{max(1, math.ceil(mag / 60))} min"
    elif mag < 86400 * 2:
        t = f"{mag / 3600:.0f} h"
    else:
        t = f"{mag / 86400:.0f} days"
    return f"in {t}" if d > 0 else f"overdue by {t}"


# ----------------------------------------------------------------------------
# Problems.
# ----------------------------------------------------------------------------
def _matrix_table(name: str, rows: list[list[object]]) -> Group:
    t = Table(box=box.SQUARE, show_header=False, padding=(0, 1))
    for _ in rows[0]:
        t.add_column(justify="right")
    for r in rows:
        t.add_row(*(Text(fmt_number(x)) for x in r))
    # The caption sits above the grid, not as a table title that would wrap to its width.
    return Group(Text(f"{name}  ({len(rows)}×{len(rows[0])})", style="dim"), t)


def matrix_tables(variant: Variant) -> list[Group]:
    """Grids for the matrices a student has to work through entry by entry.

    Every matrix of a ``diagram: grid`` family, and elsewhere matrices of at least 3×3
    (images, kernels): the bracket block in the prompt is hard to read cell by cell.
    """
    grid = variant.family.get("diagram") == "grid"
    out = []
    for name, value in variant.public_params().items():
        spec = variant.family["params"].get(name)
        if spec is None or spec["type"] != "matrix":
            continue
        if not isinstance(value, list) or not value or not isinstance(value[0], list):
            continue
        if grid or (len(value) >= 3 and len(value[0]) >= 3):
            out.append(_matrix_table(name, value))
    return out


def problem_view(prob: SessionProblem, number: int, total: int, *, mode: str = "quiz", wrap: bool = True,
                 parts: list[PartState] | None = None, time_left: float | None = None) -> Group:
    """The problem statement with its pictures, and the list of parts asked."""
    v = prob.variant
    head = f"Problem {number} of {total}"
    if time_left is not None:
        head += f" · {duration(time_left)} left"
    items: list = [Rule(Text(head, style="bold"), align="left", style="dim")]
    items.append(Text.assemble((v.id, "bold cyan"), (f" · seed {v.seed}", "dim"), "  ", (v.title, "bold")))
    items.append(Text(""))
    items.append(_paragraph(v.prompt, wrap))
    lines = diagram_lines(v)
    if lines:
        items.append(Text(""))
        items.append(Text("\n".join(lines[:-1]), no_wrap=True, overflow="crop"))
        items.append(Text(lines[-1], style="dim"))
    tables = matrix_tables(v)
    if tables:
        items.append(Text(""))
        grid = Table.grid(padding=(0, 3))
        for _ in tables:
            grid.add_column()
        grid.add_row(*tables)
        items.append(grid)
    items.append(Text(""))
    for i, ps in enumerate(parts if parts is not None else prob.parts):
        prompt = v.part_prompt(ps.spec)
        first, *rest = prompt.split("\n")
        line = Text.assemble((f"({letter(i)}) ", "bold"), (ps.name, "bold"), "  ", first, "  ",
                             (f"[{ps.kind}]", "dim"))
        if ps.done and mode == "exam":
            line.append("  answered", style="green")
        items.append(line)
        for r in rest:
            items.append(_paragraph("     " + r, wrap))
    shown = parts if parts is not None else prob.parts
    rule = prompt_line([ps.spec for ps in shown], [f"({letter(i)})" for i in range(len(shown))])
    if rule:
        items.append(Text(""))
        items.append(_paragraph(rule, wrap))
    return Group(*items)


def _paragraph(text: str, wrap: bool) -> Text:
    """Text that wraps at the console's width, or (piped output) is never re-wrapped nor cropped."""
    return Text(text) if wrap else Text(text, no_wrap=True, overflow="ignore")


def part_heading(prob: SessionProblem, part: PartState) -> Text:
    """The part's question again, just above its prompt (the list may have scrolled away)."""
    prompt = prob.variant.part_prompt(part.spec).split("\n")[0]
    return Text.assemble((part_label(prob, part), "bold"), "  ", prompt, "  ", (f"[{part.kind}]", "dim"))


def part_label(prob: SessionProblem, part: PartState) -> str:
    i = prob.parts.index(part)
    return f"({letter(i)}) {part.name}"


def input_prompt(prob: SessionProblem, part: PartState, *, time_left: float | None = None) -> str:
    """The plain-text prompt before the cursor, e.g. ``(b) W2 › ``."""
    t = f"[{duration(time_left)}] " if time_left is not None else ""
    return f"{t}{part_label(prob, part)} › "


def practice_intro() -> Text:
    return Text("Commands: hint, skip, next, solution, quit, help. A malformed answer costs no attempt.",
                style="dim")


def derivation_help() -> Text:
    return Text("  One step per line, starting from the given expression; an empty line ends the "
                "derivation (or type a command: hint, skip, …).", style="dim")


# ----------------------------------------------------------------------------
# Answers, hints, solutions.
# ----------------------------------------------------------------------------
def indented(text: str, n: int, style: str = "") -> Text:
    """``text`` with every line indented by ``n`` spaces.

    Plain spaces rather than ``rich.padding.Padding``: padding is laid out to the console
    width and would crop long lines of piped output, which is never re-wrapped.
    """
    pad = " " * n
    return Text("\n".join(pad + line for line in str(text).split("\n")), style=style)


def solution_view(prob: SessionProblem, part: PartState, *, wrap: bool = True, heading: str = "solution") -> Group:
    """The correct answer and the worked steps of one part."""
    key = prob.key()
    kp = key.parts[part.name]
    items: list = [Text(f"  {heading} for {part_label(prob, part)}:", style="bold")]
    pre = [s for s in key.preamble] if not any(p.done for p in prob.parts if p is not part) else []
    for s in pre:
        items.append(indented(s, 4, "dim"))
    for s in kp.steps:
        items.append(indented(s, 4))
    items.append(answer_line(kp))
    return Group(*items)


def answer_line(kp: KeyPart, indent: int = 4) -> RenderableType:
    ans = answer_display(kp.kind, kp.exact)  # a closed form with its decimal: the numbers policy
    if "\n" in ans:
        return Group(indented("answer:", indent, "green"), indented(ans, indent + 2, "bold green"))
    return Text.assemble((" " * indent + "answer: ", "green"), (ans, "bold green"))


def event_view(ev: Event, session: Session, *, wrap: bool = True) -> RenderableType | None:
    """What to show after one input; None when nothing needs saying."""
    k = ev.kind
    if k == "empty":
        return None
    name = ev.part.name if ev.part is not None else ""
    if k in ("wrong", "revealed"):
        assert ev.problem is not None and ev.part is not None  # the session says which part this is
        solution = solution_view(ev.problem, ev.part, wrap=wrap)
    if k == "help":
        return Group(Text("Type your answer, or one of:", style="bold"),
                     indented(ev.text or "", 2),
                     Text("Answers use the answer language: 3/4, 2^-3, exp(-1), [1, 2; 3, 4], "
                          "sigma(x)*(1-sigma(x)). A malformed answer costs no attempt.", style="dim"))
    if k == "unavailable":
        where = "during an exam" if session.exam else "in practice"
        return Text(f"'{ev.text}' is not available {where}; type help for the commands.", style="yellow")
    if k == "hint":
        return Text.assemble((f"hint {ev.number}/{ev.total}: ", "bold magenta"), ev.text or "")
    if k == "no-hint":
        return Text("No more hints for this problem." if ev.total else "This problem has no hints.",
                    style="magenta")
    if k == "invalid":
        return verdict_renderable(ev.verdict, name)
    if k == "retry":
        return Group(verdict_renderable(ev.verdict, name), Text("  One more try.", style="bold"))
    if k == "correct":
        return verdict_renderable(ev.verdict, name)
    if k == "wrong":
        return Group(verdict_renderable(ev.verdict, name), solution)
    if k == "revealed":
        return solution
    if k == "skipped":
        if session.exam:
            return Text(f"  {name} left for later.", style="dim")
        return Text("  skipped the rest of this problem." if ev.text == "problem" else f"  skipped {name}.",
                    style="dim")
    if k == "answered":
        return Text("  recorded.", style="dim")
    if k == "refused":
        return Text(f"This instance was refused ({ev.error}); here is a fresh one.", style="yellow")
    if k == "time-left":
        return Text(f"  {duration(session.time_left())} left.", style="bold")
    if k == "time":
        return Text("Time is up: that answer came after the end and is not counted.", style="bold yellow")
    return None


# ----------------------------------------------------------------------------
# End of a session.
# ----------------------------------------------------------------------------
RESULT_STYLE = {"correct": "green", "wrong": "red", "skipped": "yellow", "revealed": "yellow", "blank": "yellow"}


def summary_view(session: Session, *, title: str = "Session summary") -> RenderableType:
    rows = session.rows()
    items: list = []
    if not rows:
        return Text("No parts were answered.", style="dim")
    t = Table(title=Text(title, style="bold"), title_justify="left", box=box.SIMPLE_HEAD)
    t.add_column("#", justify="right")
    t.add_column("problem")
    t.add_column("part")
    t.add_column("result")
    t.add_column("tries", justify="right")
    t.add_column("hints", justify="right")
    t.add_column("time", justify="right")
    for r in rows:
        mistake = f" ({r['mistake']})" if r["mistake"] and r["outcome"] != "correct" else ""
        t.add_row(str(r["problem"]), r["id"], r["part"],
                  Text(r["result"] + mistake, style=RESULT_STYLE.get(r["outcome"] or "", "")),
                  str(r["attempts"]), str(r["hints"]), duration(r["seconds"]))
    items.append(t)
    tot = session.totals()
    items.append(Text(f"{tot['correct']} of {tot['parts']} parts correct "
                      f"({tot['percent']:g}% with partial credit) in {duration(session.active_seconds())}.",
                      style="bold"))
    replay = session.replay_command()
    if replay:
        # On a line of its own, never wrapped when piped: it is there to be copied.
        items.append(Text.assemble("The same problems again: ", (replay, "bold")))
    revs = session.ratings()
    if revs:
        items.append(Text(""))
        items.append(Text("Reviews scheduled (FSRS):", style="bold"))
        now = time.time()
        for r in revs:
            # One line per family: a family asked twice is one review, with the worse rating.
            where = f"problem {r['problem']}: " if len(r["problems"]) > 1 else ""
            items.append(Text(f"  {r['id']}: {r['rating']} ({where}{r['reason']}){next_review(r['next_due'], now)}"))
    return Group(*items)


def next_review(due: float | None, now: float) -> str:
    """When a review just scheduled comes back: 'next in 6 min', or 'due again now' when that time
    has already passed during the session (a short learning step scheduled early on)."""
    if due is None:
        return ""
    return " · due again now" if due <= now else f" · next {when_text(due, now)}"


def exam_report_view(session: Session, *, wrap: bool = True) -> Group:
    """Score per part, the total, then every problem's worked solution."""
    items: list = []
    t = Table(title=Text("Exam report", style="bold"), title_justify="left", box=box.SIMPLE_HEAD)
    t.add_column("#", justify="right")
    t.add_column("problem")
    t.add_column("part")
    t.add_column("your answer", overflow="fold")
    t.add_column("correct answer", overflow="fold")
    t.add_column("score", justify="right")
    total = 0.0
    n = 0
    for prob in session.problems:
        key = _key_or_none(prob)
        for i, ps in enumerate(prob.parts):
            n += 1
            total += ps.score
            right = answer_display(ps.kind, key.parts[ps.name].exact) if key else "(key unavailable)"
            yours = ps.answer if ps.answer is not None else "—"
            style = "green" if ps.score >= 1 else ("yellow" if ps.score > 0 else "red")
            t.add_row(str(prob.index + 1), prob.family_id, f"({letter(i)}) {ps.name}", yours, right,
                      Text(f"{ps.score:.2f}".rstrip("0").rstrip(".") if ps.score % 1 else f"{ps.score:.0f}",
                           style=style))
    items.append(t)
    pct = 100 * total / n if n else 0.0
    items.append(Text(f"Score: {total:g} / {n} ({pct:.1f}%) in {duration(session.active_seconds())}"
                      + (f" of {duration(session.minutes * 60)}" if session.minutes else "") + ".", style="bold"))
    mistakes = [(prob, ps) for prob in session.problems for ps in prob.parts
                if ps.verdict is not None and getattr(ps.verdict, "mistake", None) and ps.score < 1]
    if mistakes:
        items.append(Text(""))
        items.append(Text("Mistakes recognised:", style="bold"))
        for prob, ps in mistakes:
            items.append(Text(f"  {prob.index + 1} {ps.name}: {getattr(ps.verdict, 'feedback', '')}"))
    carried = [(prob, ps) for prob in session.problems for ps in prob.parts
               if getattr(ps.verdict, "carried_forward", None)]
    if carried:
        # A score of 1 beside an answer that differs from the key: say where it came from.
        items.append(Text(""))
        items.append(Text("Error carried forward (right from your own earlier answers):", style="bold"))
        for prob, ps in carried:
            items.append(Text(f"  {prob.index + 1} {ps.name}: {getattr(ps.verdict, 'feedback', '')}"))
    items.append(Text(""))
    items.append(Rule(Text("Worked solutions", style="bold"), align="left", style="dim"))
    for prob in session.problems:
        items.append(Text(""))
        items.append(Text.assemble((f"{prob.index + 1}. ", "bold"), (prob.family_id, "bold cyan"),
                                   (f" · seed {prob.variant.seed}", "dim"), f"  {prob.variant.title}"))
        key = _key_or_none(prob)
        if key is None:
            items.append(Text("  the answer key could not be computed for this instance", style="yellow"))
            continue
        for line in key.preamble:
            items.append(indented(line, 4, "dim"))
        for i, ps in enumerate(prob.parts):
            kp = key.parts[ps.name]
            items.append(Text.assemble(("  " + f"({letter(i)}) {ps.name}", "bold"), "  ",
                                       prob.variant.part_prompt(ps.spec).split("\n")[0]))
            for s in kp.steps:
                items.append(indented(s, 6))
            items.append(answer_line(kp, indent=6))
    return Group(*items)


def _key_or_none(prob: SessionProblem) -> AnswerKey | None:
    try:
        return prob.key()
    except Exception:  # noqa: BLE001 - a report shows what it can
        return None


def exam_intro_view(session: Session, groups: list[tuple[str, int]], *, resumed: bool = False) -> Group:
    n = len(session.problems)
    parts = sum(len(p.parts) for p in session.problems)
    items: list[RenderableType] = [Rule(Text("Exam" + (" (resumed)" if resumed else ""), style="bold"), align="left")]
    items.append(Text(f"{n} problems, {parts} parts, {duration((session.minutes or 0) * 60)} "
                      f"({duration(session.time_left())} left). Seed {session.seed}."))
    if groups:
        items.append(Text("Topics: " + "; ".join(f"{t} ×{k}" for t, k in groups), style="dim"))
    items.append(Text("No feedback until the end. Commands: skip (come back later), time, submit, "
                      "quit (suspend; 'nncheck exam' resumes), help.", style="dim"))
    return Group(*items)


# ----------------------------------------------------------------------------
# Reading answers.
# ----------------------------------------------------------------------------
TIME_UP = "\x00time-up"  # what Terminal.read returns when an exam's clock runs out at the prompt


class PipeConsole(Console):
    """A rich console for which a closed pipe (``nncheck solve … | head``) is an error like any other.

    rich's own answer is to exit with code 1 on the spot; raised instead, the error reaches the
    one error policy (:mod:`nncheck.cli.policy`), which exits 0 quietly, as for plain output.
    """

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


def _make_console(stream: TextIO) -> Console:
    tty = _isatty(stream)
    width = None if tty else int(os.environ.get("COLUMNS", "100") or 100)
    return PipeConsole(file=stream, highlight=False, width=width, emoji=False, soft_wrap=False,
                       no_color=bool(os.environ.get("NO_COLOR")) or None, force_terminal=None)


def _isatty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except ValueError:  # a closed file
        return False


class Terminal:
    """Shows renderables and reads answers: prompt_toolkit on a terminal, plain lines otherwise.

    ``to_stderr``: the session is shown on stderr (``--json`` keeps stdout for the JSON).
    Without a terminal (answers piped in, ``CliRunner(input=...)``) each answer is read as
    a line and echoed after its prompt, so a transcript reads like the session did.
    """

    def __init__(self, *, to_stderr: bool = False) -> None:
        self.out = sys.stderr if to_stderr else sys.stdout
        self.console = _make_console(self.out)
        self.interactive = _isatty(sys.stdin) and _isatty(self.out)
        self.wrap = _isatty(self.out)
        self._session: PromptSession[str] | None = None  # made on first use

    def show(self, renderable: RenderableType | None) -> None:
        if renderable is None:
            return
        # Piped output is never re-wrapped or cropped: matrix blocks and long lines stay whole.
        self.console.print(renderable, soft_wrap=not self.wrap)

    def blank(self) -> None:
        self.out.write("\n")
        self.out.flush()

    # -- reading ---------------------------------------------------------------
    def read(self, prompt: str | Callable[[], str], *, multiline: bool = False,
             toolbar: Callable[[], str] | None = None, deadline: Callable[[], float] | None = None) -> str | None:
        """One answer; None at end of input or Ctrl-C/Ctrl-D; ``TIME_UP`` when ``deadline()`` <= 0.

        ``prompt`` is text, or a function giving it (re-drawn every second on a terminal
        when there is a deadline: a live countdown).
        """
        if self.interactive:
            return self._read_tty(prompt, multiline=multiline, toolbar=toolbar, deadline=deadline)
        return self._read_plain(prompt, multiline=multiline)

    def _read_plain(self, prompt: str | Callable[[], str], *, multiline: bool) -> str | None:
        self.out.write(prompt() if callable(prompt) else prompt)
        self.out.flush()
        try:
            line = sys.stdin.readline()
        except KeyboardInterrupt:
            self.out.write("\n")
            return None
        if line == "":
            self.out.write("\n")
            return None
        line = line.rstrip("\r\n")
        echo = not _isatty(sys.stdin)
        if echo:
            self.out.write(line + "\n")
        if not multiline or not line.strip() or _is_command(line):
            return line
        lines = [line]
        while True:
            if echo:
                self.out.write("   … ")
            more = sys.stdin.readline()
            if more == "" or not more.strip():
                if echo:
                    self.out.write("\n")
                break
            more = more.rstrip("\r\n")
            if echo:
                self.out.write(more + "\n")
            lines.append(more)
        self.out.flush()
        return "\n".join(lines)

    def _prompt_session(self) -> PromptSession[str]:
        if self._session is None:
            from prompt_toolkit import PromptSession
            from prompt_toolkit.history import InMemoryHistory
            from prompt_toolkit.output import create_output

            out = create_output(stdout=self.out)
            self._session = PromptSession[str](history=InMemoryHistory(), output=out)
        return self._session

    def _read_tty(self, prompt: str | Callable[[], str], *, multiline: bool, toolbar: Callable[[], str] | None,
                  deadline: Callable[[], float] | None) -> str | None:
        from prompt_toolkit.formatted_text import FormattedText
        from prompt_toolkit.key_binding import KeyBindings

        ps = self._prompt_session()
        kb = KeyBindings()
        if multiline:
            @kb.add("enter")
            def _enter(event):
                buf = event.current_buffer
                doc = buf.document
                # Enter on an empty last line ends a derivation; a lone command word is sent at once.
                if not buf.text.strip() or _is_command(buf.text) or (
                        doc.is_cursor_at_the_end and not doc.current_line.strip()):
                    buf.validate_and_handle()
                else:
                    buf.insert_text("\n")

        def pre_run() -> None:
            # The clock runs out at the prompt: end it from the event loop, typed text or not.
            if deadline is not None:
                from prompt_toolkit.application import get_app

                app = get_app()
                if app.loop is not None:
                    app.loop.call_later(max(0.0, deadline()),
                                        lambda: app.exit(result=TIME_UP) if app.is_running else None)

        # With a deadline the prompt is re-drawn every second, so its countdown is live.
        message: AnyFormattedText
        if callable(prompt):
            text_now = prompt

            def bold_now() -> FormattedText:
                return FormattedText([("bold", text_now())])

            message = bold_now
        else:
            message = FormattedText([("bold", prompt)])
        try:
            text = ps.prompt(
                message,
                multiline=multiline, key_bindings=kb,
                prompt_continuation=lambda width, line_no, wrap_count: "… ".rjust(width),
                bottom_toolbar=toolbar, pre_run=pre_run,
                refresh_interval=1.0 if deadline is not None else None)
        except (KeyboardInterrupt, EOFError):
            return None
        if text == TIME_UP:
            return TIME_UP
        return text.rstrip("\n") if multiline else text


def _is_command(text: str) -> bool:
    from nncheck.practice.session import EXAM_COMMANDS, PRACTICE_COMMANDS, command_of

    return command_of(text, {**PRACTICE_COMMANDS, **EXAM_COMMANDS}) is not None

