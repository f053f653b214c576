"""Numbers read by OCR: what the verifier asks of them beyond what it asks of a text layer.

OCR reads digits from a picture, so its text is not the source in the way a text layer is:
a misread digit is grounded against its own misreading. Therefore

- a cell read by OCR is never evidence that the *report* does not add up: a failed identity
  with an OCR'd number in it is an `extraction_error` (compare the digits with the page
  image), never a `source_inconsistency`;
- a number whose digits the engine was not sure of (`Cell.ocr.confidence` below
  `MIN_CONFIDENCE`) is flagged **OCR** unless an identity covering it holds (an identity
  that holds confirms every digit in it: a misread digit breaks it);
- the rest is as for any cell: verified only where an identity holds, else grounded.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from extractor.schema import Cell, CellState, Issue, title

#: The engine's per-character confidence below which a digit is not taken on trust.
#: Correct digits of clean scans read 0.97–1.0; misread ones measured 0.5–0.97.
MIN_CONFIDENCE = 0.95
_OCR = itemgetter("ocr")


def read_by_ocr(cell: Cell) -> bool:
    return cell.ocr is not None


def low_confidence_issues(fields: dict[str, dict[str, Any]], passed: set[str]) -> list[Issue]:
    """An OCR flag for each number read with low confidence that no identity confirms; the
    cell gets the reason. `fields`: each cell's fields (its `__dict__`) by path."""
    issues: list[Issue] = []
    if not any(map(_OCR, fields.values())):  # no cell read by OCR (a model is true)
        return issues
    for path, cell in fields.items():
        ocr = cell["ocr"]
        if ocr is None or cell["state"] is not CellState.NUMBER or path in passed:
            continue
        if ocr.confidence >= MIN_CONFIDENCE:
            continue
        msg = (f"{title(path)} reads {cell['raw']!r} by OCR with low confidence "
               f"({ocr.confidence:.2f}) on page {ocr.page}, and no identity confirms it: "
               "compare it with the page image")
        cell["reasons"].append(f"OCR: {msg}")
        issues.append(Issue(rule="OCR", key=f"OCR:{path}", message=msg, paths=[path],
                            span=cell["span"], verdict="extraction_error"))
    return issues
