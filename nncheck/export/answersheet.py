"""The printable answer sheet of a set: one labelled box per part, in the order of ``answers.yaml``.

A paper exam and the answer file must agree part by part, so the sheet lists exactly the entries of
:func:`nncheck.export.answers.blank_answer_file`: each problem by number, each part by the same
label and name (``(b) W2``), with a box sized to the part's kind.  The sheet is for students, so it
names the parts, never the tool.
"""

from __future__ import annotations

from nncheck import kinds

#: Height (cm) of a part's box on the sheet: the final answer only, the work is on the exam paper.
SHEET_BOX_CM = {"boolean": 0.9, "choice": 0.9, "integer": 0.9, "number": 1.0, "vector": 1.1, "matrix": 1.4,
                "expression": 1.3, "derivation": 5.0}


def sheet_entries(pset) -> list[tuple[int, str, str, str, str]]:
    """(problem number, part label, part name, kind, problem title) for every part, in answer-file order."""
    return [(p.number, p.part_label(i), spec["name"], spec["kind"], p.variant.title)
            for p in pset.problems for i, spec in enumerate(p.parts)]


def _box_cm(p, spec) -> float:
    cm = SHEET_BOX_CM.get(spec["kind"], 1.0)
    kp = p.key.parts[spec["name"]]
    if spec["kind"] == "matrix" and kp.exact is not None:
        cm += 0.45 * max(0, len(kinds.get("matrix").rows(kp.exact)) - 2)
    return cm


def answer_sheet_latex(pset) -> str:
    from nncheck.export.mathtext import latex_escape_text, latex_text

    body: list[str] = []
    for p in pset.problems:
        body.append(f"\\needspace{{{3 + 2 * len(p.parts)}\\baselineskip}}")
        body.append(f"\\problemhead{{{p.number}}}{{{latex_text(p.variant.title)}}}")
        for i, spec in enumerate(p.parts):
            name = latex_escape_text(spec["name"]).replace("\\_", "\\_\\allowbreak{}")  # long names wrap
            body.append(f"\\answerbox{{{p.part_label(i)}}}{{{name}}}"
                        f"{{{latex_escape_text(spec['kind'])}}}{{{_box_cm(p, spec):.1f}cm}}")
        body.append("")
    title = latex_escape_text(f"Answer sheet: {pset.title}")
    return "\n".join([
        r"\documentclass[11pt]{article}",
        r"\usepackage{amsmath,amssymb}",
        r"\usepackage[letterpaper,margin=2cm]{geometry}",
        r"\usepackage{needspace}",
        r"\setlength{\parindent}{0pt}",
        r"\pagestyle{plain}",
        r"\sloppy",
        r"\newcommand{\problemhead}[2]{\par\medskip\textbf{Problem #1.}\enspace{\small #2}\par\smallskip}",
        r"\newcommand{\answerbox}[4]{\par\noindent\parbox[t]{3.6cm}{\raggedright\strut#1~\texttt{#2}\\"
        r"{\scriptsize\itshape #3}}%",
        r"  \fbox{\parbox[t][#4][t]{\dimexpr\linewidth-3.6cm-2\fboxsep-2\fboxrule\relax}{\strut}}\par"
        r"\vspace{4pt}}",
        r"\begin{document}",
        r"\begin{center}{\Large\bfseries " + title + r"}\end{center}",
        r"\vspace{0.5em}",
        r"\noindent\textbf{Name:}\enspace\hrulefill\qquad\textbf{Student ID:}\enspace\makebox[5cm]{\hrulefill}\par",
        r"\vspace{0.8em}",
        latex_escape_text(f"Copy your final answer to each part into its box: {len(pset.problems)} problems, "
                          f"{pset.answer_count} parts. Numbers may be exact (1/3, ln(2)); a vector is written "
                          f"[a, b], a matrix [[a, b], [c, d]]; write none where a layer does not fit."),
        r"\par\medskip",
        *body,
        r"\end{document}",
        "",
    ])
