"""Grading a matrix answer, run inside the sandbox worker: shapes, then :mod:`.matequiv`.

The kind (:mod:`nncheck.kinds.matrix_expression`) parses and shape-checks the text in the
grading process, so an unreadable or non-conforming answer is reported at once, and then
hands the text here (the sandbox task ``grade_matrix_expression``), where it is read again
and compared under the sandbox's deadline.

The key, and each declared mistake's value, is answer-language text in the part's symbols
(``"(W2' delta2 ⊙ dsigma(xi1)) x'"``), or a SymPy matrix expression over ``MatrixSymbol``\\ s
of those names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nncheck.answer.matequiv import (
    MISTAKE_POINTS,
    MatEquivalence,
    Side,
    compare,
    matrix_expr_shape,
    matrix_expr_side,
    node_side,
)
from nncheck.answer.verdict import Verdict, comparison_verdict, invalid
from nncheck.lang.shapes import (
    Shape,
    definitions_of,
    domains_of,
    is_scalar,
    mistake_of,
    read_answer,
    read_shapes,
    same,
    shape_text,
    transposed,
)
from nncheck.lang.syntax import AnswerSyntaxError, Node, Transpose, to_text


def key_side(part: Mapping[str, Any], value: Any) -> tuple[Side, Shape]:
    """A key's (or a mistake's) value as a side of the comparison, with its shape."""
    if isinstance(value, str):
        node, shape = read_answer(part, value)
        return node_side(node, value), shape
    return matrix_expr_side(value), matrix_expr_shape(value)


def grade_matrix_expression_local(part: dict, expected: Any, text: str, mistakes: Sequence = ()) -> Verdict:
    """Grade a matrix answer against the key (the sandbox task ``grade_matrix_expression``)."""
    shapes = read_shapes(part.get("shapes"))
    domains = domains_of(part)
    exp_side, exp_shape = key_side(part, expected)
    try:
        node, shape = read_answer(part, text, exp_shape)
    except AnswerSyntaxError as e:
        v = invalid(e)
        v.mistake = mistake_of(e)
        return v
    parsed = to_text(node)
    yours = node_side(node, text)
    if not same(shape, exp_shape):
        return _wrong_shape(part, node, text, shape, exp_shape, exp_side, parsed)
    try:
        res = compare(yours, exp_side, shapes, domains, given=definitions_of(part))
    except AnswerSyntaxError as e:  # an entry the scalar converter refuses (an exponent too large, …)
        return invalid(e)
    how = "shown exactly" if res.method == "exact" else f"it agrees at {res.points} points"
    v, why = comparison_verdict(res, text, parsed, differ="Not equal",
                                correct=f"Correct: equal to the expected answer for matrices of three sets of sizes "
                                        f"({how}).")
    if why is None:
        return v
    try:
        named = _match_mistake(part, yours, exp_side, shape, mistakes)
    except AnswerSyntaxError:
        named = None
    if named is not None:
        v.mistake, msg = named
        v.feedback = f"{msg} ({why})"
    return v


def _wrong_shape(part: Mapping[str, Any], node: Node, text: str, shape: Shape, exp_shape: Shape, exp_side: Side,
                 parsed: str) -> Verdict:
    said = f"this is {shape_text(shape)}; the answer is {shape_text(exp_shape)}"
    if shape is None or exp_shape is None or is_scalar(shape) or shape != transposed(exp_shape):
        return Verdict("incorrect", 0.0, f"Incorrect: {said}.", parsed_as=parsed)
    flipped = node_side(Transpose(node, node.pos, node.end), text)
    try:
        res = bool(_same(part, flipped, exp_side))
    except AnswerSyntaxError as e:
        return invalid(e)
    if res:
        return Verdict("incorrect", 0.0, "transposed: this is the transpose of the answer.", parsed_as=parsed,
                       mistake="transposed")
    return Verdict("incorrect", 0.0, f"Incorrect: {said} (transposed?), and its transpose is not the answer "
                                     "either.", parsed_as=parsed, mistake="transposed")


def _same(part: Mapping[str, Any], a: Side, b: Side) -> MatEquivalence:
    return compare(a, b, read_shapes(part.get("shapes")), domains_of(part), prove=False, points=MISTAKE_POINTS,
                   reach=0, given=definitions_of(part))


def _match_mistake(part: Mapping[str, Any], yours: Side, expected: Side, shape: Shape,
                   mistakes: Sequence) -> tuple[str, str] | None:
    """(id, message) of the declared or generic mistake the answer equals, or None."""
    for mid, msg, value in mistakes:
        if value is None:
            continue
        try:
            side, mshape = key_side(part, value)
        except (AnswerSyntaxError, TypeError, ValueError):
            continue
        if same(mshape, shape) and _same(part, yours, side):
            return mid, msg
    if _same(part, yours, lambda env: -expected(env)):
        return "sign-flipped", "sign flipped: this is the negative of the answer"
    return None
