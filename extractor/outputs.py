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

from extractor.pipeline import InputError
from extractor.schema import (
    Cell,
    CellState,
    Issue,
    Record,
    iter_cells,
    template_paths,
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


ALL_PATHS: list[str] = list(dict.fromkeys(template_paths("2019") + template_paths("2021")))


def _readable(path: str) -> str:
    section = path.split(".")[0]
    return f"{SECTION_NAMES[section]}·{title(path)} [{path}]"


class BatchWriter:
    """Streams records to the output files as they come, so memory stays flat.

    Every file is written under a temporary name and renamed on `close()`: a killed run
    never leaves a half-written output behind.
    """

    FILES = ("results.jsonl", "errors.jsonl", "cells.csv", "reports.csv", "flags.csv")

    def __init__(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.out = out
        self._fh: dict[str, IO[str]] = {}
        for name in self.FILES:
            bom = name.endswith(".csv")
            self._fh[name] = open(  # noqa: SIM115 - closed in close()
                out / f".{name}.tmp", "w", encoding="utf-8-sig" if bom else "utf-8", newline=""
            )
        self.cells = csv.writer(self._fh["cells.csv"])
        self.reports = csv.writer(self._fh["reports.csv"])
        self.flags = csv.writer(self._fh["flags.csv"])
        self.cells.writerow(["file", "section", "row", "column", "path", "label", "value", "unit",
                             "raw", "state", "status", "reasons", "span_start", "span_end",
                             "source_start", "source_end"])
        self.reports.writerow(["file", "agency", "year", "template", "truncated", "cells",
                               "numbers", "verified", "grounded", "flagged", "flags", "sha256",
                               *(_readable(p) for p in ALL_PATHS)])
        self.flags.writerow(["file", "rule", "key", "verdict", "message", "paths", "span_start",
                             "span_end", "snippet"])

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(commit=exc[0] is None)

    def add_error(self, error: InputError) -> None:
        self._fh["errors.jsonl"].write(json.dumps(error.model_dump(), ensure_ascii=False) + "\n")

    def add(self, r: Record) -> None:
        self._fh["results.jsonl"].write(r.model_dump_json() + "\n")
        cells = list(iter_cells(r.tables))
        by_path = {c.path: c for c in cells}
        file = r.meta.source_file
        rows = []
        for c in cells:
            section, row, col = c.path.split(".")
            span = c.span or ("", "")
            src = c.source_span or ("", "")
            rows.append((file, SECTION_NAMES[section], row, col, c.path, title(c.path),
                         "" if c.value is None else c.value, c.unit or "", c.raw or "",
                         c.state.value, c.status.value if c.status else "",
                         " | ".join(c.reasons), span[0], span[1], src[0], src[1]))
        self.cells.writerows(rows)
        wide = []
        for p in ALL_PATHS:
            c = by_path.get(p)
            if c is None:
                wide.append("")  # not in this template version
            elif c.state is CellState.NUMBER:
                wide.append(_value(c.value))
            else:
                wide.append(f"<{c.state.value}>" if c.state is not CellState.BLANK else "")
        s = r.summary
        self.reports.writerow([r.meta.source_file, _value(r.meta.agency.value),
                               _value(r.meta.year.value), _value(r.meta.template),
                               str(r.truncated).lower(), s.cells, s.numbers, s.verified,
                               s.grounded, s.flagged, len(r.flags), r.meta.sha256, *wide])
        for issue in r.flags:
            span = _issue_span(issue, by_path)
            snippet = _snippet(r.text, *span) if span else ""
            self.flags.writerow([r.meta.source_file, issue.rule, issue.key, issue.verdict or "",
                                 issue.message, " ".join(issue.paths[:30]),
                                 _value(span[0] if span else None),
                                 _value(span[1] if span else None), snippet])

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
