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


# ----------------------------------------------------------------------------
# check: a repeat check (key cached, numeric part) runs without Typer and prints what Typer prints.
# ----------------------------------------------------------------------------
#: Runs nncheck as the console script does (the fast front end first), or the Typer app alone; either
#: way, records which of the heavy modules were imported in the file named by the first argument.
ENTRY = ("import atexit, sys\n"
         "out, path = sys.argv[1], sys.argv[2]\n"
         "def record():\n"
         "    with open(out, 'w') as fh:\n"
         "        fh.write(','.join(m for m in ('typer', 'sympy', 'numpy', 'pydantic', 'yaml') if m in sys.modules))\n"
         "atexit.register(record)\n"
         "if path == 'typer':\n"
         "    from nncheck.cli.app import main\n"
         "else:\n"
         "    from nncheck.__main__ import main\n"
         "main(sys.argv[3:])\n")


def _cache_dir(tmp_path):
    """A cache directory of the test's own for the keys, with the session's bank catalogue in it."""
    import shutil

    shared = os.environ["NNCHECK_CACHE_DIR"]
    for name in os.listdir(shared):
        if name.startswith("catalog-") and not (tmp_path / name).exists():
            shutil.copy(os.path.join(shared, name), tmp_path / name)
    return tmp_path


def _run(path: str, args: list[str], cache_dir) -> tuple[tuple[int, str, str], set[str]]:
    """((exit code, stdout, stderr), heavy modules imported) of one whole process on ``path``."""
    record = cache_dir / "imported.txt"
    env = dict(os.environ, NNCHECK_CACHE_DIR=str(cache_dir))
    env.pop("NO_COLOR", None)  # piped: plain text whatever NO_COLOR says
    r = subprocess.run([sys.executable, "-c", ENTRY, str(record), path, *args], capture_output=True, text=True,
                       env=env, timeout=120)
    return (r.returncode, r.stdout, r.stderr), set(filter(None, record.read_text().split(",")))


def _served_and_typer(args: list[str], cache_dir):
    """The check as the console script runs it and as the Typer app runs it, the key cached by then."""
    served, heavy = _run("main", args, cache_dir)
    if "sympy" in heavy:  # nncheck's source changed under the test (part of a key's identity): once more
        served, heavy = _run("main", args, cache_dir)
    typer_path, typer_heavy = _run("typer", args, cache_dir)
    assert "typer" in typer_heavy
    return served, heavy, typer_path


def _check_cases(catalog, fid: str, part: str, seed: int) -> list[list[str]]:
    """Command lines checking ``part``: the right answer, wrong, rounded, a named mistake, unreadable."""
    from test_key_cache import answers

    from nncheck.generate.variant import make_variant
    from nncheck.key.compute import answer_key

    key = answer_key(make_variant(catalog.get(fid), seed, {}))
    texts = answers(key, part)
    # The key's, "none", "1/0", "[1, 2"; then the first named mistake's, wrong, sign flipped; the last two
    # (rounded and truncated; for an integer, off by one and sign flipped).
    m = 4 + len(key.mistakes_for(part)) if key.parts[part].kind != "boolean" else 4
    chosen = list(dict.fromkeys(texts[:4] + texts[4:m][:1] + texts[m:m + 2] + texts[-2:]))
    base = ["check", fid, "--seed", str(seed), "--part", part]
    return [[*base, "--answer", t, *(["--json"] if i % 2 else [])] for i, t in enumerate(chosen)]


@pytest.mark.parametrize("fid,part,seed", [
    ("detection.iou", "IoU", 2),  # number
    ("conv.output-size", "W2", 3),  # integer
    ("conv.output-size", "fits", 1),  # boolean
    ("conv.forward", "xi", 2),  # matrix
    ("softmax.forward", "yhat", 1),  # vector
])
def test_a_repeat_check_is_served_without_typer_and_prints_what_typer_prints(catalog, tmp_path, fid, part, seed):
    cache_dir = _cache_dir(tmp_path)
    cases = _check_cases(catalog, fid, part, seed)
    first, first_heavy = _run("main", cases[0], cache_dir)
    assert "typer" in first_heavy and "sympy" in first_heavy  # a miss: handed to Typer, the key computed
    codes = set()
    for args in cases:
        served, heavy, typer_path = _served_and_typer(args, cache_dir)
        assert served == typer_path, args
        assert not heavy & {"typer", "sympy", "numpy", "pydantic"}, (args, heavy)
        codes.add(served[0])
    assert codes == {0, 1, 2}  # right, wrong and unreadable answers all served


def test_a_repeat_check_with_given_answers_is_served_alike(catalog, tmp_path):
    from test_key_cache import carried_answers

    from nncheck.generate.variant import make_variant
    from nncheck.key.compute import answer_key

    cache_dir = _cache_dir(tmp_path)
    key = answer_key(make_variant(catalog.get("detection.iou"), 2, {}))
    given, text = carried_answers(key, "IoU")[0]
    flags = [f for name, answer in given.items() for f in ("--given", f"{name}={answer}")]
    base = ["check", "detection.iou", "--seed", "2", "--part", "IoU"]
    _run("main", [*base, "--answer", text, *flags], cache_dir)  # computes the key
    for args in ([*base, "--answer", text, *flags], [*base, "--answer", text, *flags, "--json"],
                 [*base, "--answer", "0.9", *flags]):
        served, heavy, typer_path = _served_and_typer(args, cache_dir)
        assert served == typer_path, args
        assert not heavy & {"typer", "sympy"}, heavy  # the solver's carry() may use NumPy
    assert "error carried forward" in served[1] or served[0] == 1


@pytest.fixture
def cached_keys(tmp_path, monkeypatch):
    """A key cache of the test's own, in process, for the hand-over tests."""
    from nncheck.key import cache

    monkeypatch.setattr(cache, "keys_dir", lambda: str(tmp_path / "keys"))
    return tmp_path / "keys"


IOU = ["check", "detection.iou", "--seed", "2", "--part", "IoU"]


def _warm(args):
    """Check once through the Typer app (which computes and stores the key)."""
    CliRunner().invoke(app, args)


@pytest.mark.parametrize("args", [
    [*IOU, "--answer", "0.27", "--latex"],  # --latex: read as LaTeX by the Typer path
    [*IOU, "--answer", "0.27", "--weird"],  # an option the fast parser does not know
    [*IOU, "--answer=0.27", "--", "x"],
    [*IOU],  # no answer: Typer's path words it
    ["check", "detection.iou", "--seed", "2", "--answer", "0.27"],  # several parts, none chosen
    [*IOU[:-1], "nope", "--answer", "0.27"],  # an unknown part
    ["check", "nope.nope", "--answer", "1"],  # an unknown family
    ["check", "detection.iou", "box_ref=[0,0]", "--part", "IoU", "--answer", "1"],  # a bad parameter
    [*IOU, "--answer", "0.27", "--given", "I"],  # a malformed --given
    [*IOU, "--answer", "0.27", "--given", "I=1"],  # --given without every input
    [*IOU, "--answer", "0.27", "--given", "I=[1", "--given", "U=2"],  # an unreadable --given
    ["check", "backprop.activation-derivative", "--part", "dsigma_h", "--answer", "x"],  # an expression part
    ["check", "derive.sigmoid-derivative", "--answer", "x"],  # a derivation part
], ids=lambda a: " ".join(a[1:])[:60])
def test_check_hands_over_what_it_cannot_serve(capsys, cached_keys, args):
    _warm(args if "--answer" in args else [*args, "--answer", "0"])
    capsys.readouterr()
    assert fast.run(args) is None
    assert capsys.readouterr() == ("", "")  # nothing printed before handing over


def test_check_hands_over_a_cache_miss_and_a_doubtful_entry(capsys, cached_keys):
    args = [*IOU, "--answer", "0.27"]
    assert fast.run(args) is None  # nothing cached yet
    _warm(args)
    assert fast.run(args) == 0
    served = capsys.readouterr()
    (entry,) = cached_keys.glob("*.json")
    entry.write_text(entry.read_text().replace('"IoU"', '"IoU "', 1))  # altered: its checksum fails
    assert fast.run(args) is None
    assert capsys.readouterr() == ("", "")
    result = CliRunner().invoke(app, args)  # the Typer path computes the key again and rewrites the entry
    assert (result.exit_code, result.stdout) == (0, served.out)
    assert fast.run(args) == 0


def test_check_hands_over_when_grading_fails(capsys, cached_keys, monkeypatch):
    """An error after the key is read (here planted in grading) is the Typer path's to report."""
    args = [*IOU, "--answer", "0.27"]
    _warm(args)
    monkeypatch.setattr("nncheck.key.grade.grade", _boom)
    assert fast.run(args) is None
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("args", [
    ["check", "conv.output-size", "W1=9", "-p", "W2", "--answer=3", "--given", "a=1", "--given", "b=2",
     "-s", "4", "--bank", "x", "--latex", "--json"],
    ["check", "detection.iou", "--answer", "-0.25", "-p", "IoU", "--given", "-I=3", "-s", "-2"],
    ["check", "detection.iou", "-a", "-[1, 2]", "--seed", "-0"],
])
def test_check_arguments_are_what_typer_passes(monkeypatch, args):
    """Values that start with "-" (a negative answer) are values, for click as for the fast parser."""
    from nncheck.cli._options import OPTIONS
    from nncheck.cli.fastargs import parse

    seen = []
    monkeypatch.setattr(fast, "check_command", lambda **kw: seen.append(kw) or 0)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    fast_values = parse(OPTIONS["check"], args[1:])
    assert fast_values is not None and seen == [fast_values]


@pytest.mark.parametrize("args", [
    ["check", "x", "--answer", "--json"], ["check", "x", "--answer", "--seed=3"], ["check", "x", "-a", "-p"],
    ["check", "x", "--answer", "--help"], ["check", "x", "--answer", "--"],
])
def test_an_option_name_where_a_value_should_be_is_left_to_typer(args):
    from nncheck.cli._options import OPTIONS
    from nncheck.cli.fastargs import parse

    assert parse(OPTIONS["check"], args[1:]) is None


def test_ctrl_c_while_a_check_reads_its_key_is_exit_130(capsys, cached_keys, monkeypatch):
    def interrupt(*a, **k):
        raise KeyboardInterrupt

    args = [*IOU, "--answer", "0.27"]
    _warm(args)
    capsys.readouterr()
    monkeypatch.setattr("nncheck.key.grade.grade", interrupt)
    assert fast.run(args) == 130
    assert capsys.readouterr() == ("", "\ninterrupted\n")
