"""``review``: spaced repetition per family, scheduled by FSRS, each review a fresh instance."""

from __future__ import annotations

import os
import time
from typing import Annotated

import typer

from nncheck.cli.cmd_quiz import DbOpt, QuizJsonOpt, TopicOpt, practice_setup
from nncheck.cli.common import BankOpt, emit_json


def register(app: typer.Typer) -> None:
    @app.command("review")
    def review_cmd(
        count: Annotated[int, typer.Option("--count", "-n", help="At most this many due families.", min=1)] = 10,
        new: Annotated[int, typer.Option("--new", help="Also this many families you have never practised.",
                                         min=0)] = 0,
        topic: TopicOpt = None,
        list_: Annotated[bool, typer.Option("--list", "-l", help="Only list what is due; do not start.")] = False,
        bank: BankOpt = None,
        db: DbOpt = None,
        json_: QuizJsonOpt = False,
    ) -> None:
        """Spaced review: the families that are due (FSRS), each with fresh numbers."""
        from rich.text import Text

        from nncheck.cli.loop import practise
        from nncheck.practice.schedule import due_cards
        from nncheck.practice.session import Session, plan_review
        from nncheck.render.quiz_views import when_text

        with practice_setup(bank, db, json_) as (cat, store, term):
            now = time.time()
            allowed = {r["id"] for r in cat.select(topics=topic)} if topic else None
            cards = store.cards()
            due = [c["family_id"] for c in due_cards(store, now)
                   if allowed is None or c["family_id"] in allowed]
            seen = store.families_seen()
            never = [r["id"] for r in cat.records if r["id"] not in seen and (allowed is None or r["id"] in allowed)]
            plan, missing = plan_review(cat, due, count=count, new=new, seen=store.seeds_seen, never_seen=never)
            for fid in missing:
                term.show(Text(f"{fid} is due but not in the loaded banks (pass its --bank to review it).",
                               style="yellow"))
            upcoming = [c for c in cards if c["due"] > now and (allowed is None or c["family_id"] in allowed)]
            if list_ or not plan:
                if json_:
                    emit_json({"due": due, "new_available": len(never),
                               "upcoming": [{"id": c["family_id"], "due": c["due"]} for c in upcoming[:20]]})
                    return
                if not plan:
                    msg = "Nothing is due for review."
                    if upcoming:
                        msg += f" Next: {upcoming[0]['family_id']} {when_text(upcoming[0]['due'], now)}."
                    elif not cards:
                        msg += " Reviews are scheduled from your quizzes and exams: start with 'nncheck quiz'"
                        msg += ", or 'nncheck review --new 5' for families you have not tried."
                    term.show(Text(msg))
                    return
                term.show(Text(f"Due now ({len(due)}): " + ", ".join(due)))
                for c in upcoming[:10]:
                    term.show(Text(f"  {c['family_id']}  {when_text(c['due'], now)}", style="dim"))
                return
            n_new = sum(1 for p in plan if p.family_id not in due)
            term.show(Text.assemble(("Review: ", "bold"), f"{len(plan) - n_new} due",
                                    f" + {n_new} new" if n_new else "",
                                    " — each with fresh numbers. hint, skip, solution, quit, help."))
            config = {"count": count, "new": new, "topics": topic or [],
                      "banks": [os.path.abspath(b) for b in bank or []]}
            session = Session(cat, plan, mode="review", store=store, seed=None, config=config)
            practise(session, term, title="Review summary")
            if json_:
                emit_json(session.summary_json())
