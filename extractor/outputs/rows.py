"""Write a batch's results: results.jsonl, cells.csv, reports.csv, flags.csv, errors.jsonl.

CSV files are UTF-8 with a BOM so Excel shows Chinese correctly. Each file is written to a
temporary name and renamed, so a killed run never leaves a half-written file behind.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import IO

from extractor.schema import (
    ALL_PATHS,
    Cell,
    CellState,
    InputError,
    Issue,
    Record,
    iter_cells,
    title,
)

SECTION_NAMES = {"s2": "二", "s3": "三", "s4": "四"}


def _value(v: object) -> str:
    return "" if v is None else str(v)


def _snippet(text: str, start: int, end: int, context: int = 30, limit: int = 240) -> str:
    lo, hi = max(0, start - context), min(len(text), end + context)
    if hi - lo > limit:
        hi = lo + limit
    s = text[lo:start] + "【" + text[start:min(end, hi)] + "】" + text[min(end, hi):hi]
    return s.replace("\t", " ⇥ ").replace("\n", " ⏎ ")


def _issue_span(issue: Issue, cells: dict[str, Cell]) -> tuple[int, int] | None:
    """Where to point a reviewer: the issue's own span, else its cells' (all of them when
    they sit close together, otherwise the first printed number among them)."""
    if issue.span is not None:
        return issue.span
    printed = [cells[p] for p in issue.paths if p in cells and cells[p].span is not None]
    if not printed:
        return None
    lo = min(c.span[0] for c in printed)  # type: ignore[index]
    hi = max(c.span[1] for c in printed)  # type: ignore[index]
    if hi - lo <= 160:
        return (lo, hi)
    first = next((c for c in printed if c.state is CellState.NUMBER), printed[0])
    return first.span





def _readable(path: str) -> str:
    section = path.split(".")[0]
    return f"{SECTION_NAMES[section]}·{title(path)} [{path}]"


CELL_COLUMNS = ("file", "section", "row", "column", "path", "label", "value", "unit", "raw",
                "state", "status", "reasons", "span_start", "span_end", "source_start",
                "source_end", "page", "decision", "machine_value", "reviewer", "sha256")
REPORT_COLUMNS = ("file", "agency", "year", "template", "truncated", "cells", "numbers",
                  "verified", "grounded", "flagged", "corrected", "flags", "sha256")
FLAG_COLUMNS = ("file", "rule", "key", "verdict", "message", "paths", "span_start", "span_end",
                "snippet")


def cell_rows(r: Record) -> list[tuple[object, ...]]:
    """One row per template cell (the audit view), in printed order."""
    file = r.meta.source_file
    rows = []
    for c in iter_cells(r.tables):
        section, row, col = c.path.split(".")
        span = c.span or ("", "")
        src = c.source_span or ("", "")
        k = c.correction
        rows.append((file, SECTION_NAMES[section], row, col, c.path, title(c.path),
                     "" if c.value is None else c.value, c.unit or "", c.raw or "",
                     c.state.value, c.status.value if c.status else "", " | ".join(c.reasons),
                     span[0], span[1], src[0], src[1], _value(c.page),
                     k.decision if k else "", _value(k.machine_value) if k else "",
                     (k.reviewer or "") if k else "", r.meta.sha256))
    return rows


def report_row(r: Record) -> list[object]:
    """One row per report (the analysis view): its summary, then every template cell as a
    column (blank for a blank cell or a cell not in the report's template version, and
    <placeholder>, <missing>, <unreadable> for cells without a number)."""
    by_path = {c.path: c for c in iter_cells(r.tables)}
    wide: list[object] = []
    for p in ALL_PATHS:
        c = by_path.get(p)
        if c is None:
            wide.append("")  # not in this template version
        elif c.state is CellState.NUMBER:
            wide.append(_value(c.value))
        else:
            wide.append(f"<{c.state.value}>" if c.state is not CellState.BLANK else "")
    s = r.summary
    return [r.meta.source_file, _value(r.meta.agency.value), _value(r.meta.year.value),
            _value(r.meta.template), str(r.truncated).lower(), s.cells, s.numbers, s.verified,
            s.grounded, s.flagged, s.corrected, len(r.flags), r.meta.sha256, *wide]


def report_header() -> list[str]:
    return [*REPORT_COLUMNS, *(_readable(p) for p in ALL_PATHS)]


def flag_rows(r: Record) -> list[tuple[object, ...]]:
    by_path = {c.path: c for c in iter_cells(r.tables)}
    rows = []
    for issue in r.flags:
        span = _issue_span(issue, by_path)
        snippet = _snippet(r.text, *span) if span else ""
        rows.append((r.meta.source_file, issue.rule, issue.key, issue.verdict or "",
                     issue.message, " ".join(issue.paths[:30]),
                     _value(span[0] if span else None), _value(span[1] if span else None),
                     snippet))
    return rows


class BatchWriter:
    """Streams records to the output files as they come, so memory stays flat.

    Every file is written under a temporary name and renamed on `close()`: a killed run
    never leaves a half-written output behind.
    """

    FILES = ("results.jsonl", "errors.jsonl", "cells.csv", "reports.csv", "flags.csv")

    def __init__(self, out: Path, files: tuple[str, ...] = FILES) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.out = out
        self._fh: dict[str, IO[str]] = {}
        for name in files:
            bom = name.endswith(".csv")
            self._fh[name] = open(  # noqa: SIM115 - closed in close()
                out / f".{name}.tmp", "w", encoding="utf-8-sig" if bom else "utf-8", newline=""
            )
        self._csv = {name: csv.writer(fh) for name, fh in self._fh.items() if name.endswith(".csv")}
        for name, header in (("cells.csv", CELL_COLUMNS), ("reports.csv", report_header()),
                             ("flags.csv", FLAG_COLUMNS)):
            if name in self._csv:
                self._csv[name].writerow(header)

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(commit=exc[0] is None)

    def add_error(self, error: InputError) -> None:
        if "errors.jsonl" in self._fh:
            self._fh["errors.jsonl"].write(json.dumps(error.model_dump(), ensure_ascii=False) + "\n")

    def add(self, r: Record, record_json: str | None = None) -> None:
        """`record_json`: the record already serialized (saves a dump when exporting)."""
        if "results.jsonl" in self._fh:
            self._fh["results.jsonl"].write((record_json or r.model_dump_json()) + "\n")
        if "cells.csv" in self._csv:
            self._csv["cells.csv"].writerows(cell_rows(r))
        if "reports.csv" in self._csv:
            self._csv["reports.csv"].writerow(report_row(r))
        if "flags.csv" in self._csv:
            self._csv["flags.csv"].writerows(flag_rows(r))

    def close(self, commit: bool = True) -> None:
        for name, fh in self._fh.items():
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
            tmp = self.out / f".{name}.tmp"
            if commit:
                os.replace(tmp, self.out / name)
            else:
                tmp.unlink(missing_ok=True)
        self._fh = {}
