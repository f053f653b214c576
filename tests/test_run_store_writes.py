"""What a run writes into its store without SQLite's per-row foreign key checks (they are off
while `Store.group_commits` is on, see its docstring) still holds every reference: a run with
results, a failed input, a twin, a missing path and then a re-run that reuses, redoes and
adds leaves `PRAGMA foreign_key_check` empty, and a store not in group mode still refuses a
dangling row."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from extractor.run.batch import run_batch
from extractor.store.store import STORE_NAME, Store

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "inputs"


def dangling(out: Path) -> list[tuple[object, ...]]:
    db = sqlite3.connect(out / STORE_NAME)
    try:
        return db.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        db.close()


def test_a_runs_store_holds_every_reference(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name in ("lvyuan_health_2020.txt", "excerpt_006.txt", "shanghai_office_2019.html"):
        shutil.copy(GOLDEN / name, src / name)
    shutil.copy(GOLDEN / "lvyuan_health_2020.txt", src / "twin.txt")
    (src / "empty.txt").write_bytes(b"")  # an input error
    out = tmp_path / "out"
    first = run_batch([src, tmp_path / "gone.txt"], out)
    assert (first.processed, first.errors) == (3, 2)
    shutil.copy(GOLDEN / "putuo_health_2020.txt", src / "putuo_health_2020.txt")
    again = run_batch([src], out)
    assert (again.reused, again.processed) == (4, 1)
    redone = run_batch([src], out, redo=True)
    assert (redone.processed, redone.reused) == (4, 1)  # the twin reuses its first
    db = sqlite3.connect(out / STORE_NAME)
    try:  # every run's cells and flags are there, under results that exist
        assert db.execute("SELECT count(DISTINCT result_id) FROM cell_rows").fetchone() == (8,)
        assert db.execute("SELECT count(*) FROM run_items WHERE result_id IS NOT NULL"
                          " AND result_id NOT IN (SELECT id FROM results)").fetchone() == (0,)
    finally:
        db.close()
    assert dangling(out) == []


def test_a_store_not_in_group_mode_refuses_a_dangling_row(tmp_path: Path) -> None:
    with Store(tmp_path) as store, pytest.raises(sqlite3.IntegrityError):
        store.db.execute("INSERT INTO flags VALUES (12345, 'k', 'r', NULL, 'm', '', NULL, NULL)")


def test_seen_names_the_contents_with_a_document_or_a_runs_input(tmp_path: Path) -> None:
    """A content with a result, one with only an input error, one with neither; more than
    a statement's worth of contents asked at once."""
    with Store(tmp_path) as store:
        run = store.begin_run("k", "v", [], "c")
        store.db.execute("INSERT INTO documents VALUES ('a' , 'a.txt', 1, 0)")
        store.add_error(run, 0, "b.txt", "b", "input", "empty")
        store.add_error(run, 1, "gone.txt", None, "input", "missing")
        many = [f"{i:064x}" for i in range(5000)]
        assert store.seen(["x", "a", *many, "b", "a"]) == {"a", "b"}
        assert store.seen([]) == set()
