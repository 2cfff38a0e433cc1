"""The plain (no terminal) reader and the views: multi-line answers, echo, colour rules."""

from __future__ import annotations

import io
import sys

import pytest

from nncheck.cli.cmd_quiz import Terminal


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
