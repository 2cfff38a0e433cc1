"""Diagrams for exported sets: boxes (IoU, bbox targets) and number grids (conv inputs, kernels).

SVG is drawn with drawsvg (for Markdown) and TikZ is written for LaTeX.  Boxes are
(x, y, w, h) with (x, y) the top-left corner and y growing *down*, as in the prompts
and :mod:`nncheck.render.diagram`.  Only the problem's givens are drawn, never an answer.
"""

from __future__ import annotations

from fractions import Fraction

from nncheck.lang.template import fmt_number

PX = 24  # SVG pixels per unit
MAX_UNITS = 60  # larger scenes are scaled down
COLORS = (("#1f77b4", "blue"), ("#ff7f0e", "orange"), ("#2ca02c", "green!60!black"), ("#9467bd", "violet"))
#: Topics whose matrix givens are feature maps and kernels, drawn as grids even without ``diagram: grid``.
GRID_TOPICS = ("conv", "pool")


def _num(x) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float, Fraction)):
        return None
    return float(x)


def boxes_of(variant) -> list[tuple[str, list[float]]]:
    """The variant's boxes (as the terminal diagram picks them), as floats, with w, h > 0."""
    from nncheck.render.diagram import box_params

    out: list[tuple[str, list[float]]] = []
    for name, box in box_params(variant):
        nums = [_num(x) for x in box]
        floats = [n for n in nums if n is not None]
        if len(floats) == len(nums):  # every coordinate is a number
            out.append((name, floats))
    return [b for b in out if b[1][2] > 0 and b[1][3] > 0]


def grids_of(variant) -> list[tuple[str, list[list]]]:
    """Matrix parameters, for ``diagram: grid`` families (conv input and kernel, pooled maps)."""
    out = []
    for name, spec in variant.family["params"].items():
        v = variant.params.get(name)
        if spec.get("hidden") or spec["type"] != "matrix" or not isinstance(v, list) or not v:
            continue
        if isinstance(v[0], list) and all(len(r) == len(v[0]) for r in v) and len(v) <= 12 and len(v[0]) <= 12:
            out.append((name, v))
    return out


def box_label(name: str) -> str:
    """A box parameter's name as the notes label the box: ``box_ref`` is REF, ``box_roi`` ROI, ``anchor``
    stays a word (never a raw underscore on a figure)."""
    word = name.removeprefix("box_")
    return word.upper() if len(word) <= 3 else word.replace("_", " ")


def diagram_of(variant):
    """("boxes", boxes) or ("grid", grids) for a family with a ``diagram:``, else None."""
    kind = variant.family.get("diagram")
    if kind == "boxes":
        boxes = boxes_of(variant)
        return ("boxes", boxes) if boxes else None
    if kind == "grid" or (kind is None and variant.topic in GRID_TOPICS):
        grids = grids_of(variant)
        return ("grid", grids) if grids else None
    return None


def _extent(boxes) -> tuple[int, int, int, int]:
    import math

    x0 = math.floor(min(0.0, *(b[0] for _, b in boxes)))
    y0 = math.floor(min(0.0, *(b[1] for _, b in boxes)))
    x1 = math.ceil(max(b[0] + b[2] for _, b in boxes)) + 1
    y1 = math.ceil(max(b[1] + b[3] for _, b in boxes)) + 1
    return x0, y0, x1, y1


def _intersection(a, b):
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    if x1 > x0 and y1 > y0:
        return (x0, y0, x1 - x0, y1 - y0)
    return None


def _g(x: float) -> str:
    """A coordinate without float noise: 2, 2.5, 0.3333."""
    r = round(x, 4)
    return str(int(r)) if r == int(r) else f"{r:g}"


# ----------------------------------------------------------------------------
# SVG.
# ----------------------------------------------------------------------------
def svg_boxes(boxes: list[tuple[str, list[float]]]) -> str:
    import drawsvg as draw

    x0, y0, x1, y1 = _extent(boxes)
    units = max(x1 - x0, y1 - y0)
    px = PX if units <= MAX_UNITS else max(4, PX * MAX_UNITS // units)
    margin = 30
    w = (x1 - x0) * px + 2 * margin + 24
    h = (y1 - y0) * px + 2 * margin + 16 * len(boxes)
    d = draw.Drawing(w, h, origin=(0, 0))
    d.append(draw.Rectangle(0, 0, w, h, fill="white"))

    def X(x):
        return margin + (x - x0) * px

    def Y(y):
        return margin + (y - y0) * px

    step = 1 if units <= 20 else 5
    for gx in range(x0, x1 + 1):
        d.append(draw.Line(X(gx), Y(y0), X(gx), Y(y1), stroke="#dddddd", stroke_width=1))
        if gx % step == 0:
            d.append(draw.Text(str(gx), 10, X(gx), Y(y0) - 6, text_anchor="middle", font_family="sans-serif"))
    for gy in range(y0, y1 + 1):
        d.append(draw.Line(X(x0), Y(gy), X(x1), Y(gy), stroke="#dddddd", stroke_width=1))
        if gy % step == 0:
            d.append(draw.Text(str(gy), 10, X(x0) - 6, Y(gy) + 3, text_anchor="end", font_family="sans-serif"))
    d.append(draw.Text("x →", 11, X(x1) + 14, Y(y0) - 6, font_family="sans-serif"))
    d.append(draw.Text("y ↓", 11, X(x0) - 6, Y(y1) + 16, text_anchor="end", font_family="sans-serif"))
    for i, (label, (bx, by, bw, bh)) in enumerate(boxes):
        color = COLORS[i % len(COLORS)][0]
        d.append(draw.Rectangle(X(bx), Y(by), bw * px, bh * px, fill=color, fill_opacity=0.18, stroke=color,
                                stroke_width=2))
        d.append(draw.Text(box_label(label), 11, X(bx) + 3, Y(by) + 12, fill=color, font_family="sans-serif",
                           font_weight="bold"))
    if len(boxes) >= 2:
        inter = _intersection(boxes[0][1], boxes[1][1])
        if inter:
            ix, iy, iw, ih = inter
            d.append(draw.Rectangle(X(ix), Y(iy), iw * px, ih * px, fill="#444444", fill_opacity=0.25,
                                    stroke="none"))
    legend_y = Y(y1) + 30
    for i, (label, b) in enumerate(boxes):
        color = COLORS[i % len(COLORS)][0]
        text = f"{box_label(label)} = ({', '.join(_g(v) for v in b)})"
        d.append(draw.Rectangle(margin, legend_y + 16 * i - 9, 10, 10, fill=color, fill_opacity=0.5, stroke=color))
        d.append(draw.Text(text, 11, margin + 16, legend_y + 16 * i, font_family="sans-serif"))
    return d.as_svg() + "\n"


def svg_grids(grids: list[tuple[str, list[list]]]) -> str:
    import drawsvg as draw

    cell = 34
    gap = 30
    margin = 20
    widths = [len(m[0]) * cell for _, m in grids]
    heights = [len(m) * cell for _, m in grids]
    w = sum(widths) + gap * (len(grids) - 1) + 2 * margin
    h = max(heights) + 2 * margin + 18
    d = draw.Drawing(w, h, origin=(0, 0))
    d.append(draw.Rectangle(0, 0, w, h, fill="white"))
    left = margin
    for (label, m), gw in zip(grids, widths):
        top = margin + 18
        d.append(draw.Text(label, 12, left, margin + 8, font_family="sans-serif", font_weight="bold"))
        for i, row in enumerate(m):
            for j, x in enumerate(row):
                d.append(draw.Rectangle(left + j * cell, top + i * cell, cell, cell, fill="#f4f8fc",
                                        stroke="#335577", stroke_width=1))
                d.append(draw.Text(fmt_number(x), 11, left + j * cell + cell / 2, top + i * cell + cell / 2 + 4,
                                   text_anchor="middle", font_family="sans-serif"))
        left += gw + gap
    return d.as_svg() + "\n"


def svg_diagram(diagram) -> str | None:
    if diagram is None:
        return None
    kind, data = diagram
    return svg_boxes(data) if kind == "boxes" else svg_grids(data)


# ----------------------------------------------------------------------------
# TikZ.
# ----------------------------------------------------------------------------
def _tikz_lines(x0, y0, x1, y1, style: str) -> list[str]:
    """Every grid line drawn one by one, in the picture's own coordinates: TikZ's ``grid`` steps in
    centimetres whatever the x and y units are, and skips lines when the y axis points down."""
    out = [f"\\draw[{style}] ({_g(x)},{_g(y0)}) -- ({_g(x)},{_g(y1)});" for x in range(x0, x1 + 1)]
    out += [f"\\draw[{style}] ({_g(x0)},{_g(y)}) -- ({_g(x1)},{_g(y)});" for y in range(y0, y1 + 1)]
    return out


def _box_unit(units: int) -> float:
    """cm per unit of a box figure: large enough to read, at most 12 cm across."""
    return min(0.8, 12.0 / units)


def tikz_boxes(boxes: list[tuple[str, list[float]]]) -> str:
    from nncheck.export.mathtext import latex_escape_text

    x0, y0, x1, y1 = _extent(boxes)
    units = max(x1 - x0, y1 - y0)
    unit = _box_unit(units)
    step = 1 if units <= 20 else 5
    out = [f"\\begin{{tikzpicture}}[x={unit:.3f}cm,y=-{unit:.3f}cm,font=\\footnotesize]"]
    out += _tikz_lines(x0, y0, x1, y1, "very thin,gray!30")
    out += [f"\\draw[->] ({x0},{y0}) -- ({_g(x1 + 0.6)},{y0}) node[right] {{$x$}};",
            f"\\draw[->] ({x0},{y0}) -- ({x0},{_g(y1 + 0.6)}) node[below] {{$y$}};"]
    out += [f"\\node[above] at ({i},{y0}) {{\\tiny {i}}};" for i in range(x0, x1 + 1) if i % step == 0]
    out += [f"\\node[left] at ({x0},{i}) {{\\tiny {i}}};" for i in range(y0, y1 + 1) if i % step == 0]
    for i, (label, (bx, by, bw, bh)) in enumerate(boxes):
        color = COLORS[i % len(COLORS)][1]
        out.append(f"\\filldraw[draw={color},thick,fill={color},fill opacity=0.15] ({_g(bx)},{_g(by)}) "
                   f"rectangle ++({_g(bw)},{_g(bh)});")
        # Labels at alternate corners (top left, bottom right): two boxes often share a corner.
        corner, anchor = ((_g(bx), _g(by)), "north west") if i % 2 == 0 else ((_g(bx + bw), _g(by + bh)),
                                                                             "south east")
        out.append(f"\\node[anchor={anchor},text={color},inner sep=1pt] at ({corner[0]},{corner[1]}) "
                   f"{{\\textbf{{{latex_escape_text(box_label(label))}}}}};")
    if len(boxes) >= 2:
        inter = _intersection(boxes[0][1], boxes[1][1])
        if inter:
            out.append(f"\\fill[black,fill opacity=0.2] ({_g(inter[0])},{_g(inter[1])}) "
                       f"rectangle ++({_g(inter[2])},{_g(inter[3])});")
    out.append("\\end{tikzpicture}")
    return "\n".join(out)


def tikz_grids(grids: list[tuple[str, list[list]]]) -> str:
    """Matrices as grids of cells, one unit per cell; a cell is widened for long entries."""
    from nncheck.export.mathtext import latex_number, latex_word

    longest = max((len(fmt_number(x)) for _, m in grids for row in m for x in row), default=1)
    cell = max(0.7, round(0.2 * longest + 0.2, 2))
    out = [f"\\begin{{tikzpicture}}[x={cell}cm,y=-0.7cm,font=\\small]"]
    left = 0
    for label, m in grids:
        rows, cols = len(m), len(m[0])
        out.append(f"\\node[anchor=south west,inner sep=2pt] at ({left},0) {{${latex_word(label)}$}};")
        out.append(f"\\fill[blue!4] ({left},0) rectangle ({left + cols},{rows});")
        out += _tikz_lines(left, 0, left + cols, rows, "gray!70")
        out.append(f"\\draw[thick] ({left},0) rectangle ({left + cols},{rows});")
        for i, row in enumerate(m):
            for j, x in enumerate(row):
                out.append(f"\\node at ({_g(left + j + 0.5)},{_g(i + 0.5)}) {{${latex_number(x)}$}};")
        left += cols + 1
    out.append("\\end{tikzpicture}")
    return "\n".join(out)


def tikz_diagram(diagram) -> str | None:
    if diagram is None:
        return None
    kind, data = diagram
    return tikz_boxes(data) if kind == "boxes" else tikz_grids(data)


def tikz_height_cm(diagram) -> float:
    """About how tall the TikZ figure of ``diagram`` prints (cm), for keeping it with its problem."""
    if diagram is None:
        return 0.0
    kind, data = diagram
    if kind == "boxes":
        x0, y0, x1, y1 = _extent(data)
        return (y1 - y0 + 1) * _box_unit(max(x1 - x0, y1 - y0)) + 0.8
    return max(len(m) for _, m in data) * 0.7 + 0.8
