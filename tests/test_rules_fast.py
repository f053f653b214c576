"""The rules stages' hand-made shortcuts (issue 17) against what they stand for."""

from __future__ import annotations

import pytest

from extractor.schema import LAYOUTS, Cell, CellState, build_tables, iter_cells
from extractor.schema.models import Tables2019, Tables2021, _validated_tables


@pytest.mark.parametrize("template", ["2019", "2021"])
def test_iter_cells_gives_every_cell_in_printed_order_however_the_tables_were_made(
        template: str) -> None:
    # printed order: sections 二, 三, 四, each row as the template lists it, columns in order
    expected = [f"{section}.{row}.{col}" for section in ("s2", "s3", "s4")
                for row, cols in LAYOUTS[template][section].items() for col in cols]
    cells = {p: Cell(path=p, state=CellState.BLANK) for p in reversed(expected)}
    built = build_tables(template, cells)
    validated = _validated_tables(template, {p: c.model_dump() for p, c in cells.items()})
    model = Tables2019 if template == "2019" else Tables2021
    for tables in (built, validated, built.model_copy(deep=True),
                   model.model_validate_json(built.model_dump_json())):
        assert [c.path for c in iter_cells(tables)] == expected
    assert [c for c in iter_cells(built)] == [cells[p] for p in expected]
