"""``knn.distance``: L1 and L2 distances and the k-nearest-neighbour vote (the CS231n notes, §2.3–2.4).

    d₁(I₁, I₂) = Σ_p |I₁ᵖ − I₂ᵖ|        d₂(I₁, I₂) = √(Σ_p (I₁ᵖ − I₂ᵖ)²)

Ties are broken as CS231n's assignment does: equal distances keep the lower-numbered
training point first, and a tied vote goes to the smallest label.  The SymPy path works
with exact distances (comparing squared L2 distances, so √ never decides an order); the
NumPy path vectorises the distances and sorts with ``lexsort``.
"""

from __future__ import annotations

from nncheck.topics.base import ParamError, R, Solver, num, paren
from nncheck.topics.losses import entries, shape_of, sub


def _vote(labels: list, tie: str = "smallest", order: list | None = None):
    """Majority label; ``tie`` says who wins a tied vote: smallest, largest or nearest (by ``order``)."""
    counts: dict = {}
    for lab in labels:
        counts[lab] = counts.get(lab, 0) + 1
    top = max(counts.values())
    tied = [lab for lab, c in counts.items() if c == top]
    if tie == "largest":
        return max(tied)
    if tie == "nearest":
        return next(lab for lab in (order or labels) if lab in tied)
    return min(tied)


def _ranked(dist: list) -> list[int]:
    """Indices sorted by distance; equal distances keep the lower index first."""
    return sorted(range(len(dist)), key=lambda i: (dist[i], i))


class Distance(Solver):
    """``knn.distance``: d₁ and d₂ to every training point, the nearest point, and the k-NN label."""

    def draw(self, p: dict, rng, fixed) -> dict:
        p = dict(p)
        d = len(p["x"]) if "x" in fixed else (len(p["X"][0]) if "X" in fixed else p["d"])
        if "X" in fixed:
            n = len(p["X"])
        elif "labels" in fixed:
            n = len(p["labels"])
        else:
            n = max(p["N"], p["k"]) if "k" in fixed else p["N"]
        if "x" not in fixed and len(p["x"]) != d:
            p["x"] = [rng.randint(0, 4) for _ in range(d)]
        if "X" not in fixed and shape_of(p["X"]) != (n, d):
            p["X"] = [[rng.randint(0, 4) for _ in range(d)] for _ in range(n)]
        if "labels" not in fixed and len(p["labels"]) != n:
            p["labels"] = [rng.randint(1, 3) for _ in range(n)]
        if "k" not in fixed and p["k"] > n:
            p["k"] = rng.choice([k for k in (1, 3, 5) if k <= n] or [1])
        p["d"], p["N"] = d, n
        return p

    def check(self, p: dict) -> None:
        x, X, labels, k = p["x"], p["X"], p["labels"], p["k"]
        n, d = shape_of(X)
        if len(x) != d:
            raise ParamError(f"x has {entries(len(x))} but the training points (rows of X) have {d}")
        if len(labels) != n:
            raise ParamError(f"X has {n} training point{'s' if n != 1 else ''} (rows) but labels has {len(labels)}")
        if k > n:
            raise ParamError(f"k = {k} is larger than the number of training points N = {n}")

    def derive(self, p: dict) -> dict:
        return {"N_points": len(p["X"])}

    # ------------------------------------------------------------------ keys
    def exact(self, p: dict) -> dict:
        import sympy

        x = [R(v) for v in p["x"]]
        rows = [[R(v) for v in r] for r in p["X"]]
        d1 = [sum(sympy.Abs(a - b) for a, b in zip(x, r)) for r in rows]
        sq = [sum((a - b) ** 2 for a, b in zip(x, r)) for r in rows]
        d2 = [sympy.sqrt(s) for s in sq]
        order = _ranked(d1 if p["metric"] == "L1" else sq)  # exact comparisons; √ is monotone
        label = _vote([p["labels"][i] for i in order[: p["k"]]])
        return {"d1": sympy.Matrix(d1), "d2": sympy.Matrix(d2), "nearest": sympy.Integer(order[0] + 1),
                "label": sympy.Integer(label)}

    def numeric(self, p: dict) -> dict:
        import numpy as np

        x = np.array([float(v) for v in p["x"]])
        X = np.array([[float(v) for v in r] for r in p["X"]])
        d1 = np.abs(X - x).sum(axis=1)
        d2 = np.sqrt(((X - x) ** 2).sum(axis=1))
        dist = d1 if p["metric"] == "L1" else d2
        # Rounding keeps float noise from splitting equal distances; lexsort's last key is the primary one.
        order = np.lexsort((np.arange(len(dist)), np.round(dist, 10)))
        values, counts = np.unique(np.array(p["labels"])[order[: p["k"]]], return_counts=True)
        return {"d1": d1, "d2": d2, "nearest": float(order[0] + 1), "label": float(values[np.argmax(counts)])}

    # ------------------------------------------------------------------ explain
    def solution(self, p: dict, key: dict) -> dict:
        x, X = p["x"], p["X"]
        s1, s2 = [], []
        for i, r in enumerate(X, 1):
            s1.append(f"d₁(x, X{sub(i)}) = " + " + ".join(f"|{num(a)} − {paren(b)}|" for a, b in zip(x, r))
                      + f" = {num(key['d1'][i - 1])}")
            sq = sum((a - b) ** 2 for a, b in zip(x, r))
            s2.append(f"d₂(x, X{sub(i)}) = √(" + " + ".join(f"({num(a)} − {paren(b)})²" for a, b in zip(x, r))
                      + f") = √{num(sq)}" + ("" if key["d2"][i - 1].is_Rational else f" ≈ {num(key['d2'][i - 1])}")
                      + (f" = {num(key['d2'][i - 1])}" if key["d2"][i - 1].is_Rational else ""))
        metric = p["metric"]
        dist = key["d1"] if metric == "L1" else key["d2"]
        order = _ranked([v for v in (key["d1"] if metric == "L1" else [v ** 2 for v in key["d2"]])])
        ranking = ", ".join(f"X{sub(i + 1)} ({num(dist[i])})" for i in order)
        near = [f"Sorted by the {metric} distance (ties: lower number first): {ranking}",
                f"The nearest training point is X{sub(order[0] + 1)}."]
        k = p["k"]
        picked = [p["labels"][i] for i in order[:k]]
        counts = {lab: picked.count(lab) for lab in sorted(set(picked))}
        vote = ", ".join(f"label {lab}: {c}" for lab, c in counts.items())
        top = max(counts.values())
        tied = [lab for lab, c in counts.items() if c == top]
        lab_steps = near[:1] + [
            f"The k = {k} nearest are " + ", ".join(f"X{sub(i + 1)}" for i in order[:k])
            + f" with labels {num(picked)}; votes: {vote}.",
            (f"Labels {', '.join(str(t) for t in tied)} tie; the smallest label wins: {min(tied)}." if len(tied) > 1
             else f"Majority: label {tied[0]}.")]
        return {"d1": s1, "d2": s2, "nearest": (s1 if metric == "L1" else s2) + near,
                "label": (s1 if metric == "L1" else s2) + lab_steps}

    def mistakes(self, p: dict) -> dict:
        x, X, labels, k = p["x"], p["X"], p["labels"], p["k"]
        d1 = [float(sum(abs(a - b) for a, b in zip(x, r))) for r in X]
        sq = [float(sum((a - b) ** 2 for a, b in zip(x, r))) for r in X]
        own, other = (d1, sq) if p["metric"] == "L1" else (sq, d1)
        order, other_order = _ranked(own), _ranked(other)
        near_labels = [labels[i] for i in order[:k]]
        return {
            "l2-squared": {"d2": sq},
            "l1-no-abs": {"d1": [float(sum(a - b for a, b in zip(x, r))) for r in X]},
            "l2-for-l1" if p["metric"] == "L1" else "l1-for-l2": {
                "nearest": other_order[0] + 1, "label": _vote([labels[i] for i in other_order[:k]])},
            "k-ignored": {"label": labels[order[0]]},
            "tie-larger-label": {"label": _vote(near_labels, "largest")},
            "tie-nearest-neighbor": {"label": _vote(near_labels, "nearest")},
        }
