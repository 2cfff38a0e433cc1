"""Expression answers: ``h*(1-h)``, ``(yhat - y)/n``, and arrays of them when the key is one (Jacobians).

The text is parsed here, in this process (bounded and fast), so an unreadable answer
is reported at once.  Everything symbolic (conversion, equivalence, mistake matching)
then runs in the sandbox worker (:mod:`nncheck.answer.symbolic`) under its deadline:
past it the verdict is *invalid* with code ``too-complex``, never a hang.

The two computations of an expression key (and a declared mistake against the key)
are compared at random points of the part's symbol domains (:func:`agree_expression`),
in this process: SymPy's exact equivalence is the grader's business.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from nncheck.answer.verdict import Verdict, invalid, too_complex
from nncheck.kinds.base import Kind, Mistake, Part, TeX
from nncheck.kinds.values import close, expr_text, remembered, sample_point, sympy_text, to_float
from nncheck.lang.syntax import AnswerSyntaxError, parse, to_text

#: Points at which two computations of an expression are compared, and their closeness.
AGREE_POINTS = 8
AGREE_REL, AGREE_ABS = 1e-7, 1e-9


def none_expected(part: Part, text: str) -> Verdict:
    """The verdict for a value typed where the part does not fit (the key is none)."""
    try:
        node = parse(text, symbols=set((part.get("symbols") or {}).keys()), transpose=True)
    except AnswerSyntaxError as e:
        return invalid(e)
    return Verdict("incorrect", 0.0, "Incorrect: there is no value here (answer none).", parsed_as=to_text(node))


def run_symbolic(task: str, part: Part, expected: Any, text: str, mistakes: Sequence[Mistake], *extra: Any,
                 matrix: bool) -> Verdict:
    """Parse ``text`` here (a syntax error is answered without the worker), then run ``task`` in the sandbox."""
    from nncheck.answer import sandbox
    from nncheck.answer.symbolic import parse_symbolic

    try:
        parse_symbolic(dict(part), text, matrix)
    except AnswerSyntaxError as e:
        return invalid(e)
    try:
        verdict: Verdict = sandbox.run(task, dict(part), expected, text, list(mistakes), *extra)
        return verdict
    except sandbox.TooComplex as e:
        return too_complex(text, e)


#: agree_expression's results by (exact, other, symbols): the comparison is deterministic (a fixed
#: seed), so a family whose rule parts are the same expressions in every instance (lstm.bptt's
#: dL/dc[t] rule and its mistakes) compares them once per process.  Only hashable, immutable values
#: are remembered: SymPy expressions, and functions (by identity).
_MEMO: dict[tuple, tuple[bool, str]] = {}


def agree_expression(part: Part, exact: Any, numeric: Any) -> tuple[bool, str]:
    """Compare a SymPy expression with a NumPy callable (or a second SymPy expression, e.g. a
    mistake) at random points of the part's symbol domains.

    The SymPy side is evaluated by the answer language's allow-listed mpmath walker rather
    than ``lambdify``, which would generate and compile code for every comparison.
    """
    key = None
    if all(type(v).__module__.startswith("sympy") or hasattr(v, "__code__") for v in (exact, numeric)):
        key = (exact, numeric, repr(sorted((part.get("symbols") or {}).items())))
    return remembered(_MEMO, key, lambda: _agree_expression(part, exact, numeric))


def _agree_expression(part: Part, exact: Any, numeric: Any) -> tuple[bool, str]:
    from nncheck.lang.mpeval import Undefined, evaluate

    symbols = part.get("symbols") or {}
    rng = random.Random(12345)
    symbolic_other = type(numeric).__module__.startswith("sympy")
    compared = 0
    for _ in range(AGREE_POINTS):
        pt = sample_point(symbols, rng)
        try:
            a = _real_float(evaluate(exact, pt, 20))
            if symbolic_other:
                b = _real_float(evaluate(numeric, pt, 20))
            else:
                b = float(numeric(pt) if callable(numeric) else to_float(numeric))
        except (Undefined, ValueError, ZeroDivisionError, OverflowError, TypeError):
            continue
        compared += 1
        if not close(a, b, AGREE_REL, AGREE_ABS):
            shown = ", ".join(f"{k} = {v:.4g}" for k, v in pt.items())
            return False, f"at {shown}: SymPy gives {a!r}, NumPy gives {b!r}"
    if compared == 0:
        return False, "no sample point where both sides are defined"
    return True, ""


def _real_float(v: Any) -> float:
    if getattr(v, "imag", 0):
        raise ValueError("complex value")
    return float(getattr(v, "real", v))


def same_expression(part: Part, expected: Any, value: Any) -> bool:
    """Is ``value`` the expression ``expected`` (equal at every sample point)?"""
    try:
        return agree_expression(part, expected, value)[0]
    except Exception:  # noqa: BLE001 - a value that cannot be evaluated is not the answer
        return False


class ExpressionKind(Kind):
    """A symbolic expression in the part's symbols (or an array of them, when the key is one)."""

    name = "expression"
    seconds = 150

    def grade(self, part: Part, expected: Any, text: str, mistakes: Sequence[Mistake] = ()) -> Verdict:
        from nncheck.answer.symbolic import expects_matrix

        if expected is None:
            return none_expected(part, text)
        return run_symbolic("grade_expression", part, expected, text, mistakes, matrix=expects_matrix(expected))

    def _text(self, value: Any) -> str:
        return sympy_text(value)

    def _json(self, value: Any) -> Any:
        return expr_text(value)

    def _latex(self, value: Any, tex: TeX) -> str:
        return tex.expression(value)

    def _display(self, value: Any) -> str:
        return expr_text(value)

    def _agree(self, part: Part, exact: Any, numeric: Any, *, rel: float, abs_: float) -> tuple[bool, str]:
        return agree_expression(part, exact, numeric)

    def _same(self, part: Part, expected: Any, value: Any) -> bool:
        return same_expression(part, expected, value)


EXPRESSION = ExpressionKind()
