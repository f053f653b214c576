"""`csvtext.csv_line` (every CSV line the exports write: flags, reports' heads, panel rows,
the readable cells) against `csv.writer` itself: the writer's default dialect after
`csv_text`, on every golden report's flags and on hypothesis-made rows of every type and of
text holding what the writer quotes (`,`, `"`, CR, LF), what `csv_text` neutralises (a
leading `=`, `+`, `-`, `@`, tab, CR) and the rest of Unicode."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.outputs.csvtext import csv_text
from extractor.outputs.items import Item
from extractor.outputs.rows import csv_lines
from extractor.outputs.tables import cell_values, flag_values
from extractor.run.pipeline import process
from extractor.schema import Record

ROOT = Path(__file__).resolve().parent.parent


def writer_lines(rows: list[list[object]]) -> str:
    """The reference: `csv.writer` on each value's `csv_text`."""
    buf = io.StringIO()
    csv.writer(buf).writerows([[csv_text(v) for v in row] for row in rows])
    return buf.getvalue()


texts = st.text(st.sampled_from(list(',"\r\n=+-@\t \'a1.中文⏎')) | st.characters(), max_size=12)
values = st.none() | st.integers() | st.booleans() | texts | st.decimals(
    allow_nan=False, allow_infinity=False, places=3) | st.floats(allow_nan=False)
rows = st.lists(st.lists(values, max_size=6), max_size=4)


@settings(max_examples=400, deadline=None)
@given(rows)
def test_the_lines_are_the_writers(rows: list[list[object]]) -> None:
    assert csv_lines(rows) == writer_lines(rows)


def test_a_row_of_one_empty_field_and_awkward_fields() -> None:
    cases = [[[""]], [[None]], [[]], [["", ""]], [['a"b', "c,d", "e\rf", "g\nh", "=1", "-3.5"]],
             [[Decimal("1E+3"), True, 7, -0.5]]]
    for case in cases:
        assert csv_lines(case) == writer_lines(case)


def test_every_golden_reports_flags_and_cells() -> None:
    golden = sorted((ROOT / "golden" / "inputs").iterdir())
    checked = 0
    for seq, src in enumerate(golden):
        record = process(src)
        if isinstance(record, Record):
            item = Item.of(record, seq)
            for table in (flag_values(item), cell_values(item)):
                assert csv_lines(table) == writer_lines(table)
                checked += len(table)
    assert checked > 1000
