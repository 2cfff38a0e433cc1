"""``stats``: accuracy per topic and family, common mistakes, reviews due and the streak."""

from __future__ import annotations

from typing import Annotated

import typer

from nncheck.cli.cmd_quiz import DbOpt
from nncheck.cli.common import JsonOpt, console, emit_json


def register(app: typer.Typer) -> None:
    @app.command("stats")
    def stats_cmd(
        db: DbOpt = None,
        mistakes: Annotated[int, typer.Option("--mistakes", help="How many common mistakes to list.", min=0)] = 10,
        json_: JsonOpt = False,
    ):
        """Your practice history: accuracy by topic and family, common mistakes, reviews due, streak."""
        from nncheck.practice.store import history_stats, open_store

        store = open_store(db, readonly=True)  # a report never creates or upgrades the database
        try:
            st = history_stats(store, top_mistakes=mistakes)
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
        from nncheck.render.quiz_views import stats_view

        console().print(stats_view(st), soft_wrap=True)
