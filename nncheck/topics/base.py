"""What a topic solver provides, and small helpers shared by all of them.

A solver holds the maths of one family.  Its two answer paths are independent on
purpose, as in micrograd's tests against PyTorch:

* ``exact(p)``  — SymPy: differentiate or simplify the *forward* expression;
* ``numeric(p)`` — NumPy: the hand-written formula or backward pass a student uses.

``nncheck.key.compute`` refuses a variant when they disagree.  Modules in this package import
SymPy and NumPy inside functions only: ``nncheck show`` imports a solver to call
``check``/``derive`` and must stay fast.
"""

from __future__ import annotations

from fractions import Fraction

from nncheck.errors import ParamError
from nncheck.lang.template import fmt_number, fmt_value

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `nncheck show` imports this module
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable


class Solver:
    """Base class: override ``exact`` and ``numeric``; the rest is optional."""

    #: values that prompts may use besides the parameters (documented for bank authors)
    template_vars: tuple = ()

    def check(self, p: dict) -> None:
        """Raise :class:`ParamError` when parameter values do not fit together."""

    def derive(self, p: dict) -> dict:
        """Extra template values computed from the parameters in plain Python."""
        return {}

    def exact(self, p: dict) -> dict:
        """Answer of every part, computed with SymPy (exact where possible)."""
        raise NotImplementedError

    def numeric(self, p: dict) -> dict:
        """Answer of every part, computed independently with NumPy."""
        raise NotImplementedError

    def solution(self, p: dict, key: dict) -> dict:
        """Worked steps: ``{part: [step, ...]}``; the key ``"_"`` holds steps shared by all parts."""
        return {}

    def mistakes(self, p: dict) -> dict:
        """``{mistake_id: {part: value}}``: what each common mistake would give."""
        return {}

    # -- error carried forward ------------------------------------------------------------
    # A later part computed correctly from a student's own (wrong) earlier answer earns credit,
    # as exam graders give it.  The solver says which parts feed which, and recomputes the later
    # ones from given earlier values; ``nncheck.key.grade`` decides when that applies.
    def carry_from(self, p: dict) -> dict[str, tuple[str, ...]]:
        """{later part: the earlier parts it is computed from}, for error carried forward.

        Only parts whose value follows from earlier *asked* parts by the family's own formulas; the
        listed earlier parts are all the inputs a student needs (transitively closed is not required:
        list the direct inputs).
        """
        return {}

    def carry(self, p: dict, given: dict) -> dict:
        """Later parts recomputed from the student's own earlier values.

        ``given``: {earlier part: value}, values shaped as the parts' numeric keys (float, list, list
        of lists), replacing the key's value of that part.  Returns {later part: value} (same shapes
        as ``numeric(p)``) for the parts of ``carry_from`` whose inputs are all in ``given`` or
        unaffected; the computation uses plain floats/NumPy (no SymPy), exactly the formulas of the
        numeric path with the given values substituted.  Parts it cannot recompute are left out.
        """
        return {}


# ----------------------------------------------------------------------------
# Conversions shared by solvers.
# ----------------------------------------------------------------------------
def R(x):
    """A parameter value as an exact SymPy number (0.1 stays 1/10)."""
    import sympy

    if isinstance(x, bool):
        return sympy.Integer(int(x))
    if isinstance(x, int):
        return sympy.Integer(x)
    if isinstance(x, Fraction):
        return sympy.Rational(x.numerator, x.denominator)
    if isinstance(x, float):
        return sympy.nsimplify(x, rational=True) if abs(x) < 1e12 else sympy.Float(x)
    return x  # already a SymPy object (or something R does not convert)


def as_sympy(x):
    """A computed value (SymPy object or Python number) as a SymPy object.

    ``sympify`` would also parse text; nothing here ever takes text, so text is refused
    rather than parsed — user input reaches SymPy only through the answer language.
    """
    import sympy

    if isinstance(x, (str, bytes)):
        raise TypeError("as_sympy takes computed values, not text")
    return sympy.sympify(x)


def RM(rows):
    """A list (vector) or list of lists (matrix) as a SymPy Matrix of exact numbers."""
    import sympy

    if rows and isinstance(rows[0], list):
        return sympy.Matrix([[R(x) for x in r] for r in rows])
    return sympy.Matrix([R(x) for x in rows])


def F(x):
    """A parameter value as a float (the NumPy path never sees Fractions)."""
    return float(x)


def A(rows):
    import numpy as np

    return np.array(rows, dtype=float)


def num(x, digits: int = 4) -> str:
    """A value for a worked step: 0.7311, 1/3, [1, 2]."""
    if isinstance(x, (list, tuple)):
        return fmt_value([_plain(v) for v in x])
    return fmt_number(_plain(x), digits)


def paren(x, fmt: Callable[..., str] = num) -> str:
    """A value for a worked step, in parentheses when negative: 3, (−2) — the right-hand factor of a product."""
    t = fmt(x)
    return f"({t})" if t.startswith("−") else t


def signed_sum(values: Iterable, fmt: Callable[..., str] = num) -> str:
    """Terms joined as a person writes them: −0.6931 − 0.2231 + 1 (never "+ −b").

    A negative vector, "−[1, 2]", keeps its sign: "a − [1, 2]" would read as a different vector.
    """
    out = ""
    for i, v in enumerate(values):
        t = fmt(v)
        if i == 0:
            out = t
        elif t.startswith("−") and not t.startswith("−["):
            out += " − " + t[1:]
        else:
            out += " + " + t
    return out


def _plain(x):
    # Only touch SymPy when the value already is a SymPy object: `num` runs on the fast path.
    if type(x).__module__.startswith("sympy"):
        if x.is_Integer:
            return int(x)
        if x.is_Rational:
            return Fraction(int(x.p), int(x.q))
        return float(x)
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if hasattr(x, "tolist"):
        return _plain(x.tolist())
    return x


__all__ = ["Solver", "ParamError", "R", "RM", "F", "A", "num", "paren", "signed_sum", "as_sympy"]
