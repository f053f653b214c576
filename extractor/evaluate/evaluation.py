"""Score `extractor run` output against hand-checked expected files (the golden format).

`extractor eval` and the golden tests import from here; the work is split by concern:

- `expected`: the golden format (golden/GOLDEN.md), its one reader: expected files, their
  validation against the template layouts, and the readings golden values and tool cells
  stand for;
- `results`: the run output to score (records and failed inputs);
- `compare`: every expected cell in exactly one class (correct, missing, wrong_flagged,
  silent), counted per report, section and overall, and the CI thresholds;
- `render`: the terminal text and the `--json` document.
"""

from __future__ import annotations

from extractor.evaluate.compare import (
    CellClass,
    CellDiff,
    Counts,
    Evaluation,
    ReportEval,
    ReportState,
    Thresholds,
    classify,
    compare,
    evaluate,
    violations,
)
from extractor.evaluate.expected import (
    PLACEMENTS,
    SECTIONS,
    STATUS_LETTER,
    Amount,
    EvalError,
    ExpectedReport,
    GoldenRow,
    GoldenValue,
    Reading,
    cell_reading,
    evidence_mismatches,
    expected_cells,
    expected_placement,
    expected_reading,
    expected_status,
    load_expected,
    load_expected_dir,
    parse_expected,
)
from extractor.evaluate.render import render_text, to_json
from extractor.evaluate.results import RunOutput, load_run

__all__ = [
    "PLACEMENTS", "SECTIONS", "STATUS_LETTER", "Amount", "CellClass", "CellDiff", "Counts", "EvalError",
    "Evaluation", "ExpectedReport", "GoldenRow", "GoldenValue", "Reading", "ReportEval",
    "ReportState", "RunOutput", "Thresholds", "cell_reading", "classify", "compare", "evaluate",
    "evidence_mismatches", "expected_cells", "expected_placement", "expected_reading",
    "expected_status", "load_expected",
    "load_expected_dir", "load_run", "parse_expected", "render_text", "to_json", "violations",
]
