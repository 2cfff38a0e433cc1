"""Generate a variant: (family, seed, overrides) -> the same instance every time.

This is the *generate* and *render* phases of a question.  It needs no SymPy and
no NumPy: parameters are exact Python numbers (``Fraction`` for 0.1), so that
``nncheck show`` starts in a few milliseconds and the SymPy path of the answer
key gets exact inputs.  Overrides are the user's own numbers, parsed by the
answer language and validated against the parameter schema.
"""

from __future__ import annotations

import random
import time
from fractions import Fraction

from nncheck.errors import BankError, NNCheckError, ParamError
from nncheck.lang.formula import choice_literals
from nncheck.lang.numeric import EvalError, evaluate, is_number
from nncheck.lang.syntax import AnswerSyntaxError, names_in, parse
from nncheck.lang.template import TemplateError, fmt_value, render

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (this module is on the start-up path)
if TYPE_CHECKING:
    from typing import Any

    from nncheck.records import ConstraintSpec, DrawSpec, FamilyRecord, ParamSpec, PartSpec
    from nncheck.topics.base import Solver

MAX_DRAW_TRIES = 2000
# Draws stop after this many seconds as well as after MAX_DRAW_TRIES: one draw of a large
# parameter can be costly, and a constraint that random draws almost never meet would
# otherwise hold `bank validate` for minutes before saying so.
MAX_DRAW_SECONDS = 2.0
# With the user's numbers, a constraint that fails this many draws in a row on the very same
# values does not depend on the draw (knn: N is the number of rows of the X given): it is
# refused at once with its message instead of after MAX_DRAW_TRIES.
SAME_FAILURE_TRIES = 20
# Entries of one vector or matrix parameter (its length, or rows × cols), drawn or given.
# Keys are computed twice, once exactly with SymPy; sizes beyond a hand-worked problem only
# cost time and memory (a bank's `shape: [20000, 20000]` asked for 400 million entries).
MAX_ENTRIES = 1000
# A user's number beyond this magnitude is refused as bad input.  Answer keys are cross-checked
# in double precision (NumPy), where whole numbers past 2^53 ≈ 9·10^15 are no longer exact and a
# product of a few large numbers overflows (grads=1e300 in an optimizer step): such a key cannot
# be checked, so the number is refused where it is read instead of failing deep in a solver.
MAX_MAGNITUDE = 10**15
BOOL_WORDS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}


class Variant:
    """One concrete problem: a family, a seed, the parameter values, and its rendered text."""

    def __init__(self, family: FamilyRecord, seed: int, params: dict[str, Any], overrides: set[str],
                 derived: dict[str, Any], *, defaulted: set[str] | None = None, drawn: list[str] | None = None,
                 unused: set[str] | None = None):
        self.family = family
        self.id = family["id"]
        self.seed = seed
        self.params = params
        self.overrides = overrides  # the names the user set
        self.derived = derived  # extra template values computed from the params
        # Where the other values come from: the bank's neutral defaults (only once the user gives a value)
        # and the seed.  Every public parameter is in exactly one of overrides, defaulted and drawn, or is
        # one the solver sets from the others (lstm.bptt's loss) or leaves unused.
        self.defaulted = set(defaulted or ())
        self.unused = set(unused or ())  # the solver's `unused(values)`: parameters this instance does not read
        self.drawn = list(drawn if drawn is not None else _drawn_names(family, params, set(overrides), self.unused))
        self._solver: Solver | None = None
        self._parts: list[PartSpec] | None = None

    # -- the family's pieces -------------------------------------------------
    @property
    def title(self) -> str:
        return self.family["title"]

    @property
    def topic(self) -> str:
        return self.family["topic"]

    @property
    def parts(self) -> list[PartSpec]:
        """The parts asked in this variant (a part with a false ``when`` is left out)."""
        # Worked out once: the key, the key cache and the grader of every answer ask for them, and the
        # values the ``when`` formulas read are fixed once the variant is drawn.
        if self._parts is None:
            self._parts = self._asked_parts()
        return list(self._parts)

    def _asked_parts(self) -> list[PartSpec]:
        out: list[PartSpec] = []
        for p in self.family["parts"]:
            if p.get("when") and not _truthy(self._formula(p["when"])):
                continue
            if p["kind"] == "matexpr" and p.get("given"):
                # A matrix answer's definitions may depend on the instance (h = sigma(xi1) for a sigmoid layer).
                p = {**p, "given": [self.render(line) for line in p["given"]]}
            out.append(p)
        return out

    def part(self, name: str) -> PartSpec:
        for p in self.parts:
            if p["name"] == name:
                return p
        names = [p["name"] for p in self.parts]
        by_name = {p["name"]: p for p in self.family["parts"]}
        if name in by_name:
            spec = by_name[name]
            same = self.same_as(name)
            if same is not None:
                raise NNCheckError(f"part '{name}' of {self.id} is part '{same}' in this instance "
                                   f"({_unless(spec, self.values())}): check it with --part {same}",
                                   hint=f"parts here: {', '.join(names)}")
            raise NNCheckError(f"part '{name}' is not asked in this instance of {self.id}: it is asked only when "
                               f"{_when_text(spec)} ({_unless(spec, self.values())})",
                               hint=f"parts here: {', '.join(names)}")
        import difflib

        m = difflib.get_close_matches(name, names, n=1, cutoff=0.4)
        raise NNCheckError(f"{self.id} has no part '{name}'",
                           hint=(f"did you mean '{m[0]}'? " if m else "") + f"parts: {', '.join(names)}")

    def same_as(self, name: str) -> str | None:
        """The asked part that holds the answer of part ``name``, which is not asked here (its bank
        ``same_as``: optim.step's x1 is xT when T = 1), or None."""
        asked = {p["name"] for p in self.parts}
        if name in asked:
            return None
        for p in self.family["parts"]:
            if p["name"] == name and p.get("same_as") in asked:
                return p["same_as"]
        return None

    @property
    def solver(self):
        """The family's solver: the Python class its ``solver:`` names, or for a YAML-only
        family a :class:`~nncheck.topics.formula.FormulaSolver` over its formulas."""
        if self._solver is None:
            from nncheck.topics import solver_for

            self._solver = solver_for(self.family)
        return self._solver

    def values(self) -> dict:
        """Everything a template may name: parameters, derived values, solver extras."""
        v = dict(self.params)
        v.update(self.derived)
        return v

    def _formula(self, text: str):
        from nncheck.lang.formula import FormulaError, evaluate_formula

        try:
            return evaluate_formula(text, {**choice_literals(self.family), **self.values()})
        except FormulaError as e:
            raise BankError(f"formula '{text}' fails: {e.message}", file=self.family.get("_file", "?"),
                            line=self.family.get("_line")) from None
        except AnswerSyntaxError as e:
            raise BankError(f"formula '{text}' fails: {e.message}", file=self.family.get("_file", "?"),
                            line=self.family.get("_line")) from None

    # -- rendering -----------------------------------------------------------
    def render(self, template: str) -> str:
        try:
            return render(template, self.values(), evaluate=lambda f, vals: self._formula(f))
        except TemplateError as e:
            raise BankError(e.message, file=self.family.get("_file", "?"), line=self.family.get("_line"),
                            field=f"{self.id}.prompt") from None

    @property
    def prompt(self) -> str:
        return self.render(self.family["prompt"]).rstrip()

    def part_prompt(self, part: PartSpec) -> str:
        return self.render(part["prompt"]).rstrip()

    def hints(self) -> list[str]:
        return [self.render(h) for h in self.family.get("hints", [])]

    def used_defaulted(self) -> list[str]:
        """The public parameters this instance reads that are set to the bank's neutral default, in the
        bank's order."""
        specs = self.family["params"]
        return [n for n in specs if n in self.defaulted and n not in self.unused and not specs[n].get("hidden")]

    def public_params(self) -> dict:
        specs = self.family["params"]
        return {k: self.params[k] for k in specs if k in self.params and not specs[k].get("hidden")}

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "topic": self.topic,
            "seed": self.seed,
            "params": {k: json_value(v) for k, v in self.public_params().items()},
            "overrides": sorted(self.overrides),
            # Where each public value comes from: yours, the bank's neutral default, or the seed.
            "given": sorted(self.overrides),
            "defaulted": self.used_defaulted(),
            "drawn": list(self.drawn),
            "conventions": self.family.get("conventions", []),
            "prompt": self.prompt,
            "parts": [{"name": p["name"], "kind": p["kind"], "prompt": self.part_prompt(p),
                       **({"choices": p["choices"]} if p.get("choices") else {}),
                       **({"nullable": True} if p.get("nullable") else {})}
                      for p in self.parts],
            "hints": self.hints(),
        }


def _truthy(v) -> bool:
    return bool(v) and v != 0


def _when_text(part: PartSpec) -> str:
    """A part's ``when`` formula as words: ``steps >= 2`` -> ``steps ≥ 2``."""
    text = part.get("when") or ""
    for a, b in ((">=", "≥"), ("<=", "≤"), ("!=", "≠"), ("==", "=")):
        text = text.replace(a, b)
    return text


def _unless(part: PartSpec, values: dict) -> str:
    """The values the part's ``when`` reads in this instance: ``here steps = 1``."""
    from nncheck.lang.formula import parse_formula

    try:
        names = sorted(names_in(parse_formula(part.get("when") or "")))
    except AnswerSyntaxError:
        names = []
    shown = [f"{n} = {fmt_value(values[n])}" for n in names if n in values and not isinstance(values[n], list)]
    return "here " + ", ".join(shown) if shown else "not in this instance"


def json_value(v):
    """Parameter or answer values as JSON: ints stay ints, rationals become floats."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, Fraction):
        return v.numerator if v.denominator == 1 else float(v)
    if isinstance(v, float):
        return v
    if isinstance(v, (list, tuple)):
        return [json_value(x) for x in v]
    return v


# ----------------------------------------------------------------------------
# Overrides.
# ----------------------------------------------------------------------------
def parse_assignments(items: list[str]) -> dict[str, str]:
    """``["W1=227", "F=11"]`` -> ``{"W1": "227", "F": "11"}``; the values stay text."""
    out: dict[str, str] = {}
    for item in items:
        name, eq, value = item.partition("=")
        name = name.strip()
        if not eq or not name:
            raise ParamError(f"expected NAME=VALUE, got '{item}'")
        if name in out:
            raise ParamError(f"parameter '{name}' is given twice")
        out[name] = value.strip()
    return out


def parse_value(name: str, spec: ParamSpec, text: str, *, family_id: str = ""):
    """Parse and type-check one user-given parameter value."""
    typ = spec["type"]
    where = f"{name}={text}"
    raw = text.strip()
    if raw == "":
        raise ParamError(f"parameter {name} has an empty value")
    if typ == "choice":
        choices = [str(c) for c in spec.get("choices") or []]
        if raw in choices:
            return raw
        low = {c.lower(): c for c in choices}
        if raw.lower() in low:
            return low[raw.lower()]
        import difflib

        m = difflib.get_close_matches(raw, choices, n=1, cutoff=0.5)
        raise ParamError(f"{name} must be one of {', '.join(choices)}; got '{raw}'",
                         hint=f"did you mean '{m[0]}'?" if m else None)
    if typ == "boolean":
        if raw.lower() in BOOL_WORDS:
            return BOOL_WORDS[raw.lower()]
        raise ParamError(f"{name} must be true or false; got '{raw}'")
    if typ in ("vector", "matrix") and not raw.startswith("["):
        # "0 0 4 4" and "1 2; 3 4" are accepted as the catalogue allows.
        raw = f"[{raw}]"
    try:
        node = parse(raw, symbols=())
        value = evaluate(node, {}, raw)
    except AnswerSyntaxError as e:
        raise ParamError(f"bad value for {name}: {e.message}", hint=f"in '{where}'") from None
    value = coerce(name, spec, value)
    hint = f"in '{where[:60]}…'" if len(where) > 60 else f"in '{where}'"
    why = _too_many_entries(name, value) or _beyond_magnitude(name, value)
    if why:
        raise ParamError(why, hint=hint)
    return value


def _beyond_magnitude(name: str, value) -> str | None:
    """Why a value holds a number beyond :data:`MAX_MAGNITUDE` (or a NaN), or None."""
    flat = value if isinstance(value, list) else [value]
    for x in (y for row in flat for y in (row if isinstance(row, list) else [row])):
        if is_number(x) and not isinstance(x, bool) and not abs(x) <= MAX_MAGNITUDE:  # (also true for a NaN)
            return f"{name} has a number too large to compute with: values must lie within ±10^15"
    return None


def _too_many_entries(name: str, value) -> str | None:
    """Why a vector or matrix value is over :data:`MAX_ENTRIES`, or None."""
    if not isinstance(value, list):
        return None
    n = sum(len(r) if isinstance(r, list) else 1 for r in value)
    if n <= MAX_ENTRIES:
        return None
    return f"{name} has {n:,} entries; the limit is {MAX_ENTRIES:,} for one vector or matrix"


def _entry(name: str, spec: ParamSpec, x, what: str):
    if isinstance(x, bool) or not is_number(x):
        raise ParamError(f"{name} must hold numbers; {what} is not a number")
    if spec.get("entries", "number") == "integer" or spec["type"] == "integer":
        if isinstance(x, float):
            if not x.is_integer():
                raise ParamError(f"{name} must be a whole number; got {fmt_value(x)}")
            x = int(x)
        elif isinstance(x, Fraction):
            if x.denominator != 1:
                raise ParamError(f"{name} must be a whole number; got {fmt_value(x)}")
            x = int(x)
    return x


def coerce(name: str, spec: ParamSpec, value):
    """Check a value against its parameter's type and shape (not its bounds)."""
    typ = spec["type"]
    if typ in ("integer", "number"):
        if isinstance(value, list):
            raise ParamError(f"{name} must be a single number, not a list")
        return _entry(name, spec, value, "it")
    if typ == "vector":
        if not isinstance(value, list):
            value = [value]
        if value and isinstance(value[0], list):
            # A column or row matrix is fine as a vector.
            if all(len(r) == 1 for r in value):
                value = [r[0] for r in value]
            elif len(value) == 1:
                value = value[0]
            else:
                raise ParamError(f"{name} must be a vector, not a {len(value)}×{len(value[0])} matrix")
        return [_entry(name, spec, x, f"entry {i + 1}") for i, x in enumerate(value)]
    if typ == "matrix":
        if not isinstance(value, list):
            value = [[value]]
        elif not value or not isinstance(value[0], list):
            value = [value]  # a single row
        return [[_entry(name, spec, x, f"entry ({i + 1},{j + 1})") for j, x in enumerate(row)]
                for i, row in enumerate(value)]
    if typ == "boolean":
        if isinstance(value, bool):
            return value
        raise ParamError(f"{name} must be true or false")
    if typ == "choice":
        if str(value) in [str(c) for c in spec.get("choices") or []]:
            return str(value)
        raise ParamError(f"{name} must be one of {', '.join(map(str, spec.get('choices') or []))}")
    return value


# ----------------------------------------------------------------------------
# Drawing.
# ----------------------------------------------------------------------------
def _deps(spec: ParamSpec) -> set[str]:
    names: set[str] = set()
    draw: DrawSpec | dict[str, Any] = spec.get("draw") or {}
    texts = []
    if draw.get("formula"):
        texts.append(draw["formula"])
    for v in (draw.get("range") or []) + [draw.get("step")]:
        if isinstance(v, str):
            texts.append(v)
    for v in draw.get("shape") or []:
        if isinstance(v, str):
            names.add(v)
    for key in ("length", "rows", "cols", "min", "max"):
        if isinstance(spec.get(key), str):
            texts.append(spec[key])
    from nncheck.lang.formula import parse_formula

    for t in texts:
        try:
            names |= names_in(parse_formula(t))
        except AnswerSyntaxError:
            pass
    return names


def _order(params: dict[str, ParamSpec]) -> list[str]:
    """Parameters in an order where each comes after the ones its draw depends on."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(n: str, chain: tuple):
        if state.get(n) == 2:
            return
        if state.get(n) == 1:
            raise NNCheckError(f"parameters depend on each other in a cycle: {' -> '.join(chain + (n,))}")
        state[n] = 1
        for d in sorted(_deps(params[n])):
            if d in params and d != n:
                visit(d, chain + (n,))
        state[n] = 2
        order.append(n)

    for n in params:
        visit(n, ())
    return order


def _num(v, values: dict):
    if isinstance(v, str):
        from nncheck.lang.formula import evaluate_formula

        return evaluate_formula(v, values)
    if isinstance(v, float):
        f = Fraction(v).limit_denominator(10**9)
        return f
    return v


def _draw_scalar(spec: ParamSpec, draw: DrawSpec, rng: random.Random, values: dict, integer: bool):
    if draw.get("choice") is not None:
        choices = draw["choice"]
        if draw.get("weights"):
            x = rng.choices(choices, weights=draw["weights"], k=1)[0]
        else:
            x = choices[rng.randrange(len(choices))]
        return _num(x, values) if isinstance(x, (int, float)) and not isinstance(x, bool) else x
    lo, hi = (_num(v, values) for v in draw["range"])
    step = _num(draw.get("step"), values) if draw.get("step") is not None else (1 if integer else None)
    if step is None:
        # A continuous range: draw on a grid of 0.1 so values stay hand-friendly and exact.
        step = Fraction(1, 10)
    step = Fraction(step)
    lo_f, hi_f = Fraction(lo), Fraction(hi)
    count = int((hi_f - lo_f) / step) + 1
    if count <= 0:
        raise _Retry()
    for _ in range(50):
        x = lo_f + step * rng.randrange(count)
        if draw.get("nonzero") and x == 0:
            continue
        return int(x) if x.denominator == 1 else x
    raise _Retry()


class _Retry(Exception):
    pass


def _shape_of(spec: ParamSpec, values: dict) -> list[int]:
    draw: DrawSpec | dict[str, Any] = spec.get("draw") or {}
    shape = draw.get("shape")
    if shape is None:
        if spec["type"] == "vector" and spec.get("length") is not None:
            shape = [spec["length"]]
        elif spec["type"] == "matrix" and spec.get("rows") is not None:
            shape = [spec["rows"], spec["cols"]]
        else:
            raise NNCheckError(f"cannot draw {spec['type']} without a shape")
    out = []
    for s in shape:
        v = values[s] if isinstance(s, str) and s in values else _num(s, values)
        out.append(int(v))
    count = 1
    for n in out:
        count *= max(n, 0)
    if count > MAX_ENTRIES:
        # A shape formula (or the parameter it names) asks for more than any key can be computed
        # for: refused before a single entry is drawn.
        raise ParamError(f"the shape {' × '.join(f'{n:,}' for n in out)} has {count:,} entries; the limit is "
                         f"{MAX_ENTRIES:,} for one vector or matrix")
    return out


def draw_value(name: str, spec: ParamSpec, rng: random.Random, values: dict):
    draw = spec.get("draw")
    typ = spec["type"]
    if draw is None:
        # Drawn by the solver's hook: it starts from the placeholder (or, without one, the default).
        if spec.get("placeholder") is not None:
            return coerce(name, spec, _default(spec, values, "placeholder"))
        if spec.get("default") is not None:
            return coerce(name, spec, _default(spec, values))
        if typ == "choice":
            return str(spec["choices"][0])
        raise NNCheckError(f"parameter {name} has no draw and no default")
    if draw.get("formula"):
        return coerce(name, spec, _num(draw["formula"], values))
    if typ == "choice":
        if draw.get("choice"):
            return str(draw["choice"][rng.randrange(len(draw["choice"]))])
        return str(spec["choices"][0])
    if typ == "boolean":
        if draw.get("choice"):
            return bool(draw["choice"][rng.randrange(len(draw["choice"]))])
        return rng.random() < 0.5
    integer = typ == "integer" or spec.get("entries") == "integer"
    if typ in ("integer", "number"):
        return _draw_scalar(spec, draw, rng, values, integer)
    shape = _shape_of(spec, values)
    if typ == "vector":
        out = [_draw_scalar(spec, draw, rng, values, integer) for _ in range(shape[0])]
        if draw.get("distinct") and len(set(out)) != len(out):
            raise _Retry()
        return out
    rows, cols = shape
    return [[_draw_scalar(spec, draw, rng, values, integer) for _ in range(cols)] for _ in range(rows)]


def _default(spec: ParamSpec, values: dict, key: str = "default"):
    d = spec[key]  # type: ignore[literal-required]
    if isinstance(d, str) and spec["type"] != "choice":
        return _num(d, values)
    if isinstance(d, float):
        return Fraction(d).limit_denominator(10**9)
    if isinstance(d, list):
        return [[_num(x, values) for x in r] if isinstance(r, list) else _num(r, values) for r in d]
    return d


def _bound_checks(name: str, spec: ParamSpec, value, values: dict) -> str | None:
    """Why ``value`` breaks its parameter's min/max/positive/shape bounds, or None."""
    flat = value if isinstance(value, list) else [value]
    if flat and isinstance(flat[0], list):
        flat = [x for row in flat for x in row]
    if spec["type"] in ("integer", "number", "vector", "matrix"):
        lo = _num(spec["min"], values) if spec.get("min") is not None else None
        hi = _num(spec["max"], values) if spec.get("max") is not None else None
        for x in flat:
            if spec.get("positive") and not x > 0:
                return f"{name} must be positive; got {fmt_value(x)}"
            if lo is not None and x < lo:
                return f"{name} must be at least {fmt_value(lo)}; got {fmt_value(x)}"
            if hi is not None and x > hi:
                return f"{name} must be at most {fmt_value(hi)}; got {fmt_value(x)}"
    if spec["type"] == "vector" and spec.get("length") is not None:
        n = int(_num(spec["length"], values))
        if len(value) != n:
            return f"{name} must have {n} entries; got {len(value)}"
    if spec["type"] == "matrix":
        widths = {len(r) for r in value}
        if len(widths) != 1:
            return f"the rows of {name} have different lengths"
        for key in ("rows", "cols"):
            actual = len(value) if key == "rows" else len(value[0]) if value else 0
            if spec.get(key) is not None:
                want = int(_num(spec[key], values))
                if actual != want:
                    return f"{name} must have {want} {key[:-1] if want == 1 else key}; got {actual}"
    return None


def make_variant(family: FamilyRecord, seed: int = 1, overrides: dict[str, str] | None = None, *,
                 strict: bool = False) -> Variant:
    """Draw (or rebuild) the instance of ``family`` for ``seed`` with the user's ``overrides``.

    With any override (or ``strict``) the other parameters take the bank's neutral defaults where it
    has them; ``strict`` refuses an instance that would draw anything at random, naming what is missing."""
    overrides = dict(overrides or {})
    params = family["params"]
    for name in overrides:
        if name not in params:
            import difflib

            m = difflib.get_close_matches(name, list(params), n=1, cutoff=0.5)
            hint = f"did you mean '{m[0]}'? " if m else ""
            raise ParamError(f"{family['id']} has no parameter '{name}'",
                             hint=hint + f"parameters: {', '.join(params)}")
    given = {n: parse_value(n, params[n], t, family_id=family["id"]) for n, t in overrides.items()}
    return build_variant(family, seed, given, strict=strict)


def build_variant(family: FamilyRecord, seed: int, given: dict, *, strict: bool = False) -> Variant:
    """Like :func:`make_variant`, with override values already parsed."""
    if given or strict:
        defaults, fills = _neutral_defaults(family, given)
    else:
        defaults, fills = {}, {}  # a seeded draw stays a random draw: seeds and their instances never change
    v = _build(family, seed, given, defaults, fills)
    if strict and v.drawn:
        one = len(v.drawn) == 1
        raise ParamError(f"--strict: missing {', '.join(v.drawn)}: {family['id']} has no default for "
                         f"{'it' if one else 'them'}; give {'it' if one else 'them'} as NAME=VALUE",
                         hint=f"without --strict, {'it is' if one else 'they are'} drawn at random from the seed "
                              f"and listed")
    return v


def _neutral_defaults(family: FamilyRecord, given: dict) -> tuple[dict, dict]:
    """The bank's neutral defaults of the parameters the user did not give: (values, fills).

    ``values`` are fixed before the draw, as the user's own are; a formula default counts once the
    names it reads are known (H1: W1 needs W1).  ``fills`` are the vectors and matrices whose default
    is one number for every entry: their shape is the draw's (c[0] = 0 has H entries, whatever H is).
    """
    from nncheck.lang.formula import FormulaError

    params = family["params"]
    values: dict = {}
    fills: dict = {}
    pending = [n for n, spec in params.items() if n not in given and spec.get("default") is not None]
    progress = True
    while pending and progress:
        progress = False
        for n in list(pending):
            spec = params[n]
            d = spec["default"]
            if spec["type"] in ("vector", "matrix") and not isinstance(d, list):
                fills[n] = _num(d, {})
            else:
                try:
                    value = coerce(n, spec, _default(spec, {**choice_literals(family), **given, **values}))
                except (FormulaError, EvalError, AnswerSyntaxError, KeyError):
                    continue  # it names a value not known yet (or not given at all): drawn instead
                # A default out of its bounds follows from a value given out of its own (H1 = W1 = −5),
                # which is refused under its own name: this one is then drawn, and listed.
                if _bound_checks(n, spec, value, {**given, **values}) is None:
                    values[n] = value
            pending.remove(n)
            progress = True
    return values, fills


def _filled(x, like):
    """``x`` in every entry of an array shaped like ``like``."""
    if isinstance(like, list):
        return [_filled(x, e) for e in like]
    return x


def _unused(solver, values: dict) -> set[str]:
    """The solver's optional ``unused(values)``: parameters the instance does not read (lstm.bptt's targets
    y when dh is given, the rates of the other optimizers)."""
    return set(solver.unused(values)) if solver is not None and hasattr(solver, "unused") else set()


def _drawn_names(family: FamilyRecord, values: dict, fixed: set[str], unused: set[str]) -> list[str]:
    """The public parameters whose value came from the seed, in the bank's order.

    Left out: a parameter with no draw, default or placeholder (the solver sets it from the others:
    lstm.bptt's loss follows from y or dh), an array left empty (conv's second channel when D1 = 1),
    and the ``unused`` ones."""
    out = []
    for n, spec in family["params"].items():
        if n in fixed or n in unused or spec.get("hidden"):
            continue
        if spec.get("draw") is None and spec.get("default") is None and spec.get("placeholder") is None:
            continue
        if values.get(n) is None or _no_entries(values[n]):
            continue
        out.append(n)
    return out


def _shown_defaults(family: FamilyRecord, values: dict, defaults: dict, fills: dict) -> dict:
    """The public parameters set to a neutral default, with their values in this instance."""
    specs = family["params"]
    both = {**defaults, **{n: values.get(n, x) for n, x in fills.items()}}
    return {n: both[n] for n in specs if n in both and not specs[n].get("hidden")}


def _no_entries(value) -> bool:
    """An array with no entries at all ([] or [[]]): one a hook left unused."""
    return isinstance(value, list) and all(_no_entries(x) for x in value)


def _with_defaults_hint(error: ParamError, defaults: dict) -> ParamError:
    """A refusal that names a parameter set to its neutral default says so, so that the user can give it
    (a refusal of the user's own numbers alone is left as it is)."""
    import re

    defaults = {n: v for n, v in defaults.items() if re.search(rf"(?<![\w⁽]){re.escape(n)}(?![\w⁽])", error.message)}
    if not defaults or error.hint:
        return error
    shown = ", ".join(f"{n}={fmt_value(v)}" for n, v in defaults.items())
    error.hint = f"defaults used: {shown}; give any of them as NAME=VALUE"
    return error


def _build(family: FamilyRecord, seed: int, given: dict, defaults: dict, fills: dict) -> Variant:
    user = given
    given = {**given, **defaults}  # the bank's defaults are fixed as the user's own numbers are
    params = family["params"]
    order = _order(params)
    constraints = family.get("constraints", [])
    solver = None
    if family.get("solver"):
        from nncheck.topics import get_solver

        solver = get_solver(family["solver"])
    # Overrides alone may already break a bound or a constraint: say so at once.
    for n, v in given.items():
        why = _bound_checks(n, params[n], v, given)
        if why:
            raise ParamError(why)
    try:
        _check_constraints(family, constraints, {**choice_literals(family), **given}, only_complete=True,
                           user=True)
    except ParamError as e:
        raise _with_defaults_hint(e, _shown_defaults(family, {}, defaults, {})) from None
    rng = random.Random(f"{family['id']}#{seed}")
    last_failure = None
    last_values: dict = {}
    # With nothing left to draw at random, one try decides: the user's numbers break a constraint.
    drawn_at_random = [n for n in order if n not in given and n not in fills and params[n].get("draw") is not None
                       and params[n]["draw"].get("formula") is None]
    tries = MAX_DRAW_TRIES if drawn_at_random or solver is not None and hasattr(solver, "draw") else 1
    started = time.monotonic()
    made = 0
    same: tuple[int, object] = (0, None)  # (how many failures in a row, on what)
    refusals: tuple[int, str] = (0, "")  # the same for the solver's check of a draw around your numbers
    refused: ParamError | None = None
    refused_values: dict = {}
    for _attempt in range(tries):
        if made and time.monotonic() - started > MAX_DRAW_SECONDS:
            break
        made += 1
        values = dict(given)
        try:
            for n in order:
                if n in values:
                    continue
                v = draw_value(n, params[n], rng, values)
                huge = _beyond_magnitude(n, v)
                if huge:  # a draw formula's value: the bank's numbers, or the user's it computes from
                    raise ParamError(f"drawing {n} fails: {huge}")
                if n in fills:
                    v = _filled(fills[n], v)
                why = _bound_checks(n, params[n], v, values)
                if why:
                    raise _Retry()
                values[n] = v
            if solver is not None and hasattr(solver, "draw"):
                with _UserNumbers(family, user or given):
                    values = solver.draw(values, rng, frozenset(given))
                # The hook chose the shapes (H from the user's weights): a filled default takes them, and
                # the hook draws again around it, as around the user's numbers (no ReLU kink at ξ = 0 with
                # b = 0, a σ table for c[0] = 0), with the same shapes.
                if fills:
                    values.update({n: _filled(x, values[n]) for n, x in fills.items() if n in values})
                    with _UserNumbers(family, user or given):
                        values = solver.draw(values, rng, frozenset(given) | frozenset(fills))
                    values.update({n: _filled(x, values[n]) for n, x in fills.items() if n in values})
                _check_hooked(family, values, given)
            # Constraints may name derived values (span <= padded): compute those first.
            with_derived = {**choice_literals(family), **values}
            with_derived.update(_yaml_derived(family, with_derived))
            failed = _check_constraints(family, constraints, with_derived, only_complete=False,
                                        user=False, drawn=set(values) - set(given))
            if failed is not None:
                last_failure, last_values = failed, with_derived
                if given:
                    seen = _failure_on(failed, with_derived)
                    same = (same[0] + 1, seen) if seen == same[1] else (1, seen)
                    if same[0] >= SAME_FAILURE_TRIES:
                        raise ParamError(_fill(failed["message"], with_derived))
                continue
            # "In a row": a draw that passes the constraints (and may then be refused by the solver's
            # check, linear + CE drawn for your x) restarts the count, so a constraint on drawn
            # values never stands in for the refusal your own numbers earn.
            same = (0, None)
        except _Retry:
            continue
        except EvalError as e:
            raise BankError(f"a draw formula fails: {e.message}", file=family.get("_file", "?"),
                            line=family.get("_line"), field=f"{family['id']}.params") from None
        fixed = set(given) | set(fills)
        with _UserNumbers(family, user or given):
            try:
                if solver is not None:
                    solver.check(values)  # shapes that must agree (W1 is N×D and x has D entries, ...)
            except ParamError as e:
                # With your numbers, a refusal may be the random part's (linear + BCE drawn for your x and W1,
                # with the default b⁽²⁾ = 0): another draw is tried, until the same refusal comes back.
                if given and _drawn_names(family, values, fixed, set()):
                    refused, refused_values = e, values
                    refusals = (refusals[0] + 1, e.message) if e.message == refusals[1] else (1, e.message)
                    if refusals[0] < SAME_FAILURE_TRIES:
                        continue
                raise _with_defaults_hint(e, _shown_defaults(family, values, defaults, fills)) from None
            derived = _derived(family, values, solver)
        unused = _unused(solver, values)
        return Variant(family, seed, values, set(user), derived, defaulted=set(defaults) | set(fills),
                       drawn=_drawn_names(family, values, fixed, unused), unused=unused)
    # Out of draws with refusals among the misses: the solver's refusal names what is wrong with your
    # numbers (a constraint that your own values fail is refused above, after 20 failures in a row;
    # the misses left are draws of the random part).
    if refused is not None:
        raise _with_defaults_hint(refused, _shown_defaults(family, refused_values, defaults, fills))
    what = f"'{last_failure['check']}'" if last_failure else "its bounds"
    tried = f"tried {made:,} draws" + (f" in {MAX_DRAW_SECONDS:g} s" if made < tries else "")
    line = None
    if last_failure is not None:
        idx = constraints.index(last_failure)
        line = (family.get("_lines") or {}).get("constraints", [None] * (idx + 1))[idx]
    if given:
        from nncheck.lang.formula import parse_formula

        if last_failure is not None and not (set(names_in(parse_formula(last_failure["check"])))
                                             & set(drawn_at_random)):
            raise ParamError(_fill(last_failure["message"], last_values))
        raise ParamError(f"no instance of {family['id']} satisfies {what} with the values given ({tried})")
    raise BankError(f"random draws cannot satisfy {what} ({tried})",
                    file=family.get("_file", "?"), line=line or family.get("_line"),
                    field=f"{family['id']}.constraints")


def _failure_on(constraint: ConstraintSpec, values: dict) -> tuple:
    """The constraint with the values it read: equal for two draws that fail it the same way."""
    from nncheck.lang.formula import parse_formula

    try:
        names = sorted(names_in(parse_formula(constraint["check"])))
    except AnswerSyntaxError:
        names = []
    return (constraint["check"], tuple(repr(values.get(n)) for n in names))


def _check_hooked(family: FamilyRecord, values: dict, given: dict) -> None:
    """Bounds again after the solver's ``draw`` hook, which may set parameters from the user's
    values (knn: N from the rows of X).  A value it sets past its parameter's bounds or over
    :data:`MAX_ENTRIES` follows from the user's numbers (a ParamError naming them) or, in a
    random draw, is one more draw to retry."""
    params = family["params"]
    for n, spec in params.items():
        if n in given or n not in values:
            continue
        # Numbers against their bounds, arrays against the size cap: a hook may leave an array
        # it does not use empty (conv's second channel when D1 = 1), which is not a shape error.
        scalar = spec["type"] in ("integer", "number")
        why = _bound_checks(n, spec, values[n], values) if scalar else _too_many_entries(n, values[n])
        if why is None:
            continue
        if not given:
            raise _Retry()
        doc = spec.get("doc") or ""
        what = f"{n}, the {doc.split(' (')[0]}," if spec.get("hidden") and doc else n
        raise ParamError(f"{why} ({what} follows from the values given for {', '.join(sorted(given))})")


class _UserNumbers:
    """Arithmetic that fails on the user's own numbers is bad input, not a bug: a ParamError.

    The magnitude limit (:data:`MAX_MAGNITUDE`) catches most such numbers as they are read;
    this catches the rest where a solver computes with them (an overflow or a division by
    zero in its draw, check or derived values).  Without user numbers the failure is the
    family's own and is left to propagate.
    """

    def __init__(self, family: FamilyRecord, given: dict[str, Any]):
        self.family, self.given = family, given

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: object) -> None:
        if isinstance(error, ArithmeticError) and self.given:
            names = ", ".join(sorted(self.given))
            raise ParamError(f"{self.family['id']} cannot be computed with the values given for {names}: "
                             f"{error}") from None


def _check_constraints(family: FamilyRecord, constraints: list[ConstraintSpec], values: dict, *,
                       only_complete: bool, user: bool, drawn: set[str] | frozenset[str] = frozenset()
                       ) -> ConstraintSpec | None:
    """Return the first failing constraint (draw loop) or raise ParamError (user values)."""
    from nncheck.lang.formula import EXTRA_FUNCTIONS, FormulaError, evaluate_node

    for c in constraints:
        try:
            node = parse(c["check"], symbols=None, formula=True, extra_functions=EXTRA_FUNCTIONS)
        except AnswerSyntaxError as e:
            raise BankError(f"constraint does not parse: {e.message}", file=family.get("_file", "?"),
                            line=family.get("_line")) from None
        used = names_in(node) - {"e", "pi"}
        if only_complete and not used <= set(values):
            continue
        if c.get("draw_only") and (user or not (used & set(drawn))):
            continue  # the user's own numbers need not be hand-computable
        try:
            ok = evaluate_node(node, values, c["check"])
        except FormulaError as e:
            if user:
                raise ParamError(f"{_fill(c['message'], values)} ({e.message})") from None
            return c
        except EvalError as e:
            if user:
                raise ParamError(f"{_fill(c['message'], values)} ({e.message})") from None
            return c
        except TypeError:
            return c
        if not _truthy(ok):
            if user:
                raise ParamError(_fill(c["message"], values))
            return c
    return None


def _fill(message: str, values: dict) -> str:
    from nncheck.lang.formula import evaluate_formula

    try:
        return render(message, values, evaluate=lambda f, v: evaluate_formula(f, v))
    except Exception:  # a message is best effort; never hide the real error behind a template slip
        return message


def _yaml_derived(family: FamilyRecord, values: dict) -> dict:
    """The bank's ``derived`` formulas; a failure here is left to :func:`_derived` to report."""
    from nncheck.lang.formula import FormulaError, evaluate_formula

    out: dict = {}
    env = dict(values)
    for name, formula in (family.get("derived") or {}).items():
        try:
            out[name] = env[name] = evaluate_formula(formula, env)
        except (AnswerSyntaxError, FormulaError):
            break
    return out


def _derived(family: FamilyRecord, values: dict, solver) -> dict:
    out: dict = {}
    env = dict(values)
    from nncheck.lang.formula import FormulaError, evaluate_formula

    for name, formula in (family.get("derived") or {}).items():
        try:
            out[name] = evaluate_formula(formula, env)
        except (AnswerSyntaxError, FormulaError) as e:
            raise BankError(f"derived value '{name}' fails: {e.message}", file=family.get("_file", "?"),
                            line=family.get("_line")) from None
        env[name] = out[name]
    if solver is not None and hasattr(solver, "derive"):
        out.update(solver.derive(env))
    return out
