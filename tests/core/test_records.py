"""The TypedDicts in ``nncheck.records`` describe what ``bank.compile`` really emits.

They exist only for the type checker, so nothing at run time would notice them drifting
from the schema: these tests do, both ways.  Every compiled bundled record has the
required keys and no others, and every schema field is declared, ``NotRequired``
exactly when its default is ``None`` (``model_dump(exclude_none=True)`` leaves it out).
"""

from __future__ import annotations

import typing

import pytest

from nncheck import records
from nncheck.bank import schema
from nncheck.bank.compile import compile_bank_file
from nncheck.bank.index import bank_files, summary
from nncheck.paths import bundled_banks_dir

#: schema model -> the TypedDict of its dump.
PAIRS = [
    (schema.Family, records.FamilyRecord),
    (schema.Param, records.ParamSpec),
    (schema.Draw, records.DrawSpec),
    (schema.Constraint, records.ConstraintSpec),
    (schema.Tolerance, records.ToleranceSpec),
    (schema.Part, records.PartSpec),
    (schema.Mistake, records.MistakeSpec),
]


def _keys(td: type) -> tuple[set[str], set[str]]:
    """(required keys, all keys) of a TypedDict.

    ``__required_keys__`` cannot be trusted here: under ``from __future__ import
    annotations`` Python 3.11 sees ``NotRequired[...]`` only as a string.
    """
    hints = typing.get_type_hints(td, include_extras=True)
    total = getattr(td, "__total__", True)
    required = {k for k, v in hints.items() if total and typing.get_origin(v) is not typing.NotRequired}
    return required, set(hints)


def _check(value: object, td: type, where: str) -> None:
    assert isinstance(value, dict), f"{where}: not a dict"
    required, known = _keys(td)
    assert not required - set(value), f"{where}: missing {sorted(required - set(value))}"
    assert not set(value) - known, f"{where}: undeclared {sorted(set(value) - known)}"


@pytest.fixture(scope="module")
def bundled() -> list[records.FamilyRecord]:
    out: list[records.FamilyRecord] = []
    for path in bank_files([bundled_banks_dir()]):
        out.extend(compile_bank_file(path))
    assert out
    return out


def test_every_bundled_record_has_the_declared_shape(bundled):
    for rec in bundled:
        fid = rec["id"]
        # _origin is added by the catalogue, not by compile.
        _check({**rec, "_origin": "bundled"}, records.FamilyRecord, fid)
        _check(rec["_lines"], records.RecordLines, f"{fid}._lines")
        for name, spec in rec["params"].items():
            _check(spec, records.ParamSpec, f"{fid}.params.{name}")
            if "draw" in spec:
                _check(spec["draw"], records.DrawSpec, f"{fid}.params.{name}.draw")
        for c in rec["constraints"]:
            _check(c, records.ConstraintSpec, f"{fid}.constraints")
        for part in rec["parts"]:
            _check(part, records.PartSpec, f"{fid}.parts.{part['name']}")
            if "tolerance" in part:
                _check(part["tolerance"], records.ToleranceSpec, f"{fid}.parts.{part['name']}.tolerance")
        for m in rec["mistakes"]:
            _check(m, records.MistakeSpec, f"{fid}.mistakes.{m['id']}")
        _check(summary(rec), records.FamilySummary, f"{fid} (summary)")


def test_the_bundled_banks_exercise_the_optional_keys(bundled):
    """The shape test above only means something for keys that some record actually has."""
    seen_part_keys = {k for rec in bundled for part in rec["parts"] for k in part}
    seen_param_keys = {k for rec in bundled for spec in rec["params"].values() for k in spec}
    assert {"tolerance", "symbols", "when", "start", "target"} <= seen_part_keys
    assert {"draw", "min", "choices", "default"} <= seen_param_keys


@pytest.mark.parametrize(("model", "td"), PAIRS, ids=lambda x: getattr(x, "__name__", str(x)))
def test_every_schema_field_is_declared_and_optional_exactly_when_it_defaults_to_none(model, td):
    required, known = _keys(td)
    fields = model.model_fields
    declared = {k for k in known if not k.startswith("_")}  # compile's own keys are not schema fields
    assert declared == set(fields), f"{td.__name__}: {sorted(declared ^ set(fields))} differ from {model.__name__}"
    for name, field in fields.items():
        may_be_absent = not field.is_required() and field.default is None
        assert (name not in required) == may_be_absent, f"{td.__name__}.{name}"
