"""Grade one answer against a computed key: the part's spec, value and mistakes come from the key."""

from __future__ import annotations

from nncheck.answer.verdict import Verdict
from nncheck.key.model import AnswerKey
from nncheck.kinds import grade_answer


def grade(key: AnswerKey, part_name: str, text: str) -> Verdict:
    """Grade ``text`` for part ``part_name`` of ``key`` (an unknown part raises a helpful error)."""
    kp = key.part(part_name)
    return grade_answer(kp.spec, kp.exact, text, key.mistakes_for(part_name))
