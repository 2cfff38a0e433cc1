"""Shared set-up for the benchmark scripts.

Benchmarks time what users run: compiled bytecode, a warm bank cache, the installed
``nncheck`` script.  This machine sets ``PYTHONDONTWRITEBYTECODE``, so the whole-process
benchmarks compile first and run their children without it (:func:`process_env`), and the
in-process ones restart themselves without it (:func:`reexec_with_bytecode`).
"""

from __future__ import annotations

import importlib.util
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def reexec_with_bytecode() -> None:
    """Compile nncheck and restart this script without ``PYTHONDONTWRITEBYTECODE``."""
    if os.environ.get("PYTHONDONTWRITEBYTECODE") is None:
        return
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE")
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(ROOT, "nncheck")], env=env,
                   stdout=subprocess.DEVNULL, check=True)
    os.execve(sys.executable, [sys.executable, *sys.argv], env)


def nncheck_argv() -> list[str]:
    """The ``nncheck`` console script of this interpreter's environment (else ``python -m nncheck``)."""
    exe = shutil.which("nncheck", path=os.path.dirname(sys.executable)) or shutil.which("nncheck")
    return [exe] if exe else [sys.executable, "-m", "nncheck"]


def process_env(work: str | None = None, *, packages: tuple[str, ...] = ("nncheck",)) -> dict[str, str]:
    """The environment for timed child processes, set up as after a normal install.

    Bytecode is written and ``packages`` compiled, the bank cache lives in a fresh directory
    (under ``work`` when given) and is warmed by one ``nncheck list``.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["NNCHECK_CACHE_DIR"] = os.path.join(work, "cache") if work else tempfile.mkdtemp(prefix="nncheck-bench-")
    dirs = []
    for name in packages:
        spec = importlib.util.find_spec(name)
        if spec and spec.submodule_search_locations:
            dirs.extend(spec.submodule_search_locations)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", *dirs], env=env,
                   stdout=subprocess.DEVNULL, check=True)
    subprocess.run(nncheck_argv() + ["list"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    return env


def run_once(argv: list[str], env: dict[str, str], *, check: bool = False) -> tuple[float, float]:
    """(wall time, CPU time) of one whole process, output discarded.

    The CPU time (user + system of the child) is what the process itself costs; on a busy
    machine the wall time also holds the time spent waiting for a core, so both are reported.
    ``check``: a failing command stops the benchmark with its error.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if check and r.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {r.stderr.decode().strip()}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def imported_modules(argv_tail: list[str], env: dict[str, str]) -> tuple[set[str], float]:
    """Top-level packages ``nncheck ARGV_TAIL`` imports, and the seconds spent importing (``-X importtime``)."""
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "nncheck", *argv_tail], env=env,
                       capture_output=True, text=True)
    names: set[str] = set()
    total = 0
    for line in r.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|")
        names.add(name.strip().split(".")[0])
        if not name.startswith("  "):  # top level: its cumulative time includes its children
            total += int(cumulative)
    return names, total / 1e6
