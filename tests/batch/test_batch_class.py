"""Grading a class: roster forms, duplicates, the gradebook, item analysis, processes, time budget,
safe outputs.  Classes are generated (tests/batch/classmaker.py) or written by hand here."""

from __future__ import annotations

import csv
import io
import json
import re
import time

import pytest
from shared_helpers import one_line_error, run

from batch.classmaker import UNREADABLE, make_class
from nncheck.batch.escape import csv_cell, file_stem, md_text, terminal_text

#: Markdown that would act: a pipe, HTML, a link, an image, code, an entity, not escaped by a backslash.
UNESCAPED = re.compile(r"(?<!\\)[|<>\[\]!`&]")
ENTRY = "- {{id: conv.param-count, seed: 4, part: biases, answer: {}}}\n"  # K = 6 filters: the key is 6


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _class_json(*args):
    r = run("grade", *args, "--json", "--jobs", 1)
    assert r.exit_code == 0, (r.stdout[-2000:], r.stderr)
    return json.loads(r.stdout)


def _scores(data) -> dict:
    return {s["student"]: s.get("score") for s in data["students"]}


# ----------------------------------------------------------------------------
# Roster forms.
# ----------------------------------------------------------------------------
def test_a_directory_a_glob_and_several_files_are_a_class(tmp_path):
    d = tmp_path / "subs"
    _write(d / "ann.yaml", "student: ann\nanswers:\n  " + ENTRY.format(6).replace("\n", "\n  "))
    _write(d / "bob.yaml", ENTRY.format(7))  # no student: entry: named by the file
    _write(d / "notes.txt", "not an answer file")  # left alone
    by_dir = _class_json(d)
    assert _scores(by_dir) == {"ann": 1.0, "bob": 0.0}
    assert by_dir["class"]["students"] == 2
    assert _scores(_class_json(str(d / "*.yaml"))) == {"ann": 1.0, "bob": 0.0}
    assert _scores(_class_json(d / "bob.yaml", d / "ann.yaml")) == {"bob": 0.0, "ann": 1.0}
    one_line_error(run("grade", str(d / "*.json")), "no answer file matches")


def test_one_csv_or_json_file_with_a_student_column(tmp_path):
    f = _write(tmp_path / "class.csv", "student,id,seed,part,answer\n"
                                       "ann,conv.param-count,4,biases,6\n"
                                       "bob,conv.param-count,4,biases,12\n"
                                       "ann,conv.param-count,4,total,1\n")
    data = _class_json(f)
    assert _scores(data) == {"ann": 1.0, "bob": 0.0}
    ann = data["students"][0]
    assert ann["points_possible"] == 2 and [e["where"] for e in ann["entries"]] == ["row 1", "row 3"]
    js = _write(tmp_path / "class.json", json.dumps([
        {"student": "ann", "id": "conv.param-count", "seed": 4, "part": "biases", "answer": 6},
        {"student": "cy", "id": "conv.param-count", "seed": 4, "part": "biases", "answer": "6"}]))
    assert _scores(_class_json(js)) == {"ann": 1.0, "cy": 1.0}
    # The single-file JSON shape is kept for a file without students.
    single = _write(tmp_path / "one.yaml", ENTRY.format(6))
    assert set(_class_json(single)) == {"file", "format", "total", "topics", "entries"}


def test_duplicates_and_missing_students_are_reported_not_merged(tmp_path):
    d = tmp_path / "subs"
    _write(d / "ann.yaml", ENTRY.format(6))
    _write(d / "ann-again.yaml", "student: Ann\nanswers:\n  " + ENTRY.format(7).replace("\n", "\n  "))
    _write(d / "bob.yaml", ENTRY.format(6))
    roster = _write(tmp_path / "roster.csv", "Student,SIS Login ID,Section\nAnn A,ann,S1\nBob B,bob,S1\nCy C,cy,S2\n")
    book = tmp_path / "g.csv"
    r = run("grade", d, "--roster", roster, "--gradebook", book, "--jobs", 1)
    assert r.exit_code == 0, r.stderr
    assert "duplicate student 'Ann'" in r.stdout and "ann-again.yaml" in r.stdout and "ann.yaml" in r.stdout
    assert "missing: 1 on the roster without an answer file: Cy C" in r.stdout
    rows = list(csv.reader(io.StringIO(book.read_text(encoding="utf-8"))))
    people = [row[0] for row in rows[2:]]
    assert people == ["Bob B"]  # neither Ann: an import would keep one silently
    assert rows[2][3:5] == ["bob", "S1"]  # the roster's login and section are carried over


# ----------------------------------------------------------------------------
# The gradebook.
# ----------------------------------------------------------------------------
def test_gradebook_shapes_for_canvas_and_moodle(tmp_path, catalog):
    chosen = make_class(tmp_path / "cls", catalog, 6)
    book = tmp_path / "g.csv"
    r = run("grade", tmp_path / "cls", "--gradebook", book, "--jobs", 1)
    assert r.exit_code == 0, r.stderr
    rows = list(csv.reader(io.StringIO(book.read_text(encoding="utf-8"))))
    parts = len(next(iter(chosen.values())))
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert rows[0][-2:] == ["Total", "Percentage"] and len(rows[0]) == 5 + parts + 2
    assert rows[1][0].strip() == "Points Possible" and rows[1][5:] == ["1"] * parts + [str(parts), "100"]
    assert [row[0] for row in rows[2:]] == sorted(chosen)
    for row in rows[2:]:
        want = sum(1 for choice, _t, _m in chosen[row[0]].values() if choice == "correct")
        assert float(row[-2]) == pytest.approx(sum(float(c) for c in row[5:-2]))
        assert float(row[-2]) >= want  # error carried forward may add credit, never take it
        assert float(row[-1]) == pytest.approx(round(100 * float(row[-2]) / parts, 2))
    r = run("grade", tmp_path / "cls", "--gradebook", book, "--lms", "moodle", "--jobs", 1)
    rows = list(csv.reader(io.StringIO(book.read_text(encoding="utf-8"))))
    assert rows[0][:2] == ["Student", "Username"] and rows[1][1] == sorted(chosen)[0]
    assert len(rows) == 1 + len(chosen)  # no points row: Moodle would take it for a student


# ----------------------------------------------------------------------------
# Item analysis.
# ----------------------------------------------------------------------------
def test_item_analysis_counts_match_the_answers_given(tmp_path, catalog):
    chosen = make_class(tmp_path / "cls", catalog, 12, rng_seed=7)
    data = _class_json(tmp_path / "cls")
    items = {(it["problem"], it["part"]): it for it in data["items"]}
    assert set(items) == set(next(iter(chosen.values())))
    for key, it in items.items():
        picks = [chosen[s][key] for s in chosen]
        assert it["answered"] == 12
        assert it["invalid"] == sum(1 for c, _t, _m in picks if c == "invalid")
        assert it["unanswered"] == sum(1 for c, _t, _m in picks if c == "blank")
        assert it["correct"] >= sum(1 for c, _t, _m in picks if c == "correct")
        assert it["correct_first_try"] == it["correct"] and not it["several_tries"]
        named = {m["mistake"]: m["students"] for m in it["mistakes"]}
        for mid in {m for c, _t, m in picks if c == "mistake"}:
            assert named.get(mid, 0) >= sum(1 for c, _t, m in picks if m == mid) - (it["correct"] - sum(
                1 for c, _t, _m in picks if c == "correct")), (key, named, mid)
        unreadable = [a for a in it["invalid_answers"] if a["answer"] == UNREADABLE]
        if it["invalid"]:
            assert unreadable and unreadable[0]["students"] == it["invalid"]
    mistakes_given = sum(1 for s in chosen.values() for c, _t, _m in s.values() if c == "mistake")
    assert mistakes_given > 0 and sum(m["students"] for it in data["items"] for m in it["mistakes"]) > 0


def test_first_try_is_read_from_repeated_entries(tmp_path):
    f = _write(tmp_path / "log.csv", "student,id,seed,part,answer\n"
                                     "ann,conv.param-count,4,biases,12\n"
                                     "ann,conv.param-count,4,biases,6\n"
                                     "bob,conv.param-count,4,biases,6\n")
    data = _class_json(f)
    (it,) = data["items"]
    assert (it["answered"], it["correct"], it["correct_first_try"], it["several_tries"]) == (2, 2, 1, True)
    assert data["students"][0]["score"] == 1.0  # the last try counts


def test_two_processes_give_the_same_class_as_one(tmp_path, catalog):
    make_class(tmp_path / "cls", catalog, 8, own_seeds=True)
    one = run("grade", tmp_path / "cls", "--json", "--jobs", 1)
    two = run("grade", tmp_path / "cls", "--json", "--jobs", 2)
    assert one.exit_code == two.exit_code == 0
    assert json.loads(one.stdout) == json.loads(two.stdout)


# ----------------------------------------------------------------------------
# Safe outputs.
# ----------------------------------------------------------------------------
def test_outputs_never_overwrite_inputs(tmp_path):
    d = tmp_path / "subs"
    a = _write(d / "ann.yaml", ENTRY.format(6))
    b = _write(tmp_path / "bob.yaml", ENTRY.format(6))
    one_line_error(run("grade", d, "--report", d / "reports"), "inside", "a directory being graded")
    one_line_error(run("grade", d, "--gradebook", a), "is an answer file being graded")
    one_line_error(run("grade", a, b, "--gradebook", b), "is an answer file being graded")
    one_line_error(run("grade", a, b, "--report", tmp_path), "holds", "an answer file being graded")
    one_line_error(run("grade", a, "--report", a), "would be overwritten")
    roster = _write(tmp_path / "roster.txt", "ann\n")
    one_line_error(run("grade", d, "--roster", roster, "--gradebook", roster), "being graded")
    assert a.read_text(encoding="utf-8") == ENTRY.format(6) and b.read_text(encoding="utf-8") == ENTRY.format(6)


def test_a_symlink_in_the_report_directory_is_replaced_not_followed(tmp_path):
    a = _write(tmp_path / "in" / "ann.yaml", ENTRY.format(6))
    out = tmp_path / "out"
    out.mkdir()
    (out / "ann.md").symlink_to(a)
    r = run("grade", tmp_path / "in", "--report", out, "--jobs", 1)
    assert r.exit_code == 0, r.stderr
    assert a.read_text(encoding="utf-8") == ENTRY.format(6)
    assert not (out / "ann.md").is_symlink() and "Grading report" in (out / "ann.md").read_text(encoding="utf-8")


def test_escaping_helpers():
    assert csv_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    for bad in ("+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1"):
        assert csv_cell(bad) == "'" + bad
    assert csv_cell(-0.5) == -0.5 and csv_cell(3) == 3 and csv_cell("ann") == "ann"
    md = md_text("a | b <img src=x onerror=alert(1)> [x](http://e) ![i](http://e/i.png) \\ `c` &lt;")
    assert not UNESCAPED.search(md), md
    assert "\\!\\[" in md and "\\\\" in md and "\\&lt;" in md
    term = terminal_text("ann\x1b[31m\u202eevil\u2066\x9b2J")
    assert "\x1b" not in term and "\u202e" not in term and "\u2066" not in term and "\x9b" not in term
    assert "\\u001b" in term and "\\u202e" in term
    assert file_stem("../..\x1b/x", set()) == "x" and file_stem("", set()) == "student"


def test_student_text_is_escaped_in_every_output(tmp_path):
    d = tmp_path / "subs"
    _write(d / "mallory.yaml", 'student: "=HYPERLINK(\\"http://evil\\") \u202eevil"\nanswers:\n'
                               '  - {id: conv.param-count, seed: 4, part: biases, '
                               'answer: "<img src=x> | ![i](http://e/i.png)"}\n')
    _write(d / "e\x1b[31mred.yaml", ENTRY.format(6))  # a file name may hold what a file may not
    book, reports = tmp_path / "g.csv", tmp_path / "reports"
    r = run("grade", d, "--gradebook", book, "--report", reports, "--jobs", 1)
    assert r.exit_code == 0, r.stderr
    assert "\x1b" not in r.stdout and "\u202e" not in r.stdout and "\\u001b" in r.stdout
    rows = list(csv.reader(io.StringIO(book.read_text(encoding="utf-8"))))
    cells = [c for row in rows[2:] for c in row]
    assert all(not c.startswith(("=", "+", "@")) for c in cells)
    assert any(c.startswith("'=HYPERLINK") for c in cells)
    texts = [p.read_text(encoding="utf-8") for p in reports.iterdir()]
    assert len(texts) == 3 and all(p.name.endswith(".md") and "\x1b" not in p.name for p in reports.iterdir())
    for text in texts:
        assert not re.search(r"(?<!\\)(<img|!\[|\[i\])", text) and "\u202e" not in text
    j = run("grade", d, "--json", "--jobs", 1)
    assert "\u202e" not in j.stdout
    assert any(x["student"].endswith("\u202eevil") for x in json.loads(j.stdout)["students"])


# ----------------------------------------------------------------------------
# Robustness: a slow or broken file costs its student only.
# ----------------------------------------------------------------------------
def test_a_slow_file_is_not_graded_and_the_class_goes_on(tmp_path):
    d = tmp_path / "subs"
    _write(d / "ann.yaml", ENTRY.format(6))
    # A real slow input: 40,000 answers, each a different text (nothing is shared), about 9 s to
    # load and grade on the development machine; the budget is 2 s.
    _write(d / "slow.yaml", "answers:\n" + "".join(
        f"  - {{id: conv.param-count, seed: 4, part: biases, answer: {i}/7}}\n" for i in range(40_000)))
    _write(d / "bad.yaml", "- {id: conv.param-count, seed: 4, part: biases, answ")
    _write(d / "zed.yaml", ENTRY.format(6))
    started = time.monotonic()
    r = run("grade", d, "--student-timeout", 2, "--jobs", 1, "--json")
    assert time.monotonic() - started < 30
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    by = {s["student"]: s for s in data["students"]}
    assert by["slow"]["graded"] is False and by["slow"]["error"] == "exceeded 2 s"
    assert by["bad"]["graded"] is False and "invalid YAML" in by["bad"]["error"]
    assert by["ann"]["score"] == by["zed"]["score"] == 1.0
    assert any("slow" in p and "not graded: exceeded 2 s" in p for p in data["problems"])


def test_a_class_of_200_students(tmp_path, catalog):
    """The issue's acceptance: 200 generated files, a gradebook of 200 rows, reports, mistake counts."""
    chosen = make_class(tmp_path / "cls", catalog, 200, rng_seed=3)
    book, reports = tmp_path / "g.csv", tmp_path / "R"
    r = run("grade", tmp_path / "cls", "--gradebook", book, "--report", reports)
    assert r.exit_code == 0, r.stderr
    rows = list(csv.reader(io.StringIO(book.read_text(encoding="utf-8"))))
    assert len(rows) == 2 + 200
    assert len(list(reports.iterdir())) == 201
    text = (reports / "class-report.md").read_text(encoding="utf-8")
    assert "## Item analysis" in text and "of 200)" in text
    assert "Named mistakes" in r.stdout and "Graded 200 of 200 students" in r.stdout
    assert len(chosen) == 200


def test_a_class_worker_gives_sympy_a_larger_cache_before_sympy_is_imported():
    # SymPy reads SYMPY_CACHE_SIZE once, on import: the worker must set it before anything it
    # imports loads SymPy.  Run the worker's own start (it stops when its pipe closes) in a fresh
    # interpreter, as a spawned worker starts, and read the size SymPy took.
    import subprocess
    import sys

    code = """
import os, sys
os.environ.pop("SYMPY_CACHE_SIZE", None)
from nncheck.batch import classrun
assert "sympy" not in sys.modules, "importing the worker's module loaded SymPy"

class Pipe:
    def send(self, msg):
        pass
    def recv(self):
        raise EOFError

classrun._worker_main(Pipe(), [], None)
import sympy.core.cache
print(sympy.core.cache.SYMPY_CACHE_SIZE)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    from nncheck.batch.classrun import WORKER_SYMPY_CACHE

    assert out.stdout.split()[-1] == WORKER_SYMPY_CACHE != "1000"
