"""Recurrent networks: the CMU 16-785 RNN (BPTT slides), forward pass and BPTT.

The RNN, in the 16-785 notation (one output per step, Goodfellow Fig. 10.3)::

    a⁽ᵗ⁾ = b + W h⁽ᵗ⁻¹⁾ + U x⁽ᵗ⁾,   h⁽ᵗ⁾ = tanh a⁽ᵗ⁾,   o⁽ᵗ⁾ = c + V h⁽ᵗ⁾,
    ŷ⁽ᵗ⁾ = softmax o⁽ᵗ⁾,            L = Σ_t −ln ŷ⁽ᵗ⁾[y⁽ᵗ⁾]

or, with ``output=linear`` (the CS231n notes' y_t = W_hy h_t, and the squared loss with the ½ of
the ECE 417 final-exam review)::

    ŷ⁽ᵗ⁾ = o⁽ᵗ⁾,                      L = ½ Σ_t ‖ŷ⁽ᵗ⁾ − y⁽ᵗ⁾‖²

Both give ∇o⁽ᵗ⁾L = ŷ⁽ᵗ⁾ − (the target: 1_y⁽ᵗ⁾ or y⁽ᵗ⁾); everything behind o⁽ᵗ⁾ is shared.

Shapes: x is D×T (column t is x⁽ᵗ⁾, so a scalar sequence is one row), U is H×D, W is H×H,
V is K×H, b and h0 have H entries, c has K; y holds T class labels in 1..K (softmax) or K×T
targets (linear).

The two answer paths:

* SymPy (:class:`~nncheck.topics._graph.Graph`): the unrolled forward pass as a graph of
  scalar nodes, differentiated node by node and summed over paths.  Nothing in it knows
  tanh′ = 1 − tanh² or the BPTT recursion.
* NumPy: the notes' hand-written recursion, ∇h⁽ᵗ⁾L = Wᵀ diag(1 − (h⁽ᵗ⁺¹⁾)²) ∇h⁽ᵗ⁺¹⁾L + Vᵀ∇o⁽ᵗ⁾L.

Plain-Python forward and backward passes (no NumPy: ``nncheck show`` calls ``derive``
and ``draw``) fill the prompt's tables and check that random exam draws can be worked
by hand from the numbers the prompt prints.  The kit they share with the LSTM and GRU
is :mod:`nncheck.topics._steps`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from fractions import Fraction

from nncheck.topics._graph import PREC, Graph, proven
from nncheck.topics._steps import (
    MAX_K,
    RECURRENT_LIMITS,
    Calc,
    carried,
    close_by_hand,
    col,
    dot,
    matTvec,
    mul,
    nm,
    nonzero,
    nv,
    nvp,
    outer_text,
    pick,
    random_matrix,
    rounded,
    show,
    sizes,
    sup,
    text_table,
    workable,
)
from nncheck.topics.base import ParamError, Solver, paren, signed_sum

# ----------------------------------------------------------------------------
# The RNN.
# ----------------------------------------------------------------------------
RNN_SIZES = {
    "H": ("the hidden size H must agree (W is H×H, U is H×D, V is K×H; b and h0 have H entries)",
          [("h0", "len"), ("b", "len"), ("W", "rows"), ("W", "cols"), ("U", "rows"), ("V", "cols")]),
    "D": ("the input size D must agree (x is D×T with one column per step, U is H×D)",
          [("x", "rows"), ("U", "cols")]),
    "T": ("x and y must cover the same time steps (x has one column per step, y one label per step)",
          [("x", "steps"), ("y", "len")]),
    "K": ("the number of classes K must agree (V is K×H, c has K entries)", [("c", "len"), ("V", "rows")]),
}
RNN_LIMITS = {**RECURRENT_LIMITS, "K": (2, MAX_K, "the number of classes K")}
#: A linear output's targets are K×T: y claims the output size and the steps by its rows and columns,
#: and one output unit (K = 1, the scalar regression of the course notes) is allowed.
RNN_SIZES_LINEAR = {
    "H": RNN_SIZES["H"],
    "D": RNN_SIZES["D"],
    "T": ("x and y must cover the same time steps (x and y have one column per step)",
          [("x", "steps"), ("y", "steps")]),
    "K": ("the output size K must agree (V is K×H, c has K entries, y is K×T)",
          [("c", "len"), ("V", "rows"), ("y", "rows")]),
}
RNN_LIMITS_LINEAR = {**RECURRENT_LIMITS, "K": (1, MAX_K, "the output size K")}


def is_linear(p: dict) -> bool:
    """``output=linear``: ŷ⁽ᵗ⁾ = o⁽ᵗ⁾ and L = ½ Σ_t ‖ŷ⁽ᵗ⁾ − y⁽ᵗ⁾‖².  Values without ``output`` are the
    softmax RNN (the family's default)."""
    return p.get("output", "softmax") == "linear"


def _size_rules(p: dict) -> tuple[dict, dict]:
    return (RNN_SIZES_LINEAR, RNN_LIMITS_LINEAR) if is_linear(p) else (RNN_SIZES, RNN_LIMITS)


def _label(v: object) -> object:
    """A whole-number label as an int (2.0 and Fraction(2) index like 2); anything else as given,
    for ``check`` to refuse by name."""
    if isinstance(v, float) and not math.isfinite(v):
        return v
    return int(v) if isinstance(v, (int, float, Fraction)) and v == int(v) else v


def shaped_y(y: list, linear: bool) -> list:
    """``y`` in the form the solvers read: a flat list of T labels (softmax), K×T rows (linear).

    The bank reads y as a matrix, so that a linear output's K×T targets fit; a softmax output's
    labels are its one row (or column), kept flat as they always were (the draws, the JSON of a
    variant and every reader of ``p["y"]`` see the same list)."""
    nested = bool(y) and isinstance(y[0], list)
    if linear:
        return [list(r) for r in y] if nested else [list(y)]
    if not nested:
        return [_label(v) for v in y]
    if len(y) == 1:
        flat = y[0]
    elif all(len(r) == 1 for r in y):
        flat = [r[0] for r in y]
    else:
        raise ParamError(f"y is a {len(y)}×{len(y[0])} matrix, but with output=softmax it holds one class label "
                         "per step, a row [y⁽¹⁾, …, y⁽ᵀ⁾] (K×T targets are for output=linear)")
    return [_label(v) for v in flat]


def labels(p: dict) -> list:
    """The class labels y⁽¹⁾ … y⁽ᵀ⁾ of a softmax output (1..K)."""
    return shaped_y(p["y"], False)


def targets(p: dict) -> list[list]:
    """The targets of a linear output, K×T (column t − 1 is y⁽ᵗ⁾)."""
    return shaped_y(p["y"], True)


def rnn_forward(p: dict, calc: Calc) -> dict:
    """The forward pass in plain Python: lists indexed by step (h[0] is h0; a[0], o[0]… are None)."""
    U, W, V, b, c = p["U"], p["W"], p["V"], p["b"], p["c"]
    linear = is_linear(p)
    y: list = targets(p) if linear else labels(p)
    T = len(p["x"][0])
    a: list = [None]
    h: list = [list(p["h0"])]
    o: list = [None]
    yhat: list = [None]
    losses: list = [None]
    for t in range(1, T + 1):
        xt = col(p["x"], t - 1)
        at = [b[k] + dot(W[k], h[t - 1]) + dot(U[k], xt) for k in range(len(b))]
        ht = [calc.tanh(z) for z in at]
        ot = [c[j] + dot(V[j], ht) for j in range(len(c))]
        a.append(at)
        h.append(ht)
        o.append(ot)
        if linear:
            yhat.append(list(ot))
            losses.append(mul(Fraction(1, 2), sum((oj - yj) ** 2 for oj, yj in zip(ot, col(y, t - 1)))))
            continue
        e = [calc.exp(z) for z in ot]
        s = sum(e)
        yhat.append([ej / s for ej in e])
        # −ln ŷ[y] = ln Σ_j e^{o_j} − o_y: what a student writes in closed form.
        losses.append(calc.log(s) - ot[y[t - 1] - 1])
    return {"a": a, "h": h, "o": o, "yhat": yhat, "Lt": losses, "L": sum(losses[1:]), "T": T}


def rnn_backward(p: dict, fw: dict) -> dict:
    """16-785's BPTT in plain Python (used to check that exam draws work by hand)."""
    W, V = p["W"], p["V"]
    T, H, K = fw["T"], len(p["b"]), len(p["c"])
    go: list = [None] * (T + 2)  # by step t = 1..T
    gh: list = [None] * (T + 2)
    target = _target_columns(p, K, T)
    for t in range(T, 0, -1):
        go[t] = [fw["yhat"][t][j] - target[t][j] for j in range(K)]
        gh[t] = matTvec(V, go[t])
        if t < T:
            da = [(1 - fw["h"][t + 1][k] ** 2) * gh[t + 1][k] for k in range(H)]
            gh[t] = [u + v for u, v in zip(gh[t], matTvec(W, da))]
    da_t = {t: [(1 - fw["h"][t][k] ** 2) * gh[t][k] for k in range(H)] for t in range(1, T + 1)}
    out = {"grad_o": [go[t] for t in range(1, T + 1)], "grad_h": [gh[t] for t in range(1, T + 1)],
           "grad_c": [sum(go[t][j] for t in range(1, T + 1)) for j in range(K)],
           "grad_b": [sum(da_t[t][k] for t in range(1, T + 1)) for k in range(H)]}
    out["grad_V"] = [[sum(go[t][j] * fw["h"][t][k] for t in range(1, T + 1)) for k in range(H)] for j in range(K)]
    out["grad_W"] = [[sum(da_t[t][k] * fw["h"][t - 1][m] for t in range(1, T + 1)) for m in range(H)]
                     for k in range(H)]
    D = len(p["x"])
    out["grad_U"] = [[sum(da_t[t][k] * p["x"][d][t - 1] for t in range(1, T + 1)) for d in range(D)]
                     for k in range(H)]
    return out


def _target_columns(p: dict, K: int, T: int) -> list:
    """What ∇o⁽ᵗ⁾L = ŷ⁽ᵗ⁾ − (target) subtracts at each step t = 1..T (index 0 unused): the one-hot
    1_y⁽ᵗ⁾ of a softmax with cross-entropy, y⁽ᵗ⁾ itself for a linear output with ½‖ŷ − y‖²."""
    if is_linear(p):
        y = targets(p)
        return [None, *(col(y, t - 1) for t in range(1, T + 1))]
    labelled = labels(p)
    return [None, *([1 if j == labelled[t - 1] - 1 else 0 for j in range(K)] for t in range(1, T + 1))]


def _rnn_np_forward(p: dict, flags=frozenset()) -> dict:
    import numpy as np

    x = np.array(p["x"], dtype=float)
    U, W, V = (np.array(p[k], dtype=float) for k in ("U", "W", "V"))
    b, c, h0 = (np.array(p[k], dtype=float) for k in ("b", "c", "h0"))
    T = x.shape[1]
    h = np.zeros((T + 1, len(b)))
    h[0] = h0
    a = np.zeros((T + 1, len(b)))
    o = np.zeros((T + 1, len(c)))
    yhat = np.zeros((T + 1, len(c)))
    Lt = np.zeros(T + 1)
    linear = is_linear(p)
    y = np.array(targets(p) if linear else [labels(p)], dtype=float)  # linear: K×T targets; softmax: 1×T labels
    half = 1.0 if "half-dropped" in flags else 0.5
    for t in range(1, T + 1):
        rec = np.zeros(len(b)) if "recurrence-ignored" in flags else W @ h[t - 1]
        a[t] = b + rec + U @ x[:, t - 1]
        h[t] = a[t] if "tanh-forgotten" in flags else np.tanh(a[t])
        o[t] = c + V @ h[t]
        if linear:
            yhat[t] = o[t]
            Lt[t] = half * np.sum((yhat[t] - y[:, t - 1]) ** 2)
            continue
        z = o[t] - o[t].max()  # a stable softmax
        yhat[t] = np.exp(z) / np.exp(z).sum()
        Lt[t] = -np.log(yhat[t][int(y[0, t - 1]) - 1])
    L = Lt[T] if "last-step-loss" in flags else Lt[1:].sum()
    return {"x": x, "U": U, "W": W, "V": V, "a": a, "h": h, "o": o, "yhat": yhat, "Lt": Lt, "L": L, "T": T,
            "y": y if linear else labels(p)}


def _rnn_np_backward(p: dict, fw: dict, flags=frozenset()) -> dict:
    """16-785's BPTT: ∇o⁽ᵗ⁾L = ŷ⁽ᵗ⁾ − 1_y (softmax with cross-entropy) or ŷ⁽ᵗ⁾ − y⁽ᵗ⁾ (a linear output
    with ½‖ŷ − y‖²), then ∇h backwards from τ; ``flags`` are mistakes."""
    import numpy as np

    T, h, W, V, x = fw["T"], fw["h"], fw["W"], fw["V"], fw["x"]
    H, K = h.shape[1], fw["o"].shape[1]
    go = np.zeros((T + 2, K))
    gh = np.zeros((T + 2, H))
    for t in range(T, 0, -1):
        go[t] = fw["yhat"][t].copy()
        if is_linear(p):
            go[t] -= fw["y"][:, t - 1]
            if "residual-sign-flipped" in flags:
                go[t] = -go[t]
            if "half-not-cancelled" in flags:
                go[t] *= 2
        elif "onehot-forgotten" not in flags:
            go[t][fw["y"][t - 1] - 1] -= 1.0
        gh[t] = V.T @ go[t]
        if t < T and "future-forgotten" not in flags:
            if "tanh-prime-missing" in flags:
                d = np.ones(H)
            elif "tanh-prime-wrong-step" in flags:
                d = 1 - h[t] ** 2
            else:
                d = 1 - h[t + 1] ** 2
            Wm = W if "w-not-transposed" in flags else W.T
            gh[t] += Wm @ (d * gh[t + 1])
    da = np.array([(1 - h[t] ** 2) * gh[t] for t in range(1, T + 1)])  # ∇a⁽ᵗ⁾L, row t−1
    prev = h[1:T + 1] if "w-uses-h-t" in flags else h[0:T]
    gb = gh[1:T + 1].sum(axis=0) if "b-without-tanh-prime" in flags else da.sum(axis=0)
    return {"grad_o": go[1:T + 1].T, "grad_h": gh[1:T + 1].T, "grad_c": go[1:T + 1].sum(axis=0),
            "grad_b": gb, "grad_V": go[1:T + 1].T @ h[1:T + 1], "grad_W": da.T @ prev,
            "grad_U": da.T @ x.T}


def _rnn_graph(p: dict) -> tuple[Graph, dict]:
    """The unrolled RNN as a SymPy graph; returns the graph and its named nodes."""
    import sympy

    g = Graph()
    H, K, D, T = len(p["b"]), len(p["c"]), len(p["x"]), len(p["x"][0])
    linear = is_linear(p)
    y: list = targets(p) if linear else labels(p)
    U, W, V, b, c = (g.inputs(name, p[name]) for name in ("U", "W", "V", "b", "c"))
    h = [g.inputs("h0", p["h0"])]
    nodes: dict = {"U": U, "W": W, "V": V, "b": b, "c": c, "a": [None], "h": h, "o": [None], "Lt": []}
    for t in range(1, T + 1):
        xt = [g.const(v) for v in col(p["x"], t - 1)]
        a = [g.define(f"a{t}[{k}]", b[k] + sum(W[k][m] * h[t - 1][m] for m in range(H))
                      + sum(U[k][d] * xt[d] for d in range(D))) for k in range(H)]
        ht = [g.define(f"h{t}[{k}]", sympy.tanh(a[k])) for k in range(H)]
        o = [g.define(f"o{t}[{j}]", c[j] + sum(V[j][k] * ht[k] for k in range(H))) for j in range(K)]
        if linear:
            yt = [g.const(v) for v in col(y, t - 1)]
            nodes["Lt"].append(g.define(f"L{t}", sympy.Rational(1, 2) * sum((o[j] - yt[j]) ** 2 for j in range(K))))
        else:
            softmax_y = sympy.exp(o[y[t - 1] - 1]) / sum(sympy.exp(oj) for oj in o)
            nodes["Lt"].append(g.define(f"L{t}", -sympy.log(softmax_y)))
        nodes["a"].append(a)
        h.append(ht)
        nodes["o"].append(o)
    nodes["L"] = g.define("L", sum(nodes["Lt"]))
    return g, nodes


#: The prompt's words for the output and the loss: [softmax with cross-entropy, linear with ½‖ŷ − y‖²].
OUTPUT_TEXT = {
    False: {
        "source_note": "16-785 BPTT slides",
        "output_rhs": "softmax o⁽ᵗ⁾",
        "loss_line": "−ln ŷ⁽ᵗ⁾[y⁽ᵗ⁾]   (natural log; classes are numbered 1..K)",
        "loss_sum": "Σ_t −ln ŷ⁽ᵗ⁾[y⁽ᵗ⁾]",
        "hint_output": "softmax(o)_k = exp(o_k) / Σ_j exp(o_j); only the entry of the true class enters L⁽ᵗ⁾.",
        "hint_grad_o": "∇o⁽ᵗ⁾L = ŷ⁽ᵗ⁾ − 1_{y⁽ᵗ⁾}: subtract 1 at the true class.",
    },
    True: {
        "source_note": "16-785 BPTT slides, with the linear output of the CS231n notes",
        "output_rhs": "o⁽ᵗ⁾",
        "loss_line": "½‖ŷ⁽ᵗ⁾ − y⁽ᵗ⁾‖²   (squared error with the ½ of the ECE 417 final-exam review; "
                     "y⁽ᵗ⁾ is the target)",
        "loss_sum": "½ Σ_t ‖ŷ⁽ᵗ⁾ − y⁽ᵗ⁾‖²",
        "hint_output": "A linear output is o⁽ᵗ⁾ itself; L⁽ᵗ⁾ = ½ Σ_k (ŷ⁽ᵗ⁾_k − y⁽ᵗ⁾_k)², keeping the ½.",
        "hint_grad_o": "∇o⁽ᵗ⁾L = ŷ⁽ᵗ⁾ − y⁽ᵗ⁾: the ½ of the loss cancels the 2 of the square.",
    },
}


class _RNNBase(Solver):
    """Shared by ``rnn.forward`` and ``rnn.bptt``: sizes, draws and the prompt's givens."""

    bptt = False
    #: given: the parameters in CMU 16-785's notation; sizes: "T = 2 steps, …"; values: the tanh/exp
    #: values a student needs; forward_table: the forward pass (bptt: h⁽ᵗ⁾ and ŷ⁽ᵗ⁾ as printed);
    #: source_note, output_rhs, loss_line, loss_sum, hint_output, hint_grad_o: the output and loss in
    #: use (softmax with cross-entropy, or a linear output with ½‖ŷ − y‖²), see :data:`OUTPUT_TEXT`.
    template_vars = ("given", "sizes", "values", "forward_table", "source_note", "output_rhs", "loss_line",
                     "loss_sum", "hint_output", "hint_grad_o")

    def check(self, p: dict) -> None:
        linear = is_linear(p)
        y = shaped_y(p["y"], linear)
        s = sizes({**p, "y": y}, *_size_rules(p))
        if linear:
            return
        for t, label in enumerate(y, 1):
            if not isinstance(label, int):
                raise ParamError(f"y{sup(t)} = {show(label)} is not a class label: with output=softmax, y holds "
                                 "whole numbers in 1..K (real targets are for output=linear)")
            if not 1 <= label <= s["K"]:
                raise ParamError(f"y{sup(t)} = {label} but there are K = {s['K']} classes (labels are 1..K)")

    def draw(self, p: dict, rng, fixed) -> dict:
        """Exam draws: D = 1, K = 2 (a linear output: K = 1), small weights; T and H from the user's own
        values if given."""
        linear = is_linear(p)
        p = {**p, "y": shaped_y(p["y"], linear)}  # the user's y as the solvers read it (see shaped_y)
        known = sizes(p, *_size_rules(p), names=fixed)
        # Around the user's own numbers the draws are vetted too (fewer tries: their numbers may leave no
        # draw workable by hand, and then the last one is kept).
        numbers = set(fixed) - {"output"}
        for _ in range(300 if not numbers else 60):
            q = dict(p)
            H = known.get("H", pick(rng, [1, 1, 2]) if self.bptt else 1)
            T = known.get("T", (2 if H > 1 else pick(rng, [2, 3])) if self.bptt else 2)
            D, K = known.get("D", 1), known.get("K", 1 if linear else self._classes(p, fixed))
            draws = self._makers(rng, H, D, T, K, linear)
            for name, make in draws.items():
                if name not in fixed:
                    q[name] = make()
            if not any(name not in fixed for name in draws):
                return q  # every number is the user's: nothing to choose
            self.check(q)  # the draws fit the user's sizes: a refusal here is about the user's own numbers
            if self._by_hand(q):
                return q
        return q

    @staticmethod
    def _classes(p: dict, fixed) -> int:
        """K for a softmax output whose V and c are drawn: 2, or enough for the user's own labels."""
        if "y" not in fixed:
            return 2
        whole = [v for v in p["y"] if isinstance(v, int)]
        return min(max([2] + whole), MAX_K)

    @staticmethod
    def _makers(rng: random.Random, H: int, D: int, T: int, K: int,
                linear: bool = False) -> dict[str, Callable[[], object]]:
        """How each parameter is drawn for an exam question of these sizes (in this order: a random seed's
        draws depend on it).  A linear output's targets are halves in [−1, 1], the range of V h⁽ᵗ⁾ with
        |h| < 1 and small V."""
        halves = [Fraction(-1), Fraction(-1, 2), Fraction(1, 2), Fraction(1)]
        if linear:
            return {**_RNNBase._makers(rng, H, D, T, K),
                    "y": lambda: random_matrix(rng, K, T, [Fraction(-1), Fraction(-1, 2), 0, Fraction(1, 2), 1])}
        return {
            "x": lambda: random_matrix(rng, D, T, [-1, 0, 1, 1, 2]),
            "U": lambda: random_matrix(rng, H, D, halves + [2]),
            "W": lambda: random_matrix(rng, H, H, halves),
            "V": lambda: random_matrix(rng, K, H, [-2, -1, 1, 2]),
            "b": lambda: random_matrix(rng, 1, H, [Fraction(-1, 2), 0, 0, Fraction(1, 2)])[0],
            "c": lambda: [0] * K,
            "h0": lambda: [0] * H,
            "y": lambda: [rng.randint(1, K) for _ in range(T)],
        }

    def _by_hand(self, q: dict) -> bool:
        """Is the draw a fair exam question?  No answer entry near 0 (a degenerate instance, such as
        equal rows of V), and every answer reproducible from the printed values (see ``HAND_REL``)."""
        fw = rnn_forward(q, Calc())
        if self.bptt:
            exact = rnn_backward(q, fw)
            shown = {k: rounded(v) if k in ("h", "yhat") else v for k, v in fw.items()}
            student = rnn_backward(q, shown)
            return all(workable(exact[k], student[k]) for k in exact)
        student = rnn_forward(q, Calc(rounded=True))
        keys = ("a", "h", "o", "yhat")
        return all(workable(fw[k][1:], student[k][1:]) for k in keys) and close_by_hand(student["L"], fw["L"])

    def derive(self, p: dict) -> dict:
        calc = Calc()
        fw = rnn_forward(p, calc)
        T = fw["T"]
        linear = is_linear(p)
        x = "  ".join(f"x{sup(t)} = {show(col(p['x'], t - 1))}" for t in range(1, T + 1))
        y = "  ".join(f"y{sup(t)} = {self._y_text(p, t)}" for t in range(1, T + 1))
        given = [f"U = {show(p['U'])}   W = {show(p['W'])}   b = {show(p['b'])}",
                 f"V = {show(p['V'])}   c = {show(p['c'])}   h⁽⁰⁾ = {show(p['h0'])}", x, y]
        out = {"given": "\n".join(given), "sizes": self._sizes_text(p), **OUTPUT_TEXT[linear]}
        out["values"] = calc.values_text(
            "Answers may be left in closed form with tanh( ); they are graded numerically." if linear else
            "Answers may be left in closed form with tanh( ), exp( ) and ln( ); they are graded numerically.")
        rows = [[str(t), show(fw["a"][t]), show(fw["h"][t]), show(fw["o"][t]), show(fw["yhat"][t])]
                for t in range(1, T + 1)]
        out["forward_table"] = text_table(["t", "a⁽ᵗ⁾", "h⁽ᵗ⁾", "o⁽ᵗ⁾", "ŷ⁽ᵗ⁾"], rows)
        return out

    @staticmethod
    def _y_text(p: dict, t: int) -> str:
        """y⁽ᵗ⁾ as given: a class label, or a linear output's target (a number, or K entries)."""
        return show(col(targets(p), t - 1)) if is_linear(p) else str(labels(p)[t - 1])

    @staticmethod
    def _sizes_text(p: dict) -> str:
        H, D, T, K = len(p["b"]), len(p["x"]), len(p["x"][0]), len(p["c"])
        outputs = f"output size K = {K}" if is_linear(p) else f"K = {K} classes"
        return f"T = {T} steps, input size D = {D}, hidden size H = {H}, {outputs}"


class Forward(_RNNBase):
    """``rnn.forward``: a⁽ᵗ⁾, h⁽ᵗ⁾, o⁽ᵗ⁾, ŷ⁽ᵗ⁾ for every step, and L."""

    def exact(self, p: dict) -> dict:
        import sympy

        g, n = _rnn_graph(p)
        T = len(p["x"][0])
        val = g.value

        def cols(key):
            return sympy.Matrix([[val(n[key][t][k]) for t in range(1, T + 1)] for k in range(len(n[key][1]))])

        if is_linear(p):
            yhat = cols("o")  # ŷ⁽ᵗ⁾ = o⁽ᵗ⁾
        else:
            rows = []
            for t in range(1, T + 1):
                e = [sympy.exp(val(oj)) for oj in n["o"][t]]
                s = sum(e)
                rows.append([ej / s for ej in e])
            yhat = sympy.Matrix(rows).T
        return {"a": cols("a"), "h": cols("h"), "o": cols("o"), "yhat": yhat, "L": val(n["L"])}

    def numeric(self, p: dict) -> dict:
        fw = _rnn_np_forward(p)
        return {"a": fw["a"][1:].T, "h": fw["h"][1:].T, "o": fw["o"][1:].T, "yhat": fw["yhat"][1:].T,
                "L": float(fw["L"])}

    def solution(self, p: dict, key: dict) -> dict:
        fw = _rnn_np_forward(p)
        T = fw["T"]
        steps: dict = {k: [] for k in ("a", "h", "o", "yhat", "L")}
        for t in range(1, T + 1):
            s = sup(t)
            terms = [show(p["b"]), f"{show(p['W'])}·{nvp(fw['h'][t - 1])}", f"{show(p['U'])}·{nvp(fw['x'][:, t - 1])}"]
            steps["a"].append(f"a{s} = b + W h{sup(t - 1)} + U x{s} = {signed_sum(terms, str)} = {nv(fw['a'][t])}")
            steps["h"].append(f"h{s} = tanh a{s} = tanh {nv(fw['a'][t])} = {nv(fw['h'][t])}")
            terms = [show(p["c"]), f"{show(p['V'])}·{nvp(fw['h'][t])}"]
            steps["o"].append(f"o{s} = c + V h{s} = {signed_sum(terms, str)} = {nv(fw['o'][t])}")
            if is_linear(p):
                steps["yhat"].append(f"ŷ{s} = o{s} (a linear output) = {nv(fw['yhat'][t])}")
                steps["L"].append(f"L{s} = ½‖ŷ{s} − y{s}‖² = ½‖{nv(fw['yhat'][t])} − {nvp(fw['y'][:, t - 1])}‖² "
                                  f"= {nv(fw['Lt'][t])}")
                continue
            steps["yhat"].append(f"ŷ{s} = softmax o{s} = exp(o{s}) / Σ_j exp(o{s}_j) = {nv(fw['yhat'][t])}")
            yt = fw["y"][t - 1]
            steps["L"].append(f"L{s} = −ln ŷ{s}[{yt}] = −ln {nv(fw['yhat'][t][yt - 1])} "
                              f"= {nv(-math.log(fw['yhat'][t][yt - 1]))}")
        steps["L"].append(f"L = Σ_t L⁽ᵗ⁾ = {nv(fw['L'])}")
        return steps

    def mistakes(self, p: dict) -> dict:
        out = {}
        flags = ("recurrence-ignored", "tanh-forgotten", "last-step-loss")
        for flag in flags + ("half-dropped",) if is_linear(p) else flags:
            fw = _rnn_np_forward(p, frozenset([flag]))
            out[flag] = {"a": fw["a"][1:].T, "h": fw["h"][1:].T, "o": fw["o"][1:].T, "yhat": fw["yhat"][1:].T,
                         "L": float(fw["L"])}
        return out

    def carry_from(self, p: dict) -> dict[str, tuple[str, ...]]:
        """What a student computes each sequence from, working step by step: h⁽ᵗ⁾ = tanh a⁽ᵗ⁾ from their
        a, o from their h, ŷ from their o, L from their ŷ; and a⁽ᵗ⁾ reads their own h⁽ᵗ⁻¹⁾ (a later part,
        but an earlier step) whenever there is a second step and W is not zero."""
        deps: dict[str, tuple[str, ...]] = {"h": ("a",), "o": ("h",), "yhat": ("o",), "L": ("yhat",)}
        if len(p["x"][0]) > 1 and nonzero(p["W"]):
            deps["a"] = ("h",)
        return deps

    def carry(self, p: dict, given: dict) -> dict:
        import numpy as np

        fw = _rnn_np_forward(p)
        T = fw["T"]
        b, c = (np.array(p[k], dtype=float) for k in ("b", "c"))

        def a(v):
            prev = np.column_stack([fw["h"][0], v["h"][:, :T - 1]])  # h⁽ᵗ⁻¹⁾: h⁽⁰⁾, then the student's
            return b[:, None] + fw["W"] @ prev + fw["U"] @ fw["x"]

        def yhat(v):
            if is_linear(p):
                return v["o"]
            e = np.exp(v["o"] - v["o"].max(axis=0))  # the numeric path's stable softmax, column by column
            return e / e.sum(axis=0)

        def loss(v):
            if is_linear(p):
                return 0.5 * float(np.sum((v["yhat"] - fw["y"]) ** 2))
            return sum(-np.log(v["yhat"][label - 1, t]) for t, label in enumerate(fw["y"]))

        formulas = {"a": a, "h": lambda v: np.tanh(v["a"]), "o": lambda v: c[:, None] + fw["V"] @ v["h"],
                    "yhat": yhat, "L": loss}
        return carried(self.carry_from(p), self.numeric(p), given, formulas)


BPTT_PARTS = ("grad_o", "grad_h", "grad_c", "grad_b", "grad_V", "grad_W", "grad_U")
RNN_MISTAKES = ("future-forgotten", "tanh-prime-missing", "tanh-prime-wrong-step", "onehot-forgotten",
                "w-not-transposed", "w-uses-h-t", "b-without-tanh-prime")
#: The slips of ∇o⁽ᵗ⁾L = ŷ⁽ᵗ⁾ − y⁽ᵗ⁾ under a linear output with ½‖ŷ − y‖² (in place of the softmax's
#: forgotten one-hot).
LINEAR_MISTAKES = ("residual-sign-flipped", "half-not-cancelled")


def _bptt_mistakes(p: dict) -> tuple[str, ...]:
    if not is_linear(p):
        return RNN_MISTAKES
    return tuple(m for m in RNN_MISTAKES if m != "onehot-forgotten") + LINEAR_MISTAKES


def _grad_h_rule_numeric(env: dict) -> float:
    """dL/dh⁽ᵗ⁾ for a scalar hidden unit, as CMU 16-785 writes it: W (1 − h⁽ᵗ⁺¹⁾²) dL/dh⁽ᵗ⁺¹⁾ + Vᵀ∇o⁽ᵗ⁾L."""
    return env["W"] * (1 - env["h_next"] ** 2) * env["g_next"] + env["s"]


class BPTT(_RNNBase):
    """``rnn.bptt``: ∇o⁽ᵗ⁾L, ∇h⁽ᵗ⁾L for every step, and ∇c, ∇b, ∇V, ∇W, ∇U (CMU 16-785)."""

    bptt = True

    def derive(self, p: dict) -> dict:
        out = super().derive(p)
        fw = rnn_forward(p, Calc())
        rows = [[str(t), show(fw["h"][t]), show(fw["yhat"][t]), self._y_text(p, t)] for t in range(1, fw["T"] + 1)]
        out["forward_table"] = text_table(["t", "h⁽ᵗ⁾", "ŷ⁽ᵗ⁾", "y⁽ᵗ⁾"], rows)
        return out

    def exact(self, p: dict) -> dict:
        import sympy

        g, n = _rnn_graph(p)
        adj = g.adjoints(n["L"])
        T, H, K, D = len(p["x"][0]), len(p["b"]), len(p["c"]), len(p["x"])

        def a(s):
            return adj.get(s, sympy.Float(0, PREC))

        out = {
            "grad_o": sympy.Matrix([[a(n["o"][t][j]) for t in range(1, T + 1)] for j in range(K)]),
            "grad_h": sympy.Matrix([[a(n["h"][t][k]) for t in range(1, T + 1)] for k in range(H)]),
            "grad_c": sympy.Matrix([a(s) for s in n["c"]]),
            "grad_b": sympy.Matrix([a(s) for s in n["b"]]),
            "grad_V": sympy.Matrix([[a(n["V"][j][k]) for k in range(H)] for j in range(K)]),
            "grad_W": sympy.Matrix([[a(n["W"][k][m]) for m in range(H)] for k in range(H)]),
            "grad_U": sympy.Matrix([[a(n["U"][k][d]) for d in range(D)] for k in range(H)]),
        }
        out["grad_h_rule"] = self._rule_exact()
        return out

    @staticmethod
    def _rule_exact():
        """dL/dh⁽ᵗ⁾ for H = 1 by differentiating h⁽ᵗ⁺¹⁾ = tanh(b + W h⁽ᵗ⁾ + U x⁽ᵗ⁺¹⁾) and o⁽ᵗ⁾ = c + V h⁽ᵗ⁾."""
        import sympy

        W, h_next, g_next, s, hh, A = sympy.symbols("W h_next g_next s h_t A", real=True)
        # First order is all a derivative sees: L ≈ g_next·h⁽ᵗ⁺¹⁾(h⁽ᵗ⁾) + (Vᵀ∇o⁽ᵗ⁾L)·h⁽ᵗ⁾ near the point.
        L_lin = g_next * sympy.tanh(A + W * hh) + s * hh
        d = sympy.diff(L_lin, hh)
        # At the point, A + W h⁽ᵗ⁾ is the pre-activation whose tanh is h⁽ᵗ⁺¹⁾.
        d = d.xreplace({A: sympy.atanh(h_next) - W * hh})
        return proven(d, W * (1 - h_next**2) * g_next + s, "dL/dh⁽ᵗ⁾")

    def numeric(self, p: dict) -> dict:
        out = _rnn_np_backward(p, _rnn_np_forward(p))
        out["grad_h_rule"] = _grad_h_rule_numeric
        return out

    def carry_from(self, p: dict) -> dict[str, tuple[str, ...]]:
        """The forward pass is printed, not asked: the chain runs inside the backward pass.  ∇h from the
        student's ∇o (through Vᵀ; its own recursion from t = τ down is rolled with the recomputed values);
        ∇c and ∇V from their ∇o; ∇b, ∇W, ∇U from their ∇h (through ∇a⁽ᵗ⁾ = diag(1 − (h⁽ᵗ⁾)²) ∇h⁽ᵗ⁾L)."""
        deps: dict[str, tuple[str, ...]] = {
            "grad_c": ("grad_o",), "grad_V": ("grad_o",),
            "grad_b": ("grad_h",), "grad_W": ("grad_h",), "grad_U": ("grad_h",)}
        if nonzero(p["V"]):
            deps["grad_h"] = ("grad_o",)
        return deps

    def carry(self, p: dict, given: dict) -> dict:
        import numpy as np

        fw = _rnn_np_forward(p)
        T, h, W, V, x = fw["T"], fw["h"], fw["W"], fw["V"], fw["x"]

        def grad_h(v):
            gh = np.zeros((h.shape[1], T))  # column t−1 is step t
            for t in range(T, 0, -1):
                gh[:, t - 1] = V.T @ v["grad_o"][:, t - 1]
                if t < T:
                    gh[:, t - 1] += W.T @ ((1 - h[t + 1] ** 2) * gh[:, t])
            return gh

        def grad_a(v):
            return (1 - h[1:T + 1] ** 2).T * v["grad_h"]  # ∇a⁽ᵗ⁾L, column t−1

        formulas = {"grad_h": grad_h, "grad_c": lambda v: v["grad_o"].sum(axis=1),
                    "grad_V": lambda v: v["grad_o"] @ h[1:T + 1], "grad_b": lambda v: grad_a(v).sum(axis=1),
                    "grad_W": lambda v: grad_a(v) @ h[0:T], "grad_U": lambda v: grad_a(v) @ x.T}
        return carried(self.carry_from(p), self.numeric(p), given, formulas)

    def mistakes(self, p: dict) -> dict:
        import sympy

        fw = _rnn_np_forward(p)
        out = {m: _rnn_np_backward(p, fw, frozenset([m])) for m in _bptt_mistakes(p)}
        W, h, h_next, g_next, s = sympy.symbols("W h h_next g_next s", real=True)
        rules = {"future-forgotten": s, "tanh-prime-missing": W * g_next + s,
                 "tanh-prime-wrong-step": W * (1 - h**2) * g_next + s}
        for m, e in rules.items():
            out[m]["grad_h_rule"] = e
        return out

    def solution(self, p: dict, key: dict) -> dict:
        fw = _rnn_np_forward(p)
        bw = _rnn_np_backward(p, fw)
        T = fw["T"]
        go, gh, h = bw["grad_o"].T, bw["grad_h"].T, fw["h"]
        steps: dict = {k: [] for k in BPTT_PARTS + ("grad_h_rule",)}
        target = _target_columns(p, go.shape[1], T)
        if is_linear(p):
            steps["grad_o"].append("L⁽ᵗ⁾ = ½‖ŷ⁽ᵗ⁾ − y⁽ᵗ⁾‖² with ŷ⁽ᵗ⁾ = o⁽ᵗ⁾: the ½ cancels the 2 of the square.")
        for t in range(1, T + 1):
            s = sup(t)
            if is_linear(p):
                steps["grad_o"].append(f"∇o{s}L = ŷ{s} − y{s} = {nv(fw['yhat'][t])} − {paren(target[t], show)} "
                                       f"= {nv(go[t - 1])}")
                continue
            steps["grad_o"].append(f"∇o{s}L = ŷ{s} − 1_y{s} = {nv(fw['yhat'][t])} − {show(target[t])} "
                                   f"= {nv(go[t - 1])}")
        for t in range(T, 0, -1):
            s = sup(t)
            vo = nv(fw["V"].T @ go[t - 1])
            if t == T:
                steps["grad_h"].append(f"t = τ = {T}: ∇h{s}L = Vᵀ∇o{s}L = {vo}  (no h{sup(t + 1)})")
            else:
                s1 = sup(t + 1)
                steps["grad_h"].append(
                    f"t = {t}: ∇h{s}L = Wᵀ diag(1 − (h{s1})²) ∇h{s1}L + Vᵀ∇o{s}L = "
                    + signed_sum([f"Wᵀ·({nv(1 - h[t + 1] ** 2)} ⊙ {nv(gh[t])})", vo], str) + f" = {nv(gh[t - 1])}")
        da = [(1 - h[t] ** 2) * gh[t - 1] for t in range(1, T + 1)]
        steps["grad_c"] = [f"∇cL = Σ_t ∇o⁽ᵗ⁾L = {signed_sum((go[t] for t in range(T)), nv)} "
                           f"= {nv(bw['grad_c'])}"]
        steps["grad_b"] = ["∇bL = Σ_t diag(1 − (h⁽ᵗ⁾)²) ∇h⁽ᵗ⁾L = "
                           f"{signed_sum(da, nv)} = {nv(bw['grad_b'])}"]
        xs = fw["x"].T  # row t−1 is x⁽ᵗ⁾
        steps["grad_V"] = ["∇VL = Σ_t ∇o⁽ᵗ⁾L h⁽ᵗ⁾ᵀ = "
                           + signed_sum((outer_text(go[t - 1], h[t]) for t in range(1, T + 1)), str)
                           + f" = {nm(bw['grad_V'])}"]
        steps["grad_W"] = ["∇WL = Σ_t diag(1 − (h⁽ᵗ⁾)²) ∇h⁽ᵗ⁾L h⁽ᵗ⁻¹⁾ᵀ = "
                           + signed_sum((outer_text(da[t - 1], h[t - 1]) for t in range(1, T + 1)), str)
                           + f" = {nm(bw['grad_W'])}"]
        steps["grad_U"] = ["∇UL = Σ_t diag(1 − (h⁽ᵗ⁾)²) ∇h⁽ᵗ⁾L x⁽ᵗ⁾ᵀ = "
                           + signed_sum((outer_text(da[t - 1], xs[t - 1]) for t in range(1, T + 1)), str)
                           + f" = {nm(bw['grad_U'])}"]
        steps["grad_h_rule"] = [
            "h⁽ᵗ⁾ reaches L through o⁽ᵗ⁾ and through h⁽ᵗ⁺¹⁾ = tanh(b + W h⁽ᵗ⁾ + U x⁽ᵗ⁺¹⁾).",
            "∂h⁽ᵗ⁺¹⁾/∂h⁽ᵗ⁾ = W (1 − (h⁽ᵗ⁺¹⁾)²), since tanh′ = 1 − tanh².",
            "dL/dh⁽ᵗ⁾ = W (1 − h_next²) g_next + s"]
        rows = [[str(t), nv(go[t - 1]), nv(gh[t - 1]), nv(da[t - 1])] for t in range(T, 0, -1)]
        steps["_"] = ["Backward pass, t = τ down to 1 (CMU 16-785):"] + \
            text_table(["t", "∇o⁽ᵗ⁾L", "∇h⁽ᵗ⁾L", "∇a⁽ᵗ⁾L = diag(1−h²)∇h"], rows).split("\n")
        return steps
