"""Answers as text: the key in the answer language and in LaTeX, and blank answer files.

The key of a part is written by its answer kind (:mod:`nncheck.kinds`): as a student
would type it (``1/3``, ``-ln(4/5)/3 + 2*ln(2)/3``, ``[1, 0, -ln(2), 0]``, ``none``),
which grades as *correct* (the round-trip tests check it for every family), and as
LaTeX through :class:`ExportTeX`.  ``blank_answer_file`` writes the YAML a student
fills in and ``nncheck grade`` reads back.
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from nncheck import kinds
from nncheck.kinds.base import TeX

YAML_RESERVED = {"yes", "no", "true", "false", "on", "off", "null", "y", "n", "~", ""}


# ----------------------------------------------------------------------------
# The key in the answer language.
# ----------------------------------------------------------------------------
def key_answer_text(kp: Any) -> str:
    """The key of a part as answer-language text that grades as correct, its decimals cut to the
    numbers policy when the grader accepts that (``[[0.7311, 0.7345]]``, not 16-digit floats)."""
    kind = kinds.get(kp.kind)
    if kind.multiline:
        return str(kp.answer_text())  # a derivation: its worked steps, which carry no floats
    return kind.typed(kp.spec, kp.exact)


# ----------------------------------------------------------------------------
# The key in LaTeX (for Markdown's $…$ and for LaTeX documents).
# ----------------------------------------------------------------------------
def _sympy_latex(x: Any) -> str:
    import sympy

    return str(sympy.latex(x, ln_notation=True))


def latex_exact(x: Any, *, beside: bool = True) -> str:
    """An exact entry: 27, \\frac{1}{3}, 0.25, -\\ln{\\left(2 \\right)} \\approx -0.6931 (its decimal by the
    numbers policy, :func:`nncheck.lang.numbers.approx`, through ``latex_number``).  ``beside=False``
    leaves the decimal out of a closed form (the LaTeX key prints it in a column of its own)."""
    from nncheck.export.mathtext import latex_number

    if isinstance(x, (bool, int, Fraction, float)):
        return latex_number(x)
    import sympy

    if isinstance(x, sympy.Basic):
        if x.is_Integer:
            return str(int(x))
        if x.is_Rational:
            return latex_number(Fraction(int(x.p), int(x.q)))
        if x.is_Float:
            return latex_number(float(x))
        if x.is_number and beside:
            return _sympy_latex(x) + r" \approx " + latex_number(float(x))
        return _sympy_latex(x)
    return latex_number(float(x))


class ExportTeX(TeX):
    """LaTeX as the Markdown, LaTeX and Moodle exports write it."""

    def number(self, x: Any) -> str:
        return latex_exact(x)

    def expression(self, x: Any) -> str:
        return _sympy_latex(x)

    def matrix(self, rows: list[list[str]]) -> str:
        from nncheck.export.mathtext import latex_matrix

        return latex_matrix(rows)

    def text(self, s: str) -> str:
        from nncheck.export.mathtext import latex_escape_text

        return r"\text{" + latex_escape_text(s) + "}"


TEX = ExportTeX()


def key_latex(kp: Any) -> str:
    """The key of a part as LaTeX math (without the surrounding $)."""
    return kinds.get(kp.kind).latex(kp.exact, TEX)


def tolerance_text(kp: Any) -> str | None:
    """The part's tolerance in words ("within ±0.5%"), or None when it is graded exactly."""
    text: str | None = kp.tolerance_text()
    return text


# ----------------------------------------------------------------------------
# Blank answer files.
# ----------------------------------------------------------------------------
def yaml_key(name: str) -> str:
    """A mapping key that YAML 1.1 reads back as the same string."""
    plain = name.replace("_", "a").isalnum() and name.isascii() and not name[0].isdigit()
    if plain and name.lower() not in YAML_RESERVED:
        return name
    return json.dumps(name)


def yaml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def one_line(text: str, limit: int = 110) -> str:
    """A prompt on one comment line (matrix blocks and line breaks folded)."""
    s = " ".join(text.split())
    return s if len(s) <= limit else s[: limit - 1].rstrip() + "…"


def blank_answer_file(pset) -> str:
    """The YAML answer file a student fills in for ``pset`` (byte-identical for one seed)."""
    from nncheck.key.model import problem_check

    n_answers = pset.answer_count
    out = [
        f"# nncheck answer file for {pset.title}: {len(pset.problems)} problems, {n_answers} answers.",
        "# Write each answer after its colon, in the answer language: 27, 0.25 or 1/4, ln(2)/3,",
        "# [1, 2, 3], [[1, 2], [3, 4]], h*(1 - h), yes or no, none (when a layer does not fit).",
        "# A derivation takes several lines: write 'name: |' and one step per line below it, indented.",
        "# Quote an answer YAML would change (e.g. '1:30'). Do not edit id, seed or check.",
        "# Then grade it:  nncheck grade answers.yaml",
        "nncheck: answers",
        f"title: {yaml_str(pset.title)}",
        f"set: {{seed: {pset.seed}, problems: {len(pset.problems)}, answers: {n_answers}}}",
        "answers:",
    ]
    for p in pset.problems:
        v = p.variant
        out.append(f"  - problem: {p.number}")
        out.append(f"    id: {v.id}")
        out.append(f"    seed: {v.seed}")
        out.append(f"    check: {yaml_str(problem_check(v))}")
        out.append("    parts:")
        for i, spec in enumerate(p.parts):
            prompt = one_line(v.part_prompt(spec))
            extra = f" [a {spec['kind']}: several lines]" if kinds.get(spec["kind"]).multiline else ""
            out.append(f"      # {p.part_label(i)} {prompt} [{spec['kind']}]{extra}")
            out.append(f"      {yaml_key(spec['name'])}:")
    return "\n".join(out) + "\n"
