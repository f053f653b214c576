"""Golden files: every cell's value and state, every status, every flag, the metadata.

The expected files in golden/expected/ were written by hand from the source text (see
golden/GOLDEN.md); a difference here is either a regression or a reviewed golden update.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from extractor.pipeline import process
from extractor.schema import LAYOUTS, CellState, Record, iter_cells

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
CASES = sorted(p.name[: -len(".json")] for p in (GOLDEN / "expected").glob("*.json"))
LETTER = {"verified": "V", "grounded": "G", "flagged": "F"}


def test_every_golden_input_has_an_expected_file() -> None:
    assert sorted(p.name for p in (GOLDEN / "inputs").iterdir()) == CASES


def _expected_reading(v: object) -> tuple[str, object, object]:
    """(state, value, unit) as the golden file writes it."""
    if v is None:
        return ("blank", None, None)
    if v == "MISSING":
        return ("missing", None, None)
    if isinstance(v, str):
        return ("placeholder", None, None)
    if isinstance(v, dict):
        return ("number", Decimal(v["value"]), v["unit"])
    return ("number", v, None)


def _expected_cells(exp: dict) -> dict[str, tuple[str, object, object]]:
    out: dict[str, tuple[str, object, object]] = {}
    layout = LAYOUTS[exp["template"]]
    for section, rows in exp["values"].items():
        assert set(rows) == set(layout[section]), f"{section} rows differ from the template"
        for row, values in rows.items():
            cols = layout[section][row]
            if isinstance(values, dict):
                assert list(values) == list(cols)
                values = list(values.values())
            assert len(values) == len(cols)
            for col, v in zip(cols, values, strict=True):
                out[f"{section}.{row}.{col}"] = _expected_reading(v)
    return out


def _expected_status(exp: dict) -> dict[str, str]:
    out: dict[str, str] = {}
    layout = LAYOUTS[exp["template"]]
    for section, spec in exp["status"].items():
        for row, cols in layout[section].items():
            if spec == "grounded":
                letters = "G" * len(cols)
            else:
                letters = spec.get(row, spec["*"])
            assert len(letters) == len(cols)
            for col, letter in zip(cols, letters, strict=True):
                out[f"{section}.{row}.{col}"] = letter
    return out


@pytest.fixture(scope="module", params=CASES)
def case(request: pytest.FixtureRequest) -> tuple[dict, Record]:
    exp = json.loads((GOLDEN / "expected" / f"{request.param}.json").read_text("utf-8"))
    record = process(GOLDEN / "inputs" / request.param)
    assert isinstance(record, Record), record
    return exp, record


def test_metadata(case: tuple[dict, Record]) -> None:
    exp, r = case
    assert (r.meta.agency.value, r.meta.year.value, r.meta.template, r.truncated) == (
        exp["agency"], exp["year"], exp["template"], exp["truncated"])


def test_every_cell_value_and_state(case: tuple[dict, Record]) -> None:
    exp, r = case
    expected = _expected_cells(exp)
    got = {}
    for c in iter_cells(r.tables):
        unit = c.unit if isinstance(c.value, Decimal) or c.path.endswith("amount") else None
        value = c.value if c.state is CellState.NUMBER else None
        got[c.path] = (c.state.value, value, unit)
    wrong = {p: (got[p], expected[p]) for p in expected if got[p] != expected[p]}
    assert not wrong, f"(got, expected): {wrong}"
    assert set(got) == set(expected)


def test_every_cell_status(case: tuple[dict, Record]) -> None:
    exp, r = case
    expected = _expected_status(exp)
    got = {c.path: LETTER[c.status.value] for c in iter_cells(r.tables)}  # type: ignore[union-attr]
    wrong = {p: (got[p], expected[p]) for p in expected if got[p] != expected[p]}
    assert not wrong, f"(got, expected): {wrong}"


def test_flags(case: tuple[dict, Record]) -> None:
    exp, r = case
    assert sorted(f.key for f in r.flags) == sorted(exp["flags"])


def test_flagged_cells_say_why_and_identity_failures_have_a_verdict(case: tuple[dict, Record]) -> None:
    _, r = case
    for c in iter_cells(r.tables):
        assert (c.status.value == "flagged") == bool(c.reasons), c.path  # type: ignore[union-attr]
    for f in r.flags:
        if f.rule in ("I1", "I2", "I3", "I4"):
            assert f.verdict in ("source_inconsistency", "extraction_error")
