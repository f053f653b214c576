"""A result as the store's rows: the results row (with the record and its text compressed),
the cells' rows and the flags' rows. Plain, picklable data: a worker makes them, the main
process only inserts them (`Store.add_rows`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from itertools import chain
from operator import itemgetter

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


#: The columns of a cell's row (`cell_row`) stored as `cell_text` ids: the field path, the
#: state, the status, the reasons and the placement.
TEXT_COLUMNS = (0, 1, 6, 7, 11)
_texts_of = itemgetter(*TEXT_COLUMNS)
_REASONS = 7


#: A result's cell rows go in statements of many rows a shape (`rows.CellRows`: which
#: columns hold a value; a quarter less CPU than `executemany` of one row each, measured),
#: of at most this many rows (SQLite binds at most 32,766 values a statement, 13 a row).
_MOST_CELLS = 256
#: Each statement's number of rows is a multiple of this, or a power of two below it
#: (`cell_chunks`): few statement texts, prepared once a connection (the store's
#: `_STATEMENTS`). Sized to its group, a statement was new for nearly every real report,
#: parsed and planned again (~1 CPU ms for 150 rows); pieces of 64, 16, 4 and 1 rows cost a
#: quarter more than one.
_CELL_STEP = 16


@lru_cache(maxsize=1024)
def insert_cells_sql(bound: tuple[int, ...], n: int) -> str:
    """The INSERT of `n` cell rows with a value in the columns `bound` (of `rows.cell_row`),
    NULL in the others (written in the SQL: binding a None is slow); `n` one of
    `cell_chunks`'s."""
    row = "(?," + ",".join("?" if c in bound else "NULL" for c in range(12)) + ")"
    return "INSERT INTO cell_rows VALUES " + ",".join([row] * n)


def cell_chunks(n: int) -> Iterator[int]:
    """How many rows each statement of a group of `n` rows inserts: 150 is 144 + 4 + 2."""
    while n >= _MOST_CELLS:
        yield _MOST_CELLS
        n -= _MOST_CELLS
    if n >= _CELL_STEP:
        yield n - n % _CELL_STEP
        n %= _CELL_STEP
    size = _CELL_STEP // 2
    while n:
        if n >= size:
            yield size
            n -= size
        size //= 2


@lru_cache(maxsize=1024)
def text_at(bound: tuple[int, ...]) -> tuple[bool, ...]:
    """Which of the values of a row of shape `bound` are texts (stored as `cell_text` ids)."""
    return tuple(c in TEXT_COLUMNS for c in bound)


@dataclass(frozen=True)
class CellRows:
    """A result's cell rows (`cell_row`) as the store inserts them: grouped by which columns
    hold a value, each group as its columns without the NULLs. The main process binds no
    None (the sqlite3 module binds a None eight times slower than an int: it was most of
    the insert's CPU) and turns the texts into `cell_text` ids a column at a time
    (`Store.add_rows`)."""

    #: every text of the rows (`TEXT_COLUMNS`) once, in the order the rows first name it
    #: (row by row, column by column): new texts get their ids in this order
    texts: tuple[str, ...]
    #: (the columns holding a value, how many rows, the values of each of those columns)
    groups: tuple[tuple[tuple[int, ...], int, list[tuple[object, ...]]], ...]


def row_key(row: tuple[object, ...]) -> int:
    """Which columns of a cell row (`cell_row`) hold a value, as bits (bit c: column c):
    what `cell_groups` groups rows by (no reasons, '', is no value)."""
    return sum(1 << c for c, v in enumerate(row) if (v if c == _REASONS else v is not None))


@lru_cache(maxsize=4096)
def key_columns(key: int) -> tuple[int, ...]:
    """The columns a `row_key` names."""
    return tuple(c for c in range(12) if key >> c & 1)


def cell_groups(rows: list[tuple[object, ...]],
                keyed: dict[int, list[tuple[object, ...]]] | None = None) -> CellRows:
    """`rows` (`cell_row` each) grouped as the store inserts them, by `row_key` (no reasons,
    '', is NULL), the groups in the order of their first row. `keyed`: the same rows
    already grouped so, as `outputs.cellpass` makes them while it makes the rows. The
    values are moved by C loops (`zip`, `map`, slices): a Python loop reading each row's
    values cost four times as much."""
    if not rows:
        return CellRows((), ())
    texts = dict.fromkeys(chain.from_iterable(map(_texts_of, rows)))  # row by row
    texts.pop(None, None)  # no status
    texts.pop("", None)  # no reasons
    if keyed is None:
        keyed = defaultdict(list)
        for row in rows:
            keyed[row_key(row)].append(row)
    groups = []
    for key, of_shape in keyed.items():
        bound = key_columns(key)
        of_columns = list(zip(*of_shape, strict=True))
        groups.append((bound, len(of_shape), [of_columns[c] for c in bound]))
    return CellRows(tuple(texts), tuple(groups))  # type: ignore[arg-type]


@dataclass(frozen=True)
class ResultRows:
    """A result as the store's rows, without the run's key columns (plain, picklable data:
    a worker makes them, the main process only inserts them). `result` is the results row
    from `file` to `record` (the zlib-compressed record JSON); `cells` and `flags` the rows
    of those tables without `result_id`."""

    schema_version: str
    result: tuple[object, ...]  # ends with the record blob and the text blob
    cells: CellRows
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
                cell_rows: tuple[CellRows, int] | None = None) -> ResultRows:
    """`blob`: zlib of the record's bare JSON (`codec.deflate`, without the text: the text
    goes to its own column, compressed here); `cells_in_order`: the record's cells, when
    already listed (`iter_cells`); `cell_rows`: their rows grouped (`cell_groups`) and how
    many of them are flagged and missing, when already made (`outputs.cellpass`)."""
    m, s, llm = record.meta, record.summary, record.llm
    if cell_rows is not None:
        grouped, missing = cell_rows
    else:
        cells = [cell_row(c) for c in (cells_in_order if cells_in_order is not None
                                       else iter_cells(record.tables))]
        grouped = cell_groups(cells)
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
    return ResultRows(record.schema_version, result, grouped, flags, s.flagged, missing)
