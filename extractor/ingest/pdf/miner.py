"""One pdfminer parse of a PDF's pages, shared by the text budget check and the fonts.

The reader checks a PDF's text budget (`pdf_budget`, before rendering) and the pdfium
backend then reads its fonts (`fonts.font_infos`); both walk the document's pages with
pdfminer. The pages of the last document parsed in a thread are kept with the bytes they
were parsed from (the same object, compared by identity, and held so that its identity
stays unique), so the second reader parses nothing again; `forget` drops them once the
document is read. One document per thread at most is kept.
"""

from __future__ import annotations

import io
import threading

from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser

_LOCAL = threading.local()


def pages(raw: bytes) -> list[PDFPage]:
    """pdfminer's pages of `raw`, in order. Raises whatever pdfminer raises on a file it
    cannot parse (nothing is kept then)."""
    entry = getattr(_LOCAL, "entry", None)
    if entry is not None and entry[0] is raw:
        return entry[1]
    _LOCAL.entry = None
    out = list(PDFPage.create_pages(PDFDocument(PDFParser(io.BytesIO(raw)))))
    _LOCAL.entry = (raw, out)
    return out


def forget(raw: bytes) -> None:
    """Drop the pages kept for `raw`, if any (the document is read)."""
    entry = getattr(_LOCAL, "entry", None)
    if entry is not None and entry[0] is raw:
        _LOCAL.entry = None
