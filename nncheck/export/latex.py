"""LaTeX problem sets for pdflatex, laid out as a paper exam and its key (the ``exam`` class).

``problems.tex`` is what students get: a header with name, ID and (for an exam) the time allowed and
the rules of the ECE 417 final-exam review, then numbered problems with their points, the
statements with displayed matrices, the figures, and a box sized to each part for the answer.  The
key (``key.tex``, or inline with ``--key inline``) repeats the problems and gives each part's answer
exactly and to 4 significant figures, with the worked solution.  Nothing on the students' paper
names the tool: instructions for ``nncheck grade`` are in the key.

Packages: amsmath, amssymb, geometry (TeX Live's latex-base), tikz (pictures), exam, needspace,
adjustbox (latex-extra); the default Computer Modern fonts, so no font is generated at compile
time.  There is no \\today: one seed gives one file.
"""

from __future__ import annotations

import math
from typing import Any

from nncheck import __version__, kinds
from nncheck.export.answers import key_answer_text, latex_exact, tolerance_text
from nncheck.export.diagrams import diagram_of, tikz_diagram, tikz_height_cm
from nncheck.export.mathtext import (
    formula_latex,
    latex_block,
    latex_escape_text,
    latex_matrix,
    latex_text,
    notation_of,
    prose_lines,
    text_lines,
)
from nncheck.kinds.base import TeX
from nncheck.lang.numbers import approx

#: Points of a part, by its answer kind: roughly the work it takes by hand.
PART_POINTS = {"boolean": 2, "choice": 2, "integer": 3, "number": 4, "vector": 5, "matrix": 6,
               "expression": 5, "matexpr": 6, "derivation": 10}
#: Height (cm) of a part's answer box, room for the work as well as the answer: one line for a yes/no,
#: a short box for a number, a medium one for an expression, most of a half page for a derivation.  A
#: vector or matrix adds a line per row it needs (:func:`_box_cm`).
BOX_CM = {"boolean": 1.0, "choice": 1.0, "integer": 2.4, "number": 3.0, "vector": 3.0, "matrix": 2.6,
          "expression": 4.5, "matexpr": 5.0, "derivation": 10.0}
ROW_CM = 0.8  # one handwritten row of a matrix
VECTOR_ROW = 6  # entries of a vector that fit on one handwritten line
LINE_CM = 0.48  # one line of 11 pt text
MAX_KEEP_LINES = 40  # never ask for more than most of a page to stay together
SECTION_CM = 1.2  # a section heading and the space around it
MAX_KEEP_CM = 21.0  # the text height of a letter page, less the header and a margin

PREAMBLE = r"""\documentclass[11pt]{exam}
\usepackage{amsmath,amssymb}
\usepackage[letterpaper,margin=2cm,headsep=0.6cm,footskip=1cm]{geometry}
\usepackage{tikz}
\usepackage{needspace}
\usepackage{adjustbox}
\setlength{\parindent}{0pt}
\setlength{\parskip}{4pt}
\sloppy
\renewcommand{\labelitemi}{$\bullet$}% the text bullet would need a bitmap font in this encoding
\pagestyle{headandfoot}
\newcommand{\problemtitle}{}
\newcommand{\problempoints}{}
\qformat{\parbox[t]{\dimexpr\linewidth-2.8cm\relax}{\raggedright\textbf{Problem \thequestion.}\enspace
  \problemtitle}\hfill\textbf{[\problempoints\ points]}}
\bracketedpoints
\renewcommand{\solutiontitle}{\noindent\textbf{Solution.}\enspace}
\shadedsolutions
\definecolor{SolutionColor}{gray}{0.93}
\newcommand{\examsection}[1]{\needspace{6\baselineskip}\uplevel{\large\bfseries #1}}
\newcommand{\namefield}{\noindent\textbf{Name:}\enspace\hrulefill\qquad\textbf{Student ID:}\enspace
  \makebox[5cm]{\hrulefill}\par}
"""


# ----------------------------------------------------------------------------
# Numbers in the key: exact, and to 4 significant figures beside it.
# ----------------------------------------------------------------------------
def sig_figs(x: float, digits: int = 4) -> str:
    """``x`` to ``digits`` significant figures by the numbers policy, as LaTeX (0.7311, 25.12,
    -1.5\\times 10^{-5}): the policy's text with its exponent set as a power of ten."""
    if not math.isfinite(x):
        return r"\text{" + str(x) + "}"
    mant, e, exp = approx(x, digits).partition("e")
    return f"{mant}\\times 10^{{{int(exp)}}}" if e else mant


def _exact_number(x: Any) -> str:
    return latex_exact(x, beside=False)


def _approx_number(x: Any) -> str:
    if isinstance(x, bool):
        return _exact_number(x)
    try:
        return sig_figs(float(x))
    except (TypeError, ValueError):
        return _exact_number(x)


class KeyTeX(TeX):
    """The key's LaTeX: entries exact (``approx=False``) or to 4 significant figures."""

    def __init__(self, approx: bool):
        self.approx = approx

    def number(self, x: Any) -> str:
        return _approx_number(x) if self.approx else _exact_number(x)

    def expression(self, x: Any) -> str:
        import sympy

        return str(sympy.latex(x, ln_notation=True))

    def matrix(self, rows: list[list[str]]) -> str:
        return latex_matrix(rows)

    def text(self, s: str) -> str:
        return r"\text{" + latex_escape_text(s) + "}"


EXACT, APPROX = KeyTeX(False), KeyTeX(True)


def key_value_latex(kp) -> str:
    """A part's key as math: the exact value, and ``\\approx`` its value to 4 significant figures when
    that reads differently."""
    kind = kinds.get(kp.kind)
    exact = kind.latex(kp.exact, EXACT)
    approx = kind.latex(kp.exact, APPROX) if kp.exact is not None else exact
    return exact if approx == exact else f"{exact} \\approx {approx}"


# ----------------------------------------------------------------------------
# Problems.
# ----------------------------------------------------------------------------
def part_points(spec) -> int:
    return PART_POINTS.get(spec["kind"], 4)


def problem_points(p) -> int:
    return sum(part_points(spec) for spec in p.parts)


def grade_tables(pset, per_row: int = 10) -> list[str]:
    """The cover's table of points per problem, with a row to write the score in (ten problems a
    table).  Written out here rather than by the exam class, whose totals need an extra LaTeX run."""
    out: list[str] = []
    probs = pset.problems
    total = sum(problem_points(p) for p in probs)
    for start in range(0, len(probs), per_row):
        chunk = probs[start:start + per_row]
        last = start + per_row >= len(probs)
        cols = len(chunk) + (1 if last else 0)
        head = [str(p.number) for p in chunk] + (["Total"] if last else [])
        pts = [str(problem_points(p)) for p in chunk] + ([str(total)] if last else [])
        out += ["\\begin{tabular}{|l|" + "c|" * cols + "}", "\\hline",
                "Problem & " + " & ".join(head) + " \\\\ \\hline",
                "Points & " + " & ".join(pts) + " \\\\ \\hline",
                "Score & " + " & ".join(["\\rule{0pt}{1.6em}"] * cols) + " \\\\ \\hline",
                "\\end{tabular}\\par\\medskip"]
    return out


def _box_cm(kp) -> float:
    """The box of a part, sized to its kind and, for a vector or a matrix, to its shape."""
    cm = BOX_CM.get(kp.kind, 4.0)
    if kp.kind in ("matrix", "vector") and kp.exact is not None:
        rows = kinds.get(kp.kind).rows(kp.exact)
        lines = len(rows) if kp.kind == "matrix" else -(-len(rows[0]) // VECTOR_ROW) - 1
        cm += ROW_CM * lines
    return round(cm, 1)


def _keep_lines(lines: list[list], diagram) -> int:
    """Lines of page the statement and its figure need, so that a page break never parts them."""
    n = 3  # the problem's title and the first part's line
    for line in lines:
        tall = [len(seg.value) for seg in line if not isinstance(seg, str) and isinstance(seg.value, list)
                and seg.value and isinstance(seg.value[0], list)]
        n += max([1] + [int(r * 1.3) + 1 for r in tall])
    if diagram is not None:
        n += int(tikz_height_cm(diagram) / LINE_CM) + 2
    return min(n, MAX_KEEP_LINES)


def _problem_tex(p, *, with_key: bool) -> list[str]:
    v = p.variant
    # A derivation's prose holds answer-language formulas (its claim, its "Given:"): set as math in the
    # notes' notation, with the instructions on typing them left out on paper.
    derives = any(kinds.get(spec["kind"]).multiline for spec in p.parts)
    notation = notation_of(v.render(v.family["prompt"])) if derives else None
    matrix = any("shapes" in spec for spec in p.parts)
    lines = prose_lines(v, v.family["prompt"], paper=True, formulas=derives, notation=notation, matrix=matrix)
    diagram = diagram_of(v)
    # The statement, its figure and the first part (with its box) start on one page.
    first = _box_cm(p.key.parts[p.parts[0]["name"]]) + 1.0 if p.parts and not with_key else 0.0
    keep = min(_keep_lines(lines, diagram) * LINE_CM + first, MAX_KEEP_CM)
    out = [f"\\needspace{{{keep:.1f}cm}}",
           f"\\renewcommand{{\\problemtitle}}{{{latex_text(v.title)}}}",
           f"\\renewcommand{{\\problempoints}}{{{problem_points(p)}}}", "\\question", "", latex_block(lines), ""]
    tikz = tikz_diagram(diagram)
    if tikz:
        out += ["\\nopagebreak", "\\begin{center}", "\\adjustbox{max width=\\linewidth}{%", tikz + "}",
                "\\end{center}", ""]
    if with_key:
        out += [f"{{\\footnotesize\\itshape In the answer file: {latex_escape_text(v.id)}, "
                f"seed {v.seed}.}}", ""]
        if p.key.preamble:
            out += ["\\begin{solution}", latex_block(text_lines("\n".join(p.key.preamble))), "\\end{solution}", ""]
    out.append("\\begin{parts}")
    for spec in p.parts:
        kp = p.key.parts[spec["name"]]
        keep = _box_cm(kp) + 1.5 if not with_key else 3.0
        out.append(f"\\needspace{{{keep:.1f}cm}}")
        # A part's prompt reads on from its label: only a matrix in it is set apart.
        prompt = prose_lines(v, spec["prompt"], paper=True, formulas=kp.answer_kind.multiline, notation=notation,
                             matrix="shapes" in spec, claim=kp.answer_kind.multiline)
        out.append(f"\\part[{part_points(spec)}] " + latex_block(prompt, steps=True))
        if with_key:
            # A derivation arrives at its target: shown in the notation of the identity above it.
            target = formula_latex(spec["target"], notation, matrix="shapes" in spec) \
                if kp.answer_kind.multiline and isinstance(spec.get("target"), str) else None
            out += _solution_tex(kp, target)
        else:
            if "\\adjustbox" in out[-1]:  # a displayed identity: room before the box
                out.append("\\medskip")
            out.append(f"\\makeemptybox{{{_box_cm(kp):.1f}cm}}")
        out.append("")
    out.append("\\end{parts}")
    return out


def _solution_tex(kp, shown: str | None = None) -> list[str]:
    out = ["\\begin{solution}", f"$\\displaystyle {shown or key_value_latex(kp)}$", ""]
    typed = key_answer_text(kp)
    tool = []
    if typed is not None and not kp.answer_kind.multiline:
        tool.append(f"answers.yaml: \\texttt{{{latex_escape_text(kp.name)}: {latex_escape_text(typed)}}}")
    tol = tolerance_text(kp)
    if tol:
        tool.append(f"accepted {latex_escape_text(tol)}")
    if tool:
        out += ["{\\footnotesize " + "; ".join(tool) + ".}", ""]
    if kp.steps:
        out.append("\\textbf{Worked solution.}")
        out.append("")
        if kp.answer_kind.multiline:  # a derivation's answer-language lines, as a student writes them
            for step in kp.steps:
                out.append("\\hangindent=2em\\hangafter=1\\texttt{" + latex_escape_text(step) + "}\\par")
        else:
            for step in kp.steps:
                out.append(latex_block(text_lines(step), steps=True))
                out.append("")
    out.append("\\end{solution}")
    return out


# ----------------------------------------------------------------------------
# Documents.
# ----------------------------------------------------------------------------
def _header(pset, *, key: bool) -> list[str]:
    from nncheck.export.problemset import EXAM_RULE_LIST, EXAM_TIME

    title = latex_escape_text(("Answer key: " if key else "") + pset.title)
    running = latex_escape_text(pset.title)
    right = "Answer key" if key else "Name: \\underline{\\hspace{4.5cm}}"
    out = ["\\firstpageheader{}{}{}",
           f"\\runningheader{{\\small {running}}}{{}}{{\\small {right}}}",
           "\\runningheadrule",
           f"\\footer{{\\small Set {pset.seed}}}{{\\small Page \\thepage\\ of \\numpages}}{{}}",
           "\\begin{document}",
           "\\begin{center}", f"{{\\Large\\bfseries {title}}}", "\\end{center}", "\\vspace{0.5em}"]
    if not key:
        out += ["\\namefield", "\\vspace{1em}"]
    count = f"{len(pset.problems)} problems, {pset.answer_count} parts, " \
            f"{sum(problem_points(p) for p in pset.problems)} points."
    if pset.exam and not key:
        rules = list(EXAM_RULE_LIST)
        if pset.formula_sheet:
            rules.insert(2, "The formula sheet (at most two pages) is handed out with the exam.")
        rules.append("Write your work and your answer in the box after each part.")
        items = "\n".join("\\item " + latex_text(r) for r in rules)
        out += ["\\begin{center}\\fbox{\\parbox{0.92\\textwidth}{\\vspace{3pt}",
                f"\\textbf{{Time allowed: {EXAM_TIME}.}}\\quad {count}",
                "\\begin{itemize}\\setlength{\\itemsep}{1pt}", items, "\\end{itemize}\\vspace{1pt}}}\\end{center}"]
    elif pset.exam:
        out += [f"Time allowed: {EXAM_TIME}. {count}"]
    else:
        out += [f"{count} Show your work in the box after each part." if not key else count]
    if key:
        out += ["", "\\begin{center}\\fbox{\\parbox{0.92\\textwidth}{\\small For the instructor: each answer is "
                "given exactly and, where that reads differently, to 4 significant figures. Students who "
                "fill in answers.yaml can have it graded with \\texttt{nncheck grade answers.yaml}; "
                f"\\texttt{{nncheck generate --seed {pset.seed}}} (nncheck {latex_escape_text(__version__)}) "
                "writes this set again.}}\\end{center}"]
    if not key:
        out += ["\\begin{center}", *grade_tables(pset), "\\end{center}"]
    out.append("")
    return out


def _document(pset, *, with_key: bool, key_title: bool) -> bytes:
    body = [PREAMBLE] + _header(pset, key=key_title)
    if with_key:
        body.append("\\printanswers")
    body.append("\\begin{questions}")
    for section, problems in pset.sections():
        for k, p in enumerate(problems):
            tex = _problem_tex(p, with_key=with_key)
            if section and k == 0:
                # The heading goes after its first problem's \needspace, so that it never ends a page alone.
                keep = float(tex[0].removeprefix("\\needspace{").removesuffix("cm}")) + SECTION_CM
                tex[0:1] = [f"\\needspace{{{keep:.1f}cm}}", f"\\examsection{{{latex_escape_text(section)}}}", ""]
            body += tex
            body.append("")
    body += ["\\end{questions}", "\\end{document}", ""]
    text = "\n".join(body)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.encode("utf-8")


def render_latex(pset, key: str = "inline") -> dict[str, bytes]:
    from nncheck.export.answersheet import answer_sheet_latex
    from nncheck.export.formulas import formula_sheet_latex

    files = {"problems.tex": _document(pset, with_key=(key == "inline"), key_title=(key == "inline"))}
    if key == "separate":
        files["key.tex"] = _document(pset, with_key=True, key_title=True)
    files["answer-sheet.tex"] = answer_sheet_latex(pset).encode("utf-8")
    if pset.formula_sheet:
        files["formula-sheet.tex"] = formula_sheet_latex(pset).encode("utf-8")
    return files
