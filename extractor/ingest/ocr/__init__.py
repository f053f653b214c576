"""OCR of scanned reports: image-only PDF pages and PNG/JPEG/TIFF inputs into the same text
the PDF reader gives (tables as tab rows), with each cell's page, box and confidence.

`--ocr off|auto|on` (`mode`): auto reads by OCR only the pages of a PDF that have no text
layer (a scan; a mixed PDF keeps its text pages) and every image input; on reads every PDF
page by OCR; off never runs OCR (a scan is then an input error, as before). The engine is
the optional extra `report-extractor[ocr]` (`engine.py` says which and why).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal, cast

from extractor.ingest.ocr.boxes import OcrBox, OcrError, OcrPage
from extractor.ingest.ocr.engine import EXTRA_HINT, OcrUnavailable, available
from extractor.ingest.ocr.read import (
    MAX_OCR_PAGES,
    image_frames,
    ocr_pages,
    pages_without_text,
    pdf_images,
)

OcrMode = Literal["off", "auto", "on"]
MODES: tuple[OcrMode, ...] = ("off", "auto", "on")
#: The environment variable `extractor run --ocr` sets for its worker processes.
ENV = "EXTRACTOR_OCR"


def ocr_mode(mode: str | None = None) -> OcrMode:
    """The OCR policy: `mode` when given, else $EXTRACTOR_OCR, else auto."""
    value = (mode or os.environ.get(ENV) or "auto").strip().lower()
    if value not in MODES:
        raise ValueError(f"OCR mode must be one of off, auto, on; got {value!r}")
    return cast(OcrMode, value)


@dataclass(frozen=True)
class OcrText:
    """A paged document's text with OCR'd pages in it."""

    text: str
    page_starts: list[int]
    pages: int
    boxes: list[OcrBox]  # offsets into `text`
    ocr_pages: list[int]


def _require_engine() -> None:
    if not available():
        raise OcrUnavailable(EXTRA_HINT)


def pdf_pages_to_read(raw: bytes, mode: OcrMode, layer: list[str] | None = None
                      ) -> tuple[int, list[int]]:
    """(number of pages, the 1-based pages to read by OCR under `mode`). `layer`: the text a
    renderer made of each page, if one did; a page it printed enough of is not a scan."""
    n, empty = pages_without_text(raw, layer if mode == "auto" else None)
    if mode == "off":
        return n, []
    return n, list(range(1, n + 1)) if mode == "on" else empty


def ocr_pdf(raw: bytes, layer: list[str], pages: list[int]) -> OcrText:
    """A PDF's text: page by page, the text layer's text (`layer`, one string per page) or,
    for the `pages` listed, the page read by OCR."""
    _require_engine()
    if len(pages) > MAX_OCR_PAGES:
        raise OcrError(f"{len(pages)} pages need OCR, over the {MAX_OCR_PAGES}-page limit "
                       "for a report")
    read = ocr_pages(pdf_images(raw, pages))
    return _assemble(layer, read)


def ocr_image(raw: bytes) -> OcrText:
    """An image file (PNG, JPEG, TIFF with one page per frame) read by OCR."""
    _require_engine()
    read = ocr_pages(image_frames(raw))
    return _assemble([""] * len(read), read)


def _assemble(layer: list[str], read: dict[int, OcrPage]) -> OcrText:
    parts: list[str] = []
    starts: list[int] = []
    boxes: list[OcrBox] = []
    pos = 0
    for n, chunk in enumerate(layer, start=1):
        starts.append(pos)
        if n in read:
            page = read[n]
            chunk = page.text
            boxes += [OcrBox(b.start + pos, b.end + pos, b.page, b.bbox, b.confidence)
                      for b in page.boxes]
        parts.append(chunk)
        pos += len(chunk)
    return OcrText("".join(parts), starts, len(layer), boxes, sorted(read))


__all__ = ["ENV", "EXTRA_HINT", "MODES", "OcrBox", "OcrError", "OcrMode", "OcrText",
           "OcrUnavailable", "available", "ocr_image", "ocr_mode", "ocr_pdf",
           "pdf_pages_to_read"]
