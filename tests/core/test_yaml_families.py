"""Instructor-authored banks: YAML-only families, `bank test`, `bank new`, and bad banks."""

from __future__ import annotations

import json
import os
import textwrap
from fractions import Fraction

import pytest
from typer.testing import CliRunner

from nncheck.bank.compile import compile_bank_file
from nncheck.bank.index import load_catalog
from nncheck.cli.app import app
from nncheck.errors import BankError, BankErrors
from nncheck.topics import get_solver, solver_names

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "docs", "examples", "dilated-conv.yaml")
EXAMPLES = os.path.dirname(EXAMPLE)
runner = CliRunner()


def run(*args, input=None, env=None):
    return runner.invoke(app, list(args), input=input, env=env)


def test_guide_example_passes_bank_test():
    r = run("bank", "test", EXAMPLE, "--seeds", "15", "--json")
    data = json.loads(r.output)
    assert r.exit_code == 0, r.output
    (fam,) = data["families"]
    assert fam["id"] == "conv.dilated-output-size" and fam["ok"]
    assert fam["mistakes"] > 0 and fam["garbage"] > 0


def test_guide_example_solve_and_check():
    args = ["--bank", EXAMPLES, "W1=32", "F=3", "D=2", "S=1", "P=2"]
    data = json.loads(run("solve", "conv.dilated-output-size", *args, "--json").output)
    parts = {p["name"]: p["answer"] for p in data["parts"]}
    assert parts == {"fits": True, "W2": 32}  # (32 + 4 − 2·2 − 1)/1 + 1
    wrong = run("check", "conv.dilated-output-size", *args, "--part", "W2", "--answer", "34", "--json")
    assert json.loads(wrong.output)["mistake"] == "dilation-ignored"
    minus = run("check", "conv.dilated-output-size", *args, "--part", "W2", "--answer", "33", "--json")
    assert json.loads(minus.output)["mistake"] == "minus-one-forgotten"
    assert run("check", "conv.dilated-output-size", *args, "--part", "W2", "--answer", "32").exit_code == 0


def test_guide_example_can_be_quizzed():
    r = run("quiz", "--bank", EXAMPLES, "--family", "conv.dilated-output-size", "--count", "1", "--seed", "3",
            input="quit\n")
    assert r.exit_code == 0, r.output
    assert "dilation D" in r.output


def test_guide_example_does_not_fit_case():
    data = json.loads(run("solve", "conv.dilated-output-size", "--bank", EXAMPLES, "W1=10", "F=3", "D=2", "S=2",
                          "P=0", "--json").output)
    parts = {p["name"]: p["answer"] for p in data["parts"]}
    assert parts == {"fits": False}  # (10 − 5)/2 + 1 = 7/2: W2 is not asked


def test_list_shows_where_a_family_comes_from():
    data = json.loads(run("list", "--bank", EXAMPLES, "--json").output)
    origin = {d["id"]: d["origin"] for d in data}
    assert origin["conv.dilated-output-size"] == EXAMPLE and origin["conv.output-size"] == "bundled"


def test_banks_from_the_environment():
    r = run("show", "conv.dilated-output-size", "--json", env={"NNCHECK_BANKS": EXAMPLES})
    assert r.exit_code == 0 and json.loads(r.output)["id"] == "conv.dilated-output-size"


def test_bank_new_writes_a_starter_that_passes(tmp_path):
    path = tmp_path / "neuron.yaml"
    r = run("bank", "new", "mycourse.neuron", "-o", str(path))
    assert r.exit_code == 0 and path.exists()
    r = run("bank", "test", str(path), "--seeds", "10")
    assert r.exit_code == 0, r.output
    again = run("bank", "new", "mycourse.neuron", "-o", str(path))
    assert again.exit_code == 2 and "already exists" in again.output


def test_bank_new_rejects_a_bad_id(tmp_path):
    r = run("bank", "new", "My Course!", "-o", str(tmp_path / "x.yaml"))
    assert r.exit_code == 2 and "not a valid id" in r.output


def test_bank_test_refuses_a_mistake_the_grader_would_accept(tmp_path):
    # The mistake formula is the answer plus 1/1000: within tolerance in every instance, so the
    # grader could never tell it apart.  The key drops it as it would a Python solver's, and the
    # bank is refused where the mistake is written (it used to load, then fail `bank test`).
    text = BASE + '    mistakes:\n      - {id: tiny, message: "tiny", formula: {y: "2*a + b + 1/1000"}}\n'
    p = tmp_path / "b.yaml"
    p.write_text(text)
    r = run("bank", "test", str(p), "--seeds", "5")
    assert r.exit_code == 2
    assert ":13: families[0].mistakes[0]" in r.output and "can never be told apart" in r.output


def _yaml_record(tmp_path, text):
    """A compiled record, without the trial draws (which would refuse a mistake the test needs)."""
    from nncheck.bank.compile import compile_bank_data
    from nncheck.bank.yamlsafe import load_yaml

    p = tmp_path / "bank.yaml"
    p.write_text(text)
    data, lines = load_yaml(str(p))
    (rec,) = compile_bank_data(data, lines, str(p), solver_names=solver_names())
    return rec


def test_the_formula_solver_cannot_be_named_by_a_bank(tmp_path):
    # It is built from a YAML-only family's record; named with no record, it would have nothing to solve.
    errs = bank_errors(tmp_path, BASE.replace("    topic: t\n", "    topic: t\n    solver: formula:FormulaSolver\n"))
    assert any("unknown solver 'formula:FormulaSolver'" in e for e in errs)
    with pytest.raises(KeyError):
        get_solver("formula:FormulaSolver")


def test_yaml_family_key_comes_from_the_solver_path(tmp_path):
    """A YAML-only family has a solver like any other, and answer_key drops its mistakes by the
    one rule: where the grader would accept the mistake's value as the answer."""
    from nncheck.generate.variant import make_variant
    from nncheck.key.compute import answer_key
    from nncheck.key.grade import grade
    from nncheck.topics.base import Solver

    # y = 2a + b is 3…15; 1/16 more is over the default 0.5% for y ≤ 12, under it for y ≥ 13.
    text = BASE + ('    mistakes:\n'
                   '      - {id: sixteenth, message: "off by 1/16", formula: {y: "2*a + b + 1/16"}}\n'
                   '      - {id: plus-one, message: "off by one", formula: {y: "2*a + b + 1"}}\n')
    rec = _yaml_record(tmp_path, text)
    small = make_variant(rec, 1, {"a": "1", "b": "1"})
    assert isinstance(small.solver, Solver)
    assert small.solver.exact(small.params) == {"y": 3} and small.solver.numeric(small.params) == {"y": 3.0}

    key = answer_key(small)  # y = 3: the mistake is 2% off, so it is kept and named
    assert key.mistakes == {"sixteenth": {"y": 3 + Fraction(1, 16)}, "plus-one": {"y": 4}}
    v = grade(key, "y", "3.0625")
    assert v.status == "incorrect" and v.mistake == "sixteenth"

    big = answer_key(make_variant(rec, 1, {"a": "5", "b": "5"}))  # y = 15: 0.4% off, so it is dropped
    assert big.mistakes == {"sixteenth": {}, "plus-one": {"y": 16}}
    assert grade(big, "y", "15.0625").status == "correct"


BASE = textwrap.dedent("""\
    bank: t
    families:
      - id: t.lin
        title: A line
        topic: t
        params:
          a: {type: integer, min: -9, max: 9, draw: {range: [1, 5]}}
          b: {type: integer, min: -9, max: 9, draw: {range: [1, 5]}}
        prompt: "y = 2a + b with a = {a}, b = {b}"
        parts:
          - {name: y, kind: number, prompt: "y", answer: "2*a + b"}
    """)


def bank_errors(tmp_path, text) -> list[str]:
    p = tmp_path / "bank.yaml"
    p.write_text(text)
    with pytest.raises((BankError, BankErrors)) as exc:
        compile_bank_file(str(p), solver_names=solver_names())
    e = exc.value
    return [x.line() for x in e.errors] if isinstance(e, BankErrors) else [e.line()]


def test_base_bank_is_fine(tmp_path):
    p = tmp_path / "ok.yaml"
    p.write_text(BASE)
    assert compile_bank_file(str(p), solver_names=solver_names())[0]["id"] == "t.lin"


def test_answer_formula_that_does_not_parse(tmp_path):
    (err,) = bank_errors(tmp_path, BASE.replace('answer: "2*a + b"', 'answer: "2*a + (b"'))
    assert ":11: families[0].parts[0].answer: answer formula does not parse" in err


def test_answer_formula_with_an_undeclared_parameter(tmp_path):
    (err,) = bank_errors(tmp_path, BASE.replace('answer: "2*a + b"', 'answer: "2*a + c"'))
    assert "answer formula names 'c', which is not a declared parameter" in err and ":11:" in err


def test_mistake_formula_equal_to_the_answer(tmp_path):
    text = BASE + '    mistakes:\n      - {id: same, message: "m", formula: {y: "b + a + a"}}\n'
    (err,) = bank_errors(tmp_path, text)
    assert ":13: families[0].mistakes[0]" in err and "can never be told apart" in err


def test_unsatisfiable_draw_is_reported_at_the_constraint(tmp_path):
    text = BASE.replace("    prompt:", "    constraints:\n      - {check: \"a > 7\", message: m}\n    prompt:")
    (err,) = bank_errors(tmp_path, text)
    assert "random draws cannot satisfy 'a > 7'" in err and ":10:" in err


def test_placeholder_naming_nothing(tmp_path):
    (err,) = bank_errors(tmp_path, BASE.replace("with a = {a}", "with a = {aa}"))
    assert "placeholder '{aa}' names no parameter" in err and "did you mean 'a'" in err


def test_disagreeing_computations_refuse_the_bank(tmp_path):
    # NumPy overflows to inf where SymPy stays exact: the two keys disagree.
    (err,) = bank_errors(tmp_path, BASE.replace('answer: "2*a + b"', 'answer: "exp(800*a)"'))
    assert "disagree" in err or "fails" in err


@pytest.mark.parametrize("payload", [
    "__import__('os').system('touch /tmp/nncheck-pwned')",
    "a.__class__.__mro__",
    "(lambda: 1)()",
    "open('/etc/passwd')",
    "eval('1')",
])
def test_hostile_answer_formula_runs_no_code(tmp_path, payload):
    errs = bank_errors(tmp_path, BASE.replace('answer: "2*a + b"', f'answer: "{payload}"'))
    assert any("does not parse" in e or "not a declared parameter" in e for e in errs)
    assert not os.path.exists("/tmp/nncheck-pwned")


def test_template_attribute_access_stays_text(tmp_path):
    p = tmp_path / "ok.yaml"
    p.write_text(BASE.replace("with a = {a}", "with a = {a.__class__}"))
    compile_bank_file(str(p), solver_names=solver_names())
    cat = load_catalog([str(tmp_path)], use_cache=False)
    r = run("show", "t.lin", "--bank", str(tmp_path))
    assert "{a.__class__}" in r.output and "<class" not in r.output
    assert not cat.warnings


def test_bad_bank_does_not_break_the_others(tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    (good / "ok.yaml").write_text(BASE)
    (good / "bad.yaml").write_text(BASE.replace("t.lin", "t.bad").replace('answer: "2*a + b"', 'answer: "2*a + c"'))
    r = run("solve", "t.lin", "--bank", str(good), "--json")
    assert r.exit_code == 0
    assert "skipped bank" in r.stderr if hasattr(r, "stderr") else True
    assert json.loads(r.stdout)["parts"][0]["answer"] is not None
    v = run("bank", "validate", str(good))
    assert v.exit_code == 2 and "bad.yaml:11: families[0].parts[0].answer" in v.output


def test_vector_and_matrix_formulas_agree_both_ways(tmp_path):
    text = textwrap.dedent("""\
        bank: m
        families:
          - id: m.affine
            title: An affine map
            topic: m
            params:
              W: {type: matrix, rows: 2, cols: 2, entries: integer, draw: {range: [-3, 3], shape: [2, 2]}}
              x: {type: vector, length: 2, entries: integer, draw: {range: [-3, 3], shape: [2]}}
              b: {type: vector, length: 2, entries: integer, draw: {range: [-3, 3], shape: [2]}}
            prompt: "W = {W|inline}, x = {x}, b = {b}"
            parts:
              - {name: xi, kind: vector, prompt: "ξ = Wx + b", answer: "W*x + b"}
              - {name: Wt, kind: matrix, prompt: "Wᵀ", answer: "W'"}
              - {name: first, kind: number, prompt: "ξ₁", answer: "at(W*x + b, 1)"}
              - {name: h, kind: number, prompt: "σ(ξ₁)", answer: "sigma(at(W*x + b, 1))"}
            mistakes:
              - {id: no-bias, message: "the bias is missing", formula: {xi: "W*x"}}
        """)
    d = tmp_path / "m"
    d.mkdir()
    (d / "m.yaml").write_text(text)
    r = run("bank", "test", str(d / "m.yaml"), "--seeds", "8")
    assert r.exit_code == 0, r.output
    data = json.loads(run("solve", "m.affine", "--bank", str(d), "W=[[1,2],[3,4]]", "x=[1,1]", "b=[0,1]",
                          "--json").output)
    parts = {p["name"]: p["answer"] for p in data["parts"]}
    assert parts["xi"] == [3, 8] and parts["Wt"] == [[1, 3], [2, 4]] and parts["first"] == 3


def test_choice_values_are_bare_words_in_when(tmp_path):
    text = textwrap.dedent("""\
        bank: c
        families:
          - id: c.act
            title: An activation
            topic: c
            params:
              g: {type: choice, choices: [relu, linear], draw: {choice: [relu, linear]}}
              x: {type: integer, min: -5, max: 5, draw: {range: [-3, 3]}}
            prompt: "g = {g}, x = {x}"
            parts:
              - {name: y, kind: number, prompt: "g(x)", answer: "ifelse(g = relu, relu(x), x)"}
              - {name: slope, kind: number, prompt: "relu'(x)", answer: "ifelse(x > 0, 1, 0)", when: "g = relu"}
        """)
    d = tmp_path / "c"
    d.mkdir()
    (d / "c.yaml").write_text(text)
    relu = json.loads(run("solve", "c.act", "--bank", str(d), "g=relu", "x=-2", "--json").output)
    assert {p["name"]: p["answer"] for p in relu["parts"]} == {"y": 0, "slope": 0}
    lin = json.loads(run("solve", "c.act", "--bank", str(d), "g=linear", "x=-2", "--json").output)
    assert {p["name"]: p["answer"] for p in lin["parts"]} == {"y": -2}


def test_formula_comparisons_bind_tighter_than_and_or():
    from nncheck.lang.formula import evaluate_formula

    assert evaluate_formula("a = 1 or b = 1", {"a": 2, "b": 1}) is True
    assert evaluate_formula("a = 1 and b = 1", {"a": 2, "b": 1}) is False
    assert evaluate_formula("len(y) = 2 and len(y) = rows(M)", {"y": [1, 2], "M": [[1], [2]]}) is True
    assert evaluate_formula("not a = 2", {"a": 2}) is False


def test_the_bundled_banks_pass_bank_test():
    """Issue #9: the bundled families pass the same self-test as instructors' banks."""
    r = run("bank", "test", "--seeds", "4", "--json")
    data = json.loads(r.output)
    failing = {f["id"]: f["failures"][:2] for f in data["families"] if not f["ok"]}
    assert r.exit_code == 0 and not failing, failing
    assert len(data["families"]) >= 39
    assert sum(f["mistakes"] for f in data["families"]) > 200
