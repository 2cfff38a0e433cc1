"""Answer files: formats, value conversion, and bad entries reported with their location."""

from __future__ import annotations

import json

import pytest
from shared_helpers import run

from nncheck.batch.grade import Grader, answer_text, grade_sheet, load_answers_text, split_assignments

# conv.output-size with the seed's AlexNet numbers: W2 = (227 − 11)/4 + 1 = 55.
ALEXNET = "{W1: 227, H1: 227, D1: 3, K: 96, F: 11, S: 4, P: 0}"


def grade_text(text: str, catalog, name: str = "a.yaml"):
    return grade_sheet(load_answers_text(text, name), catalog)


def test_values_become_answer_language_text():
    assert answer_text(None) is None
    assert answer_text(55) == "55"
    assert answer_text(0.1) == "0.1"  # read back exactly as 1/10 by the answer language
    assert answer_text(True) == "yes" and answer_text(False) == "no"
    assert answer_text([1, 2.5, [3, 4]]) == "[1, 2.5, [3, 4]]"
    assert answer_text("ln(2)/3") == "ln(2)/3"
    assert answer_text(float("inf")) == "inf"


def test_split_assignments_respects_brackets():
    assert split_assignments("W1=227; F=11") == {"W1": "227", "F": "11"}
    assert split_assignments("box_ref=[0, 0, 4, 4] box_roi=[1, 1, 2, 2]") == {
        "box_ref": "[0, 0, 4, 4]", "box_roi": "[1, 1, 2, 2]"}
    assert split_assignments("W=[1 2; 3 4]; b=[0, 1]") == {"W": "[1 2; 3 4]", "b": "[0, 1]"}


def test_flat_entries_with_params_numbers_and_lists(catalog):
    text = f"""
answers:
  - {{id: conv.output-size, params: {ALEXNET}, part: W2, answer: 55}}
  - {{id: conv.output-size, params: {ALEXNET}, part: fits, answer: yes}}
  - {{id: conv.output-size, params: {ALEXNET}, part: D2, answer: 3}}
  - {{id: detection.iou, params: {{box_ref: [0, 0, 4, 4], box_roi: [2, 2, 4, 4]}}, part: IoU, answer: 0.142857}}
  - {{id: detection.iou, params: {{box_ref: [0, 0, 4, 4], box_roi: [2, 2, 4, 4]}}, part: IoU, answer: "4/28"}}
  - {{id: detection.iou, params: {{box_ref: [0, 0, 4, 4], box_roi: [2, 2, 4, 4]}}, part: U, answer: 32}}
"""
    res = grade_text(text, catalog)
    st = [(r.status, r.mistake) for r in res.results]
    assert st[0] == ("correct", None) and st[1] == ("correct", None)
    assert st[2] == ("incorrect", "depth-is-input-depth")  # D2 is K = 96, not D1 = 3
    assert st[3][0] == "correct" and st[4][0] == "correct"
    assert st[5] == ("incorrect", "union-without-minus-i")  # 16 + 16 without − 4
    tot = res.total()
    assert tot["correct"] == 4 and tot["incorrect"] == 2 and tot["percent"] == pytest.approx(66.67)
    assert set(res.topics()) == {"conv", "detection"}


def test_bad_entries_are_invalid_with_location_and_do_not_stop_the_rest(catalog):
    text = f"""answers:
  - {{id: conv.output-size, params: {ALEXNET}, part: W2, answer: 55}}
  - {{id: conv.outputsize, seed: 1, part: W2, answer: 55}}
  - {{id: conv.output-size, params: {{W1: 227, F: -3}}, part: W2, answer: 55}}
  - {{id: conv.output-size, params: {ALEXNET}, part: W3, answer: 55}}
  - {{id: conv.output-size, params: {ALEXNET}, part: W2, answer: "55 +* 2"}}
  - {{id: conv.output-size, params: {ALEXNET}, part: W2, anwser: 55}}
  - {{id: conv.output-size, part: W2, answer: 55}}
  - just text
  - {{id: conv.output-size, params: {ALEXNET}, part: H2, answer: 55}}
"""
    res = grade_text(text, catalog, "hw.yaml")
    st = [r.status for r in res.results]
    assert st == ["correct"] + ["invalid"] * 7 + ["correct"]
    fields = [r.field for r in res.results[1:8]]
    assert fields == ["id", "params", "part", "answer", "anwser", "seed", ""]
    for r, line in zip(res.results[1:8], range(3, 10)):
        assert r.location.startswith(f"hw.yaml:{line}: entry {line - 1}"), r.location
    assert "did you mean 'conv.output-size'" in res.results[1].feedback
    assert "^" in res.results[4].caret  # the unreadable answer comes with a caret
    assert "did you mean 'answer'" in res.results[5].feedback


def test_grouped_parts_and_check_digest(catalog):
    from nncheck.generate.variant import make_variant
    from nncheck.key.model import problem_check

    v = make_variant(catalog.get("conv.param-count"), 4, {})
    good = problem_check(v)
    text = f"""answers:
  - problem: 1
    id: conv.param-count
    seed: 4
    check: "{good}"
    parts:
      biases: {v.params['K']}
      total:
  - problem: 2
    id: conv.param-count
    seed: 4
    check: "00000000"
    parts:
      biases: {v.params['K']}
"""
    res = grade_text(text, catalog)
    assert [r.status for r in res.results] == ["correct", "unanswered", "invalid"]
    assert res.results[0].entry.where == "entry 1, part biases" and res.results[0].entry.line == 7
    assert res.results[2].field == "check" and "bank" in res.results[2].feedback


def test_json_and_csv_answer_files(catalog):
    js = json.dumps([{"id": "conv.param-count", "seed": 4, "part": "biases", "answer": 10},
                     {"id": "nope", "seed": 1, "part": "x", "answer": 1}])
    res = grade_text(js, catalog, "a.json")
    assert res.format == "json" and [r.status for r in res.results][1] == "invalid"
    csv = ("id,seed,part,answer,params\n"
           "conv.output-size,,W2,55,W1=227; H1=227; D1=3; K=96; F=11; S=4; P=0\n"
           'detection.iou,,I,4,"box_ref=[0, 0, 4, 4] box_roi=[2, 2, 4, 4]"\n'
           "conv.output-size,1,W2,abc,\n"
           "conv.output-size,1,W2\n"
           "\n")
    res = grade_text(csv, catalog, "a.csv")
    assert [r.status for r in res.results] == ["correct", "correct", "invalid", "invalid"]
    assert res.results[2].location.startswith("a.csv:4: row 3: answer")
    assert "fields" in res.results[3].feedback


def test_keys_and_verdicts_are_shared(catalog):
    """Many entries on one problem build its answer key once."""
    text = "answers:\n" + "".join(
        f"  - {{id: conv.output-size, params: {ALEXNET}, part: W2, answer: {55 + (i % 3)}}}\n" for i in range(30))
    sheet = load_answers_text(text, "a.yaml")
    g = Grader(catalog)
    out = [g.grade_entry(e, "a.yaml") for e in sheet.entries]
    assert len(g._problems) == 1 and len(g._verdicts) == 3
    assert [r.status for r in out[:3]] == ["correct", "incorrect", "incorrect"]


def test_progress_callback_sees_every_entry(catalog):
    text = "".join(f"- {{id: conv.param-count, seed: {i}, part: biases, answer: 1}}\n" for i in range(1, 6))
    seen = []
    grade_sheet(load_answers_text(text, "a.yaml"), catalog, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(i, 5) for i in range(1, 6)]


def test_an_internal_error_in_one_entry_is_reported_not_raised(catalog, monkeypatch):
    import nncheck.batch.grade as batch

    real = batch.Grader.grade_entry

    def flaky(self, e, path):
        if e.index == 2:
            raise ZeroDivisionError("boom")
        return real(self, e, path)

    monkeypatch.setattr(batch.Grader, "grade_entry", flaky)
    text = "".join("- {id: conv.param-count, seed: 4, part: biases, answer: 1}\n" for _ in range(3))
    res = grade_text(text, catalog)
    assert [r.status for r in res.results][1] == "error" and "ZeroDivisionError" in res.results[1].feedback
    assert res.total()["error"] == 1 and not res.all_correct


def test_cli_table_json_and_fail_on_wrong(tmp_path):
    f = tmp_path / "hw.yaml"
    f.write_text(f"- {{id: conv.output-size, params: {ALEXNET}, part: W2, answer: 55}}\n"
                 f"- {{id: conv.output-size, params: {ALEXNET}, part: D2, answer: '[3]'}}\n", encoding="utf-8")
    r = run("grade", f)
    assert r.exit_code == 0
    assert "Total: 1 / 2 (50.0%)" in r.stdout and "conv" in r.stdout and "\x1b[" not in r.stdout
    r = run("grade", f, "--fail-on-wrong")
    assert r.exit_code == 1
    r = run("grade", f, "--json")
    data = json.loads(r.stdout)
    assert data["total"]["entries"] == 2 and data["entries"][0]["expected"] == "55"
    assert data["topics"]["conv"]["percent"] == 50.0


def test_multi_line_derivation_answers_are_kept_whole():
    text = """answers:
  - id: derive.sigmoid
    seed: 1
    part: steps
    answer: |
      d/dxi(sigma(xi)) = exp(-xi)/(1 + exp(-xi))^2
        = sigma(xi)*(1 - sigma(xi))
"""
    e = load_answers_text(text, "d.yaml").entries[0]
    assert e.answer == "d/dxi(sigma(xi)) = exp(-xi)/(1 + exp(-xi))^2\n  = sigma(xi)*(1 - sigma(xi))\n"
    csv = 'id,seed,part,answer\nderive.sigmoid,1,steps,"a = b\n  = c"\n'
    assert load_answers_text(csv, "d.csv").entries[0].answer == "a = b\n  = c"


def test_values_the_seed_drew_beside_the_entrys_own_are_listed(catalog):
    # Issue 18: no command mixes given and drawn values without listing the drawn ones.  W1 and F are
    # given, S and P take the subject's neutral defaults (1 and 0), D1 and K come from the seed.
    text = """
answers:
  - {id: conv.output-size, params: {W1: 32, F: 5}, part: W2, answer: 28}
  - {id: conv.output-size, params: """ + ALEXNET + """, part: W2, answer: 55}
  - {id: conv.output-size, seed: 3, part: D2, answer: 1}
"""
    mixed, full, seeded = grade_text(text, catalog).results
    assert mixed.status == "correct", mixed.feedback
    assert sorted(mixed.drawn) == ["D1", "K"], mixed.drawn
    assert "Drawn at random (seed 1): " in mixed.feedback and "S=" not in mixed.feedback
    assert mixed.to_json()["drawn"] == mixed.drawn
    assert full.drawn is None and "Drawn" not in full.feedback  # every value given: nothing drawn
    assert seeded.drawn is None and "drawn" not in seeded.to_json()  # a plain seed is a random draw
