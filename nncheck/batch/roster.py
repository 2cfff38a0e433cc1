"""Who is in the class: the answer files given on the command line, a roster, and where not to write.

``nncheck grade`` takes one answer file (graded as it always was), or a class:

* a directory (its answer files: ``*.yaml``, ``*.yml``, ``*.json``, ``*.csv``, not hidden, not
  in subdirectories), several files, or a glob (``'subs/*.yaml'``, expanded here when the shell
  did not);
* one file holding a whole class: a CSV with a ``student`` column, or YAML/JSON entries with a
  ``student`` field (:func:`split_by_student`).

A student is named by the entries' ``student`` field, else the file's top-level ``student:``,
else the file name without its extension.  Two submissions naming the same student (case and
surrounding spaces aside) are *duplicates*: both are graded and reported, neither goes in the
gradebook, since an import would silently keep one of them.

A roster (``--roster FILE``) says who should have handed in: a CSV with a header (a Canvas
gradebook export works as it is: ``Student, ID, SIS User ID, SIS Login ID, Section``) or a list
of names, one a line.  A student matches a roster row when their name equals any of the row's
identity cells (:data:`ID_COLUMNS`); rows nobody matches are *missing*, students no row matches
are *not on the roster*.  The roster's columns are carried into the gradebook.
"""

from __future__ import annotations

import glob
import os

from nncheck.batch.grade import AnswerSheet, Entry
from nncheck.errors import NNCheckError, UsageError

#: The answer files a directory contributes (any other file in it is left alone).
ANSWER_EXTENSIONS = (".yaml", ".yml", ".json", ".csv")
#: Roster columns (lower case) that may hold the name a student writes in an answer file.
ID_COLUMNS = ("student", "name", "id", "sis user id", "sis login id", "login", "username", "user", "email",
              "email address", "student id", "id number")
#: The first cell of the points row in a Canvas gradebook export (not a student).
POINTS_ROW = "points possible"


class Submission:
    """One student's work to grade: a file (loaded by the grading process) or the entries of
    one student split out of a class file.  ``order`` keeps the class in input order."""

    def __init__(self, path: str, order: tuple, *, student: str | None = None, sheet: AnswerSheet | None = None,
                 error: str | None = None):
        self.path, self.order, self.student, self.sheet, self.error = path, order, student, sheet, error


def is_glob(text: str) -> bool:
    return any(ch in text for ch in "*?[")


def expand(inputs: list[str]) -> tuple[list[str], bool]:
    """(the answer files ``inputs`` name, in order and each once; whether they make a class).

    A directory or a glob always makes a class, even of one; so do several files.  A path that
    does not exist is an error here (a typing mistake of the grader's, not a student's).
    """
    files: list[str] = []
    seen: set[str] = set()
    many = len(inputs) > 1

    def add(path: str) -> None:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            files.append(path)

    for raw in inputs:
        if os.path.isdir(raw):
            many = True
            found = sorted(f for f in os.listdir(raw) if f.lower().endswith(ANSWER_EXTENSIONS)
                           and not f.startswith(".") and os.path.isfile(os.path.join(raw, f)))
            if not found:
                raise UsageError(f"{raw} is a directory with no answer files in it (*.yaml, *.yml, *.json, *.csv)")
            for f in found:
                add(os.path.join(raw, f))
        elif os.path.lexists(raw):
            add(raw)
        elif is_glob(raw):
            many = True
            found = sorted(f for f in glob.glob(raw) if os.path.isfile(f))
            if not found:
                raise UsageError(f"no answer file matches {raw}")
            for f in found:
                add(f)
        else:
            raise UsageError(f"cannot read answer file {raw}: no such file or directory")
    return files, many


def student_of_file(sheet: AnswerSheet | None, path: str) -> str:
    """The file's top-level ``student:``, else its name without the extension."""
    who = (sheet.meta.get("student") if sheet is not None else None)
    if isinstance(who, (str, int)) and not isinstance(who, bool) and str(who).strip():
        return str(who).strip()
    return os.path.splitext(os.path.basename(path))[0]


def holds_a_class(sheet: AnswerSheet) -> bool:
    """Whether any entry names its student (the file holds several students' answers)."""
    return any(e.student is not None for e in sheet.entries)


def split_by_student(sheet: AnswerSheet, order: tuple) -> list[Submission]:
    """One submission per student of a class file, in order of first appearance; entries that
    name no student make a submission of their own that is reported, never graded."""
    default = sheet.meta.get("student")
    groups: dict[str | None, list[Entry]] = {}
    for e in sheet.entries:
        who = e.student
        if who is None and isinstance(default, str) and default.strip():
            who = default.strip()
        groups.setdefault(who, []).append(e)
    out = []
    for k, (who, entries) in enumerate(groups.items()):
        if who is None:
            where = ", ".join(e.where for e in entries[:5]) + (", …" if len(entries) > 5 else "")
            out.append(Submission(sheet.path, order + (k,), student=f"(no student: {os.path.basename(sheet.path)})",
                                  error=f"{len(entries)} entries name no student ({where})"))
            continue
        out.append(Submission(sheet.path, order + (k,), student=who,
                              sheet=AnswerSheet(sheet.path, sheet.format, _renumbered(entries), dict(sheet.meta))))
    return out


def _renumbered(entries: list[Entry]) -> list[Entry]:
    """The entries numbered 1, 2, … within their student (``where`` and ``line`` still point
    into the class file)."""
    for i, e in enumerate(entries, 1):
        e.index = i
    return entries


def student_key(name: str) -> str:
    """Names that are the same student: case and surrounding spaces do not count."""
    return " ".join(name.split()).casefold()


# ----------------------------------------------------------------------------
# The roster.
# ----------------------------------------------------------------------------
class Roster:
    """Who should have handed in: ``columns`` (the header, as written) and ``rows`` (dicts)."""

    def __init__(self, path: str, columns: list[str], rows: list[dict[str, str]]):
        self.path, self.columns, self.rows = path, columns, rows
        self._ids = [c for c in columns if c.strip().lower() in ID_COLUMNS]

    def match(self, student: str) -> list[int]:
        """The rows whose identity cells name ``student``."""
        key = student_key(student)
        return [i for i, row in enumerate(self.rows)
                if any(student_key(row.get(c, "")) == key for c in self._ids if row.get(c, "").strip())]

    def label(self, i: int) -> str:
        """How a row is named in a report: its first non-empty identity cell."""
        row = self.rows[i]
        return next((row[c] for c in self._ids if row.get(c, "").strip()), f"roster row {i + 1}")


def read_roster(path: str) -> Roster:
    """A CSV with a header naming one of :data:`ID_COLUMNS`, or one name a line (``#`` comments)."""
    import csv
    import io

    from nncheck.bank.yamlsafe import read_text

    try:
        text = read_text(path, what="roster", max_bytes=MAX_ROSTER_BYTES)
    except NNCheckError as e:
        raise UsageError(f"--roster: {e.line()}") from None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise UsageError(f"--roster {path} names no students")
    first = [c.strip().lower() for c in next(csv.reader([lines[0]]))]
    if path.lower().endswith(".csv") or (len(first) > 1 and any(c in ID_COLUMNS for c in first)):
        reader = csv.reader(io.StringIO("\n".join(lines)))
        try:
            table = [row for row in reader]
        except csv.Error as e:
            raise UsageError(f"--roster {path}: invalid CSV: {e}") from None
        header = [c.strip() for c in table[0]]
        if not any(c.lower() in ID_COLUMNS for c in header):
            raise UsageError(f"--roster {path}: no column names the students (expected one of: "
                             f"{', '.join(ID_COLUMNS)})")
        rows = []
        for r in table[1:]:
            if r and r[0].strip().lower() == POINTS_ROW:
                continue  # Canvas's points row
            rows.append({h: (r[k].strip() if k < len(r) else "") for k, h in enumerate(header)})
        return Roster(path, header, rows)
    return Roster(path, ["Student"], [{"Student": ln.strip()} for ln in lines])


MAX_ROSTER_BYTES = 4_000_000


# ----------------------------------------------------------------------------
# Outputs never overwrite inputs.
# ----------------------------------------------------------------------------
def check_outputs(inputs: list[str], read: list[str], *, report_dir: str | None, gradebook: str | None) -> None:
    """Refuse (:class:`UsageError`, exit 2) an output that is, or would be written inside, any
    input: ``inputs`` as given (files and directories), ``read`` the files they resolved to."""
    in_dirs = [p for p in inputs if os.path.isdir(p)]
    in_files = list(read) + [p for p in inputs if not os.path.isdir(p) and os.path.lexists(p)]

    def inside(path: str, directory: str) -> bool:
        path, directory = os.path.realpath(path), os.path.realpath(directory)
        return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)

    def same(a: str, b: str) -> bool:
        from nncheck.paths import same_file

        return same_file(a, b) or os.path.realpath(a) == os.path.realpath(b)

    for opt, out in (("--gradebook", gradebook), ("--report", report_dir)):
        if not out:
            continue
        for f in in_files:
            if same(out, f):
                raise UsageError(f"{opt} {out} is an answer file being graded; it would be overwritten",
                                 hint="write it somewhere else")
        for d in in_dirs:
            if inside(out, d):
                raise UsageError(f"{opt} {out} is inside {d}, a directory being graded",
                                 hint="write it outside the class's directory")
        if opt == "--report":
            for f in in_files:
                if inside(f, out):
                    raise UsageError(f"--report {out} holds {f}, an answer file being graded; reports there "
                                     "could overwrite it", hint="write the reports to a directory of their own")
