"""docs/architecture.md matches the tree: every package and module has its row, in its layer.

The layer table in the doc and ``LAYERS`` in tests/core/test_layers.py say the same thing
twice (one for readers, one for the checker); this keeps them from drifting apart, and
keeps a new module from going unmentioned.
"""

from __future__ import annotations

import os
import re

from core.test_layers import LAYERS

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PKG = os.path.join(REPO, "nncheck")
#: Modules a row may cover as a group instead of by name.
GROUPED = {
    "topics": "one module per family group",
    "cli": "`cmd_*.py`",
}


def _rows() -> dict[int, str]:
    with open(os.path.join(REPO, "docs", "architecture.md"), encoding="utf-8") as fh:
        text = fh.read()
    section = text.split("## The tree is the pipeline", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"\|\s*(\d+)\s*\|(.*)\|\s*$", line)
        if m:
            rows[int(m.group(1))] = m.group(2)
    return rows


ROWS = _rows()


def _units_of(row: str) -> set[str]:
    """The packages (`lang/`) and root modules (`errors.py`) a row's second cell names."""
    cell = row.split("|")[0]
    return {m.rstrip("/").removesuffix(".py") for m in re.findall(r"`([\w_]+(?:/|\.py))`", cell)}


def test_layers_match_the_layer_test():
    assert sorted(ROWS) == list(range(len(LAYERS)))
    for level, units in enumerate(LAYERS):
        named = _units_of(ROWS[level])
        assert named == units - {"__init__"}, f"layer {level}: the doc names {sorted(named)}, the test {sorted(units)}"


def test_every_package_and_module_is_described():
    missing = []
    by_unit = {u: ROWS[level] for level, units in enumerate(LAYERS) for u in units}
    for entry in sorted(os.listdir(PKG)):
        path = os.path.join(PKG, entry)
        if entry.startswith(("_", ".")) and entry != "__main__.py":
            continue
        if entry.endswith(".py"):
            if entry[:-3] not in by_unit:
                missing.append(f"nncheck/{entry}")
            continue
        if not os.path.isdir(path) or entry == "__pycache__":
            continue
        if entry not in by_unit:
            missing.append(f"nncheck/{entry}/")
            continue
        row = by_unit[entry]
        for mod in sorted(os.listdir(path)):
            stem = mod[:-3] if mod.endswith(".py") else mod
            if mod == "__init__.py" or not (mod.endswith(".py") or mod.endswith(".txt")):
                continue
            if f"`{stem}`" in row or f"`{mod}`" in row or f"`{stem}.py`" in row:
                continue
            if entry in GROUPED and GROUPED[entry] in row and (
                    entry != "cli" or mod.startswith("cmd_")) and (entry != "topics" or not mod.startswith("_")):
                continue
            missing.append(f"nncheck/{entry}/{mod}")
    assert not missing, "not described in docs/architecture.md: " + ", ".join(missing)
