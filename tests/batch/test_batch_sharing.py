"""Work shared while grading a class: one key per problem *content* (not per seed), bounded caches,
and expression answers graded inside the class's worker processes (their sandbox is a child)."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from shared_helpers import run

from nncheck.batch.grade import Grader, grade_sheet, load_answers_text
from nncheck.export.answers import key_answer_text
from nncheck.generate.variant import make_variant
from nncheck.key import cache
from nncheck.key.compute import answer_key


def _same_numbers(catalog, fid: str, seeds=range(1, 400)) -> tuple[int, int]:
    """Two seeds of ``fid`` that draw the same parameter values (found by drawing, not assumed)."""
    seen: dict = {}
    for s in seeds:
        c = cache.content_identity(make_variant(catalog.get(fid), s, {}))
        if c in seen:
            return seen[c], s
        seen[c] = s
    raise AssertionError(f"no two seeds of {fid} draw the same numbers")


def _other_numbers(catalog, fid: str, seed: int) -> int:
    mine = cache.content_identity(make_variant(catalog.get(fid), seed, {}))
    return next(s for s in range(seed + 1, seed + 400)
                if cache.content_identity(make_variant(catalog.get(fid), s, {})) != mine)


def test_seeds_that_draw_the_same_numbers_share_one_key_and_its_verdicts(catalog):
    fid = "conv.param-count"
    a, b = _same_numbers(catalog, fid)
    c = _other_numbers(catalog, fid, a)
    key = answer_key(make_variant(catalog.get(fid), a, {}))
    part = make_variant(catalog.get(fid), a, {}).parts[0]["name"]
    right = key_answer_text(key.parts[part])
    text = "answers:\n" + "".join(f"  - {{id: {fid}, seed: {s}, part: {part}, answer: {json.dumps(t)}}}\n"
                                  for s in (a, b, c) for t in (right, "12345"))
    g = Grader(catalog)
    res = grade_sheet(load_answers_text(text, "a.yaml"), catalog, grader=g)
    assert len(g._problems) == 3  # one variant per seed (a seed's own notes and checks)...
    assert len(g._keys) == 2  # ...but seeds a and b are one problem: one key, one verdict per answer text
    assert len(g._verdicts) == 4
    assert [r.status for r in res.results[:4]] == ["correct", "incorrect"] * 2
    # The same answers graded by a fresh grader per entry give the same verdicts.
    for r, e in zip(res.results, load_answers_text(text, "a.yaml").entries):
        alone = Grader(catalog).grade_entry(e, "a.yaml")
        assert (alone.status, alone.score, alone.feedback, alone.expected) == (r.status, r.score, r.feedback,
                                                                              r.expected)


def test_the_disk_cache_identity_is_the_numbers_not_the_seed(catalog):
    fid = "conv.param-count"
    a, b = _same_numbers(catalog, fid)
    va, vb = (make_variant(catalog.get(fid), s, {}) for s in (a, b))
    assert cache.identity(va) == cache.identity(vb)
    assert cache.identity(va) != cache.identity(make_variant(catalog.get(fid), _other_numbers(catalog, fid, a), {}))


def test_the_caches_stay_bounded_and_grade_alike(catalog):
    fid = "detection.iou"
    seeds = []
    s = 1
    while len(seeds) < 6:
        s = _other_numbers(catalog, fid, s)
        seeds.append(s)
    text = "answers:\n" + "".join(f"  - {{id: {fid}, seed: {s}, part: IoU, answer: 0.5}}\n" for s in seeds * 2)
    small = Grader(catalog)
    small.MAX_KEYS, small.MAX_PROBLEMS = 2, 3
    bounded = grade_sheet(load_answers_text(text, "a.yaml"), catalog, grader=small)
    assert len(small._keys) <= 2 and len(small._problems) <= 3
    whole = grade_sheet(load_answers_text(text, "a.yaml"), catalog)
    assert [(r.status, r.feedback) for r in bounded.results] == [(r.status, r.feedback) for r in whole.results]


def test_expression_answers_are_graded_in_the_class_workers(tmp_path, catalog):
    """A worker of ``--jobs`` starts its own sandbox (a child process) for expression answers."""
    fid = "backprop.activation-derivative"
    rec = catalog.get(fid)
    found = None
    for seed in range(1, 60):
        v = make_variant(rec, seed, {})
        expr = [p["name"] for p in v.parts if p["kind"] == "expression"]
        if expr:
            found = (seed, expr[0], key_answer_text(answer_key(v).parts[expr[0]]))
            break
    assert found is not None, f"no seed of {fid} asks an expression part"
    seed, part, right = found
    for i, answer in enumerate((right, f"({right}) + 1")):
        (tmp_path / "cls").mkdir(exist_ok=True)
        (tmp_path / "cls" / f"s{i}.yaml").write_text(
            f"student: s{i}\nanswers:\n  - {{id: {fid}, seed: {seed}, part: {part}, answer: {json.dumps(answer)}}}\n",
            encoding="utf-8")
    r = run("grade", tmp_path / "cls", "--json", "--jobs", 2)
    assert r.exit_code == 0, (r.stdout[-2000:], r.stderr)
    statuses = {s["student"]: [e["status"] for e in s["entries"]] for s in json.loads(r.stdout)["students"]}
    assert statuses == {"s0": ["correct"], "s1": ["incorrect"]}


def test_an_expression_part_the_same_in_every_seed_is_graded_once(catalog, monkeypatch):
    # ∂L/∂z = ŷ − y does not depend on the scores drawn: two seeds with other numbers are two keys,
    # but an answer to that part is one question, checked in the sandbox once.
    import nncheck.kinds

    fid, part = "softmax.ce-gradient", "grad_sym"
    a = 1
    b = _other_numbers(catalog, fid, a)
    calls = []
    real = nncheck.kinds.grade_answer
    monkeypatch.setattr(nncheck.kinds, "grade_answer", lambda *a, **k: calls.append(a[2]) or real(*a, **k))
    text = "answers:\n" + "".join(f"  - {{id: {fid}, seed: {s}, part: {part}, answer: {json.dumps(t)}}}\n"
                                  for t in ("yhat - y", "y - yhat", "yhat - y") for s in (a, b))
    g = Grader(catalog)
    res = grade_sheet(load_answers_text(text, "a.yaml"), catalog, grader=g)
    assert len(g._keys) == 2
    assert calls == ["yhat - y", "y - yhat"]  # each text once, for both seeds
    assert [r.status for r in res.results] == ["correct"] * 2 + ["incorrect"] * 2 + ["correct"] * 2
    for r, e in zip(res.results, load_answers_text(text, "a.yaml").entries):
        alone = Grader(catalog).grade_entry(e, "a.yaml")
        assert (alone.status, alone.score, alone.feedback, alone.mistake) == (r.status, r.score, r.feedback,
                                                                             r.mistake)


def test_what_decides_a_shared_verdict_tells_values_apart():
    import numpy as np
    import sympy

    from nncheck.batch.grade import _frozen

    assert len({_frozen(1), _frozen(1.0), _frozen(True), _frozen(Fraction(1))}) == 4
    assert _frozen(sympy.Symbol("x")) != _frozen(sympy.Symbol("x", real=True))
    m = sympy.Matrix([[1, 2]])
    assert _frozen(m) == _frozen(sympy.Matrix([[1, 2]])) != _frozen(sympy.ImmutableMatrix([[1, 2]]))
    assert _frozen(sympy.Matrix([[1, 2]])) != _frozen(sympy.Matrix([[1], [2]]))
    assert _frozen(np.array([1.0, 2.0])) != _frozen(np.array([[1.0, 2.0]]))
    assert _frozen({"a": [1, "b"]}) == _frozen({"a": [1, "b"]}) != _frozen({"a": (1, "b")})
    with pytest.raises(TypeError):
        _frozen(lambda env: env)
    with pytest.raises(TypeError):
        _frozen(np.array([sympy.Symbol("x")], dtype=object))


def test_a_check_that_ran_out_of_time_is_not_shared(catalog, monkeypatch):
    import nncheck.kinds
    from nncheck.answer.verdict import too_complex

    fid, part = "softmax.ce-gradient", "grad_sym"
    b = _other_numbers(catalog, fid, 1)
    calls = []
    monkeypatch.setattr(nncheck.kinds, "grade_answer", lambda *a, **k: calls.append(a[2]) or too_complex(
        a[2], TimeoutError("too complex to check (gave up after 2 s)")))
    text = "answers:\n" + "".join(f"  - {{id: {fid}, seed: {s}, part: {part}, answer: 'yhat - y'}}\n"
                                  for s in (1, b))
    res = grade_sheet(load_answers_text(text, "a.yaml"), catalog, grader=Grader(catalog))
    assert len(calls) == 2 and [r.status for r in res.results] == ["invalid", "invalid"]
