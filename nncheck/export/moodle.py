"""Moodle XML: one question per part, for import into an LMS question bank.

* number and integer parts: ``numerical`` questions with their tolerance (Moodle's
  tolerance is absolute, so a relative one becomes ``rel·|answer|``);
* vectors and matrices: ``cloze`` questions with one NUMERICAL blank per entry;
* yes/no parts: ``truefalse``; choice parts: ``multichoice``; "does not fit": ``shortanswer``;
* expressions and derivations: ``essay`` (Moodle cannot test equivalence), with the key
  in the grader information.

The worked solution is every question's general feedback.  Math is written for
Moodle's MathJax filter as ``\\( … \\)``; diagrams travel inside the XML as SVG files.
The XML is built with ElementTree, never by pasting strings.
"""

from __future__ import annotations

import base64
import html
import math
import xml.etree.ElementTree as ET

from nncheck.export.answers import key_answer_text, key_latex
from nncheck.export.diagrams import diagram_of, svg_diagram
from nncheck.export.mathtext import convert_line, template_lines, text_lines

PENALTY = "0.3333333"


def _html_lines(lines: list[list]) -> str:
    rows = [convert_line(line, math=lambda m: f"\\({m}\\)", text=html.escape) for line in lines]
    return "<br>\n".join(r for r in rows if r.strip())


def _html_text(text: str) -> str:
    return _html_lines(text_lines(text))


def _text(parent, tag: str, value: str, fmt: str | None = "html"):
    el = ET.SubElement(parent, tag)
    if fmt:
        el.set("format", fmt)
    ET.SubElement(el, "text").text = value
    return el


def _question(quiz, qtype: str, name: str, text_html: str, feedback_html: str, files: list[tuple[str, bytes]]):
    q = ET.SubElement(quiz, "question", {"type": qtype})
    n = ET.SubElement(q, "name")
    ET.SubElement(n, "text").text = name
    qt = _text(q, "questiontext", text_html)
    for fname, data in files:
        f = ET.SubElement(qt, "file", {"name": fname, "path": "/", "encoding": "base64"})
        f.text = base64.b64encode(data).decode("ascii")
    _text(q, "generalfeedback", feedback_html)
    ET.SubElement(q, "defaultgrade").text = "1.0000000"
    ET.SubElement(q, "penalty").text = PENALTY
    ET.SubElement(q, "hidden").text = "0"
    return q


def _answer(q, fraction: int, text: str, feedback: str = "", tolerance: str | None = None):
    a = ET.SubElement(q, "answer", {"fraction": str(fraction), "format": "moodle_auto_format"})
    ET.SubElement(a, "text").text = text
    if tolerance is not None:
        ET.SubElement(a, "tolerance").text = tolerance
    _text(a, "feedback", html.escape(feedback) if feedback else "")
    return a


def abs_tolerance(spec: dict, value: float, integer: bool = False) -> float:
    """Moodle's absolute tolerance for the grader's tolerance around ``value``."""
    if integer:
        return 0.0
    from nncheck.answer.grade import tolerance_spec

    tol = tolerance_spec(spec)
    if tol.get("sigfigs"):
        if value == 0:
            return 10.0 ** (-tol["sigfigs"])
        mag = math.floor(math.log10(abs(value)))
        return 0.5 * 10.0 ** (mag - tol["sigfigs"] + 1)
    return max(tol.get("abs") or 0.0, (tol.get("rel") or 0.0) * abs(value))


def _num(x: float) -> str:
    """A float for Moodle: enough digits to be within any tolerance, no exponent noise."""
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(round(x, 12))


def _g(x: float) -> str:
    return f"{x:.6g}"


def render_moodle(pset, key: str = "inline") -> dict[str, bytes]:
    from nncheck.errors import UsageError

    if key == "none":
        raise UsageError("Moodle questions need their answers: use --key inline (or separate) with --format moodle")
    from nncheck.key.compute import flat_shape, to_float

    quiz = ET.Element("quiz")
    cat = ET.SubElement(quiz, "question", {"type": "category"})
    c = ET.SubElement(cat, "category")
    ET.SubElement(c, "text").text = f"$course$/top/nncheck/{pset.title}"
    for p in pset.problems:
        v = p.variant
        prompt_html = "<p>" + _html_lines(template_lines(v, v.family["prompt"])) + "</p>"
        files = []
        svg = svg_diagram(diagram_of(v))
        if svg is not None:
            fname = f"problem-{p.number:02d}.svg"
            files.append((fname, svg.encode("utf-8")))
            prompt_html += f'\n<p><img src="@@PLUGINFILE@@/{fname}" alt="diagram for problem {p.number}"></p>'
        for i, spec in enumerate(p.parts):
            kp = p.key.parts[spec["name"]]
            label = p.part_label(i)
            name = f"{pset.title}: problem {p.number}{label} {v.id} {spec['name']}"
            part_html = f"<p><b>{label}</b> " + _html_lines(template_lines(v, spec["prompt"])) + "</p>"
            steps = list(p.key.preamble) + list(kp.steps)
            typed = key_answer_text(kp)
            fb = f"<p>Answer: \\({key_latex(kp)}\\)" + (f" (typed: <code>{html.escape(typed)}</code>)" if typed else "")
            fb += "</p>"
            if steps:
                fb += "\n<ol>\n" + "\n".join(f"<li>{_html_text(s)}</li>" for s in steps) + "\n</ol>"
            text = prompt_html + "\n" + part_html
            kind, exact = kp.kind, kp.exact
            if exact is None:
                q = _question(quiz, "shortanswer", name, text + "\n<p>(Type <i>none</i> if it does not fit.)</p>",
                              fb, files)
                ET.SubElement(q, "usecase").text = "0"
                _answer(q, 100, "none", "Correct: it does not fit.")
                _answer(q, 100, "does not fit", "Correct: it does not fit.")
            elif kind in ("number", "integer"):
                x = to_float(exact)
                q = _question(quiz, "numerical", name, text, fb, files)
                _answer(q, 100, _num(x), "Correct.", _g(abs_tolerance(spec, x, kind == "integer")))
                ET.SubElement(q, "unitgradingtype").text = "0"
                ET.SubElement(q, "unitpenalty").text = "0.1000000"
                ET.SubElement(q, "showunits").text = "3"
                ET.SubElement(q, "unitsleft").text = "0"
            elif kind == "boolean":
                q = _question(quiz, "truefalse", name, text, fb, files)
                _answer(q, 100 if exact else 0, "true")
                _answer(q, 0 if exact else 100, "false")
            elif kind == "choice":
                q = _question(quiz, "multichoice", name, text, fb, files)
                ET.SubElement(q, "single").text = "true"
                ET.SubElement(q, "shuffleanswers").text = "false"
                ET.SubElement(q, "answernumbering").text = "abc"
                for choice in spec.get("choices") or [str(exact)]:
                    _answer(q, 100 if str(choice) == str(exact) else 0, html.escape(str(choice)))
            elif kind in ("vector", "matrix"):
                flat, shape = flat_shape(exact)
                cols = shape[1] if kind == "matrix" and len(shape) == 2 else len(flat)
                cells = []
                for x in flat:
                    fx = to_float(x)
                    cells.append(f"{{1:NUMERICAL:={_num(fx)}:{_g(abs_tolerance(spec, fx))}}}")
                rows = [cells[k:k + cols] for k in range(0, len(cells), cols)]
                table = "<table>\n" + "\n".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>"
                                                for r in rows) + "\n</table>"
                _question(quiz, "cloze", name, text + "\n" + table, fb, files)
            else:  # expression, derivation: Moodle cannot check equivalence, so a person grades it
                q = _question(quiz, "essay", name, text, fb, files)
                ET.SubElement(q, "responseformat").text = "plain"
                ET.SubElement(q, "responserequired").text = "1"
                ET.SubElement(q, "responsefieldlines").text = "8" if kind == "derivation" else "3"
                ET.SubElement(q, "attachments").text = "0"
                _text(q, "graderinfo", fb)
    ET.indent(quiz, space="  ")
    body = ET.tostring(quiz, encoding="unicode")
    return {"questions.xml": ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")}
