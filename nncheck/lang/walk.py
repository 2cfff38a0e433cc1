"""The one post-order walk over answer-language trees.

Every backend folds a tree bottom-up: the numeric evaluator, the SymPy converter, the
derivation checker's 30-digit evaluator and the printer.  They share this walk so that
each keeps the two properties that matter for untrusted input:

* it is iterative, with an explicit stack, so a 2,000-node chain ``1+1+…+1`` cannot hit
  Python's recursion limit;
* a subtree that appears under several parents (a derivation substitutes one
  definition's tree wherever its name occurs) is visited once, not once per path.

This module is on the start-up path (the parser prints with it): it imports nothing,
and its types exist for the type checker only.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (milliseconds at start-up)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Protocol, TypeVar

    class Tree(Protocol):
        """What the walk needs of a node (``nncheck.lang.syntax.Node``, which imports this module)."""

        def children(self) -> tuple[Any, ...]: ...

    N = TypeVar("N", bound=Tree)
    T = TypeVar("T")


def fold(root: N, visit: Callable[[N, list[T]], T], expand: Callable[[N], bool] | None = None) -> T:
    """``visit(node, values of its children)`` for every node, children first; the root's value.

    ``expand(node)`` false: the node's children are not walked and ``visit`` gets ``[]``,
    for nodes that evaluate their children themselves (short-circuit logic) or that the
    caller does not evaluate at all.  ``visit`` must depend on the node and its children's
    values only, since a shared subtree's value is reused.
    """
    values: list[T] = []
    done: dict[int, T] = {}  # id(node) -> value; the nodes stay alive in the tree meanwhile
    # (node, number of children waiting on ``values``), or -1 when its children are not pushed yet.
    stack: list[tuple[N, int]] = [(root, -1)]
    while stack:
        node, waiting = stack.pop()
        if waiting < 0:
            if id(node) in done:
                values.append(done[id(node)])
                continue
            kids = node.children() if expand is None or expand(node) else ()
            if kids:
                stack.append((node, len(kids)))
                stack.extend((kid, -1) for kid in reversed(kids))
                continue
            waiting = 0
        args = values[len(values) - waiting:]
        del values[len(values) - waiting:]
        value = visit(node, args)
        done[id(node)] = value
        values.append(value)
    return values[0]
