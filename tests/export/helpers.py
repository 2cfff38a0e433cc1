"""Helpers for the batch-grading tests: run the CLI, check one-line errors, fill answer files."""

from __future__ import annotations

from typer.testing import CliRunner

from nncheck.cli import app

_runner = CliRunner()


def run(*args):
    return _runner.invoke(app, [str(a) for a in args])


def error_lines(result) -> list[str]:
    """stderr without warnings about skipped user banks."""
    return [ln for ln in result.stderr.splitlines() if ln.strip() and not ln.startswith("nncheck: warning:")]


def one_line_error(result, *fragments) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]
