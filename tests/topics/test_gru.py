"""gru.forward: both answer paths against a reference, a hand-worked case, exam draws, mistakes,
bad overrides."""

from __future__ import annotations

import math
import random
import re
from fractions import Fraction
from functools import cache, partial

import numpy as np
import pytest

from nncheck.bank.index import load_catalog
from nncheck.generate.variant import build_variant
from nncheck.key.compute import answer_key
from nncheck.key.grade import grade
from nncheck.topics import gru as G
from nncheck.topics._steps import Calc
from topics import helpers
from topics.helpers import arr, bad_overrides_test, catalog, kind_text, mistake_recognised

PARTS = ("r", "z", "htilde", "h")
key_of = partial(helpers.key_of, "gru.forward")


def text(value) -> str:
    """Every GRU part is a matrix (one column per time step)."""
    return kind_text(value, "matrix")


def random_params(rng, H, D, T) -> dict:
    def r():
        return Fraction(rng.randint(-15, 15), 10)

    p = {"x": [[r() for _ in range(T)] for _ in range(D)], "h0": [r() for _ in range(H)]}
    for g in ("r", "z", "h"):
        p[f"W_x{g}"] = [[r() for _ in range(D)] for _ in range(H)]
        p[f"W_h{g}"] = [[r() for _ in range(H)] for _ in range(H)]
        p[f"b_{g}"] = [r() for _ in range(H)]
    return p


@pytest.mark.parametrize("H,D,T", [(1, 1, 1), (1, 1, 3), (2, 1, 3), (3, 2, 2)])
def test_random_instances_match_reference(H, D, T):
    rng = random.Random(f"{H}{D}{T}")
    given = random_params(rng, H, D, T)
    key = answer_key(build_variant(catalog().get("gru.forward"), 1, given))  # refused if SymPy ≠ NumPy
    p = key.variant.params
    assert {k: p[k] for k in given} == given
    f = lambda m: np.array(m, dtype=float)  # noqa: E731
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    h = f(p["h0"])
    for t in range(T):
        xt = f(p["x"])[:, t]
        r = sig(f(p["W_xr"]) @ xt + f(p["W_hr"]) @ h + f(p["b_r"]))
        z = sig(f(p["W_xz"]) @ xt + f(p["W_hz"]) @ h + f(p["b_z"]))
        ht = np.tanh(f(p["W_xh"]) @ xt + f(p["W_hh"]) @ (r * h) + f(p["b_h"]))
        h = z * h + (1 - z) * ht
        for name, v in (("r", r), ("z", z), ("htilde", ht), ("h", h)):
            assert np.allclose(arr(key.parts[name].exact)[:, t], v, rtol=1e-12, atol=1e-14), (name, t)
    plain = G.gru_forward(p, Calc())
    for name in PARTS:
        assert np.allclose(np.array(plain[name][1:], dtype=float).T, arr(key.parts[name].exact), atol=1e-12)


def test_hand_worked():
    """One unit, T = 2: b_r = b_z = 0 and W_xr = W_xz = W_hr = W_hz = 0, so r_t = z_t = ½;
    W_xh = 1, W_hh = 2, b_h = 0, x = [1, 0], h_0 = 1.

    t = 1: h̃_1 = tanh(1·1 + 2·(½·1)) = tanh 2, h_1 = ½·1 + ½·tanh 2.
    t = 2: h̃_2 = tanh(0 + 2·(½·h_1)) = tanh h_1, h_2 = ½(h_1 + tanh h_1).
    """
    key = key_of(x="[1, 0]", h0=1, W_xr=0, W_hr=0, b_r=0, W_xz=0, W_hz=0, b_z=0, W_xh=1, W_hh=2, b_h=0)
    h1 = 0.5 + 0.5 * math.tanh(2)
    h2 = 0.5 * (h1 + math.tanh(h1))
    want = {"r": [[0.5, 0.5]], "z": [[0.5, 0.5]], "htilde": [[math.tanh(2), math.tanh(h1)]], "h": [[h1, h2]]}
    for name, v in want.items():
        assert np.allclose(arr(key.parts[name].exact), v, atol=1e-12), name
    assert grade(key, "htilde", "[tanh(2), tanh(1/2 + tanh(2)/2)]").status == "correct"
    # Without the reset gate: h̃_1 = tanh(1 + 2·1) = tanh 3, h_1 = ½ + ½ tanh 3, h̃_2 = tanh(2 h_1).
    assert grade(key, "htilde", "[tanh(3), tanh(1 + tanh(3))]").mistake == "reset-forgotten"


def test_exam_draws():
    """One unit, T ≤ 3; every σ of a gate that reads only x_t (W_hr = W_hz = 0) is listed in the prompt."""
    checked = 0
    for seed in range(1, 13):
        key = key_of(seed)
        p = key.variant.params
        assert len(p["h0"]) == 1 and len(p["x"][0]) <= 3
        for kp in key.parts.values():
            assert kp.steps
        if p["W_hr"] != [[0]] or p["W_hz"] != [[0]]:
            continue
        listed = {}
        for z, v in re.findall(r"σ\(([^)]*)\) = (-?\d+(?:\.\d+)?)", key.variant.prompt.replace("−", "-")):
            listed[Fraction(z)] = float(v)
        for g in ("r", "z"):
            for t in range(len(p["x"][0])):
                pre = p[f"W_x{g}"][0][0] * p["x"][0][t] + p[f"b_{g}"][0]
                if pre != 0:
                    assert listed[pre] == pytest.approx(1 / (1 + math.exp(-pre)), abs=5e-5), (seed, g, t)
                    assert grade(key, g, text(key.parts[g].exact)).status == "correct"
        checked += 1
    assert checked >= 3


@cache
def mistake_keys() -> tuple:
    keys = [key_of(s) for s in (1, 2, 3, 4)]
    # H = 2 with a non-diagonal W_hh: r ⊙ (W_hh h) and W_hh (r ⊙ h) differ.
    keys.append(key_of(5, W_hh="[[1, 0.5], [-0.5, 1]]", W_hr="[[0.5, 0], [0, -0.5]]"))
    return tuple(keys)


@pytest.mark.parametrize("mid", [m["id"] for m in load_catalog(use_cache=False).get("gru.forward")["mistakes"]])
def test_each_declared_mistake_is_recognised(mid):
    if not mistake_recognised(mistake_keys(), mid, text):
        pytest.fail(f"mistake {mid} never recognised")


def test_the_key_itself_is_accepted():
    for key in mistake_keys():
        for name in PARTS:
            assert grade(key, name, text(key.parts[name].exact)).status == "correct", name


test_bad_overrides = bad_overrides_test([
    (["show", "gru.forward", "W_hh=[[1,0],[0,1]]", "b_h=[0]"], ["hidden size H"]),
    (["show", "gru.forward", "x=[[1,2],[0,1]]", "W_xz=[1]"], ["W_xz has 1 column", "x has 2 rows"]),
    (["show", "gru.forward", "W_hr=[1,2]"], ["W_hr has 2 columns"]),
])
