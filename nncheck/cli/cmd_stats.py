"""``stats``: accuracy per topic and family, common mistakes, reviews due, the streak and progress charts."""

from __future__ import annotations

from typing import Annotated

import typer

from nncheck.cli.cmd_quiz import DbOpt
from nncheck.cli.common import BankOpt, JsonOpt, console, emit_json

MistakesOpt = Annotated[str, typer.Option(
    "--mistakes", metavar="N|all",
    help="How many common mistakes to list, most frequent first: a number, or 'all' (--json lists all).")]


def _mistakes_limit(value: str) -> int | None:
    """``--mistakes``: a count (None for ``all``)."""
    text = value.strip().lower()
    if text == "all":
        return None
    if text.isdigit():
        return int(text)
    raise typer.BadParameter(f"expected a number or 'all', not {value!r}", param_hint="'--mistakes'")


def register(app: typer.Typer) -> None:
    @app.command("stats")
    def stats_cmd(
        db: DbOpt = None,
        mistakes: MistakesOpt = "10",
        bank: BankOpt = None,
        json_: JsonOpt = False,
    ):
        """Your practice history: accuracy by topic and family, common mistakes, reviews due, streak, and charts
        of your accuracy per topic over the last days and of the reviews coming due."""
        import time

        from nncheck.cli.common import catalog
        from nncheck.practice.store import history_stats, open_store

        limit = _mistakes_limit(mistakes)
        now = time.time()
        store = open_store(db, readonly=True)  # a report never creates or upgrades the database
        try:
            # The banks explain the mistakes their families declare (the history keeps each
            # answer's feedback, which carries that instance's numbers).  The catalogue is cached.
            st = history_stats(store, now=now, record_of=catalog(bank).by_id.get if store is not None else None)
        finally:
            if store is not None:
                store.close()
        if st.get("damaged"):
            import sys

            from nncheck.practice.store import MOVE_ASIDE

            # Read-only, what could be read: the figures are shown, with this one line saying so.
            damaged = st["damaged"]
            lost = damaged["tables_with_lost_rows"]
            sys.stderr.write(f"nncheck: warning: {st['database']} is damaged (SQLite's check: {damaged['check']}); "
                             + (f"rows of {', '.join(lost)} could not be read and are left out; " if lost
                                else "every row could still be read; ") + MOVE_ASIDE + "\n")
        if json_:
            emit_json(st)
            return
        from nncheck.render.progress import stats_view

        console().print(stats_view(st, mistakes=limit, now=now), soft_wrap=True)
