"""Answer keys, computed twice and cross-checked before anything is served.

``answer_key(variant)`` runs the solver's SymPy path and its NumPy path, compares
every part (numbers to 1e-9 relative, expressions at random points of their
domains) and raises :class:`AnswerKeyError` when they disagree: a variant whose
two derivations differ is refused, never shown.
"""

from __future__ import annotations

from typing import Any

from nncheck import kinds
from nncheck.errors import AnswerKeyError
from nncheck.generate.variant import Variant
from nncheck.key.model import AnswerKey, KeyPart
from nncheck.kinds.base import Part

#: How close the SymPy and NumPy computations of a numeric key must be.
AGREE_REL = 1e-9
AGREE_ABS = 1e-12


def answer_key(variant: Variant) -> AnswerKey:
    """The key of ``variant``, by one path for every family: a YAML-only family's solver is a
    :class:`~nncheck.topics.formula.FormulaSolver` over its formulas, so its answers are
    cross-checked, and its mistakes dropped, exactly as a Python solver's are."""
    solver = variant.solver
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
    for values in mistakes.values():
        for part in list(values):
            if part in parts and _same(parts[part], values[part]):
                del values[part]
    return AnswerKey(variant, parts, mistakes, [str(s) for s in steps.get("_", [])])


def _same(kp: KeyPart, value: Any) -> bool:
    """Would the grader accept ``value`` as this part's answer?  Then the mistake cannot be
    told apart from the answer for this instance: the grader's own rule, with the key's value
    as the expected one (a tolerance is around the expected value, so the order matters)."""
    try:
        return kinds.get(kp.kind).same(kp.spec, kp.exact, value)
    except Exception:  # noqa: BLE001 - a value the grader could not even compare is told apart
        return False


def agree(spec: Part, exact: Any, numeric: Any, *, rel: float = AGREE_REL, abs_: float = AGREE_ABS
          ) -> tuple[bool, str]:
    """Do the SymPy (``exact``) and NumPy (``numeric``) computations of a part agree?  (ok, why not).

    Numbers entry by entry to ``rel``/``abs_``; expressions at random points of their domains.
    """
    return kinds.get(spec["kind"]).agree(spec, exact, numeric, rel=rel, abs_=abs_)
