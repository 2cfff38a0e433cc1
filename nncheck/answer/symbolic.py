"""Symbolic grading, run inside the sandbox worker: expressions and vectors/matrices of them.

The answer kinds (:mod:`nncheck.kinds.expression`, :mod:`nncheck.kinds.array`) parse the
text in this process, so an unreadable answer is reported at once, and then hand the
text to :func:`nncheck.answer.sandbox.run`, which calls the functions here by name
(``sandbox.TASKS``) in the worker, under its deadline: past it the verdict is
*invalid* with code ``too-complex`` ("too complex"), never a hang.

Nothing here knows answer kinds: the caller says how a vector may be typed
(``as_vector``), and everything else follows from the expected value.
"""

from __future__ import annotations

from typing import Any

from nncheck.answer.verdict import Verdict, comparison_verdict, invalid, shape_text, too_complex
from nncheck.lang.syntax import AnswerSyntaxError, Node, parse, to_text

#: Sample points used when matching a wrong answer against the declared mistakes
#: (a match only relabels the feedback, so fewer core points are enough).
MISTAKE_POINTS = 8


class _TooComplex(Exception):
    """The equivalence checker's own "too complex" (a point needs more digits than it allows)."""


def part_symbols(part: dict) -> dict:
    """name -> SymPy symbol with the assumptions of the part's declared domain."""
    from nncheck.lang.sympy_backend import make_symbol

    return {name: make_symbol(name, dom) for name, dom in (part.get("symbols") or {}).items()}


def align(expr, syms: dict):
    """Re-key ``expr``'s symbols by name onto ``syms`` (solvers may build plain Symbols)."""
    import sympy

    from nncheck.answer.equiv import _sym

    if not isinstance(expr, (sympy.Basic, sympy.MatrixBase)):
        expr = _sym(expr)
    free = expr.free_symbols
    mapping = {s: syms[s.name] for s in free if getattr(s, "name", None) in syms and s != syms[s.name]}
    return expr.xreplace(mapping) if mapping else expr


def parse_symbolic(part: dict, text: str, matrix: bool) -> Node:
    """Parse ``text`` with the part's symbols (``matrix``: rows may be typed as ``[1 2; 3 4]``)."""
    return parse(text, symbols=set((part.get("symbols") or {}).keys()), transpose=matrix)


def expects_matrix(expected: Any) -> bool:
    """Is the expected value a vector or matrix (a SymPy or NumPy array), not a scalar?"""
    return hasattr(expected, "shape") and not isinstance(expected, (int, float))


# ----------------------------------------------------------------------------
# The work.
# ----------------------------------------------------------------------------
def _convert(part: dict, text: str, matrix: bool):
    from nncheck.lang.sympy_backend import to_sympy

    syms = part_symbols(part)
    node = parse_symbolic(part, text, matrix)
    return node, to_sympy(node, dict(syms), text), syms


def grade_expression_local(part: dict, expected, text: str, mistakes=()) -> Verdict:
    """Grade an expression answer (a scalar, or an array when the key is one): the sandbox task
    ``grade_expression``."""
    import sympy

    from nncheck.answer.equiv import equivalent_local

    if expects_matrix(expected):
        return grade_symbolic_array_local(part, expected, text, mistakes)
    try:
        node, yours, syms = _convert(part, text, False)
    except AnswerSyntaxError as e:
        return invalid(e)
    parsed = to_text(node)
    expected = align(expected, syms)
    domains = dict(part.get("symbols") or {})
    if isinstance(yours, sympy.MatrixBase):
        return Verdict("incorrect", 0.0, "expected a single expression, not a vector or matrix", parsed_as=parsed)
    res = equivalent_local(yours, expected, domains)
    how = ("shown exactly" if res.method == "exact" else
           f"it agrees at {res.points} points of the domain, near 0, far out and at its ends"
           if res.method == "sampling" else "checked numerically")
    v, why = comparison_verdict(res, text, parsed, differ="Not equivalent",
                                correct=f"Correct: equivalent to the expected answer ({how}).")
    if why is None:
        return v
    m = match_expression_mistake(yours, expected, domains, mistakes, syms)
    if m is not None:
        v.mistake, msg = m
        v.feedback = f"{msg} ({why})"
    return v


def match_expression_mistake(yours, expected, domains: dict, mistakes, syms: dict):
    """(id, message) of the declared or generic mistake ``yours`` equals, or None."""
    import sympy

    from nncheck.answer.equiv import equivalent_local

    def same(value) -> bool:
        try:
            return bool(equivalent_local(yours, value, domains, n_points=MISTAKE_POINTS, prove=False).equal)
        except (TypeError, ValueError, AttributeError):
            return False

    for mid, msg, mval in mistakes:
        if mval is None:
            continue
        try:
            target = align(mval, syms)
        except (TypeError, ValueError, AttributeError):
            continue
        if isinstance(target, sympy.MatrixBase) != isinstance(yours, sympy.MatrixBase):
            continue
        if same(target):
            return mid, msg
    if isinstance(yours, sympy.MatrixBase):
        return None
    if not expected.is_zero and same(-expected):
        return "sign-flipped", "sign flipped: this is the negative of the answer"
    factor = _constant_factor(yours, expected, domains)
    if factor is not None and same(factor * expected):
        return "scaled", f"off by a constant factor: this is {factor} × the answer"
    return None


def _constant_factor(yours, expected, domains):
    """A small rational c ≠ ±1 with yours = c·expected at a sample point, or None."""
    import random
    from fractions import Fraction

    import sympy

    from nncheck.answer.equiv import _domain_of
    from nncheck.lang.domains import sample_points
    from nncheck.lang.mpeval import Undefined, evaluate

    syms = sorted(yours.free_symbols | expected.free_symbols, key=lambda s: s.name)
    if not syms:
        return None
    pts = sample_points({s.name: _domain_of(s, domains) for s in syms}, 3, random.Random(7))
    for pt in pts:
        try:
            a, b = evaluate(yours, pt, 30), evaluate(expected, pt, 30)
        except Undefined:
            continue
        if b == 0 or hasattr(a, "imag") and a.imag or hasattr(b, "imag") and b.imag:
            continue
        r = Fraction(str(a / b)).limit_denominator(100)
        if r in (0, 1, -1) or abs(r) > 1000:
            return None
        return sympy.Rational(r.numerator, r.denominator)
    return None


def grade_symbolic_array_local(part: dict, expected, text: str, mistakes=(), as_vector: bool | None = None
                               ) -> Verdict:
    """Vector/matrix answers with symbolic entries: shape first, then entry by entry (the sandbox
    task ``grade_symbolic_array``).

    ``as_vector``: True for a vector part (a row and a column are the same answer), False for a
    matrix part (shapes must match), None when the key decides (an expression part whose key is
    an array: a row and a column of the same length are the same answer).
    """
    import sympy

    from nncheck.answer.equiv import equivalent_local

    try:
        node, yours, syms = _convert(part, text, True)
    except AnswerSyntaxError as e:
        return invalid(e)
    parsed = to_text(node)
    exp = align(sympy.Matrix(expected) if not isinstance(expected, sympy.MatrixBase) else expected, syms)
    domains = dict(part.get("symbols") or {})
    if not isinstance(yours, sympy.MatrixBase):
        yours = sympy.Matrix([[yours]])
    if as_vector or (as_vector is None and 1 in exp.shape and 1 in yours.shape and len(exp) == len(yours)):
        # A vector is a vector, whether typed as a row or a column.
        exp, yours = exp.reshape(len(exp), 1), yours.reshape(len(yours), 1)
        e_shape, y_shape = (len(exp),), (len(yours),)
    else:
        e_shape, y_shape = exp.shape, yours.shape
    if e_shape != y_shape:
        msg = f"expected {shape_text(e_shape)}, got {shape_text(y_shape)}"
        if len(e_shape) == 2 and y_shape == e_shape[::-1]:
            return Verdict("incorrect", 0.0, msg + " — transposed?", parsed_as=parsed, mistake="transposed")
        return Verdict("incorrect", 0.0, msg, parsed_as=parsed)
    details: list[dict[str, Any]] = []
    right = 0
    first_wrong: tuple[Any, Any] | None = None  # (entry label, equivalence result)
    cols = exp.shape[1]
    for k in range(len(exp)):
        i, j = divmod(k, cols)
        r = equivalent_local(yours[i, j], exp[i, j], domains)
        if r.too_complex:
            return too_complex(text, _TooComplex(r.note))
        ok = bool(r.equal)
        right += ok
        label = k + 1 if len(e_shape) == 1 else (i + 1, j + 1)
        details.append({"entry": label, "yours": str(yours[i, j]), "correct": ok})
        if not ok and first_wrong is None:
            first_wrong = (label, r)
    total = len(exp)
    if right == total:
        return Verdict("correct", 1.0, "Correct: every entry is equivalent to the expected one.",
                       parsed_as=parsed, details=details)
    wrong = [d["entry"] for d in details if not d["correct"]]
    shown = ", ".join(_label(w) for w in wrong[:6]) + ("…" if len(wrong) > 6 else "")
    assert first_wrong is not None  # right < total: some entry is wrong
    label, r = first_wrong
    why = f"entry {_label(label)}: {r.counterexample() if not r.undecided else 'cannot be evaluated'}"
    v = Verdict("incorrect", right / total, f"{right} of {total} entries correct; wrong: {shown} ({why}).",
                parsed_as=parsed, details=details)
    # Whole-array mistakes: transposed (square), declared mistakes, all signs flipped.
    if len(e_shape) == 2 and e_shape[0] == e_shape[1] > 1 and exp != exp.T:
        if equivalent_local(yours, exp.T, domains, n_points=MISTAKE_POINTS, prove=False).equal:
            v.mistake, v.feedback = "transposed", "transposed: this is the transpose of the answer."
            return v
    m = match_expression_mistake(yours, exp, domains, mistakes, syms)
    if m is not None:
        v.mistake, v.feedback = m[0], f"{m[1]} ({why})"
        return v
    if any(not x.is_zero for x in exp) and equivalent_local(yours, -exp, domains, n_points=MISTAKE_POINTS,
                                                           prove=False).equal:
        v.mistake, v.feedback = "sign-flipped", "sign flipped: every entry has the wrong sign."
    return v


def _label(w) -> str:
    return str(w) if not isinstance(w, tuple) else f"({w[0]},{w[1]})"
