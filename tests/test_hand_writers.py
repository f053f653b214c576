"""What a worker writes by hand for speed (issue 17) must be the bytes the generic writers
make, on every golden record and on any cell a record can hold: `codec.encode_bare` writes
a record's tables (pydantic's serializer was a third of the payload's CPU) and
`rows.lean_cells_csv` the lean cells table (`csv.writer` over typed rows)."""

from __future__ import annotations

import copy
import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractor.outputs.items import Item
from extractor.outputs.rows import lean_cells_csv
from extractor.outputs.safe import neutralise
from extractor.outputs.tables import BY_PATH, _correction, amount, cells_of, count
from extractor.run.pipeline import process
from extractor.schema import Cell, CellState, CellStatus, Correction, Record, iter_cells
from extractor.schema.models import OcrReading, SecondReading
from extractor.store.codec import encode_bare

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


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_cell_is_written_as_pydantic_writes_it(records: list[Record], data: st.DataObject) -> None:
    record = copy.deepcopy(data.draw(st.sampled_from(records[:4])))
    rows = [(sec_name, row) for sec_name in ("s2", "s3", "s4")
            for row in getattr(record.tables, sec_name).__dict__.values()]
    for _ in range(data.draw(st.integers(1, 6))):
        _, row = data.draw(st.sampled_from(rows))
        col = data.draw(st.sampled_from(sorted(row.__dict__)))
        row.__dict__[col] = data.draw(cells(row.__dict__[col].path))
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
        rows.append([
            item.seq, c.path, n, a, raw, c.state.value, c.status.value if c.status else None,
            c.placement, " | ".join(c.reasons) or None, span[0], span[1], src[0], src[1],
            c.page, *_correction(c, is_amount),
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
    record = copy.deepcopy(data.draw(st.sampled_from(records[:4])))
    rows = [row for sec_name in ("s2", "s3", "s4")
            for row in getattr(record.tables, sec_name).__dict__.values()]
    for _ in range(data.draw(st.integers(1, 6))):
        row = data.draw(st.sampled_from(rows))
        col = data.draw(st.sampled_from(sorted(row.__dict__)))
        row.__dict__[col] = data.draw(cells(row.__dict__[col].path))
    seq = data.draw(st.integers(0, 10**6))
    assert lean_cells_csv(Item.of(record, seq)) == csv_reference(Item.of(record, seq))


def test_the_hand_writer_covers_the_cells_it_claims(records: list[Record]) -> None:
    """Not a vacuous comparison: a golden record's cells hold values, raw text, spans,
    statuses and reasons, which the hand writer (not pydantic) writes."""
    cells = [c for r in records for c in iter_cells(r.tables)]
    assert any(type(c.value) is Decimal for c in cells)
    assert any(type(c.value) is int for c in cells)
    assert any(c.reasons for c in cells) and any(c.placement != "direct" for c in cells)
