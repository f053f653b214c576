"""Pages as images into text: table rows as tab rows (what a PDF's text layer gives), text
lines as lines, each cell's box and confidence kept against its offsets in the text.

Bounded: a page is rendered at most at `MAX_PIXELS` (its memory), a document may have at
most `MAX_OCR_PAGES` pages to read by OCR, and a page that takes more CPU time than
`PAGE_SECONDS` (or a document more wall time than `DOCUMENT_SECONDS`) stops the document with an
error that says so (the engine cannot be interrupted inside a page; the check is between
pages).
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from extractor.ingest.footer import is_footer
from extractor.ingest.ocr.boxes import OcrBox, OcrError, OcrPage
from extractor.schema import budget

if TYPE_CHECKING:
    import numpy as np

    from extractor.ingest.ocr.page import Line

#: Pages rendered at this many dots per inch (table digits are 10 to 12 px tall at 144 dpi,
#: where 6 and 9 are confused; at 216 dpi they are not).
RENDER_DPI = 216
#: A page image larger than this many pixels is scaled down (about 3 bytes each, and the
#: page is held a few times over: binarised, masked): about 100 MB per page at most.
MAX_PIXELS = 8_000_000
#: An image-only document with more pages than this is refused (a report has 4 to 20).
MAX_OCR_PAGES = 40
#: CPU seconds one page may take (all the engine's threads counted; a table page takes about
#: 15-30): CPU time, not wall time, so a busy machine does not fail pages that are not at fault.
PAGE_SECONDS = 180.0
#: Wall-clock seconds the OCR of one document may take in all.
DOCUMENT_SECONDS = 1800.0
#: Wall-clock seconds a page read by OCR adds to the document's budget in a bounded run
#: (`extractor run --doc-timeout` is sized for text; a page takes ~15 s on one core).
PAGE_ALLOWANCE = 90.0


def page_text(lines: list[Line], page: int, width: int, height: int) -> OcrPage:
    """A page's lines as text: a table row's cells joined by tabs, page footers dropped."""
    parts: list[str] = []
    boxes: list[OcrBox] = []
    pos = 0
    for line in lines:
        if line.kind == "text" and is_footer(line.pieces[0].text):
            continue
        for i, piece in enumerate(line.pieces):
            if i:
                parts.append("\t")
                pos += 1
            x0, y0, x1, y1 = piece.bbox
            frac = (round(x0 / width, 5), round(y0 / height, 5), round(x1 / width, 5),
                    round(y1 / height, 5))
            boxes.append(OcrBox(pos, pos + len(piece.text), page, frac, round(piece.confidence, 4)))
            parts.append(piece.text)
            pos += len(piece.text)
        parts.append("\n")
        pos += 1
    return OcrPage("".join(parts), boxes)


def _scale_for(width_pt: float, height_pt: float) -> float:
    scale = RENDER_DPI / 72
    pixels = width_pt * height_pt * scale * scale
    if pixels > MAX_PIXELS:
        scale *= math.sqrt(MAX_PIXELS / pixels)
    return scale


def pdf_images(raw: bytes, pages: list[int]) -> Iterator[tuple[int, np.ndarray]]:
    """The given 1-based pages of a PDF rendered to RGB arrays, one at a time."""
    import numpy as np
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(raw)
    try:
        for n in pages:
            page = pdf[n - 1]
            try:
                w, h = page.get_size()
                bitmap = page.render(scale=_scale_for(w, h))
                image = np.array(bitmap.to_pil().convert("RGB"))
                bitmap.close()
            finally:
                page.close()
            yield n, image
    finally:
        pdf.close()


def image_frames(raw: bytes) -> Iterator[tuple[int, np.ndarray]]:
    """The frames of an image file (a TIFF may hold several pages) as RGB arrays."""
    import numpy as np
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(raw))
    except (UnidentifiedImageError, OSError) as e:
        raise OcrError(f"cannot read the image: {e}") from e
    n_frames = getattr(img, "n_frames", 1)
    if n_frames > MAX_OCR_PAGES:
        raise OcrError(f"the image has {n_frames} pages, over the {MAX_OCR_PAGES}-page OCR limit")
    for i, frame in enumerate(ImageSequence.Iterator(img), start=1):
        frame = frame.convert("RGB")
        pixels = frame.width * frame.height
        if pixels > MAX_PIXELS:
            f = math.sqrt(MAX_PIXELS / pixels)
            frame = frame.resize((int(frame.width * f), int(frame.height * f)))
        elif frame.width < 1200:  # a small image: enlarge so table digits are tall enough
            frame = frame.resize((frame.width * 2, frame.height * 2))
        yield i, np.asarray(frame)


def ocr_pages(images: Iterator[tuple[int, np.ndarray]]) -> dict[int, OcrPage]:
    """Each page image read by OCR, within the time limits."""
    from extractor.ingest.ocr.page import read_page

    out: dict[int, OcrPage] = {}
    began = time.monotonic()
    for n, image in images:
        if len(out) >= MAX_OCR_PAGES:
            raise OcrError(f"more than {MAX_OCR_PAGES} pages need OCR: over the limit for a report")
        budget.extend(PAGE_ALLOWANCE)  # the run's per-document timeout grows by a page
        t0 = time.process_time()
        h, w = image.shape[:2]
        out[n] = page_text(read_page(image), n, w, h)
        took = time.process_time() - t0
        if took > PAGE_SECONDS:
            raise OcrError(f"OCR of page {n} took {took:.0f} s of CPU, over the "
                           f"{PAGE_SECONDS:.0f} s limit per page")
        if time.monotonic() - began > DOCUMENT_SECONDS:
            raise OcrError(f"OCR stopped after page {n}: over the {DOCUMENT_SECONDS:.0f} s limit "
                           "per document")
    return out


#: A page whose text layer prints fewer characters than this is a scan if it shows an image.
MIN_PAGE_CHARS = 20


def printed_chars(text: str) -> int:
    return len("".join(text.split()))


def pages_without_text(raw: bytes, rendered: Sequence[str] | None = None) -> tuple[int, list[int]]:
    """(number of pages, the 1-based pages that are scans: their text layer has fewer than
    MIN_PAGE_CHARS printed characters and they show an image; a blank page is not a scan).
    `rendered`: the text a renderer made of each page, if one did; a page it printed enough
    of has a text layer and is not looked at again."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    pdf = pdfium.PdfDocument(raw)
    try:
        scans: list[int] = []
        known = rendered if rendered is not None and len(rendered) == len(pdf) else None
        for i in range(len(pdf)):
            if known is not None and printed_chars(known[i]) >= MIN_PAGE_CHARS:
                continue
            page = pdf[i]
            try:
                tp = page.get_textpage()
                try:
                    text = tp.get_text_range()
                finally:
                    tp.close()
                if printed_chars(text) >= MIN_PAGE_CHARS:
                    continue
                images = page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3)
                if next(iter(images), None) is not None:
                    scans.append(i + 1)
            finally:
                page.close()
        return len(pdf), scans
    finally:
        pdf.close()
