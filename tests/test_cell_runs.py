"""A cut-off report's trailing run of missing cells (its last sections) is written by the
cell pass as one remembered piece (`outputs.cellruns`): it must be the bytes and rows
each output's own code makes, the first time (made) and the next (remembered), and a
remembered run must not be taken for cells that differ in any field it writes."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_hand_writers import GOLDEN, assert_pass_is_generic, csv_reference

from extractor.outputs import cellpass
from extractor.outputs.cellruns import MIN_RUN, trailing_run
from extractor.outputs.items import Item
from extractor.outputs.rows import lean_cells_csv
from extractor.run.pipeline import process
from extractor.schema import Cell, CellState, CellStatus, Record
from extractor.schema.models import iter_cells
from extractor.store.codec import table_layout


@pytest.fixture(scope="module")
def records() -> list[Record]:
    return [r for r in map(process, GOLDEN) if isinstance(r, Record)]


def cut_off(record: Record, keep: int, reason: str = "(the document is truncated)",
            status: CellStatus | None = CellStatus.FLAGGED, placement: str = "direct",
            state: CellState = CellState.MISSING, odd: dict[int, dict[str, object]] | None = None
            ) -> Record:
    """A copy of `record` with every cell after its first `keep` made missing, as the verifier
    marks a truncated report's (`odd`: fields set otherwise in the run's i-th cell)."""
    out = copy.deepcopy(record)
    rows = [row for sec in out.tables.__dict__.values() if hasattr(sec, "__dict__")
            for row in sec.__dict__.values()]
    i = 0
    for row in rows:
        for col, c in row.__dict__.items():
            if i >= keep:
                fields: dict[str, object] = dict(
                    path=c.path, state=state, status=status, placement=placement,
                    reasons=[f"MISSING: {c.path} is absent {reason}"])
                fields.update((odd or {}).get(i - keep, {}))
                row.__dict__[col] = Cell(**fields)  # type: ignore[arg-type]
            i += 1
    assert [c.path for c in iter_cells(out.tables)] == [c.path for c in iter_cells(record.tables)]
    return out


def check(record: Record, seq: int = 7) -> None:
    assert_pass_is_generic(record, seq)
    assert lean_cells_csv(Item.of(record, seq)) == csv_reference(Item.of(record, seq))


def run_of(record: Record) -> tuple[int, object]:
    cells = list(iter_cells(record.tables))
    return trailing_run(cells, type(record.tables), table_layout(type(record.tables)),
                        cellpass._unplaced)


def test_a_cut_off_report_is_written_as_each_outputs_code_writes_it(records: list[Record]) -> None:
    """Made, then remembered: the same bytes and rows both times, on both templates."""
    for r in [r for r in records if r.tables.template == "2019"][:2] + \
             [r for r in records if r.tables.template == "2021"][:2]:
        n = len(list(iter_cells(r.tables)))
        for keep in (0, 1, 40, n - MIN_RUN):
            cut = cut_off(r, keep)
            start, run = run_of(cut)  # the run begins at the cut (or before: cells the
            assert run is not None and start <= keep  # report already missed)
            check(cut)
            check(cut, 12345)  # remembered: another seq, same run


def test_a_short_run_is_written_cell_by_cell(records: list[Record]) -> None:
    r = next(r for r in records if list(iter_cells(r.tables))[-1].span is not None)
    n = len(list(iter_cells(r.tables)))
    cut = cut_off(r, n - MIN_RUN + 1)
    assert run_of(cut) == (n, None)
    check(cut)


@pytest.mark.parametrize("odd", [
    {"reasons": ["MISSING: another reason"]},
    {"reasons": []},
    {"status": None},
    {"status": CellStatus.GROUNDED},
    {"placement": "identities"},
    {"state": CellState.BLANK},
    {"raw": "—"},  # not missing: the run ends after it
])
def test_a_remembered_run_is_not_taken_for_cells_that_differ(records: list[Record],
                                                             odd: dict[str, object]) -> None:
    """The same template, start and paths, one cell of the run different: the pass must
    write that cell as it is, not as the remembered run holds it."""
    r = records[0]
    check(cut_off(r, 30))  # remembered
    for at in (0, 17, 60):
        check(cut_off(r, 30, odd={at: odd}))
    check(cut_off(r, 30))  # and the first one again


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_run_is_written_as_each_outputs_code_writes_it(records: list[Record],
                                                           data: st.DataObject) -> None:
    r = data.draw(st.sampled_from(records[:4]))
    n = len(list(iter_cells(r.tables)))
    keep = data.draw(st.integers(0, n))
    statuses = st.none() | st.sampled_from(list(CellStatus))
    odd = data.draw(st.dictionaries(st.integers(0, max(0, n - keep - 1)), st.fixed_dictionaries(
        {}, optional={"status": statuses, "placement": st.sampled_from(
            ["direct", "identities", "orphan", "llm"]),
            "reasons": st.lists(st.sampled_from(["a", "MISSING: 中文", "=1", "a,b"]), max_size=2),
            "state": st.sampled_from(list(CellState))}), max_size=3))
    reason = data.draw(st.sampled_from(["(the document is truncated)", "x"]))
    check(cut_off(r, keep, reason, odd=odd), data.draw(st.integers(0, 10**6)))
