"""report-extractor: verified numbers from government information-disclosure annual reports.

The Python face of the tool; the command line is a thin shell over the same functions.

    >>> import extractor
    >>> record = extractor.extract("report.pdf")          # or the report's text, or bytes
    >>> record.summary.verified, record.meta.agency.value
    >>> for cell in extractor.iter_cells(record.tables):
    ...     print(cell.path, cell.value, cell.status)

A `Record` holds the typed tables (`Cell` per template field, with its state, value, status,
reasons and source span), the checks and flags, and the metadata. Stages: ingest → layout →
extract → verify (→ the optional LLM reader); see the README's "Architecture".
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from extractor.schema import (
    Cell,
    CellState,
    CellStatus,
    CheckResult,
    InputError,
    Issue,
    Record,
    iter_cells,
    title,
)

if TYPE_CHECKING:
    from extractor.llm.reader import LLMPass

__version__ = "0.1.0"


def extract(source: str | os.PathLike[str] | bytes, *, name: str | None = None,
            llm: LLMPass | None = None) -> Record:
    """Extract and verify one report: a path, the report's text, or a file's bytes.

    Raises `extractor.IngestError` (cannot be read) or `extractor.NotAReport`.
    """
    from extractor.run.pipeline import extract_report

    return extract_report(source, name=name, llm=llm)


def __getattr__(attr: str) -> object:
    # The exceptions `extract` raises, imported on first use so that `import extractor`
    # stays light (the readers pull in pdfplumber and python-docx).
    if attr == "IngestError":
        from extractor.ingest.reader import IngestError

        return IngestError
    if attr == "NotAReport":
        from extractor.mapping.report import NotAReport

        return NotAReport
    raise AttributeError(f"module 'extractor' has no attribute {attr!r}")


__all__ = [
    "Cell",
    "CellState",
    "CellStatus",
    "CheckResult",
    "InputError",
    "IngestError",
    "Issue",
    "NotAReport",
    "Record",
    "extract",
    "iter_cells",
    "title",
]
