"""``nncheck derive``: free-form and problem derivations, text and JSON, exit codes, bad input."""

from __future__ import annotations

import json
import os
import shutil
import sys

import pytest
from shared_helpers import one_line_output_error as one_line_error
from typer.testing import CliRunner

from nncheck.cli.app import app

runner = CliRunner()

GOOD = """\
# sigmoid derivative
let h = sigma(xi)
d/dxi(sigma(xi)) = d/dxi(1/(1 + exp(-xi)))
  = exp(-xi)/(1 + exp(-xi))^2
  = sigma(xi)(1 - sigma(xi))
  = h(1 - h)
"""
BAD = """\
d/dxi(sigma(xi))
= exp(-xi)/(1 + exp(-xi))
= sigma(xi)(1 - sigma(xi))
"""


def run(*args, input=None):
    return runner.invoke(app, ["derive", *args], input=input)


@pytest.fixture
def good(tmp_path):
    p = tmp_path / "good.txt"
    p.write_text(GOOD, encoding="utf-8")
    return str(p)


def test_valid_derivation_marks_each_step_with_its_rule(good):
    r = run(good)
    assert r.exit_code == 0, r.output
    out = r.output
    assert "\x1b[" not in out  # plain text when not a terminal
    assert out.count("✓") >= 5
    assert "chain rule" in out and "definition of σ" in out and "substituting h = sigma(xi)" in out
    assert "All 4 steps valid." in out


def test_wrong_step_is_named_with_a_counterexample(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_text(BAD, encoding="utf-8")
    r = run(str(p))
    assert r.exit_code == 1
    assert "✗" in r.output
    assert "Step 1 (line 2) is the first wrong step." in r.output
    assert "not equal at xi = " in r.output and "the left side is" in r.output


def test_standard_input(good):
    with open(good, encoding="utf-8") as fh:
        text = fh.read()
    assert run("-", input=text).exit_code == 0
    assert run(input=text).exit_code == 0


def test_json_output(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_text(BAD, encoding="utf-8")
    r = run(str(p), "--json")
    data = json.loads(r.output)
    assert data["valid"] is False and data["finished"] is None
    assert data["first_invalid"] == {"step": 1, "line": 2}
    for s in data["steps"]:
        assert {"line", "status", "rule", "detail"} <= set(s)
    st = data["steps"][0]
    assert st["status"] == "invalid" and st["rule"] is None
    assert st["counterexample"]["at"] and st["counterexample"]["left"] is not None
    assert data["steps"][1]["status"] == "invalid"
    assert data["counts"] == {"valid": 0, "invalid": 2, "unparsable": 0, "undecided": 0}


def test_assume_option_and_target(tmp_path):
    p = tmp_path / "log.txt"
    p.write_text("ln(w/wa)\n= ln(w) - ln(wa)\n", encoding="utf-8")
    assert run(str(p)).exit_code == 1
    r = run(str(p), "--assume", "w>0, wa>0", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["steps"][0]["rule"] == "log-rules"
    r = run(str(p), "--assume", "w>0", "--assume", "wa>0", "--target", "ln(w) - ln(wa)", "--json")
    assert json.loads(r.output)["finished"] is True


def test_unreadable_line_exit_2_with_a_caret(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("x + 1\n= (x + 1\n", encoding="utf-8")
    r = run(str(p))
    assert r.exit_code == 2
    assert "could not be read" in r.output and "^" in r.output
    assert "Traceback" not in r.output


def test_problem_mode(tmp_path):
    sol = tmp_path / "sol.txt"
    sol.write_text("tanh(xi) = (exp(xi) - exp(-xi))/(exp(xi) + exp(-xi))\n= (1 - exp(-2 xi))/(1 + exp(-2 xi))\n"
                   "= 2 sigma(2 xi) - 1\n", encoding="utf-8")
    r = run("derive.tanh-sigmoid", str(sol))
    assert r.exit_code == 0, r.output
    assert "derive.tanh-sigmoid" in r.output and "begins at the start" in r.output
    assert "The target is reached." in r.output
    r = run("derive.tanh-sigmoid", "--json", input="tanh(xi)\n= 2 sigma(xi) - 1\n")
    data = json.loads(r.output)
    assert r.exit_code == 1
    assert data["id"] == "derive.tanh-sigmoid" and data["verdict"] == "incorrect"
    assert data["finished"] is False and data["score"] < 1
    assert data["mistake"]["id"] == "argument-not-scaled"


def test_problem_mode_unfinished(tmp_path):
    r = run("derive.sigmoid-derivative", "--json", input="d/dxi(sigma(xi))\n= sigma(xi)(1 - sigma(xi))\n")
    data = json.loads(r.output)
    assert data["valid"] is True and data["finished"] is False
    assert r.exit_code == 1
    assert "not finished" in data["feedback"]


def test_problem_mode_lstm_convention():
    r = run("derive.lstm-dldc", "--json", input="dLdc_t = dLdh_t d/dc_t(h_t) + dLdc_t1 d/dc_t(c_t1)\n"
                                                "= dLdh_t o_t + dLdc_t1 f_t1\n")
    data = json.loads(r.output)
    # Seed 1 draws one of the two conventions; the part asked decides which answer is right.
    assert data["part"] in ("derivation", "derivation_std")
    assert (data["verdict"] == "correct") == (data["part"] == "derivation")


def test_bad_input_is_one_line(tmp_path):
    one_line_error(run("derive.no-such-thing"), "unknown problem id")
    one_line_error(run("no/such/file.txt"), "cannot read")
    one_line_error(run("derive.tanh-sigmoid", "--assume", "x > 0"), "free-form")
    one_line_error(run("conv.output-size", input="x"), "no derivation part")
    one_line_error(run("-", "--assume", "x >", input="x\n"), "--assume")
    p = tmp_path / "latin1.txt"
    p.write_bytes(b"x + \xe9\n")
    one_line_error(run(str(p)), "not UTF-8")
    one_line_error(run(str(p), str(p)), "one derivation at a time")


def test_empty_derivation_exit_2():
    r = run("-", input="# nothing\n")
    assert r.exit_code == 2
    assert "no steps" in r.output


def test_help_lists_the_conventions():
    r = runner.invoke(app, ["derive", "--help"])
    assert r.exit_code == 0
    assert "--assume" in r.output and "d/dxi" in r.output


NNCHECK = shutil.which("nncheck", path=os.path.dirname(sys.executable))


@pytest.mark.skipif(NNCHECK is None, reason="the nncheck script is not installed next to this Python")
def test_interactive_problem_on_a_terminal():
    pexpect = pytest.importorskip("pexpect")
    env = dict(os.environ, NO_COLOR="1", COLUMNS="120")
    child = pexpect.spawn(NNCHECK, ["derive", "derive.softmax-two-class"], env=env, encoding="utf-8", timeout=60)
    child.expect("one step per line")
    child.sendline("exp(w1 h)/(exp(w1 h) + exp(w2 h)) = 1/(1 + exp(-(w1 - w2) h))")
    child.sendline("= sigma((w1 - w2) h)")
    child.sendline("")
    child.expect("The target is reached")
    child.expect(pexpect.EOF)
    out = child.before or ""
    child.close()
    assert child.exitstatus == 0
    assert "\x1b[3" not in out  # NO_COLOR: no colour codes on the terminal either



def _derivation_families():
    from nncheck.bank.index import load_catalog

    catalog = load_catalog(use_cache=False)
    return [fid for fid in catalog.ids()
            if any(part.get("kind") == "derivation" for part in catalog.get(fid).get("parts", []))]


@pytest.mark.parametrize("fid", _derivation_families())
def test_check_json_on_every_derivation_part(fid):
    """``check --json`` on a derivation part gives one JSON verdict with its steps (it once crashed with exit 70)."""
    from nncheck.cli.app import app as cli_app

    for seed in ("1", "2"):  # parts with a `when` are asked in some variants only
        solved = json.loads(CliRunner().invoke(cli_app, ["solve", fid, "--seed", seed, "--json"]).stdout)
        parts = [p for p in solved["parts"] if p["kind"] == "derivation"]
        assert parts
        for part in parts:
            text = "\n".join(part["solution"])
            result = CliRunner().invoke(cli_app, ["check", fid, "--seed", seed, "--part", part["name"],
                                                  "--answer", text, "--json"])
            assert result.exit_code == 0, result.output
            verdict = json.loads(result.stdout)
            assert verdict["status"] == "correct", verdict["feedback"]  # the worked solution is a full derivation
            assert verdict["steps"] and all("status" in s for s in verdict["steps"])
