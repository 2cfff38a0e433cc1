"""The shapes of compiled bank records, for the type checker only.

:func:`nncheck.bank.compile.compile_bank_data` validates a family with the pydantic
models in :mod:`nncheck.bank.schema` and keeps ``model_dump(mode="json",
exclude_none=True)`` plus a few ``_``-prefixed keys of its own.  So a key whose schema
default is a value (``doc: ""``, ``nullable: False``) is always present, and a key
whose default is ``None`` is present only when the bank file sets it: those are
``NotRequired`` here.

Records stay plain dicts at run time (they are marshalled into the catalogue cache and
read back on the start-up path), so these TypedDicts cost nothing there: modules on the
start-up path import this module only under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

#: What a parameter holds (``type:`` in a bank file); the schema validates with this too.
ParamType = Literal["integer", "number", "vector", "matrix", "choice", "boolean"]
#: The answer kind of a part (``kind:`` in a bank file): the names of ``nncheck.kinds.KINDS``.
PartKind = Literal["number", "integer", "boolean", "choice", "vector", "matrix", "expression", "matexpr",
                   "derivation"]
#: A number, or a formula over other parameters (bounds, shapes, draw ranges).
NumberOrFormula = int | float | str


class DrawSpec(TypedDict):
    """``schema.Draw``: how a random instance picks a parameter's value (exactly one way)."""

    range: NotRequired[list[NumberOrFormula]]  # [lo, hi], both inclusive
    step: NotRequired[NumberOrFormula]
    choice: NotRequired[list[Any]]
    weights: NotRequired[list[float]]
    formula: NotRequired[str]
    shape: NotRequired[list[int | str]]  # an entry may name an integer parameter
    nonzero: bool
    distinct: bool


class ParamSpec(TypedDict):
    """``schema.Param``: one parameter of a family (its type, bounds and draw)."""

    type: ParamType
    doc: str
    min: NotRequired[NumberOrFormula]
    max: NotRequired[NumberOrFormula]
    positive: bool
    entries: Literal["integer", "number"]
    length: NotRequired[int | str]
    rows: NotRequired[int | str]
    cols: NotRequired[int | str]
    choices: NotRequired[list[int | float | str | bool]]
    default: NotRequired[Any]  # the neutral value when the user gives other parameters (and no draw: the value)
    placeholder: NotRequired[Any]  # the value before the solver's draw hook chooses one; never the user's value
    draw: NotRequired[DrawSpec]
    hidden: bool


class ConstraintSpec(TypedDict):
    """``schema.Constraint``: a formula over the parameters that every instance satisfies."""

    check: str
    message: str
    draw_only: bool


class ToleranceSpec(TypedDict, total=False):
    """``schema.Tolerance``: how close a numeric answer must be (any subset of the four)."""

    rel: float
    abs: float
    sigfigs: int
    min_sigfigs: int


class PartSpec(TypedDict):
    """``schema.Part``: one question of a family and how its answer is graded."""

    name: str
    kind: PartKind
    prompt: str
    tolerance: NotRequired[ToleranceSpec]
    symbols: NotRequired[dict[str, str]]  # expression and derivation parts: symbol -> domain
    shapes: NotRequired[dict[str, str | list[str | int]]]  # matexpr parts: symbol -> K×N, or N for a vector
    choices: NotRequired[list[str]]
    nullable: bool
    answer: NotRequired[str | list[Any] | int | float | bool]  # YAML-only families: a formula
    solution: NotRequired[list[str]]
    when: NotRequired[str]
    same_as: NotRequired[str]  # where `when` is false, the part holding this one's answer
    hint: NotRequired[str]
    start: NotRequired[str]
    target: NotRequired[str]
    given: NotRequired[list[str]]
    milestones: NotRequired[list[dict[str, Any]]]  # derivation parts: the work a grader looks for


class MistakeSpec(TypedDict):
    """``schema.Mistake``: a named wrong turn the grader recognises."""

    id: str
    message: str
    parts: NotRequired[list[str]]
    formula: NotRequired[dict[str, str | list[Any] | int | float]]  # YAML-only: part -> formula


class RecordLines(TypedDict):
    """Bank-file lines of the pieces that can fail at draw time (for ``file:line`` errors)."""

    constraints: list[int | None]
    params: dict[str, int | None]


class FamilyRecord(TypedDict):
    """One compiled family: ``schema.Family`` as JSON, plus where it came from."""

    id: str
    title: str
    topic: str
    source: str
    solver: NotRequired[str]  # absent for YAML-only families
    difficulty: int
    exam: bool
    params: dict[str, ParamSpec]
    derived: dict[str, str]
    constraints: list[ConstraintSpec]
    conventions: list[str]
    prompt: str
    parts: list[PartSpec]
    hints: list[str]
    mistakes: list[MistakeSpec]
    diagram: NotRequired[Literal["boxes", "grid"]]
    tags: list[str]
    _lines: RecordLines
    _file: str  # absolute path of the bank file
    _line: int | None  # line of the family in that file
    _bank: str  # the bank's id
    _origin: NotRequired[str]  # "bundled" or the extra bank file it came from (set by the catalogue)


class FamilySummary(TypedDict):
    """What ``nncheck list`` needs of a family (:func:`nncheck.bank.index.summary`)."""

    id: str
    topic: str
    title: str
    source: str
    difficulty: int
    _origin: str
    params: list[str]
    parts: list[PartName]


class PartName(TypedDict):
    """A part as a summary lists it: its name only."""

    name: str
