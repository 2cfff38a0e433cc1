"""JSON problem sets: the full data (params, prompts, parts, answers, solutions), stable order."""

from __future__ import annotations

import json

from nncheck import __version__
from nncheck.export.answers import key_answer_text, tolerance_text
from nncheck.export.diagrams import diagram_of
from nncheck.kinds import get as kind_of

SCHEMA = "nncheck-set/1"


def _problem_json(p, *, with_key: bool) -> dict:
    from nncheck.generate.variant import json_value
    from nncheck.key.model import problem_check

    v = p.variant
    out = {
        "number": p.number,
        "section": p.section,
        "id": v.id,
        "title": v.title,
        "topic": v.topic,
        "seed": v.seed,
        "check": problem_check(v),
        "params": {k: json_value(x) for k, x in v.public_params().items()},
        "conventions": list(v.family.get("conventions", [])),
        "prompt": v.prompt,
        "parts": [],
    }
    for spec in p.parts:
        part = {"name": spec["name"], "kind": spec["kind"], "prompt": v.part_prompt(spec)}
        if spec.get("choices"):
            part["choices"] = list(spec["choices"])
        if spec.get("nullable"):
            part["nullable"] = True
        if spec.get("symbols"):
            part["symbols"] = dict(spec["symbols"])
        if with_key:
            part.update(_key_part(p, spec))
        out["parts"].append(part)
    if with_key:
        out["solution"] = list(p.key.preamble)
    d = diagram_of(v)
    if d is not None:
        kind, data = d
        out["diagram"] = ({"kind": "boxes", "boxes": [{"label": lab, "box": [json_value(x) for x in b]}
                                                      for lab, b in data]} if kind == "boxes" else
                          {"kind": "grid", "grids": [{"label": lab, "values": json_value(m)} for lab, m in data]})
    return out


def _key_part(p, spec) -> dict:
    kp = p.key.parts[spec["name"]]
    # "answer" keeps full precision (data); "display" is the value as the numbers policy shows it.
    item = {"answer": kp.answer_json(), "answer_text": key_answer_text(kp),
            "display": kind_of(spec["kind"]).readable(kp.exact)}
    if kp.exact_text():
        item["exact"] = kp.exact_text()
    tol = kind_of(spec["kind"]).tolerance(spec)
    if tol:
        item["tolerance"] = tol
        item["tolerance_text"] = tolerance_text(kp)
    item["solution"] = list(kp.steps)
    item["mistakes"] = [{"id": mid, "message": msg} for mid, msg, _ in p.key.mistakes_for(spec["name"])]
    return item


def _dump(obj) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode("utf-8")


def render_json(pset, key: str = "inline") -> dict[str, bytes]:
    head = {"schema": SCHEMA, "generator": f"nncheck {__version__}", "title": pset.title, "seed": pset.seed,
            "exam": pset.exam, "count": len(pset.problems), "answers": pset.answer_count}
    problems = [_problem_json(p, with_key=(key == "inline")) for p in pset.problems]
    files = {"problems.json": _dump({**head, "problems": problems})}
    if key == "separate":
        keyed = []
        for p in pset.problems:
            keyed.append({"number": p.number, "id": p.variant.id, "seed": p.variant.seed,
                          "solution": list(p.key.preamble),
                          "parts": [{"name": s["name"], **_key_part(p, s)}
                                    for s in p.parts]})
        files["key.json"] = _dump({**head, "problems": keyed})
    return files
