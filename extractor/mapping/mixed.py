"""Rows printed in the other template version than the report's (a report mixing both):
flagged, never placed into this version's cells."""

from __future__ import annotations

from extractor.ingest.document import Document
from extractor.mapping.cells import unreadable_cells
from extractor.mapping.state import Placed
from extractor.schema import LAYOUTS, ROW_TITLES, Cell, Issue

#: Cells a row of the other template version stands in place of (the 2019 （六）其他处理 row
#: holds the sum of the 2021 template's three （六） rows, and the reverse).
_COUNTERPARTS: dict[str, tuple[str, ...]] = {
    "s3.other_processing": tuple(f"s3.other_processing_{i}" for i in (1, 2, 3)),
    **{f"s3.other_processing_{i}": ("s3.other_processing",) for i in (1, 2, 3)},
}


def foreign_row(doc: Document, template: str, key: str, placed: Placed) -> tuple[Issue, dict[str, Cell]]:
    """A row printed in the other template version: flagged TEMPLATE, never placed into this
    version's cells; the cells it stands in place of are unreadable, not missing."""
    other = "2021" if template == "2019" else "2019"
    section = key.split(".")[0]
    rows: tuple[str, ...]
    if placed.foreign is not None:
        why = f"its table header names the {other} template's columns"
        rows = (key,)
    else:
        why = f"the row exists only in the {other} template"
        rows = _COUNTERPARTS.get(key, ())
    paths = [f"{r}.{c}" for r in rows for c in LAYOUTS[template][section].get(r.split(".")[1], ())]
    msg = (f"row {ROW_TITLES.get(key, key)} is printed in the {other} template ({why}) while the "
           f"report follows the {template} template; its values "
           f"({' | '.join(c.text or '∅' for c in placed.values)}) are not placed into {template} cells")
    if key == "s3.other_processing" and template == "2021":
        msg += ("; they are read as the group's printed total, which I2 takes in place of the "
                "three sub-rows")
    span = (placed.row.start, placed.row.end)
    cells = unreadable_cells(doc, paths, placed.row, f"TEMPLATE: {msg}")
    return Issue(rule="TEMPLATE", key=f"TEMPLATE:{key}", message=msg, paths=paths, span=span), cells
