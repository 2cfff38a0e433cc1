"""Shared helpers for the quiz/exam/review tests: correct answers typed as a student would."""

from __future__ import annotations

import os
import sqlite3
import sys

from nncheck import kinds


def typed(kind: str, value) -> str:
    """An answer key value written in the answer language."""
    v = kinds.get(kind).json(value)
    if v is None:
        return "none"
    if kind == "boolean":
        return "yes" if v else "no"
    if kind in ("vector", "matrix") and isinstance(v, list):
        if v and isinstance(v[0], list):
            return "[" + "; ".join(", ".join(repr(x) for x in row) for row in v) + "]"
        return "[" + ", ".join(repr(x) for x in v) + "]"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def key_for(catalog, family_id: str, seed: int):
    from nncheck.generate.variant import build_variant
    from nncheck.key.compute import answer_key

    return answer_key(build_variant(catalog.get(family_id), seed, {}))


def quiz_seeds(catalog, family_id: str, count: int, session_seed: int) -> list[int]:
    """The variant seeds ``nncheck quiz --family F -n count --seed session_seed`` will ask."""
    from nncheck.practice.session import plan_quiz

    return [p.seed for p in plan_quiz(catalog, families=[family_id], count=count, seed=session_seed)]


def rows(db: str, sql: str, args=()) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


def nncheck_cmd() -> list[str]:
    return [sys.executable, "-m", "nncheck"]


def subprocess_env(**extra) -> dict:
    env = dict(os.environ)
    env.update({k: str(v) for k, v in extra.items()})
    return env
