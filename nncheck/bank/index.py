"""Find bank files, load them (through a JSON cache), and look families up by id.

Validating YAML needs PyYAML and pydantic (~80 ms of imports); reading the cached
result needs only ``json``.  The cache key covers every bank file's path, size and
mtime plus nncheck's version, so an edited bank is re-validated on the next run.
"""

from __future__ import annotations

import json
import os

from .. import __version__
from ..errors import BankError, BankErrors, NNCheckError, UnknownFamily
from ..paths import bundled_banks_dir, cache_dir, extra_bank_dirs

_SCHEMA_FILES = ("schema.py", "compile.py", "index.py")


def bank_files(dirs: list[str]) -> list[str]:
    """Every ``*.yaml``/``*.yml`` file in ``dirs`` (a file path may be given directly)."""
    out = []
    for d in dirs:
        if os.path.isfile(d):
            out.append(os.path.abspath(d))
            continue
        if not os.path.isdir(d):
            raise BankError("no such bank directory or file", file=d)
        for name in sorted(os.listdir(d)):
            if name.endswith((".yaml", ".yml")) and not name.startswith("."):
                out.append(os.path.abspath(os.path.join(d, name)))
    return out


def _cache_key(files: list[str]) -> tuple[str, str]:
    """(short name for the cache file, the full key stored inside it and compared on load)."""
    here = os.path.dirname(os.path.abspath(__file__))
    parts = [__version__]
    for name in _SCHEMA_FILES:
        try:
            parts.append(str(os.stat(os.path.join(here, name)).st_mtime_ns))
        except OSError:
            parts.append("-")
    for f in files:
        st = os.stat(f)
        parts.append(f"{f}|{st.st_size}|{st.st_mtime_ns}")
    # zlib rather than hashlib: loading OpenSSL costs ~2 ms of the start-up budget, and the
    # full key is compared on load anyway, so a checksum only has to spread file names.
    import zlib

    full = "\n".join(parts)
    raw = full.encode()
    return f"{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}", full


class Catalog:
    """All families available to one command: bundled banks plus ``--bank`` and ``NNCHECK_BANKS``."""

    def __init__(self, records: list[dict], warnings: list[str] | None = None):
        self.records = records
        self.by_id = {r["id"]: r for r in records}
        self.warnings = warnings or []

    def ids(self) -> list[str]:
        return [r["id"] for r in self.records]

    def get(self, family_id: str) -> dict:
        try:
            return self.by_id[family_id]
        except KeyError:
            import difflib

            close = difflib.get_close_matches(family_id, self.ids(), n=3, cutoff=0.5)
            # "iou" should find "detection.iou": match on the last component too.
            tail = [i for i in self.ids() if i.split(".")[-1] == family_id or i.endswith("." + family_id)]
            for t in tail:
                if t not in close:
                    close.insert(0, t)
            hint = f"did you mean {' or '.join(repr(c) for c in close[:3])}?" if close else "run 'nncheck list' to see the ids"
            raise UnknownFamily(f"unknown problem id '{family_id}'", hint=hint) from None

    def topics(self) -> list[str]:
        seen = []
        for r in self.records:
            if r["topic"] not in seen:
                seen.append(r["topic"])
        return seen

    def select(self, topics=None, families=None) -> list[dict]:
        """Families matching any of ``topics`` (or id prefixes) and/or the explicit ``families``."""
        if not topics and not families:
            return list(self.records)
        out = []
        for fid in families or []:
            rec = self.get(fid)
            if rec not in out:
                out.append(rec)
        known_topics = set(self.topics())
        for t in topics or []:
            matched = [r for r in self.records if r["topic"] == t or r["id"].startswith(t + ".") or r["id"] == t]
            if not matched:
                import difflib

                m = difflib.get_close_matches(t, sorted(known_topics), n=1)
                hint = f"did you mean '{m[0]}'?" if m else f"topics: {', '.join(sorted(known_topics))}"
                raise NNCheckError(f"unknown topic '{t}'", hint=hint)
            for r in matched:
                if r not in out:
                    out.append(r)
        return out


def load_catalog(extra_dirs: list[str] | None = None, *, use_cache: bool = True, strict: bool = False) -> Catalog:
    """Load the bundled banks plus ``extra_dirs`` and ``NNCHECK_BANKS``.

    A broken bank file is skipped with a warning (the other banks keep working) unless
    ``strict``.  Id clashes name both files.  The bundled banks are kept valid by the tests.
    """
    bundled = bank_files([bundled_banks_dir()])
    extra = bank_files(list(extra_dirs or []) + extra_bank_dirs())
    files = bundled + [f for f in extra if f not in bundled]
    key, full_key = _cache_key(files)
    cache_path = os.path.join(cache_dir(), f"catalog-{key}.json")
    if use_cache:
        try:
            with open(cache_path, encoding="utf-8") as fh:
                blob = json.load(fh)
            if blob.get("key") == full_key:
                return Catalog(blob["records"], blob.get("warnings", []))
        except (OSError, ValueError, KeyError, AttributeError):
            pass
    records: list[dict] = []
    warnings: list[str] = []
    from .compile import compile_bank_file
    from ..topics import solver_names

    names = solver_names()
    owner: dict[str, str] = {}
    for f in files:
        try:
            recs = compile_bank_file(f, solver_names=names)
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
        _write_cache(cache_path, {"key": full_key, "records": records, "warnings": warnings})
    return catalog


def _write_cache(path: str, blob: dict) -> None:
    """Best effort: a read-only cache directory only costs speed."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(blob, fh)
        os.replace(tmp, path)
        # Drop older catalogs so the cache does not grow without bound.
        d = os.path.dirname(path)
        for name in os.listdir(d):
            if name.startswith("catalog-") and name.endswith(".json") and os.path.join(d, name) != path:
                try:
                    if os.path.getmtime(os.path.join(d, name)) < os.path.getmtime(path) - 3600:
                        os.remove(os.path.join(d, name))
                except OSError:
                    pass
    except OSError:
        pass
