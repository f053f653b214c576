"""Read one table cell's text as a value: number, blank, placeholder, or not a value."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from extractor.schema import CellState

#: The ditto mark: what a reader writes in a row that a value cell merged from the row above
#: covers (HTML rowspan, DOCX vertical merge). A publisher's own "〃" means the same: this
#: row's value is not printed here. It stands in a value position and is never a number.
MERGED = "〃"

PLACEHOLDERS = frozenset({"/", "\\", "—", "——", "-", "--", "–", "―", "无", "－", "x", "X", "×"})

_NUMBER = re.compile(
    r"^(?P<sign>[+-]|减少|增加|减|增)?\s*"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*"
    r"(?P<unit>亿元|万元|千元|元|亿|万|千|件|个|项|条|次|起)?$"
)

#: Units of money and of magnitude, and their factor to 万元. Only amount cells take them: a
#: count printed with one ("3万") is read with its unit so that the cell builder can flag it.
MONEY_UNITS: dict[str, Decimal] = {
    "亿元": Decimal(10000), "亿": Decimal(10000), "万元": Decimal(1), "万": Decimal(1),
    "千元": Decimal("0.1"), "千": Decimal("0.1"), "元": Decimal("0.0001"),
}


#: A number followed by a bracketed note: "22（其中修订16件）", "55(含自然失效29件)".
_ANNOTATED = re.compile(r"^(?P<num>[^()（）]+?)\s*[(（](?P<note>[^()（）]+)[)）]$")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_COUNT_UNITS = frozenset({"件", "个", "项", "条", "次", "起"})


#: More digits than any count or amount of a report has (and than a 64-bit integer holds):
#: such a run is text (an ID, a scan artefact), never a number.
MAX_DIGITS = 18


@dataclass(frozen=True)
class Reading:
    state: CellState
    value: int | Decimal | None = None
    unit: str | None = None  # money or magnitude unit as printed (see MONEY_UNITS)
    #: A bracketed note printed after the number (not a value), and the number as printed.
    note: str | None = None
    number: str | None = None


#: The last character of every text `read_value` reads as a number or a placeholder, once
#: stripped: a decimal digit (`str.isdecimal`, what `_NUMBER`'s digit class matches), the
#: last of a unit `_NUMBER` reads, a bracket closing a note (`_ANNOTATED`), a placeholder's.
_VALUE_LAST = frozenset("元亿万千件个项条次起)）" + "".join(p[-1] for p in PLACEHOLDERS))


def may_be_value(text: str) -> bool:
    """False when `read_value(text)` is surely None or a blank: the text ends in a character
    no number or placeholder ends with (a sentence, a label), not white space. Narrative
    lines are each their own: they would miss `read_value`'s cache, and evict from it."""
    last = text[-1:]
    return not last or last in _VALUE_LAST or last.isdecimal() or last.isspace()


@lru_cache(maxsize=8192)
def read_value(text: str) -> Reading | None:
    """The value a cell's text states, or None if the text is a label, not a value."""
    t = text.strip()
    if not t:
        return Reading(CellState.BLANK)
    if t in PLACEHOLDERS:
        return Reading(CellState.PLACEHOLDER)
    m = _NUMBER.match(t)
    if not m:
        return _annotated(t)
    num = m["num"].replace(",", "")
    if len(num.split(".")[0]) > MAX_DIGITS or len(num) > 2 * MAX_DIGITS:
        return None
    negative = m["sign"] in ("-", "减", "减少")
    unit = m["unit"] if m["unit"] in MONEY_UNITS else None
    if "." in num or unit is not None:
        value: int | Decimal = Decimal(num)
        if unit is not None:
            value = normal_decimal(value * MONEY_UNITS[unit])
    else:
        value = int(num)
    return Reading(CellState.NUMBER, -value if negative else value, unit)


def _annotated(t: str) -> Reading | None:
    """'22（其中修订16件）' reads 22 with the note kept apart; a bracketed unit is a unit."""
    m = _ANNOTATED.match(t)
    if m is None:
        return None
    num, note = m["num"].strip(), m["note"].strip()
    if note in MONEY_UNITS or note in _COUNT_UNITS:
        return read_value(num + note)
    r = _NUMBER.match(num)
    if r is None or not _HAN.search(note):
        return None
    inner = read_value(num)
    assert inner is not None
    return Reading(inner.state, inner.value, inner.unit, note=note, number=num)


def normal_decimal(d: Decimal) -> Decimal:
    """73.8200 -> 73.82, 25.1000 -> 25.1, 100 stays 100 (no exponent form)."""
    d = d.normalize()
    return d.quantize(Decimal(1)) if d == d.to_integral() else d


def as_amount(reading: Reading) -> Reading:
    """Amount cells hold a Decimal in 万元 even when printed as a plain integer."""
    if reading.state is CellState.NUMBER and isinstance(reading.value, int):
        return Reading(reading.state, Decimal(reading.value), reading.unit)
    return reading
