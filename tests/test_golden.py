"""Golden files: every cell's value and state, every status and placement, every flag with
its verdict, every warning, the metadata.

The expected files in golden/expected/ were written by hand from the source text (see
golden/GOLDEN.md); a difference here is either a regression or a reviewed golden update.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.evaluate.evaluation import (
    SECTIONS,
    STATUS_LETTER,
    ExpectedReport,
    cell_reading,
    evidence_mismatches,
    expected_cells,
    expected_placement,
    expected_status,
    load_expected,
)
from extractor.run.pipeline import process
from extractor.schema import Record, iter_cells

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
CASES = sorted(p.name[: -len(".json")] for p in (GOLDEN / "expected").glob("*.json"))


def test_every_golden_input_has_an_expected_file() -> None:
    assert sorted(p.name for p in (GOLDEN / "inputs").iterdir()) == CASES


@pytest.fixture(scope="module", params=CASES)
def case(request: pytest.FixtureRequest) -> tuple[ExpectedReport, Record]:
    exp = load_expected(GOLDEN / "expected" / f"{request.param}.json")
    record = process(GOLDEN / "inputs" / request.param)
    assert isinstance(record, Record), record
    return exp, record


def test_metadata(case: tuple[ExpectedReport, Record]) -> None:
    exp, r = case
    assert (r.meta.agency.value, r.meta.year.value, r.meta.template, r.truncated) == (
        exp.agency, exp.year, exp.template, exp.truncated)


def test_every_cell_value_and_state(case: tuple[ExpectedReport, Record]) -> None:
    exp, r = case
    expected = expected_cells(exp)
    got = {c.path: cell_reading(c) for c in iter_cells(r.tables)}
    wrong = {p: (got[p], expected[p]) for p in expected if got[p] != expected[p]}
    assert not wrong, f"(got, expected): {wrong}"
    assert set(got) == set(expected)


def test_every_cell_status(case: tuple[ExpectedReport, Record]) -> None:
    exp, r = case
    expected = expected_status(exp)
    got = {c.path: STATUS_LETTER[c.status.value] for c in iter_cells(r.tables)}  # type: ignore[union-attr]
    wrong = {p: (got[p], expected[p]) for p in expected if got[p] != expected[p]}
    assert not wrong, f"(got, expected): {wrong}"


def test_every_golden_file_states_all_its_evidence() -> None:
    # A key left out is not compared by `extractor eval`; the golden files leave none out, so
    # every status, placement, verdict and warning below is checked.
    for name in CASES:
        exp = load_expected(GOLDEN / "expected" / f"{name}.json")
        assert set(exp.status) == set(SECTIONS), name
        assert {"flags", "placement", "verdicts", "warnings"} <= exp.model_fields_set, name


def test_every_cell_placement(case: tuple[ExpectedReport, Record]) -> None:
    exp, r = case
    expected = expected_placement(exp)
    assert expected is not None
    got = {c.path: c.placement for c in iter_cells(r.tables)}
    wrong = {p: (got[p], expected[p]) for p in expected if got[p] != expected[p]}
    assert not wrong, f"(got, expected): {wrong}"


def test_flags(case: tuple[ExpectedReport, Record]) -> None:
    exp, r = case
    assert sorted(f.key for f in r.flags) == sorted(exp.flags)


def test_flag_verdicts(case: tuple[ExpectedReport, Record]) -> None:
    exp, r = case
    assert {f.key: f.verdict for f in r.flags if f.verdict is not None} == exp.verdicts


def test_warnings(case: tuple[ExpectedReport, Record]) -> None:
    exp, r = case
    assert sorted(w.key for w in r.warnings) == sorted(exp.warnings or [])


def test_the_evaluation_compares_the_same_evidence(case: tuple[ExpectedReport, Record]) -> None:
    exp, r = case
    assert evidence_mismatches(exp, r) == []


def test_the_evidence_comparison_fails_on_a_changed_expectation() -> None:
    exp = load_expected(GOLDEN / "expected" / "pingtan_office_2021.txt.json")
    record = process(GOLDEN / "inputs" / "pingtan_office_2021.txt")
    assert isinstance(record, Record)
    assert evidence_mismatches(exp, record) == []
    status = {**exp.status, "s4": {"*": "VVVVV"}}
    changed = exp.model_copy(update={"status": status, "placement": {"s3": "identities"},
                                     "verdicts": {"LAYOUT:s2.normative_documents": "extraction_error"},
                                     "warnings": exp.warnings[1:]})  # type: ignore[index]
    got = evidence_mismatches(changed, record)
    assert "status s4.review.maintained: expected V, got I" in got
    assert "placement s4.review.total: expected direct, got identities" in got
    assert "verdict LAYOUT:s2.normative_documents: expected extraction_error, got None" in got
    assert "warning PLACED:s3.new_received: raised, not expected" in got
    assert len(got) == 15 + 15 + 1 + 1


def test_flagged_cells_say_why_and_identity_failures_have_a_verdict(case: tuple[ExpectedReport, Record]) -> None:
    _, r = case
    for c in iter_cells(r.tables):
        assert (c.status.value == "flagged") == bool(c.reasons), c.path  # type: ignore[union-attr]
    for f in r.flags:
        if f.rule in ("I1", "I2", "I3", "I4"):
            assert f.verdict in ("source_inconsistency", "extraction_error")
