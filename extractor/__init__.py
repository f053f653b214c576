"""report-extractor: verified numbers from government information-disclosure annual reports.

The Python face of the tool; the command line is a thin shell over the same functions.

    >>> import extractor
    >>> record = extractor.extract("report.pdf")          # or the report's text, or bytes
    >>> record.summary.verified, record.meta.agency.value
    >>> for cell in extractor.iter_cells(record.tables):
    ...     print(cell.path, cell.value, cell.status)
    >>> extractor.to_frame(record)                        # pandas: one row, value/status/state
    >>> extractor.read_run("out/")                        # a whole run (wide; or shape="long")

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
    import pandas as pd

    from extractor.llm.reader import LLMPass

__version__ = "0.1.0"


def extract(source: str | os.PathLike[str] | bytes, *, name: str | None = None,
            llm: LLMPass | None = None, ocr: str | None = None) -> Record:
    """Extract and verify one report: a path, the report's text, or a file's bytes.

    `ocr`: "off", "auto" (default: only pages without a text layer, and images) or "on".
    Raises `extractor.IngestError` (cannot be read) or `extractor.NotAReport`.
    """
    from extractor.run.pipeline import extract_report

    return extract_report(source, name=name, llm=llm, ocr=ocr)


def read_run(out: str | os.PathLike[str], shape: str = "wide",
             run: int | None = None) -> pd.DataFrame:
    """A run as a pandas DataFrame (the `pandas` extra): the store's latest run (or `run`),
    people's decisions applied, or a results.jsonl. `shape`: "wide" (one row per report:
    `<path>`, `<path>:status`, `<path>:state` for every field), "long" (one row per cell),
    "flags", "errors". Counts are nullable integers, amounts exact decimals (万元)."""
    from extractor.outputs.frames import read_run as _read_run

    return _read_run(out, shape, run)  # type: ignore[arg-type]


def to_frame(record: Record, shape: str = "wide") -> pd.DataFrame:
    """One record as a pandas DataFrame, in the shapes of `read_run`."""
    from extractor.outputs.frames import record_frame

    return record_frame(record, shape)  # type: ignore[arg-type]


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
    "read_run",
    "title",
    "to_frame",
]
