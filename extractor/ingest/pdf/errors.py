"""The errors both PDF backends raise, with the messages a person can act on."""

from __future__ import annotations

#: Longer documents are not annual reports of this kind; refusing them bounds time.
MAX_PAGES = 300


class PdfError(Exception):
    """A PDF that cannot be read, with the reason."""


def encrypted() -> PdfError:
    return PdfError("the PDF is encrypted with a password; it cannot be read")


def check_page_count(n: int) -> None:
    if n == 0:
        raise PdfError("the PDF has no pages")
    if n > MAX_PAGES:
        raise PdfError(f"the PDF has {n} pages, over the {MAX_PAGES}-page limit for a report")
