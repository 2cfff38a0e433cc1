"""softmax.forward and softmax.ce-gradient with large scores (z = [1000, 1001, 999]): accepted,
keyed stably from z − max z on both paths, checked against finite differences and against the
shift invariance the notes teach, and the worked solution names the trick."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

from nncheck.key.grade import grade
from nncheck.kinds.values import to_float
from topics.helpers import floats, one_line_error
from topics.helpers import key_of as key

LARGE = [[1000, 1001, 999], [-1000, -1001, -999], [0, 2000], [10**6, 10**6 - 1, -10**6]]


def stable_loss(z, y) -> float:
    """−Σ y_k ln softmax(z)_k, from the log-sum-exp (the reference of these tests)."""
    s = np.asarray(z, dtype=float) - max(z)
    return float(np.log(np.exp(s).sum()) - np.dot(y, s))


@pytest.mark.parametrize("z", LARGE)
def test_large_scores_are_keyed(z):
    y = [0] * (len(z) - 1) + [1]
    k = key("softmax.ce-gradient", z=z, y=y)  # refused if the SymPy and NumPy paths disagree
    s = np.array([v - max(z) for v in z], dtype=float)
    want = np.exp(s) / np.exp(s).sum()
    assert np.allclose(floats(k.parts["yhat"].exact), want, rtol=1e-12, atol=1e-300)
    assert to_float(k.parts["L"].exact) == pytest.approx(stable_loss(z, y), rel=1e-12, abs=1e-300)
    assert np.allclose(floats(k.parts["grad"].exact), want - y, rtol=1e-12, atol=1e-15)
    f = key("softmax.forward", z=z)
    assert np.allclose(floats(f.parts["yhat"].exact), want, rtol=1e-12, atol=1e-300)


def test_an_underflowing_class_still_has_a_loss():
    """z = [0, 2000] with the true class 1: ŷ₁ = e^(−2000)/(1 + e^(−2000)) underflows a double, yet
    L = 2000 + ln(1 + e^(−2000)) ≈ 2000 and ∂L/∂z = [−1, 1]."""
    k = key("softmax.ce-gradient", z=[0, 2000], y=[1, 0])
    assert to_float(k.parts["L"].exact) == pytest.approx(2000, rel=1e-15)
    assert np.allclose(floats(k.parts["grad"].exact), [-1, 1], atol=1e-15)
    assert grade(k, "L", "2000").status == "correct"


@pytest.mark.parametrize("shift", [1000, -1000, 123456])
def test_a_shift_leaves_every_key_unchanged(shift):
    base = key("softmax.ce-gradient", z=[1, 2, 0], y=[0, 1, 0])
    moved = key("softmax.ce-gradient", z=[1 + shift, 2 + shift, shift], y=[0, 1, 0])
    for part in ("yhat", "L", "grad"):
        assert np.allclose(floats(moved.parts[part].exact), floats(base.parts[part].exact), rtol=1e-13), part


def test_finite_differences_at_large_scores():
    z, y = [1000, 1001, 999], [0, 1, 0]
    k = key("softmax.ce-gradient", z=z, y=y)
    eps = 1e-4  # z is near 1000: a double resolves 1e-13 there, so the step is not tiny
    fd = [(stable_loss(np.add(z, eps * d), y) - stable_loss(np.add(z, -eps * d), y)) / (2 * eps)
          for d in np.eye(3)]
    assert np.allclose(fd, floats(k.parts["grad"].exact), atol=1e-7)


def test_the_exact_key_works_with_shifted_exponents():
    """exp(1000) never enters the SymPy key: every exponent in it is z_k − max z ≤ 0."""
    for fid, extra in (("softmax.forward", {}), ("softmax.ce-gradient", {"y": [0, 1, 0]})):
        k = key(fid, z=[1000, 1001, 999], **extra)
        for part in ("yhat", "L"):
            if part not in k.parts:
                continue
            e = sympy.sympify(k.parts[part].exact)
            args = [a.args[0] for a in e.atoms(sympy.exp)] + [a for a in e.atoms(sympy.Number)]
            assert all(abs(float(a)) < 10 for a in args), (fid, part, e)


def test_the_solution_names_the_shift_for_large_scores_only():
    steps = " ".join(key("softmax.forward", z=[1000, 1001, 999]).parts["yhat"].steps)
    assert "Softmax is unchanged by a shift" in steps
    assert "max z = 1001" in steps and "z − 1001 = [−1, 0, −2]" in steps
    small = " ".join(key("softmax.forward", z=[1, 2, 0]).parts["yhat"].steps)
    assert "unchanged by a shift" not in small


def test_closed_forms_after_the_shift_and_the_shifted_slip():
    k = key("softmax.forward", z=[1000, 1001, 999])
    d = "(exp(-1) + 1 + exp(-2))"
    assert grade(k, "yhat", f"[exp(-1)/{d}, 1/{d}, exp(-2)/{d}]").status == "correct"
    v = grade(k, "yhat", f"[{math.exp(-1)!r}, 1, {math.exp(-2)!r}]")
    assert v.status == "incorrect" and v.mistake == "shift-not-normalised"
    ce = key("softmax.ce-gradient", z=[1000, 1001, 999], y=[0, 1, 0])
    assert grade(ce, "L", "ln(exp(-1) + 1 + exp(-2))").status == "correct"


@pytest.mark.parametrize("fid,args,fragment", [
    ("softmax.forward", ["z=[2000000, 1]"], "z must be at most 1000000"),
    ("softmax.forward", ["z=[" + ", ".join(["1000"] * 101) + "]"], "at most 100"),
    ("softmax.ce-gradient", ["z=[" + ", ".join(["1000"] * 21) + "]", "y=[" + ", ".join(["1"] + ["0"] * 20) + "]"],
     "at most 20"),
])
def test_the_size_caps_and_the_global_magnitude_stay(fid, args, fragment):
    one_line_error(["show", fid, *args], fragment, skip_warnings=True)
