"""``quiz``: practise in the terminal, one problem at a time.

The command itself is :func:`nncheck.cli.fast.quiz_command`, which the fast front end
usually runs without Typer (the first question must be on screen within 0.35 s); this
module declares its options, from which the fast front end's option table is generated.
The rules of a session live in :mod:`nncheck.practice.session`, the loop in
:mod:`nncheck.cli.loop` and the views in :mod:`nncheck.render.quiz_views`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from nncheck.cli.common import BankOpt, catalog

if TYPE_CHECKING:
    from nncheck.bank.index import Catalog
    from nncheck.practice.store import Store
    from nncheck.render.quiz_views import Terminal

DbOpt = Annotated[str | None, typer.Option(
    "--db", help="History database file (default: $NNCHECK_DB, else history.sqlite3 in the user data directory).",
    show_default=False)]
TopicOpt = Annotated[list[str] | None, typer.Option("--topic", "-t", help="Only these topics (repeatable).")]
FamilyOpt = Annotated[list[str] | None, typer.Option("--family", "-f", help="Only these families (repeatable).")]
QuizJsonOpt = Annotated[bool, typer.Option(
    "--json", help="Print the session summary as JSON on stdout (the session itself goes to stderr).")]


@contextmanager
def practice_setup(bank: list[str] | None, db: str | None, json_: bool) -> Iterator[tuple[Catalog, Store, Terminal]]:
    """The banks, the open history and the terminal of a review or an exam; the history is closed after.

    With ``--json`` the session is shown on stderr: stdout is kept for the JSON.
    """
    from nncheck.practice.store import open_store
    from nncheck.render.quiz_views import Terminal

    cat = catalog(bank)
    store = open_store(db)
    assert store is not None  # only a read-only open finds no database
    try:
        yield cat, store, Terminal(to_stderr=json_)
    finally:
        store.close()


def register(app: typer.Typer) -> None:
    @app.command("quiz")
    def quiz_cmd(
        topic: TopicOpt = None,
        family: FamilyOpt = None,
        count: Annotated[int, typer.Option("--count", "-n", help="How many problems.", min=1, max=500)] = 5,
        seed: Annotated[int | None, typer.Option(
            "--seed", "-s", help="Seed for the whole session: the same seed asks the same problems.")] = None,
        difficulty: Annotated[list[str] | None, typer.Option(
            "--difficulty", "-d",
            help="Only these difficulties: easy, medium, hard, 1-3 or a range such as 1-2.")] = None,
        bank: BankOpt = None,
        db: DbOpt = None,
        json_: QuizJsonOpt = False,
    ) -> None:
        """Practise: answer problems in the terminal (hint, skip, solution, quit, help)."""
        from nncheck.cli.fast import quiz_command

        quiz_command(topic=topic, family=family, count=count, seed=seed, difficulty=difficulty, bank=bank, db=db,
                     json_=json_)
