"""Edge cases of grading and bank checks added after the families landed."""

from __future__ import annotations

import textwrap

import pytest
import sympy

from nncheck.bank.compile import compile_bank_file
from nncheck.errors import BankError, BankErrors
from nncheck.kinds import grade_answer
from nncheck.topics import solver_names


def test_a_1x1_matrix_part_accepts_a_plain_number():
    expected = sympy.Matrix([[sympy.Rational(1, 2)]])
    assert grade_answer({"kind": "matrix"}, expected, "0.5").status == "correct"
    assert grade_answer({"kind": "matrix"}, expected, "[0.5]").status == "correct"
    assert grade_answer({"kind": "matrix"}, expected, "0.6").status == "incorrect"


def test_a_plain_number_for_a_larger_matrix_is_invalid():
    v = grade_answer({"kind": "matrix"}, sympy.Matrix([[1, 2]]), "1")
    assert v.status == "invalid" and "expected a matrix" in v.feedback


BANK = textwrap.dedent("""\
    bank: d
    families:
      - id: d.expr
        title: An expression
        topic: d
        params:
          a: {type: integer, draw: {range: [1, 3]}}
        prompt: "a = {a}"
        parts:
          - {name: e, kind: expression, prompt: "a*x", answer: "a*x", symbols: {x: DOMAIN}}
    """)


def test_a_bad_symbol_domain_is_a_bank_error(tmp_path):
    p = tmp_path / "b.yaml"
    p.write_text(BANK.replace("DOMAIN", "positve"))
    with pytest.raises((BankError, BankErrors)) as exc:
        compile_bank_file(str(p), solver_names=solver_names())
    assert "families[0].parts[0].symbols.x" in exc.value.line() and "unknown domain 'positve'" in exc.value.line()


@pytest.mark.parametrize("domain", ["real", "positive", "(0,1)", "[0, 1)", "(-inf, 0)"])
def test_good_symbol_domains_load(tmp_path, domain):
    p = tmp_path / "b.yaml"
    p.write_text(BANK.replace("DOMAIN", f'"{domain}"'))
    assert compile_bank_file(str(p), solver_names=solver_names())[0]["id"] == "d.expr"
