"""LSTM forward pass and back-propagation through time (the ECE 417 exam review; CMU 16-785, the CS231n notes).

The cell, in ECE 417's notation::

    i[t] = σ(w_i x[t] + u_i h[t−1] + b_i)        (input gate)
    o[t] = σ(w_o x[t] + u_o h[t−1] + b_o)        (output gate)
    f[t] = σ(w_f x[t] + u_f h[t−1] + b_f)        (forget gate)
    g[t] = tanh(w_c x[t] + u_c h[t−1] + b_c)     (candidate: 16-785's C̃_t, CS231n's g)
    c[t] = f[t] c[t−1] + i[t] g[t]
    h[t] = o[t] c[t]            convention=ece417   (the ECE 417 exam review)
    h[t] = o[t] tanh c[t]       convention=standard (CMU 16-785, the CS231n notes)

Shapes, for H hidden units and D inputs: x is D×T (column t is x[t]; a scalar sequence is
one row), every w_ξ is H×D, every u_ξ is H×H, every b_ξ, c0 and h0 has H entries, and the
targets y or the given dh = ∂L/∂h[t] are H×T.  Products of gates are elementwise.

Loss: ``loss=mse`` gives L = ½ Σ_t ‖h[t] − y[t]‖², so ∂L/∂h[t] = h[t] − y[t];
``loss=dh`` takes ∂L/∂h[t] = dh[t] as given (L = Σ_t dh[t]·h[t]).

BPTT, as the ECE 417 exam review writes it (d: total derivative, ∂: partial)::

    dL/dh[t] = ∂L/∂h[t] + Σ_{ξ∈{i,o,f,c}} dL/dξ[t+1] ∂ξ[t+1]/∂h[t]
    dL/dc[t] = dL/dh[t] ∂h[t]/∂c[t] + dL/dc[t+1] f[t+1]
    dL/do[t] = dL/dh[t] ∂h[t]/∂o[t],  dL/di[t] = dL/dc[t] g[t],  dL/df[t] = dL/dc[t] c[t−1]

where the ξ = c term is dL/dc[t+1]·i[t+1](1 − g[t+1]²)·u_c (the candidate's path).
Weight gradients: with dL/dz_ξ[t] = dL/dξ[t]·ξ[t](1 − ξ[t]) for a gate and
dL/dc[t]·i[t](1 − g[t]²) for the candidate, dL/dw_ξ = Σ_t dL/dz_ξ[t] x[t]ᵀ,
dL/du_ξ = Σ_t dL/dz_ξ[t] h[t−1]ᵀ, dL/db_ξ = Σ_t dL/dz_ξ[t].

SymPy path: :class:`~nncheck.topics._graph.Graph`, which differentiates the unrolled forward
graph node by node and sums over paths.  NumPy path: the recursion above.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

from nncheck.topics._graph import Graph, lin, proven
from nncheck.topics._steps import (
    RECURRENT_LIMITS,
    Calc,
    carried,
    col,
    dot,
    matTvec,
    mul,
    nm,
    nonzero,
    nv,
    nvp,
    pick,
    random_matrix,
    rounded,
    show,
    sizes,
    sizes_agree,
    text_table,
    workable,
)
from nncheck.topics.base import ParamError, Solver, signed_sum

GATES = ("i", "o", "f", "c")  # weight suffixes; "c" belongs to the candidate g[t]
SIGMA_GATES = ("i", "o", "f")

_H_WHY = "the hidden size H must agree (w_* is H×D, u_* is H×H; b_*, c0 and h0 have H entries; y and dh are H×T)"
LSTM_SIZES = {
    "H": (_H_WHY, [("h0", "len"), ("c0", "len")] + [(f"b_{g}", "len") for g in GATES]
          + [(f"u_{g}", how) for g in GATES for how in ("rows", "cols")]
          + [(f"w_{g}", "rows") for g in GATES] + [("y", "rows"), ("dh", "rows")]),
    "D": ("the input size D must agree (x is D×T with one column per step, w_* is H×D)",
          [("x", "rows")] + [(f"w_{g}", "cols") for g in GATES]),
    "T": ("the sequences must cover the same time steps (one column per step)",
          [("x", "steps"), ("y", "steps"), ("dh", "steps")]),
}
LSTM_LIMITS = RECURRENT_LIMITS

BPTT_SEQ = ("dLdh", "dLdc", "dLdo", "dLdi", "dLdf")
GRAD_PARTS = tuple(f"grad_{g}" for g in GATES)
NUMERIC_MISTAKES = ("c-path-forgotten", "h-path-forgotten", "tanh-prime-for-sigma", "sigma-prime-for-tanh",
                    "wrong-convention", "f-current", "df-uses-c-t", "u-grad-uses-h-t", "gate-derivative-missing",
                    "c-term-forgotten", "forget-gate-dropped", "cell-tanh-prime-dropped", "u-not-transposed",
                    "u-grad-transposed")
HALVES = (-1, -0.5, 0.5, 1)


def _standard(p: dict) -> bool:
    return p["convention"] == "standard"


# ----------------------------------------------------------------------------
# Plain Python (prompts and draws; no NumPy on the start-up path).
# ----------------------------------------------------------------------------
def _pre(p: dict, gate: str, xt: list, hp: list) -> list:
    """A gate's pre-activations w_ξ x[t] + u_ξ h[t−1] + b_ξ, unit by unit."""
    return [dot(w, xt) + dot(u, hp) + b for w, u, b in zip(p[f"w_{gate}"], p[f"u_{gate}"], p[f"b_{gate}"])]


def lstm_forward(p: dict, calc: Calc) -> dict:
    """Every value of the forward pass, as lists indexed by step (c[0] = c0, h[0] = h0; i[0]… are None)."""
    H, T = len(p["c0"]), len(p["x"][0])
    fw: dict = {k: [None] for k in ("i", "o", "f", "g", "tc")}
    fw["c"], fw["h"], fw["T"], fw["H"] = [list(p["c0"])], [list(p["h0"])], T, H
    for t in range(1, T + 1):
        xt, hp = col(p["x"], t - 1), fw["h"][t - 1]
        for gate in SIGMA_GATES:
            fw[gate].append([calc.sigma(z) for z in _pre(p, gate, xt, hp)])
        fw["g"].append([calc.tanh(z) for z in _pre(p, "c", xt, hp)])
        i, f, o, g = fw["i"][t], fw["f"][t], fw["o"][t], fw["g"][t]
        c = [mul(f[k], fw["c"][t - 1][k]) + mul(i[k], g[k]) for k in range(H)]
        fw["c"].append(c)
        if _standard(p):
            fw["tc"].append([calc.tanh(v) for v in c])
            fw["h"].append([mul(o[k], fw["tc"][t][k]) for k in range(H)])
        else:
            fw["tc"].append(None)
            fw["h"].append([mul(o[k], c[k]) for k in range(H)])
    return fw


def _direct(p: dict, fw: dict, t: int) -> list:
    """∂L/∂h[t]: h[t] − y[t] for the squared error, or the given dh[t]."""
    if p["loss"] == "dh":
        return list(col(p["dh"], t - 1))
    return [fw["h"][t][k] - p["y"][k][t - 1] for k in range(fw["H"])]


def lstm_backward(p: dict, fw: dict) -> dict:
    """ECE 417's recursion in plain Python: checks that a draw can be worked from the printed values."""
    T, H, std = fw["T"], fw["H"], _standard(p)
    d: dict[str, list] = {k: [None] * (T + 2) for k in ("h", "c", "o", "i", "f")}  # by step t = 1..T
    for t in range(T, 0, -1):
        v = _direct(p, fw, t)
        if t < T:
            for gate in SIGMA_GATES:
                s = fw[gate][t + 1]
                dz = [d[gate][t + 1][k] * s[k] * (1 - s[k]) for k in range(H)]
                v = [a + b for a, b in zip(v, matTvec(p[f"u_{gate}"], dz))]
            dz = [d["c"][t + 1][k] * fw["i"][t + 1][k] * (1 - fw["g"][t + 1][k] ** 2) for k in range(H)]
            v = [a + b for a, b in zip(v, matTvec(p["u_c"], dz))]
        d["h"][t] = v
        o, c = fw["o"][t], fw["c"][t]
        dhdc = [o[k] * (1 - fw["tc"][t][k] ** 2) for k in range(H)] if std else o
        d["c"][t] = [v[k] * dhdc[k] + (d["c"][t + 1][k] * fw["f"][t + 1][k] if t < T else 0) for k in range(H)]
        d["o"][t] = [v[k] * (fw["tc"][t][k] if std else c[k]) for k in range(H)]
        d["i"][t] = [d["c"][t][k] * fw["g"][t][k] for k in range(H)]
        d["f"][t] = [d["c"][t][k] * fw["c"][t - 1][k] for k in range(H)]
    out: dict = {f"dLd{k}": [d[k][t] for t in range(1, T + 1)] for k in ("h", "c", "o", "i", "f")}
    D = len(p["x"])
    for gate in GATES:
        dz_t: dict[int, list] = {}
        for t in range(1, T + 1):
            if gate == "c":
                dz_t[t] = [d["c"][t][k] * fw["i"][t][k] * (1 - fw["g"][t][k] ** 2) for k in range(H)]
            else:
                s = fw[gate][t]
                dz_t[t] = [d[gate][t][k] * s[k] * (1 - s[k]) for k in range(H)]
        rows = []
        for k in range(H):
            row = [sum(dz_t[t][k] * p["x"][j][t - 1] for t in range(1, T + 1)) for j in range(D)]
            row += [sum(dz_t[t][k] * fw["h"][t - 1][m] for t in range(1, T + 1)) for m in range(H)]
            row.append(sum(dz_t[t][k] for t in range(1, T + 1)))
            rows.append(row)
        out[f"grad_{gate}"] = rows
    return out


# ----------------------------------------------------------------------------
# NumPy: the hand-written passes (and, with flags, the declared mistakes).
# ----------------------------------------------------------------------------
def np_forward(p: dict, flags: frozenset[str] = frozenset()) -> dict:
    import numpy as np

    x = np.array(p["x"], dtype=float)
    w = {g: np.array(p[f"w_{g}"], dtype=float) for g in GATES}
    u = {g: np.array(p[f"u_{g}"], dtype=float) for g in GATES}
    b = {g: np.array(p[f"b_{g}"], dtype=float) for g in GATES}
    T, H = x.shape[1], len(p["c0"])
    std = _standard(p) != ("wrong-convention" in flags)
    v: dict = {k: np.zeros((T + 1, H)) for k in ("i", "o", "f", "g", "c", "h", "tc")}
    v["c"][0], v["h"][0] = np.array(p["c0"], dtype=float), np.array(p["h0"], dtype=float)

    def sig(z):
        return 1.0 / (1.0 + np.exp(-z))

    for t in range(1, T + 1):
        z = {g: w[g] @ x[:, t - 1] + u[g] @ v["h"][t - 1] + b[g] for g in GATES}
        for g in SIGMA_GATES:
            v[g][t] = sig(z[g])
        v["g"][t] = sig(z["c"]) if "sigma-candidate" in flags else np.tanh(z["c"])
        i, f = (v["f"][t], v["i"][t]) if "gates-swapped" in flags else (v["i"][t], v["f"][t])
        keep = v["c"][t - 1] if "forget-gate-ignored" in flags else f * v["c"][t - 1]
        v["c"][t] = keep + i * v["g"][t]
        v["tc"][t] = np.tanh(v["c"][t])
        v["h"][t] = v["o"][t] * (v["tc"][t] if std else v["c"][t])
    v.update(x=x, w=w, u=u, b=b, T=T, H=H)
    return v


def np_backward(p: dict, fw: dict, flags: frozenset[str] = frozenset()) -> dict:
    """ECE 417's BPTT; each flag reproduces one declared mistake."""
    import numpy as np

    T, H, u = fw["T"], fw["H"], fw["u"]
    std = _standard(p) != ("wrong-convention" in flags)
    i, o, f, g, c, tc, h = (fw[k] for k in ("i", "o", "f", "g", "c", "tc", "h"))

    def sig_prime(s):
        return 1 - s**2 if "tanh-prime-for-sigma" in flags else s * (1 - s)

    def tanh_prime(s):
        return s * (1 - s) if "sigma-prime-for-tanh" in flags else 1 - s**2

    def back(m):
        """The recurrent weights going backwards: uᵀ, or u itself for the mistake."""
        return m if "u-not-transposed" in flags else m.T

    d = {k: np.zeros((T + 2, H)) for k in ("h", "c", "o", "i", "f")}
    for t in range(T, 0, -1):
        direct = np.array(col(p["dh"], t - 1), dtype=float) if p["loss"] == "dh" else \
            h[t] - np.array(col(p["y"], t - 1), dtype=float)
        d["h"][t] = direct
        if t < T and "h-path-forgotten" not in flags:
            for gate in SIGMA_GATES:
                d["h"][t] += back(u[gate]) @ (d[gate][t + 1] * sig_prime(fw[gate][t + 1]))
            if "c-term-forgotten" not in flags:
                d["h"][t] += back(u["c"]) @ (d["c"][t + 1] * i[t + 1] * tanh_prime(g[t + 1]))
        # ∂h[t]/∂c[t]: o[t]·tanh′(c[t]) in the standard convention (the mistake leaves tanh′ out).
        dhdc = o[t] * (1 - tc[t] ** 2) if std and "cell-tanh-prime-dropped" not in flags else o[t]
        d["c"][t] = d["h"][t] * dhdc
        if t < T and "c-path-forgotten" not in flags:
            carry = 1.0 if "forget-gate-dropped" in flags else (f[t] if "f-current" in flags else f[t + 1])
            d["c"][t] += d["c"][t + 1] * carry
        d["o"][t] = d["h"][t] * (tc[t] if std else c[t])
        d["i"][t] = d["c"][t] * g[t]
        d["f"][t] = d["c"][t] * (c[t] if "df-uses-c-t" in flags else c[t - 1])
    out = {f"dLd{k}": d[k][1:T + 1].T for k in ("h", "c", "o", "i", "f")}
    prev = h[1:T + 1] if "u-grad-uses-h-t" in flags else h[0:T]
    for gate in GATES:
        if "gate-derivative-missing" in flags:
            dz = d["c"][1:T + 1] * i[1:T + 1] if gate == "c" else d[gate][1:T + 1]
        elif gate == "c":
            dz = d["c"][1:T + 1] * i[1:T + 1] * tanh_prime(g[1:T + 1])
        else:
            dz = d[gate][1:T + 1] * sig_prime(fw[gate][1:T + 1])
        # [dL/dw | dL/du | dL/db]: rows are hidden units; Σ_t over the rows of dz.
        du = dz.T @ prev
        if "u-grad-transposed" in flags:  # Σ_t h[t−1]·dL/dz[t]ᵀ: the H×H block written the other way round
            du = prev.T @ dz
        out[f"grad_{gate}"] = np.hstack([dz.T @ fw["x"].T, du, dz.sum(axis=0)[:, None]])
    return out


# ----------------------------------------------------------------------------
# SymPy: the unrolled graph.
# ----------------------------------------------------------------------------
def sym_graph(p: dict, with_loss: bool = True) -> tuple[Graph, dict]:
    """The unrolled LSTM (and, ``with_loss``, its loss) as a SymPy graph, and its named nodes."""
    import sympy

    gr = Graph()
    sig = Graph.sigmoid
    H, D, T = len(p["c0"]), len(p["x"]), len(p["x"][0])
    w, u, b = ({g: gr.inputs(f"{kind}_{g}", p[f"{kind}_{g}"]) for g in GATES} for kind in ("w", "u", "b"))
    n: dict = {k: [None] for k in ("i", "o", "f", "g")}
    n["c"] = [gr.inputs("c0", p["c0"])]
    n["h"] = [gr.inputs("h0", p["h0"])]
    for t in range(1, T + 1):
        xt = [gr.const(v) for v in col(p["x"], t - 1)]
        hp = n["h"][t - 1]
        # Pre-activations are nodes of their own: each nonlinearity is then differentiated once,
        # not once per weight that feeds it (the linear node's partials are its coefficients).
        z = {gate: [gr.define(f"z_{gate}{t}[{k}]", lin(w[gate][k], xt) + lin(u[gate][k], hp) + b[gate][k])
                    for k in range(H)] for gate in GATES}
        for gate in SIGMA_GATES:
            n[gate].append([gr.define(f"{gate}{t}[{k}]", sig(z[gate][k])) for k in range(H)])
        n["g"].append([gr.define(f"g{t}[{k}]", sympy.tanh(z["c"][k])) for k in range(H)])
        i, f, o, g = n["i"][t], n["f"][t], n["o"][t], n["g"][t]
        n["c"].append([gr.define(f"c{t}[{k}]", f[k] * n["c"][t - 1][k] + i[k] * g[k]) for k in range(H)])
        c = n["c"][t]
        if _standard(p):
            n["h"].append([gr.define(f"h{t}[{k}]", o[k] * sympy.tanh(c[k])) for k in range(H)])
        else:
            n["h"].append([gr.define(f"h{t}[{k}]", o[k] * c[k]) for k in range(H)])
    if with_loss:
        terms = []
        for t in range(1, T + 1):
            for k in range(H):
                if p["loss"] == "dh":
                    terms.append(gr.const(p["dh"][k][t - 1]) * n["h"][t][k])
                else:
                    terms.append((n["h"][t][k] - gr.const(p["y"][k][t - 1])) ** 2 / 2)
        n["L"] = gr.define("L", sympy.Add(*terms))
    n.update(w=w, u=u, b=b, T=T, H=H, D=D)
    return gr, n


# ----------------------------------------------------------------------------
# The shared base: sizes, draws, prompt values.
# ----------------------------------------------------------------------------
class _LSTMBase(Solver):
    bptt = False
    #: given: weights, x, c[0], h[0]; shape_text: scalar or H×D; h_rule and convention_text: the
    #: convention in use; wrong_convention(_fwd): the mistake message for the other convention;
    #: values (forward): σ/tanh values to use; loss_text and forward_table (bptt): ∂L/∂h and the
    #: forward pass as printed, to 4 decimals.
    template_vars = ("given", "shape_text", "h_rule", "convention_text", "wrong_convention", "wrong_convention_fwd",
                     "values", "loss_text", "forward_table")

    def check(self, p: dict) -> None:
        sizes(p, LSTM_SIZES, LSTM_LIMITS)

    def _loss_mode(self, p: dict, fixed) -> str | None:
        if not self.bptt:
            return None
        if "y" in fixed and "dh" in fixed:
            raise ParamError("give targets y (L = ½ Σ (h[t] − y[t])²) or dh = ∂L/∂h[t], not both")
        if "loss" in fixed:
            if p["loss"] == "mse" and "dh" in fixed:
                raise ParamError("dh is given but loss=mse uses the targets y: set loss=dh, or give y instead")
            if p["loss"] == "dh" and "y" in fixed:
                raise ParamError("y is given but loss=dh takes ∂L/∂h[t] from dh: set loss=mse, or give dh instead")
            return p["loss"]
        if "dh" in fixed:
            return "dh"
        if "y" in fixed:
            return "mse"
        return None

    def draw(self, p: dict, rng, fixed) -> dict:
        """Exam draws: scalar (H = D = 1) unless the user's values say otherwise, T ≤ 3, small weights,
        and accepted only if a student can reproduce every answer from the printed numbers."""
        known = sizes(p, LSTM_SIZES, LSTM_LIMITS, names=fixed)
        mode = self._loss_mode(p, fixed)
        q = dict(p)
        for _ in range(300 if not fixed - {"convention", "loss"} else 60):
            q = dict(p)
            H, D = known.get("H", 1), known.get("D", 1)
            recurrent = self.bptt or rng.random() < 0.5
            T = known.get("T", pick(rng, [2, 3]) if (self.bptt or not recurrent) else 2)
            draws = self._makers(rng, H, D, T, recurrent)
            for name, make in draws.items():
                if name in p and name not in fixed:
                    q[name] = make()
            unused: set[str] = set()
            if self.bptt:
                q["loss"] = mode or ("dh" if rng.random() < 0.3 else "mse")
                unused = {"y" if q["loss"] == "dh" else "dh"}  # drawn only to keep the shapes consistent
            if not any(name in p and name not in fixed and name not in unused for name in draws):
                return q  # every number is the user's: nothing to choose
            if self._exam_ready(q):
                return q
        return q  # the user's own numbers leave no exam-ready choice: use them as they are

    def _makers(self, rng: random.Random, H: int, D: int, T: int, recurrent: bool) -> dict[str, Callable[[], object]]:
        """How each parameter is drawn for an exam question of these sizes (in this order: a random seed's
        draws depend on it)."""
        def mat(r: int, c: int, choices: Sequence[float]) -> Callable[[], list]:
            return lambda: random_matrix(rng, r, c, choices)

        def vec(n: int, choices: Sequence[float]) -> Callable[[], list]:
            return lambda: random_matrix(rng, 1, n, choices)[0]

        draws: dict[str, Callable[[], object]]
        if self.bptt:
            draws = {"x": mat(D, T, [-1, 0, 1, 1, 2])}
            for g in GATES:
                draws[f"w_{g}"] = mat(H, D, HALVES)
                draws[f"u_{g}"] = mat(H, H, HALVES)
                draws[f"b_{g}"] = vec(H, [-0.5, 0, 0, 0.5])
            draws["c0"] = vec(H, [-0.5, 0.5, 1])
            draws["h0"] = vec(H, [0, 0, 0.5])
            draws["y"] = mat(H, T, [-1, -0.5, 0, 0.5, 1])
            draws["dh"] = mat(H, T, [-2, -1, 1, 2])
            return draws
        # Integer pre-activations at t = 1 (σ and tanh come from the prompt's table); with
        # zero recurrent weights every step is table work, otherwise later steps are closed forms.
        draws = {"x": mat(D, T, [-1, 0, 1, 2])}
        for g in GATES:
            draws[f"w_{g}"] = mat(H, D, [-1, 0, 1, 2])
            draws[f"u_{g}"] = mat(H, H, [-0.5, 0.5, 1] if recurrent else [0])
            draws[f"b_{g}"] = vec(H, [-1, 0, 1])
        draws["c0"] = vec(H, [0, 0.5, 1])
        draws["h0"] = lambda: [0] * H
        return draws

    def derive(self, p: dict) -> dict:
        std = _standard(p)
        H, T = len(p["c0"]), len(p["x"][0])
        lines = []
        for g in GATES:
            lines.append(f"w_{g} = {show(p[f'w_{g}'])}   u_{g} = {show(p[f'u_{g}'])}   b_{g} = {show(p[f'b_{g}'])}")
        lines.append("  ".join(f"x[{t}] = {show(col(p['x'], t - 1))}" for t in range(1, T + 1)))
        lines.append(f"c[0] = {show(p['c0'])}   h[0] = {show(p['h0'])}")
        if H == 1 and len(p["x"]) == 1:
            shape = "scalar (H = 1 hidden unit, scalar inputs)"
        else:
            shape = f"H = {H} hidden units, D = {len(p['x'])} inputs: w_* is H×D, u_* is H×H, products are elementwise"
        out = {
            "given": "\n".join(lines),
            "shape_text": shape,
            "h_rule": "h[t] = o[t]·tanh c[t]" if std else "h[t] = o[t]·c[t]",
            "convention_text": ("standard (CMU 16-785, CS231n notes): h[t] = o[t]·tanh c[t]" if std else
                                "ECE 417 exam review: h[t] = o[t]·c[t], no tanh on the cell"),
            "wrong_convention_fwd": ("the standard convention squashes the cell: h[t] = o[t]·tanh c[t], not o[t]·c[t]"
                                     if std else "the ECE 417 convention has no tanh on the cell: h[t] = o[t]·c[t]"),
            "wrong_convention": (
                "this uses h[t] = o[t]·c[t] (ECE 417), but the standard convention squashes the cell: "
                "h[t] = o[t]·tanh c[t], so ∂h/∂c = o[t](1 − tanh² c[t]) and ∂h/∂o = tanh c[t]" if std else
                "this uses h[t] = o[t]·tanh c[t] (the standard LSTM), but the ECE 417 convention has no tanh: "
                "h[t] = o[t]·c[t], so ∂h/∂c = o[t] and ∂h/∂o = c[t]"),
        }
        if self.bptt:
            out.update(self._bptt_text(p))
        else:
            calc = Calc()
            lstm_forward(p, calc)
            out["values"] = calc.values_text()
        return out

    def _bptt_text(self, p: dict) -> dict:
        fw = lstm_forward(p, Calc())
        std, T = _standard(p), fw["T"]
        head = ["t", "x[t]", "i[t]", "f[t]", "o[t]", "g[t]", "c[t]"] + (["tanh c[t]"] if std else []) + ["h[t]"]
        if p["loss"] == "dh":
            head.append("∂L/∂h[t] = dh[t]")
            loss = "∂L/∂h[t] = dh[t] is given for every step (the loss itself is not needed)."
        else:
            head.append("y[t]")
            loss = "L = ½ Σ_t (h[t] − y[t])², so ∂L/∂h[t] = h[t] − y[t]."
        rows = [["0", "", "", "", "", "", show(fw["c"][0])] + ([""] if std else []) + [show(fw["h"][0]), ""]]
        for t in range(1, T + 1):
            row = [str(t), show(col(p["x"], t - 1))] + [show(fw[k][t]) for k in ("i", "f", "o", "g", "c")]
            row += [show(fw["tc"][t])] if std else []
            row += [show(fw["h"][t]), show(col(p["dh"] if p["loss"] == "dh" else p["y"], t - 1))]
            rows.append(row)
        return {"loss_text": loss, "forward_table": text_table(head, rows)}

    # -- what a student can do by hand ----------------------------------------------------
    def unused(self, p: dict) -> set[str]:
        """The parameters this instance does not read: lstm.bptt draws both y and dh to keep the shapes
        consistent, and uses one (``nncheck show`` does not list the other as drawn)."""
        if not self.bptt:
            return set()
        return {"dh"} if p.get("loss") == "mse" else {"y"}

    def _exam_ready(self, q: dict) -> bool:
        if not sizes_agree(q, LSTM_SIZES, LSTM_LIMITS):
            return False
        fw = lstm_forward(q, Calc())
        if all(v == 0 for t in range(1, fw["T"] + 1) for v in fw["g"][t]):
            return False  # the candidate g[t] is 0 at every step: nothing is ever written to the cell
        if self.bptt:
            exact = lstm_backward(q, fw)
            student = lstm_backward(q, {k: rounded(v) for k, v in fw.items()})
            return all(workable(exact[k], student[k], zero_ok=True) for k in exact)
        student = lstm_forward(q, Calc(rounded=True))
        keys = ("i", "o", "f", "c", "h")
        return all(workable(fw[k][1:], student[k][1:], zero_ok=True) for k in keys)


# ----------------------------------------------------------------------------
# lstm.forward
# ----------------------------------------------------------------------------
class Forward(_LSTMBase):
    """``lstm.forward``: i[t], o[t], f[t], c[t], h[t] for every step."""

    def exact(self, p: dict) -> dict:
        import sympy

        gr, n = sym_graph(p, with_loss=False)
        return {k: sympy.Matrix([[gr.value(n[k][t][j]) for t in range(1, n["T"] + 1)] for j in range(n["H"])])
                for k in ("i", "o", "f", "c", "h")}

    def numeric(self, p: dict) -> dict:
        fw = np_forward(p)
        return {k: fw[k][1:].T for k in ("i", "o", "f", "c", "h")}

    def carry_from(self, p: dict) -> dict[str, tuple[str, ...]]:
        """What a student computes each sequence from, working step by step: h[t] from their o[t] and
        c[t]; c[t] from their i[t] and f[t] (and their own c[t−1], rolled); and every gate at t ≥ 2 reads
        their h[t−1] (a later part, but an earlier step) through its u_ξ, unless u_ξ is zero."""
        later = len(p["x"][0]) > 1
        deps: dict[str, tuple[str, ...]] = {g: ("h",) for g in SIGMA_GATES if later and nonzero(p[f"u_{g}"])}
        # f[t] only scales c[t−1]: with one step from c[0] = 0 the student never needs it.
        deps["c"] = (("i",) + (("f",) if later or nonzero(p["c0"]) else ())
                     + (("h",) if later and nonzero(p["u_c"]) else ()))
        deps["h"] = ("o", "c")
        return deps

    def carry(self, p: dict, given: dict) -> dict:
        import numpy as np

        fw = np_forward(p)
        T, x, w, u, b = fw["T"], fw["x"], fw["w"], fw["u"], fw["b"]

        def pre(gate, v):  # w_ξ x[t] + u_ξ h[t−1] + b_ξ, column t−1, with h[0] and then the student's h
            prev = np.column_stack([fw["h"][0], v["h"][:, :T - 1]])
            return w[gate] @ x + u[gate] @ prev + b[gate][:, None]

        def gate(name):
            return lambda v: 1.0 / (1.0 + np.exp(-pre(name, v)))

        def cell(v):
            g, c = np.tanh(pre("c", v)), np.zeros_like(v["i"])
            for t in range(T):  # c[t] = f[t]c[t−1] + i[t]g[t], from c[0]
                c[:, t] = v["f"][:, t] * (c[:, t - 1] if t else fw["c"][0]) + v["i"][:, t] * g[:, t]
            return c

        def out(v):
            return v["o"] * (np.tanh(v["c"]) if _standard(p) else v["c"])

        formulas = {"i": gate("i"), "o": gate("o"), "f": gate("f"), "c": cell, "h": out}
        return carried(self.carry_from(p), self.numeric(p), given, formulas)

    def mistakes(self, p: dict) -> dict:
        out = {}
        for flag in ("wrong-convention", "gates-swapped", "sigma-candidate", "forget-gate-ignored"):
            fw = np_forward(p, frozenset([flag]))
            out[flag] = {k: fw[k][1:].T for k in ("c", "h")}
        return out

    def solution(self, p: dict, key: dict) -> dict:
        fw = np_forward(p)
        std = _standard(p)
        steps: dict = {k: [] for k in ("i", "o", "f", "c", "h")}
        names = {"i": "input", "o": "output", "f": "forget"}
        for t in range(1, fw["T"] + 1):
            xt, hp = fw["x"][:, t - 1], fw["h"][t - 1]
            for g in SIGMA_GATES:
                z = fw["w"][g] @ xt + fw["u"][g] @ hp + fw["b"][g]
                steps[g].append(f"{g}[{t}] = σ(w_{g}·x[{t}] + u_{g}·h[{t - 1}] + b_{g}) = σ({nv(z)}) = {nv(fw[g][t])}"
                                f"   ({names[g]} gate)")
            zc = fw["w"]["c"] @ xt + fw["u"]["c"] @ hp + fw["b"]["c"]
            steps["c"].append(f"g[{t}] = tanh(w_c·x[{t}] + u_c·h[{t - 1}] + b_c) = tanh({nv(zc)}) = {nv(fw['g'][t])}")
            steps["c"].append(f"c[{t}] = f[{t}]·c[{t - 1}] + i[{t}]·g[{t}] = {nv(fw['f'][t])}·{nvp(fw['c'][t - 1])} + "
                              f"{nv(fw['i'][t])}·{nvp(fw['g'][t])} = {nv(fw['c'][t])}")
            if std:
                steps["h"].append(f"h[{t}] = o[{t}]·tanh c[{t}] = {nv(fw['o'][t])}·tanh({nv(fw['c'][t])}) = "
                                  f"{nv(fw['o'][t])}·{nvp(fw['tc'][t])} = {nv(fw['h'][t])}")
            else:
                steps["h"].append(f"h[{t}] = o[{t}]·c[{t}] = {nv(fw['o'][t])}·{nvp(fw['c'][t])} = {nv(fw['h'][t])}")
        return steps


# ----------------------------------------------------------------------------
# lstm.bptt
# ----------------------------------------------------------------------------
def _dLdc_rule_numeric(std: bool):
    def f(env: dict) -> float:
        dhdc = env["o"] * (1 - math.tanh(env["c"]) ** 2) if std else env["o"]
        return env["dLdh"] * dhdc + env["dLdc_next"] * env["f_next"]

    return f


def _dLdh_rule_numeric(env: dict) -> float:
    e = env
    return (e["dh"] + e["di_next"] * e["i_next"] * (1 - e["i_next"]) * e["u_i"]
            + e["do_next"] * e["o_next"] * (1 - e["o_next"]) * e["u_o"]
            + e["df_next"] * e["f_next"] * (1 - e["f_next"]) * e["u_f"]
            + e["dc_next"] * e["i_next"] * (1 - e["g_next"] ** 2) * e["u_c"])


def _rule_symbols():
    import sympy

    names = ("dLdh dLdc_next o c f f_next dh di_next do_next df_next dc_next i_next o_next g_next "
             "u_i u_o u_f u_c")
    return dict(zip(names.split(), sympy.symbols(names, real=True)))


def _dLdc_rule(std: bool, s: dict, *, f_key: str | None = "f_next", dhdc_std: bool | None = None, h_term=True,
               c_term=True):
    """dL/dc[t] in the rule's symbols; the keywords build the declared mistakes (``f_key=None``: the
    forget gate left out of the path through c[t+1])."""
    import sympy

    use_std = std if dhdc_std is None else dhdc_std
    dhdc = s["o"] * (1 - sympy.tanh(s["c"]) ** 2) if use_std else s["o"]
    carry = s[f_key] if f_key else 1
    return (s["dLdh"] * dhdc if h_term else 0) + (s["dLdc_next"] * carry if c_term else 0)


def _dLdh_rule(s: dict, *, sig_prime=None, tanh_prime=None, c_term=True, future=True):
    sig_prime = sig_prime or (lambda v: v * (1 - v))
    tanh_prime = tanh_prime or (lambda v: 1 - v**2)
    if not future:
        return s["dh"]
    e = s["dh"]
    for g in SIGMA_GATES:
        e += s[f"d{g}_next"] * sig_prime(s[f"{g}_next"]) * s[f"u_{g}"]
    if c_term:
        e += s["dc_next"] * s["i_next"] * tanh_prime(s["g_next"]) * s["u_c"]
    return e


class BPTT(_LSTMBase):
    """``lstm.bptt``: dL/dh, dL/dc, dL/do, dL/di, dL/df for every step and every weight gradient."""

    bptt = True

    def exact(self, p: dict) -> dict:
        import sympy

        gr, n = sym_graph(p)
        adj = gr.adjoints(n["L"])
        T, H, D = n["T"], n["H"], n["D"]
        zero = sympy.Integer(0)

        def a(s):
            return adj.get(s, zero)

        out = {f"dLd{k}": sympy.Matrix([[a(n[k][t][j]) for t in range(1, T + 1)] for j in range(H)])
               for k in ("h", "c", "o", "i", "f")}
        for g in GATES:
            out[f"grad_{g}"] = sympy.Matrix([[a(n["w"][g][k][j]) for j in range(D)]
                                             + [a(n["u"][g][k][m]) for m in range(H)] + [a(n["b"][g][k])]
                                             for k in range(H)])
        out["dLdc_rule"] = self._dLdc_rule_exact(_standard(p))
        out["dLdh_rule"] = self._dLdh_rule_exact()
        return out

    @staticmethod
    def _dLdc_rule_exact(std: bool):
        """Differentiate h[t] (this convention) and c[t+1] = f[t+1]c[t] + i[t+1]g[t+1] by c[t].

        To first order L ≈ dL/dh[t]·h[t] + dL/dc[t+1]·c[t+1] around the point (total derivatives as
        coefficients, everything downstream folded into them), so d/dc[t] of that is the rule."""
        import sympy

        s = _rule_symbols()
        i_next, g_next = sympy.symbols("i_next g_next", real=True)
        h = s["o"] * sympy.tanh(s["c"]) if std else s["o"] * s["c"]
        c_next = s["f_next"] * s["c"] + i_next * g_next
        derived = sympy.diff(s["dLdh"] * h + s["dLdc_next"] * c_next, s["c"])
        return proven(derived, _dLdc_rule(std, s), "dL/dc[t]")

    @staticmethod
    def _dLdh_rule_exact():
        """Differentiate every quantity at t+1 that reads h[t], with σ written out as 1/(1 + e^(−z)).

        A gate value ξ = σ(z) means z = ln(ξ/(1 − ξ)); the candidate g = tanh(z) means z = atanh g.
        c[t+1] enters through its candidate only (i[t+1] and f[t+1] have their own terms)."""
        import sympy

        s = _rule_symbols()
        hh = sympy.Symbol("h_t", real=True)
        L_lin = s["dh"] * hh
        shift = {}
        for g in SIGMA_GATES:
            A = sympy.Symbol(f"A_{g}", real=True)
            L_lin += s[f"d{g}_next"] * Graph.sigmoid(A + s[f"u_{g}"] * hh)
            shift[A] = sympy.log(s[f"{g}_next"] / (1 - s[f"{g}_next"])) - s[f"u_{g}"] * hh
        A_c = sympy.Symbol("A_c", real=True)
        L_lin += s["dc_next"] * s["i_next"] * sympy.tanh(A_c + s["u_c"] * hh)
        shift[A_c] = sympy.atanh(s["g_next"]) - s["u_c"] * hh
        derived = sympy.diff(L_lin, hh).xreplace(shift)
        return proven(derived, _dLdh_rule(s), "dL/dh[t]")

    def numeric(self, p: dict) -> dict:
        out = np_backward(p, np_forward(p))
        out["dLdc_rule"] = _dLdc_rule_numeric(_standard(p))
        out["dLdh_rule"] = _dLdh_rule_numeric
        return out

    def carry_from(self, p: dict) -> dict[str, tuple[str, ...]]:
        """The forward pass is printed, not asked: the chain runs inside the backward pass, as ECE 417's
        recursion reads: dL/dh[t] from the student's dL/di, dL/do, dL/df, dL/dc of step t+1 (each through
        a nonzero u_ξ; a later part, but the step before in backward order); dL/dc[t] from their dL/dh[t]
        (and their own dL/dc[t+1], rolled); dL/do from dL/dh; dL/di and dL/df from dL/dc; each weight
        gradient from its own dL/dξ (the candidate's from dL/dc)."""
        later = len(p["x"][0]) > 1
        deps: dict[str, tuple[str, ...]] = {
            "dLdc": ("dLdh",), "dLdo": ("dLdh",), "dLdi": ("dLdc",), "dLdf": ("dLdc",),
            "grad_i": ("dLdi",), "grad_o": ("dLdo",), "grad_f": ("dLdf",), "grad_c": ("dLdc",)}
        into_h = tuple(f"dLd{g}" for g in GATES if later and nonzero(p[f"u_{g}"]))
        if into_h:
            deps["dLdh"] = into_h
        return deps

    def carry(self, p: dict, given: dict) -> dict:
        import numpy as np

        fw = np_forward(p)
        T, u, std = fw["T"], fw["u"], _standard(p)
        i, o, f, g, c, tc, h = (fw[k] for k in ("i", "o", "f", "g", "c", "tc", "h"))  # row t is step t
        if p["loss"] == "dh":
            direct = np.array(p["dh"], dtype=float)
        else:
            direct = h[1:T + 1].T - np.array(p["y"], dtype=float)

        def dLdh(v):  # column t−1 is step t; step t < T reads step t+1 (column t)
            d = direct.copy()
            for t in range(1, T):
                for gate in SIGMA_GATES:
                    s = fw[gate][t + 1]
                    d[:, t - 1] += u[gate].T @ (v[f"dLd{gate}"][:, t] * s * (1 - s))
                d[:, t - 1] += u["c"].T @ (v["dLdc"][:, t] * i[t + 1] * (1 - g[t + 1] ** 2))
            return d

        def dLdc(v):
            d = np.zeros_like(direct)
            for t in range(T, 0, -1):
                d[:, t - 1] = v["dLdh"][:, t - 1] * (o[t] * (1 - tc[t] ** 2) if std else o[t])
                if t < T:
                    d[:, t - 1] += d[:, t] * f[t + 1]
            return d

        def weights(gate):
            def grad(v):
                if gate == "c":
                    dz = v["dLdc"] * (i[1:T + 1] * (1 - g[1:T + 1] ** 2)).T
                else:
                    s = fw[gate][1:T + 1].T
                    dz = v[f"dLd{gate}"] * s * (1 - s)
                return np.hstack([dz @ fw["x"].T, dz @ h[0:T], dz.sum(axis=1)[:, None]])
            return grad

        formulas = {"dLdh": dLdh, "dLdc": dLdc, "dLdo": lambda v: v["dLdh"] * (tc if std else c)[1:T + 1].T,
                    "dLdi": lambda v: v["dLdc"] * g[1:T + 1].T, "dLdf": lambda v: v["dLdc"] * c[0:T].T,
                    **{f"grad_{gate}": weights(gate) for gate in GATES}}
        return carried(self.carry_from(p), self.numeric(p), given, formulas)

    def mistakes(self, p: dict) -> dict:
        fw = np_forward(p)
        out = {m: np_backward(p, fw, frozenset([m])) for m in NUMERIC_MISTAKES}
        std = _standard(p)
        s = _rule_symbols()
        rules_c = {
            "c-path-forgotten": _dLdc_rule(std, s, c_term=False),
            "h-term-forgotten": _dLdc_rule(std, s, h_term=False),
            "f-current": _dLdc_rule(std, s, f_key="f"),
            "wrong-convention": _dLdc_rule(std, s, dhdc_std=not std),
            "forget-gate-dropped": _dLdc_rule(std, s, f_key=None),
        }
        # cell-tanh-prime-dropped has no rule of its own: dLdh·o + dLdc_next·f_next is wrong-convention's
        # rule (declared first, and its message explains ∂h/∂c in both conventions).
        rules_h = {
            "h-path-forgotten": _dLdh_rule(s, future=False),
            "tanh-prime-for-sigma": _dLdh_rule(s, sig_prime=lambda v: 1 - v**2),
            "sigma-prime-for-tanh": _dLdh_rule(s, tanh_prime=lambda v: v * (1 - v)),
            "c-term-forgotten": _dLdh_rule(s, c_term=False),
        }
        for m, e in rules_c.items():
            out.setdefault(m, {})["dLdc_rule"] = e
        for m, e in rules_h.items():
            out.setdefault(m, {})["dLdh_rule"] = e
        return out

    def solution(self, p: dict, key: dict) -> dict:
        import numpy as np

        fw = np_forward(p)
        bw = np_backward(p, fw)
        std, T, H = _standard(p), fw["T"], fw["H"]
        i, o, f, g, c, tc, h = (fw[k] for k in ("i", "o", "f", "g", "c", "tc", "h"))
        d = {k: bw[f"dLd{k}"].T for k in ("h", "c", "o", "i", "f")}  # row t−1 is step t

        def at(k, t):
            return d[k][t - 1]

        scalar = H == 1
        steps: dict = {k: [] for k in BPTT_SEQ + GRAD_PARTS + ("dLdc_rule", "dLdh_rule")}
        rows = []
        for t in range(T, 0, -1):
            if p["loss"] == "dh":
                direct = np.array(col(p["dh"], t - 1), dtype=float)
                direct_text = f"∂L/∂h[{t}] = dh[{t}] = {nv(direct)}"
            else:
                yt = np.array(col(p["y"], t - 1), dtype=float)
                direct = h[t] - yt
                direct_text = f"∂L/∂h[{t}] = h[{t}] − y[{t}] = {nv(h[t])} − {nvp(yt)} = {nv(direct)}"
            if t == T:
                steps["dLdh"].append(f"t = {t}: dL/dh[{t}] = {direct_text}   (nothing at t = {T + 1})")
            else:
                terms, values = [], []
                ut = "" if scalar else "ᵀ"
                for gate in SIGMA_GATES:
                    s = fw[gate][t + 1]
                    terms.append(f"u_{gate}{ut}·dL/d{gate}[{t + 1}]·{gate}[{t + 1}](1 − {gate}[{t + 1}])")
                    values.append(fw["u"][gate].T @ (at(gate, t + 1) * s * (1 - s)))
                terms.append(f"u_c{ut}·dL/dc[{t + 1}]·i[{t + 1}](1 − g[{t + 1}]²)")
                values.append(fw["u"]["c"].T @ (at("c", t + 1) * i[t + 1] * (1 - g[t + 1] ** 2)))
                steps["dLdh"].append(
                    f"t = {t}: dL/dh[{t}] = ∂L/∂h[{t}] + Σ_ξ dL/dξ[{t + 1}]·∂ξ[{t + 1}]/∂h[{t}] = "
                    f"∂L/∂h[{t}] + " + " + ".join(terms))
                steps["dLdh"].append(f"   = {signed_sum([direct] + values, nv)} = {nv(at('h', t))}   ({direct_text})")
            dhdc_text = f"o[{t}](1 − tanh² c[{t}])" if std else f"o[{t}]"
            dhdc = o[t] * (1 - tc[t] ** 2) if std else o[t]
            if t == T:
                steps["dLdc"].append(f"t = {t}: dL/dc[{t}] = dL/dh[{t}]·∂h[{t}]/∂c[{t}] = dL/dh[{t}]·{dhdc_text} = "
                                     f"{nv(at('h', t))}·{nvp(dhdc)} = {nv(at('c', t))}")
            else:
                steps["dLdc"].append(
                    f"t = {t}: dL/dc[{t}] = dL/dh[{t}]·∂h[{t}]/∂c[{t}] + dL/dc[{t + 1}]·f[{t + 1}] = "
                    + signed_sum([f"{nv(at('h', t))}·{nvp(dhdc)}", f"{nv(at('c', t + 1))}·{nvp(f[t + 1])}"], str)
                    + f" = {nv(at('c', t))}")
            dhdo, dhdo_text = (tc[t], f"tanh c[{t}]") if std else (c[t], f"c[{t}]")
            steps["dLdo"].append(f"t = {t}: dL/do[{t}] = dL/dh[{t}]·∂h[{t}]/∂o[{t}] = dL/dh[{t}]·{dhdo_text} = "
                                 f"{nv(at('h', t))}·{nvp(dhdo)} = {nv(at('o', t))}")
            steps["dLdi"].append(f"t = {t}: dL/di[{t}] = dL/dc[{t}]·∂c[{t}]/∂i[{t}] = dL/dc[{t}]·g[{t}] = "
                                 f"{nv(at('c', t))}·{nvp(g[t])} = {nv(at('i', t))}")
            steps["dLdf"].append(f"t = {t}: dL/df[{t}] = dL/dc[{t}]·∂c[{t}]/∂f[{t}] = dL/dc[{t}]·c[{t - 1}] = "
                                 f"{nv(at('c', t))}·{nvp(c[t - 1])} = {nv(at('f', t))}")
            rows.append([str(t), nv(direct)] + [nv(at(k, t)) for k in ("h", "c", "o", "i", "f")])
        for gate in GATES:
            lines = []
            for t in range(1, T + 1):
                if gate == "c":
                    dz = at("c", t) * i[t] * (1 - g[t] ** 2)
                    lines.append(f"t = {t}: dL/dz_c[{t}] = dL/dc[{t}]·i[{t}]·(1 − g[{t}]²) = {nv(at('c', t))}·"
                                 f"{nvp(i[t])}·(1 − {nvp(g[t])}²) = {nv(dz)}")
                else:
                    s = fw[gate][t]
                    dz = at(gate, t) * s * (1 - s)
                    lines.append(f"t = {t}: dL/dz_{gate}[{t}] = dL/d{gate}[{t}]·{gate}[{t}](1 − {gate}[{t}]) = "
                                 f"{nv(at(gate, t))}·{nvp(s)}·(1 − {nv(s)}) = {nv(dz)}")
            lines.append(f"[dL/dw_{gate}, dL/du_{gate}, dL/db_{gate}] = Σ_t dL/dz_{gate}[t]·[x[t]ᵀ, h[t−1]ᵀ, 1] "
                         f"= {nm(bw[f'grad_{gate}'])}")
            steps[f"grad_{gate}"] = lines
        head = ["t", "∂L/∂h[t]", "dL/dh[t]", "dL/dc[t]", "dL/do[t]", "dL/di[t]", "dL/df[t]"]
        steps["_"] = (["Backward pass, t = T down to 1 (the ECE 417 exam review's recursion):"]
                      + text_table(head, rows).split("\n"))
        if std:
            steps["dLdc_rule"] = ["h[t] = o[t]·tanh c[t], so ∂h[t]/∂c[t] = o[t](1 − tanh² c[t]);",
                                  "c[t+1] = f[t+1]c[t] + i[t+1]g[t+1], so ∂c[t+1]/∂c[t] = f[t+1].",
                                  "dL/dc[t] = dLdh·o·(1 − tanh(c)²) + dLdc_next·f_next"]
        else:
            steps["dLdc_rule"] = ["h[t] = o[t]·c[t], so ∂h[t]/∂c[t] = o[t];",
                                  "c[t+1] = f[t+1]c[t] + i[t+1]g[t+1], so ∂c[t+1]/∂c[t] = f[t+1].",
                                  "dL/dc[t] = dLdh·o + dLdc_next·f_next"]
        steps["dLdh_rule"] = [
            "h[t] feeds i[t+1], o[t+1], f[t+1] and the candidate g[t+1] (hence c[t+1]).",
            "σ′(z) = σ(z)(1 − σ(z)): ∂i[t+1]/∂h[t] = i_next(1 − i_next)·u_i, and likewise for o and f.",
            "tanh′(z) = 1 − tanh²(z): ∂c[t+1]/∂h[t] = i_next·(1 − g_next²)·u_c (i and f held fixed).",
            "dL/dh[t] = dh + di_next·i_next(1 − i_next)u_i + do_next·o_next(1 − o_next)u_o"
            " + df_next·f_next(1 − f_next)u_f + dc_next·i_next(1 − g_next²)u_c"]
        return steps
