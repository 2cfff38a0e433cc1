"""The derivation checker: a multi-line derivation checked step by step.

``nncheck derive`` and derivation parts of bank problems share this package:

* :mod:`.lines`    splits the text into lines and parses each with the answer language
                   (headers, definitions, chains ``a = b = c``, continuation lines ``= c``);
* :mod:`.plan`     turns the parsed lines into the list of steps to check (no SymPy);
* :mod:`.context`  converts terms to SymPy with domains and definitions (``h = sigma(xi)``);
* :mod:`.check`    decides one step: valid, invalid (with a counterexample) or undecided;
* :mod:`.rules`    names the rule that makes a valid step valid;
* :mod:`.guard`    runs the SymPy work under a hard time limit;
* :mod:`.core`     :func:`check_derivation` and the :class:`Report` it returns.

A derivation *part* of a bank problem is graded by :mod:`nncheck.kinds.derivation`, which
turns the report into a :class:`~nncheck.answer.verdict.Verdict`.

Nothing here evaluates user text: every line goes through the answer language's
parser, and SymPy only ever sees trees built by its ``to_sympy``.
"""

from __future__ import annotations


def check_derivation(text: str, **kwargs):
    """Check ``text`` step by step; see :func:`nncheck.derive.core.check_derivation`."""
    from nncheck.derive.core import check_derivation as _check

    return _check(text, **kwargs)


__all__ = ["check_derivation"]
