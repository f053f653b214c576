"""Split a row into its label cells and its value cells."""

from __future__ import annotations

import re
from functools import lru_cache

from extractor.ingest.document import Row, TextCell
from extractor.schema import CellState
from extractor.schema.values import MERGED, read_value

_HAN = re.compile(r"[\u4e00-\u9fff]")
_BLANK = CellState.BLANK  # a module constant: an enum member looked up on its class costs a call
#: A cell that only numbers a label ("1.", "（2）"), printed apart from the label's words.
_ITEM_NUMBER = re.compile(r"^[(（]?\d{1,2}[)）.、]?$")


@lru_cache(maxsize=8192)
def _in_value_position(text: str) -> bool:
    """Text that stands where a value does although it does not read as one: the ditto mark
    of a merged cell, or digits mixed with other signs and no label word ("=1+2", "1,2?").
    Labels are words (汉字); a bare item number belongs to its label."""
    if text == MERGED:
        return True
    return (not _HAN.search(text) and any(ch.isdigit() for ch in text)
            and not _ITEM_NUMBER.match(text))


_EMPTY, _VALUE, _LABEL, _OTHER = range(4)


@lru_cache(maxsize=16384)
def _role(text: str) -> int:
    """What a cell's text is to `split_row`: empty; a value (it stands in a value position
    or reads as a value other than a blank); a label (it does not read as a value); other
    (text that reads as a blank)."""
    if not text:
        return _EMPTY
    r = read_value(text)
    if _in_value_position(text) or (r is not None and r.state is not _BLANK):
        return _VALUE
    return _LABEL if r is None else _OTHER


def split_row(row: Row) -> tuple[list[TextCell], list[TextCell]]:
    """Label cells and value cells.

    Labels are the non-empty cells before the first printed value; everything after the
    last of them is a value cell, so text in a value position ("约2件") stays a (unreadable)
    value rather than becoming a label. A row with no printed value splits after its last
    label.
    """
    cells = row.cells
    roles = [_role(c.text) for c in cells]
    first_value = roles.index(_VALUE) if _VALUE in roles else len(cells)
    last = -1
    for i in range(first_value):
        if roles[i] == _LABEL:
            last = i
    labels = [c for c in cells[: last + 1] if c.text]
    return labels, cells[last + 1 :]


def values_have_numbers(values: list[TextCell]) -> bool:
    """Some value cell with text reads as a value (a number, a placeholder), not a label."""
    return any(c.text and read_value(c.text) is not None for c in values)


def printed_texts(values: list[TextCell]) -> list[str]:
    """The texts of a row's value cells without trailing empty cells (export padding): two
    printings of a row are the same when these are."""
    texts = [c.text for c in values]
    while texts and not texts[-1]:
        texts.pop()
    return texts


def trim_padding(values: list[TextCell], row: Row, wanted: int) -> list[TextCell]:
    """Drop empty cells of a tab/pipe row beyond what is wanted: trailing ones (export
    padding) first, then leading ones, which a label cell spanning two label columns leaves
    between the label and the values ("（七）总计 | ∅ | 7 | 2 | …" from a PDF table)."""
    if row.kind in ("tab", "pipe"):
        while len(values) > wanted and not values[-1].text:
            values = values[:-1]
        while len(values) > wanted and not values[0].text:
            values = values[1:]
    return values
