"""The run store's schema history, as numbered migrations applied in place.

Each change to the store's tables is a function here, `mNNN_what_it_does(db)`, appended to
`MIGRATIONS` by `@migration`; the table `_migrations` records the name of every migration a
store has had, and when. Opening a store (`migrate`) applies the missing ones in order, all
in one transaction: a store is either upgraded completely or left as it was. Never edit a
migration that has shipped; add the next one.

A migration is written against the tables as they were when it was written, with SQL and
plain JSON only, never with the current models: a store made years ago must still upgrade.

Stores made before migrations were recorded carry `meta.format` instead (1 or 2); they are
recognised and recorded as having had the migrations of their format (`applied_at` NULL:
applied, when unknown). `meta.format` is kept equal to the number of migrations applied so
that those older versions, which accept exactly format 2, refuse a store from the future.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

Migration = Callable[[sqlite3.Connection], None]

MIGRATIONS: list[Migration] = []


class MigrationError(Exception):
    """The store cannot be brought to this version's tables (e.g. it is newer)."""


def migration(fn: Migration) -> Migration:
    """Register `fn` as the next migration; its name is what `_migrations` records."""
    MIGRATIONS.append(fn)
    return fn


def names() -> list[str]:
    return [fn.__name__ for fn in MIGRATIONS]


def script(db: sqlite3.Connection, sql: str) -> None:
    """Run several statements inside the current transaction (`executescript` would commit
    it first)."""
    statement = ""
    for line in sql.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement: {statement.strip()[:60]}")


# --------------------------------------------------------------------------- the migrations


@migration
def m001_initial(db: sqlite3.Connection) -> None:  # long: the format-1 tables, verbatim
    """Store format 1: documents, results (one per key), cells, flags, corrections, runs."""
    script(db, """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    sha256 TEXT PRIMARY KEY,
    path TEXT NOT NULL,          -- where it was last seen
    size INTEGER NOT NULL,
    first_seen REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL REFERENCES documents(sha256),
    schema_version TEXT NOT NULL,
    config_key TEXT NOT NULL,    -- hash of the extraction config (see `config_key`)
    sections TEXT NOT NULL,      -- JSON {section: fingerprint of its schema}
    file TEXT NOT NULL,
    agency TEXT, year INTEGER, template TEXT, truncated INTEGER NOT NULL,
    cells INTEGER NOT NULL, verified INTEGER NOT NULL, grounded INTEGER NOT NULL,
    flagged INTEGER NOT NULL, n_flags INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL DEFAULT 0, completion_tokens INTEGER NOT NULL DEFAULT 0,
    cost TEXT NOT NULL DEFAULT '0',
    record BLOB NOT NULL,        -- zlib(Record JSON), the machine's reading before corrections
    created REAL NOT NULL,
    UNIQUE (sha256, schema_version, config_key)
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
    sha256 TEXT NOT NULL,
    path TEXT NOT NULL,          -- field path in the schema version below
    schema_version TEXT NOT NULL,
    decision TEXT NOT NULL, value TEXT, state TEXT,
    machine_value TEXT, machine_state TEXT,
    reviewer TEXT, note TEXT, decided_at TEXT, imported REAL NOT NULL,
    PRIMARY KEY (sha256, path)
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started REAL NOT NULL, finished REAL,
    config_key TEXT NOT NULL, schema_version TEXT NOT NULL,
    argv TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_items (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    seq INTEGER NOT NULL,        -- the input's position in the run
    path TEXT NOT NULL,
    sha256 TEXT,
    result_id INTEGER REFERENCES results(id),
    reused INTEGER NOT NULL DEFAULT 0,  -- 1: found done by an earlier run
    error_kind TEXT, error TEXT,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX IF NOT EXISTS results_doc ON results (sha256);
""")


@migration
def m002_results_keep_history(db: sqlite3.Connection) -> None:
    """Store format 2: a key may have several results (a document redone after a failed LLM
    task, or --redo; the newest counts, older runs keep pointing at theirs), and each says
    whether every LLM task succeeded (`complete`).

    SQLite cannot drop a UNIQUE constraint, so `results` is rebuilt: a new table, the rows
    copied with their ids (cells, flags and run_items keep pointing at them), the old table
    dropped and the new one renamed. `migrate` runs this with foreign keys off, so dropping
    the old table does not cascade to cells and flags. `complete` of an existing result is
    read from its record, as format 2 writes it.
    """
    script(db, """
CREATE TABLE results_new (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL REFERENCES documents(sha256),
    schema_version TEXT NOT NULL,
    config_key TEXT NOT NULL,    -- hash of the extraction config (see `config_key`)
    sections TEXT NOT NULL,      -- JSON {section: fingerprint of its schema}
    file TEXT NOT NULL,
    agency TEXT, year INTEGER, template TEXT, truncated INTEGER NOT NULL,
    cells INTEGER NOT NULL, verified INTEGER NOT NULL, grounded INTEGER NOT NULL,
    flagged INTEGER NOT NULL, n_flags INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL DEFAULT 0, completion_tokens INTEGER NOT NULL DEFAULT 0,
    cost TEXT NOT NULL DEFAULT '0',
    complete INTEGER NOT NULL,   -- 0: an LLM task failed (a re-run tries the document again)
    record BLOB NOT NULL,        -- zlib(Record JSON), the machine's reading before corrections
    created REAL NOT NULL        -- a key may have several results (a document redone after
                                 -- a failed LLM task, or --redo): the newest counts, older
                                 -- runs keep pointing at theirs
);
""")
    columns = ("id, sha256, schema_version, config_key, sections, file, agency, year, template, "
               "truncated, cells, verified, grounded, flagged, n_flags, prompt_tokens, "
               "completion_tokens, cost, record, created")
    rows = db.execute(f"SELECT {columns} FROM results ORDER BY id")
    db.executemany(
        f"INSERT INTO results_new ({columns}, complete) VALUES ({', '.join('?' * 21)})",
        ((*row, _complete(row[18])) for row in rows))
    script(db, """
DROP TABLE results;
ALTER TABLE results_new RENAME TO results;
CREATE INDEX IF NOT EXISTS results_key ON results (sha256, schema_version, config_key);
DROP INDEX IF EXISTS cells_status;  -- the first format-1 stores had it (unused, large)
""")


def _complete(blob: bytes) -> int:
    """1 unless the record says an LLM task failed (format 2's `complete`)."""
    try:
        llm = json.loads(zlib.decompress(blob)).get("llm")
    except (zlib.error, ValueError, AttributeError):
        return 1
    tasks = llm.get("tasks", []) if isinstance(llm, dict) else []
    return int(all(not isinstance(t, dict) or t.get("outcome") != "failed" for t in tasks))


@migration
def m003_code_fingerprint(db: sqlite3.Connection) -> None:
    """Each result and each run records the fingerprint of the extraction code that made it
    (`extractor.run.fingerprint`), so a re-run after an upgrade re-extracts instead of
    reusing results of older code. Results from before have none: they count as made by
    other code, and a re-run redoes them."""
    script(db, """
ALTER TABLE results ADD COLUMN code TEXT;
ALTER TABLE runs ADD COLUMN code TEXT;
""")


#: Amount fields as of migration 004 (written out: a migration never reads the current schema).
_AMOUNT_PATHS_004 = ("s2.procurement.amount", "s2.fees.amount")


@migration
def m004_typed_cells(db: sqlite3.Connection) -> None:
    """Cell values typed for SQL, and each cell's placement: `value` an INTEGER for counts (it was the text of the
    value, so `value > 100` compared strings), `amount_fen` an INTEGER of 分 for amounts
    (万元 × 10**6: exact, never a binary float), NULL unless the cell holds a number; a
    CHECK keeps each typed. And the views `latest` (the newest result of each document) and
    `latest_cells` (its cells), so a query over the store counts each document once even
    after `--redo` or an upgrade kept older results."""
    script(db, """
CREATE TABLE cells_new (
    result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
    path TEXT NOT NULL, state TEXT NOT NULL,
    value INTEGER CHECK (value IS NULL OR typeof(value) = 'integer'),        -- counts
    amount_fen INTEGER CHECK (amount_fen IS NULL OR typeof(amount_fen) = 'integer'),  -- 分
    unit TEXT, raw TEXT,
    status TEXT, reasons TEXT, span_start INTEGER, span_end INTEGER, page INTEGER,
    placement TEXT,              -- direct | identities | orphan | llm; NULL: made before 004
    PRIMARY KEY (result_id, path)
) WITHOUT ROWID;
""")
    rows = db.execute("SELECT result_id, path, state, value, unit, raw, status, reasons,"
                      " span_start, span_end, page, NULL FROM cells")
    db.executemany("INSERT INTO cells_new VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   (_typed_cell_004(row) for row in rows))
    script(db, """
DROP TABLE cells;
ALTER TABLE cells_new RENAME TO cells;
CREATE VIEW latest AS
    SELECT * FROM results r WHERE r.id = (
        SELECT r2.id FROM results r2 WHERE r2.sha256 = r.sha256
        ORDER BY r2.created DESC, r2.id DESC LIMIT 1);
CREATE VIEW latest_cells AS
    SELECT l.sha256, l.file, l.agency, l.year, l.template, c.*
    FROM latest l JOIN cells c ON c.result_id = l.id;
""")


def _typed_cell_004(row: tuple) -> tuple:
    result_id, path, state, value, *rest = row
    count: int | None = None
    fen: int | None = None
    if value is not None and state == "number":
        number = Decimal(str(value))
        if path in _AMOUNT_PATHS_004:
            scaled = number * 10**6
            fen = int(scaled) if scaled == scaled.to_integral_value() else None  # finer than 分: the record keeps it
        elif number == number.to_integral_value():
            count = int(number)
    return (result_id, path, state, count, fen, *rest)


@migration
def m005_lookup_indexes(db: sqlite3.Connection) -> None:
    """An index for every lookup a batch makes per input, so its cost does not grow with the
    store's history: `run_items (sha256, run_id)` for the known input error of a content
    (it scanned every item of every earlier run), and `results (sha256, config_key,
    created)` for the newest result of a document under a config (`Store.previous` and the
    view `latest`). The other lookups use a primary key or `results_key`."""
    script(db, """
CREATE INDEX IF NOT EXISTS run_items_sha ON run_items (sha256, run_id);
CREATE INDEX IF NOT EXISTS results_newest ON results (sha256, config_key, created);
""")


@migration
def m006_text_once(db: sqlite3.Connection) -> None:
    """The normalized text of a result stored once, in its own column (`results.text`:
    zlib of the UTF-8 text); the record blob of a result written from now on leaves the
    text out (reading joins them). Results stored before keep the text inside their record
    blob and `text` NULL: both read the same."""
    script(db, """
ALTER TABLE results ADD COLUMN text BLOB;  -- zlib(normalized text); NULL: inside `record`
""")


_CELLS_VIEW_007 = """
CREATE VIEW cells AS
    SELECT c.result_id, p.text AS path, s.text AS state, c.value, c.amount_fen, c.unit, c.raw,
           st.text AS status, coalesce(r.text, '') AS reasons, c.span_start, c.span_end,
           c.page, pl.text AS placement
    FROM cell_rows c
    JOIN cell_text p ON p.id = c.path
    JOIN cell_text s ON s.id = c.state
    LEFT JOIN cell_text st ON st.id = c.status
    LEFT JOIN cell_text r ON r.id = c.reasons
    LEFT JOIN cell_text pl ON pl.id = c.placement;
CREATE VIEW latest_cells AS
    SELECT l.sha256, l.file, l.agency, l.year, l.template, c.*
    FROM latest l JOIN cells c ON c.result_id = l.id;
"""


@migration
def m007_cell_text_once(db: sqlite3.Connection) -> None:
    """The cells table without its repeated text: each distinct path, state, status,
    placement and reasons text is stored once, in `cell_text`, and a cell's row
    (`cell_rows`) holds their ids (a missing table's reason, the same on each of its cells,
    was most of the table's bytes). `cells` becomes a view with the table's columns and
    values as before (`reasons` '' when there are none), so every query over `cells` and
    `latest_cells` reads as it did."""
    script(db, """
CREATE TABLE cell_text (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
CREATE TABLE cell_rows (
    result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
    path INTEGER NOT NULL,       -- cell_text ids: the field path,
    state INTEGER NOT NULL,      -- the state,
    value INTEGER CHECK (value IS NULL OR typeof(value) = 'integer'),        -- counts
    amount_fen INTEGER CHECK (amount_fen IS NULL OR typeof(amount_fen) = 'integer'),  -- 分
    unit TEXT, raw TEXT,
    status INTEGER,              -- the status (NULL: none),
    reasons INTEGER,             -- the reasons joined by ' | ' (NULL: none),
    span_start INTEGER, span_end INTEGER, page INTEGER,
    placement INTEGER,           -- the placement (NULL: made before 004)
    PRIMARY KEY (result_id, path)
) WITHOUT ROWID;
INSERT OR IGNORE INTO cell_text (text)
    SELECT path FROM cells UNION SELECT state FROM cells
    UNION SELECT status FROM cells WHERE status IS NOT NULL
    UNION SELECT reasons FROM cells WHERE reasons IS NOT NULL AND reasons != ''
    UNION SELECT placement FROM cells WHERE placement IS NOT NULL;
INSERT INTO cell_rows
    SELECT c.result_id, p.id, s.id, c.value, c.amount_fen, c.unit, c.raw, st.id, r.id,
           c.span_start, c.span_end, c.page, pl.id
    FROM cells c
    JOIN cell_text p ON p.text = c.path
    JOIN cell_text s ON s.text = c.state
    LEFT JOIN cell_text st ON st.text = c.status
    LEFT JOIN cell_text r ON r.text = nullif(c.reasons, '')
    LEFT JOIN cell_text pl ON pl.text = c.placement;
DROP VIEW latest_cells;
DROP TABLE cells;
""" + _CELLS_VIEW_007)


# --------------------------------------------------------------------------- applying them


def applied(db: sqlite3.Connection) -> list[str]:
    """The migrations recorded in the store, in the order they were applied."""
    if not _has_table(db, "_migrations"):
        return []
    return [r[0] for r in db.execute("SELECT name FROM _migrations ORDER BY rowid")]


def migrate(db: sqlite3.Connection) -> list[str]:
    """Bring the store to the newest tables; returns the names of the migrations applied now.

    Must be called outside a transaction. Foreign keys are off while migrations run (a
    rebuilt table must not cascade to the rows pointing at it) and checked after them.
    Raises `MigrationError` for a store that has a migration this version does not know
    (it was written by a newer version); the store is then left as it was.
    """
    known = names()
    if _has_table(db, "_migrations") and set(applied(db)) == set(known):
        return []  # the common case: nothing to do, no write lock taken
    foreign_keys = db.execute("PRAGMA foreign_keys").fetchone()[0]
    db.execute("PRAGMA foreign_keys=OFF")
    try:
        return _apply(db, known)
    finally:
        db.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")


def _apply(db: sqlite3.Connection, known: list[str]) -> list[str]:
    db.execute("BEGIN IMMEDIATE")
    try:
        if not _has_table(db, "_migrations"):  # checked again: another process may have won
            legacy = _legacy_migrations(db)
            db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
            db.executemany("INSERT INTO _migrations (name, applied_at) VALUES (?, NULL)",
                           ((name,) for name in legacy))
        done = applied(db)
        unknown = [name for name in done if name not in known]
        if unknown:
            raise MigrationError(
                f"it was written by a newer version of report-extractor (migrations "
                f"{', '.join(unknown)} are unknown to this one)")
        now: list[str] = []
        dangling = len(db.execute("PRAGMA foreign_key_check").fetchall())
        for fn in MIGRATIONS:
            if fn.__name__ in done:
                continue
            fn(db)
            db.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                       (fn.__name__, datetime.now(UTC).isoformat(timespec="seconds")))
            now.append(fn.__name__)
        if now:
            broken = db.execute("PRAGMA foreign_key_check").fetchall()
            if len(broken) > dangling:  # a migration lost the rows others point at
                raise MigrationError(f"after {now[-1]}, {len(broken)} rows point at nothing "
                                     f"(first: {tuple(broken[0])})")
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('format', ?)",
                       (str(len(known)),))
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return now


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                      (name,)).fetchone() is not None


def _legacy_migrations(db: sqlite3.Connection) -> list[str]:
    """The migrations a store made before `_migrations` existed has had, by its format:
    none for an empty database."""
    if not _has_table(db, "results"):
        return []
    fmt = None
    if _has_table(db, "meta"):
        row = db.execute("SELECT value FROM meta WHERE key='format'").fetchone()
        fmt = None if row is None else str(row[0])
    if fmt is None:  # a store whose first open was cut short: tell by the tables
        columns = {r[1] for r in db.execute("PRAGMA table_info(results)")}
        fmt = "2" if "complete" in columns else "1"
    by_format = {"1": names()[:1], "2": names()[:2]}
    if fmt not in by_format:
        raise MigrationError(f"it has store format {fmt}, which this version does not know")
    return by_format[fmt]
