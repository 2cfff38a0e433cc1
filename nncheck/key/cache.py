"""Answer keys on disk, so that checking the parts of one problem in turn computes its key once.

``nncheck check`` spends most of its time importing SymPy and computing the key (both
computations, the worked steps, the mistakes).  :func:`cached_answer_key` keeps what grading a
part needs in one JSON file per problem under the cache directory (:func:`nncheck.paths.cache_dir`,
env ``NNCHECK_CACHE_DIR``), and a later check of a part of the same problem reads it back instead.

What is stored, per part of kind number, integer, vector, matrix, boolean or choice: the exact
value (integers, exact rationals, and for a closed form such as ln(2)/3 its float, its value to
40 digits and its text: a :class:`~nncheck.kinds.values.KeyNumber`, which the rounding rule and
the feedback read as they read the SymPy value), the NumPy value (error carried forward reads
the shape and size of an honest attempt from it), the tolerance (compared with the bank's on
load) and each declared mistake's value; not the worked steps, which grading does not read.
Grading from it gives the verdict grading from a fresh key gives, without SymPy
(``tests/core/test_key_cache.py`` checks this for every family).  Expression and derivation
parts are not stored: checking one computes the key.

The identity of an entry is everything the key depends on: nncheck's version and source files
(path, size, mtime), SymPy's and NumPy's installation, the *content* of the family's bank file,
the family id and every parameter value (hidden ones included), not the seed: a solver reads only
the values, so two seeds that draw the same numbers (a derivation family draws one problem for
every seed) have one key, computed once (:func:`content_identity`).  The identity is stored in the entry and
compared on load; the file name is its digest.

The cache directory is the user's to write: an entry is untrusted input.  It is JSON (never
pickle), size-capped, read through :func:`nncheck.paths.read_regular`, checksummed, and checked
value by value against the part's kind and the variant's parts; any doubt is a miss, and the key
is computed again and the entry rewritten.  Nothing in it is evaluated or parsed as an answer: a
closed form's text is only ever shown.  Writes are atomic (a temporary file, then ``os.replace``)
and best effort (a read-only cache only costs speed); the directory is bounded
(:data:`MAX_ENTRIES`, :data:`MAX_TOTAL_BYTES`), the least recently used entries evicted first.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Collection, Iterable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from nncheck import __version__
from nncheck.key.model import AnswerKey, KeyPart
from nncheck.kinds.values import KeyNumber, is_sympy
from nncheck.paths import MAX_BANK_FILE_BYTES, cache_dir, read_regular

if TYPE_CHECKING:
    from nncheck.generate.variant import Variant

#: The entry format; a change of layout changes it, and an entry of another format is a miss.
FORMAT = 1
#: The kinds whose values are stored; the others (expression, derivation) need the fresh key.
STORED_KINDS = ("number", "integer", "vector", "matrix", "boolean", "choice")
#: One entry's size; a larger key is not stored (and a larger file is not one of ours).
MAX_ENTRY_BYTES = 1 << 20
#: Entries kept, and their bytes together; past either, the least recently used go first.  A class of
#: 1,000 students with seeds of their own has about 7,000 problems: a second run finds every key.
MAX_ENTRIES = 20_000
MAX_TOTAL_BYTES = 128 << 20
#: After an eviction the cache holds at most this share of either bound, so that a full cache
#: is not listed again at every write.
EVICT_TO = 0.8
#: Characters of one stored text (a closed form's, a choice) and digits of one stored integer.
MAX_TEXT = 4000
MAX_DIGITS = 4000
#: Entries of one stored array (a variant's arrays hold at most 1,000; mistakes' values alike).
MAX_ARRAY = 10_000
#: A temporary file older than this is a write that died half way: eviction removes it.
STALE_TMP_SECONDS = 3600

_SUFFIX = ".json"


class _Doubt(Exception):
    """An entry that is not exactly what this module writes: a miss."""


class _Unstorable(Exception):
    """A value this module cannot store so that grading reads it back the same."""


class CachedAnswerKey(AnswerKey):
    """An answer key read from the cache, for grading: every part's spec and kind, and the values of
    the parts in :attr:`stored` (the others are expression or derivation parts, graded only from a
    fresh key).  It holds no worked steps: views and exports use :func:`~nncheck.key.compute.answer_key`."""

    def __init__(self, variant: Variant, parts: dict[str, KeyPart], mistakes: dict[str, dict[str, Any]],
                 preamble: list[str], stored: Collection[str]) -> None:
        super().__init__(variant, parts, mistakes, preamble)
        self.stored = frozenset(stored)

    def part(self, name: str) -> KeyPart:
        kp = super().part(name)
        if name not in self.stored:
            # cached_answer_key returns this key only for stored parts: reaching here is a bug.
            raise LookupError(f"part {name} of {self.variant.id} is not in the cached key")
        return kp


# ----------------------------------------------------------------------------
# The one entry point.
# ----------------------------------------------------------------------------
def cached_answer_key(variant: Variant, parts: Iterable[str] | None = None) -> AnswerKey:
    """The key of ``variant``: from the cache when it holds the values of ``parts`` (default:
    every part), else computed by :func:`nncheck.key.compute.answer_key` and stored."""
    from nncheck.key import compute

    ident = identity(variant)
    needed = [p["name"] for p in variant.parts] if parts is None else list(parts)
    entry_ok = False
    if ident is not None:
        path = entry_path(ident)
        try:
            cached = load(variant, ident, path)
        except _Doubt:
            cached = None  # corrupt, altered or stale: computed again and rewritten below
        if cached is not None:
            entry_ok = True
            if all(n in cached.stored for n in needed):
                _touch(path)
                return cached
    key = compute.answer_key(variant)
    if ident is not None and not entry_ok:  # a valid entry without these parts would be written alike
        store(key, ident)
    return key


# ----------------------------------------------------------------------------
# Identity.
# ----------------------------------------------------------------------------
def identity(variant: Variant) -> str | None:
    """Everything the key of ``variant`` depends on, as text; None when it cannot be told (a family
    not read from a bank file, a parameter value of an unexpected type): such a key is not cached."""
    fam = variant.family
    path = fam.get("_file")
    if not isinstance(path, str):
        return None
    try:
        bank = _bank_digest(path)
        params = _canon(variant.params)
    except (OSError, _Unstorable):
        return None
    return "\n".join([
        f"format {FORMAT}", f"nncheck {__version__}", f"python {sys.version_info[:2]}",
        f"code {_code_stamp()}", f"libraries {_library_stamp()}",
        f"bank {bank}", f"family {variant.id}",
        f"overrides {sorted(variant.overrides)!r}", f"params {params}",
    ])


def content_identity(variant: Variant) -> tuple[str, str, tuple[str, ...]] | None:
    """What a key is computed from, within one process (one catalogue): the family id, every
    parameter value (the solver's ``p``; the derived values and rendered messages follow from them)
    and which of them the user gave.  Not the seed.  None when a value cannot be written exactly."""
    try:
        return variant.id, _canon(variant.params), tuple(sorted(variant.overrides))
    except _Unstorable:
        return None


_BANKS: dict[str, tuple[tuple[int, int, int], str]] = {}


def _bank_digest(path: str) -> str:
    """The digest of a bank file's content, read again only when its inode, size or mtime changed
    (grading a class asks for the identity of thousands of keys of a few bank files)."""
    st = os.stat(path)
    stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
    hit = _BANKS.get(path)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    digest = _digest(read_regular(path, MAX_BANK_FILE_BYTES))
    _BANKS[path] = (stamp, digest)
    return digest


def entry_path(ident: str) -> str:
    return os.path.join(keys_dir(), _digest(ident.encode()) + _SUFFIX)


def keys_dir() -> str:
    return os.path.join(cache_dir(), "keys")


def _digest(data: bytes) -> str:
    """BLAKE2b from CPython's built-in ``_blake2``: ``hashlib`` would load OpenSSL (~2 ms) on every check."""
    try:
        from _blake2 import blake2b
    except ImportError:  # another Python: hashlib's
        from hashlib import blake2b
    return blake2b(data, digest_size=16).hexdigest()


def _canon(value: Any) -> str:
    """Parameter values as text, exactly (a Fraction as p/q, a float by its repr), for the identity."""
    if value is None or isinstance(value, (bool, str)) or type(value) is int:
        return repr(value)
    if type(value) is float:
        return f"f{value!r}"
    if type(value) is Fraction:
        return f"q{value.numerator}/{value.denominator}"
    if type(value) is list:
        return "[" + ",".join(_canon(v) for v in value) + "]"
    if type(value) is tuple:
        return "(" + ",".join(_canon(v) for v in value) + ")"
    if type(value) is dict:
        return "{" + ",".join(f"{k!r}:{_canon(v)}" for k, v in sorted(value.items(), key=lambda kv: repr(kv[0]))) + "}"
    raise _Unstorable(type(value).__name__)


_CODE_STAMP: str | None = None


def _code_stamp() -> str:
    """nncheck's source files (path, size, mtime): an edited solver or kind is a different key.
    (The version alone would not change while a checkout is being worked on.)"""
    global _CODE_STAMP
    if _CODE_STAMP is None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        found: list[str] = []
        stack = [root]
        while stack:
            d = stack.pop()
            try:
                with os.scandir(d) as it:
                    for e in it:
                        if e.is_dir(follow_symlinks=False):
                            if e.name != "__pycache__":
                                stack.append(e.path)
                        elif e.name.endswith(".py"):
                            st = e.stat()
                            found.append(f"{os.path.relpath(e.path, root)}|{st.st_size}|{st.st_mtime_ns}")
            except OSError:
                found.append(f"{d}|unreadable")
        _CODE_STAMP = _digest("\n".join(sorted(found)).encode())
    return _CODE_STAMP


_LIBRARY_STAMP: str | None = None


def _library_stamp() -> str:
    """SymPy's and NumPy's installations: an upgrade may print a closed form differently.
    (Read once a process, like :func:`_code_stamp`.)"""
    global _LIBRARY_STAMP
    if _LIBRARY_STAMP is None:
        _LIBRARY_STAMP = _find_libraries()
    return _LIBRARY_STAMP


def _find_libraries() -> str:
    from importlib.util import find_spec

    out = []
    for name in ("sympy", "numpy"):
        try:
            spec = find_spec(name)
            origin = spec.origin if spec else None
            out.append(f"{name}:{origin}:{os.stat(origin).st_mtime_ns}" if origin else f"{name}:-")
        except (OSError, ImportError, ValueError):
            out.append(f"{name}:?")
    return ";".join(out)


# ----------------------------------------------------------------------------
# Values: what grading reads, and nothing else.
# ----------------------------------------------------------------------------
def encode(value: Any) -> Any:
    """A key value as JSON, so that :func:`decode` gives a value every kind grades alike.

    ``None``, bools, ints, floats and strings are themselves; a rational is ``{"q": "p/q"}``; a
    closed form ``{"c": text, "f": float, "d": "p/q" or null}`` (its 40 digits); a vector or
    matrix nested lists.  Anything else (a NumPy integer, a tuple, an expression with symbols)
    raises :class:`_Unstorable`: grading reads those differently, so the part is not stored.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if type(value) is int:
        return value
    if isinstance(value, float):  # a float or np.float64 (a float subclass), read alike
        return float(value)
    if type(value) is Fraction:
        return {"q": f"{value.numerator}/{value.denominator}"}
    if type(value) is list:
        return [encode(v) for v in value]
    if is_sympy(value) and getattr(value, "is_number", False) and not getattr(value, "is_Matrix", False):
        if value.is_Integer:
            return int(value)
        if value.is_Rational:
            return {"q": f"{int(value.p)}/{int(value.q)}"}
        return _closed_form(value)
    if getattr(value, "is_Matrix", False) or (hasattr(value, "tolist") and getattr(value, "ndim", 0) > 0):
        # A SymPy Matrix or a NumPy array: kinds read both through .tolist() (kinds.values.to_list).
        return encode(value.tolist())
    raise _Unstorable(type(value).__name__)


def _closed_form(value: Any) -> dict[str, Any]:
    from nncheck.kinds.tolerance import key_fraction
    from nncheck.kinds.values import number_text, to_float

    try:
        f = to_float(value)
        digits = key_fraction(value)
        text = number_text(value)
    except (TypeError, ValueError, OverflowError, ArithmeticError) as e:
        raise _Unstorable(str(e)) from None
    return {"c": text, "f": f, "d": None if digits is None else f"{digits.numerator}/{digits.denominator}"}


def decode(data: Any, depth: int = 0) -> Any:
    """The value :func:`encode` wrote; :class:`_Doubt` for anything else."""
    if data is None or isinstance(data, (bool, float)):
        return data
    if isinstance(data, int):
        return data
    if isinstance(data, str):
        return _text(data)
    if isinstance(data, list):
        if depth >= 2 or len(data) > MAX_ARRAY:
            raise _Doubt("array too deep or too long")
        return [decode(v, depth + 1) for v in data]
    if isinstance(data, dict):
        if set(data) == {"q"}:
            return _fraction(data["q"])
        if set(data) == {"c", "f", "d"}:
            f = data["f"]
            if isinstance(f, bool) or not isinstance(f, (int, float)):
                raise _Doubt("closed form without a float")
            d = data["d"]
            return KeyNumber(_text(data["c"]), float(f), None if d is None else _fraction(d))
    raise _Doubt(f"unexpected {type(data).__name__}")


def _text(s: Any) -> str:
    # Shown in feedback, never parsed: printable text of a bounded length (no terminal escapes).
    if not isinstance(s, str) or len(s) > MAX_TEXT or not s.isprintable():
        raise _Doubt("text")
    return s


def _fraction(s: Any) -> Fraction:
    if not isinstance(s, str) or s.count("/") != 1:
        raise _Doubt("fraction")
    p, q = s.split("/")
    if not (_digits(p.removeprefix("-")) and _digits(q)) or int(q) == 0:
        raise _Doubt("fraction")
    return Fraction(int(p), int(q))


def _digits(s: str) -> bool:
    return 0 < len(s) <= MAX_DIGITS and s.isascii() and s.isdigit()


def _is_scalar(v: Any) -> bool:
    return (isinstance(v, (int, float, Fraction, KeyNumber)) and not isinstance(v, bool))


def _array(v: Any) -> bool:
    """Numbers in a list, or in rectangular rows (a matrix, or a vector as a SymPy column gives it)."""
    if not isinstance(v, list) or not v:
        return False
    if all(_is_scalar(x) for x in v):
        return True  # a vector, or a matrix a solver gives flat (the kind reads its shape the same)
    if not all(isinstance(r, list) and r and all(_is_scalar(x) for x in r) for r in v):
        return False
    return len({len(r) for r in v}) == 1


def _fits(kind: str, v: Any) -> bool:
    """Is ``v`` a value a part of ``kind`` can be graded against (``None``: it does not fit)?"""
    if v is None:
        return True
    if kind in ("number", "integer"):
        return _is_scalar(v)
    if kind in ("vector", "matrix"):
        return _array(v)
    if kind == "boolean":
        return isinstance(v, bool)
    if kind == "choice":
        return isinstance(v, str)
    return False


def _numeric_fits(kind: str, v: Any) -> bool:
    """The NumPy value: read only for its entries' floats and its shape (error carried forward)."""
    return _fits(kind, v) or (kind in ("number", "integer") and isinstance(v, bool))


# ----------------------------------------------------------------------------
# Entries.
# ----------------------------------------------------------------------------
def entry(key: AnswerKey, ident: str) -> dict[str, Any]:
    """The JSON entry of ``key``: its parts (values only for the stored kinds), mistakes and steps.

    A part's values are stored only when every one of them (the exact value, the NumPy value, each
    declared mistake's) reads back as :func:`load` checks it: a part whose mistake could not be
    stored is not stored at all, so no verdict from the cache misses a mistake a fresh key names.
    """
    declared = [str(m["id"]) for m in key.variant.family.get("mistakes", [])]
    parts = []
    stored_mistakes: dict[str, dict[str, Any]] = {mid: {} for mid in declared}
    for spec in key.variant.parts:
        name = spec["name"]
        kp = key.parts[name]
        item: dict[str, Any] = {"name": name, "kind": kp.kind}
        try:
            if kp.kind not in STORED_KINDS or spec.get("symbols"):
                raise _Unstorable(kp.kind)
            values = {"exact": encode(kp.exact), "numeric": encode(kp.numeric)}
            if not (_fits(kp.kind, decode(values["exact"])) and _numeric_fits(kp.kind, decode(values["numeric"]))):
                raise _Unstorable(name)
            wrong: dict[str, Any] = {}
            for mid in declared:
                by_part = key.mistakes.get(mid) or {}
                if name in by_part:
                    wrong[mid] = encode(by_part[name])
                    if not _fits(kp.kind, decode(wrong[mid])):
                        raise _Unstorable(f"mistake {mid}")
        except (_Unstorable, _Doubt):
            parts.append(item)
            continue
        item.update(values, tolerance=kp.tolerance())
        parts.append(item)
        for mid, enc in wrong.items():
            stored_mistakes[mid][name] = enc
    body = {"format": FORMAT, "identity": ident, "parts": parts, "mistakes": stored_mistakes}
    return {**body, "checksum": _checksum(body)}


def _checksum(body: dict[str, Any]) -> str:
    return _digest(json.dumps(body, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode())


def store(key: AnswerKey, ident: str) -> None:
    """Write ``key``'s entry atomically; best effort (an unwritable cache only costs speed)."""
    try:
        data = json.dumps(entry(key, ident), ensure_ascii=True, separators=(",", ":")).encode()
    except (ValueError, TypeError, RecursionError):
        return
    if len(data) > MAX_ENTRY_BYTES:
        return
    path = entry_path(ident)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        try:
            os.remove(tmp)
        except OSError:
            pass
        return
    _bound(os.path.dirname(path), len(data))


#: Per keys directory, (entries, bytes) this process may still write before it lists the directory
#: again (:func:`_bound`).
_BUDGET: dict[str, tuple[int, int]] = {}


def _bound(directory: str, written: int) -> None:
    """Keep the cache within its bounds without listing it at every write: listing 20,000 entries at
    each of a class's 7,000 writes would cost more than the keys.  A listing (with eviction) gives the
    room left; this process then writes a quarter of it before listing again, so that a few processes
    grading one class at the same time stay within the bounds too."""
    entries, size = _BUDGET.get(directory, (0, 0))
    entries, size = entries - 1, size - written
    if entries < 0 or size < 0:
        _, count, total = _evict(directory, MAX_ENTRIES, MAX_TOTAL_BYTES)
        entries, size = (MAX_ENTRIES - count) // 4, (MAX_TOTAL_BYTES - total) // 4
    _BUDGET[directory] = (entries, size)


def load(variant: Variant, ident: str, path: str | None = None) -> CachedAnswerKey | None:
    """The cached key of ``variant``: None when there is no entry, :class:`_Doubt` when there is one
    that is not exactly what :func:`store` writes for this variant."""
    path = path or entry_path(ident)
    try:
        raw = read_regular(path, MAX_ENTRY_BYTES)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise _Doubt(str(e)) from None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as e:  # UnicodeDecodeError is a ValueError
        raise _Doubt(str(e)) from None
    if not isinstance(data, dict) or set(data) != {"format", "identity", "parts", "mistakes", "checksum"}:
        raise _Doubt("layout")
    body = {k: v for k, v in data.items() if k != "checksum"}
    if data["format"] != FORMAT or data["identity"] != ident or data["checksum"] != _checksum(body):
        raise _Doubt("another key, or altered")
    specs = variant.parts
    items = data["parts"]
    if not isinstance(items, list) or len(items) != len(specs):
        raise _Doubt("parts")
    parts: dict[str, KeyPart] = {}
    stored: set[str] = set()
    for spec, item in zip(specs, items):
        name, kind = spec["name"], spec["kind"]
        if not isinstance(item, dict) or item.get("name") != name or item.get("kind") != kind:
            raise _Doubt(f"part {name}")
        if set(item) == {"name", "kind"}:
            parts[name] = KeyPart(name, kind, _NOT_STORED, _NOT_STORED, [], spec)
            continue
        if set(item) != {"name", "kind", "exact", "numeric", "tolerance"} or kind not in STORED_KINDS \
                or spec.get("symbols"):
            raise _Doubt(f"part {name}")
        exact, numeric = decode(item["exact"]), decode(item["numeric"])
        if not _fits(kind, exact) or not _numeric_fits(kind, numeric):
            raise _Doubt(f"part {name}: value")
        kp = KeyPart(name, kind, exact, numeric, [], spec)
        if item["tolerance"] != kp.tolerance():
            raise _Doubt(f"part {name}: tolerance")
        parts[name] = kp
        stored.add(name)
    mistakes: dict[str, dict[str, Any]] = {}
    declared = {str(m["id"]) for m in variant.family.get("mistakes", [])}
    if not isinstance(data["mistakes"], dict):
        raise _Doubt("mistakes")
    for mid, values in data["mistakes"].items():
        if mid not in declared or not isinstance(values, dict):
            raise _Doubt(f"mistake {mid}")
        kept: dict[str, Any] = {}
        for part, enc in values.items():
            if part not in stored:
                raise _Doubt(f"mistake {mid}: part {part}")
            value = decode(enc)
            if not _fits(parts[part].kind, value):
                raise _Doubt(f"mistake {mid}: value")
            kept[part] = value
        mistakes[mid] = kept
    return CachedAnswerKey(variant, parts, mistakes, [], stored)


class _NotStored:
    """The value of a part the cache does not hold (never graded: see :class:`CachedAnswerKey`)."""

    def __repr__(self) -> str:
        return "<not stored>"


_NOT_STORED = _NotStored()


def _touch(path: str) -> None:
    """A hit makes the entry the most recently used (eviction goes by modification time)."""
    try:
        os.utime(path)
    except OSError:
        pass


def evict(directory: str | None = None, *, max_entries: int | None = None, max_bytes: int | None = None) -> int:
    """Remove the least recently used entries while the cache holds more than :data:`MAX_ENTRIES`
    entries or :data:`MAX_TOTAL_BYTES` bytes (down to :data:`EVICT_TO` of them), and temporary files
    left by writes that died.  Returns how many files were removed; never raises."""
    directory = directory or keys_dir()
    max_entries = MAX_ENTRIES if max_entries is None else max_entries
    max_bytes = MAX_TOTAL_BYTES if max_bytes is None else max_bytes
    return _evict(directory, max_entries, max_bytes)[0]


def _evict(directory: str, max_entries: int, max_bytes: int) -> tuple[int, int, int]:
    """:func:`evict`: (files removed, entries left, their bytes)."""
    import time

    found: list[tuple[int, int, str]] = []
    removed = 0
    now = time.time()
    try:
        with os.scandir(directory) as it:
            for e in it:
                try:
                    if not e.is_file(follow_symlinks=False):
                        continue
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    continue
                if e.name.endswith(".tmp"):
                    if now - st.st_mtime > STALE_TMP_SECONDS and _remove(e.path):
                        removed += 1
                elif e.name.endswith(_SUFFIX):
                    found.append((st.st_mtime_ns, st.st_size, e.path))
    except OSError:
        return removed, 0, 0
    total = sum(size for _, size, _ in found)
    count = len(found)
    if count <= max_entries and total <= max_bytes:
        return removed, count, total
    found.sort()
    for _, size, path in found:
        if count <= max_entries * EVICT_TO and total <= max_bytes * EVICT_TO:
            break
        if _remove(path):
            removed += 1
        count -= 1
        total -= size
    return removed, count, total


def _remove(path: str) -> bool:
    try:
        os.remove(path)
        return True
    except OSError:
        return False
