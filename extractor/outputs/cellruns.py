"""A cut-off report's trailing run of missing cells (its last sections: ~160 of ~200
cells) as one remembered piece for the cell pass (`outputs.cellpass`): the run's JSON, lean
CSV lines, store rows and reports fields, made from what the pass writes of each missing
cell (`cellpass._unplaced`, given as `unplaced`) and reused for a run of the same template,
start, paths, states, statuses, placements and reasons. tests/test_cell_runs.py holds the
pass to each output's own code on cut-off records, made and remembered."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from operator import attrgetter, is_, itemgetter

from extractor.schema import Cell, CellState, CellStatus

#: what `cellpass._unplaced` writes of a missing cell (path, state, status, placement, reasons)
Unplaced = Callable[[str, str, "str | None", str, "tuple[str, ...]"],
                    "tuple[str, str, tuple[object, ...], int, str, int, int]"]

#: A trailing run of missing cells (a cut-off report's last sections: ~160 of its ~200
#: cells) is written as one remembered piece (`_Run`) from this many cells on.
MIN_RUN = 16
_RUNS_MAX = 4096  # remembered runs (by template, start and paths: a few hundred in practice)
_DICT = attrgetter("__dict__")
#: A cell's fields a missing cell (`_unplaced`) holds empty, and what it holds of them
_EMPTY_OF = itemgetter("value", "unit", "raw", "span", "source_span", "page", "second",
                       "correction", "ocr", "reader")
_EMPTY = (None,) * 9 + ("parser",)
_PATH_OF, _STATE_OF, _STATUS_OF, _PLACEMENT_OF, _REASONS_OF = map(
    itemgetter, ("path", "state", "status", "placement", "reasons"))


@dataclass(frozen=True, slots=True)
class _Run:
    """What the outputs hold of a run of missing cells, made from `_unplaced` of each, and
    the fields it was made from (a run is reused only for the same fields)."""

    states: tuple[CellState, ...]
    statuses: tuple[CellStatus | None, ...]
    placements: tuple[str, ...]
    reasons: tuple[tuple[str, ...], ...]
    #: the cells' JSON, each after its text of the tables' layout, and each cell's lean CSV
    #: line after the report's `seq`, in UTF-8 (a missing cell's reasons are Chinese text:
    #: the rest of the report's JSON and CSV, mostly ASCII, is not widened to join them)
    json: bytes
    tails: tuple[bytes, ...]
    rows: tuple[tuple[object, ...], ...]  # the store's rows
    keyed: tuple[tuple[int, tuple[tuple[object, ...], ...]], ...]  # rows by `row_key`
    #: the cells' reports row's fields, in stretches of consecutive fields: where each
    #: stretch begins (`FIELDS`' index), each cell's status and state, its fields as CSV
    stretches: tuple[tuple[int, tuple[str | None, ...], tuple[str, ...], tuple[str, ...]], ...]


_RUNS: dict[tuple[object, ...], _Run] = {}


def trailing_run(cells: list[Cell], tables: type, layout: tuple[tuple[str, ...], str] | None,
                 unplaced: Unplaced) -> tuple[int, _Run | None]:
    """Where the trailing run of missing cells begins and its written form (None: no run
    of `MIN_RUN` cells, or one the pass writes cell by cell). Reading the cells' fields
    and comparing them to the remembered run's are C loops (`map`)."""
    n = len(cells)
    if n < MIN_RUN or type(cells[-1]) is not Cell or _EMPTY_OF(cells[-1].__dict__) != _EMPTY:
        return n, None
    dicts = list(map(_DICT, cells))
    empty = list(map(_EMPTY.__eq__, map(_EMPTY_OF, dicts)))
    try:
        k = n - empty[::-1].index(False)
    except ValueError:
        k = 0
    if n - k < MIN_RUN or set(map(type, cells[k:])) != {Cell}:
        return n, None
    ds = dicts[k:]
    try:
        paths, states, statuses, placements, reasons = (
            tuple(map(_PATH_OF, ds)), tuple(map(_STATE_OF, ds)), tuple(map(_STATUS_OF, ds)),
            tuple(map(_PLACEMENT_OF, ds)), tuple(map(tuple, map(_REASONS_OF, ds))))
        key = (tables, k, paths)
        run = _RUNS.get(key)
        if (run is None or not all(map(is_, states, run.states))
                or not all(map(is_, statuses, run.statuses))
                or placements != run.placements or reasons != run.reasons):
            run = _make_run(k, paths, states, statuses, placements, reasons, layout,
                           unplaced)
            if len(_RUNS) >= _RUNS_MAX:
                _RUNS.clear()
            _RUNS[key] = run
    except (TypeError, KeyError):  # a field of an unexpected type: cell by cell
        return n, None
    return k, run


def _make_run(k: int, paths: tuple[str, ...], states: tuple[CellState, ...],
              statuses: tuple[CellStatus | None, ...], placements: tuple[str, ...],
              reasons: tuple[tuple[str, ...], ...],
              layout: tuple[tuple[str, ...], str] | None, unplaced: Unplaced) -> _Run:
    """A run's written form: each cell's `unplaced` (a `TypeError` for a cell the pass
    writes generically)."""
    for state, status in zip(states, statuses, strict=True):
        if type(state) is not CellState or (status is not None and type(status) is not CellStatus):
            raise TypeError
    made = [unplaced(p, s._value_, None if t is None else t._value_, placement, r)
            for p, s, t, placement, r in zip(paths, states, statuses, placements, reasons,
                                              strict=True)]
    cuts = [0, *(i for i in range(1, len(made)) if made[i][6] != made[i - 1][6] + 1), len(made)]
    stretches = tuple((made[i][6], *zip(*((m[2][6], m[2][1], m[4]) for m in made[i:j]), strict=True))
                      for i, j in pairwise(cuts))
    before = (layout[0][k:] if layout is not None and len(layout[0]) == k + len(made)
              else ("",) * len(made))  # no layout: the tables are not written from the cells
    keyed: defaultdict[int, list[tuple[object, ...]]] = defaultdict(list)
    for m in made:
        keyed[m[3]].append(m[2])
    return _Run(states, statuses, placements, reasons,
                "".join(b + m[0] for b, m in zip(before, made, strict=True)).encode(),
                tuple(m[1].encode() for m in made),
                tuple(m[2] for m in made), tuple((key, tuple(v)) for key, v in keyed.items()),
                stretches)  # type: ignore[arg-type]


__all__ = ["MIN_RUN", "trailing_run"]
