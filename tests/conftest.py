"""Test isolation: every test gets its own cache, data directory and no user banks."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    base = tmp_path_factory.mktemp("nncheck-home")
    monkeypatch.setenv("NNCHECK_CACHE_DIR", str(base / "cache"))
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
