"""Blank-pattern checks: what the identities cannot see because they count a blank as 0.

A value dropped from a tab or pipe row is absorbed by the row's trailing padding, and a
row moved one column leaves an empty cell at one end. When the moved values are 0s, every
identity still holds (blank = 0), so the arithmetic is blind to it. What does change is the
*pattern* of blank and printed cells, and publishers are consistent about it within a
table: they either print 0 for "none" or leave the cell empty.

Two checks per row of sections 三 and 四 (only rows whose cells are all present: a row cut
by the end of an excerpt or left unreadable says nothing about the pattern):

- **blank in a printed column**: the row has a blank cell next to printed ones, in a column
  that every other row of the table prints, and the table prints 0 for none somewhere
  (a table that leaves the 总计 of its detail rows blank keeps that convention);
- **0 next to blank**: the row prints 0 in a column other than 总计 and leaves another cell
  blank, and no other row of the table mixes them like that (a table that leaves its detail
  cells blank and prints only 总计 as 0 is a convention, not a mixture).

Either one flags the whole row: a value may have been dropped or moved within it, so any
of its cells may sit in the wrong column. Imports nothing from `extractor` but the schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any

from extractor.schema import CellState, title
from extractor.schema.templates import template_rows

_SECTIONS = ("s3", "s4")
_MISSING, _UNREADABLE = CellState.MISSING, CellState.UNREADABLE
_PRINTED = (CellState.NUMBER, CellState.PLACEHOLDER)
_STATE = itemgetter("state")
_NUMBER, _BLANK = CellState.NUMBER, CellState.BLANK


@dataclass(frozen=True)
class PatternIssue:
    rule: str  # "PATTERN"
    key: str  # e.g. "PATTERN:s3.carried_over"
    message: str
    paths: tuple[str, ...]


#: A cell's fields (its `__dict__`), read as dict items: a pydantic model's attribute costs
#: about three times as much (its class defines `__getattr__`).
Fields = dict[str, Any]


def _is_zero(cell: Fields) -> bool:
    return cell["state"] is _NUMBER and cell["value"] == 0


def _blanks(row: list[Fields]) -> list[Fields]:
    return [c for c in row if c["state"] is _BLANK]


def _mixes(row: list[Fields]) -> bool:
    """A printed 0 in a column other than 总计, and a blank cell anywhere in the row."""
    return any(_is_zero(c) for c in row[:-1]) and bool(_blanks(row))


def _shown(row: list[Fields]) -> str:
    return " | ".join("∅" if c["state"] is _BLANK else (c["raw"] or str(c["value"])) for c in row)


@lru_cache(maxsize=8)
def _section_rows(template: str) -> tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...]:
    """(section, ((row, its paths), …)) of sections 三 and 四 of a template."""
    return tuple((section, tuple((r, paths) for sec, r, paths in template_rows(template)
                                 if sec == section))
                 for section in _SECTIONS)


@lru_cache(maxsize=8)
def _row_getters(template: str) -> tuple[tuple[str, tuple[tuple[str, itemgetter[str]], ...]], ...]:
    """`_section_rows` with a getter of each row's cells (in C) for its paths: (section,
    ((row, the getter), …)). A row of sections 三 and 四 has several columns, so the getter
    returns a tuple."""
    return tuple((section, tuple((r, itemgetter(*paths)) for r, paths in rows))
                 for section, rows in _section_rows(template))


def blank_pattern_issues(cells: dict[str, Fields], template: str) -> list[PatternIssue]:
    """Rows of sections 三 and 四 whose blank cells break the table's own pattern (`cells`:
    each cell's fields by path)."""
    out: list[PatternIssue] = []
    for section, section_rows in _row_getters(template):
        complete: dict[str, list[Fields]] = {}
        printed_in: dict[str, list[bool]] = {}
        with_blanks = False
        for r, get in section_rows:
            try:
                row = list(get(cells))
            except KeyError:  # a cell not given: the row says nothing
                continue
            states = list(map(_STATE, row))
            if _MISSING in states or _UNREADABLE in states:
                continue
            complete[r] = row
            printed_in[r] = list(map(_PRINTED.__contains__, states))
            with_blanks = with_blanks or _BLANK in states
        if not with_blanks:  # only rows with a blank cell are flagged
            continue
        # What each row's siblings (the other complete rows) print, counted once over the
        # table (a section's rows have the same columns): how many rows print each column,
        # hold a 0, mix a 0 with a blank.
        printed = list(map(sum, zip(*printed_in.values(), strict=True)))
        zeros: dict[str, bool] = {}
        mixes: dict[str, bool] = {}
        for name, row in complete.items():
            zeros[name] = any(_is_zero(c) for c in row)
            mixes[name] = _mixes(row)
        siblings = len(complete) - 1
        zero_rows, mixed_rows = sum(zeros.values()), sum(mixes.values())
        for name, row in complete.items():
            blanks = _blanks(row)
            if not blanks or not any(printed_in[name]):
                continue
            # a blank cell whose column every sibling prints (the row itself does not)
            odd = [c for i, c in enumerate(row) if c["state"] is _BLANK and printed[i] == siblings]
            if siblings and odd and zero_rows > zeros[name]:
                empty = "、".join(title(c["path"]).split("·")[-1] for c in odd)
                message = (f"{title(f'{section}.{name}')}: {empty} blank while every other row "
                           f"of the table prints that column, 0 for none; {_look(row)}")
            elif mixes[name] and mixed_rows == 1:
                empty = "、".join(title(c["path"]).split("·")[-1] for c in blanks)
                zeros_at = "、".join(title(c["path"]).split("·")[-1] for c in row[:-1] if _is_zero(c))
                message = (f"{title(f'{section}.{name}')}: prints 0 in {zeros_at} but leaves "
                           f"{empty} blank, a mixture no other row of the table has; {_look(row)}")
            else:
                continue
            out.append(PatternIssue("PATTERN", f"PATTERN:{section}.{name}", message,
                                    tuple(c["path"] for c in row)))
    return out


def _look(row: list[Fields]) -> str:
    return ("a value may have been dropped or moved within this row (the identities count a "
            f"blank as 0 and cannot tell): compare the row with the source ({_shown(row)})")
