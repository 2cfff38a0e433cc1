"""Property test: hostile overrides for every family end in an answer or one clear line, quickly.

Every family gets random ``NAME=VALUE`` overrides drawn from what breaks programs: huge, tiny,
NaN, infinite and negative numbers, long lists, odd and ragged shapes, junk text.  Whatever
the values, ``nncheck show`` and ``nncheck solve`` must end with an answer (exit 0) or one
line on stderr (exit 2; 1 for a key whose two computations disagree), never a traceback or
an internal error (exit 70), within a CPU-time bound.  A second generator makes the same
families *consistently* large: each list parameter tiled ``k`` times along every axis, so
that the shapes still agree and the solver really computes (or a size limit refuses).

The cases are drawn with a fixed seed (no hypothesis): the same cases run every time and a
failure names its command line.  Most run in process; a sample runs as real processes, for
the fast front end's own error handling and a memory bound on the whole program.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nncheck.answer.limits import time_limit
from nncheck.cli import fast
from nncheck.cli.app import app
from nncheck.generate.variant import json_value, make_variant

SEED = 20240917
SHOW_CASES = 6  # random override sets per family for 'show' (milliseconds each)
SOLVE_CASES = 1  # and for 'solve' (a key: SymPy and NumPy)
CPU_SECONDS = 8.0  # per command, in process (CPU time: independent of other load on the machine)
WALL_SECONDS = 60.0  # a runaway command is stopped here (the CPU bound is what is asserted)
MEMORY_MIB = 300  # peak resident size of a whole nncheck process
INFLATE = (3, 9)  # tiling factors of the consistent large cases

NUMBERS = ["1e300", "-1e300", "1e-300", "nan", "inf", "-inf", "-5", "-1e6", "0", "-0", "0.5", "1/3", "2^100",
           "10^15", "1e16", "999999999999999", "sqrt(2)", "1", "2", "3", "7", "100", "101", "1000", "-1"]
JUNK = ["", "x", "[", "]", "[[[[1]]]]", "true", "none", "1,2", "-" * 50 + "1", "(" * 80 + "1", "1;2;3", "[1,,2]",
        "'", "\u00e9", "1e", "0x10", "٣", "\ufeff1"]


def _number(rng: random.Random) -> str:
    return rng.choice(NUMBERS) if rng.random() < 0.6 else str(rng.randint(-1000, 1000))


def _vector(rng: random.Random) -> str:
    n = rng.choice([0, 1, 2, 3, 5, 17, 150, 1001])
    if rng.random() < 0.5:
        return "[" + ",".join(_number(rng) for _ in range(min(n, 40))) + "]"
    return "[" + ",".join([rng.choice(["1", "0", "-1", "nan", "1e300", "inf", "2", "0.5"])] * n) + "]"


def _matrix(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return rng.choice(["[[1,2],[3]]", "[1,2;3]", "[;]", "[[]]", "[[1],[2,3],[4,5,6]]"])
    rows, cols = rng.choice([(0, 0), (1, 1), (2, 3), (3, 2), (1, 40), (40, 1), (40, 40), (5, 5)])
    cell = (lambda: _number(rng)) if rng.random() < 0.3 else (lambda: str(rng.randint(-3, 3)))
    return "[" + ";".join(",".join(cell() for _ in range(cols)) for _ in range(rows)) + "]"


def hostile_value(spec: dict, rng: random.Random) -> str:
    """A value for a parameter of this type that a program may not expect."""
    if rng.random() < 0.1:
        return rng.choice(JUNK)
    kind = spec["type"]
    if kind in ("integer", "number"):
        return _number(rng)
    if kind == "vector":
        return _vector(rng) if rng.random() < 0.8 else _number(rng)
    if kind == "matrix":
        return _matrix(rng) if rng.random() < 0.8 else _vector(rng)
    if kind == "choice":
        choices = [str(c) for c in spec.get("choices") or []]
        return rng.choice(choices + ["nope", choices[0].upper() if choices else "X", ""])
    return rng.choice(["true", "false", "maybe", "1", "yes", ""])


def hostile_overrides(record: dict, rng: random.Random) -> list[str]:
    names = list(record["params"])
    if not names:
        return []
    return [f"{n}={hostile_value(record['params'][n], rng)}"
            for n in rng.sample(names, rng.randint(1, min(3, len(names))))]


def _text(value) -> str:
    if isinstance(value, list) and value and isinstance(value[0], list):
        return "[" + ";".join(",".join(repr(x) for x in row) for row in value) + "]"
    return "[" + ",".join(repr(x) for x in value) + "]"


def inflated_overrides(record: dict, k: int, how: str = "tile") -> list[str]:
    """Every list parameter of the seed-1 instance made k times longer along each axis, so that
    shapes still agree with each other (x of d entries and X of N×d rows grow together).

    ``tile`` repeats the values; ``pad`` adds zeros, which keeps a one-hot vector one-hot."""
    v = make_variant(record, 1)
    out = []
    for name, value in v.public_params().items():
        value = json_value(value)
        if not isinstance(value, list) or not value:
            continue
        if isinstance(value[0], list):
            if how == "tile":
                value = [row * k for row in value] * k
            else:
                width = len(value[0]) * k
                value = [row + [0] * (width - len(row)) for row in value] + [[0] * width] * (len(value) * (k - 1))
        else:
            value = value * k if how == "tile" else value + [0] * (len(value) * (k - 1))
        out.append(f"{name}={_text(value)}")
    return out


def run_in_process(args: list[str]) -> tuple[int, str, str, float]:
    """Run a command as the console script would, in this process: (exit code, stdout, stderr,
    CPU seconds).  ``show`` goes through the fast front end, the rest through the Typer app.

    A wall-clock alarm stops a runaway case after WALL_SECONDS, so that a regression fails
    here with the command line instead of holding the test run."""
    started = time.process_time()
    with time_limit(WALL_SECONDS):
        if args[0] == "show":
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = fast.run(args)
            assert code is not None, f"the fast front end handed 'show' over: {args}"
            code, out_text, err_text = code, out.getvalue(), err.getvalue()
        else:
            result = CliRunner().invoke(app, args)
            code, out_text, err_text = result.exit_code, result.stdout, result.stderr
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                err_text += f"\nTraceback (uncaught): {type(result.exception).__name__}: {result.exception}"
    assert "OutOfTime" not in err_text, f"nncheck {' '.join(args)[:200]}: still running after {WALL_SECONDS:g} s"
    return code, out_text, err_text, time.process_time() - started


def check_outcome(args: list[str], code: int, out: str, err: str, seconds: float) -> None:
    shown = " ".join(a if len(a) <= 60 else a[:57] + "..." for a in args)
    assert "Traceback" not in err and "Traceback" not in out, f"nncheck {shown}: a traceback\n{err[-2000:]}"
    assert code != 70, f"nncheck {shown}: internal error: {err.strip()[-500:]}"
    assert code in (0, 1, 2), f"nncheck {shown}: exit {code}: {err.strip()[-500:]}"
    if code == 0:
        assert out.strip(), f"nncheck {shown}: exit 0 without an answer"
    else:
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("nncheck"), \
            f"nncheck {shown}: exit {code} without one clear line:\n{err[-1000:]}"
    assert seconds <= CPU_SECONDS, f"nncheck {shown}: {seconds:.1f} s of CPU (the bound is {CPU_SECONDS:g} s)"


def _cases(catalog) -> list[list[str]]:
    rng = random.Random(SEED)
    cases = []
    for record in catalog.records:
        fid = record["id"]
        for i in range(SHOW_CASES + SOLVE_CASES):
            command = "show" if i < SHOW_CASES else "solve"
            extra = ["--json"] if rng.random() < 0.3 else []
            cases.append([command, fid, *hostile_overrides(record, rng), *extra])
    return cases


def test_hostile_overrides_for_every_family(catalog):
    cases = _cases(catalog)
    assert {c[1] for c in cases} == set(catalog.ids())
    for args in cases:
        check_outcome(args, *run_in_process(args))


@pytest.mark.parametrize("how", ["tile", "pad"])
@pytest.mark.parametrize("k", INFLATE)
def test_consistently_large_inputs_for_every_family(catalog, k, how):
    """Long lists whose shapes agree: the solver computes the key within the bound, or a size
    limit (the family's or MAX_ENTRIES) refuses them with one line."""
    for record in catalog.records:
        overrides = inflated_overrides(record, k, how)
        if overrides:
            args = ["solve", record["id"], *overrides]
            check_outcome(args, *run_in_process(args))


# The console script, reporting its own peak resident size on its way out (after the command's
# exit code is decided), so that the bound is on this process alone.
_CHILD = str(Path(__file__).resolve().parents[1] / "peak_run.py")  # reports the command's own peak size


def _run_process(args: list[str], timeout: float = 60) -> tuple[int, str, str, float, float]:
    """(exit code, stdout, stderr, wall seconds, peak resident MiB) of a real nncheck process."""
    started = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, _CHILD, *args], capture_output=True, text=True,
                              env=dict(os.environ), timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"nncheck {' '.join(args)[:200]}: still running after {timeout:g} s") from None
    err, _, peak = proc.stderr.rpartition("PEAK-KB ")
    assert peak.strip().isdigit(), f"nncheck {' '.join(args)[:200]}: no peak size reported\n{proc.stderr[-1000:]}"
    kib = int(peak) / (1024 if sys.platform == "darwin" else 1)  # ru_maxrss: bytes on macOS, KiB elsewhere
    return proc.returncode, proc.stdout, err, time.monotonic() - started, kib / 1024


@pytest.mark.skipif(sys.platform == "win32", reason="resource.getrusage")
def test_a_sample_as_real_processes_within_time_and_memory(catalog):
    """The console script end to end (its own front end, its own error policy) on a sample of
    the cases above plus the largest consistent inputs, each under the memory bound."""
    rng = random.Random(SEED + 1)
    sample = rng.sample(_cases(catalog), 4)
    big = [r for r in catalog.records if inflated_overrides(r, INFLATE[-1])]
    sample += [["solve", r["id"], *inflated_overrides(r, INFLATE[-1])] for r in rng.sample(big, 2)]
    for args in sample:
        code, out, err, seconds, peak = _run_process(args)
        check_outcome(args, code, out, err, 0.0)
        assert seconds < 60 and peak < MEMORY_MIB, f"nncheck {' '.join(args)[:200]}: {seconds:.1f} s, {peak:.0f} MiB"
