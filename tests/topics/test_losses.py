"""loss.bce, loss.ce, loss.mse, loss.hinge, loss.regularization: keys, gradients, mistakes, bad input."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest

from nncheck.key.grade import grade
from nncheck.kinds.values import to_float
from topics import helpers
from topics.helpers import key_of, mistake_recognised, one_line_error, part_floats, record

FAMILIES = ["loss.bce", "loss.ce", "loss.mse", "loss.hinge", "loss.regularization"]
SEEDS = range(1, 41)
drawn_keys = partial(helpers.drawn_keys, seeds=SEEDS)


def text(value) -> str:
    """A key or mistake value written in the answer language (full float precision)."""
    if isinstance(value, (bool, str)):
        return str(value)
    if hasattr(value, "shape") and len(value.shape) == 2 and not hasattr(value, "tolist"):
        value = value.tolist()
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list):
        if value and isinstance(value[0], list):
            return "[" + ", ".join("[" + ", ".join(repr(to_float(x)) for x in r) + "]" for r in value) + "]"
        return "[" + ", ".join(repr(to_float(x)) for x in value) + "]"
    return repr(to_float(value))


def values(key, part):
    return np.array(part_floats(key, part))


# ----------------------------------------------------------------------------
# Every random instance: the two computations agree and the key renders.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("fid", FAMILIES)
def test_random_instances_cross_check(fid):
    keys = drawn_keys(fid)
    assert len(keys) == len(SEEDS)
    for key in keys:
        data = key.to_json()
        assert data["checked"]["sympy_vs_numpy"] is True
        for part in data["parts"]:
            assert part["solution"], f"{fid} seed {key.variant.seed}: part {part['name']} has no worked steps"


@pytest.mark.parametrize("fid", FAMILIES)
def test_correct_answers_are_accepted(fid):
    for key in drawn_keys(fid)[:12]:
        for part in key.variant.parts:
            v = grade(key, part["name"], text(key.part(part["name"]).exact))
            assert v.status == "correct", (fid, key.variant.seed, part["name"], v.feedback)


@pytest.mark.parametrize("fid", FAMILIES)
def test_prompt_states_the_convention(fid):
    for key in drawn_keys(fid)[:6]:
        prompt = key.variant.prompt
        conv = key.variant.params.get("convention")
        if fid == "loss.mse":
            assert {"half-mean": "1/(2n)", "mean": "(1/n)", "half-sum": "½ Σ"}[conv] in prompt
        elif fid == "loss.regularization":
            assert ("no ½" in prompt or "½‖W‖²" in prompt or "L1" in prompt)
        else:
            assert ("(1/n)" in prompt or "(1/N)" in prompt) if conv == "mean" else "summed" in prompt
        if fid == "loss.hinge":
            assert "exactly 0" in prompt and "Δ = 1" in prompt


# ----------------------------------------------------------------------------
# Gradients against central finite differences of independently written forward losses.
# ----------------------------------------------------------------------------
H = 1e-6


def fd(f, x: np.ndarray) -> np.ndarray:
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        up, dn = x.copy(), x.copy()
        up[idx] += H
        dn[idx] -= H
        g[idx] = (f(up) - f(dn)) / (2 * H)
    return g


def close(a, b, tol=1e-5):
    return np.allclose(np.asarray(a, float).ravel(), np.asarray(b, float).ravel(), rtol=tol, atol=tol)


def _c(p, n):
    return 1.0 / n if p["convention"] == "mean" else 1.0


@pytest.mark.parametrize("seed", range(1, 21))
def test_bce_gradients_match_finite_differences(seed):
    key = drawn_keys("loss.bce")[seed - 1]
    p = key.variant.params
    y = np.array(p["y"], float)
    yh = np.array([float(v) for v in p["yhat"]])
    c = _c(p, len(y))

    def loss(q):
        return -c * np.sum(y * np.log(q) + (1 - y) * np.log(1 - q))

    xi = np.log(yh / (1 - yh))
    assert math.isclose(to_float(key.part("L").exact), loss(yh), rel_tol=1e-12)
    assert close(values(key, "dyhat"), fd(loss, yh))
    assert close(values(key, "dxi"), fd(lambda z: loss(1 / (1 + np.exp(-z))), xi))


@pytest.mark.parametrize("seed", range(1, 21))
def test_ce_gradients_match_finite_differences(seed):
    key = drawn_keys("loss.ce")[seed - 1]
    p = key.variant.params
    Y = np.array(p["y"], float)
    P = np.array([[float(v) for v in r] for r in p["yhat"]])
    c = _c(p, len(Y))

    def loss(q):
        return -c * np.sum(Y * np.log(q))

    def softmax(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    assert math.isclose(to_float(key.part("L").exact), loss(P), rel_tol=1e-12)
    assert close(values(key, "dyhat"), fd(loss, P))
    assert close(values(key, "dxi"), fd(lambda z: loss(softmax(z)), np.log(P)))


@pytest.mark.parametrize("seed", range(1, 21))
def test_mse_gradient_matches_finite_differences(seed):
    key = drawn_keys("loss.mse")[seed - 1]
    p = key.variant.params
    Y = np.array([[float(v) for v in r] for r in p["y"]])
    P = np.array([[float(v) for v in r] for r in p["yhat"]])
    n = len(Y)
    c = {"half-mean": 1 / (2 * n), "mean": 1 / n, "half-sum": 0.5}[p["convention"]]

    def loss(q):
        return c * np.sum((Y - q) ** 2)

    assert math.isclose(to_float(key.part("L").exact), loss(P), rel_tol=1e-12, abs_tol=1e-12)
    assert close(values(key, "dyhat"), fd(loss, P))


@pytest.mark.parametrize("seed", range(1, 31))
def test_hinge_gradient_matches_finite_differences_away_from_kinks(seed):
    key = drawn_keys("loss.hinge")[seed - 1]
    p = key.variant.params
    S = np.array([[float(v) for v in r] for r in p["s"]])
    y = np.array(p["y"]) - 1
    delta = float(p["delta"])
    c = _c(p, len(S))

    def per_example(s):
        out = []
        for i, row in enumerate(s):
            out.append(sum(max(0.0, row[j] - row[y[i]] + delta) for j in range(len(row)) if j != y[i]))
        return np.array(out)

    def loss(s):
        return c * per_example(s).sum()

    assert close(values(key, "Li"), per_example(S), 1e-12)
    grad, got = fd(loss, S), values(key, "ds").reshape(S.shape)
    for i, row in enumerate(S):
        margins = [row[j] - row[y[i]] + delta for j in range(len(row)) if j != y[i]]
        if any(abs(m) < 1e-3 for m in margins):
            # At a kink the two-sided difference averages two slopes.  The stated tie rule treats a zero
            # margin as inactive: that is the slope just after raising s_{yᵢ} a little (margins drop below 0).
            nudged = S.copy()
            nudged[i, y[i]] += 1e-4
            assert close(got[i], fd(loss, nudged)[i]), (seed, i)
            continue
        assert close(got[i], grad[i]), (seed, i)


@pytest.mark.parametrize("seed", range(1, 31))
def test_regularization_gradient_matches_finite_differences(seed):
    key = drawn_keys("loss.regularization")[seed - 1]
    p = key.variant.params
    W = np.array([[float(v) for v in r] for r in p["W"]])
    lam = float(p["lambda"])
    if p["norm"] == "L1":
        reg = lambda w: np.abs(w).sum()  # noqa: E731
    elif p["convention"] == "16-785":
        reg = lambda w: 0.5 * (w ** 2).sum()  # noqa: E731
    else:
        reg = lambda w: (w ** 2).sum()  # noqa: E731
    assert math.isclose(to_float(key.part("R").exact), reg(W), abs_tol=1e-12)
    assert math.isclose(to_float(key.part("penalty").exact), lam * reg(W), abs_tol=1e-12)
    got, grad = values(key, "dW").reshape(W.shape), fd(lambda w: lam * reg(w), W)
    mask = W != 0  # |w| has no derivative at 0; the key takes the stated subgradient 0 there
    assert close(got[mask], grad[mask])
    assert np.all(got[~mask] == 0)


# ----------------------------------------------------------------------------
# Hand-worked examples.
# ----------------------------------------------------------------------------
def test_bce_hand_example():
    # L = −(ln 0.8 + ln 0.5)/2; ∂L/∂ŷ = −½(1/0.8, −1/0.5); ∂L/∂ξ = −½(1 − 0.8, 0 − 0.5).
    key = key_of("loss.bce", y="[1,0]", yhat="[0.8,0.5]", convention="mean")
    assert math.isclose(to_float(key.part("L").exact), -(math.log(0.8) + math.log(0.5)) / 2)
    assert close(values(key, "dyhat"), [-0.625, 1.0], 1e-12)
    assert close(values(key, "dxi"), [-0.1, 0.25], 1e-12)
    assert grade(key, "L", "-(ln(4/5) + ln(1/2))/2").status == "correct"
    assert grade(key, "dxi", "[-0.1, 0.25]").status == "correct"
    steps = " ".join(key.part("L").steps)
    assert "ln 0.8" in steps and "ln 0.5" in steps


def test_ce_hand_example():
    key = key_of("loss.ce", y="[0,1,0]", yhat="[0.25,0.5,0.25]", convention="mean")
    assert math.isclose(to_float(key.part("L").exact), math.log(2))
    assert close(values(key, "dyhat"), [0, -2, 0], 1e-12)
    assert close(values(key, "dxi"), [0.25, -0.5, 0.25], 1e-12)
    assert grade(key, "L", "ln(2)").status == "correct"


def test_mse_hand_example_ece417():
    # L = 1/(2·2)((1 − 0.5)² + (0 − 1)²) = 1.25/4; ∂L/∂ŷ = (ŷ − y)/n.
    key = key_of("loss.mse", y="1; 0", yhat="0.5; 1", convention="half-mean")
    assert math.isclose(to_float(key.part("L").exact), 0.3125)
    assert close(values(key, "dyhat"), [-0.25, 0.5], 1e-12)
    key = key_of("loss.mse", y="1; 0", yhat="0.5; 1", convention="mean")
    assert math.isclose(to_float(key.part("L").exact), 0.625)
    assert close(values(key, "dyhat"), [-0.5, 1.0], 1e-12)


def test_hinge_cs231n_lecture_example():
    # CS231n's cat/car/frog scores: L₁ = 2.9, L₂ = 0, L₃ = 12.9, L = 15.8/3.
    key = key_of("loss.hinge", s="3.2, 5.1, -1.7; 1.3, 4.9, 2.0; 2.2, 2.5, -3.1", y="[1,2,3]")
    assert close(values(key, "Li"), [2.9, 0, 12.9], 1e-12)
    assert math.isclose(to_float(key.part("L").exact), 15.8 / 3)
    assert close(values(key, "ds"), np.array([[-1, 1, 0], [0, 0, 0], [1, 1, -2]]) / 3, 1e-12)


def test_hinge_tie_rule_margin_exactly_zero():
    # s₂ − s₁ + 1 = 0 exactly: no loss and no gradient from that term.
    key = key_of("loss.hinge", s="2, 1, 3", y="[1]", convention="sum")
    assert close(values(key, "Li"), [2], 1e-12)
    assert close(values(key, "ds"), [-1, 0, 1], 1e-12)
    v = grade(key, "ds", "[-2, 1, 1]")
    assert v.status == "incorrect" and v.mistake == "tie-counted"


def test_regularization_hand_examples():
    W = "1, -2; 0, 3"
    key = key_of("loss.regularization", W=W, **{"lambda": "0.1"}, norm="L2", convention="cs231n")
    assert to_float(key.part("R").exact) == 14 and math.isclose(to_float(key.part("penalty").exact), 1.4)
    assert close(values(key, "dW"), [0.2, -0.4, 0, 0.6], 1e-12)
    key = key_of("loss.regularization", W=W, **{"lambda": "0.1"}, norm="L2", convention="16-785")
    assert to_float(key.part("R").exact) == 7 and close(values(key, "dW"), [0.1, -0.2, 0, 0.3], 1e-12)
    key = key_of("loss.regularization", W=W, **{"lambda": "0.1"}, norm="L1", convention="cs231n")
    assert to_float(key.part("R").exact) == 6 and close(values(key, "dW"), [0.1, -0.1, 0, 0.1], 1e-12)


# ----------------------------------------------------------------------------
# Every declared mistake is recognised when its value is submitted.
# ----------------------------------------------------------------------------
EXTRA = {  # instances that make rarer mistakes visible, besides the random draws
    "loss.hinge": [dict(s="2, 1, 3", y="[1]"), dict(s="0, 2, 2; 1, 3, -1", y="[1, 3]", convention="sum")],
    "loss.regularization": [dict(W="1, -2; 0, 3", norm="L1", convention="cs231n", **{"lambda": "0.5"})],
}


def declared(fid):
    return [m["id"] for m in record(fid).get("mistakes", [])]


def recognised(fid, mid) -> bool:
    candidates = list(drawn_keys(fid)) + [key_of(fid, **o) for o in EXTRA.get(fid, [])]
    return mistake_recognised(candidates, mid, text)


@pytest.mark.parametrize("fid,mid", [(f, m) for f in FAMILIES for m in declared(f)])
def test_each_declared_mistake_is_recognised(fid, mid):
    assert recognised(fid, mid), f"{fid}: mistake {mid} never recognised"


def test_named_mistakes_on_fixed_instances():
    key = key_of("loss.bce", y="[1,0]", yhat="[0.8,0.5]", convention="mean")
    assert grade(key, "L", repr(-(math.log(0.8) + math.log(0.5)))).mistake == "dropped-1-over-n"
    assert grade(key, "dxi", "[-0.625, 1]").mistake == "chain-rule-skipped"
    key = key_of("loss.regularization", W="1, -2; 0, 3", norm="L1", **{"lambda": "0.1"})
    assert grade(key, "dW", "[[0.2, -0.4], [0, 0.6]]").mistake == "l1-gradient-2w"
    assert grade(key, "dW", "[[1, -1], [0, 1]]").mistake == "lambda-forgotten"
    key = key_of("loss.hinge", s="3.2, 5.1, -1.7", y="[1]", convention="sum")
    assert grade(key, "L", "3.9").mistake == "correct-class-included"


# ----------------------------------------------------------------------------
# Bad overrides: one clear line, exit code 2.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("args,fragments", [
    (["loss.bce", "yhat=[0.5,1]"], ["yhat₂ = 1", "(0, 1)"]),
    (["loss.bce", "yhat=[0.5,0]", "y=[1,0]"], ["yhat₂ = 0", "(0, 1)"]),
    (["loss.bce", "y=[1,0]", "yhat=[0.5,0.2,0.3]"], ["y has 2 entries but yhat has 3"]),
    (["loss.bce", "y=[2,0]"], ["y must be at most 1"]),
    (["loss.ce", "y=[1,1,0]"], ["not one-hot"]),
    (["loss.ce", "y=[0,0,0]", "yhat=[0.5,0.25,0.25]"], ["not one-hot"]),
    (["loss.ce", "y=[1,0,0]", "yhat=[0.5,0.3,0.1]"], ["sums to 0.9"]),
    (["loss.ce", "y=[1,0]", "yhat=[0.5,0.25,0.25]"], ["y is 1×2 but yhat is 1×3"]),
    (["loss.mse", "y=[[1,2]]", "yhat=[[1,2,3]]"], ["y is 1×2 but yhat is 1×3"]),
    (["loss.mse", "convention=average"], ["convention must be one of half-mean, mean, half-sum"]),
    (["loss.hinge", "s=1,2,3", "y=[4]"], ["y₁ = 4 is not a class"]),
    (["loss.hinge", "s=1,2,3; 2,3,4", "y=[1]"], ["s has 2 rows", "y has 1 labels"]),
    (["loss.regularization", "lambda=-1"], ["lambda must be at least 0"]),
    (["loss.regularization", "norm=L3"], ["norm must be one of L2, L1"]),
])
def test_bad_overrides_one_line_exit_2(args, fragments):
    one_line_error(["show", *args], *fragments)
