"""The bank schema: what a problem family may say, checked strictly.

Every model forbids unknown keys, so a typo such as ``tolerence:`` is an error with
its line number rather than a silently ignored setting.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# ParamType and PartKind are defined once, with the records' TypedDicts (tests/answer/test_kinds.py
# checks that PartKind names exactly the kinds in nncheck.kinds.KINDS).
from nncheck.records import ParamType, PartKind

ID_PATTERN = r"^[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*$"
NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"

Scalar = int | float | str | bool


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Draw(Strict):
    """How a random instance picks a value."""

    range: list[int | float | str] | None = Field(
        None, description="[lo, hi], both inclusive; entries may be formulas over other parameters")
    step: int | float | str | None = Field(None, description="grid step for range (default 1 for integers)")
    choice: list[Any] | None = Field(None, description="pick one of these values")
    weights: list[float] | None = None
    formula: str | None = Field(None, description="computed from other parameters instead of drawn")
    shape: list[int | str] | None = Field(
        None, description="vector [n] or matrix [rows, cols]; an entry may name an integer parameter")
    nonzero: bool = False
    distinct: bool = False

    @field_validator("range")
    @classmethod
    def _two(cls, v):
        if v is not None and len(v) != 2:
            raise ValueError("range needs exactly two entries: [lo, hi]")
        return v


class Param(Strict):
    type: ParamType
    doc: str = ""
    min: int | float | str | None = Field(None, description="smallest allowed value (entries, for arrays)")
    max: int | float | str | None = None
    positive: bool = Field(False, description="strictly greater than 0 (entries, for arrays)")
    entries: Literal["integer", "number"] = "number"
    length: int | str | None = Field(None, description="vector length (or a parameter name)")
    rows: int | str | None = None
    cols: int | str | None = None
    choices: list[Scalar] | None = None
    default: Any | None = None
    draw: Draw | None = None
    hidden: bool = Field(False, description="drawn for internal use; not shown as a given")


class Constraint(Strict):
    check: str = Field(..., description="a formula over the parameters that must be true")
    message: str
    draw_only: bool = Field(False, description="only random draws must satisfy it (hand-computable instances)")


class Tolerance(Strict):
    rel: float | None = Field(None, ge=0, description="relative tolerance, e.g. 0.01 for ±1%")
    abs: float | None = Field(None, ge=0, description="absolute tolerance")
    sigfigs: int | None = Field(None, ge=1, le=15, description="significant figures that must match")


class Part(Strict):
    name: str = Field(..., pattern=NAME_PATTERN)
    kind: PartKind
    prompt: str
    tolerance: Tolerance | None = None
    symbols: dict[str, str] | None = Field(
        None, description="expression parts: symbol -> domain (real, positive, nonnegative, (0,1), ...)")
    choices: list[str] | None = None
    nullable: bool = Field(False, description="the answer may be 'none' (e.g. the layer does not fit)")
    answer: str | list | int | float | bool | None = Field(None, description="YAML-only families: a formula")
    solution: list[str] | None = None
    when: str | None = Field(None, description="ask this part only when the formula is true")
    hint: str | None = None
    start: str | None = Field(None, description="derivation parts: the expression or equation to start from")
    target: str | None = Field(None, description="derivation parts: the result the derivation must reach")
    given: list[str] | None = Field(None, description="derivation parts: definitions a step may substitute, "
                                                         "e.g. 'h = sigma(xi)'")


class Mistake(Strict):
    id: str = Field(..., pattern=ID_PATTERN)
    message: str
    parts: list[str] | None = None
    formula: dict[str, str | list | int | float] | None = Field(
        None, description="YAML-only families: part -> the formula this mistake computes")


class Family(Strict):
    id: str = Field(..., pattern=ID_PATTERN)
    title: str
    topic: str = Field(..., pattern=ID_PATTERN)
    source: str = ""
    solver: str | None = Field(None, description="name of a bundled Python solver; omit for YAML-only families")
    difficulty: int = Field(2, ge=1, le=3)
    exam: bool = Field(True, description="may appear in exams")
    params: dict[str, Param] = Field(default_factory=dict)
    derived: dict[str, str] = Field(default_factory=dict, description="named formulas over the parameters")
    constraints: list[Constraint] = Field(default_factory=list)
    conventions: list[str] = Field(default_factory=list, description="the conventions the prompt states")
    prompt: str
    parts: list[Part] = Field(..., min_length=1)
    hints: list[str] = Field(default_factory=list)
    mistakes: list[Mistake] = Field(default_factory=list)
    diagram: Literal["boxes", "grid"] | None = None
    tags: list[str] = Field(default_factory=list)


class Bank(Strict):
    bank: str = Field(..., pattern=ID_PATTERN)
    description: str = ""
    families: list[Family] = Field(..., min_length=1)
