"""The Markdown report of a graded answer file (``nncheck grade --report FILE``)."""

from __future__ import annotations

import os

from nncheck.errors import NNCheckError


def _cell(s) -> str:
    """Text for a Markdown table cell: pipes escaped, one line."""
    return " ".join(str(s if s is not None else "").split()).replace("|", "\\|")


def report_markdown(result) -> str:
    tot = result.total()
    out = [f"# Grading report: {os.path.basename(result.path)}", ""]
    out.append(f"**Total: {tot['score']:g} / {tot['entries']} ({tot['percent']:.1f}%)** — "
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


def write_text(path: str, text: str) -> None:
    """Write a text file; a failure is one line (exit code 2), never a traceback."""
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as e:
        raise NNCheckError(f"cannot write to {e.filename or path}: {e.strerror or e}") from None
