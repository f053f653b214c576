"""The typed tables every export is written from: reports (wide), cells (long), flags, errors.

One column list per table (`Column`: name, kind, a header for people) and one function per
table turning a run item into typed Python values: int for counts, Decimal for amounts (万元),
bool, str, and None for null. The writers only render them: CSV as text, parquet and SQLite
with column types, xlsx as numbers and strings, pandas with nullable dtypes. So every format
has the same columns, and nothing that is not a number ever sits in a numeric column.

The reports table has, for every field of either template version (in `fields.FIELDS`
order), three columns side by side:

- `<path>`: the number, typed (count: integer; amount: decimal in 万元), null unless the
  cell's state is `number` (and null for a count printed with a fraction, which the
  verifier flags, I5: an integer column cannot hold it; its text is in cells' `raw`);
- `<path>:status`: verified, grounded, flagged, corrected (… whatever `CellStatus` holds:
  the values are written as they come, so a new status needs no change here);
- `<path>:state`: number, blank, placeholder, missing, unreadable, or `not_in_template` for a
  field of the other template version.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from extractor.outputs.fields import BY_PATH, FIELDS, SECTION_NAMES, Field
from extractor.outputs.items import Item
from extractor.schema import (
    Cell,
    CellState,
    CellStatus,
    Issue,
    iter_cells,
    title,
)

#: int: 64-bit integer; amount: exact decimal in 万元; bool; text: free text from documents
#: and people (neutralised in CSV and xlsx); label: one of a few values we write (status,
#: state, template, section, rule…).
Kind = Literal["int", "amount", "bool", "text", "label"]

NOT_IN_TEMPLATE = "not_in_template"
AMOUNT_SCALE = 6  # decimal places of an amount in 万元: 0.000001 万元 = 1 分, RMB's smallest unit


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    label: str = ""  # a header for people (the xlsx's first header row)
    field: Field | None = None  # set on a field's value, status and state columns
    role: Literal["", "value", "status", "state"] = ""


class ValueProblem(ValueError):
    """A value the typed column cannot hold exactly (never rounded, never guessed)."""


def status_column(path: str) -> str:
    return f"{path}:status"


def state_column(path: str) -> str:
    return f"{path}:state"


STATUSES: tuple[str, ...] = tuple(s.value for s in CellStatus)

_IDENTITY_TAIL = (Column("sha256", "text", "sha256"), Column("item", "int", "输入序号"))

REPORT_COLUMNS: tuple[Column, ...] = (
    Column("file", "text", "文件"),
    Column("input_path", "text", "输入路径"),
    Column("agency", "text", "机关"),
    Column("year", "int", "年度"),
    Column("template", "label", "模板"),
    Column("truncated", "bool", "文件不完整"),
    Column("ocr", "bool", "扫描件(OCR)"),
    Column("cells", "int", "单元格"),
    Column("numbers", "int", "数字"),
    *(Column(s, "int", s) for s in STATUSES),
    Column("missing", "int", "缺失"),
    Column("flags", "int", "标记"),
    *_IDENTITY_TAIL,
    *(c for f in FIELDS for c in (
        Column(f.path, "amount" if f.is_amount else "int", f.label, f, "value"),
        Column(status_column(f.path), "label", f"{f.label}·状态", f, "status"),
        Column(state_column(f.path), "label", f"{f.label}·状况", f, "state"),
    )),
)
#: The columns before the fields' (a report's identity and counts).
REPORT_HEAD: tuple[Column, ...] = tuple(c for c in REPORT_COLUMNS if c.field is None)

CELL_COLUMNS: tuple[Column, ...] = (
    Column("file", "text", "文件"),
    Column("section", "label", "部分"),
    Column("row", "label", "行"),
    Column("column", "label", "列"),
    Column("path", "label", "字段"),
    Column("label", "label", "名称"),
    Column("value", "int", "数值(件)"),
    Column("amount", "amount", "金额(万元)"),
    Column("unit", "label", "单位"),
    Column("raw", "text", "原文"),
    Column("state", "label", "状况"),
    Column("status", "label", "状态"),
    Column("placement", "label", "定位"),
    Column("reasons", "text", "原因"),
    Column("span_start", "int"),
    Column("span_end", "int"),
    Column("source_start", "int"),
    Column("source_end", "int"),
    Column("page", "int", "页"),
    Column("decision", "label", "决定"),
    Column("machine_value", "int", "机器读数"),
    Column("machine_amount", "amount", "机器读数(万元)"),
    Column("reviewer", "text", "审核人"),
    Column("note", "text", "备注"),
    Column("input_path", "text", "输入路径"),
    *_IDENTITY_TAIL,
)

#: cells.csv by default (issue 17): the key and the trust and provenance columns. The
#: identity and label columns of `CELL_COLUMNS` are a join away: `file`, `input_path` and
#: `sha256` from reports.csv on `item`; `section`, `row`, `column`, the label and the unit
#: kind from fields.csv on `path`. `raw` is empty where the printed text reads exactly as
#: the number in `value` or `amount` (`--cell-labels` writes `CELL_COLUMNS`, raw always).
LEAN_CELL_COLUMNS: tuple[Column, ...] = tuple(
    next(c for c in CELL_COLUMNS if c.name == name) for name in (
        "item", "path", "value", "amount", "raw", "state", "status", "placement", "reasons",
        "span_start", "span_end", "source_start", "source_end", "page", "decision",
        "machine_value", "machine_amount", "reviewer", "note"))

FLAG_COLUMNS: tuple[Column, ...] = (
    Column("file", "text", "文件"),
    Column("rule", "label", "规则"),
    Column("key", "text", "键"),
    Column("verdict", "label", "判断"),
    Column("message", "text", "说明"),
    Column("paths", "text", "字段"),
    Column("span_start", "int"),
    Column("span_end", "int"),
    Column("snippet", "text", "原文片段"),
    Column("input_path", "text", "输入路径"),
    *_IDENTITY_TAIL,
)

ERROR_COLUMNS: tuple[Column, ...] = (
    Column("file", "text", "文件"),
    Column("input_path", "text", "输入路径"),
    Column("kind", "label", "类别"),
    Column("error", "text", "错误"),
    *_IDENTITY_TAIL,
)


def count(value: int | Decimal | None) -> int | None:
    """A count as an int; an integral Decimal becomes its int. A fraction is not a count (the
    verifier flags it, I5) and cannot sit in an integer column: None."""
    if value is None or isinstance(value, int):
        return value
    return int(value) if value == value.to_integral_value() else None


def amount(value: int | Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def amount_units(value: Decimal, scale: int = AMOUNT_SCALE) -> int:
    """An amount as an integer of 10**-scale 万元 (scale 6: 分). Exact or an error."""
    scaled = value.scaleb(scale)
    if scaled != scaled.to_integral_value():
        raise ValueProblem(f"amount {value} has more than {scale} decimal places (finer than 1 分)")
    return int(scaled)


def cell_number(cell: Cell, is_amount: bool) -> tuple[int | None, Decimal | None]:
    """(count, amount) of a cell: one of them set when the state is number."""
    if cell.state is not CellState.NUMBER:
        return None, None
    return (None, amount(cell.value)) if is_amount else (count(cell.value), None)


def _year(value: object) -> int | None:
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def cells_of(item: Item) -> list[Cell]:
    """The item's record's cells in printed order (listed once per item: every table of an
    item reads them)."""
    if item.cells is None:
        assert item.record is not None
        item.cells = list(iter_cells(item.record.tables))
    return item.cells


def report_values(item: Item) -> list[object]:
    """The reports row of a run item with a record, in `REPORT_COLUMNS` order (made once per
    item: reports.csv and the panel share it; `cellpass.cell_pass` makes it in its pass)."""
    if item.report_row is not None:
        return item.report_row
    cells = {c.path: c for c in cells_of(item)}
    # `_value_`: the enum's string without the `value` descriptor (this runs for every cell)
    statuses = Counter(c.status._value_ for c in cells.values() if c.status is not None)
    number, missing = CellState.NUMBER, CellState.MISSING
    values = report_head(item, len(cells), sum(c.state is number for c in cells.values()),
                         statuses, sum(c.state is missing for c in cells.values()))
    for f in FIELDS:
        c = cells.get(f.path)
        values += [None, None, NOT_IN_TEMPLATE] if c is None else report_cell(c, f.is_amount)
    item.report_row = values
    return values


def report_head(item: Item, cells: int, numbers: int, statuses: Counter[str],
                missing: int) -> list[object]:
    """The reports row's columns before the fields' (`REPORT_HEAD`), from the counts of the
    item's cells (`statuses`: cells by status)."""
    r = item.record
    assert r is not None
    return [item.file, item.input_path, _text(r.meta.agency.value), _year(r.meta.year.value),
            r.tables.template, r.truncated, r.meta.ocr, cells, numbers,
            *(statuses[s] for s in STATUSES), missing, len(r.flags), item.sha256, item.seq]


def report_cell(c: Cell, is_amount: bool) -> list[object]:
    """A cell's three columns of the reports row: its number, status and state."""
    v = None
    if c.state is CellState.NUMBER and c.value is not None:
        v = amount(c.value) if is_amount else count(c.value)
    return [v, c.status._value_ if c.status is not None else None, c.state._value_]


def correction_values(c: Cell, is_amount: bool) -> tuple[object, ...]:
    """decision, machine_value, machine_amount, reviewer, note of a cell."""
    k = c.correction
    if k is None:
        return None, None, None, None, None
    mn, ma = (None, None)
    if k.machine_value is not None:
        mn, ma = (None, amount(k.machine_value)) if is_amount else (count(k.machine_value), None)
    return k.decision, mn, ma, k.reviewer, k.note


def cell_values(item: Item) -> list[list[object]]:
    """One row per template cell of a record, in printed order (`CELL_COLUMNS`)."""
    r = item.record
    assert r is not None
    rows: list[list[object]] = []
    for c in cells_of(item):
        section, row, col = c.path.split(".")
        is_amount = BY_PATH[c.path].is_amount
        n, a = cell_number(c, is_amount)
        span = c.span or (None, None)
        src = c.source_span or (None, None)
        rows.append([
            item.file, SECTION_NAMES[section], row, col, c.path, title(c.path), n, a, c.unit,
            c.raw, c.state._value_, c.status._value_ if c.status else None, c.placement,
            " | ".join(c.reasons) or None, span[0], span[1], src[0], src[1], c.page,
            *correction_values(c, is_amount), item.input_path, item.sha256, item.seq,
        ])
    return rows


def flag_values(item: Item) -> list[list[object]]:
    r = item.record
    assert r is not None
    if not r.flags:
        return []
    by_path: dict[str, Cell] = {}  # listed when an issue without a span of its own needs it
    rows: list[list[object]] = []
    for issue in r.flags:
        if issue.span is None and not by_path:
            by_path = {c.path: c for c in cells_of(item)}
        span = issue_span(issue, by_path)
        rows.append([
            item.file, issue.rule, issue.key, issue.verdict, issue.message,
            " ".join(issue.paths[:30]), span[0] if span else None, span[1] if span else None,
            snippet(r.text, *span) if span else None, item.input_path, item.sha256, item.seq,
        ])
    return rows


def error_values(item: Item) -> list[object]:
    e = item.error
    assert e is not None
    return [item.file, item.input_path, e.kind, e.error, item.sha256, item.seq]


def _text(v: object) -> str | None:
    return None if v is None else str(v)


def snippet(text: str, start: int, end: int, context: int = 30, limit: int = 240) -> str:
    lo, hi = max(0, start - context), min(len(text), end + context)
    if hi - lo > limit:
        hi = lo + limit
    s = text[lo:start] + "【" + text[start:min(end, hi)] + "】" + text[min(end, hi):hi]
    return s.replace("\t", " ⇥ ").replace("\n", " ⏎ ")


def issue_span(issue: Issue, cells: dict[str, Cell]) -> tuple[int, int] | None:
    """Where to point a reviewer: the issue's own span, else its cells' (all of them when
    they sit close together, otherwise the first printed number among them)."""
    if issue.span is not None:
        return issue.span
    printed = [cells[p] for p in issue.paths if p in cells and cells[p].span is not None]
    if not printed:
        return None
    lo = min(c.span[0] for c in printed)  # type: ignore[index]
    hi = max(c.span[1] for c in printed)  # type: ignore[index]
    if hi - lo <= 160:
        return (lo, hi)
    first = next((c for c in printed if c.state is CellState.NUMBER), printed[0])
    return first.span
