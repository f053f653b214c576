"""The fallback backend: pdfplumber (over pdfminer.six) reads each page's objects.

Slower than the pdfium backend (pdfminer parses the content streams in Python) but the
reference: the pdfium backend is held to rendering byte-identical text, and hands a
document to this backend whenever it meets something it does not reproduce exactly.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.utils.exceptions import PdfminerException

from extractor.ingest.pdf.errors import PdfError, check_page_count, encrypted
from extractor.ingest.pdf.layout import PageObjects, page_lines


def _open(raw: bytes) -> pdfplumber.PDF:
    try:
        return pdfplumber.open(io.BytesIO(raw))
    except (PDFPasswordIncorrect, PdfminerException, PDFSyntaxError) as e:
        cause = e.args[0] if isinstance(e, PdfminerException) and e.args else e
        if isinstance(cause, PDFPasswordIncorrect) or "password" in str(cause).lower():
            raise encrypted() from e
        raise PdfError(f"damaged or invalid PDF: {cause}") from e
    except Exception as e:  # noqa: BLE001 - pdfminer raises many kinds on broken files
        raise PdfError(f"damaged or invalid PDF: {type(e).__name__}: {e}") from e


def page_objects(raw: bytes) -> Iterator[PageObjects]:
    """Each page's characters and edges, in page order (the page count is checked first)."""
    pdf = _open(raw)
    with pdf:
        check_page_count(len(pdf.pages))
        for page in pdf.pages:
            try:
                objects = PageObjects(page.chars, page.edges, page.bbox)
            except Exception as e:  # noqa: BLE001 - pdfminer raises many kinds on broken pages
                raise PdfError(
                    f"cannot read page {page.page_number}: {type(e).__name__}: {e}"
                ) from e
            finally:
                page.close()  # release pdfminer's layout objects: bounded memory on long files
            yield objects


def page_texts(raw: bytes) -> Iterator[list[str]]:
    """Each page's lines, in page order."""
    for number, objects in enumerate(page_objects(raw), start=1):
        try:
            lines = page_lines(objects)
        except Exception as e:  # noqa: BLE001
            raise PdfError(f"cannot read page {number}: {type(e).__name__}: {e}") from e
        yield lines
