"""Bank derivation problems: the seeds' derivations pass, broken variants fail where they break."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from corpus import PROBLEM_BROKEN  # noqa: E402

from nncheck.derive.core import check_derivation  # noqa: E402
from nncheck.kinds.derivation import grade_derivation, problem_for  # noqa: E402

FAMILIES = ["derive.sigmoid-derivative", "derive.tanh-sigmoid", "derive.tanh-derivative", "derive.bce-gradient",
            "derive.ce-softmax-gradient", "derive.softmax-two-class", "derive.conv-output-size",
            "derive.lstm-dldc"]
CODES = {"valid": "v", "invalid": "x", "unparsable": "!", "undecided": "?"}


def _key(catalog, family_id: str, convention: str | None = None):
    from nncheck.generate.variant import make_variant
    from nncheck.key.compute import answer_key

    over = {"convention": convention} if convention else {}
    return answer_key(make_variant(catalog.get(family_id), 1, over))


def _part(catalog, family_id: str, part: str = "derivation", convention: str | None = None):
    """The answer key of the family's first variant, and its derivation part."""
    key = _key(catalog, family_id, convention)
    return key, key.parts[part]


def _report(kp, text: str, family: dict | None = None):
    """The derivation checker's report on ``text`` for this part (in this process)."""
    return check_derivation(text, problem=problem_for(kp.spec, family=family), isolate=False)


def _grade(kp, text: str, mistakes=()):
    return grade_derivation(kp.spec, kp.exact, text, list(mistakes))


def _cases():
    for fid in FAMILIES:
        if fid == "derive.lstm-dldc":
            yield fid, "derivation", "ece417"
            yield fid, "derivation_std", "standard"
        else:
            yield fid, "derivation", None


def test_every_catalogue_derivation_has_a_problem(catalog):
    ids = set(catalog.ids())
    assert set(FAMILIES) <= ids
    for fid in FAMILIES:
        rec = catalog.get(fid)
        assert rec["topic"] == "derive"
        for part in rec["parts"]:
            assert part["kind"] == "derivation"
            assert part.get("start") and part.get("target") and part.get("symbols")
            assert part.get("milestones"), f"{fid}.{part['name']} declares no milestones"


@pytest.mark.parametrize("fid,part,convention", list(_cases()))
def test_the_seed_derivation_passes(catalog, fid, part, convention):
    key, kp = _part(catalog, fid, part, convention)
    text = "\n".join(kp.steps)
    assert len(kp.steps) >= 2
    v = _grade(kp, text, key.mistakes_for(part))
    assert v.status == "correct", (v.feedback, v.details)
    assert v.score == 1.0
    # Every step named by a rule from the known set.
    from nncheck.derive.rules import RULES

    assert all(d["rule"] in RULES for d in v.details), v.details


@pytest.mark.parametrize("fid,part,convention", list(_cases()))
def test_a_one_line_jump_earns_at_most_the_final_share(catalog, fid, part, convention):
    key, kp = _part(catalog, fid, part, convention)
    v = _grade(kp, f"{kp.spec['start']}\n= {kp.spec['target']}\n", key.mistakes_for(part))
    final = kp.spec["milestones"][-1]
    assert v.status == "incorrect" and v.score <= min(0.5, final["share"]), v.feedback
    # The feedback names the work: the milestones jumped past, or the identity that justified the jump.
    assert "Work skipped: " in v.feedback or "the identity the problem asks you to show" in v.feedback


@pytest.mark.parametrize("fid,part,convention", list(_cases()))
def test_bank_test_exercises_every_milestone_of_the_part(catalog, fid, part, convention):
    from nncheck.kinds.derivation import exercise_milestones

    _, kp = _part(catalog, fid, part, convention)
    failures, exercised = exercise_milestones(kp.spec, kp.exact, kp.steps)
    assert failures == [] and exercised == len(kp.spec["milestones"])


#: The ECE 417 exam review's derivations as the notes print them (typed in plain syntax; the BCE
#: gradient with its typo fixed, σ̇ written sigma'), which skip some of the solver's lines.
NOTES = {
    "derive.sigmoid-derivative": "d/dxi(sigma(xi)) = exp(-xi)/(1 + exp(-xi))^2\n"
                                 "= (1/(1 + exp(-xi))) (exp(-xi)/(1 + exp(-xi)))\n"
                                 "= (1/(1 + exp(-xi))) (1 - 1/(1 + exp(-xi)))\n"
                                 "= sigma(xi)(1 - sigma(xi))\n= h(1 - h)\n",
    "derive.tanh-sigmoid": "tanh(xi) = (exp(xi) - exp(-xi))/(exp(xi) + exp(-xi)) = (1 - exp(-2 xi))/(1 + exp(-2 xi))"
                           " = 2 sigma(2 xi) - 1\n",
    "derive.bce-gradient": "d/dxi(-(1/n)(y ln(yhat) + (1 - y) ln(1 - yhat)))\n"
                           "= -(1/n)(y d/dxi(ln(sigma(xi))) + (1 - y) d/dxi(ln(1 - sigma(xi))))\n"
                           "= -(1/n)(y sigma'(xi)/sigma(xi) - (1 - y) sigma'(xi)/(1 - sigma(xi)))\n"
                           "= -(1/n)(y yhat(1 - yhat)/yhat - (1 - y) yhat(1 - yhat)/(1 - yhat))\n"
                           "= -(1/n)(y - yhat)\n",
    "derive.softmax-two-class": "exp(w1 h)/(exp(w1 h) + exp(w2 h))\n= 1/(1 + exp(-(w1 - w2) h))\n"
                                "= sigma((w1 - w2) h)\n",
}


@pytest.mark.parametrize("fid", sorted(NOTES))
def test_the_notes_derivations_earn_full_marks(catalog, fid):
    key, kp = _part(catalog, fid)
    v = _grade(kp, NOTES[fid], key.mistakes_for("derivation"))
    assert v.status == "correct" and v.score == 1.0, v.feedback


@pytest.mark.parametrize("fid,part,convention", list(_cases()))
def test_the_part_target_is_the_solver_answer(catalog, fid, part, convention):
    """The YAML target and the solver's exact key are the same expression."""
    from nncheck.answer.equiv import equivalent
    from nncheck.answer.symbolic import align, part_symbols
    from nncheck.lang.sympy_backend import to_sympy
    from nncheck.lang.syntax import parse

    _, kp = _part(catalog, fid, part, convention)
    syms = part_symbols(kp.spec)
    target = to_sympy(parse(kp.spec["target"], symbols=set(syms)), dict(syms), kp.spec["target"])
    assert equivalent(target, align(kp.exact, syms), kp.spec["symbols"]).equal


@pytest.mark.parametrize("fid,part,text,expect,finished", PROBLEM_BROKEN,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(PROBLEM_BROKEN)])
def test_broken_variants_fail(catalog, fid, part, text, expect, finished):
    key, kp = _part(catalog, fid, part, "ece417" if fid == "derive.lstm-dldc" else None)
    rep = _report(kp, text, catalog.get(fid))
    got = "".join(CODES[s.status] for s in rep.steps)
    assert got == expect, [(s.kind, s.line, s.status, s.detail) for s in rep.steps]
    assert rep.finished is finished, rep.finish_detail
    v = _grade(kp, text, key.mistakes_for(part))
    assert v.status == "incorrect"
    assert v.score < 1.0
    if "x" in expect:
        bad = rep.first_invalid
        assert f"Step {bad.index} (line {bad.line}) is wrong" in v.feedback


def test_a_declared_mistake_is_named(catalog):
    key, kp = _part(catalog, "derive.bce-gradient")
    text = ("d/dxi(-(1/n)(y ln(yhat) + (1 - y) ln(1 - yhat)))\n"
            "= -(1/n)(y (1 - yhat) - (1 - y) yhat)\n"
            "= (1/n)(y - yhat)\n")
    v = _grade(kp, text, key.mistakes_for("derivation"))
    assert v.status == "incorrect"
    assert v.mistake == "sign-flipped"
    assert "sign flipped" in v.feedback


def test_first_line_must_be_the_start(catalog):
    _, kp = _part(catalog, "derive.sigmoid-derivative")
    v = _grade(kp, "h(1 - h)\n= h - h^2\n")
    assert v.status == "incorrect"
    assert "must begin with the start" in v.feedback


def test_not_finished_yet_is_reported_as_such(catalog):
    _, kp = _part(catalog, "derive.softmax-two-class")
    text = "exp(w1 h)/(exp(w1 h) + exp(w2 h))\n= 1/(1 + exp(-(w1 - w2) h))\n"
    rep = _report(kp, text)
    assert rep.valid and rep.finished is False
    assert "not yet in its form" in rep.finish_detail
    v = _grade(kp, text)
    # The milestone before the target is earned (0.6); the target's form is still to do.
    assert v.status == "incorrect" and v.score == pytest.approx(0.6)
    assert "not finished" in v.feedback and "Still to do: write the result as σ((w̄₁ − w̄₂)h)" in v.feedback


def test_a_derivation_that_jumps_is_caught(catalog):
    """Start = A and B = target, with A and B unrelated: the link from A to B is a step."""
    _, kp = _part(catalog, "derive.sigmoid-derivative")
    text = "d/dxi(sigma(xi)) = sigma(xi)(1 - sigma(xi))\nh^2 = h*h\nh(1 - h) = h - h^2\n"
    rep = _report(kp, text)
    kinds = [(s.kind, s.status) for s in rep.steps]
    assert ("link", "invalid") in kinds
    assert not rep.valid


def test_lstm_student_definition_of_dLdc(catalog):
    _, kp = _part(catalog, "derive.lstm-dldc", convention="ece417")
    text = ("dLdc_t = dLdh_t d/dc_t(h_t) + dLdc_t1 d/dc_t(c_t1)\n"
            "= dLdh_t d/dc_t(o_t c_t) + dLdc_t1 d/dc_t(f_t1 c_t + i_t1 g_t1)\n"
            "= dLdh_t o_t + dLdc_t1 f_t1\n")
    v = _grade(kp, text)
    assert v.status == "correct", v.feedback
    # Names outside the problem's symbols are refused (with the symbols listed), unless defined.
    v = _grade(kp, "dLdh_t d/dc_t(h_t) + dLdc_t1 d/dc_t(c_t1)\n= dLdh_t o_t + dLdc f_t1\n")
    assert v.status == "invalid"
    assert "dLdc" in v.feedback


def test_quiz_routing_through_grade(catalog):
    """key.grade.grade sends derivation parts here, multi-line text and all."""
    from nncheck.key.grade import grade

    key = _key(catalog, "derive.tanh-sigmoid")
    text = "\n".join(key.parts["derivation"].steps)
    assert grade(key, "derivation", text).status == "correct"
    assert grade(key, "derivation", "tanh(xi)\n= 2 sigma(xi) - 1").status == "incorrect"
    assert grade(key, "derivation", "tanh(xi\n").status == "invalid"
    assert grade(key, "derivation", "").status == "invalid"
