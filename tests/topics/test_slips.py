"""Common slips named in the verdict (issue 13, §4): LSTM BPTT (f[t+1] and the cell's tanh′ dropped,
u_ξ transposed), ReLU′(0) = 0 in the two-layer network, the GRU z ↔ 1 − z swap (in every part it
reaches), σ′ forgotten in the IIR dL/dw, the optimizers' state slips, and conv/pool sizes judged
dimension by dimension.

Three mechanisms: each slip's value, typed at the command line, is named in the verdict while the
key is graded correct and unnamed; each slip's value is the slip's own formula, worked here by hand
or by an independent pass; and a slip that coincides with the key for an instance is not offered.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from nncheck.cli.app import app
from nncheck.key.grade import grade
from nncheck.topics import lstm as L
from topics.helpers import arr, key_of, kind_text, runner

# ----------------------------------------------------------------------------
# Instances, every number given (so that no draw can move them).
# ----------------------------------------------------------------------------
#: The hand-worked ECE 417 instance of test_lstm.py: T = 2, one unit, ∂L/∂h = dh.
LSTM_ECE = dict(x="[0, 1]", c0=2, h0=0, convention="ece417", dh="[0, 1]", w_i=-1, u_i=2, b_i=0, w_o=1, u_o=-2,
                b_o=0, w_f=-2, u_f=4, b_f=0, w_c=-1, u_c=2, b_c=0)
#: Standard convention, every weight 0 but u_o = 2: o[2] = σ(2h[1]) is the only recurrence, so the
#: dropped tanh′ (∂h/∂c = o) and the ECE 417 convention (∂h/∂o = c as well) give different dL/dc.
LSTM_STD = dict(x="[0, 0]", c0=4, h0=0, convention="standard", dh="[0, 1]", u_o=2,
                **{f"{k}_{g}": 0 for g in "iofc" for k in ("w", "u", "b") if (k, g) != ("u", "o")})
#: Two hidden units with recurrent weights that are not symmetric: uᵀ ≠ u, and dL/du_ξ ≠ its transpose.
LSTM_H2 = dict(x="[1, -1]", convention="standard", y="[[0.5, -1], [1, 0]]", c0="[0.5, 1]", h0="[0, 0.5]",
               w_i="[[1], [-1]]", w_o="[[0.5], [1]]", w_f="[[-1], [0.5]]", w_c="[[1], [1]]",
               u_i="[[0.5, 1], [-0.5, 0]]", u_o="[[0, -1], [0.5, 0.5]]", u_f="[[1, 0.5], [0, -0.5]]",
               u_c="[[-0.5, 1], [0.5, 0]]", b_i="[0, 0.5]", b_o="[0.5, 0]", b_f="[0, 0]", b_c="[0, -0.5]")
#: One unit whose gates read h_(t−1): the swap changes h₁, and through it r₂, z₂ and h̃₂.
GRU_REC = dict(x="[-1, 0]", W_xr=2, W_hr=0.5, b_r=1, W_xz=2, W_hz=0.5, b_z=0, W_xh=1, W_hh=1, b_h=-1, h0=-0.5)
#: ξ⁽¹⁾ = W⁽¹⁾x + b⁽¹⁾ = [0, 1]: the first hidden unit sits exactly on ReLU's kink.
KINK = dict(hidden="relu", output="linear", loss="mse", eta=1, ask="all", x="[1, 1]", y="[0]",
            W1="[[1, -1], [1, 0]]", b1="[0, 0]", W2="[[1, 1]]", b2="[0]")
IIR = dict(x="[1, -1, 2]", y="[0, 1, 0.5]", w="[0.5]")
MOMENTUM = dict(optimizer="momentum", f="given", x0="[0]", grads="1; 2", steps=2, alpha=0.1, rho=0.9)
RMSPROP = dict(optimizer="rmsprop", f="given", x0="[0]", grads="2; 1", steps=2, alpha=1, gamma=0.75, eps=0)
ADAM = dict(optimizer="adam", f="given", x0="[1, 2]", grads="4, 1; 2, -1", steps=2, alpha=0.1, beta1=0.9,
            beta2=0.999, eps=0, convention="cs231n")
ADAGRAD2 = dict(optimizer="adagrad", f="given", x0="[0, 1]", grads="3, -4; 4, 1", steps=2, alpha=1, eps=0,
                convention="cs231n")
CONV = dict(W1=33, H1=32, F=5, S=2, P=0, K=4, D1=3)  # W₂ = 15 is whole, H₂ = 29/2 is not
POOL = dict(W1=7, H1=6, F=2, S=2, D1=3)  # W₂ = 7/2 is not whole, H₂ = 3 is

SLIPS = [
    ("lstm.bptt", LSTM_H2, "dLdc", "forget-gate-dropped"),
    ("lstm.bptt", LSTM_ECE, "dLdc_rule", "forget-gate-dropped"),
    ("lstm.bptt", LSTM_STD, "dLdc_rule", "forget-gate-dropped"),
    ("lstm.bptt", LSTM_H2, "dLdi", "forget-gate-dropped"),
    ("lstm.bptt", LSTM_STD, "dLdc", "cell-tanh-prime-dropped"),
    ("lstm.bptt", LSTM_H2, "grad_f", "cell-tanh-prime-dropped"),
    ("lstm.bptt", LSTM_H2, "dLdh", "u-not-transposed"),
    ("lstm.bptt", LSTM_H2, "grad_c", "u-not-transposed"),
    ("lstm.bptt", LSTM_H2, "grad_i", "u-grad-transposed"),
    ("gru.forward", GRU_REC, "h", "z-roles-swapped"),
    ("gru.forward", GRU_REC, "htilde", "z-roles-swapped"),
    ("gru.forward", GRU_REC, "r", "z-roles-swapped"),
    ("gru.forward", GRU_REC, "z", "z-roles-swapped"),
    ("backprop.two-layer", KINK, "dxi1", "step-at-zero"),
    ("backprop.two-layer", KINK, "dW1", "step-at-zero"),
    ("backprop.two-layer", KINK, "b1_new", "step-at-zero"),
    ("rnn.scalar-iir", IIR, "dL_dw", "dw-sigma-prime-forgotten"),
    ("optim.step", MOMENTUM, "v", "velocity-not-carried"),
    ("optim.step", MOMENTUM, "v", "velocity-other-form"),
    ("optim.step", RMSPROP, "g", "average-not-carried"),
    ("optim.step", RMSPROP, "xT", "average-not-carried"),
    ("optim.step", ADAM, "xT", "moments-not-carried"),
    ("optim.step", ADAM, "m", "moments-not-carried"),
    ("optim.step", ADAM, "x1", "m-not-bias-corrected"),
    ("optim.step", ADAM, "xT", "v-not-bias-corrected"),
    ("optim.step", ADAM, "xT", "bias-correction-power-missing"),
    ("optim.step", ADAM, "m", "corrected-moments-reported"),
    ("optim.step", ADAM, "v", "corrected-moments-reported"),
    ("optim.step", ADAM, "v", "gradient-not-squared"),
    ("optim.step", RMSPROP, "xT", "gradient-not-squared"),
    ("optim.step", ADAGRAD2, "g", "gradient-not-squared"),
    ("optim.step", ADAGRAD2, "xT", "squared-norm"),
    ("optim.step", ADAM, "v", "squared-norm"),
    ("conv.output-size", CONV, "H2", "rounded"),
    ("conv.output-size", CONV, "H2", "rounded-up"),
    ("conv.output-size", CONV, "fits", "one-size-checked"),
    ("pool.output-size", POOL, "W2", "rounded"),
    ("pool.output-size", POOL, "fits", "one-size-checked"),
]


def assignments(overrides: dict) -> list[str]:
    return [f"{k}={v}" for k, v in overrides.items()]


def check_json(fid: str, overrides: dict, part: str, answer: str) -> dict:
    """``nncheck check FID NAME=VALUE… --part PART --answer ANSWER --json``."""
    r = runner.invoke(app, ["check", fid, *assignments(overrides), "--part", part, "--answer", answer, "--json"])
    assert r.exit_code in (0, 1), r.output
    return json.loads(r.stdout)


def typed(value, kind: str) -> str:
    if kind == "integer":
        return str(int(value))
    if kind == "boolean":
        return "yes" if value else "no"
    return kind_text(value, kind)


# ----------------------------------------------------------------------------
# 1. Named at the command line; the key is correct and unnamed.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("fid, overrides, part, mid", SLIPS, ids=[f"{s[0]}-{s[2]}-{s[3]}" for s in SLIPS])
def test_the_slip_is_named_and_the_key_is_not(fid, overrides, part, mid):
    key = key_of(fid, 1, **overrides)
    offered = {m: v for m, _msg, v in key.mistakes_for(part)}
    assert mid in offered, f"{mid} is not offered for {part}: {sorted(offered)}"
    kind = key.parts[part].kind
    wrong = check_json(fid, overrides, part, typed(offered[mid], kind))
    assert (wrong["status"], wrong["mistake"]) == ("incorrect", mid), wrong
    right = check_json(fid, overrides, part, key.parts[part].answer_text())
    assert (right["status"], right["mistake"]) == ("correct", None), right


def test_every_new_slip_is_declared_with_a_message():
    """Each slip above is declared by its family (a value without a declaration is never shown)."""
    from topics.helpers import record

    for fid, _o, part, mid in SLIPS:
        declared = {m["id"]: m for m in record(fid)["mistakes"]}
        assert mid in declared and declared[mid]["message"].strip(), (fid, mid)
        assert not declared[mid].get("parts") or part in declared[mid]["parts"], (fid, mid, part)


# ----------------------------------------------------------------------------
# 2. Each value is the slip's own formula.
# ----------------------------------------------------------------------------
def sigma(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_lstm_forget_gate_dropped_by_hand():
    """dL/dc[2] = ½ and dL/dh[1]·o[1] = ¾·½: with f[2] = ½, dL/dc[1] = 3/8 + ½·½; without it, 3/8 + ½.
    (In this instance tanh-prime-for-sigma happens to give the same numbers: the grader names the first
    declared, so the command-line table above uses other instances.)"""
    key = key_of("lstm.bptt", **LSTM_ECE)
    assert np.allclose(arr(key.parts["dLdc"].exact), [[5 / 8, 1 / 2]])
    assert np.allclose(arr(key.mistakes["forget-gate-dropped"]["dLdc"]), [[7 / 8, 1 / 2]])
    assert grade(key, "dLdc_rule", "dLdh*o + dLdc_next").mistake == "forget-gate-dropped"
    std = key_of("lstm.bptt", **LSTM_STD)
    assert grade(std, "dLdc_rule", "dLdh*o*(1 - tanh(c)^2) + dLdc_next").mistake == "forget-gate-dropped"


def test_lstm_cell_tanh_prime_dropped_by_hand():
    """LSTM_STD worked by hand: every gate is ½ at t = 1, c[1] = ½·4 = 2, h[1] = ½·tanh 2; at t = 2,
    i = f = ½, g = 0, o[2] = σ(2h[1]), c[2] = 1; dh = [0, 1]."""
    key = key_of("lstm.bptt", **LSTM_STD)
    h1 = 0.5 * math.tanh(2)
    o2 = sigma(2 * h1)
    c1, c2 = 2, 1

    def dLdc(tanh_prime: bool, dhdo2: float) -> list[float]:
        d2 = o2 * ((1 - math.tanh(c2) ** 2) if tanh_prime else 1)
        dh1 = 2 * dhdo2 * o2 * (1 - o2)  # u_o·dL/do[2]·o[2](1 − o[2]); dL/dh[2] = 1
        d1 = dh1 * 0.5 * ((1 - math.tanh(c1) ** 2) if tanh_prime else 1) + d2 * 0.5
        return [d1, d2]

    assert np.allclose(arr(key.parts["dLdc"].exact), [dLdc(True, math.tanh(c2))])
    slip = dLdc(False, math.tanh(c2))  # ∂h/∂c = o[t], ∂h/∂o still tanh c[t]
    assert np.allclose(arr(key.mistakes["cell-tanh-prime-dropped"]["dLdc"]), [slip])
    # The ECE 417 convention differs through ∂h[2]/∂o[2] = c[2]: a different value, and a different name.
    assert not np.allclose(arr(key.mistakes["wrong-convention"]["dLdc"]), [slip], rtol=5e-3)
    other = grade(key, "dLdc", kind_text(key.mistakes["wrong-convention"]["dLdc"], "matrix"))
    assert other.mistake == "wrong-convention"


def test_lstm_transposed_recurrent_weights_by_an_independent_step():
    key = key_of("lstm.bptt", **LSTM_H2)
    p = key.variant.params
    fw = L.np_forward(p)
    u = {g: np.array(p[f"u_{g}"], dtype=float) for g in "iofc"}
    d = {k: arr(key.parts[f"dLd{k}"].exact) for k in ("h", "c", "o", "i", "f")}  # H×T, column t−1 is step t
    # dL/dh[1] with u_ξ where u_ξᵀ belongs; step 2 (the last) has no recurrence and does not change.
    back = sum(u[g] @ (d[g][:, 1] * fw[g][2] * (1 - fw[g][2])) for g in "iof")
    back = back + u["c"] @ (d["c"][:, 1] * fw["i"][2] * (1 - fw["g"][2] ** 2))
    direct = fw["h"][1] - np.array(p["y"], dtype=float)[:, 0]
    slip = arr(key.mistakes["u-not-transposed"]["dLdh"])
    assert np.allclose(slip[:, 0], direct + back) and np.allclose(slip[:, 1], d["h"][:, 1])
    # dL/du_ξ written the other way round: the H×H block transposed, the w and b columns as they are.
    for g in "iofc":
        right, wrong = arr(key.parts[f"grad_{g}"].exact), arr(key.mistakes["u-grad-transposed"][f"grad_{g}"])
        assert np.allclose(wrong[:, 1:3], right[:, 1:3].T)
        assert np.allclose(wrong[:, [0, 3]], right[:, [0, 3]])


def test_gru_swap_forward_pass_by_hand():
    """h_t = (1 − z_t)h_(t−1) + z_t h̃_t, the swapped form, carried into every gate of step 2."""
    key = key_of("gru.forward", **GRU_REC)
    x, h = [-1.0, 0.0], -0.5
    rows: dict[str, list[float]] = {k: [] for k in ("r", "z", "htilde", "h")}
    for xt in x:
        r, z = sigma(2 * xt + 0.5 * h + 1), sigma(2 * xt + 0.5 * h)
        ht = math.tanh(xt + r * h - 1)
        h = (1 - z) * h + z * ht
        for k, v in (("r", r), ("z", z), ("htilde", ht), ("h", h)):
            rows[k].append(v)
    for part, values in rows.items():
        assert np.allclose(arr(key.mistakes["z-roles-swapped"][part]), [values]), part


def test_two_layer_relu_kink_by_hand():
    """ξ⁽¹⁾ = [0, 1], h = [0, 1], ŷ = 1, ∇ξ⁽²⁾L = ŷ − y = 1, W⁽²⁾ᵀ∇ξ⁽²⁾L = [1, 1]: u(0) = 1 passes both
    back, ReLU′(0) = 0 only the second."""
    key = key_of("backprop.two-layer", **KINK)
    assert np.allclose(arr(key.parts["dxi1"].exact), [[1, 1]])
    slip = key.mistakes["step-at-zero"]
    assert np.allclose(arr(slip["dxi1"]), [[0, 1]])
    assert np.allclose(arr(slip["dW1"]), [[0, 0], [1, 1]]) and np.allclose(arr(slip["db1"]), [0, 1])
    assert np.allclose(arr(slip["W1_new"]), [[1, -1], [0, -1]])  # W⁽¹⁾ − 1·∇W⁽¹⁾L
    assert grade(key, "dxi1", "[0, 1]").mistake == "step-at-zero"


def test_iir_sigma_prime_forgotten_in_dw_by_hand():
    """x = y = [0, 0], w[1] = 1: h[0] = ½, h[1] = s = σ(½), dL/dh[1] = s; dL/dw[1] = s·s(1 − s)·½, and
    without σ′ (dL/dh itself right), s·½."""
    key = key_of("rnn.scalar-iir", x="[0, 0]", y="[0, 0]", w="1")
    s = sigma(0.5)
    assert np.allclose(arr(key.mistakes["dw-sigma-prime-forgotten"]["dL_dw"]), [s * 0.5])
    assert grade(key, "dL_dw", repr(s * 0.5)).mistake == "dw-sigma-prime-forgotten"
    assert grade(key, "dL_dw", repr(s * s * (1 - s) * 0.5)).status == "correct"


def test_optimizer_state_slips_by_hand():
    mom = key_of("optim.step", **MOMENTUM)  # v₁ = 1, v₂ = 0.9 + 2 = 2.9
    assert np.allclose(arr(mom.parts["v"].exact), [2.9])
    assert np.allclose(mom.mistakes["velocity-not-carried"]["v"], [2])  # v₂ = ρ·0 + 2
    assert np.allclose(mom.mistakes["velocity-other-form"]["v"], [-0.29])  # ρv − α∇f: −α times 2.9
    assert "x1" not in mom.mistakes["velocity-not-carried"]  # step 1 starts from 0 either way: dropped
    rms = key_of("optim.step", **RMSPROP)  # g₁ = ¼·4 = 1, g₂ = ¾·1 + ¼·1 = 1
    assert np.allclose(rms.mistakes["average-not-carried"]["g"], [0.25])
    assert np.allclose(rms.mistakes["average-not-carried"]["xT"], [-2 - 1 / math.sqrt(0.25)])
    assert np.allclose(rms.mistakes["gradient-not-squared"]["g"], [0.75 * 0.5 + 0.25 * 1])  # g₁ = ¼·2 = ½
    adam = key_of("optim.step", **ADAM)
    b1, b2 = 0.9, 0.999
    m1, v1 = (1 - b1) * np.array([4, 1.0]), (1 - b2) * np.array([16, 1.0])
    m2, v2 = b1 * m1 + (1 - b1) * np.array([2, -1.0]), b2 * v1 + (1 - b2) * np.array([4, 1.0])
    x1 = np.array([1, 2.0]) - 0.1 * (m1 / (1 - b1)) / np.sqrt(v1 / (1 - b2))

    def step2(m_corr: float, v_corr: float) -> np.ndarray:
        return x1 - 0.1 * (m2 / m_corr) / np.sqrt(v2 / v_corr)

    assert np.allclose(arr(adam.parts["xT"].exact).ravel(), step2(1 - b1 ** 2, 1 - b2 ** 2))
    assert np.allclose(adam.mistakes["bias-correction-power-missing"]["xT"], step2(1 - b1, 1 - b2))
    assert np.allclose(adam.mistakes["corrected-moments-reported"]["m"], m2 / (1 - b1 ** 2))
    assert np.allclose(adam.mistakes["corrected-moments-reported"]["v"], v2 / (1 - b2 ** 2))
    m_raw = np.array([1, 2.0]) - 0.1 * m1 / np.sqrt(v1 / (1 - b2))  # m₁ itself, ṽ₁ corrected
    assert np.allclose(adam.mistakes["m-not-bias-corrected"]["x1"], m_raw)
    # Not squared: v = (1 − β₂)·∇f, which goes below 0 for ∇f₂ = −1: v keeps its value, x has none.
    nsq = adam.mistakes["gradient-not-squared"]
    assert np.allclose(nsq["v"], b2 * (1 - b2) * np.array([4, 1.0]) + (1 - b2) * np.array([2, -1.0]))
    assert "xT" not in nsq
    ada = key_of("optim.step", **ADAGRAD2)  # the squared norm: 9 + 16 = 25, then + 16 + 1
    assert np.allclose(ada.mistakes["squared-norm"]["g"], [42, 42])
    assert np.allclose(ada.mistakes["gradient-not-squared"]["g"], [7, -3])


def test_each_size_is_reported_on_its_own():
    """W₁ = 33, H₁ = 32, F = 5, S = 2: W₂ = 28/2 + 1 = 15 is whole, H₂ = 27/2 + 1 = 29/2 is not."""
    key = key_of("conv.output-size", **CONV)
    assert key.parts["W2"].answer_json() == 15 and key.parts["H2"].exact is None
    assert key.parts["fits"].exact is False
    w_steps, h_steps, fit_steps = (" ".join(key.parts[n].steps) for n in ("W2", "H2", "fits"))
    assert "not a whole number" not in w_steps and "15" in w_steps
    assert "14.5 is not a whole number" in h_steps and "height" in h_steps
    assert "W₂ is a whole number but H₂ is not" in fit_steps
    assert "judged each on its own" in key.variant.prompt  # the prompt says W₂ is asked whatever H₂ is
    # 15 is the width's answer, not a rounding; H₂ rounded either way is named.
    assert grade(key, "W2", "15").status == "correct"
    assert grade(key, "H2", "14").mistake == "rounded" and grade(key, "H2", "15").mistake == "rounded-up"
    pool = key_of("pool.output-size", **POOL)
    assert (pool.parts["W2"].exact, pool.parts["H2"].answer_json(), pool.parts["fits"].exact) == (None, 3, False)
    assert grade(pool, "H2", "3").status == "correct"


# ----------------------------------------------------------------------------
# 3. A slip that gives the key's value for an instance is not offered there.
# ----------------------------------------------------------------------------
def offered(key, mid: str) -> list[str]:
    return [part for part in key.parts if any(m == mid for m, _msg, _v in key.mistakes_for(part))]


@pytest.mark.parametrize("fid, overrides, mid", [
    # ECE 417's h = o·c has no tanh on the cell to drop.
    ("lstm.bptt", LSTM_ECE, "cell-tanh-prime-dropped"),
    # One hidden unit: u_ξ is 1×1, its own transpose.
    ("lstm.bptt", LSTM_ECE, "u-not-transposed"),
    ("lstm.bptt", LSTM_ECE, "u-grad-transposed"),
    # No ξ⁽¹⁾ is 0: u(ξ) and the slip agree everywhere.
    ("backprop.two-layer", {**KINK, "b1": "[0.5, 0]"}, "step-at-zero"),
    # One step: there is no earlier state to carry, and 1 − βᵗ = 1 − β.
    ("optim.step", {**MOMENTUM, "grads": "1", "steps": 1}, "velocity-not-carried"),
    ("optim.step", {**ADAM, "grads": "4, 1", "steps": 1}, "bias-correction-power-missing"),
    ("optim.step", {**ADAM, "grads": "4, 1", "steps": 1}, "moments-not-carried"),
    # A square input: both sizes are whole or neither is.
    ("conv.output-size", {**CONV, "W1": 32}, "one-size-checked"),
    # The width tiles: rounding it is no slip.
    ("conv.output-size", CONV, "rounded"),
])
def test_a_slip_that_gives_the_key_is_not_offered(fid, overrides, mid):
    key = key_of(fid, 1, **overrides)
    parts = offered(key, mid)
    if (fid, mid) == ("conv.output-size", "rounded"):
        assert parts == ["H2"]  # only the height, which does not tile
    else:
        assert parts == [], (mid, parts)


def test_gru_swap_is_not_offered_for_gates_that_never_read_h():
    """Without W_hr, W_hz and W_hh, step 2's r, z and h̃ do not see the swapped h₁."""
    key = key_of("gru.forward", 1, **{**GRU_REC, "W_hr": 0, "W_hz": 0, "W_hh": 0})
    assert offered(key, "z-roles-swapped") == ["h"]
