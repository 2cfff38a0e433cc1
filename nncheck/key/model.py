"""The answer key of one variant: each part's exact value, its numeric twin, worked steps, mistakes.

:func:`nncheck.key.compute.answer_key` builds an :class:`AnswerKey`; everything that
shows or grades a key reads it through here, and every form of a part's value (text,
JSON, display) comes from the part's answer kind (:mod:`nncheck.kinds`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from nncheck import kinds
from nncheck.kinds.base import Kind, Mistake

if TYPE_CHECKING:
    from nncheck.generate.variant import Variant
    from nncheck.records import PartSpec


class KeyPart:
    """The key of one part: its exact value, its numeric twin, and the worked steps."""

    __slots__ = ("name", "kind", "exact", "numeric", "steps", "spec")

    def __init__(self, name: str, kind: str, exact: Any, numeric: Any, steps: list[str], spec: PartSpec) -> None:
        self.name, self.kind, self.exact, self.numeric, self.steps, self.spec = name, kind, exact, numeric, steps, spec

    @property
    def answer_kind(self) -> Kind:
        """The part's answer kind, which writes, shows and grades its value."""
        return kinds.get(self.kind)

    def answer_json(self) -> Any:
        """The exact value in JSON."""
        return self.answer_kind.json(self.exact)

    def answer_text(self) -> str:
        """The key as a student would type it, in the answer language: grading it gives *correct*."""
        # The worked steps go with the spec: a derivation's key is its worked derivation, since a
        # jump from start to target shows no work (the other kinds ignore them).
        spec: PartSpec = {**self.spec, "solution": self.steps} if self.steps else self.spec
        return self.answer_kind.key_text(spec, self.exact)

    def display(self) -> str:
        """The key as the terminal views show it."""
        return self.answer_kind.display(self.exact)

    def tolerance(self) -> dict[str, Any] | None:
        """The part's tolerance as JSON shows it (None when its answers are not compared numerically)."""
        return self.answer_kind.tolerance(self.spec)

    def tolerance_text(self) -> str | None:
        """The part's tolerance in words ("within ±0.5%")."""
        return self.answer_kind.tolerance_text(self.spec)

    def exact_text(self) -> str | None:
        """The closed form of the value, when the kind shows one beside it (a number such as ln(2)/3)."""
        return self.answer_kind.closed_form(self.exact)


class AnswerKey:
    """The key of a variant: its parts, its declared mistakes' values, and the steps before the parts."""

    def __init__(self, variant: Variant, parts: dict[str, KeyPart], mistakes: dict[str, dict[str, Any]],
                 preamble: list[str]) -> None:
        self.variant = variant
        self.parts = parts  # name -> KeyPart
        self.mistakes = mistakes  # mistake id -> {part: value}
        self.preamble = preamble
        self._carry_from: dict[str, tuple[str, ...]] | None = None  # the solver's, read once

    def part(self, name: str) -> KeyPart:
        self.variant.part(name)  # raises a helpful error for an unknown part
        return self.parts[name]

    def carry_inputs(self, part: str, asked: Collection[str] | None = None) -> tuple[str, ...]:
        """The earlier parts ``part`` is computed from (error carried forward), among those asked.

        ``asked``: the parts put to the student (an exam may ask 3 of a family's parts); by default
        every part of the variant.  An input that is not asked is not the student's to get wrong.
        """
        if self._carry_from is None:
            try:
                self._carry_from = dict(self.variant.solver.carry_from(self.variant.params) or {})
            except Exception:  # noqa: BLE001 - a solver bug in this optional hook must not stop grading
                self._carry_from = {}
        names = set(self.parts) if asked is None else set(asked) & set(self.parts)
        return tuple(i for i in self._carry_from.get(part, ()) if i in names and i != part)

    def mistakes_for(self, part: str) -> list[Mistake]:
        """(id, message, value) of the declared mistakes that concern ``part``."""
        out = []
        for m in self.variant.family.get("mistakes", []):
            values = self.mistakes.get(m["id"]) or {}
            if part in values and (not m.get("parts") or part in m["parts"]):
                out.append((m["id"], self.variant.render(m["message"]), values[part]))
        return out

    def to_json(self) -> dict[str, Any]:
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
            tol = kinds.get(p["kind"]).tolerance(p)
            if tol:
                item["tolerance"] = tol
            parts.append(item)
        data["parts"] = parts
        data["solution"] = self.preamble
        data["checked"] = {"sympy_vs_numpy": True}
        return data


def problem_check(variant: Variant) -> str:
    """A short digest of a variant's public parameters (changes if the bank draws differently).

    A generated answer file remembers it, so that grading can tell when the bank changed.
    """
    from nncheck.generate.variant import json_value

    blob = json.dumps([variant.id, {k: json_value(v) for k, v in variant.public_params().items()}],
                      sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha1(blob.encode()).hexdigest()[:8]
