"""Write a batch's results: results.jsonl, cells.csv, reports.csv, flags.csv, errors.jsonl.

The CSV files render the typed tables of `extractor.outputs.tables` as text: numbers as
numbers (amounts as exact decimals, never in exponent form), null as an empty cell, booleans
as true/false, and text neutralised against CSV injection (`safe.neutralise`). They are
UTF-8 with a BOM so Excel shows Chinese correctly. Each file is written to a temporary name
and renamed, so a killed run never leaves a half-written file behind.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import IO

from extractor.outputs.fields import SECTION_NAMES
from extractor.outputs.items import Item
from extractor.outputs.safe import neutralise
from extractor.outputs.tables import (
    CELL_COLUMNS,
    FLAG_COLUMNS,
    REPORT_COLUMNS,
    Column,
    cell_values,
    flag_values,
    issue_span,
    report_values,
)
from extractor.schema import InputError, Record

# The review page points where flags.csv points.
_issue_span = issue_span

__all__ = ["SECTION_NAMES", "BatchWriter", "csv_text", "header", "_issue_span"]


def csv_text(v: object) -> str:
    """One typed value as CSV text (called for every value of every export: the common
    types are tested first)."""
    if v is None:
        return ""
    kind = type(v)
    if kind is int:
        return str(v)
    if kind is str:
        return neutralise(v)  # type: ignore[arg-type]
    if kind is bool:
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, str):
        return neutralise(v)
    return str(v)


def header(columns: Iterable[Column]) -> list[str]:
    return [c.name for c in columns]


def _text_rows(rows: Iterable[list[object]]) -> Iterable[list[str]]:
    return ([csv_text(v) for v in row] for row in rows)


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
        for name, columns in (("cells.csv", CELL_COLUMNS), ("reports.csv", REPORT_COLUMNS),
                              ("flags.csv", FLAG_COLUMNS)):
            if name in self._csv:
                self._csv[name].writerow(header(columns))

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(commit=exc[0] is None)

    def add_error(self, error: InputError) -> None:
        if "errors.jsonl" in self._fh:
            self._fh["errors.jsonl"].write(json.dumps(error.model_dump(), ensure_ascii=False) + "\n")

    def add(self, r: Record, record_json: str | None = None, item: Item | None = None) -> None:
        """`record_json`: the record already serialized (saves a dump when exporting);
        `item`: the run item it is (input path and position; default: the record alone)."""
        item = item or Item.of(r)
        if "results.jsonl" in self._fh:
            self._fh["results.jsonl"].write((record_json or r.model_dump_json()) + "\n")
        if "cells.csv" in self._csv:
            self._csv["cells.csv"].writerows(_text_rows(cell_values(item)))
        if "reports.csv" in self._csv:
            self._csv["reports.csv"].writerows(_text_rows([report_values(item)]))
        if "flags.csv" in self._csv:
            self._csv["flags.csv"].writerows(_text_rows(flag_values(item)))

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
