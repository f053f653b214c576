"""One pass over a document's rows: enter the tables by content, recognise each row, and
record its value cells under the template row its label names.

Zones (section 二/三/四 tables) are entered by content, not by headings, because headings
repeat, are shuffled or missing. Nothing is placed into template columns here.
"""

from __future__ import annotations

from functools import lru_cache

from extractor.ingest.document import Document, Row, TextCell
from extractor.mapping.matching import bare, best_match, compact
from extractor.mapping.rows import (
    fragments,
    is_prose,
    is_s4_header,
    label_context,
    names_s4_header,
    number_names,
    s3_row,
    subtotal_group,
    table_header,
)
from extractor.mapping.split import printed_texts, split_row, trim_padding, values_have_numbers
from extractor.mapping.state import Orphan, Placed, PublisherRow, State
from extractor.mapping.template import header_unit, s2_header_version
from extractor.schema import Issue
from extractor.schema.labels import S2_ROWS

#: Section 四 is one row of this many cells.
S4_CELLS = 15


def record(st: State, key: str, values: list[TextCell], row: Row, unit: str | None = None,
           numbered_as: str | None = None) -> None:
    """Record a recognised row's values. A row inside a table replaces one recognised
    outside any table (a narrative line read before the table: the table row wins); a later
    printing of the same row with other values is kept beside the first (`Placed.again`),
    for `conflicts` to flag where they differ."""
    outside = st.zone is None or st.zone_by_row
    if key in st.placed and st.placed[key].outside and not outside:
        del st.placed[key]
        if key.startswith("s3."):
            st.s3_sequence.remove(key[3:])
    placed = Placed(values, row, unit, numbered_as=numbered_as, outside=outside)
    if key in st.placed:
        if printed_texts(st.placed[key].values) != printed_texts(values):
            st.placed[key].again.append(placed)
        return
    st.placed[key] = placed
    if key.startswith("s3."):
        st.s3_sequence.append(key[3:])


def scan(doc: Document, template: str) -> State:
    """Every table row of the document, recognised and recorded in a `State`."""
    st = State()
    no_values: list[TextCell] = []
    for idx, row in enumerate(doc.rows):
        if row.kind == "line":
            # A line of text: its cells are labels, and a line without text says nothing.
            labels = [c for c in row.cells if c.text]
            if not labels:
                continue
            label_text = "".join([compact(c.text) for c in labels])
            if len(labels) == 1 and is_prose(label_text):  # narrative: no header, no group
                label_context(st, labels, prose=True)
                continue
            if table_header(st, labels, label_text, no_values, False, False, True):
                st.last_table_row = idx
                st.headers.append(row.start)
                st.zone_by_row = False
                continue
            label_context(st, labels)
            continue
        labels, values = split_row(row)
        numbers = values_have_numbers(values)
        if (labels and numbers and all(is_s4_header(c.text) for c in labels)
                and (st.zone == "s4" or names_s4_header("".join(c.text for c in labels)))):
            # Values printed under the 结果维持…总计 header of a one-cell-per-line dump, or
            # under the last line of a header printed over several lines.
            st.zone, labels = "s4", []
        label_text = "".join([compact(c.text) for c in labels])
        printed = any(c.text for c in values)
        if table_header(st, labels, label_text, values, printed, numbers, False):
            st.last_table_row = idx
            st.headers.append(row.start)
            st.zone_by_row = False
            continue
        if labels and not printed:
            label_context(st, labels)
            if not values:
                continue
        if not labels:
            if _unlabelled(st, row, values, numbers):
                st.last_table_row = idx
        elif values and _labelled(st, row, labels, values, numbers, template):
            st.last_table_row = idx
    return st


def _unlabelled(st: State, row: Row, values: list[TextCell], numbers: bool) -> bool:
    """Values with no label: more of section 四's one row, or a section 三 row that lost its
    label (`numbers`: some value cell reads as a value). True when the row is a table row."""
    if st.zone == "s4" and len(st.s4_values) < S4_CELLS:
        st.s4_values.extend(trim_padding(values, row, S4_CELLS - len(st.s4_values)))
        st.s4_rows.append(row)
        return True
    if st.zone == "s3" and numbers:
        st.s3_sequence.append(Orphan(values, row, []))
        return True
    return False


def _labelled(st: State, row: Row, labels: list[TextCell], values: list[TextCell], numbers: bool,
              template: str) -> bool:
    """A row with labels and values: a section 二 or 三 row, a publisher's subtotal, a row
    that kept only pieces of its label, or a row not in the template (a warning). True when
    the row is a table row of the template (`numbers`: some value cell reads as a value)."""
    if st.zone in (None, "s2"):
        key = _s2_row(bare(labels[-1].text))
        if key is not None:
            record(st, f"s2.{key}", values, row, header_unit(st.s2_header))
            st.zone_by_row |= st.zone is None
            st.zone = "s2"
            version = s2_header_version(st.s2_header)
            if version is not None and version != template:
                st.placed[f"s2.{key}"].foreign = version
            return True
    if st.zone == "s3" and numbers and (group := subtotal_group(labels, st)):
        st.group = group
        st.subtotals.append(PublisherRow(group, " ".join(c.text for c in labels), values, row))
        return True
    if st.zone in (None, "s2", "s3"):
        key = s3_row(labels, st)
        if key is not None:
            record(st, f"s3.{key}", values, row, numbered_as=number_names(labels, key))
            st.zone_by_row |= st.zone is None
            st.zone = "s3"
            return True
    if st.zone == "s3" and numbers and fragments(labels, template):
        st.s3_sequence.append(Orphan(values, row, [bare(c.text) for c in labels if bare(c.text)]))
        return True
    if st.zone in ("s2", "s3") and numbers:
        st.skipped.append((st.zone, row))
        st.issues.append(
            Issue(
                rule="UNRECOGNIZED",
                key=f"UNRECOGNIZED:{row.start}",
                message=f"a table row not in the template was skipped: {row.text[:80]}",
                span=(row.start, row.end),
                severity="warning",
            )
        )
    return False


@lru_cache(maxsize=8192)
def _s2_row(b: str) -> str | None:
    """The section 二 row a bare label names, if any (the label table is a constant)."""
    return best_match(b, S2_ROWS)[0]
