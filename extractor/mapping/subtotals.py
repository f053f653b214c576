"""Subtotal rows a publisher added to section 三 (小计/合计, a group label with values): kept
apart from the template's cells, for the verifier to check against the rows they sum."""

from __future__ import annotations

from extractor.ingest.document import Document
from extractor.mapping.cells import cell_from_text
from extractor.mapping.split import split_row, trim_padding
from extractor.mapping.state import PublisherRow, State
from extractor.schema import LAYOUTS, Issue, Subtotal
from extractor.schema.identities import subtotal_path


def group_total_as_subtotal(template: str, st: State) -> None:
    """In a 2021 report, a （六）其他处理 row with values is the group's printed total, not the
    2019 template's row: it becomes a subtotal. Next to its three sub-rows it is only that;
    printed without them (the 2019 form of the row), it also stays a row of the other
    template, so that the sub-rows it stands in for are flagged unreadable, not missing (the
    verifier checks I2 with the printed total in their place)."""
    if template == "2021" and "s3.other_processing" in st.placed:
        with_subrows = any(f"s3.other_processing_{i}" in st.placed for i in (1, 2, 3))
        placed = st.placed.pop("s3.other_processing") if with_subrows else st.placed["s3.other_processing"]
        label = " ".join(c.text for c in split_row(placed.row)[0])
        st.subtotals.append(PublisherRow("other_processing", label, placed.values, placed.row))


def publisher_subtotals(doc: Document, template: str, st: State) -> tuple[list[Subtotal], list[Issue]]:
    """The publisher's subtotal rows with their cells (checked by the verifier); a row whose
    values do not fill the section 三 columns is reported, not checked."""
    cols = LAYOUTS[template]["s3"]["new_received"]
    out: list[Subtotal] = []
    issues: list[Issue] = []
    for sub in st.subtotals:
        values = trim_padding(sub.values, sub.row, len(cols))
        span = (sub.row.start, sub.row.end)
        if len(values) != len(cols):
            issues.append(Issue(
                rule="SUBTOTAL", key=f"SUBTOTAL:{sub.group}:{sub.row.start}", severity="warning", span=span,
                message=f"a subtotal row a publisher added ({sub.label}: "
                f"{' | '.join(c.text or '∅' for c in values)}) has {len(values)} values for "
                f"{len(cols)} columns; not checked"))
            continue
        cells = [cell_from_text(doc, subtotal_path(sub.group, c), tc, None)[0]
                 for c, tc in zip(cols, values, strict=True)]
        out.append(Subtotal(group=sub.group, label=sub.label, span=span, cells=cells))  # type: ignore[arg-type]
    return out, issues
