"""Write a batch's results: results.jsonl, cells.csv, reports.csv, flags.csv, errors.jsonl.

CSV files are UTF-8 with a BOM so Excel shows Chinese correctly. Each file is written to a
temporary name and renamed, so a killed run never leaves a half-written file behind.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from extractor.pipeline import InputError
from extractor.schema import (
    LAYOUTS,
    CellState,
    Issue,
    Record,
    iter_cells,
    template_paths,
    title,
)

SECTION_NAMES = {"s2": "二", "s3": "三", "s4": "四"}


@contextmanager
def _atomic(path: Path, encoding: str = "utf-8", bom: bool = False) -> Iterator[IO[str]]:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8-sig" if bom else encoding, newline="") as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _value(v: object) -> str:
    return "" if v is None else str(v)


def _snippet(text: str, start: int, end: int, context: int = 30, limit: int = 240) -> str:
    lo, hi = max(0, start - context), min(len(text), end + context)
    if hi - lo > limit:
        hi = lo + limit
    s = text[lo:start] + "【" + text[start:min(end, hi)] + "】" + text[min(end, hi):hi]
    return s.replace("\t", " ⇥ ").replace("\n", " ⏎ ")


def _issue_span(record: Record, issue: Issue) -> tuple[int, int] | None:
    if issue.span is not None:
        return issue.span
    cells = {c.path: c for c in iter_cells(record.tables)}
    spans = [cells[p].span for p in issue.paths if p in cells and cells[p].span is not None]
    spans = [s for s in spans if s is not None]
    if not spans:
        return None
    return (min(s[0] for s in spans), max(s[1] for s in spans))


ALL_PATHS: list[str] = list(dict.fromkeys(template_paths("2019") + template_paths("2021")))


def _readable(path: str) -> str:
    section = path.split(".")[0]
    return f"{SECTION_NAMES[section]}·{title(path)} [{path}]"


def write_outputs(out: Path, records: list[Record], errors: list[InputError]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with _atomic(out / "results.jsonl") as fh:
        for r in records:
            fh.write(r.model_dump_json() + "\n")
    with _atomic(out / "errors.jsonl") as fh:
        for e in errors:
            fh.write(json.dumps(e.model_dump(), ensure_ascii=False) + "\n")

    with _atomic(out / "cells.csv", bom=True) as fh:
        w = csv.writer(fh)
        w.writerow(["file", "section", "row", "column", "path", "label", "value", "unit", "raw",
                    "state", "status", "reasons", "span_start", "span_end", "source_start",
                    "source_end"])
        for r in records:
            for c in iter_cells(r.tables):
                section, row, col = c.path.split(".")
                span = c.span or (None, None)
                src = c.source_span or (None, None)
                w.writerow([r.meta.source_file, SECTION_NAMES[section], row, col, c.path,
                            title(c.path), _value(c.value), _value(c.unit), _value(c.raw),
                            c.state.value, c.status.value if c.status else "",
                            " | ".join(c.reasons), _value(span[0]), _value(span[1]),
                            _value(src[0]), _value(src[1])])

    with _atomic(out / "reports.csv", bom=True) as fh:
        w = csv.writer(fh)
        w.writerow(["file", "agency", "year", "template", "truncated", "cells", "numbers",
                    "verified", "grounded", "flagged", "flags", "sha256",
                    *(_readable(p) for p in ALL_PATHS)])
        for r in records:
            values = {c.path: c for c in iter_cells(r.tables)}
            row = []
            for p in ALL_PATHS:
                c = values.get(p)
                if c is None:
                    row.append("")  # not in this template version
                elif c.state is CellState.NUMBER:
                    row.append(_value(c.value))
                else:
                    row.append(f"<{c.state.value}>" if c.state is not CellState.BLANK else "")
            s = r.summary
            w.writerow([r.meta.source_file, _value(r.meta.agency.value), _value(r.meta.year.value),
                        _value(r.meta.template), str(r.truncated).lower(), s.cells, s.numbers,
                        s.verified, s.grounded, s.flagged, len(r.flags), r.meta.sha256, *row])

    with _atomic(out / "flags.csv", bom=True) as fh:
        w = csv.writer(fh)
        w.writerow(["file", "rule", "key", "verdict", "message", "paths", "span_start",
                    "span_end", "snippet"])
        for r in records:
            for issue in r.flags:
                span = _issue_span(r, issue)
                snippet = _snippet(r.text, *span) if span else ""
                w.writerow([r.meta.source_file, issue.rule, issue.key, issue.verdict or "",
                            issue.message, " ".join(issue.paths[:30]),
                            _value(span[0] if span else None), _value(span[1] if span else None),
                            snippet])


def layouts_summary() -> dict[str, int]:
    return {t: len(template_paths(t)) for t in LAYOUTS}
