"""The package layout is the pipeline: each package imports only from packages below it.

Every ``import`` counts, including the function-local ones that used to hide cycles.
Reading the files with ``ast`` (not importing them) keeps this test independent of
what happens to be imported already.
"""

from __future__ import annotations

import ast
import os
import re
from collections import defaultdict

import pytest

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "nncheck")

#: Bottom first.  A package may import from its own layer's *own* package and from any
#: lower layer; packages that share a layer are siblings and never import each other.
LAYERS: list[set[str]] = [
    {"errors", "paths", "records", "__init__"},  # the package root: domain errors, where files live, record types
    {"lang"},                             # the answer language: parse, evaluate, print, domains, templates
    {"topics"},                           # solvers: one module per family group
    {"generate"},                         # record + seed (or the user's numbers) -> Variant
    {"answer"},                           # verdicts and the symbolic engine: equivalence, sandbox, limits
    {"derive"},                           # the step-by-step derivation checker
    {"kinds"},                            # one module per answer kind: parse, grade, text, JSON, LaTeX
    {"key"},                              # the answer key: computed twice, cross-checked
    {"bank"},                             # bank files -> records; the catalogue trial-draws each family
    {"verify", "practice", "batch"},      # bank self-checks; quiz/exam/review; grading answer files
    {"render"},                           # terminal views
    {"export"},                           # problem sets in every format
    {"cli"},                              # the command line: typer app, fast front end, exit policy
    {"__main__"},                         # the console script: fast front end first, typer only if needed
]
LEVEL = {name: i for i, layer in enumerate(LAYERS) for name in layer}
#: A string naming a module to import later: "nncheck.answer.symbolic:grade_expression_local".
DOTTED = re.compile(r"^nncheck(\.\w+)+(:\w+)?$")


def _unit(module: str) -> str:
    """The layer unit of ``nncheck.a.b``: the top package ``a`` (or the root module)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports() -> dict[str, list[tuple[str, str, int]]]:
    """module -> [(imported module, file, line)] for every nncheck import, local ones included."""
    out: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for dirpath, _dirs, files in os.walk(ROOT):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, os.path.dirname(ROOT))
            module = rel[:-3].replace(os.sep, ".").removesuffix(".__init__")
            with open(path, encoding="utf-8") as fh:
                tree = ast.parse(fh.read(), path)
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom):
                    assert node.level == 0, f"{rel}:{node.lineno}: relative import (write nncheck.… in full)"
                    if node.module and (node.module == "nncheck" or node.module.startswith("nncheck.")):
                        if node.module == "nncheck":  # `from nncheck import x`: x is a module or a name
                            for alias in node.names:
                                sub = os.path.join(ROOT, alias.name)
                                is_module = os.path.isdir(sub) or os.path.exists(sub + ".py")
                                out[module].append((f"nncheck.{alias.name}" if is_module else "nncheck", rel,
                                                    node.lineno))
                        else:
                            out[module].append((node.module, rel, node.lineno))
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.name.startswith("nncheck."):
                            out[module].append((alias.name, rel, node.lineno))
                elif isinstance(node, ast.Constant) and isinstance(node.value, str) and DOTTED.match(node.value):
                    # "nncheck.x.y:function" tables (sandbox tasks, export formats) are imports too,
                    # made later by importlib: they must follow the layer order.  They are marked
                    # by a negative line number: a module that registers a callback by name in a
                    # dispatcher of its own package (the sandbox's tasks) is not a module cycle.
                    out[module].append((node.value.partition(":")[0], rel, -node.lineno))
    return out


IMPORTS = _imports()


def test_every_package_has_a_layer():
    units = {_unit(m) for m in IMPORTS} | {_unit(t) for deps in IMPORTS.values() for t, _, _ in deps}
    units |= {n[:-3] if n.endswith(".py") else n for n in os.listdir(ROOT)
              if (n.endswith(".py") or os.path.isdir(os.path.join(ROOT, n))) and not n.startswith((".", "_"))
              or n in ("__init__.py", "__main__.py")}
    missing = sorted(u for u in units if u not in LEVEL and u not in ("__pycache__", "_help"))
    assert not missing, f"packages with no layer in tests/core/test_layers.py: {missing}"


def test_layer_order():
    """No package imports from a higher layer or from a sibling in its own layer."""
    wrong = []
    for module, deps in sorted(IMPORTS.items()):
        src = _unit(module)
        for target, rel, line in deps:
            dst = _unit(target)
            if dst == src or dst not in LEVEL or src not in LEVEL:
                continue
            if LEVEL[dst] >= LEVEL[src]:
                wrong.append(f"{rel}:{abs(line)}: {src} (layer {LEVEL[src]}) imports {target} (layer {LEVEL[dst]})")
    assert not wrong, "imports against the layer order:\n" + "\n".join(wrong)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def _module_edges(packages: bool = False) -> dict[str, set[str]]:
    known = set(IMPORTS)
    edges: dict[str, set[str]] = defaultdict(set)
    for module, deps in IMPORTS.items():
        for target, _rel, line in deps:
            if line < 0 and not packages:
                continue
            # `from nncheck.a import b` may name a module a.b or a symbol of a; take the module.
            while target not in known and "." in target:
                target = target.rpartition(".")[0]
            if target in known and target != module:
                edges[module].add(target)
    return edges


def test_no_import_cycles_between_packages():
    edges: dict[str, set[str]] = defaultdict(set)
    for module, deps in _module_edges(packages=True).items():
        for target in deps:
            if _unit(target) != _unit(module):
                edges[_unit(module)].add(_unit(target))
    assert not _cycles(edges)


def test_no_import_cycles_between_modules():
    """Within a package too: a cycle hidden by a function-local import is still a cycle.

    A package's ``__init__`` that re-exports its modules is the one allowed back edge.
    """
    edges = _module_edges()
    for module in list(edges):
        edges[module] = {t for t in edges[module] if not (module.startswith(t + ".") and t in IMPORTS)}
    cycles = _cycles(edges)
    assert not cycles, "import cycles:\n" + "\n".join(" ↔ ".join(c) for c in cycles)


@pytest.mark.parametrize("unit", sorted(LEVEL))
def test_layer_names_exist(unit):
    """The table names real packages (a renamed package must be renamed here too)."""
    assert os.path.exists(os.path.join(ROOT, unit)) or os.path.exists(os.path.join(ROOT, unit + ".py"))


def test_tests_import_their_helpers_as_ci_can():
    # CI installs the project without -e (the README's command), so the repository root is not on
    # sys.path there: a test importing ``tests.…`` passes in a developer's editable venv and fails to
    # be collected in CI.  pytest's ``pythonpath = ["tests"]`` makes ``topics.helpers`` the way.
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[1]
    bad = [f"{p.relative_to(root.parent)}:{n}" for p in root.rglob("*.py")
           for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
           if re.match(r"\s*(from|import)\s+tests(\.|\s|$)", line)]
    assert not bad, bad
