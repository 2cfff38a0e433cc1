"""``grade``: grade a whole answer file (homework, a class, a generated set filled in)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from nncheck.cli.common import BankOpt, JsonOpt, LatexOpt, catalog, console, emit_json

PROGRESS_FROM = 40  # entries; smaller files finish before a bar would be worth drawing


def _table(result, con):
    from rich import box
    from rich.table import Table
    from rich.text import Text

    style = {"correct": "green", "incorrect": "red", "invalid": "yellow", "unanswered": "dim", "error": "bold red"}
    t = Table(box=box.SIMPLE_HEAD, show_lines=False, pad_edge=False)
    for col, kw in (("#", {"justify": "right"}), ("problem", {}), ("part", {}), ("answer", {"overflow": "fold"}),
                    ("result", {}), ("feedback", {"overflow": "fold", "ratio": 1})):
        t.add_column(col, **kw)
    for r in result.results:
        e = r.entry
        prob = e.family or "?"
        if e.problem:
            prob = f"{e.problem}. {prob}"
        ans = (r.parsed_as or e.answer or "") if r.status != "unanswered" else ""
        fb = r.feedback
        if r.status == "invalid":
            fb = f"{r.location}: {fb}"
        elif r.mistake:
            fb = f"[{r.mistake}] {fb}"
        if r.status == "incorrect" and r.expected is not None:
            fb += f" (expected {r.expected})"
        result_text = r.status if r.score in (0.0, 1.0) or r.status != "incorrect" else f"{r.status} {r.score:.2f}"
        # Text cells, not markup: answers and feedback hold brackets such as [1, 2] and h[t].
        t.add_row(str(e.index), Text(prob), Text(e.part or ""), Text(ans.replace("\n", " ⏎ ")[:60]),
                  Text(result_text, style=style[r.status]), Text(fb))
    return t


def _summary_text(result) -> str:
    tot = result.total()
    bits = [f"{tot[s]} {s}" for s in ("correct", "incorrect", "invalid", "unanswered", "error") if tot[s]]
    return (f"Total: {tot['score']:g} / {tot['entries']} ({tot['percent']:.1f}%) — " + ", ".join(bits))


def _topics_table(result):
    from rich import box
    from rich.table import Table

    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=None)
    for col in ("topic", "entries", "correct", "incorrect", "invalid", "unanswered", "score", "%"):
        t.add_column(col, justify="left" if col == "topic" else "right")
    for topic, f in result.topics().items():
        t.add_row(topic, str(f["entries"]), str(f["correct"]), str(f["incorrect"]), str(f["invalid"]),
                  str(f["unanswered"]), f"{f['score']:g}", f"{f['percent']:.1f}")
    return t


def register(app: typer.Typer) -> None:
    @app.command("grade")
    def grade_cmd(
        file: Annotated[str, typer.Argument(
            metavar="FILE", help="Answer file: YAML, JSON, or CSV (id,seed,part,answer).")],
        report: Annotated[str | None, typer.Option(
            "--report", help="Also write a Markdown report to this file.")] = None,
        fail_on_wrong: Annotated[bool, typer.Option(
            "--fail-on-wrong", help="Exit 1 if any answer is wrong, invalid or blank.")] = False,
        latex: LatexOpt = False,
        bank: BankOpt = None,
        json_: JsonOpt = False,
    ) -> None:
        """Grade every answer in a file. Exit 0 when graded (1 with --fail-on-wrong if any is not correct),
        2 if the file is unusable."""
        from nncheck.batch.grade import grade_sheet, load_answers

        if report:
            from nncheck.errors import UsageError
            from nncheck.paths import same_file

            if same_file(report, file):  # no command overwrites a file it reads
                raise UsageError(f"--report {report} is the answer file being graded; it would be overwritten",
                                 hint="write the report to another file")
        sheet = load_answers(file)
        cat = catalog(bank)
        progress = None
        bar = None
        if len(sheet.entries) >= PROGRESS_FROM and sys.stderr.isatty() and not json_:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            bar = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                           console=console(stderr=True), transient=True)
            task = bar.add_task("grading", total=len(sheet.entries))
            bar.start()

            def progress(done, total):
                bar.update(task, completed=done)

        try:
            result = grade_sheet(sheet, cat, progress=progress, latex=latex or None)
        finally:
            if bar is not None:
                bar.stop()
        if report:
            from nncheck.export.report import report_markdown, write_text

            write_text(report, report_markdown(result))
        if json_:
            emit_json(result.to_json())
        else:
            from rich.text import Text

            con = console()
            con.print(_table(result, con))
            con.print(Text(_summary_text(result)))
            if len(result.topics()) > 0:
                con.print(_topics_table(result))
            if report:
                con.print(Text(f"report written to {report}"))
        if fail_on_wrong and not result.all_correct:
            raise typer.Exit(1)
