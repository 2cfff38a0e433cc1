"""``quiz``: practise in the terminal, one problem at a time (also the shell for ``review``).

The rules of a session live in :mod:`nncheck.session`; this module only shows problems,
reads answers and renders what :meth:`~nncheck.session.Session.handle` returns.

Start-up matters (the first question must be on screen within 0.35 s): nothing heavy is
imported at module level, the first problem is rendered before SymPy is touched, its key
is computed in a background thread while the student reads, and prompt_toolkit is
imported only when the first answer is read from a real terminal.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer

from .common import BankOpt, catalog, emit_json

DbOpt = Annotated[Optional[str], typer.Option(
    "--db", help="History database file (default: $NNCHECK_DB, else history.sqlite3 in the user data directory).",
    show_default=False)]
TopicOpt = Annotated[Optional[list[str]], typer.Option("--topic", "-t", help="Only these topics (repeatable).")]
FamilyOpt = Annotated[Optional[list[str]], typer.Option("--family", "-f", help="Only these families (repeatable).")]
QuizJsonOpt = Annotated[bool, typer.Option(
    "--json", help="Print the session summary as JSON on stdout (the session itself goes to stderr).")]

TIME_UP = "\x00time-up"  # what Terminal.read returns when an exam's clock runs out at the prompt


def _make_console(stream):
    from rich.console import Console

    tty = _isatty(stream)
    width = None if tty else int(os.environ.get("COLUMNS", "100") or 100)
    return Console(file=stream, highlight=False, width=width, emoji=False, soft_wrap=False,
                   no_color=bool(os.environ.get("NO_COLOR")) or None, force_terminal=None)


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Terminal:
    """Shows renderables and reads answers: prompt_toolkit on a terminal, plain lines otherwise.

    ``to_stderr``: the session is shown on stderr (``--json`` keeps stdout for the JSON).
    Without a terminal (answers piped in, ``CliRunner(input=...)``) each answer is read as
    a line and echoed after its prompt, so a transcript reads like the session did.
    """

    def __init__(self, *, to_stderr: bool = False):
        self.out = sys.stderr if to_stderr else sys.stdout
        self.console = _make_console(self.out)
        self.interactive = _isatty(sys.stdin) and _isatty(self.out)
        self.wrap = _isatty(self.out)
        self._session = None  # prompt_toolkit PromptSession, made on first use

    def show(self, renderable) -> None:
        if renderable is None:
            return
        # Piped output is never re-wrapped or cropped: matrix blocks and long lines stay whole.
        self.console.print(renderable, soft_wrap=not self.wrap)

    def blank(self) -> None:
        self.out.write("\n")
        self.out.flush()

    # -- reading ---------------------------------------------------------------
    def read(self, prompt, *, multiline: bool = False, toolbar=None, deadline=None) -> str | None:
        """One answer; None at end of input or Ctrl-C/Ctrl-D; ``TIME_UP`` when ``deadline()`` <= 0.

        ``prompt`` is text, or a function giving it (re-drawn every second on a terminal
        when there is a deadline: a live countdown).
        """
        if self.interactive:
            return self._read_tty(prompt, multiline=multiline, toolbar=toolbar, deadline=deadline)
        return self._read_plain(prompt, multiline=multiline)

    def _read_plain(self, prompt, *, multiline: bool) -> str | None:
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

    def _prompt_session(self):
        if self._session is None:
            from prompt_toolkit import PromptSession
            from prompt_toolkit.history import InMemoryHistory
            from prompt_toolkit.output import create_output

            out = create_output(stdout=self.out)
            self._session = PromptSession(history=InMemoryHistory(), output=out)
        return self._session

    def _read_tty(self, prompt, *, multiline: bool, toolbar, deadline) -> str | None:
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

        def pre_run():
            # The clock runs out at the prompt: end it from the event loop, typed text or not.
            if deadline is not None:
                from prompt_toolkit.application import get_app

                app = get_app()
                app.loop.call_later(max(0.0, deadline()), lambda: app.exit(result=TIME_UP) if app.is_running else None)

        # With a deadline the prompt is re-drawn every second, so its countdown is live.
        message = (lambda: FormattedText([("bold", prompt())])) if callable(prompt) else FormattedText([("bold", prompt)])
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
    from ..session import EXAM_COMMANDS, PRACTICE_COMMANDS, command_of

    return command_of(text, {**PRACTICE_COMMANDS, **EXAM_COMMANDS}) is not None


def open_history(db: str | None):
    from ..store import open_store

    return open_store(db)


# ----------------------------------------------------------------------------
# The practice loop, shared by quiz and review.
# ----------------------------------------------------------------------------
def drive(session, term: Terminal) -> None:
    """Run a practice session until every part is done or the student quits."""
    from ..render.quiz_views import derivation_help, event_view, input_prompt, part_heading, problem_view

    shown = None
    asked = None
    told_derivation = False
    total = len(session.problems)
    try:
        while True:
            cur = session.current
            if cur is None:
                break
            prob, part = cur
            if shown is not prob:
                if shown is not None:
                    term.blank()
                term.show(problem_view(prob, prob.index + 1, total, mode=session.mode, wrap=term.wrap))
                shown = prob
                session.warm()  # keys are computed while the student reads
            elif asked is not part:
                term.show(part_heading(prob, part))
            asked = part
            if part.kind == "derivation" and not told_derivation:
                term.show(derivation_help())
                told_derivation = True
            text = term.read(input_prompt(prob, part), multiline=part.kind == "derivation")
            ev = session.handle(text)
            term.show(event_view(ev, session, wrap=term.wrap))
            if ev.kind == "quit":
                break
    except KeyboardInterrupt:  # Ctrl-C while an answer is being checked: end like quit
        term.blank()
        if not session.ended:
            session.finish("quit")
    if not session.ended:
        session.finish("finished")


def practise(session, term: Terminal, json_: bool, *, title: str) -> None:
    """Drive a practice session and show its summary.

    If the history stops accepting writes mid-session (disk full, file removed, locked for
    too long), the session stops at once: the summary of what was done is still shown and
    the error names what was not saved, then the command fails with it.
    """
    from ..store import StoreError

    try:
        drive(session, term)
    except StoreError:
        session.ended = session.ended or "error"
        summarize(session, term, False, title=title)
        raise
    summarize(session, term, json_, title=title)


def summarize(session, term: Terminal, json_: bool, *, title: str) -> None:
    from ..render.quiz_views import summary_view

    term.blank()
    term.show(summary_view(session, title=title))
    if json_:
        emit_json(session.summary_json())


def _intro():
    from rich.text import Text

    return Text("Commands: hint, skip, next, solution, quit, help. A malformed answer costs no attempt.",
                style="dim")


def register(app: typer.Typer) -> None:
    @app.command("quiz")
    def quiz_cmd(
        topic: TopicOpt = None,
        family: FamilyOpt = None,
        count: Annotated[int, typer.Option("--count", "-n", help="How many problems.", min=1, max=500)] = 5,
        seed: Annotated[Optional[int], typer.Option(
            "--seed", "-s", help="Seed for the whole session: the same seed asks the same problems.")] = None,
        difficulty: Annotated[Optional[list[str]], typer.Option(
            "--difficulty", "-d", help="Only these difficulties: easy, medium, hard, 1-3 or a range such as 1-2.")] = None,
        bank: BankOpt = None,
        db: DbOpt = None,
        json_: QuizJsonOpt = False,
    ):
        """Practise: answer problems in the terminal (hint, skip, solution, quit, help)."""
        from ..session import Session, parse_difficulty, plan_quiz, session_seed

        cat = catalog(bank)
        sseed = session_seed(seed)
        plan = plan_quiz(cat, topics=topic, families=family, count=count, seed=sseed,
                         difficulty=parse_difficulty(difficulty))
        store = open_history(db)
        config = {"topics": topic or [], "families": family or [], "count": count,
                  "difficulty": difficulty or [], "banks": [os.path.abspath(b) for b in bank or []]}
        session = Session(cat, plan, mode="quiz", store=store, seed=sseed, config=config)
        term = Terminal(to_stderr=json_)
        try:
            term.show(_intro())
            practise(session, term, json_, title=f"Quiz summary (seed {sseed}: 'nncheck quiz --seed {sseed}' "
                                                 f"asks the same problems)")
        finally:
            store.close()
