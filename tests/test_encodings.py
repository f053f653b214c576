"""Text inputs in the encodings publishers save them in read the same tables, with spans
that point into the decoded file."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.run.pipeline import process
from extractor.schema import Record, iter_cells


def cells(record: Record) -> dict:
    assert isinstance(record, Record), record
    return {c.path: c for c in iter_cells(record.tables)}


@pytest.mark.parametrize(("codec", "bom", "encoding"), [
    ("utf-16-le", b"\xff\xfe", "utf-16"),  # Windows Notepad's "Unicode"
    ("utf-16-be", b"\xfe\xff", "utf-16"),
])
def test_utf16_with_a_byte_order_mark(tmp_path: Path, golden_inputs: Path, codec: str,
                                      bom: bytes, encoding: str) -> None:
    text = (golden_inputs / "pinghu_health_2024.txt").read_text("utf-8")
    f = tmp_path / "report.txt"
    f.write_bytes(bom + text.encode(codec))
    record = process(f)
    got = cells(record)
    assert record.meta.encoding == encoding
    # hand-read values of pinghu_health_2024 (golden/expected)
    assert got["s2.licensing.decisions"].value == 13
    assert got["s3.new_received.total"].value == 1
    c = got["s2.licensing.decisions"]
    assert c.source_span is not None
    assert text[c.source_span[0]:c.source_span[1]] == "13"
    assert [c.value for c in cells(process(golden_inputs / "pinghu_health_2024.txt")).values()] \
        == [c.value for c in got.values()]
