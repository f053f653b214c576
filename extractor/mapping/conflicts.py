"""Readings the document itself contradicts, flagged rather than settled by a rule of thumb:

- a template row printed twice with different values (`DUPLICATE`): the cells where the
  printings differ are not read, and the flag shows every printing;
- a section 三 sub-row whose printed number names another row than its words (`ROWNUM`): read
  under the row its words name, every cell flagged, the row the number names in the message;
- a table row no template label names, printed next to a template row that comes out
  missing (`UNRECOGNIZED`): its values may be that row's, so the warning becomes a flag and
  the missing cells say where to look.
"""

from __future__ import annotations

from extractor.ingest.document import Document
from extractor.mapping.cells import cell_from_text
from extractor.mapping.split import printed_texts, trim_padding
from extractor.mapping.state import Orphan, Placed, State
from extractor.schema import LAYOUTS, ROW_TITLES, Cell, CellState, Issue


def _title(key: str) -> str:
    return ROW_TITLES.get(key, key)


def _shown(placed: Placed) -> str:
    return " | ".join(t or "∅" for t in printed_texts(placed.values))


def _row_cells(key: str, cells: dict[str, Cell]) -> list[str]:
    return [p for p in cells if p.startswith(key + ".")]


def renumbered(st: State, cells: dict[str, Cell]) -> list[Issue]:
    """A ROWNUM flag for every section 三 row whose printed number names another sub-row
    than its words; its cells (read under the row the words name) carry the reason."""
    issues: list[Issue] = []
    for key, placed in st.placed.items():
        for printing in (placed, *placed.again):
            if printing.numbered_as is None:
                continue
            numbered = f"s3.{printing.numbered_as}"
            paths = _row_cells(key, cells)
            label = printing.row.text[:60].strip()
            msg = (f"{_title(key)}: the row printed as {label!r} is numbered as "
                   f"{_title(numbered)} but its words name {_title(key)}; it was read under "
                   f"{_title(key)} (the words). A publisher may have dropped a row and "
                   f"renumbered the rest: check which row these values belong to")
            for p in paths:
                cells[p].reasons.append(f"ROWNUM: {msg}")
            issues.append(Issue(rule="ROWNUM", key=f"ROWNUM:{key}", message=msg, paths=paths,
                                span=(printing.row.start, printing.row.end)))
            break
    return issues


def _reading(cell: Cell | None) -> tuple[object, ...]:
    return (None,) if cell is None else (cell.state, cell.value, cell.unit)


def _printing_cells(doc: Document, paths: list[str], printing: Placed) -> dict[str, Cell] | None:
    """The cells one printing of a row states, or None when its values do not fill the row."""
    values = trim_padding(printing.values, printing.row, len(paths))
    if len(values) > len(paths) and all(not c.text for c in values[len(paths):]):
        values = values[: len(paths)]
    if len(values) != len(paths):
        return None
    return {p: cell_from_text(doc, p, tc, printing.header_unit)[0]
            for p, tc in zip(paths, values, strict=True)}


def duplicates(doc: Document, template: str, st: State, cells: dict[str, Cell]) -> list[Issue]:
    """A DUPLICATE flag for every template row printed more than once with different values:
    the cells where the printings differ become unreadable (which printing is the table's
    is not known), with every printing in the reason; cells all printings agree on stay."""
    issues: list[Issue] = []
    for key, placed in st.placed.items():
        if not placed.again or key == "s4.*":
            continue
        section, row_name = key.split(".")
        cols = LAYOUTS[template][section].get(row_name)
        if cols is None or placed.foreign is not None:
            continue  # a row of the other template: its cells are flagged TEMPLATE already
        paths = [f"{key}.{c}" for c in cols if f"{key}.{c}" in cells]
        others = [_printing_cells(doc, paths, p) for p in placed.again]
        differ = [p for p in paths
                  if any(o is None or _reading(o[p]) != _reading(cells[p]) for o in others)]
        if not differ:
            continue
        printings = "; ".join(f"{_shown(p)} (at {p.row.start})" for p in (placed, *placed.again))
        msg = (f"{_title(key)} is printed {len(placed.again) + 1} times with different values: "
               f"{printings}; which printing is the table's is not known, so the cells that "
               f"differ are not read: check the source and set them")
        for p in differ:
            cells[p] = cells[p].model_copy(update={
                "state": CellState.UNREADABLE, "value": None, "unit": None,
                "reasons": [*cells[p].reasons, f"DUPLICATE: {msg}"]})
        last = placed.again[-1].row
        issues.append(Issue(rule="DUPLICATE", key=f"DUPLICATE:{key}", message=msg, paths=differ,
                            span=(last.start, last.end)))
    return issues


def _zone_of(issue: Issue, st: State) -> str | None:
    """The table a skipped row (an UNRECOGNIZED warning) was printed in."""
    if issue.span is None:
        return None
    start = issue.span[0]
    zone = next((z for z, row in st.skipped if row.start == start), None)
    if zone is None and any(isinstance(o, Orphan) and o.row.start == start for o in st.s3_sequence):
        zone = "s3"
    return zone


def _same_columns(template: str, zone: str, row: str) -> set[str]:
    """The run of consecutive template rows with `row`'s columns: the small table of section
    二 it belongs to (（一）规章, 规范性文件; （五）（六） 行政许可 … 行政强制; …)."""
    layout = LAYOUTS[template][zone]
    rows = list(layout)
    i = j = rows.index(row)
    while i > 0 and layout[rows[i - 1]] == layout[row]:
        i -= 1
    while j + 1 < len(rows) and layout[rows[j + 1]] == layout[row]:
        j += 1
    return set(rows[i:j + 1])


def _missing_between(template: str, zone: str, at: int, st: State, cells: dict[str, Cell]) -> list[str]:
    """Template rows of `zone` that come out missing between the recognised rows printed
    before and after position `at`; when rows of the table printed between the same table
    headers as `at` are recognised, only rows of their small table."""
    layout = LAYOUTS[template][zone]
    rows = list(layout)
    printed = sorted((p.row.start, k.split(".")[1]) for k, p in st.placed.items()
                     if k.startswith(zone + ".") and k.split(".")[1] in layout)
    before = [rows.index(r) for start, r in printed if start < at]
    after = [rows.index(r) for start, r in printed if start > at]
    lo = before[-1] if before else -1
    hi = after[0] if after else len(rows)
    lo, hi = min(lo, hi), max(lo, hi)
    head = max((h for h in st.headers if h < at), default=-1)
    tail = min((h for h in st.headers if h > at), default=1 << 62)
    neighbours = [r for start, r in printed if head < start < tail]
    allowed = set(rows)
    if neighbours:
        allowed = set().union(*(_same_columns(template, zone, r) for r in neighbours))
    return [r for r in rows[lo + 1:hi]
            if r in allowed and any(cells.get(f"{zone}.{r}.{c}") is not None
                                    and cells[f"{zone}.{r}.{c}"].state is CellState.MISSING
                                    for c in layout[r])]


def skipped_next_to_missing(template: str, st: State, cells: dict[str, Cell],
                            issues: list[Issue]) -> list[Issue]:
    """`issues` with each UNRECOGNIZED warning whose row is printed next to a template row
    that comes out missing turned into a flag naming that row; the missing cells get the
    reason. Run after the missing cells are known."""
    out: list[Issue] = []
    for issue in issues:
        zone = _zone_of(issue, st) if issue.rule == "UNRECOGNIZED" and issue.severity == "warning" else None
        missing = _missing_between(template, zone, issue.span[0], st, cells) if zone and issue.span else []
        if not missing:
            out.append(issue)
            continue
        names = "、".join(_title(f"{zone}.{r}") for r in missing)
        msg = (f"{issue.message}; it is printed where the missing row(s) {names} belong: if its "
               "label is a variant of theirs, its values are theirs: check the source")
        paths = [p for r in missing for c in LAYOUTS[template][zone][r]
                 if cells[p := f"{zone}.{r}.{c}"].state is CellState.MISSING]
        for p in paths:
            cells[p].reasons.append(f"UNRECOGNIZED: {msg}")
        out.append(issue.model_copy(update={"severity": "flag", "message": msg, "paths": paths}))
    return out
