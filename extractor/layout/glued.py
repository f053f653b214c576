"""Tables flattened into one line by a crawler: "…规章 0 0 0行政规范性文件 20 155第二十条…".

Every cell separator is lost, so the line is cut at its digit runs: the text before a run
is a row label (after any header text, which becomes a line of its own), the run is the
row's values. Inside a run spaces are kept as separators, and a sign starts a value of its
own ("35-15" is 35 | -15, "2648-18538" is 2648 | -18538…, "120 减47 73"), but digits may be
glued ("230000023"); the template parser decides how to cut them (`placement`), or flags the
row. A run that ends right before "2." or "3、" gives its last digit to the next label:
it is that label's item number. A run followed by a unit is narrative ("5万元"), except
right after the label of a section 二 row with an amount column, once the table has begun
("政府集中采购12 156000元", "政府集中采购5373.82万元"): the unit belongs to the row's last value.
"""

from __future__ import annotations

import re

from extractor.ingest.document import Row, TextCell, new_row, text_cell
from extractor.schema import AMOUNT_FIELDS
from extractor.schema.labels import S2_ROWS

#: Lines this long with these words and this many digit runs are flattened tables.
MIN_LENGTH = 100
MIN_RUNS = 6
_WORDS = ("第二十条", "信息内容", "本年新收", "予以公开", "结果维持", "尚未审结")
#: A sign a value may carry inside a run ("35-15" is 35 | -15; "120 减47 73").
_SIGN = r"(?:[+-]|减少|增加|减|增)"
_NUM = r"\d+(?:\.\d+)?"
_RUN = re.compile(rf"{_NUM}(?:(?: {_SIGN}?|{_SIGN}){_NUM})*")
#: The values of a run: a sign starts a new value, a space ends one; an amount row's last
#: value keeps the money unit printed after it (see `_amount_unit`).
_VALUE = re.compile(rf"{_SIGN}?{_NUM}(?:万元|元|万)?")
#: Units and words after a number that make it narrative, not a table value.
_NOT_A_VALUE = re.compile(r"^(?:年|月|日|号|%|条|件|个|项|次|人|元|万|份|期|篇|场|名|家|天|届)")
#: A label's numbering: 一、 （一） 1. — not "第（一）项".
_NUMBERING = re.compile(r"(?<!第)(?:[一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\d{1,2}[.、])")
_S2_LABELS = re.compile("|".join(sorted({x for v in S2_ROWS.values() for x in v}, key=len, reverse=True)))
#: The label of a section 二 row with an amount column, right before a run; and a money unit.
_AMOUNT_LABEL = re.compile("(?:" + "|".join(sorted(
    {x for p in AMOUNT_FIELDS for x in S2_ROWS[p.split(".")[1]]}, key=len, reverse=True)) + r")\s*$")
_MONEY_UNIT = re.compile(r"万元|元|万")


def _amount_unit(line: str, pos: int, s: int, e: int) -> int:
    """Length of the money unit printed after the run line[s:e] when the run is an amount
    row's values (its label right before it, inside a section 二 table), else 0."""
    unit = _MONEY_UNIT.match(line, e)
    if unit is None or "第二十条" not in line[:s] or not _AMOUNT_LABEL.search(line[pos:s]):
        return 0
    return unit.end() - e


def looks_glued(line: str) -> bool:
    if len(line) < MIN_LENGTH or sum(w in line for w in _WORDS) < 2:
        return False
    runs = _RUN.findall(line)
    return len(runs) >= MIN_RUNS or any(len(r) >= 5 and r.isdigit() for r in runs)


def _label_start(segment: str) -> int:
    """Where the row label starts in the text before a digit run (0 if it all is the label;
    its length if it is all header, as before section 四's one row of values)."""
    if "结果维持" in segment and segment.rstrip().endswith(("总计", "审结")):
        return len(segment)
    starts = [m.start() for m in _NUMBERING.finditer(segment)]
    starts += [m.start() for m in _S2_LABELS.finditer(segment)]
    return max(starts, default=len(segment) if segment.strip() else 0)


def _cell(text: str, base: int, lo: int, hi: int) -> TextCell | None:
    seg = text[lo:hi]
    if not seg.strip():
        return None
    s = lo + len(seg) - len(seg.lstrip())
    e = hi - (len(seg) - len(seg.rstrip()))
    return text_cell((text[s:e], base + s, base + e))


def split_glued(line: str, base: int) -> list[Row]:
    rows: list[Row] = []
    pos = 0

    def text_row(lo: int, hi: int) -> None:
        c = _cell(line, base, lo, hi)
        if c is not None:
            rows.append(new_row(([c], "line", c.start, c.end)))

    for m in _RUN.finditer(line):
        s, e = m.span()
        e += _amount_unit(line, pos, s, e)
        if _NOT_A_VALUE.match(line[e:]) or (s > 0 and line[s - 1] in ".、"):
            continue
        if e + 1 < len(line) and line[e] in ".、" and not line[e + 1].isdigit():
            e -= 1  # "1700000172.没有…": the 2 numbers the next label
            if e > s and line[e - 1] == " ":
                e -= 1  # "0000000 2.申请人…": a space before the next label's number
            if e <= s:
                continue
        segment = line[pos:s]
        cut = pos + _label_start(segment)
        text_row(pos, cut)
        label = _cell(line, base, cut, s)
        values = [
            text_cell((t.group(), base + s + t.start(), base + s + t.end()))
            for t in _VALUE.finditer(line[s:e])
        ]
        cells = ([label] if label is not None else []) + values
        rows.append(new_row((cells, "glued", cells[0].start, cells[-1].end)))
        pos = e
    text_row(pos, len(line))
    return rows
