"""A generated class for the tests: one answer file per student, filled from a generated set.

Each student answers each part with the key, a declared mistake's value, another wrong value, an
unreadable answer, or nothing, in proportions drawn from a seeded generator, and the builder
returns what it wrote, so a test checks the grader's counts against choices made here (never
against the grader itself).
"""

from __future__ import annotations

import random
from pathlib import Path

import yaml

from nncheck.export.answers import blank_answer_file, key_answer_text
from nncheck.export.problemset import build_set
from nncheck.kinds.tolerance import close_enough, tolerance_spec
from nncheck.kinds.values import number_text, to_float

#: Cheap keys, numeric parts, declared mistakes on several parts.
FAMILIES = ("conv.output-size", "detection.iou", "conv.param-count")
UNREADABLE = "2 +* (3"


def _mistake(p, spec) -> tuple[str, str] | None:
    """(mistake id, answer text) of a declared mistake told apart from the key, if the part has one."""
    kp = p.key.parts[spec["name"]]
    if spec["kind"] not in ("number", "integer") or kp.exact is None:
        return None
    tol = tolerance_spec(spec)
    for mid, _msg, value in p.key.mistakes_for(spec["name"]):
        if value is None or close_enough(to_float(value), to_float(kp.exact), tol):
            continue
        text = number_text(value)
        # Two mistakes with the same value: the grader may name either, so such a value is not used.
        if sum(1 for _m, _s, v in p.key.mistakes_for(spec["name"]) if v is not None and number_text(v) == text) == 1:
            return mid, text
    return None


def _wrong(p, spec) -> str:
    kp = p.key.parts[spec["name"]]
    if spec["kind"] == "boolean":
        return "no" if kp.exact else "yes"
    return number_text(round(to_float(kp.exact) * 3 + 7, 3)) if kp.exact is not None else "12345"


def make_class(directory: Path, catalog, students: int, *, seed: int = 417, own_seeds: bool = False,
               rng_seed: int = 1, weights=(0.45, 0.25, 0.1, 0.1, 0.1)) -> dict:
    """Write ``students`` files (``s001.yaml`` …) into ``directory``; returns what each student
    answered: {student: {(problem, part): (choice, text, mistake id or None)}}."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(rng_seed)
    shared = None if own_seeds else build_set(catalog, families=list(FAMILIES), count=len(FAMILIES), seed=seed)
    out: dict = {}
    for k in range(1, students + 1):
        name = f"s{k:03d}"
        pset = shared or build_set(catalog, families=list(FAMILIES), count=len(FAMILIES), seed=seed * 1000 + k)
        data = yaml.safe_load(blank_answer_file(pset))
        chosen = {}
        for item, p in zip(data["answers"], pset.problems):
            for spec in p.parts:
                choice = rng.choices(("correct", "mistake", "wrong", "invalid", "blank"), weights)[0]
                mistake = _mistake(p, spec) if choice == "mistake" else None
                if choice == "mistake" and mistake is None:
                    choice = "wrong"
                text = {"correct": key_answer_text(p.key.parts[spec["name"]]), "wrong": _wrong(p, spec),
                        "invalid": UNREADABLE, "blank": None}.get(choice, mistake[1] if mistake else None)
                item["parts"][spec["name"]] = text
                chosen[(str(p.number), spec["name"])] = (choice, text, mistake[0] if mistake else None)
        data = {"student": name, **data}
        (directory / f"{name}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                                encoding="utf-8")
        out[name] = chosen
    return out
