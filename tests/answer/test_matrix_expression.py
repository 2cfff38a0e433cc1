"""Matrix answers (kind ``matexpr``): back-propagation in vector form, graded by shape and by value.

The key is the ECE 417 final-exam review's ∇_{W⁽¹⁾}L = (σ̇(ξ⁽¹⁾) ⊙ W⁽²⁾ᵀ ∇_{ξ⁽²⁾}L) xᵀ for one
example, in the named vectors of a two-layer network.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from nncheck import kinds
from nncheck.answer.matequiv import compare, node_side, size_assignments
from nncheck.lang.shapes import ShapeError, infer, read_answer, read_shapes
from nncheck.lang.syntax import AnswerSyntaxError, parse, to_text

SHAPES = {"W2": "K×N", "delta2": "K", "xi1": "N", "x": "D", "h": "N"}
PART = {"kind": "matexpr", "shapes": SHAPES, "symbols": {"h": "(0,1)"}}
KEY = "(W2' delta2 ⊙ dsigma(xi1)) x'"
MISTAKES = [
    ("no-sigma-dot", "a forgotten σ̇", "W2' delta2 x'"),
    ("sigma-for-sigma-dot", "σ where σ̇ belongs", "(W2' delta2 ⊙ sigma(xi1)) x'"),
]


def grade(text: str, key: str = KEY, mistakes=MISTAKES, part=PART):
    return kinds.grade_answer(part, key, text, mistakes)


@pytest.mark.parametrize("text", [
    "(W2' delta2 .* dsigma(xi1)) x'",
    "(dsigma(xi1) ⊙ (W2ᵀ delta2)) xᵀ",
    "dsigma(xi1) odot W2' delta2 * x'",
    "(W⁽²⁾ᵀ delta2 ⊙ σ̇(ξ1)) xᵀ",
    "(W2^T delta2 .* sigma(xi1) .* (1 - sigma(xi1))) x^T",
    "(W2' delta2 ⊙ sigma(xi1) ⊙ sigma(-xi1)) x'",  # σ(−u) = 1 − σ(u): proved through exponentials
    "((delta2' W2)' ⊙ dsigma(xi1)) x'",  # Wᵀδ written as (δᵀW)ᵀ
    "((W2' delta2 ⊙ dsigma(xi1)) x')''",
    "0 + (sigma'(xi1) ⊙ W2' delta2) * x' - 0 h x'",
])
def test_correct_forms_are_accepted(text):
    v = grade(text)
    assert v.status == "correct", (text, v)
    # The echo is explicit about grouping, and reads back as the same tree.
    again = parse(v.parsed_as, symbols=set(SHAPES), matrix=True)
    assert again == parse(text, symbols=set(SHAPES), matrix=True) or grade(v.parsed_as).status == "correct"


def test_the_echo_parses_back_to_the_same_tree():
    for text in ["(W2' delta2 .* dsigma(xi1)) x'", "dsigma(xi1) odot W2' delta2 * x'", "-(h ⊙ h) x'", "h ⊙ h ⊙ h"]:
        node = parse(text, symbols=set(SHAPES), matrix=True)
        assert parse(to_text(node), symbols=set(SHAPES), matrix=True) == node, to_text(node)


def test_declared_mistakes_are_named():
    v = grade("W2' delta2 x'")
    assert v.status == "incorrect" and v.mistake == "no-sigma-dot" and "forgotten" in v.feedback
    v = grade("(W2' delta2 ⊙ sigma(xi1)) x'")
    assert v.status == "incorrect" and v.mistake == "sigma-for-sigma-dot"


def test_a_transposed_answer_is_the_named_mistake_transposed():
    v = grade("x (W2' delta2 ⊙ dsigma(xi1))'")
    assert v.status == "incorrect" and v.mistake == "transposed" and "transpose of the answer" in v.feedback
    v = grade("x (W2' delta2 ⊙ sigma(xi1))'")  # the transposed shape, and wrong besides
    assert v.status == "incorrect" and v.mistake == "transposed" and "not the answer either" in v.feedback


def test_a_negated_answer_is_named():
    v = grade("-(W2' delta2 ⊙ dsigma(xi1)) x'")
    assert v.status == "incorrect" and v.mistake == "sign-flipped"


def test_a_wrong_shape_that_conforms_is_incorrect_with_both_shapes():
    v = grade("W2' delta2")
    assert v.status == "incorrect" and "N×1" in v.feedback and "N×D" in v.feedback and v.mistake is None


@pytest.mark.parametrize("text, shown, suggestion, mistake", [
    ("W2 delta2", "(K×N)(K×1)", "W2' delta2", "transposed-product"),
    ("(W2' delta2 ⊙ dsigma(xi1)) x", "(N×1)(D×1)", "(W2' delta2 ⊙ dsigma(xi1)) x'", "transposed-product"),
    ("(W2' delta2) dsigma(xi1) x'", "(N×1)(N×1)", "(W2' delta2) ⊙ dsigma(xi1)", "product-for-hadamard"),
    ("W2 h'", "(K×N)(1×N)", "W2 h", "transposed-product"),
])
def test_non_conforming_shapes_are_invalid_and_named(text, shown, suggestion, mistake):
    v = grade(text)
    assert v.status == "invalid" and not v.costs_attempt
    assert v.error is not None and v.error.code == "shape"
    assert shown in v.feedback and f"did you mean {suggestion}?" in v.feedback, v.feedback
    assert v.mistake == mistake


@pytest.mark.parametrize("text, shown", [
    ("h ⊙ delta2", "(N×1) ⊙ (K×1)"),
    ("h + delta2", "(N×1) + (K×1)"),
    ("x / h", "N×1"),
])
def test_other_non_conforming_shapes_name_the_shapes(text, shown):
    v = grade(text)
    assert v.status == "invalid" and shown in v.feedback, v.feedback


def test_hadamard_for_a_matrix_product_is_suggested():
    with pytest.raises(AnswerSyntaxError) as e:
        read_answer(PART, "(W2' delta2 ⊙ dsigma(xi1)) ⊙ x'")
    assert "did you mean" in e.value.message and getattr(e.value, "mistake", None) == "hadamard-for-product"


# ----------------------------------------------------------------------------
# Soundness: what sampling could miss is still rejected.
# ----------------------------------------------------------------------------
def _side(text):
    node, _ = read_answer(PART, text)
    return node_side(node, text)


def test_a_plausible_rearrangement_that_squares_x_is_rejected():
    # (a xᵀ) ⊙ (b xᵀ) is (a ⊙ b)(x ⊙ x)ᵀ, not (a ⊙ b) xᵀ.
    assert grade("((W2' delta2) x') ⊙ (dsigma(xi1) x')").status == "incorrect"


def test_equal_only_for_one_entry_vectors_is_rejected():
    # h ⊙ h and h (hᵀh) agree when N = 1 only.
    assert grade("h h' h", key="h ⊙ h").status == "incorrect"


def test_a_difference_at_one_entry_is_found():
    key = _side(KEY)

    def off_by_one_entry(env):
        m = key(env).as_mutable()
        m[0, 1] += sympy.Rational(1, 10**9)  # one entry, by a billionth
        return m

    r = compare(off_by_one_entry, key, read_shapes(SHAPES), {"h": "(0,1)"})
    assert not r.equal and "entry (1,2)" in r.counterexample()


def test_a_difference_at_one_size_only_is_found():
    key = _side(KEY)

    def wrong_when_large(env):
        m = key(env)
        return m * 2 if m.rows == 5 else m

    assert not compare(wrong_when_large, key, read_shapes(SHAPES), {}).equal


def test_sizes_are_distinct_in_every_assignment():
    for dims in (["N"], ["K", "N"], ["D", "K", "N"], ["A", "B", "C", "D"]):
        assignments = size_assignments(dims)
        assert len(assignments) == 3
        for sizes in assignments:
            assert len(set(sizes.values())) == len(dims) and min(sizes.values()) >= 2
        for d in dims:  # each size takes several values
            assert len({a[d] for a in assignments}) == 3


def test_a_tiny_relative_difference_is_not_rounded_away():
    assert grade("(1 + 10^-60) (W2' delta2 ⊙ dsigma(xi1)) x'").status == "incorrect"


def test_relu_answers_are_compared_where_they_differ():
    part = {"kind": "matexpr", "shapes": {"xi1": "N"}}
    assert grade("max(0, xi1)", key="relu(xi1)", mistakes=[], part=part).status == "correct"
    assert grade("max(0, xi1 - 4)", key="relu(xi1)", mistakes=[], part=part).status == "incorrect"


# ----------------------------------------------------------------------------
# Bounds.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("text, code", [
    ("(W2' delta2 ⊙ dsigma(xi1))^100000 x'", "too-complex"),
    ("(" * 70 + "x" + ")" * 70, "too-deep"),
    (" ".join(["W2' W2"] * 20) + " xi1 x'", "too-complex"),
    (" + ".join(["h"] * 300), "too-complex"),
])
def test_resource_bounds(text, code):
    v = grade(text)
    assert v.status == "invalid" and v.error is not None and v.error.code == code, v


def test_a_square_power_is_ambiguous():
    part = {"kind": "matexpr", "shapes": {"A": "N×N"}}
    v = grade("A^2", key="A A", mistakes=[], part=part)
    assert v.status == "invalid" and "ambiguous" in v.feedback


# ----------------------------------------------------------------------------
# LaTeX.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("tex", [
    r"\left(W^{(2)\top}\vec{\delta}_2 \odot \dot{\sigma}(\xi_1)\right) x^{T}",
    r"(W^{(2),T} \delta_2 \odot \sigma'(\xi_1)) \vec{x}^\top",
    r"(\dot\sigma(\xi_1) \odot W_2^{T} \delta_2) x^T",
    r"$(W^{(2)T} \delta_2 \odot \sigma'(\xi_1)) x^{\top}$",
])
def test_latex_forms(tex):
    v = grade(tex)
    assert v.status == "correct", (tex, v)


def test_latex_odot_stays_a_product_outside_matrix_answers():
    from nncheck.lang.latex import latex_to_plain

    assert latex_to_plain(r"a \odot b") == "a*b"


# ----------------------------------------------------------------------------
# The scalar language is unchanged.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["h .* h", "h ⊙ h", "dsigma(h)"])
def test_matrix_notation_is_refused_in_scalar_answers(text):
    with pytest.raises(AnswerSyntaxError):
        parse(text, symbols={"h"})


def test_odot_may_be_a_declared_symbol():
    assert to_text(parse("odot h", symbols={"odot", "h"}, matrix=True)) == "odot*h"


# ----------------------------------------------------------------------------
# Shapes declared, and the key's two computations.
# ----------------------------------------------------------------------------
def test_shape_declarations():
    assert read_shapes({"W": "K×N", "b": "N", "v": ["N"], "M": ["K", "N"], "r": "1 x N"}) == {
        "W": ("K", "N"), "b": ("N", "1"), "v": ("N", "1"), "M": ("K", "N"), "r": ("1", "N")}
    for bad in ({"W": "K×N×D"}, {"W": 3}, {"W": "K×3"}, {}, None):
        with pytest.raises(ShapeError):
            read_shapes(bad)


def test_the_bank_schema_reads_shapes():
    from pydantic import ValidationError

    from nncheck.bank.schema import Part

    Part(name="dW1_vec", kind="matexpr", prompt="…", shapes={"W2": "K×N", "x": ["D"]})
    with pytest.raises(ValidationError):
        Part(name="dW1_vec", kind="matexpr", prompt="…")
    with pytest.raises(ValidationError):
        Part(name="dW1_vec", kind="matexpr", prompt="…", shapes={"W2": "K×N×D"})


def _backprop(env):
    """The NumPy backprop of the hidden layer's weight gradient, for one example."""
    s = 1 / (1 + np.exp(-env["xi1"]))
    return np.outer((env["W2"].T @ env["delta2"]) * s * (1 - s), env["x"])


def test_the_formula_agrees_with_numpy_backprop_over_random_shapes():
    kind = kinds.get("matexpr")
    ok, why = kind.agree(PART, KEY, _backprop, rel=1e-9, abs_=1e-12)
    assert ok, why
    ok, why = kind.agree(PART, KEY, lambda env: _backprop(env).T, rel=1e-9, abs_=1e-12)
    assert not ok
    ok, why = kind.agree(PART, "W2' delta2 x'", _backprop, rel=1e-9, abs_=1e-12)
    assert not ok and "NumPy" in why


def test_same_is_shape_and_value():
    kind = kinds.get("matexpr")
    assert kind.same(PART, KEY, "dsigma(xi1) ⊙ W2' delta2 * x'")
    assert not kind.same(PART, KEY, "W2' delta2 x'")
    assert not kind.same(PART, KEY, "x (W2' delta2 ⊙ dsigma(xi1))'")


def test_shapes_are_compared_by_name_not_number():
    shapes = read_shapes({"A": "K×N", "B": "N×K"})
    assert infer(parse("A B", symbols={"A", "B"}, matrix=True), shapes) == ("K", "K")
    with pytest.raises(AnswerSyntaxError):
        infer(parse("A ⊙ B", symbols={"A", "B"}, matrix=True), shapes, "A ⊙ B")
