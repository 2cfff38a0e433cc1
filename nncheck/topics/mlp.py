"""A multi-layer perceptron of L = 2 or 3 layers with optional weight decay (CMU 16-785 Alg. 6.3/6.4).

The forward pass is CMU 16-785's Algorithm 6.3 in the ECE 417 exam review's notation (ξ for the
16-785 slides' pre-activation a, σ̇ for f′): h⁽⁰⁾ = x and, for l = 1, …, L,

    ξ⁽ˡ⁾ = b⁽ˡ⁾ + W⁽ˡ⁾h⁽ˡ⁻¹⁾,   h⁽ˡ⁾ = g_l(ξ⁽ˡ⁾),   ŷ = h⁽ᴸ⁾ = out(ξ⁽ᴸ⁾),
    J = L(ŷ, y) + λΩ,   Ω = ½ Σ_l ‖W⁽ˡ⁾‖²  (16-785: "Ω(θ) = ½‖w‖²", a penalty on the weights;
                                           ``omega=all`` adds ½ Σ_l ‖b⁽ˡ⁾‖²),

with the two-layer family's losses (MSE, BCE, CE averaged over the n examples).  The backward pass is
Algorithm 6.4: g ← ∇ξ⁽ᴸ⁾J, then for l = L, …, 1: ∇W⁽ˡ⁾J = Σᵢ gᵢ h⁽ˡ⁻¹⁾ᵢᵀ + λW⁽ˡ⁾, ∇b⁽ˡ⁾J = Σᵢ gᵢ
(+ λb⁽ˡ⁾ with ``omega=all``), gᵢ ← σ̇(ξᵢ⁽ˡ⁻¹⁾) ⊙ W⁽ˡ⁾ᵀgᵢ.

Two derivations of every gradient, as for ``backprop.two-layer`` (whose module this one does not
import: it is written for L layers, with loops over the layers):

* SymPy differentiates J, built from the forward pass with every weight, input and target a symbol,
  once per network structure (activations, loss, sizes, which targets are 0 or 1), and each key puts
  its exact numbers into the cached derivatives;
* NumPy runs Algorithm 6.4 by hand, with switches that produce the common mistakes.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

from nncheck.topics._net import (
    MATCHED,
    OUTPUT_FOR,
    NetKind,
    act_np,
    beyond_float64,
    check_targets,
    complement_np,
    complement_sym,
    decay_derivatives,
    draw_targets,
    example_loss_sym,
    f4,
    flat_exact,
    given_sentence,
    ill_defined,
    is_rational,
    log_outputs,
    mtext,
    out_sym,
    output_backward_np,
    present,
    slope_np,
    substitute,
    sup,
    symbols,
    table_text,
    vtext,
)
from nncheck.topics._net import decay_text as net_decay_text
from nncheck.topics._net import shape as _shape
from nncheck.topics._net import sz as _sz
from nncheck.topics.activations import tidy, value_py
from nncheck.topics.base import RM, ParamError, R, Solver, num
from nncheck.topics.softmax import softmax_py

#: Random exams mostly use the matched pairs; linear with cross-entropy never (the notes never pair them).
COMBOS = ([("sigmoid", "bce")] * 3 + [("softmax", "ce")] * 3 + [("linear", "mse")] * 3
          + [("sigmoid", "mse"), ("softmax", "mse"), ("sigmoid", "ce")])
MAX_SIZE = 4  # examples, inputs, units per layer, outputs: a hand-sized network
DATA = ("x", "y", "W1", "b1", "W2", "b2", "W3", "b3")
SUP = "⁰¹²³⁴"
HIDDEN = ("sigmoid", "tanh", "relu")


def layers_of(p: dict) -> int:
    return int(p.get("layers") or 2)


def canonical(p: dict) -> dict:
    """A single example written as a column (x=[[1],[2]] against a W1 with 2 columns) is one example;
    K = 1 targets written as one list (y=[1,0,1] with three examples) are one target per example."""
    p = dict(p)
    x, y, W1 = p.get("x"), p.get("y"), p.get("W1")
    if x and W1 and W1[0]:
        r, c = _shape(x)
        if c != len(W1[0]) and c == 1 and r == len(W1[0]):
            p["x"] = [[v[0] for v in x]]
    x = p.get("x")
    top = p.get(f"W{layers_of(p)}")
    if x and y:
        r, c = _shape(y)
        K = len(top) if top else None
        if r == 1 and len(x) > 1 and c == len(x) and K in (None, 1):
            p["y"] = [[v] for v in y[0]]
    return p


class Net(NetKind):
    """The parameters as exact numbers: the L weight matrices and biases, activations, sizes."""

    def __init__(self, p: dict):
        self.L = layers_of(p)
        self.X, self.Y = p["x"], p["y"]
        self.Ws = [p[f"W{lyr}"] for lyr in range(1, self.L + 1)]
        self.bs = [p[f"b{lyr}"] for lyr in range(1, self.L + 1)]
        self.acts = [p[f"g{lyr}"] for lyr in range(1, self.L)] + [p["output"]]
        self.output, self.loss = p["output"], p["loss"]
        self.eta, self.lam = p["eta"], p["lambda"]
        self.omega = p["omega"]
        self.n, self.D = _shape(self.X)
        self.widths = [len(W) for W in self.Ws]  # N1, (N2,) K
        self.K = self.widths[-1]



# ----------------------------------------------------------------------------
# Plain Python forward pass (checks, draws, prompt tables; no NumPy).
# ----------------------------------------------------------------------------
def _affine(W, b, h) -> list:
    return [b[j] + sum(W[j][d] * h[d] for d in range(len(h))) for j in range(len(W))]


def forward_py(net: Net) -> list[dict]:
    """Per example: ``xi`` and ``h``, lists over the layers (exact where the arithmetic is rational)."""
    rows = []
    for x in net.X:
        h, xis, hs = list(x), [], []
        for lyr in range(net.L):
            xi = _affine(net.Ws[lyr], net.bs[lyr], h)
            if lyr < net.L - 1:
                h = [value_py(net.acts[lyr], v) for v in xi]
            elif net.output == "sigmoid":
                h = [value_py("sigmoid", v) for v in xi]
            elif net.output == "softmax":
                h = [Fraction(1)] if net.K == 1 else softmax_py(xi)
            else:
                h = list(xi)
            xis.append(xi)
            hs.append(h)
        rows.append({"xi": xis, "h": hs})
    return rows


def _ill_defined(net: Net, rows) -> str | None:
    """Why L cannot be evaluated for these numbers (a ŷ outside (0, 1) in a log), or None."""
    return ill_defined(net.output, net.loss, net.K, [r["h"][-1] for r in rows])


# ----------------------------------------------------------------------------
# SymPy: J from the forward pass, differentiated once per network structure.
# ----------------------------------------------------------------------------
def _g_sym(g: str, v):
    import sympy

    if g == "sigmoid":
        return 1 / (1 + sympy.exp(-v))
    if g == "tanh":
        return sympy.tanh(v)
    if g == "relu":
        from nncheck.topics._relu import ReLU

        return ReLU(v)  # ECE 417: ReLU(ξ) = ξ for ξ ≥ 0, and ReLU′ = u with u(0) = 1 (see _relu)
    return v


@lru_cache(maxsize=64)
def _structure(acts: tuple, loss: str, D: int, widths: tuple, present: tuple | None, start: int):
    """One example's share ℓ of L, written in symbols from layer ``start`` up, and its derivatives.

    ``start`` = 0: ℓ in x and every weight; the derivatives are ∂ℓ/∂W⁽ˡ⁾, ∂ℓ/∂b⁽ˡ⁾ for every layer.
    ``start`` = l ≥ 1: ℓ in ξ⁽ˡ⁾ and the weights above it; the derivatives are ∂ℓ/∂ξ⁽ˡ⁾.
    Returns (symbols: {name: [symbol, ...]}, derivatives: {part: [expression, ...]}), row order.
    """
    import sympy

    L = len(widths)
    n = sympy.Symbol("n", positive=True)
    y = symbols("y", widths[-1], 1)
    syms: dict = {"n": [n], "y": list(y)}
    Ws, bs = {}, {}
    for lyr in range(max(start, 1) + (1 if start else 0), L + 1):
        fan_in = D if lyr == 1 else widths[lyr - 2]
        Ws[lyr], bs[lyr] = symbols(f"w{lyr}", widths[lyr - 1], fan_in), symbols(f"b{lyr}", widths[lyr - 1], 1)
        syms[f"W{lyr}"], syms[f"b{lyr}"] = list(Ws[lyr]), list(bs[lyr])
    if start == 0:
        x = symbols("x", D, 1)
        syms["x"] = list(x)
        h, first = list(x), 1
    else:
        xi = symbols("xi", widths[start - 1], 1)
        syms["xi"] = list(xi)
        h = [_g_sym(acts[start - 1], v) for v in xi] if start < L else []
        first = start + 1
    z: list = list(syms["xi"]) if start == L else []
    for lyr in range(first, L + 1):
        z = [bs[lyr][j] + sum(Ws[lyr][j, d] * h[d] for d in range(len(h))) for j in range(widths[lyr - 1])]
        if lyr < L:
            h = [_g_sym(acts[lyr - 1], v) for v in z]
    ell = example_loss_sym(loss, out_sym(acts[-1], z), list(y), present, n, complement_sym(acts[-1], z))
    if start == 0:
        grads = {}
        for lyr in range(1, L + 1):
            grads[f"dW{lyr}"] = [sympy.diff(ell, s) for s in Ws[lyr]]
            grads[f"db{lyr}"] = [sympy.diff(ell, s) for s in bs[lyr]]
        return syms, grads
    return syms, {f"dxi{start}": [sympy.diff(ell, s) for s in syms["xi"]]}


def _bind(net: Net, syms: dict, extra: dict) -> dict:
    """{symbol: exact number} for every symbol of a structure."""
    import sympy

    at: dict = {}
    for name, ss in syms.items():
        if name in extra:
            vals = extra[name]
        elif name == "n":
            vals = [sympy.Integer(net.n)]
        elif name == "lambda":
            vals = [R(net.lam)]
        else:
            lyr = int(name[1:])
            vals = flat_exact(net.Ws[lyr - 1] if name[0] == "W" else net.bs[lyr - 1])
        at.update(zip(ss, vals))
    return at


def _shapes(net: Net) -> tuple:
    return tuple((w, net.D if lyr == 0 else net.widths[lyr - 1]) for lyr, w in enumerate(net.widths))


def gradients_sym(net: Net, rows: list, *, excitations: bool) -> dict:
    """∇W⁽ˡ⁾J and ∇b⁽ˡ⁾J (and each example's ∇ξ⁽ˡ⁾J with ``excitations``) as SymPy matrices: the cached
    derivatives of each example's share of L at its numbers, plus those of λΩ."""
    import sympy

    acts, widths = tuple(net.acts), tuple(net.widths)
    total: dict[str, list] = {}
    per_example: dict[str, list] = {f"dxi{lyr}": [] for lyr in range(1, net.L + 1)}
    for i, (x, y) in enumerate(zip(net.X, net.Y)):
        yv = [R(t) for t in y]
        terms = present(net.loss, yv)
        syms, grads = _structure(acts, net.loss, net.D, widths, terms, 0)
        names = list(grads)
        flat = substitute([e for k in names for e in grads[k]], _bind(net, syms, {"x": [R(v) for v in x], "y": yv}))
        for k in names:
            mine, flat = flat[:len(grads[k])], flat[len(grads[k]):]
            total[k] = mine if k not in total else [s + v for s, v in zip(total[k], mine)]
        if excitations:
            for lyr in range(1, net.L + 1):
                syms, d = _structure(acts, net.loss, net.D, widths, terms, lyr)
                per_example[f"dxi{lyr}"].append(substitute(d[f"dxi{lyr}"], _bind(net, syms, {"xi": rows[i][lyr - 1],
                                                                                          "y": yv})))
    if net.lam != 0:
        syms, _, dgrads = decay_derivatives(_shapes(net), net.decay_biases)
        at = _bind(net, syms, {})
        for k, exprs in dgrads.items():
            total[k] = [s + v for s, v in zip(total[k], substitute(exprs, at))]
    out = {}
    for lyr in range(1, net.L + 1):
        rows_l, cols_l = _shapes(net)[lyr - 1]
        out[f"dW{lyr}"] = sympy.Matrix(rows_l, cols_l, total[f"dW{lyr}"])
        out[f"db{lyr}"] = sympy.Matrix(total[f"db{lyr}"])
        if excitations:
            out[f"dxi{lyr}"] = sympy.Matrix(per_example[f"dxi{lyr}"])
    return out


def penalty_sym(net: Net):
    """Ω at the weights (exact), from the same symbolic λΩ (divided by λ)."""
    import sympy

    syms, penalty, _ = decay_derivatives(_shapes(net), net.decay_biases)
    lam = syms["lambda"][0]
    return substitute([penalty / lam], _bind(net, syms, {"lambda": [sympy.Integer(1)]}))[0]


def forward_sym(net: Net) -> list[tuple[list, list]]:
    """Per example: (ξ of every layer, h of every layer) as exact SymPy values."""
    out = []
    for x in net.X:
        h, xis, hs = [R(v) for v in x], [], []
        for lyr in range(net.L):
            W, b = RM(net.Ws[lyr]), RM(net.bs[lyr])
            xi = [b[j] + sum(W[j, d] * h[d] for d in range(len(h))) for j in range(net.widths[lyr])]
            h = [_g_sym(net.acts[lyr], v) for v in xi] if lyr < net.L - 1 else out_sym(net.output, xi)
            xis.append(xi)
            hs.append(h)
        out.append((xis, hs))
    return out


def loss_sym(net: Net, yhat_rows: list, z_rows: list):
    """L at the exact outputs, 1 − ŷ written as the forward pass's complement (its digits kept)."""
    import sympy

    n = sympy.Integer(net.n)
    total = sympy.Integer(0)
    for yh, z, y in zip(yhat_rows, z_rows, net.Y):
        yv = [R(t) for t in y]
        total += example_loss_sym(net.loss, yh, yv, present(net.loss, yv), n, complement_sym(net.output, z))
    return total


# ----------------------------------------------------------------------------
# NumPy: Algorithm 6.4 by hand, with switches for the common mistakes.
# ----------------------------------------------------------------------------
def backprop_np(net: Net, *, decay=True, decay_biases=None, decay_factor=1.0, half_omega=True,
                no_sigma_dot_layer=None, relu_one=False, xi_for_h=False, flip=False, drop_n=False,
                shortcut=False, w_not_t=False) -> dict:
    """Forward, J and Algorithm 6.4 for every example; answers have one row per example."""
    import numpy as np

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _backprop_np(net, decay=decay, decay_biases=net.decay_biases if decay_biases is None else decay_biases,
                            decay_factor=decay_factor, half_omega=half_omega, no_sigma_dot_layer=no_sigma_dot_layer,
                            relu_one=relu_one, xi_for_h=xi_for_h, flip=flip, drop_n=drop_n, shortcut=shortcut,
                            w_not_t=w_not_t)


def _backprop_np(net, *, decay, decay_biases, decay_factor, half_omega, no_sigma_dot_layer, relu_one, xi_for_h,
                 flip, drop_n, shortcut, w_not_t) -> dict:
    import numpy as np

    L = net.L
    Ws = [np.array(W, dtype=float) for W in net.Ws]
    bs = [np.array(b, dtype=float) for b in net.bs]
    lam = float(net.lam)
    scale = 1.0 if drop_n else float(net.n)
    rows: dict[str, list] = {}
    dW = [np.zeros_like(W) for W in Ws]
    db = [np.zeros_like(b) for b in bs]
    loss = 0.0
    for x, y in zip(np.array(net.X, dtype=float), np.array(net.Y, dtype=float)):
        hs, xis = [x], []
        for lyr in range(L):  # Algorithm 6.3
            xi = bs[lyr] + Ws[lyr] @ hs[-1]
            if lyr < L - 1:
                h = act_np(net.acts[lyr], xi)
            elif net.output == "softmax":
                e = np.exp(xi - xi.max())
                h = e / e.sum()
            else:
                h = act_np(net.output, xi)
            xis.append(xi)
            hs.append(h)
        yh, z = hs[-1], xis[-1]
        if net.loss == "mse":
            loss += np.sum((y - yh) ** 2) / 2.0 / scale
        else:
            log_yh, log_1m = log_outputs(net.output, z, yh)
            pos, neg = y != 0, y != 1
            loss -= np.sum(y[pos] * log_yh[pos]) / scale
            if net.loss == "bce":
                loss -= np.sum((1 - y[neg]) * log_1m[neg]) / scale
        # g ← ∇ξ⁽ᴸ⁾J: (ŷ − y)/n for the matched pairs, else ∂L/∂ŷ through the output's Jacobian (with
        # 1 − ŷ from ξ⁽ᴸ⁾: a saturated softmax with BCE divides by it).
        if net.matched or shortcut:
            g = (yh - y) / scale
        else:
            g = output_backward_np(net.output, net.loss, y, yh, complement_np(net.output, z, yh), scale)
        if flip:
            g = -g
        grads: list = [None] * L
        for lyr in range(L - 1, -1, -1):  # Algorithm 6.4
            grads[lyr] = g
            below = xis[lyr - 1] if (xi_for_h and lyr > 0) else hs[lyr]
            dW[lyr] += np.outer(g, below)
            db[lyr] += g
            if lyr == 0:
                break
            square = Ws[lyr].shape[0] == Ws[lyr].shape[1]  # only a square W⁽ˡ⁾ can be used untransposed
            back = (Ws[lyr] if w_not_t and square else Ws[lyr].T) @ g
            if no_sigma_dot_layer == lyr or (relu_one and net.acts[lyr - 1] == "relu"):
                sd = np.ones_like(back)
            else:
                sd = slope_np(net.acts[lyr - 1], xis[lyr - 1], hs[lyr])
            g = sd * back
        for lyr in range(L):
            rows.setdefault(f"xi{lyr + 1}", []).append(xis[lyr])
            rows.setdefault(f"h{lyr + 1}", []).append(hs[lyr + 1])
            rows.setdefault(f"dxi{lyr + 1}", []).append(grads[lyr])
    out: dict = {k: np.array(v) for k, v in rows.items()}
    out["yhat"] = out.pop(f"h{L}")
    # λΩ and its gradient: the penalty is on the whole batch, once (not per example, not over n).
    omega = sum(float(np.sum(W * W)) for W in Ws) + (sum(float(np.sum(b * b)) for b in bs) if decay_biases else 0.0)
    k = decay_factor * lam if decay else 0.0
    out["L"] = float(loss)
    out["J"] = float(loss) + (lam if decay else 0.0) * omega * (0.5 if half_omega else 1.0)
    for lyr in range(L):
        out[f"dW{lyr + 1}"] = dW[lyr] + k * Ws[lyr]
        out[f"db{lyr + 1}"] = db[lyr] + (k * bs[lyr] if decay_biases else 0.0)
    return out


def step_np(o: dict, net: Net, eta: float) -> dict:
    import numpy as np

    out = {}
    for lyr in range(1, net.L + 1):
        out[f"W{lyr}_new"] = np.array(net.Ws[lyr - 1], dtype=float) - eta * o[f"dW{lyr}"]
        out[f"b{lyr}_new"] = np.array(net.bs[lyr - 1], dtype=float) - eta * o[f"db{lyr}"]
    return out


# ----------------------------------------------------------------------------
# Text.
# ----------------------------------------------------------------------------
ACT_TEXT = {"sigmoid": "σ", "tanh": "tanh", "relu": "ReLU"}
OUTPUT_TEXT = {"sigmoid": "σ(ξ⁽ᴸ⁾) (sigmoid)", "softmax": "softmax(ξ⁽ᴸ⁾)", "linear": "ξ⁽ᴸ⁾ (linear output)"}


def loss_text(net: Net) -> str:
    if net.loss == "mse":
        return "L = 1/(2n) Σᵢ ‖yᵢ − ŷᵢ‖² (MSE)"
    if net.loss == "bce":
        return ("L = −(1/n) Σᵢ Σ_k [y_ik ln ŷ_ik + (1 − y_ik) ln(1 − ŷ_ik)] (BCE; a term whose coefficient is 0 "
                "is left out)")
    return "L = −(1/n) Σᵢ Σ_k y_ik ln ŷ_ik (cross-entropy with one-hot yᵢ; terms with y_ik = 0 are left out)"


def decay_text(net: Net) -> str:
    if net.lam == 0:
        return "J = L (no weight decay: λ = 0)."
    return net_decay_text(net.lam, net.decay_biases, net.L)


def given_text(net: Net, rows) -> str:
    """The σ/tanh/exp values a student needs, as a table; closed forms accepted for the rest."""
    sig: set = set()
    tanh: set = set()
    exps: set = set()
    closed = False
    for lyr in range(net.L):
        g = net.acts[lyr]
        vals = [v for r in rows for v in r["xi"][lyr]]
        if not all(is_rational(v) for v in vals):
            closed = closed or g in ("sigmoid", "tanh", "softmax")
            continue
        if g == "sigmoid":
            sig |= set(vals)
        elif g == "tanh":
            tanh |= set(vals)
        elif g == "softmax" and net.K > 1:
            for r in rows:
                m = max(r["xi"][lyr])
                exps |= {v - m for v in r["xi"][lyr] if v != m}
    parts = table_text(sig, tanh, exps)
    notes = []
    if closed:
        notes.append("σ, tanh or exp of a non-integer may be left as sigma(…), tanh(…), exp(…)")
    return given_sentence(parts, notes, net.loss)


def weights_block(p: dict, L: int) -> str:
    """W⁽ˡ⁾ and b⁽ˡ⁾ of every layer, one line a layer, laid out as the prompt's matrices are."""
    from nncheck.lang.template import render

    return "\n".join(render(f"W{sup(lyr)} = {{W{lyr}|mat}}   b{sup(lyr)} = {{b{lyr}|col}}", p)
                     for lyr in range(1, L + 1))


# ----------------------------------------------------------------------------
# The family.
# ----------------------------------------------------------------------------
class MLP(Solver):
    """``backprop.mlp``: forward values, every gradient of J = L + λΩ, one gradient-descent step."""

    template_vars = ("n", "D", "K", "Lnum", "three", "sizes", "network", "weights", "loss_text", "decay_text",
                     "given", "ask_forward", "ask_backward", "ask_step", "has_decay", "shape1", "shape2", "shape3",
                     "N1", "N2", "acts_text")

    def unused(self, p: dict) -> set[str]:
        """A two-layer instance reads no W⁽³⁾, b⁽³⁾ or g2; λ = 0 reads no choice of Ω."""
        out = {"W3", "b3", "g2"} if layers_of(p) == 2 else set()
        if p.get("lambda") == 0:
            out.add("omega")
        return out

    # -- generate -------------------------------------------------------------
    def check(self, p: dict) -> None:
        L = layers_of(p)
        x, y = p["x"], p["y"]
        n, D = _shape(x)
        fan_in, what = D, "x has"
        for lyr in range(1, L + 1):
            W, b = p[f"W{lyr}"], p[f"b{lyr}"]
            rows, cols = _shape(W)
            if cols != fan_in:
                per = " per example" if lyr == 1 else ""
                raise ParamError(f"W{lyr} is {_sz(rows, cols)} but {what} {fan_in} entr{'y' if fan_in == 1 else 'ies'}"
                                 f"{per}: W{lyr} needs {fan_in} column{'s' * (fan_in != 1)}")
            if len(b) != rows:
                raise ParamError(f"b{lyr} has {len(b)} entries but W{lyr} has {rows} rows (units of layer {lyr})")
            fan_in, what = rows, f"W{lyr} has"
        K = fan_in
        ry, cy = _shape(y)
        if ry != n:
            raise ParamError(f"y has {ry} row{'s' * (ry != 1)} but x has {n} example{'s' * (n != 1)}: "
                             "one target row per example")
        if cy != K:
            raise ParamError(f"y has {cy} entr{'y' if cy == 1 else 'ies'} per example but W{L} has {K} rows (outputs)")
        sizes = [n, D] + [len(p[f"W{lyr}"]) for lyr in range(1, L + 1)]
        if max(sizes) > MAX_SIZE:
            raise ParamError(f"backprop.mlp is hand-sized: at most {MAX_SIZE} examples, inputs, units per layer "
                             f"and outputs (here n={n}, D={D}, " + ", ".join(
                                 f"{'K' if lyr == L else f'N{lyr}'}={sizes[lyr + 1]}" for lyr in range(1, L + 1)) + ")")
        why = check_targets(p["loss"], y)
        if why:
            raise ParamError(why)
        net = Net(p)
        fw = forward_py(net)
        # Saturated units are answered (stable forms); only a ŷ below float64's range that is divided by is not.
        why = beyond_float64(net.output, net.loss, net.K, [r["xi"][-1] for r in fw], net.Y) or _ill_defined(net, fw)
        if why:
            raise ParamError(why)

    def draw(self, p: dict, rng, fixed) -> dict:
        """Hand-computable draws around whatever the user fixed: small integers, no ReLU kink at ξ = 0,
        and short σ tables.  The number of layers follows W3 when it is given (L = 3), and is 2 when you
        give other numbers but no W3."""
        p = dict(p)
        if "layers" not in fixed:
            # Your numbers: three layers when you give W3 (or g2), else two; a random exam: either.
            p["layers"] = "3" if fixed & {"W3", "g2"} else "2" if fixed else rng.choice(["2", "3", "3"])
        L = layers_of(p)
        extra = sorted(fixed & {"W3", "g2"}) if L == 2 else []
        if extra:
            raise ParamError(f"layers=2 has no {' or '.join(extra)} (a two-layer network: W1, b1, W2, b2, g1); "
                             "give layers=3, or leave layers out")
        p = canonical(p)
        top = (len(p[f"W{L}"]) if f"W{L}" in fixed else len(p[f"b{L}"]) if f"b{L}" in fixed and p[f"b{L}"] else
               len(p["y"][0]) if "y" in fixed and p["y"] else None)
        if "output" not in fixed and "loss" not in fixed:
            # One output has no softmax (ŷ = 1 always) and no one-hot target.
            p["output"], p["loss"] = rng.choice([c for c in COMBOS if top != 1 or "softmax" not in c and "ce" not in c])
        elif "loss" not in fixed:
            p["loss"] = MATCHED[p["output"]]
        elif "output" not in fixed:
            p["output"] = OUTPUT_FOR[p["loss"]]
        if L == 3 and "g1" not in fixed and not fixed & set(DATA):
            # A random three-layer exam keeps ξ⁽²⁾ an integer: ReLU below, any unit above.
            p["g1"] = "relu"
        if "ask" not in fixed:
            p["ask"] = "all" if fixed & set(DATA) else rng.choice(["forward", "backward", "step"])
        out, loss = p["output"], p["loss"]

        def given(name):
            return name in fixed

        def mat(r, c, choices):
            return [[rng.choice(choices) for _ in range(c)] for _ in range(r)]

        # Sizes: from what is given, else small.
        D = len(p["x"][0]) if given("x") else len(p["W1"][0]) if given("W1") else rng.choice([2, 2, 3])
        widths = []
        for lyr in range(1, L + 1):
            if given(f"W{lyr}"):
                widths.append(len(p[f"W{lyr}"]))
            elif given(f"b{lyr}"):
                widths.append(len(p[f"b{lyr}"]))
            elif lyr < L and given(f"W{lyr + 1}") and p[f"W{lyr + 1}"]:
                widths.append(len(p[f"W{lyr + 1}"][0]))
            elif lyr == L and given("y"):
                widths.append(len(p["y"][0]))
            elif lyr == L:
                widths.append(2 if (out == "softmax" or loss == "ce") else rng.choice([1, 1, 2]))
            else:
                widths.append(2)
        K = widths[-1]
        n = len(p["x"]) if given("x") else len(p["y"]) if given("y") else (2 if rng.random() < 0.25 else 1)
        if not given("y"):
            p["y"] = draw_targets(rng, loss, out, n, K)
        # Layer by layer: each hidden layer's ξ small, no ReLU kink at 0, not all units dead; whatever
        # of x, W⁽ˡ⁾ and b⁽ˡ⁾ is not yours is drawn again until it is so.
        h_rows: list = []
        for lyr in range(1, L + 1):
            last = lyr == L
            fan_in, width = (D if lyr == 1 else widths[lyr - 2]), widths[lyr - 1]
            free = not (given(f"W{lyr}") and given(f"b{lyr}") and (lyr > 1 or given("x")))
            linear_log = last and out == "linear" and loss in ("bce", "ce")
            wc: list[int] | list[Fraction]
            bc: list[int] | list[Fraction]
            for _attempt in range(300):
                if linear_log:
                    wc, bc = [Fraction(k, 10) for k in (-2, -1, 1, 2)], [Fraction(k, 10) for k in range(2, 9)]
                elif lyr == 1:
                    wc, bc = [-2, -1, 1, 1, 2], [-1, 0, 0, 1]
                else:  # above a hidden layer: smaller weights keep ξ small
                    wc, bc = [-1, -1, 1, 1, 2], [-1, 0, 0, 1]
                if lyr == 1:
                    if not given("x"):
                        p["x"] = mat(n, D, [-1, 0, 1, 1, 2])
                    h_rows = [list(r) for r in p["x"]]
                if not given(f"W{lyr}"):
                    p[f"W{lyr}"] = mat(width, fan_in, wc)
                if not given(f"b{lyr}"):
                    p[f"b{lyr}"] = [rng.choice(bc) for _ in range(width)]
                try:
                    xi = [_affine(p[f"W{lyr}"], p[f"b{lyr}"], h) for h in h_rows]
                except (IndexError, TypeError):
                    return p  # shapes the user got wrong: check() says which
                flat = [v for r in xi for v in r]
                if last:
                    ok = out == "linear" or all(abs(float(v)) <= 3 for v in flat)
                    if linear_log:
                        ok = all(0 < v < 1 for v in flat) if out == "linear" else ok
                else:
                    g = p[f"g{lyr}"]
                    if g == "relu":
                        ok = (0 not in flat and all(any(v > 0 for v in r) for r in xi)
                              and max(float(v) for v in flat) <= (4 if L == 2 else 2))
                    else:
                        ok = all(abs(float(v)) <= 2 for v in flat) and any(v != 0 for v in flat)
                if ok or not free:
                    break
            if linear_log and not ok and not (given(f"W{lyr}") or given(f"b{lyr}")):
                p[f"W{lyr}"], p[f"b{lyr}"] = [[0] * fan_in for _ in range(width)], [Fraction(1, 2)] * width
                xi = [[Fraction(1, 2)] * width for _ in h_rows]
            if not last:
                h_rows = [[value_py(p[f"g{lyr}"], v) for v in r] for r in xi]
        return p

    def derive(self, p: dict) -> dict:
        net = Net(p)
        rows = forward_py(net)
        L, ask = net.L, p["ask"]
        unit = ["N1", "N2"][: L - 1]
        sizes = (f"D = {net.D} input{'s' * (net.D != 1)}, "
                 + ", ".join(f"{u} = {w} unit{'s' * (w != 1)} in hidden layer {i + 1}"
                             for i, (u, w) in enumerate(zip(unit, net.widths)))
                 + f" and K = {net.K} output{'s' * (net.K != 1)}")
        lines = [f"ξ{sup(lyr)} = b{sup(lyr)} + W{sup(lyr)}h{sup(lyr - 1)},   "
                 + (f"h{sup(lyr)} = {ACT_TEXT[net.acts[lyr - 1]]}(ξ{sup(lyr)})" if lyr < L else
                    f"ŷ = h{sup(L)} = " + OUTPUT_TEXT[net.output].replace("ᴸ", SUP[L]))
                 for lyr in range(1, L + 1)]
        shapes = {f"shape{lyr}": _sz(r, c) for lyr, (r, c) in enumerate(_shapes(net), 1)}
        relu = any(g == "relu" for g in net.acts[:-1])
        return {
            "n": net.n, "D": net.D, "K": net.K, "Lnum": L, "three": int(L == 3),
            "N1": net.widths[0], "N2": net.widths[1] if L == 3 else 0,
            "sizes": sizes, "network": "\n".join(["h⁽⁰⁾ = x"] + lines),
            "acts_text": ("ReLU(ξ) = ξ for ξ ≥ 0, else 0, and ReLU′(0) = u(0) = 1. " if relu else ""),
            "weights": weights_block(p, L), "loss_text": loss_text(net), "decay_text": decay_text(net),
            "given": given_text(net, rows), "has_decay": int(net.lam != 0),
            "ask_forward": int(ask in ("all", "forward")), "ask_backward": int(ask in ("all", "backward")),
            "ask_step": int(ask in ("all", "step")),
            "shape1": shapes["shape1"], "shape2": shapes["shape2"], "shape3": shapes.get("shape3", ""),
        }

    # -- key ------------------------------------------------------------------
    def exact(self, p: dict) -> dict:
        """Forward values, and SymPy's derivatives of J (L from the forward pass, plus λΩ) at the numbers."""
        import sympy

        net = Net(p)
        fw = forward_sym(net)
        out: dict = {}
        for lyr in range(1, net.L + 1):
            out[f"xi{lyr}"] = sympy.Matrix([[tidy(v) for v in xis[lyr - 1]] for xis, _ in fw])
            if lyr < net.L:
                out[f"h{lyr}"] = sympy.Matrix([[tidy(v) for v in hs[lyr - 1]] for _, hs in fw])
        out["yhat"] = sympy.Matrix([[tidy(v) for v in hs[-1]] for _, hs in fw])
        loss = loss_sym(net, [hs[-1] for _, hs in fw], [xis[-1] for xis, _ in fw])
        out["L"] = tidy(loss)
        out["J"] = tidy(loss + R(net.lam) * penalty_sym(net))
        if p["ask"] == "forward":
            return out  # no gradient is asked: no derivative is taken
        backward = p["ask"] in ("all", "backward")
        # ∇ξ⁽ˡ⁾ is taken at the exact ξ of the forward pass (the structure's ξ symbols get these numbers).
        rows = [xis for xis, _ in fw]
        g = gradients_sym(net, rows, excitations=backward)
        eta = R(net.eta)
        for lyr in range(1, net.L + 1):
            g[f"W{lyr}_new"] = RM(net.Ws[lyr - 1]) - eta * g[f"dW{lyr}"]
            g[f"b{lyr}_new"] = RM(net.bs[lyr - 1]) - eta * g[f"db{lyr}"]
        for k, v in g.items():
            out[k] = v.applyfunc(tidy)
        return out

    def numeric(self, p: dict) -> dict:
        net = Net(p)
        out = backprop_np(net)
        out.update(step_np(out, net, float(net.eta)))
        return out

    # -- worked solution --------------------------------------------------------
    def solution(self, p: dict, key: dict) -> dict:
        net = Net(p)
        o = backprop_np(net)
        st = step_np(o, net, float(net.eta))
        L, many = net.L, net.n > 1

        def ex(i):
            return f" (example {i + 1})" if many else ""

        steps: dict = {"_": [f"Shapes: x has D = {net.D} inputs; "
                             + ", ".join(f"W{sup(lyr)} is {s}" for lyr, s in
                                         ((lyr, _sz(*_shapes(net)[lyr - 1])) for lyr in range(1, L + 1)))
                             + f"; n = {net.n} example{'s' * many}. h⁽⁰⁾ = x."]}
        if p["ask"] not in ("all", "forward"):
            for i in range(net.n):
                fwd = "; ".join(f"ξ{sup(lyr)} = {vtext(o[f'xi{lyr}'][i])}" for lyr in range(1, L + 1))
                steps["_"].append(f"Forward{ex(i)}: {fwd}; ŷ = {vtext(o['yhat'][i])}")
        for lyr in range(1, L + 1):
            below = "x" if lyr == 1 else f"h{sup(lyr - 1)}"
            steps[f"xi{lyr}"] = [f"ξ{sup(lyr)} = b{sup(lyr)} + W{sup(lyr)}{below} = {vtext(o[f'xi{lyr}'][i])}{ex(i)}"
                               for i in range(net.n)]
            name = f"h{lyr}" if lyr < L else "yhat"
            g = net.acts[lyr - 1]
            label = f"h{sup(lyr)} = {ACT_TEXT.get(g, g)}(ξ{sup(lyr)})" if lyr < L else f"ŷ = {net.output}(ξ{sup(lyr)})"
            steps[name] = [f"{label} = {vtext(o[name][i])}{ex(i)}" for i in range(net.n)]
        steps["L"] = [loss_text(net) + f" = {f4(o['L'])}"]
        omega = o["J"] - o["L"]
        steps["J"] = [decay_text(net), f"J = L + λΩ = {f4(o['L'])} + {f4(omega)} = {f4(o['J'])}"]
        top = ("(ŷ − y)/n (matched output and loss)" if net.matched else
               "∂L/∂ŷ through the output's derivative")
        lam = num(net.lam)
        for lyr in range(L, 0, -1):
            below = "x" if lyr == 1 else f"h{sup(lyr - 1)}"
            if lyr == L:
                rule = f"∇ξ{sup(L)}J = {top}"
            else:
                rule = (f"∇ξ{sup(lyr)}J = σ̇(ξ{sup(lyr)}) ⊙ W{sup(lyr + 1)}ᵀ∇ξ{sup(lyr + 1)}J "
                        f"({ACT_TEXT[net.acts[lyr - 1]]}′)")
            steps[f"dxi{lyr}"] = [rule] + [f"∇ξ{sup(lyr)}J{ex(i)} = {vtext(o[f'dxi{lyr}'][i])}" for i in range(net.n)]
            decay = f" + λW{sup(lyr)} (λ = {lam})" if net.lam != 0 else ""
            steps[f"dW{lyr}"] = [rule, f"∇W{sup(lyr)}J = Σᵢ ∇ξᵢ{sup(lyr)}J {below}ᵢᵀ{decay} = {mtext(o[f'dW{lyr}'])}"]
            bdecay = f" + λb{sup(lyr)}" if net.lam != 0 and net.decay_biases else ""
            steps[f"db{lyr}"] = [rule, f"∇b{sup(lyr)}J = Σᵢ ∇ξᵢ{sup(lyr)}J{bdecay} = {vtext(o[f'db{lyr}'])}"]
            eta = num(net.eta)
            steps[f"W{lyr}_new"] = [f"W{sup(lyr)} ← W{sup(lyr)} − η∇W{sup(lyr)}J = {mtext(net.Ws[lyr - 1])} − {eta}·"
                                  f"{mtext(o[f'dW{lyr}'])} = {mtext(st[f'W{lyr}_new'])}"]
            steps[f"b{lyr}_new"] = [f"b{sup(lyr)} ← b{sup(lyr)} − η∇b{sup(lyr)}J = {vtext(net.bs[lyr - 1])} − {eta}·"
                                  f"{vtext(o[f'db{lyr}'])} = {vtext(st[f'b{lyr}_new'])}"]
        return steps

    # -- mistakes -------------------------------------------------------------------
    def mistakes(self, p: dict) -> dict:
        import numpy as np

        net = Net(p)
        L, eta = net.L, float(net.eta)
        weights = [f"dW{lyr}" for lyr in range(1, L + 1)] + [f"W{lyr}_new" for lyr in range(1, L + 1)]
        biases = [f"db{lyr}" for lyr in range(1, L + 1)] + [f"b{lyr}_new" for lyr in range(1, L + 1)]
        excit = [f"dxi{lyr}" for lyr in range(1, L + 1)]
        everything = excit + weights + biases

        def run(**flags) -> dict:
            o = backprop_np(net, **flags)
            o.update(step_np(o, net, eta))
            return o

        def pick(o, names):
            return {k: o[k] for k in names if k in o}

        out: dict = {}
        if net.lam != 0:
            out["decay-forgotten"] = pick(run(decay=False), ["J"] + weights + (biases if net.decay_biases else []))
            out["decay-doubled"] = pick(run(decay_factor=2.0, half_omega=False),
                                        ["J"] + weights + (biases if net.decay_biases else []))
            if not net.decay_biases:
                out["decay-on-biases"] = pick(run(decay_biases=True), ["J"] + biases)
        # σ̇ of the hidden layer just below the output, forgotten (layer 2 of a three-layer network).
        top_hidden = L - 1
        below_top = [f"dxi{lyr}" for lyr in range(1, L)] + [f"{k}{lyr}" for lyr in range(1, L) for k in ("dW", "db")]
        below_top += [f"{k}{lyr}_new" for lyr in range(1, L) for k in ("W", "b")]
        if net.acts[top_hidden - 1] != "relu":
            out["forgot-sigma-dot"] = pick(run(no_sigma_dot_layer=top_hidden), below_top)
        relu_layers = [lyr for lyr in range(1, L) if net.acts[lyr - 1] == "relu"]
        if relu_layers:
            # u(ξ) taken as 1 changes ∇ξ of the ReLU layers and everything below the highest one.
            low = range(1, max(relu_layers) + 1)
            out["relu-derivative-one"] = pick(run(relu_one=True),
                                              [f"{k}{lyr}" for lyr in low for k in ("dxi", "dW", "db")]
                                              + [f"{k}{lyr}_new" for lyr in low for k in ("W", "b")])
        out["xi-for-h"] = pick(run(xi_for_h=True), [f"dW{lyr}" for lyr in range(2, L + 1)])
        if any(len(net.Ws[lyr]) == len(net.Ws[lyr][0]) for lyr in range(1, L)):
            out["w-not-transposed"] = pick(run(w_not_t=True), below_top)
        base = run()
        out["transposed"] = {f"dW{lyr}": base[f"dW{lyr}"].T for lyr in range(1, L + 1)}
        out["sign-flipped"] = pick(run(flip=True), excit + [f"dW{lyr}" for lyr in range(1, L + 1)]
                                   + [f"db{lyr}" for lyr in range(1, L + 1)]) if net.lam == 0 else \
            pick(run(flip=True), excit)
        out["update-sign"] = {f"{k}{lyr}_new": np.array((net.Ws if k == "W" else net.bs)[lyr - 1], float)
                              + eta * base[f"d{k}{lyr}"] for lyr in range(1, L + 1) for k in ("W", "b")}
        if eta != 1:
            out["eta-forgotten"] = {f"{k}{lyr}_new": np.array((net.Ws if k == "W" else net.bs)[lyr - 1], float)
                                    - base[f"d{k}{lyr}"] for lyr in range(1, L + 1) for k in ("W", "b")}
        if net.n > 1:
            out["dropped-1-over-n"] = pick(run(drop_n=True), ["L", "J"] + everything)
        if not net.matched:
            out["matched-shortcut"] = pick(run(shortcut=True), everything)
        for vals in out.values():
            for part in [k for k, v in vals.items() if not np.all(np.isfinite(np.asarray(v, dtype=float)))]:
                del vals[part]
        return out
