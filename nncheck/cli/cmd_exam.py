"""``exam``: a timed mock final shaped like the ECE 417 exam review, resumable after a crash or Ctrl-C."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from nncheck.cli.cmd_quiz import DbOpt, QuizJsonOpt, practice_setup
from nncheck.cli.common import BankOpt, emit_json

# The longest exam: a day.  The clock is kept in seconds and shown as h:mm:ss, and an exam is
# resumable, so a longer one is never needed (1e308 minutes overflowed the clock).
MAX_MINUTES = 24 * 60


def _groups(session) -> list[tuple[str, int]]:
    from nncheck.practice.session import EXAM_GROUPS, SEED_ORDER, exam_group

    titles = {g.key: g.title for g in EXAM_GROUPS}
    counts: dict[str, int] = {}
    for p in session.problems:
        g = exam_group(p.record)
        if g is not None:
            counts[g.key] = counts.get(g.key, 0) + 1
    return [(titles[k], counts[k]) for k in SEED_ORDER if counts.get(k)]


def running_elsewhere(sess: dict) -> bool:
    """Is this unfinished exam being taken right now by another live nncheck process?"""
    pid = sess.get("pid")
    if sess.get("status") != "active" or not pid or pid == os.getpid() or sys.platform == "win32":
        return False  # (on Windows os.kill(pid, 0) would terminate the process)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def run_exam(session, term) -> bool:
    """Drive an exam; True when it ended (report due), False when it was suspended."""
    from rich.text import Text

    from nncheck.cli.loop import Asker
    from nncheck.practice.session import EXAM_COMMANDS, command_of
    from nncheck.render.quiz_views import TIME_UP, duration, event_view, input_prompt

    asker = Asker(session, term)
    told_second_pass = False
    total = len(session.problems)

    def toolbar():
        cur = session.current
        where = f"problem {cur[0].index + 1}/{total}" if cur else ""
        return f" ⏱ {duration(session.time_left())} left · {where} · skip, time, submit, quit, help "

    try:
        while True:
            if session.time_up():
                term.show(Text("Time is up.", style="bold yellow"))
                session.finish("time")
                return True
            cur = session.current
            if cur is None:
                session.finish("finished")
                return True
            prob, part = cur
            if session.second_pass() and not told_second_pass:
                left = sum(1 for p in session.problems for ps in p.parts if not ps.done)
                term.blank()
                term.show(Text(f"Back to the {left} part{'s' if left != 1 else ''} you skipped "
                               "(submit hands in the exam as it is).", style="bold"))
                told_second_pass = True
                asker.shown = None  # show the problem again
            multiline = asker.show(prob, part, time_left=session.time_left())
            text = term.read(lambda prob=prob, part=part: input_prompt(prob, part, time_left=session.time_left()),
                             multiline=multiline, toolbar=toolbar, deadline=session.time_left)
            if text == TIME_UP:
                term.blank()
                term.show(Text("Time is up.", style="bold yellow"))
                session.finish("time")
                return True
            if text is not None and command_of(text, EXAM_COMMANDS) == "submit":
                left = sum(1 for p in session.problems for ps in p.parts if not ps.done)
                if left:
                    sure = term.read(f"{left} part{'s are' if left != 1 else ' is'} unanswered and will score 0. "
                                     "Hand in now? (yes/no) › ")
                    if sure is None or sure.strip().lower() not in ("y", "yes"):
                        continue
            ev = session.handle(text)
            if ev.kind == "time":
                term.show(event_view(ev, session))
                session.finish("time")
                return True
            term.show(event_view(ev, session, wrap=term.wrap))
            if ev.kind == "suspended":
                term.show(Text(f"Exam suspended with {duration(session.time_left())} left; your answers are saved. "
                               "Run 'nncheck exam' to resume it.", style="bold"))
                return False
            if ev.kind == "submitted":
                return True
    except KeyboardInterrupt:  # Ctrl-C while an answer is being graded: suspend, as at the prompt
        session.suspend()
        term.blank()
        term.show(Text("Exam suspended; your answers are saved. Run 'nncheck exam' to resume it.", style="bold"))
        return False


def report_json(session) -> dict:
    out = session.summary_json()
    out["minutes"] = session.minutes
    parts = []
    for prob in session.problems:
        try:
            key = prob.key()
        except Exception:  # noqa: BLE001 - the report says the key is missing
            key = None
        for ps in prob.parts:
            row = next(r for r in out["parts"] if r["problem"] == prob.index + 1 and r["part"] == ps.name)
            row["correct_answer"] = key.parts[ps.name].answer_json() if key else None
            row["solution"] = key.parts[ps.name].steps if key else []
            parts.append(row)
    out["parts"] = parts
    return out


def register(app: typer.Typer) -> None:
    @app.command("exam")
    def exam_cmd(
        seed: Annotated[int | None, typer.Option(
            "--seed", "-s", help="Seed of the exam: the same seed sets the same exam.")] = None,
        minutes: Annotated[float, typer.Option("--minutes", "-m", help="Time allowed.", min=0.01,
                                               max=MAX_MINUTES)] = 180,
        resume: Annotated[bool | None, typer.Option(
            "--resume/--new", help="Resume the unfinished exam, or set it aside and start a new one "
                                   "(default: resume if there is one).", show_default=False)] = None,
        bank: BankOpt = None,
        db: DbOpt = None,
        json_: QuizJsonOpt = False,
    ):
        """Mock final exam: 8-10 problems of 1-3 parts, a countdown, feedback only at the end."""
        from rich.text import Text

        from nncheck.errors import NNCheckError
        from nncheck.practice.session import Session, plan_exam, session_seed
        from nncheck.render.quiz_views import exam_intro_view, exam_report_view

        with practice_setup(bank, db, json_) as (cat, store, term):
            unfinished = store.unfinished("exam")
            if resume is True and not unfinished:
                raise NNCheckError("there is no unfinished exam to resume", hint="start one with 'nncheck exam'")
            if unfinished and resume is None and running_elsewhere(unfinished[0]):
                raise NNCheckError(f"exam {unfinished[0]['id']} is being taken in another nncheck "
                                   f"(pid {unfinished[0]['pid']})",
                                   hint="finish it there; if that process is gone, 'nncheck exam --resume' takes "
                                        "it over, and 'nncheck exam --new' sets it aside")
            if unfinished and resume is not False:
                stored = store.load_session(unfinished[0]["id"])
                session = Session.resume(cat, stored, store=store)
                if seed is not None and seed != session.seed:
                    term.show(Text(f"Resuming the unfinished exam (seed {session.seed}); "
                                   "'nncheck exam --new' starts another.", style="yellow"))
                resumed = True
            else:
                for u in unfinished:
                    store.mark_abandoned(u["id"])
                    term.show(Text(f"The unfinished exam {u['id']} (seed {u['seed']}) is set aside; "
                                   "its answers stay in the history.", style="dim"))
                sseed = session_seed(seed)
                plan = plan_exam(cat, seed=sseed)
                config = {"minutes": minutes, "banks": [os.path.abspath(b) for b in bank or []]}
                session = Session(cat, plan, mode="exam", store=store, seed=sseed, config=config, minutes=minutes)
                resumed = False
            term.show(exam_intro_view(session, _groups(session), resumed=resumed))
            if not run_exam(session, term):
                if json_:
                    emit_json(session.summary_json())
                return
            term.blank()
            term.show(exam_report_view(session, wrap=term.wrap))
            if json_:
                emit_json(report_json(session))
