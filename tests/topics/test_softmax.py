"""softmax.forward and softmax.ce-gradient: seed facts, finite differences, ŷ − y, mistakes, bad input."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest
import sympy

from nncheck.generate.variant import build_variant, make_variant
from nncheck.key.compute import answer_key
from nncheck.key.grade import grade
from nncheck.kinds.values import expr_text, to_float
from topics.helpers import check_mistake_library, floats, record, show_fails_in_one_line
from topics.helpers import key_of as key


def text(value) -> str:
    """A key or mistake value in the answer language (full float precision)."""
    if isinstance(value, sympy.Basic) and not isinstance(value, sympy.MatrixBase) and value.free_symbols:
        return expr_text(value)
    if hasattr(value, "tolist") or isinstance(value, (list, tuple)):
        return "[" + ", ".join(repr(v) for v in floats(value)) + "]"
    return repr(to_float(value))


# -- seed facts --------------------------------------------------------------------
@pytest.mark.parametrize("z", [[0, 0], [2, -1], [-3, 1], [0.5, 2]])
def test_two_class_softmax_is_sigma_of_the_difference(z):
    yh = floats(key("softmax.forward", z=z).parts["yhat"].exact)
    s = 1 / (1 + math.exp(-(z[0] - z[1])))
    assert abs(yh[0] - s) < 1e-12 and abs(yh[1] - (1 - s)) < 1e-12


def test_softmax_is_exact_and_sums_to_one():
    k = key("softmax.forward", z=[1, 2, 3])
    yh = k.parts["yhat"].exact
    assert sympy.simplify(sum(yh) - 1) == 0
    assert sympy.simplify(yh[2] - sympy.exp(3) / (sympy.exp(1) + sympy.exp(2) + sympy.exp(3))) == 0


def test_shift_invariance():
    a = floats(key("softmax.forward", z=[1, 2, 3]).parts["yhat"].exact)
    b = floats(key("softmax.forward", z=[-9, -8, -7]).parts["yhat"].exact)
    assert np.allclose(a, b, atol=1e-14)


def test_ce_gradient_is_yhat_minus_y():
    k = key("softmax.ce-gradient", z=[1, 2, 1], y=[0, 1, 0])
    yh = floats(k.parts["yhat"].exact)
    assert np.allclose(floats(k.parts["grad"].exact), np.array(yh) - [0, 1, 0], atol=1e-14)
    assert abs(to_float(k.parts["L"].exact) + math.log(yh[1])) < 1e-12
    yhat, y = sympy.Symbol("yhat"), sympy.Symbol("y")
    got = k.parts["grad_sym"].exact.subs({sympy.Symbol("yhat", real=True): yhat, sympy.Symbol("y", real=True): y})
    assert sympy.simplify(got - (yhat - y)) == 0
    for answer in ("yhat - y", "ŷ - y", "-(y - yhat)"):
        assert grade(k, "grad_sym", answer).status == "correct", answer


def test_closed_forms_accepted():
    k = key("softmax.ce-gradient", z=[0, 2], y=[0, 1])
    assert grade(k, "L", "ln(1+exp(-2))").status == "correct"
    assert grade(k, "yhat", "[1/(1+exp(2)), 1/(1+exp(-2))]").status == "correct"
    assert grade(k, "grad", "[sigma(-2), -sigma(-2)]").status == "correct"


def test_prompt_gives_the_exponentials():
    v = make_variant(record("softmax.ce-gradient"), 1, {"z": "[1, 2, 0]", "y": "[1, 0, 0]"})
    assert "e^(−1) ≈ 0.3679" in v.prompt and "e^(−2) ≈ 0.1353" in v.prompt and "k* = 1" in v.prompt


# -- random instances ------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(1, 31))
def test_random_ce_gradient_matches_finite_differences(seed):
    k = answer_key(build_variant(record("softmax.ce-gradient"), seed, {}))
    z = np.array(k.variant.params["z"], dtype=float)
    y = np.array(k.variant.params["y"], dtype=float)

    def loss(zz):
        e = np.exp(zz - zz.max())
        return -float(np.sum(y * np.log(e / e.sum())))

    eps = 1e-6
    fd = [(loss(z + eps * d) - loss(z - eps * d)) / (2 * eps) for d in np.eye(len(z))]
    assert np.allclose(fd, floats(k.parts["grad"].exact), atol=1e-7)
    assert abs(loss(z) - to_float(k.parts["L"].exact)) < 1e-12


@pytest.mark.parametrize("seed", range(1, 21))
def test_random_forward_keys_agree(seed):
    k = answer_key(build_variant(record("softmax.forward"), seed, {}))
    assert abs(sum(floats(k.parts["yhat"].exact)) - 1) < 1e-12


# -- mistakes --------------------------------------------------------------------------
CASES = {
    # Large scores too (the shift trick): exp(z_k) alone is beyond a double, exp(z_k − max z) is not.
    "softmax.forward": [dict(z=[1, 2, 0]), dict(z=[2, -1]), dict(z=[1000, 1001, 999])],
    "softmax.ce-gradient": [dict(z=[1, 2, 0], y=[0, 1, 0]), dict(z=[0, 2], y=[1, 0]),
                            dict(z=[3, 1, 1, 0], y=[0, 0, 1, 0]), dict(z=[1000, 1001, 999], y=[0, 0, 1])],
}


@pytest.mark.parametrize("fid", sorted(CASES))
def test_every_declared_mistake_is_recognised_and_every_key_accepted(fid):
    check_mistake_library({m["id"] for m in record(fid)["mistakes"]}, CASES[fid], partial(key, fid), text)


def test_declared_message_for_the_symbolic_sign_slip():
    v = grade(key("softmax.ce-gradient", z=[1, 2, 0], y=[0, 1, 0]), "grad_sym", "y - yhat")
    assert v.mistake == "sign-flipped" and "ŷ − y" in v.feedback


# -- bad overrides -------------------------------------------------------------------
BAD_OVERRIDES = [
    (["z=[1,2,3]", "y=[1,1,0]"], "y must be one-hot"),
    (["z=[1,2,3]", "y=[0,1]"], "y has 2 entries but z has 3"),
    (["z=[1,2]", "y=[0,2]"], "y must be at most 1"),
    (["z=[4]", "y=[1]"], "at least 2 scores"),
]


def test_bad_overrides_give_one_line_and_exit_2():
    # One test for all cases: the catalogue cache built by the first command serves the others.
    for args, fragment in BAD_OVERRIDES:
        show_fails_in_one_line("softmax.ce-gradient", args, fragment)
