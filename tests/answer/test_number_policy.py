"""One numbers policy everywhere a user reads a key: no float with more than 6 significant figures.

Scans, for every family (one seed each), the text of ``solve``, the feedback of ``check`` on a
rounded and on a wrong answer, and the generated Markdown key; and, over a few seeds, that no
worked solution substitutes a negative number after an operator ("z − −1", "+ −0.5·2").
The float pattern is this test's own (it does not use the code under test): a decimal literal
with a point; integers (exact) have none, and no answer typed here has more than 3 figures.
"""

from __future__ import annotations

import re

import pytest
from shared_helpers import run

from nncheck.export import render_set
from nncheck.export.problemset import build_set
from nncheck.generate.variant import make_variant
from nncheck.key.compute import answer_key
from nncheck.kinds.values import flat_shape, to_float

#: A decimal literal (the sign outside it), in any exponent form the outputs write.
DECIMAL = re.compile(r"(?<![\w.])\d*\.\d+(?:[eE][-+−]?\d+)?(?![\w])")
MAX_FIGURES = 6
#: A negative number substituted after an operator: what a person never writes.
SIGN_SLIP = re.compile(r"[-−+]\s+[-−](?=\s*[\d(\[a-zA-Z])")


def long_floats(text: str) -> list[str]:
    out = []
    for lit in DECIMAL.findall(text):
        mantissa = re.split(r"[eE]", lit)[0].replace(".", "").lstrip("0")
        if len(mantissa) > MAX_FIGURES:
            out.append(lit)
    return out


def test_the_scanner_finds_what_it_should():
    assert long_floats("type [[0.7310585786300049, 1/2]]") == ["0.7310585786300049"]
    assert long_floats("0.731059, 123456, 1.5e-7, 0.0001234, 2/7 ≈ 0.2857") == []
    assert long_floats("1.2345678e−5") == ["1.2345678e−5"]
    assert SIGN_SLIP.search("z − −1") and SIGN_SLIP.search("0 + −0.75·4") and SIGN_SLIP.search("x - -1")
    assert not SIGN_SLIP.search("z − (−1)") and not SIGN_SLIP.search("a − 2 + b") and not SIGN_SLIP.search("−[1, 2]")


def test_solve_and_hints_print_no_long_float(catalog):
    for fid in catalog.ids():
        r = run("solve", fid, "--seed", 1)
        assert r.exit_code == 0, (fid, r.output)
        assert not long_floats(r.output), (fid, long_floats(r.output))
        hints = "\n".join(make_variant(catalog.get(fid), 1).hints())
        assert not long_floats(hints), (fid, hints)


def _near(x: float, figures: int) -> str:
    return f"{x:.{figures}g}" if x else "0"


def _answers(kind: str, exact) -> list[str]:
    """A rounded and a wrong answer for a numeric part (3 figures: never a long float typed)."""
    flat, shape = flat_shape(exact)
    values = [to_float(v) for v in flat]
    out = []
    for f in (lambda x: x, lambda x: 1.37 * x + 0.5):
        cells = [_near(f(v), 3) for v in values]
        if kind == "matrix" and len(shape) == 2:
            rows = [cells[i * shape[1]:(i + 1) * shape[1]] for i in range(shape[0])]
            out.append("[" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + "]")
        elif kind in ("vector", "matrix"):
            out.append("[" + ", ".join(cells) + "]")
        else:
            out.append(cells[0])
    return out


def test_check_feedback_prints_no_long_float(catalog):
    checked = 0
    for fid in catalog.ids():
        key = answer_key(make_variant(catalog.get(fid), 1))
        for name, kp in key.parts.items():
            if kp.kind not in ("number", "vector", "matrix") or kp.exact is None or kp.spec.get("symbols"):
                continue
            for answer in _answers(kp.kind, kp.exact):
                r = run("check", fid, "--seed", 1, "--part", name, "--answer", answer)
                assert r.exit_code in (0, 1), (fid, name, answer, r.output)
                assert not long_floats(r.output), (fid, name, answer, r.output)
                checked += 1
    assert checked > 50  # the scan reached the numeric parts of many families


def test_markdown_keys_print_no_long_float(catalog):
    for fid in catalog.ids():
        pset = build_set(catalog, families=[fid], count=1, seed=1)
        doc = render_set(pset, "md", "inline")["problems.md"].decode()
        assert "Answer key" in doc
        assert not long_floats(doc), (fid, long_floats(doc))


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_worked_solutions_never_substitute_a_negative_after_an_operator(catalog, seed):
    slips = []
    for fid in catalog.ids():
        key = answer_key(make_variant(catalog.get(fid), seed))
        for kp in key.parts.values():
            for line in [*key.preamble, *kp.steps]:
                if SIGN_SLIP.search(line):
                    slips.append(f"{fid} seed {seed} ({kp.name}): {line}")
    assert not slips, "\n".join(slips)


def test_grade_reports_print_no_long_float(catalog, tmp_path):
    # The grade table, the per-student Markdown report and the JSON's "expected" show each key by the
    # policy: a wrong answer and an unreadable one to every numeric part of every family (seed 1).
    lines = ["answers:"]
    for fid in catalog.ids():
        key = answer_key(make_variant(catalog.get(fid), 1))
        for name, kp in key.parts.items():
            if kp.kind in ("number", "vector", "matrix") and kp.exact is not None and not kp.spec.get("symbols"):
                wrong = _answers(kp.kind, kp.exact)[1]
                lines.append(f"  - {{id: {fid}, seed: 1, part: {name}, answer: '{wrong}'}}")
                lines.append(f"  - {{id: {fid}, seed: 1, part: {name}, answer: '2 +* ('}}")
    answers = tmp_path / "alice.yaml"
    answers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = tmp_path / "report.md"  # one answer file: the report is one file
    r = run("grade", str(answers), "--report", str(report))
    assert r.exit_code in (0, 1), r.output
    assert "expected" in r.output and not long_floats(r.output), long_floats(r.output)
    text = report.read_text(encoding="utf-8")
    assert "expected" in text and not long_floats(text), long_floats(text)
    data = run("grade", str(answers), "--json")
    expected = [e["expected"] for e in __import__("json").loads(data.stdout)["entries"] if e.get("expected")]
    assert len(expected) > 50 and not long_floats(" ".join(expected)), long_floats(" ".join(expected))
