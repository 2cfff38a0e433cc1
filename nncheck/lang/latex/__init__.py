"""LaTeX in: answers and derivations typed as the course notes print them.

A dialect of the answer language, as ``sympy.parsing.latex`` is SymPy's, but hand-written
and closed: :mod:`.grammar` (the whitelist of commands and what each means),
:mod:`.parser` (text → a small LaTeX tree, with positions), :mod:`.transformer` (the
LaTeX tree → the answer language's own nodes) and :mod:`.document` (a whole ``.tex``
document → the lines of a derivation).  No TeX engine runs and no macro is expanded;
every answer meets the plain language's vocabulary and bounds.

Entry points:

* :func:`looks_like_latex` — whether a text is LaTeX rather than the plain language;
* :func:`parse_latex` — one answer, as the tree the plain parser gives for the plain text;
* :func:`latex_to_plain` — one expression or relation as plain text;
* :func:`derivation_lines` / :func:`read_document` — a document (or a bare ``&=`` chain)
  as derivation lines, with a map from every plain line back to the ``.tex`` source.

This module imports nothing heavy: ``looks_like_latex`` is cheap enough for any input path.
"""

from __future__ import annotations

#: Characters the plain language never accepts, and LaTeX math always has one of.
_MARKS = ("\\", "{", "}", "$")


def looks_like_latex(text: str) -> bool:
    """True when ``text`` has a backslash command, braces or ``$``: none is in the plain language."""
    return isinstance(text, str) and any(m in text for m in _MARKS)


def parse_latex(text: str, symbols=(), **options):
    """See :func:`nncheck.lang.latex.transformer.parse_latex`."""
    from nncheck.lang.latex.transformer import parse_latex as _parse

    return _parse(text, symbols, **options)


def latex_to_plain(text: str, *, symbols=None) -> str:
    """See :func:`nncheck.lang.latex.transformer.latex_to_plain`."""
    from nncheck.lang.latex.transformer import latex_to_plain as _plain

    return _plain(text, symbols=symbols)


def derivation_lines(tex: str, *, symbols=None):
    """See :func:`nncheck.lang.latex.document.derivation_lines`."""
    from nncheck.lang.latex.document import derivation_lines as _lines

    return _lines(tex, symbols=symbols)


def read_document(tex: str, *, symbols=None):
    """See :func:`nncheck.lang.latex.document.read_document`."""
    from nncheck.lang.latex.document import read_document as _read

    return _read(tex, symbols=symbols)


__all__ = ["derivation_lines", "latex_to_plain", "looks_like_latex", "parse_latex", "read_document"]
