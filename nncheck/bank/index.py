"""Find bank files, load them (through a JSON cache), and look families up by id.

Validating YAML needs PyYAML and pydantic (~80 ms of imports); reading the cached
result needs only ``marshal`` (built in, and faster to read than JSON).  The cache key
covers the Python version, nncheck's version and every bank file's path and *content*
(a digest of its bytes, not its size and mtime: an edit in place that keeps both would
otherwise keep the old catalogue), so an edited bank is re-validated on the next run.

Loading is bounded whatever the banks given: at most :data:`MAX_BANK_FILES` files given,
:data:`MAX_BANK_BYTES` bytes and :data:`nncheck.bank.compile.MAX_FAMILIES` families in
all (the bundled banks included), each refused with one line before any of it is validated.
"""

from __future__ import annotations

import marshal
import os
import sys

from nncheck import __version__
from nncheck.errors import BankError, BankErrors, NNCheckError, UnknownFamily
from nncheck.paths import MAX_BANK_FILE_BYTES, bundled_banks_dir, cache_dir, extra_bank_dirs, first_past, read_regular

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (this module is on the start-up path)
if TYPE_CHECKING:
    from nncheck.records import FamilyRecord, FamilySummary

_SCHEMA_FILES = ("schema.py", "compile.py", "index.py")

# Validating a bank costs a few milliseconds per family (its formulas are parsed and a few
# instances drawn and keyed), so the banks one command loads are bounded, and a directory of
# ten thousand files is refused at once instead of validated for minutes.
MAX_BANK_FILES = 500  # bank files given with --bank, NNCHECK_BANKS or to 'bank validate/test'
_MAX_CACHE_BYTES = 1 << 28  # a cache index is far smaller; a larger file is not one of ours
MAX_BANK_BYTES = 4_000_000  # all bank files together, the bundled ones included (each: MAX_BANK_FILE_BYTES)


def bank_files(dirs: list[str]) -> list[str]:
    """Every ``*.yaml``/``*.yml`` file in ``dirs`` (a file path may be given directly).

    At most :data:`MAX_BANK_FILES` of them: more is a BankError naming the limit.  A name
    that is not a regular file (a named pipe called ``x.yaml``) is kept: reading it fails
    with one line, without blocking (:func:`nncheck.paths.read_regular`).
    """
    out = []
    for d in dirs:
        if os.path.isfile(d):
            out.append(os.path.abspath(d))
            continue
        if not os.path.isdir(d):
            if os.path.exists(d):
                out.append(os.path.abspath(d))  # a pipe or device given by name: refused when read
                continue
            raise BankError("no such bank directory or file", file=d)
        for name in sorted(os.listdir(d)):
            if name.endswith((".yaml", ".yml")) and not name.startswith("."):
                out.append(os.path.abspath(os.path.join(d, name)))
    if len(out) > MAX_BANK_FILES:
        raise BankError(f"{len(out):,} bank files; the limit is {MAX_BANK_FILES:,} at once",
                        file=", ".join(dirs) if len(dirs) <= 3 else f"{dirs[0]} and {len(dirs) - 1} more",
                        hint="give fewer files or directories")
    return out


def check_bank_bytes(files: list[str], limit: int | None = None) -> None:
    """Refuse, before reading any, bank files that hold more than :data:`MAX_BANK_BYTES` together."""
    limit = MAX_BANK_BYTES if limit is None else limit
    past = first_past(files, limit)
    if past is not None:
        raise BankError(f"the bank files hold more than {limit:,} bytes together (the limit)", file=past,
                        hint="give fewer or smaller bank files")


def _digest(data: bytes) -> str:
    """A digest of a bank file's bytes.  ``_blake2`` is CPython's built-in module, not OpenSSL:
    ``import hashlib`` loads OpenSSL, about 2 ms of the start-up budget."""
    try:
        from _blake2 import blake2b
    except ImportError:  # another Python: hashlib's, whatever it costs
        from hashlib import blake2b
    return blake2b(data, digest_size=16).hexdigest()


def _cache_key(files: list[str]) -> tuple[str, str]:
    """(short name for the cache file, the full key stored inside it and compared on load).

    Reads every bank file (the digest is of its content; :func:`check_bank_bytes` has bounded
    them).  A file that cannot be read is keyed by why, and compiling it says so with one line.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    # marshal's format belongs to the Python version, so the version is part of the key.
    parts = [__version__, sys.version]
    for name in _SCHEMA_FILES:
        try:
            parts.append(str(os.stat(os.path.join(here, name)).st_mtime_ns))
        except OSError:
            parts.append("-")
    for f in files:
        try:
            data = read_regular(f, MAX_BANK_FILE_BYTES)
        except OSError as e:
            parts.append(f"{f}|unreadable|{type(e).__name__}|{e.strerror or e}")
            continue
        parts.append(f"{f}|{len(data)}|{_digest(data)}")
    # No hashlib (loading OpenSSL costs ~2 ms of the start-up budget) and no zlib (~0.5 ms):
    # the full key is stored in the cache and compared on load, so the file name only has to
    # spread different keys, which the key's bytes read as one integer modulo a 64-bit prime do.
    full = "\n".join(parts)
    digest = int.from_bytes(full.encode(), "little") % 0xFFFFFFFFFFFFFFC5
    return f"{digest:016x}", full


def summary(record: FamilyRecord) -> FamilySummary:
    """What ``nncheck list`` needs of a family (param and part names, not their specs)."""
    return {"id": record["id"], "topic": record["topic"], "title": record["title"],
            "source": record.get("source", ""), "difficulty": record.get("difficulty", 2),
            "_origin": record.get("_origin", "bundled"), "params": list(record["params"]),
            "parts": [{"name": p["name"]} for p in record["parts"]]}


class Catalog:
    """All families available to one command: bundled banks plus ``--bank`` and ``NNCHECK_BANKS``.

    Built from records, or lazily from the cache: ``summaries`` for listing, and each
    family's record read from the cache's data file only when it is asked for (``nncheck
    show`` needs one family, not all forty).
    """

    def __init__(self, records: list[FamilyRecord] | None = None, warnings: list[str] | None = None, *,
                 summaries: list[FamilySummary] | None = None, offsets: dict[str, tuple[int, int]] | None = None,
                 data_path: str = ""):
        self.warnings = warnings or []
        self._offsets = offsets or {}
        self._data_path = data_path
        self._by_id: dict[str, FamilyRecord] = {}
        if records is not None:
            self._records: list[FamilyRecord] | None = list(records)
            self._by_id = {r["id"]: r for r in self._records}
            self.summaries = [summary(r) for r in self._records]
        else:
            self._records = None
            self.summaries = list(summaries or [])

    @property
    def by_id(self) -> _ById:
        """id -> record, read lazily (``fid in catalog.by_id`` decodes nothing)."""
        return _ById(self)

    def __contains__(self, family_id: str) -> bool:
        return any(s["id"] == family_id for s in self.summaries)

    @property
    def records(self) -> list[FamilyRecord]:
        if self._records is None:
            self._records = [self.get(s["id"]) for s in self.summaries]
        return self._records

    def ids(self) -> list[str]:
        return [s["id"] for s in self.summaries]

    def get(self, family_id: str) -> FamilyRecord:
        rec = self._by_id.get(family_id)
        if rec is not None:
            return rec
        where = self._offsets.get(family_id)
        if where is not None:
            with open(self._data_path, "rb") as fh:
                fh.seek(where[0])
                rec = self._by_id[family_id] = marshal.loads(fh.read(where[1]))
            return rec
        import difflib

        close = difflib.get_close_matches(family_id, self.ids(), n=3, cutoff=0.5)
        # "iou" should find "detection.iou": match on the last component too.
        tail = [i for i in self.ids() if i.split(".")[-1] == family_id or i.endswith("." + family_id)]
        for t in tail:
            if t not in close:
                close.insert(0, t)
        hint = (f"did you mean {' or '.join(repr(c) for c in close[:3])}?" if close
                else "run 'nncheck list' to see the ids")
        raise UnknownFamily(f"unknown problem id '{family_id}'", hint=hint) from None

    def topics(self) -> list[str]:
        seen: list[str] = []
        for s in self.summaries:
            if s["topic"] not in seen:
                seen.append(s["topic"])
        return seen

    def select_summaries(self, topics=None, families=None) -> list[FamilySummary]:
        """Summaries of the families matching any of ``topics`` (or id prefixes) and/or ``families``."""
        if not topics and not families:
            return list(self.summaries)
        by_id = {s["id"]: s for s in self.summaries}
        out: list[FamilySummary] = []
        for fid in families or []:
            self.get(fid)  # a helpful error for an unknown id
            if by_id[fid] not in out:
                out.append(by_id[fid])
        known_topics = set(self.topics())
        for t in topics or []:
            matched = [s for s in self.summaries if s["topic"] == t or s["id"].startswith(t + ".") or s["id"] == t]
            if not matched:
                import difflib

                m = difflib.get_close_matches(t, sorted(known_topics), n=1)
                hint = f"did you mean '{m[0]}'?" if m else f"topics: {', '.join(sorted(known_topics))}"
                raise NNCheckError(f"unknown topic '{t}'", hint=hint)
            for s in matched:
                if s not in out:
                    out.append(s)
        return out

    def select(self, topics=None, families=None) -> list[FamilyRecord]:
        """Full records of the families matching any of ``topics`` and/or ``families``."""
        return [self.get(s["id"]) for s in self.select_summaries(topics, families)]


class _ById:
    """A read-only mapping view of a catalogue by family id."""

    def __init__(self, catalog: Catalog):
        self._catalog = catalog
        self._ids = [s["id"] for s in catalog.summaries]

    def __contains__(self, family_id) -> bool:
        return family_id in self._ids

    def __getitem__(self, family_id: str) -> FamilyRecord:
        if family_id not in self._ids:
            raise KeyError(family_id)
        return self._catalog.get(family_id)

    def get(self, family_id: str, default=None):
        return self[family_id] if family_id in self._ids else default

    def __iter__(self):
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def keys(self):
        return list(self._ids)


def load_catalog(extra_dirs: list[str] | None = None, *, use_cache: bool = True, strict: bool = False) -> Catalog:
    """Load the bundled banks plus ``extra_dirs`` and ``NNCHECK_BANKS``.

    A broken bank file is skipped with a warning (the other banks keep working) unless
    ``strict``.  Id clashes name both files.  The bundled banks are kept valid by the tests.
    """
    bundled = bank_files([bundled_banks_dir()])
    extra = bank_files(list(extra_dirs or []) + extra_bank_dirs())
    files = bundled + [f for f in extra if f not in bundled]
    check_bank_bytes(files)
    key, full_key = _cache_key(files)
    cache_path = os.path.join(cache_dir(), f"catalog-{key}.index")
    if use_cache:
        try:
            # read_regular: whatever sits at the cache's name, a read never blocks (a named pipe).
            blob = marshal.loads(read_regular(cache_path, _MAX_CACHE_BYTES))
            data_path = cache_path[: -len(".index")] + ".data"
            if blob.get("key") == full_key and os.path.getsize(data_path) == blob["data_size"]:
                return Catalog(warnings=blob.get("warnings", []), summaries=blob["summaries"],
                               offsets=blob["offsets"], data_path=data_path)
        except (OSError, ValueError, KeyError, AttributeError, EOFError, TypeError):
            pass
    records: list[FamilyRecord] = []
    warnings: list[str] = []
    from nncheck.bank.compile import compile_loaded, load_banks
    from nncheck.topics import solver_names

    names = solver_names()
    owner: dict[str, str] = {}
    # Every file's YAML first: too many families in all is refused before any is validated.
    for loaded in load_banks(files, max_bytes=MAX_BANK_BYTES):
        f = loaded.path
        try:
            if loaded.error is not None:
                raise loaded.error
            recs = compile_loaded(f, loaded.data, loaded.lines, solver_names=names)
        except (BankError, BankErrors) as e:
            if strict:
                raise
            warnings.append(f"skipped bank {f}: {e.line()}")
            continue
        clash = [r for r in recs if r["id"] in owner]
        if clash:
            r = clash[0]
            err = BankError(f"problem id '{r['id']}' is already defined in {owner[r['id']]}",
                            file=f, line=r.get("_line"), field="id")
            if strict:
                raise err
            warnings.append(f"skipped bank {f}: {err.line()}")
            continue
        for r in recs:
            owner[r["id"]] = f"{r['_file']}:{r.get('_line')}"
            r["_origin"] = "bundled" if f in bundled else f
        records.extend(recs)
    catalog = Catalog(records, warnings)
    if use_cache:
        _write_cache(cache_path, full_key, warnings, records)
    return catalog


def _write_cache(path: str, full_key: str, warnings: list[str], records: list[FamilyRecord]) -> None:
    """Best effort: a read-only cache directory only costs speed.

    Two files: ``.data`` holds each record marshalled, back to back; ``.index`` holds the
    key, the summaries and each record's (offset, length).  The index is written last, so
    a reader never sees an index without its data.
    """
    data_path = path[: -len(".index")] + ".data"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        chunks, offsets, pos = [], {}, 0
        for r in records:
            b = marshal.dumps(r)  # type: ignore[arg-type]  # a TypedDict is a plain dict at run time
            offsets[r["id"]] = (pos, len(b))
            chunks.append(b)
            pos += len(b)
        for target, payload in ((data_path, b"".join(chunks)),
                                (path, marshal.dumps({"key": full_key, "warnings": warnings, "data_size": pos,
                                                      "summaries": [summary(r) for r in records],
                                                      "offsets": offsets}))):
            tmp = f"{target}.{os.getpid()}.tmp"
            with open(tmp, "wb") as fh:
                fh.write(payload)
            os.replace(tmp, target)
        # Drop older catalogs so the cache does not grow without bound.
        d = os.path.dirname(path)
        keep = {os.path.basename(path), os.path.basename(data_path)}
        for name in os.listdir(d):
            if name.startswith("catalog-") and name not in keep:
                try:
                    if os.path.getmtime(os.path.join(d, name)) < os.path.getmtime(path) - 3600:
                        os.remove(os.path.join(d, name))
                except OSError:
                    pass
    except OSError:
        pass
