"""Layout: table rows recovered from the normalized text of a document.

Converters tear tables apart (tab, pipe, space-aligned, one cell per line, glued digit
runs); this stage turns the text back into `Row`s of `TextCell`s with exact spans.
"""

from __future__ import annotations

from dataclasses import replace

from extractor.ingest.document import Document
from extractor.layout.rows import recover_rows


def with_rows(doc: Document) -> Document:
    """The document with its table rows recovered from its normalized text."""
    return replace(doc, rows=recover_rows(doc.text))


__all__ = ["recover_rows", "with_rows"]
