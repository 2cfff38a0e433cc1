"""Cross-check many variants of a family: SymPy vs NumPy, for ``nncheck bank verify``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nncheck.errors import AnswerKeyError, NNCheckError

if TYPE_CHECKING:
    from collections.abc import Callable

    from nncheck.records import FamilyRecord


def verify_family(record: FamilyRecord, seeds: int, on_step: Callable[[], object] | None = None) -> dict:
    from nncheck.generate.variant import build_variant
    from nncheck.key.compute import answer_key

    ok, failed, problems = 0, 0, []
    for seed in range(1, seeds + 1):
        try:
            key = answer_key(build_variant(record, seed, {}))
            # Every part must also render to JSON (the form graders and exports use).
            key.to_json()
            ok += 1
        except AnswerKeyError as e:
            failed += 1
            problems.append(e.line())
        except NNCheckError as e:
            failed += 1
            problems.append(f"seed {seed}: {e.line()}")
        if on_step:
            on_step()
    return {"id": record["id"], "ok": ok, "failed": failed, "problems": problems}
