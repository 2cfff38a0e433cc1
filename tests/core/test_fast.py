"""The fast start-up path prints exactly what the full CLI prints, and imports nothing heavy."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from nncheck.cli import fast
from nncheck.cli.app import app

HEAVY = ("sympy", "numpy", "typer", "rich", "yaml", "pydantic", "prompt_toolkit", "platformdirs", "fsrs")


def fast_output(capsys, args):
    code = fast.run(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("args", [
    ["list"],
    ["list", "--json"],
    ["list", "--topic", "detection"],
    ["show", "conv.output-size"],
    ["show", "detection.iou", "--seed", "5"],
    ["show", "detection.iou", "--seed=5", "--json"],
    ["show", "conv.output-size", "W1=227", "F=11", "S=4", "P=0", "K=96", "D1=3"],
])
def test_fast_and_full_paths_agree(capsys, args):
    code, out, _ = fast_output(capsys, args)
    full = CliRunner().invoke(app, args)
    assert code == 0 and full.exit_code == 0
    assert out == full.output


@pytest.mark.parametrize("args", [["show", "nope.nope"], ["show", "conv.output-size", "S=0"]])
def test_fast_path_errors_are_one_line_exit_2(capsys, args):
    code, out, err = fast_output(capsys, args)
    assert code == 2 and out == ""
    assert err.startswith("nncheck: error: ") and err.count("\n") == 1


@pytest.mark.parametrize("args", [["show", "--help"], ["list", "--weird"], ["solve", "x"], ["show"]])
def test_fast_path_hands_over_what_it_does_not_own(capsys, args):
    assert fast.run(args) is None


def _imports(args: list[str]) -> set[str]:
    env = dict(os.environ)
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "nncheck", *args],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    mods = set()
    for line in out.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            mods.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return mods


def test_help_list_and_show_import_nothing_heavy(catalog):
    _imports(["list"])  # builds the cache (the first run may validate the YAML)
    for args in (["--help"], ["list"], ["show", "conv.output-size"]):
        heavy = _imports(args) & set(HEAVY)
        assert not heavy, f"nncheck {' '.join(args)} imported {sorted(heavy)}"


def test_show_of_every_family_stays_light(catalog):
    """Every topic module must keep SymPy/NumPy/typing imports inside its methods."""
    _imports(["list"])
    for fid in catalog.ids():
        heavy = _imports(["show", fid]) & set(HEAVY + ("typing",))
        assert not heavy, f"nncheck show {fid} imported {sorted(heavy)}"
