"""The run store's numbered migrations: older stores are upgraded in place, without loss.

The stores of earlier versions are built here by hand, with the DDL those versions wrote
(format 1 until cc00f35, format 2 until migrations were recorded), so the tests do not
depend on the code they test to make them.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from results_file import cells_rows, results_lines, results_records

from extractor.cli import main
from extractor.run.batch import extraction_config
from extractor.run.fingerprint import code_fingerprint
from extractor.run.pipeline import process
from extractor.schema import SCHEMA_VERSION, Record
from extractor.store import migrations
from extractor.store.store import Store, StoreError, config_key, sha256_file

INPUT = Path(__file__).resolve().parent.parent / "golden" / "inputs" / "lvyuan_health_2020.txt"
NAMES = ["m001_initial", "m002_results_keep_history", "m003_code_fingerprint",
         "m004_typed_cells", "m005_lookup_indexes", "m006_text_once", "m007_cell_text_once"]

#: Tables every format shared (documents, cells, flags, corrections, runs, run_items, meta).
COMMON_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    sha256 TEXT PRIMARY KEY, path TEXT NOT NULL, size INTEGER NOT NULL, first_seen REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS cells (
    result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
    path TEXT NOT NULL, state TEXT NOT NULL, value TEXT, unit TEXT, raw TEXT,
    status TEXT, reasons TEXT, span_start INTEGER, span_end INTEGER, page INTEGER,
    PRIMARY KEY (result_id, path)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS flags (
    result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
    key TEXT NOT NULL, rule TEXT NOT NULL, verdict TEXT, message TEXT NOT NULL,
    paths TEXT NOT NULL, span_start INTEGER, span_end INTEGER,
    PRIMARY KEY (result_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS corrections (
    sha256 TEXT NOT NULL, path TEXT NOT NULL, schema_version TEXT NOT NULL,
    decision TEXT NOT NULL, value TEXT, state TEXT, machine_value TEXT, machine_state TEXT,
    reviewer TEXT, note TEXT, decided_at TEXT, imported REAL NOT NULL,
    PRIMARY KEY (sha256, path)
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, started REAL NOT NULL, finished REAL,
    config_key TEXT NOT NULL, schema_version TEXT NOT NULL, argv TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_items (
    run_id INTEGER NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL, path TEXT NOT NULL,
    sha256 TEXT, result_id INTEGER REFERENCES results(id),
    reused INTEGER NOT NULL DEFAULT 0, error_kind TEXT, error TEXT,
    PRIMARY KEY (run_id, seq)
);
"""

FORMAT_1_DDL = COMMON_DDL + """
CREATE TABLE IF NOT EXISTS results (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL REFERENCES documents(sha256),
    schema_version TEXT NOT NULL, config_key TEXT NOT NULL, sections TEXT NOT NULL,
    file TEXT NOT NULL, agency TEXT, year INTEGER, template TEXT, truncated INTEGER NOT NULL,
    cells INTEGER NOT NULL, verified INTEGER NOT NULL, grounded INTEGER NOT NULL,
    flagged INTEGER NOT NULL, n_flags INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL DEFAULT 0, completion_tokens INTEGER NOT NULL DEFAULT 0,
    cost TEXT NOT NULL DEFAULT '0',
    record BLOB NOT NULL, created REAL NOT NULL,
    UNIQUE (sha256, schema_version, config_key)
);
CREATE INDEX IF NOT EXISTS results_doc ON results (sha256);
"""

FORMAT_2_DDL = COMMON_DDL + """
CREATE TABLE IF NOT EXISTS results (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL REFERENCES documents(sha256),
    schema_version TEXT NOT NULL, config_key TEXT NOT NULL, sections TEXT NOT NULL,
    file TEXT NOT NULL, agency TEXT, year INTEGER, template TEXT, truncated INTEGER NOT NULL,
    cells INTEGER NOT NULL, verified INTEGER NOT NULL, grounded INTEGER NOT NULL,
    flagged INTEGER NOT NULL, n_flags INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL DEFAULT 0, completion_tokens INTEGER NOT NULL DEFAULT 0,
    cost TEXT NOT NULL DEFAULT '0',
    complete INTEGER NOT NULL,
    record BLOB NOT NULL, created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS results_key ON results (sha256, schema_version, config_key);
"""

RESULT_COLUMNS = ("id, sha256, schema_version, config_key, sections, file, agency, year, "
                  "template, truncated, cells, verified, grounded, flagged, n_flags, "
                  "prompt_tokens, completion_tokens, cost, record, created")


@pytest.fixture(scope="module")
def record() -> Record:
    found = process(INPUT)
    assert isinstance(found, Record)
    return found


def legacy_store(out: Path, fmt: int, record: Record, cells_status_index: bool = False) -> Path:
    """A store as an earlier version left it: lvyuan's result (id 7, with its cells and a
    flag), a decision on one of its cells, and a run that produced it."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "store.sqlite"
    db = sqlite3.connect(path)
    db.executescript(FORMAT_1_DDL if fmt == 1 else FORMAT_2_DDL)
    if cells_status_index:  # format-1 stores made before 00effef
        db.execute("CREATE INDEX cells_status ON cells (status)")
    db.execute("INSERT INTO meta VALUES ('format', ?)", (str(fmt),))
    db.execute("INSERT INTO meta VALUES ('exported:/somewhere', 'abc')")
    sha = sha256_file(INPUT)
    key = config_key(extraction_config(None))
    db.execute("INSERT INTO documents VALUES (?, ?, ?, 1.0)", (sha, str(INPUT), INPUT.stat().st_size))
    s = record.summary
    row = (7, sha, SCHEMA_VERSION, key, "{}", INPUT.name, record.meta.agency.value,
           record.meta.year.value, record.meta.template, 0, s.cells, s.verified, s.grounded,
           s.flagged, len(record.flags), 0, 0, "0",
           zlib.compress(record.model_dump_json().encode()), 2.0)
    if fmt == 1:
        db.execute(f"INSERT INTO results ({RESULT_COLUMNS}) VALUES ({', '.join('?' * 20)})", row)
    else:
        db.execute(f"INSERT INTO results ({RESULT_COLUMNS}, complete) VALUES "
                   f"({', '.join('?' * 21)})", (*row, 1))
    db.execute("INSERT INTO cells VALUES (7, 's3.granted.natural_person', 'number', '0', NULL,"
               " '0', 'verified', '', 10, 11, NULL)")
    db.execute("INSERT INTO cells VALUES (7, 's3.granted.total', 'number', '0', NULL, '0',"
               " 'verified', '', 20, 21, NULL)")
    db.execute("INSERT INTO cells VALUES (7, 's2.procurement.amount', 'number', '25.1', '元',"
               " '251000元', 'grounded', '', 30, 37, NULL)")
    db.execute("INSERT INTO cells VALUES (7, 's3.denied_1.total', 'blank', NULL, NULL, '',"
               " 'verified', '', 40, 40, NULL)")
    db.execute("INSERT INTO flags VALUES (7, 'I1:x', 'I1', NULL, 'a message', "
               "'s3.granted.total', NULL, NULL)")
    db.execute("INSERT INTO corrections VALUES (?, 's3.granted.natural_person', ?, 'set', '5',"
               " 'number', '0', 'number', 'ann', 'checked', NULL, 3.0)", (sha, SCHEMA_VERSION))
    db.execute("INSERT INTO runs VALUES (1, 1.0, 2.0, ?, ?, '[]')", (key, SCHEMA_VERSION))
    db.execute("INSERT INTO run_items VALUES (1, 0, ?, ?, 7, 0, NULL, NULL)", (str(INPUT), sha))
    db.commit()
    db.close()
    return path


def rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table a legacy store had (results and runs without the columns
    later migrations added)."""
    db = sqlite3.connect(path)
    try:
        out = {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall())
               for t in ("documents", "flags", "corrections", "run_items")}
        out["cells"] = sorted(_legacy_cell(db, row) for row in db.execute("SELECT * FROM cells"))
        out["runs"] = sorted(db.execute(
            "SELECT id, started, finished, config_key, schema_version, argv FROM runs"))
        out["results"] = db.execute(f"SELECT {RESULT_COLUMNS} FROM results").fetchall()
        out["meta"] = sorted(r for r in db.execute("SELECT * FROM meta") if r[0] != "format")
        return out
    finally:
        db.close()


def _legacy_cell(db: sqlite3.Connection, row: tuple) -> tuple:
    """A cell row as the legacy tables held it (value as text), from either table shape."""
    if len(row) == 11:
        return row
    result_id, path, state, count, fen, *rest, placement = row  # migration 004's columns
    assert placement is None  # a legacy result says nothing of its cells' placement
    text = str(count) if count is not None else (
        str(Decimal(fen) / 10**6) if fen is not None else None)
    return (result_id, path, state, text, *rest)


def shape(path: Path) -> dict[str, object]:
    """The tables' columns, keys and indexes: what a migrated store must share with a new one."""
    db = sqlite3.connect(path)
    try:
        tables = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {t: (db.execute(f"PRAGMA table_info({t})").fetchall(),
                    sorted(db.execute(f"PRAGMA foreign_key_list({t})").fetchall()),
                    sorted((i[1], i[2], db.execute(f"PRAGMA index_info({i[1]})").fetchall())
                           for i in db.execute(f"PRAGMA index_list({t})")))
                for t in tables}
    finally:
        db.close()


def recorded(path: Path) -> list[tuple[str, str | None]]:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT name, applied_at FROM _migrations ORDER BY rowid").fetchall()
    finally:
        db.close()


def fresh_shape(tmp_path: Path) -> dict[str, object]:
    Store(tmp_path / "fresh").close()
    return shape(tmp_path / "fresh" / "store.sqlite")


def test_a_new_store_has_every_migration_recorded(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        assert store.migrated == NAMES
    assert [name for name, _ in recorded(tmp_path / "store.sqlite")] == NAMES == migrations.names()
    assert all(applied_at for _, applied_at in recorded(tmp_path / "store.sqlite"))


@pytest.mark.parametrize("cells_status_index", [False, True])
def test_a_format_1_store_is_upgraded_in_place_without_loss(
        tmp_path: Path, record: Record, cells_status_index: bool) -> None:
    path = legacy_store(tmp_path / "out", 1, record, cells_status_index)
    before = rows(path)
    with Store(tmp_path / "out") as store:
        assert store.migrated == NAMES[1:]
        key = config_key(extraction_config(None))
        # kept, as made by code of unknown fingerprint: this version redoes it
        assert store.find(record.meta.sha256, SCHEMA_VERSION, key, None) == (7, True)
        assert store.find(record.meta.sha256, SCHEMA_VERSION, key, code_fingerprint()) is None
        assert store.made_by_other_code(record.meta.sha256, SCHEMA_VERSION, key,
                                        code_fingerprint())
        assert store.record_json(7) == record.model_dump_json()
    assert rows(path) == before  # cells and flags survive the rebuild of results
    assert [(n, a is None) for n, a in recorded(path)] == [
        (NAMES[0], True), *((n, False) for n in NAMES[1:])]
    assert shape(path) == fresh_shape(tmp_path)
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM meta WHERE key='format'").fetchone() == ("7",)
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_format_2_store_without_migrations_is_recorded_as_having_both(
        tmp_path: Path, record: Record) -> None:
    path = legacy_store(tmp_path / "out", 2, record)
    before = rows(path)
    with Store(tmp_path / "out") as store:
        assert store.migrated == NAMES[2:]
    assert rows(path) == before
    assert [(n, a is None) for n, a in recorded(path)] == [
        (NAMES[0], True), (NAMES[1], True), *((n, False) for n in NAMES[2:])]
    assert shape(path) == fresh_shape(tmp_path)


def test_a_result_whose_llm_task_failed_is_incomplete_after_the_upgrade(
        tmp_path: Path, record: Record) -> None:
    path = legacy_store(tmp_path / "out", 1, record)
    failed = json.loads(record.model_dump_json())
    failed["llm"] = {"tasks": [{"outcome": "ok"}, {"outcome": "failed"}]}
    with sqlite3.connect(path) as db:
        db.execute("UPDATE results SET record=? WHERE id=7",
                   (zlib.compress(json.dumps(failed).encode()),))
    with Store(tmp_path / "out") as store:
        assert store.db.execute("SELECT complete FROM results WHERE id=7").fetchone() == (0,)


def test_opening_twice_changes_nothing(tmp_path: Path, record: Record) -> None:
    path = legacy_store(tmp_path / "out", 1, record)
    Store(tmp_path / "out").close()
    first = (recorded(path), shape(path), rows(path))
    with Store(tmp_path / "out") as store:
        assert store.migrated == []
    assert (recorded(path), shape(path), rows(path)) == first


def test_an_upgraded_store_is_used_by_run_export_and_its_decisions_apply(
        tmp_path: Path, record: Record) -> None:
    out = tmp_path / "out"
    legacy_store(out, 1, record)
    result = CliRunner().invoke(main, ["run", str(INPUT), "-o", str(out), "--llm", "off"])
    assert result.exit_code == 0, result.output
    # the result stored by older code is redone (and says so); the decision still applies
    assert "1 reports" in result.stdout and "already done" not in result.stdout
    assert "1 documents re-extracted: the extraction code changed" in result.stderr
    assert results_records(out)[0].meta.sha256 == record.meta.sha256
    cell = next(r for r in cells_rows(out) if r["path"] == "s3.granted.natural_person")
    # the decision stored by format 1, applied
    assert (cell["status"], cell["value"], cell["decision"], cell["reviewer"]) == (
        "corrected", "5", "set", "ann")


def test_a_store_from_a_newer_version_is_a_clear_error(tmp_path: Path) -> None:
    Store(tmp_path).close()
    with sqlite3.connect(tmp_path / "store.sqlite") as db:
        db.execute("INSERT INTO _migrations VALUES ('m003_something_new', '2030-01-01')")
    with pytest.raises(StoreError, match="newer version of report-extractor.*m003_something_new"):
        Store(tmp_path)
    result = CliRunner().invoke(main, ["export", str(tmp_path), "--format", "csv"])
    assert result.exit_code == 2 and "m003_something_new" in result.output


def test_an_unknown_legacy_format_is_a_clear_error(tmp_path: Path, record: Record) -> None:
    path = legacy_store(tmp_path, 2, record)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value='9' WHERE key='format'")
    with pytest.raises(StoreError, match="store format 9"):
        Store(tmp_path)
    assert "_migrations" not in shape(path)  # left as it was


def test_a_failing_migration_leaves_the_store_as_it_was(
        tmp_path: Path, record: Record, monkeypatch: pytest.MonkeyPatch) -> None:
    path = legacy_store(tmp_path, 1, record)
    before = (shape(path), rows(path))

    def m003_broken(db: sqlite3.Connection) -> None:
        db.execute("DROP TABLE flags")
        raise sqlite3.OperationalError("disk on fire")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, m003_broken])
    with pytest.raises(StoreError, match="disk on fire"):
        Store(tmp_path)
    assert (shape(path), rows(path)) == before


def test_cells_are_typed_after_migration_004(tmp_path: Path, record: Record) -> None:
    path = legacy_store(tmp_path / "out", 2, record)
    Store(tmp_path / "out").close()
    db = sqlite3.connect(path)
    got = {p: (v, f) for p, v, f in db.execute("SELECT path, value, amount_fen FROM cells")}
    # '0' (text) became 0 (integer); 25.1 万元 (251000元) is 25,100,000 分; a blank stays NULL
    assert got == {"s3.granted.natural_person": (0, None), "s3.granted.total": (0, None),
                   "s2.procurement.amount": (None, 25100000), "s3.denied_1.total": (None, None)}
    assert {t for (t,) in db.execute("SELECT DISTINCT typeof(value) FROM cells")} == {"integer", "null"}
    with pytest.raises(sqlite3.IntegrityError):  # the CHECK keeps the column typed
        db.execute("UPDATE cell_rows SET value='12' || 'x'")  # `cells` is its view since 007


def test_the_latest_view_counts_each_document_once_after_redo(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for extra in ([], ["--redo"]):
        result = CliRunner().invoke(main, ["run", str(INPUT), "-o", str(out), *extra])
        assert result.exit_code == 0, result.output
    db = sqlite3.connect(out / "store.sqlite")
    assert db.execute("SELECT count(*) FROM results").fetchone() == (2,)  # history kept
    assert db.execute("SELECT count(*) FROM latest").fetchone() == (1,)
    # lvyuan's table prints 198 cells of the 2019 template, each counted once
    assert db.execute("SELECT count(*) FROM latest_cells").fetchone() == (198,)
    newest = db.execute("SELECT max(id) FROM results").fetchone()[0]
    assert db.execute("SELECT id FROM latest").fetchone() == (newest,)


def test_a_result_stored_before_006_keeps_its_text_in_its_record_and_reads_the_same(
        tmp_path: Path, record: Record) -> None:
    """Migration 006 stores the text apart; a result stored before has it inside its record
    blob (`text` NULL): read back, exported with and without the text, it is the same."""
    from extractor.outputs.items import run_items

    out = tmp_path / "out"
    legacy_store(out, 2, record)
    with Store(out) as store:
        assert store.db.execute("SELECT text FROM results WHERE id=7").fetchone() == (None,)
        assert store.record_parts(7) == (record.model_dump_json(), None)
        (item,) = run_items(store, 1)
        assert item.record is not None and item.record.text == record.text
    runner = CliRunner()
    for extra, folder in (([], "plain"), (["--with-text"], "text")):
        result = runner.invoke(main, ["export", str(out), "--format", "jsonl", "--to",
                                      str(tmp_path / folder), *extra])
        assert result.exit_code == 0, result.output
    (plain,) = results_lines(tmp_path / "plain")
    (full,) = results_lines(tmp_path / "text")
    assert "text" not in json.loads(plain)
    assert json.loads(full)["text"] == record.text
    assert json.loads(full)["tables"] == json.loads(plain)["tables"]


def test_a_store_at_005_keeps_every_cell_through_007(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Migration 007 moves cells' repeated text to `cell_text`; `cells` (a view since) reads
    every row, column and value as the table did, reasons and placements included."""
    store_dir = tmp_path / "out"
    with monkeypatch.context() as m:
        m.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:5])
        Store(store_dir).close()
    db = sqlite3.connect(store_dir / "store.sqlite")
    db.execute("INSERT INTO documents VALUES ('abc', 'a.txt', 1, 1.0)")
    db.execute("INSERT INTO results (id, sha256, schema_version, config_key, sections, file,"
               " truncated, cells, verified, grounded, flagged, n_flags, complete, record,"
               " created) VALUES (3, 'abc', '1', 'k', '{}', 'a.txt', 1, 4, 1, 0, 3, 1, 1, x'00', 1.0)")
    missing = "MISSING: （四）1.本机关不掌握相关政府信息 is absent from the source (the document is truncated)"
    cells = [
        (3, "s3.granted.total", "number", 12, None, None, "12", "verified", "", 5, 7, None, "direct"),
        (3, "s2.fees.amount", "number", None, 25100000, "元", "251000元", "grounded", "", 9, 16, 2,
         "identities"),
        (3, "s3.unable_1.total", "missing", None, None, None, None, "flagged", missing, None, None,
         None, "direct"),
        (3, "s3.unable_1.natural_person", "missing", None, None, None, None, "flagged", missing,
         None, None, None, "direct"),
        (3, "s3.granted.natural_person", "placeholder", None, None, None, "/", None, "", 1, 2,
         None, None),
    ]
    db.executemany("INSERT INTO cells VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", cells)
    db.commit()
    db.close()
    with Store(store_dir) as store:
        assert store.migrated == ["m006_text_once", "m007_cell_text_once"]
        got = sorted(store.db.execute("SELECT * FROM cells").fetchall())
        assert got == sorted(cells)
        # the reason shared by two cells is one row of cell_text
        assert store.db.execute("SELECT count(*) FROM cell_text WHERE text = ?",
                                (missing,)).fetchone() == (1,)
        assert store.db.execute("SELECT count(*) FROM latest_cells WHERE status = 'flagged'"
                                " AND state = 'missing'").fetchone() == (2,)
        assert store.flagged_cells(3) == (2, 2)
