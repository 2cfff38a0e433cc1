"""Test isolation: every test gets its own data directory and no user banks.

The bank-catalogue cache is shared by the whole session: its key covers every bank
file's path and a digest of its content, so sharing it is safe, and it saves rebuilding the
catalogue (~1 s) in every CLI test.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def _shared_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("nncheck-cache")


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch, _shared_cache):
    base = tmp_path_factory.mktemp("nncheck-home")
    monkeypatch.setenv("NNCHECK_CACHE_DIR", str(_shared_cache))
    monkeypatch.setenv("NNCHECK_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("NNCHECK_DB", str(base / "data" / "history.sqlite3"))
    monkeypatch.delenv("NNCHECK_BANKS", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    yield


@pytest.fixture(scope="session")
def catalog():
    from nncheck.bank.index import load_catalog

    return load_catalog(use_cache=False)
