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


# ----------------------------------------------------------------------------
# The option table: the fast front end reads a command line as the Typer app does.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    ["list"],
    ["list", "-t", "conv", "--topic=pool", "--bank", "b1", "--bank", "b2", "--json"],
    ["show", "conv.output-size"],
    ["show", "W1=5", "--seed", "3", "conv.output-size", "F=3", "--json"],
    ["show", "detection.iou", "-s", "-4", "--seed=7"],
    ["quiz"],
    ["quiz", "-n", "500", "-f", "a", "--family=b", "-d", "easy", "--db", "x.db", "--db", "y.db", "-s", "0"],
])
def test_fast_arguments_are_what_typer_passes(monkeypatch, args):
    """Both parsers feed the same command function: record what each passes to it."""
    from nncheck.cli._options import OPTIONS
    from nncheck.cli.fastargs import parse

    seen = []
    monkeypatch.setitem(fast.COMMANDS, args[0], lambda **kw: seen.append(kw))
    monkeypatch.setattr(fast, f"{args[0]}_command", lambda **kw: seen.append(kw))
    fast_values = parse(OPTIONS[args[0]], args[1:])
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    if fast_values is None:  # "-s -4": a value that looks like an option is left to Typer
        assert "-s" in args
        return
    assert seen == [fast_values]


@pytest.mark.parametrize("args", [["quiz", "-n", "0"], ["quiz", "-n", "501"], ["quiz", "--count", "x"],
                                  ["show", "a", "--seed", "1.5"], ["list", "x"], ["list", "--json=1"]])
def test_what_typer_refuses_is_left_to_typer(capsys, args):
    assert fast.run(args) is None
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "error" in result.output


def test_every_fast_command_has_an_option_table():
    import inspect

    from nncheck.cli._options import OPTIONS
    from nncheck.cli.helpgen import FAST_COMMANDS

    assert set(OPTIONS) == set(fast.COMMANDS) == set(FAST_COMMANDS)
    for name, fn in fast.COMMANDS.items():
        assert set(inspect.signature(fn).parameters) == set(OPTIONS[name]["defaults"]), name


# ----------------------------------------------------------------------------
# One error policy, whichever path runs.
# ----------------------------------------------------------------------------
def _nncheck(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nncheck", *args], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, **kw.pop("env", {})), **kw)


@pytest.mark.parametrize("command", ["show", "solve"])
def test_an_overflowing_parameter_is_bad_input(command):
    r = _nncheck(command, "optim.step", "grads=1e300")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("nncheck: error: grads "), r.stderr
    assert "10^15" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("command", ["show", "solve"])
def test_errors_with_json_are_json_on_stdout(command):
    import json

    r = _nncheck(command, "optim.step", "grads=1e300", "--json")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    error = json.loads(r.stdout)["error"]
    assert error["type"] == "ParamError" and error["exit_code"] == 2
    assert r.stderr.strip() == "nncheck: error: " + error["message"]


@pytest.mark.parametrize("args", [
    ["show", "optim.step", "grads=1e300"],
    ["show", "optim.step", "grads=1e300", "--json"],
    ["show", "nope.nope"],
    ["show", "conv.output-size", "W9=1"],
    ["list", "--topic", "astrology", "--json"],
])
def test_fast_and_full_paths_fail_alike(capsys, args):
    code, out, err = fast_output(capsys, args)
    full = CliRunner().invoke(app, args)
    assert code == full.exit_code == 2
    assert out == full.stdout and err == full.stderr


def _boom(*args, **kwargs):
    raise ZeroDivisionError("a bug")


@pytest.mark.parametrize("json_", [False, True])
def test_a_bug_in_a_fast_command_is_one_line_and_exit_70(capsys, monkeypatch, json_):
    import json

    monkeypatch.delenv("NNCHECK_DEBUG", raising=False)
    monkeypatch.setattr("nncheck.render.text.list_view", _boom)
    monkeypatch.setattr("nncheck.render.text.list_json", _boom)
    code, out, err = fast_output(capsys, ["list", "--json"] if json_ else ["list"])
    assert code == 70
    assert err == ("nncheck: internal error: ZeroDivisionError: a bug "
                   "(please report it; NNCHECK_DEBUG=1 shows the traceback)\n")
    if json_:
        assert json.loads(out)["error"] == {"type": "InternalError", "exit_code": 70,
                                            "message": "ZeroDivisionError: a bug (please report it; "
                                                       "NNCHECK_DEBUG=1 shows the traceback)"}
    else:
        assert out == ""
    # The Typer path runs the same command function and reports it the same way.
    full = CliRunner().invoke(app, ["list", "--json"] if json_ else ["list"])
    assert (full.exit_code, full.stdout, full.stderr) == (code, out, err)


def test_a_bug_shows_its_traceback_with_nncheck_debug(capsys, monkeypatch):
    monkeypatch.setenv("NNCHECK_DEBUG", "1")
    monkeypatch.setattr("nncheck.render.text.list_view", _boom)
    with pytest.raises(ZeroDivisionError):
        fast.run(["list"])


def test_a_bug_in_a_process_prints_no_traceback(tmp_path):
    """The whole process, through ``python -m nncheck``: one line, exit 70."""
    (tmp_path / "sitecustomize.py").write_text(
        "import nncheck.render.text as t\n"
        "def boom(*a, **k):\n"
        "    raise RuntimeError('planted')\n"
        "t.list_view = boom\n")
    r = _nncheck("list", env={"PYTHONPATH": str(tmp_path), "NNCHECK_DEBUG": ""})
    assert r.returncode == 70 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "internal error: RuntimeError: planted (please report it" in r.stderr


def test_ctrl_c_is_exit_130_and_a_closed_pipe_exit_0(capsys, monkeypatch):
    def interrupt(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr("nncheck.render.text.list_view", interrupt)
    code, out, err = fast_output(capsys, ["list"])
    assert (code, out, err) == (130, "", "\ninterrupted\n")

    def closed(*a, **k):
        raise BrokenPipeError

    monkeypatch.setattr("nncheck.render.text.list_view", closed)
    code, out, err = fast_output(capsys, ["list"])
    assert (code, out, err) == (0, "", "")


@pytest.mark.parametrize("args", [["list"], ["show", "conv.output-size"], ["solve", "conv.output-size"]])
def test_output_into_a_closed_pipe_is_quiet(args):
    """``nncheck list | head -0``: exit 0 and nothing on stderr, whichever path and printer ran."""
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None)  # buffered, as for users: the pipe error shows in a flush
    p = subprocess.Popen([sys.executable, "-m", "nncheck", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env)
    assert p.stdout is not None and p.stderr is not None
    p.stdout.close()  # nobody reads
    err = p.stderr.read()
    assert p.wait(timeout=120) == 0, err
    assert err == b""
