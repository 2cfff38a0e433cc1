"""generate: byte-identical output, each format's content, the exam layout, and bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from shared_helpers import one_line_error, run

from nncheck.export import render_set
from nncheck.export.problemset import EXAM_SECTIONS, build_set


def _files(root) -> dict[str, bytes]:
    out = {}
    for dirpath, _dirs, names in os.walk(root):
        for n in names:
            p = os.path.join(dirpath, n)
            out[os.path.relpath(p, root)] = open(p, "rb").read()
    return out


@pytest.mark.parametrize("fmt, key, exam", [("md", "inline", False), ("tex", "separate", True),
                                            ("json", "inline", False), ("moodle", "inline", True)])
def test_same_seed_gives_byte_identical_files(tmp_path, fmt, key, exam):
    args = ["generate", "--seed", 99, "--count", 14, "--format", fmt, "--key", key] + (["--exam"] if exam else [])
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert run(*args, "-o", a).exit_code == 0
    assert run(*args, "-o", b).exit_code == 0
    fa, fb = _files(a), _files(b)
    assert fa == fb and "answers.yaml" in fa
    r = run(*[x if x != 99 else 100 for x in args], "-o", c)
    assert r.exit_code == 0 and _files(c) != fa


def test_markdown_has_math_key_and_svg_diagrams(catalog):
    pset = build_set(catalog, topics=["detection", "conv"], count=12, seed=4)
    files = render_set(pset, "md", "inline")
    doc = files["problems.md"].decode()
    assert "$W_{1}\\times H_{1}\\times D_{1}" in doc or "$W_{1}" in doc
    assert "Answer key, problem 1" in doc and "(type `" in doc
    figs = [n for n in files if n.endswith(".svg")]
    assert figs, "IoU/bbox and conv problems get diagrams"
    for n in figs:
        assert f"]({n})" in doc
        root = ET.fromstring(files[n])
        assert root.tag.endswith("svg") and len(list(root.iter("{http://www.w3.org/2000/svg}rect"))) >= 2
    assert "⎡" not in doc and "⎣" not in doc  # bracket blocks become LaTeX matrices
    sep = render_set(pset, "md", "separate")
    assert "Answer key" not in sep["problems.md"].decode() and "Answer key" in sep["key.md"].decode()
    none = render_set(pset, "md", "none")
    assert "key.md" not in none and "Answer key" not in none["problems.md"].decode()


def test_box_diagram_is_drawn_in_image_coordinates(catalog):
    from nncheck.export.diagrams import boxes_of, svg_boxes, tikz_boxes
    from nncheck.generate.variant import make_variant

    v = make_variant(catalog.get("detection.iou"), 1, {"box_ref": "[1, 2, 4, 3]", "box_roi": "[3, 3, 4, 4]"})
    boxes = boxes_of(v)
    assert boxes == [("box_ref", [1.0, 2.0, 4.0, 3.0]), ("box_roi", [3.0, 3.0, 4.0, 4.0])]
    svg = ET.fromstring(svg_boxes(boxes))
    rects = [r.attrib for r in svg.iter("{http://www.w3.org/2000/svg}rect") if r.attrib.get("stroke-width") == "2"]
    ref, roi = rects
    # y grows down: the box with the larger y is drawn lower; sizes scale with w and h.
    assert float(roi["y"]) > float(ref["y"]) and float(ref["width"]) / float(ref["height"]) == pytest.approx(4 / 3)
    tikz = tikz_boxes(boxes)
    assert "y=-" in tikz and "(1,2) rectangle ++(4,3)" in tikz and "(3,3) rectangle ++(2,2)" in tikz  # overlap


def test_json_holds_the_full_data(catalog):
    pset = build_set(catalog, count=len(catalog.records), seed=8)
    data = json.loads(render_set(pset, "json", "inline")["problems.json"])
    assert data["count"] == len(data["problems"]) == len(catalog.records)
    for p in data["problems"]:
        assert p["prompt"] and isinstance(p["params"], dict) and p["check"]
        for part in p["parts"]:
            assert {"name", "kind", "prompt", "answer", "answer_text", "solution"} <= set(part)
    bare = json.loads(render_set(pset, "json", "none")["problems.json"])
    assert all("answer" not in part for p in bare["problems"] for part in p["parts"])
    sep = render_set(pset, "json", "separate")
    assert json.loads(sep["key.json"])["problems"][0]["parts"][0]["answer_text"] is not None


def test_moodle_xml_parses_with_tolerances_and_feedback(catalog):
    pset = build_set(catalog, count=len(catalog.records), seed=6)
    xml = render_set(pset, "moodle", "inline")["questions.xml"]
    root = ET.fromstring(xml)
    assert root.tag == "quiz"
    qs = [q for q in root.findall("question") if q.get("type") != "category"]
    assert len(qs) == pset.answer_count
    types = {q.get("type") for q in qs}
    assert "numerical" in types
    for q in qs:
        assert q.find("name/text").text and q.find("questiontext/text").text
        assert q.find("generalfeedback/text").text.startswith("<p>Answer:")
        if q.get("type") == "numerical":
            ans = q.find("answer")
            assert ans.get("fraction") == "100"
            float(ans.find("text").text)
            assert float(ans.find("tolerance").text) >= 0
    # Moodle's absolute tolerance is the grader's tolerance around the answer (±0.5% unless the part says).
    from nncheck.kinds.tolerance import close_enough, tolerance_spec

    parts = {(p.number, s["name"]): s for p in pset.problems for s in p.parts}
    for q in qs:
        if q.get("type") != "numerical":
            continue
        num, rest = q.find("name/text").text.split(": problem ", 1)[1].split(" ", 1)
        spec = parts[(int(num.rstrip(")").split("(")[0]), rest.rsplit(" ", 1)[1])]
        x, tol = float(q.find("answer/text").text), float(q.find("answer/tolerance").text)
        if spec["kind"] == "integer":
            assert tol == 0
        else:
            t = tolerance_spec(spec)
            assert close_enough(x + tol * 0.999, x, t) and not close_enough(x + tol * 1.01 + 1e-12, x, t)
    for q in root.iter("question"):
        for f in q.iter("file"):
            ET.fromstring(__import__("base64").b64decode(f.text))  # the attached SVG is well-formed


def test_exam_layout_follows_the_seed_exam(catalog):
    pset = build_set(catalog, exam=True, seed=21)
    assert 8 <= len(pset.problems) <= 10
    assert all(1 <= len(p.parts) <= 3 for p in pset.problems)
    names = [s for s, _ in pset.sections()]
    order = [t for t, _ in EXAM_SECTIONS] + ["Other topics"]
    assert names == sorted(names, key=order.index) and len(names) == len(set(names))
    assert all(p.variant.family.get("exam", True) for p in pset.problems)
    doc = render_set(pset, "md", "none")["problems.md"].decode()
    assert "No calculators" in doc and "8-10 problems" in doc
    for section in names:
        assert f"## {section.replace('&', '&')}" in doc


def test_latex_escapes_bank_text(catalog):
    from nncheck.export.mathtext import latex_escape_text, latex_text, latex_word

    assert latex_escape_text("50% of $x & y_1 #2 {a} ~ \\") == (
        r"50\% of \$x \& y\_1 \#2 \{a\} \textasciitilde{} \textbackslash{}")
    assert latex_word("W₁") == "W_{1}" and latex_word("ξ⁽¹⁾") == "{\\xi}^{(1)}"
    assert latex_word("x_REF") == "x_{\\mathrm{REF}}" and latex_word("ŷ") == "\\hat{y}"
    assert latex_text("σ′(ξ) = σ(ξ)(1 − σ(ξ))") == \
        "${\\sigma}^{\\prime}({\\xi}) = {\\sigma}({\\xi})(1 - {\\sigma}({\\xi}))$"
    from nncheck.lang.template import render

    block = render("W₁ = {W|mat} and b = {b|col}", {"W": [[1, -2], [3, 4]], "b": [5, 6]})
    assert "⎡" in block
    tex = latex_text(block)
    assert tex == ("$W_{1} = \\begin{bmatrix}1 & -2 \\\\ 3 & 4\\end{bmatrix}$ and "
                   "$b = \\begin{bmatrix}5 \\\\ 6\\end{bmatrix}$"), tex
    assert "\\cdoth" not in latex_text("w1*h + σ") and "\\cdot h" in latex_text("w1*h + σ")
    assert latex_text("√(Var + ε)").count("$") % 2 == 0 and "\\sqrt$" not in latex_text("√(Var + ε)")


def test_bad_generate_input_is_one_line(tmp_path):
    one_line_error(run("generate", "--format", "docx", "-o", tmp_path / "x"), "docx")
    one_line_error(run("generate", "--key", "maybe", "-o", tmp_path / "x"), "maybe")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    one_line_error(run("generate", "--seed", 1, "-n", 2, "-o", blocker), "cannot write to", "not a directory")
    one_line_error(run("generate", "--seed", 1, "-n", 2, "-o", blocker / "sub"), "cannot write to")
    one_line_error(run("generate", "--seed", 1, "--topic", "nosuchtopic", "-o", tmp_path / "y"), "unknown topic")
    one_line_error(run("generate", "--seed", 1, "--format", "moodle", "--key", "none", "-o", tmp_path / "z"),
                   "Moodle questions need their answers")
    one_line_error(run("generate", "--seed", 1, "--count", 0, "-o", tmp_path / "w"), "count")
    if os.geteuid() != 0:  # root writes anywhere: only a real user sees permissions
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        one_line_error(run("generate", "--seed", 1, "-n", 2, "-o", ro / "set"), "cannot write to")


def test_generate_json_summary(tmp_path):
    r = run("generate", "--seed", 3, "-n", 3, "--json", "-o", tmp_path / "s")
    data = json.loads(r.stdout)
    assert data["seed"] == 3 and len(data["problems"]) == 3 and "answers.yaml" in data["files"]


def test_identical_across_processes_and_hash_seeds(tmp_path):
    """Two fresh processes with different PYTHONHASHSEED write the same bytes (no set/dict-order leaks)."""
    import sys

    exe = shutil.which("nncheck", path=os.path.dirname(sys.executable)) or "nncheck"
    outs = []
    for hs in ("1", "2"):
        out = tmp_path / f"h{hs}"
        env = dict(os.environ, PYTHONHASHSEED=hs)
        r = subprocess.run([exe, "generate", "--seed", "5", "-n", "12", "--exam", "-o", str(out)], env=env,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        outs.append(_files(out))
    assert outs[0] == outs[1]


def test_a_format_is_one_row_in_the_registry(tmp_path, monkeypatch):
    """`generate --format` reads nncheck.export.FORMATS: a new row is a new format, end to end."""
    import sys
    import types

    from nncheck import export

    plain = types.ModuleType("nncheck_test_plainfmt")

    def render_plain(pset, key):
        return {"problems.txt": "\n".join(p.variant.id for p in pset.problems).encode()}

    plain.render_plain = render_plain  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "nncheck_test_plainfmt", plain)
    monkeypatch.setitem(export.FORMATS, "plain", ("nncheck_test_plainfmt:render_plain", "plain text"))
    r = run("generate", "--seed", 4, "-n", 2, "--format", "PLAIN", "-o", tmp_path / "set")
    assert r.exit_code == 0, r.stderr
    assert sorted(os.listdir(tmp_path / "set")) == ["answers.yaml", "problems.txt"]
    assert len((tmp_path / "set" / "problems.txt").read_text().split("\n")) == 2
    assert "plain (plain text)" in export.format_help()
