"""Bank files are untrusted: every problem is one `file:line: field: message`."""

from __future__ import annotations

import textwrap

import pytest

from nncheck.bank.compile import compile_bank_file
from nncheck.bank.index import load_catalog
from nncheck.errors import BankError, BankErrors
from nncheck.topics import solver_names

GOOD = textwrap.dedent("""\
    bank: demo
    families:
      - id: demo.size
        title: A size
        topic: demo
        solver: conv:ParamCount
        params:
          F: {type: integer, min: 1, draw: {range: [1, 5]}}
          D1: {type: integer, min: 1, draw: {range: [1, 5]}}
          K: {type: integer, min: 1, draw: {range: [1, 5]}}
        prompt: "F={F}, D1={D1}, K={K}"
        parts:
          - {name: per_filter, kind: integer, prompt: "weights per filter"}
          - {name: weights, kind: integer, prompt: "weights"}
          - {name: biases, kind: integer, prompt: "biases"}
          - {name: total, kind: integer, prompt: "total"}
    """)


def write(tmp_path, text, name="bank.yaml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


def errors_of(path):
    with pytest.raises((BankError, BankErrors)) as exc:
        compile_bank_file(path, solver_names=solver_names())
    e = exc.value
    return [x.line() for x in e.errors] if isinstance(e, BankErrors) else [e.line()]


def test_good_bank_compiles(tmp_path):
    recs = compile_bank_file(write(tmp_path, GOOD), solver_names=solver_names())
    assert [r["id"] for r in recs] == ["demo.size"]


def test_unknown_key_names_file_line_and_field(tmp_path):
    path = write(tmp_path, GOOD.replace("    title: A size\n", "    title: A size\n    tolerence: 3\n"))
    (err,) = errors_of(path)
    assert err.startswith(f"{path}:5: families[0].tolerence: unknown key 'tolerence'")


def test_unknown_key_suggests_the_right_one(tmp_path):
    path = write(tmp_path, GOOD.replace("prompt: \"F=", "promt: \"F="))
    errs = errors_of(path)
    assert any("unknown key 'promt'" in e and "did you mean 'prompt'" in e for e in errs)
    assert any("missing required key 'prompt'" in e for e in errs)


def test_wrong_type_is_reported_with_its_line(tmp_path):
    path = write(tmp_path, GOOD.replace("{type: integer, min: 1, draw: {range: [1, 5]}}\n      D1",
                                        "{type: int, min: 1, draw: {range: [1, 5]}}\n      D1"))
    (err,) = errors_of(path)
    assert f"{path}:8: families[0].params.F.type:" in err and "'integer'" in err


def test_python_tag_is_rejected(tmp_path):
    path = write(tmp_path, GOOD.replace("title: A size", "title: !!python/object/apply:os.system ['echo hi']"))
    (err,) = errors_of(path)
    assert f"{path}:4:" in err and "tag" in err and "not allowed" in err


def test_alias_and_anchor_are_rejected(tmp_path):
    text = GOOD.replace("title: A size", "title: &t A size").replace("topic: demo", "topic: *t")
    (err,) = errors_of(write(tmp_path, text))
    assert "anchors" in err and ":4:" in err


def test_billion_laughs_is_rejected_before_expansion(tmp_path):
    text = 'a: &a ["lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n'
    (err,) = errors_of(write(tmp_path, text))
    assert "not allowed" in err


def test_duplicate_key_is_rejected(tmp_path):
    path = write(tmp_path, GOOD.replace("    topic: demo\n", "    topic: demo\n    topic: other\n"))
    (err,) = errors_of(path)
    assert "duplicate key 'topic'" in err and f"{path}:6:" in err


def test_yaml_syntax_error_has_a_line(tmp_path):
    path = write(tmp_path, GOOD.replace("title: A size", "title: [unclosed"))
    (err,) = errors_of(path)
    assert err.startswith(f"{path}:") and "invalid YAML" in err


def test_oversized_file_is_rejected(tmp_path):
    path = write(tmp_path, GOOD + "#" * 1_100_000)
    (err,) = errors_of(path)
    assert "too large" in err


def test_not_utf8_is_rejected(tmp_path):
    p = tmp_path / "bank.yaml"
    p.write_bytes(GOOD.encode() + b"\n# \xff\xfe\n")
    (err,) = errors_of(str(p))
    assert "UTF-8" in err


def test_formula_naming_an_undeclared_parameter(tmp_path):
    text = GOOD.replace("    prompt: \"F=",
                        "    constraints:\n      - {check: \"F <= W9\", message: m}\n    prompt: \"F=")
    (err,) = errors_of(write(tmp_path, text))
    assert "names 'W9', which is not a declared parameter" in err


def test_formula_that_does_not_parse(tmp_path):
    text = GOOD.replace("    prompt: \"F=",
                        "    constraints:\n      - {check: \"F <= (K\", message: m}\n    prompt: \"F=")
    (err,) = errors_of(write(tmp_path, text))
    assert "does not parse" in err and "families[0].constraints[0].check" in err


def test_unknown_solver_is_reported(tmp_path):
    (err,) = errors_of(write(tmp_path, GOOD.replace("conv:ParamCount", "conv:ParamCont")))
    assert "unknown solver 'conv:ParamCont'" in err and "did you mean 'conv:ParamCount'" in err


def test_solver_outside_topics_cannot_be_named(tmp_path):
    (err,) = errors_of(write(tmp_path, GOOD.replace("conv:ParamCount", "os:system")))
    assert "unknown solver 'os:system'" in err


def test_mistake_naming_a_missing_part(tmp_path):
    text = GOOD + "    mistakes:\n      - {id: oops, message: m, parts: [totl]}\n"
    (err,) = errors_of(write(tmp_path, text))
    assert "mistake names part 'totl'" in err and "did you mean 'total'" in err


def test_several_errors_are_all_reported(tmp_path):
    text = GOOD.replace("topic: demo", "topic: demo\n    colour: red").replace("kind: integer, prompt: \"biases\"",
                                                                               "kind: intger, prompt: \"biases\"")
    errs = errors_of(write(tmp_path, text))
    assert len(errs) == 2


def test_a_broken_user_bank_is_skipped_and_the_rest_keep_working(tmp_path):
    good_dir = tmp_path / "good"
    bad_dir = tmp_path / "bad"
    good_dir.mkdir()
    bad_dir.mkdir()
    write(good_dir, GOOD)
    write(bad_dir, GOOD.replace("demo.size", "demo.other").replace("title: A size", "title: !!python/name:os.system"))
    cat = load_catalog([str(good_dir), str(bad_dir)], use_cache=False)
    assert "demo.size" in cat.ids() and "demo.other" not in cat.ids()
    assert "conv.output-size" in cat.ids()
    assert len(cat.warnings) == 1 and "not allowed" in cat.warnings[0]


def test_id_clash_names_both_files(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    write(a, GOOD)
    write(b, GOOD)
    cat = load_catalog([str(a), str(b)], use_cache=False)
    assert len(cat.warnings) == 1
    assert str(a / "bank.yaml") in cat.warnings[0] and str(b / "bank.yaml") in cat.warnings[0]


def test_id_clash_with_a_bundled_family(tmp_path):
    write(tmp_path, GOOD.replace("demo.size", "conv.param-count"))
    cat = load_catalog([str(tmp_path)], use_cache=False)
    assert "already defined" in cat.warnings[0]


def test_cache_is_invalidated_when_a_bank_changes(tmp_path):
    path = write(tmp_path, GOOD)
    assert "demo.size" in load_catalog([str(tmp_path)]).ids()
    import os
    import time

    write(tmp_path, GOOD.replace("demo.size", "demo.renamed"))
    os.utime(path, (time.time() + 5, time.time() + 5))
    ids = load_catalog([str(tmp_path)]).ids()
    assert "demo.renamed" in ids and "demo.size" not in ids


def test_bundled_banks_validate(catalog):
    assert len(catalog.ids()) >= 7
    assert not catalog.warnings


# ----------------------------------------------------------------------------
# `bank validate` reports every error of a file in one run (issue #20, point 7).
# ----------------------------------------------------------------------------
YAML_ONLY = textwrap.indent(textwrap.dedent("""\
      - id: demo.{name}
        title: A line
        topic: demo
        params:
          a: {{type: integer, draw: {{range: [1, 5]}}}}
          b: {{type: integer, draw: {{range: [1, 5]}}}}
        prompt: "a={{a}}, b={{b}}"
        parts:
          - {{name: y, kind: number, prompt: "y", answer: "{answer}"}}
        mistakes:
          - {{id: slip, message: "m", formula: {{y: "{mistake}"}}}}
    """), "  ")  # a family of GOOD's list

#: One error per stage of validation, each in its own family: the schema (an unknown key), the
#: sense of a valid family (a formula naming no parameter), and the trial draws (a mistake that is
#: the answer in every instance).  Each stage used to stop the ones after it: three runs for three.
PLANTED = [
    ("tolerence", "families[0].tolerence", "unknown key 'tolerence'"),
    ("2*a + c", "families[1].parts[0].answer", "names 'c', which is not a declared parameter"),
    ("a + a", "families[2].mistakes[0]", "can never be told apart"),
]


def three_errors() -> str:
    return (GOOD.replace("    title: A size\n", "    title: A size\n    tolerence: 3\n")
            + YAML_ONLY.format(name="lin", answer="2*a + c", mistake="2*a + b")
            + YAML_ONLY.format(name="twice", answer="2*a", mistake="a + a"))


def _line_of(text: str, needle: str) -> int:
    """The line of the last occurrence of ``needle`` in ``text``."""
    return max(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_every_error_of_a_file_in_one_run(tmp_path):
    text = three_errors()
    path = write(tmp_path, text)
    errs = errors_of(path)
    assert len(errs) == 3, errs
    # Each at its own line (a mistake's trial-draw error at that mistake), in the order of the file.
    where = [_line_of(text, "tolerence: 3"), _line_of(text, '"2*a + c"'), _line_of(text, '"a + a"')]
    for err, line, (_, field, says) in zip(errs, where, PLANTED):
        assert err.startswith(f"{path}:{line}: {field}: ") and says in err, err
    # Fixing one error leaves exactly the two others.
    fixed = text.replace("    tolerence: 3\n", "")
    assert [e.split(": ", 2)[1] for e in errors_of(write(tmp_path, fixed, "fixed.yaml"))] == \
        [f for _, f, _ in PLANTED[1:]]


def test_bank_validate_prints_all_three_and_lists_them_in_json(tmp_path):
    import json

    from typer.testing import CliRunner

    from nncheck.cli.app import app

    path = write(tmp_path, three_errors())
    r = CliRunner().invoke(app, ["bank", "validate", path])
    assert r.exit_code == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 3 and all(ln.startswith(f"{path}:") for ln in lines), r.stderr
    for line, (_, field, says) in zip(lines, PLANTED):
        assert f": {field}" in line and says in line
    assert "3 errors" in r.stdout
    j = CliRunner().invoke(app, ["bank", "validate", path, "--json"])
    assert j.exit_code == 2
    data = json.loads(j.stdout)
    assert data["ok"] is False
    assert [(e["file"], e["field"]) for e in data["errors"]] == [(path, f) for _, f, _ in PLANTED]
    assert all(isinstance(e["line"], int) and e["text"] in lines for e in data["errors"])
    assert data["files"][0]["errors"] == lines


def test_a_family_with_schema_errors_is_not_checked_further(tmp_path):
    """A parameter of an unknown type is one error, not also "not a declared parameter" in every formula
    that names it; the family after it is still checked."""
    text = GOOD.replace("F: {type: integer,", "F: {type: integr,") + YAML_ONLY.format(
        name="lin", answer="2*a + c", mistake="2*a + b")
    errs = errors_of(write(tmp_path, text))
    assert len(errs) == 2, errs
    assert "families[0].params.F.type" in errs[0] and "families[1].parts[0].answer" in errs[1]


def test_the_valid_families_of_a_broken_file_are_still_validated_in_full(tmp_path):
    """A file whose first family is broken: the trial draws of the others run (and pass), so the
    report is the one error; with the broken family fixed, the file compiles."""
    text = three_errors().replace("2*a + c", "2*a - b").replace('"a + a"', '"a - b"')
    errs = errors_of(write(tmp_path, text))
    assert len(errs) == 1 and "families[0].tolerence" in errs[0]
    recs = compile_bank_file(write(tmp_path, text.replace("    tolerence: 3\n", ""), "ok.yaml"),
                             solver_names=solver_names())
    assert [r["id"] for r in recs] == ["demo.size", "demo.lin", "demo.twice"]


VECTOR_DERIVATION = """\
bank: vecderive
families:
  - id: mycourse.dw2-derive
    title: The gradient of W2 in vector form, derived
    topic: derive
    prompt: "Derive the gradient of W2."
    parts:
      - name: derivation
        kind: derivation
        prompt: "Derive d/dW2(L) = delta2 h', one step per line"
        symbols: {W2: real, h: real, b2: real, delta2: real, L: real}
        shapes: {W2: K×N, h: N, b2: K, delta2: K}
        given: ["xi2 = W2 h + b2", "d/dxi2(L) = delta2"]
        start: "d/dW2(L)"
        target: "delta2 h'"
        answer: "delta2 h'"
"""


def test_a_matrix_part_in_a_yaml_only_family_is_one_clear_error(tmp_path):
    # The formula mode computes scalar keys: a part with shapes needs a solver's two computations.
    # (It once reached the key's cross-check and ended as an internal error, exit 70.)
    path = write(tmp_path, VECTOR_DERIVATION)
    errs = errors_of(path)
    assert any(".shapes: a part with 'shapes'" in e and "needs a Python solver" in e for e in errs), errs
