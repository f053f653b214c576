"""What a worker writes by hand for speed (issue 17) must be the bytes the generic writers
make, on every golden record and on any cell a record can hold: `codec.encode_bare` writes
a record's tables (pydantic's serializer was a third of the payload's CPU) and
`rows.lean_cells_csv` the lean cells table (`csv.writer` over typed rows); `cellpass`
makes both, the store's cell rows, the reports row and the panel's numbers in one pass
over the cells (each output's own code is the reference)."""

from __future__ import annotations

import copy
import csv
import gzip
import io
import zlib
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractor.outputs.cellpass import cell_pass
from extractor.outputs.csvtext import csv_text
from extractor.outputs.items import RESULTS, Item
from extractor.outputs.options import OutputOptions
from extractor.outputs.rows import lean_cells_csv, reports_line
from extractor.outputs.safe import neutralise
from extractor.outputs.tables import BY_PATH, amount, cells_of, count, report_values
from extractor.panel.build import panel_doc
from extractor.run.payload import pack
from extractor.run.pipeline import process
from extractor.schema import Cell, CellState, CellStatus, Correction, Record, iter_cells
from extractor.schema.models import OcrReading, SecondReading
from extractor.store.codec import encode_bare, with_text
from extractor.store.rows import result_rows

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = sorted(p for d in ("inputs", "inputs-panel") for p in (ROOT / "golden" / d).iterdir()
                if p.is_file())


def pydantic_bare(record: Record) -> str:
    """The reference: pydantic's dump without nulls and the text, then the cells' default
    fields cut (what `encode_bare` wrote before it wrote the tables itself)."""
    text = record.model_dump_json(exclude_none=True, exclude={"text"})
    for default in (',"reasons":[]', ',"placement":"direct"', ',"reader":"parser"'):
        text = text.replace(default, "")
    return text


@pytest.fixture(scope="module")
def records() -> list[Record]:
    out = [process(p) for p in GOLDEN]
    return [r for r in out if isinstance(r, Record)]


def test_every_golden_record_is_written_as_pydantic_writes_it(records: list[Record]) -> None:
    assert len(records) >= 20
    assert {r.tables.template for r in records} == {"2019", "2021"}
    for r in records:
        assert encode_bare(r) == pydantic_bare(r), r.meta.source_file


texts = st.text(max_size=12) | st.sampled_from(
    ['"', "\\", '\\"', "\x00\x1f\x7f\b\f\n\r\t", "\u2028\u2029", "中文，万元", "😀", "=1+2",
     ',"reasons":[]', ""])
values = (st.none() | st.integers() | st.integers(min_value=-(10**40), max_value=10**40)
          | st.decimals(allow_nan=False, allow_infinity=False)
          | st.sampled_from([Decimal("-0.0"), Decimal("1E+3"), Decimal("1E-7"), Decimal("12.50")]))
spans = st.none() | st.tuples(st.integers(0, 10**6), st.integers(0, 10**6))


@st.composite
def cells(draw: st.DrawFn, path: str) -> Cell:
    extra: dict[str, object] = {}
    kind = draw(st.sampled_from(["plain", "plain", "plain", "second", "correction", "ocr"]))
    if kind == "second":
        extra["second"] = SecondReading(agrees=draw(st.booleans()), raw=draw(texts),
                                        value=draw(st.none() | st.integers()))
    elif kind == "correction":
        extra["correction"] = Correction(
            decision=draw(st.sampled_from(["accept", "set", "source_wrong"])),
            machine_state=CellState.NUMBER, value=Decimal("1.5"), note=draw(st.none() | texts),
            reviewer=draw(st.none() | texts), machine_value=draw(values))
    elif kind == "ocr":
        extra["ocr"] = OcrReading(page=1, bbox=(0.1, 0.2, 0.3, 0.4), confidence=0.5)
    if kind == "plain" and draw(st.booleans()):  # no number, text or place (as missing
        # cells are): the pass writes these from what it remembers of earlier ones
        return Cell(path=path, state=draw(st.sampled_from(list(CellState))),
                    status=draw(st.none() | st.sampled_from(list(CellStatus))),
                    reasons=draw(st.lists(st.sampled_from(["MISSING: absent", "=1", "a,b"]),
                                          max_size=2)),
                    placement=draw(st.sampled_from(["direct", "identities", "orphan", "llm"])))
    return Cell(
        path=path, state=draw(st.sampled_from(list(CellState))), value=draw(values),
        unit=draw(st.none() | texts),
        raw=draw(st.none() | texts | st.integers().map(str) | st.decimals(
            allow_nan=False, allow_infinity=False).map(lambda d: format(d, "f"))),
        span=draw(spans),
        source_span=draw(spans), page=draw(st.none() | st.integers(1, 10**4)),
        status=draw(st.none() | st.sampled_from(list(CellStatus))),
        reasons=draw(st.lists(texts, max_size=3)),
        placement=draw(st.sampled_from(["direct", "identities", "orphan", "llm"])),
        reader=draw(st.sampled_from(["parser", "llm"])), **extra)


def with_drawn_cells(records: list[Record], data: st.DataObject) -> Record:
    """A copy of one of the first golden records with one to six of its cells drawn anew."""
    record = copy.deepcopy(data.draw(st.sampled_from(records[:4])))
    rows = [row for sec_name in ("s2", "s3", "s4")
            for row in getattr(record.tables, sec_name).__dict__.values()]
    for _ in range(data.draw(st.integers(1, 6))):
        row = data.draw(st.sampled_from(rows))
        col = data.draw(st.sampled_from(sorted(row.__dict__)))
        row.__dict__[col] = data.draw(cells(row.__dict__[col].path))
    return record


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_cell_is_written_as_pydantic_writes_it(records: list[Record], data: st.DataObject) -> None:
    record = with_drawn_cells(records, data)
    assert encode_bare(record) == pydantic_bare(record)
    assert Record.model_validate_json(encode_bare(record)[:-1] + ',"text":""}').tables == \
        record.tables


def lean_cell_values(item: Item) -> list[list[object]]:
    """The lean cells table as typed rows (`LEAN_CELL_COLUMNS`), as the typed tables of
    `extractor.outputs.tables` make rows: `raw` left empty where it reads exactly as the
    number written in `value` or `amount`."""
    rows: list[list[object]] = []
    for c in cells_of(item):
        is_amount = BY_PATH[c.path].is_amount
        n = a = None
        raw = c.raw
        if c.state is CellState.NUMBER and c.value is not None:
            if is_amount:
                a = amount(c.value)
                if raw is not None and a is not None and raw == format(a, "f"):
                    raw = None
            else:
                n = count(c.value)
                if raw is not None and n is not None and raw == str(n):
                    raw = None
        span = c.span or (None, None)
        src = c.source_span or (None, None)
        k = c.correction
        machine: tuple[object, object] = (None, None)
        if k is not None and k.machine_value is not None:
            machine = (None, amount(k.machine_value)) if is_amount else (count(k.machine_value), None)
        rows.append([
            item.seq, c.path, n, a, raw, c.state.value, c.status.value if c.status else None,
            c.placement, " | ".join(c.reasons) or None, span[0], span[1], src[0], src[1],
            c.page, k and k.decision, *machine, k and k.reviewer, k and k.note,
        ])
    return rows


def csv_reference(item: Item) -> str:
    """The lean cells rows through `csv.writer` (numbers as the CSV exports write them:
    Decimals in fixed point, text neutralised)."""
    buf = io.StringIO()
    csv.writer(buf).writerows(
        [format(v, "f") if isinstance(v, Decimal) else neutralise(v) if isinstance(v, str)
         else v for v in row] for row in lean_cell_values(item))
    return buf.getvalue()


def test_every_golden_records_cells_csv_is_what_csv_writer_writes(records: list[Record]) -> None:
    for seq, r in enumerate(records):
        assert lean_cells_csv(Item.of(r, seq)) == csv_reference(Item.of(r, seq))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_cells_csv_is_what_csv_writer_writes(records: list[Record], data: st.DataObject) -> None:
    record = with_drawn_cells(records, data)
    seq = data.draw(st.integers(0, 10**6))
    assert lean_cells_csv(Item.of(record, seq)) == csv_reference(Item.of(record, seq))


def test_the_hand_writer_covers_the_cells_it_claims(records: list[Record]) -> None:
    """Not a vacuous comparison: a golden record's cells hold values, raw text, spans,
    statuses and reasons, which the hand writer (not pydantic) writes."""
    cells = [c for r in records for c in iter_cells(r.tables)]
    assert any(type(c.value) is Decimal for c in cells)
    assert any(type(c.value) is int for c in cells)
    assert any(c.reasons for c in cells) and any(c.placement != "direct" for c in cells)


# -- the one pass over the cells (`outputs.cellpass`) against each output's generic code ----

def generic_outputs(record: Record, seq: int) -> tuple[object, ...]:
    """What each output's own code makes of a record's cells: the tables' JSON (pydantic),
    the store's cell rows (`store.cell_row` per cell, the flagged-and-missing count of
    `result_rows` without rows given), the reports row (`tables.report_values` over the
    cells) and the panel's document."""
    item = Item.of(record, seq)
    rows = result_rows(record, b"", cells_of(item))
    doc = panel_doc(item)
    assert item.cell_pass is None  # nothing above took the pass
    return (pydantic_bare(record), rows, report_values(item), doc)


def pass_outputs(record: Record, seq: int) -> tuple[object, ...]:
    item = Item.of(record, seq)
    done = cell_pass(item)
    rows = result_rows(record, b"", cell_rows=(done.store_rows, done.missing))
    return (encode_bare(record, done.tables_utf8), rows, report_values(item), panel_doc(item))


def same_panel_doc(a: object, b: object) -> bool:
    """Equal docs; `a`, made from the cell pass, carries its fields' CSV text (`packed_csv`,
    which the generic `b` lacks): it must read as `csv.writer` writes `b`'s fields."""
    if a is None or b is None:
        return a is b
    if getattr(a, "packed_csv", None) is None or getattr(b, "packed_csv", 0) is not None:
        return False
    buf = io.StringIO()
    csv.writer(buf).writerow([csv_text(v) for v in b.row])  # type: ignore[attr-defined]
    if zlib.decompress(a.packed_csv).decode() + "\r\n" != buf.getvalue():  # type: ignore[attr-defined]
        return False
    return all(getattr(a, f) == getattr(b, f)
               for f in a.__slots__ if f != "packed_csv")  # type: ignore[attr-defined]


def assert_pass_is_generic(record: Record, seq: int) -> None:
    json_ref, rows_ref, report_ref, doc_ref = generic_outputs(record, seq)
    json_new, rows_new, report_new, doc_new = pass_outputs(record, seq)
    assert json_new == json_ref
    assert rows_new == rows_ref
    # typed values compare equal across types (1 == Decimal(1) == True): compare the types too
    assert [(type(v), v) for v in report_new] == [(type(v), v) for v in report_ref]
    assert [(type(v), v) for _, _, columns in rows_new.cells.groups for c in columns for v in c] \
        == [(type(v), v) for _, _, columns in rows_ref.cells.groups for c in columns for v in c]
    assert same_panel_doc(doc_new, doc_ref)
    item = Item.of(record, seq)
    buf = io.StringIO()
    csv.writer(buf).writerow([csv_text(v) for v in report_ref])
    assert reports_line(item) == buf.getvalue()


def test_the_cell_pass_makes_what_each_outputs_own_code_makes(records: list[Record]) -> None:
    for seq, r in enumerate(records):
        assert_pass_is_generic(r, seq)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_cell_pass_makes_it_for_any_cell(records: list[Record], data: st.DataObject) -> None:
    record = with_drawn_cells(records, data)
    assert_pass_is_generic(record, data.draw(st.integers(0, 10**6)))


def test_the_cell_pass_writes_most_cells_by_hand(records: list[Record], monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a vacuous comparison: on the golden records the pass, not the generic code it
    falls back on, writes the cells."""
    from extractor.outputs import cellpass

    generic: list[object] = []
    real = cellpass.cell_json
    monkeypatch.setattr(cellpass, "cell_json", lambda c: generic.append(c) or real(c))
    total = 0
    for seq, r in enumerate(records):
        cell_pass(Item.of(r, seq))
        total += len(list(iter_cells(r.tables)))
    assert total > 3000 and generic == []


def test_a_payload_holds_the_record_json_pydantic_writes(records: list[Record]) -> None:
    """`run.payload.pack` compresses the JSON it joins in UTF-8 (`encode_bare_bytes`): the
    store's blob and the results member hold pydantic's JSON (with the text, when asked)."""
    for seq, r in enumerate(records[:8]):
        for options in (OutputOptions(), OutputOptions(with_text=True)):
            p = pack(r, Path("in") / r.meta.source_file, seq, "0" * 64, options)
            assert zlib.decompress(p.rows.result[-2]).decode() == pydantic_bare(r)
            line = gzip.decompress(p.lines[RESULTS]).decode()
            assert line == (with_text(pydantic_bare(r), r.text) if options.with_text
                            else pydantic_bare(r)) + "\n"


def test_only_the_tables_hold_cells_defaults_to_cut() -> None:
    """`codec.names_defaults`: the tables hold cells (whose default fields the compact JSON
    cuts); a record's other fields hold no model with a field of those names, so pydantic's
    JSON of them is taken as it is (not scanned three times)."""
    from extractor.store.codec import names_defaults

    assert names_defaults({"tables"})
    assert names_defaults({"schema_version", "tables", "summary"})
    assert not names_defaults({"meta", "sections", "checks", "flags", "warnings", "summary",
                               "llm"})
