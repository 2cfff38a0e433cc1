"""LaTeX answers wherever an answer is read: ``check``, answer files for ``grade``, the quiz's
session, error carried forward, derivation parts.

The LaTeX reader itself is tested in ``test_latex.py``; here the mechanism is the wiring: a
LaTeX answer (detected by a backslash, a brace or ``$``, or forced with ``--latex``) is graded
exactly as the plain answer it means, its "parsed as" echo is that plain text, and every caret
(the LaTeX reader's, or one the plain grader finds on the printed text) points into the LaTeX.
"""

from __future__ import annotations

import json

import pytest
from shared_helpers import run

from nncheck.kinds import grade_answer, plain_answer
from nncheck.lang.syntax import parse, to_text

ACT = "backprop.activation-derivative"  # seed 1: h = σ(2) (number), dsigma_h = h(1 − h) (expression in h)
EXPR = {"kind": "expression", "symbols": {"h": "(0,1)"}}
NUM = {"kind": "number", "tolerance": {"rel": 0.005}}
NULLABLE = {"kind": "number", "nullable": True}
BOOL = {"kind": "boolean"}


def _h_of_1_minus_h():
    import sympy

    h = sympy.Symbol("h", positive=True)
    return h * (1 - h)


# (part, expected, LaTeX answer, the plain answer it means)
SAME_AS_PLAIN = [
    (EXPR, "expr", r"h\left(1-h\right)", "h*(1 - h)"),
    (EXPR, "expr", r"$h - h^{2}$", "h - h^2"),
    (EXPR, "expr", r"\frac{h}{1} \cdot (1 - h)", "h/1*(1 - h)"),
    (EXPR, "expr", r"h^{2}", "h^2"),  # wrong: graded wrong, as the plain answer is
    (NUM, 0.5, r"\frac{1}{2}", "1/2"),
    (NUM, 0.5, r"\dfrac{1}{1 + e^{0}}", "1/(1 + exp(0))"),
    (NUM, 0.5, r"\sqrt{\frac{1}{4}}", "sqrt(1/4)"),
    (NUM, 0.5, r"\frac{1}{3}", "1/3"),  # wrong
    (NULLABLE, None, r"\text{none}", "none"),
    (BOOL, True, r"\text{yes}", "yes"),
]


@pytest.mark.parametrize("part,expected,latex,plain", SAME_AS_PLAIN, ids=[r[2] for r in SAME_AS_PLAIN])
def test_a_latex_answer_is_graded_as_the_plain_answer_it_means(part, expected, latex, plain):
    if expected == "expr":
        expected = _h_of_1_minus_h()
    want = grade_answer(part, expected, plain)
    got = grade_answer(part, expected, latex)
    assert (got.status, got.score, got.mistake) == (want.status, want.score, want.mistake), got.feedback
    assert got.parsed_as == want.parsed_as  # the echo is the plain language
    assert not any(c in (got.parsed_as or "") for c in "\\{}$")


def test_plain_answers_are_not_read_as_latex_unless_forced():
    # 1/(1+exp(-0)) is plain; read as LaTeX, "exp" is the product e·x·p: an unknown name x.
    plain = "1/(1+exp(-0))"
    assert grade_answer(NUM, 0.5, plain).status == "correct"
    forced = grade_answer(NUM, 0.5, plain, latex=True)
    assert forced.status == "invalid" and forced.error is not None
    assert forced.error.text == plain and plain[forced.error.pos] == "x"  # caret in the text as typed
    # And latex=False reads LaTeX as the plain language, which has no backslash.
    assert grade_answer(NUM, 0.5, r"\frac{1}{2}", latex=False).status == "invalid"


def test_forced_latex_reads_tex_conventions():
    # TeX's x^23 is x²·3, refused as a number right after a value; plain h^23 is h to the 23.
    assert grade_answer(EXPR, _h_of_1_minus_h(), "h^23").status == "incorrect"
    v = grade_answer(EXPR, _h_of_1_minus_h(), "h^23", latex=True)
    assert v.status == "invalid" and v.error is not None and v.error.pos == 3


@pytest.mark.parametrize("answer,command", [
    (r"h \cdot (1 - \foo h)", r"\foo"),
    (r"\frac{1}{2} + \mathbb{R}", r"\mathbb"),
    (r"$\input{/etc/passwd}$", r"\input"),
    (r"\sin(h)", r"\sin"),
])
def test_an_unknown_command_is_invalid_with_the_caret_under_it(answer, command):
    v = grade_answer(EXPR, _h_of_1_minus_h(), answer)
    assert v.status == "invalid" and not v.costs_attempt and v.error is not None
    assert v.error.text == answer and v.error.pos == answer.index(command)


def test_an_error_found_on_the_plain_text_is_shown_under_the_latex():
    # \xi is read (ξ → xi), then the grader finds that this part has no symbol xi.
    answer = r"\frac{h}{2} + \xi"
    v = grade_answer(EXPR, _h_of_1_minus_h(), answer)
    assert v.status == "invalid" and "xi" in v.error.message
    assert v.error.text == answer and v.error.pos == answer.index(r"\xi")


def test_plain_answer_gives_the_text_the_grader_reads():
    assert plain_answer(EXPR, r"  \hat{h} ") == "hhat"
    assert plain_answer(EXPR, " h*(1-h) ") == "h*(1-h)"
    assert to_text(parse(plain_answer(NUM, r"\frac{3}{4}"), ())) == "3/4"


# ----------------------------------------------------------------------------
# check --answer / --latex / --json
# ----------------------------------------------------------------------------
def test_check_accepts_latex_and_echoes_the_plain_reading():
    r = run("check", ACT, "-p", "dsigma_h", "-a", r"h\left(1-h\right)", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["status"] == "correct" and out["parsed_as"] == "h*(1 - h)"
    r = run("check", ACT, "-p", "h", "-a", r"\frac{1}{1+e^{-2}}")
    assert r.exit_code == 0 and "parsed as: 1/(1 + exp(-2))" in r.stdout


def test_check_unknown_command_exits_2_with_a_json_error_object():
    answer = r"h \cdot (1 - \foo h)"
    r = run("check", ACT, "-p", "dsigma_h", "-a", answer, "--json")
    assert r.exit_code == 2, r.output
    out = json.loads(r.stdout)
    assert out["status"] == "invalid" and out["score"] == 0
    err = out["error"]
    assert "unknown LaTeX command" in err["message"] and err["position"] == answer.index(r"\foo")
    first, caret = err["caret"].splitlines()[:2]
    assert first == answer and caret.index("^") == answer.index(r"\foo")
    r = run("check", ACT, "-p", "dsigma_h", "-a", answer)
    assert r.exit_code == 2 and "Traceback" not in r.output
    lines = r.stdout.splitlines()
    row = next(i for i, ln in enumerate(lines) if ln.strip() == answer)
    assert lines[row + 1].index("^") - lines[row].index("h") == answer.index(r"\foo")


def test_check_latex_forces_a_plain_looking_answer_to_be_read_as_latex():
    plain = "1/(1+exp(-2))"
    assert run("check", ACT, "-p", "h", "-a", plain).exit_code == 0
    r = run("check", ACT, "-p", "h", "-a", plain, "--latex", "--json")
    assert r.exit_code == 2 and json.loads(r.stdout)["error"]["position"] == plain.index("x")


def test_check_derivation_part_in_latex(catalog):
    chain = (r"\frac{d\sigma}{d\xi} &= \frac{d}{d\xi}\frac{1}{1+e^{-\xi}} \\ &= \frac{e^{-\xi}}{(1+e^{-\xi})^2}"
             r" \\ &= \frac{1}{1+e^{-\xi}}\left(1 - \frac{1}{1+e^{-\xi}}\right) \\ &= \sigma(\xi)(1-\sigma(\xi))"
             r" \\ &= h(1-h)")
    r = run("check", "derive.sigmoid-derivative", "-p", "derivation", "-a", chain, "--json")
    out = json.loads(r.stdout)
    assert r.exit_code == 0 and out["status"] == "correct", out["feedback"]
    assert out["parsed_as"].startswith("d/dxi(sigma(xi)) = d/dxi(1/(1 + exp(-xi)))")
    bad = r"\frac{d\sigma}{d\xi} &= \frac{e^{-\xi}}{(1+e^{-\xi})^2} \\ &= \Foo(\xi)"
    r = run("check", "derive.sigmoid-derivative", "-p", "derivation", "-a", bad, "--json")
    out = json.loads(r.stdout)
    assert r.exit_code == 2 and out["status"] == "invalid"
    assert out["error"]["position"] == bad.index(r"\Foo")


# ----------------------------------------------------------------------------
# grade: answer files
# ----------------------------------------------------------------------------
ANSWERS = r"""answers:
  - {id: backprop.activation-derivative, seed: 1, part: h, answer: '\frac{1}{1+e^{-2}}'}
  - {id: backprop.activation-derivative, seed: 1, part: dsigma_h, answer: '$h\left(1-h\right)$'}
  - {id: backprop.activation-derivative, seed: 1, part: dh, answer: '\frac{1}{2}'}
  - {id: backprop.activation-derivative, seed: 1, part: dsigma_h, answer: 'h \cdot \foo'}
  - id: derive.sigmoid-derivative
    seed: 1
    part: derivation
    answer: |
      \frac{d\sigma}{d\xi} &= \frac{d}{d\xi}\left(\frac{1}{1+e^{-\xi}}\right) \\
        &= \frac{e^{-\xi}}{(1+e^{-\xi})^2} \\
        &= \frac{1}{1+e^{-\xi}}\left(1-\frac{1}{1+e^{-\xi}}\right) \\
        &= \sigma(\xi)(1-\sigma(\xi)) \\
        &= h(1-h)
"""


def test_grade_reads_latex_answers_in_an_answer_file(tmp_path):
    f = tmp_path / "hw.yaml"
    f.write_text(ANSWERS, encoding="utf-8")
    r = run("grade", str(f), "--json")
    assert r.exit_code == 0, r.output
    entries = json.loads(r.stdout)["entries"]
    assert [e["status"] for e in entries] == ["correct", "correct", "incorrect", "invalid", "correct"]
    assert entries[0]["parsed_as"] == "1/(1 + exp(-2))" and entries[1]["parsed_as"] == "h*(1 - h)"
    bad = entries[3]
    assert "unknown LaTeX command" in bad["feedback"] and bad["location"].endswith("answer")
    first, caret = bad["caret"].splitlines()[:2]
    assert caret.index("^") == first.index(r"\foo")
    # --latex reads every answer as LaTeX: the same verdicts here, since each one is LaTeX already.
    forced = json.loads(run("grade", str(f), "--json", "--latex").stdout)["entries"]
    assert [e["status"] for e in forced] == [e["status"] for e in entries]


def test_grade_latex_forces_plain_answers_in_a_file(tmp_path):
    f = tmp_path / "plain.csv"
    f.write_text("id,seed,part,answer\nbackprop.activation-derivative,1,h,1/(1+exp(-2))\n", encoding="utf-8")
    assert json.loads(run("grade", str(f), "--json").stdout)["entries"][0]["status"] == "correct"
    forced = json.loads(run("grade", str(f), "--json", "--latex").stdout)["entries"][0]
    assert forced["status"] == "invalid" and "x" in forced["feedback"]


# ----------------------------------------------------------------------------
# Error carried forward from LaTeX answers.
# ----------------------------------------------------------------------------
def test_a_wrong_latex_answer_carries_forward(catalog):
    from nncheck.generate.variant import make_variant, parse_assignments
    from nncheck.key.compute import answer_key
    from nncheck.key.grade import grade

    key = answer_key(make_variant(catalog.get("detection.iou"), 1,
                                  parse_assignments(["box_ref=[0,0,4,4]", "box_roi=[2,2,4,4]"])))  # I = 4, U = 28
    v = grade(key, "U", "26", {"I": r"\frac{12}{2}"})  # I = 6 (wrong): U = 16 + 16 − 6
    assert v.status == "correct" and v.carried_forward == ["I"], v.feedback
    v = grade(key, "IoU", r"\frac{6}{26}", {"I": "6", "U": r"{26}"})
    assert v.status == "correct" and sorted(v.carried_forward) == ["I", "U"], v.feedback
    assert grade(key, "U", "26", {"I": r"\foo"}).status == "incorrect"  # unreadable: nothing carried


# ----------------------------------------------------------------------------
# The quiz reads answers through the session.
# ----------------------------------------------------------------------------
@pytest.fixture
def store(tmp_path):
    from nncheck.practice.store import open_store

    s = open_store(str(tmp_path / "h.db"))
    yield s
    s.close()


def test_the_quiz_session_reads_latex_answers(catalog, store):
    from nncheck.practice.session import Planned, Session

    s = Session(catalog, [Planned(ACT, 1, ["dsigma_h", "h"])], mode="quiz", store=store, seed=1)
    _, part = s.current
    assert part.name == "dsigma_h"
    ev = s.handle(r"h \cdot \foo")
    assert ev.kind == "invalid" and part.attempts == 0  # costs no attempt
    assert ev.verdict.error.pos == r"h \cdot \foo".index(r"\foo")
    ev = s.handle(r"h\left(1 - h\right)")
    assert ev.kind == "correct" and ev.verdict.parsed_as == "h*(1 - h)"
    _, part = s.current
    assert part.name == "h"
    assert s.handle(r"\frac{1}{1+e^{-2}}").kind == "correct"


def test_the_quiz_session_reads_a_latex_derivation(catalog, store):
    from nncheck.practice.session import Planned, Session

    s = Session(catalog, [Planned("derive.sigmoid-derivative", 1)], mode="quiz", store=store, seed=1)
    text = "\n".join([
        r"\frac{d\sigma}{d\xi} &= \frac{d}{d\xi}\left(\frac{1}{1+e^{-\xi}}\right) \\",
        r"  &= \frac{e^{-\xi}}{(1+e^{-\xi})^2} \\",
        r"  &= \frac{1}{1+e^{-\xi}}\left(1-\frac{1}{1+e^{-\xi}}\right) \\",
        r"  &= \sigma(\xi)(1-\sigma(\xi)) \\",
        r"  &= h(1-h)",
    ])
    ev = s.handle(text)
    assert ev.kind == "correct", ev.verdict.feedback
