"""The labelled corpus: every verdict right, no false accept (the issue's benchmark, as a test)."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from corpus import DERIVATIONS, STEPS, step_text  # noqa: E402

from nncheck.derive.core import check_derivation  # noqa: E402

CODES = {"valid": "v", "invalid": "x", "unparsable": "!", "undecided": "?"}


def test_corpus_is_big_enough():
    assert len(STEPS) >= 300
    assert len(DERIVATIONS) >= 50
    labels = {s[0] for s in STEPS}
    assert labels == {"valid", "invalid"}
    # Both labels well represented, and the domain cases with and without assumptions.
    assert sum(1 for s in STEPS if s[0] == "invalid") >= 150
    assert sum(1 for s in STEPS if s[3]) >= 30


def test_every_two_line_step():
    wrong, false_accepts, undecided = [], [], []
    for label, left, right, assume in STEPS:
        rep = check_derivation(step_text(left, right, assume), isolate=False)
        assert len(rep.steps) == 1, (left, right)
        got = rep.steps[0].status
        if got == "undecided":
            undecided.append((left, right, rep.steps[0].detail))
        if got != label:
            wrong.append((label, got, left, right, assume, rep.steps[0].detail))
        if label == "invalid" and got == "valid":
            false_accepts.append((left, right, assume))
    assert not false_accepts, false_accepts
    assert not undecided, undecided
    assert not wrong, wrong


@pytest.mark.parametrize("name,text,expect,finished", DERIVATIONS, ids=[d[0] for d in DERIVATIONS])
def test_multi_line_derivation(name, text, expect, finished):
    rep = check_derivation(text, isolate=False)
    got = "".join(CODES[s.status] for s in rep.steps)
    assert got == expect, [(s.line, s.status, s.detail) for s in rep.steps]
    if finished is not None:
        assert rep.finished is finished, rep.finish_detail
    # The first invalid step is reported as such.
    if "x" in expect:
        assert rep.first_invalid is not None and rep.first_invalid.index == expect.index("x") + 1
    else:
        assert rep.first_invalid is None


def test_invalid_steps_carry_a_counterexample_point_and_both_values():
    for label, left, right, assume in STEPS[:60]:
        if label != "invalid":
            continue
        st = check_derivation(step_text(left, right, assume), isolate=False).steps[0]
        ce = st.counterexample
        assert ce is not None and ce["at"], (left, right)
        assert ce["left_text"] != ce["right_text"], (left, right, ce)
        assert "at " in st.detail
