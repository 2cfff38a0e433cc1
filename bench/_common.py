"""Shared set-up for the benchmark scripts."""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def reexec_with_bytecode() -> None:
    """Benchmarks time what users run: compiled bytecode.  This machine sets
    PYTHONDONTWRITEBYTECODE, so compile nncheck and restart without it."""
    if os.environ.get("PYTHONDONTWRITEBYTECODE") is None:
        return
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE")
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(ROOT, "nncheck")], env=env,
                   stdout=subprocess.DEVNULL, check=True)
    os.execve(sys.executable, [sys.executable, *sys.argv], env)
