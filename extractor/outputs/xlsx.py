"""The Excel workbook (`extractor export OUT --format xlsx`), written with XlsxWriter.

Sheets:

- `reports`: one row per report (file, input path, agency, year, template, truncated, cells
  by status, missing cells, flags, sha256);
- `template 2019`, `template 2021`: the wide table of the reports of that template version,
  one numeric column per field of the version; each cell filled with its status's colour
  (see `legend`), a flagged cell commented with its state and reasons, a corrected one with
  the decision. A cell without a number (blank, placeholder, missing, unreadable) is left
  empty, coloured, so every field column holds numbers only;
- `flags`: every flag (rule, verdict, message, cell paths, source snippet);
- `errors`: inputs that could not be processed;
- `fields`: the data dictionary (`extractor fields`);
- `legend`: the colours, statuses and states.

Header rows are frozen: the first holds the Chinese label, the second the field path (the
column name of every other export). Text from documents and people is neutralised against
formula injection like in the CSV files, and written as strings, never as formulas. Excel
stores numbers as binary floating point: an amount here is the nearest double of its exact
decimal (the CSV and parquet exports keep it exact).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from extractor.outputs.fields import FIELD_COLUMNS, FIELDS, TEMPLATES, field_rows
from extractor.outputs.items import Item
from extractor.outputs.safe import neutralise
from extractor.outputs.tables import (
    ERROR_COLUMNS,
    FLAG_COLUMNS,
    NOT_IN_TEMPLATE,
    REPORT_HEAD,
    STATUSES,
    Column,
    error_values,
    flag_values,
    report_values,
)
from extractor.schema import CellState, iter_cells

MAX_ROWS = 1_048_576  # Excel's limit per sheet
MAX_TEXT = 32_767  # Excel's limit per cell (and per comment)
#: Comments per workbook. Each is a drawing object: a truncated excerpt brings a hundred
#: missing cells, and past this many Excel opens the file slowly and the writer holds them
#: all in memory. Later flagged cells keep their colour; the flags sheet and cells.csv hold
#: every reason.
MAX_COMMENTS = 100_000

#: Fill colours by status (Excel's own "good / neutral / bad" tints, teal for positions the
#: identities chose, as on the review page, purple for people).
STATUS_FILLS: dict[str, str] = {
    "verified": "#C6EFCE",
    "inferred": "#C4E8EF",
    "grounded": "#FFEB9C",
    "flagged": "#FFC7CE",
    "corrected": "#E4DFEC",
}
#: Colours for statuses added later, in order (a new status needs no change here).
SPARE_FILLS = ("#DDEBF7", "#FCE4D6", "#EDEDED", "#D9E1F2")

STATUS_MEANINGS: dict[str, str] = {
    "verified": "the text at its span reads this value, and an identity (勾稽关系) covering it holds",
    "inferred": "the text at its span reads this value, but the identities chose its position (a glued "
    "run, vanished blanks, a row that lost its label): trusted only as far as the source is consistent",
    "grounded": "the text at its span reads this value, but no identity covers it or none could be assessed",
    "flagged": "a person should look: see the cell's comment (the reasons) and the flags sheet",
    "corrected": "a person decided this cell (see the comment and cells.csv)",
}
STATE_MEANINGS: dict[str, str] = {
    CellState.NUMBER.value: "a printed number",
    CellState.BLANK.value: "an empty cell in the source: null, never 0",
    CellState.PLACEHOLDER.value: "printed, but not a number (\"/\", \"—\", \"无\")",
    CellState.MISSING.value: "the row or the table is absent from the document (or cut off)",
    CellState.UNREADABLE.value: "text that is not one number, or cells whose placement is ambiguous",
    NOT_IN_TEMPLATE: "the field belongs to the other template version (other exports only)",
}

SHEET_REPORTS, SHEET_FLAGS, SHEET_ERRORS, SHEET_FIELDS, SHEET_LEGEND = (
    "reports", "flags", "errors", "fields", "legend")
TEMPLATE_HEAD = ("item", "file", "agency", "year", "truncated")


def template_sheet(template: str) -> str:
    return f"template {template}"


def status_fills() -> dict[str, str]:
    """Every status's fill colour: the known ones, then spare colours in `STATUSES` order."""
    spare = iter(SPARE_FILLS)
    return {s: STATUS_FILLS.get(s) or next(spare, "#F2F2F2") for s in STATUSES}


class _Sheet:
    """A sheet written row by row (XlsxWriter's constant-memory mode), within Excel's limit."""

    def __init__(self, book: _Book, name: str, columns: Sequence[Column], first_fixed: int = 1,
                 note: str = "") -> None:
        self.book, self.ws, self.columns = book, book.wb.add_worksheet(name), columns
        self.row = 0
        self.full = False
        self.note = note
        ws, hdr, sub = self.ws, book.fmt("header"), book.fmt("path")
        ws.set_row(0, 48)
        # Row by row: in constant-memory mode a row is written out once the next one starts.
        for i, c in enumerate(columns):
            ws.write_string(0, i, c.label or c.name, hdr)
        for i, c in enumerate(columns):
            ws.write_string(1, i, c.name, sub)
        ws.freeze_panes(2, first_fixed)
        self.row = 2

    def room(self) -> bool:
        if self.full:
            return False
        if self.row >= MAX_ROWS - 1:
            self.ws.write_string(self.row, 0, f"… more rows than a sheet holds: {self.note}")
            self.full = True
            return False
        return True

    def put(self, col: int, value: object, fmt: Any = None) -> None:
        self.book.put(self.ws, self.row, col, value, fmt)

    def write(self, values: Sequence[object]) -> None:
        if not self.room():
            return
        for i, v in enumerate(values):
            self.put(i, v)
        self.row += 1

    def finish(self) -> None:
        if self.row > 2:
            self.ws.autofilter(1, 0, self.row - 1, len(self.columns) - 1)


class _Book:
    def __init__(self, target: Path) -> None:
        import xlsxwriter

        self.wb = xlsxwriter.Workbook(str(target), {
            "constant_memory": True,
            # Text is text: never turned into a formula, a number or a link.
            "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
        })
        self._formats: dict[str, Any] = {}
        self.fills = status_fills()
        self.comments = 0

    def fmt(self, name: str) -> Any:
        if name not in self._formats:
            props: dict[str, object]
            if name == "header":
                props = {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#F2F2F2",
                         "border": 1}
            elif name == "path":
                props = {"font_color": "#595959", "font_size": 9, "bg_color": "#F2F2F2",
                         "bottom": 1}
            elif name.startswith("status:"):
                props = {"bg_color": self.fills[name[7:]], "pattern": 1}
            else:
                props = {}
            self._formats[name] = self.wb.add_format(props)
        return self._formats[name]

    def status_fmt(self, status: str | None) -> Any:
        if status is None:
            return None
        if status not in self.fills:  # a status met in data that CellStatus does not list
            self.fills[status] = SPARE_FILLS[-1]
        return self.fmt(f"status:{status}")

    def put(self, ws: Any, row: int, col: int, value: object, fmt: Any = None) -> None:
        if value is None:
            if fmt is not None:
                ws.write_blank(row, col, None, fmt)
        elif isinstance(value, bool):
            ws.write_boolean(row, col, value, fmt)
        elif isinstance(value, int | Decimal):
            ws.write_number(row, col, float(value) if isinstance(value, Decimal) else value, fmt)
        else:
            ws.write_string(row, col, neutralise(str(value))[:MAX_TEXT], fmt)


def _comment(cell: Any) -> str | None:
    """The comment of a flagged or corrected cell: state, reasons, the decision."""
    status = cell.status.value if cell.status is not None else None
    lines: list[str] = []
    if status == "flagged":
        lines.append("flagged" if cell.state is CellState.NUMBER else f"flagged: {cell.state.value}")
        if cell.raw and cell.state is not CellState.NUMBER:
            lines.append(f"printed: {cell.raw}")
        lines += cell.reasons or ["(no reason given)"]
    elif cell.correction is not None:
        k = cell.correction
        who = f" by {k.reviewer}" if k.reviewer else ""
        lines.append(f"corrected{who}: {k.decision}")
        if k.decision == "set":
            lines.append(f"machine read {k.machine_value if k.machine_value is not None else k.machine_state.value}")
        if k.note:
            lines.append(k.note)
    return "\n".join(lines)[:MAX_TEXT] if lines else None


def write_xlsx(items: Iterable[Item], target: Path) -> Path:
    """Write the workbook to `target` (through a temporary name); returns `target`."""
    import os

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp.xlsx"
    book = _Book(tmp)
    head = {c.name: c for c in REPORT_HEAD}
    t_head = [head[n] for n in TEMPLATE_HEAD]
    t_fields = {t: [f for f in FIELDS if t in f.templates] for t in TEMPLATES}
    reports = _Sheet(book, SHEET_REPORTS, REPORT_HEAD, 2, "see reports.csv")
    sheets = {t: _Sheet(book, template_sheet(t),
                        [*t_head, *(Column(f.path, "amount" if f.is_amount else "int", f.label, f,
                                           "value") for f in t_fields[t])],
                        2, "see reports.csv") for t in TEMPLATES}
    flags = _Sheet(book, SHEET_FLAGS, FLAG_COLUMNS, 2, "see flags.csv")
    errors = _Sheet(book, SHEET_ERRORS, ERROR_COLUMNS, 2, "see errors.jsonl")
    for item in items:
        if item.error is not None:
            errors.write(error_values(item))
            continue
        r = item.record
        if r is None:
            continue
        row = report_values(item)
        reports.write(row[:len(REPORT_HEAD)])
        for values in flag_values(item):
            flags.write(values)
        sheet = sheets[r.tables.template]
        if not sheet.room():
            continue
        by_name = dict(zip((c.name for c in REPORT_HEAD), row, strict=False))
        for i, name in enumerate(TEMPLATE_HEAD):
            sheet.put(i, by_name[name])
        cells = {c.path: c for c in iter_cells(r.tables)}
        for j, f in enumerate(t_fields[r.tables.template], len(TEMPLATE_HEAD)):
            cell = cells[f.path]
            value = cell.value if cell.state is CellState.NUMBER else None
            if value is not None and not f.is_amount and isinstance(value, Decimal):
                value = int(value) if value == value.to_integral_value() else None
            status = cell.status.value if cell.status is not None else None
            fmt = book.status_fmt(status)
            sheet.put(j, value, fmt)
            comment = _comment(cell)
            if comment and book.comments < MAX_COMMENTS:
                sheet.ws.write_comment(sheet.row, j, comment, {"x_scale": 3, "y_scale": 2})
                book.comments += 1
        sheet.row += 1
    for s in (reports, *sheets.values(), flags, errors):
        s.finish()
    _fields_sheet(book)
    _legend_sheet(book)
    _widths(reports, sheets, flags)
    book.wb.close()
    os.replace(tmp, target)
    return target


def _widths(reports: _Sheet, sheets: dict[str, _Sheet], flags: _Sheet) -> None:
    reports.ws.set_column(0, 1, 28)
    for s in sheets.values():
        s.ws.set_column(1, 1, 28)
        s.ws.set_column(len(TEMPLATE_HEAD), len(s.columns) - 1, 12)
    flags.ws.set_column(0, 0, 28)
    flags.ws.set_column(4, 4, 60)
    flags.ws.set_column(8, 8, 60)


def _fields_sheet(book: _Book) -> None:
    ws = book.wb.add_worksheet(SHEET_FIELDS)
    for i, name in enumerate(FIELD_COLUMNS):
        ws.write_string(0, i, name, book.fmt("header"))
    for r, values in enumerate(field_rows(), 1):
        for i, v in enumerate(values):
            if v:
                ws.write_string(r, i, v)
    ws.freeze_panes(1, 1)
    ws.set_column(0, 1, 36)
    ws.set_column(9, 9, 60)
    ws.set_column(11, 11, 60)


def _legend_sheet(book: _Book) -> None:
    ws = book.wb.add_worksheet(SHEET_LEGEND)
    hdr = book.fmt("header")
    ws.write_string(0, 0, "status 状态", hdr)
    ws.write_string(0, 1, "meaning", hdr)
    for r, s in enumerate(book.fills, 1):
        ws.write_string(r, 0, s, book.status_fmt(s))
        ws.write_string(r, 1, STATUS_MEANINGS.get(s, "see the README"))
    top = len(book.fills) + 2
    ws.write_string(top, 0, "state 状况", hdr)
    ws.write_string(top, 1, "meaning", hdr)
    states = [*(s.value for s in CellState), NOT_IN_TEMPLATE]
    for r, s in enumerate(states, top + 1):
        ws.write_string(r, 0, s)
        ws.write_string(r, 1, STATE_MEANINGS.get(s, "see the README"))
    notes = top + len(states) + 2
    for r, line in enumerate((
        "Template sheets: one row per report of that template version, one column per field; "
        "each cell coloured by its status; a cell without a number is left empty (its state "
        "is in the comment of a flagged cell, and in reports.csv / cells.csv).",
        "Header rows: the Chinese label, then the field path (the column name in reports.csv, "
        "parquet and SQLite; see the fields sheet).",
        "Amounts are in 万元. Excel keeps numbers as binary floating point: the exact decimals "
        "are in the CSV and parquet exports.",
        f"Comments stop after {MAX_COMMENTS:,} cells (this workbook has {book.comments:,}); "
        "every reason is in the flags sheet and in cells.csv.",
    ), notes):
        ws.write_string(r, 0, line)
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 100)
