"""Answer kinds as one seam: every kind implements every phase, and the key and the grader agree.

The sigfigs tests pin the fix of a drift between two tolerance implementations: the key
used to drop a declared mistake that lay within a *symmetric* relative tolerance of the
answer (0.5 × 10^(1 - sigfigs)), while the grader measures half a unit in the last
significant figure of the *expected* value, so 10.03 against 9.99 at three significant
figures was dropped from the key although the grader marks it incorrect.
"""

from __future__ import annotations

import json
import random
from fractions import Fraction
from typing import Any

import pytest
import sympy

from nncheck import kinds
from nncheck.generate.variant import Variant
from nncheck.key.compute import answer_key
from nncheck.key.grade import grade
from nncheck.kinds.base import Kind, TeX
from nncheck.kinds.tolerance import close_enough
from nncheck.lang.sympy_backend import make_symbol, sigma
from nncheck.topics.base import Solver

X = make_symbol("x", "real")


class _PlainTeX(TeX):
    """A LaTeX writer that marks what each piece is, to see the kinds call it."""

    def number(self, x: Any) -> str:
        return f"N({x})"

    def expression(self, x: Any) -> str:
        return f"E({x})"

    def matrix(self, rows: list[list[str]]) -> str:
        return "M(" + ";".join(",".join(r) for r in rows) + ")"

    def text(self, s: str) -> str:
        return f"T({s})"


#: kind -> (part spec, a key value of that kind): one row per registered kind.
SAMPLES: dict[str, tuple[dict[str, Any], Any]] = {
    "number": ({"kind": "number"}, sympy.log(2) / 3),
    "integer": ({"kind": "integer"}, 55),
    "boolean": ({"kind": "boolean"}, True),
    "choice": ({"kind": "choice", "choices": ["max", "average"]}, "average"),
    "vector": ({"kind": "vector"}, sympy.Matrix([1, sympy.Rational(-1, 3), 0.25])),
    "matrix": ({"kind": "matrix"}, [[1, 2.5], [Fraction(-1, 7), 0]]),
    "expression": ({"kind": "expression", "symbols": {"x": "real"}}, sigma(X) * (1 - sigma(X))),
    "matexpr": ({"kind": "matexpr", "shapes": {"W2": "K×N", "delta2": "K", "xi1": "N", "x": "D"}},
                "(W2' delta2 ⊙ dsigma(xi1)) x'"),
    "derivation": ({"kind": "derivation", "symbols": {"x": "real"}, "start": "d/dx(x^3 + x)"}, 3 * X**2 + 1),
}

PHASES = ("grade", "_text", "_json", "_latex", "_display", "_agree", "_same")


def test_bank_files_may_name_exactly_the_registered_kinds():
    """``kind:`` in a bank file is validated against PartKind: it must list every kind, and no other."""
    from typing import get_args

    from nncheck.bank import schema
    from nncheck.records import PartKind

    assert set(get_args(PartKind)) == set(kinds.KINDS)
    assert schema.PartKind is PartKind


def test_every_registered_kind_has_a_sample():
    assert set(SAMPLES) == set(kinds.KINDS)
    for name, kind in kinds.KINDS.items():
        assert kind.name == name and kinds.get(name) is kind
    with pytest.raises(KeyError):
        kinds.get("essay")


@pytest.mark.parametrize("name", sorted(kinds.KINDS))
def test_every_kind_implements_every_phase(name):
    kind = kinds.get(name)
    missing = [ph for ph in PHASES if getattr(type(kind), ph) is getattr(Kind, ph)]
    assert not missing, f"kind {name} does not implement {missing}"
    part, value = SAMPLES[name]
    assert isinstance(kind.text(value), str) and kind.text(value)
    json.dumps(kind.json(value), allow_nan=False)
    assert isinstance(kind.display(value), str) and kind.display(value)
    latex = kind.latex(value, _PlainTeX())
    assert isinstance(latex, str) and any(mark in latex for mark in ("N(", "E(", "M(", "T(")) or latex.isdigit()
    ok, why = kind.agree(part, value, value, rel=1e-9, abs_=1e-12)
    assert ok, why
    assert kind.same(part, value, value)
    assert (kind.tolerance(part) is None) == (kind.tolerance_text(part) is None)
    assert kind.seconds > 0 and kind.moodle in ("numerical", "truefalse", "multichoice", "cloze", "essay")


@pytest.mark.parametrize("name", sorted(kinds.KINDS))
def test_the_text_of_a_key_value_grades_as_correct(name):
    kind = kinds.get(name)
    part, value = SAMPLES[name]
    typed = kind.key_text(part, value)
    v = kinds.grade_answer(part, value, typed)
    assert v.status == "correct", (typed, v)


@pytest.mark.parametrize("name", sorted(kinds.KINDS))
def test_none_is_one_form_for_every_kind(name):
    kind = kinds.get(name)
    assert kind.json(None) is None and kind.text(None) == "none"
    assert "none" in kind.display(None) and "none" in kind.latex(None, _PlainTeX())
    assert kind.same(SAMPLES[name][0], None, None) and not kind.same(SAMPLES[name][0], None, SAMPLES[name][1])


# ----------------------------------------------------------------------------
# The key drops a mistake exactly when the grader would accept it as the answer.
# ----------------------------------------------------------------------------
class _OneNumber(Solver):
    def __init__(self, key: Any, slip: Any) -> None:
        self.key, self.slip = key, slip

    def exact(self, p: dict) -> dict:
        return {"y": self.key}

    def numeric(self, p: dict) -> dict:
        return {"y": float(self.key)}

    def mistakes(self, p: dict) -> dict:
        return {"slip": {"y": self.slip}}


def _key(tolerance: dict[str, Any] | None, key: Any, slip: Any):
    part: dict[str, Any] = {"name": "y", "kind": "number", "prompt": "y = ?", "nullable": False}
    if tolerance is not None:
        part["tolerance"] = tolerance
    family = {"id": "test.one-number", "title": "One number", "topic": "test", "params": {}, "prompt": "y = ?",
              "parts": [part], "mistakes": [{"id": "slip", "message": "a slip of the pen"}]}
    variant = Variant(family, 1, {}, set(), {})
    variant._solver = _OneNumber(key, slip)
    return answer_key(variant)


def test_a_sigfigs_mistake_the_grader_tells_apart_is_kept_and_named():
    # 10.03 is within 0.5% of 9.99 (what the key used to test), but 9.99 to three significant
    # figures accepts only 9.985 … 9.995.
    key = _key({"sigfigs": 3}, Fraction(999, 100), Fraction(1003, 100))
    assert [m for m, _, _ in key.mistakes_for("y")] == ["slip"]
    v = grade(key, "y", "10.03")
    assert v.status == "incorrect" and v.mistake == "slip" and v.feedback == "a slip of the pen"
    assert grade(key, "y", "9.99").status == "correct"


def test_a_sigfigs_mistake_the_grader_accepts_is_dropped():
    key = _key({"sigfigs": 3}, Fraction(999, 100), Fraction(9991, 1000))
    assert key.mistakes_for("y") == []
    assert grade(key, "y", "9.991").status == "correct"


def test_the_key_value_is_the_expected_one():
    # A tolerance is around the expected value: 9.99 is accepted for 10.03 (±0.05 at three
    # significant figures), though 10.03 is not accepted for 9.99.
    key = _key({"sigfigs": 3}, Fraction(1003, 100), Fraction(999, 100))
    assert key.mistakes_for("y") == []
    assert grade(key, "y", "9.99").status == "correct"


TOLERANCES = [None, {"sigfigs": 3}, {"sigfigs": 2}, {"rel": 0.01, "abs": 0.0005}, {"abs": 0.01}]


@pytest.mark.parametrize("name", ["number", "vector", "matrix"])
@pytest.mark.parametrize("tol", TOLERANCES)
def test_same_is_the_graders_verdict(name, tol):
    """For random values near a key, ``same`` holds exactly when grading the value's text gives correct."""
    kind = kinds.get(name)
    part: dict[str, Any] = {"kind": name, **({"tolerance": tol} if tol else {})}
    rng = random.Random(f"{name}{tol}")
    for _ in range(200):
        shape = {"number": (), "vector": (3,), "matrix": (2, 2)}[name]
        size = 1 if not shape else shape[0] * (shape[1] if len(shape) == 2 else 1)
        base = [round(rng.uniform(-20, 20), rng.choice([0, 2, 3])) for _ in range(size)]
        near = [b * (1 + rng.choice([-1, 1]) * rng.choice([0, 1e-4, 2e-3, 4e-3, 6e-3, 2e-2])) for b in base]
        if name == "number":
            expected, value = base[0], near[0]
        elif name == "vector":
            expected, value = base, near
        else:
            expected, value = [base[:2], base[2:]], [near[:2], near[2:]]
        graded = kinds.grade_answer(part, expected, kind.text(value)).status == "correct"
        assert kind.same(part, expected, value) == graded, (expected, value)


def test_close_enough_is_around_the_expected_value():
    assert close_enough(9.99, 10.03, {"sigfigs": 3}) and not close_enough(10.03, 9.99, {"sigfigs": 3})
