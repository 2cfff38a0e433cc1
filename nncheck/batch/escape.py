"""Student text made safe for each place a class's results go: a CSV cell, Markdown, a terminal.

Answer files are untrusted: a student names themselves, types the answers, and picks the file
name.  Loading refuses NUL and the C0 control characters (:mod:`nncheck.bank.yamlsafe`), but a
file *name* can hold anything, and C1 controls (U+0080–U+009F, U+009B is a one-byte CSI) and the
bidirectional overrides are not refused there.  Each output format has its own hazards:

* a spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
  return before one) as a formula: :func:`csv_cell` prefixes such text with ``'``, after the
  OWASP guidance on CSV injection.  Scores are written as numbers, never through it;
* Markdown turns ``|`` into a table column, ``<b>`` into HTML, ``[x](url)`` into a link and
  ``![x](url)`` into an image fetched when the report is opened: :func:`md_text` escapes them;
* a terminal obeys ESC sequences and C1 controls, and the bidi overrides (U+202A–U+202E,
  U+2066–U+2069) reorder what is shown after them ("Trojan Source"): :func:`terminal_text`
  replaces each with a visible ``\\u`` code.
"""

from __future__ import annotations

import re

#: A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Controls (C0, DEL, C1), the bidi embeddings, overrides and isolates, and the line and
#: paragraph separators that some terminals treat as new lines.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u2028\u2029]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#!|~$&])")


def csv_cell(value: object) -> object:
    """A value for a CSV cell: numbers unchanged; text that a spreadsheet would run as a
    formula prefixed with ``'`` (shown as text, not evaluated)."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def terminal_text(text: object) -> str:
    """Text safe to print on a terminal: every control character, ESC sequence and bidi
    control replaced by its visible code (``\\u001b``), new lines and tabs kept."""
    s = "" if text is None else str(text)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", s)


def one_line(text: object) -> str:
    """Text on one line (runs of white space, new lines included, become one space)."""
    return " ".join(("" if text is None else str(text)).split())


def md_text(text: object) -> str:
    """Student text as literal Markdown on one line, for a table cell or a list item.

    Every character Markdown or HTML gives a meaning to is escaped with a backslash
    (``|``, ``\\``, ``<``, ``[``, ``!``, backticks, emphasis, ``&`` of an HTML entity), so a
    cell holds exactly what the student typed: no column break, no HTML, no link, no image.
    """
    return _MD_SPECIAL.sub(r"\\\1", terminal_text(one_line(text)))


def file_stem(name: str, taken: set[str]) -> str:
    """A file name for a student's report: letters, digits, ``.``, ``_`` and ``-`` only, never
    hidden or empty, and not in ``taken`` (lower case, for case-insensitive file systems)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "student"
    stem = stem[:80]
    out, k = stem, 2
    while out.lower() in taken:
        out, k = f"{stem}-{k}", k + 1
    taken.add(out.lower())
    return out
