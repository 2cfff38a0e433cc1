"""``quiz``: practise in the terminal, one problem at a time."""

from __future__ import annotations

import random
import sys
from typing import Annotated, Optional

import typer

from .common import BankOpt, catalog, console


def _read(prompt: str) -> str | None:
    sys.stdout.write(prompt)
    sys.stdout.flush()
    line = sys.stdin.readline()
    if line == "":
        return None
    return line.rstrip("\n")


def register(app: typer.Typer) -> None:
    @app.command("quiz")
    def quiz_cmd(
        topic: Annotated[Optional[list[str]], typer.Option("--topic", "-t", help="Only these topics (repeatable).")] = None,
        family: Annotated[Optional[list[str]], typer.Option("--family", "-f", help="Only these families (repeatable).")] = None,
        count: Annotated[int, typer.Option("--count", "-n", help="How many problems.", min=1)] = 5,
        seed: Annotated[Optional[int], typer.Option("--seed", "-s", help="Seed for the whole session (repeatable sessions).")] = None,
        bank: BankOpt = None,
    ):
        """Practise: answer problems in the terminal (hint, skip, solution, quit, help)."""
        from ..answer.grade import grade
        from ..keys import answer_key
        from ..render.rich_views import answer_display, verdict_renderable
        from ..render.text import show_view, use_color
        from ..variant import build_variant

        cat = catalog(bank)
        pool = cat.select(topics=topic, families=family)
        rng = random.Random(seed)
        con = console()
        color = use_color()
        results = []
        print("Commands: hint, skip, solution, quit, help. A malformed answer costs no attempt.\n")
        quit_all = False
        for qi in range(count):
            rec = pool[rng.randrange(len(pool))]
            v = build_variant(rec, rng.randrange(1, 10**6), {})
            print(f"── Problem {qi + 1} of {count} " + "─" * 40)
            print(show_view(v, color))
            key = answer_key(v)
            hints = v.hints()
            for p in v.parts:
                name = p["name"]
                attempts, status = 0, "skipped"
                while attempts < 2:
                    text = _read(f"{name} > ")
                    if text is None:
                        quit_all = True
                        break
                    cmd = text.strip().lower()
                    if cmd in ("quit", "exit", ":q"):
                        quit_all = True
                        break
                    if cmd == "help":
                        print("Type your answer, or: hint, skip, solution, quit.")
                        continue
                    if cmd == "hint":
                        print(hints.pop(0) if hints else "No more hints.")
                        continue
                    if cmd in ("skip", "solution"):
                        break
                    if not cmd:
                        continue
                    verdict = grade(key, name, text)
                    con.print(verdict_renderable(verdict))
                    if verdict.status == "invalid":
                        continue
                    attempts += 1
                    if verdict.status == "correct":
                        status = "correct" if attempts == 1 else "correct (2nd try)"
                        break
                    status = "incorrect"
                    if attempts < 2:
                        print("One more try.")
                kp = key.parts[name]
                if status not in ("correct",):
                    print(f"  answer: {answer_display(kp.kind, kp.exact)}")
                    for s in kp.steps:
                        print(f"      {s}")
                results.append((v.id, name, status))
                if quit_all:
                    break
            if quit_all:
                break
            print()
        from rich.table import Table

        t = Table(title="Session summary", title_justify="left")
        t.add_column("problem")
        t.add_column("part")
        t.add_column("result")
        for fid, part, status in results:
            t.add_row(fid, part, status)
        con.print(t)
        right = sum(1 for r in results if r[2].startswith("correct"))
        con.print(f"{right} of {len(results)} parts correct.")
