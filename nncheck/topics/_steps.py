"""The plain-Python kit of the recurrent families (rnn, lstm, gru).

What the three share besides the SymPy graph (:mod:`nncheck.topics._graph`):

* sizes: every parameter claims a size (H, D, T, K) and they must agree;
* :class:`Calc`, σ/tanh/exp/ln for the plain-Python forward passes that fill a
  prompt's tables and check that a random exam draw can be worked by hand;
* exam draws: small random matrices, and the checks that an answer neither nearly
  vanishes nor needs more digits than the prompt prints;
* worked-step text: values as a prompt prints them, NumPy values on one line;
* error carried forward: :func:`carried` recomputes later parts from a student's own earlier
  ones (the solvers' ``carry``), :func:`nonzero` drops dependencies through a zero weight.

No NumPy or SymPy at import time: ``nncheck show`` calls ``derive`` and ``draw``.
"""

from __future__ import annotations

import math
from fractions import Fraction

from nncheck.lang.numeric import sigmoid
from nncheck.lang.template import fmt_number
from nncheck.topics.base import ParamError, num, paren

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `nncheck show` imports this module
if TYPE_CHECKING:
    import random
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any

    #: A value of a plain-Python pass: exact where rational (σ(0) = 1/2), a float otherwise.
    Value = int | Fraction | float

MAX_T, MAX_H, MAX_D, MAX_K = 8, 3, 3, 4
SHOWN = 4  # decimals of the forward values printed in prompts (a student works from these)
HAND_REL = 1e-3  # a random draw must be solvable from the printed values to 0.1% (the grader allows 0.5%)

#: The hidden size H, the input size D and the number of steps T, as every recurrent family bounds them.
RECURRENT_LIMITS = {"H": (1, MAX_H, "the hidden size H"), "D": (1, MAX_D, "the input size D"),
                    "T": (1, MAX_T, "the number of steps T")}

#: What the gated families (LSTM, GRU) tell a student about closed forms.
GATES_NOTE = "Answers may also be left in closed form with sigma( ) and tanh( ); they are graded numerically."

SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def sup(t: int) -> str:
    """The RNN notes' time index: 2 -> ⁽²⁾."""
    return "⁽" + str(t).translate(SUP) + "⁾"


# ----------------------------------------------------------------------------
# Sizes: every parameter claims a size (H, D, T, K); they must agree.
# ----------------------------------------------------------------------------
def _claim(p: dict, name: str, how: str) -> tuple[str, int, str]:
    v = p[name]
    if how == "len":
        n = len(v)
        return name, n, f"{name} has {n} entr{'y' if n == 1 else 'ies'}"
    if how == "rows":
        n = len(v)
        return name, n, f"{name} has {n} row{'' if n == 1 else 's'}"
    n = len(v[0]) if v else 0
    if how == "steps":
        return name, n, f"{name} has {n} time step{'' if n == 1 else 's'} (columns)"
    return name, n, f"{name} has {n} column{'' if n == 1 else 's'}"


def sizes(p: dict, spec: dict[str, tuple[str, list[tuple[str, str]]]], limits: dict[str, tuple[int, int, str]],
          names: Iterable[str] | None = None) -> dict[str, int]:
    """Check that the parameters agree on each size; return ``{size: value}``.

    ``spec``: size -> (why, [(param, how), ...]) with how in len/rows/cols/steps.
    ``names``: only look at these parameters (the user's own, when drawing).
    """
    out = {}
    for size, (why, claims) in spec.items():
        got = [_claim(p, n, how) for n, how in claims if n in p and (names is None or n in names)]
        if not got:
            continue
        ref = got[0]
        for c in got[1:]:
            if c[1] != ref[1]:
                raise ParamError(f"{c[2]} but {ref[2]}: {why}")
        n = ref[1]
        lo, hi, label = limits[size]
        if n < lo:
            raise ParamError(f"{ref[2]}: {label} must be at least {lo}")
        if n > hi:
            raise ParamError(f"{ref[2]}: {label} can be at most {hi} here (problems small enough to check)")
        out[size] = n
    return out


def sizes_agree(p: dict, spec: dict[str, tuple[str, list[tuple[str, str]]]],
                limits: dict[str, tuple[int, int, str]]) -> bool:
    """Do the parameters agree on every size, within the limits?  (:func:`sizes`, as a test.)"""
    try:
        sizes(p, spec, limits)
    except ParamError:
        return False
    return True


# ----------------------------------------------------------------------------
# Plain-Python arithmetic, exact where the value is rational (σ(0) = 1/2, tanh 0 = 0).
# ----------------------------------------------------------------------------
def _exact(z: object) -> bool:
    return isinstance(z, (int, Fraction)) and not isinstance(z, bool)


class Calc:
    """σ, tanh, exp and ln for the plain-Python passes.

    Values at rational points are remembered: they are what a prompt's table gives.
    With ``rounded=True`` the calculator plays the student, who reads those values from
    the table (to ``SHOWN`` decimals) and writes anything else as a closed form.
    """

    def __init__(self, rounded: bool = False) -> None:
        self.rounded = rounded
        self.points: dict[tuple[str, Fraction], float] = {}  # (function, rational point) -> value

    def _apply(self, name: str, z: Value, exact_value: Value | None, fn: Callable[[float], float]) -> Value:
        if _exact(z) and exact_value is not None:
            return exact_value
        v = fn(float(z))
        if _exact(z):
            self.points[(name, Fraction(z))] = v
            if self.rounded:
                v = round(v, SHOWN)
        return v

    def sigma(self, z: Value) -> Value:
        return self._apply("σ", z, Fraction(1, 2) if _exact(z) and z == 0 else None, sigmoid)

    def tanh(self, z: Value) -> Value:
        return self._apply("tanh", z, 0 if _exact(z) and z == 0 else None, math.tanh)

    def exp(self, z: Value) -> Value:
        return self._apply("exp", z, 1 if _exact(z) and z == 0 else None, math.exp)

    def log(self, z: Value) -> Value:
        return self._apply("ln", z, 0 if _exact(z) and z == 1 else None, math.log)

    def table(self) -> str:
        """The values a student needs, e.g. ``σ(1) = 0.7311, tanh(−1/2) = −0.4621``."""
        order = {"σ": 0, "tanh": 1, "exp": 2, "ln": 3}
        items = sorted(self.points.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))
        return ", ".join(f"{name}({fmt_number(z)}) = {fmt_number(round(v, SHOWN), SHOWN)}"
                         for (name, z), v in items)

    def values_text(self, note: str = GATES_NOTE) -> str:
        """The prompt's values to use (the table, when there is one), then ``note`` (the gated families')."""
        table = self.table()
        return (f"Values you may need: {table}.\n" if table else "") + note


def col(m: list[list[Value]], t: int) -> list[Value]:
    """Column ``t`` (0-based) of a matrix given as rows: x⁽ᵗ⁺¹⁾ of a D×T input."""
    return [row[t] for row in m]


def mul(a: Value, b: Value) -> Value:
    """a·b that stays an exact 0 when either factor is one (0·tanh(…) is not a closed form)."""
    if (_exact(a) and a == 0) or (_exact(b) and b == 0):
        return 0
    return a * b


def dot(a: Sequence[Value], b: Sequence[Value]) -> Value:
    return sum((mul(x, y) for x, y in zip(a, b)), 0)


def matTvec(M: list[list[Value]], v: Sequence[Value]) -> list[Value]:
    """Mᵀv."""
    return [sum((M[i][j] * v[i] for i in range(len(M))), 0) for j in range(len(M[0]))]


# ----------------------------------------------------------------------------
# Exam draws.
# ----------------------------------------------------------------------------
def pick(rng: random.Random, choices: Sequence[Any]) -> Any:
    return choices[rng.randrange(len(choices))]


def frac(x: Value) -> Fraction | int:
    """A drawn value as an exact number (halves stay exact)."""
    f = Fraction(x)
    return int(f) if f.denominator == 1 else f


def random_matrix(rng: random.Random, rows: int, cols: int, choices: Sequence[Value]) -> list[list[Fraction | int]]:
    """A rows×cols matrix of exact values drawn from ``choices``."""
    return [[frac(pick(rng, choices)) for _ in range(cols)] for _ in range(rows)]


def rounded(v: Any) -> Any:
    """A value as the prompt prints it: floats to ``SHOWN`` decimals, exact rationals as they are."""
    if isinstance(v, list):
        return [rounded(x) for x in v]
    return round(v, SHOWN) if isinstance(v, float) else v


def close_by_hand(student: Any, exact: Any) -> bool:
    """Does a hand computation from printed values land well inside the grader's tolerance?"""
    if isinstance(exact, list):
        return all(close_by_hand(s, e) for s, e in zip(student, exact))
    s, e = float(student), float(exact)
    return abs(s - e) <= HAND_REL * abs(e) + 1e-12


def workable(exact: Any, student: Any, *, zero_ok: bool = False) -> bool:
    """Can a student work this answer by hand?  No entry nearly vanishes (:func:`not_small`), and the
    value computed from the printed numbers lands well inside the tolerance (:func:`close_by_hand`)."""
    return not_small(exact, zero_ok=zero_ok) and close_by_hand(student, exact)


def not_small(v: Any, least: float = 0.01, *, zero_ok: bool = False) -> bool:
    """Every entry at least ``least`` in size (or exactly 0 if ``zero_ok``): exam draws avoid
    answers that nearly vanish, where a relative tolerance asks for more digits than are printed."""
    if isinstance(v, list):
        return all(not_small(x, least, zero_ok=zero_ok) for x in v)
    if v is None:
        return True
    return abs(float(v)) >= least or (zero_ok and v == 0)


# ----------------------------------------------------------------------------
# Text for prompts and worked steps.
# ----------------------------------------------------------------------------
def show(v: Any) -> str:
    """A parameter or value for a prompt: 0.5, [1, 2], [[1, 0], [0, 1]]; one entry is a number."""
    if isinstance(v, list):
        if v and isinstance(v[0], list):
            if len(v) == 1 and len(v[0]) == 1:
                return show(v[0][0])
            return "[" + ", ".join("[" + ", ".join(show(x) for x in r) + "]" for r in v) + "]"
        if len(v) == 1:
            return show(v[0])
        return "[" + ", ".join(show(x) for x in v) + "]"
    if isinstance(v, float):
        return fmt_number(round(v, SHOWN), SHOWN)
    return fmt_number(v, SHOWN)


def text_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain text table with right-aligned columns (prompts and worked solutions)."""
    width = [max(len(r[j]) for r in [header] + rows) for j in range(len(header))]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, width))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, width)) for r in rows]
    return "\n".join(lines)


def clean(a: Any) -> Any:
    """NumPy values for worked steps: float noise of an exact 0 (4e-17) is shown as 0."""
    import numpy as np

    a = np.array(a, dtype=float)
    a[np.abs(a) < 1e-12] = 0.0
    return a


def nv(a: Any) -> str:
    """A NumPy vector for a worked step: one entry is a number, more a bracketed list."""
    vals = [float(v) for v in clean(a).ravel()]
    return num(vals[0]) if len(vals) == 1 else num(vals)


def nvp(a: Any) -> str:
    """Like :func:`nv`, in parentheses when negative: the right-hand factor of a product."""
    return paren(a, nv)


def nm(a: Any) -> str:
    """A NumPy matrix for a worked step, on one line: [[a, b], [c, d]] (1×1: a number)."""
    m = clean(a)
    if m.size == 1:
        return num(float(m.ravel()[0]))
    if m.ndim == 1 or m.shape[0] == 1:
        return num([float(v) for v in m.ravel()])
    return "[" + ", ".join(num([float(v) for v in row]) for row in m) + "]"


def outer_text(u: Any, v: Any) -> str:
    """u vᵀ for a worked step; with scalars, a product."""
    if clean(u).size == 1 and clean(v).size == 1:
        return f"{nv(u)}·{nvp(v)}"  # −1.889·(−0.4621), not −1.889·−0.4621
    return f"{nv(u)} {nv(v)}ᵀ"


# ----------------------------------------------------------------------------
# Error carried forward: later parts recomputed from a student's own earlier ones.
# ----------------------------------------------------------------------------
def nonzero(m: Any) -> bool:
    """Does a weight (number, vector or matrix) have a nonzero entry?  A dependency through a zero
    weight is none: the student never needs that earlier value."""
    if isinstance(m, list):
        return any(nonzero(v) for v in m)
    return m != 0


def carried(deps: dict[str, tuple[str, ...]], key: dict, given: dict,
            formulas: dict[str, Callable[[dict], Any]]) -> dict:
    """The parts of ``deps`` recomputed by ``formulas`` from the key's values with the given ones in
    their place (the interface of :meth:`~nncheck.topics.base.Solver.carry`).

    ``formulas[part](values)`` reads float arrays of the key's shapes: the given value of each part
    listed in ``deps[part]``, and the key's value of any other part.  A given value that cannot stand
    in for its part (another shape, not a number, not finite) makes the parts computed from it
    unavailable, and so does a result that is not finite (the log of a student's ŷ ≤ 0): those parts
    are left out rather than guessed.
    """
    import numpy as np

    def as_array(v: Any) -> Any:
        try:
            return np.asarray(v, dtype=float)
        except (TypeError, ValueError):
            return None

    keyed = {name: a for name, a in ((n, as_array(v)) for n, v in key.items() if not callable(v)) if a is not None}
    students: dict[str, Any] = {}
    for name in {n for needs in deps.values() for n in needs}:
        ref = keyed[name]
        v = as_array(given[name]) if name in given else ref
        # [[a, b]] for a one-unit sequence and [a, b] are the same answer; a transposed matrix is not.
        if v is not None and v.shape != ref.shape and np.squeeze(v).shape == np.squeeze(ref).shape:
            v = v.reshape(ref.shape)
        students[name] = v if v is not None and v.shape == ref.shape and bool(np.all(np.isfinite(v))) else None
    out = {}
    for part, needs in deps.items():
        if any(students[n] is None for n in needs):
            continue
        with np.errstate(all="ignore"):
            v = formulas[part]({**keyed, **{n: students[n] for n in needs}})
        if bool(np.all(np.isfinite(v))):
            out[part] = float(v) if np.ndim(v) == 0 else v
    return out
