"""optim.step with optimizer=newton: the CS231n notes' second-order step x − [H f(x)]⁻¹∇f(x) (§7.1).

Keys are computed twice (SymPy with the exact inverse Hessian, NumPy with ``np.linalg.solve``) and
cross-checked by ``answer_key``; these tests add a third computation (``np.linalg.inv``), finite
differences of f for its gradient and Hessian, and the notes' point: on a quadratic, one step lands
on the minimum.
"""

from __future__ import annotations

import json
from functools import cache, partial

import numpy as np
import pytest

from nncheck.cli.app import app
from nncheck.generate.variant import build_variant, make_variant
from nncheck.key.compute import answer_key
from nncheck.key.grade import grade
from nncheck.topics.optim import Step, positive_definite
from topics import helpers
from topics.helpers import one_line_error, runner
from topics.helpers import part_floats as vec

FID = "optim.step"
record = partial(helpers.record, FID)
key_of = partial(helpers.key_of, FID, 1)
HAND = {"optimizer": "newton", "x0": "[1, 2]", "grads": "[[3, 4]]", "H": "[[2, 1], [1, 2]]"}


@cache
def newton_keys(f: str) -> tuple:
    return tuple(answer_key(build_variant(record(), s, {"optimizer": "newton", "f": f})) for s in range(1, 31))


def fd_gradient(f, x, h=1e-5):
    return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(len(x))])


def fd_hessian(f, x, h=1e-4):
    """Second central differences:
    Hᵢⱼ ≈ [f(x + heᵢ + heⱼ) − f(x + heᵢ − heⱼ) − f(x − heᵢ + heⱼ) + f(x − heᵢ − heⱼ)]/4h²."""
    n, E = len(x), np.eye(len(x))
    return np.array([[(f(x + h * E[i] + h * E[j]) - f(x + h * E[i] - h * E[j]) - f(x - h * E[i] + h * E[j])
                       + f(x - h * E[i] - h * E[j])) / (4 * h * h) for j in range(n)] for i in range(n)])


def half_quadratic(a):
    a = np.array([float(v) for v in a])
    return lambda x: 0.5 * float(np.sum(a * x * x))


# ----------------------------------------------------------------------------
# Random instances: a third computation, and draws an exam can use.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("f", ["given", "quadratic"])
def test_random_newton_steps_match_an_explicit_inverse(f):
    for key in newton_keys(f):
        p = key.variant.params
        x = np.array([float(v) for v in p["x0"]])
        for _ in range(p["steps"]):
            if f == "given":
                grad, H = np.array(p["grads"][0], dtype=float), np.array(p["H"], dtype=float)
            else:
                grad, H = np.array(p["a"], dtype=float) * x, np.diag(np.array(p["a"], dtype=float))
            x = x - np.linalg.inv(H) @ grad
        assert np.allclose(vec(key, "xT"), x, atol=1e-12), key.variant.seed
        assert {q["name"] for q in key.variant.parts} <= {"x1", "xT"}


def test_drawn_hessians_are_symmetric_positive_definite_and_couple_the_coordinates():
    coupled = 0
    for key in newton_keys("given"):
        p = key.variant.params
        H = [list(r) for r in p["H"]]
        assert H == [list(r) for r in zip(*H)] and positive_definite(H)
        assert H != [[1]] and H != [[1, 0], [0, 1]]  # Newton would be a plain gradient step
        coupled += len(H) > 1 and H[0][1] != 0
        assert p["steps"] == 1
    assert coupled >= 10


# ----------------------------------------------------------------------------
# The notes' point: on a quadratic, one Newton step reaches the minimum.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(1, 9))
def test_one_newton_step_on_half_a_sum_of_squares_lands_on_the_minimum(seed):
    key = answer_key(build_variant(record(), seed, {"optimizer": "newton", "f": "quadratic", "steps": 2}))
    p = key.variant.params
    f = half_quadratic(p["a"])
    x1 = np.array(vec(key, "x1"))
    assert np.allclose(fd_gradient(f, x1), 0, atol=1e-8)
    assert np.allclose(vec(key, "xT"), x1)  # a second step does not move: ∇f(x₁) = 0
    assert np.any(np.array([float(v) for v in p["x0"]]) != 0)  # and x₀ was not the minimum already


@pytest.mark.parametrize("A, b, x0", [
    ([[2, 1], [1, 2]], [1, -1], [3, 1]),
    ([[4, -2], [-2, 3]], [2, 0], [-1, 2]),
    ([[2, 1, 0], [1, 3, 1], [0, 1, 2]], [1, 0, -1], [1, 1, 1]),
])
def test_one_newton_step_reaches_the_minimum_of_a_coupled_quadratic(A, b, x0):
    """f(x) = ½xᵀAx − bᵀx, posed with f=given: ∇f(x₀) and H f(x₀) from finite differences of f."""
    A_, b_ = np.array(A, dtype=float), np.array(b, dtype=float)
    f = lambda x: 0.5 * x @ A_ @ x - b_ @ x  # noqa: E731
    x0_ = np.array(x0, dtype=float)
    grad, H = fd_gradient(f, x0_), np.rint(fd_hessian(f, x0_))
    assert np.allclose(H, A_, atol=1e-4)
    key = key_of(optimizer="newton", x0=str(x0), grads=str([[round(g) for g in grad]]),
                 H=str([[int(v) for v in r] for r in H]))
    x1 = np.array(vec(key, "xT"))
    assert np.allclose(fd_gradient(f, x1), 0, atol=1e-7)
    assert np.allclose(x1, np.linalg.solve(A_, b_))


@pytest.mark.parametrize("seed", range(1, 6))
def test_the_exact_hessian_matches_finite_differences(seed):
    """The SymPy path's H f (from differentiating f twice) against second differences of f, at every step."""
    v = make_variant(record(), seed, {"optimizer": "newton", "f": "quadratic", "steps": "2"})
    f = half_quadratic(v.params["a"])
    _, trace = Step()._newton_exact(v.values())
    for rec in trace:
        x = np.array([float(e) for e in rec["x_prev"]])
        assert np.allclose(np.array(rec["H"], dtype=float), fd_hessian(f, x), atol=1e-5)
        assert np.allclose(np.array(rec["grad"], dtype=float), fd_gradient(f, x), atol=1e-6)
        H = np.array(rec["H"], dtype=float)
        assert np.allclose(np.array(rec["Hinv"], dtype=float) @ H, np.eye(len(x)))


# ----------------------------------------------------------------------------
# A hand example, its worked solution, and your own numbers.
# ----------------------------------------------------------------------------
def test_hand_example_names_the_hessian_and_its_inverse():
    # H⁻¹ = ⅓[[2, −1], [−1, 2]], H⁻¹∇f = ⅓[2·3 − 4, −3 + 2·4] = [2/3, 5/3], x₁ = [1/3, 1/3].
    key = key_of(**HAND)
    assert [float(e) for e in key.part("xT").exact] == pytest.approx([1 / 3, 1 / 3])
    steps = "\n".join(key.part("xT").steps)
    assert "H f(x₀) = [[2, 1], [1, 2]]" in steps and "det H f(x₀) = 3" in steps
    assert "[H f(x₀)]⁻¹ = [[2/3, −1/3], [−1/3, 2/3]]" in steps
    assert "x₁ = x₀ − [H f(x₀)]⁻¹∇f(x₀)" in steps
    assert grade(key, "xT", "[1/3, 1/3]").status == "correct"


def test_newton_is_posed_with_your_numbers_and_draws_nothing():
    args = ["optim.step", *(f"{k}={v}" for k, v in HAND.items())]
    r = runner.invoke(app, ["solve", *args, "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["drawn"] == [] and "alpha" not in data["defaulted"]
    r = runner.invoke(app, ["solve", *args, "--strict", "--no-steps"])
    assert r.exit_code == 0, r.output
    assert "drawn at random" not in r.output
    assert "Hyperparameters" not in r.output and "No learning rate" in r.output


def test_only_what_newton_reads_is_listed():
    v = make_variant(record(), 1, {"optimizer": "newton", "x0": "[1, 2]"})
    assert "H" in v.drawn and "alpha" not in v.drawn
    assert not {"rho", "gamma", "beta1", "beta2", "eps", "convention"} & set(v.used_defaulted())
    v = make_variant(record(), 1, {"optimizer": "newton", "x0": "[1, 2]", "f": "quadratic"})
    assert not {"H", "alpha", "grads"} & set(v.drawn)
    v = make_variant(record(), 1, {"optimizer": "sgd", "x0": "[1, 2]"})
    assert "H" not in v.drawn and "alpha" in v.drawn


def test_a_wrong_first_step_carries_to_the_minimum_on_a_quadratic():
    v = make_variant(record(), 1, {"optimizer": "newton", "f": "quadratic", "a": "[1, 4]", "x0": "[2, 1]",
                                   "steps": "2"})
    assert Step().carry_from(v.values()) == {"xT": ("x1",)}
    assert np.allclose(Step().carry(v.values(), {"x1": [5.0, -3.0]})["xT"], [0, 0])


def test_newton_mistakes_are_named():
    key = key_of(**HAND)
    assert grade(key, "xT", "[-9, -9]").mistake == "hessian-not-inverted"  # x − H∇f = [1 − 10, 2 − 11]
    assert grade(key, "xT", "[-0.5, 0]").mistake == "hessian-diagonal-only"  # [1 − 3/2, 2 − 4/2]
    assert grade(key, "xT", "[5/3, 11/3]").mistake == "ascent"


# ----------------------------------------------------------------------------
# Refusals: one line, exit 2.
# ----------------------------------------------------------------------------
NEWTON = ["show", FID, "optimizer=newton", "x0=[1, 2]"]


@pytest.mark.parametrize("args,fragments", [
    (["H=[[1, 2], [2, 4]]"], ["H is singular (det H = 0)", "[H f(x)]⁻¹"]),
    (["H=[[1, 2], [3, 4]]"], ["H is not symmetric"]),
    (["H=[[1]]"], ["H is 1×1 but x0 has 2 entries", "2×2"]),
    (["alpha=0.1"], ["Newton's step has no learning rate"]),
    (["steps=2", "grads=[[1, 1], [1, 1]]"], ["takes one step", "∇f and H at x₁"]),
    (["f=quadratic", "H=[[1, 0], [0, 1]]"], ["H f = diag(a)", "only with f=given"]),
])
def test_newton_refusals_are_one_line(args, fragments):
    one_line_error([*NEWTON, *args], *fragments)


@pytest.mark.parametrize("command", ["solve", "check"])
def test_a_singular_hessian_is_refused_at_check_too(command):
    extra = ["--part", "xT", "--answer", "[0, 0]"] if command == "check" else []
    one_line_error([command, FID, "optimizer=newton", "x0=[1, 2]", "grads=[[1, 1]]", "H=[[1, 1], [1, 1]]",
                    *extra], "H is singular")


def test_the_hessian_is_refused_for_a_first_order_optimizer():
    one_line_error(["show", FID, "optimizer=sgd", "H=[[2]]"], "H is the Hessian of Newton's step")
