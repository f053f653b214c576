"""A PDF's text budget, checked before its pages are rendered.

A PDF of a few kB can draw millions of glyphs (one text operator with a long string, or
one content stream shared by hundreds of pages), and a renderer makes an object per glyph:
gigabytes and minutes for nothing a report holds. The bytes of the strings that show text
(`(…) Tj`, `[…] TJ`, `'`, `"`) are counted in every page's decoded content streams, a shared
stream once per page that draws it, and a PDF over the budget is refused. A dense A4 page of
Chinese text shows about 3,000 glyphs (6 kB as two-byte codes).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import PDFStream, resolve1

from extractor.ingest.pdf import miner

#: Bytes of shown text allowed on one page, and in the whole document.
MAX_PAGE_TEXT_BYTES = 400_000
MAX_TEXT_BYTES = 4_000_000

# Literal strings (one level of nested parentheses; escapes skipped) and hex strings.
_STRING = re.compile(rb"\((?:[^()\\]|\\.|\((?:[^()\\]|\\.)*\))*\)|<[0-9A-Fa-f\s]*>", re.S)


class PdfBudgetError(Exception):
    """The PDF shows more text than a report can hold."""


def _text_bytes(data: bytes) -> int:
    n = 0
    for m in _STRING.finditer(data):
        s = m.group()
        n += (len(s) - 2) // 2 if s[:1] == b"<" else len(s) - 2
    return n


def check_text_budget(raw: bytes) -> None:
    """Raise `PdfBudgetError` if the PDF's pages show more text than the budget; a PDF that
    cannot be parsed here is left to the renderer to report."""
    pages: Iterable[PDFPage]
    try:
        pages = miner.pages(raw)  # the pages the pdfium backend reads the fonts of
    except Exception:  # noqa: BLE001 - page by page, as far as pdfminer gets
        try:
            pages = PDFPage.create_pages(PDFDocument(PDFParser(io.BytesIO(raw))))
        except Exception:  # noqa: BLE001 - the renderer says what is wrong with it
            return
    counted: dict[int, int] = {}  # id of a stream -> its text bytes (shared streams)
    total = 0
    try:
        for number, page in enumerate(pages, 1):
            contents = resolve1(page.contents) if page.contents is not None else []
            if not isinstance(contents, list):
                contents = [contents]
            on_page = 0
            for ref in contents:
                stream = resolve1(ref)
                if not isinstance(stream, PDFStream):
                    continue
                key = id(stream)
                if key not in counted:
                    counted[key] = _text_bytes(stream.get_data() or b"")
                on_page += counted[key]
            if on_page > MAX_PAGE_TEXT_BYTES:
                miner.forget(raw)
                raise PdfBudgetError(f"page {number} draws about {on_page:,} bytes of text "
                                     f"(limit {MAX_PAGE_TEXT_BYTES:,}): not a report's page "
                                     "(a glyph bomb?)")
            total += on_page
            if total > MAX_TEXT_BYTES:
                miner.forget(raw)
                raise PdfBudgetError(f"the PDF draws over {MAX_TEXT_BYTES:,} bytes of text by "
                                     f"page {number} (pages sharing a huge content stream?): "
                                     "not a report")
    except PdfBudgetError:
        raise
    except Exception:  # noqa: BLE001 - the renderer says what is wrong with it
        return
