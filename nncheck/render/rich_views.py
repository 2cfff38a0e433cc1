"""Rich renderings: answer keys with worked solutions, and verdicts."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.markup import escape
from rich.text import Text

from nncheck import kinds
from nncheck.lang.template import fmt_value
from nncheck.render.text import diagram_lines


def answer_display(kind: str, value) -> str:
    """The key's answer as a person would write it (the kind's terminal display)."""
    return kinds.get(kind).display(value)


def _indented(text: str, n: int, **kw: Any) -> Text:
    """Indent every line by ``n`` spaces.  (rich's Padding pads short lines with trailing
    spaces up to the longest one, which piped output and golden files should not carry.)"""
    pad = " " * n
    return Text("\n".join(pad + line for line in str(text).split("\n")), **kw)


def key_renderable(key, *, steps: bool = True, prompt: bool = True, diagram: bool = True, wrap: bool = True):
    v = key.variant
    items = []
    # Piped output is never re-wrapped: a matrix block or a long vector must stay on its lines.
    nowrap: dict[str, Any] = {} if wrap else {"no_wrap": True, "overflow": "fold"}
    items.append(Text.assemble((v.id, "bold cyan"), (f" · seed {v.seed}", "dim"), f"  {v.title}"))
    if prompt:
        items.append(Text(""))
        items.append(Text(v.prompt, **nowrap))
        if diagram:
            lines = diagram_lines(v)
            if lines:
                items.append(Text(""))
                items.append(Text("\n".join(lines), style="dim"))
    for line in key.preamble:
        items.append(Text("  " + line, style="dim"))
    for i, p in enumerate(v.parts, 1):
        kp = key.parts[p["name"]]
        items.append(Text(""))
        head = Text.assemble((f"({chr(96 + i)}) {p['name']}", "bold"), "  ", (v.part_prompt(p), ""))
        items.append(head)
        # The kind's display follows the numbers policy: a closed form carries its decimal (≈ 0.3959).
        ans = kp.display()
        if "\n" in ans:
            items.append(Text("    answer:", style="green"))
            items.append(_indented(ans, 6, style="bold green"))
        else:
            items.append(Text.assemble(("    answer: ", "green"), (ans, "bold green")))
        if steps:
            for s in kp.steps:
                items.append(_indented(s, 6, **nowrap))
    return Group(*items)


def verdict_renderable(verdict, part_name: str | None = None):
    status = verdict.status
    style = {"correct": "bold green", "incorrect": "bold red", "invalid": "bold yellow"}[status]
    mark = {"correct": "✓", "incorrect": "✗", "invalid": "?"}[status]
    head = Text.assemble((f"{mark} {status}", style))
    if part_name:
        head.append(f"  ({part_name})", style="dim")
    if status != "invalid" and verdict.score not in (0.0, 1.0):
        head.append(f"  score {verdict.score:.2f}", style="dim")
    items = [head]
    if verdict.error is not None:
        items.append(_indented(verdict.error.caret(), 2, style="yellow"))
        items.append(Text("  (an unreadable answer costs no attempt)", style="dim"))
    else:
        if verdict.parsed_as is not None:
            items.append(Text.assemble(("  parsed as: ", "dim"), (verdict.parsed_as, "")))
        if verdict.feedback:
            fb = verdict.feedback
            if verdict.mistake and status == "incorrect":
                items.append(Text.assemble(("  mistake: ", "magenta"), (fb, "")))
            else:
                items.append(Text("  " + fb))
    return Group(*items)


__all__ = ["key_renderable", "verdict_renderable", "answer_display", "fmt_value", "escape"]
