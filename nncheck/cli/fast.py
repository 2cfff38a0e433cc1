"""The fast front end: ``nncheck``, ``--help``, ``list``, ``show`` and ``quiz`` without Typer.

These commands are typed often and must feel instant, so they skip Typer, rich (except
for the quiz's views), PyYAML, pydantic, NumPy and SymPy: they read the cached bank index,
draw the variant in plain Python and print plain text (a few ANSI codes on a terminal).

There is one definition of each of these commands, here: the Typer commands
(:mod:`nncheck.cli.cmd_core`, :mod:`nncheck.cli.cmd_quiz`) call the same functions.  What
differs is only who reads the command line: :func:`run` reads it with
:mod:`nncheck.cli.fastargs` from the option table generated from the Typer declarations
(:mod:`nncheck.cli._options`), and anything it is not sure about is handed to the Typer
app (``run`` returns None), which owns every usage message.  Failures go through the one
error policy, :mod:`nncheck.cli.policy`.  ``tests/core/test_fast.py`` checks that both
paths print the same thing and that nothing heavy is imported.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (this module is on the start-up path)
if TYPE_CHECKING:
    from collections.abc import Callable

HELP_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_help.txt")


def run(argv: list[str]) -> int | None:
    """Run a fast command and return its exit code, or None to let the Typer app run it."""
    if not argv or argv in (["--help"], ["-h"]):
        try:
            with open(HELP_FILE, encoding="utf-8") as fh:
                text = fh.read()
        except OSError:
            return None  # no generated help (a broken install): Typer builds it
        return guarded(lambda: sys.stdout.write(text), json_=False)
    command = COMMANDS.get(argv[0])
    if command is None:
        return None
    from nncheck.cli._options import OPTIONS
    from nncheck.cli.fastargs import parse

    values = parse(OPTIONS[argv[0]], argv[1:])
    if values is None:
        return None
    return guarded(lambda: command(**values), json_=bool(values.get("json_")))


def guarded(fn: Callable[[], object], *, json_: bool) -> int:
    """Run ``fn``: 0 when it returns, else the error policy's line and exit code."""
    try:
        fn()
        sys.stdout.flush()  # a closed pipe shows here, inside the policy, not in the flush at exit
    except (Exception, KeyboardInterrupt) as e:
        from nncheck.cli.policy import report

        return report(e, json_=json_)
    return 0


# ----------------------------------------------------------------------------
# The commands.  Their keyword arguments are the Typer commands' parameters.
# ----------------------------------------------------------------------------
def list_command(*, topic: list[str] | None, bank: list[str] | None, json_: bool) -> None:
    """``nncheck list``: the problem families (id, topic, title)."""
    from nncheck.cli.output import catalog, emit_json
    from nncheck.render.text import list_json, list_view, use_color

    records = catalog(bank).select_summaries(topics=topic)
    if json_:
        emit_json(list_json(records))
    else:
        sys.stdout.write(list_view(records, use_color()) + "\n")


def show_command(*, family_id: str, assignments: list[str] | None, seed: int, bank: list[str] | None,
                 json_: bool) -> None:
    """``nncheck show``: a problem statement, drawn from ``seed`` or with the user's numbers."""
    from nncheck.cli.output import catalog, emit_json
    from nncheck.generate.variant import make_variant, parse_assignments
    from nncheck.render.text import show_view, use_color

    v = make_variant(catalog(bank).get(family_id), seed, parse_assignments(assignments or []))
    if json_:
        emit_json(v.to_json())
    else:
        sys.stdout.write(show_view(v, use_color()) + "\n")


def quiz_command(*, topic: list[str] | None, family: list[str] | None, count: int, seed: int | None,
                 difficulty: list[str] | None, bank: list[str] | None, db: str | None, json_: bool) -> None:
    """``nncheck quiz``: plan the session, open the history, practise, summarize.

    The first question must be on screen within 0.35 s: nothing heavy is imported before
    it is shown (the answer keys are computed in a background thread while the student
    reads, and prompt_toolkit only when the first answer is read from a terminal).
    """
    from nncheck.cli.loop import practise
    from nncheck.cli.output import catalog, emit_json
    from nncheck.practice.session import Session, parse_difficulty, plan_quiz, session_seed
    from nncheck.practice.store import open_store
    from nncheck.render.quiz_views import Terminal, practice_intro

    cat = catalog(bank)
    sseed = session_seed(seed)
    plan = plan_quiz(cat, topics=topic, families=family, count=count, seed=sseed,
                     difficulty=parse_difficulty(difficulty))
    store = open_store(db)
    assert store is not None  # only a read-only open finds no database
    try:
        config = {"topics": list(topic or []), "families": list(family or []), "count": count,
                  "difficulty": list(difficulty or []), "banks": [os.path.abspath(b) for b in bank or []]}
        session = Session(cat, plan, mode="quiz", store=store, seed=sseed, config=config)
        term = Terminal(to_stderr=json_)
        term.show(practice_intro())
        # The summary ends with the whole command that asks these problems again.
        practise(session, term, title=f"Quiz summary (seed {sseed})")
        if json_:
            emit_json(session.summary_json())
    finally:
        store.close()


COMMANDS: dict[str, Callable[..., None]] = {"list": list_command, "show": show_command, "quiz": quiz_command}
