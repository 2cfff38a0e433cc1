"""Real-terminal sessions in a pseudo-terminal (pexpect): prompt_toolkit line editing,
history, multi-line derivation input, and the exam's live countdown."""

from __future__ import annotations

import io
import os
import re
import sys

import pytest

from quiz.helpers import key_for, quiz_seeds, rows, typed

pexpect = pytest.importorskip("pexpect")
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")

FG_COLOUR = re.compile(r"\x1b\[[0-9;]*;3[0-7]m|\x1b\[3[0-7][;m]")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]")


def spawn(args, cpr: bool = False, colour: bool = False, **kw):
    """nncheck in a pty.  ``cpr``: the test answers prompt_toolkit's cursor-position request
    (as a real terminal does), which it needs to lay out a bottom toolbar."""
    env = dict(os.environ)
    env.update({"TERM": "xterm", "COLUMNS": "110", "LINES": "40"})
    if not cpr:
        env["PROMPT_TOOLKIT_NO_CPR"] = "1"
    if colour:
        env.pop("NO_COLOR", None)
    child = pexpect.spawn(sys.executable, ["-m", "nncheck", *args], env=env, dimensions=(40, 110), timeout=30,
                          encoding="utf-8", **kw)
    child.logfile_read = io.StringIO()
    return child


def settle(child) -> None:
    """Let the prompt take the terminal before typing into it.  The prompt's text is drawn a moment
    before prompt_toolkit switches the pty to raw mode, and keys sent in between can be swallowed by
    the switch (seen in CI).  Raw mode turns the pty's echo off: wait for that."""
    assert child.waitnoecho(timeout=10), "the prompt never took the terminal (echo still on)"


def transcript(child) -> str:
    return child.logfile_read.getvalue()


def plain(text: str) -> str:
    return ANSI.sub("", text)


def test_quiz_in_a_real_terminal_with_line_editing_and_history(catalog):
    fam = "conv.param-count"
    (vseed,) = quiz_seeds(catalog, fam, 1, 21)
    key = key_for(catalog, fam, vseed)
    right = typed("integer", key.parts["per_filter"].exact)
    wrong = str(int(right) + 10)
    child = spawn(["quiz", "--family", fam, "-n", "1", "--seed", "21"])
    child.expect_exact("(a) per_filter ›")
    seen = plain(child.before)
    assert "Problem 1 of 1" in seen and f"seed {vseed}" in seen
    child.sendline("hint")
    child.expect("hint 1/")
    child.expect_exact("(a) per_filter ›")
    child.sendline(wrong)
    child.expect_exact("One more try.")
    child.expect_exact("(a) per_filter ›")
    # Up arrow recalls the last answer from the history; edit it with Ctrl-U and retype.
    child.send("\x1b[A")
    child.expect_exact(wrong)
    child.send("\x15" + right + "\r")
    child.expect_exact("✓ correct")
    child.expect_exact("(b) weights ›")
    child.sendline("quit")
    child.expect_exact("Quiz summary")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert not FG_COLOUR.search(transcript(child)), "NO_COLOR is set: no colours"
    got = rows(os.environ["NNCHECK_DB"], "SELECT answer, status FROM answers ORDER BY id")
    assert got == [{"answer": wrong, "status": "incorrect"}, {"answer": right, "status": "correct"}]


def test_multiline_input_for_derivations():
    code = ("from nncheck.render.quiz_views import Terminal\n"
            "t = Terminal()\n"
            "print('GOT', repr(t.read('deriv › ', multiline=True)))\n"
            "print('GOT', repr(t.read('deriv › ', multiline=True)))\n")
    env = dict(os.environ, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
    child = pexpect.spawn(sys.executable, ["-c", code], env=env, dimensions=(24, 100), timeout=30, encoding="utf-8")
    child.expect_exact("deriv ›")
    child.send("d/dx sigma(x)\r")  # Enter inside a derivation starts a new line
    child.send("= sigma(x)*(1 - sigma(x))\r")
    child.send("\r")  # an empty line ends it
    child.expect_exact("GOT 'd/dx sigma(x)\\n= sigma(x)*(1 - sigma(x))'")
    child.expect_exact("deriv ›")
    child.send("hint\r")  # a command is sent at once
    child.expect_exact("GOT 'hint'")
    child.expect(pexpect.EOF)


def test_exam_countdown_is_visible_and_time_up_ends_it():
    child = spawn(["exam", "--seed", "2", "--minutes", "0.06"], cpr=True)  # 3.6 seconds
    child.expect_exact("(a) ")
    child.expect_exact("\x1b[6n")
    child.send("\x1b[20;1R")
    child.expect("left · problem 1/")  # the countdown in the bottom toolbar
    child.expect(r"\[0:0[0-2]\]")  # and in the prompt, redrawn every second
    child.expect_exact("Time is up.", timeout=20)  # without typing anything
    child.expect_exact("Exam report")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    (sess,) = rows(os.environ["NNCHECK_DB"], "SELECT status FROM sessions")
    assert sess["status"] == "time"


def test_exam_ctrl_c_suspends_and_resumes():
    child = spawn(["exam", "--seed", "3"])
    child.expect_exact("(a) ")
    child.expect_exact("›")
    settle(child)
    # The second Enter ends a derivation (multi-line) and is an ignored empty line otherwise.
    child.send("0\r\r")
    child.expect_exact("recorded.")
    child.sendintr()
    child.expect_exact("Exam suspended")
    child.expect(pexpect.EOF)
    child.close()
    (sess,) = rows(os.environ["NNCHECK_DB"], "SELECT status FROM sessions")
    assert sess["status"] == "suspended"
    child = spawn(["exam"])
    child.expect_exact("Exam (resumed)")
    child.expect_exact("›")
    settle(child)
    child.send("0\r\r")
    child.expect_exact("recorded.")
    child.sendline("quit")
    child.expect(pexpect.EOF)
    # The resumed exam went on to the next part: the one answered before Ctrl-C is not asked again.
    got = rows(os.environ["NNCHECK_DB"], "SELECT idx, part FROM answers ORDER BY id")
    assert len(got) == 2 and got[0] != got[1]
    assert len(rows(os.environ["NNCHECK_DB"], "SELECT id FROM sessions")) == 1


def test_colour_on_a_terminal_without_no_color(catalog):
    fam = "conv.param-count"
    (vseed,) = quiz_seeds(catalog, fam, 1, 22)
    right = typed("integer", key_for(catalog, fam, vseed).parts["per_filter"].exact)
    child = spawn(["quiz", "--family", fam, "-n", "1", "--seed", "22"], colour=True)
    child.expect_exact("per_filter ›")
    child.sendline(right)
    child.expect_exact("✓ correct")
    child.sendline("quit")
    child.expect(pexpect.EOF)
    assert FG_COLOUR.search(transcript(child))
