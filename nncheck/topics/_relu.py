"""ReLU as one SymPy function, for the feed-forward networks' derivatives taken once per shape.

Written as ``Piecewise((ξ, ξ ≥ 0), (0, True))``, a ReLU layer makes SymPy's derivative of a network
carry nested piecewise conditions (a ReLU of a ReLU), and building and differentiating them was most
of the time of a ``backprop.mlp`` key.  As a function of its own, ReLU(ξ) = max(ξ, 0) has the
derivative the notes use, ReLU′(ξ) = u(ξ) with u(0) = 1 (the ECE 417 exam review; SymPy's
``Heaviside(ξ, 1)``), and SymPy's chain and product rules do the rest.  At numbers it is the number
or 0, and u is 1 or 0, so the derivatives at a key's numbers are the ones the piecewise form gives
(``tests/topics/test_twolayer_symbolic.py`` compares them with L differentiated at its numbers).

This module imports SymPy; the solvers import it only while computing a key.
"""

from __future__ import annotations

import sympy


class ReLU(sympy.Function):
    """max(ξ, 0), with ReLU′ = u and u(0) = 1."""

    is_extended_real = True

    @classmethod
    def eval(cls, xi):
        if xi.is_extended_nonnegative:
            return xi
        if xi.is_extended_negative:
            return sympy.S.Zero
        return None  # a symbol: left as ReLU(ξ), to be differentiated

    def fdiff(self, argindex=1):
        return sympy.Heaviside(self.args[0], 1)
