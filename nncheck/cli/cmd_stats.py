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
        if json_:
            emit_json(st)
            return
        from nncheck.render.quiz_views import stats_view

        console().print(stats_view(st), soft_wrap=True)
