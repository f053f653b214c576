"""pandas DataFrames of a run or of one record, for notebooks (`pip install
'report-extractor[pandas]'`: pandas and pyarrow; neither is needed by the rest of the tool).

`read_run(OUT)` reads a run (the latest run of the store, people's decisions applied) into the
tables every export has (`extractor.outputs.tables`): `shape="wide"` one row per report with
`<path>`, `<path>:status`, `<path>:state` for every field; `"long"` one row per cell;
`"flags"`, `"errors"`. `record_frame(record)` gives the same for one `Record`.

Dtypes: counts `Int64` (nullable integers: a blank, placeholder or missing cell is `<NA>`,
never 0 and never a float NaN), amounts Arrow `decimal128(18, 6)` in 万元 (exact; pandas
sums them exactly), booleans `boolean`, statuses and states `category` (the categories come
from the data, so a new status value needs no change), other text `string`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from extractor.outputs.items import Item
from extractor.schema import Record

if TYPE_CHECKING:
    import pandas as pd

Shape = Literal["wide", "long", "flags", "errors"]
_TABLE = {"wide": "reports", "long": "cells", "flags": "flags", "errors": "errors"}


class FramesError(Exception):
    """pandas or pyarrow is not installed, or OUT holds no run."""


def _libs() -> tuple[Any, Any]:
    try:
        import pandas as pd
        import pyarrow as pa
    except ImportError as e:
        raise FramesError("DataFrames need pandas and pyarrow: "
                          "pip install 'report-extractor[pandas]'") from e
    return pd, pa


def frame(items: Iterable[Item], shape: Shape = "wide") -> pd.DataFrame:
    """The DataFrame of run items in one of the export tables."""
    pd, pa = _libs()
    from extractor.outputs.export import TABLES, arrow_table, check_amounts

    if shape not in _TABLE:
        raise ValueError(f"shape must be one of {', '.join(_TABLE)}, not {shape!r}")
    name, columns, rows_of = next(t for t in TABLES if t[0] == _TABLE[shape])
    rows: list[list[object]] = []
    for item in items:
        new = rows_of(item)
        check_amounts(columns, new, item)
        rows.extend(new)
    table = arrow_table(columns, rows)

    def mapper(t: Any) -> Any:
        if pa.types.is_integer(t):
            return pd.Int64Dtype()
        if pa.types.is_boolean(t):
            return pd.BooleanDtype()
        if pa.types.is_decimal(t):
            return pd.ArrowDtype(t)
        if pa.types.is_string(t):
            return pd.StringDtype()
        return None  # dictionary -> category

    return table.to_pandas(types_mapper=mapper)


def read_run(out: str | Path, shape: Shape = "wide", run: int | None = None) -> pd.DataFrame:
    """A run as a DataFrame (default wide: one row per report). `out` is the output folder
    of `extractor run` (its store's newest run, or run number `run`, decisions applied as in
    the exports) or a results.jsonl from elsewhere (with the errors.jsonl beside it)."""
    from extractor.outputs.items import RunSourceError, run_items
    from extractor.outputs.items import read_run as read_items
    from extractor.store.store import STORE_NAME, Store

    _libs()
    out = Path(out)
    try:
        if run is None:
            return frame(read_items(out), shape)
        if not (out / STORE_NAME).is_file():
            raise FramesError(f"{out} has no {STORE_NAME}: a run number needs the run store")
        with Store(out) as store:
            return frame(run_items(store, run), shape)
    except RunSourceError as e:
        raise FramesError(str(e)) from e


def record_frame(record: Record, shape: Shape = "wide") -> pd.DataFrame:
    """One record as a DataFrame: wide (one row) or long (one row per cell), or its flags."""
    return frame([Item.of(record)], shape)
