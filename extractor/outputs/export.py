"""Exports of the run store: the files analysts open, always with people's decisions applied.

`write_run` writes a run's standard outputs (results.jsonl.gz, errors.jsonl, cells.csv with
fields.csv, reports.csv, flags.csv) for exactly the inputs of that run, in input order.
`export` writes one format on demand: csv (reports.csv one row per report, cells.csv one row
per cell with fields.csv, flags.csv), jsonl (results.jsonl.gz, errors.jsonl), parquet (reports, cells, flags and errors
.parquet; needs the `parquet` extra), sqlite (export.sqlite with tables reports, cells,
flags, errors and fields) or xlsx (export.xlsx, see `extractor.outputs.xlsx`).

Every export has the columns of `extractor.outputs.tables`, typed: counts are 64-bit
integers, amounts exact decimals in 万元 (parquet `decimal128(18, 6)`; SQLite has no decimal
type, so there an amount column `<name>` is written as `<name>_fen`, an INTEGER of 分 =
万元 × 1,000,000), booleans booleans (SQLite: 0/1), null null. Every run item is one row
with its own input path and file name, also when two inputs have the same content.

Every file is written under a temporary name and renamed, so no half-written export exists.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from extractor.outputs.fields import FIELD_COLUMNS, field_rows
from extractor.outputs.items import PLAIN_RESULTS, RESULTS, Item, item_of, run_items
from extractor.outputs.options import OutputOptions
from extractor.outputs.rows import CELLS, FIELDS_FILE, BatchWriter, disk_name
from extractor.outputs.spool import Spool
from extractor.outputs.tables import (
    AMOUNT_SCALE,
    CELL_COLUMNS,
    ERROR_COLUMNS,
    FLAG_COLUMNS,
    REPORT_COLUMNS,
    Column,
    ValueProblem,
    amount_units,
    cell_values,
    error_values,
    flag_values,
    report_values,
)
from extractor.store.store import Store

FORMATS = ("csv", "jsonl", "parquet", "sqlite", "xlsx")
FILES = {
    "csv": (CELLS, "reports.csv", "flags.csv"),
    "jsonl": (RESULTS, "errors.jsonl"),
}

#: The typed tables: name, columns, rows of one run item.
TABLES: tuple[tuple[str, tuple[Column, ...], Callable[[Item], list[list[object]]]], ...] = (
    ("reports", REPORT_COLUMNS, lambda i: [report_values(i)] if i.record else []),
    ("cells", CELL_COLUMNS, lambda i: cell_values(i) if i.record else []),
    ("flags", FLAG_COLUMNS, lambda i: flag_values(i) if i.record else []),
    ("errors", ERROR_COLUMNS, lambda i: [error_values(i)] if i.error else []),
)


#: Bump when what the exports hold changes without a change of columns (the columns are
#: part of the layout hash below): a resumed run then rewrites the files of an older tool.
EXPORT_VERSION = "5"  # 4: results.jsonl.gz without the text, lean cells.csv, fields.csv; 5: cells.csv.gz


def export_layout() -> str:
    """A short hash of the exports' layout: the version above, every table's columns."""
    shape = [EXPORT_VERSION, [(name, [(c.name, c.kind) for c in cols]) for name, cols, _ in TABLES]]
    return hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:12]


class ExportError(Exception):
    """The export cannot be written (e.g. parquet without pyarrow, or an empty store)."""


def write_run(store: Store, run_id: int, out: Path,
              files: tuple[str, ...] = BatchWriter.FILES, spool: Spool | None = None,
              also: Callable[[int, Item | None], None] | None = None,
              options: OutputOptions | None = None) -> bool:
    """Write a run's exports into `out`; False when the files there are already exactly
    these (same items, same decisions: a resumed run with nothing new skips the rewrite).

    `spool`: the lines the run's workers made (`item_lines`), copied as they are for each
    input they made that has no stored decision; every other item (reused, a twin, corrected)
    is read from the store, which renders the same bytes. `also`: called in input order with
    each input's position and its item, or None where the spool's lines were copied (the
    run's panel reads each record once: from the store here, or in the worker).
    `options`: `--with-text`, `--cell-labels` (default: as `extractor run` set them in the
    environment, which is what the spooled lines were made with; outside a run, e.g.
    `extractor correct`, as the folder's files were last written). A results.jsonl an older
    version wrote beside results.jsonl.gz is removed (it would read as this run)."""
    standard = files == BatchWriter.FILES
    where = f"outputs:{out.resolve()}"
    if options is None:
        options = OutputOptions.from_env() or (
            OutputOptions() if spool is not None  # the lines a worker made outside `extractor run`
            else OutputOptions.parse(store.get_meta(where) or ""))
    stamp = f"{store.export_stamp(run_id)}:{export_layout()}:{options.stamp()}"
    if standard and store.get_meta(f"exported:{out.resolve()}") == stamp and all(
            (out / disk_name(f, options)).is_file() for f in (*files, FIELDS_FILE)):
        return False
    corrected = store.has_corrections()
    with BatchWriter(out, files, options) as writer:
        for row in store.run_items(run_id):
            seq, sha, rid = row[0], row[2], row[3]
            lines = (spool.get(seq) if spool is not None and rid is not None
                     and sha not in corrected else None)
            if lines is not None:
                writer.add_lines(lines)
                if also is not None:
                    also(seq, None)
                continue
            item = item_of(store, row, corrected)
            if also is not None:
                also(seq, item)
            if item.error is not None:
                writer.add_error(item.error)
            elif item.record is not None:
                writer.add(item.record, item.record_json, item)
    if RESULTS in files:
        (out / PLAIN_RESULTS).unlink(missing_ok=True)
    if standard:
        store.set_meta(f"exported:{out.resolve()}", stamp)
        store.set_meta(where, options.env_value())
    return True


def export(store: Store, fmt: str, dest: Path, run_id: int | None = None,
           options: OutputOptions | None = None) -> list[Path]:
    """Write one export format of a run (default: the latest) into `dest`; the paths written.
    `options` (csv, jsonl): `--cell-labels`, `--with-text`. parquet, sqlite and xlsx always
    have every column (cells with their labels; the text is not in them)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    run_id = run_id if run_id is not None else store.latest_run()
    if run_id is None:
        raise ExportError(f"{store.path} holds no run yet: run `extractor run` first")
    if fmt in FILES:
        options = options or OutputOptions()
        write_run(store, run_id, dest, FILES[fmt], options=options)
        extra = (FIELDS_FILE,) if CELLS in FILES[fmt] else ()
        return [dest / disk_name(f, options) for f in (*FILES[fmt], *extra)]
    items = run_items(store, run_id)
    if fmt == "parquet":
        return write_parquet(items, dest)
    if fmt == "xlsx":
        from extractor.outputs.xlsx import write_xlsx

        return [write_xlsx(items, dest / "export.xlsx")]
    return [write_sqlite(items, dest / "export.sqlite")]


def _replace(tmp: Path, target: Path) -> Path:
    os.replace(tmp, target)
    return target


# -- parquet (and Arrow tables for pandas) ---------------------------------------------------


def arrow_type(kind: str) -> Any:
    import pyarrow as pa

    return {"int": pa.int64(), "amount": pa.decimal128(18, AMOUNT_SCALE), "bool": pa.bool_(),
            "text": pa.string(), "label": pa.dictionary(pa.int32(), pa.string())}[kind]


def arrow_table(columns: Sequence[Column], rows: list[list[object]]) -> Any:
    """A pyarrow Table of typed rows (amounts checked first: `check_amounts`)."""
    import pyarrow as pa

    schema = pa.schema([(c.name, arrow_type(c.kind)) for c in columns])
    arrays = [pa.array([row[i] for row in rows], type=schema.field(i).type)
              for i in range(len(columns))]
    return pa.Table.from_arrays(arrays, schema=schema)


def check_amounts(columns: Sequence[Column], rows: list[list[object]], item: Item) -> None:
    """Every amount fits the decimal type exactly, or an error naming the input."""
    for i, c in enumerate(columns):
        if c.kind == "amount":
            for row in rows:
                if row[i] is not None:
                    _amount_fits(row[i], c, item)


def _amount_fits(v: object, c: Column, item: Item | None) -> int:
    try:
        return amount_units(v)  # type: ignore[arg-type]
    except ValueProblem as e:
        where = f"{item.file}: " if item is not None else ""
        raise ExportError(f"{where}{c.name}: {e}; please report it") from e


def _pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError as e:
        raise ExportError("parquet export needs pyarrow: pip install 'report-extractor[parquet]'") from e


def write_parquet(items: Iterable[Item], dest: Path, chunk: int = 500) -> list[Path]:
    """reports, cells, flags and errors .parquet, written in row groups of `chunk` items."""
    _pyarrow()
    import pyarrow.parquet as pq

    dest.mkdir(parents=True, exist_ok=True)
    writers = {name: pq.ParquetWriter(dest / f".{name}.parquet.tmp", arrow_table(cols, []).schema)
               for name, cols, _ in TABLES}
    buffers: dict[str, list[list[object]]] = {name: [] for name, _, _ in TABLES}
    try:
        for n, item in enumerate(items, 1):
            for name, cols, rows_of in TABLES:
                rows = rows_of(item)
                check_amounts(cols, rows, item)
                buffers[name].extend(rows)
            if n % chunk == 0:
                _flush(writers, buffers)
        _flush(writers, buffers)
    finally:
        for w in writers.values():
            w.close()
    return [_replace(dest / f".{name}.parquet.tmp", dest / f"{name}.parquet")
            for name, _, _ in TABLES]


def _flush(writers: dict[str, Any], buffers: dict[str, list[list[object]]]) -> None:
    for name, cols, _ in TABLES:
        if buffers[name]:
            writers[name].write_table(arrow_table(cols, buffers[name]))
            buffers[name] = []


# -- SQLite ---------------------------------------------------------------------------------

_SQL_TYPES = {"int": ("INTEGER", "'integer'"), "amount": ("INTEGER", "'integer'"),
              "bool": ("INTEGER", "'integer'"), "text": ("TEXT", "'text'"),
              "label": ("TEXT", "'text'")}


def sql_name(c: Column) -> str:
    """The SQLite column of `c`: an amount is an INTEGER of 分, named `<name>_fen`."""
    return f"{c.name}_fen" if c.kind == "amount" else c.name


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _ddl(table: str, columns: Sequence[Column], key: str | None = None) -> str:
    """Typed columns; a CHECK on each keeps anything but its type (or null) out of it, on
    any SQLite version (STRICT tables need 3.37)."""
    parts = []
    for c in columns:
        sql_type, typeof = _SQL_TYPES[c.kind]
        q = _quote(sql_name(c))
        primary = " PRIMARY KEY" if c.name == key else ""
        extra = f" CHECK ({q} IN (0, 1))" if c.kind == "bool" else ""
        parts.append(f"{q} {sql_type}{primary} CHECK (typeof({q}) IN ({typeof}, 'null')){extra}")
    return f"CREATE TABLE {table} (\n  " + ",\n  ".join(parts) + "\n)"


def _sql_row(columns: Sequence[Column], row: list[object], item: Item) -> list[object]:
    out: list[object] = []
    for c, v in zip(columns, row, strict=True):
        if v is None:
            out.append(None)
        elif c.kind == "amount":
            out.append(_amount_fits(v, c, item))
        elif c.kind == "bool":
            out.append(int(bool(v)))
        else:
            out.append(v)
    return out


def write_sqlite(items: Iterable[Item], target: Path) -> Path:
    """export.sqlite: tables reports, cells, flags, errors (typed, see `_ddl`) and fields
    (the data dictionary)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp"
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        for name, cols, _ in TABLES:
            db.execute(_ddl(name, cols, key="item" if name in ("reports", "errors") else None))
        marks = {name: ", ".join("?" * len(cols)) for name, cols, _ in TABLES}
        for item in items:
            for name, cols, rows_of in TABLES:
                rows = [_sql_row(cols, r, item) for r in rows_of(item)]
                if rows:
                    db.executemany(f"INSERT INTO {name} VALUES ({marks[name]})", rows)
        db.execute("CREATE INDEX cells_item ON cells (item)")
        db.execute("CREATE INDEX cells_path ON cells (path)")
        db.execute("CREATE INDEX flags_item ON flags (item)")
        db.execute(f"CREATE TABLE fields ({', '.join(_quote(c) + ' TEXT' for c in FIELD_COLUMNS)})")
        db.executemany(f"INSERT INTO fields VALUES ({', '.join('?' * len(FIELD_COLUMNS))})",
                       field_rows())
        db.commit()
    finally:
        db.close()
    return _replace(tmp, target)


__all__ = ["FORMATS", "ExportError", "Item", "arrow_table", "export", "run_items",
           "write_parquet", "write_run", "write_sqlite"]
