"""What OCR hands on (no dependency of the OCR extra: the rest of ingest imports this)."""

from __future__ import annotations

from dataclasses import dataclass


class OcrError(Exception):
    """A scanned input that cannot be read by OCR, with the reason."""


@dataclass(frozen=True)
class OcrBox:
    """A piece of the OCR text ([start, end) in it) with where it is printed."""

    start: int
    end: int
    page: int
    bbox: tuple[float, float, float, float]  # fractions of the page, origin top left
    confidence: float


@dataclass(frozen=True)
class OcrPage:
    text: str  # the page's text, lines ending in "\n"
    boxes: list[OcrBox]  # offsets into `text`
