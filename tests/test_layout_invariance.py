"""Layout invariance: the same report printed in six layouts reads back the same values.

Every golden file whose cells are all present (no "MISSING" or "UNREADABLE") is written back
out by `render.py` as a complete synthetic report with the official template tables, in each
layout (HTML with rowspan/colspan, DOCX with merged cells, PDF with ruled tables, pipe rows,
tab rows, one cell per line), and run through the whole pipeline. Every cell must come back
as the golden (state, value, unit) -- compared with the golden tests' own reader,
`extractor.evaluate.evaluation` -- and the metadata as the golden agency/year/template.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from render import LAYOUT_NAMES, render, renderable

from extractor.evaluate.evaluation import cell_reading, expected_cells, load_expected
from extractor.run.pipeline import process
from extractor.schema import InputError, Record, iter_cells

GOLDEN = Path(__file__).resolve().parent.parent / "golden"


def _load(name: str) -> dict:
    return json.loads((GOLDEN / "expected" / f"{name}.json").read_text("utf-8"))


CASES = sorted(
    name
    for name in (p.name[: -len(".json")] for p in (GOLDEN / "expected").glob("*.json"))
    if renderable(_load(name))
)

#: (golden file, layout) -> why the extractor misreads the rendering (a real extraction bug,
#: not a rendering mistake). Strict: a fixed bug turns the case into a failure, so the entry
#: gets removed.
KNOWN_BUGS: dict[tuple[str, str], str] = {}

PARAMS = [
    pytest.param(
        name,
        layout,
        id=f"{name}-{layout}",
        marks=[pytest.mark.xfail(reason=KNOWN_BUGS[name, layout], strict=True)]
        if (name, layout) in KNOWN_BUGS
        else [],
    )
    for name in CASES
    for layout in LAYOUT_NAMES
]

Outcome = Callable[[str, str], Record]


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    """Render and process each (golden file, layout) once per module."""
    base = tmp_path_factory.mktemp("layouts")
    cache: dict[tuple[str, str], Record | InputError] = {}

    def get(name: str, layout: str) -> Record:
        if (name, layout) not in cache:
            directory = base / layout
            directory.mkdir(exist_ok=True)
            cache[name, layout] = process(render(_load(name), layout, directory))
        result = cache[name, layout]
        if isinstance(result, InputError):
            pytest.fail(f"{name} as {layout}: {result.kind} error: {result.error}")
        return result

    return get


def test_some_golden_files_are_rendered() -> None:
    assert CASES, "no golden file has every cell present"


@pytest.mark.parametrize(("name", "layout"), PARAMS)
def test_every_cell_reads_the_golden_value(name: str, layout: str, outcome: Outcome) -> None:
    record = outcome(name, layout)
    expected = expected_cells(load_expected(GOLDEN / "expected" / f"{name}.json"))
    got = {c.path: cell_reading(c) for c in iter_cells(record.tables)}
    assert set(got) == set(expected)
    wrong = {p: (got[p].show(), expected[p].show()) for p in expected if got[p] != expected[p]}
    assert not wrong, f"(got, expected): {wrong}"


@pytest.mark.parametrize(("name", "layout"), PARAMS)
def test_metadata(name: str, layout: str, outcome: Outcome) -> None:
    record = outcome(name, layout)
    exp = _load(name)
    meta = record.meta
    assert (meta.agency.value, meta.year.value, meta.template) == (
        exp["agency"], exp["year"], exp["template"])
