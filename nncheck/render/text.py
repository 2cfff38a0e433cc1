"""Plain-text views shared by the fast start-up path and the full CLI.

No rich here: ``nncheck list`` and ``nncheck show`` must start in a few
milliseconds.  Colour is a handful of ANSI codes, used only on a terminal and
never when ``NO_COLOR`` is set.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (this module is on the start-up path)
if TYPE_CHECKING:
    from nncheck.records import FamilySummary

_CODES = {"bold": "1", "dim": "2", "cyan": "36", "green": "32", "red": "31", "yellow": "33", "magenta": "35"}


def use_color(stream=None) -> bool:
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def paint(text: str, style: str, color: bool) -> str:
    if not color or not text:
        return text
    codes = ";".join(_CODES[s] for s in style.split())
    return f"\x1b[{codes}m{text}\x1b[0m"


def list_view(records: list[FamilySummary], color: bool = False) -> str:
    if not records:
        return "no problem families match"
    show_origin = any(r.get("_origin", "bundled") != "bundled" for r in records)
    rows = [(r["id"], r["topic"], r["title"], "" if r.get("_origin", "bundled") == "bundled" else r["_origin"])
            for r in records]
    w_id = max(len(r[0]) for r in rows + [("id", "", "", "")])
    w_topic = max(len(r[1]) for r in rows + [("", "topic", "", "")])
    head = f"{'id':<{w_id}}  {'topic':<{w_topic}}  title" + ("  source" if show_origin else "")
    out = [paint(head, "bold", color)]
    for fid, topic, title, origin in rows:
        line = f"{paint(fid.ljust(w_id), 'cyan', color)}  {topic:<{w_topic}}  {title}"
        if show_origin:
            line += f"  {origin or 'bundled'}"
        out.append(line)
    out.append(paint(f"{len(rows)} families. Try: nncheck show {rows[0][0]} --seed 1", "dim", color))
    return "\n".join(out)


def list_json(records: list[FamilySummary]) -> list[dict]:
    return [{"id": r["id"], "topic": r["topic"], "title": r["title"], "source": r.get("source", ""),
             "difficulty": r.get("difficulty", 2), "parts": [p["name"] for p in r["parts"]],
             "params": list(r["params"]), "origin": r.get("_origin", "bundled")} for r in records]


def diagram_lines(variant) -> list[str] | None:
    kind = variant.family.get("diagram")
    if kind != "boxes":
        return None
    from nncheck.render.diagram import box_params, boxes_grid

    boxes = []
    used: set = set()
    for name, v in box_params(variant):
        # Mark each box with a letter of its own name: box_ref -> R, box_roi -> O, anchor -> A.
        tail = name.split("_")[-1].upper()
        mark = next((c for c in tail if c.isalpha() and c not in used and c != "X"), "*")
        used.add(mark)
        boxes.append((name, mark, v))
    return boxes_grid(boxes) if boxes else None


def origin_lines(variant) -> list[str]:
    """Where the values you did not give come from, once you give any: the bank's neutral defaults and
    what the seed drew (``drawn at random: S=4, P=0 (seed 17)``).  None for a plain seeded draw, whose
    header already names the seed."""
    if not variant.overrides and not variant.defaulted:
        return []
    from nncheck.lang.template import fmt_value

    def listed(names: list[str]) -> str:
        return ", ".join(f"{n}={_short(fmt_value(variant.params[n]))}" for n in names)

    used = variant.used_defaulted()
    out = [f"defaults: {listed(used)}"] if used else []
    if variant.drawn:
        out.append(f"drawn at random: {listed(variant.drawn)} (seed {variant.seed})")
    return out


def _short(text: str, limit: int = 40) -> str:
    """A long array's text cut (the prompt shows it whole)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def show_view(variant, color: bool = False, *, diagram: bool | None = None) -> str:
    out = [paint(f"{variant.id}", "bold cyan", color) + paint(f" · seed {variant.seed}", "dim", color)
           + f"  {variant.title}", ""]
    origin = origin_lines(variant)
    if origin:
        out[1:1] = [paint(line, "dim", color) for line in origin]
    out.append(variant.prompt)
    if diagram is None:
        diagram = color
    if diagram:
        lines = diagram_lines(variant)
        if lines:
            out.append("")
            out.extend(paint(line, "dim", color) if i == len(lines) - 1 else line for i, line in enumerate(lines))
    out.append("")
    for i, p in enumerate(variant.parts, 1):
        label = paint(f"({chr(96 + i)}) {p['name']}", "bold", color)
        prompt = variant.part_prompt(p)
        kind = paint(f"[{p['kind']}]", "dim", color)
        first, *rest = prompt.split("\n")
        out.append(f"{label}  {first}  {kind}")
        out.extend("     " + r for r in rest)
    rule = tolerance_line(variant.parts)
    if rule:
        out.extend(["", paint(rule, "dim", color)])
    return "\n".join(out)


def tolerance_line(parts: list) -> str | None:
    """The rule numeric answers are graded by, stated once under the parts (None without numbers)."""
    from nncheck.lang.tolerance_rule import prompt_line

    return prompt_line(parts, [f"({chr(96 + i)})" for i in range(1, len(parts) + 1)])
