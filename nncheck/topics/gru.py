"""GRU forward pass (the CS231n notes, §10.2), in their notation::

    r_t = σ(W_xr x_t + W_hr h_{t−1} + b_r)              (reset gate)
    z_t = σ(W_xz x_t + W_hz h_{t−1} + b_z)              (update gate)
    h̃_t = tanh(W_xh x_t + W_hh (r_t ⊙ h_{t−1}) + b_h)   (candidate)
    h_t = z_t ⊙ h_{t−1} + (1 − z_t) ⊙ h̃_t

Note CS231n's update gate *keeps* the old state (z = 1 copies h_{t−1}); some texts swap
the roles of z and 1 − z, which is one of the declared mistakes.

Shapes, for H hidden units and D inputs: x is D×T (column t is x_t), W_x* are H×D, W_h* are
H×H, b_* and h0 have H entries.  SymPy path: the graph of :mod:`nncheck.topics._graph`;
NumPy path: the equations above, vectorised.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from nncheck.topics._graph import Graph, lin
from nncheck.topics._steps import (
    RECURRENT_LIMITS,
    Calc,
    carried,
    col,
    dot,
    mul,
    nonzero,
    nv,
    nvp,
    pick,
    random_matrix,
    show,
    sizes,
    sizes_agree,
    workable,
)
from nncheck.topics.base import Solver

GATES = ("r", "z", "h")  # W_x{g}, W_h{g}, b_{g}; "h" belongs to the candidate h̃
PARTS = ("r", "z", "htilde", "h")

GRU_SIZES = {
    "H": ("the hidden size H must agree (W_x* is H×D, W_h* is H×H; b_* and h0 have H entries)",
          [("h0", "len")] + [(f"b_{g}", "len") for g in GATES]
          + [(f"W_h{g}", how) for g in GATES for how in ("rows", "cols")] + [(f"W_x{g}", "rows") for g in GATES]),
    "D": ("the input size D must agree (x is D×T with one column per step, W_x* is H×D)",
          [("x", "rows")] + [(f"W_x{g}", "cols") for g in GATES]),
    "T": ("x needs one column per step", [("x", "steps")]),
}
GRU_LIMITS = RECURRENT_LIMITS
MISTAKES = ("z-roles-swapped", "reset-forgotten", "reset-outside", "sigma-candidate")


def gru_forward(p: dict, calc: Calc) -> dict:
    """The forward pass in plain Python (exact where rational): lists by step, h[0] = h0 (r[0]… are None)."""
    H, T = len(p["h0"]), len(p["x"][0])
    fw: dict = {"r": [None], "z": [None], "htilde": [None], "h": [list(p["h0"])], "T": T, "H": H}
    for t in range(1, T + 1):
        xt, hp = col(p["x"], t - 1), fw["h"][t - 1]
        r = [calc.sigma(dot(p["W_xr"][k], xt) + dot(p["W_hr"][k], hp) + p["b_r"][k]) for k in range(H)]
        z = [calc.sigma(dot(p["W_xz"][k], xt) + dot(p["W_hz"][k], hp) + p["b_z"][k]) for k in range(H)]
        rh = [mul(r[m], hp[m]) for m in range(H)]
        ht = [calc.tanh(dot(p["W_xh"][k], xt) + dot(p["W_hh"][k], rh) + p["b_h"][k]) for k in range(H)]
        fw["r"].append(r)
        fw["z"].append(z)
        fw["htilde"].append(ht)
        fw["h"].append([mul(z[k], hp[k]) + mul(1 - z[k], ht[k]) for k in range(H)])
    return fw


def np_forward(p: dict, flags: frozenset[str] = frozenset()) -> dict:
    import numpy as np

    x = np.array(p["x"], dtype=float)
    W = {k: np.array(p[k], dtype=float) for k in p if k.startswith("W_")}
    b = {g: np.array(p[f"b_{g}"], dtype=float) for g in GATES}
    T, H = x.shape[1], len(p["h0"])
    v: dict = {k: np.zeros((T + 1, H)) for k in PARTS}
    v["h"][0] = np.array(p["h0"], dtype=float)

    def sig(a):
        return 1.0 / (1.0 + np.exp(-a))

    for t in range(1, T + 1):
        xt, hp = x[:, t - 1], v["h"][t - 1]
        v["r"][t] = sig(W["W_xr"] @ xt + W["W_hr"] @ hp + b["r"])
        v["z"][t] = sig(W["W_xz"] @ xt + W["W_hz"] @ hp + b["z"])
        if "reset-forgotten" in flags:
            rec = W["W_hh"] @ hp
        elif "reset-outside" in flags:
            rec = v["r"][t] * (W["W_hh"] @ hp)
        else:
            rec = W["W_hh"] @ (v["r"][t] * hp)
        a = W["W_xh"] @ xt + rec + b["h"]
        v["htilde"][t] = sig(a) if "sigma-candidate" in flags else np.tanh(a)
        z = 1 - v["z"][t] if "z-roles-swapped" in flags else v["z"][t]
        v["h"][t] = z * hp + (1 - z) * v["htilde"][t]
    v.update(x=x, W=W, b=b, T=T, H=H)
    return v


class Forward(Solver):
    """``gru.forward``: r_t, z_t, h̃_t and h_t for every step."""

    #: given: the weights, x and h_0; shape_text: scalar or H×D; values: σ/tanh values to use.
    template_vars = ("given", "shape_text", "values")

    def check(self, p: dict) -> None:
        sizes(p, GRU_SIZES, GRU_LIMITS)

    def draw(self, p: dict, rng, fixed) -> dict:
        """Exam draws: one unit, integer input pre-activations (σ and tanh from the prompt's table);
        half the draws let the gates read h_{t−1} too (T = 2, later values in closed form)."""
        known = sizes(p, GRU_SIZES, GRU_LIMITS, names=fixed)
        q = dict(p)
        for _ in range(300 if not fixed - {"convention", "loss"} else 60):
            q = dict(p)
            H, D = known.get("H", 1), known.get("D", 1)
            recurrent = rng.random() < 0.5
            T = known.get("T", 2 if recurrent else pick(rng, [2, 3]))
            draws = self._makers(rng, H, D, T, recurrent)
            for name, make in draws.items():
                if name not in fixed:
                    q[name] = make()
            if not any(name in p and name not in fixed for name in draws):
                return q  # every number is the user's: nothing to choose
            if self._exam_ready(q):
                return q
        return q

    @staticmethod
    def _makers(rng: random.Random, H: int, D: int, T: int, recurrent: bool) -> dict[str, Callable[[], object]]:
        """How each parameter is drawn for an exam question of these sizes (in this order: a random seed's
        draws depend on it).  Half the draws let the gates read h_{t−1} too (``recurrent``)."""
        def mat(r: int, c: int, choices: list[float]) -> Callable[[], list]:
            return lambda: random_matrix(rng, r, c, choices)

        def vec(n: int, choices: list[float]) -> Callable[[], list]:
            return lambda: random_matrix(rng, 1, n, choices)[0]

        draws: dict[str, Callable[[], object]] = {
            "x": mat(D, T, [-1, 0, 1, 2]), "h0": vec(H, [-0.5, 0.5, 1]), "W_hh": mat(H, H, [-1, 0.5, 1])}
        for g in GATES:
            draws[f"W_x{g}"] = mat(H, D, [-1, 0, 1, 2])
            draws[f"b_{g}"] = vec(H, [-1, 0, 1])
        for g in ("r", "z"):
            draws[f"W_h{g}"] = mat(H, H, [-0.5, 0.5, 1] if recurrent else [0])
        return draws

    def _exam_ready(self, q: dict) -> bool:
        if not sizes_agree(q, GRU_SIZES, GRU_LIMITS):
            return False
        exact = gru_forward(q, Calc())
        student = gru_forward(q, Calc(rounded=True))
        return all(workable(exact[k][1:], student[k][1:], zero_ok=True) for k in PARTS)

    def derive(self, p: dict) -> dict:
        H, D, T = len(p["h0"]), len(p["x"]), len(p["x"][0])
        lines = [f"W_x{g} = {show(p[f'W_x{g}'])}   W_h{g} = {show(p[f'W_h{g}'])}   b_{g} = {show(p[f'b_{g}'])}"
                 for g in GATES]
        lines.append("  ".join(f"x_{t} = {show(col(p['x'], t - 1))}" for t in range(1, T + 1)))
        lines.append(f"h_0 = {show(p['h0'])}")
        calc = Calc()
        gru_forward(p, calc)
        shape = ("scalar (H = 1 hidden unit, scalar inputs)" if H == 1 and D == 1 else
                 f"H = {H} hidden units, D = {D} inputs (W_x* is H×D, W_h* is H×H)")
        return {"given": "\n".join(lines), "shape_text": shape,
                "values": calc.values_text()}

    def exact(self, p: dict) -> dict:
        import sympy

        gr = Graph()
        sig = Graph.sigmoid
        H, T = len(p["h0"]), len(p["x"][0])
        W = {name: gr.inputs(name, p[name]) for name in p if name.startswith("W_")}
        b = {g: gr.inputs(f"b_{g}", p[f"b_{g}"]) for g in GATES}
        n: dict = {"r": [None], "z": [None], "htilde": [None], "h": [gr.inputs("h0", p["h0"])]}
        for t in range(1, T + 1):
            xt = [gr.const(v) for v in col(p["x"], t - 1)]
            hp = n["h"][t - 1]
            r = [gr.define(f"r{t}[{k}]", sig(lin(W["W_xr"][k], xt) + lin(W["W_hr"][k], hp) + b["r"][k]))
                 for k in range(H)]
            z = [gr.define(f"z{t}[{k}]", sig(lin(W["W_xz"][k], xt) + lin(W["W_hz"][k], hp) + b["z"][k]))
                 for k in range(H)]
            rh = [r[m] * hp[m] for m in range(H)]
            ht = [gr.define(f"ht{t}[{k}]", sympy.tanh(lin(W["W_xh"][k], xt) + lin(W["W_hh"][k], rh) + b["h"][k]))
                  for k in range(H)]
            n["r"].append(r)
            n["z"].append(z)
            n["htilde"].append(ht)
            n["h"].append([gr.define(f"h{t}[{k}]", z[k] * hp[k] + (1 - z[k]) * ht[k]) for k in range(H)])
        return {k: sympy.Matrix([[gr.value(n[k][t][j]) for t in range(1, T + 1)] for j in range(H)]) for k in PARTS}

    def numeric(self, p: dict) -> dict:
        fw = np_forward(p)
        return {k: fw[k][1:].T for k in PARTS}

    def carry_from(self, p: dict) -> dict[str, tuple[str, ...]]:
        """What a student computes each sequence from, working step by step: h_t from their z_t and h̃_t
        (and their own h_(t−1), rolled); h̃_t from their r_t (through W_hh) and h_(t−1); and the gates at
        t ≥ 2 read their h_(t−1) (a later part, but an earlier step) through W_hr, W_hz, unless zero."""
        later = len(p["x"][0]) > 1
        deps: dict[str, tuple[str, ...]] = {g: ("h",) for g in ("r", "z") if later and nonzero(p[f"W_h{g}"])}
        if nonzero(p["W_hh"]) and (later or nonzero(p["h0"])):  # r_t only scales h_(t−1)
            deps["htilde"] = ("r", "h") if later else ("r",)
        deps["h"] = ("z", "htilde")
        return deps

    def carry(self, p: dict, given: dict) -> dict:
        import numpy as np

        fw = np_forward(p)
        T, x, W, b = fw["T"], fw["x"], fw["W"], fw["b"]

        def prev(v):  # h_(t−1), column t−1: h_0, then the student's h
            return np.column_stack([fw["h"][0], v["h"][:, :T - 1]])

        def gate(g):
            return lambda v: 1.0 / (1.0 + np.exp(-(W[f"W_x{g}"] @ x + W[f"W_h{g}"] @ prev(v) + b[g][:, None])))

        def state(v):
            h = np.zeros_like(v["z"])
            for t in range(T):  # h_t = z_t ⊙ h_(t−1) + (1 − z_t) ⊙ h̃_t, from h_0
                hp = h[:, t - 1] if t else fw["h"][0]
                h[:, t] = v["z"][:, t] * hp + (1 - v["z"][:, t]) * v["htilde"][:, t]
            return h

        formulas = {"r": gate("r"), "z": gate("z"), "h": state,
                    "htilde": lambda v: np.tanh(W["W_xh"] @ x + W["W_hh"] @ (v["r"] * prev(v)) + b["h"][:, None])}
        return carried(self.carry_from(p), self.numeric(p), given, formulas)

    def mistakes(self, p: dict) -> dict:
        # Every part: a slip at step t changes h_t, which the gates and the candidate of step t+1 read
        # (through W_hr, W_hz, W_hh), so r, z and h̃ of later steps carry it too.  Where they do not
        # (no recurrence, or the slip's h_t equals the key's), the key drops the coinciding values.
        out = {}
        for flag in MISTAKES:
            fw = np_forward(p, frozenset([flag]))
            out[flag] = {k: fw[k][1:].T for k in PARTS}
        return out

    def solution(self, p: dict, key: dict) -> dict:
        fw = np_forward(p)
        W, b = fw["W"], fw["b"]
        steps: dict = {k: [] for k in PARTS}
        for t in range(1, fw["T"] + 1):
            xt, hp = fw["x"][:, t - 1], fw["h"][t - 1]
            p1 = t - 1
            ar = W["W_xr"] @ xt + W["W_hr"] @ hp + b["r"]
            az = W["W_xz"] @ xt + W["W_hz"] @ hp + b["z"]
            ah = W["W_xh"] @ xt + W["W_hh"] @ (fw["r"][t] * hp) + b["h"]
            steps["r"].append(f"r_{t} = σ(W_xr x_{t} + W_hr h_{p1} + b_r) = σ({nv(ar)}) = {nv(fw['r'][t])}")
            steps["z"].append(f"z_{t} = σ(W_xz x_{t} + W_hz h_{p1} + b_z) = σ({nv(az)}) = {nv(fw['z'][t])}")
            steps["htilde"].append(f"h̃_{t} = tanh(W_xh x_{t} + W_hh (r_{t} ⊙ h_{p1}) + b_h) = tanh({nv(ah)}) "
                                   f"= {nv(fw['htilde'][t])}   (r_{t} ⊙ h_{p1} = {nv(fw['r'][t] * hp)})")
            steps["h"].append(f"h_{t} = z_{t} ⊙ h_{p1} + (1 − z_{t}) ⊙ h̃_{t} = {nv(fw['z'][t])}·{nvp(hp)} + "
                              f"{nv(1 - fw['z'][t])}·{nvp(fw['htilde'][t])} = {nv(fw['h'][t])}")
        return steps
