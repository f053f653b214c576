"""The extension point for cross-document checks (verify/crossdoc.py): a registered check is
called once per agency with that agency's records, oldest year first."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.run.pipeline import process
from extractor.schema import Issue, Located, Record
from verify import crossdoc

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def base() -> Record:
    record = process(ROOT / "golden" / "inputs" / "pinghu_health_2024.txt")
    assert isinstance(record, Record)
    return record


def as_report(base: Record, agency: str | None, year: int | None) -> Record:
    meta = base.meta.model_copy(update={"agency": Located(value=agency), "year": Located(value=year)})
    return base.model_copy(update={"meta": meta})


def test_a_registered_check_is_called_per_agency_with_its_records_oldest_first(
        base: Record, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crossdoc, "CROSS_DOCUMENT_CHECKS", {})
    calls: list[list[tuple[str | int | None, str | int | None]]] = []

    @crossdoc.register("TEST:series")
    def check(records):
        calls.append([(r.meta.agency.value, r.meta.year.value) for r in records])
        return [Issue(rule="TEST", key=f"TEST:{records[0].meta.agency.value}", message="seen")]

    reports = [as_report(base, "甲县卫生健康局", 2021), as_report(base, "乙区审计局", 2020),
               as_report(base, "甲县卫生健康局", 2019), as_report(base, None, 2020),
               as_report(base, "乙区审计局", None)]
    issues = crossdoc.run_cross_document_checks(reports)
    assert calls == [[("甲县卫生健康局", 2019), ("甲县卫生健康局", 2021)], [("乙区审计局", 2020)]]
    assert [i.key for i in issues] == ["TEST:甲县卫生健康局", "TEST:乙区审计局"]
    assert crossdoc.CROSS_DOCUMENT_CHECKS == {"TEST:series": check}


def test_checks_can_be_passed_explicitly_and_names_are_unique(
        base: Record, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crossdoc, "CROSS_DOCUMENT_CHECKS", {})
    seen: list[int] = []
    crossdoc.run_cross_document_checks(
        [as_report(base, "甲县卫生健康局", 2020)], checks={"x": lambda rs: seen.append(len(rs)) or []})
    assert seen == [1]
    crossdoc.register("TEST:once")(lambda rs: [])
    with pytest.raises(ValueError, match="already registered"):
        crossdoc.register("TEST:once")(lambda rs: [])
