"""Section 三 rows that lost their label: given the free template rows between the
recognised rows around them when the template's identities admit exactly one assignment."""

from __future__ import annotations

from extractor.ingest.document import Document, TextCell
from extractor.mapping.cells import cell_from_text, layout_cells
from extractor.mapping.placement import TooManyPlacements, orphan_assignments
from extractor.mapping.rows import s3_row_words
from extractor.mapping.split import trim_padding
from extractor.mapping.state import Orphan, State
from extractor.schema import LAYOUTS, ROW_TITLES, Cell, Issue


def _orphan_groups(st: State, rows: list[str]) -> dict[tuple[int, int], list[Orphan]]:
    """Rows without a label, grouped by the recognised rows printed before and after them
    (as template indices; -1 and len(rows) at the table's ends)."""
    index = {r: i for i, r in enumerate(rows)}
    seq = st.s3_sequence
    groups: dict[tuple[int, int], list[Orphan]] = {}
    for i, item in enumerate(seq):
        if isinstance(item, Orphan):
            before = next((index[k] for k in reversed(seq[:i]) if isinstance(k, str) and k in index), -1)
            after = next((index[k] for k in seq[i + 1:] if isinstance(k, str) and k in index), len(rows))
            groups.setdefault((before, after), []).append(item)
    return groups


def attach_orphans(doc: Document, template: str, st: State, cells: dict[str, Cell],
                   fixed: dict[str, TextCell]) -> list[Issue]:
    """Give section 三 rows that lost their label the free template rows between the
    recognised rows around them, in printed order, when exactly one assignment fits the
    template's identities (and the label fragments they kept); otherwise flag those
    template rows LAYOUT. Rows with the wrong number of values are skipped with a warning."""
    rows = list(LAYOUTS[template]["s3"])
    cols = LAYOUTS[template]["s3"][rows[0]]
    words = s3_row_words(template)
    issues: list[Issue] = []
    for (before, after), orphans in _orphan_groups(st, rows).items():
        where = (f"between {ROW_TITLES[f's3.{rows[before]}'] if before >= 0 else 'the table head'} and "
                 f"{ROW_TITLES[f's3.{rows[after]}'] if after < len(rows) else 'the table end'}")
        free = [r for r in rows[before + 1:after] if f"s3.{r}.{cols[0]}" not in cells]
        shown = "; ".join(" | ".join(c.text or "∅" for c in o.row.cells) for o in orphans)
        trimmed = [trim_padding(o.values, o.row, len(cols)) for o in orphans]
        if any(len(v) != len(cols) for v in trimmed) or not free:
            why = ("no free template row" if not free
                   else f"not {len(cols)} values in a row")
            issues.append(Issue(
                rule="UNRECOGNIZED", key=f"UNRECOGNIZED:{orphans[0].row.start}",
                message=f"section 三 rows without a label {where} were skipped ({why}): {shown[:160]}",
                span=(orphans[0].row.start, orphans[-1].row.end), severity="warning"))
            continue
        allowed = [frozenset(f"s3.{r}" for r in free if all(f in words[r] for f in o.fragments))
                   for o in orphans]
        try:
            fits = orphan_assignments(template, fixed, [f"s3.{r}" for r in free],
                                      list(zip(trimmed, allowed, strict=True)), cols)
            reason = ("no placement satisfies the template's identities" if not fits
                      else f"{len(fits)} placements satisfy the template's identities")
        except TooManyPlacements as e:
            fits, reason = [], f"{e}, too many to decide"
        told = f"{len(orphans)} section 三 row(s) printed without their label {where} ({shown[:160]})"
        if len(fits) == 1:
            issues += _place_orphans(doc, cols, fits[0], trimmed, told, orphans, cells)
            continue
        for r in free:
            msg = f"{told} for {len(free)} free template rows; {reason}; not guessed"
            layout, issue = layout_cells(doc, f"s3.{r}", [f"s3.{r}.{c}" for c in cols], orphans[0].row, msg)
            cells.update(layout)
            issues.append(issue)
    return issues


def _place_orphans(doc: Document, cols: tuple[str, ...], keys: tuple[str, ...],
                   values: list[list[TextCell]], told: str, orphans: list[Orphan],
                   cells: dict[str, Cell]) -> list[Issue]:
    """Cells of the rows without a label at the template rows `keys`, with a PLACED warning."""
    names = "、".join(ROW_TITLES[k] for k in keys)
    issues = [Issue(
        rule="PLACED", key=f"PLACED:{keys[0]}",
        message=f"{told} were placed as {names}: the only placement in printed order "
        "onto the free template rows that satisfies the template's identities",
        paths=[f"{k}.{c}" for k in keys for c in cols],
        span=(orphans[0].row.start, orphans[-1].row.end), severity="warning")]
    for key, row_values in zip(keys, values, strict=True):
        for c, tc in zip(cols, row_values, strict=True):
            cells[f"{key}.{c}"], cell_issues = cell_from_text(doc, f"{key}.{c}", tc, None)
            cells[f"{key}.{c}"].placement = "orphan"
            issues += cell_issues
    return issues
