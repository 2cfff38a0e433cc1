"""Your own numbers are never silently mixed with random ones (issue 18).

Once you give any parameter, each other one takes the bank's neutral default or is listed as drawn at
random (``show``, ``solve``, ``check``, and the ``given``/``defaulted``/``drawn`` fields of ``--json``);
``--strict`` draws nothing; a part the homework names is checked under the name this instance uses.
"""

from __future__ import annotations

import json

import pytest
from shared_helpers import one_line_output_error as one_line_error
from typer.testing import CliRunner

from nncheck.cli.app import app
from nncheck.errors import ParamError
from nncheck.generate.variant import build_variant, make_variant

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def _public(record) -> set[str]:
    return {n for n, spec in record["params"].items() if not spec.get("hidden")}


# ----------------------------------------------------------------------------
# Defaults, only with your numbers.
# ----------------------------------------------------------------------------
def test_a_seeded_draw_uses_no_default(catalog):
    """Seeds (and the tours' instances) do not change: with no value given, everything is drawn."""
    record = catalog.get("lstm.bptt")
    seen = {tuple(build_variant(record, seed, {}).params["c0"]) for seed in range(1, 30)}
    assert len(seen) > 1  # c[0] is drawn, not the default 0
    v = build_variant(record, 3, {})
    assert v.defaulted == set() and v.overrides == set()


def test_lstm_defaults_are_the_neutral_ones(catalog):
    v = make_variant(catalog.get("lstm.bptt"), 5, {"x": "[1,2]", "w_i": "1", "w_o": "1", "w_f": "1", "w_c": "1"})
    assert v.params["c0"] == [0] and v.params["h0"] == [0]
    assert v.params["convention"] == "ece417"
    assert all(v.params[f"b_{g}"] == [0] for g in "iofc")
    # The rest is drawn and listed; the target the instance does not read is not.
    assert {"u_i", "u_o", "u_f", "u_c"} <= set(v.drawn)
    assert len({"y", "dh"} & set(v.drawn)) == 1


def test_a_default_array_takes_the_shape_of_your_numbers(catalog):
    """b = 0 and c[0] = h[0] = 0 have as many entries as the weights you give say."""
    v = make_variant(catalog.get("lstm.forward"), 1, {"x": "[[1, 2]]", "w_i": "[[1], [2]]"})
    assert v.params["c0"] == [0, 0] and v.params["h0"] == [0, 0] and v.params["b_c"] == [0, 0]
    v = make_variant(catalog.get("backprop.two-layer"), 1, {"x": "[1, 2]", "W1": "[[1, 2], [3, 4], [5, 6]]"})
    assert v.params["b1"] == [0, 0, 0]
    assert v.params["ask"] == "all"


def test_a_formula_default_reads_your_numbers(catalog):
    v = make_variant(catalog.get("optim.step"), 1, {"optimizer": "sgd", "x0": "[1]", "grads": "2; 1; 0",
                                                    "alpha": "0.5"})
    assert v.params["steps"] == 3 and "steps" in v.defaulted
    assert v.drawn == []


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_every_public_parameter_is_given_defaulted_drawn_or_unused(catalog, seed):
    for fid in ("lstm.bptt", "conv.output-size", "optim.step", "backprop.two-layer", "loss.bce"):
        record = catalog.get(fid)
        first = next(n for n in record["params"] if not record["params"][n].get("hidden"))
        value = build_variant(record, seed, {}).params[first]
        v = build_variant(record, seed, {first: value})
        listed = v.overrides | set(v.used_defaulted()) | set(v.drawn)
        solver_set = {n for n, s in record["params"].items()
                      if s.get("draw") is None and s.get("default") is None and s.get("placeholder") is None}
        left = _public(record) - listed - v.unused - solver_set
        left = {n for n in left if v.params[n] not in ([], [[]])}
        assert not left, (fid, left)
        assert not (v.overrides & set(v.drawn)) and not (v.defaulted & set(v.drawn))


# ----------------------------------------------------------------------------
# The visible line, and --json.
# ----------------------------------------------------------------------------
def test_show_lists_defaults_and_draws_once_a_value_is_given():
    r = run("show", "lstm.bptt", "x=[1,2]", "w_i=1", "w_o=1", "w_f=1", "w_c=1", "--seed", "17")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    defaults = next(line for line in lines if line.startswith("defaults: "))
    assert "c0=[0]" in defaults and "h0=[0]" in defaults and "convention=ece417" in defaults
    drawn = next(line for line in lines if line.startswith("drawn at random: "))
    assert drawn.endswith("(seed 17)") and "u_c=" in drawn
    assert "x=" not in drawn and "w_i=" not in drawn


def test_a_seeded_show_has_no_origin_line():
    r = run("show", "detection.iou", "--seed", "3")
    assert "drawn at random" not in r.output and "defaults:" not in r.output


@pytest.mark.parametrize("command", ["show", "solve"])
def test_json_says_where_each_value_comes_from(command):
    r = run(command, "conv.output-size", "W1=32", "F=5", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["given"] == ["F", "W1"]
    assert {"S", "P"} <= set(data["defaulted"])
    assert data["params"]["S"] == 1 and data["params"]["P"] == 0
    assert set(data["drawn"]) | set(data["defaulted"]) | set(data["given"]) == set(data["params"])


def test_solve_and_check_print_the_drawn_line():
    args = ["conv.output-size", "W1=32", "F=5", "--seed", "2"]
    r = run("solve", *args, "--no-steps")
    assert r.exit_code == 0, r.output
    assert "drawn at random: " in r.output and "(seed 2)" in r.output
    r = run("check", *args, "--part", "W2", "--answer", "28")
    assert r.exit_code == 0, r.output
    assert "defaults: H1=32, S=1, P=0" in r.output and "drawn at random: " in r.output
    r = run("check", *args, "--part", "W2", "--answer", "28", "--json")
    data = json.loads(r.output)
    assert data["given"] == ["F", "W1"] and "S" in data["defaulted"] and data["drawn"]


# ----------------------------------------------------------------------------
# --strict
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["show", "solve", "check"])
def test_strict_refuses_to_draw_and_names_what_is_missing(command):
    extra = ["--part", "W2", "--answer", "28"] if command == "check" else []
    r = run(command, "conv.output-size", "W1=32", "F=5", "--strict", *extra)
    assert r.exit_code == 2
    line = one_line_error(r, "--strict", "D1", "K")
    assert "S" not in line.split("missing")[1].split(":")[0]  # S and P have defaults
    r = run(command, "conv.output-size", "W1=32", "F=5", "--strict", "--json", *extra)
    assert r.exit_code == 2
    assert "D1" in json.loads(r.stdout)["error"]["message"]


def test_strict_with_every_value_given_answers():
    r = run("solve", "conv.output-size", "W1=32", "F=5", "D1=3", "K=10", "--strict", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["drawn"] == []


def test_strict_is_refused_in_the_core_too(catalog):
    with pytest.raises(ParamError, match="missing"):
        make_variant(catalog.get("softmax.forward"), 1, {}, strict=True)


# ----------------------------------------------------------------------------
# Parts the homework names.
# ----------------------------------------------------------------------------
ONE_STEP = ["optim.step", "optimizer=sgd", "x0=[1]", "grads=[[2]]", "alpha=0.5"]


def test_a_part_the_instance_calls_otherwise_is_checked_as_that_part():
    r = run("check", *ONE_STEP, "--part", "x1", "--answer", "[0]")
    assert r.exit_code == 0, r.output
    assert "x1 is part xT" in r.output
    r = run("check", *ONE_STEP, "--part", "x1", "--answer", "[0]", "--json")
    data = json.loads(r.output)
    assert data["part"] == "xT" and data["asked_as"] == "x1" and data["status"] == "correct"
    r = run("check", *ONE_STEP, "--part", "x1", "--answer", "[1]")
    assert r.exit_code == 1


def test_a_part_not_asked_says_when_it_is(catalog):
    v = make_variant(catalog.get("lstm.bptt"), 1, {"x": "[[1, 2]]", "w_i": "[[1], [1]]"})
    with pytest.raises(Exception, match=r"asked only when H = 1 \(here H = 2\)"):
        v.part("dLdh_rule")
