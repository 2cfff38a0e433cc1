"""Show a checked derivation: each step marked ✓/✗ with its rule or its counterexample.

The view is built once as lines of styled segments; :func:`plain_text` prints them
as they are (pipes, files, ``NO_COLOR``), :func:`rich_renderable` gives rich the
same lines with colours for a terminal.  Nothing here prints.
"""

from __future__ import annotations

from nncheck.derive.core import Report

MARKS = {"valid": ("✓", "bold green"), "invalid": ("✗", "bold red"), "unparsable": ("!", "bold yellow"),
         "undecided": ("?", "bold magenta")}

Segment = tuple  # (text, style)


def _step_text(step, first_on_line: bool) -> str:
    if step.kind == "start":
        return f"{step.right.shown}" if step.right is not None else "(no start)"
    if step.kind == "link":
        return f"{step.right.shown}"
    if step.left is not None and step.left.row == step.row and first_on_line:
        return f"{step.left.shown} = {step.right.shown}"
    return f"  = {step.right.shown}"


def _step_rows(s, num: str, width: int, indent: str, first: bool, circular: str | None = None
               ) -> list[list[Segment]]:
    """The rows of one step: the claim with its mark, then its rule or what is wrong with it (and, for a
    step that rests on the identity the problem asks to show, that it shows no work)."""
    mark, style = MARKS.get(s.status, ("?", ""))
    rows: list[list[Segment]] = []
    if s.kind == "line":
        rows.append([(f"{num:>{width}} ", "dim"), (mark, style), (" could not be read", style)])
        if s.error is not None:
            rows.extend([[(indent + cl, "yellow")] for cl in s.error.caret().splitlines()])
        return rows
    label = {"start": "begins at the start: ", "link": f"from line {s.left.line if s.left else '?'}: "}.get(s.kind, "")
    rows.append([(f"{num:>{width}} ", "dim"), (mark, style), (" " + label, "dim"), (_step_text(s, first), "")])
    if s.status == "valid":
        rows.append([(indent + (s.detail or ""), "green")])
        if circular:
            rows.append([(indent + f"circular: {circular} is what the problem asks you to show; this step "
                                   f"shows no work", "bold yellow")])
    elif s.status == "invalid":
        rows.append([(indent + (s.detail or "not equal"), "red")])
        if s.hint:
            rows.append([(indent + "hint: " + s.hint, "magenta")])
    elif s.status == "undecided":
        rows.append([(indent + "could not decide: " + (s.detail or ""), "magenta")])
    elif s.error is not None:
        rows.extend([[(indent + cl, "yellow")] for cl in s.error.caret().splitlines()])
    else:
        rows.append([(indent + (s.detail or ""), "yellow")])
    return rows


def view_lines(report: Report, *, problem_text: str | None = None) -> list[list[Segment]]:
    """The whole view, one list of segments per output line."""
    plan = report.plan
    out: list[list[Segment]] = []
    p = report.problem
    if p is not None:
        head = [("derive ", "bold"), (p.id or "problem", "bold cyan")]
        if p.title:
            head.append((f"  {p.title}", ""))
        out.append(head)
        if problem_text:
            for line in problem_text.splitlines():
                out.append([(line, "")])
            out.append([])
    if plan.start is not None:
        out.append([("start   ", "dim"), (plan.start.shown, "")])
    if plan.target is not None:
        out.append([("target  ", "dim"), (plan.target.shown, "")])
    derived_here = {ln.number for ln in (plan.parsed.lines if plan.parsed else []) if ln.kind == "definition"}
    for d in plan.definitions:
        if d.line in derived_here:
            continue  # defined on a line of the derivation: shown there
        out.append([("given   ", "dim"), (f"{d.name} = {_text(d.node)}", "")])
    for c in plan.constraints:
        out.append([("given   ", "dim"), (f"{_text(c.left)} = {_text(c.right)}", "")])
    if plan.domains:
        shown = ", ".join(f"{k}: {v}" for k, v in sorted(plan.domains.items()))
        out.append([("domains ", "dim"), (shown, "")])
    if plan.shapes:
        from nncheck.lang.shapes import declared_text

        out.append([("shapes  ", "dim"), (", ".join(f"{k}: {declared_text(v)}" for k, v in plan.shapes.items()), "")])
    if len(out) > 0:
        out.append([])
    # Steps go with the line that carries them, by row: in a LaTeX document two lines may share
    # a .tex line number (two equations on one source line), each shown with that number.
    by_line: dict = {}
    for st in report.steps:
        by_line.setdefault(st.row, []).append(st)
    numbers = [ln.number for ln in (plan.parsed.lines if plan.parsed else [])] + [st.line for st in report.steps]
    width = max([len(str(n)) for n in numbers if n] + [1])
    indent = " " * (width + 3)
    circ = report.circular
    for st in by_line.get(0, []):  # the whole text refused
        out.extend(_step_rows(st, "", width, indent, True))
    lines = plan.parsed.lines if plan.parsed else []
    numbered = {ln.row for ln in lines}
    for st in report.steps:  # a start check that no line carries (nothing to begin with)
        if st.kind == "start" and st.row not in numbered:
            out.extend(_step_rows(st, "", width, indent, True))
    for ln in lines:
        if ln.kind in ("assume", "given", "start", "target", "shapes"):
            if ln.kind == "given" or ln.error is None:
                continue
        steps = by_line.get(ln.row, [])
        if steps and all(st.kind == "start" for st in steps) and ln.kind != "error":
            # The line that begins the derivation: show it with the start check.
            out.append([(f"{ln.number:>{width}} ", "dim"), (MARKS[steps[0].status][0], MARKS[steps[0].status][1]),
                        (" " + ln.shown_parsed(), "")])
            out.extend(_step_rows(steps[0], "", width, indent, True)[1:])
            continue
        if not steps:
            mark = "≔" if ln.kind == "definition" else "·"
            out.append([(f"{ln.number:>{width}} ", "dim"), (mark, "dim"), (" " + ln.shown_parsed(), "")])
            continue
        first_row, first_claim = True, True
        for st in steps:
            out.extend(_step_rows(st, str(ln.number) if first_row else "", width, indent,
                                  first_claim or st.kind == "start", circ.get(st)))
            first_row = False
            if st.kind != "start":
                first_claim = False
    for note in plan.notes + report.notes:
        out.append([("note: " + note, "dim")])
    out.extend(_milestone_rows(report))
    out.append([])
    style = "bold green" if report.exit_code == 0 else ("bold yellow" if report.exit_code == 2 else "bold red")
    mark = "✓" if report.exit_code == 0 else "✗"
    out.append([(f"{mark} {report.summary()}", style)])
    if report.mistake is not None:
        out.append([("  mistake: ", "magenta"), (report.mistake[1], "")])
    return out


def _milestone_rows(report: Report) -> list[list[Segment]]:
    """For a problem: each milestone earned (with its line), skipped or still to do, and the score."""
    if report.problem is None:
        return []
    out: list[list[Segment]] = []
    rows = report.milestone_rows()
    if rows:
        out.append([])
        out.append([("milestones", "bold")])
        for r in rows:
            share = f"{r['share']:.2f}".rstrip("0").rstrip(".")
            if r["earned"]:
                out.append([("  ✓ ", "bold green"), (f"{share:<5}", "dim"), (f"{r['shows']} (line {r['line']})", "")])
            else:
                word = "skipped: " if r["skipped"] else "to do: "
                out.append([("  ✗ ", "bold red"), (f"{share:<5}", "dim"), (word + r["missing"], "red")])
    score = f"{report.score:.2f}".rstrip("0").rstrip(".")
    out.append([("score ", "bold"), (f"{score} of 1", "bold")])
    return out


def _text(node) -> str:
    from nncheck.lang.syntax import to_text

    return to_text(node)


def plain_text(lines: list[list[Segment]]) -> str:
    return "\n".join("".join(t for t, _ in segs) for segs in lines) + "\n"


def rich_renderable(lines: list[list[Segment]]):
    from rich.console import Group
    from rich.text import Text

    return Group(*(Text.assemble(*[(t, st) if st else t for t, st in segs]) for segs in lines))
