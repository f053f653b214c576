"""The recovered grid of one section, as the LLM sees it: rows of cells with ids.

Each task gets only the part of the document it needs: a table section's grid runs from its
heading to the next section heading (or, with no heading, over every table row).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from extractor.ingest.document import Document, TextCell
from extractor.mapping.template import header_unit
from extractor.schema import SectionHit
from extractor.schema.values import read_value

TABLE_SECTIONS = {"s2": "二", "s3": "三", "s4": "四"}
_ORDER = "一二三四五六"
MAX_GRID_CHARS = 16000


@dataclass
class Grid:
    section: str
    lines: list[str] = field(default_factory=list)
    cells: dict[str, TextCell] = field(default_factory=dict)
    #: Cell id -> the money unit (万元, 元) the table header above its row names.
    header_units: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def has_numbers(self) -> bool:
        return any(any(ch.isdigit() for ch in c.text) for c in self.cells.values())


def zone(doc: Document, sections: list[SectionHit], sid: str) -> tuple[int, int] | None:
    """[start, end) of section `sid` (一…六): from its first heading to the next heading of
    a later section; None when the heading was not found."""
    hits = [h for h in sections if h.id == sid]
    if not hits:
        return None
    start = hits[0].span[0]
    later = [h.span[0] for h in sections
             if _ORDER.index(h.id) > _ORDER.index(sid) and h.span[0] > start]
    return start, min(later, default=len(doc.text))


def build_grid(doc: Document, sections: list[SectionHit], section: str) -> Grid:
    """The rows of one table section, every cell (empty ones too) with an id c1, c2, …"""
    grid = Grid(section)
    span = zone(doc, sections, TABLE_SECTIONS[section])
    chars = 0
    header: list[str] = []  # the label-only rows printed since the last row with values
    after_values = True
    for row in doc.rows:
        if span is not None and not (span[0] <= row.start < span[1]):
            continue
        if span is None and row.is_line:
            continue  # no heading: table rows only
        parts = []
        cells = row.cells
        label_only = all(read_value(c.text) is None or not c.text.strip() for c in cells)
        if label_only:
            while len(cells) > 1 and not cells[-1].text.strip():
                cells = cells[:-1]  # a label-only row: its trailing empty cells are padding
            if after_values:
                header = []  # a new table header starts
            header += [c.text for c in cells]
        after_values = not label_only
        unit = header_unit(header)
        for tc in cells:
            cid = f"c{len(grid.cells) + 1}"
            grid.cells[cid] = tc
            if unit is not None:
                grid.header_units[cid] = unit
            parts.append(f"[{cid}] {_show(tc)}")
        line = f"r{len(grid.lines) + 1}: " + " | ".join(parts)
        chars += len(line)
        if chars > MAX_GRID_CHARS:
            grid.lines.append("… (table cut here: too long)")
            break
        grid.lines.append(line)
    return grid


def _show(tc: TextCell) -> str:
    return tc.text.replace("\n", " ") if tc.text.strip() else "∅"


def narrative_text(doc: Document, sections: list[SectionHit]) -> list[tuple[int, str]]:
    """(offset, text) of the narrative sections 一, 五, 六 (lines only: no table rows);
    the text before the first heading when 一 is not found."""
    parts: list[tuple[int, int]] = []
    for sid in "一五六":
        span = zone(doc, sections, sid)
        if span is not None:
            parts.append(span)
    if not any(h.id == "一" for h in sections):
        first = min((h.span[0] for h in sections), default=len(doc.text))
        parts.insert(0, (0, first))
    out: list[tuple[int, str]] = []
    for start, end in parts:
        for row in doc.rows:
            if row.is_line and start <= row.start < end and row.cells[0].text.strip():
                out.append((row.cells[0].start, row.cells[0].text))
    return out
