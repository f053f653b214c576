"""One pass over a record's cells making what every output a worker writes needs of them
(issue 17): the cells' JSON (the record's tables), the lean cells CSV, the store's cell rows
(grouped by which columns hold a value, as the store inserts them: each row's group is
known where the row is made), the reports row's fields and counts, and the numbers the
panel keeps.

Each cell's plain fields are read once (`__dict__`) and its enums, path and texts turned
into their JSON, CSV and store forms by table lookups (texts remembered across reports);
before, five passes each read the model's attributes and enums again. What a cell's state,
status, placement and reasons write is one remembered lookup; a cell with no number, text
or place (a missing cell: half of a cut-off report) is written whole from what is
remembered of those and its path; a printed count (most other cells) takes a path of its
own with fewer checks, as does a printed cell without a number (blank). A cell this pass does
not write by hand (a second reading, a correction, OCR provenance, a value or span of an
unexpected type) is written by the generic code of each output (`codec.cell_json`,
`lean_line` here, `store.cell_row`, `tables.report_cell`), so the results are the same bytes
and rows as those writers make: tests/test_hand_writers.py holds them to it on every golden
record and on hypothesis-made cells.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from itertools import chain
from operator import itemgetter

from extractor.outputs.cellruns import trailing_run
from extractor.outputs.csvtext import csv_text, int_field, text_field
from extractor.outputs.fields import BY_PATH, FIELDS
from extractor.outputs.items import Item
from extractor.outputs.tables import (
    NOT_IN_TEMPLATE,
    cell_number,
    cells_of,
    correction_values,
    report_cell,
    report_head,
)
from extractor.schema import Cell, CellState, CellStatus
from extractor.store.codec import (
    PLACEMENT_JSON,
    STATE_JSON,
    STATUS_JSON,
    cell_json,
    json_string,
    table_layout,
)
from extractor.store.rows import CellRows, cell_groups, cell_row, row_key

_NUMBER = CellState.NUMBER
_SCALE = Decimal(10) ** 6  # 万元 -> 分 (the store's amount_fen)


@dataclass(slots=True)
class CellPass:
    """What the outputs of one item need of its cells (`cell_pass`)."""

    tables_utf8: bytes | None  # the record's tables as `codec.tables_json` writes them, UTF-8
    lean_utf8: bytes  # the lean cells table (`rows.lean_cells_csv`), UTF-8
    store_rows: CellRows  # the store's cell rows, grouped (`store.rows.cell_groups`)
    flagged: int  # flagged cells, and of them missing
    missing: int
    numbers: list[tuple[str, int | Decimal]]  # (path, value) of every cell holding a number
    report_csv: str  # the reports row's fields (after `REPORT_HEAD`) as CSV text, no line end


_FIELD_AT = {f.path: i for i, f in enumerate(FIELDS)}


def _path_info(path: str) -> tuple[str, str, bool, int, int]:
    """A path's JSON head, its CSV field, whether it is an amount, and the position of its
    value in the reports row's fields and of its text in their CSV."""
    f, at = BY_PATH[path], _FIELD_AT[path]
    return '{"path":' + json_string(path), text_field(path), f.is_amount, 3 * at, at


_PATHS = {f.path: _path_info(f.path) for f in FIELDS}
#: (JSON, CSV field) of each state, and (JSON, text, CSV field) of each status, by the enum's
#: string (`_value_`: a string's hash is C; an enum member's is a Python call)
_STATE = {s._value_: (STATE_JSON[s], text_field(s._value_)) for s in CellState}
_STATUS = {s._value_: (STATUS_JSON[s], s._value_, text_field(s._value_)) for s in CellStatus}
_NO_STATUS = ("", None, "")
#: (JSON, CSV field) of each placement
_PLACEMENT = {p: (j, text_field(p)) for p, j in PLACEMENT_JSON.items()}
_EMPTY_FIELDS = (None, None, NOT_IN_TEMPLATE) * len(FIELDS)
_EMPTY_FIELDS_CSV = (",," + text_field(NOT_IN_TEMPLATE),) * len(FIELDS)
_STATE_STATUS = itemgetter(1, 6)  # a store cell row's state and status
#: Bits of a store cell row's `row_key` (bit c: column c of `cell_row` holds a value)
_PATH_STATE_PLACEMENT = 1 | 2 | 1 << 11
_COUNT_BIT, _FEN_BIT, _UNIT_BIT, _RAW_BIT, _STATUS_BIT, _REASONS_BIT = 4, 8, 16, 32, 64, 128
_SPAN_BITS, _PAGE_BIT = 256 | 512, 1024
_NUMBER_TEXT, _MISSING_TEXT, _FLAGGED = (
    CellState.NUMBER._value_, CellState.MISSING._value_, CellStatus.FLAGGED._value_)


@lru_cache(maxsize=20_000)
def _marks(state: str, status: str | None, placement: str,
           reasons: tuple[str, ...]) -> tuple[str, str, str, str, str | None, str, int]:
    """What a cell's state, status, placement and reasons (a few hundred combinations, which
    recur in every report) write: the state's JSON, the JSON after the page (to the cell's
    end), the lean CSV's fields from state to reasons, the reports row's status and state
    fields as CSV, the status's text and the reasons' (the store's), and the bits of the
    store row's `row_key` they and the path set."""
    sjson_, scsv_ = _STATE[state]
    sjson, stext, scsv = _NO_STATUS if status is None else _STATUS[status]
    pjson, pcsv = _PLACEMENT[placement]
    rjson = rtext = rcsv = ""
    if reasons:
        rtext = " | ".join(reasons)
        rjson, rcsv = f',"reasons":[{",".join(map(json_string, reasons))}]', text_field(rtext)
    key = _PATH_STATE_PLACEMENT | (0 if stext is None else _STATUS_BIT) | (_REASONS_BIT if rtext else 0)
    return (sjson_, f"{sjson}{rjson}{pjson}}}", f"{scsv_},{scsv},{pcsv},{rcsv}",
            f"{scsv},{scsv_}", stext, rtext, key)


@lru_cache(maxsize=20_000)
def _unplaced(path: str, state: str, status: str | None, placement: str,
              reasons: tuple[str, ...]) -> tuple[str, str, tuple[object, ...], int, str, int, int]:
    """Everything the outputs hold of a cell with no number, text or place (a missing cell:
    most of a cut-off report), which is a function of these fields: its JSON, its lean CSV
    line after the report's `seq`, its store row and that row's `row_key`, its reports
    row's fields as CSV, and where they go (as `_path_info`). The pass writes it as it
    writes any cell."""
    jhead, cpath, _, at3, at = _PATHS[path]
    sjson_, jtail, cmid, fcsv, stext, rtext, key = _marks(state, status, placement, reasons)
    line = ",".join(("", cpath, "", "", "", cmid, ",", ",", "", ",,,,"))
    row = (path, state, None, None, None, None, stext, rtext, None, None, None, placement)
    return f"{jhead}{sjson_}{jtail}", line, row, key, f",{fcsv}", at3, at


@lru_cache(maxsize=20_000)
def _raw(raw: str) -> tuple[str, str]:
    """(JSON piece, CSV field) of a cell's printed text."""
    return ',"raw":' + json_string(raw), text_field(raw)


class _Generic(Exception):
    """A cell the pass does not write by hand: the generic code of each output writes it."""


def cell_pass(item: Item) -> CellPass:
    """The item's cells in one pass (made once per item, kept on it); also sets the item's
    reports row (`tables.report_values`)."""
    if item.cell_pass is not None:
        return item.cell_pass  # type: ignore[no-any-return]
    r = item.record
    assert r is not None
    cells = cells_of(item)
    seq = str(item.seq)
    json_parts: list[str] = []
    lean: list[str] = []
    rows: list[tuple[object, ...]] = []
    keyed: defaultdict[int, list[tuple[object, ...]]] = defaultdict(list)  # rows by `row_key`
    numbers: list[tuple[str, int | Decimal]] = []
    fields = list(_EMPTY_FIELDS)
    fields_csv = list(_EMPTY_FIELDS_CSV)
    paths, marks, unplaced, raw_of = _PATHS, _marks, _unplaced, _raw
    number, cell_type, state_type, status_type = _NUMBER, Cell, CellState, CellStatus
    all_cells = True  # every cell a `Cell` (else pydantic writes the tables)
    layout = table_layout(type(r.tables))
    start, run = trailing_run(cells, type(r.tables), layout, _unplaced)
    for c in cells[:start] if run is not None else cells:
        d = c.__dict__
        try:
            if (type(c) is not cell_type or d["second"] is not None
                    or d["correction"] is not None or d["ocr"] is not None
                    or d["reader"] != "parser"):
                raise _Generic
            path, state, value, status, span = (
                d["path"], d["state"], d["value"], d["status"], d["span"])
            if type(state) is not state_type or (status is not None
                                                 and type(status) is not status_type):
                raise _Generic
            text = state._value_
            stvalue = None if status is None else status._value_
            reasons = d["reasons"]
            raw, unit, src, page = d["raw"], d["unit"], d["source_span"], d["page"]
            if (value is None and span is None and raw is None and unit is None
                    and src is None and page is None):
                j, tail, row, key, fcsv, at3, at = unplaced(
                    path, text, stvalue, d["placement"], tuple(reasons) if reasons else ())
                json_parts.append(j)
                lean.append(seq + tail)
                rows.append(row)
                keyed[key].append(row)
                fields[at3 + 1] = row[6]
                fields[at3 + 2] = text
                fields_csv[at] = fcsv
                continue
            jhead, cpath, is_amount, at3, at = paths[path]
            sjson_, jtail, cmid, fcsv, stext, rtext, key = marks(
                text, stvalue, d["placement"], tuple(reasons) if reasons else ())
            if (unit is None and type(span) is tuple and type(src) is tuple and type(raw) is str
                    and (page is None or type(page) is int)
                    and (value is None or (type(value) is int and state is number
                                           and not is_amount))):
                # most cells: a printed count, or a printed cell without a number (blank)
                s0, s1 = span
                a0, a1 = src
                if type(s0) is not int or type(s1) is not int or type(a0) is not int \
                        or type(a1) is not int:
                    raise _Generic
                cspan, csrc = f"{s0},{s1}", f"{a0},{a1}"
                jspan, jsrc = f',"span":[{cspan}]', f',"source_span":[{csrc}]'
                jraw, craw = raw_of(raw)
                rep = count = value
                fen = None
                junit = a = ""
                key |= _RAW_BIT | _SPAN_BITS
                if value is None:
                    n = jv = ""
                else:
                    n = str(value)
                    jv = ',"value":' + n
                    key |= _COUNT_BIT
                    if raw == n:
                        craw = ""
                if page is None:
                    jpage = cpage = ""
                else:
                    jpage, cpage = f',"page":{page}', str(page)
                    key |= _PAGE_BIT
            else:
                if page is not None and type(page) is not int:
                    raise _Generic
                # the number, as each output holds it: JSON, reports row, CSV count or amount,
                # the store's count or amount in 分
                rep = count = fen = None
                n = a = ""
                raw_csv = raw
                vtype = type(value)
                if value is None:
                    jv = ""
                elif vtype is int:
                    jv = f',"value":{value}'
                elif vtype is Decimal:
                    jv = f',"value":"{value}"'
                else:
                    raise _Generic
                if state is number and value is not None:
                    if is_amount:
                        rep = Decimal(value)  # type: ignore[arg-type]
                        a = format(rep, "f")
                        if raw == a:
                            raw_csv = None
                        scaled = rep * _SCALE
                        fen = int(scaled) if scaled == scaled.to_integral_value() else None
                    else:
                        if vtype is int:
                            rep = count = value
                        elif value == value.to_integral_value():  # type: ignore[union-attr]
                            rep = count = int(value)  # type: ignore[arg-type]
                        if rep is not None:
                            n = str(rep)
                            if raw == n:
                                raw_csv = None
                if span is None:
                    s0 = s1 = None
                    jspan = ""
                    cspan = ","
                else:
                    s0, s1 = span  # a pair of ints, or the generic code writes it
                    if type(span) is not tuple or type(s0) is not int or type(s1) is not int:
                        raise _Generic
                    jspan = f',"span":[{s0},{s1}]'
                    cspan = f"{s0},{s1}"
                if src is None:
                    jsrc = ""
                    csrc = ","
                else:
                    a0, a1 = src
                    if type(src) is not tuple or type(a0) is not int or type(a1) is not int:
                        raise _Generic
                    jsrc = f',"source_span":[{a0},{a1}]'
                    csrc = f"{a0},{a1}"
                junit = "" if unit is None else ',"unit":' + json_string(unit)  # type: ignore[arg-type]
                if raw is None:
                    jraw = craw = ""
                else:  # the CSV leaves out a raw that reads as the number it wrote (`raw_csv`)
                    jraw, craw = raw_of(raw)  # type: ignore[arg-type]
                    if raw_csv is None:
                        craw = ""
                if page is None:
                    jpage = cpage = ""
                else:
                    jpage, cpage = f',"page":{page}', str(page)
                key |= ((0 if count is None else _COUNT_BIT) | (0 if fen is None else _FEN_BIT)
                        | (0 if unit is None else _UNIT_BIT) | (0 if raw is None else _RAW_BIT)
                        | (0 if span is None else _SPAN_BITS)
                        | (0 if page is None else _PAGE_BIT))
        except (_Generic, TypeError, KeyError, ValueError):  # ValueError: a span not a pair
            all_cells &= type(c) is cell_type
            path = c.path
            json_parts.append(cell_json(c))
            lean.append(lean_line(c, seq))
            row = cell_row(c)
            rows.append(row)
            key = row_key(row)
            keyed[key].append(row)
            if path in _FIELD_AT:
                at = _FIELD_AT[path]
                fields[3 * at:3 * at + 3] = three = report_cell(c, BY_PATH[path].is_amount)
                fields_csv[at] = _csv_fields(three)
            if c.state is number and c.value is not None:
                numbers.append((path, c.value))
            continue
        json_parts.append(f"{jhead}{sjson_}{jv}{junit}{jraw}{jspan}{jsrc}{jpage}{jtail}")
        lean.append(f"{seq},{cpath},{n},{a},{craw},{cmid},{cspan},{csrc},{cpage},,,,,")
        row = (path, text, count, fen, unit, raw, stext, rtext, s0, s1, page, d["placement"])
        rows.append(row)
        keyed[key].append(row)
        fields[at3] = rep
        fields[at3 + 1] = stext
        fields[at3 + 2] = text
        fields_csv[at] = f"{n}{a},{fcsv}"  # n or a: the number's text
        if state is number and value is not None:
            numbers.append((path, value))  # type: ignore[arg-type]
    if run is not None:  # the trailing run of missing cells, as `_unplaced` writes each
        rows += run.rows
        for key, of_key in run.keyed:
            keyed[key] += of_key
        for a, status_texts, state_texts, csv_fields in run.stretches:
            b = a + len(csv_fields)
            fields[3 * a + 1:3 * b:3] = status_texts
            fields[3 * a + 2:3 * b:3] = state_texts
            fields_csv[a:b] = csv_fields
    # the counts, from the store rows' state and status (one C pass)
    pairs = Counter(map(_STATE_STATUS, rows))
    statuses: Counter[str] = Counter()
    n_number = n_missing = 0
    for (state_text, status_text), k in pairs.items():
        if status_text is not None:
            statuses[status_text] += k  # type: ignore[index]
        n_number += k if state_text == _NUMBER_TEXT else 0
        n_missing += k if state_text == _MISSING_TEXT else 0
    item.report_row = [*report_head(item, len(cells), n_number, statuses, n_missing), *fields]
    tables = None
    if (layout is not None and type(r.tables.template) is str and len(layout[0]) == len(cells)
            and all_cells):
        before, end = layout
        head = "".join(('{"template":', json_string(r.tables.template),
                        *chain.from_iterable(zip(before[:start], json_parts, strict=True))))
        tables = b"".join((head.encode(), b"" if run is None else run.json, end.encode()))
    lean_utf8 = ("\r\n".join(lean) + "\r\n").encode() if lean else b""
    if run is not None:  # its lines, each after the report's `seq`
        seq_utf8 = seq.encode()
        lean_utf8 += b"".join((seq_utf8, (b"\r\n" + seq_utf8).join(run.tails), b"\r\n"))
    item.cell_pass = CellPass(tables, lean_utf8,
                              cell_groups(rows, keyed),
                              statuses[_FLAGGED], pairs[(_MISSING_TEXT, _FLAGGED)], numbers,
                              ",".join(fields_csv))
    return item.cell_pass


def lean_line(c: Cell, seq: str) -> str:
    """A cell's line of the lean cells table (without its line end), from the cell's
    attributes: what `cell_pass` writes by hand for a plain cell, for any cell."""
    is_amount = BY_PATH[c.path].is_amount
    k, m = cell_number(c, is_amount)
    n, a = int_field(k), "" if m is None else format(m, "f")
    printed = n or a  # the number as `value` or `amount` writes it
    raw = None if printed and c.raw == printed else c.raw
    field = text_field
    span, src, status = c.span, c.source_span, c.status
    return ",".join((
        seq, field(c.path), n, a, "" if raw is None else field(raw), field(c.state._value_),
        "" if status is None else field(status._value_), field(c.placement),
        field(" | ".join(c.reasons)) if c.reasons else "",
        "," if span is None else f"{span[0]},{span[1]}",
        "," if src is None else f"{src[0]},{src[1]}",
        int_field(c.page), _csv_fields(correction_values(c, is_amount))))


def _csv_fields(values: Iterable[object]) -> str:
    """Typed values as CSV fields, joined as `csv.writer` joins them."""
    return ",".join(text_field(v) if type(v) is str else csv_text(v) for v in values)


__all__ = ["CellPass", "cell_pass", "lean_line"]
