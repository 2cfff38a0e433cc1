"""Answers as text: the key in the answer language and in LaTeX, and blank answer files.

``key_answer_text`` writes a key's value as a student would type it (``1/3``,
``-ln(4/5)/3 + 2*ln(2)/3``, ``[1, 0, -ln(2), 0]``, ``none``): grading that text gives
*correct*, which the round-trip tests check for every family.  ``blank_answer_file``
writes the YAML a student fills in and ``nncheck grade`` reads back.
"""

from __future__ import annotations

import json
from fractions import Fraction

YAML_RESERVED = {"yes", "no", "true", "false", "on", "off", "null", "y", "n", "~", ""}


# ----------------------------------------------------------------------------
# The key in the answer language.
# ----------------------------------------------------------------------------
def number_text(x) -> str:
    """One exact number in the answer language: 3, 1/3, 0.25, ln(2)/3, or a float's repr."""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    if isinstance(x, float):
        x = float(x)  # np.float64 is a float whose repr is 'np.float64(…)'
        return str(int(x)) if x.is_integer() and abs(x) < 2**53 else repr(x)
    try:
        import sympy
    except ImportError:  # pragma: no cover
        return repr(float(x))
    if isinstance(x, sympy.Basic):
        if x.is_Integer:
            return str(int(x))
        if x.is_Rational:
            return f"{int(x.p)}/{int(x.q)}"
        if x.is_Float:
            return repr(float(x))
        return sympy_text(x)
    f = float(x)  # NumPy scalars (whose repr is 'np.float64(…)')
    return str(int(f)) if f.is_integer() and abs(f) < 2**53 else repr(f)


def sympy_text(x) -> str:
    """A SymPy value in the answer language.

    The shared printer writes Euler's number as ``E`` when it is not raised to a power
    (``E/(1 + E)``), which the answer language does not know; it is ``e`` here.
    """
    import re

    from nncheck.key.compute import expr_text
    from nncheck.topics.base import as_sympy

    text = expr_text(x)
    names = {s.name for s in getattr(as_sympy(x), "free_symbols", ())}
    if "E" not in names:
        text = re.sub(r"\bE\b", "e", text)
    return text


def key_answer_text(kp) -> str | None:
    """The key of a part as answer-language text that grades as correct."""
    from nncheck.key.compute import flat_shape, to_float, to_list

    kind, x = kp.kind, kp.exact
    if x is None and kind != "derivation":
        return "none"
    if kind == "boolean":
        return "yes" if x else "no"
    if kind == "choice":
        return str(x)
    if kind == "derivation":
        # The shortest derivation: the part's start, then "= the result" on a continuation line.
        target = kp.spec.get("target") or (sympy_text(x) if x is not None else "")
        start = kp.spec.get("start")
        return f"{start}\n  = {target}" if start else target
    if kind == "expression":
        return sympy_text(x)
    if kind == "integer":
        return str(int(round(to_float(x))))
    if kind == "vector":
        flat, _ = flat_shape(x)
        return "[" + ", ".join(number_text(v) for v in flat) + "]"
    if kind == "matrix":
        rows = to_list(x)
        return "[" + ", ".join("[" + ", ".join(number_text(v) for v in row) + "]" for row in rows) + "]"
    return number_text(x)


# ----------------------------------------------------------------------------
# The key in LaTeX (for Markdown's $…$ and for LaTeX documents).
# ----------------------------------------------------------------------------
def _sympy_latex(x) -> str:
    import sympy

    return sympy.latex(x, ln_notation=True)


def latex_exact(x) -> str:
    """An exact entry: 27, \\frac{1}{3}, 0.25, -\\ln{\\left(2 \\right)} \\approx -0.6931."""
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
        if x.is_number:
            return _sympy_latex(x) + r" \approx " + latex_number(float(x))
        return _sympy_latex(x)
    return latex_number(float(x))


def key_latex(kp) -> str:
    """The key of a part as LaTeX math (without the surrounding $)."""
    from nncheck.export.mathtext import latex_escape_text, latex_matrix
    from nncheck.key.compute import flat_shape, to_list

    kind, x = kp.kind, kp.exact
    if x is None:
        return r"\text{none (it does not fit)}"
    if kind == "boolean":
        return r"\text{" + ("yes" if x else "no") + "}"
    if kind == "choice":
        return r"\text{" + latex_escape_text(str(x)) + "}"
    if kind in ("expression", "derivation"):
        return _sympy_latex(x)
    if kind == "integer":
        from nncheck.key.compute import to_float

        return str(int(round(to_float(x))))
    if kind == "vector":
        flat, _ = flat_shape(x)
        return "[" + ", ".join(latex_exact(v) for v in flat) + "]"
    if kind == "matrix":
        return latex_matrix([[latex_exact(v) for v in row] for row in to_list(x)])
    return latex_exact(x)


def tolerance_text(kp) -> str | None:
    if kp.kind not in ("number", "vector", "matrix"):
        return None
    from nncheck.answer.grade import describe_tolerance, tolerance_spec

    return describe_tolerance(tolerance_spec(kp.spec))


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
    from nncheck.batch.grade import problem_check

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
            extra = " [a derivation: several lines]" if spec["kind"] == "derivation" else ""
            out.append(f"      # {p.part_label(i)} {prompt} [{spec['kind']}]{extra}")
            out.append(f"      {yaml_key(spec['name'])}:")
    return "\n".join(out) + "\n"
