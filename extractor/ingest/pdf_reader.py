"""Render a PDF's text layer to text, tables as tab rows, remembering where pages start.

Built on pdfplumber (over pdfminer.six): it finds ruled tables and returns their cells
with merged cells as `None`, which is what the template parser needs; PyMuPDF is faster
but AGPL-licensed and its table finder is newer. Text outside tables is read line by line
in reading order; page footers ("- 4 -") are dropped. A cell's text broken over lines is
joined ("商业企\\n业" -> "商业企业"); a label spanning rows (a vertical "三、\\n本\\n年…"
label or a group label) is printed once, in its first row.

There is no source offset into a PDF's bytes: the rendered text is the "source" that spans
point into, and each page's start offset is kept so every cell also gets its page number.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.utils.exceptions import PdfminerException

from extractor.ingest.footer import is_footer

#: Longer documents are not annual reports of this kind; refusing them bounds time.
MAX_PAGES = 300
#: A text layer this small over the whole document means the pages are images.
MIN_TEXT_CHARS = 20


class PdfError(Exception):
    """A PDF that cannot be read, with the reason."""


class NoTextLayer(PdfError):
    """A PDF whose pages are images (a scan): OCR can read it (`extractor.ingest.ocr`)."""


@dataclass(frozen=True)
class RenderedPdf:
    text: str
    page_starts: list[int]
    pages: int


def _cell_text(cell: str | None) -> str:
    if cell is None:
        return ""
    lines = [ln.strip() for ln in cell.split("\n")]
    return "".join(ln for ln in lines if ln).replace("\t", " ")


def _table_lines(rows: list[list[str | None]]) -> list[str]:
    out: list[str] = []
    for row in rows:
        cells = [_cell_text(c) for c in row if c is not None]
        if any(cells):
            out.append("\t".join(cells))
    return out


def _page_lines(page: pdfplumber.page.Page) -> list[str]:
    """The page's content in reading order: text lines and table rows, by vertical position."""
    tables = [t for t in page.find_tables() if t.rows and len(t.rows[0].cells) >= 2]
    items: list[tuple[float, int, list[str]]] = []
    for t in tables:
        items.append((t.bbox[1], 1, _table_lines(t.extract())))

    def outside(obj: dict) -> bool:
        x = (obj["x0"] + obj["x1"]) / 2
        y = (obj["top"] + obj["bottom"]) / 2
        return not any(t.bbox[0] <= x <= t.bbox[2] and t.bbox[1] <= y <= t.bbox[3] for t in tables)

    rest = page.filter(lambda o: o.get("object_type") != "char" or outside(o)) if tables else page
    for line in rest.extract_text_lines(return_chars=False):
        text = line["text"].strip()
        if text and not is_footer(text):
            items.append((line["top"], 0, [text]))
    items.sort(key=lambda it: (it[0], it[1]))
    return [ln for _, _, lines in items for ln in lines]


def render_pdf(raw: bytes) -> RenderedPdf:
    try:
        pdf = pdfplumber.open(io.BytesIO(raw))
    except (PDFPasswordIncorrect, PdfminerException, PDFSyntaxError) as e:
        cause = e.args[0] if isinstance(e, PdfminerException) and e.args else e
        if isinstance(cause, PDFPasswordIncorrect) or "password" in str(cause).lower():
            raise PdfError("the PDF is encrypted with a password; it cannot be read") from e
        raise PdfError(f"damaged or invalid PDF: {cause}") from e
    except Exception as e:  # noqa: BLE001 - pdfminer raises many kinds on broken files
        raise PdfError(f"damaged or invalid PDF: {type(e).__name__}: {e}") from e
    with pdf:
        n = len(pdf.pages)
        if n == 0:
            raise PdfError("the PDF has no pages")
        if n > MAX_PAGES:
            raise PdfError(f"the PDF has {n} pages, over the {MAX_PAGES}-page limit for a report")
        parts: list[str] = []
        starts: list[int] = []
        pos = 0
        for page in pdf.pages:
            starts.append(pos)
            try:
                lines = _page_lines(page)
            except Exception as e:  # noqa: BLE001
                raise PdfError(f"cannot read page {page.page_number}: {type(e).__name__}: {e}") from e
            finally:
                page.close()  # release the page's parsed objects: bounded memory on long files
            chunk = "\n".join(lines) + "\n"
            parts.append(chunk)
            pos += len(chunk)
    text = "".join(parts)
    if len("".join(text.split())) < MIN_TEXT_CHARS:
        raise NoTextLayer(
            "the PDF has no text layer (scanned or image-only pages): OCR is needed before "
            "it can be read"
        )
    return RenderedPdf(text, starts, n)
