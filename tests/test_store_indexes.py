"""Every query a batch makes per input searches an index (EXPLAIN QUERY PLAN), so the cost
of an input does not grow with the store's history (issue 17: `known_input_error` scanned
run_items, 13-16 s per 1,000 inputs with 10 runs of history)."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from extractor.run.batch import run_batch
from extractor.store import store as store_module
from extractor.store.store import LOOKUPS, STORE_NAME, Store

ROOT = Path(__file__).resolve().parent.parent
TEXT_REPORTS = sorted(p for p in (ROOT / "golden" / "inputs").iterdir() if p.suffix == ".txt")


def plan(db: sqlite3.Connection, sql: str, params: tuple[object, ...] = ()) -> list[str]:
    return [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", params)]


def scans(steps: list[str]) -> list[str]:
    """The steps that read a whole table (`SCAN t`; `SCAN t USING INDEX` reads a whole
    index, just as bad; a `SEARCH` is bounded)."""
    return [s for s in steps if s.startswith("SCAN")]


def test_the_named_lookups_search_an_index(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        for name, sql in LOOKUPS.items():
            steps = plan(store.db, sql, (None,) * sql.count("?"))
            assert steps and not scans(steps), (name, steps)


def test_known_input_error_searches_run_items_by_content(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        steps = plan(store.db, LOOKUPS["known_input_error"], ("a", "b", "c"))
    assert any(re.match(r"SEARCH i USING (COVERING )?INDEX run_items_sha \(sha256=\?", s)
               for s in steps), steps


def _normalise(sql: str) -> str:
    """A statement with its literals replaced by ? (the trace shows values bound)."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"x'[0-9a-fA-F]*'", "?", sql)
    return re.sub(r"\b\d+(\.\d+)?(e[+-]?\d+)?\b", "?", sql)


def test_every_query_a_batch_repeats_per_input_searches_an_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Trace every statement of three runs (history, reuse, a known input error, new
    content) and explain each SELECT that ran once per input or more."""
    executed: list[str] = []
    connect = sqlite3.connect

    def traced(*args: object, **kwargs: object) -> sqlite3.Connection:
        db = connect(*args, **kwargs)  # type: ignore[arg-type]
        if Path(str(args[0])).name == STORE_NAME:  # the store's (the panel's spill file: its test)
            db.set_trace_callback(executed.append)
        return db

    monkeypatch.setattr(store_module.sqlite3, "connect", traced)
    inputs = tmp_path / "in"
    inputs.mkdir()
    for src in TEXT_REPORTS[:7]:
        (inputs / src.name).write_bytes(src.read_bytes())
    (inputs / "not_a_report.txt").write_text("会议纪要\n今天天气很好。\n", encoding="utf-8")
    out = tmp_path / "out"
    n_inputs = 8  # more than twice the runs: a statement run once or twice a run is not per input
    run_batch([inputs], out)
    run_batch([inputs], out)  # every input reused or a known input error
    (inputs / "new.txt").write_bytes(TEXT_REPORTS[7].read_bytes())
    run_batch([inputs], out, redo=True)  # the inputs met before are looked up one by one
    counts = Counter(_normalise(s) for s in executed if s.lstrip().upper().startswith("SELECT"))
    per_input = [sql for sql, n in counts.items()
                 if n >= n_inputs and "sqlite_master" not in sql]  # that: per store opened
    assert any("run_items i JOIN runs" in sql for sql in per_input)  # the lookup is traced
    monkeypatch.undo()
    with Store(out) as store:
        for sql in per_input:
            steps = plan(store.db, sql.replace("?", "NULL"))
            assert steps and not scans(steps), (sql, steps)


def test_the_run_wide_lookup_of_contents_met_searches_both_indexes(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        steps = plan(store.db, store_module.SEEN, ("a",) * store_module.SEEN.count("?"))
    assert steps and not scans(steps), steps
    assert any(re.match(r"SEARCH documents USING (COVERING )?INDEX sqlite_autoindex_documents_1"
                        r" \(sha256=\?\)", s) for s in steps), steps
    assert any(re.match(r"SEARCH run_items USING (COVERING )?INDEX run_items_sha \(sha256=\?", s)
               for s in steps), steps
