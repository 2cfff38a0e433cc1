"""``nncheck derive`` on LaTeX: whole documents, bare LaTeX, bank problems, errors and hostile input.

The fixtures in ``files/latex/`` are the ECE 417 exam review's derivations typed as the notes print
them (see ``test_latex_documents.py``, which checks how they are read).  Here the mechanism is the
command: how it decides a file is LaTeX, that its report (text and ``--json``) gives the ``.tex``
file's line numbers and carets, and that nothing hostile gets a traceback or hangs.
"""

from __future__ import annotations

import json
import os
import time

import pytest
from typer.testing import CliRunner

from nncheck.cli.app import app

runner = CliRunner()
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "files", "latex")


def run(*args, input=None):
    return runner.invoke(app, ["derive", *[str(a) for a in args]], input=input)


def fixture(name: str) -> str:
    return os.path.join(HERE, name)


def source_lines(name: str) -> list[str]:
    with open(fixture(name), encoding="utf-8") as fh:
        return fh.read().splitlines()


# (fixture, exit code, the .tex line of the first wrong step or None).  sigmoid_homework.tex defines
# h only in its prose, so it is checked against its bank problem, which gives h = σ(ξ).
DOCUMENTS = [
    ("sigmoid.tex", 0, None),
    ("tanh.tex", 0, None),
    ("softmax.tex", 0, None),
    ("bce.tex", 1, 15),
    ("bce_lines.tex", 1, 9),
]


@pytest.mark.parametrize("name,code,first_wrong", DOCUMENTS, ids=[d[0] for d in DOCUMENTS])
def test_a_tex_document_is_checked_with_its_own_line_numbers(name, code, first_wrong):
    r = run(fixture(name), "--json")
    assert r.exit_code == code, r.output
    data = json.loads(r.stdout)
    tex = source_lines(name)
    assert data["steps"]
    for s in data["steps"]:
        # Every step is on a .tex line that holds a relation of the document's math.
        assert 1 <= s["line"] <= len(tex) and "=" in tex[s["line"] - 1], (s, tex[s["line"] - 1])
        assert not any(c in (s["to"] or "") for c in "\\{}$")  # shown in the plain language
    if first_wrong is None:
        assert data["valid"] is True and data["first_invalid"] is None
    else:
        # The notes' typo, 1 - \dot{\sigma} where \dot{\sigma} belongs, is the first wrong step, on its line.
        assert data["first_invalid"]["line"] == first_wrong and data["first_invalid"]["step"] == 2
        assert r"1 - \dot{\sigma}" in tex[first_wrong - 1]
        assert f"(line {first_wrong})" in data["summary"]


def test_the_text_report_numbers_steps_as_the_tex_file_and_shows_each_once():
    r = run(fixture("sigmoid.tex"))
    assert r.exit_code == 0, r.output
    rows = r.stdout.splitlines()
    labels = [int(ln.split()[0]) for ln in rows if ln[:3].strip().isdigit()]
    # Line 11 holds two equations (two lines of the plain reading, both numbered 11), line 16 one chain.
    assert labels == [11, 11, 16]
    steps = [ln for ln in rows if ln.lstrip(" 0123456789").startswith("✓ ") and not ln.startswith("✓ All")]
    assert len(steps) == 8 and "✓ All 8 steps valid." in rows
    r = run(fixture("bce.tex"))
    assert r.exit_code == 1 and "Step 2 (line 15) is the first wrong step." in r.stdout


@pytest.mark.parametrize("family,name", [("derive.sigmoid-derivative", "sigmoid_homework.tex"),
                                         ("derive.softmax-two-class", "softmax.tex")])
def test_a_latex_homework_checks_against_its_bank_problem(family, name):
    r = run(family, fixture(name), "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["id"] == family and data["valid"] is True and data["finished"] is True
    assert data["verdict"] == "correct"
    tex = source_lines(name)
    for s in data["steps"]:
        assert tex[s["line"] - 1].strip(), s  # the start step too is on a line of the document
    text = run(family, fixture(name))
    assert text.exit_code == 0 and "The target is reached." in text.stdout


UNKNOWN = "Homework 3.\n\\begin{align}\n  a &= b + 1 \\\\\n  &= \\foo{b} + 1\n\\end{align}\n"


def test_an_unknown_command_is_unreadable_with_the_caret_under_it_in_the_tex(tmp_path):
    p = tmp_path / "hw.tex"
    p.write_text(UNKNOWN, encoding="utf-8")
    bad_line = UNKNOWN.splitlines()[3]
    r = run(p)
    assert r.exit_code == 2 and "Traceback" not in r.output
    rows = r.stdout.splitlines()
    i = next(k for k, ln in enumerate(rows) if ln.strip() == bad_line.strip())
    assert rows[i].endswith(bad_line) and rows[i - 1].startswith("4 ! could not be read")
    indent = len(rows[i]) - len(bad_line)
    assert rows[i + 1].index("^") - indent == bad_line.index("\\foo")
    data = json.loads(run(p, "--json").stdout)
    (step,) = [s for s in data["steps"] if s["status"] == "unparsable"]
    assert step["line"] == 4 and step["error"]["position"] == bad_line.index("\\foo")
    assert "unknown LaTeX command" in step["error"]["message"]


def test_a_plain_derivation_with_braces_in_a_comment_stays_plain(tmp_path):
    p = tmp_path / "plain.txt"
    p.write_text("# the notes write {d/dx} and \\frac, cost $0\nd/dx(x^2)  # {here}\n= 2x\n", encoding="utf-8")
    r = run(p, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["steps"][0]["line"] == 3


def test_latex_is_detected_in_any_file_and_forced_with_the_option(tmp_path):
    p = tmp_path / "hw.txt"
    p.write_text("Show it:\n\\[\n  \\frac{d}{dx} x^{2} = 2x\n\\]\n", encoding="utf-8")
    r = run(p, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["steps"][0]["line"] == 3
    # Plain x^23 is x to the 23; LaTeX's is x²·3, refused (a number right after a value).
    assert run("-", input="x^23 = x^20 x^3\n").exit_code == 0
    forced = run("-", "--latex", "--json", input="x^23 = x^20 x^3\n")
    assert forced.exit_code == 2
    (step,) = json.loads(forced.stdout)["steps"]
    assert step["status"] == "unparsable" and step["error"]["position"] == 3


def test_a_tex_path_that_does_not_exist_is_a_file_not_a_problem_id(tmp_path):
    r = run("missing.tex")
    assert r.exit_code == 2 and "cannot read missing.tex" in r.output


def test_start_and_target_options_may_be_latex(tmp_path):
    p = tmp_path / "d.tex"
    p.write_text("\\begin{align*} \\frac{d}{dx}\\left(x^2 + 1\\right) &= 2x \\end{align*}\n", encoding="utf-8")
    r = run(p, "--start", "\\frac{d}{dx}(x^{2} + 1)", "--target", "2 x", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["start"] == "d/dx(x^2 + 1)" and data["finished"] is True


HOSTILE = [
    "\\[" + "{" * 100_000 + "\\]",
    "\\begin{align}" + "a &= b \\\\" * 15_000 + "\\end{align}",
    "$$ a\n" + "= b\n" * 30_000 + "$$",
    "\\[" + "a\\quad " * 20_000 + "\\]",
    "\\[ \\def\\a{\\a\\a}\\a \\]",
    "\\[ x = \\input{/etc/passwd} \\]\n\\[ y = \\write18{rm -rf /} \\]",
    "\\begin{align}" * 10_000,
    "$$" * 50_000,
    "\\[" + "\\frac{1}{" * 1000 + "x" + "}" * 1000 + "\\]",
    "\\[" + "\\sum_{i=1}^{50}" * 8 + " x_i \\]",
]


@pytest.mark.parametrize("tex", HOSTILE, ids=[h[:16] + f"…({len(h)})" for h in HOSTILE])
def test_hostile_latex_documents_get_no_traceback_and_finish_quickly(tex, tmp_path):
    p = tmp_path / "evil.tex"
    p.write_text(tex, encoding="utf-8")
    t0 = time.monotonic()
    r = run(p)
    took = time.monotonic() - t0
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert r.exit_code in (1, 2) and "Traceback" not in r.output
    assert took < 10, took
    data = json.loads(run(p, "--json").stdout)
    assert data["valid"] is False
