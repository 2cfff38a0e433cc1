"""``grade``: grade a whole answer file (homework, a class, a generated set filled in)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from nncheck.cli.common import BankOpt, JsonOpt, LatexOpt, catalog, console

PROGRESS_FROM = 40  # entries; smaller files finish before a bar would be worth drawing


def _table(result, con, safe=str):
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
        t.add_row(str(e.index), Text(safe(prob)), Text(safe(e.part or "")), Text(safe(ans.replace("\n", " ⏎ ")[:60])),
                  Text(result_text, style=style[r.status]), Text(safe(fb)))
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


def _emit_json(obj) -> None:
    """JSON on stdout with the bidi and C1 controls escaped too (json escapes only C0): the same
    data, safe to print on a terminal."""
    import json

    from nncheck.batch.escape import terminal_text
    from nncheck.cli.common import json_default

    sys.stdout.write(terminal_text(json.dumps(obj, ensure_ascii=False, indent=2, default=json_default)) + "\n")


def _progress_bar(json_: bool, total: int):
    """(bar, callback) on a terminal, (None, None) when piped or with --json."""
    if total < 1 or not sys.stderr.isatty() or json_:
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=console(stderr=True), transient=True)
    task = bar.add_task("grading", total=total)
    bar.start()

    def progress(done, total):
        bar.update(task, completed=done, total=total)

    return bar, progress


def register(app: typer.Typer) -> None:
    @app.command("grade")
    def grade_cmd(
        files: Annotated[list[str], typer.Argument(
            metavar="FILE", show_default=False,
            help="Answer file (YAML, JSON, or CSV: id,seed,part,answer); or a class: a directory, several "
                 "files or a glob, one file per student, or one file with a student column.")],
        report: Annotated[str | None, typer.Option(
            "--report", help="Also write a Markdown report: to this file (one answer file), or into this "
                             "directory, one per student and class-report.md (a class).")] = None,
        gradebook: Annotated[str | None, typer.Option(
            "--gradebook", metavar="FILE.csv",
            help="Write a gradebook CSV: a row per student, a column per part, total and percentage.")] = None,
        lms: Annotated[str, typer.Option(
            "--lms", help="Gradebook shape: canvas (identity columns and a Points Possible row) or moodle.")]
            = "canvas",
        roster: Annotated[str | None, typer.Option(
            "--roster", help="Who should hand in: a CSV with a header (a Canvas gradebook export works) or one "
                             "name a line; reports the missing students.")] = None,
        jobs: Annotated[int | None, typer.Option(
            "--jobs", "-j", min=1, help="Grade a class in this many processes (default: every core).",
            show_default=False)] = None,
        student_timeout: Annotated[float, typer.Option(
            "--student-timeout", metavar="SECONDS", min=0.1,
            help="A student's file that takes longer is reported as not graded.")] = 30.0,
        fail_on_wrong: Annotated[bool, typer.Option(
            "--fail-on-wrong", help="Exit 1 if any answer is wrong, invalid or blank.")] = False,
        latex: LatexOpt = False,
        bank: BankOpt = None,
        json_: JsonOpt = False,
    ) -> None:
        """Grade every answer in a file, or a whole class. Exit 0 when graded (1 with --fail-on-wrong if any is
        not correct), 2 if the file (for a class: every file) is unusable."""
        from nncheck.batch.grade import load_answers
        from nncheck.batch.roster import expand, holds_a_class

        if lms not in ("canvas", "moodle"):
            from nncheck.errors import UsageError

            raise UsageError(f"--lms must be canvas or moodle; got '{lms}'")
        paths, many = expand(files)
        if many or gradebook or roster:
            _grade_class(files, paths, None, report, gradebook, lms, roster, jobs, student_timeout, fail_on_wrong,
                         latex, bank, json_)
            return
        file = paths[0]
        if report:
            from nncheck.errors import UsageError
            from nncheck.paths import same_file

            if same_file(report, file):  # no command overwrites a file it reads
                raise UsageError(f"--report {report} is the answer file being graded; it would be overwritten",
                                 hint="write the report to another file")
        sheet = load_answers(file)
        if holds_a_class(sheet):
            _grade_class(files, paths, sheet, report, gradebook, lms, roster, jobs, student_timeout, fail_on_wrong,
                         latex, bank, json_)
            return
        _grade_one(sheet, report, fail_on_wrong, latex, bank, json_)


def _grade_one(sheet, report, fail_on_wrong, latex, bank, json_) -> None:
    """One answer file, graded in this process (as nncheck grade always has)."""
    from nncheck.batch.grade import grade_sheet

    cat = catalog(bank)
    bar, progress = _progress_bar(json_, len(sheet.entries) if len(sheet.entries) >= PROGRESS_FROM else 0)
    try:
        result = grade_sheet(sheet, cat, progress=progress, latex=latex or None)
    finally:
        if bar is not None:
            bar.stop()
    if report:
        from nncheck.export.report import report_markdown, write_text

        write_text(report, report_markdown(result))
    if json_:
        _emit_json(result.to_json())
    else:
        from rich.text import Text

        from nncheck.batch.escape import terminal_text

        con = console()
        con.print(_table(result, con, terminal_text))
        con.print(Text(_summary_text(result)))
        if len(result.topics()) > 0:
            con.print(_topics_table(result))
        if report:
            con.print(Text(f"report written to {terminal_text(report)}"))
    if fail_on_wrong and not result.all_correct:
        raise typer.Exit(1)


def _grade_class(inputs, paths, sheet, report, gradebook, lms, roster, jobs, timeout, fail_on_wrong, latex, bank,
                 json_) -> None:
    """A class: graded across processes; gradebook, reports, JSON or the summary."""
    from nncheck.batch.classrun import ClassResult, default_jobs, grade_class
    from nncheck.batch.roster import Submission, check_outputs, read_roster, split_by_student

    check_outputs(inputs, paths + ([roster] if roster else []), report_dir=report, gradebook=gradebook)
    catalog(bank)  # its warnings, once (the grading processes load it again)
    who = read_roster(roster) if roster else None
    subs = split_by_student(sheet, (0,)) if sheet is not None else [Submission(p, (i,)) for i, p in enumerate(paths)]
    jobs = jobs or default_jobs()
    bar, progress = _progress_bar(json_, len(subs))
    try:
        students = grade_class(subs, banks=bank, latex=latex or None, jobs=jobs, timeout=timeout, progress=progress)
    finally:
        if bar is not None:
            bar.stop()
    cls = ClassResult(students, roster=who, jobs=jobs, timeout=timeout)
    written = []
    if gradebook:
        from nncheck.batch.gradebook import gradebook_csv
        from nncheck.export.report import write_text

        write_text(gradebook, gradebook_csv(cls, lms))
        rows = sum(1 for s in cls.students if cls.in_gradebook(s))
        written.append(f"gradebook written to {gradebook} ({rows} student{'' if rows == 1 else 's'})")
    if report:
        from nncheck.export.report import write_class_reports

        n = write_class_reports(cls, report)
        written.append(f"reports written to {report}/ ({n} files, class-report.md among them)")
    if json_:
        _emit_json(cls.to_json())
    else:
        from nncheck.batch.escape import terminal_text
        from nncheck.batch.summary import class_summary

        lines = class_summary(cls) + ([""] if written else []) + [terminal_text(w) for w in written]
        sys.stdout.write("\n".join(lines) + "\n")
    if not cls.graded:
        raise typer.Exit(2)
    if fail_on_wrong and not cls.all_correct:
        raise typer.Exit(1)
