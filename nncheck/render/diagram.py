"""Small character-grid drawings of boxes, for IoU and bbox problems in a terminal.

Coordinates are image coordinates: x grows to the right, y grows *down*, and a box
(x, y, w, h) covers the cells x ≤ col < x + w, y ≤ row < y + h.
"""

from __future__ import annotations

from fractions import Fraction

MAX_EXTENT = 40
#: 4-vectors that are not boxes (regression targets).
NOT_BOXES = ("t", "targets", "target")


def box_params(variant) -> list[tuple[str, list]]:
    """The boxes a variant draws: its 4-vector parameters (x, y, w, h), then any ``_boxes``
    its solver derives.  Shared by the terminal grid and the SVG/TikZ exports."""
    out = []
    for name, spec in variant.family["params"].items():
        v = variant.params.get(name)
        if spec.get("hidden") or spec["type"] != "vector" or not isinstance(v, list) or len(v) != 4:
            continue
        if name.lower() in NOT_BOXES:
            continue
        if all(isinstance(x, (int, float, Fraction)) and not isinstance(x, bool) for x in v):
            out.append((name, v))
    for label, _mark, box in variant.derived.get("_boxes") or []:
        out.append((str(label), list(box)))
    return out


def _ints(box) -> list[int] | None:
    out = []
    for v in box:
        f = Fraction(v) if not isinstance(v, float) else (Fraction(v) if float(v).is_integer() else None)
        if f is None or f.denominator != 1:
            return None
        out.append(int(f))
    return out


def boxes_grid(boxes: list[tuple[str, str, list]]) -> list[str] | None:
    """Lines of a grid drawing ``boxes`` = [(label, mark, (x, y, w, h)), ...] or None if it cannot.

    Cells covered by one box show its mark, by several boxes ``#``.
    """
    rects = []
    for label, mark, box in boxes:
        b = _ints(box)
        if b is None or b[2] <= 0 or b[3] <= 0:
            return None
        rects.append((label, mark, b))
    x0 = min(0, *(r[2][0] for r in rects))
    y0 = min(0, *(r[2][1] for r in rects))
    x1 = max(r[2][0] + r[2][2] for r in rects) + 1
    y1 = max(r[2][1] + r[2][3] for r in rects) + 1
    if x1 - x0 > MAX_EXTENT or y1 - y0 > MAX_EXTENT:
        return None
    width = len(str(y1 - 1))
    header = " " * (width + 1) + " ".join(str(x % 10) for x in range(x0, x1))
    lines = [f"{'':>{width}} x→", header]
    for y in range(y0, y1):
        row = []
        for x in range(x0, x1):
            inside = [m for _, m, (bx, by, bw, bh) in rects if bx <= x < bx + bw and by <= y < by + bh]
            row.append("#" if len(inside) > 1 else (inside[0] if inside else "·"))
        lines.append(f"{y:>{width}} " + " ".join(row))
    legend = ", ".join(f"{m} = {label}" for label, m, _ in rects) + ", # = both (the intersection); y grows downward"
    lines.append(legend)
    return lines
