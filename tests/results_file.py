"""Reading a run's results file in tests: results.jsonl.gz (one gzip member per report) as
its text lines, or as plain JSON."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

RESULTS = "results.jsonl.gz"
CELLS = "cells.csv.gz"  # lean, by default; `--cell-labels`: cells.csv, plain


def cells_text(folder: Path) -> str:
    """The CSV text of a folder's cells (cells.csv.gz, else cells.csv), BOM included."""
    gz = folder / CELLS
    if gz.is_file():
        return gzip.decompress(gz.read_bytes()).decode("utf-8")
    return (folder / "cells.csv").read_text("utf-8")


def cells_rows(folder: Path) -> list[dict[str, str]]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(cells_text(folder).removeprefix("\ufeff"))))


def results_lines(path: Path) -> list[str]:
    """The JSON lines of a results file (a folder: its results.jsonl.gz)."""
    path = path / RESULTS if path.is_dir() else path
    return gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()


def results_json(path: Path) -> list[dict]:
    return [json.loads(line) for line in results_lines(path) if line.strip()]


def results_records(path: Path) -> list:
    """The records of a results file as `Record`s (a line without its text: text "")."""
    from extractor.store.codec import decode_any

    return [decode_any(line)[0] for line in results_lines(path) if line.strip()]


def cells_joined(folder: Path) -> list[dict[str, str]]:
    """The rows of a folder's lean cells.csv.gz with the columns a join gives back, as the
    README says to join: `file`, `input_path` and `sha256` from reports.csv on `item`."""
    import csv

    with open(folder / "reports.csv", encoding="utf-8-sig", newline="") as fh:
        reports = {r["item"]: r for r in csv.DictReader(fh)}
    rows = cells_rows(folder)
    for row in rows:
        report = reports[row["item"]]
        row.update(file=report["file"], input_path=report["input_path"], sha256=report["sha256"])
    return rows
