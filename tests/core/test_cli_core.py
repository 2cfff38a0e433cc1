"""The core commands through Typer's CliRunner: output, JSON, exit codes, bad input."""

from __future__ import annotations

import json

import pytest
from shared_helpers import one_line_output_error as one_line_error
from typer.testing import CliRunner

from nncheck.cli.app import app

runner = CliRunner()


def run(*args, input=None):
    return runner.invoke(app, list(args), input=input)


def test_list_shows_families():
    r = run("list")
    assert r.exit_code == 0
    assert "conv.output-size" in r.output and "detection.iou" in r.output


def test_list_json_and_topic_filter():
    r = run("list", "--topic", "detection", "--json")
    data = json.loads(r.output)
    assert {d["id"] for d in data} >= {"detection.iou", "detection.bbox-targets", "detection.bbox-loss"}
    assert all(d["topic"] == "detection" for d in data)


def test_show_is_deterministic_and_states_conventions():
    a = run("show", "detection.iou", "--seed", "7")
    b = run("show", "detection.iou", "--seed", "7")
    assert a.exit_code == 0 and a.output == b.output
    assert "top-left corner" in a.output


def test_show_json_has_params_and_parts():
    data = json.loads(run("show", "conv.output-size", "W1=227", "F=11", "S=4", "P=0", "K=96", "D1=3", "--json").output)
    assert data["params"]["W1"] == 227 and data["params"]["H1"] == 227
    assert [p["name"] for p in data["parts"]] == ["fits", "W2", "H2", "D2"]


def test_solve_json_carries_the_contract():
    data = json.loads(run("solve", "conv.output-size", "W1=227", "F=11", "S=4", "P=0", "K=96", "D1=3", "--json").output)
    assert data["id"] == "conv.output-size" and data["seed"] == 1
    assert data["params"]["W1"] == 227
    parts = {p["name"]: p for p in data["parts"]}
    assert parts["W2"]["answer"] == 55 and parts["D2"]["answer"] == 96 and parts["fits"]["answer"] is True
    for p in parts.values():
        assert {"name", "kind", "answer", "solution"} <= set(p)
        assert isinstance(p["solution"], list) and p["solution"]


def test_solve_json_for_vector_and_closed_form_answers():
    data = json.loads(run("solve", "detection.bbox-targets", "anchor=[2,2,4,4]", "ref=[3,4,8,2]",
                          "convention=corner", "--json").output)
    t = data["parts"][0]["answer"]
    assert t[:2] == [0.25, 0.5] and abs(t[2] - 0.6931471805599453) < 1e-12


def test_solve_text_shows_worked_steps():
    r = run("solve", "conv.output-size", "W1=7", "F=3", "S=3", "P=0", "K=1", "D1=1")
    assert r.exit_code == 0
    assert "7/3" in r.output and "does not fit" in r.output


def test_check_correct_incorrect_invalid_exit_codes():
    base = ["check", "conv.output-size", "W1=32", "F=5", "S=1", "P=2", "K=10", "D1=3", "--part", "W2"]
    assert run(*base, "--answer", "32").exit_code == 0
    wrong = run(*base, "--answer", "28")
    assert wrong.exit_code == 1 and "padding forgotten" in wrong.output
    bad = run(*base, "--answer", "3 2)")
    assert bad.exit_code == 2 and "^" in bad.output


def test_check_json_form():
    r = run("check", "detection.iou", "box_ref=[0,0,4,4]", "box_roi=[2,2,4,4]", "--part", "IoU",
            "--answer", "4/28", "--json")
    data = json.loads(r.output)
    assert data["status"] == "correct" and data["score"] == 1 and "feedback" in data
    assert data["parsed_as"] == "4/28"


def test_check_needs_a_part_when_there_are_several():
    one_line_error(run("check", "detection.iou", "--answer", "1"), "several parts", "--part")


def test_check_unknown_part():
    one_line_error(run("check", "detection.iou", "--part", "IOU", "--answer", "1"), "no part 'IOU'",
                   "did you mean 'IoU'")


def test_unknown_id_suggests():
    one_line_error(run("show", "conv.outputsize"), "unknown problem id 'conv.outputsize'",
                   "did you mean 'conv.output-size'")


def test_unknown_id_matches_the_last_component():
    one_line_error(run("solve", "iou"), "did you mean 'detection.iou'")


def test_unknown_parameter():
    one_line_error(run("show", "conv.output-size", "W=3"), "has no parameter 'W'", "W1")


@pytest.mark.parametrize("assignment, fragment", [
    ("S=0", "S must be at least 1; got 0"),
    ("W1=-5", "W1 must be at least 1; got −5"),
    ("P=-1", "P must be at least 0"),
    ("F=abc", "bad value for F"),
    ("F=2.5", "F must be a whole number"),
    ("F=[1,2]", "F must be a single number"),
    ("K=", "empty value"),
])
def test_bad_parameter_values(assignment, fragment):
    one_line_error(run("show", "conv.output-size", assignment), fragment)


@pytest.mark.parametrize("command", [["show"], ["solve"], ["check", "--answer", "1"]])
@pytest.mark.parametrize("assignment", ["grads=1e300", "grads=-1e16", "grads=[1, 1e400]"])
def test_numbers_too_large_to_compute_with_are_bad_input(command, assignment):
    one_line_error(run(command[0], "optim.step", assignment, *command[1:]), "grads has a number too large", "10^15")


def test_a_size_beyond_the_familys_limits_is_bad_input():
    """k neighbours and class numbers size the problem: without a bound, k=1e12 would build a 10^12-row X."""
    one_line_error(run("show", "knn.distance", "k=1e12"), "k must be at most 100")
    one_line_error(run("show", "loss.hinge", "y=[1e6]"), "y must be at most 50")


def test_usage_errors_with_json_are_json_on_stdout():
    r = run("show", "--json")
    assert r.exit_code == 2
    error = json.loads(r.stdout)["error"]
    assert error == {"type": "UsageError", "exit_code": 2, "message": r.stderr.strip()}
    assert "Missing argument" in r.stderr and r.stderr.count("\n") == 1


def test_arithmetic_on_the_users_numbers_is_bad_input(monkeypatch, catalog):
    """Past the magnitude check, a solver that still overflows on the user's numbers says so in one line."""
    from nncheck.errors import ParamError
    from nncheck.generate.variant import make_variant
    from nncheck.topics import get_solver

    def overflow(self, values, rng, fixed):
        raise OverflowError("math range error")

    solver = get_solver(catalog.get("optim.step")["solver"])
    monkeypatch.setattr(type(solver), "draw", overflow)
    with pytest.raises(ParamError, match="optim.step cannot be computed with the values given for grads"):
        make_variant(catalog.get("optim.step"), 1, {"grads": "[1, 2]"})
    with pytest.raises(OverflowError):  # with no user numbers it is the family's own bug
        make_variant(catalog.get("optim.step"), 1, {})


def test_filter_larger_than_padded_input_does_not_fit():
    # Issue 18: a legitimate question whose answer is "does not fit", not bad input.
    r = run("solve", "conv.output-size", "W1=5", "H1=5", "F=9", "P=1", "S=1", "K=1", "D1=1", "--json")
    assert r.exit_code == 0, r.output
    answers = {p["name"]: p["answer"] for p in json.loads(r.output)["parts"]}
    assert answers["fits"] is False and answers["W2"] is None and answers["H2"] is None


def test_pool_window_larger_than_input_does_not_fit():
    r = run("solve", "pool.output-size", "W1=3", "F=4", "S=1", "D1=1", "--json")
    assert r.exit_code == 0, r.output
    answers = {p["name"]: p["answer"] for p in json.loads(r.output)["parts"]}
    assert answers["fits"] is False and answers["W2"] is None and answers["D2"] == 1


def test_box_with_non_positive_width():
    one_line_error(run("show", "detection.iou", "box_ref=[0,0,0,3]"), "box_ref must have a positive width")


def test_box_of_wrong_length():
    one_line_error(run("show", "detection.iou", "box_ref=[0,0,3]"), "box_ref must have 4 entries")


def test_unknown_convention():
    one_line_error(run("show", "detection.bbox-targets", "convention=middle"),
                   "convention must be one of corner, center")


def test_malformed_assignment():
    one_line_error(run("show", "detection.iou", "box_ref"), "expected NAME=VALUE")


def test_space_separated_vector_is_accepted():
    r = run("show", "detection.iou", "box_ref=0 0 4 4", "box_roi=2 2 4 4", "--json")
    assert json.loads(r.output)["params"]["box_ref"] == [0, 0, 4, 4]


def test_usage_error_is_one_line():
    r = run("show")
    assert r.exit_code == 2
    assert len([ln for ln in r.output.splitlines() if ln.strip()]) == 1
    assert "Missing argument" in r.output


def test_unknown_option_is_one_line():
    one_line_error(run("list", "--colour"), "No such option")


def test_malformed_bank_on_the_command_line(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("bank: x\nfamilies:\n  - id: a.b\n    title: !!python/object:os.system {}\n")
    r = run("bank", "validate", str(p))
    assert r.exit_code == 2
    assert f"{p}:4:" in r.output and "not allowed" in r.output


def test_missing_bank_directory():
    one_line_error(run("list", "--bank", "/no/such/dir"), "/no/such/dir", "no such bank directory")


def test_bank_validate_bundled():
    r = run("bank", "validate")
    assert r.exit_code == 0 and "all valid" in r.output


def test_bank_verify_json():
    r = run("bank", "verify", "--seeds", "3", "--topic", "detection", "--json")
    data = json.loads(r.output)
    assert r.exit_code == 0 and data["ok"] is True
    assert all(f["ok"] == 3 for f in data["families"])


def test_version():
    assert "nncheck" in run("--version").output


# ----------------------------------------------------------------------------
# --json is honoured on bad input too (issue 13): one JSON object on stdout, exit 2.
# ----------------------------------------------------------------------------
def _commands_taking_json() -> set[str]:
    import typer

    found: set[str] = set()

    def visit(group, prefix: list[str]) -> None:
        for name, cmd in group.commands.items():
            path = [*prefix, name]
            if any("--json" in p.opts for p in cmd.params):
                found.add(" ".join(path))
            if hasattr(cmd, "commands"):
                visit(cmd, path)

    visit(typer.main.get_command(app), [])
    return found


#: For every command that takes --json, bad input of its own kind (a file, an id, a value, an answer).
BAD_INPUT = {
    "list": [["--topic", "astrology"], ["--bank", "/no/such/bank"]],
    "show": [["nope.nope"], ["conv.output-size", "W1=abc"], ["conv.output-size", "W9=1"]],
    "solve": [["conv.output-size", "W1=0"], ["nope.nope"]],
    "check": [["nope.nope", "--answer", "1"], ["conv.output-size", "--answer", "1"],
              ["conv.output-size", "--part", "W2", "--answer", "1 +"],
              ["softmax.ce-gradient", "--part", "grad_sym", "--answer", "ŷ_j − y_k"],
              ["softmax.ce-gradient", "--part", "grad_sym", "--answer", "d/dξ(ŷ)"]],
    "derive": [["/no/such/derivation.txt"], ["nope.nope"], ["--start", "x +", "--target", "x"]],
    "exam": [["--bank", "/no/such/bank"], ["--minutes", "abc"]],
    "generate": [["--format", "nosuch"], ["--family", "nope.nope"]],
    "grade": [["/no/such/answers.yaml"], ["{not_answers}"]],
    "quiz": [["--family", "nope.nope"], ["--topic", "astrology"]],
    "review": [["--topic", "astrology"]],
    "stats": [["--db", "{not_a_database}"]],
    "bank validate": [["/no/such/bank"]],
    "bank verify": [["--topic", "astrology"], ["--seeds", "abc"]],
    "bank test": [["--family", "nope.nope"], ["/no/such/bank"]],
    "bank new": [["Not An Id"]],
}


def test_every_command_taking_json_has_bad_input_cases():
    assert set(BAD_INPUT) == _commands_taking_json()


def _bad_cases():
    for command, cases in BAD_INPUT.items():
        for args in [*cases, ["--no-such-option"]]:
            yield pytest.param(command, args, id=f"{command} {' '.join(args)}")


def _assert_json_error(stdout: str, stderr: str, code: int) -> dict:
    assert code == 2, (stdout, stderr)
    obj = json.loads(stdout)  # exactly one JSON document: json.loads refuses trailing text
    assert isinstance(obj, dict) and isinstance(obj.get("error"), dict), obj
    assert obj["error"]["message"] and "\n" not in obj["error"]["message"]
    assert "Traceback" not in stdout + stderr
    lines = [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("nncheck: warning:")]
    assert len(lines) <= 1, stderr  # the error line (an invalid answer's verdict is on stdout only)
    return obj


@pytest.mark.parametrize("command,args", list(_bad_cases()))
def test_bad_input_with_json_is_one_json_error_and_exit_2(command, args, tmp_path):
    not_answers = tmp_path / "answers.txt"
    not_answers.write_text("this is not an answer file\n")
    not_a_database = tmp_path / "history.db"
    not_a_database.write_text("not sqlite\n")
    args = [a.format(not_answers=not_answers, not_a_database=not_a_database) for a in args]
    r = runner.invoke(app, [*command.split(), *args, "--json"])
    obj = _assert_json_error(r.stdout, r.stderr, r.exit_code)
    if "type" in obj["error"]:  # the policy's error object: the same words as the line on stderr
        assert r.stderr.strip().endswith(obj["error"]["message"])
    else:  # an unreadable answer: the verdict, whose error carries the caret
        assert obj["status"] == "invalid" and "^" in obj["error"]["caret"]


@pytest.mark.parametrize("args", [
    ["list", "--topic", "astrology", "--json"],
    ["list", "--bank", "/no/such/bank", "--json"],
    ["show", "nope.nope", "--json"],
    ["show", "conv.output-size", "W1=abc", "--json"],
    ["show", "conv.output-size", "W1=", "--json"],
    ["quiz", "--family", "nope.nope", "--json"],
    ["quiz", "--topic", "astrology", "--json"],
])
def test_bad_input_with_json_on_the_fast_path(capsys, args):
    from nncheck.cli import fast

    code = fast.run(args)
    assert code is not None, "the fast front end handed this over to Typer"
    out, err = capsys.readouterr()
    obj = _assert_json_error(out, err, code)
    assert err.strip() == "nncheck: error: " + obj["error"]["message"]
    full = runner.invoke(app, args)  # the Typer path prints the same
    assert (full.exit_code, full.stdout, full.stderr) == (code, out, err)


def test_a_misspelt_json_flag_still_gets_a_json_error():
    r = run("list", "--json=1")
    assert r.exit_code == 2
    assert json.loads(r.stdout)["error"]["type"] == "UsageError"
    r = run("check", "--", "--json")  # after "--" it is an argument, not the flag
    assert r.exit_code == 2 and r.stdout == ""
