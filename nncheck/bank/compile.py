"""Turn bank files into validated family records (plain dicts), or precise errors.

The schema check (pydantic) says whether each key is of the right shape; the checks
here say whether the family makes sense: formulas parse and name only declared
parameters, templates name known values, the solver exists, mistakes name real parts.
"""

from __future__ import annotations

import difflib
import os
from typing import TYPE_CHECKING, Any, cast

from pydantic import ValidationError

from nncheck.bank import schema
from nncheck.bank.yamlsafe import field_name, line_of, load_yaml
from nncheck.errors import BankError
from nncheck.lang.syntax import CONSTANTS, FORMULA_FUNCTIONS, FUNCTIONS, AnswerSyntaxError, names_in, parse

if TYPE_CHECKING:
    from nncheck.bank.yamlsafe import Lines
    from nncheck.records import FamilyRecord

# Families one catalogue may hold, the bundled ones included.  Validating a family costs a few
# milliseconds (its formulas are parsed, a few instances drawn and keyed), so this bounds a
# cold start: a directory of ten thousand banks is refused instead of validated for minutes.
MAX_FAMILIES = 500


class TooManyFamilies(BankError):
    """A bank file that would take the catalogue past :data:`MAX_FAMILIES`."""


RESERVED = (set(FUNCTIONS) | set(FORMULA_FUNCTIONS) | CONSTANTS
            | {"and", "or", "not", "sigmoid", "none", "true", "false"})


def _suggest(word: object, options) -> str:
    m = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f"did you mean '{m[0]}'?" if m else ""


def _pydantic_errors(e: ValidationError, path: str, lines, data, prefix: tuple = ()) -> list[BankError]:
    """Each schema error once, at its line; ``prefix``: where the validated piece sits in the file."""
    out = []
    seen = set()
    for err in e.errors():
        loc = prefix + tuple(err["loc"])
        # Unions report one error per branch; keep the first per location.
        key = loc[:-1] if err["type"].startswith(("int_", "float_", "string_", "bool_")) else loc
        if key in seen:
            continue
        seen.add(key)
        typ = err["type"]
        hint = None
        if typ == "extra_forbidden":
            allowed = _allowed_keys(loc[:-1], data)
            msg = f"unknown key '{loc[-1]}'"
            hint = _suggest(loc[-1], allowed) or (f"allowed: {', '.join(sorted(allowed))}" if allowed else None)
        elif typ == "missing":
            msg = f"missing required key '{loc[-1]}'"
            loc = loc[:-1] + (loc[-1],)
        else:
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, "):]
        # strip pydantic's union-branch annotations from the field path
        clean = tuple(p for p in loc if not (isinstance(p, str) and (p.startswith("list[") or p in (
            "int", "float", "str", "bool") or p.startswith("function-"))))
        out.append(BankError(msg, file=path, line=line_of(lines, clean), field=field_name(clean) or None, hint=hint))
    return out


_KEYS_BY_DEPTH: dict[tuple, type[schema.Strict]] = {
    (): schema.Bank,
    ("families", 0): schema.Family,
    ("families", 0, "params", "x"): schema.Param,
    ("families", 0, "params", "x", "draw"): schema.Draw,
    ("families", 0, "constraints", 0): schema.Constraint,
    ("families", 0, "parts", 0): schema.Part,
    ("families", 0, "parts", 0, "tolerance"): schema.Tolerance,
    ("families", 0, "mistakes", 0): schema.Mistake,
}


def _allowed_keys(at: tuple, data) -> list[str]:
    shape: list[int | str] = []
    for i, p in enumerate(at):
        if isinstance(p, int):
            shape.append(0)
        elif i >= 1 and at[i - 1] == "params":
            shape.append("x")
        else:
            shape.append(p)
    model = _KEYS_BY_DEPTH.get(tuple(shape))
    return list(model.model_fields) if model else []


class _Ctx:
    def __init__(self, path: str, lines):
        self.path = path
        self.lines = lines
        self.errors: list[BankError] = []

    def err(self, at: tuple, msg: str, hint: str | None = None):
        self.errors.append(BankError(msg, file=self.path, line=line_of(self.lines, at), field=field_name(at),
                                     hint=hint))


def _check_formula(ctx: _Ctx, at: tuple, text, known: set[str], what: str, *, extras: bool = True) -> set[str]:
    if isinstance(text, (int, float, list)) and not isinstance(text, bool):
        from nncheck.topics.formula import formula_text

        text = formula_text(text)
    if not isinstance(text, str):
        return set()
    try:
        from nncheck.lang.formula import EXTRA_FUNCTIONS

        node = parse(text, symbols=None, formula=True, extra_functions=EXTRA_FUNCTIONS if extras else None)
    except AnswerSyntaxError as e:
        ctx.err(at, f"{what} does not parse: {e.message} at character {e.pos + 1} of '{text}'")
        return set()
    used = names_in(node) - CONSTANTS
    for name in sorted(used - known):
        ctx.err(at, f"{what} names '{name}', which is not a declared parameter",
                hint=_suggest(name, known) or "a value computed by the solver's derive() must be listed in "
                                              "its template_vars")
    return used


def compile_bank_data(data, lines: Lines, path: str, *,
                      solver_names: set[str] | None = None) -> list[FamilyRecord]:
    """Validate one parsed bank file; return its family records, or raise every error found in it."""
    good, errors = compile_families(data, lines, path, solver_names=solver_names)
    if errors:
        raise _many(errors)
    return [rec for _, rec in good]


def compile_families(data, lines: Lines, path: str, *, solver_names: set[str] | None = None
                     ) -> tuple[list[tuple[int, FamilyRecord]], list[BankError]]:
    """Validate every family of one parsed bank file: ((index, record) of each family without an error,
    every error of the file).

    The file's own keys, then each family on its own: a family's schema errors are all reported
    (pydantic collects them), and the families that pass the schema are checked for sense
    (formulas, templates, solver, mistakes) whatever the others hold.  A family with schema errors
    is not checked further: its checks would only repeat them (a parameter of the wrong type would
    also be "not a declared parameter" in every formula naming it).
    """
    if not isinstance(data, dict):
        return [], [BankError("a bank file must be a mapping with 'bank' and 'families' keys", file=path, line=1)]
    errors: list[BankError] = []
    bank_id = ""
    try:
        bank_id = schema.BankFile.model_validate(data).bank
    except ValidationError as e:
        errors += _pydantic_errors(e, path, lines, data)
    families = data.get("families")
    good: list[tuple[int, FamilyRecord]] = []
    for fi, raw in enumerate(families if isinstance(families, list) else []):
        base = ("families", fi)
        try:
            fam = schema.Family.model_validate(raw)
        except ValidationError as e:
            errors += _pydantic_errors(e, path, lines, data, prefix=base)
            continue
        ctx = _Ctx(path, lines)
        rec = _compile_family(ctx, base, fam, solver_names)
        if ctx.errors:
            errors += ctx.errors
            continue
        rec["_file"] = os.path.abspath(path)
        rec["_line"] = line_of(lines, base)
        rec["_bank"] = bank_id
        # The schema validated every key and model_dump wrote them: this is FamilyRecord's shape.
        good.append((fi, cast("FamilyRecord", rec)))
    return good, errors


def _many(errs: list[BankError]):
    """One error, or all of them in the order of their lines in the file (the order found, on a tie)."""
    from nncheck.errors import BankErrors

    if len(errs) == 1:
        return errs[0]
    return BankErrors(sorted(errs, key=lambda e: e.lineno if e.lineno is not None else 0))


def _compile_family(ctx: _Ctx, base: tuple, fam: schema.Family, solver_names: set[str] | None) -> dict[str, Any]:
    params = fam.params
    names = set(params)
    solver_vars: set[str] = set()
    if fam.solver is not None and (solver_names is None or fam.solver in solver_names):
        # Values a solver's derive() adds may be named by templates and `when` formulas.
        try:
            from nncheck.topics import get_solver

            solver_vars = set(getattr(get_solver(fam.solver), "template_vars", ()) or ())
        except KeyError:
            pass
    for name in params:
        at = base + ("params", name)
        if not name.replace("_", "a").isalnum() or not name[0].isalpha():
            ctx.err(at, f"parameter name '{name}' must be letters, digits and _ and start with a letter")
        if name in RESERVED:
            ctx.err(at, f"parameter name '{name}' is reserved (a function, constant or keyword)")
    # Choice values are bare words in formulas (when: optimizer = adam).
    literals = {str(c) for p in params.values() if p.type == "choice" for c in (p.choices or [])
                if str(c).isidentifier() and str(c) not in names}
    known = names | set(fam.derived) | literals
    for name, p in params.items():
        at = base + ("params", name)
        if p.type == "choice":
            if not p.choices:
                ctx.err(at, "a choice parameter needs 'choices'")
            elif p.default is not None and p.default not in p.choices:
                ctx.err(at + ("default",), f"default '{p.default}' is not one of the choices {p.choices}")
        if p.type in ("vector",) and p.length is None and not (p.draw and (p.draw.shape or p.draw.formula)):
            pass  # length free: any length accepted
        for key in ("min", "max", "length", "rows", "cols"):
            v = getattr(p, key)
            if isinstance(v, str):
                _check_formula(ctx, at + (key,), v, known, f"'{key}'")
        d = p.draw
        if d is not None:
            ways = [x for x in (d.range, d.choice, d.formula) if x is not None]
            if len(ways) != 1:
                ctx.err(at + ("draw",), "a draw needs exactly one of 'range', 'choice' or 'formula'")
            if d.formula is not None:
                used = _check_formula(ctx, at + ("draw", "formula"), d.formula, known - {name}, "draw formula")
                if name in used:
                    ctx.err(at + ("draw", "formula"), "a draw formula cannot use the parameter it defines")
            for k, v in enumerate(d.range or []):
                if isinstance(v, str):
                    _check_formula(ctx, at + ("draw", "range", k), v, known - {name}, "range bound")
            if isinstance(d.step, str):
                _check_formula(ctx, at + ("draw", "step"), d.step, known - {name}, "step")
            for k, v in enumerate(d.shape or []):
                if isinstance(v, str) and v not in names:
                    ctx.err(at + ("draw", "shape", k), f"shape names '{v}', which is not a parameter",
                            hint=_suggest(v, names) or None)
            if d.range is not None:
                lo, hi = d.range  # the schema checked there are two
                if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and lo > hi:
                    ctx.err(at + ("draw", "range"), f"empty range: {lo} > {hi}")
            if d.weights is not None and (d.choice is None or len(d.weights) != len(d.choice)):
                ctx.err(at + ("draw", "weights"), "weights need one number per choice")
        elif p.default is None and p.placeholder is None and p.type != "choice":
            ctx.err(at, "a parameter needs a 'draw', a 'default' or a 'placeholder' so that random instances "
                        "can be made")
        if p.placeholder is not None and (d is not None or fam.solver is None):
            ctx.err(at + ("placeholder",), "a placeholder is for a parameter without a 'draw' that the solver's "
                                           "draw hook chooses")
        if isinstance(p.default, str) and p.type != "choice":
            # A formula default (H1: W1) is evaluated from the values the user gives.
            _check_formula(ctx, at + ("default",), p.default, known - {name}, "default formula")
        if isinstance(p.default, list) and p.type in ("integer", "number", "boolean", "choice"):
            ctx.err(at + ("default",), f"a {p.type} parameter's default is one value, not a list")
    for name, formula in fam.derived.items():
        _check_formula(ctx, base + ("derived", name), formula, known - {name}, f"derived '{name}'")
    for ci, c in enumerate(fam.constraints):
        _check_formula(ctx, base + ("constraints", ci, "check"), c.check, known, "constraint")
    part_names = [p.name for p in fam.parts]
    for pi, part in enumerate(fam.parts):
        at = base + ("parts", pi)
        if part_names.count(part.name) > 1:
            ctx.err(at + ("name",), f"duplicate part name '{part.name}'")
        if part.kind == "choice" and not part.choices:
            ctx.err(at, "a choice part needs 'choices'")
        if part.kind in ("expression", "derivation") and part.symbols is None:
            ctx.err(at, f"an {part.kind} part needs 'symbols' (name: domain)")
        if part.when:
            _check_formula(ctx, at + ("when",), part.when, known | solver_vars, "'when'")
        if part.same_as is not None:
            if part.when is None:
                ctx.err(at + ("same_as",), "'same_as' names the part that holds this one's answer where its "
                                           "'when' is false: the part needs a 'when'")
            if part.same_as not in part_names or part.same_as == part.name:
                ctx.err(at + ("same_as",), f"same_as names '{part.same_as}', which is not another part",
                        hint=_suggest(part.same_as, part_names) or None)
        for sym, dom in (part.symbols or {}).items():
            from nncheck.lang.domains import DomainError, parse_domain

            try:
                parse_domain(dom)
            except DomainError as e:
                ctx.err(at + ("symbols", sym), str(e))
        for key in ("start", "target"):
            text = getattr(part, key)
            if text:
                _check_line(ctx, at + (key,), text, f"derivation {key}", matrix=bool(part.shapes))
        for gi, text in enumerate(part.given or []):
            if part.kind == "matexpr" and _placeholders(text):
                continue  # "h = {hidden_fn}(xi1)": read once the variant fills it in (its names are checked below)
            _check_line(ctx, at + ("given", gi), text, "definition", matrix=bool(part.shapes))
        if part.answer is None and fam.solver is None:
            ctx.err(at, "a part of a YAML-only family (no 'solver') needs an 'answer' formula")
        if part.shapes and fam.solver is None:
            # The formula mode computes numbers and scalar expressions; a matrix answer's two key
            # computations (a matrix expression and a NumPy function) come from a Python solver.
            ctx.err(at + ("shapes",), "a part with 'shapes' (a matrix-valued answer or a vector-form derivation) "
                    "needs a Python solver: YAML-only families compute scalar keys",
                    hint="see 'Matrix answers' in docs/authoring.md")
    yaml_only = fam.solver is None
    _check_templates(ctx, base, fam, known | solver_vars, strict_names=yaml_only)
    for pi, part in enumerate(fam.parts):
        if part.answer is not None:
            syms = set(part.symbols or {})
            _check_formula(ctx, base + ("parts", pi, "answer"), part.answer, known | syms, "answer formula",
                           extras=True)
    mistake_ids = [m.id for m in fam.mistakes]
    for mi, m in enumerate(fam.mistakes):
        at = base + ("mistakes", mi)
        if mistake_ids.count(m.id) > 1:
            ctx.err(at + ("id",), f"duplicate mistake id '{m.id}'")
        for named in m.parts or []:
            if named not in part_names:
                ctx.err(at + ("parts",), f"mistake names part '{named}', which does not exist",
                        hint=_suggest(named, part_names) or None)
        if fam.solver is None and not m.formula:
            ctx.err(at, "a mistake of a YAML-only family needs a 'formula' (part: formula)")
        for part_name, mistake_formula in (m.formula or {}).items():
            if part_name not in part_names:
                ctx.err(at + ("formula", part_name), f"mistake formula for part '{part_name}', which does not exist",
                        hint=_suggest(part_name, part_names) or None)
                continue
            syms = set(next(p for p in fam.parts if p.name == part_name).symbols or {})
            _check_formula(ctx, at + ("formula", part_name), mistake_formula, known | syms, "mistake formula",
                           extras=True)
    if fam.solver is not None and solver_names is not None and fam.solver not in solver_names:
        ctx.err(base + ("solver",), f"unknown solver '{fam.solver}'", hint=_suggest(fam.solver, solver_names) or None)
    rec = fam.model_dump(mode="json", exclude_none=True)
    # Lines of the pieces that can fail at draw time, so later errors can point into the file.
    rec["_lines"] = {
        "constraints": [line_of(ctx.lines, base + ("constraints", i)) for i in range(len(fam.constraints))],
        "params": {n: line_of(ctx.lines, base + ("params", n)) for n in params},
    }
    return rec


def _check_line(ctx: _Ctx, at: tuple, text: str, what: str, *, matrix: bool = False) -> None:
    """A derivation start/target/definition must parse as a line of a derivation (a part that
    declares ``shapes`` is read as the derivation checker reads it: in matrix mode)."""
    try:
        parse(text, symbols=None, equations=True, derivatives=True, matrix=matrix)
    except AnswerSyntaxError as e:
        ctx.err(at, f"{what} does not parse: {e.message} at character {e.pos + 1} of '{text}'")


def _check_templates(ctx: _Ctx, base: tuple, fam, known: set[str], *, strict_names: bool) -> None:
    """Placeholders must name known values; ``{=formula}`` must parse.

    For families with a Python solver, ``derive()`` may add values that are not declared
    anywhere, so only formulas are checked there unless the solver lists ``template_vars``.
    """
    from nncheck.lang.template import placeholders

    texts = [(base + ("prompt",), fam.prompt)]
    texts += [(base + ("hints", i), h) for i, h in enumerate(fam.hints)]
    for pi, part in enumerate(fam.parts):
        texts.append((base + ("parts", pi, "prompt"), part.prompt))
        texts += [(base + ("parts", pi, "solution", k), step) for k, step in enumerate(part.solution or [])]
        if part.kind == "matexpr":  # a matrix answer's definitions are templates too (Variant.parts)
            texts += [(base + ("parts", pi, "given", k), line) for k, line in enumerate(part.given or [])]
    texts += [(base + ("mistakes", mi, "message"), m.message) for mi, m in enumerate(fam.mistakes)]
    texts += [(base + ("constraints", ci, "message"), c.message) for ci, c in enumerate(fam.constraints)]
    for at, text in texts:
        for name, _fmt, _pos in placeholders(text):
            if name.startswith("="):
                _check_formula(ctx, at, name[1:], known, "placeholder formula")
            elif strict_names and name not in known:
                ctx.err(at, f"placeholder '{{{name}}}' names no parameter or derived value",
                        hint=_suggest(name, known) or None)


def trial_draws(path: str, records: list[FamilyRecord], lines: Lines, indices: list[int] | None = None
                ) -> list[BankError]:
    """Draw a few instances of each family: unsatisfiable constraints and mistakes that can
    never be told apart from the answer are bank errors, reported where they are written.
    ``indices``: each record's place among the file's families (default: the records are all of them)."""
    from nncheck.errors import AnswerKeyError, NNCheckError
    from nncheck.generate.variant import build_variant

    errors: list[BankError] = []
    for fi, rec in zip(indices if indices is not None else range(len(records)), records):
        base = ("families", fi)
        variants = []
        for seed in (1, 2, 3):
            try:
                variants.append(build_variant(rec, seed, {}))
            except BankError as e:
                errors.append(e)
                break
            except NNCheckError as e:
                errors.append(BankError(f"drawing an instance fails: {e.line()}", file=path,
                                        line=line_of(lines, base), field=f"families[{fi}].params"))
                break
        if rec.get("solver") or not variants:
            continue
        # YAML-only: every declared mistake must differ from the answer for some instance.  The key
        # drops a mistake where the grader could not tell it from the answer, as for every family.
        from nncheck.key.compute import answer_key

        seen_different: dict[str, bool] = {m["id"]: False for m in rec.get("mistakes", [])}
        for v in variants:
            try:
                key = answer_key(v)
            except (BankError, AnswerKeyError) as e:
                errors.append(e if isinstance(e, BankError) else BankError(
                    e.line(), file=path, line=line_of(lines, base), field=f"families[{fi}]"))
                break
            for mid, values in key.mistakes.items():
                if values:
                    seen_different[mid] = True
        else:
            for mi, m in enumerate(rec.get("mistakes", [])):
                if not seen_different.get(m["id"], True):
                    errors.append(BankError(
                        "this mistake's formula equals the answer (at the part's tolerance) in every instance tried: "
                        "it can never be told apart",
                        file=path, line=line_of(lines, base + ("mistakes", mi)),
                        field=f"families[{fi}].mistakes[{mi}]"))
    return errors


def compile_bank_file(path: str, *, solver_names: set[str] | None = None) -> list[FamilyRecord]:
    data, lines = load_yaml(path)
    return compile_loaded(path, data, lines, solver_names=solver_names)


def compile_loaded(path: str, data, lines: Lines, *, solver_names: set[str] | None = None) -> list[FamilyRecord]:
    """Validate and trial-draw one bank file already read by :func:`load_banks`; raise every error in it.

    The families that pass validation are trial-drawn even when others in the file do not, so that
    one run of ``bank validate`` reports every error of the file."""
    good, errors = compile_families(data, lines, path, solver_names=solver_names)
    errors += trial_draws(path, [rec for _, rec in good], lines, [fi for fi, _ in good])
    if errors:
        raise _many(errors)
    return [rec for _, rec in good]


class LoadedBank:
    """One bank file read for compiling: its YAML (``data``, ``lines``) or why it cannot be read."""

    __slots__ = ("path", "data", "lines", "error")

    def __init__(self, path: str, data=None, lines: Lines | None = None, error: BankError | None = None):
        self.path, self.data, self.lines, self.error = path, data, lines or {}, error


def load_banks(files: list[str], *, max_bytes: int) -> list[LoadedBank]:
    """Read the YAML of every bank file, then count their families before any is validated.

    More than ``max_bytes`` in all (:data:`nncheck.bank.index.MAX_BANK_BYTES`) is refused
    before any file is read, and more than :data:`MAX_FAMILIES` families (TooManyFamilies)
    before any is validated: reading is cheap and validating is not, so a pile of banks is
    refused at once.  A file that cannot be read keeps its error, for the caller to report.
    """
    from nncheck.paths import first_past

    past = first_past(files, max_bytes)
    if past is not None:
        raise BankError(f"the bank files hold more than {max_bytes:,} bytes together (the limit)", file=past,
                        hint="give fewer or smaller bank files")
    loaded: list[LoadedBank] = []
    total = 0
    for f in files:
        try:
            data, lines = load_yaml(f)
        except BankError as e:
            loaded.append(LoadedBank(f, error=e))
            continue
        families = data.get("families") if isinstance(data, dict) else None
        total += len(families) if isinstance(families, list) else 0
        if total > MAX_FAMILIES:
            raise TooManyFamilies(f"too many families: the banks loaded together hold more than {MAX_FAMILIES:,} "
                                  "(the limit)", file=f, line=line_of(lines, ("families",)),
                                  hint="load fewer banks at once")
        loaded.append(LoadedBank(f, data, lines))
    return loaded


def _placeholders(text: str) -> list:
    from nncheck.lang.template import placeholders

    return placeholders(text)
