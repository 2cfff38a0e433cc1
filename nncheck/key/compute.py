"""Answer keys, computed twice and cross-checked before anything is served.

``answer_key(variant)`` runs the solver's SymPy path and its NumPy path, compares
every part (numbers to 1e-9 relative, expressions at random points of their
domains) and raises :class:`AnswerKeyError` when they disagree: a variant whose
two derivations differ is refused, never shown.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

from nncheck.errors import AnswerKeyError
from nncheck.generate.variant import Variant, json_value

AGREE_REL = 1e-9
AGREE_ABS = 1e-12


class KeyPart:
    """The key of one part: its exact value, its numeric twin, and the worked steps."""

    __slots__ = ("name", "kind", "exact", "numeric", "steps", "spec")

    def __init__(self, name, kind, exact, numeric, steps, spec):
        self.name, self.kind, self.exact, self.numeric, self.steps, self.spec = name, kind, exact, numeric, steps, spec

    def answer_json(self):
        return answer_json(self.kind, self.exact)

    def exact_text(self) -> str | None:
        """The closed form of a number part, when it is not a plain rational (e.g. ln(2)/3)."""
        if self.kind != "number" or self.exact is None:
            return None
        try:
            from nncheck.topics.base import as_sympy

            e = as_sympy(self.exact) if not isinstance(self.exact, (int, Fraction, float)) else None
        except Exception:
            return None
        if e is None or e.is_Rational or e.is_Float:
            return None
        return expr_text(e)


class AnswerKey:
    def __init__(self, variant: Variant, parts: dict, mistakes: dict, preamble: list[str]):
        self.variant = variant
        self.parts = parts  # name -> KeyPart
        self.mistakes = mistakes  # mistake id -> {part: value}
        self.preamble = preamble

    def part(self, name: str) -> KeyPart:
        self.variant.part(name)  # raises a helpful error for an unknown part
        return self.parts[name]

    def mistakes_for(self, part: str) -> list[tuple[str, str, object]]:
        """(id, message, value) of the declared mistakes that concern ``part``."""
        out = []
        for m in self.variant.family.get("mistakes", []):
            values = self.mistakes.get(m["id"]) or {}
            if part in values and (not m.get("parts") or part in m["parts"]):
                out.append((m["id"], self.variant.render(m["message"]), values[part]))
        return out

    def to_json(self) -> dict:
        v = self.variant
        data = v.to_json()
        parts = []
        for p in v.parts:
            kp = self.parts[p["name"]]
            item = {
                "name": kp.name,
                "kind": kp.kind,
                "prompt": v.part_prompt(p),
                "answer": kp.answer_json(),
                "solution": kp.steps,
            }
            if kp.exact_text():
                item["exact"] = kp.exact_text()
            tol = tolerance_of(p)
            if tol:
                item["tolerance"] = tol
            parts.append(item)
        data["parts"] = parts
        data["solution"] = self.preamble
        data["checked"] = {"sympy_vs_numpy": True}
        return data


def tolerance_of(part: dict) -> dict | None:
    if part["kind"] != "number" and part["kind"] not in ("vector", "matrix"):
        return None
    tol = dict(part.get("tolerance") or {})
    if not tol:
        tol = {"rel": DEFAULT_REL, "abs": DEFAULT_ABS}
    return tol


DEFAULT_REL = 0.005  # ±0.5%: three significant figures, as exam answers are written
DEFAULT_ABS = 1e-6


def answer_key(variant: Variant) -> AnswerKey:
    solver = variant.solver
    if solver is None:
        from nncheck.topics.formula import formula_key  # YAML-only families

        return formula_key(variant)
    p = variant.params
    exact = solver.exact(p)
    numeric = solver.numeric(p)
    parts = {}
    for spec in variant.parts:
        name = spec["name"]
        if name not in exact or name not in numeric:
            raise AnswerKeyError(f"{variant.id}: the solver gives no answer for part '{name}'")
        ok, why = agree(spec, exact[name], numeric[name])
        if not ok:
            raise AnswerKeyError(
                f"{variant.id} (seed {variant.seed}): refused, the two computations of part '{name}' "
                f"disagree: {why}")
        parts[name] = KeyPart(name, spec["kind"], exact[name], numeric[name], [], spec)
    steps = solver.solution(p, {n: kp.exact for n, kp in parts.items()}) or {}
    for name, kp in parts.items():
        kp.steps = [str(s) for s in steps.get(name, [])]
    mistakes = solver.mistakes(p) or {}
    # A mistake that gives the right answer for this instance cannot be told apart: drop it there.
    for mid, values in list(mistakes.items()):
        for part in list(values):
            if part in parts and _same(parts[part], values[part]):
                del values[part]
    return AnswerKey(variant, parts, mistakes, [str(s) for s in steps.get("_", [])])


def _same(kp: KeyPart, value) -> bool:
    """Would the grader accept ``value`` as this part's answer?  Then the mistake cannot be
    told apart from the answer for this instance (it lies within the part's tolerance)."""
    return within_tolerance(kp.spec, kp.exact, value)


def within_tolerance(spec: dict, a, b) -> bool:
    """Are ``a`` and ``b`` the same answer at the part's grading tolerance?"""
    rel, abs_ = 1e-9, AGREE_ABS
    if spec["kind"] in ("number", "vector", "matrix"):
        tol = tolerance_of(spec) or {}
        if tol.get("sigfigs"):
            rel = 0.5 * 10 ** (1 - tol["sigfigs"])
        else:
            rel, abs_ = tol.get("rel") or 0.0, tol.get("abs") or 0.0
    try:
        ok, _ = agree(spec, a, b, rel=rel, abs_=abs_)
        return ok
    except Exception:
        return False


# ----------------------------------------------------------------------------
# Comparing the two paths.
# ----------------------------------------------------------------------------
def to_float(x) -> float:
    if isinstance(x, bool):
        return float(x)
    if isinstance(x, (int, Fraction, float)):
        return float(x)
    try:
        return float(x)
    except TypeError:
        import sympy

        return float(sympy.N(x, 30))


def to_list(x):
    """A vector/matrix value (SymPy Matrix, NumPy array, list) as nested lists."""
    if hasattr(x, "tolist"):
        x = x.tolist()
    return x


def flat_shape(x):
    x = to_list(x)
    if isinstance(x, list):
        if x and isinstance(x[0], list):
            return [v for r in x for v in r], (len(x), len(x[0]))
        return list(x), (len(x),)
    return [x], ()


def _close(a: float, b: float, rel: float, abs_: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return False
    return abs(a - b) <= max(abs_, rel * max(abs(a), abs(b)))


def agree(spec: dict, exact, numeric, *, rel: float = AGREE_REL, abs_: float = AGREE_ABS) -> tuple[bool, str]:
    kind = spec["kind"]
    if exact is None or numeric is None:
        return (exact is None and numeric is None), f"{exact!r} vs {numeric!r}"
    if kind in ("boolean", "choice"):
        return bool(exact == numeric) if kind == "choice" else bool(exact) == bool(numeric), f"{exact!r} vs {numeric!r}"
    if kind in ("expression", "derivation"):
        return _agree_expression(spec, exact, numeric, rel, abs_)
    a, sa = flat_shape(exact)
    b, sb = flat_shape(numeric)
    if kind == "vector":
        sa, sb = (len(a),), (len(b),)
    if sa != sb:
        return False, f"shapes {sa} vs {sb}"
    for i, (x, y) in enumerate(zip(a, b)):
        fx, fy = to_float(x), to_float(y)
        if not _close(fx, fy, rel, abs_):
            where = f" at entry {i + 1}" if len(a) > 1 else ""
            return False, f"SymPy gives {fx!r}, NumPy gives {fy!r}{where}"
    return True, ""


def sample_point(symbols: dict, rng: random.Random) -> dict:
    """A random point in each symbol's declared domain."""
    from nncheck.lang.domains import sample

    return {name: sample(domain, rng) for name, domain in symbols.items()}


def _agree_expression(spec, exact, numeric, rel, abs_) -> tuple[bool, str]:
    """Compare a SymPy expression with a NumPy callable (or a second SymPy expression, e.g. a
    mistake) at random points of the part's symbol domains.

    The SymPy side is evaluated by the answer language's allow-listed mpmath walker rather
    than ``lambdify``, which would generate and compile code for every comparison.
    """
    from nncheck.lang.mpeval import Undefined, evaluate

    symbols = spec.get("symbols") or {}
    rng = random.Random(12345)
    symbolic_other = type(numeric).__module__.startswith("sympy")
    compared = 0
    for _ in range(8):
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
        if not _close(a, b, 1e-7, 1e-9):
            shown = ", ".join(f"{k} = {v:.4g}" for k, v in pt.items())
            return False, f"at {shown}: SymPy gives {a!r}, NumPy gives {b!r}"
    if compared == 0:
        return False, "no sample point where both sides are defined"
    return True, ""


def _real_float(v) -> float:
    if getattr(v, "imag", 0):
        raise ValueError("complex value")
    return float(getattr(v, "real", v))


# ----------------------------------------------------------------------------
# JSON and text forms of answers.
# ----------------------------------------------------------------------------
def answer_json(kind: str, value):
    if value is None:
        return None
    if kind in ("boolean",):
        return bool(value)
    if kind == "choice":
        return str(value)
    if kind in ("expression", "derivation"):
        return expr_text(value)
    if kind in ("vector", "matrix"):
        return [answer_json_number(x) if not isinstance(x, list) else [answer_json_number(y) for y in x]
                for x in to_list(value)] if not hasattr(value, "shape") or kind == "matrix" else \
            [answer_json_number(x) for x in flat_shape(value)[0]]
    if kind == "integer":
        return int(round(to_float(value)))
    return answer_json_number(value)


def answer_json_number(x):
    if isinstance(x, list):
        return [answer_json_number(v) for v in x]
    if isinstance(x, bool):
        return x
    if isinstance(x, int):
        return x
    if isinstance(x, Fraction):
        return json_value(x)
    try:
        import sympy

        if isinstance(x, sympy.Basic) and x.is_Integer:
            return int(x)
    except ImportError:  # pragma: no cover
        pass
    f = to_float(x)
    return int(f) if f.is_integer() and abs(f) < 2**53 and _is_exact_int(x) else f


def _is_exact_int(x) -> bool:
    try:
        import sympy

        if isinstance(x, sympy.Basic):
            return bool(x.is_Integer)
    except ImportError:  # pragma: no cover
        pass
    return isinstance(x, int)


def answer_text(kind: str, value) -> str:
    """A key value written as a user would type it, in the answer language.

    Rationals stay exact (``7/3``); other numbers are written with 17 significant digits,
    which every tolerance accepts; expressions are printed by the answer-language printer.
    """
    if value is None:
        return "none"
    if kind == "boolean":
        return "yes" if value else "no"
    if kind == "choice":
        return str(value)
    if kind in ("expression", "derivation"):
        return expr_text(value)
    if kind in ("vector", "matrix"):
        flat, shape = flat_shape(value)
        if kind == "vector" or len(shape) == 1:
            return "[" + ", ".join(_number_text(x) for x in flat) + "]"
        rows = [flat[i * shape[1]:(i + 1) * shape[1]] for i in range(shape[0])]
        return "[" + ", ".join("[" + ", ".join(_number_text(x) for x in r) + "]" for r in rows) + "]"
    return _number_text(value)


def _number_text(x) -> str:
    if isinstance(x, bool):
        return "1" if x else "0"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    if type(x).__module__.startswith("sympy") and getattr(x, "is_Rational", False):
        return str(x.p) if x.q == 1 else f"{x.p}/{x.q}"
    f = to_float(x)
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    return f"{f:.17g}"


def expr_text(e) -> str:
    """A SymPy expression printed in the answer language (``^`` for powers)."""
    from nncheck.lang.printer import to_answer_text

    return to_answer_text(e)
