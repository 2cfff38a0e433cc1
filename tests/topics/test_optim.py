"""optim.step: SGD, momentum, AdaGrad, RMSProp and Adam as CS231n §7.1 writes them (Newton: test_optim_newton)."""

from __future__ import annotations

import math
from functools import cache, partial

import numpy as np
import pytest

from nncheck.generate.variant import build_variant
from nncheck.key.compute import answer_key
from nncheck.key.grade import grade
from nncheck.kinds.values import flat_shape, to_float
from topics import helpers
from topics.helpers import mistake_recognised, one_line_error
from topics.helpers import part_floats as vec

FID = "optim.step"
OPTIMIZERS = ["sgd", "momentum", "adagrad", "rmsprop", "adam"]
record = partial(helpers.record, FID)
key_of = partial(helpers.key_of, FID, 1)


@cache
def keys_for(optimizer: str | None, f: str | None = None) -> tuple:
    given = {}
    if optimizer:
        given["optimizer"] = optimizer
    if f:
        given["f"] = f
    return tuple(answer_key(build_variant(record(), s, dict(given))) for s in range(1, 31))


def text(value) -> str:
    if hasattr(value, "tolist"):
        value = value.tolist()
    flat = flat_shape(value)[0] if isinstance(value, list) else [value]
    return "[" + ", ".join(repr(to_float(x)) for x in flat) + "]"


def reference(p: dict) -> dict:
    """CS231n §7.1 in plain Python floats, one coordinate at a time (a third, independent computation)."""
    opt, T = p["optimizer"], p["steps"]
    alpha, eps = float(p["alpha"]), float(p["eps"])
    inside = p["convention"] == "cs231n"
    out = {"x1": [], "xT": [], "v": [], "g": [], "m": []}
    for i, x in enumerate(float(v) for v in p["x0"]):
        v = g = m = 0.0
        for t in range(1, T + 1):
            dx = float(p["a"][i]) * x if p["f"] == "quadratic" else float(p["grads"][t - 1][i])
            if opt == "sgd":
                x -= alpha * dx
            elif opt == "momentum":
                v = float(p["rho"]) * v + dx
                x -= alpha * v
            elif opt in ("adagrad", "rmsprop"):
                gam = float(p["gamma"])
                g = g + dx * dx if opt == "adagrad" else gam * g + (1 - gam) * dx * dx
                x -= alpha * dx / (math.sqrt(g + eps) if inside else math.sqrt(g) + eps)
            else:
                b1, b2 = float(p["beta1"]), float(p["beta2"])
                m = b1 * m + (1 - b1) * dx
                v = b2 * v + (1 - b2) * dx * dx
                mt, vt = m / (1 - b1 ** t), v / (1 - b2 ** t)
                x -= alpha * mt / (math.sqrt(vt + eps) if inside else math.sqrt(vt) + eps)
            if t == 1:
                out["x1"].append(x)
        out["xT"].append(x)
        out["v"].append(v)
        out["g"].append(g)
        out["m"].append(m)
    return out


# ----------------------------------------------------------------------------
# Random instances.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_random_instances_cross_check_and_match_the_reference(optimizer):
    keys = keys_for(optimizer)
    assert {k.variant.params["optimizer"] for k in keys} == {optimizer}
    for key in keys:
        ref = reference(key.variant.params)
        for part in key.variant.parts:
            assert np.allclose(vec(key, part["name"]), ref[part["name"]], rtol=1e-9, atol=1e-12), \
                (optimizer, key.variant.seed, part["name"])
            assert key.part(part["name"]).steps


def test_free_draws_cover_every_optimizer_and_quadratic_objectives():
    keys = keys_for(None)
    assert {k.variant.params["optimizer"] for k in keys} == set(OPTIMIZERS)
    for opt in ("sgd", "momentum", "adam"):
        for key in keys_for(opt, "quadratic")[:10]:
            ref = reference(key.variant.params)
            assert np.allclose(vec(key, "xT"), ref["xT"], rtol=1e-9)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_parts_asked_follow_the_optimizer(optimizer):
    key = keys_for(optimizer)[0]
    names = {p["name"] for p in key.variant.parts}
    state = {"sgd": set(), "momentum": {"v"}, "adagrad": {"g"}, "rmsprop": {"g"}, "adam": {"m", "v"}}[optimizer]
    assert names - {"x1", "xT"} == state
    assert ("x1" in names) == (key.variant.params["steps"] >= 2)


def test_exam_draws_are_mostly_hand_computable():
    # Square roots of perfect squares give rational answers: most random AdaGrad/RMSProp/Adam draws do.
    rational = total = 0
    for opt in ("adagrad", "rmsprop", "adam"):
        for key in keys_for(opt):
            total += 1
            rational += all(x.is_Rational for x in key.part("xT").exact)
    assert rational / total > 0.6, (rational, total)


@pytest.mark.parametrize("seed", range(1, 11))
def test_quadratic_gradient_matches_finite_differences(seed):
    # One SGD step from x₀ reveals the gradient the key used: ∇f(x₀) = (x₀ − x₁)/α.
    key = answer_key(build_variant(record(), seed, {"optimizer": "sgd", "f": "quadratic", "steps": 1}))
    p = key.variant.params
    a, x0 = np.array([float(v) for v in p["a"]]), np.array([float(v) for v in p["x0"]])
    f = lambda x: 0.5 * np.sum(a * x * x)  # noqa: E731
    h = 1e-6
    fd = np.array([(f(x0 + h * e) - f(x0 - h * e)) / (2 * h) for e in np.eye(len(x0))])
    used = (x0 - np.array(vec(key, "xT"))) / float(p["alpha"])
    assert np.allclose(used, fd, rtol=1e-6)


# ----------------------------------------------------------------------------
# Hand-worked examples.
# ----------------------------------------------------------------------------
def test_sgd_hand_example():
    key = key_of(optimizer="sgd", x0="[1]", grads="2; -1", steps=2, alpha=0.1)
    assert np.allclose(vec(key, "x1"), [0.8]) and np.allclose(vec(key, "xT"), [0.9])


def test_sgd_on_half_square_recomputes_the_gradient():
    # f = ½x², α = 0.5: x₁ = 2 − 0.5·2 = 1, x₂ = 1 − 0.5·1 = 0.5.
    key = key_of(optimizer="sgd", f="quadratic", a="[1]", x0="[2]", steps=2, alpha=0.5)
    assert np.allclose(vec(key, "xT"), [0.5])
    assert grade(key, "xT", "[0]").mistake == "gradient-not-recomputed"


def test_momentum_hand_example():
    # v₁ = 1, x₁ = −0.1; v₂ = 0.9 + 1 = 1.9, x₂ = −0.1 − 0.19 = −0.29.
    key = key_of(optimizer="momentum", x0="[0]", grads="1; 1", steps=2, alpha=0.1, rho=0.9)
    assert np.allclose(vec(key, "xT"), [-0.29]) and np.allclose(vec(key, "v"), [1.9])
    assert grade(key, "xT", "[-0.2]").mistake == "momentum-ignored"
    assert grade(key, "xT", "[-0.1]").mistake == "velocity-lagged"


def test_adagrad_hand_example_and_eps_placement():
    key = key_of(optimizer="adagrad", x0="[0]", grads="3; 4", steps=2, alpha=1, eps=0)
    assert np.allclose(vec(key, "x1"), [-1]) and np.allclose(vec(key, "xT"), [-1.8])
    assert np.allclose(vec(key, "g"), [25])
    # ε inside the root (CS231n): 3/√(9 + 16) = 3/5.  After it (Adam paper): 3/(3 + 16).
    key = key_of(optimizer="adagrad", x0="[0]", grads="3", steps=1, alpha=1, eps=16, convention="cs231n")
    assert np.allclose(vec(key, "xT"), [-0.6])
    assert grade(key, "xT", repr(-3 / 19)).mistake == "eps-outside-sqrt"
    assert "inside the square root" in key.variant.prompt
    key = key_of(optimizer="adagrad", x0="[0]", grads="3", steps=1, alpha=1, eps=16, convention="adam-paper")
    assert np.allclose(vec(key, "xT"), [-3 / 19])
    assert grade(key, "xT", "[-0.6]").mistake == "eps-inside-sqrt"


def test_rmsprop_hand_example():
    # g₁ = 0.25·4 = 1, x₁ = 0 − 1·2/√1 = −2.
    key = key_of(optimizer="rmsprop", x0="[0]", grads="2", steps=1, alpha=1, gamma=0.75, eps=0)
    assert np.allclose(vec(key, "xT"), [-2]) and np.allclose(vec(key, "g"), [1])
    assert grade(key, "g", "[3]").mistake == "decay-swapped"


def test_adam_hand_example_bias_correction():
    # A constant gradient 4: m̃ₜ = 4, ṽₜ = 16 at every step, so each step moves by α = 0.1.
    key = key_of(optimizer="adam", x0="[1]", grads="4; 4", steps=2, alpha=0.1, beta1=0.9, beta2=0.999, eps=0)
    assert np.allclose(vec(key, "x1"), [0.9]) and np.allclose(vec(key, "xT"), [0.8])
    assert np.allclose(vec(key, "m"), [0.4 * 0.9 + 0.4]) and np.allclose(vec(key, "v"), [0.016 * 0.999 + 0.016])
    # Without bias correction the first step is 0.1·0.4/√0.016 ≈ 0.316.
    v = grade(key, "x1", repr(1 - 0.1 * 0.4 / math.sqrt(0.016)))
    assert v.status == "incorrect" and v.mistake == "no-bias-correction"
    assert "m̃₁ = m₁/(1 − 0.9¹)" in " ".join(key.part("xT").steps)


# ----------------------------------------------------------------------------
# Mistakes.
# ----------------------------------------------------------------------------
EXTRA = [dict(optimizer=o, f="quadratic", steps=2) for o in [*OPTIMIZERS, "newton"]] + [
    dict(optimizer="newton", f="given")] + [
    dict(optimizer=o, convention="adam-paper", eps=1) for o in ("adagrad", "rmsprop", "adam")] + [
    dict(optimizer=o, convention="cs231n", eps=1) for o in ("adagrad", "rmsprop", "adam")]


def recognised(mid: str) -> bool:
    candidates = [k for o in OPTIMIZERS for k in keys_for(o)[:15]]
    candidates += [answer_key(build_variant(record(), s, {k: v for k, v in o.items()})) for o in EXTRA
                   for s in range(1, 4)]
    return mistake_recognised(candidates, mid, text, require_incorrect=False)


@pytest.mark.parametrize("mid", [m["id"] for m in record().get("mistakes", [])])
def test_each_declared_mistake_is_recognised(mid):
    assert recognised(mid), mid


def test_correct_answers_are_accepted_in_closed_form():
    key = key_of(optimizer="rmsprop", x0="[1]", grads="3", steps=1, alpha=0.1, gamma=0.9, eps=0)
    assert grade(key, "xT", "[1 - 0.1*3/sqrt(0.9)]").status == "correct"
    for k in keys_for(None)[:15]:
        for part in k.variant.parts:
            assert grade(k, part["name"], text(k.part(part["name"]).exact)).status == "correct"


# ----------------------------------------------------------------------------
# Bad overrides.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("args,fragments", [
    (["optimizer=adamw"], ["optimizer must be one of sgd, momentum, adagrad, rmsprop, adam, newton", "adamw"]),
    (["grads=1,2", "x0=[1]"], ["grads has 2 columns but x0 has 1 entry"]),
    (["f=given", "grads=1; 2; 3", "steps=2"], ["grads has 3 rows (one gradient per step) but steps = 2"]),
    (["f=quadratic", "a=[1,2]", "x0=[1]"], ["a has 2 entries but x0 has 1"]),
    (["optimizer=adam", "beta1=1"], ["beta1 = 1", "below 1"]),
    (["optimizer=adagrad", "grads=0", "x0=[1]", "steps=1", "eps=0"], ["divides by", "= 0"]),
    (["alpha=0"], ["alpha must be positive"]),
    (["steps=11"], ["steps must be at most 10"]),
])
def test_bad_overrides_one_line_exit_2(args, fragments):
    one_line_error(["show", FID, *args], *fragments)
