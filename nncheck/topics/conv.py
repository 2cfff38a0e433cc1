"""Conv and pool layer sizes (CS231n §5.2–5.3).

W₂ = (W₁ − F + 2P)/S + 1, H₂ likewise, D₂ = K for a conv layer; W₂ = (W₁ − F)/S + 1 and
D₂ = D₁ for pooling.  Sizes are exact rationals: a non-integer W₂ means the filter
does not tile the (padded) width with that stride; W₂ is then none (never rounded) and
the layer does not fit.  Each size is reported on its own: with W₁ = 33, H₁ = 32, F = 5,
S = 2, W₂ = 15 is the width's answer although H₂ = 29/2 makes the layer not fit.  A filter larger
than the (padded) input does not fit either: with W₁ = 3, F = 5 the formula's (3 − 5)/1 + 1 = −1 is
no size, so W₂ is none — a question with an answer, not bad input.
"""

from __future__ import annotations

from fractions import Fraction

from nncheck.topics.base import Solver, num


def _size_exact(n, f, s, p):
    import sympy

    return sympy.Rational(n - f + 2 * p, s) + 1


def _whole(n, f, s, p) -> bool:
    """Does a filter of size f fit an input of size n (padded by p) with stride s: a whole size ≥ 1?"""
    return n + 2 * p >= f and (n - f + 2 * p) % s == 0


def _size_steps(label: str, n_label: str, n, f, s, p, *, dim: str, pad: bool = True) -> list[str]:
    """The worked steps of one size, and whether it is whole, for this dimension alone (``dim``:
    "width" or "height"): each dimension is reported as it is, whatever the other one does."""
    if pad:
        formula = f"{label} = ({n_label} − F + 2P)/S + 1"
        subst = f"({n} − {f} + 2·{p})/{s} + 1"
    else:
        formula = f"{label} = ({n_label} − F)/S + 1"
        subst = f"({n} − {f})/{s} + 1"
    raw = Fraction(n - f + 2 * p, s) + 1
    steps = [formula, f"{label} = {subst} = {num(Fraction(n - f + 2 * p))}/{s} + 1 = {num(raw)}"]
    if n + 2 * p < f:
        tile, what = ("filter", f"padded {dim} {n_label} + 2P = {n + 2 * p}") if pad else ("window", f"{dim} {n}")
        steps.append(f"The {tile} (F = {f}) is larger than the {what}: it cannot be placed even once, so "
                     f"{label} = none ({num(raw)} is not a size).")
    elif raw.denominator != 1:
        tile = "filter" if pad else "window"
        steps.append(f"{num(raw)} is not a whole number, so the {tile} does not tile the {dim} with stride "
                     f"{s}: {label} = none (never round a size).")
    return steps


class _SizeBase(Solver):
    pad = True
    template_vars = ("padded_W1", "padded_H1", "size_rule")

    def _tiles(self, p, n) -> bool:
        """Does the filter fit this dimension (of input size ``n``): placed at least once, tiling it exactly?"""
        return _whole(n, p["F"], p["S"], self._P(p))

    def _larger(self, p, n) -> bool:
        """Is the filter larger than this dimension of the (padded) input?"""
        return n + 2 * self._P(p) < p["F"]

    def _P(self, p):
        return p.get("P", 0) if self.pad else 0

    def _depth(self, p: dict) -> int:
        """D₂, which conv and pooling get differently."""
        raise NotImplementedError

    def _depth_steps(self, p: dict) -> list[str]:
        """The worked step for D₂."""
        raise NotImplementedError

    def draw(self, p: dict, rng, fixed) -> dict:
        """Hand-computable draws: mostly layers that fit, sometimes one that does not."""
        sizes = {"W1", "H1", "F", "S", "P"}
        if fixed & sizes:
            return p
        p = dict(p)
        P = self._P(p)
        S, F = p["S"], p["F"]
        # Choose the output first, then the input that produces it: W₁ = (W₂ − 1)·S + F − 2P.
        smallest = max(3, F)
        w2_min = max(2, -(-(smallest - F + 2 * P) // S) + 1)
        w2 = rng.randint(w2_min, w2_min + 14)
        p["W1"] = (w2 - 1) * S + F - 2 * P
        if S > 1 and rng.random() < 0.2:
            p["W1"] += rng.randint(1, S - 1)  # one that does not fit
        p["H1"] = p["W1"]
        return p

    def derive(self, p: dict) -> dict:
        # Said only where it matters: the formula gives a whole number ≤ 0 for a filter larger than the input.
        big = self._larger(p, p["W1"]) or self._larger(p, p["H1"])
        return {"padded_W1": p["W1"] + 2 * self._P(p), "padded_H1": p["H1"] + 2 * self._P(p),
                "size_rule": " A size is a whole number ≥ 1." if big else ""}

    def exact(self, p: dict) -> dict:
        P = self._P(p)
        w2 = _size_exact(p["W1"], p["F"], p["S"], P)
        h2 = _size_exact(p["H1"], p["F"], p["S"], P)
        # A size is a whole number ≥ 1: F = 5 on W₁ = 3 gives the whole −1, which is no size at all.
        wide, high = (bool(v.is_integer and v >= 1) for v in (w2, h2))
        # Each size is answered on its own: W₂ = 15 is whole even when H₂ = 29/2 makes the layer not fit.
        return {"fits": wide and high, "W2": w2 if wide else None, "H2": h2 if high else None,
                "D2": self._depth(p)}

    def numeric(self, p: dict) -> dict:
        import numpy as np

        P = self._P(p)
        n = np.array([p["W1"], p["H1"]], dtype=np.int64)
        span = n - p["F"] + 2 * P
        whole = (np.mod(span, p["S"]) == 0) & (span >= 0)
        out = span / p["S"] + 1.0
        return {"fits": bool(np.all(whole)), "W2": float(out[0]) if whole[0] else None,
                "H2": float(out[1]) if whole[1] else None, "D2": float(self._depth(p))}

    def solution(self, p: dict, key: dict) -> dict:
        P = self._P(p)
        w = _size_steps("W₂", "W₁", p["W1"], p["F"], p["S"], P, dim="width", pad=self.pad)
        h = _size_steps("H₂", "H₁", p["H1"], p["F"], p["S"], P, dim="height", pad=self.pad)
        layer = "layer" if self.pad else "pool"
        wide, high = self._tiles(p, p["W1"]), self._tiles(p, p["H1"])
        fits = w[1:] + h[1:]
        larger = f"the {'filter' if self.pad else 'window'} is larger than the input"
        big = self._larger(p, p["W1"]) or self._larger(p, p["H1"])
        if wide and high:
            fits.append(f"Both sizes are whole numbers, so the {layer} fits.")
        elif wide or high:
            ok, bad = ("W₂", "H₂") if wide else ("H₂", "W₂")
            fits.append(f"{ok} is a whole number but {bad} is " + (f"none ({larger})" if big else "not")
                        + f", so the {layer} does not fit.")
            # The whole size is still its own part's answer: say so where it is asked.
            (w if wide else h).append(f"{ok} is whole, so it is the answer here, although {bad} is not "
                                      f"(the {layer} as a whole does not fit).")
        elif big:
            fits.append(f"Neither W₂ nor H₂ exists: {larger}, so the {layer} does not fit.")
        else:
            fits.append(f"Neither size is a whole number, so the {layer} does not fit.")
        return {"fits": fits, "W2": w, "H2": h, "D2": self._depth_steps(p)}

    def mistakes(self, p: dict) -> dict:
        P = self._P(p)
        F, S = p["F"], p["S"]
        out: dict = {}

        def integral(x):
            x = Fraction(x)
            return int(x) if x.denominator == 1 else None

        def put(mid, fn):
            vals = {}
            for part, n in (("W2", p["W1"]), ("H2", p["H1"])):
                # A filter larger than the input has a slip of its own (below): these are about the formula.
                v = None if self._larger(p, n) else fn(n)
                if v is not None:
                    vals[part] = v
            if vals:
                out[mid] = vals

        if self.pad and P:
            put("padding-forgotten", lambda n: integral(Fraction(n - F, S) + 1))
            put("padding-once", lambda n: integral(Fraction(n - F + P, S) + 1))
        if S > 1:
            put("stride-ignored", lambda n: n - F + 2 * P + 1)
        put("plus-one-forgotten", lambda n: integral(Fraction(n - F + 2 * P, S)))
        # Rounding is a slip of a dimension that does not tile; a whole size is no rounding.
        put("rounded", lambda n: None if self._tiles(p, n) else (n - F + 2 * P) // S + 1)
        put("rounded-up", lambda n: None if self._tiles(p, n) else -(-(n - F + 2 * P) // S) + 1)
        larger = {part: integral(Fraction(n - F + 2 * P, S) + 1)
                  for part, n in (("W2", p["W1"]), ("H2", p["H1"])) if self._larger(p, n)}
        larger = {part: v for part, v in larger.items() if v is not None}
        if larger:
            out["filter-larger-than-input"] = larger  # the formula's whole number ≤ 0 taken as a size
        wide, high = self._tiles(p, p["W1"]), self._tiles(p, p["H1"])
        if self._larger(p, p["W1"]) or self._larger(p, p["H1"]):
            pass  # "does it fit?" answered yes is no rounding slip here
        elif not (wide or high):
            out.setdefault("rounded", {})["fits"] = True
        elif wide != high:
            out["one-size-checked"] = {"fits": True}  # yes, from the one size that is whole
        return out


class OutputSize(_SizeBase):
    """``conv.output-size``: W₂, H₂, D₂ of a conv layer, and whether it fits."""

    def _depth(self, p):
        return p["K"]

    def _depth_steps(self, p):
        return [f"D₂ = K = {p['K']}: one activation map per filter (each filter spans all D₁ = {p['D1']} "
                f"input channels)."]

    def mistakes(self, p: dict) -> dict:
        out = super().mistakes(p)
        if p["D1"] != p["K"]:
            out["depth-is-input-depth"] = {"D2": p["D1"]}
        return out


class PoolSize(_SizeBase):
    """``pool.output-size``: W₂ = (W₁ − F)/S + 1, H₂ likewise, D₂ = D₁."""

    pad = False

    def _depth(self, p):
        return p["D1"]

    def _depth_steps(self, p):
        return [f"D₂ = D₁ = {p['D1']}: pooling works on each channel separately and never changes the depth."]

    def mistakes(self, p: dict) -> dict:
        out = super().mistakes(p)
        out["pool-padding-added"] = {}
        # A student who carries a conv layer's padding habit: (W1 − F + 2)/S + 1 with P = 1.
        for part, n in (("W2", p["W1"]), ("H2", p["H1"])):
            v = Fraction(n - p["F"] + 2, p["S"]) + 1
            if v.denominator == 1 and not self._larger(p, n):
                out["pool-padding-added"][part] = int(v)
        return out


class ParamCount(Solver):
    """``conv.param-count``: F²·D₁ weights per filter, K filters, K biases."""

    def exact(self, p: dict) -> dict:
        import sympy

        F, D1, K = (sympy.Integer(p[k]) for k in ("F", "D1", "K"))
        per_filter = F**2 * D1
        weights = per_filter * K
        return {"per_filter": per_filter, "weights": weights, "biases": K, "total": weights + K}

    def numeric(self, p: dict) -> dict:
        import numpy as np

        # Count the entries of an actual weight tensor (F, F, D1, K) and bias vector (K,).
        w = np.zeros((p["F"], p["F"], p["D1"], p["K"]))
        b = np.zeros(p["K"])
        return {"per_filter": float(w[..., 0].size), "weights": float(w.size), "biases": float(b.size),
                "total": float(w.size + b.size)}

    def carry_from(self, p: dict) -> dict[str, tuple[str, ...]]:
        """The layer's weights are K filters' worth; the total adds the biases."""
        return {"weights": ("per_filter",), "total": ("weights", "biases")}

    def carry(self, p: dict, given: dict) -> dict:
        """K·(weights per filter) and weights + biases from the student's counts."""
        key = self.numeric(p)
        out: dict = {}
        if "per_filter" in given:
            out["weights"] = float(given["per_filter"]) * p["K"]
        if {"weights", "biases"} & set(given):
            out["total"] = float(given.get("weights", key["weights"])) + float(given.get("biases", key["biases"]))
        return out

    def solution(self, p: dict, key: dict) -> dict:
        F, D1, K = p["F"], p["D1"], p["K"]
        pf = F * F * D1
        return {
            "per_filter": [f"Each filter spans the full input depth: F·F·D₁ = {F}·{F}·{D1} = {pf} weights."],
            "weights": [f"F²·D₁·K = {pf}·{K} = {pf * K} weights."],
            "biases": [f"One bias per filter: K = {K}."],
            "total": [f"F²·D₁·K + K = {pf * K} + {K} = {pf * K + K} parameters."],
        }

    def mistakes(self, p: dict) -> dict:
        F, D1, K = p["F"], p["D1"], p["K"]
        return {
            "depth-forgotten": {"per_filter": F * F, "weights": F * F * K, "total": F * F * K + K},
            "biases-forgotten": {"total": F * F * D1 * K},
            "f-not-squared": {"per_filter": F * D1, "weights": F * D1 * K, "total": F * D1 * K + K},
        }
