"""Vector-form derivations: ``shapes:``, steps checked entry by entry, and ``derive.backprop-vector``."""

from __future__ import annotations

import random

import numpy as np
import pytest

from nncheck.derive.core import check_derivation
from nncheck.derive.plan import build_plan
from nncheck.kinds.derivation import grade_derivation, problem_for

HEAD = """shapes: W1: N×D, x: D, b1: N, W2: K×N, b2: K, delta2: K
given: xi1 = W1 x + b1; h = sigma(xi1); xi2 = W2 h + b2; d/dxi2(L) = delta2
"""
#: The ECE 417 final-exam review's chain from ∇_{ξ⁽¹⁾}L to ∇_{W⁽¹⁾}L, in the answer language.
WORKED = HEAD + """d/dW1(L) = d/dxi1(L) x'
= (d/dh(L) ⊙ dsigma(xi1)) x'
= (W2' d/dxi2(L) ⊙ dsigma(xi1)) x'
= (W2' delta2 ⊙ dsigma(xi1)) x'
= (dsigma(xi1) ⊙ W2' delta2) x'
"""


def check(text: str, **kw):
    return check_derivation(text, isolate=False, **kw)


def statuses(report) -> list[str]:
    return [s.status for s in report.steps]


def test_a_vector_form_derivation_of_the_weight_gradient_checks_step_by_step():
    r = check(WORKED)
    assert statuses(r) == ["valid"] * 5, [s.detail for s in r.steps]
    assert r.exit_code == 0
    assert [s.rule for s in r.steps] == ["chain-rule", "chain-rule", "chain-rule", "definition", "algebra"]
    assert "d/dxi2(L) = delta2" in r.steps[3].detail


def test_the_shapes_line_switches_to_matrix_mode_and_is_shown():
    plan = build_plan(WORKED)
    assert plan.matrix and plan.shapes["W2"] == ("K", "N") and plan.shapes["x"] == ("D", "1")
    assert build_plan("d/dx(x^2) = 2x").matrix is False


def test_a_transposed_step_is_wrong_and_named_with_both_shapes():
    r = check(HEAD + "d/dW1(L) = d/dxi1(L) x'\n= x d/dxi1(L)'\n")
    bad = r.steps[1]
    assert bad.status == "invalid"
    assert "the left side is N×D, the right side is D×N" in bad.detail
    assert bad.hint.startswith("transposed: the right side is the transpose")


def test_a_non_conforming_line_is_reported_with_its_shapes_and_the_fix():
    r = check(HEAD + "d/dW1(L) = (W2 d/dxi2(L) ⊙ dsigma(xi1)) x'\n")
    assert r.steps[0].status == "unparsable" and r.exit_code == 2
    msg = r.steps[0].error.message
    assert "(K×N)(K×1)" in msg and "did you mean W2' d/dxi2(L)?" in msg and "transposed product" in msg
    assert r.steps[0].error.code == "shape"


def test_a_step_between_two_shapes_is_wrong_naming_both():
    r = check(HEAD + "d/dW1(L) = d/dx(L)\n")
    assert r.steps[0].status == "invalid"
    assert "the left side is N×D, the right side is D×1" in r.steps[0].detail


def test_a_step_true_only_when_two_sizes_are_equal_is_caught():
    # (0u + 1)ᵀ(0u + 1) = N and (0v + 1)ᵀ(0v + 1) = D: equal only when N = D, and the checker never
    # gives two size names one value.
    r = check("shapes: u: N, v: D\n(0 u + 1)'(0 u + 1) = (0 v + 1)'(0 v + 1)\n")
    assert statuses(r) == ["invalid"]
    assert "N = " in r.steps[0].detail and "D = " in r.steps[0].detail
    assert check("shapes: u: N, v: N\n(0 u + 1)'(0 u + 1) = (0 v + 1)'(0 v + 1)\n").valid


def test_a_forgotten_sigma_dot_is_wrong_with_an_entry_and_sizes():
    r = check(HEAD + "d/dW1(L) = (W2' delta2) x'\n")
    st = r.steps[0]
    assert st.status == "invalid"
    assert st.detail.startswith("not equal: with D = ") and "entry (" in st.detail
    assert st.counterexample["sizes"] and st.counterexample["entry"].startswith("entry")


def test_hadamard_and_matrix_product_are_not_interchangeable():
    r = check(HEAD + "d/dW1(L) = (dsigma(xi1) ⊙ W2' delta2) x'\n= (dsigma(xi1) ⊙ W2' delta2) ⊙ x'\n")
    assert r.steps[1].status == "unparsable"
    assert "⊙ needs two arrays of one shape" in r.steps[1].error.message


def test_the_loss_is_used_only_through_its_given_gradient():
    r = check(HEAD + "shapes: y: K\nd/dy(L) = 0 y\n")
    assert r.steps[0].status == "unparsable"
    assert "does not follow from it" in r.steps[0].detail
    r = check(HEAD + "L = L\nd/dW2(L) = L W2\n")
    assert any("known only through its gradient" in s.detail for s in r.steps)


def test_the_gradient_the_checker_computes_is_the_finite_difference_of_a_real_loss():
    """d/dW1(L), d/dW2(L) and d/db1(L) as the checker computes them, with δ⁽²⁾ = ∇_{ξ⁽²⁾}L of the loss
    L = ½‖ξ⁽²⁾ − t‖², against central differences of that loss, at random sizes."""
    import sympy

    from nncheck.derive.matrixstep import MatrixContext, _Values
    from nncheck.lang.matrices import symbol_matrices
    from nncheck.lang.syntax import parse

    plan = build_plan(WORKED)
    ctx = MatrixContext(plan)
    rng = np.random.default_rng(4)
    for K, N, D in ((2, 3, 5), (4, 2, 3)):
        sizes = {"K": K, "N": N, "D": D}
        env, _ = symbol_matrices(ctx.free, sizes, {})
        vals = {k: rng.normal(size=v.shape) for k, v in env.items()}
        t = rng.normal(size=(K, 1))

        def loss(p, t=t):
            xi2 = p["W2"] @ (1 / (1 + np.exp(-(p["W1"] @ p["x"] + p["b1"])))) + p["b2"]
            return 0.5 * float(np.sum((xi2 - t) ** 2)), xi2

        vals["delta2"] = loss(vals)[1] - t
        subs = {s: float(vals[k][i, j]) for k, m in env.items() for (i, j), s in np.ndenumerate(np.array(m))}
        for var in ("W1", "W2", "b1"):
            text = f"d/d{var}(L)"
            g = _Values(ctx, env).term(parse(text, symbols=None, derivatives=True, matrix=True), text, {})
            got = np.array(sympy.ImmutableMatrix(g).xreplace(subs).evalf().tolist(), dtype=float)
            fd = np.zeros_like(vals[var])
            for idx in np.ndindex(*vals[var].shape):
                for sign in (1, -1):
                    p = {k: v.copy() for k, v in vals.items()}
                    p[var][idx] += sign * 1e-6
                    fd[idx] += sign * loss(p)[0] / 2e-6
            np.testing.assert_allclose(got, fd, rtol=1e-5, atol=1e-7)


# ----------------------------------------------------------------------------
# The bank problem.
# ----------------------------------------------------------------------------
FAMILY = "derive.backprop-vector"


@pytest.fixture
def key(catalog):
    from nncheck.generate.variant import make_variant
    from nncheck.key.compute import answer_key

    return answer_key(make_variant(catalog.get(FAMILY), 1, {}))


def test_the_problems_worked_solution_earns_every_milestone(key):
    kp = key.parts["derivation"]
    r = check("\n".join(kp.steps), problem=problem_for(kp.spec))
    assert r.valid and r.finished and r.score == 1.0 and r.shown
    assert [row["earned"] for row in r.milestone_rows()] == [True] * 4


def test_a_jump_to_the_vector_form_shows_no_work(key):
    kp = key.parts["derivation"]
    r = check("d/dW1(L)\n= (sigma'(xi1) ⊙ W2' delta2) x'", problem=problem_for(kp.spec))
    assert r.valid and r.finished and r.score <= 0.5


@pytest.mark.parametrize("answer,mistake", [
    ("x (dsigma(xi1) ⊙ W2' delta2)'", "transposed"),
    ("(W2' delta2) x'", "sigma-dot-forgotten"),
    ("(sigma(xi1) .* W2' delta2) x'", "sigma-for-dsigma"),
])
def test_each_named_mistake_is_caught_with_its_name(key, answer, mistake):
    kp = key.parts["derivation"]
    v = grade_derivation(kp.spec, kp.exact, f"d/dW1(L)\n= {answer}", key.mistakes_for("derivation"))
    assert v.status == "incorrect" and v.mistake == mistake


def test_the_key_two_ways_sympy_from_the_forward_pass_and_numpy_backprop(key):
    """``answer_key`` refuses a key whose SymPy and NumPy sides disagree; here the NumPy side is also
    checked against finite differences of a real loss at random sizes."""
    from nncheck.topics.derivations import BackpropVector

    assert key.parts["derivation"].exact == BackpropVector.KEY
    rng = random.Random(3)
    for _ in range(3):
        K, N, D = rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 4)
        g = np.random.default_rng(rng.randint(0, 99))
        W1, W2, x, b1, b2, t = (g.normal(size=s) for s in ((N, D), (K, N), D, N, K, K))

        def loss(w1, W2=W2, x=x, b1=b1, b2=b2, t=t):
            return 0.5 * float(np.sum((W2 @ (1 / (1 + np.exp(-(w1 @ x + b1)))) + b2 - t) ** 2))

        xi1 = W1 @ x + b1
        delta2 = W2 @ (1 / (1 + np.exp(-xi1))) + b2 - t
        got = BackpropVector.hand({"W2": W2, "delta2": delta2, "xi1": xi1, "x": x})
        fd = np.zeros_like(W1)
        for idx in np.ndindex(*W1.shape):
            e = np.zeros_like(W1)
            e[idx] = 1e-6
            fd[idx] = (loss(W1 + e) - loss(W1 - e)) / 2e-6
        np.testing.assert_allclose(got, fd, rtol=1e-5, atol=1e-8)


def test_the_family_passes_its_self_test(catalog):
    from nncheck.verify import selftest

    result = selftest.test_family(catalog.get(FAMILY), seeds=1)
    assert not result.get("failures"), result.get("failures")
