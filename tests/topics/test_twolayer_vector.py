"""backprop.two-layer's vector-form parts (ask=vector): ∇W⁽²⁾L, ∇ξ⁽¹⁾L, ∇W⁽¹⁾L and ∇b⁽¹⁾L as matrix
expressions in delta2, h, x, xi1 and W2, for one example (ECE 417 final-exam review's vector form).

Every part two ways (the key text, confirmed by SymPy's derivative of the forward pass, against NumPy's
backward pass, over random shapes), both against finite differences of a forward pass; the forms a
student writes; each named mistake; shapes that do not conform; the prompt; the random share.
"""

from __future__ import annotations

import json
from fractions import Fraction
from functools import cache

import numpy as np
import pytest
import sympy

from nncheck import kinds
from nncheck.errors import AnswerKeyError
from nncheck.generate.variant import build_variant
from nncheck.kinds.matrix_expression import numeric_values
from nncheck.lang.matrices import define
from nncheck.topics import twolayer_vector as tv
from topics.helpers import app, central, key_of, one_line_error, record, runner

FID = "backprop.two-layer"
HIDDEN = ("sigmoid", "tanh", "relu")
PARTS = tv.VECTOR_PARTS
NET = {"x": "[1, 2]", "y": "[1]", "W1": "[[1, -1], [2, 0]]", "b1": "[0, 1]", "W2": "[[1, -1]]", "b2": "[1]",
       "output": "sigmoid", "loss": "bce", "eta": "0.5", "ask": "vector"}


@cache
def vkey(hidden: str):
    return key_of(FID, 1, **{**NET, "hidden": hidden})


def grade(hidden: str, part: str, text: str, **kw):
    from nncheck.key.grade import grade as grade_key

    return grade_key(vkey(hidden), part, text, **kw)


# ----------------------------------------------------------------------------
# The key two ways, and both against finite differences.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("hidden", HIDDEN)
def test_every_part_agrees_two_ways_over_random_shapes(hidden):
    key = vkey(hidden)
    kind = kinds.get("matexpr")
    for part in PARTS:
        kp = key.part(part)
        ok, why = kind.agree(kp.spec, kp.exact, kp.numeric, rel=1e-9, abs_=1e-12)
        assert ok, (part, why)
        # The comparison can fail: a transposed or a σ̇-less NumPy side is refused.
        wrong = (lambda env, f=kp.numeric: np.atleast_2d(f(env)).T) if part in ("dW2_vec", "dW1_vec") else (
            lambda env: env["W2"].T @ env["delta2"])
        assert not kind.agree(kp.spec, kp.exact, wrong, rel=1e-9, abs_=1e-12)[0], part


def _forward(hidden, W1, b1, W2, b2, x, y):
    """A forward pass with an MSE loss: the network the vector form is about, in plain NumPy."""
    from nncheck.topics.activations import g_np

    xi1 = W1 @ x + b1
    h = g_np(hidden, xi1)
    xi2 = b2 + W2 @ h
    return 0.5 * float(np.sum((xi2 - y) ** 2)), xi1, h, xi2


def _fd(f, X):
    """The gradient of f at X by central differences (helpers.central), entry by entry (X's shape)."""
    G = np.zeros_like(X)
    for idx in np.ndindex(X.shape):
        def moved(t, idx=idx):
            Y = X.copy()
            Y[idx] += t
            return f(Y)
        G[idx] = central(moved)
    return G


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("sizes", [(1, 2, 3), (3, 2, 4), (2, 4, 1), (4, 3, 2)])
def test_key_and_backprop_match_finite_differences(hidden, sizes):
    """At random exact numbers of random shapes (K, N, D): the key text (through SymPy) and the NumPy callable
    both equal the finite-difference gradients of a forward pass whose δ⁽²⁾ = ∇ξ⁽²⁾L is ξ⁽²⁾ − y."""
    K, N, D = sizes
    rng = np.random.default_rng(K * 100 + N * 10 + D + len(hidden))

    def frac(shape):
        return [[Fraction(int(v), 4) for v in row] for row in rng.integers(-8, 9, size=shape)]

    W1, b1, W2, b2, x, y = frac((N, D)), frac((N, 1)), frac((K, N)), frac((K, 1)), frac((D, 1)), frac((K, 1))
    if hidden == "relu":  # keep off the kink: ξ⁽¹⁾ = 0 has no derivative to difference
        b1 = [[v[0] + Fraction(1, 7)] for v in b1]
    F = {k: np.array(v, dtype=float) for k, v in dict(W1=W1, b1=b1, W2=W2, b2=b2, x=x, y=y).items()}
    col = {k: F[k][:, 0] for k in ("b1", "b2", "x", "y")}
    L, xi1, h, xi2 = _forward(hidden, F["W1"], col["b1"], F["W2"], col["b2"], col["x"], col["y"])
    delta2 = xi2 - col["y"]
    expected = {
        "dW2_vec": _fd(lambda W: _forward(hidden, F["W1"], col["b1"], W, col["b2"], col["x"], col["y"])[0], F["W2"]),
        "dW1_vec": _fd(lambda W: _forward(hidden, W, col["b1"], F["W2"], col["b2"], col["x"], col["y"])[0], F["W1"]),
        "db1_vec": _fd(lambda b: _forward(hidden, F["W1"], b, F["W2"], col["b2"], col["x"], col["y"])[0], col["b1"]),
    }
    from nncheck.topics.activations import g_np

    expected["dxi1_vec"] = _fd(lambda a: 0.5 * float(np.sum((col["b2"] + F["W2"] @ g_np(hidden, a) - col["y"]) ** 2)),
                               xi1)
    # The same point, exactly, for the key text: xi1 and delta2 as the forward pass gives them, h = g(xi1).
    M = sympy.ImmutableMatrix
    xi1_exact = M(W1) * M(x) + M(b1)
    xi2_of = M(b2) + M(W2) * xi1_exact.applyfunc(lambda v: _g_exact(hidden, v))
    env = {"W2": M(W2), "x": M(x), "xi1": xi1_exact, "delta2": (xi2_of - M(y)).applyfunc(sympy.nsimplify)}
    key = vkey(hidden)
    for part in PARTS:
        kp = key.part(part)
        point = define(env, kp.spec["given"])
        by_sympy = numeric_values(kp.spec, kp.exact, [({}, point)])[0]
        by_numpy = np.asarray(kp.numeric({"W2": F["W2"], "x": col["x"], "xi1": xi1, "h": h, "delta2": delta2}))
        want = expected[part]
        assert np.allclose(by_sympy.reshape(want.shape), want, rtol=1e-5, atol=1e-7), (part, by_sympy, want)
        assert np.allclose(by_numpy.reshape(want.shape), want, rtol=1e-5, atol=1e-7), (part, by_numpy, want)


def _g_exact(hidden, v):
    from nncheck.lang.sympy_backend import sigma

    return {"sigmoid": sigma, "tanh": sympy.tanh, "relu": lambda u: sympy.Max(u, 0)}[hidden](v)


def test_a_vector_form_that_does_not_follow_from_the_forward_pass_is_refused(monkeypatch):
    right = tv.keys
    monkeypatch.setattr(tv, "keys", lambda hidden: {**right(hidden), "dW1_vec": "(W2' delta2) x'"})
    with pytest.raises(AnswerKeyError, match="dW1_vec"):
        tv.confirmed_keys.__wrapped__("sigmoid")
    monkeypatch.setattr(tv, "keys", lambda hidden: {**right(hidden), "dW2_vec": "h delta2'"})
    with pytest.raises(AnswerKeyError, match="dW2_vec"):
        tv.confirmed_keys.__wrapped__("relu")


# ----------------------------------------------------------------------------
# The forms a student writes.
# ----------------------------------------------------------------------------
ISSUE_ANSWER = "(W2' delta2 ⊙ dsigma(xi1)) x'"
CORRECT = {
    "sigmoid": {
        "dW1_vec": [ISSUE_ANSWER, "(W2' delta2 .* dsigma(xi1)) x'", "(W2' delta2 odot dsigma(xi1)) x'",
                    "(W2ᵀ delta2 ⊙ sigma'(xi1)) xᵀ", "(W⁽²⁾ᵀ delta2 ⊙ σ̇(ξ1)) xᵀ",
                    "(W2' delta2 ⊙ h ⊙ (1 - h)) x'", "(h .* (1 - h) .* (W2^T delta2)) x^T",
                    "(sigma(xi1) ⊙ (1 - sigma(xi1)) ⊙ W2' delta2) x'", "dsigma(xi1) odot W2' delta2 * x'"],
        "dxi1_vec": ["W2' delta2 ⊙ h ⊙ (1 - h)", "dsigma(xi1) .* (W2' delta2)", "(delta2' W2)' ⊙ dsigma(xi1)"],
        "db1_vec": ["h ⊙ (1 - h) ⊙ W2ᵀ delta2", "W⁽²⁾ᵀ delta2 odot σ̇(ξ1)"],
        "dW2_vec": ["delta2 h'", "delta2 hᵀ", "delta2 * h^T", "delta2 sigma(xi1)'"],
    },
    "tanh": {
        "dW1_vec": ["(W2' delta2 ⊙ (1 - h ⊙ h)) x'", "(W2' delta2 ⊙ tanh'(xi1)) x'",
                    "((1 - tanh(xi1) ⊙ tanh(xi1)) .* W2ᵀ delta2) xᵀ", "(W2' delta2 ⊙ (1 - h^2)) x'"],
        "dxi1_vec": ["(1 - h ⊙ h) ⊙ W2' delta2"],
        "db1_vec": ["W2' delta2 odot (1 - h .* h)"],
        "dW2_vec": ["delta2 h'", "delta2 tanh(xi1)'"],
    },
    "relu": {
        "dW1_vec": ["(W2' delta2 ⊙ relu'(xi1)) x'", "(relu'(xi1) .* W2ᵀ delta2) xᵀ"],
        "dxi1_vec": ["relu'(xi1) ⊙ W2' delta2"],
        "db1_vec": ["W2' delta2 odot relu'(xi1)"],
        "dW2_vec": ["delta2 h'", "delta2 relu(xi1)'", "delta2 max(0, xi1)'"],
    },
}


@pytest.mark.parametrize("hidden, part, text", [(h, p, t) for h, parts in CORRECT.items()
                                               for p, texts in parts.items() for t in texts])
def test_correct_forms_are_accepted(hidden, part, text):
    v = grade(hidden, part, text)
    assert v.status == "correct", (text, v.feedback)


@pytest.mark.parametrize("tex", [
    r"\left(W^{(2)\top} \delta_2 \odot \dot{\sigma}(\xi_1)\right) x^{T}",
    r"(W_2^{T} \delta_2 \odot h \odot (1 - h)) \vec{x}^\top",
    r"(W^{(2),T} \delta_2 \odot \sigma'(\xi_1)) x^{T}",
])
def test_latex_forms_are_accepted(tex):
    assert grade("sigmoid", "dW1_vec", tex, latex=True).status == "correct", tex


def test_the_issue_command_line():
    args = ["check", FID, *[f"{k}={v}" for k, v in NET.items()], "hidden=sigmoid", "--part", "dW1_vec"]
    for answer, extra in ((ISSUE_ANSWER, []), ("(W2' delta2 .* h .* (1 - h)) x'", []),
                          (r"(W^{(2)\top} \delta_2 \odot h \odot (1 - h)) x^{T}", ["--latex"])):
        r = runner.invoke(app, [*args, "--answer", answer, *extra])
        assert r.exit_code == 0 and "correct" in r.output, r.output
    r = runner.invoke(app, [*args, "--answer", "(W2' delta2) x'", "--json"])
    assert r.exit_code == 1, r.output
    assert json.loads(r.stdout)["mistake"] == "forgot-sigma-dot"


# ----------------------------------------------------------------------------
# Named mistakes, and shapes that do not conform.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("hidden, part, text, mistake", [
    # a forgotten σ̇ (for ReLU: u(ξ) = 1 assumed everywhere)
    ("sigmoid", "dW1_vec", "(W2' delta2) x'", "forgot-sigma-dot"),
    ("sigmoid", "dxi1_vec", "W2' delta2", "forgot-sigma-dot"),
    ("tanh", "db1_vec", "W2ᵀ delta2", "forgot-sigma-dot"),
    ("relu", "dW1_vec", "W2' delta2 x'", "relu-derivative-one"),
    # the transposed product: the answer's transpose
    ("sigmoid", "dW1_vec", "x (W2' delta2 ⊙ dsigma(xi1))'", "transposed"),
    ("relu", "dW2_vec", "h delta2'", "transposed"),
    ("tanh", "dxi1_vec", "(W2' delta2 ⊙ tanh'(xi1))'", "transposed"),
    # σ̇ from ξ instead of h, σ for σ̇, ξ for h, and the sign
    ("sigmoid", "dxi1_vec", "W2' delta2 ⊙ xi1 ⊙ (1 - xi1)", "sigma-dot-from-xi"),
    ("tanh", "dW1_vec", "(W2' delta2 ⊙ (1 - xi1 ⊙ xi1)) x'", "sigma-dot-from-xi"),
    ("sigmoid", "dW2_vec", "delta2 xi1'", "xi-for-h"),
    ("relu", "dW2_vec", "-delta2 h'", "sign-flipped"),
])
def test_named_mistakes(hidden, part, text, mistake):
    v = grade(hidden, part, text)
    assert v.status == "incorrect" and v.mistake == mistake, (text, v.status, v.mistake, v.feedback)


@pytest.mark.parametrize("part, text, shown, mistake", [
    # ⊙ replaced by a matrix product
    ("dxi1_vec", "(W2' delta2) dsigma(xi1)", "(N×1)(N×1)", "product-for-hadamard"),
    ("dW1_vec", "(W2' delta2 h ⊙ (1 - h)) x'", "(N×1)(N×1)", "product-for-hadamard"),
    # the transposed product: W⁽²⁾ where W⁽²⁾ᵀ belongs, x where xᵀ belongs, hᵀ δ
    ("dxi1_vec", "W2 delta2 ⊙ dsigma(xi1)", "(K×N)(K×1)", "transposed-product"),
    ("dW1_vec", "(W2' delta2 ⊙ dsigma(xi1)) x", "(N×1)(D×1)", "transposed-product"),
    ("dW2_vec", "delta2 h", "(K×1)(N×1)", "transposed-product"),
    ("dW2_vec", "W2 h'", "(K×N)(1×N)", "transposed-product"),
])
def test_non_conforming_shapes_are_invalid_and_named(part, text, shown, mistake):
    v = grade("sigmoid", part, text)
    assert v.status == "invalid" and not v.costs_attempt, v
    assert shown in v.feedback and "did you mean" in v.feedback, v.feedback
    assert v.mistake == mistake


def test_other_non_conforming_shapes_name_the_shapes():
    v = grade("sigmoid", "dxi1_vec", "h ⊙ delta2")
    assert v.status == "invalid" and "(N×1) ⊙ (K×1)" in v.feedback, v.feedback
    v = grade("sigmoid", "dW1_vec", "W2' delta2")  # conforms, but N×1 is not N×D
    assert v.status == "incorrect" and "N×1" in v.feedback and "N×D" in v.feedback


def test_names_outside_the_part_are_refused():
    v = grade("sigmoid", "dW1_vec", "(W2' delta2 ⊙ dsigma(xi1)) x' + 0 W1")
    assert v.status == "invalid"


# ----------------------------------------------------------------------------
# The prompt, the solution, and when the slice is asked.
# ----------------------------------------------------------------------------
def test_the_prompt_states_shapes_and_the_notes_notation():
    from nncheck.generate.variant import make_variant

    v = make_variant(record(FID), 1, {**NET, "hidden": "tanh", "W2": "[[1, -1], [0, 2], [1, 1]]", "b2": "[0, 0, 0]",
                                      "y": "[1, 0, 1]"})
    text = v.prompt
    for fragment in ("one example (n = 1", "vectors are columns", "W2 = W⁽²⁾ is K×N = 3×2", "K = 3 entries",
                     "N = 2", "D = 2", "ECE 417 final-exam review", "∇W⁽²⁾L = Σᵢ ∇ξᵢ⁽²⁾L hᵢᵀ",
                     "∇ξ⁽¹⁾L = σ̇(ξ⁽¹⁾) ⊙ W⁽²⁾ᵀ∇ξ⁽²⁾L", "tanh'(xi1) (or 1 - h ⊙ h)"):
        assert fragment in text, fragment
    assert "one row per example" not in text
    assert [p["name"] for p in v.parts] == list(PARTS)
    assert "K×N = 3×2" in v.part_prompt(v.part("dW2_vec")) and "N×D = 2×2" in v.part_prompt(v.part("dW1_vec"))
    assert v.part("dxi1_vec")["given"] == ["h = tanh(xi1)"]


def test_other_slices_keep_their_parts_and_prompt():
    from nncheck.generate.variant import make_variant

    v = make_variant(record(FID), 1, {**NET, "hidden": "relu", "ask": "all"})
    assert not set(PARTS) & {p["name"] for p in v.parts}
    assert "Answers with one row per example" in v.prompt and "vector form" not in v.prompt


def test_the_solution_names_each_step():
    from nncheck.generate.variant import make_variant

    v = make_variant(record(FID), 1, {**NET, "hidden": "sigmoid"})
    steps = v.solver.solution(v.params, {})
    assert steps["dW1_vec"][-1].endswith(tv.keys("sigmoid")["dW1_vec"])
    assert "h ⊙ (1 − h)" in " ".join(steps["dxi1_vec"])


def test_vector_slice_needs_one_example_and_no_weight_decay():
    base = ["show", FID, *[f"{k}={v}" for k, v in NET.items() if k not in ("x", "y")]]
    one_line_error([*base, "x=[[1, 2], [0, 1]]", "y=[[1], [0]]"], "ask=vector", "one example", "2 examples")
    one_line_error([*base, "x=[1, 2]", "y=[1]", "lambda=0.1"], "ask=vector", "lambda=0")


def test_ask_vector_alone_draws_one_example():
    for seed in range(1, 21):
        v = build_variant(record(FID), seed, {"ask": "vector"})
        assert len(v.params["x"]) == 1 and [p["name"] for p in v.parts] == list(PARTS)


def test_random_draws_ask_the_vector_form_now_and_then_and_other_seeds_keep_their_slice(monkeypatch):
    """The vector slice is chosen from a copy of the draw's generator: with it switched off every seed
    draws exactly what it draws with it, except the seeds it turns into the vector slice."""
    seeds = range(1, 201)
    with_vector = {s: build_variant(record(FID), s, {}).params for s in seeds}
    monkeypatch.setattr(tv, "SHARE", 0.0)
    without = {s: build_variant(record(FID), s, {}).params for s in seeds}
    changed = [s for s in seeds if with_vector[s] != without[s]]
    for s in changed:
        assert with_vector[s]["ask"] == "vector" and {**with_vector[s], "ask": without[s]["ask"]} == without[s], s
        assert len(with_vector[s]["x"]) == 1
    assert all(with_vector[s]["ask"] != "vector" for s in seeds if s not in changed)
    assert 0.1 <= len(changed) / len(seeds) <= 0.3, len(changed)
