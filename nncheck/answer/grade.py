"""Grade one answer: parse (invalid?) then compare (correct or incorrect?) then explain.

Three verdicts, as in PrairieLearn: *correct*, *incorrect* and *invalid*.  Invalid
means the text could not be read (or was too complex to check); it comes with a
caret and a one-line reason and never costs an attempt.  Every other verdict says
how the answer was read ("parsed as: …").  A wrong answer that matches one of the
family's declared mistakes is told which mistake it is; ``sign-flipped``,
``transposed`` and ``scaled`` are detected for every family.

Numbers, integers, booleans, choices and numeric vectors/matrices are graded in
this process: ``nncheck.lang.numeric`` is bounded by construction.  Expressions
and symbolic vectors/matrices go through the sandbox (``nncheck.answer.expression``).
"""

from __future__ import annotations

import math
from fractions import Fraction

from nncheck.key.compute import DEFAULT_ABS, DEFAULT_REL, flat_shape
from nncheck.key.compute import to_float as _key_float
from nncheck.lang.numeric import evaluate
from nncheck.lang.syntax import AnswerSyntaxError, Matrix, Node, Vector, parse, to_text

NULL_WORDS = {"none", "null", "nothing", "doesnotfit", "does not fit", "doesn't fit", "not fit", "n/a", "na",
              "undefined", "-", "—"}
TRUE_WORDS = {"true", "yes", "y", "t", "1", "fits", "it fits"}
FALSE_WORDS = {"false", "no", "n", "f", "0"}
INTEGER_REL = 1e-9  # an integer answer typed as a closed form (exp(ln(55))) may differ by rounding only


def to_float(x) -> float:
    """A value as a float; an exact value beyond the float range (1e400) becomes ±inf, never an error."""
    try:
        return _key_float(x)
    except OverflowError:
        return math.copysign(math.inf, 1 if x > 0 else -1)


def _shown(x):
    """An entry's value for ``details``/JSON: a float, or short text when no float can hold it."""
    f = to_float(x)
    if math.isfinite(f):
        return f
    import decimal

    q = Fraction(x)
    with decimal.localcontext() as ctx:
        ctx.prec = 6
        return str(decimal.Decimal(q.numerator) / decimal.Decimal(q.denominator))


class Verdict:
    """The outcome of grading one answer."""

    __slots__ = ("status", "score", "feedback", "parsed_as", "mistake", "error", "details", "tolerance")

    def __init__(self, status: str, score: float = 0.0, feedback: str = "", *, parsed_as: str | None = None,
                 mistake: str | None = None, error: AnswerSyntaxError | None = None, details=None,
                 tolerance: str | None = None):
        self.status = status  # correct | incorrect | invalid
        self.score = score
        self.feedback = feedback
        self.parsed_as = parsed_as
        self.mistake = mistake  # the declared (or generic) mistake id this answer matches
        self.error = error
        self.details = details or []
        self.tolerance = tolerance

    @property
    def costs_attempt(self) -> bool:
        return self.status != "invalid"

    @property
    def too_complex(self) -> bool:
        return self.error is not None and self.error.code == "too-complex"

    def caret(self) -> str | None:
        return self.error.caret() if self.error else None

    def __repr__(self) -> str:
        return f"Verdict({self.status!r}, score={self.score:g}, feedback={self.feedback!r}, parsed_as={self.parsed_as!r})"

    def to_json(self) -> dict:
        out = {"status": self.status, "score": round(self.score, 6), "feedback": self.feedback,
               "parsed_as": self.parsed_as, "mistake": self.mistake}
        if self.error is not None:
            out["error"] = {"message": self.error.message, "position": self.error.pos, "caret": self.error.caret(),
                            "code": self.error.code}
        if self.details:
            out["entries"] = [{**d, "entry": list(d["entry"]) if isinstance(d["entry"], tuple) else d["entry"]}
                              for d in self.details]
        if self.tolerance:
            out["tolerance"] = self.tolerance
        return out


def invalid(err: AnswerSyntaxError) -> Verdict:
    return Verdict("invalid", 0.0, err.message, error=err)


# ----------------------------------------------------------------------------
# Tolerance.
# ----------------------------------------------------------------------------
def tolerance_spec(part: dict) -> dict:
    tol = {k: v for k, v in dict(part.get("tolerance") or {}).items() if v is not None}
    if not tol:
        tol = {"rel": DEFAULT_REL, "abs": DEFAULT_ABS}
    return tol


def describe_tolerance(tol: dict) -> str:
    """The tolerance in plain words: "within ±0.5%", "to 3 significant figures"."""
    if tol.get("sigfigs"):
        return f"to {tol['sigfigs']} significant figures"
    bits = []
    if tol.get("rel"):
        pct = tol["rel"] * 100
        bits.append(f"within ±{pct:g}%")
    if tol.get("abs") and (not tol.get("rel") or tol["abs"] >= 1e-4):
        bits.append(f"within ±{tol['abs']:g}")
    return " or ".join(bits) if bits else "exactly"


def close_enough(yours: float, expected: float, tol: dict) -> bool:
    if math.isnan(yours) or math.isinf(yours):
        return False
    if tol.get("sigfigs"):
        if expected == 0:
            return abs(yours) < 10 ** (-tol["sigfigs"])
        mag = math.floor(math.log10(abs(expected)))
        unit = 10 ** (mag - tol["sigfigs"] + 1)
        return abs(yours - expected) <= unit / 2 * (1 + 1e-9)
    rel, ab = tol.get("rel") or 0.0, tol.get("abs") or 0.0
    return abs(yours - expected) <= max(ab, rel * abs(expected)) * (1 + 1e-12)


def shape_text(shape) -> str:
    if len(shape) == 1:
        return f"a vector of {shape[0]}"
    return f"{shape[0]}×{shape[1]}"


_shape_text = shape_text  # the old private name


# ----------------------------------------------------------------------------
# Entry points.
# ----------------------------------------------------------------------------
def grade_answer(part: dict, expected, text: str, mistakes=(), *, symbols: dict | None = None) -> Verdict:
    """Grade ``text`` for a part spec against the exact ``expected`` value.

    ``mistakes``: (id, message, value) triples; a wrong answer equal to a value is named.
    """
    if not isinstance(text, str):
        return invalid(AnswerSyntaxError("the answer must be text", 0, ""))
    kind = part["kind"]
    raw = text.strip()
    if kind == "derivation":
        from nncheck.derive.grading import grade_derivation  # multi-line, step by step

        return grade_derivation(part, expected, text, mistakes)
    norm = " ".join(raw.lower().split())
    if part.get("nullable") or expected is None:
        if norm in NULL_WORDS or norm.replace(" ", "") in NULL_WORDS:
            if expected is None:
                return Verdict("correct", 1.0, "Correct: it does not fit.", parsed_as="none")
            return Verdict("incorrect", 0.0, "It does fit: there is a value to give.", parsed_as="none")
    if kind == "expression":
        from nncheck.answer.expression import grade_expression

        if expected is None:
            return _none_expected(raw, part)
        return grade_expression(part, expected, raw, mistakes)
    if kind == "boolean":
        return _grade_boolean(expected, norm, raw, mistakes)
    if kind == "choice":
        return _grade_choice(part, expected, norm, raw)
    if kind in ("vector", "matrix") and part.get("symbols"):
        from nncheck.answer.expression import grade_symbolic_array

        if expected is None:
            return _none_expected(raw, part)
        return grade_symbolic_array(part, expected, _bracketed(raw), mistakes)
    if kind not in ("number", "integer", "vector", "matrix"):
        return invalid(AnswerSyntaxError(f"answers of kind '{kind}' are not supported", 0, raw))
    array = kind in ("vector", "matrix")
    source = _bracketed(raw) if array else raw
    shift = 1 if source != raw else 0  # "1 2 3" was read as "[1 2 3]": carets move back by one
    try:
        node = parse(source, symbols=(), transpose=array)
        value = evaluate(node, {}, source)
    except AnswerSyntaxError as e:
        if shift:
            e = type(e)(e.message, max(0, e.pos - shift), raw, code=e.code)
        return invalid(e)
    parsed = to_text(node)
    if array:
        return _grade_array(part, expected, value, parsed, mistakes, node=node, raw=source)
    return _grade_number(part, expected, value, parsed, mistakes, integer=(kind == "integer"), node=node, raw=raw)


def _bracketed(raw: str) -> str:
    """Vectors and matrices may be typed without the outer brackets, as parameters can: "1 2; 3 4"."""
    if raw and not raw.startswith("[") and any(c in raw for c in " ,;\t"):
        return f"[{raw}]"
    return raw


def _none_expected(raw: str, part: dict) -> Verdict:
    try:
        node = parse(raw, symbols=set((part.get("symbols") or {}).keys()), transpose=True)
    except AnswerSyntaxError as e:
        return invalid(e)
    return Verdict("incorrect", 0.0, "Incorrect: there is no value here (answer none).", parsed_as=to_text(node))


def _bool_of(norm: str):
    if norm in TRUE_WORDS:
        return True
    if norm in FALSE_WORDS or norm in ("does not fit", "doesn't fit", "it does not fit", "not"):
        return False
    return None


def _grade_boolean(expected, norm, raw, mistakes) -> Verdict:
    b = _bool_of(norm)
    if b is None:
        return invalid(AnswerSyntaxError("answer yes or no (true/false)", 0, raw))
    shown = "yes" if b else "no"
    if b == bool(expected):
        return Verdict("correct", 1.0, "Correct.", parsed_as=shown)
    for mid, msg, value in mistakes:
        if value is not None and bool(value) == b:
            return Verdict("incorrect", 0.0, msg, parsed_as=shown, mistake=mid)
    return Verdict("incorrect", 0.0, f"Incorrect: the answer is {'yes' if expected else 'no'}.", parsed_as=shown)


def _grade_choice(part, expected, norm, raw) -> Verdict:
    choices = [str(c) for c in part.get("choices") or []]
    low = {" ".join(c.lower().split()): c for c in choices}
    if norm in low:
        pick = low[norm]
    elif norm.isascii() and norm.isdigit() and 1 <= int(norm) <= len(choices):  # "⁴".isdigit() is True
        pick = choices[int(norm) - 1]  # the 1-based number of the choice
    else:
        return invalid(AnswerSyntaxError(f"choose one of: {', '.join(choices)}", 0, raw))
    if pick == str(expected):
        return Verdict("correct", 1.0, "Correct.", parsed_as=pick)
    return Verdict("incorrect", 0.0, "Incorrect.", parsed_as=pick)


def _scalar(value, node: Node, raw: str):
    if isinstance(value, list):
        raise AnswerSyntaxError("expected a single number, not a list", node.pos, raw)
    if isinstance(value, (bool, str)):
        raise AnswerSyntaxError("expected a number", node.pos, raw)
    return value


def _grade_number(part, expected, value, parsed, mistakes, *, integer: bool, node, raw) -> Verdict:
    try:
        value = _scalar(value, node, raw)
    except AnswerSyntaxError as e:
        return invalid(e)
    tol = tolerance_spec(part)
    y = to_float(value)
    if expected is None:
        return _match_mistakes(Verdict("incorrect", 0.0, "Incorrect: it does not fit (answer none).",
                                       parsed_as=parsed), y, mistakes, tol, integer)
    x = to_float(expected)
    if integer:
        ok = _same_integer(value, expected)
        tol_text = "exactly"
    else:
        ok = close_enough(y, x, tol)
        tol_text = describe_tolerance(tol)
    if ok:
        return Verdict("correct", 1.0, "Correct." if integer else f"Correct ({tol_text}).", parsed_as=parsed,
                       tolerance=tol_text)
    v = Verdict("incorrect", 0.0, "Incorrect." if integer else f"Incorrect (accepted {tol_text}).",
                parsed_as=parsed, tolerance=tol_text)
    if x != 0 and y != 0 and (_same_integer(-value, expected) if integer else close_enough(-y, x, tol)):
        v.feedback = "sign flipped: the magnitude is right but the sign is not."
        v.mistake = "sign-flipped"
    return _match_mistakes(v, y, mistakes, tol, integer)


def _same_integer(value, expected) -> bool:
    """Integer parts are exact; a float value (a closed form such as exp(ln(55))) may differ by rounding."""
    x = to_float(expected)
    if isinstance(value, float):
        return abs(value - x) <= INTEGER_REL * max(1.0, abs(x))
    exact = _exact(expected)
    return Fraction(value) == exact if exact is not None else float(value) == x


def _exact(v) -> Fraction | None:
    """A key value as an exact Fraction when it is rational (int, Fraction, SymPy Rational)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, Fraction)):
        return Fraction(v)
    if isinstance(v, float):
        return Fraction(v) if math.isfinite(v) else None
    p, q = getattr(v, "p", None), getattr(v, "q", None)
    if isinstance(p, int) and isinstance(q, int) and getattr(v, "is_Rational", False):
        return Fraction(p, q)
    return None


def _match_mistakes(v: Verdict, y: float, mistakes, tol, integer) -> Verdict:
    for mid, msg, mval in mistakes:
        # NumPy scalars have shape (); arrays and matrices are another kind of value.
        if mval is None or isinstance(mval, (list, tuple, bool)) or getattr(mval, "shape", ()) != ():
            continue
        try:
            m = to_float(mval)
        except (TypeError, ValueError):
            continue
        if (y == m) if integer else close_enough(y, m, tol):
            v.feedback = msg
            v.mistake = mid
            return v
    return v


def _grade_array(part, expected, value, parsed, mistakes, *, node, raw) -> Verdict:
    kind = part["kind"]
    tol = tolerance_spec(part)
    tol_text = describe_tolerance(tol)
    if expected is None:
        return Verdict("incorrect", 0.0, "Incorrect: there is no value here (answer none).", parsed_as=parsed)
    exp_flat, exp_shape = flat_shape(expected)
    typed_vector = isinstance(node, Vector) or (not isinstance(node, Matrix) and isinstance(value, list)
                                                and not (value and isinstance(value[0], list)))
    if kind == "vector":
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
            return invalid(AnswerSyntaxError("expected a matrix such as [[1, 2], [3, 4]] or [1 2; 3 4]", node.pos, raw))
        if not value or not isinstance(value[0], list):
            if len(exp_shape) == 2 and exp_shape[0] != 1 and exp_shape[1] != 1 and typed_vector:
                return Verdict("incorrect", 0.0, f"expected {shape_text(exp_shape)}, got {shape_text((len(value),))}: "
                               "write a matrix as [[1, 2], [3, 4]] or [1 2; 3 4]", parsed_as=parsed,
                               tolerance=tol_text)
            value = [value] if exp_shape[0] == 1 else [[x] for x in value]
        got_shape = (len(value), len(value[0]))
        flat = [x for r in value for x in r]
    if any(isinstance(x, (list, bool, str)) for x in flat):
        return invalid(AnswerSyntaxError("every entry must be a number", node.pos, raw))
    if got_shape != exp_shape:
        msg = f"expected {shape_text(exp_shape)}, got {shape_text(got_shape)}"
        if len(exp_shape) == 2 and got_shape == exp_shape[::-1]:
            msg += " — transposed?"
            return Verdict("incorrect", 0.0, msg, parsed_as=parsed, mistake="transposed", tolerance=tol_text)
        return Verdict("incorrect", 0.0, msg, parsed_as=parsed, tolerance=tol_text)
    details = []
    right = 0
    for i, (y, x) in enumerate(zip(flat, exp_flat)):
        ok = close_enough(to_float(y), to_float(x), tol)
        right += ok
        idx = i + 1 if len(exp_shape) == 1 else (i // exp_shape[1] + 1, i % exp_shape[1] + 1)
        details.append({"entry": idx, "yours": _shown(y), "correct": ok})
    score = right / len(exp_flat) if exp_flat else 1.0
    if right == len(exp_flat):
        return Verdict("correct", 1.0, f"Correct ({tol_text}).", parsed_as=parsed, details=details, tolerance=tol_text)
    wrong = [d["entry"] for d in details if not d["correct"]]
    shown = ", ".join(str(w) if not isinstance(w, tuple) else f"({w[0]},{w[1]})" for w in wrong[:6])
    v = Verdict("incorrect", score, f"{right} of {len(exp_flat)} entries correct; wrong: {shown}"
                + ("…" if len(wrong) > 6 else "") + f" (accepted {tol_text}).",
                parsed_as=parsed, details=details, tolerance=tol_text)
    # Declared mistakes first (they are the family's own diagnosis), then generic ones.
    for mid, msg, mval in mistakes:
        try:
            mflat, _ = flat_shape(mval)
        except Exception:  # noqa: BLE001 - a mistake value of another kind simply does not match
            continue
        if len(mflat) == len(flat) and _all_close(flat, mflat, tol):
            v.feedback = msg
            v.mistake = mid
            return v
    if len(exp_shape) == 2 and exp_shape[0] == exp_shape[1] and exp_shape[0] > 1:
        exp_t = [exp_flat[j * exp_shape[1] + i] for i in range(exp_shape[0]) for j in range(exp_shape[1])]
        if _all_close(flat, exp_t, tol) and not _all_close(exp_t, exp_flat, tol):
            v.feedback = "transposed: this is the transpose of the answer."
            v.mistake = "transposed"
            return v
    if any(to_float(x) != 0 for x in exp_flat) and _all_close([-to_float(y) for y in flat], exp_flat, tol):
        v.feedback = "sign flipped: every entry has the wrong sign."
        v.mistake = "sign-flipped"
        return v
    return v


def _all_close(a, b, tol) -> bool:
    return len(a) == len(b) and all(close_enough(to_float(x), to_float(y), tol) for x, y in zip(a, b))


def grade(key, part_name: str, text: str) -> Verdict:
    """Grade ``text`` for part ``part_name`` of an :class:`~nncheck.key.compute.AnswerKey`."""
    kp = key.part(part_name)
    return grade_answer(kp.spec, kp.exact, text, key.mistakes_for(part_name))
