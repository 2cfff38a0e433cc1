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
import xml.etree.ElementTree as ET

from nncheck import kinds
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


def abs_tolerance(spec: dict, value: float) -> float:
    """Moodle's absolute tolerance for the grader's tolerance around ``value`` (0 for an exact kind)."""
    return kinds.get(spec["kind"]).half_width(spec, value)


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
    from nncheck.kinds.values import to_float

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
            kind, exact = kinds.get(kp.kind), kp.exact
            if exact is None:
                q = _question(quiz, "shortanswer", name, text + "\n<p>(Type <i>none</i> if it does not fit.)</p>",
                              fb, files)
                ET.SubElement(q, "usecase").text = "0"
                _answer(q, 100, "none", "Correct: it does not fit.")
                _answer(q, 100, "does not fit", "Correct: it does not fit.")
            elif kind.moodle == "numerical":
                x = to_float(exact)
                q = _question(quiz, "numerical", name, text, fb, files)
                _answer(q, 100, _num(x), "Correct.", _g(abs_tolerance(spec, x)))
                ET.SubElement(q, "unitgradingtype").text = "0"
                ET.SubElement(q, "unitpenalty").text = "0.1000000"
                ET.SubElement(q, "showunits").text = "3"
                ET.SubElement(q, "unitsleft").text = "0"
            elif kind.moodle == "truefalse":
                q = _question(quiz, "truefalse", name, text, fb, files)
                _answer(q, 100 if exact else 0, "true")
                _answer(q, 0 if exact else 100, "false")
            elif kind.moodle == "multichoice":
                q = _question(quiz, "multichoice", name, text, fb, files)
                ET.SubElement(q, "single").text = "true"
                ET.SubElement(q, "shuffleanswers").text = "false"
                ET.SubElement(q, "answernumbering").text = "abc"
                for choice in spec.get("choices") or [str(exact)]:
                    _answer(q, 100 if str(choice) == str(exact) else 0, html.escape(str(choice)))
            elif kind.moodle == "cloze":  # one NUMERICAL blank per entry, laid out as the value's rows
                rows = [[f"{{1:NUMERICAL:={_num(fx)}:{_g(abs_tolerance(spec, fx))}}}"
                         for fx in (to_float(x) for x in row)] for row in kind.rows(exact)]
                table = "<table>\n" + "\n".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>"
                                                for r in rows) + "\n</table>"
                _question(quiz, "cloze", name, text + "\n" + table, fb, files)
            else:  # essay: Moodle cannot check equivalence, so a person grades it
                q = _question(quiz, "essay", name, text, fb, files)
                ET.SubElement(q, "responseformat").text = "plain"
                ET.SubElement(q, "responserequired").text = "1"
                ET.SubElement(q, "responsefieldlines").text = "8" if kind.multiline else "3"
                ET.SubElement(q, "attachments").text = "0"
                _text(q, "graderinfo", fb)
    ET.indent(quiz, space="  ")
    body = ET.tostring(quiz, encoding="unicode")
    return {"questions.xml": ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")}
