"""``quiz``: practise in the terminal, one problem at a time.

The rules of a session live in :mod:`nncheck.practice.session`; showing problems and reading
answers live in :mod:`nncheck.render.quiz_views`, which is typer-free so that the fast
start-up path can run a quiz too (see :func:`~nncheck.render.quiz_views.fast_quiz`).
This module only declares the options.
"""

from __future__ import annotations

from typing import Annotated

import typer

from nncheck.cli.common import BankOpt, catalog

DbOpt = Annotated[str | None, typer.Option(
    "--db", help="History database file (default: $NNCHECK_DB, else history.sqlite3 in the user data directory).",
    show_default=False)]
TopicOpt = Annotated[list[str] | None, typer.Option("--topic", "-t", help="Only these topics (repeatable).")]
FamilyOpt = Annotated[list[str] | None, typer.Option("--family", "-f", help="Only these families (repeatable).")]
QuizJsonOpt = Annotated[bool, typer.Option(
    "--json", help="Print the session summary as JSON on stdout (the session itself goes to stderr).")]


def open_history(db: str | None):
    from nncheck.practice.store import open_store

    return open_store(db)


def register(app: typer.Typer) -> None:
    @app.command("quiz")
    def quiz_cmd(
        topic: TopicOpt = None,
        family: FamilyOpt = None,
        count: Annotated[int, typer.Option("--count", "-n", help="How many problems.", min=1, max=500)] = 5,
        seed: Annotated[int | None, typer.Option(
            "--seed", "-s", help="Seed for the whole session: the same seed asks the same problems.")] = None,
        difficulty: Annotated[list[str] | None, typer.Option(
            "--difficulty", "-d", help="Only these difficulties: easy, medium, hard, 1-3 or a range such as 1-2.")] = None,
        bank: BankOpt = None,
        db: DbOpt = None,
        json_: QuizJsonOpt = False,
    ):
        """Practise: answer problems in the terminal (hint, skip, solution, quit, help)."""
        from nncheck.render.quiz_views import run_quiz

        run_quiz(catalog(bank), topics=topic, families=family, count=count, seed=seed, difficulty=difficulty,
                 banks=bank, db=db, json_=json_)
