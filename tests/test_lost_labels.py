"""Section 三 rows whose label was lost (a PDF converter prints a two-line label apart from
its row): re-attached by template order and the identities only when exactly one
assignment fits, otherwise flagged LAYOUT; never silently dropped or guessed."""

from __future__ import annotations

from pathlib import Path

from s3_table import report, s3_rows

from extractor.run.pipeline import process
from extractor.schema import Record, iter_cells


def run(tmp_path: Path, text: str) -> tuple[Record, dict]:
    f = tmp_path / "r.md"
    f.write_text(text, encoding="utf-8")
    record = process(f)
    assert isinstance(record, Record), record
    return record, {c.path: c for c in iter_cells(record.tables)}


def values(cells: dict, row: str) -> list:
    return [cells[f"s3.{row}.{c}"].value for c in
            ("natural_person", "commercial", "research", "social_welfare", "legal_service", "other", "total")]


def test_a_row_printed_without_its_label_takes_the_one_free_template_row_between_its_neighbours(
        tmp_path: Path) -> None:
    rows = s3_rows()
    rows["partially_granted"] = rows["partially_granted"][1:]  # "| 1 | 1 | 0 | 0 | 0 | 0 | 2 |"
    record, cells = run(tmp_path, report(rows))
    assert values(cells, "partially_granted") == [1, 1, 0, 0, 0, 0, 2]
    # Its row was chosen, not printed: inferred (placement orphan), never verified.
    assert {(cells[f"s3.partially_granted.{c}"].status.value, cells[f"s3.partially_granted.{c}"].placement)
            for c in ("natural_person", "total")} == {("inferred", "orphan")}
    placed = [w for w in record.warnings if w.key == "PLACED:s3.partially_granted"]
    assert placed and "without their label" in placed[0].message
    assert not record.flags


def test_rows_keeping_only_fragments_of_their_labels_are_placed_in_printed_order(tmp_path: Path) -> None:
    rows = s3_rows(values={"new_received": [5, 0, 0, 0, 0, 0, 5], "granted": [1, 0, 0, 0, 0, 0, 1],
                           "not_processed_5": [1, 0, 0, 0, 0, 0, 1],
                           "other_processing_1": [2, 0, 0, 0, 0, 0, 2],
                           "other_processing_2": [1, 0, 0, 0, 0, 0, 1],
                           "total_processed": [5, 0, 0, 0, 0, 0, 5]})
    rows["not_processed_5"] = rows["not_processed_5"][1:]
    rows["other_processing_1"] = ["行政机关不再处理其政府信息公", *rows["other_processing_1"][2:]]
    rows["other_processing_2"] = ["缴纳费用、", "行政机关不再处理其政", *rows["other_processing_2"][1:]]
    record, cells = run(tmp_path, report(rows))
    assert values(cells, "not_processed_5")[0] == 1
    assert values(cells, "other_processing_1")[0] == 2
    assert values(cells, "other_processing_2")[0] == 1
    assert not record.flags


def test_a_fragment_that_names_another_row_prevents_the_placement(tmp_path: Path) -> None:
    rows = s3_rows()
    rows["partially_granted"] = ["重复申请", *rows["partially_granted"][1:]]  # a piece of （五）2's label
    record, cells = run(tmp_path, report(rows))
    assert cells["s3.partially_granted.total"].state.value == "unreadable"
    assert "LAYOUT:s3.partially_granted" in {f.key for f in record.flags}


def test_one_unlabelled_row_for_two_free_template_rows_is_flagged_not_guessed(tmp_path: Path) -> None:
    rows = s3_rows()
    rows["partially_granted"] = rows["partially_granted"][1:]
    del rows["granted"]  # two free rows (（一）, （二）) between 二、上年结转 and （三）1
    record, cells = run(tmp_path, report(rows))
    keys = {f.key for f in record.flags}
    assert {"LAYOUT:s3.granted", "LAYOUT:s3.partially_granted"} <= keys
    assert cells["s3.granted.natural_person"].state.value == "unreadable"
    assert cells["s3.partially_granted.natural_person"].value is None
    assert "2 free template rows" in next(f.message for f in record.flags if f.key == "LAYOUT:s3.granted")


def test_an_unlabelled_row_whose_only_place_breaks_an_identity_is_flagged(tmp_path: Path) -> None:
    rows = s3_rows()
    rows["partially_granted"] = ["1", "1", "0", "0", "0", "0", "3"]  # I3: 1 + 1 ≠ 3
    record, cells = run(tmp_path, report(rows))
    flag = next(f for f in record.flags if f.key == "LAYOUT:s3.partially_granted")
    assert "no placement satisfies" in flag.message
    assert cells["s3.partially_granted.total"].value is None


def test_an_unlabelled_row_with_no_free_template_row_is_reported_not_placed(tmp_path: Path) -> None:
    rows = s3_rows()
    extra = ["7", "0", "0", "0", "0", "0", "7"]
    text = report([*list(rows.values())[:3], extra, *list(rows.values())[3:]])
    record, cells = run(tmp_path, text)
    assert values(cells, "granted") == [1, 0, 0, 0, 0, 0, 1]
    assert any(w.rule == "UNRECOGNIZED" and "no free template row" in w.message for w in record.warnings)
    assert not record.flags


def test_many_unlabelled_rows_for_many_free_rows_are_flagged_without_an_exhaustive_search(
        tmp_path: Path) -> None:
    rows = s3_rows()
    body = [rows["new_received"], rows["carried_over"]]
    body += [cells[-7:] for name, cells in rows.items() if name.startswith(("denied", "unable"))]
    body += [rows["carried_forward"]]  # 11 unlabelled rows for the 23 free rows in between
    record, cells = run(tmp_path, report(body))
    flag = next(f for f in record.flags if f.key == "LAYOUT:s3.granted")
    assert "too many to decide" in flag.message
    assert cells["s3.unable_1.natural_person"].state.value == "unreadable"
