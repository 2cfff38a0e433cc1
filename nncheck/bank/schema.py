"""The bank schema: what a problem family may say, checked strictly.

Every model forbids unknown keys, so a typo such as ``tolerence:`` is an error with
its line number rather than a silently ignored setting.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# The limits a drawn value has are those of a user's value (nncheck.generate.variant): numbers
# within ±10^15 (keys are cross-checked in double precision) and at most MAX_ENTRIES entries in
# one vector or matrix.  A bank that asks for more is refused where it says so, with its line.
from nncheck.generate.variant import MAX_ENTRIES, MAX_MAGNITUDE

# ParamType and PartKind are defined once, with the records' TypedDicts (tests/answer/test_kinds.py
# checks that PartKind names exactly the kinds in nncheck.kinds.KINDS).
from nncheck.records import ParamType, PartKind

ID_PATTERN = r"^[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*$"
NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"

Scalar = int | float | str | bool


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _number(v: Any, what: str) -> None:
    """A number written in a bank must be finite and within ±10^15 (formulas are checked when drawn)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError(f"{what} must be a finite number; got {v}")
    if abs(v) > MAX_MAGNITUDE:
        raise ValueError(f"{what} must lie within ±10^15; got {v:.3g}")


def _numbers(v: Any, what: str) -> None:
    for x in v if isinstance(v, list) else [v]:
        _numbers(x, what) if isinstance(x, list) else _number(x, what)


def _size(v: Any, what: str) -> None:
    if isinstance(v, int) and not isinstance(v, bool) and not 1 <= v <= MAX_ENTRIES:
        raise ValueError(f"{what} must be between 1 and {MAX_ENTRIES:,}; got {v:,}")


def _entries(sizes: list[Any], what: str) -> None:
    """A literal shape's entries, multiplied, within MAX_ENTRIES (a size named by a parameter is
    checked when it is drawn)."""
    count = 1
    for n in sizes:
        if isinstance(n, int) and not isinstance(n, bool):
            count *= n
    if count > MAX_ENTRIES:
        raise ValueError(f"{what} asks for {count:,} entries; the limit is {MAX_ENTRIES:,} for one vector or matrix")


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
        if v is not None:
            _numbers(v, "a range bound")
        return v

    @field_validator("step")
    @classmethod
    def _step(cls, v):
        _number(v, "step")
        if isinstance(v, (int, float)) and not isinstance(v, bool) and not v > 0:
            raise ValueError(f"step must be positive; got {v}")
        return v

    @field_validator("choice")
    @classmethod
    def _choice(cls, v):
        if v is not None:
            _numbers(v, "a choice")
        return v

    @field_validator("weights")
    @classmethod
    def _weights(cls, v):
        if v is None:
            return v
        for w in v:
            if not (math.isfinite(w) and w >= 0):
                raise ValueError(f"weights must be finite numbers ≥ 0; got {w}")
        if not sum(v) > 0:
            raise ValueError("weights must not all be 0")
        return v

    @field_validator("shape")
    @classmethod
    def _shape(cls, v):
        if v is not None:
            for n in v:
                _size(n, "a shape entry")
            _entries(v, "shape")
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
    default: Any | None = Field(
        None, description="the neutral value used when you give other parameters but not this one (S = 1, "
                          "P = 0, b = 0, c[0] = 0, the notes' convention); a number fills every entry of a vector "
                          "or matrix, a formula may name the parameters you give (H1: W1). Without a 'draw', also "
                          "the value of a random instance")
    placeholder: Any | None = Field(
        None, description="the value before the solver's draw hook chooses one (it sets the type and a shape); "
                          "never used as your value, unlike 'default'")
    draw: Draw | None = None
    hidden: bool = Field(False, description="drawn for internal use; not shown as a given")

    @field_validator("min", "max", "default", "placeholder")
    @classmethod
    def _finite(cls, v, info):
        _numbers(v, info.field_name)
        return v

    @field_validator("length", "rows", "cols")
    @classmethod
    def _sizes(cls, v, info):
        _size(v, info.field_name)
        return v

    @model_validator(mode="after")
    def _matrix_entries(self):
        _entries([self.rows, self.cols], "rows × cols")
        return self


class Constraint(Strict):
    check: str = Field(..., description="a formula over the parameters that must be true")
    message: str
    draw_only: bool = Field(False, description="only random draws must satisfy it (hand-computable instances)")


class Tolerance(Strict):
    rel: float | None = Field(None, ge=0, description="relative tolerance, e.g. 0.01 for ±1%")
    abs: float | None = Field(None, ge=0, description="absolute tolerance")
    sigfigs: int | None = Field(None, ge=1, le=15, description="significant figures that must match")
    min_sigfigs: int | None = Field(None, ge=1, le=15, description="the fewest significant figures of an answer "
                                    "accepted as the key correctly rounded (default 2, or sigfigs)")


class Milestone(Strict):
    """A piece of work a grader looks for in a derivation, recognised by the form of a line
    (``nncheck.derive.milestones``; the keys are documented in docs/authoring.md)."""

    id: str = Field(..., pattern=ID_PATTERN)
    share: float = Field(..., gt=0, le=1, description="its share of the part's credit; the shares add up to 1")
    shows: str | None = Field(None, description="what the milestone is, as the report lists it")
    missing: str = Field(..., min_length=1, description="the feedback when it is skipped: the work to show")
    uses: list[str] | None = Field(None, description="names (functions or symbols) the line is written with")
    not_uses: list[str] | None = Field(None, description="names the line is not written with")
    derivative: bool | None = Field(None, description="true: a derivative is left unevaluated; false: none is")
    derivative_of: list[str] | None = Field(None, description="every derivative left is of one of these functions")
    form: str | list[str] | None = Field(None, description="'target', or expressions the line is a rearrangement of")

    @model_validator(mode="after")
    def _a_form(self):
        from nncheck.derive.milestones import FORM_KEYS, TARGET
        from nncheck.lang.syntax import AnswerSyntaxError, parse

        if all(getattr(self, k) in (None, []) for k in FORM_KEYS):
            raise ValueError(f"milestone '{self.id}' needs a form: one of {', '.join(FORM_KEYS)}")
        for text in [self.form] if isinstance(self.form, str) else self.form or []:
            if text == TARGET:
                continue
            try:
                parse(text, symbols=None, derivatives=True)
            except AnswerSyntaxError as e:
                raise ValueError(f"milestone '{self.id}': form '{text}' does not parse: {e.message} at "
                                 f"character {e.pos + 1}") from None
        return self


def _milestone_errors(part: Part) -> list[str]:
    """Milestones across a part: on a derivation, known names, shares adding up to 1, the target last."""
    from nncheck.derive.milestones import TARGET, canonical, function_names
    from nncheck.lang.syntax import AnswerSyntaxError, names_in, parse

    ms = part.milestones or []
    if part.kind != "derivation":
        return [f"milestones are for derivation parts; '{part.name}' is a {part.kind} part"]
    errors = []
    ids = [m.id for m in ms]
    errors += [f"duplicate milestone id '{i}'" for i in sorted({i for i in ids if ids.count(i) > 1})]
    total = sum(m.share for m in ms)
    if abs(total - 1.0) > 1e-6:
        errors.append(f"the milestones' shares add up to {total:g}; they must add up to 1")

    def targets(m: Milestone) -> bool:
        return m.form == TARGET or (isinstance(m.form, list) and TARGET in m.form)

    if not targets(ms[-1]):
        errors.append("the last milestone must be 'form: target': the final line in the target's form")
    elif ms[-1].share > 0.5:
        errors.append(f"the final milestone's share is {ms[-1].share:g}: a one-line jump from the start to the "
                      f"target earns it, so it must be at most 0.5")
    errors += [f"milestone '{m.id}': only the last milestone is 'form: target'" for m in ms[:-1] if targets(m)]
    known = function_names() | set(part.symbols or {})
    for text in [part.start, part.target, *(part.given or [])]:
        try:
            known |= names_in(parse(text or "0", symbols=None, equations=True, derivatives=True))
        except AnswerSyntaxError:
            continue  # reported where start, target and given are checked
    for m in ms:
        for name in sorted({*(m.uses or []), *(m.not_uses or []), *(m.derivative_of or [])}):
            if canonical(name) not in known:
                errors.append(f"milestone '{m.id}' names '{name}', which is neither a function nor a name "
                              f"of this part")
    return errors


class Part(Strict):
    name: str = Field(..., pattern=NAME_PATTERN)
    kind: PartKind
    prompt: str
    tolerance: Tolerance | None = None
    symbols: dict[str, str] | None = Field(
        None, description="expression parts: symbol -> domain (real, positive, nonnegative, (0,1), ...)")
    shapes: dict[str, str | list[str | int]] | None = Field(
        None, description="matexpr parts: symbol -> shape in named sizes, 'K×N' (or [K, N]), 'N' for a vector")
    choices: list[str] | None = None
    nullable: bool = Field(False, description="the answer may be 'none' (e.g. the layer does not fit)")
    answer: str | list | int | float | bool | None = Field(None, description="YAML-only families: a formula")
    solution: list[str] | None = None
    when: str | None = Field(None, description="ask this part only when the formula is true")
    same_as: str | None = Field(None, description="where 'when' is false, the part that holds this one's answer "
                                                 "(optim.step: x1 is xT when T = 1); a check of it is graded as "
                                                 "that part")
    hint: str | None = None
    start: str | None = Field(None, description="derivation parts: the expression or equation to start from")
    target: str | None = Field(None, description="derivation parts: the result the derivation must reach")
    given: list[str] | None = Field(None, description="derivation parts: definitions a step may substitute, "
                                                         "e.g. 'h = sigma(xi)'")
    milestones: list[Milestone] | None = Field(
        None, min_length=1, description="derivation parts: the work a grader looks for, with its share of the credit")

    @model_validator(mode="after")
    def _shapes(self):
        if self.kind == "matexpr" or self.shapes is not None:
            from nncheck.lang.shapes import read_shapes

            read_shapes(self.shapes)  # a ShapeError is a ValueError: reported at the part, with its line
        return self

    @model_validator(mode="after")
    def _milestones(self):
        if self.milestones:
            errors = _milestone_errors(self)
            if errors:
                raise ValueError("; ".join(errors))
        return self


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


class BankFile(Strict):
    """A bank file's own keys, its families left as written: validation checks each family on its own
    (:class:`Family`), so that one file's report holds every family's errors, not the first family's."""

    bank: str = Field(..., pattern=ID_PATTERN)
    description: str = ""
    families: list[Any] = Field(..., min_length=1)
