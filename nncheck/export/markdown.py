"""Markdown problem sets that render on GitHub and through pandoc.

Math is ``$…$`` inline and ``$$…$$`` displayed (a matrix is always a displayed ``bmatrix``, never
inline: an inline matrix wraps mid-equation); a statement's sentences are paragraphs, its
column-aligned lines (a forward-pass table) a pipe table; figures are SVG files in
``figures/`` next to the ``.md`` file; keys show numbers by the numbers policy
(:mod:`nncheck.lang.numbers`: exact where short, else 4 significant figures, a closed form with
its decimal beside it) and are inline or in ``key.md``.
"""

from __future__ import annotations

from nncheck import __version__, kinds
from nncheck.export.answers import key_answer_text, key_latex, tolerance_text
from nncheck.export.diagrams import diagram_of, svg_diagram
from nncheck.export.mathtext import (
    GAP,
    SENTENCE_END,
    _gutters,
    display_body,
    latex_escape_text,
    line_pieces,
    md_escape,
    notation_of,
    prose_lines,
    segments,
    text_lines,
)


def figure_name(problem) -> str:
    return f"figures/problem-{problem.number:02d}.svg"


# ----------------------------------------------------------------------------
# Text with math, as Markdown blocks.
# ----------------------------------------------------------------------------
def _inline(pieces: list[tuple[str, str, bool]]) -> str:
    # pandoc reads $…$ as math only with no space inside the dollars, and GitHub likewise.
    return "".join(f"${x.strip()}$" if kind == "math" and x.strip() else md_escape(x) if kind == "text"
                   else _code(x) if kind == "code" else "" for kind, x, _tall in pieces)


def _code(s: str) -> str:
    """Answer-language text as typed: a code span (backticks inside it get a longer fence)."""
    fence = "``" if "`" in s else "`"
    return f"{fence}{s}{fence}" if fence == "`" else f"{fence} {s} {fence}"


def _display(pieces: list[tuple[str, str, bool]]) -> str:
    """Pieces as one ``$$`` display: words as ``\\text``, wide gaps as ``\\qquad``."""
    body = display_body(pieces, code=lambda x: r"\texttt{" + latex_escape_text(x) + "}")
    body = " ".join(body.split())
    while body.startswith(GAP.strip()) or body.endswith(GAP.strip()):  # an indented line: no gap at its ends
        body = body.removeprefix(GAP.strip()).removesuffix(GAP.strip()).strip()
    return "$$\n" + body + "\n$$"


def _raw(line: list) -> str:
    from nncheck.export.mathtext import value_plain

    return "".join(seg if isinstance(seg, str) else value_plain(seg) for seg in line)


def _is_display(line: list, pieces: list[tuple[str, str, bool]], spaced: bool) -> bool:
    """A line set apart: it holds a matrix, or (``spaced``: a statement's lines, not a worked step's)
    it is indented or spaced out as equations side by side."""
    if any(tall for _k, _x, tall in pieces):
        return True
    if not spaced:
        return False
    math_chars = sum(len(x) for kind, x, _t in pieces if kind == "math")
    raw = _raw(line)
    only_math = all(kind == "math" or not x.strip() for kind, x, _t in pieces)
    return bool(math_chars) and (only_math or raw.startswith("  ")
                                 or ("   " in raw.strip() and 2 * math_chars >= len(raw.strip())))


def _table(block: list[str]) -> str:
    """Column-aligned lines as a pipe table (the first line its header), cells with their math."""
    width = max(len(r) for r in block)
    grid = [r.ljust(width) for r in block]
    left = min(len(r) - len(r.lstrip()) for r in block)
    bounds = [left] + [c for gap in _gutters(block) for c in gap] + [width]
    rows = [[r[bounds[k]:bounds[k + 1]].strip() for k in range(0, len(bounds), 2)] for r in grid]
    cells = [[_inline(line_pieces([c])).replace("|", r"\|") if c else "" for c in row] for row in rows]
    # A header row names the columns (t, h⁽ᵗ⁾, …) over rows of numbers; a grid of values has none,
    # and a pipe table then takes an empty one.
    header = any(c and not _number_cell(c) for c in rows[0]) and all(not c or _number_cell(c) for c in rows[-1])
    head, body = (cells[0], cells[1:]) if header else ([""] * len(cells[0]), cells)
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" for _ in head) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(out)


def _number_cell(c: str) -> bool:
    try:
        float(c.replace("−", "-"))
    except ValueError:
        return c.startswith("[")
    return True


def markdown_blocks(lines: list[list], *, spaced: bool = True) -> list[str]:
    """Segment lines (:func:`~nncheck.export.mathtext.template_lines`, ``text_lines``) as Markdown blocks:
    a sentence's lines joined into one paragraph, a line holding a matrix (or equations side by side)
    as a ``$$`` display, the sentence leading into it kept in the paragraph, aligned lines a table."""
    out: list[str] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append("\n".join(para))
            para.clear()

    for what, line, pieces in segments(lines):
        if what == "table":
            flush()
            out.append(_table(line))
            continue
        if what == "blank":
            flush()
            continue
        if _is_display(line, pieces, spaced):
            tall = [k for k, p in enumerate(pieces) if p[2]]
            cut = tall[0] if tall and sum(len(x) for kind, x, _t in pieces[:tall[0]] if kind == "text") > 20 else 0
            if cut:
                para.append(_inline(pieces[:cut]).strip())
            flush()
            out.append(_display(pieces[cut:]))
            continue
        para.append(_inline(pieces).strip())
        if _raw(line).rstrip().endswith(SENTENCE_END):
            flush()
    flush()
    return out


def markdown_text(text: str) -> str:
    """Rendered text (a worked step, a title) as Markdown blocks separated by blank lines."""
    return "\n\n".join(markdown_blocks(text_lines(text)))


def _item(text: str) -> str:
    """A worked step as a list item: its later blocks indented under it."""
    blocks = markdown_blocks(text_lines(text), spaced=False)
    if not blocks:
        return ""
    first, *rest = blocks
    lines = ["- " + first.replace("\n", "\n  ")]
    for b in rest:
        lines += ["", "  " + b.replace("\n", "\n  ")]
    return "\n".join(lines)


# ----------------------------------------------------------------------------
# Problems and keys.
# ----------------------------------------------------------------------------
def _problem_md(p, *, with_key: bool, heading: str = "##") -> list[str]:
    v = p.variant
    out = [f"{heading} Problem {p.number}: {md_escape(v.title)}", ""]
    out.append(f"*{md_escape(v.id)} · seed {v.seed}*")
    out.append("")
    # A derivation's prose holds answer-language formulas: set as math in the notes' notation, with the
    # names to type shown as typed (this handout goes with answers.yaml, so its typing hints stay).
    derives = any(kinds.get(spec["kind"]).multiline for spec in p.parts)
    notation = notation_of(v.render(v.family["prompt"])) if derives else None
    matrix = any("shapes" in spec for spec in p.parts)
    statement = prose_lines(v, v.family["prompt"], paper=False, formulas=derives, notation=notation, matrix=matrix)
    for block in markdown_blocks(statement):
        out += [block, ""]
    if diagram_of(v) is not None:
        out.append(f"![Diagram for problem {p.number}]({figure_name(p)})")
        out.append("")
    for i, spec in enumerate(p.parts):
        multiline = kinds.get(spec["kind"]).multiline
        blocks = markdown_blocks(prose_lines(v, spec["prompt"], paper=False, formulas=multiline, notation=notation,
                                             matrix="shapes" in spec, claim=multiline)) or [""]
        if blocks[0].startswith("$$"):  # a display stands on its own lines, under the label
            blocks.insert(0, "")
        out += [f"**{p.part_label(i)}** {blocks[0]}".rstrip(), ""]
        for block in blocks[1:]:
            out += [block, ""]
    if with_key:
        out.extend(_key_md(p, heading=heading + "#"))
    return out


def _answer_md(label: str, name: str, latex: str, notes: str) -> list[str]:
    """``(a) name = value (type …), accepted …``: a matrix (or a column) displayed under it, never inline."""
    if r"\begin{" in latex:
        return [f"**{label} {md_escape(name)}**{notes}:", "", "$$\n" + latex + "\n$$", ""]
    return [f"**{label} {md_escape(name)}** = ${latex}${notes}", ""]


def _key_md(p, *, heading: str) -> list[str]:
    key = p.key
    out = [f"{heading} Answer key, problem {p.number}", ""]
    if key.preamble:
        # One text: a table laid out over several preamble lines stays one table.
        blocks = markdown_blocks(text_lines("\n".join(key.preamble)), spaced=False)
        out += ["> " + "\n>\n> ".join(b.replace("\n", "\n> ") for b in blocks), ""]
    for i, spec in enumerate(p.parts):
        kp = key.parts[spec["name"]]
        typed = key_answer_text(kp)
        tol = tolerance_text(kp)
        multi = typed is not None and "\n" in typed  # a derivation: a block, not inline code
        worked = kp.answer_kind.multiline and kp.steps
        notes = f" (type `{typed}`)" if typed is not None and not multi else ""
        if tol:
            notes += f", accepted {md_escape(tol)}"
        out += _answer_md(p.part_label(i), spec["name"], key_latex(kp), notes)
        if multi and not (worked and typed.rstrip("\n") == "\n".join(kp.steps)):
            out += ["For example:", "", "```", typed.rstrip("\n"), "```", ""]
        if worked:
            # Derivation steps are written in the answer language, as the student types them.
            out += ["Worked derivation:", "", "```", *kp.steps, "```", ""]
        else:
            items = [_item(step) for step in kp.steps]
            out += [it for it in items if it]
            if kp.steps:
                out.append("")
        mistakes = key.mistakes_for(spec["name"])
        if mistakes:
            names = ", ".join(f"`{mid}`" for mid, _msg, _val in mistakes)
            out.append(f"Common mistakes recognised: {names}")
            out.append("")
    return out


def _header(pset) -> list[str]:
    out = [f"# {md_escape(pset.title)}", ""]
    if pset.exam:
        from nncheck.export.problemset import EXAM_RULES

        out.append(f"{md_escape(EXAM_RULES)} {len(pset.problems)} problems, {pset.answer_count} answers in all "
                   f"(the structure of the ECE 417 final-exam review: 8-10 problems with 1-3 parts each).")
    else:
        out.append(f"{len(pset.problems)} problems, {pset.answer_count} answers in all.")
    out.append("")
    out.append(f"Write your answers in `answers.yaml` and check them with `nncheck grade answers.yaml`. "
               f"Generated by nncheck {__version__} with seed {pset.seed}: "
               f"`nncheck generate --seed {pset.seed}` gives the same set.")
    out.append("")
    return out


def render_markdown(pset, key: str = "inline") -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    doc = _header(pset)
    for section, problems in pset.sections():
        if section:
            doc.append(f"## {md_escape(section)}")
            doc.append("")
        for p in problems:
            doc.extend(_problem_md(p, with_key=(key == "inline"), heading="###" if section else "##"))
    files["problems.md"] = _finish(doc)
    if key == "separate":
        kd = [f"# Answer key: {md_escape(pset.title)}", ""]
        for p in pset.problems:
            kd.extend(_key_md(p, heading="##"))
        files["key.md"] = _finish(kd)
    for p in pset.problems:
        svg = svg_diagram(diagram_of(p.variant))
        if svg is not None:
            files[figure_name(p)] = svg.encode("utf-8")
    return files


def _finish(lines: list[str]) -> bytes:
    text = "\n".join(lines).rstrip() + "\n"
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.encode("utf-8")
