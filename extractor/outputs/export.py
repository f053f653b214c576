"""Exports of the run store: the files analysts open, always with people's decisions applied.

`write_run` writes a run's standard outputs (results.jsonl, errors.jsonl, cells.csv,
reports.csv, flags.csv) for exactly the inputs of that run, in input order. `export` writes
one format on demand: csv (reports.csv one row per report, cells.csv one row per cell,
flags.csv), jsonl (results.jsonl, errors.jsonl), parquet (reports.parquet, cells.parquet;
needs the `parquet` extra) or sqlite (export.sqlite with tables reports and cells).
Every file is written under a temporary name and renamed, so no half-written export exists.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from extractor.outputs.items import run_items
from extractor.outputs.rows import (
    CELL_COLUMNS,
    FLAG_COLUMNS,
    BatchWriter,
    cell_rows,
    report_header,
    report_row,
)
from extractor.store.store import Store

FORMATS = ("csv", "jsonl", "parquet", "sqlite")
FILES = {
    "csv": ("cells.csv", "reports.csv", "flags.csv"),
    "jsonl": ("results.jsonl", "errors.jsonl"),
}


class ExportError(Exception):
    """The export cannot be written (e.g. parquet without pyarrow, or an empty store)."""


def write_run(store: Store, run_id: int, out: Path,
              files: tuple[str, ...] = BatchWriter.FILES) -> bool:
    """Write a run's exports into `out`; False when the files there are already exactly
    these (same items, same decisions: a resumed run with nothing new skips the rewrite)."""
    standard = files == BatchWriter.FILES
    stamp = store.export_stamp(run_id)
    if standard and store.get_meta(f"exported:{out.resolve()}") == stamp and all(
            (out / f).is_file() for f in files):
        return False
    with BatchWriter(out, files) as writer:
        for item in run_items(store, run_id):
            if item.error is not None:
                writer.add_error(item.error)
            elif item.record is not None:
                writer.add(item.record, item.record_json)
    if standard:
        store.set_meta(f"exported:{out.resolve()}", stamp)
    return True


def export(store: Store, fmt: str, dest: Path, run_id: int | None = None) -> list[Path]:
    """Write one export format of a run (default: the latest) into `dest`; the paths written."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    run_id = run_id if run_id is not None else store.latest_run()
    if run_id is None:
        raise ExportError(f"{store.path} holds no run yet: run `extractor run` first")
    if fmt in FILES:
        write_run(store, run_id, dest, FILES[fmt])
        return [dest / f for f in FILES[fmt]]
    if fmt == "parquet":
        return _parquet(store, run_id, dest)
    return [_sqlite(store, run_id, dest)]


def _tables(store: Store, run_id: int) -> tuple[list[str], list[list[object]], list[list[object]]]:
    reports: list[list[object]] = []
    cells: list[list[object]] = []
    for item in run_items(store, run_id):
        if item.record is not None:
            reports.append(report_row(item.record))
            cells.extend(list(r) for r in cell_rows(item.record))
    return report_header(), reports, cells


def _columns(header: list[str] | tuple[str, ...], rows: list[list[object]]) -> dict[str, list[str | int | None]]:
    """Column-wise data for typed formats: integers stay integers, '' is null, the rest text."""
    cols: dict[str, list[str | int | None]] = {}
    for i, name in enumerate(header):
        values = [row[i] for row in rows]
        if all(isinstance(v, int) and not isinstance(v, bool) or v in ("", None) for v in values):
            cols[name] = [None if v in ("", None) else int(v) for v in values]  # type: ignore[arg-type]
        else:
            cols[name] = [None if v in ("", None) else str(v) for v in values]
    return cols


def _parquet(store: Store, run_id: int, dest: Path) -> list[Path]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as e:
        raise ExportError("parquet export needs pyarrow: pip install 'report-extractor[parquet]'") from e
    header, reports, cells = _tables(store, run_id)
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for name, cols, rows in (("reports", header, reports), ("cells", list(CELL_COLUMNS), cells)):
        table = pa.table(_columns(cols, rows))
        target = dest / f"{name}.parquet"
        tmp = dest / f".{name}.parquet.tmp"
        pq.write_table(table, tmp)
        os.replace(tmp, target)
        written.append(target)
    return written


def _sqlite(store: Store, run_id: int, dest: Path) -> Path:
    header, reports, cells = _tables(store, run_id)
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / "export.sqlite"
    tmp = dest / ".export.sqlite.tmp"
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        for name, cols, rows in (("reports", header, reports), ("cells", list(CELL_COLUMNS), cells)):
            data = _columns(cols, rows)
            quoted = ", ".join(f'"{c}"' for c in data)
            db.execute(f"CREATE TABLE {name} ({quoted})")
            marks = ", ".join("?" * len(data))
            db.executemany(f"INSERT INTO {name} VALUES ({marks})", zip(*data.values(), strict=True))
        db.execute("CREATE INDEX cells_file ON cells (file)")
        db.commit()
    finally:
        db.close()
    os.replace(tmp, target)
    return target


__all__ = ["FLAG_COLUMNS", "FORMATS", "ExportError", "export", "run_items", "write_run"]
