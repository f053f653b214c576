"""The ingested document: normalized text, offset map and recovered table rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from extractor.normalize import Normalized


@dataclass(frozen=True)
class TextCell:
    """One cell of a recovered row; [start, end) is its stripped text in the normalized text."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Row:
    """A table row (or a plain line of text, kind == "line")."""

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


@dataclass
class Document:
    name: str
    path: str
    sha256: str
    format: str
    encoding: str
    norm: Normalized
    rows: list[Row] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.norm.text
