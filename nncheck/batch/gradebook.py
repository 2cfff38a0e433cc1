"""The gradebook CSV (``nncheck grade … --gradebook FILE.csv``): one row per student, for an LMS.

Two shapes, one per gradebook import (``--lms``):

* ``canvas`` (the default): the identity columns of a Canvas gradebook export, ``Student``,
  ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``, then one column per item, ``Total`` and
  ``Percentage``, with the ``Points Possible`` row under the header.  Canvas matches each row to a
  student by those columns; a column it does not know becomes a new assignment, worth what the
  points row says.  Pass a Canvas export as ``--roster`` and the rows carry Canvas's own ID and
  section; without one, the name written in the answer file fills ``Student`` and
  ``SIS Login ID``.
* ``moodle``: ``Student``, ``Username`` (the name in the answer file), ``Email address`` when the
  roster has one, then the same grade columns, and no points row (Moodle would read it as a
  student).  At import, "Identify user by" maps ``Username`` (or the email) to the user field, and
  each grade column is mapped to a grade item.

Each part is worth one point (its score is between 0 and 1; partial credit is a fraction).  Who is
left out, and why, is the class report's business: students not graded, duplicates (an import
would keep one of them silently), and roster students without a file.  Every text cell goes
through :func:`~nncheck.batch.escape.csv_cell`; scores are numbers.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from nncheck.batch.analysis import item_label
from nncheck.batch.escape import csv_cell

if TYPE_CHECKING:
    from nncheck.batch.classrun import ClassResult, StudentResult

LMS = ("canvas", "moodle")
CANVAS_IDS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_ROW = "    Points Possible"  # as Canvas writes it in an export


def _num(x: float) -> float | int:
    """A score as a number a spreadsheet reads: whole numbers without ``.0``, else 4 decimals."""
    x = round(float(x), 4)
    return int(x) if x == int(x) else x


def _roster_cell(cls: ClassResult, s: StudentResult, *names: str) -> str:
    from nncheck.batch.roster import student_key

    row_at = cls.roster_row.get(student_key(s.student))
    if cls.roster is None or row_at is None:
        return ""
    row = cls.roster.rows[row_at]
    for col in cls.roster.columns:
        if col.strip().lower() in names and row.get(col, "").strip():
            return row[col]
    return ""


def gradebook_rows(cls: ClassResult, lms: str = "canvas") -> list[list]:
    """The header, the points row (Canvas) and a row per student who is in the gradebook."""
    items = [s.item for s in cls.items]
    grade_cols = [item_label(i) for i in items] + ["Total", "Percentage"]
    rows: list[list] = []
    in_book = [s for s in cls.students if cls.in_gradebook(s)]
    possible = max((s.points()[1] for s in in_book), default=len(items))
    if lms == "moodle":
        with_email = cls.roster is not None and any(_roster_cell(cls, s, "email", "email address") for s in in_book)
        rows.append(["Student", "Username"] + (["Email address"] if with_email else []) + grade_cols)
    else:
        with_email = False
        rows.append(list(CANVAS_IDS) + grade_cols)
        rows.append([POINTS_ROW, "", "", "", ""] + [1] * len(items) + [possible, 100])
    for s in in_book:
        name = _roster_cell(cls, s, "student", "name") or s.student
        if lms == "moodle":
            ident = [name, s.student] + ([_roster_cell(cls, s, "email", "email address")] if with_email else [])
        else:
            ident = [name, _roster_cell(cls, s, "id"), _roster_cell(cls, s, "sis user id"),
                     _roster_cell(cls, s, "sis login id", "login", "username") or s.student,
                     _roster_cell(cls, s, "section")]
        scores = s.item_scores()
        score, _ = s.points()
        rows.append(ident + [("" if i not in scores else _num(scores[i])) for i in items]
                    + [_num(score), _num(s.percent())])
    return rows


def gradebook_csv(cls: ClassResult, lms: str = "canvas") -> str:
    """The gradebook as CSV text (RFC 4180, UTF-8), every text cell formula-safe."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for row in gradebook_rows(cls, lms):
        w.writerow([csv_cell(c) for c in row])
    return buf.getvalue()
