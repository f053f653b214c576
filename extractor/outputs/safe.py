"""CSV injection: text a spreadsheet would take for a formula is neutralised.

File names, agencies, printed cell text, reasons, messages, snippets, reviewers' names and
notes come from documents and people, not from us. A cell whose text starts with `=`, `+`,
`-`, `@`, a tab or a carriage return can be run as a formula by Excel or LibreOffice when a
CSV is opened (or an xlsx cell is edited and re-saved as CSV). Such text is written with a
leading apostrophe (OWASP's advice), which spreadsheets show as text. A plain number
("-47", "+1", "-3.5") is not a formula and is left as it is, and numbers written as numbers
(ints and Decimals) never pass through here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: The first characters that make a spreadsheet read a cell as a formula.
TRIGGERS = frozenset("=+-@\t\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")  # ASCII digits, as review.js tests


def neutralise(text: str) -> str:
    """`text` made safe to open in a spreadsheet (unchanged unless it could be a formula).
    Called for every text of every export: the first character decides most of them."""
    if text and text[0] in TRIGGERS and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def unneutralise(text: str) -> str:
    """`text` as it was before `neutralise` (for files a person edits and gives back)."""
    return text[1:] if text[:1] == "'" and text[1:2] in TRIGGERS else text


def safe_row(row: Iterable[object]) -> list[object]:
    """A CSV row with every string neutralised; numbers and other values as they are."""
    return [neutralise(v) if isinstance(v, str) else v for v in row]
