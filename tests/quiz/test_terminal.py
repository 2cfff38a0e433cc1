"""The plain (no terminal) reader and the views: multi-line answers, echo, colour rules."""

from __future__ import annotations

import io
import re
import sys

import pytest

from nncheck.render.quiz_views import Terminal


@pytest.fixture
def piped(monkeypatch):
    def make(text: str):
        monkeypatch.setattr(sys, "stdin", io.StringIO(text))
        out = io.StringIO()
        monkeypatch.setattr(sys, "stdout", out)
        return Terminal(), out

    return make


def test_plain_reader_echoes_answers(piped):
    term, out = piped("42\n")
    assert not term.interactive and not term.wrap
    assert term.read("(a) W2 › ") == "42"
    assert out.getvalue() == "(a) W2 › 42\n"
    assert term.read("(b) H2 › ") is None  # end of input


def test_plain_multiline_ends_at_an_empty_line(piped):
    term, out = piped("d/dxi(sigma(xi))\n= exp(-xi)/(1 + exp(-xi))^2\n= h*(1 - h)\n\nhint\nskip\n")
    assert term.read("› ", multiline=True) == "d/dxi(sigma(xi))\n= exp(-xi)/(1 + exp(-xi))^2\n= h*(1 - h)"
    assert term.read("› ", multiline=True) == "hint"  # a command is read at once
    assert term.read("› ", multiline=True) == "skip"
    assert "   … = h*(1 - h)" in out.getvalue()


def test_plain_multiline_at_end_of_input(piped):
    term, _ = piped("a = b\n= c")
    assert term.read("› ", multiline=True) == "a = b\n= c"


def test_prompt_may_be_a_function(piped):
    term, out = piped("x\n")
    term.read(lambda: "[2:59:59] (a) L › ")
    assert out.getvalue().startswith("[2:59:59] (a) L › ")


def test_piped_output_has_no_colour_and_is_never_cropped(piped, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    term, out = piped("")
    from rich.text import Text

    long = "x" * 300
    term.show(Text(long, style="bold green"))
    assert out.getvalue() == long + "\n"  # no escape codes, no wrapping at COLUMNS


def test_durations_and_relative_times():
    from nncheck.render.quiz_views import duration, when_text

    assert duration(187) == "3:07" and duration(3729) == "1:02:09" and duration(-5) == "0:00"
    assert when_text(1000 + 30, now=1000) == "in 1 min"
    assert when_text(1000 + 600, now=1000) == "in 10 min"
    assert when_text(1000 + 3 * 86400, now=1000) == "in 3 days"
    assert when_text(1000 - 10, now=1000) == "now"
    assert when_text(1000 - 7200, now=1000) == "overdue by 2 h"


# ----------------------------------------------------------------------------
# The quiz on the fast front end (no Typer).
# ----------------------------------------------------------------------------
from nncheck.cli import fast  # noqa: E402
from nncheck.cli._options import OPTIONS  # noqa: E402
from nncheck.cli.fastargs import parse  # noqa: E402


def parse_quiz_argv(argv: list[str]) -> dict | None:
    return parse(OPTIONS["quiz"], argv)


def fast_quiz(argv: list[str]) -> int | None:
    return fast.run(["quiz", *argv])


def test_quiz_options_take_plain_forms_only():
    assert parse_quiz_argv([]) == {"topic": None, "family": None, "difficulty": None, "bank": None, "count": 5,
                                   "seed": None, "db": None, "json_": False}
    got = parse_quiz_argv(["-t", "conv", "--topic=pool", "-f", "detection.iou", "-n", "3", "--seed=7",
                           "-d", "easy", "--bank", "b", "--db", "x.db", "--db", "y.db", "--json"])
    assert got == {"topic": ["conv", "pool"], "family": ["detection.iou"], "difficulty": ["easy"], "bank": ["b"],
                   "count": 3, "seed": 7, "db": "y.db", "json_": True}
    for unsure in (["--help"], ["-h"], ["-n3"], ["--count"], ["--count", "x"], ["--count", "0"], ["--count", "501"],
                   ["--seed", "1.5"], ["--seed", "+3"], ["--colour"], ["conv"], ["--json=1"], ["-t=conv"],
                   ["--topic", "--json"], ["--", "x"]):
        assert parse_quiz_argv(unsure) is None, unsure
        assert fast_quiz(unsure) is None, unsure  # the Typer app runs these


def test_fast_quiz_prints_what_the_full_cli_prints(monkeypatch, capsys, tmp_path):
    from typer.testing import CliRunner

    from nncheck.cli.app import app

    answers = "hint\n1\n2\nsolution\nquit\n"
    args = ["--family", "conv.param-count", "-n", "2", "--seed", "5"]
    monkeypatch.setenv("NNCHECK_DB", str(tmp_path / "fast.db"))
    monkeypatch.setattr(sys, "stdin", io.StringIO(answers))
    assert fast_quiz(args) == 0
    fast_out = capsys.readouterr().out
    full = CliRunner().invoke(app, ["quiz", *args, "--db", str(tmp_path / "full.db")], input=answers)
    assert full.exit_code == 0

    def untimed(text: str) -> str:  # the two runs take different times
        return re.sub(r"\b\d+:\d\d\b", "m:ss", text)

    assert untimed(fast_out) == untimed(full.stdout)
    assert "hint 1/" in fast_out and "Quiz summary" in fast_out


def test_fast_quiz_errors_are_the_full_clis(monkeypatch, capsys, tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not sqlite" * 100)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert fast_quiz(["--db", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("nncheck: error: ") and str(bad) in err[0]
    assert fast_quiz(["--topic", "astrology"]) == 2
    assert "unknown topic 'astrology'" in capsys.readouterr().err


def test_quiz_errors_with_json_are_json_on_stdout(monkeypatch, capsys):
    import json

    from typer.testing import CliRunner

    from nncheck.cli.app import app

    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert fast_quiz(["--topic", "astrology", "--json"]) == 2
    out, err = capsys.readouterr()
    error = json.loads(out)["error"]
    assert error["type"] == "NNCheckError" and error["exit_code"] == 2 and "astrology" in error["message"]
    assert err == f"nncheck: error: {error['message']}\n"
    full = CliRunner().invoke(app, ["quiz", "--topic", "astrology", "--json"])
    assert (full.exit_code, full.stdout, full.stderr) == (2, out, err)


@pytest.mark.parametrize("entry, allowed", [
    # The console script: the fast front end runs `quiz`, so Typer is never loaded.
    ("from nncheck.__main__ import main\nmain(['quiz', '--seed', '3'])", []),
    # Through Typer (what `quiz --help`-style arguments fall back to), which coerces with pydantic.
    ("from nncheck.cli.app import main\nmain(['quiz', '--seed', '3'])", ["pydantic", "typer"]),
])
def test_first_question_needs_no_sympy_numpy_or_prompt_toolkit(tmp_path, entry, allowed):
    """The first problem is rendered before anything slow is imported (start-up budget)."""
    import subprocess

    # Session.warm() is called right after the first problem is shown: look there.
    code = (
        "import sys\n"
        "from nncheck.practice import session\n"
        "from nncheck.render import quiz_views\n"
        "def warm(self):\n"
        "    heavy = sorted(m for m in ('sympy', 'numpy', 'prompt_toolkit', 'pydantic', 'yaml', 'typer')\n"
        "                   if m in sys.modules)\n"
        "    sys.stdout.flush()\n"
        "    sys.stderr.write(f'LOADED {heavy}\\n')\n"
        "    raise SystemExit(0)\n"
        "session.Session.warm = warm\n" + entry + "\n")
    import os

    env = dict(os.environ, NNCHECK_DB=str(tmp_path / "h.db"))
    subprocess.run([sys.executable, "-m", "nncheck", "list"], env=env, capture_output=True, check=True)  # warm cache
    r = subprocess.run([sys.executable, "-c", code], input="", capture_output=True, text=True, env=env, timeout=60)
    assert "Problem 1 of 5" in r.stdout, r.stderr
    assert f"LOADED {allowed}" in r.stderr, r.stderr
