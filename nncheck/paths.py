"""Where nncheck finds its banks and keeps its files.

Computed by hand rather than with platformdirs so that ``nncheck list`` can start
without importing it; the layout matches platformdirs' defaults on each platform.
Every location can be overridden by an environment variable.
"""

from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))


def bundled_banks_dir() -> str:
    """``problems/``: inside the installed package, or at the top of a source checkout."""
    inside = os.path.join(_HERE, "problems")
    if os.path.isdir(inside):
        return inside
    return os.path.join(os.path.dirname(_HERE), "problems")


def _home() -> str:
    return os.path.expanduser("~")


def cache_dir() -> str:
    if os.environ.get("NNCHECK_CACHE_DIR"):
        return os.environ["NNCHECK_CACHE_DIR"]
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(_home(), "AppData", "Local")
        return os.path.join(base, "nncheck", "Cache")
    if sys.platform == "darwin":
        return os.path.join(_home(), "Library", "Caches", "nncheck")
    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(_home(), ".cache"), "nncheck")


def data_dir() -> str:
    if os.environ.get("NNCHECK_DATA_DIR"):
        return os.environ["NNCHECK_DATA_DIR"]
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(_home(), "AppData", "Local")
        return os.path.join(base, "nncheck")
    if sys.platform == "darwin":
        return os.path.join(_home(), "Library", "Application Support", "nncheck")
    return os.path.join(os.environ.get("XDG_DATA_HOME") or os.path.join(_home(), ".local", "share"), "nncheck")


def extra_bank_dirs() -> list[str]:
    """Banks named by ``NNCHECK_BANKS`` (a path list, like PATH)."""
    raw = os.environ.get("NNCHECK_BANKS", "")
    return [p for p in raw.split(os.pathsep) if p.strip()]
