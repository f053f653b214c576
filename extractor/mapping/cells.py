"""Build a `Cell` from printed text: the one builder of both readers (the rules and the LLM).

A cell's value is read from its text by `read_value`; a bracketed note is set apart (the
span covers the number only); an amount printed without a unit takes the unit its column
header names, or is kept as printed (万元) and flagged when nonzero. Cells a row's layout
does not let us read are built here too: unreadable, with the reason, never guessed. A count
printed with a unit of money or magnitude ("3万") is one of them: only amounts take units.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from extractor.ingest.document import Document, Row, TextCell
from extractor.schema import AMOUNT_FIELDS, Cell, CellState, Issue
from extractor.schema.trusted import trusted_given
from extractor.schema.values import (
    MERGED,
    MONEY_UNITS,
    Reading,
    as_amount,
    normal_decimal,
    read_value,
)

_NUMBER = CellState.NUMBER
#: Constructors of the cells read here (see `trusted_given`), one per call pattern.
_unreadable_cell = trusted_given(Cell, ("path", "state", "raw", "span", "source_span", "page",
                                        "reasons", "reader"))
_read_cell = trusted_given(Cell, ("path", "state", "value", "unit", "raw", "span", "source_span",
                                  "page", "reasons", "reader"))
_layout_cell = trusted_given(Cell, ("path", "state", "raw", "span", "source_span", "page",
                                    "reasons"))


def cell_from_text(doc: Document, path: str, tc: TextCell, header_unit: str | None,
                   reader: Literal["parser", "llm"] = "parser") -> tuple[Cell, list[Issue]]:
    """The cell at `path` that printed text `tc` states, with the issues it raises (LAYOUT
    when the text is not one number, NOTE for a bracketed note, UNIT for an amount with no
    unit printed or named in the column header `header_unit`, or for a count printed with
    a unit)."""
    (cell,), issues = cells_from_texts(doc, (path,), (tc,), header_unit, reader)
    return cell, issues


def cells_from_texts(doc: Document, paths: Sequence[str], texts: Sequence[TextCell],
                     header_unit: str | None, reader: Literal["parser", "llm"] = "parser",
                     ) -> tuple[list[Cell], list[Issue]]:
    """`cell_from_text` of each text cell at its path, in order, with all their issues in
    order: one call for a row (a report reads ~150 cells, most of them counts printed
    without a unit or a note, read here without a call each)."""
    cells: list[Cell] = []
    issues: list[Issue] = []
    to_source, page_at = doc.norm.to_source, doc.page_at
    for path, tc in zip(paths, texts, strict=True):
        text, start, end = tc
        reading = read_value(text)
        if (reading is not None and reading.unit is None and path not in AMOUNT_FIELDS
                and (reading.note is None or reading.number is None)):
            # The common case: a count (or blank, or placeholder) printed without a note.
            cells.append(_read_cell(path, reading.state, reading.value, None, text, (start, end),
                                    to_source(start, end), page_at(start), [], reader))
            continue
        cell, cell_issues = _uncommon(doc, path, tc, reading, header_unit, reader)
        cells.append(cell)
        issues += cell_issues
    return cells, issues


def _uncommon(doc: Document, path: str, tc: TextCell, reading: Reading | None,
              header_unit: str | None, reader: Literal["parser", "llm"]) -> tuple[Cell, list[Issue]]:
    """`cell_from_text` of a text that is not a count printed without a unit or a note
    (`reading`: its `read_value`)."""
    span = (tc.start, tc.end)
    if reading is not None and reading.unit is not None and path not in AMOUNT_FIELDS:
        return _count_with_unit(doc, path, tc, reading.unit, reader)
    if reading is None:
        why = (f"cell text {tc.text!r} is not one number" if tc.text != MERGED else
               "the cell is merged with the one above (one printed value spans both rows), "
               "so this row's value is not printed")
        return _unreadable_cell(
            path, CellState.UNREADABLE, tc.text, span, doc.norm.to_source(*span),
            doc.page_at(tc.start), [f"LAYOUT: {why}"], reader,
        ), [Issue(
            rule="LAYOUT",
            key=f"LAYOUT:{path}",
            message=f"{path}: {why}",
            paths=[path],
            span=span,
        )]
    issues: list[Issue] = []
    reasons: list[str] = []
    unit = None
    if reading.note is not None and reading.number is not None:
        # The value is the number; its span covers the number only, the note is reported.
        at = tc.text.find(reading.number)
        note = _note_issue(path, tc.text, reading.number, reading.note, span)
        issues.append(note)
        if note.severity == "flag":
            reasons.append(f"NOTE: {note.message}")
        tc = TextCell(reading.number, tc.start + at, tc.start + at + len(reading.number))
        span = (tc.start, tc.end)
    if path in AMOUNT_FIELDS:
        reading, unit, unit_issue = _amount(path, tc, reading, header_unit)
        if unit_issue is not None:
            reasons.append(f"UNIT: {unit_issue.message}")
            issues.append(unit_issue)
    return _read_cell(
        path, reading.state, reading.value, unit, tc.text, span, doc.norm.to_source(*span),
        doc.page_at(tc.start), reasons, reader,
    ), issues


#: A bracketed note that names a part of the number printed before it ("22（其中修订16件）",
#: "55（含自然失效29件）"): the number is the whole, so the note cannot change it.
_BREAKDOWN_NOTE = ("其中", "含", "包含", "包括")


def _note_issue(path: str, text: str, number: str, note: str, span: tuple[int, int]) -> Issue:
    """NOTE for a number printed with a bracketed note: a warning when the note only breaks
    the number down (其中…, 含…), a flag when it may change what the number counts (另有…,
    不含…, 截至…), which a person must read."""
    if note.startswith(_BREAKDOWN_NOTE):
        return Issue(rule="NOTE", key=f"NOTE:{path}", severity="warning", paths=[path], span=span,
                     message=f"{path}: the cell prints {text!r}; its value is {number}, "
                     f"the bracketed note （{note}） is not a value")
    return Issue(rule="NOTE", key=f"NOTE:{path}", paths=[path], span=span,
                 message=f"{path}: the cell prints {text!r}; read as {number}, but the bracketed "
                 f"note （{note}） may change what the number counts (it is not a breakdown "
                 "such as 其中… or 含…); check the note in the source and correct the value if it does")


def _count_with_unit(doc: Document, path: str, tc: TextCell, unit: str,
                     reader: Literal["parser", "llm"]) -> tuple[Cell, list[Issue]]:
    """A count printed with a unit of money or magnitude ("3万", "2千", "500元"): only amounts
    take units, so the cell is not read (3万 may be 30000 or a rounded figure), and flagged."""
    kind = "money" if unit.endswith("元") else "magnitude"
    msg = (f"{path} is a count but the cell prints {tc.text!r}, with a unit of {kind} ({unit}); "
           "only amounts take units, so the count is not read (a unit of magnitude may stand "
           "for a rounded figure, a unit of money for a value from another column): read the "
           "exact count in the source")
    span = (tc.start, tc.end)
    return _unreadable_cell(
        path, CellState.UNREADABLE, tc.text, span, doc.norm.to_source(*span),
        doc.page_at(tc.start), [f"UNIT: {msg}"], reader,
    ), [Issue(rule="UNIT", key=f"UNIT:{path}", message=msg, paths=[path], span=span)]


def _amount(path: str, tc: TextCell, reading: Reading,
            header_unit: str | None) -> tuple[Reading, str | None, Issue | None]:
    """An amount in 万元 with its unit: as printed, else the header's (the value scaled to
    万元), else none, with a UNIT issue when the amount is not 0."""
    reading = as_amount(reading)
    unit = reading.unit
    if reading.state is not _NUMBER or unit is not None:
        return reading, unit, None
    if header_unit is not None:
        scaled = normal_decimal(reading.value * MONEY_UNITS[header_unit])  # type: ignore[operator]
        return Reading(reading.state, scaled, None), header_unit, None
    if reading.value == 0:
        return reading, None, None
    msg = f"{path}: amount {tc.text!r} printed without a unit; kept as printed, assumed 万元"
    return reading, None, Issue(rule="UNIT", key=f"UNIT:{path}", message=msg, paths=[path],
                                span=(tc.start, tc.end))


def unreadable_cells(doc: Document, paths: list[str], row: Row, reason: str) -> dict[str, Cell]:
    """Cells at `paths` that a row's printed text does not let us read, with the reason."""
    span = (row.start, row.end)
    return {
        p: _layout_cell(p, CellState.UNREADABLE, row.text[:200], span,
                        doc.norm.to_source(*span), doc.page_at(row.start), [reason])
        for p in paths
    }


def layout_cells(doc: Document, key: str, paths: list[str], row: Row, msg: str) -> tuple[dict[str, Cell], Issue]:
    """The cells of a row whose layout cannot be placed, unreadable, and its LAYOUT issue."""
    lkey = "s4" if key == "s4.*" else key
    issue = Issue(rule="LAYOUT", key=f"LAYOUT:{lkey}", message=msg, paths=paths, span=(row.start, row.end))
    return unreadable_cells(doc, paths, row, f"LAYOUT: {msg}"), issue
