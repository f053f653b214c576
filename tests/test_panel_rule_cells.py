"""The panel keeps, of each report, the cells its cross-document rules read (`PanelDoc.cells`):
`panel_doc` finds them at their positions among the record's cells (remembered by the
cells' paths); they must be every cell whose path a rule reads, with its fields, as a walk
over all the cells finds them, on both templates and on records whose cells were moved."""

from __future__ import annotations

import copy

import pytest
from test_hand_writers import GOLDEN

from extractor.outputs.items import Item
from extractor.outputs.tables import snippet
from extractor.panel.doc import RULE_PATHS, panel_doc
from extractor.run.pipeline import process
from extractor.schema import Record, iter_cells


@pytest.fixture(scope="module")
def records() -> list[Record]:
    return [r for r in map(process, GOLDEN) if isinstance(r, Record)]


def walked(record: Record) -> dict[str, tuple[object, ...]]:
    """Every rule cell's fields, by a walk over every cell (the last of a path wins)."""
    out: dict[str, tuple[object, ...]] = {}
    for c in iter_cells(record.tables):
        if c.path in RULE_PATHS:
            out[c.path] = (c.path, c.state.value, c.value, c.status.value if c.status else None,
                           c.span, c.source_span, c.page,
                           snippet(record.text, *c.span, context=12)
                           if c.span and record.text else None)
    return out


def kept(record: Record, seq: int = 0) -> dict[str, tuple[object, ...]]:
    doc = panel_doc(Item.of(record, seq))
    assert doc is not None
    return {p: (c.path, c.state, c.value, c.status, c.span, c.source_span, c.page, c.snippet)
            for p, c in doc.cells.items()}


def test_the_panel_keeps_every_rule_cell_of_each_template(records: list[Record]) -> None:
    assert {r.tables.template for r in records} == {"2019", "2021"}
    for r in records + records:  # the second time from the remembered positions
        expected = walked(r)
        assert expected and kept(r) == expected, r.meta.source_file


def test_cells_at_other_positions_are_found_where_they_are(records: list[Record]) -> None:
    """A record whose cells' paths were swapped between two positions (one a rule cell's):
    the positions remembered for the template's paths must not be used for it."""
    r = next(r for r in records if any(c.span for c in iter_cells(r.tables)
                                       if c.path in RULE_PATHS))
    kept(r)  # the template's positions remembered
    moved = copy.deepcopy(r)
    cells = list(iter_cells(moved.tables))
    rule = next(i for i, c in enumerate(cells) if c.path in RULE_PATHS and c.span)
    other = next(i for i, c in enumerate(cells) if c.path not in RULE_PATHS)
    cells[rule].__dict__["path"], cells[other].__dict__["path"] = (
        cells[other].path, cells[rule].path)
    assert kept(moved) == walked(moved) != walked(r)
