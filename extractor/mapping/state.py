"""The scanner's state: what one pass over a document's rows has found so far."""

from __future__ import annotations

from dataclasses import dataclass, field

from extractor.ingest.document import Row, TextCell
from extractor.schema import Issue


@dataclass
class Placed:
    """Value cells found for one template row (keyed by the row, e.g. "s3.granted", in
    `State.placed`)."""

    values: list[TextCell]
    row: Row
    header_unit: str | None = None
    #: The template version the row's own table header belongs to, when it is not the
    #: report's (a report mixing both templates).
    foreign: str | None = None
    #: The template row the printed sub-row number names when the label's words name this
    #: one ("2.危及“三安全一稳定”" after a publisher dropped （三）2): flagged, never ignored.
    numbered_as: str | None = None
    #: Later printings of the same template row with other values (flagged where they differ).
    again: list[Placed] = field(default_factory=list)
    #: Recognised outside any table header's zone (a narrative line that names a template
    #: row and ends in a number, or a table printed without its header): a row of the same
    #: name recognised inside a table replaces it.
    outside: bool = False


@dataclass
class Orphan:
    """A section 三 row whose label was lost: no label cell at all, or only fragments of a
    template label ("行政机关不再处理其政府信息公" from a label broken over a page)."""

    values: list[TextCell]
    row: Row
    fragments: list[str]


@dataclass
class PublisherRow:
    """A subtotal row a publisher added to section 三, with the group it sums."""

    group: str
    label: str
    values: list[TextCell]
    row: Row


@dataclass
class State:
    """The zone (table) the scan is in, its context, and every row recognised so far."""

    zone: str | None = None
    #: The zone was entered by a recognised row, not by a table header (no header seen since).
    zone_by_row: bool = False
    group: str | None = None
    s2_header: list[str] = field(default_factory=list)
    s4_values: list[TextCell] = field(default_factory=list)
    s4_rows: list[Row] = field(default_factory=list)
    placed: dict[str, Placed] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    last_table_row: int = -1
    #: Section 三 rows in printed order: recognised row names and rows that lost their label.
    s3_sequence: list[str | Orphan] = field(default_factory=list)
    subtotals: list[PublisherRow] = field(default_factory=list)
    #: Table rows with values that no template row's label names, with the zone they were in.
    skipped: list[tuple[str, Row]] = field(default_factory=list)
    #: Where each table header row starts (a section 二 table is several small tables).
    headers: list[int] = field(default_factory=list)
