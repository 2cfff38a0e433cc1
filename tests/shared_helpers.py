"""Helpers shared across test folders: run the CLI, check one-line errors.

A top-level module: pytest puts ``tests/`` on ``sys.path`` (it holds the root ``conftest.py`` and
the test packages), so any test module can ``from shared_helpers import ...``.
"""

from __future__ import annotations

from typer.testing import CliRunner

from nncheck.cli.app import app

_runner = CliRunner()


def run(*args):
    return _runner.invoke(app, [str(a) for a in args])


def error_lines(result) -> list[str]:
    """stderr without warnings about skipped user banks."""
    return [ln for ln in result.stderr.splitlines() if ln.strip() and not ln.startswith("nncheck: warning:")]


def one_line_error(result, *fragments) -> str:
    """Exit code 2 and one line on stderr (warnings aside) holding every fragment; no traceback."""
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


def one_line_output_error(result, *fragments) -> str:
    """Exit code 2 and one line in all the output (stdout and stderr) holding every fragment."""
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]
