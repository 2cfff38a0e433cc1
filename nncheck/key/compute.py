"""Answer keys, computed twice and cross-checked before anything is served.

``answer_key(variant)`` runs the solver's SymPy path and its NumPy path, compares
every part (numbers to 1e-9 relative, expressions at random points of their
domains) and raises :class:`AnswerKeyError` when they disagree: a variant whose
two derivations differ is refused, never shown.

With the user's own numbers (``nncheck solve rnn.scalar-iir w=[1e15]``) the key has a
deadline (:data:`USER_KEY_SECONDS`): a family's bounds keep its sizes small, but not what
every value costs SymPy.  Past it the variant is refused with one line (a
:class:`~nncheck.errors.ParamError`, exit code 2), never served half-checked.  The limit is
:func:`nncheck.answer.limits.time_limit`, which interrupts Python code; because a comparison
of the kinds may catch that interruption as "not equal", the computation also checks the
clock between its phases, and a key finished after the deadline is refused as well.
"""

from __future__ import annotations

import math
import time
from fractions import Fraction
from typing import Any

from nncheck import kinds
from nncheck.errors import AnswerKeyError, ParamError
from nncheck.generate.variant import Variant
from nncheck.key.model import AnswerKey, KeyPart
from nncheck.kinds.base import Part
from nncheck.lang.syntax import MAX_INT_DIGITS, MAX_LENGTH

#: How close the SymPy and NumPy computations of a numeric key must be.
AGREE_REL = 1e-9
AGREE_ABS = 1e-12
#: Seconds to compute the key of a variant with user-given values (see the module docstring).
USER_KEY_SECONDS = 10.0


def answer_key(variant: Variant) -> AnswerKey:
    """The key of ``variant``, by one path for every family: a YAML-only family's solver is a
    :class:`~nncheck.topics.formula.FormulaSolver` over its formulas, so its answers are
    cross-checked, and its mistakes dropped, exactly as a Python solver's are.

    With user-given values, raises :class:`ParamError` past :data:`USER_KEY_SECONDS`."""
    if not variant.overrides:
        return _answer_key(variant, None)
    from nncheck.answer.limits import OutOfTime, time_limit

    deadline = time.monotonic() + USER_KEY_SECONDS
    key: AnswerKey | None = None
    try:
        with time_limit(USER_KEY_SECONDS):
            key = _answer_key(variant, deadline)
    except OutOfTime:
        pass
    except AnswerKeyError:
        if time.monotonic() < deadline:
            raise
        # Past the deadline, a "disagreement" may be a comparison that was interrupted.
    if key is not None and time.monotonic() < deadline:
        return key
    from nncheck.answer import sandbox

    # The interruption may have come while a job was out with the sandbox's worker, whose
    # reply would then answer the next job: that worker is stopped (the next job starts another).
    sandbox.shutdown()
    names = ", ".join(sorted(variant.overrides))
    raise ParamError(f"too large to solve in time: {variant.id} with the values given for {names} "
                     f"(gave up after {USER_KEY_SECONDS:g} s)", hint="try smaller numbers")


def _on_time(deadline: float | None) -> None:
    """Between phases: stop once the deadline has passed (its interruption may have been caught)."""
    if deadline is not None and time.monotonic() >= deadline:
        from nncheck.answer.limits import OutOfTime

        raise OutOfTime()


def _answer_key(variant: Variant, deadline: float | None) -> AnswerKey:
    solver = variant.solver
    p = variant.params
    exact = solver.exact(p)
    _on_time(deadline)
    numeric = solver.numeric(p)
    _on_time(deadline)
    parts = {}
    for spec in variant.parts:
        name = spec["name"]
        if name not in exact or name not in numeric:
            raise AnswerKeyError(f"{variant.id}: the solver gives no answer for part '{name}'")
        ok, why = agree(spec, exact[name], numeric[name])
        _on_time(deadline)
        if not ok:
            raise AnswerKeyError(
                f"{variant.id} (seed {variant.seed}): refused, the two computations of part '{name}' "
                f"disagree: {why}")
        parts[name] = KeyPart(name, spec["kind"], exact[name], numeric[name], [], spec)
    steps = solver.solution(p, {n: kp.exact for n, kp in parts.items()}) or {}
    _on_time(deadline)
    for name, kp in parts.items():
        kp.steps = [str(s) for s in steps.get(name, [])]
    mistakes = solver.mistakes(p) or {}
    # A mistake that gives the right answer for this instance cannot be told apart: drop it there.
    bounds: dict[str, _Bound] = {}
    for values in mistakes.values():
        for part in list(values):
            _on_time(deadline)
            if part not in parts:
                continue
            if part not in bounds:
                bounds[part] = _Bound(parts[part])
            if _same(parts[part], values[part], bounds[part]):
                del values[part]
    _on_time(deadline)
    return AnswerKey(variant, parts, mistakes, [str(s) for s in steps.get("_", [])])


def _same(kp: KeyPart, value: Any, bound: _Bound | None = None) -> bool:
    """Would the grader accept ``value`` as this part's answer?  Then the mistake cannot be
    told apart from the answer for this instance: the grader's own rule, with the key's value
    as the expected one (a tolerance is around the expected value, so the order matters).

    ``bound`` (:class:`_Bound`) settles the plain cases without the rule: an entry far beyond
    anything the rule accepts, or every entry well inside its window."""
    try:
        settled = (bound or _Bound(kp)).settles(value)
        if settled is not None:
            return settled
        return kinds.get(kp.kind).same(kp.spec, kp.exact, value)
    except Exception:  # noqa: BLE001 - a value the grader could not even compare is told apart
        return False


#: The kinds whose rule :class:`_Bound` bounds: arrays of numbers, which the grader judges by
#: writing the value as text and grading it entry by entry (half a millisecond a value, and a family
#: such as lstm.bptt has a hundred mistake values a key).
_BOUNDED_KINDS = ("vector", "matrix")


#: Entries of a value settled as the key without the rule: within the answer language's bounds on
#: syntax-tree nodes (2,000) whatever the entries' forms; the text's length is checked as well.
_MAX_SETTLED = 200


class _Bound:
    """A key part's entries as floats, each with the window the tolerance rule accepts around it,
    worked out once per part: a key checks dozens of mistake values against the same part, and a
    closed form's float costs SymPy an evaluation each time.

    :meth:`settles` says what the grader's rule would say where that is certain without running it:

    * False, *surely apart*: some entry lies beyond both ways the rule accepts an entry (:func:`_reach`);
    * True, *surely the same*: the value has the key's shape and every entry is a plain number within
      half its window (the rule accepts any entry inside the window, whatever its figures);
    * None otherwise: the rule decides.

    ``tests/core/test_key_speed.py`` holds both answers against the rule itself."""

    __slots__ = ("kind", "want", "shape", "windows", "vector")

    def __init__(self, kp: KeyPart):
        self.kind = None
        if kp.kind not in _BOUNDED_KINDS or kp.spec.get("symbols") or kp.exact is None:
            return
        from nncheck.kinds.values import flat_shape, float_or_inf

        kind = kinds.get(kp.kind)
        try:
            exact, self.shape = flat_shape(kp.exact)
            self.want = [float_or_inf(x) for x in exact]
            self.windows = [kind.half_width(kp.spec, x) if math.isfinite(x) else math.nan for x in self.want]
        except Exception:  # noqa: BLE001 - a key entry without a float: the rule decides every value
            return
        self.kind, self.vector = kind, kp.kind == "vector"

    def settles(self, value: Any) -> bool | None:
        if self.kind is None or value is None:
            return None
        from nncheck.kinds.values import flat_shape, float_or_inf

        got, shape = flat_shape(value)
        if len(got) != len(self.want) or not got:
            return None  # the grader's shape rules decide (and say why)
        inside = self._same_shape(shape)
        for x, window, y in zip(self.want, self.windows, got):
            if isinstance(y, (list, bool, str)):
                return None
            yf = float_or_inf(y)
            if not (math.isfinite(x) and math.isfinite(yf)):
                inside = False
                continue
            if abs(yf - x) > _reach(window, x, y):
                return False
            inside = inside and _plain(y) and abs(yf - x) <= 0.5 * window
        if inside and (len(got) > _MAX_SETTLED or len(self.kind.text(value)) > MAX_LENGTH):
            return None  # the rule refuses a text past the answer language's bounds: let it say so
        return True if inside else None

    def _same_shape(self, shape: tuple) -> bool:
        """Will the value, written as a student types it, be read in the key's shape?  A vector is
        written flat and read flat; a matrix row by row, so only a value with the key's rows and columns."""
        if self.vector:
            return True
        return len(self.shape) == 2 and shape == self.shape


def _plain(y: Any) -> bool:
    """Is ``y`` a number written as text that reads back as itself (a float's repr, an integer, p/q
    with no more digits than the answer language reads)?  A SymPy entry is printed and parsed again,
    which the rule had better judge."""
    if isinstance(y, float):
        return True
    if type(y) is int or isinstance(y, Fraction):
        q = Fraction(y)
        return max(abs(q.numerator), q.denominator) < 10 ** MAX_INT_DIGITS
    return False


def _reach(window: float, x: float, y: Any) -> float:
    """How far from the key ``x`` an entry ``y`` may lie and still be accepted, at most.

    * Inside the window: ``window`` (the kind's half width; the rule allows it a relative 1e-9 more).
    * The key correctly rounded to the n figures written: rounding k to n figures moves it by at most
      half a unit of its n-th figure, 0.5·10^(⌊log₁₀|k|⌋ − n + 1).  A rounding to n figures has at most
      n significant figures, so n is at least those of ``y`` as it is written: a float is written as
      the shortest decimal that reads back as it, whose figures :func:`_figures` counts (any other
      value: n ≥ 1, so at most |k|/2).
    The exponent is taken one higher where the float's logarithm may fall short of a power of ten,
    and 1e-12·|x| added, for the distance between the float and the key's exact value."""
    if x == 0:
        return window * (1 + 1e-6)
    e = math.floor(math.log10(abs(x)))
    if 10.0 ** (e + 1) <= abs(x) * (1 + 1e-9):
        e += 1
    n = _figures(y) if isinstance(y, float) else 1  # NumPy's float64 is a float
    rounding = 0.5 * 10.0 ** (e - n + 1)
    return max(window * (1 + 1e-6), rounding) + 1e-12 * abs(x)


def _figures(y: float) -> int:
    """The significant figures of the shortest decimal that reads back as ``y`` (``repr``)."""
    mantissa = repr(abs(float(y))).split("e")[0].replace(".", "").strip("0")
    return max(len(mantissa), 1)


def agree(spec: Part, exact: Any, numeric: Any, *, rel: float = AGREE_REL, abs_: float = AGREE_ABS
          ) -> tuple[bool, str]:
    """Do the SymPy (``exact``) and NumPy (``numeric``) computations of a part agree?  (ok, why not).

    Numbers entry by entry to ``rel``/``abs_``; expressions at random points of their domains.
    """
    return kinds.get(spec["kind"]).agree(spec, exact, numeric, rel=rel, abs_=abs_)
