"""A result as the store's rows: the results row (with the record and its text compressed),
the cells' rows and the flags' rows. Plain, picklable data: a worker makes them, the main
process only inserts them (`Store.add_rows`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from extractor.schema import AMOUNT_FIELDS, Cell, CellState, Record, iter_cells
from extractor.store.codec import zlib_blob


def typed_value(cell: Cell) -> tuple[int | None, int | None]:
    """(count, amount in 分) of a cell for the store's typed columns (migration 004): NULL
    unless the cell holds a number; a fractional count or an amount finer than 1 分 is NULL
    there (the record keeps the exact value, and the verifier flags a fractional count)."""
    value = cell.value
    if cell.state is not CellState.NUMBER or value is None:
        return None, None
    if cell.path in AMOUNT_FIELDS:
        scaled = Decimal(value) * 10**6
        return None, int(scaled) if scaled == scaled.to_integral_value() else None
    if type(value) is int:  # the common case, without a Decimal
        return value, None
    number = Decimal(value)
    return (int(number) if number == number.to_integral_value() else None), None


@dataclass(frozen=True)
class ResultRows:
    """A result as the store's rows, without the run's key columns (plain, picklable data:
    a worker makes them, the main process only inserts them). `result` is the results row
    from `file` to `record` (the zlib-compressed record JSON); `cells` and `flags` the rows
    of those tables without `result_id`."""

    schema_version: str
    result: tuple[object, ...]  # ends with the record blob and the text blob
    cells: list[tuple[object, ...]]
    flags: list[tuple[object, ...]]
    flagged: int  # flagged cells, and of them missing (the run's progress tally)
    missing: int


def cell_row(c: Cell) -> tuple[object, ...]:
    """A cell's row of the store's cells (the texts before they become `cell_text` ids)."""
    # `_value_`: the enum's string without the `value` descriptor (for every cell)
    status, span, reasons = c.status, c.span, c.reasons
    return (c.path, c.state._value_, *typed_value(c), c.unit, c.raw,
            None if status is None else status._value_, " | ".join(reasons) if reasons else "",
            None if span is None else span[0], None if span is None else span[1], c.page,
            c.placement)


def result_rows(record: Record, blob: bytes, cells_in_order: list[Cell] | None = None,
                cell_rows: tuple[list[tuple[object, ...]], int] | None = None) -> ResultRows:
    """`blob`: zlib of the record's bare JSON (`codec.deflate`, without the text: the text
    goes to its own column, compressed here); `cells_in_order`: the record's cells, when
    already listed (`iter_cells`); `cell_rows`: their rows (`cell_row`) and how many of them
    are flagged and missing, when already made (`outputs.cellpass`)."""
    m, s, llm = record.meta, record.summary, record.llm
    if cell_rows is not None:
        cells, missing = cell_rows
    else:
        cells = [cell_row(c) for c in (cells_in_order if cells_in_order is not None
                                       else iter_cells(record.tables))]
        missing = sum(1 for c in cells if c[6] == "flagged" and c[1] == "missing")
    flags = [(f.key, f.rule, f.verdict, f.message, " ".join(f.paths),
              f.span[0] if f.span else None, f.span[1] if f.span else None)
             for f in record.flags]
    result = (m.source_file, m.agency.value, m.year.value, m.template, int(record.truncated),
              s.cells, s.verified, s.grounded, s.flagged, len(record.flags),
              llm.prompt_tokens if llm else 0, llm.completion_tokens if llm else 0,
              str(llm.cost) if llm else "0",
              int(llm is None or all(t.outcome != "failed" for t in llm.tasks)),
              blob, zlib_blob(record.text.encode()))
    return ResultRows(record.schema_version, result, cells, flags, s.flagged, missing)
