"""The store's cell rows as the main process inserts them (`rows.cell_groups`, grouped by
which columns hold a value; `Store.add_rows`, one statement a group, texts as `cell_text`
ids): the `cells` view must read back every row as `rows.cell_row` made it, and the texts
must get their ids in the order the rows first name them (as one row at a time did)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractor.run.pipeline import process
from extractor.schema import Record, iter_cells
from extractor.store.rows import cell_groups, cell_row, result_rows
from extractor.store.store import Store

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = sorted(p for p in (ROOT / "golden" / "inputs").iterdir() if p.suffix != ".pdf")

_COLUMNS = ("path, state, value, amount_fen, unit, raw, status, reasons, span_start, span_end,"
            " page, placement")


def stored_cells(store: Store, rid: int) -> set[tuple[object, ...]]:
    return set(store.db.execute(f"SELECT {_COLUMNS} FROM cells WHERE result_id=?", (rid,)))


def first_named(rows: list[tuple[object, ...]]) -> list[object]:
    """The texts of the rows in the order they first appear: row by row, then path, state,
    status, reasons, placement (written out here, not taken from the code under test)."""
    seen: list[object] = []
    for r in rows:
        for t in (r[0], r[1], r[6], r[7], r[11]):
            if t not in (None, "") and t not in seen:
                seen.append(t)
    return seen


def insert(store: Store, seq: int, record: Record, rows: list[tuple[object, ...]]) -> int:
    from dataclasses import replace

    run = store.begin_run("k", "v", [], "c")
    result = replace(result_rows(record, b""), cells=cell_groups(rows))
    return store.add_rows(run, seq, Path(f"r{seq}.txt"), f"{seq:064d}", 1, result, "k", {}, "c")


@lru_cache(maxsize=1)
def a_record() -> Record:
    """A record for the results row (its cell rows are replaced)."""
    record = process(ROOT / "golden" / "inputs" / "lvyuan_health_2020.txt")
    assert isinstance(record, Record)
    return record


def test_every_golden_report_reads_back_as_its_rows(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        for seq, src in enumerate(GOLDEN):
            record = process(src)
            assert isinstance(record, Record)
            rows = [cell_row(c) for c in iter_cells(record.tables)]
            assert len({r[0] for r in rows}) == len(rows) > 100
            rid = insert(store, seq, record, rows)
            assert stored_cells(store, rid) == set(rows)
        texts = [t for (t,) in store.db.execute("SELECT text FROM cell_text ORDER BY id")]
        every = [r for src in GOLDEN if isinstance(rec := process(src), Record)
                 for r in (cell_row(c) for c in iter_cells(rec.tables))]
        assert texts == first_named(every)


_text = st.text(alphabet="ab|（）缺失 ", min_size=1, max_size=6)
_row = st.tuples(
    st.sampled_from(["number", "missing", "unreadable", "not_applicable"]),  # state
    st.one_of(st.none(), st.integers(-5, 10**12)),  # value
    st.one_of(st.none(), st.integers(0, 10**9)),  # amount in 分
    st.one_of(st.none(), st.sampled_from(["万元", "元"])),  # unit
    st.one_of(st.none(), st.just(""), _text),  # raw
    st.one_of(st.none(), st.sampled_from(["verified", "grounded", "flagged"])),  # status
    st.one_of(st.just(""), _text),  # reasons ('' when none)
    st.one_of(st.none(), st.integers(0, 5000)),  # span start
    st.one_of(st.none(), st.integers(0, 5000)),  # span end
    st.one_of(st.none(), st.integers(1, 300)),  # page
    st.sampled_from(["direct", "identities", "orphan", "llm"]),  # placement
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_row, max_size=40), n_paths=st.integers(0, 2))
def test_any_rows_read_back_as_they_were_and_texts_are_numbered_in_order(
        tmp_path_factory: object, rows: list[tuple[object, ...]], n_paths: int) -> None:
    tmp = tmp_path_factory.mktemp("s")  # type: ignore[attr-defined]
    paths = [f"p{i}" for i in range(len(rows))]
    full = [(p, *r) for p, r in zip(paths, rows, strict=True)]
    with Store(tmp) as store:
        # a first report names some of the texts (ids known before the second one)
        known = full[:n_paths]
        rid = insert(store, 1, a_record(), known)
        assert stored_cells(store, rid) == set(known)
        rid = insert(store, 2, a_record(), full)
        assert stored_cells(store, rid) == set(full)
        texts = [t for (t,) in store.db.execute("SELECT text FROM cell_text ORDER BY id")]
        assert texts == first_named(known + full)


def test_more_rows_of_one_shape_than_one_statement_takes(tmp_path: Path) -> None:
    # 631 = 2 x 256 + 112 + 4 + 2 + 1: statements of the most rows, of a multiple of 16 and
    # of the powers of two below 16
    rows = [(f"p{i}", "number", i, None, None, str(i), "grounded", "", i, i + 1, None, "direct")
            for i in range(631)]
    with Store(tmp_path) as store:
        rid = insert(store, 1, a_record(), rows)
        assert stored_cells(store, rid) == set(rows)


def test_cell_statements_are_few_whatever_the_sizes_of_the_groups(tmp_path: Path) -> None:
    """A report's group of rows of one shape goes in statements of a few fixed sizes, not
    one sized to the group: SQLite prepares each statement once a connection, where a
    statement of a size new to it (nearly every report's) was parsed and planned again,
    costing more than its inserts."""
    statements: set[str] = set()
    with Store(tmp_path) as store:
        store.db.set_trace_callback(statements.add)
        for seq, n in enumerate((1, 2, 3, 5, 17, 63, 64, 65, 150, 199, 255, 256, 300), start=1):
            rows = [(f"p{i}", "number", i, None, None, str(i), None, "", i, i + 1, None, "direct")
                    for i in range(n)]
            rid = insert(store, seq, a_record(), rows)
            assert stored_cells(store, rid) == set(rows)
    inserts = {s.count("),(") + 1 for s in statements if s.startswith("INSERT INTO cell_rows")}
    assert inserts <= {*range(16, 257, 16), 8, 4, 2, 1}
    assert {256, 144, 16, 8, 4, 2, 1} <= inserts  # 300, 150, 17, 63 ...


def test_a_rows_key_names_the_columns_holding_a_value() -> None:
    """`row_key`: bit c for column c holding a value; no reasons ('') and None are none."""
    from extractor.store.rows import key_columns, row_key

    row = ("s3.a.b", "number", 5, None, None, "5", None, "", 1, 2, None, "direct")
    assert row_key(row) == 0b1011_0010_0111
    assert key_columns(row_key(row)) == (0, 1, 2, 5, 8, 9, 11)
    with_reasons = ("p", "missing", None, 0, "万元", None, "flagged", "r", None, None, 3, "orphan")
    assert key_columns(row_key(with_reasons)) == (0, 1, 3, 4, 6, 7, 10, 11)
