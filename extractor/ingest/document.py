"""The ingested document: normalized text, offset map and recovered table rows."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from functools import partial
from typing import NamedTuple

from extractor.ingest.normalize import Normalized
from extractor.ingest.ocr.boxes import OcrBox


class TextCell(NamedTuple):
    """One cell of a recovered row; [start, end) is its stripped text in the normalized text.

    A named tuple (immutable, hashable, compared by value, as the frozen dataclass it was):
    a report makes ~300 of them, and a tuple costs half of a frozen dataclass to build."""

    text: str
    start: int
    end: int


class Row(NamedTuple):
    """A table row (or a plain line of text, kind == "line").

    A named tuple, as `TextCell` is (immutable fields, compared by value, as the frozen
    dataclass it was): a report makes ~100 of them."""

    cells: list[TextCell]
    kind: str  # "tab", "cells" (one cell per line), "pipe", "space", "html", "line"
    start: int
    end: int

    @property
    def is_line(self) -> bool:
        return self.kind == "line"

    @property
    def text(self) -> str:
        return " ".join(c.text for c in self.cells)


#: `text_cell((text, start, end))` is `TextCell(text, start, end)` without the named tuple's
#: `__new__`, a Python function: half the cost, for the layout's ~300 cells a report.
text_cell = partial(tuple.__new__, TextCell)
#: `new_row((cells, kind, start, end))` is `Row(cells, kind, start, end)`, likewise.
new_row = partial(tuple.__new__, Row)


@dataclass
class Document:
    name: str
    path: str
    sha256: str
    format: str
    encoding: str
    norm: Normalized
    rows: list[Row] = field(default_factory=list)
    #: For paged input (PDF): the normalized-text offset where each page starts.
    page_starts: list[int] = field(default_factory=list)
    pages: int | None = None
    #: The text was traditional Chinese, mapped to simplified character for character.
    traditional: bool = False
    #: Pages read by OCR (1-based), and the OCR'd pieces of text (normalized-text offsets)
    #: with their page, box and confidence (`extractor.ingest.ocr`).
    ocr_pages: list[int] = field(default_factory=list)
    ocr_boxes: list[OcrBox] = field(default_factory=list)

    def page_at(self, offset: int) -> int | None:
        """1-based page number of a normalized-text offset, or None for unpaged input."""
        if not self.page_starts:
            return None
        return max(1, bisect_right(self.page_starts, offset))

    @property
    def text(self) -> str:
        return self.norm.text
