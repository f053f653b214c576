"""Items committed together (`Store.group_commits`): another reader sees an item only once
its group is committed, every item whole (its result, cells, flags and run item) or not at
all; an item that fails leaves the others of its group; leaving the store, also on an
error, commits the items done; a process killed loses the items since the last commit."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import pytest

from extractor.run.pipeline import process
from extractor.schema import Record
from extractor.store.rows import ResultRows, cell_groups, result_rows
from extractor.store.store import STORE_NAME, Store

ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def rows() -> ResultRows:
    record = process(ROOT / "golden" / "inputs" / "lvyuan_health_2020.txt")
    assert isinstance(record, Record)
    return result_rows(record, b"")


def add(store: Store, run: int, seq: int) -> int:
    return store.add_rows(run, seq, Path(f"r{seq}.txt"), f"{seq:064d}", 1, rows(), "k", {}, "c")


def seen(out: Path) -> tuple[int, int, int, int]:
    """(results, results with all their cells, run items, documents) another reader sees."""
    db = sqlite3.connect(out / STORE_NAME)
    try:
        n_cells = db.execute("SELECT count(*) FROM cell_rows WHERE result_id=1").fetchone()[0]
        return db.execute(
            "SELECT (SELECT count(*) FROM results),"
            " (SELECT count(*) FROM (SELECT result_id FROM cell_rows GROUP BY result_id"
            "  HAVING count(*) = ?)),"
            " (SELECT count(*) FROM run_items), (SELECT count(*) FROM documents)",
            (n_cells,)).fetchone()
    finally:
        db.close()


def test_a_reader_sees_the_items_of_a_group_when_it_is_committed(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        run = store.begin_run("k", "v", [], "c")
        store.group_commits(items=3, seconds=3600)
        add(store, run, 0)
        add(store, run, 1)
        assert seen(tmp_path) == (0, 0, 0, 0)
        add(store, run, 2)  # the third: the group is committed
        assert seen(tmp_path) == (3, 3, 3, 3)
        store.add_error(run, 3, "bad.txt", None, "input", "empty file")
        add(store, run, 4)
        assert seen(tmp_path) == (3, 3, 3, 3)
    assert seen(tmp_path) == (4, 4, 5, 4)  # leaving the store commits the rest


def test_a_group_is_committed_after_its_seconds(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        run = store.begin_run("k", "v", [], "c")
        store.group_commits(items=100, seconds=0.2)
        add(store, run, 0)
        assert seen(tmp_path)[0] == 0
        time.sleep(0.25)
        add(store, run, 1)  # checked as an item ends
        assert seen(tmp_path)[0] == 2


def test_an_item_that_fails_leaves_the_others_of_its_group(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        run = store.begin_run("k", "v", [], "c")
        store.group_commits(items=10, seconds=3600)
        add(store, run, 0)
        bad = [("p.bad", "number", "not an integer", None, None, "1", "grounded", "", 0, 1,
                None, "direct")]  # fails the CHECK on value
        with pytest.raises(sqlite3.IntegrityError):
            store.add_rows(run, 1, Path("bad.txt"), "f" * 64, 1,
                           replace(rows(), cells=cell_groups(bad)), "k", {}, "c")
        add(store, run, 2)
    results, whole, items, documents = seen(tmp_path)
    assert (results, whole, items, documents) == (2, 2, 2, 2)


def test_leaving_the_store_on_an_error_commits_the_items_done(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), Store(tmp_path) as store:
        run = store.begin_run("k", "v", [], "c")
        store.group_commits(items=10, seconds=3600)
        add(store, run, 0)
        add(store, run, 1)
        raise KeyboardInterrupt
    assert seen(tmp_path) == (2, 2, 2, 2)


def test_a_killed_process_loses_the_items_since_the_last_commit_whole(tmp_path: Path) -> None:
    script = f"""
import os, sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from pathlib import Path
from test_store_groups import add
from extractor.store.store import Store
store = Store(Path({str(tmp_path)!r}))
run = store.begin_run("k", "v", [], "c")
store.group_commits(items=4, seconds=3600)
for seq in range(10):
    add(store, run, seq)
os._exit(0)  # as kill -9: no commit, no close
"""
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT, timeout=120)
    assert seen(tmp_path) == (8, 8, 8, 8)
