"""Grade one answer against a computed key: the part's spec, value and mistakes come from the key.

Error carried forward (exam graders' follow-through credit; Numbas's "adaptive marking"): a later
part that is wrong against the key is graded again against the value the family's own formulas
give from the student's earlier answers (``Solver.carry_from``/``Solver.carry``).  The policy,
which ``docs/answer-language.md`` states for students:

* only numbers, integers, vectors and matrices are carried, from parts the later one is computed
  from *directly* and that were asked (an input the student was not asked keeps the key's value);
* every such input must have been answered (readably); inputs answered correctly keep the key's
  value, so rounding a right answer can never move a later verdict;
* a wrong input carries only when it is an *honest attempt* (:func:`not_an_attempt`): finite,
  of the part's shape, not all zeros, not a copy of data the problem gives, and within a factor
  :data:`CARRY_SCALE` of the key's size — a trivial earlier answer that makes later parts
  trivial earns nothing;
* the carried value is graded through the part's own kind (tolerance, rounding rule);
* the earlier part itself stays wrong; the later part scores :data:`CARRY_SCORE`.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

from nncheck.answer.verdict import Verdict
from nncheck.key.model import AnswerKey, KeyPart
from nncheck.kinds import grade_answer

#: Score of a later part that is right given the student's own wrong earlier answers.  Full
#: marks: the slip already cost the earlier part its marks, and charging it again at every part
#: computed from it is the double penalty that follow-through marking exists to avoid.
CARRY_SCORE = 1.0
#: An honest attempt is at most this many times larger or smaller than the key (Euclidean size).
#: Common slips stay well inside it (a dropped 1/n with n ≤ 5, log₁₀ for ln, an ignored stride);
#: a value chosen to make later parts trivial (0.001, 10⁶) does not.
CARRY_SCALE = 10.0
#: The kinds whose values are carried: those a solver's NumPy path computes with.
CARRY_KINDS = ("number", "integer", "vector", "matrix")
#: A carried value in the feedback is cut to this many characters.
SHOWN_CHARS = 60


def grade(key: AnswerKey, part_name: str, text: str, given: Mapping[str, str | None] | None = None, *,
          asked: Collection[str] | None = None, latex: bool | None = None) -> Verdict:
    """Grade ``text`` for part ``part_name`` of ``key`` (an unknown part raises a helpful error).

    ``given``: the student's answers to other parts of the same problem ({part: text}; None or
    blank: not answered), from which a wrong answer may earn credit by error carried forward.
    ``asked``: the parts the student was asked (default: every part of the variant).
    ``latex``: read the answers as LaTeX (True), plain (False) or as they look (None; see
    :func:`nncheck.kinds.grade_answer`).
    """
    kp = key.part(part_name)
    verdict = grade_answer(kp.spec, kp.exact, text, key.mistakes_for(part_name), latex=latex)
    if given:
        verdict = carry_forward(key, part_name, text, verdict, given, asked=asked, latex=latex)
    return verdict


def carry_forward(key: AnswerKey, part_name: str, text: str, verdict: Verdict,
                  given: Mapping[str, str | None], *, asked: Collection[str] | None = None,
                  latex: bool | None = None) -> Verdict:
    """``verdict`` (of ``text`` against the key), or a verdict that counts when ``text`` is right given the
    student's own wrong earlier answers ``given`` (see the module's policy).  ``verdict`` is never changed."""
    if verdict.status != "incorrect" or not given:
        return verdict
    kp = key.parts.get(part_name)
    if kp is None or kp.kind not in CARRY_KINDS or kp.spec.get("symbols"):
        return verdict
    inputs = key.carry_inputs(part_name, asked)
    if not inputs:
        return verdict
    wrong: dict[str, Any] = {}
    shown: dict[str, str] = {}
    refused: dict[str, str] = {}
    for name in inputs:
        answer = given.get(name)
        if answer is None or not str(answer).strip():
            return verdict  # every input must have been answered
        ikp = key.parts[name]
        if ikp.kind not in CARRY_KINDS or ikp.spec.get("symbols"):
            return verdict
        earlier = grade(key, name, answer, latex=latex)
        if earlier.status == "invalid":
            return verdict
        if earlier.status == "correct":
            continue  # the key's value: rounding a right answer never moves a later verdict
        value = student_value(ikp, answer, earlier, latex=latex)
        if value is None:
            return verdict
        wrong[name] = value
        shown[name] = _shown(earlier.parsed_as or str(answer).strip())
        why = not_an_attempt(ikp, value, key.variant.public_params())
        if why:
            refused[name] = why
    if not wrong:
        return verdict
    carried = carried_value(key, part_name, wrong)
    if carried is None:
        return verdict
    again = grade_answer(kp.spec, carried, text, latex=latex)
    if again.status != "correct":
        return verdict
    if refused:
        notes = "; ".join(f"not carried forward from your {label(key, n)} = {shown[n]}: an earlier answer that "
                          f"{why} is not an honest attempt" for n, why in refused.items())
        return _copy(verdict, feedback=f"{verdict.feedback} ({notes[0].upper()}{notes[1:]}.)")
    used = [n for n in inputs if n in wrong]
    yours = " and ".join(f"{label(key, n)} = {shown[n]}" for n in used)
    feedback = f"Correct given your {yours}: error carried forward."
    if again.feedback and not again.feedback.startswith("Correct"):
        feedback += " " + again.feedback  # what the kind adds (a rounding note)
    return Verdict("correct", CARRY_SCORE, feedback, parsed_as=verdict.parsed_as, details=again.details,
                   tolerance=again.tolerance, carried_forward=used)


def carried_value(key: AnswerKey, part_name: str, wrong: Mapping[str, Any]) -> Any | None:
    """The value of ``part_name`` recomputed by the solver from the student's ``wrong`` inputs (None: none)."""
    try:
        out = key.variant.solver.carry(key.variant.params, dict(wrong)) or {}
    except Exception:  # noqa: BLE001 - a value the formulas cannot take (a log of ≤ 0) carries nothing
        return None
    value = out.get(part_name)
    if value is None:
        return None
    flat = _floats(value)
    if flat is None or not all(math.isfinite(x) for x in flat):
        return None
    return value


def student_value(kp: KeyPart, text: str, verdict: Verdict, *, latex: bool | None = None) -> Any | None:
    """A wrong numeric answer as the solver's formulas take it: a float, a list, or rows in the key's
    shape.  None when it has no such reading (another shape: the kind compared no entries).
    ``latex``: as the answer was graded (a LaTeX answer is read as the plain text it means)."""
    from nncheck.kinds import plain_answer
    from nncheck.kinds.array import bracketed
    from nncheck.kinds.values import flat_shape
    from nncheck.lang.numeric import evaluate
    from nncheck.lang.syntax import AnswerSyntaxError, parse

    try:
        raw = plain_answer(kp.spec, str(text), latex=latex)
        if kp.kind in ("number", "integer"):
            v = evaluate(parse(raw, symbols=(), transpose=False), {}, raw)
            if isinstance(v, (list, bool, str)):
                return None
            return float(v)
        source = bracketed(raw)
        v = evaluate(parse(source, symbols=(), transpose=True), {}, source)
    except (AnswerSyntaxError, TypeError, ValueError, OverflowError, ZeroDivisionError):
        return None
    key_flat, key_shape = flat_shape(kp.numeric if kp.numeric is not None else kp.exact)
    flat = _floats(v)
    # The array kind compares entries only when the shape fits: one detail per entry.
    if flat is None or len(flat) != len(key_flat) or len(verdict.details) != len(key_flat):
        return None
    if kp.kind == "vector" or len(key_shape) != 2:
        return flat
    cols = key_shape[1]
    return [flat[i * cols:(i + 1) * cols] for i in range(key_shape[0])]


def not_an_attempt(kp: KeyPart, value: Any, params: Mapping[str, Any]) -> str | None:
    """Why a wrong earlier answer is not an honest attempt, or None when it is one.

    Not an attempt: a value that is not finite; all zeros (when the key is not), which makes every
    product after it trivial; a copy of a vector or matrix the problem gives; a value more than
    :data:`CARRY_SCALE` times larger or smaller than the key.
    """
    from nncheck.kinds.values import flat_shape, float_or_inf

    flat = _floats(value)
    if flat is None or not all(math.isfinite(x) for x in flat):
        return "is not a finite number"
    key_flat = [float_or_inf(x) for x in flat_shape(kp.numeric if kp.numeric is not None else kp.exact)[0]]
    if any(x != 0 for x in key_flat) and all(x == 0 for x in flat):
        return "is zero" if len(flat) == 1 else "is all zeros"
    if len(flat) > 1:
        for name, given in params.items():
            g = _floats(given)
            if g is not None and len(g) == len(flat) and all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
                                                             for a, b in zip(flat, g)):
                return f"copies the given {name}"
    size, key_size = math.hypot(*flat), math.hypot(*key_flat)
    if key_size > 0 and size > 0 and math.isfinite(key_size):
        if size > CARRY_SCALE * key_size:
            return f"is more than {CARRY_SCALE:g} times too large"
        if size * CARRY_SCALE < key_size:
            return f"is more than {CARRY_SCALE:g} times too small"
    return None


def label(key: AnswerKey, part_name: str) -> str:
    """A part as its prompt names it: "ξ⁽¹⁾" for "ξ⁽¹⁾ (one row per example)", "loss L" for "The loss L"."""
    try:
        text = key.variant.part_prompt(key.parts[part_name].spec)
    except Exception:  # noqa: BLE001 - a prompt that does not render is named by the part
        return part_name
    cuts = [i for i in (text.find(s) for s in (" (", ", ", " = ", " for ", ": ", "; ")) if i > 0]
    if cuts:
        text = text[:min(cuts)]
    words = text.split()
    if len(words) > 1 and words[0] in ("The", "the"):
        words = words[1:]
    if len(words) > 1 and words[0].isalpha() and words[0][:1].isupper() and words[0][1:].islower():
        words[0] = words[0].lower()  # "Intersection area I" reads "your intersection area I"
    return " ".join(words) or part_name


def _floats(value: Any) -> list[float] | None:
    """Every entry of a number, list, nested list or array as a float (None: something else)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        out: list[float] = []
        for x in value:
            sub = _floats(x)
            if sub is None:
                return None
            out += sub
        return out
    if isinstance(value, (bool, str)) or value is None:
        return None
    try:
        return [float(value)]
    except (TypeError, ValueError, OverflowError):
        return None


def _shown(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + "…"


def _copy(v: Verdict, *, feedback: str) -> Verdict:
    return Verdict(v.status, v.score, feedback, parsed_as=v.parsed_as, mistake=v.mistake, error=v.error,
                   details=list(v.details), tolerance=v.tolerance, carried_forward=list(v.carried_forward))
