"""Topic solvers: one module per family group, one class per family.

A bank names its solver as ``module:Class`` (``conv:OutputSize``).  Only modules in
this package and classes derived from :class:`~nncheck.topics.base.Solver` can be
named, so an untrusted bank cannot make nncheck import anything else.  A family that
names no solver (a YAML-only family) gets a :class:`~nncheck.topics.formula.FormulaSolver`
over its own formulas: :func:`solver_for` gives every family its solver.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the start-up path
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from nncheck.topics.base import Solver

_HERE = os.path.dirname(os.path.abspath(__file__))
_cache: dict = {}
#: Modules that hold no solver a bank may name: the base class, and the formula solver that is
#: built from a YAML-only family's record rather than named by it.
_NOT_NAMED = ("base.py", "formula.py")


def topic_modules() -> list[str]:
    return sorted(f[:-3] for f in os.listdir(_HERE) if f.endswith(".py") and not f.startswith("_")
                  and f not in _NOT_NAMED)


def solver_for(family: Mapping[str, Any]) -> Solver:
    """The solver of a family record: the class its ``solver:`` names, else its formulas'."""
    if family.get("solver"):
        return get_solver(family["solver"])
    from nncheck.topics.formula import FormulaSolver

    return FormulaSolver(family)


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
