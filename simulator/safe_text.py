"""Text that reaches people: no live formulas in tables, no raw control characters on a terminal.

Scenario text (names, descriptions, stress names, swept values) and paths typed by a user
end up in spreadsheets, CSV files and terminals. Two rules keep them inert:

- a table cell of text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return could run as a formula when the file is opened in Excel, LibreOffice or Google
  Sheets; :func:`csv_cell` prefixes it with a single quote (OWASP, "CSV Injection"), and
  the workbook writes it as a string cell (see ``outputs/workbook.py``);
- control characters (escape sequences, NUL, DEL, the C1 range, bidirectional overrides)
  are refused in scenario text (:func:`first_control`) and shown escaped on a terminal
  (:func:`terminal_text`), so a name cannot move the cursor, recolour or hide output.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# C0 controls but tab and newline, DEL, C1 controls, and the Unicode bidirectional and
# invisible formatting characters that can reorder or hide what a terminal shows.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_CONTROL_OR_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def first_control(text: str, *, allow_newlines: bool = False) -> int | None:
    """Index of the first control character in ``text`` (tab and newline allowed or not), or None."""
    found = (_CONTROL if allow_newlines else _CONTROL_OR_LINE).search(text)
    return None if found is None else found.start()


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_text(text: str) -> str:
    """``text`` with every control character but newline and tab written as ``\\xNN`` / ``\\uNNNN``."""
    return _CONTROL.sub(_escape, text)


def csv_cell(value: object) -> object:
    """A table cell safe to open in a spreadsheet: text that could start a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
