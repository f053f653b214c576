"""Turn the scanner's recognised rows into template cells.

A row whose value count fits its template columns is placed in column order. A row whose
layout lost blank cells or separators is handed to the identity search (`placement`) and
placed only when exactly one outcome fits; any other misfit is flagged LAYOUT, not guessed.
Rows of the other template version are flagged (`mixed`), rows that lost their label are
attached last (`orphans`).
"""

from __future__ import annotations

from extractor.ingest.document import Document, Row, TextCell
from extractor.mapping.cells import cells_from_texts, layout_cells
from extractor.mapping.mixed import foreign_row
from extractor.mapping.orphans import attach_orphans
from extractor.mapping.placement import (
    Ambiguous,
    Candidate,
    glued_splits,
    resolve,
    vanished_blank_placements,
)
from extractor.mapping.split import trim_padding
from extractor.mapping.state import Placed, State
from extractor.schema import LAYOUTS, ROW_TITLES, Cell, Issue, template_paths

#: Rows whose cells are decided: their paths, their value cells (empty while the row waits
#: for the identity search) and the recognised row.
Definite = dict[str, tuple[list[str], list[TextCell], Placed]]


def _candidates(row: Row, values: list[TextCell], width: int) -> list[Candidate]:
    """Placements to try for a row with too few values, by what its layout can lose."""
    printed = [c for c in values if c.text]
    if len(printed) >= width:
        return []
    if row.kind == "glued":
        return glued_splits(printed, width)
    if row.kind in ("stack", "space"):
        return vanished_blank_placements(printed, width)
    return []


def _title(key: str) -> str:
    return ROW_TITLES.get(key, "section 四" if key == "s4.*" else key)


def place(doc: Document, template: str, st: State) -> tuple[dict[str, Cell], list[Issue], bool]:
    """Cells for every placed row; returns (cells, issues, whether the document is cut
    inside a table row)."""
    cells: dict[str, Cell] = {}
    issues: list[Issue] = list(st.issues)
    if st.s4_values:
        row = st.s4_rows[0]
        end = st.s4_rows[-1].end
        kind = "stack" if any(r.kind == "stack" for r in st.s4_rows) else row.kind
        merged = Row(st.s4_values, kind, row.start, end)
        st.placed["s4.*"] = Placed(st.s4_values, merged)
    definite, ambiguous, cut = _fit_rows(doc, template, st, cells, issues)
    fixed = {p: tc for paths, values, _ in definite.values() for p, tc in zip(paths, values, strict=False)}
    chosen, unplaced = resolve(template, fixed, ambiguous) if ambiguous else ({}, {})
    issues += _fill(doc, definite, chosen, unplaced, cells)
    for key, cand in chosen.items():
        fixed.update(zip(definite[key][0], cand, strict=True))
    issues += attach_orphans(doc, template, st, cells, fixed)
    return cells, issues, cut


def _fit_rows(doc: Document, template: str, st: State, cells: dict[str, Cell],
              issues: list[Issue]) -> tuple[Definite, list[Ambiguous], bool]:
    """Match each recognised row's values to its template columns: rows that fit, rows left
    to the identity search, and (into `cells` and `issues`) rows flagged as they are; with
    whether the document is cut inside a row."""
    definite: Definite = {}
    ambiguous: list[Ambiguous] = []
    cut = False
    # A row the document ends inside (an excerpt cut mid-table): nothing but white space
    # follows it, i.e. it ends where the text without its trailing white space does.
    end = len(doc.text.rstrip())
    for key, placed in st.placed.items():
        if key == "s4.*":
            paths = [p for p in template_paths(template) if p.startswith("s4.")]
        else:
            section, row_name = key.split(".")
            cols = LAYOUTS[template][section].get(row_name)
            if cols is None or placed.foreign is not None:
                issue, foreign_cells = foreign_row(doc, template, key, placed)
                issues.append(issue)
                for p, cell in foreign_cells.items():
                    cells.setdefault(p, cell)
                continue
            paths = [f"{key}.{c}" for c in cols]
        values = trim_padding(placed.values, placed.row, len(paths))
        if len(values) > len(paths) and all(not c.text for c in values[len(paths) :]):
            values = values[: len(paths)]
        if placed.row.end >= end:
            # An excerpt cut inside this row: what it prints fills the first columns, the
            # rest is missing; a value the file ends on may itself be cut ("12" -> "1").
            if values and values[-1].end == len(doc.text):
                values = values[:-1]
            if len(values) <= len(paths):
                cut = True
                paths = paths[: len(values)]
        if len(values) == len(paths):
            definite[key] = (paths, values, placed)
            continue
        cands = _candidates(placed.row, values, len(paths))
        if cands:
            ambiguous.append(Ambiguous(key, paths, cands))
            definite[key] = (paths, [], placed)
            continue
        msg = (
            f"{_title(key)}: {len(values)} value cells for {len(paths)} template columns "
            f"({' | '.join(c.text or '∅' for c in values)}); placement is ambiguous, not guessed"
        )
        flagged, issue = layout_cells(doc, key, paths, placed.row, msg)
        cells.update(flagged)
        issues.append(issue)
    return definite, ambiguous, cut


def _fill(doc: Document, definite: Definite, chosen: dict[str, Candidate], unplaced: dict[str, str],
          cells: dict[str, Cell]) -> list[Issue]:
    """Cells of the rows that fit, and of the rows the identity search placed (a PLACED
    warning) or could not place (flagged LAYOUT)."""
    issues: list[Issue] = []
    for key, (paths, values, placed) in definite.items():
        title = _title(key)
        if key in unplaced:
            printed = [c.text for c in placed.values if c.text]
            msg = (f"{title}: {len(printed)} values ({' | '.join(printed)}) for {len(paths)} "
                   f"template columns in a layout that loses blank cells or separators; "
                   f"{unplaced[key]}; not guessed")
            flagged, issue = layout_cells(doc, key, paths, placed.row, msg)
            cells.update(flagged)
            issues.append(issue)
            continue
        if key in chosen:
            values = list(chosen[key])
            issues.append(Issue(
                rule="PLACED", key=f"PLACED:{'s4' if key == 's4.*' else key}",
                message=f"{title}: the layout lost blank cells or separators; the values were "
                f"placed as {' | '.join(c.text or '∅' for c in values)}, the only placement that "
                "satisfies the template's identities",
                paths=paths, span=(placed.row.start, placed.row.end), severity="warning",
            ))
        row, row_issues = cells_from_texts(doc, paths, values, placed.header_unit)
        if key in chosen:
            for cell in row:
                cell.placement = "identities"
        cells.update(zip(paths, row, strict=True))
        issues += row_issues
    return issues
