"""The progress bar of ``nncheck grade`` on a terminal (a real pseudo-terminal, not a pipe)."""

from __future__ import annotations

import os
import shutil
import sys

import pytest

pexpect = pytest.importorskip("pexpect")


def test_progress_bar_on_a_terminal_and_plain_text_when_piped(tmp_path):
    f = tmp_path / "class.yaml"
    f.write_text("".join(f"- {{id: conv.param-count, seed: {i % 4 + 1}, part: D1, answer: 3}}\n" for i in range(45))
                 .replace("part: D1", "part: biases"), encoding="utf-8")
    exe = shutil.which("nncheck", path=os.path.dirname(sys.executable)) or "nncheck"
    env = dict(os.environ, COLUMNS="100")
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(exe, ["grade", str(f)], env=env, dimensions=(30, 120), timeout=60, encoding="utf-8")
    child.expect("grading")  # the bar (on stderr, a terminal here)
    child.expect("Total: ")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    # Piped: no bar, no colour codes.
    import subprocess

    out = subprocess.run([exe, "grade", str(f)], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "grading" not in out.stderr and "\x1b[" not in out.stdout
    assert "Total: " in out.stdout
