"""Subtotal rows a publisher added to section 三 ("小计", "（三）不予公开 合计", a group label
printed with its total): read, checked against their group's sub-rows, never taken for a
template row or for a row that lost its label."""

from __future__ import annotations

from pathlib import Path

from s3_table import VALUES_2021, report, s3_rows

from extractor.run.pipeline import process
from extractor.schema import Record, iter_cells

COLS = ("natural_person", "commercial", "research", "social_welfare", "legal_service", "other", "total")
#: denied_5 holds the only non-zero （三） sub-row: 1 | 0 | 0 | 0 | 0 | 0 | 1.
DENIED_SUM = ["1", "0", "0", "0", "0", "0", "1"]


def run(tmp_path: Path, rows: list[list[str]]) -> tuple[Record, dict]:
    f = tmp_path / "r.md"
    f.write_text(report(rows), encoding="utf-8")
    record = process(f)
    assert isinstance(record, Record), record
    return record, {c.path: c for c in iter_cells(record.tables)}


def with_row_after(name: str, extra: list[str]) -> list[list[str]]:
    rows = s3_rows()
    out: list[list[str]] = []
    for key, cells in rows.items():
        out.append(cells)
        if key == name:
            out.append(extra)
    return out


def template_values_unchanged(cells: dict) -> bool:
    return all([cells[f"s3.{r}.{c}"].value for c in COLS] == v for r, v in VALUES_2021.items())


def test_a_subtotal_after_the_sub_rows_is_read_and_checked_not_placed(tmp_path: Path) -> None:
    record, cells = run(tmp_path, with_row_after("denied_8", ["小计", *DENIED_SUM]))
    assert template_values_unchanged(cells) and not record.flags
    note = next(w for w in record.warnings if w.key == "SUBTOTAL:denied")
    assert "equals the sum of its 8 sub-rows in every column" in note.message and "1 | 0" in note.message
    assert note.span is not None and "小计" in record.text[note.span[0]:note.span[1]]
    checks = [c for c in record.checks if c.rule == "SUBTOTAL"]
    assert len(checks) == 7 and {c.outcome for c in checks} == {"pass"}


def test_a_group_total_printed_before_its_sub_rows_keeps_the_group_context(tmp_path: Path) -> None:
    rows = with_row_after("partially_granted", ["（三）不予公开", "合计", *DENIED_SUM])
    record, cells = run(tmp_path, rows)
    assert template_values_unchanged(cells) and not record.flags
    assert any(w.key == "SUBTOTAL:denied" for w in record.warnings)


def test_a_group_label_printed_with_values_is_its_subtotal(tmp_path: Path) -> None:
    rows = with_row_after("denied_8", ["（四）无法提供", "1", "0", "0", "0", "0", "0", "1"])
    record, cells = run(tmp_path, rows)
    assert template_values_unchanged(cells) and not record.flags
    assert any(w.key == "SUBTOTAL:unable" for w in record.warnings)


def test_a_subtotal_that_does_not_add_up_flags_its_group(tmp_path: Path) -> None:
    record, cells = run(tmp_path, with_row_after("denied_8", ["小计", "2", "0", "0", "0", "0", "0", "2"]))
    flag = next(f for f in record.flags if f.key == "SUBTOTAL:denied")
    assert flag.verdict == "source_inconsistency"
    assert "subtotal 2 ≠ sum of 8 sub-rows 1" in flag.message
    assert cells["s3.denied_5.natural_person"].status.value == "flagged"
    assert cells["s3.denied_5.commercial"].status.value != "flagged"  # that column adds up
    assert template_values_unchanged(cells)


def test_the_2021_other_processing_label_with_values_beside_its_sub_rows_is_a_subtotal(tmp_path: Path) -> None:
    record, cells = run(tmp_path, with_row_after("other_processing_3", ["（六）其他处理", *["0"] * 7]))
    assert template_values_unchanged(cells) and not record.flags
    assert any(w.key == "SUBTOTAL:other_processing" for w in record.warnings)


def test_a_subtotal_is_not_taken_for_a_row_that_lost_its_label(tmp_path: Path) -> None:
    rows = s3_rows()
    rows["partially_granted"] = rows["partially_granted"][1:]  # label lost
    body = list(rows.values())
    body.insert(list(rows).index("denied_8") + 1, ["小计", *DENIED_SUM])
    record, cells = run(tmp_path, body)
    assert template_values_unchanged(cells) and not record.flags
    assert {"PLACED:s3.partially_granted", "SUBTOTAL:denied"} <= {w.key for w in record.warnings}
