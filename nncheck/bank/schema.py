"""The bank schema: what a problem family may say, checked strictly.

Every model forbids unknown keys, so a typo such as ``tolerence:`` is an error with
its line number rather than a silently ignored setting.
"""

from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

ID_PATTERN = r"^[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*$"
NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"

ParamType = Literal["integer", "number", "vector", "matrix", "choice", "boolean"]
PartKind = Literal["number", "integer", "boolean", "choice", "vector", "matrix", "expression", "derivation"]
Scalar = Union[int, float, str, bool]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Draw(Strict):
    """How a random instance picks a value."""

    range: Optional[list[Union[int, float, str]]] = Field(
        None, description="[lo, hi], both inclusive; entries may be formulas over other parameters")
    step: Optional[Union[int, float, str]] = Field(None, description="grid step for range (default 1 for integers)")
    choice: Optional[list[Any]] = Field(None, description="pick one of these values")
    weights: Optional[list[float]] = None
    formula: Optional[str] = Field(None, description="computed from other parameters instead of drawn")
    shape: Optional[list[Union[int, str]]] = Field(
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
    min: Optional[Union[int, float, str]] = Field(None, description="smallest allowed value (entries, for arrays)")
    max: Optional[Union[int, float, str]] = None
    positive: bool = Field(False, description="strictly greater than 0 (entries, for arrays)")
    entries: Literal["integer", "number"] = "number"
    length: Optional[Union[int, str]] = Field(None, description="vector length (or a parameter name)")
    rows: Optional[Union[int, str]] = None
    cols: Optional[Union[int, str]] = None
    choices: Optional[list[Scalar]] = None
    default: Optional[Any] = None
    draw: Optional[Draw] = None
    hidden: bool = Field(False, description="drawn for internal use; not shown as a given")


class Constraint(Strict):
    check: str = Field(..., description="a formula over the parameters that must be true")
    message: str
    draw_only: bool = Field(False, description="only random draws must satisfy it (hand-computable instances)")


class Tolerance(Strict):
    rel: Optional[float] = Field(None, ge=0, description="relative tolerance, e.g. 0.01 for ±1%")
    abs: Optional[float] = Field(None, ge=0, description="absolute tolerance")
    sigfigs: Optional[int] = Field(None, ge=1, le=15, description="significant figures that must match")


class Part(Strict):
    name: str = Field(..., pattern=NAME_PATTERN)
    kind: PartKind
    prompt: str
    tolerance: Optional[Tolerance] = None
    symbols: Optional[dict[str, str]] = Field(
        None, description="expression parts: symbol -> domain (real, positive, nonnegative, (0,1), ...)")
    choices: Optional[list[str]] = None
    nullable: bool = Field(False, description="the answer may be 'none' (e.g. the layer does not fit)")
    answer: Optional[Union[str, list, int, float, bool]] = Field(None, description="YAML-only families: a formula")
    solution: Optional[list[str]] = None
    when: Optional[str] = Field(None, description="ask this part only when the formula is true")
    hint: Optional[str] = None
    start: Optional[str] = Field(None, description="derivation parts: the expression or equation to start from")
    target: Optional[str] = Field(None, description="derivation parts: the result the derivation must reach")
    given: Optional[list[str]] = Field(None, description="derivation parts: definitions a step may substitute, "
                                                         "e.g. 'h = sigma(xi)'")


class Mistake(Strict):
    id: str = Field(..., pattern=ID_PATTERN)
    message: str
    parts: Optional[list[str]] = None
    formula: Optional[dict[str, Union[str, list, int, float]]] = Field(
        None, description="YAML-only families: part -> the formula this mistake computes")


class Family(Strict):
    id: str = Field(..., pattern=ID_PATTERN)
    title: str
    topic: str = Field(..., pattern=ID_PATTERN)
    source: str = ""
    solver: Optional[str] = Field(None, description="name of a bundled Python solver; omit for YAML-only families")
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
    diagram: Optional[Literal["boxes", "grid"]] = None
    tags: list[str] = Field(default_factory=list)


class Bank(Strict):
    bank: str = Field(..., pattern=ID_PATTERN)
    description: str = ""
    families: list[Family] = Field(..., min_length=1)
