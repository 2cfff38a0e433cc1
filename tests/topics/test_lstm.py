"""lstm.forward and lstm.bptt: both answer paths, finite differences, hand-worked cases, exam draws,
mistakes through the grader, and bad overrides at the command line."""

from __future__ import annotations

import math
import random
import re
from fractions import Fraction
from functools import cache

import numpy as np
import pytest

from nncheck.generate.variant import build_variant
from nncheck.key.compute import answer_key
from nncheck.key.grade import grade
from nncheck.topics import lstm as L
from nncheck.topics._steps import Calc
from topics.helpers import (
    arr,
    bad_overrides_test,
    central,
    declared_mistake_tests,
    key_of,
    record,
    solve_then_check,
)
from topics.helpers import kind_text as text

GATES = "iofc"
SEQ = ("dLdh", "dLdc", "dLdo", "dLdi", "dLdf")


def key_from(fid: str, values: dict, seed: int = 1):
    return answer_key(build_variant(record(fid), seed, values))


# ----------------------------------------------------------------------------
# An independent forward pass for finite differences: eps is added to one node, so the
# difference quotient is the *total* derivative of L by that node.
# ----------------------------------------------------------------------------
def ref_loss(p: dict, bump=None, eps: float = 0.0) -> float:
    f = lambda m: np.array(m, dtype=float)  # noqa: E731
    x = f(p["x"])
    Wt = {g: (f(p[f"w_{g}"]), f(p[f"u_{g}"]), f(p[f"b_{g}"])) for g in GATES}
    c, h = f(p["c0"]), f(p["h0"])
    total = 0.0

    def node(name, t, v):
        if bump and bump[0] == name and bump[1] == t:
            v = v.copy()
            v[bump[2]] += eps
        return v

    for t in range(1, x.shape[1] + 1):
        z = {g: Wt[g][0] @ x[:, t - 1] + Wt[g][1] @ h + Wt[g][2] for g in GATES}
        i = node("i", t, 1 / (1 + np.exp(-z["i"])))
        o = node("o", t, 1 / (1 + np.exp(-z["o"])))
        fg = node("f", t, 1 / (1 + np.exp(-z["f"])))
        c = node("c", t, fg * c + i * np.tanh(z["c"]))
        h = node("h", t, o * np.tanh(c) if p["convention"] == "standard" else o * c)
        if p["loss"] == "dh":
            total += f(p["dh"])[:, t - 1] @ h
        else:
            total += 0.5 * np.sum((h - f(p["y"])[:, t - 1]) ** 2)
    return total


def random_params(rng: random.Random, H: int, D: int, T: int, convention: str, loss: str) -> dict:
    def r():
        return Fraction(rng.randint(-15, 15), 10)

    p = {"x": [[r() for _ in range(T)] for _ in range(D)], "convention": convention, "loss": loss,
         "c0": [r() for _ in range(H)], "h0": [r() for _ in range(H)]}
    for g in GATES:
        p[f"w_{g}"] = [[r() for _ in range(D)] for _ in range(H)]
        p[f"u_{g}"] = [[r() for _ in range(H)] for _ in range(H)]
        p[f"b_{g}"] = [r() for _ in range(H)]
    p["dh" if loss == "dh" else "y"] = [[r() for _ in range(T)] for _ in range(H)]
    return p


CASES = [(1, 1, 1, "ece417", "mse"), (1, 1, 3, "standard", "mse"), (1, 1, 3, "ece417", "dh"),
         (2, 1, 2, "standard", "dh"), (2, 2, 3, "ece417", "mse"), (3, 2, 2, "standard", "mse")]


@pytest.mark.parametrize("H,D,T,convention,loss", CASES)
def test_random_instances_match_finite_differences(H, D, T, convention, loss):
    rng = random.Random(f"{H}{D}{T}{convention}{loss}")
    given = random_params(rng, H, D, T, convention, loss)
    key = key_from("lstm.bptt", given)  # refuses the variant if SymPy and NumPy disagree
    p = key.variant.params
    assert {k: p[k] for k in given} == given  # the user's numbers are used as given
    for k, name in ((k, n) for k in range(H) for n in SEQ):
        node = name[-1]
        got = arr(key.parts[name].exact)
        for t in range(1, T + 1):
            fd = central(lambda e, node=node, t=t, k=k: ref_loss(p, (node, t, k), e))
            assert got[k, t - 1] == pytest.approx(fd, rel=1e-6, abs=1e-7), (name, t, k)
    for g in GATES:
        got = arr(key.parts[f"grad_{g}"].exact)
        assert got.shape == (H, D + H + 1)
        for k in range(H):
            entries = [(f"w_{g}", j) for j in range(D)] + [(f"u_{g}", m) for m in range(H)] + [(f"b_{g}", None)]
            for col_, (name, j) in enumerate(entries):
                def bumped(e, name=name, j=j, k=k):
                    q = {n: (np.array(v, dtype=float) if isinstance(v, list) else v) for n, v in p.items()}
                    if j is None:
                        q[name][k] += e
                    else:
                        q[name][k, j] += e
                    return ref_loss(q)

                assert got[k, col_] == pytest.approx(central(bumped), rel=1e-6, abs=1e-7), (g, k, name, j)
    # The plain-Python recursion that vets exam draws agrees with the key too.
    plain = L.lstm_backward(p, L.lstm_forward(p, Calc()))
    for name in SEQ:
        assert np.allclose(np.array(plain[name], dtype=float).T, arr(key.parts[name].exact), rtol=1e-9, atol=1e-12)
    for g in GATES:
        assert np.allclose(np.array(plain[f"grad_{g}"], dtype=float), arr(key.parts[f"grad_{g}"].exact), atol=1e-12)


@pytest.mark.parametrize("convention", ["ece417", "standard"])
def test_forward_matches_reference(convention):
    rng = random.Random(convention)
    given = random_params(rng, 2, 2, 3, convention, "mse")
    del given["loss"], given["y"]
    key = key_from("lstm.forward", given)
    p = key.variant.params
    c, h = np.array(p["c0"], dtype=float), np.array(p["h0"], dtype=float)
    x = np.array(p["x"], dtype=float)
    for t in range(3):
        z = {g: np.array(p[f"w_{g}"], dtype=float) @ x[:, t] + np.array(p[f"u_{g}"], dtype=float) @ h
             + np.array(p[f"b_{g}"], dtype=float) for g in GATES}
        s = {g: 1 / (1 + np.exp(-z[g])) for g in "iof"}
        c = s["f"] * c + s["i"] * np.tanh(z["c"])
        h = s["o"] * (np.tanh(c) if convention == "standard" else c)
        for name, v in (("i", s["i"]), ("o", s["o"]), ("f", s["f"]), ("c", c), ("h", h)):
            assert np.allclose(arr(key.parts[name].exact)[:, t], v, rtol=1e-12), (name, t)


# ----------------------------------------------------------------------------
# Worked by hand.
# ----------------------------------------------------------------------------
def test_hand_worked_ece417():
    """T = 2, one unit, h = o·c, ∂L/∂h = dh = [0, 1].

    Every pre-activation is 0 (t = 1: x[1] = 0 and h[0] = 0; t = 2: x[2] = 1 and w = −u/2 with
    h[1] = 1/2), so every gate is 1/2 and g[1] = g[2] = tanh 0 = 0.
    Forward: c[1] = ½·2 + ½·0 = 1, h[1] = ½·1 = ½; c[2] = ½·1 = ½, h[2] = ¼.
    t = 2: dL/dh[2] = 1; dL/dc[2] = 1·o[2] = ½; dL/do[2] = 1·c[2] = ½; dL/di[2] = ½·g[2] = 0;
           dL/df[2] = ½·c[1] = ½.
    t = 1: dL/dh[1] = 0 + u_i·0·¼ + u_o·½·¼ + u_f·½·¼ + u_c·½·i[2](1 − g[2]²)
                    = 0 − ¼ + ½ + ½ = ¾            (u_i = 2, u_o = −2, u_f = 4, u_c = 2)
           dL/dc[1] = ¾·o[1] + dL/dc[2]·f[2] = 3/8 + 1/4 = 5/8; dL/do[1] = ¾·c[1] = ¾;
           dL/di[1] = 5/8·g[1] = 0; dL/df[1] = 5/8·c[0] = 5/4.
    Weights: dz = dL/dξ·¼ for the gates, dL/dc·½·(1 − g²) for the candidate; [x, h[t−1], 1] is
    [0, 0, 1] at t = 1 and [1, ½, 1] at t = 2:
      o: dz = [3/16, 1/8] → [1/8, 1/16, 5/16];  f: dz = [5/16, 1/8] → [1/8, 1/16, 7/16];
      c: dz = [5/16, 1/4] → [1/4, 1/8, 9/16];   i: dz = [0, 0] → [0, 0, 0].
    """
    key = key_of("lstm.bptt", x="[0, 1]", c0=2, h0=0, convention="ece417", dh="[0, 1]",
                 w_i=-1, u_i=2, b_i=0, w_o=1, u_o=-2, b_o=0, w_f=-2, u_f=4, b_f=0, w_c=-1, u_c=2, b_c=0)
    want = {"dLdh": [[3 / 4, 1]], "dLdc": [[5 / 8, 1 / 2]], "dLdo": [[3 / 4, 1 / 2]], "dLdi": [[0, 0]],
            "dLdf": [[5 / 4, 1 / 2]], "grad_i": [[0, 0, 0]], "grad_o": [[1 / 8, 1 / 16, 5 / 16]],
            "grad_f": [[1 / 8, 1 / 16, 7 / 16]], "grad_c": [[1 / 4, 1 / 8, 9 / 16]]}
    for name, v in want.items():
        assert np.allclose(arr(key.parts[name].exact), v, atol=1e-12), name
        assert grade(key, name, text(v, "matrix")).status == "correct"


def test_hand_worked_standard():
    """T = 2, one unit, h = o·tanh c, c[0] = h[0] = 0, x = [0, 1], ∂L/∂h = dh = [0, 1].

    w_c = 1 and every other w and b is 0, so all gates are ½ (their pre-activations only read h,
    and h[1] = 0); g[1] = 0, g[2] = tanh 1 =: τ.
    Forward: c[1] = 0, h[1] = 0; c[2] = ½τ, h[2] = ½ tanh(½τ) = ½κ with κ := tanh(τ/2).
    t = 2: dL/dh[2] = 1; dL/dc[2] = o[2](1 − κ²) = (1 − κ²)/2; dL/do[2] = tanh c[2] = κ;
           dL/di[2] = dL/dc[2]·τ; dL/df[2] = dL/dc[2]·c[1] = 0.
    t = 1: dL/dh[1] = u_i·dL/di[2]·¼ + u_o·κ·¼ + u_f·0 + u_c·dL/dc[2]·½·(1 − τ²)
           with u_i = 2, u_o = −2, u_f = 4, u_c = 2;
           dL/dc[1] = dL/dh[1]·½·(1 − tanh² 0) + dL/dc[2]·½; dL/do[1] = dL/di[1] = dL/df[1] = 0
           (tanh c[1] = 0, g[1] = 0, c[0] = 0).
    Weights (h[0] = h[1] = 0, so every dL/du is 0; x[1] = 0): dL/dw_ξ = dL/db_ξ at t = 2 alone for the
    gates; the candidate's dL/db_c adds t = 1's dL/dc[1]·½.
    """
    key = key_of("lstm.bptt", x="[0, 1]", c0=0, h0=0, convention="standard", dh="[0, 1]",
                 w_i=0, u_i=2, b_i=0, w_o=0, u_o=-2, b_o=0, w_f=0, u_f=4, b_f=0, w_c=1, u_c=2, b_c=0)
    tau = math.tanh(1)
    kappa = math.tanh(tau / 2)
    dc2 = (1 - kappa**2) / 2
    di2 = dc2 * tau
    dh1 = 2 * di2 / 4 - 2 * kappa / 4 + 2 * dc2 * 0.5 * (1 - tau**2)
    dc1 = dh1 * 0.5 + dc2 * 0.5
    want = {"dLdh": [[dh1, 1]], "dLdc": [[dc1, dc2]], "dLdo": [[0, kappa]], "dLdi": [[0, di2]], "dLdf": [[0, 0]],
            "grad_i": [[di2 / 4, 0, di2 / 4]], "grad_o": [[kappa / 4, 0, kappa / 4]], "grad_f": [[0, 0, 0]],
            "grad_c": [[dc2 * 0.5 * (1 - tau**2), 0, dc1 * 0.5 + dc2 * 0.5 * (1 - tau**2)]]}
    for name, v in want.items():
        assert np.allclose(arr(key.parts[name].exact), v, atol=1e-12), name


def test_forward_hand_worked():
    """One unit, u = 0, x = [1, 0], c[0] = 1, b = 0 except b_f = 1, all w = 1 (so z = x[t] at t = 1).

    t = 1: i = o = σ(1), f = σ(2), g = tanh 1; c[1] = σ(2)·1 + σ(1)·tanh 1.
    t = 2: i = o = ½, f = σ(1), g = 0; c[2] = σ(1)·c[1]; h = o·c (ece417) or o·tanh c (standard).
    """
    s1, s2, t1 = 1 / (1 + math.exp(-1)), 1 / (1 + math.exp(-2)), math.tanh(1)
    c1 = s2 + s1 * t1
    c2 = s1 * c1
    for convention, hf in (("ece417", lambda o, c: o * c), ("standard", lambda o, c: o * math.tanh(c))):
        key = key_of("lstm.forward", x="[1, 0]", c0=1, h0=0, convention=convention, w_i=1, u_i=0, b_i=0,
                     w_o=1, u_o=0, b_o=0, w_f=1, u_f=0, b_f=1, w_c=1, u_c=0, b_c=0)
        want = {"i": [[s1, 0.5]], "o": [[s1, 0.5]], "f": [[s2, s1]], "c": [[c1, c2]], "h": [[hf(s1, c1), hf(0.5, c2)]]}
        for name, v in want.items():
            assert np.allclose(arr(key.parts[name].exact), v, atol=1e-12), (convention, name)
        # A closed form is an answer too.
        closed = "[sigma(2) + sigma(1)*tanh(1), sigma(1)*(sigma(2) + sigma(1)*tanh(1))]"
        assert grade(key, "c", closed).status == "correct"


# ----------------------------------------------------------------------------
# Exam draws.
# ----------------------------------------------------------------------------
def _table_rows(prompt: str) -> dict:
    """The printed forward table: step -> {column: value}."""
    lines = prompt.splitlines()
    head_at = next(i for i, ln in enumerate(lines) if ln.strip().startswith("t  x[t]"))
    head = re.split(r"\s{2,}", lines[head_at].strip())
    rows = {}
    for ln in lines[head_at + 2:]:
        cells = re.split(r"\s{2,}", ln.strip())
        if len(cells) != len(head) or not cells[0].isdigit():
            break
        rows[int(cells[0])] = {h: float(v.replace("−", "-")) for h, v in zip(head, cells)}
    zero = re.split(r"\s{2,}", lines[head_at + 1].strip())
    rows[0] = {"c[t]": float(zero[1].replace("−", "-")), "h[t]": float(zero[2].replace("−", "-"))}
    return rows


@pytest.mark.parametrize("seed", range(1, 9))
def test_exam_draws_can_be_worked_from_the_printed_table(seed):
    """A student with only the prompt's (rounded) table gets every numeric part accepted."""
    key = key_of("lstm.bptt", seed)
    v = key.variant
    p = v.params
    assert len(p["c0"]) == 1 and len(p["x"]) == 1 and 1 <= len(p["x"][0]) <= 3
    rows = _table_rows(v.prompt)
    T, std = len(p["x"][0]), p["convention"] == "standard"
    u = {g: float(p[f"u_{g}"][0][0]) for g in GATES}
    val = lambda name, t: rows[t][f"{name}[t]"]  # noqa: E731
    dh, dc, do, di, df = ({} for _ in range(5))
    for t in range(T, 0, -1):
        d = rows[t]["∂L/∂h[t] = dh[t]"] if p["loss"] == "dh" else val("h", t) - rows[t]["y[t]"]
        if t < T:
            for g, store in (("i", di), ("o", do), ("f", df)):
                s = val(g, t + 1)
                d += u[g] * store[t + 1] * s * (1 - s)
            d += u["c"] * dc[t + 1] * val("i", t + 1) * (1 - val("g", t + 1) ** 2)
        dh[t] = d
        dc[t] = d * (val("o", t) * (1 - rows[t]["tanh c[t]"] ** 2) if std else val("o", t))
        dc[t] += dc[t + 1] * val("f", t + 1) if t < T else 0
        do[t] = d * (rows[t]["tanh c[t]"] if std else val("c", t))
        di[t] = dc[t] * val("g", t)
        df[t] = dc[t] * val("c", t - 1)
    for name, store in (("dLdh", dh), ("dLdc", dc), ("dLdo", do), ("dLdi", di), ("dLdf", df)):
        answer = "[" + ", ".join(f"{store[t]:.6g}" for t in range(1, T + 1)) + "]"
        assert grade(key, name, answer).status == "correct", (name, answer, v.prompt)


@pytest.mark.parametrize("fid", ["lstm.forward", "lstm.bptt"])
def test_draws_are_exam_sized_and_keys_agree(fid):
    for seed in range(1, 13):
        key = key_of(fid, seed)
        p = key.variant.params
        assert len(p["x"][0]) <= 3 and len(p["c0"]) == 1
        assert "Convention:" in key.variant.prompt
        for kp in key.parts.values():
            assert kp.steps, kp.name  # every part has worked steps


def listed_values(prompt: str) -> dict:
    """The prompt's "Values you may need": (function, argument) -> value."""
    out = {}
    for name, z, v in re.findall(r"(σ|tanh)\(([^)]*)\) = (-?\d+(?:\.\d+)?)", prompt.replace("−", "-")):
        out[(name, Fraction(z))] = float(v)
    return out


def test_forward_draws_can_be_worked_from_the_listed_values():
    """With zero recurrent weights, every σ and tanh a student needs is listed (to 4 decimals), and
    the forward pass worked from those values (tanh c[t] in closed form) is accepted."""
    checked = 0
    for seed in range(1, 13):
        key = key_of("lstm.forward", seed)
        p = key.variant.params
        if any(p[f"u_{g}"] != [[0]] for g in GATES):
            continue
        listed = listed_values(key.variant.prompt)

        def look(name, z, listed=listed, seed=seed, key=key):
            if z == 0:
                return 0.5 if name == "σ" else 0.0
            assert (name, z) in listed, (seed, name, z, key.variant.prompt)
            exact = 1 / (1 + math.exp(-z)) if name == "σ" else math.tanh(z)
            assert listed[(name, z)] == pytest.approx(exact, abs=5e-5)
            return listed[(name, z)]

        c = float(p["c0"][0])
        cs, hs = [], []
        for t in range(len(p["x"][0])):
            z = {g: p[f"w_{g}"][0][0] * p["x"][0][t] + p[f"b_{g}"][0] for g in GATES}
            i, o, f = (look("σ", z[g]) for g in "iof")
            c = f * c + i * look("tanh", z["c"])
            cs.append(c)
            hs.append(o * (math.tanh(c) if p["convention"] == "standard" else c))
        for name, vals in (("c", cs), ("h", hs)):
            assert grade(key, name, "[" + ", ".join(f"{v:.6g}" for v in vals) + "]").status == "correct", seed
        checked += 1
    assert checked >= 3  # enough draws have zero recurrent weights to make this a test


# ----------------------------------------------------------------------------
# Mistakes.
# ----------------------------------------------------------------------------
@cache
def mistake_keys(fid: str) -> tuple:
    keys = [key_of(fid, s) for s in (1, 2, 3, 4)]
    keys.append(key_of(fid, 5, convention="standard"))
    keys.append(key_of(fid, 6, convention="ece417"))
    return tuple(keys)


test_each_declared_mistake_is_recognised, test_the_key_itself_is_accepted = declared_mistake_tests(
    ("lstm.forward", "lstm.bptt"), mistake_keys, accepted=3)


def test_rules_typed_by_hand():
    key = key_of("lstm.bptt", 1, convention="ece417")
    assert grade(key, "dLdc_rule", "dLdh*o + dLdc_next*f_next").status == "correct"
    assert grade(key, "dLdc_rule", "dLdh*o + dLdc_next*f").mistake == "f-current"
    assert grade(key, "dLdc_rule", "dLdh*o").mistake == "c-path-forgotten"
    assert grade(key, "dLdc_rule", "dLdh*o*(1 - tanh(c)^2) + dLdc_next*f_next").mistake == "wrong-convention"
    key = key_of("lstm.bptt", 1, convention="standard")
    assert grade(key, "dLdc_rule", "dLdh*o*(1-tanh(c)^2) + f_next*dLdc_next").status == "correct"
    assert grade(key, "dLdc_rule", "dLdh*o + dLdc_next*f_next").mistake == "wrong-convention"
    right = ("dh + di_next*i_next*(1-i_next)*u_i + do_next*o_next*(1-o_next)*u_o + df_next*f_next*(1-f_next)*u_f"
             " + dc_next*i_next*(1-g_next^2)*u_c")
    assert grade(key, "dLdh_rule", right).status == "correct"
    tanh_for_sigma = ("dh + di_next*(1-i_next^2)*u_i + do_next*(1-o_next^2)*u_o + df_next*(1-f_next^2)*u_f"
                      " + dc_next*i_next*(1-g_next^2)*u_c")
    assert grade(key, "dLdh_rule", tanh_for_sigma).mistake == "tanh-prime-for-sigma"
    assert grade(key, "dLdh_rule", "dh").mistake == "h-path-forgotten"


def test_named_mistakes_on_the_hand_worked_instance():
    """The ECE 417 instance of test_hand_worked_ece417, with each slip worked by hand."""
    key = key_of("lstm.bptt", x="[0, 1]", c0=2, h0=0, convention="ece417", dh="[0, 1]",
                 w_i=-1, u_i=2, b_i=0, w_o=1, u_o=-2, b_o=0, w_f=-2, u_f=4, b_f=0, w_c=-1, u_c=2, b_c=0)
    # Without dL/dc[2]·f[2]: dL/dc[1] = ¾·½ = 3/8.
    assert grade(key, "dLdc", "[3/8, 1/2]").mistake == "c-path-forgotten"
    # dL/dh[1] = ∂L/∂h[1] = 0 alone; then dL/dc[1] = 0 + ½·½.
    assert grade(key, "dLdh", "[0, 1]").mistake == "h-path-forgotten"
    # dL/df[t] = dL/dc[t]·c[t], carried through consistently: dL/df[2] = ½·c[2] = ¼; that changes
    # dL/dh[1] = −¼ + 4·¼·¼ + ½ = ½, so dL/dc[1] = ½·½ + ½·½ = ½ and dL/df[1] = ½·c[1] = ½.
    assert grade(key, "dLdf", "[1/2, 1/4]").mistake == "df-uses-c-t"
    # The standard ∂h/∂c with these forward values: dL/dc[2] = ½(1 − tanh²(½)).
    v = grade(key, "dLdc", text(key.mistakes["wrong-convention"]["dLdc"], "matrix"))
    assert v.mistake == "wrong-convention" and "ECE 417" in v.feedback


# ----------------------------------------------------------------------------
# Bad overrides: one line, exit code 2.
# ----------------------------------------------------------------------------
test_bad_overrides = bad_overrides_test([
    (["show", "lstm.bptt", "x=[1,2,3]", "y=[0,1]"], ["y has 2 time steps", "x has 3 time steps"]),
    (["show", "lstm.bptt", "x=[1,2]", "dh=[1,0,1]"], ["dh has 3 time steps", "x has 2"]),
    (["solve", "lstm.bptt", "y=[1,2]", "dh=[1,0]"], ["not both"]),
    (["show", "lstm.bptt", "loss=mse", "dh=[1,0]"], ["loss=mse"]),
    (["show", "lstm.bptt", "u_i=[[1,0],[0,1]]", "b_i=[1]"], ["u_i has 2 rows", "b_i has 1 entry", "hidden size"]),
    (["show", "lstm.forward", "w_o=[[1],[2]]", "u_o=0.5"], ["w_o has 2 rows", "u_o has 1 row"]),
    (["show", "lstm.forward", "u_f=[1,2]"], ["u_f has 2 columns", "hidden size"]),
    (["show", "lstm.forward", "x=[[1,2],[3,4]]", "w_i=1"], ["w_i has 1 column", "x has 2 rows"]),
    (["solve", "lstm.bptt", "convention=keras"], ["convention must be one of ece417, standard"]),
    (["show", "lstm.forward", "c0=[1,2,3,4]", "h0=[0,0,0,0]"], ["at most 3"]),
    (["check", "lstm.bptt", "x=[1,2]", "y=[1,2,3]", "-p", "dLdh", "-a", "[1,2]"], ["y has 3 time steps"]),
])


def test_cli_solve_and_check():
    solve_then_check("lstm.bptt", 1, "dLdc")


# ----------------------------------------------------------------------------
# Slips that only show with two or more hidden units (u_ξ used untransposed, dL/du_ξ written
# transposed): a 1×1 u_ξ is its own transpose, and the exam draws are scalar.  The declared-mistake
# tests above are re-bound to the same checks over these keys plus two-unit instances.
# ----------------------------------------------------------------------------
@cache
def mistake_keys_with_two_units(fid: str) -> tuple:
    return mistake_keys(fid) + (key_of(fid, 7, c0="[0.5, 1]", convention="standard"),
                                key_of(fid, 8, c0="[1, -0.5]", convention="ece417"))


test_each_declared_mistake_is_recognised, test_the_key_itself_is_accepted = declared_mistake_tests(
    ("lstm.forward", "lstm.bptt"), mistake_keys_with_two_units, accepted=3)


def test_transposition_slips_need_two_units():
    for key in mistake_keys("lstm.bptt"):  # one unit: never offered (the key drops a coinciding value)
        assert not any(m in ("u-not-transposed", "u-grad-transposed") for m in key.mistakes
                       for part in key.parts if part in key.mistakes[m]), key.variant.seed
    wide = mistake_keys_with_two_units("lstm.bptt")[-2]
    assert {"dLdh", "grad_i"} <= set(wide.mistakes["u-not-transposed"])
    assert set(wide.mistakes["u-grad-transposed"]) >= {"grad_i", "grad_o", "grad_f", "grad_c"}
