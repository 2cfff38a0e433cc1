"""Self-tests of problem families, after PrairieLearn's ``test()`` and STACK's question tests.

For every family and N seeds: the key's own answer must be graded *correct*; every
declared mistake must be graded *incorrect* and *named* (or named as another declared
mistake that gives the same answer at the part's tolerance); a garbage string must be
*invalid*; and the SymPy and NumPy computations must agree (``answer_key`` refuses
otherwise).  Mistakes that never applied in the N seeds are listed as a note: a
convention-specific mistake (an ELU slip, say) applies only to some draws.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nncheck import kinds

if TYPE_CHECKING:
    from nncheck.key.model import KeyPart
    from nncheck.kinds.base import Part
    from nncheck.records import FamilyRecord


def _key_text(kp: KeyPart, part: Part) -> str:
    """What a student would submit for the key: a multi-line answer (a derivation) is its worked steps."""
    kind = kinds.get(kp.kind)
    if kind.multiline and kp.steps:
        return "\n".join(kp.steps)
    return kind.answer(part, kp.exact)


def _mistake_text(kp: KeyPart, part: Part, value: Any) -> str:
    """A submission that commits the mistake: for a derivation, a jump from the start to its result."""
    return kinds.get(kp.kind).answer(part, value)


GARBAGE = "§ not an answer ((("


def test_family(record: FamilyRecord, seeds: int = 10, on_step: Callable[[], object] | None = None
                ) -> dict[str, Any]:
    from nncheck.errors import AnswerKeyError, NNCheckError
    from nncheck.generate.variant import build_variant
    from nncheck.key.compute import answer_key
    from nncheck.key.grade import grade

    failures: list[str] = []
    checked = {"answers": 0, "mistakes": 0, "garbage": 0, "seeds": 0}
    exercised: dict[str, int] = {m["id"]: 0 for m in record.get("mistakes", [])}
    for seed in range(1, seeds + 1):
        try:
            key = answer_key(build_variant(record, seed, {}))
        except AnswerKeyError as e:
            failures.append(f"seed {seed}: {e.line()}")
            continue
        except NNCheckError as e:
            failures.append(f"seed {seed}: {e.line()}")
            continue
        checked["seeds"] += 1
        for part in key.variant.parts:
            name = part["name"]
            kp = key.parts[name]
            text = _key_text(kp, part)
            v = grade(key, name, text)
            checked["answers"] += 1
            if v.status != "correct":
                failures.append(f"seed {seed}, part {name}: the key's answer {text!r} was graded {v.status}"
                                f" ({v.feedback})")
            mistakes = key.mistakes_for(name)
            for mid, _msg, value in mistakes:
                text = _mistake_text(kp, part, value)
                v = grade(key, name, text)
                checked["mistakes"] += 1
                exercised[mid] = exercised.get(mid, 0) + 1
                # Mistakes that give the same answer at this part's tolerance are one diagnosis: the
                # grader names the first declared mistake whose value would accept this one.
                kind = kinds.get(kp.kind)
                same_value = {m for m, _, val in mistakes if m == mid or kind.same(part, val, value)}
                if v.status != "incorrect":
                    failures.append(f"seed {seed}, part {name}: mistake {mid} ({text!r}) was graded {v.status}")
                elif v.mistake not in same_value:
                    failures.append(f"seed {seed}, part {name}: mistake {mid} ({text!r}) was not named"
                                    + (f" (named {v.mistake})" if v.mistake else ""))
            v = grade(key, name, GARBAGE)
            checked["garbage"] += 1
            if v.status != "invalid":
                failures.append(f"seed {seed}, part {name}: garbage was graded {v.status}, not invalid")
        if on_step:
            on_step()
    never = sorted(m for m, n in exercised.items() if n == 0)
    return {"id": record["id"], "ok": not failures, "failures": failures,
            "not_exercised": never, **checked}
