"""Topic solvers: one module per family group, one class per family.

A bank names its solver as ``module:Class`` (``conv:OutputSize``).  Only modules in
this package and classes derived from :class:`~nncheck.topics.base.Solver` can be
named, so an untrusted bank cannot make nncheck import anything else.
"""

from __future__ import annotations

import os

_HERE = os.path.dirname(os.path.abspath(__file__))
_cache: dict = {}


def topic_modules() -> list[str]:
    return sorted(f[:-3] for f in os.listdir(_HERE) if f.endswith(".py") and not f.startswith("_") and f != "base.py")


def get_solver(name: str):
    """The solver instance for ``module:Class``; raises KeyError if there is none."""
    if name in _cache:
        return _cache[name]
    mod_name, _, cls_name = name.partition(":")
    if not cls_name or mod_name not in topic_modules() or not cls_name.isidentifier() or cls_name.startswith("_"):
        raise KeyError(name)
    module = __import__(f"nncheck.topics.{mod_name}", fromlist=[cls_name])
    from nncheck.topics.base import Solver

    cls = getattr(module, cls_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Solver) and cls is not Solver):
        raise KeyError(name)
    _cache[name] = cls()
    return _cache[name]


def solver_names() -> set[str]:
    """Every ``module:Class`` a bank may name (imports every topic module: slow path only)."""
    from nncheck.topics.base import Solver

    out = set()
    for mod_name in topic_modules():
        module = __import__(f"nncheck.topics.{mod_name}", fromlist=["*"])
        for attr, obj in vars(module).items():
            if isinstance(obj, type) and issubclass(obj, Solver) and obj is not Solver \
                    and obj.__module__ == module.__name__ and not attr.startswith("_"):
                out.add(f"{mod_name}:{attr}")
    return out
