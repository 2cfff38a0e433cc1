"""Object detection (ECE 417 "CNN & Faster-RCNN"): IoU, bbox regression targets, the loss.

Boxes are (x, y, w, h) in image coordinates (y grows downward).  In the ECE 417 exam review's IoU
formula (x, y) is the top-left corner, and so it is here.  The regression targets
come in two conventions:

* ``corner`` — the ECE 417 exam review's formula applied to the corners: t = ((x − x_a)/w_a, (y − y_a)/h_a,
  ln(w/w_a), ln(h/h_a));
* ``center`` — Faster R-CNN: the same formula on the box *centres* x + w/2, y + h/2.
"""

from __future__ import annotations

import math
from fractions import Fraction

from nncheck.topics.base import ParamError, R, Solver, as_sympy, num, signed_sum

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `nncheck show` imports this module
if TYPE_CHECKING:
    import random


def _check_box(name: str, box) -> None:
    if len(box) != 4:
        raise ParamError(f"{name} must be (x, y, w, h): 4 numbers, got {len(box)}")
    if not (box[2] > 0 and box[3] > 0):
        raise ParamError(f"{name} must have a positive width and height; got w={num(box[2])}, h={num(box[3])}")


def _overlap_1d(a0, a1, b0, b1):
    return min(a1, b1) - max(a0, b0)


class _BoxSolver(Solver):
    """A family on (x, y, w, h) boxes: every box parameter is checked, and an exam draw chooses the
    ``drawn`` parameters together, so it keeps the user's numbers whenever they give any of them."""

    boxes: tuple[str, ...] = ()  # the parameters that are boxes
    drawn: tuple[str, ...] = ()  # the parameters an exam draw chooses

    def check(self, p: dict) -> None:
        for name in self.boxes:
            _check_box(name, p[name])

    def draw(self, p: dict, rng: random.Random, fixed: frozenset[str]) -> dict:
        if fixed & set(self.drawn):
            return p
        return self._draw(dict(p), rng)

    def _draw(self, p: dict, rng: random.Random) -> dict:
        raise NotImplementedError


class IoU(_BoxSolver):
    """``detection.iou``: I, U and I/U of two (x, y, w, h) boxes."""

    boxes = drawn = ("box_ref", "box_roi")

    def _draw(self, p: dict, rng: random.Random) -> dict:
        """Integer boxes on a small grid; nine times in ten they overlap (boxes apart, I = 0, are worth
        asking now and then, not in a third of the exams)."""
        x, y, w, h = rng.randint(0, 3), rng.randint(0, 3), rng.randint(2, 6), rng.randint(2, 6)
        p["box_ref"] = [x, y, w, h]
        w2, h2 = rng.randint(2, 6), rng.randint(2, 6)
        if rng.random() < 0.9:
            x2 = rng.randint(x - w2 + 1, x + w - 1)
            y2 = rng.randint(y - h2 + 1, y + h - 1)
        else:
            x2 = x + w + rng.randint(0, 2)
            y2 = rng.randint(max(0, y - 2), y + h)
        p["box_roi"] = [max(0, x2), max(0, y2), w2, h2]
        return p

    def _parts(self, ref, roi, Max, Min):
        xr, yr, wr, hr = ref
        xo, yo, wo, ho = roi
        iw = Max(0, Min(xr + wr, xo + wo) - Max(xr, xo))
        ih = Max(0, Min(yr + hr, yo + ho) - Max(yr, yo))
        inter = iw * ih
        union = wr * hr + wo * ho - inter
        return inter, union

    def exact(self, p: dict) -> dict:
        import sympy

        ref = [R(v) for v in p["box_ref"]]
        roi = [R(v) for v in p["box_roi"]]
        inter, union = self._parts(ref, roi, sympy.Max, sympy.Min)
        return {"I": inter, "U": union, "IoU": inter / union}

    def numeric(self, p: dict) -> dict:
        import numpy as np

        # Corner form [x0, y0, x1, y1]: the overlap is clip(min of ends − max of starts, 0).
        a = np.array(p["box_ref"], dtype=float)
        b = np.array(p["box_roi"], dtype=float)
        ca = np.array([a[0], a[1], a[0] + a[2], a[1] + a[3]])
        cb = np.array([b[0], b[1], b[0] + b[2], b[1] + b[3]])
        side = np.clip(np.minimum(ca[2:], cb[2:]) - np.maximum(ca[:2], cb[:2]), 0.0, None)
        inter = float(np.prod(side))
        union = float(a[2] * a[3] + b[2] * b[3] - inter)
        return {"I": inter, "U": union, "IoU": inter / union}

    def carry_from(self, p: dict) -> dict[str, tuple[str, ...]]:
        """U = w_REF·h_REF + w_ROI·h_ROI − I, and IoU = I/U."""
        return {"U": ("I",), "IoU": ("I", "U")}

    def carry(self, p: dict, given: dict) -> dict:
        """U and I/U from the student's I and U (the key's where they were right); U = 0 gives no IoU."""
        key = self.numeric(p)
        inter = float(given.get("I", key["I"]))
        out: dict = {}
        if "I" in given:
            a, b = p["box_ref"], p["box_roi"]
            out["U"] = float(a[2] * a[3] + b[2] * b[3]) - inter
        union = float(given.get("U", key["U"]))
        if {"I", "U"} & set(given) and union != 0:
            out["IoU"] = inter / union
        return out

    def solution(self, p: dict, key: dict) -> dict:
        xr, yr, wr, hr = p["box_ref"]
        xo, yo, wo, ho = p["box_roi"]
        iw_raw = _overlap_1d(xr, xr + wr, xo, xo + wo)
        ih_raw = _overlap_1d(yr, yr + hr, yo, yo + ho)
        iw, ih = max(0, iw_raw), max(0, ih_raw)
        n = num
        i_steps = [
            f"Overlap in x: min(x_REF + w_REF, x_ROI + w_ROI) − max(x_REF, x_ROI) = min({n(xr + wr)}, {n(xo + wo)}) − "
            f"max({n(xr)}, {n(xo)}) = {n(iw_raw)}" + (" → 0 (no overlap)" if iw_raw <= 0 else ""),
            f"Overlap in y: min({n(yr + hr)}, {n(yo + ho)}) − max({n(yr)}, {n(yo)}) = {n(ih_raw)}"
            + (" → 0 (no overlap)" if ih_raw <= 0 else ""),
            f"I = {n(iw)} × {n(ih)} = {n(key['I'])}",
        ]
        u_steps = [f"U = w_REF·h_REF + w_ROI·h_ROI − I = {n(wr)}·{n(hr)} + {n(wo)}·{n(ho)} − {n(key['I'])} "
                   f"= {n(key['U'])}"]
        iou_steps = [f"IoU = I/U = {n(key['I'])}/{n(key['U'])} = {n(key['IoU'])}"]
        return {"I": i_steps, "U": u_steps, "IoU": iou_steps}

    def mistakes(self, p: dict) -> dict:
        xr, yr, wr, hr = (Fraction(v) for v in p["box_ref"])
        xo, yo, wo, ho = (Fraction(v) for v in p["box_roi"])
        iw = _overlap_1d(xr, xr + wr, xo, xo + wo)
        ih = _overlap_1d(yr, yr + hr, yo, yo + ho)
        inter = max(0, iw) * max(0, ih)
        a_ref, a_roi = wr * hr, wo * ho
        out: dict = {"union-without-minus-i": {"U": a_ref + a_roi}}
        if a_ref + a_roi:
            out["union-without-minus-i"]["IoU"] = inter / (a_ref + a_roi)
        out["iou-over-ref-area"] = {"IoU": inter / a_ref}
        # The seed's formula without clamping: two negative overlaps multiply to a positive "I".
        raw = iw * ih
        if raw != inter:
            out["overlap-not-clamped"] = {"I": raw}
            u = a_ref + a_roi - raw
            if u:
                out["overlap-not-clamped"]["IoU"] = raw / u
        return out


# ----------------------------------------------------------------------------
# Regression targets.
# ----------------------------------------------------------------------------
def _ref_point(box, convention: str):
    """The point the targets regress: the corner itself, or the centre."""
    x, y, w, h = box
    if convention == "center":
        return x + w / 2, y + h / 2
    return x, y


def _exact_log(t):
    """ln as SymPy: recognise t = ln(r) for a simple rational r, so ln(2) stays ln(2)."""
    import sympy

    if isinstance(t, float):
        r = Fraction(math.exp(t)).limit_denominator(100)
        if r > 0 and abs(math.log(r) - t) < 1e-12:
            return sympy.log(sympy.Rational(r.numerator, r.denominator))
    return R(t)


class BBoxTargets(_BoxSolver):
    """``detection.bbox-targets``: the 4-vector t that regresses ``anchor`` onto ``ref``."""

    boxes = drawn = ("anchor", "ref")

    def _draw(self, p: dict, rng: random.Random) -> dict:
        """Anchors of width/height 2, 4 or 8 and boxes half, equal or double: ln 2 at most."""
        wa, ha = rng.choice([2, 4, 8]), rng.choice([2, 4, 8])
        xa, ya = rng.randint(0, 6), rng.randint(0, 6)
        scales: list[Fraction] = [Fraction(1, 2), Fraction(1), Fraction(2)]
        w = int(wa * rng.choice(scales))
        h = int(ha * rng.choice(scales))
        p["anchor"] = [xa, ya, wa, ha]
        p["ref"] = [xa + rng.randint(-2, 3), ya + rng.randint(-2, 3), w, h]
        return p

    def exact(self, p: dict) -> dict:
        import sympy

        anchor = [R(v) for v in p["anchor"]]
        ref = [R(v) for v in p["ref"]]
        conv = p["convention"]
        xa, ya = _ref_point(anchor, conv)
        x, y = _ref_point(ref, conv)
        t = [(x - xa) / anchor[2], (y - ya) / anchor[3], sympy.log(ref[2] / anchor[2]), sympy.log(ref[3] / anchor[3])]
        return {"t": sympy.Matrix(t)}

    def numeric(self, p: dict) -> dict:
        import numpy as np

        a = np.array(p["anchor"], dtype=float)
        b = np.array(p["ref"], dtype=float)
        if p["convention"] == "center":
            a[:2] += a[2:] / 2
            b[:2] += b[2:] / 2
        return {"t": np.concatenate([(b[:2] - a[:2]) / a[2:], np.log(b[2:] / a[2:])])}

    def solution(self, p: dict, key: dict) -> dict:
        xa, ya, wa, ha = p["anchor"]
        x, y, w, h = p["ref"]
        n = num
        steps = []
        if p["convention"] == "center":
            cxa, cya = xa + Fraction(wa) / 2, ya + Fraction(ha) / 2
            cx, cy = x + Fraction(w) / 2, y + Fraction(h) / 2
            steps.append(f"Centres (Faster R-CNN): anchor ({n(xa)} + {n(wa)}/2, {n(ya)} + {n(ha)}/2) "
                         f"= ({n(cxa)}, {n(cya)}); REF ({n(x)} + {n(w)}/2, {n(y)} + {n(h)}/2) = ({n(cx)}, {n(cy)})")
            x, y, xa, ya = cx, cy, cxa, cya
        else:
            steps.append("Corner convention (ECE 417): use the top-left corners as given.")
        t = key["t"]
        steps += [
            f"t_x = (x_REF − x_a)/w_a = ({n(x)} − {n(xa)})/{n(wa)} = {n(t[0])}",
            f"t_y = (y_REF − y_a)/h_a = ({n(y)} − {n(ya)})/{n(ha)} = {n(t[1])}",
            f"t_w = ln(w_REF/w_a) = ln({n(Fraction(w) / Fraction(wa))}) = {_show_log(t[2])}",
            f"t_h = ln(h_REF/h_a) = ln({n(Fraction(h) / Fraction(ha))}) = {_show_log(t[3])}",
        ]
        return {"t": steps}

    def mistakes(self, p: dict) -> dict:
        import sympy

        anchor = [R(v) for v in p["anchor"]]
        ref = [R(v) for v in p["ref"]]
        conv = p["convention"]
        other = "corner" if conv == "center" else "center"
        out = {}

        def targets(a, b, c, *, log=True, by_ref=False):
            xa, ya = _ref_point(a, c)
            x, y = _ref_point(b, c)
            dw, dh = (b[2], b[3]) if by_ref else (a[2], a[3])
            sw, sh = b[2] / a[2], b[3] / a[3]
            return sympy.Matrix([(x - xa) / dw, (y - ya) / dh,
                                 sympy.log(sw) if log else sw, sympy.log(sh) if log else sh])

        out["ratio-without-log"] = {"t": targets(anchor, ref, conv, log=False)}
        out["wrong-reference-point"] = {"t": targets(anchor, ref, other)}
        out["divided-by-box-size"] = {"t": targets(anchor, ref, conv, by_ref=True)}
        out["anchor-and-box-swapped"] = {"t": targets(ref, anchor, conv)}
        return out


def _show_log(v) -> str:
    import sympy

    e = as_sympy(v)
    if e == 0:
        return "0"
    if e.is_Rational:
        return num(e)
    return f"{sympy.sstr(e).replace('log', 'ln')} ≈ {float(e):.4f}"


class BBoxDecode(_BoxSolver):
    """``detection.bbox-decode``: the box that targets ``t`` produce from ``anchor``."""

    template_vars = ("t_text",)
    boxes = ("anchor",)
    drawn = ("anchor", "t")

    def check(self, p: dict) -> None:
        super().check(p)
        if len(p["t"]) != 4:
            raise ParamError(f"t must be (t_x, t_y, t_w, t_h): 4 numbers, got {len(p['t'])}")
        if any(abs(float(v)) > 20 for v in p["t"][2:]):
            raise ParamError("t_w and t_h are logarithms of scale factors; |t| > 20 is not a box")

    def _draw(self, p: dict, rng: random.Random) -> dict:
        wa, ha = rng.choice([2, 4, 8]), rng.choice([2, 4, 8])
        p["anchor"] = [rng.randint(0, 6), rng.randint(0, 6), wa, ha]
        tx = Fraction(rng.randint(-4, 4), 4)
        ty = Fraction(rng.randint(-4, 4), 4)
        tw = rng.choice([0, math.log(2), -math.log(2)])
        th = rng.choice([0, math.log(2), -math.log(2)])
        p["t"] = [tx, ty, tw, th]
        return p

    def derive(self, p: dict) -> dict:
        def show(v):
            if isinstance(v, float):
                r = Fraction(math.exp(v)).limit_denominator(100)
                if abs(math.log(r) - v) < 1e-12:
                    return "0" if r == 1 else f"ln({r})"
            return num(v)

        return {"t_text": "(" + ", ".join(show(v) for v in p["t"]) + ")"}

    def exact(self, p: dict) -> dict:
        import sympy

        xa, ya, wa, ha = (R(v) for v in p["anchor"])
        tx, ty = R(p["t"][0]), R(p["t"][1])
        tw, th = _exact_log(p["t"][2]), _exact_log(p["t"][3])
        w, h = wa * sympy.exp(tw), ha * sympy.exp(th)
        if p["convention"] == "center":
            cx, cy = xa + wa / 2 + tx * wa, ya + ha / 2 + ty * ha
            x, y = cx - w / 2, cy - h / 2
        else:
            x, y = xa + tx * wa, ya + ty * ha
        return {"box": sympy.Matrix([x, y, w, h])}

    def numeric(self, p: dict) -> dict:
        import numpy as np

        a = np.array(p["anchor"], dtype=float)
        t = np.array([float(v) for v in p["t"]])
        wh = a[2:] * np.exp(t[2:])
        if p["convention"] == "center":
            xy = a[:2] + a[2:] / 2 + t[:2] * a[2:] - wh / 2
        else:
            xy = a[:2] + t[:2] * a[2:]
        return {"box": np.concatenate([xy, wh])}

    def solution(self, p: dict, key: dict) -> dict:
        xa, ya, wa, ha = p["anchor"]
        b = key["box"]
        tx, ty = p["t"][0], p["t"][1]
        n = num
        steps = [f"w = w_a·e^(t_w) = {n(wa)}·e^({n(p['t'][2])}) = {n(b[2])}",
                 f"h = h_a·e^(t_h) = {n(ha)}·e^({n(p['t'][3])}) = {n(b[3])}"]
        if p["convention"] == "center":
            # signed_sum: a negative offset is subtracted ("1 − 0.25·2", never "1 + −0.25·2").
            cx = signed_sum([n(xa), n(Fraction(wa) / 2), f"{n(tx)}·{n(wa)}"], str)
            cy = signed_sum([n(ya), n(Fraction(ha) / 2), f"{n(ty)}·{n(ha)}"], str)
            steps += [f"centre x = x_a + w_a/2 + t_x·w_a = {cx}; corner x = centre − w/2 = {n(b[0])}",
                      f"centre y = y_a + h_a/2 + t_y·h_a = {cy}; corner y = centre − h/2 = {n(b[1])}"]
        else:
            steps += [f"x = x_a + t_x·w_a = {signed_sum([n(xa), f'{n(tx)}·{n(wa)}'], str)} = {n(b[0])}",
                      f"y = y_a + t_y·h_a = {signed_sum([n(ya), f'{n(ty)}·{n(ha)}'], str)} = {n(b[1])}"]
        return {"box": steps}

    def mistakes(self, p: dict) -> dict:
        import sympy

        xa, ya, wa, ha = (R(v) for v in p["anchor"])
        tx, ty = R(p["t"][0]), R(p["t"][1])
        tw, th = _exact_log(p["t"][2]), _exact_log(p["t"][3])
        w, h = wa * sympy.exp(tw), ha * sympy.exp(th)
        out = {}
        # exp forgotten: w = w_a·t_w (treating the target as the ratio itself).
        w_lin, h_lin = wa * tw, ha * th
        if p["convention"] == "center":
            cx, cy = xa + wa / 2 + tx * wa, ya + ha / 2 + ty * ha
            out["exp-forgotten"] = {"box": sympy.Matrix([cx - w_lin / 2, cy - h_lin / 2, w_lin, h_lin])}
            out["centre-not-converted"] = {"box": sympy.Matrix([cx, cy, w, h])}
        else:
            out["exp-forgotten"] = {"box": sympy.Matrix([xa + tx * wa, ya + ty * ha, w_lin, h_lin])}
        out["offset-times-new-size"] = {"box": sympy.Matrix(
            [xa + tx * w, ya + ty * h, w, h] if p["convention"] == "corner"
            else [xa + wa / 2 + tx * w - w / 2, ya + ha / 2 + ty * h - h / 2, w, h])}
        return out


# ----------------------------------------------------------------------------
# The two-headed loss.
# ----------------------------------------------------------------------------
class BBoxLoss(Solver):
    """``detection.bbox-loss``: L_c (BCE over ROIs), L_r (MSE masked by y_c), L = L_c + L_r."""

    def check(self, p: dict) -> None:
        n = len(p["y_c"])
        if len(p["yhat_c"]) != n:
            raise ParamError(f"y_c has {n} ROIs but yhat_c has {len(p['yhat_c'])}")
        for name in ("y_r", "yhat_r"):
            if len(p[name]) != n or any(len(row) != 4 for row in p[name]):
                raise ParamError(f"{name} must be {n}×4 (one 4-vector of targets per ROI)")
        if any(v not in (0, 1) for v in p["y_c"]):
            raise ParamError("y_c must hold 0 (no object) or 1 (object) for every ROI")
        if any(not 0 < v < 1 for v in p["yhat_c"]):
            raise ParamError("yhat_c are probabilities: every entry must be strictly between 0 and 1")

    def draw(self, p: dict, rng, fixed) -> dict:
        if fixed:
            return p
        p = dict(p)
        n = len(p["y_c"])
        probs = [Fraction(1, 2), Fraction(1, 4), Fraction(3, 4), Fraction(1, 5), Fraction(4, 5), Fraction(9, 10)]
        p["yhat_c"] = [rng.choice(probs) for _ in range(n)]
        if sum(p["y_c"]) == 0:
            p["y_c"][rng.randrange(n)] = 1
        return p

    def _losses(self, p, log, total_sum):
        n = len(p["y_c"])
        yc = [R(v) for v in p["y_c"]]
        yh = [R(v) for v in p["yhat_c"]]
        lc = -sum(y * log(q) + (1 - y) * log(1 - q) for y, q in zip(yc, yh)) / n
        sq = [sum((R(a) - R(b)) ** 2 for a, b in zip(r, rh)) for r, rh in zip(p["y_r"], p["yhat_r"])]
        pos = sum(yc)
        lr = (sum(y * s for y, s in zip(yc, sq)) / (2 * pos)) if pos != 0 else 0 * total_sum
        return lc, lr, sq

    def exact(self, p: dict) -> dict:
        import sympy

        lc, lr, _ = self._losses(p, sympy.log, sympy.Integer(0))
        lr = sympy.nsimplify(lr) if lr != 0 else sympy.Integer(0)
        return {"L_c": lc, "L_r": lr, "L": lc + lr}

    def numeric(self, p: dict) -> dict:
        import numpy as np

        yc = np.array(p["y_c"], dtype=float)
        yh = np.array(p["yhat_c"], dtype=float)
        lc = float(-np.mean(yc * np.log(yh) + (1 - yc) * np.log(1 - yh)))
        diff = np.array(p["y_r"], dtype=float) - np.array(p["yhat_r"], dtype=float)
        per_roi = np.sum(diff**2, axis=1)
        lr = float(0.5 * np.sum(yc * per_roi) / np.sum(yc)) if yc.sum() > 0 else 0.0
        return {"L_c": lc, "L_r": lr, "L": lc + lr}

    def carry_from(self, p: dict) -> dict[str, tuple[str, ...]]:
        """The total loss is the sum of the two heads' losses."""
        return {"L": ("L_c", "L_r")}

    def carry(self, p: dict, given: dict) -> dict:
        """L = L_c + L_r with the student's L_c and/or L_r."""
        if not {"L_c", "L_r"} & set(given):
            return {}
        key = self.numeric(p)
        return {"L": float(given.get("L_c", key["L_c"])) + float(given.get("L_r", key["L_r"]))}

    def solution(self, p: dict, key: dict) -> dict:
        import sympy

        n = len(p["y_c"])
        terms = []
        for y, q in zip(p["y_c"], p["yhat_c"]):
            terms.append(f"ln({num(q)})" if y == 1 else f"ln(1 − {num(q)})")
        _, _, sq = self._losses(p, sympy.log, sympy.Integer(0))
        pos = sum(p["y_c"])
        lc = [f"L_c = −(1/n) Σ [y_c ln ŷ_c + (1 − y_c) ln(1 − ŷ_c)] = −(1/{n})({' + '.join(terms)})",
              f"L_c = {sympy.sstr(key['L_c']).replace('log', 'ln')} ≈ {float(key['L_c']):.4f}"]
        lr = [f"‖y_r − ŷ_r‖² per ROI: {', '.join(num(s) for s in sq)}",
              f"Only ROIs with y_c = 1 count: Σ y_c‖y_r − ŷ_r‖² = {num(sum(y * s for y, s in zip(p['y_c'], sq)))}, "
              f"Σ y_c = {pos}",
              f"L_r = ½ · {num(sum(y * s for y, s in zip(p['y_c'], sq)))}/{pos} = {num(key['L_r'])}"
              if pos else "No ROI contains an object (Σ y_c = 0), so L_r = 0."]
        total = [f"L = L_c + L_r ≈ {float(key['L_c']):.4f} + {num(key['L_r'])} ≈ {float(key['L']):.4f}"]
        return {"L_c": lc, "L_r": lr, "L": total}

    def mistakes(self, p: dict) -> dict:
        import sympy

        n = len(p["y_c"])
        lc, lr, sq = self._losses(p, sympy.log, sympy.Integer(0))
        pos = sum(p["y_c"])
        masked = sum(R(y) * s for y, s in zip(p["y_c"], sq))
        out = {}
        out["averaged-over-all-rois"] = {"L_r": masked / (2 * n)}
        out["half-forgotten"] = {"L_r": masked / pos if pos else sympy.Integer(0)}
        out["mask-forgotten"] = {"L_r": sum(sq) / (2 * pos) if pos else sum(sq) / (2 * n)}
        out["no-one-over-n"] = {"L_c": lc * n}
        for mid in ("averaged-over-all-rois", "half-forgotten", "mask-forgotten"):
            out[mid]["L"] = lc + out[mid]["L_r"]
        out["no-one-over-n"]["L"] = lc * n + lr
        return out
