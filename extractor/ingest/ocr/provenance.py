"""A cell's OCR provenance from its span: the box of the OCR'd piece of text it lies in."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

from extractor.ingest.document import Document
from extractor.schema import Cell, OcrReading


def reading_at(doc: Document, start: int, end: int) -> OcrReading | None:
    """The OCR reading of the piece of `doc`'s text holding [start, end), if OCR made it."""
    boxes = doc.ocr_boxes
    if not boxes:
        return None
    i = bisect_right([b.start for b in boxes], start) - 1
    # An empty piece (a blank cell) shares its start with nothing else; a span may start
    # at a piece's start after an empty one at the same offset: try the candidates around.
    for b in boxes[max(0, i - 1):i + 2]:
        if b.start <= start and end <= b.end:
            return OcrReading(page=b.page, bbox=b.bbox, confidence=b.confidence)
    return None


def attach(doc: Document, cells: Iterable[Cell]) -> None:
    """Set each cell's `ocr` from its span when the document was (partly) read by OCR."""
    if not doc.ocr_boxes:
        return
    for cell in cells:
        if cell.span is not None and cell.ocr is None:
            cell.ocr = reading_at(doc, *cell.span)
