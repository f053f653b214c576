"""Write a batch's results: results.jsonl.gz, cells.csv.gz, reports.csv, flags.csv,
errors.jsonl, and fields.csv (the data dictionary cells' paths join to).

cells.csv.gz, like results.jsonl.gz, is one gzip member per report after a member holding
the header (`--cell-labels`: cells.csv, plain, with every readable column).

results.jsonl.gz holds one gzip member per report (a multi-member gzip file, which `gzip`,
`zcat`, pandas and DuckDB read as one stream of JSON lines), each the compact record JSON
without the normalized text (`--with-text`: with it) and a newline.

The CSV files render the typed tables of `extractor.outputs.tables` as text: numbers as
numbers (amounts as exact decimals, never in exponent form), null as an empty cell, booleans
as true/false, and text neutralised against CSV injection (`safe.neutralise`). They are
UTF-8 with a BOM so Excel shows Chinese correctly. Each file is written to a temporary name
and renamed, so a killed run never leaves a half-written file behind.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from extractor.outputs.cellpass import cell_pass
from extractor.outputs.csvtext import csv_line, csv_text
from extractor.outputs.fields import SECTION_NAMES, fields_csv
from extractor.outputs.items import RESULTS, Item
from extractor.outputs.options import OutputOptions
from extractor.outputs.tables import (
    CELL_COLUMNS,
    FLAG_COLUMNS,
    LEAN_CELL_COLUMNS,
    REPORT_COLUMNS,
    REPORT_HEAD,
    Column,
    cell_values,
    flag_values,
    issue_span,
    report_values,
)
from extractor.schema import InputError, Record
from extractor.store.codec import encode_bare, gzip_member, line_member, with_text

# The review page points where flags.csv points.
_issue_span = issue_span

__all__ = ["SECTION_NAMES", "BatchWriter", "csv_text", "header", "_issue_span"]


def header(columns: Iterable[Column]) -> list[str]:
    return [c.name for c in columns]


def csv_lines(rows: Iterable[list[object]]) -> str:
    """Typed rows as CSV text, as `csv.writer` writes them after `csv_text` (`csv_line`:
    tests/test_hand_writers.py holds it to the writer)."""
    return "".join(map(csv_line, rows))


def lean_cells_csv(item: Item) -> str:
    """The lean cells table of an item (`LEAN_CELL_COLUMNS`; `raw` left empty where it reads
    exactly as the number written in `value` or `amount`), written directly from the cells
    as `csv_lines` would write its typed rows (`cellpass.cell_pass`, one pass over the cells
    for every output; tests/test_hand_writers.py holds it to `csv.writer`)."""
    return cell_pass(item).lean_utf8.decode()


def reports_line(item: Item) -> str:
    """The item's line of reports.csv, as `csv_lines([report_values(item)])` writes it: the
    head's columns through `csv.writer`, the fields' (numbers and labels, which need no
    quoting) as the cell pass wrote them (tests/test_hand_writers.py holds it to that)."""
    done = cell_pass(item)
    head = csv_lines([report_values(item)[:len(REPORT_HEAD)]])
    return f"{head[:-2]},{done.report_csv}\r\n"


_BOM = "\ufeff".encode()
FIELDS_FILE = "fields.csv"
CELLS = "cells.csv"  # the cells table's name in `files` and in an item's lines
#: On disk: lean cells are gzipped, one member per report (a year's run writes ~20 million
#: rows; pandas, DuckDB and `zcat` read it as one CSV); `--cell-labels` writes the
#: readable layout as plain CSV, to open in a spreadsheet.
CELLS_GZ = "cells.csv.gz"


def disk_name(name: str, options: OutputOptions) -> str:
    """The file a table of `files` is written to."""
    return CELLS_GZ if name == CELLS and not options.cell_labels else name


def results_member(item: Item, options: OutputOptions) -> bytes:
    """The item's member of results.jsonl.gz: its record's compact JSON (`item.record_json`,
    the JSON without the text, when set) and a newline, gzipped."""
    r = item.record
    assert r is not None
    bare = item.record_json or encode_bare(r)
    line = with_text(bare, r.text) if options.with_text else bare
    return line_member(line.encode())


def item_lines(item: Item, files: Iterable[str], options: OutputOptions | None = None,
               member: bytes | None = None) -> dict[str, bytes]:
    """What the standard outputs hold for one run item with a record, per file: the one
    rendering both a worker (as it makes the record) and an export from the store use, so a
    run's files are the same bytes whichever wrote them. `member`: the item's results member
    already made (`codec.deflate`, with the text if `options` ask for it)."""
    options = options or OutputOptions()
    out: dict[str, bytes] = {}
    if RESULTS in files:
        out[RESULTS] = member if member is not None else results_member(item, options)
    if CELLS in files:
        if options.cell_labels:
            out[CELLS] = csv_lines(cell_values(item)).encode()
        else:
            out[CELLS] = gzip_member(cell_pass(item).lean_utf8)
    if "reports.csv" in files:
        out["reports.csv"] = reports_line(item).encode()
    if "flags.csv" in files:
        out["flags.csv"] = csv_lines(flag_values(item)).encode()
    return out


class BatchWriter:
    """Streams records to the output files as they come, so memory stays flat.

    Every file is written under a temporary name and renamed on `close()`: a killed run
    never leaves a half-written output behind.
    """

    FILES = (RESULTS, "errors.jsonl", CELLS, "reports.csv", "flags.csv")

    def __init__(self, out: Path, files: tuple[str, ...] = FILES,
                 options: OutputOptions | None = None) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.out = out
        self.options = options or OutputOptions()
        self._fh: dict[str, IO[bytes]] = {}  # by the name in `files`
        self._disk: dict[str, str] = {}  # ... -> the file it is written to
        for name in files:
            self._disk[name] = disk_name(name, self.options)
            self._fh[name] = open(out / f".{self._disk[name]}.tmp", "wb")  # noqa: SIM115 - closed in close()
        if CELLS in files:  # the dictionary its paths join to, beside it
            self._disk[FIELDS_FILE] = FIELDS_FILE
            self._fh[FIELDS_FILE] = open(out / f".{FIELDS_FILE}.tmp", "wb")  # noqa: SIM115
            self._fh[FIELDS_FILE].write(_BOM + fields_csv().encode())
        cell_columns = CELL_COLUMNS if self.options.cell_labels else LEAN_CELL_COLUMNS
        for name, columns in ((CELLS, cell_columns), ("reports.csv", REPORT_COLUMNS),
                              ("flags.csv", FLAG_COLUMNS)):
            if name in self._fh:
                head = _BOM + csv_lines([header(columns)]).encode()  # type: ignore[list-item]
                self._fh[name].write(gzip_member(head) if self._disk[name] != name else head)

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(commit=exc[0] is None)

    def add_error(self, error: InputError) -> None:
        if "errors.jsonl" in self._fh:
            self._fh["errors.jsonl"].write(
                (json.dumps(error.model_dump(), ensure_ascii=False) + "\n").encode())

    def add(self, r: Record, record_json: str | None = None, item: Item | None = None) -> None:
        """`record_json`: the record already serialized without its text (`encode_bare`;
        saves a dump when exporting);
        `item`: the run item it is (input path and position; default: the record alone)."""
        item = item or Item.of(r)
        if record_json is not None and item.record_json is None:
            item.record_json = record_json
        self.add_lines(item_lines(item, self._fh, self.options))

    def add_lines(self, lines: dict[str, bytes]) -> None:
        """One item's lines as `item_lines` made them (e.g. in a worker): written as they are."""
        for name, data in lines.items():
            fh = self._fh.get(name)
            if fh is not None:
                fh.write(data)

    def close(self, commit: bool = True) -> None:
        for name, fh in self._fh.items():
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
            disk = self._disk[name]
            tmp = self.out / f".{disk}.tmp"
            if commit:
                os.replace(tmp, self.out / disk)
                if name == CELLS:  # the other layout, from an earlier run: it would read as this one
                    other = CELLS if disk == CELLS_GZ else CELLS_GZ
                    (self.out / other).unlink(missing_ok=True)
            else:
                tmp.unlink(missing_ok=True)
        self._fh = {}
