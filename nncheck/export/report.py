"""Markdown reports of graded answer files: one file (``nncheck grade FILE --report OUT.md``), or a
class (``--report DIR``: a report per student and ``class-report.md``).

Everything a student wrote (answers, their name, file names, and the feedback that quotes them) is
escaped with :func:`nncheck.batch.escape.md_text`: a cell holds what was typed, never a column
break, HTML, a link or an image.  An answer that could not be read shows the expected answer too.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from nncheck.batch.analysis import item_label
from nncheck.batch.escape import file_stem, md_text
from nncheck.errors import NNCheckError

if TYPE_CHECKING:
    from nncheck.batch.classrun import ClassResult, StudentResult
    from nncheck.batch.grade import BatchResult

CLASS_REPORT = "class-report.md"


def _cell(s) -> str:
    """Text for a Markdown table cell: one line, escaped."""
    return md_text(s)


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%"


def report_markdown(result: BatchResult, *, title: str | None = None, total: tuple[float, int] | None = None) -> str:
    """The report of one graded file.  ``title``: the student's name (a class); ``total``: their
    (score, points possible) when it is not the entries' own count (a class's gradebook rule)."""
    tot = result.total()
    out = [f"# Grading report: {md_text(title or os.path.basename(result.path))}", ""]
    if title:
        out += [f"Answer file: {md_text(result.path)}", ""]
    score, possible = total if total is not None else (tot["score"], tot["entries"])
    pct = 100.0 * score / possible if possible else 0.0
    out.append(f"**Total: {score:g} / {possible} ({pct:.1f}%)** — "
               f"{tot['correct']} correct, {tot['incorrect']} incorrect, {tot['invalid']} invalid, "
               f"{tot['unanswered']} unanswered" + (f", {tot['error']} internal errors." if tot["error"] else "."))
    out += ["", "## By topic", "", "| topic | entries | correct | incorrect | invalid | unanswered | score | % |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for topic, f in result.topics().items():
        out.append(f"| {_cell(topic)} | {f['entries']} | {f['correct']} | {f['incorrect']} | {f['invalid']} | "
                   f"{f['unanswered']} | {f['score']:g} | {f['percent']:.1f} |")
    out += ["", "## Answers", "", "| # | where | problem | part | answer | result | feedback | expected |",
            "|---:|---|---|---|---|---|---|---|"]
    for r in result.results:
        e = r.entry
        where = f"line {e.line}, {e.where}" if e.line else e.where
        fb = r.feedback
        if r.status == "invalid":
            fb = f"{r.field or 'entry'}: {fb}"
        elif r.mistake:
            fb = f"[{r.mistake}] {fb}"
        status = r.status if r.status != "incorrect" or r.score == 0 else f"{r.status} ({r.score:.2f})"
        if getattr(r, "carried_forward", None):
            status += " (carried forward)"
        out.append(f"| {e.index} | {_cell(where)} | {_cell(e.family or '?')} | {_cell(e.part or '')} | "
                   f"{_cell(e.answer or '')} | {status} | {_cell(fb)} | {_cell(r.expected or '')} |")
    return "\n".join(out) + "\n"


def student_report(s: StudentResult) -> str:
    """A class member's report: graded, or why not."""
    if s.result is None:
        return (f"# Grading report: {md_text(s.student)}\n\nAnswer file: {md_text(s.source)}\n\n"
                f"**Not graded:** {md_text(s.error)}\n")
    return report_markdown(s.result, title=s.student, total=s.points())


def class_report(cls: ClassResult, reports: dict[int, str] | None = None) -> str:
    """``class-report.md``: the class's figures, what needs a look, the item analysis, the students.
    ``reports``: each student's report file name, by position in ``cls.students``."""
    summ = cls.summary()
    out = ["# Class report", "",
           f"{summ['students']} students, {summ['graded']} graded, {summ['answers']} answers. "
           f"Mean {summ['mean_percent']:.1f}%, median {summ['median_percent']:.1f}%.", ""]
    problems = cls.problems()
    if problems:
        out += ["## Needs a look", ""] + [f"- {md_text(p)}" for p in problems] + [""]
    out += ["## Item analysis", "",
            "One point a part; *first try* is the first of a student's answers to the part when the file "
            "answers it more than once (an export of attempts), else their only answer.", "",
            "| item | topic | students | correct | first try | invalid | unanswered | expected |",
            "|---|---|---:|---:|---:|---:|---:|---|"]
    for it in cls.items:
        out.append(f"| {_cell(item_label(it.item))} | {_cell(it.topic)} | {it.answered} | "
                   f"{_pct(it.share(it.correct))} | {_pct(it.share(it.first_try))} | {it.status['invalid']} | "
                   f"{it.status['unanswered']} | {_cell(it.shared_expected() or '')} |")
    for it in cls.items:
        mistakes, invalid = it.top_mistakes(), it.top_invalid()
        if not mistakes and not invalid:
            continue
        out += ["", f"### {md_text(item_label(it.item))}", ""]
        for m, n, msg in mistakes:
            out.append(f"- {_pct(n / it.answered)} ({n} of {it.answered}) {md_text(m)}: {md_text(msg)}")
        for a, n, why in invalid:
            out.append(f"- could not be read, {n}×: {md_text(a)} ({md_text(why)})")
    out += ["", "## Students", "", "| student | answer file | score | % | report |", "|---|---|---:|---:|---|"]
    for k, s in enumerate(cls.students):
        link = (reports or {}).get(k)
        cell = f"[{md_text(link)}]({link})" if link else ""
        if s.result is None:
            out.append(f"| {_cell(s.student)} | {_cell(s.source)} | not graded | | {cell} |")
            continue
        score, possible = s.points()
        dup = " (duplicate)" if cls.is_duplicate(s) else ""
        out.append(f"| {_cell(s.student)}{dup} | {_cell(s.source)} | {score:g} / {possible} | {s.percent():.1f} | "
                   f"{cell} |")
    return "\n".join(out) + "\n"


def write_class_reports(cls: ClassResult, directory: str) -> int:
    """A report per student (``<student>.md``, a safe file name) and ``class-report.md`` in
    ``directory`` (created); returns how many files were written."""
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as e:
        raise NNCheckError(f"cannot write to {e.filename or directory}: {e.strerror or e}") from None
    taken = {CLASS_REPORT.lower()[:-3]}
    names: dict[int, str] = {}
    for k, s in enumerate(cls.students):
        names[k] = file_stem(s.student, taken) + ".md"
        write_text(os.path.join(directory, names[k]), student_report(s))
    write_text(os.path.join(directory, CLASS_REPORT), class_report(cls, names))
    return len(names) + 1


def write_text(path: str, text: str) -> None:
    """Write a text file whole or not at all; a failure is one line (exit code 2), never a traceback.

    Written beside the target, then renamed over it: a symbolic link at ``path`` is replaced, never
    followed, so a report cannot be steered onto another file (an answer file, say)."""
    import tempfile

    directory = os.path.dirname(path) or "."
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".nncheck-", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # as open() would have made it (mkstemp makes it private)
        os.replace(tmp, path)
        tmp = None
    except OSError as e:
        raise NNCheckError(f"cannot write to {path}: {e.strerror or e}") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
