"""Homework checking at scale: answer files (YAML, JSON, CSV) and the grading of each entry.

An answer file lists entries; each names a family id, a seed and/or the user's own
parameter values, a part, and the answer.  Loading is strict in the same way as bank
files (no YAML tags, anchors or duplicate keys), and it distinguishes two kinds of
trouble:

* the *file* is unusable (empty, truncated, not YAML/JSON/CSV, a wrong CSV header):
  :class:`AnswerFileError`, one line and exit code 2;
* one *entry* is bad (an unknown id, a bad parameter, a misspelt key, an unreadable
  answer): that entry is reported as *invalid* with its location (file, entry, field)
  and every other entry is still graded.

Grading shares work: many entries (a class of students, or the parts of one problem)
ask about the same variant, so variants and answer keys are cached per
(family, seed, overrides), and verdicts per identical answer text.  The core never
prints; a ``progress(done, total)`` callback lets the CLI draw a progress bar.
"""

from __future__ import annotations

import json
import math
import os
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from nncheck.errors import BankError, NNCheckError
from nncheck.kinds.values import is_sympy

if TYPE_CHECKING:
    from nncheck.bank.index import Catalog

#: Answer files may be larger than bank files (a whole class in one file), but bounded.
MAX_ANSWER_BYTES = 8_000_000

TOP_KEYS = ("nncheck", "title", "student", "set", "answers")
ENTRY_KEYS = ("problem", "id", "family", "seed", "params", "check", "part", "answer", "parts", "student")
CSV_REQUIRED = ("id", "seed", "part", "answer")
#: ``student``: whose answer a row is, in one file holding a whole class (nncheck.batch.roster).
CSV_OPTIONAL = ("problem", "params", "check", "student")
STATUSES = ("correct", "incorrect", "invalid", "unanswered", "error")


class AnswerFileError(BankError):
    """The answer file as a whole cannot be used (the CLI exits with code 2)."""


# ----------------------------------------------------------------------------
# Entries.
# ----------------------------------------------------------------------------
class Entry:
    """One answer to grade, with where it came from."""

    __slots__ = ("index", "where", "line", "problem", "family", "seed", "params", "part", "answer", "check",
                 "problem_error", "student")

    def __init__(self, index: int, where: str, line: int | None = None):
        self.index = index  # 1-based, in file order
        self.where = where  # "entry 3" or "entry 3, part W2" or "row 4"
        self.line = line
        self.problem: str | None = None  # the problem label the file gives (e.g. "1")
        self.family: str | None = None
        self.seed: int | None = None
        self.params: dict[str, str] = {}
        self.part: str | None = None
        self.answer: str | None = None  # None: left blank
        self.check: str | None = None
        self.problem_error: tuple[str, str] | None = None  # (field, message) found while loading
        self.student: str | None = None  # whose answer, in a file holding a whole class

    def location(self, path: str, field: str | None = None) -> str:
        """``file:line: entry 3, part W2: field`` (the parts that are known)."""
        out = path if self.line is None else f"{path}:{self.line}"
        out += f": {self.where}"
        if field:
            out += f": {field}"
        return out


class AnswerSheet:
    """A loaded answer file: its entries and the optional header."""

    def __init__(self, path: str, fmt: str, entries: list[Entry], meta: dict | None = None):
        self.path, self.format, self.entries, self.meta = path, fmt, entries, meta or {}


def answer_text(value) -> str | None:
    """An answer-file value as answer-language text, deterministically.

    YAML and JSON give numbers, booleans and lists as well as strings: 0.1 becomes
    ``0.1`` (the shortest text that reads back as the same float, which the answer
    language then reads exactly as 1/10), ``[1, 2]`` stays ``[1, 2]``, true/false
    become ``yes``/``no``.  ``None`` means the answer was left blank.
    """
    return None if value is None else _value_text(value)


def _value_text(value: object) -> str:
    """:func:`answer_text` of a value that is not blank."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return repr(value)
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        items = []
        for x in value:
            if x is None or isinstance(x, dict):
                raise _EntryProblem("answer", "a list entry is empty or not a value")
            items.append(_value_text(x))
        return "[" + ", ".join(items) + "]"
    raise _EntryProblem("answer", "an answer must be text, a number or a list")


def _param_text(name: str, value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, dict):
        raise _EntryProblem(f"params.{name}", "a parameter value must be a number, a list or text")
    return _value_text(value)


class _EntryProblem(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


# ----------------------------------------------------------------------------
# Loading.
# ----------------------------------------------------------------------------
def load_answers(path: str) -> AnswerSheet:
    """Read an answer file (format from the extension, else from the content)."""
    from nncheck.bank.yamlsafe import read_text

    if os.path.isdir(path):
        raise AnswerFileError("is a directory, not an answer file", file=path)
    text = read_text(path, what="answer file", max_bytes=MAX_ANSWER_BYTES)
    return load_answers_text(text, path)


def sniff_format(text: str, path: str) -> str:
    ext = os.path.splitext(path)[1].lower()
    if ext in (".yaml", ".yml"):
        return "yaml"
    if ext == ".json":
        return "json"
    if ext == ".csv":
        return "csv"
    stripped = text.lstrip()
    if stripped[:1] in ("{", "[") and not stripped.startswith("[["):
        return "json"
    first = stripped.split("\n", 1)[0].lower()
    if "," in first and "answer" in first and ":" not in first:
        return "csv"
    return "yaml"


def load_answers_text(text: str, path: str, fmt: str | None = None) -> AnswerSheet:
    fmt = fmt or sniff_format(text, path)
    if not text.strip():
        raise AnswerFileError("the answer file is empty", file=path)
    if fmt == "csv":
        return AnswerSheet(path, fmt, _load_csv(text, path))
    lines: dict[tuple, int]  # path in the file -> line (JSON keeps none)
    if fmt == "json":
        data, lines = _load_json(text, path), {}
    else:
        from nncheck.bank.yamlsafe import load_yaml_text

        data, lines = load_yaml_text(text, path)
    entries, meta = _entries_from_data(data, lines, path)
    return AnswerSheet(path, fmt, entries, meta)


class _Duplicate(Exception):
    pass


def _load_json(text: str, path: str):
    def pairs(items):
        out = {}
        for k, v in items:
            if k in out:
                raise _Duplicate(k)
            out[k] = v
        return out

    def no_constant(name):
        raise ValueError(f"{name} is not allowed")

    from nncheck.bank.yamlsafe import MAX_NUMBER_CHARS

    def number(kind):
        # Python refuses to convert integers past 4,300 digits with a ValueError that names
        # sys.set_int_max_str_digits; the answer files' own limit is the one YAML has.
        def parse(digits: str):
            if len(digits) > MAX_NUMBER_CHARS:
                raise _JsonRefused(f"a number of {len(digits):,} characters is too long "
                                   f"(the limit is {MAX_NUMBER_CHARS:,})")
            return kind(digits)
        return parse

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_constant=no_constant, parse_int=number(int),
                          parse_float=number(float))
        _check_json_values(data)
        return data
    except _JsonRefused as e:
        raise AnswerFileError(e.args[0], file=path) from None
    except json.JSONDecodeError as e:
        msg = e.msg
        if e.pos >= len(text.rstrip()) or msg.startswith("Unterminated string"):
            msg += " (the file ends too early: truncated?)"
        raise AnswerFileError(f"invalid JSON: {msg}", file=path, line=e.lineno) from None
    except _Duplicate as e:
        raise AnswerFileError(f"duplicate key '{e.args[0]}'", file=path) from None
    except ValueError as e:
        raise AnswerFileError(f"invalid JSON: {e}", file=path) from None
    except RecursionError:
        from nncheck.bank.yamlsafe import MAX_DEPTH

        raise AnswerFileError(f"nested too deeply (the limit is {MAX_DEPTH} levels of mappings and lists)",
                              file=path) from None


class _JsonRefused(Exception):
    pass


def _check_json_values(data) -> None:
    """The limits YAML answer files have, for JSON: nesting depth, and no NUL, other control
    character or lone surrogate (``"\\u0000"``, ``"\\ud800"``) in any key or string."""
    from nncheck.bank.yamlsafe import MAX_DEPTH, forbidden_char

    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            bad = forbidden_char(value)
            if bad is not None:
                raise _JsonRefused(f"{bad[1]} is not allowed in text")
        elif isinstance(value, (dict, list)):
            if depth >= MAX_DEPTH:
                raise _JsonRefused(f"nested too deeply (the limit is {MAX_DEPTH} levels of mappings and lists)")
            items = [x for kv in value.items() for x in kv] if isinstance(value, dict) else value
            stack.extend((x, depth + 1) for x in items)


def _line(lines: dict, at: tuple) -> int | None:
    from nncheck.bank.yamlsafe import line_of

    return line_of(lines, at) if lines else None


def _entries_from_data(data, lines: dict, path: str) -> tuple[list[Entry], dict]:
    meta: dict = {}
    if data is None:
        raise AnswerFileError("the answer file is empty", file=path)
    base: tuple
    if isinstance(data, list):
        items, base = data, ()
    elif isinstance(data, dict):
        for k in data:
            if k not in TOP_KEYS:
                raise AnswerFileError(f"unknown key '{k}' at the top level", file=path, line=_line(lines, (k,)),
                                      hint=_close_hint(k, TOP_KEYS, "expected 'answers'"))
        if "answers" not in data:
            raise AnswerFileError("no 'answers' list", file=path, line=_line(lines, ()),
                                  hint="an answer file is a list of entries, or a mapping with 'answers:'")
        items, base = data["answers"], ("answers",)
        if not isinstance(items, list):
            raise AnswerFileError("'answers' must be a list of entries", file=path, line=_line(lines, base))
        meta = {k: v for k, v in data.items() if k != "answers"}
    else:
        raise AnswerFileError("expected a list of answer entries (or a mapping with 'answers:')", file=path,
                              line=_line(lines, ()))
    if not items:
        raise AnswerFileError("the answer file has no entries", file=path, line=_line(lines, base))
    _check_declared_size(meta, items, path, lines)
    entries: list[Entry] = []
    for i, item in enumerate(items):
        entries.extend(_entries_of_item(item, i, base, lines, len(entries)))
    return entries, meta


def _check_declared_size(meta: dict, items: list, path: str, lines: dict) -> None:
    """A generated file says how many problems it holds: fewer means it was cut short."""
    declared = meta.get("set")
    if declared is None:
        return
    if not isinstance(declared, dict) or not isinstance(declared.get("problems", 0), int):
        raise AnswerFileError("'set' must be a mapping such as {seed: 42, problems: 10}", file=path,
                              line=_line(lines, ("set",)))
    want = declared.get("problems")
    if isinstance(want, int) and not isinstance(want, bool) and len(items) < want:
        raise AnswerFileError(f"the file looks truncated: 'set' declares {want} problems but the file has "
                              f"{len(items)}", file=path, line=_line(lines, ("set",)),
                              hint="restore the missing problems from the generated file")


def _close_hint(name: str, options, fallback: str) -> str:
    import difflib

    m = difflib.get_close_matches(str(name), list(options), n=1, cutoff=0.6)
    return f"did you mean '{m[0]}'?" if m else fallback


def _entries_of_item(item, i: int, base: tuple, lines: dict, done: int) -> list[Entry]:
    out = _item_entries(item, i, base, lines, done)
    if isinstance(item, dict) and "student" in item:
        try:
            who = _student_of(item)
        except _EntryProblem as p:
            who = None
            for e in out:
                e.problem_error = e.problem_error or (p.field, p.message)
        for e in out:
            e.student = who
    return out


def _item_entries(item, i: int, base: tuple, lines: dict, done: int) -> list[Entry]:
    at = base + (i,)
    where = f"entry {i + 1}"

    def bad(field: str, message: str, line_at: tuple = at) -> list[Entry]:
        e = Entry(done + 1, where, _line(lines, line_at))
        e.problem_error = (field, message)
        return [e]

    if not isinstance(item, dict):
        return bad("", "an entry must be a mapping with id, seed, part and answer")
    for k in item:
        if k not in ENTRY_KEYS:
            return bad(str(k), f"unknown key '{k}' ({_close_hint(k, ENTRY_KEYS, 'keys: ' + ', '.join(ENTRY_KEYS))})",
                       at + (k,))
    try:
        common = _common_fields(item)
    except _EntryProblem as p:
        return bad(p.field, p.message, at + (p.field.split(".")[0],))
    has_part, has_parts = "part" in item, "parts" in item
    if has_part and has_parts:
        return bad("parts", "give either 'part' with 'answer', or 'parts', not both", at + ("parts",))
    if has_parts:
        parts = item["parts"]
        if not isinstance(parts, dict) or not parts:
            return bad("parts", "'parts' must map part names to answers, e.g. {W2: 27, H2: 27}", at + ("parts",))
        out: list[Entry] = []
        for name, value in parts.items():
            e = Entry(done + len(out) + 1, f"{where}, part {name}", _line(lines, at + ("parts", name)))
            _fill(e, common)
            e.part = str(name)
            try:
                e.answer = answer_text(value)
            except _EntryProblem as p:
                e.problem_error = (p.field, p.message)
            out.append(e)
        return out
    if not has_part:
        return bad("part", "no 'part': say which part this answers (or give 'parts')")
    e = Entry(done + 1, where, _line(lines, at))
    _fill(e, common)
    part = item["part"]
    if not isinstance(part, (str, int)) or isinstance(part, bool):
        e.problem_error = ("part", "'part' must be a part name")
        return [e]
    e.part = str(part)
    if "answer" in item:
        try:
            e.answer = answer_text(item["answer"])
        except _EntryProblem as p:
            e.problem_error = (p.field, p.message)
    return [e]


def _common_fields(item: dict) -> dict:
    if "id" in item and "family" in item:
        raise _EntryProblem("family", "give 'id' or 'family', not both")
    fid = item.get("id", item.get("family"))
    if fid is None:
        raise _EntryProblem("id", "no problem id (e.g. id: conv.output-size)")
    if not isinstance(fid, str) or not fid.strip():
        raise _EntryProblem("id", "the problem id must be text such as conv.output-size")
    seed = item.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        if isinstance(seed, str) and seed.strip().lstrip("-").isdigit():
            seed = int(seed)
        else:
            raise _EntryProblem("seed", f"the seed must be a whole number; got {seed!r}")
    params_raw = item.get("params")
    params: dict[str, str] = {}
    if params_raw is not None:
        if not isinstance(params_raw, dict):
            raise _EntryProblem("params", "'params' must map parameter names to values, e.g. {W1: 227, F: 11}")
        params = {str(k): _param_text(str(k), v) for k, v in params_raw.items()}
    if seed is None and not params:
        raise _EntryProblem("seed", "give a seed, or the problem's numbers under 'params'")
    check = item.get("check")
    if check is not None and not isinstance(check, str):
        check = str(check)
    problem = item.get("problem")
    return {"family": fid.strip(), "seed": seed, "params": params, "check": check,
            "problem": None if problem is None else str(problem)}


def _student_of(item: dict) -> str | None:
    """The entry's ``student`` (a whole class in one file), or None; a blank one is its own error."""
    if "student" not in item:
        return None
    who = item["student"]
    if isinstance(who, bool) or not isinstance(who, (str, int)) or not str(who).strip():
        raise _EntryProblem("student", "'student' must name the student, e.g. student: asmith")
    return str(who).strip()


def _fill(e: Entry, common: dict) -> None:
    e.family, e.seed, e.params = common["family"], common["seed"], common["params"]
    e.check, e.problem = common["check"], common["problem"]


# -- CSV ------------------------------------------------------------------------
def _load_csv(text: str, path: str) -> list[Entry]:
    import csv
    import io

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if any(c.strip() for c in row):
                rows.append((reader.line_num, row))
    except csv.Error as err:
        raise AnswerFileError(f"invalid CSV: {err} (truncated?)", file=path, line=reader.line_num) from None
    if not rows:
        raise AnswerFileError("the answer file is empty", file=path)
    head_line, header = rows[0]
    names = [h.strip().lower() for h in header]
    names = ["id" if n == "family" else n for n in names]
    expected = ", ".join(CSV_REQUIRED)
    missing = [c for c in CSV_REQUIRED if c not in names]
    unknown = [h for h, n in zip(header, names) if n not in CSV_REQUIRED + CSV_OPTIONAL]
    dup = sorted({n for n in names if names.count(n) > 1})
    if missing or unknown or dup:
        got = ",".join(h.strip() for h in header)
        what = (f"missing {', '.join(missing)}" if missing else
                f"unknown column '{unknown[0]}'" if unknown else f"column '{dup[0]}' twice")
        raise AnswerFileError(f"wrong CSV header ({what}): expected the columns {expected} "
                              f"(optional: {', '.join(CSV_OPTIONAL)}); got '{got}'", file=path, line=head_line)
    if len(rows) == 1:
        raise AnswerFileError("the answer file has no entries (only a header)", file=path, line=head_line)
    width = len(names)
    entries = []
    for k, (line, row) in enumerate(rows[1:], 1):
        e = Entry(k, f"row {k}", line)
        entries.append(e)
        if len(row) != width:
            if k == len(rows) - 1 and not text.endswith(("\n", "\r")) and len(row) < width:
                raise AnswerFileError(f"the file looks truncated: the last row has {len(row)} of {width} fields",
                                      file=path, line=line)
            e.problem_error = ("", f"this row has {len(row)} fields; the header has {width}")
            continue
        cell = dict(zip(names, (c.strip() for c in row)))
        if "student" in cell:
            e.student = cell["student"] or None
        try:
            item: dict = {"id": cell["id"], "part": cell["part"]}
            if cell["seed"]:
                item["seed"] = cell["seed"]
            if cell.get("params"):
                item["params"] = split_assignments(cell["params"])
            if cell.get("check"):
                item["check"] = cell["check"]
            if cell.get("problem"):
                item["problem"] = cell["problem"]
            if not cell["id"]:
                raise _EntryProblem("id", "no problem id")
            if "student" in cell and not cell["student"]:
                raise _EntryProblem("student", "no student named in this row")
            _fill(e, _common_fields(item))
        except _EntryProblem as p:
            e.problem_error = (p.field, p.message)
            continue
        except NNCheckError as err:
            e.problem_error = ("params", err.message)
            continue
        e.part = cell["part"] or None
        if e.part is None:
            e.problem_error = ("part", "no part named")
        e.answer = cell["answer"] if cell["answer"] else None
    return entries


def split_assignments(text: str) -> dict[str, str]:
    """``"W1=227; F=11 box=[0, 0, 4, 4]"`` -> {"W1": "227", ...}, splitting only outside brackets."""
    from nncheck.generate.variant import parse_assignments

    items: list[str] = []
    depth, cur = 0, ""
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth = max(0, depth - 1)
        if depth == 0 and (ch == ";" or (ch.isspace() and _next_is_assignment(text, i + 1))):
            if cur.strip():
                items.append(cur.strip())
            cur = ""
        else:
            cur += ch
        i += 1
    if cur.strip():
        items.append(cur.strip())
    return parse_assignments(items)


def _next_is_assignment(text: str, i: int) -> bool:
    rest = text[i:].lstrip()
    name = ""
    for ch in rest:
        if ch.isalnum() or ch == "_":
            name += ch
        else:
            return bool(name) and ch == "="
    return False


# ----------------------------------------------------------------------------
# Grading.
# ----------------------------------------------------------------------------
class EntryResult:
    """The outcome for one entry, ready for a table, JSON or a report."""

    __slots__ = ("entry", "status", "score", "feedback", "mistake", "parsed_as", "expected", "topic", "field",
                 "location", "caret", "carried_forward", "drawn")

    def __init__(self, entry: Entry, status: str, *, score: float = 0.0, feedback: str = "", mistake=None,
                 parsed_as=None, expected=None, topic: str = "", field: str | None = None, location: str = "",
                 caret: str | None = None, carried_forward: list[str] | None = None):
        self.entry, self.status, self.score, self.feedback = entry, status, score, feedback
        self.mistake, self.parsed_as, self.expected, self.topic = mistake, parsed_as, expected, topic
        self.field, self.location, self.caret = field, location, caret
        self.carried_forward = carried_forward or []  # earlier parts graded from (error carried forward)
        self.drawn: dict | None = None  # the values the seed drew beside the entry's own (Grader.drawn_note)

    def to_json(self) -> dict:
        e = self.entry
        out = {
            "entry": e.index,
            "where": e.where,
            "line": e.line,
            "problem": e.problem,
            "id": e.family,
            "seed": e.seed,
            "part": e.part,
            "topic": self.topic or None,
            "answer": e.answer,
            "status": self.status,
            "score": round(self.score, 6),
            "feedback": self.feedback,
            "mistake": self.mistake,
            "parsed_as": self.parsed_as,
            "expected": self.expected,
        }
        if e.params:
            out["params"] = dict(e.params)
        if self.carried_forward:
            out["carried_forward"] = list(self.carried_forward)
        if self.drawn:
            out["drawn"] = self.drawn
        if self.status in ("invalid", "error"):
            out["field"] = self.field
            out["location"] = self.location
            if self.caret:
                out["caret"] = self.caret
        return out


class BatchResult:
    def __init__(self, path: str, fmt: str, results: list[EntryResult]):
        self.path, self.format, self.results = path, fmt, results

    @staticmethod
    def _figures(rs: list[EntryResult]) -> dict:
        n = len(rs)
        score = sum(r.score for r in rs)
        out: dict[str, float] = {"entries": n}
        for s in STATUSES:
            out[s] = sum(1 for r in rs if r.status == s)
        out["score"] = round(score, 6)
        out["percent"] = round(100.0 * score / n, 2) if n else 0.0
        return out

    def total(self) -> dict:
        return self._figures(self.results)

    def topics(self) -> dict[str, dict]:
        """Figures per topic, in order of first appearance ('unknown' for unusable entries)."""
        groups: dict[str, list[EntryResult]] = {}
        for r in self.results:
            groups.setdefault(r.topic or "unknown", []).append(r)
        return {t: self._figures(rs) for t, rs in groups.items()}

    @property
    def all_correct(self) -> bool:
        return all(r.status == "correct" for r in self.results)

    def to_json(self) -> dict:
        return {"file": self.path, "format": self.format, "total": self.total(), "topics": self.topics(),
                "entries": [r.to_json() for r in self.results]}


class Grader:
    """Grades entries against a catalog, sharing variants, keys and verdicts between them.

    Two caches, both bounded (least recently used first):

    * per entry's problem as the file names it (family, seed, the entry's own parameters): the
      variant, its topic, its parts, its check digest;
    * per problem *content* (:func:`nncheck.key.cache.content_identity`: the family and every
      parameter value, not the seed): the answer key, each part's expected text and mistakes, and
      the verdict of every distinct answer text.  Two seeds that draw the same numbers (a
      derivation family draws one problem for every seed) are one key and share their verdicts,
      since grading reads only the key, the part and the text.
    """

    #: Problems (variants) and keys kept: past either, the least recently used is forgotten (the
    #: keys stay on disk), so that a worker grading a class with a seed per student does not hold
    #: thousands of SymPy keys, while the keys every student meets stay.
    MAX_PROBLEMS = 2000
    MAX_KEYS = 300
    #: Verdicts kept by what decides them (:meth:`_decided`).
    MAX_DECIDED = 2000

    def __init__(self, catalog: Catalog, *, latex: bool | None = None):
        from collections import OrderedDict

        self.catalog = catalog
        #: Read every answer as LaTeX (True), plain (False) or as it looks (None: each answer with a
        #: backslash, a brace or $ is LaTeX; see nncheck.kinds.grade_answer).
        self.latex = latex
        self._problems: OrderedDict = OrderedDict()  # (family, seed, params) -> {variant, topic, ...}
        self._keys: OrderedDict = OrderedDict()  # content -> {key or key_error, parts, verdicts}
        self._decided: OrderedDict = OrderedDict()  # what decides a verdict -> the verdict (:meth:`_decided_by`)
        #: The student's answers per problem (:func:`answers_by_problem`), for error carried forward.
        self.answers: dict[tuple, tuple[dict[str, str | None], list[str]]] = {}

    @property
    def _verdicts(self) -> dict:
        """Every verdict held, by (content, part, answer text) (for tests and statistics)."""
        return {(c, *k): v for c, hit in self._keys.items() for k, v in hit["verdicts"].items()}

    def trim(self) -> None:
        """Keep the caches within :attr:`MAX_PROBLEMS` and :attr:`MAX_KEYS` (called between sheets)."""
        for cache, bound in ((self._problems, self.MAX_PROBLEMS), (self._keys, self.MAX_KEYS),
                             (self._decided, self.MAX_DECIDED)):
            while len(cache) > bound:
                cache.popitem(last=False)

    def _problem(self, e: Entry):
        """(variant, error field, error message); the key is computed lazily in :meth:`_key`."""
        from nncheck.generate.variant import make_variant

        assert e.family is not None  # an entry without a problem id has a problem_error and is never drawn
        pkey = (e.family, e.seed, tuple(sorted(e.params.items())))
        hit = self._problems.get(pkey)
        if hit is not None:
            self._problems.move_to_end(pkey)
            return pkey, hit
        try:
            record = self.catalog.get(e.family)
        except NNCheckError as err:
            hit = {"error": ("id", err.line())}
        else:
            try:
                variant = make_variant(record, 1 if e.seed is None else e.seed, e.params)
                hit = {"variant": variant, "topic": record["topic"]}
            except NNCheckError as err:
                hit = {"error": ("params" if e.params else "seed", err.line()), "topic": record["topic"]}
        self._problems[pkey] = hit
        return pkey, hit

    #: The kinds whose verdicts are shared between problems (:meth:`_decided_by`): those checked in the
    #: sandbox (nncheck.answer.sandbox), a few milliseconds an answer.
    _SANDBOXED = ("expression", "matexpr", "derivation")

    def _decided_by(self, kp, mistakes: list, text: str) -> tuple | None:
        """Everything a sandboxed verdict is a function of (the part, its key, its mistakes, the text,
        how LaTeX is read), as a hashable value; None for other kinds, or what cannot be told exactly.

        A part whose key does not depend on the numbers (∂L/∂ξ = ŷ − y) is the same question in
        every student's problem, whatever the seed: in a class with a seed per student, most
        expression answers repeat one already graded (58 distinct among 1,156 in bench_grade's class).
        Verdicts are never changed once made (error carried forward makes a new one)."""
        if kp.spec.get("kind") not in self._SANDBOXED and not kp.spec.get("symbols"):
            return None
        try:
            return (_frozen(kp.spec), _frozen(kp.exact), _frozen(mistakes), text, self.latex)
        except TypeError:
            return None

    def drawn_note(self, e: Entry) -> tuple[str, dict] | None:
        """For an entry that gives some parameters and leaves others to the seed: ("Drawn at random
        (seed 1): D1=64, K=96.", {"D1": 64, "K": 96}).  The bank's neutral defaults are not listed:
        they are the subject's own (S = 1, P = 0), as ``show`` prints them apart."""
        if not e.params or e.family is None:
            return None
        hit = self._problems.get((e.family, e.seed, tuple(sorted(e.params.items()))))
        variant = (hit or {}).get("variant")
        if variant is None or not variant.drawn:
            return None
        from nncheck.generate.variant import json_value
        from nncheck.lang.template import fmt_value

        listed = ", ".join(f"{n}={' '.join(fmt_value(variant.params[n]).split())}" for n in variant.drawn)
        return (f"Drawn at random (seed {variant.seed}): {listed}.",
                {n: json_value(variant.params[n]) for n in variant.drawn})

    def _key(self, pkey: tuple, hit: dict) -> dict:
        """The key entry of a problem's content: {"key" or "key_error", "parts", "verdicts"}."""
        content = hit.get("content")
        if content is None:
            from nncheck.key.cache import content_identity

            # A problem whose content cannot be told (a parameter of an unexpected type) is its own.
            content = hit["content"] = content_identity(hit["variant"]) or ("problem", pkey)
        kh = self._keys.get(content)
        if kh is not None:
            self._keys.move_to_end(content)
            return kh
        kh = {"parts": {}, "verdicts": {}}
        # Through the on-disk cache: the processes grading a class share each key (computed once,
        # whichever process meets it first), and so do later runs.
        from nncheck.key.cache import cached_answer_key

        try:
            kh["key"] = cached_answer_key(hit["variant"])
        except NNCheckError as err:
            kh["key_error"] = err.line()
        self._keys[content] = kh
        return kh

    def grade_entry(self, e: Entry, path: str) -> EntryResult:
        """Grade one entry; a wrong answer may earn credit from the same student's answers to the
        problem's other parts (:attr:`answers`; :func:`nncheck.key.grade.carry_forward`)."""

        def invalid(field: str, message: str, topic: str = "", caret: str | None = None,
                    expected: str | None = None) -> EntryResult:
            return EntryResult(e, "invalid", feedback=message, topic=topic, field=field,
                               location=e.location(path, field or None), caret=caret, expected=expected)

        if e.problem_error is not None:
            return invalid(*e.problem_error)
        pkey, hit = self._problem(e)
        topic = hit.get("topic", "")
        if "error" in hit:
            return invalid(hit["error"][0], hit["error"][1], topic)
        variant = hit["variant"]
        if e.check is not None:
            if "check" not in hit:
                from nncheck.key.model import problem_check

                hit["check"] = problem_check(variant)
            if hit["check"] != e.check.strip():
                return invalid("check", f"this is not the problem the file was made for (seed {variant.seed} of "
                                        f"{variant.id} now draws different numbers: was the bank changed?)", topic)
        specs = hit.get("specs")
        if specs is None:
            # ``variant.parts`` evaluates every part's ``when`` formula: do it once per problem.
            specs = hit["specs"] = {p["name"]: p for p in variant.parts}
        spec = specs.get(e.part)
        if spec is None:
            try:
                variant.part(e.part)  # raises the helpful error (did you mean ...? / not asked here)
            except NNCheckError as err:
                return invalid("part", err.line(), topic)
            return invalid("part", f"{variant.id} has no part '{e.part}'", topic)  # pragma: no cover
        kh = self._key(pkey, hit)
        key = kh.get("key")
        if key is None:
            return invalid("id", kh["key_error"], topic)
        name = spec["name"]
        kp = key.parts[name]
        cached = kh["parts"].get(name)
        if cached is None:
            # The key's text and the rendered mistake messages, once per problem and part.
            cached = kh["parts"][name] = (expected_text(kp), key.mistakes_for(name))
        expected, mistakes = cached
        if e.answer is None or not e.answer.strip():
            return EntryResult(e, "unanswered", feedback="no answer given", expected=expected, topic=topic)
        from nncheck import kinds

        # A multi-line answer (a derivation) is graded as typed; any other is stripped first.
        vkey = (name, e.answer if kinds.get(spec["kind"]).multiline else e.answer.strip())
        verdict = kh["verdicts"].get(vkey)
        if verdict is None:
            from nncheck.kinds import grade_answer

            decided = self._decided_by(kp, mistakes, e.answer)
            verdict = self._decided.get(decided) if decided is not None else None
            if verdict is None:
                # Exactly what key.grade.grade(key, name, text) does, with the part and its
                # mistakes looked up once per problem instead of once per answer.
                verdict = grade_answer(kp.spec, kp.exact, e.answer, mistakes, latex=self.latex)
                if decided is not None and not verdict.too_complex:
                    # A check that ran out of time is not shared: another problem tries again.
                    self._decided[decided] = verdict
            else:
                self._decided.move_to_end(decided)
            kh["verdicts"][vkey] = verdict
        if verdict.status == "invalid":
            # The key too: a student who cannot read the answer back still learns what it was.
            return invalid("answer", verdict.feedback, topic, caret=verdict.caret(), expected=expected)
        given, asked = self.answers.get(_problem_of(e), ({}, []))
        if verdict.status == "incorrect" and len(given) > 1:
            from nncheck.key.grade import carry_forward

            others = {k: v for k, v in given.items() if k != name}
            verdict = carry_forward(key, name, e.answer, verdict, others, asked=asked, latex=self.latex)
        return EntryResult(e, verdict.status, score=float(verdict.score), feedback=verdict.feedback,
                           mistake=verdict.mistake, parsed_as=verdict.parsed_as, expected=expected, topic=topic,
                           carried_forward=verdict.carried_forward)


def _frozen(v: Any) -> Any:
    """``v`` as a hashable value equal only to the same value of the same type (1 and 1.0 and True
    apart; a SymPy value by its structure, its symbols' assumptions included).  TypeError for what
    has no exact form here (a callable, an object of another sort)."""
    if v is None or isinstance(v, (str, bool, int, float, Fraction)):
        return (type(v).__name__, v)
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, tuple(_frozen(x) for x in v))
    if isinstance(v, dict):
        return ("dict", tuple(sorted(((type(k).__name__, str(k)), _frozen(x)) for k, x in v.items())))
    if is_sympy(v):
        return ("sympy", v)  # immutable; equal when structurally equal
    if getattr(v, "is_Matrix", False):
        return ("matrix", v.as_immutable())
    if type(v).__module__ == "numpy" and hasattr(v, "tobytes") and v.dtype.kind != "O":
        # (An array of objects would be its pointers' bytes: not a value.)
        return ("numpy", v.dtype.str, getattr(v, "shape", ()), v.tobytes())
    raise TypeError(type(v).__name__)


def grade_sheet(sheet: AnswerSheet, catalog, *, progress=None, latex: bool | None = None,
                grader: Grader | None = None) -> BatchResult:
    """Grade every entry of ``sheet``; ``progress(done, total)`` is called as entries finish.
    ``latex``: read the answers as LaTeX (True), plain (False) or each as it looks (None).
    ``grader``: one shared by the sheets of a class (its variants, keys and verdicts are reused)."""
    if grader is None:
        grader = Grader(catalog, latex=latex)
    results = []
    total = len(sheet.entries)
    grader.answers = answers_by_problem(sheet.entries)
    for i, e in enumerate(sheet.entries, 1):
        try:
            r = grader.grade_entry(e, sheet.path)
            drawn = grader.drawn_note(e)
            if drawn and r.status != "invalid":
                # Your numbers mixed with the seed's: say which values were drawn, as show/solve/check do.
                note, r.drawn = drawn
                r.feedback = f"{r.feedback} {note}" if r.feedback else note
            results.append(r)
        except Exception as exc:  # noqa: BLE001 - a bug in one solver must not sink a whole class's grades
            results.append(EntryResult(e, "error", feedback=f"internal error while grading this entry (please "
                                                            f"report it): {type(exc).__name__}: {exc}",
                                       field="", location=e.location(sheet.path)))
        grader.trim()  # a file holding a whole class meets thousands of problems
        if progress is not None:
            progress(i, total)
    return BatchResult(sheet.path, sheet.format, results)


def _problem_of(e: Entry) -> tuple:
    """Which problem an entry answers: its label in the file, family, seed and numbers."""
    return (e.problem, e.family, e.seed, tuple(sorted(e.params.items())))


def answers_by_problem(entries: list[Entry]) -> dict[tuple, tuple[dict[str, str | None], list[str]]]:
    """Per problem of an answer file (one student's): ({part: answer text, None when blank}, the parts
    it has entries for).  A part answered twice with different texts is ambiguous and counts as not
    answered: no later part is graded from it."""
    out: dict[tuple, tuple[dict[str, str | None], list[str]]] = {}
    twice: set[tuple] = set()
    for e in entries:
        if e.problem_error is not None or e.part is None:
            continue
        given, asked = out.setdefault(_problem_of(e), ({}, []))
        text = e.answer.strip() if e.answer is not None and e.answer.strip() else None
        if e.part in asked:
            if given.get(e.part) != text:
                twice.add((_problem_of(e), e.part))
            continue
        asked.append(e.part)
        given[e.part] = text
    for problem, part in twice:
        out[problem][0][part] = None
    return out


def expected_text(kp) -> str | None:
    """The key's answer for a part as the report shows it: by the numbers policy (exact where short,
    else 4 significant figures, a closed form with its decimal beside it), never 16-digit floats.
    A derivation's key is its worked steps, which carry no floats."""
    from nncheck import kinds

    kind = kinds.get(kp.kind)
    if kind.multiline or kp.exact is None:
        return kp.answer_text()
    return kind.readable(kp.exact)
