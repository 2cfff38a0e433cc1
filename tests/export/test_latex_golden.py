"""A golden copy of the LaTeX of one exam (``generate --exam --seed 17 --format tex --key separate``).

The export is deterministic, so any change to the exam's LaTeX shows here as a diff to review.
When the change is meant, write the golden files again and review their diff:

    python tests/export/test_latex_golden.py --update
"""

from __future__ import annotations

import difflib
import pathlib
import sys

GOLDEN = pathlib.Path(__file__).parent / "golden" / "exam-seed-17"
FILES = ("problems.tex", "key.tex")


def exam_files() -> dict[str, bytes]:
    from nncheck.bank.index import load_catalog
    from nncheck.export import render_set
    from nncheck.export.problemset import build_set

    pset = build_set(load_catalog(use_cache=False), exam=True, seed=17)
    files = render_set(pset, "tex", "separate")
    return {name: files[name] for name in FILES}


def test_exam_latex_matches_the_golden_copy():
    for name, data in exam_files().items():
        want = (GOLDEN / name).read_text(encoding="utf-8")
        got = data.decode("utf-8")
        if got != want:
            diff = "".join(list(difflib.unified_diff(want.splitlines(True), got.splitlines(True), f"golden/{name}",
                                                     name))[:60])
            raise AssertionError(f"{name} differs from its golden copy (if meant: python "
                                 f"tests/export/test_latex_golden.py --update)\n{diff}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(__doc__)
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name, data in exam_files().items():
        (GOLDEN / name).write_bytes(data)
        print(f"wrote {GOLDEN / name}")
