"""The verifier: identities as rules, blanks, placeholders, grounding and verdicts."""

from __future__ import annotations

from pathlib import Path

from extractor.schema import (
    Cell,
    CellState,
    CellStatus,
    Extraction,
    ReportMeta,
    build_tables,
    iter_cells,
    template_paths,
)
from extractor.schema.identities import instances
from verify import verify

ROOT = Path(__file__).resolve().parent.parent


def make(values: dict[str, str], template: str = "2019") -> tuple[Extraction, str]:
    """An extraction whose every cell is grounded in a synthetic text: 'path=<raw>' lines.

    `values` maps a path to its printed text ("" for blank); unnamed cells print "0".
    """
    text_parts: list[str] = []
    cells: dict[str, Cell] = {}
    pos = 0
    from extractor.schema.values import as_amount, read_value

    for path in template_paths(template):
        raw = values.get(path, "0")
        prefix = f"{path}="
        start = pos + len(prefix)
        text_parts.append(prefix + raw + "\n")
        pos += len(prefix) + len(raw) + 1
        if raw == "MISSING":
            cells[path] = Cell(path=path, state=CellState.MISSING, reasons=["MISSING: absent"])
            continue
        r = read_value(raw)
        assert r is not None
        if path.endswith("amount"):
            r = as_amount(r)
        cells[path] = Cell(path=path, state=r.state, value=r.value, unit=r.unit, raw=raw,
                           span=(start, start + len(raw)))
    meta = ReportMeta(source_file="t.txt", sha256="0" * 64, format="text", encoding="utf-8",
                      template=template)  # type: ignore[arg-type]
    return Extraction(meta=meta, tables=build_tables(template, cells)), "".join(text_parts)


def statuses(record) -> dict[str, CellStatus]:
    return {c.path: c.status for c in iter_cells(record.tables)}


def flag_keys(record) -> set[str]:
    return {f.key for f in record.flags}


def test_identities_are_data_and_cover_both_templates() -> None:
    for template, s3_rows in (("2019", 23), ("2021", 25)):
        eqs = instances(template)
        assert sum(e.rule == "I1" for e in eqs) == 7
        assert sum(e.rule == "I2" for e in eqs) == 7
        assert sum(e.rule == "I3" for e in eqs) == s3_rows
        assert sum(e.rule == "I4" for e in eqs) == 3
    i2 = next(e for e in instances("2021") if e.key == "I2:total")
    assert "s3.other_processing_3.total" in i2.right


def test_all_zero_report_is_verified_in_s3_s4_and_grounded_in_s2() -> None:
    record = verify(*make({}))
    st = statuses(record)
    assert not record.flags
    assert all(s is CellStatus.VERIFIED for p, s in st.items() if p[:2] in ("s3", "s4"))
    assert all(s is CellStatus.GROUNDED for p, s in st.items() if p.startswith("s2"))


def test_failed_identity_with_grounded_numbers_is_a_source_inconsistency() -> None:
    record = verify(*make({"s4.review.maintained": "2", "s4.review.total": "3"}))
    (flag,) = [f for f in record.flags if f.key == "I4:review"]
    assert flag.verdict == "source_inconsistency"
    assert "3" in flag.message and "2" in flag.message
    assert statuses(record)["s4.review.total"] is CellStatus.FLAGGED


def test_a_number_that_is_not_what_the_source_says_is_an_extraction_error() -> None:
    extraction, text = make({"s4.review.maintained": "2", "s4.review.total": "2"})
    cells = {c.path: c for c in iter_cells(extraction.tables)}
    cells["s4.review.total"] = cells["s4.review.total"].model_copy(update={"value": 3})
    extraction = extraction.model_copy(update={"tables": build_tables("2019", cells)})
    record = verify(extraction, text)
    assert "GROUND:s4.review.total" in flag_keys(record)
    (i4,) = [f for f in record.flags if f.key == "I4:review"]
    assert i4.verdict == "extraction_error"


def placed(extraction: Extraction, paths: list[str], placement: str) -> Extraction:
    """The extraction with the cells at `paths` placed by `placement` instead of read."""
    cells = {c.path: c for c in iter_cells(extraction.tables)}
    for p in paths:
        cells[p] = cells[p].model_copy(update={"placement": placement})
    return extraction.model_copy(update={"tables": build_tables(extraction.tables.template, cells)})


REVIEW = [f"s4.review.{c}" for c in ("maintained", "corrected", "other", "pending", "total")]


def test_a_cell_whose_position_the_identities_chose_is_inferred_never_verified() -> None:
    extraction, text = make({"s4.review.maintained": "2", "s4.review.total": "2"})
    for how in ("identities", "orphan", "llm"):
        record = verify(placed(extraction.model_copy(deep=True), REVIEW, how), text)
        st = statuses(record)
        assert all(st[p] is CellStatus.INFERRED for p in REVIEW), how
        assert st["s4.litigation_direct.total"] is CellStatus.VERIFIED  # read where printed
        assert record.summary.inferred == 5
        assert record.summary.verified == record.summary.cells - 5 - record.summary.grounded
        assert not record.flags


def test_a_placed_cell_whose_identity_fails_is_flagged_as_an_extraction_error() -> None:
    # Read where printed, the same numbers are the report's own inconsistency; placed by us,
    # the failure may be our placement.
    extraction, text = make({"s4.review.maintained": "2", "s4.review.total": "3"})
    record = verify(placed(extraction, REVIEW, "identities"), text)
    (flag,) = [f for f in record.flags if f.key == "I4:review"]
    assert flag.verdict == "extraction_error"
    assert all(statuses(record)[p] is CellStatus.FLAGGED for p in REVIEW)


def test_blank_counts_as_zero_and_the_message_says_a_blank_decided() -> None:
    record = verify(*make({"s4.review.maintained": "1", "s4.review.total": ""}))
    (flag,) = [f for f in record.flags if f.key == "I4:review"]
    assert "blank" in flag.message and "结果维持" not in flag.message.split("decide this:")[1]


def test_placeholder_makes_identities_not_assessable_never_passed() -> None:
    record = verify(*make({"s4.review.corrected": "/"}))
    (check,) = [c for c in record.checks if c.key == "I4:review"]
    assert check.outcome == "not_assessable" and "placeholder" in check.message
    st = statuses(record)
    assert st["s4.review.corrected"] is CellStatus.FLAGGED
    assert st["s4.review.total"] is CellStatus.GROUNDED  # not verified: nothing passed for it
    assert "PLACEHOLDER:s4.review.corrected" in flag_keys(record)


def test_missing_cells_are_flagged_and_their_identities_not_assessable() -> None:
    record = verify(*make({"s3.new_received.total": "MISSING"}))
    (i1,) = [c for c in record.checks if c.key == "I1:total"]
    assert i1.outcome == "not_assessable"
    assert statuses(record)["s3.new_received.total"] is CellStatus.FLAGGED


def test_blank_total_on_a_detail_row_is_a_convention_not_a_failure() -> None:
    values = {"s3.granted.natural_person": "3", "s3.granted.total": "",
              "s3.new_received.natural_person": "3", "s3.new_received.total": "3",
              "s3.total_processed.natural_person": "3", "s3.total_processed.total": "3"}
    values.update({f"s3.{r}.total": "" for r in ("partially_granted", *(f"denied_{i}" for i in range(1, 9)),
                   *(f"unable_{i}" for i in range(1, 4)), *(f"not_processed_{i}" for i in range(1, 6)),
                   "other_processing")})
    record = verify(*make(values))
    checks = {c.key: c.outcome for c in record.checks}
    assert checks["I3:granted"] == "not_assessable"
    assert checks["I2:total"] == "not_assessable"
    assert checks["I1:natural_person"] == "pass"
    assert not record.flags


def test_blank_total_of_the_summary_row_is_checked() -> None:
    record = verify(*make({"s3.new_received.natural_person": "1", "s3.new_received.total": ""}))
    assert "I3:new_received" in flag_keys(record)


def test_negative_count_fails_i5_but_a_2019_change_may_be_negative() -> None:
    record = verify(*make({"s2.punishment.change": "减47", "s3.granted.commercial": "-1"}))
    keys = flag_keys(record)
    assert "I5:s3.granted.commercial" in keys
    assert not any(k.startswith("I5:s2") for k in keys)


def test_a_blank_in_a_table_that_prints_0_flags_its_row() -> None:
    # A dropped "0" absorbed by trailing padding: every identity still holds (blank = 0).
    record = verify(*make({"s3.carried_over.total": ""}))
    (flag,) = [f for f in record.flags if f.key == "PATTERN:s3.carried_over"]
    assert "总计 blank while every other row" in flag.message and "compare the row" in flag.message
    st = statuses(record)
    assert all(st[f"s3.carried_over.{c}"] is CellStatus.FLAGGED for c in ("natural_person", "total"))
    assert st["s3.granted.total"] is CellStatus.VERIFIED
    assert [f.key for f in record.flags] == ["PATTERN:s3.carried_over"]


def test_a_row_mixing_printed_0_and_blank_is_flagged_when_no_other_row_does() -> None:
    values = {f"s3.{r}.{c}": "MISSING" for r in ("new_received", "carried_over", "granted")
              for c in ("natural_person", "commercial", "research", "social_welfare",
                        "legal_service", "other", "total")}
    values["s4.review.maintained"] = ""  # section 四 alone: its siblings print every cell
    record = verify(*make(values))
    assert "PATTERN:s4.review" in flag_keys(record)
    lone = {f"s3.{r}.{c}": "MISSING" for r in (
        "new_received", "carried_over", "granted", "partially_granted",
        *(f"denied_{i}" for i in range(1, 9)), *(f"unable_{i}" for i in range(1, 4)),
        *(f"not_processed_{i}" for i in range(1, 6)), "other_processing", "carried_forward")
        for c in ("natural_person", "commercial", "research", "social_welfare",
                  "legal_service", "other", "total")}
    lone["s3.total_processed.total"] = ""  # the only row left: no sibling to compare with
    record = verify(*make(lone))
    (flag,) = [f for f in record.flags if f.key == "PATTERN:s3.total_processed"]
    assert "prints 0 in" in flag.message and "leaves 总计 blank" in flag.message


def test_tables_that_leave_none_blank_are_not_pattern_flagged() -> None:
    # Blank for none everywhere, 总计 printed as 0 on two rows (as 海宁 prints it).
    values = {p: "" for p in template_paths("2019") if p.startswith("s3.")}
    values.update({"s3.carried_over.total": "0", "s3.carried_forward.total": "0",
                   "s3.new_received.natural_person": "2", "s3.new_received.total": "2",
                   "s3.granted.natural_person": "2", "s3.granted.total": "2",
                   "s3.total_processed.natural_person": "2", "s3.total_processed.total": "2"})
    record = verify(*make(values))
    assert not any(k.startswith("PATTERN") for k in flag_keys(record))
