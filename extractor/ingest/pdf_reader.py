"""Render a PDF's text layer to text, tables as tab rows, remembering where pages start.

Two backends read a page's characters and ruling lines, one step (`pdf.layout`) turns
them into lines with pdfplumber's own table finder and line extraction:

- "pdfium" (the default): PDFium through pypdfium2 parses the page in C, about 3x faster;
  a document it does not reproduce exactly (rotated pages, rotated text, characters
  without a Unicode mapping, a file PDFium cannot open) is handed to pdfplumber;
- "pdfplumber": pdfplumber over pdfminer.six, the reference the pdfium backend is held
  to (byte-identical text).

Select one with `render_pdf(raw, renderer=...)` or the environment variable
`EXTRACTOR_PDF_RENDERER`. PyMuPDF is faster still but AGPL-licensed (and heavy).

There is no source offset into a PDF's bytes: the rendered text is the "source" that spans
point into, and each page's start offset is kept so every cell also gets its page number.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from extractor.ingest.pdf import miner, pdfium, plumber
from extractor.ingest.pdf.errors import MAX_PAGES, PdfError

__all__ = ["MAX_PAGES", "MIN_TEXT_CHARS", "RENDERERS", "PdfError", "RenderedPdf",
           "is_image_only", "render_pdf"]

#: A text layer this small over the whole document means the pages are images.
MIN_TEXT_CHARS = 20
RENDERERS = ("pdfium", "pdfplumber")
RENDERER_ENV = "EXTRACTOR_PDF_RENDERER"


class NoTextLayer(PdfError):
    """A PDF whose pages are images (a scan): OCR can read it (`extractor.ingest.ocr`)."""


@dataclass(frozen=True)
class RenderedPdf:
    text: str
    page_starts: list[int]
    pages: int
    #: The backend that read the characters: "pdfium", or "pdfplumber" (asked for, or the
    #: fallback for a document the pdfium backend does not reproduce exactly).
    renderer: str = "pdfplumber"


def is_image_only(text: str) -> bool:
    """Whether a rendered text layer is too small to be the report: its pages are images."""
    return len("".join(text.split())) < MIN_TEXT_CHARS


def _join(pages: Iterator[list[str]], renderer: str) -> RenderedPdf:
    parts: list[str] = []
    starts: list[int] = []
    pos = 0
    for lines in pages:
        starts.append(pos)
        chunk = "\n".join(lines) + "\n"
        parts.append(chunk)
        pos += len(chunk)
    return RenderedPdf("".join(parts), starts, len(starts), renderer)


def _render(raw: bytes, renderer: str) -> RenderedPdf:
    if renderer == "pdfium":
        try:
            return _join(pdfium.page_texts(raw), "pdfium")
        except PdfError:
            raise  # encrypted, or over the page limit: pdfplumber would say the same
        except Exception:  # noqa: BLE001 - Unsupported, or anything PDFium's reading raised
            pass  # pdfplumber, the reference, reads it or says why it cannot
    return _join(plumber.page_texts(raw), "pdfplumber")


def render_pdf(raw: bytes, renderer: str | None = None) -> RenderedPdf:
    """The PDF's text; `renderer` is "pdfium" or "pdfplumber" (default: the environment's)."""
    renderer = renderer or os.environ.get(RENDERER_ENV) or RENDERERS[0]
    if renderer not in RENDERERS:
        raise ValueError(f"unknown PDF renderer {renderer!r}: one of {', '.join(RENDERERS)}")
    try:
        pdf = _render(raw, renderer)
    finally:
        miner.forget(raw)  # the text budget check's parse, if the fonts did not use it
    if is_image_only(pdf.text):
        raise NoTextLayer(
            "the PDF has no text layer (scanned or image-only pages): OCR is needed before "
            "it can be read"
        )
    return pdf
