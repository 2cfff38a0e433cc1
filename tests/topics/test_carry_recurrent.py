"""Error carried forward in the recurrent families (rnn.forward, rnn.bptt, lstm.forward, lstm.bptt,
gru.forward): the solvers' ``carry_from`` and ``carry``.

A simulated student, written here in plain NumPy (not the solvers' helpers), works each problem step by
step as the notes do and makes one slip: one entry of one part, at one step, is off, and everything
after it is computed correctly from the student's own values.  Then, for every slip:

* every part the solver can carry, recomputed from the student's values of exactly the parts listed
  as its inputs (the key's for the rest), is the student's own answer: the map is complete and the
  formulas are the student's;
* the part holding the slip is never reproduced: the root error earns nothing, although a part may
  read a later part's earlier steps (a⁽ᵗ⁾ reads h⁽ᵗ⁻¹⁾);

and, without a slip, each listed input changes what is carried (the map lists only what the student
uses), and the key's own values give back the key (``numeric(p)``) over many random draws.
"""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest

from nncheck.generate.variant import build_variant
from topics.helpers import record

FAMILIES = ("rnn.forward", "rnn.bptt", "lstm.forward", "lstm.bptt", "gru.forward")
SLIP = 0.125  # what the student's slip adds to one entry


def f(m) -> np.ndarray:
    return np.array(m, dtype=float)


def sig(z):
    return 1 / (1 + np.exp(-z))


class Student:
    """One slip: ``delta`` added to entry ``k`` of ``part`` at step ``t`` (a whole-sequence gradient
    or the loss: ``t`` is None), the moment it is computed."""

    def __init__(self, part: str | None = None, t: int | None = None, k: int = 0, delta: float = SLIP):
        self.part, self.t, self.k, self.delta = part, t, k, delta

    def __call__(self, part: str, t: int | None, v):
        if part != self.part or t != self.t:
            return v
        v = np.array(v, dtype=float)
        if v.ndim == 0:
            return v + self.delta
        k = min(self.k, v.shape[0] - 1)
        if v.ndim == 1:
            v[k] += self.delta
        else:
            v[k, 0] += self.delta  # row k, first column of a whole-sequence gradient
        return v


# ----------------------------------------------------------------------------
# The students: hand computations in the notes' order.
# ----------------------------------------------------------------------------
def rnn_forward(p: dict, slip: Student) -> dict:
    """CMU 16-785: a⁽ᵗ⁾ = b + W h⁽ᵗ⁻¹⁾ + U x⁽ᵗ⁾, h⁽ᵗ⁾ = tanh a⁽ᵗ⁾, o⁽ᵗ⁾ = c + V h⁽ᵗ⁾, ŷ⁽ᵗ⁾ = softmax, L = Σ −ln ŷ[y]."""
    x, U, W, V, b, c = (f(p[k]) for k in ("x", "U", "W", "V", "b", "c"))
    h = f(p["h0"])
    out: dict = {k: [] for k in ("a", "h", "o", "yhat")}
    L = 0.0
    for t in range(1, x.shape[1] + 1):
        a = slip("a", t, b + W @ h + U @ x[:, t - 1])
        h = slip("h", t, np.tanh(a))
        o = slip("o", t, c + V @ h)
        yhat = slip("yhat", t, np.exp(o) / np.exp(o).sum())
        L += -np.log(yhat[p["y"][t - 1] - 1])
        for k, v in zip(("a", "h", "o", "yhat"), (a, h, o, yhat)):
            out[k].append(v)
    res = {k: np.column_stack(v) for k, v in out.items()}
    res["L"] = float(slip("L", None, L))
    return res


def rnn_bptt(p: dict, slip: Student) -> dict:
    """CMU 16-785's BPTT over the printed forward pass (computed here without a slip)."""
    x, W, V = f(p["x"]), f(p["W"]), f(p["V"])
    fw = rnn_forward(p, Student())
    h = np.column_stack([f(p["h0"]), fw["h"]])  # column t is h⁽ᵗ⁾
    T, K = x.shape[1], len(p["c"])
    go = {t: slip("grad_o", t, fw["yhat"][:, t - 1] - np.eye(K)[p["y"][t - 1] - 1]) for t in range(1, T + 1)}
    gh: dict = {}
    for t in range(T, 0, -1):
        g = V.T @ go[t]
        if t < T:
            g = g + W.T @ ((1 - h[:, t + 1] ** 2) * gh[t + 1])
        gh[t] = slip("grad_h", t, g)
    da = {t: (1 - h[:, t] ** 2) * gh[t] for t in gh}
    steps = range(1, T + 1)
    return {"grad_o": np.column_stack([go[t] for t in steps]), "grad_h": np.column_stack([gh[t] for t in steps]),
            "grad_c": slip("grad_c", None, sum(go[t] for t in steps)),
            "grad_b": slip("grad_b", None, sum(da[t] for t in steps)),
            "grad_V": slip("grad_V", None, sum(np.outer(go[t], h[:, t]) for t in steps)),
            "grad_W": slip("grad_W", None, sum(np.outer(da[t], h[:, t - 1]) for t in steps)),
            "grad_U": slip("grad_U", None, sum(np.outer(da[t], x[:, t - 1]) for t in steps))}


def lstm_forward(p: dict, slip: Student) -> dict:
    """The ECE 417 exam review's cell; h = o·c (ece417) or o·tanh c (standard)."""
    x = f(p["x"])
    w, u, b = ({g: f(p[f"{kind}_{g}"]) for g in "iofc"} for kind in ("w", "u", "b"))
    c, h = f(p["c0"]), f(p["h0"])
    out: dict = {k: [] for k in ("i", "o", "f", "g", "c", "h")}
    for t in range(1, x.shape[1] + 1):
        z = {g: w[g] @ x[:, t - 1] + u[g] @ h + b[g] for g in "iofc"}
        i, o, fg = (slip(g, t, sig(z[g])) for g in "iof")
        g = np.tanh(z["c"])
        c = slip("c", t, fg * c + i * g)
        h = slip("h", t, o * (np.tanh(c) if p["convention"] == "standard" else c))
        for k, v in zip(("i", "o", "f", "g", "c", "h"), (i, o, fg, g, c, h)):
            out[k].append(v)
    return {k: np.column_stack(v) for k, v in out.items()}


def lstm_bptt(p: dict, slip: Student) -> dict:
    """The ECE 417 exam review's recursion, t = T down to 1, over the printed forward pass."""
    std = p["convention"] == "standard"
    x = f(p["x"])
    u = {g: f(p[f"u_{g}"]) for g in "iofc"}
    fw = lstm_forward(p, Student())
    T = x.shape[1]
    c = np.column_stack([f(p["c0"]), fw["c"]])  # column t is c[t]
    h = np.column_stack([f(p["h0"]), fw["h"]])
    gate = {g: np.column_stack([np.zeros(len(p["c0"])), fw[g]]) for g in ("i", "o", "f", "g")}
    i, o, fg, g = gate["i"], gate["o"], gate["f"], gate["g"]
    direct = f(p["dh"]) if p["loss"] == "dh" else h[:, 1:] - f(p["y"])
    d: dict = {k: {} for k in ("h", "c", "o", "i", "f")}
    for t in range(T, 0, -1):
        dh = direct[:, t - 1].copy()
        if t < T:
            for k in "iof":
                s = gate[k][:, t + 1]
                dh += u[k].T @ (d[k][t + 1] * s * (1 - s))
            dh += u["c"].T @ (d["c"][t + 1] * i[:, t + 1] * (1 - g[:, t + 1] ** 2))
        d["h"][t] = slip("dLdh", t, dh)
        dhdc = o[:, t] * (1 - np.tanh(c[:, t]) ** 2) if std else o[:, t]
        d["c"][t] = slip("dLdc", t, d["h"][t] * dhdc + (d["c"][t + 1] * fg[:, t + 1] if t < T else 0))
        d["o"][t] = slip("dLdo", t, d["h"][t] * (np.tanh(c[:, t]) if std else c[:, t]))
        d["i"][t] = slip("dLdi", t, d["c"][t] * g[:, t])
        d["f"][t] = slip("dLdf", t, d["c"][t] * c[:, t - 1])
    steps = range(1, T + 1)
    out = {f"dLd{k}": np.column_stack([d[k][t] for t in steps]) for k in d}
    for k in "iofc":
        if k == "c":
            dz = {t: d["c"][t] * i[:, t] * (1 - g[:, t] ** 2) for t in steps}
        else:
            dz = {t: d[k][t] * gate[k][:, t] * (1 - gate[k][:, t]) for t in steps}
        grad = sum(np.column_stack([np.outer(dz[t], x[:, t - 1]), np.outer(dz[t], h[:, t - 1]), dz[t]])
                   for t in steps)
        out[f"grad_{k}"] = slip(f"grad_{k}", None, grad)
    return out


def gru_forward(p: dict, slip: Student) -> dict:
    """The CS231n notes' GRU: h_t = z_t ⊙ h_(t−1) + (1 − z_t) ⊙ h̃_t."""
    x = f(p["x"])
    W = {k: f(v) for k, v in p.items() if k.startswith("W_")}
    b = {g: f(p[f"b_{g}"]) for g in "rzh"}
    h = f(p["h0"])
    out: dict = {k: [] for k in ("r", "z", "htilde", "h")}
    for t in range(1, x.shape[1] + 1):
        xt = x[:, t - 1]
        r = slip("r", t, sig(W["W_xr"] @ xt + W["W_hr"] @ h + b["r"]))
        z = slip("z", t, sig(W["W_xz"] @ xt + W["W_hz"] @ h + b["z"]))
        ht = slip("htilde", t, np.tanh(W["W_xh"] @ xt + W["W_hh"] @ (r * h) + b["h"]))
        h = slip("h", t, z * h + (1 - z) * ht)
        for k, v in zip(("r", "z", "htilde", "h"), (r, z, ht, h)):
            out[k].append(v)
    return {k: np.column_stack(v) for k, v in out.items()}


STUDENTS = {"rnn.forward": rnn_forward, "rnn.bptt": rnn_bptt, "lstm.forward": lstm_forward,
            "lstm.bptt": lstm_bptt, "gru.forward": gru_forward}
PER_STEP = {"rnn.forward": ("a", "h", "o", "yhat"), "rnn.bptt": ("grad_o", "grad_h"),
            "lstm.forward": ("i", "o", "f", "c", "h"), "lstm.bptt": ("dLdh", "dLdc", "dLdo", "dLdi", "dLdf"),
            "gru.forward": ("r", "z", "htilde", "h")}
WHOLE = {"rnn.forward": ("L",), "rnn.bptt": ("grad_c", "grad_b", "grad_V", "grad_W", "grad_U"),
         "lstm.forward": (), "lstm.bptt": ("grad_i", "grad_o", "grad_f", "grad_c"), "gru.forward": ()}


# ----------------------------------------------------------------------------
# Instances: exam draws, and larger ones with random weights (several units, inputs and classes).
# ----------------------------------------------------------------------------
def random_params(fid: str, rng: random.Random, H: int, D: int, T: int) -> dict:
    def r():
        return Fraction(rng.choice([-1, 1]) * rng.randint(1, 15), 10)  # never 0: every path is used

    def mat(rows, cols):
        return [[r() for _ in range(cols)] for _ in range(rows)]

    p: dict = {"x": mat(D, T)}
    if fid.startswith("rnn"):
        K = 3
        p.update(U=mat(H, D), W=mat(H, H), V=mat(K, H), b=mat(1, H)[0], c=mat(1, K)[0],
                 h0=[v / 2 for v in mat(1, H)[0]], y=[[rng.randint(1, K) for _ in range(T)]])
    elif fid.startswith("lstm"):
        for g in "iofc":
            p.update({f"w_{g}": mat(H, D), f"u_{g}": mat(H, H), f"b_{g}": mat(1, H)[0]})
        p.update(c0=mat(1, H)[0], h0=mat(1, H)[0], convention=rng.choice(["ece417", "standard"]))
        if fid == "lstm.bptt":
            p["loss"] = rng.choice(["mse", "dh"])
            p["dh" if p["loss"] == "dh" else "y"] = mat(H, T)
    else:
        for g in "rzh":
            p.update({f"W_x{g}": mat(H, D), f"W_h{g}": mat(H, H), f"b_{g}": mat(1, H)[0]})
        p["h0"] = mat(1, H)[0]
    return p


def instances(fid: str) -> list:
    """Exam draws (seeds 1–12) and three larger instances with random weights."""
    out = [build_variant(record(fid), seed, {}) for seed in range(1, 13)]
    rng = random.Random(fid)
    for H, D, T in ((2, 1, 3), (2, 2, 2), (3, 2, 3)):
        out.append(build_variant(record(fid), 1, random_params(fid, rng, H, D, T)))
    return out


def slips(fid: str, p: dict, H: int, T: int) -> list[Student]:
    return ([Student(part, t, k) for part in PER_STEP[fid] for t in range(1, T + 1) for k in {0, H - 1}]
            + [Student(part, None, k) for part in WHOLE[fid] for k in {0, H - 1}])


def as_given(values: dict, names) -> dict:
    """Answers as the grader passes them: plain lists (list of lists for a sequence), floats."""
    return {n: np.asarray(values[n]).tolist() for n in names}


# ----------------------------------------------------------------------------
# The tests.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("fid", FAMILIES)
def test_the_students_without_a_slip_give_the_key(fid):
    """The simulated student is the notes' computation: without a slip it is the answer key."""
    for v in instances(fid):
        key, mine = v.solver.numeric(v.params), STUDENTS[fid](v.params, Student())
        for part in mine:
            if part in key:
                assert np.allclose(mine[part], key[part], rtol=1e-12, atol=1e-12), (fid, part)


@pytest.mark.parametrize("fid", FAMILIES)
def test_later_parts_are_recomputed_from_the_students_own_values(fid):
    carried_somewhere = 0
    for v in instances(fid):
        p, solver = v.params, v.solver
        deps = solver.carry_from(p)
        key = solver.numeric(p)
        H, T = len(p["c0"] if "c0" in p else p["h0"]), len(p["x"][0])
        for slip in slips(fid, p, H, T):
            student = STUDENTS[fid](p, slip)
            reached = {part for part in student if part in key and part != slip.part
                       and not np.allclose(student[part], key[part], rtol=1e-6, atol=1e-9)}
            assert reached <= set(deps), (fid, "the slip reaches parts nothing carries", reached - set(deps))
            for part, needs in deps.items():
                got = solver.carry(p, as_given(student, needs))
                assert part in got, (fid, part, needs)
                if part == slip.part:
                    # The root error is not consistent with the values it was computed from.
                    assert not np.allclose(got[part], student[part], rtol=1e-6, atol=1e-9), (fid, part, slip.t)
                    continue
                assert np.allclose(got[part], student[part], rtol=1e-9, atol=1e-12), \
                    (fid, v.seed, part, needs, slip.part, slip.t)
                if not np.allclose(student[part], key[part], rtol=1e-6, atol=1e-9):
                    carried_somewhere += 1
    assert carried_somewhere > 50, "no slip ever reached a later part: the test would prove nothing"


@pytest.mark.parametrize("fid", FAMILIES)
def test_every_listed_input_is_used(fid):
    """A listed input that the student did not use would make the carried value ignore it."""
    rng = np.random.default_rng(7)
    for v in instances(fid):
        p, solver = v.params, v.solver
        key = solver.numeric(p)
        for part, needs in solver.carry_from(p).items():
            assert needs and part not in needs, (fid, part, needs)
            base = solver.carry(p, as_given(key, needs))[part]
            for name in needs:
                other = dict(as_given(key, needs))
                other[name] = (np.asarray(key[name]) + rng.uniform(0.05, 0.1, np.shape(key[name]))).tolist()
                assert not np.allclose(solver.carry(p, other)[part], base, rtol=1e-9, atol=1e-12), \
                    (fid, part, name)


@pytest.mark.parametrize("fid", FAMILIES)
def test_the_keys_own_values_give_back_the_key(fid):
    """Over many draws: given the key's values (or nothing), every carried part is the key."""
    for seed in range(1, 41):
        v = build_variant(record(fid), seed, {})
        p, solver = v.params, v.solver
        key = solver.numeric(p)
        deps = solver.carry_from(p)
        assert deps
        names = {n for needs in deps.values() for n in needs}
        for given in (as_given(key, names), {}):
            got = solver.carry(p, given)
            assert set(got) == set(deps), (fid, seed)
            for part in deps:
                assert np.shape(got[part]) == np.shape(key[part]), (fid, part)
                assert np.allclose(got[part], key[part], rtol=1e-12, atol=1e-14), (fid, seed, part)


def variant_of(fid: str, **values):
    return build_variant(record(fid), 1, values)


@pytest.mark.parametrize("fid,values,absent", [
    # One step: nothing reads an earlier step of another part.
    ("rnn.forward", {"x": [[1]], "y": [[2]]}, {"a"}),
    ("lstm.forward", {"x": [[1]], "c0": [0]}, {"i", "o", "f"}),
    ("gru.forward", {"x": [[1]], "h0": [0]}, {"r", "z", "htilde"}),
    ("lstm.bptt", {"x": [[1]], "loss": "dh", "dh": [[1]]}, {"dLdh"}),
    # A zero weight carries nothing.
    ("rnn.forward", {"x": [[1, 0]], "W": [[0]]}, {"a"}),
    ("rnn.bptt", {"V": [[0], [0]]}, {"grad_h"}),
    ("gru.forward", {"W_hr": [[0]], "W_hz": [[0]]}, {"r", "z"}),
])
def test_no_dependency_a_student_does_not_use(fid, values, absent):
    v = variant_of(fid, **values)
    deps = v.solver.carry_from(v.params)
    assert not absent & set(deps), deps
    if fid == "lstm.forward":
        assert deps["c"] == ("i",)  # f[1] scales c[0] = 0: not needed either


def test_lstm_zero_recurrent_weights_leave_only_the_cell_and_output():
    v = variant_of("lstm.forward", **{f"u_{g}": [[0]] for g in "iofc"}, x=[[1, 2]])
    assert v.solver.carry_from(v.params) == {"c": ("i", "f"), "h": ("o", "c")}
    v = variant_of("lstm.bptt", **{f"u_{g}": [[0]] for g in "iof"}, u_c=[[Fraction(1, 2)]], x=[[1, 2]])
    assert v.solver.carry_from(v.params)["dLdh"] == ("dLdc",)


def test_unusable_given_values_leave_their_parts_out():
    """A value of another shape, or a ŷ whose log does not exist, carries nothing (never a guess)."""
    v = build_variant(record("rnn.forward"), 3, {})
    p, solver = v.params, v.solver
    key = solver.numeric(p)
    yhat = np.asarray(key["yhat"]).copy()
    yhat[p["y"][0] - 1, 0] = 0.0
    got = solver.carry(p, {"yhat": yhat.tolist(), "o": np.asarray(key["o"])[:, :1].tolist(), "h": "[1, 2]"})
    assert "L" not in got and "yhat" not in got and "o" not in got and "a" not in got
    assert np.allclose(got["h"], key["h"])  # a is not given: the key's
    # One unit, written flat: the same answer as the 1×T row.
    H = len(p["b"])
    assert H == 1
    flat = solver.carry(p, {"h": np.asarray(key["h"]).ravel().tolist()})
    assert np.allclose(flat["o"], key["o"]) and np.allclose(flat["a"], key["a"])
