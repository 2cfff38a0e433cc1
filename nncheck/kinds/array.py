"""Vector and matrix answers: ``[1, 2, 3]``, ``1 2 3``, ``[[1, 2], [3, 4]]``, ``[1 2; 3 4]``.

Numeric arrays are read by :mod:`nncheck.lang.numeric` and graded here, entry by entry,
under the rule of :mod:`nncheck.kinds.tolerance` (within the window, or correctly rounded to
the figures written, which may differ from entry to entry: ``[0.88, 0.12]`` for
[0.8808, 0.1192]): the score is the fraction of entries that are right, and the feedback
names the wrong ones.  An answer typed with decimal commas (``[0,881, 0,119]``) is
unreadable, with a hint, when reading those commas as points gives the expected shape.
A whole-array slip is named: a declared mistake, ``transposed`` (a square matrix, or the
shape reversed), ``sign-flipped``, or a slip of rounding shared by every wrong entry
(``rounded-too-far``, ``truncated``).  A part that
declares ``symbols`` takes arrays of expressions, graded entry by entry in the sandbox
(:mod:`nncheck.answer.symbolic`).

Brackets may be left out, as in parameters: ``1 2; 3 4`` is read as ``[1 2; 3 4]``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from nncheck.answer.verdict import Verdict, invalid, shape_text
from nncheck.kinds.base import Kind, Mistake, Part, TeX
from nncheck.kinds.expression import none_expected, run_symbolic, same_expression
from nncheck.kinds.number import SLIPS, decimal_comma, node_pos, slip_feedback
from nncheck.kinds.tolerance import (
    WithinTolerance,
    Written,
    accepted,
    close_enough,
    describe_tolerance,
    describe_window,
    figures,
    flatten,
    judge,
    key_digits,
    rounded_figures,
    safe_sigfigs,
    tolerance_spec,
    written_entries,
)
from nncheck.kinds.values import (
    agree_numeric,
    display_number,
    flat_shape,
    float_or_inf,
    json_number,
    number_text,
    to_list,
)
from nncheck.lang.syntax import AnswerSyntaxError, Matrix, Node, Vector, parse, to_text
from nncheck.lang.template import matrix_block, plain_number


def bracketed(raw: str) -> str:
    """Vectors and matrices may be typed without the outer brackets, as parameters can: "1 2; 3 4"."""
    if raw and not raw.startswith("[") and any(c in raw for c in " ,;\t"):
        return f"[{raw}]"
    return raw


def _shown(x: Any) -> Any:
    """An entry's value for ``details``/JSON: a float, or short text when no float can hold it."""
    f = float_or_inf(x)
    if math.isfinite(f):
        return f
    import decimal

    q = Fraction(x)
    with decimal.localcontext() as ctx:
        ctx.prec = 6
        return str(decimal.Decimal(q.numerator) / decimal.Decimal(q.denominator))


def _all_close(a: Sequence[Any], b: Sequence[Any], tol: dict[str, Any]) -> bool:
    return len(a) == len(b) and all(close_enough(float_or_inf(x), float_or_inf(y), tol) for x, y in zip(a, b))


def _all_match(flat: Sequence[Any], written: Sequence[Written | None], target: Sequence[Any], tol: dict[str, Any],
               sign: int = 1) -> bool:
    """Would every entry typed (``sign`` −1: with its sign flipped) be accepted for ``target``'s?"""
    if len(flat) != len(target):
        return False
    for y, w, t in zip(flat, written, target):
        if sign < 0 and w is not None:
            w = w.negated()
        if not accepted(judge(sign * float_or_inf(y), w, t, tol)):
            return False
    return True


def _label(idx: Any) -> str:
    return str(idx) if not isinstance(idx, tuple) else f"({idx[0]},{idx[1]})"


def _correct_feedback(rounded: list[tuple[Any, Written, Any]], tol: dict[str, Any]) -> str:
    """"Correct (within ±0.5%)."; or, when entries are accepted as correctly rounded, which and why."""
    if not rounded:
        return f"Correct ({describe_window(tol)})."
    counts = [rounded_figures(w, x, tol["min_sigfigs"]) or w.sigfigs for _, w, x in rounded]
    least = min(counts)
    more = " or more" if any(n != least for n in counts) else ""
    which = (f"entry {_label(rounded[0][0])}" if len(rounded) == 1
             else "entries " + ", ".join(_label(i) for i, _, _ in rounded[:6]) + ("…" if len(rounded) > 6 else ""))
    pairs = "; ".join(f"{w.text} is {key_digits(x, number_text(x))}" for _, w, x in rounded[:3])
    safe = max((safe_sigfigs(x, tol) or 0) for _, _, x in rounded)
    return (f"Correct: {which} correctly rounded to {figures(least)}{more} "
            f"({pairs}{'; …' if len(rounded) > 3 else ''}): accepted"
            + (f"; give {safe} to be safe." if safe > least else "."))


class ArrayKind(WithinTolerance, Kind):
    """A vector or a matrix of numbers (or of expressions, when the part declares symbols)."""

    moodle = "cloze"
    #: A vector: a row and a column are the same answer, and only the length must match.
    vector = False

    def grade(self, part: Part, expected: Any, text: str, mistakes: Sequence[Mistake] = ()) -> Verdict:
        from nncheck.lang.numeric import evaluate

        if part.get("symbols"):
            if expected is None:
                return none_expected(part, text)
            return run_symbolic("grade_symbolic_array", part, expected, bracketed(text), mistakes, self.vector,
                                matrix=True)
        source = bracketed(text)
        shift = 1 if source != text else 0  # "1 2 3" was read as "[1 2 3]": carets move back by one
        try:
            node = parse(source, symbols=(), transpose=True)
            value = evaluate(node, {}, source)
        except AnswerSyntaxError as e:
            if expected is not None:
                comma = decimal_comma(source, lambda v: self._fits(v, expected), transpose=True)
                e = comma or e
            if shift:
                e = type(e)(e.message, max(0, e.pos - shift), text, code=e.code)
            return invalid(e)
        verdict = self._grade_value(part, expected, value, to_text(node), mistakes, node=node, raw=source)
        if verdict.status != "correct" and expected is not None and not self._fits(value, expected):
            # Of the wrong shape as typed: a decimal comma, if reading it as a point fits.
            comma = decimal_comma(source, lambda v: self._fits(v, expected), transpose=True)
            if comma is not None:
                if shift:
                    comma = type(comma)(comma.message, max(0, comma.pos - shift), text, code=comma.code)
                return invalid(comma)
        return verdict

    def _fits(self, value: Any, expected: Any) -> bool:
        """Has ``value`` (as evaluated) the expected shape, as :meth:`_grade_value` arranges it?"""
        exp_flat, exp_shape = flat_shape(expected)
        if self.vector:
            if isinstance(value, list) and value and isinstance(value[0], list):
                if all(len(r) == 1 for r in value):
                    value = [r[0] for r in value]
                elif len(value) == 1:
                    value = value[0]
            entries = value if isinstance(value, list) else [value]
            return len(entries) == len(exp_flat) and not any(isinstance(x, (list, bool, str)) for x in entries)
        if not isinstance(value, list):
            return exp_shape == (1, 1)
        if not value or not isinstance(value[0], list):
            return len(exp_shape) == 2 and 1 in exp_shape and len(value) == len(exp_flat)
        return (len(value), len(value[0])) == exp_shape and all(len(r) == len(value[0]) for r in value)

    def _grade_value(self, part: Part, expected: Any, value: Any, parsed: str, mistakes: Sequence[Mistake], *,
                     node: Node, raw: str) -> Verdict:
        tol = tolerance_spec(part)
        tol_text = describe_tolerance(tol)
        if expected is None:
            return Verdict("incorrect", 0.0, "Incorrect: there is no value here (answer none).", parsed_as=parsed)
        exp_flat, exp_shape = flat_shape(expected)
        typed_vector = isinstance(node, Vector) or (not isinstance(node, Matrix) and isinstance(value, list)
                                                    and not (value and isinstance(value[0], list)))
        got_shape: tuple[int, ...]
        if self.vector:
            if isinstance(value, list) and value and isinstance(value[0], list):
                if all(len(r) == 1 for r in value):
                    value = [r[0] for r in value]  # a column vector is a vector
                elif len(value) == 1:
                    value = value[0]
            if not isinstance(value, list):
                value = [value]
            exp_shape = (len(exp_flat),)
            got_shape = (len(value),)
            flat = value
        else:
            if not isinstance(value, list) and exp_shape == (1, 1):
                value = [[value]]  # a 1×1 matrix is typed as a plain number
            if not isinstance(value, list):
                return invalid(AnswerSyntaxError("expected a matrix such as [[1, 2], [3, 4]] or [1 2; 3 4]",
                                                 node_pos(node), raw))
            if not value or not isinstance(value[0], list):
                if len(exp_shape) == 2 and exp_shape[0] != 1 and exp_shape[1] != 1 and typed_vector:
                    return Verdict("incorrect", 0.0, f"expected {shape_text(exp_shape)}, got "
                                   f"{shape_text((len(value),))}: write a matrix as [[1, 2], [3, 4]] or [1 2; 3 4]",
                                   parsed_as=parsed, tolerance=tol_text)
                value = [value] if exp_shape[0] == 1 else [[x] for x in value]
            got_shape = (len(value), len(value[0]))
            flat = [x for r in value for x in r]
        if any(isinstance(x, (list, bool, str)) for x in flat):
            return invalid(AnswerSyntaxError("every entry must be a number", node_pos(node), raw))
        if got_shape != exp_shape:
            msg = f"expected {shape_text(exp_shape)}, got {shape_text(got_shape)}"
            if len(exp_shape) == 2 and got_shape == exp_shape[::-1]:
                msg += " — transposed?"
                return Verdict("incorrect", 0.0, msg, parsed_as=parsed, mistake="transposed", tolerance=tol_text)
            return Verdict("incorrect", 0.0, msg, parsed_as=parsed, tolerance=tol_text)
        entries = written_entries(node)
        written: list[Written | None] = flatten(entries) if entries is not None else []
        if len(written) != len(flat):
            written = [None] * len(flat)  # the entries were not typed one by one: the window only
        details = []
        right = 0
        rounded: list[tuple[Any, Written, Any]] = []
        slips: dict[str, list[tuple[Any, Written]]] = {}
        for i, (y, x, w) in enumerate(zip(flat, exp_flat, written)):
            reading = judge(float_or_inf(y), w, x, tol)
            ok = accepted(reading)
            right += ok
            idx = i + 1 if len(exp_shape) == 1 else (i // exp_shape[1] + 1, i % exp_shape[1] + 1)
            d: dict[str, Any] = {"entry": idx, "yours": _shown(y), "correct": ok}
            if w is not None and reading == "rounded":
                d["rounded_to"] = rounded_figures(w, x, tol["min_sigfigs"]) or w.sigfigs
                rounded.append((idx, w, x))
            elif w is not None and reading in SLIPS:
                d["mistake"] = reading
                slips.setdefault(reading, []).append((idx, w))
            details.append(d)
        score = right / len(exp_flat) if exp_flat else 1.0
        if right == len(exp_flat):
            return Verdict("correct", 1.0, _correct_feedback(rounded, tol), parsed_as=parsed,
                           details=details, tolerance=tol_text)
        wrong = [d["entry"] for d in details if not d["correct"]]
        shown = ", ".join(_label(w) for w in wrong[:6])
        v = Verdict("incorrect", score, f"{right} of {len(exp_flat)} entries correct; wrong: {shown}"
                    + ("…" if len(wrong) > 6 else "") + f" (accepted {tol_text}).",
                    parsed_as=parsed, details=details, tolerance=tol_text)
        if len(slips) == 1 and sum(len(v) for v in slips.values()) == len(wrong):
            # Every wrong entry is the same slip of rounding: name it.
            (slip, where), = slips.items()
            idx, w = where[0]
            entry = f"entry {_label(idx)}" if len(where) == 1 else "entries " + ", ".join(_label(i) for i, _ in where)
            v.feedback = f"{right} of {len(exp_flat)} entries correct; {entry}: {slip_feedback(slip, w, tol)}"
            v.mistake = slip
        # Declared mistakes first (they are the family's own diagnosis), then generic ones.
        for mid, msg, mval in mistakes:
            try:
                mflat, _ = flat_shape(mval)
            except Exception:  # noqa: BLE001 - a mistake value of another kind simply does not match
                continue
            if len(mflat) == len(flat) and _all_match(flat, written, mflat, tol):
                v.feedback = msg
                v.mistake = mid
                return v
        if len(exp_shape) == 2 and exp_shape[0] == exp_shape[1] and exp_shape[0] > 1:
            exp_t = [exp_flat[j * exp_shape[1] + i] for i in range(exp_shape[0]) for j in range(exp_shape[1])]
            if _all_match(flat, written, exp_t, tol) and not _all_close(exp_t, exp_flat, tol):
                v.feedback = "transposed: this is the transpose of the answer."
                v.mistake = "transposed"
                return v
        if any(float_or_inf(x) != 0 for x in exp_flat) and _all_match(flat, written, exp_flat, tol, sign=-1):
            v.feedback = "sign flipped: every entry has the wrong sign."
            v.mistake = "sign-flipped"
            return v
        return v

    # -- forms of the key ----------------------------------------------------
    def _json(self, value: Any) -> Any:
        return [json_number(x) if not isinstance(x, list) else [json_number(y) for y in x] for x in to_list(value)]

    def _text(self, value: Any) -> str:
        flat, shape = flat_shape(value)
        if self.vector or len(shape) != 2:
            return "[" + ", ".join(number_text(x) for x in flat) + "]"
        rows = [flat[i * shape[1]:(i + 1) * shape[1]] for i in range(shape[0])]
        return "[" + ", ".join("[" + ", ".join(number_text(x) for x in r) + "]" for r in rows) + "]"

    def _readable(self, value: Any) -> str:
        flat, shape = flat_shape(value)
        cell = [plain_number(display_number(x)) for x in flat]
        if self.vector or len(shape) != 2:
            return "[" + ", ".join(cell) + "]"
        return "[" + ", ".join("[" + ", ".join(cell[i * shape[1]:(i + 1) * shape[1]]) + "]"
                               for i in range(shape[0])) + "]"

    def rows(self, value: Any) -> list[list[Any]]:
        flat, shape = flat_shape(value)
        cols = shape[1] if not self.vector and len(shape) == 2 else len(flat)
        return [flat[k:k + cols] for k in range(0, len(flat), cols)]

    # -- comparing values ----------------------------------------------------
    def _agree(self, part: Part, exact: Any, numeric: Any, *, rel: float, abs_: float) -> tuple[bool, str]:
        return agree_numeric(exact, numeric, rel=rel, abs_=abs_, vector=self.vector)

    def _same(self, part: Part, expected: Any, value: Any) -> bool:
        if part.get("symbols"):
            # Arrays of expressions: entry by entry, as the grader compares them (at sample points here).
            a, sa = flat_shape(expected)
            b, sb = flat_shape(value)
            return (len(a) == len(b) if self.vector else sa == sb) and all(
                same_expression(part, x, y) for x, y in zip(a, b))
        # The grader's own rule, applied to the value as a student would type it.
        try:
            return self.grade(part, expected, self.text(value)).status == "correct"
        except Exception:  # noqa: BLE001 - a value that cannot be written or read is not the answer
            return False


class VectorKind(ArrayKind):
    """A vector: typed as a row or a column."""

    name = "vector"
    seconds = 150
    vector = True

    def _json(self, value: Any) -> Any:
        if hasattr(value, "shape"):
            return [json_number(x) for x in flat_shape(value)[0]]
        return super()._json(value)

    def _latex(self, value: Any, tex: TeX) -> str:
        flat, _ = flat_shape(value)
        return "[" + ", ".join(tex.number(v) for v in flat) + "]"

    def _display(self, value: Any) -> str:
        return self._readable(value)


class MatrixKind(ArrayKind):
    """A matrix: its shape must match the key's."""

    name = "matrix"
    seconds = 210

    def _latex(self, value: Any, tex: TeX) -> str:
        return tex.matrix([[tex.number(v) for v in row] for row in to_list(value)])

    def _display(self, value: Any) -> str:
        return "\n".join(matrix_block([[display_number(x) for x in row] for row in to_list(value)],
                                      cell=plain_number))


VECTOR = VectorKind()
MATRIX = MatrixKind()
