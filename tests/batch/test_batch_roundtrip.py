"""The loop instructor -> student -> grade: generate a set, fill its blank answer file, grade it."""

from __future__ import annotations

import json

import pytest
import yaml
from shared_helpers import run

from nncheck.batch.grade import grade_sheet, load_answers_text
from nncheck.export.answers import blank_answer_file, key_answer_text
from nncheck.export.problemset import build_set
from nncheck.kinds.values import flat_shape, number_text, to_list


def _fill(blank: str, answers: dict) -> str:
    """Fill a blank answer file as a student would (YAML in, YAML out); answers[(problem, part)]."""
    data = yaml.safe_load(blank)
    for item in data["answers"]:
        for part in item["parts"]:
            if (item["problem"], part) in answers:
                item["parts"][part] = answers[(item["problem"], part)]
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def test_cli_round_trip_key_answers_score_100(tmp_path):
    """generate (JSON and its blank file), fill from the key, grade: 100%, exit 0 even with --fail-on-wrong."""
    out = tmp_path / "set"
    r = run("generate", "--seed", 11, "--count", 12, "--format", "json", "-o", out)
    assert r.exit_code == 0, r.stderr
    data = json.loads((out / "problems.json").read_text(encoding="utf-8"))
    answers = {(p["number"], part["name"]): part["answer_text"] for p in data["problems"] for part in p["parts"]}
    blank = (out / "answers.yaml").read_text(encoding="utf-8")
    filled = tmp_path / "filled.yaml"
    filled.write_text(_fill(blank, answers), encoding="utf-8")
    r = run("grade", filled, "--json", "--fail-on-wrong")
    assert r.exit_code == 0, r.stdout[-2000:]
    res = json.loads(r.stdout)
    assert res["total"]["entries"] == data["answers"] == len(answers)
    assert res["total"]["correct"] == res["total"]["entries"]
    assert res["total"]["percent"] == 100.0
    assert set(res["topics"]) == {p["topic"] for p in data["problems"]}
    # The blank file itself is accepted too: every answer is reported as not given, nothing invalid.
    r = run("grade", out / "answers.yaml", "--json")
    assert r.exit_code == 0
    blank_res = json.loads(r.stdout)["total"]
    assert blank_res["unanswered"] == len(answers) and blank_res["invalid"] == 0


def test_round_trip_every_family(catalog):
    """Every family in the catalog: the key typed in the answer language grades as correct."""
    pset = build_set(catalog, count=2 * len(catalog.records), seed=3)
    answers = {(p.number, s["name"]): key_answer_text(p.key.parts[s["name"]]) for p in pset.problems for s in p.parts}
    sheet = load_answers_text(_fill(blank_answer_file(pset), answers), "filled.yaml")
    res = grade_sheet(sheet, catalog)
    bad = [(r.entry.family, r.entry.part, r.entry.answer, r.feedback) for r in res.results if r.status != "correct"]
    assert not bad
    assert {p.variant.id for p in pset.problems} == set(catalog.ids())


def _mistake_text(kind: str, value) -> str | None:
    if value is None:
        return "none"
    if kind == "boolean":
        return "yes" if value else "no"
    if kind in ("vector", "matrix"):
        if kind == "vector":
            flat, _ = flat_shape(value)
            return "[" + ", ".join(number_text(x) for x in flat) + "]"
        return "[" + ", ".join("[" + ", ".join(number_text(x) for x in row) + "]" for row in to_list(value)) + "]"
    if kind in ("number", "integer"):
        return number_text(value)
    if kind == "expression":
        from nncheck.kinds.values import sympy_text

        return sympy_text(value)
    return None


def _distinct(spec: dict, kp, value) -> bool:
    """Whether a mistake's value is told apart from the key under the part's tolerance."""
    from nncheck.kinds.tolerance import close_enough, tolerance_spec
    from nncheck.kinds.values import to_float

    if kp.exact is None or value is None or spec["kind"] not in ("number", "integer", "vector", "matrix"):
        return True
    a, _ = flat_shape(value)
    b, _ = flat_shape(kp.exact)
    if len(a) != len(b):
        return True
    tol = tolerance_spec(spec)
    return not all(close_enough(to_float(x), to_float(y), tol) for x, y in zip(a, b))


def test_round_trip_known_mistakes_are_named(catalog):
    """Fill the set with the values of declared mistakes: each is graded wrong and the mistake is named."""
    pset = build_set(catalog, count=3 * len(catalog.records), seed=5)
    answers, expected = {}, {}
    for p in pset.problems:
        for s in p.parts:
            for _mid, _msg, value in p.key.mistakes_for(s["name"]):
                if not _distinct(s, p.key.parts[s["name"]], value):
                    continue  # within tolerance of the key: graded correct, by design
                text = _mistake_text(s["kind"], value)
                if text is not None and (p.number, s["name"]) not in answers:
                    answers[(p.number, s["name"])] = text
                    # Two mistakes may give the same value here: any of them is a right diagnosis.
                    expected[(p.number, s["name"])] = {m for m, _, v in p.key.mistakes_for(s["name"])
                                                       if _mistake_text(s["kind"], v) == text}
    assert len(answers) >= 10, "the catalog declares too few mistakes to test"
    sheet = load_answers_text(_fill(blank_answer_file(pset), answers), "mistakes.yaml")
    res = grade_sheet(sheet, catalog)
    graded = {(int(r.entry.problem), r.entry.part): r for r in res.results if r.entry.answer is not None}
    assert set(graded) == set(answers)
    wrong_named = [k for k, r in graded.items() if r.status == "incorrect" and r.mistake in expected[k]]
    # A mistake's value that follows from the same file's mistaken earlier answers (∇b⁽²⁾L summed from a
    # ∇ξ⁽²⁾L without its 1/n) earns its marks by error carried forward, which its feedback says.
    carried = [k for k, r in graded.items() if r.status == "correct" and r.carried_forward
               and r.feedback.startswith("Correct given your ")]
    # Every other declared mistake that is told apart from the key must be named.
    missed = [(k, graded[k].status, graded[k].mistake, graded[k].feedback) for k in answers
              if k not in wrong_named and k not in carried]
    assert not missed


def test_mistake_names_reach_the_cli_report(tmp_path, catalog):
    pset = build_set(catalog, families=["conv.output-size"], count=1, seed=2)
    p = pset.problems[0]
    key = p.key
    # D2 answered with the input depth D1 (a declared mistake) when D1 != K; otherwise W2 + 1.
    if p.variant.params["D1"] != p.variant.params["K"]:
        answers = {(1, "D2"): str(p.variant.params["D1"])}
        want = "depth-is-input-depth"
    else:
        pytest.skip("this draw has D1 == K")
    f = tmp_path / "a.yaml"
    f.write_text(_fill(blank_answer_file(pset), answers), encoding="utf-8")
    rep = tmp_path / "report.md"
    r = run("grade", f, "--report", rep)
    assert r.exit_code == 0
    assert want in r.stdout
    text = rep.read_text(encoding="utf-8")
    assert want in text and "## By topic" in text and "| conv |" in text
    assert key.parts["D2"] is not None
