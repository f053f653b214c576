"""Grounding: does the source text at a cell's span really say the cell's value?

This reader is deliberately independent of the extractor's: a second, simpler reading of
the same characters, so a bug in one does not silently agree with itself.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from extractor.schema import Cell, CellState

_PLACEHOLDER_CHARS = set("/\\—―–-－无xX×")
_UNIT_FACTOR = {"亿元": Decimal(10000), "亿": Decimal(10000), "万元": Decimal(1), "万": Decimal(1),
                "千元": Decimal("0.1"), "千": Decimal("0.1"), "元": Decimal("0.0001")}
_NOT_CLAIMED = (CellState.MISSING, CellState.UNREADABLE)
_BLANK, _PLACEHOLDER = CellState.BLANK, CellState.PLACEHOLDER
_AMOUNT = re.compile(r"(亿元|万元|千元|亿|万|千|元)\s*$")


@lru_cache(maxsize=8192)
def _number(fragment: str) -> tuple[Decimal, str | None] | None:
    s = fragment.strip()
    unit = None
    m = _AMOUNT.search(s)
    if m:
        unit = m.group(1)
        s = s[: m.start()].strip()
    s = re.sub(r"[件个项条次起]$", "", s).strip()
    sign = 1
    for prefix, value in (("减少", -1), ("增加", 1), ("减", -1), ("增", 1), ("-", -1), ("+", 1)):
        if s.startswith(prefix):
            sign, s = value, s[len(prefix):].strip()
            break
    s = s.replace(",", "")
    if not s or not all(ch.isdigit() or ch == "." for ch in s) or s.count(".") > 1:
        return None
    try:
        return sign * Decimal(s), unit
    except InvalidOperation:
        return None


def ground(cell: Cell, text: str) -> str | None:
    """None when grounded; otherwise why not, in words a reviewer can act on."""
    return ground_fields(cell.__dict__, text)


def ground_fields(cell: dict[str, Any], text: str) -> str | None:
    """`ground` of a cell given by its fields (its `__dict__`): the verifier reads each
    cell's fields from it (a pydantic model's attribute costs about three times a dict
    item: its class defines `__getattr__`, which keeps Python from specialising the
    lookup)."""
    state = cell["state"]
    if state in _NOT_CLAIMED:
        return None  # nothing claimed; the state itself is flagged
    span = cell["span"]
    if span is None:
        return "no source span"
    start, end = span
    if not 0 <= start <= end <= len(text):
        return f"span {start}-{end} lies outside the source text"
    fragment = text[start:end]
    raw = cell["raw"]
    if raw is not None and fragment.strip() != raw.strip():
        return f"the source at {start}-{end} reads {fragment!r}, the cell says {raw!r}"
    if state is _BLANK:
        return None if not fragment.strip() else f"cell is blank but the source reads {fragment!r}"
    if state is _PLACEHOLDER:
        ok = fragment.strip() and set(fragment.strip()) <= _PLACEHOLDER_CHARS
        return None if ok else f"cell is a placeholder but the source reads {fragment!r}"
    parsed = _number(fragment)
    if parsed is None:
        return f"the source at {start}-{end} reads {fragment!r}, which is not a number"
    number, unit = parsed
    if unit is None and cell["unit"] in _UNIT_FACTOR:
        unit = cell["unit"]  # unit printed in the column header
    if unit is not None:
        number = number * _UNIT_FACTOR[unit]
    value = cell["value"]
    if value is None or value != number:  # an int compares with a Decimal exactly
        return f"the source reads {fragment.strip()!r} = {number}, the cell holds {value}"
    return None
