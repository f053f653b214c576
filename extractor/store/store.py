"""The run store: one SQLite database in the output folder, the source of every export.

Tables (created, and brought up to date in place when an older store is opened, by the
numbered migrations in `extractor.store.migrations`): documents (sha256, last path, size);
results per (document, schema version, extraction config) with the verified record
compressed, its summary and usage; cells and flags of every result for SQL audits; human
corrections per (document, field path); runs and the items of each run (every input of a
run ends as a result or an error).

Every document is written in its own transaction, or in its own savepoint of a transaction
that commits several (`Store.group_commits`, as `extractor run` does), so a run killed at any
moment (Ctrl-C, kill -9, power loss) leaves the store consistent: a re-run finds the
finished documents by their key and does the rest. SQLite's write-ahead log makes the
commits atomic on disk.
Only the main process writes; workers hand back records.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from extractor.schema import (
    SCHEMA_RENAMES,
    SCHEMA_VERSION,
    CellState,
    Correction,
    version_key,
)
from extractor.store.codec import with_text
from extractor.store.commits import Group, Transaction
from extractor.store.migrations import MigrationError, migrate
from extractor.store.rows import CellRows, ResultRows, cell_chunks, insert_cells_sql, text_at

STORE_NAME = "store.sqlite"


#: Every query a batch or an export makes per input (named for `EXPLAIN QUERY PLAN` in the
#: tests: each must search an index or a primary key, never scan a table, so the cost per
#: input stays flat as the store's history grows).
LOOKUPS: dict[str, str] = {
    "find": "SELECT id, complete FROM results WHERE sha256=? AND schema_version=?"
            " AND config_key=? AND code IS ? ORDER BY id DESC LIMIT 1",
    "made_by_other_code": "SELECT 1 FROM results WHERE sha256=? AND schema_version=?"
                          " AND config_key=? AND code IS NOT ? LIMIT 1",
    "previous": "SELECT id, sha256, schema_version, config_key, sections FROM results"
                " WHERE sha256=? AND config_key=? ORDER BY created DESC, id DESC LIMIT 1",
    "known_input_error": "SELECT i.error_kind, i.error FROM run_items i JOIN runs r"
                         " ON r.id=i.run_id WHERE i.sha256=? AND r.config_key=? AND r.code IS ?"
                         " AND i.error_kind='input' ORDER BY i.run_id DESC LIMIT 1",
    "run_items": "SELECT seq, path, sha256, result_id, error_kind, error FROM run_items"
                 " WHERE run_id=? ORDER BY seq",
    # on the ids of `cell_rows` (the view `cells` joins five texts to each row)
    "flagged_cells": "SELECT count(*) FILTER (WHERE status=(SELECT id FROM cell_text WHERE"
                     " text='flagged')), count(*) FILTER (WHERE status=(SELECT id FROM"
                     " cell_text WHERE text='flagged') AND state=(SELECT id FROM cell_text"
                     " WHERE text='missing')) FROM cell_rows WHERE result_id=?",
    "record_json": "SELECT record, text FROM results WHERE id=?",
    "cell_text": "SELECT id FROM cell_text WHERE text=?",
    "corrections": "SELECT path, decision, value, state, machine_value, machine_state,"
                   " reviewer, note, decided_at FROM corrections WHERE sha256=?",
}


#: Which of a run's contents the store has met before, as a document or an input of a run
#: (`Store.seen`): a statement for every `_SEEN_CHUNK` contents (the last padded with its
#: first: one statement text), each content searching the two indexes, so the lookups of
#: each input (`find`, `made_by_other_code`, `known_input_error`, `previous`) run only for
#: those.
_SEEN_CHUNK = 256
SEEN = ("SELECT sha256 FROM documents WHERE sha256 IN ({0}) UNION"
        " SELECT sha256 FROM run_items WHERE sha256 IN ({0})").format(",".join("?" * _SEEN_CHUNK))


#: Prepared statements a connection keeps (the sqlite3 module's default is 128): the cell
#: inserts (up to 20 sizes per shape of row) and the other statements of a run.
_STATEMENTS = 512


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def config_key(config: dict[str, object]) -> str:
    """A short stable hash of what shapes a result besides the document and the schema."""
    blob = json.dumps(config, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class StoredResult:
    id: int
    sha256: str
    schema_version: str
    config_key: str
    sections: dict[str, str]


class StoreError(Exception):
    """The output folder holds a store this version cannot use."""


def write_failed(e: BaseException) -> bool:
    """An SQLite error that says a write to the disk failed (the disk is full, a file-size
    limit, a failing device), not that the store is unusable."""
    name = getattr(e, "sqlite_errorname", None) or ""  # absent on one raised by Python code
    return isinstance(e, sqlite3.DatabaseError) and name.startswith(("SQLITE_IOERR", "SQLITE_FULL"))


class Store:
    def __init__(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.path = out / STORE_NAME
        self.db = sqlite3.connect(self.path, isolation_level=None,  # explicit transactions
                                  cached_statements=_STATEMENTS)
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never torn
            self.db.execute("PRAGMA foreign_keys=ON")
            self.migrated = migrate(self.db)  # the migrations this open applied
        except sqlite3.DatabaseError as e:
            self.db.close()
            if write_failed(e):
                raise  # the disk failed, not the store: the caller says so
            raise StoreError(f"{self.path} is not a readable run store ({e}); move it away or "
                             "use another output folder") from e
        except MigrationError as e:
            self.db.close()
            raise StoreError(f"{self.path} cannot be used: {e}") from e
        self._group: Group | None = None  # items committed together (`group_commits`)
        self.moved_corrections = self.migrate_corrections(SCHEMA_VERSION, SCHEMA_RENAMES)
        self._text_ids = _TextIds(self)

    def group_commits(self, items: int = 32, seconds: float = 1.0) -> None:
        """From now on commit the items' writes (`add_rows`, `add_reused`, `add_error`)
        together, up to `items` of them or for `seconds` at most (checked as each ends),
        and when the store is left: a commit costs more than an item's rows (the WAL
        frames of every page it touched). Each item is a savepoint of the open transaction,
        so one that fails leaves the others; a run killed loses the items since the last
        commit, at most `seconds` of results, whole (the next run does them again).

        SQLite's foreign key checks are off from now on (this connection only): an item's
        rows point at rows the item inserted just before (its cells and flags at the
        result's `lastrowid`) or found in the store (a reused result), and checking each of
        a report's ~200 cell rows against `results` again cost ~8% of its insert
        (`add_rows`, CPU ms a report, 7 alternating rounds: min 0.87 -> 0.81, median
        0.98 -> 0.88; ~0.1 M instructions). Off for the rest of the
        connection, not a group at a time: switching them expires every prepared statement.
        Tests hold a run's store to `PRAGMA foreign_key_check`."""
        self.db.execute("PRAGMA foreign_keys=OFF")  # outside a transaction: SQLite obeys
        self._group = Group(items, seconds)

    def commit_group(self) -> None:
        """Commit the items written since the last commit, if any."""
        if self._group is not None and self._group.open:
            self._group.open = False
            if self.db.in_transaction:  # not rolled back by SQLite itself (a full disk)
                self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()  # an open transaction (a failed commit's) is rolled back

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.commit_group()  # the items done, also when leaving on an error
        finally:
            self.close()

    # -- runs ------------------------------------------------------------------------------

    def begin_run(self, config: str, schema_version: str, argv: list[str], code: str) -> int:
        cur = self.db.execute(
            "INSERT INTO runs (started, config_key, schema_version, argv, code)"
            " VALUES (?, ?, ?, ?, ?)",
            (time.time(), config, schema_version, json.dumps(argv, ensure_ascii=False), code))
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int) -> None:
        self.db.execute("UPDATE runs SET finished=? WHERE id=?", (time.time(), run_id))

    def has_run(self, run_id: int) -> bool:
        return self.db.execute("SELECT 1 FROM runs WHERE id=?", (run_id,)).fetchone() is not None

    def latest_run(self) -> int | None:
        row = self.db.execute("SELECT max(id) FROM runs").fetchone()
        return None if row is None or row[0] is None else int(row[0])

    # -- lookups ---------------------------------------------------------------------------

    def find(self, sha256: str, schema_version: str, config: str,
             code: str | None) -> tuple[int, bool] | None:
        """The stored result for this key, made by this extraction code, and whether it is
        complete (no LLM task failed)."""
        row = self.db.execute(
            LOOKUPS["find"], (sha256, schema_version, config, code)).fetchone()
        return None if row is None else (int(row[0]), bool(row[1]))

    def made_by_other_code(self, sha256: str, schema_version: str, config: str,
                           code: str) -> bool:
        """A result for this key exists, but other extraction code made it (an upgrade)."""
        row = self.db.execute(
            LOOKUPS["made_by_other_code"], (sha256, schema_version, config, code)).fetchone()
        return row is not None

    def seen(self, sha256s: list[str]) -> set[str]:
        """The contents among `sha256s` the store has a document or a run's input of (the
        others have no result, no error and no history to look up)."""
        found: set[str] = set()
        for at in range(0, len(sha256s), _SEEN_CHUNK):
            chunk = sha256s[at:at + _SEEN_CHUNK]
            chunk += chunk[:1] * (_SEEN_CHUNK - len(chunk))
            found.update(sha for (sha,) in self.db.execute(SEEN, chunk * 2))
        return found

    def previous(self, sha256: str, config: str) -> StoredResult | None:
        """The newest result of the document under the same config, any schema version."""
        row = self.db.execute(
            LOOKUPS["previous"], (sha256, config)).fetchone()
        if row is None:
            return None
        return StoredResult(row[0], row[1], row[2], row[3], json.loads(row[4]))

    # -- writes (one transaction per document) ---------------------------------------------

    def add_rows(self, run_id: int, seq: int, path: Path, sha256: str, size: int,
                 rows: ResultRows, config: str, sections: dict[str, str], code: str) -> int:
        """Store a result from its rows (`result_rows`, made where the record was made): no
        record is parsed or serialized here."""
        now = time.time()
        try:
            with self._tx():
                self.db.execute(
                    "INSERT INTO documents VALUES (?, ?, ?, ?) ON CONFLICT(sha256) DO UPDATE SET "
                    "path=excluded.path", (sha256, str(path), size, now))
                cur = self.db.execute(
                    "INSERT INTO results (sha256, schema_version, config_key, sections, file, agency,"
                    " year, template, truncated, cells, verified, grounded, flagged, n_flags,"
                    " prompt_tokens, completion_tokens, cost, complete, record, text, created, code)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (sha256, rows.schema_version, config, json.dumps(sections), *rows.result,
                     now, code))
                rid = int(cur.lastrowid or 0)
                self._insert_cells(rid, rows.cells)
                self.db.executemany("INSERT OR REPLACE INTO flags VALUES (?,?,?,?,?,?,?,?)",
                                    [(rid, *f) for f in rows.flags])
                self._item(run_id, seq, path, sha256, rid, reused=False)
        except BaseException:
            self._text_ids.clear()  # ids added in the rolled back transaction are gone
            raise
        return rid

    def _insert_cells(self, rid: int, cells: CellRows) -> None:
        """A result's cell rows, a statement a shape; each row's texts as `cell_text` ids."""
        ids = self._text_ids
        ids.learn(cells.texts)
        for bound, n, columns in cells.groups:
            width = len(bound) + 1  # result_id first
            texts = text_at(bound)
            at = 0
            for rows in cell_chunks(n):
                params: list[object] = [rid] * (rows * width)
                for k, (text, column) in enumerate(zip(texts, columns, strict=True), start=1):
                    part = column[at:at + rows] if rows < n else column
                    params[k::width] = map(ids.__getitem__, part) if text else part
                self.db.execute(insert_cells_sql(bound, rows), params)
                at += rows

    def _text_id(self, text: str) -> int:
        """The id of `text` in `cell_text` (added when new; inside the caller's transaction)."""
        self.db.execute("INSERT OR IGNORE INTO cell_text (text) VALUES (?)", (text,))
        return int(self.db.execute(LOOKUPS["cell_text"], (text,)).fetchone()[0])

    def add_reused(self, run_id: int, seq: int, path: Path, sha256: str, result_id: int) -> None:
        with self._tx():
            self.db.execute("UPDATE documents SET path=? WHERE sha256=?", (str(path), sha256))
            self._item(run_id, seq, path, sha256, result_id, reused=True)

    def add_error(self, run_id: int, seq: int, path: str, sha256: str | None, kind: str,
                  error: str) -> None:
        with self._tx():
            self.db.execute(
                "INSERT OR REPLACE INTO run_items (run_id, seq, path, sha256, error_kind, error)"
                " VALUES (?,?,?,?,?,?)", (run_id, seq, path, sha256, kind, error))

    def _item(self, run_id: int, seq: int, path: Path, sha256: str, rid: int, reused: bool) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO run_items (run_id, seq, path, sha256, result_id, reused)"
            " VALUES (?,?,?,?,?,?)", (run_id, seq, str(path), sha256, rid, int(reused)))

    def known_input_error(self, sha256: str, config: str, code: str) -> tuple[str, str] | None:
        """An input error (the file's own fault) recorded for this content by the same code
        before: a re-run reports it again without reading the file again. Internal errors
        are retried, and so is every input after an upgrade (new code may read it)."""
        row = self.db.execute(
            LOOKUPS["known_input_error"], (sha256, config, code)).fetchone()
        return None if row is None else (row[0], row[1])

    def _tx(self) -> Transaction:
        return Transaction(self.db, self._group)

    # -- reads -----------------------------------------------------------------------------

    def run_items(self, run_id: int) -> Iterator[tuple[int, str, str | None, int | None, str | None, str | None]]:
        """(seq, path, sha256, result_id, error_kind, error) of a run, in input order."""
        yield from self.db.execute(LOOKUPS["run_items"], (run_id,))

    def flagged_cells(self, result_id: int) -> tuple[int, int]:
        """(flagged, of them missing) cells of a stored result, before decisions."""
        row = self.db.execute(LOOKUPS["flagged_cells"], (result_id,)).fetchone()
        return int(row[0]), int(row[1])

    def record_json(self, result_id: int) -> str:
        """The stored record's compact JSON, text included."""
        bare, text = self.record_parts(result_id)
        return bare if text is None else with_text(bare, text)

    def record_parts(self, result_id: int) -> tuple[str, str | None]:
        """(the stored record's JSON, its text): a result stored since migration 006 keeps
        the text apart and its JSON lacks it; one stored before has the text inside its JSON,
        and None here."""
        blob, text = self.db.execute(LOOKUPS["record_json"], (result_id,)).fetchone()
        return (zlib.decompress(blob).decode(),
                None if text is None else zlib.decompress(text).decode())

    def export_stamp(self, run_id: int) -> str:
        """What a run's exports depend on: its items in order (which result or error each
        input ended as) and the stored decisions. Equal stamps mean identical exports."""
        h = hashlib.sha256()
        for row in self.run_items(run_id):
            h.update(json.dumps(row, ensure_ascii=False).encode())
        h.update(json.dumps(self.db.execute(
            "SELECT count(*), max(imported) FROM corrections").fetchone()).encode())
        return h.hexdigest()

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- corrections -----------------------------------------------------------------------

    def corrections(self, sha256: str) -> dict[str, Correction]:
        out: dict[str, Correction] = {}
        for (path, decision, value, state, mvalue, mstate, reviewer, note,
             decided_at) in self.db.execute(
                LOOKUPS["corrections"], (sha256,)):
            out[path] = Correction(
                decision=decision, value=value, state=state, machine_value=mvalue,
                machine_state=mstate or CellState.MISSING, reviewer=reviewer, note=note,
                decided_at=decided_at)
        return out

    def documents(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT sha256 FROM documents")}

    def has_corrections(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT DISTINCT sha256 FROM corrections")}

    def put_corrections(self, rows: Iterable[tuple[str, str, str, Correction]]) -> int:
        """Store decisions (sha256, path, schema_version, correction); a later decision on the
        same cell replaces the earlier one. All or nothing."""
        n = 0
        now = time.time()
        with self._tx():
            for sha256, path, schema_version, c in rows:
                self.db.execute(
                    "INSERT OR REPLACE INTO corrections VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (sha256, path, schema_version, c.decision,
                     None if c.value is None else str(c.value),
                     c.state.value if c.state else None,
                     None if c.machine_value is None else str(c.machine_value),
                     c.machine_state.value, c.reviewer, c.note, c.decided_at, now))
                n += 1
        return n

    def migrate_corrections(self, current: str,
                            renames: tuple[tuple[str, dict[str, str]], ...]) -> int:
        """Bring corrections stored under older schema versions to `current`, following each
        later version's renames in order; returns how many moved to a new path."""
        rows = self.db.execute(
            "SELECT sha256, path, schema_version FROM corrections WHERE schema_version != ?",
            (current,)).fetchall()
        if not rows:
            return 0
        moved = 0
        with self._tx():
            for sha, path, version in rows:
                new = path
                for v, mapping in renames:
                    if version_key(version) < version_key(v) <= version_key(current):
                        new = mapping.get(new, new)
                moved += new != path
                self.db.execute(
                    "UPDATE OR REPLACE corrections SET path=?, schema_version=? "
                    "WHERE sha256=? AND path=?", (new, current, sha, path))
        return moved

    def orphan_corrections(self, known: frozenset[str]) -> int:
        """Stored decisions on field paths the schema no longer has (kept, not applied)."""
        return sum(1 for (p,) in self.db.execute("SELECT path FROM corrections") if p not in known)


class _TextIds(dict[str, int]):
    """The ids of `cell_text` texts met on this connection (a bounded cache: most texts are
    paths, states and reasons every report repeats); a text not yet met is looked up, and
    added to `cell_text` when new, inside the caller's transaction."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self._store = store

    def learn(self, texts: tuple[str, ...]) -> None:
        """Know the ids of `texts`; those new to `cell_text` are added in this order."""
        if all(map(self.__contains__, texts)):  # the common case, in C
            return
        for text in texts:
            if text not in self:
                self.__missing__(text)

    def __missing__(self, text: str) -> int:
        if len(self) >= 50_000:
            self.clear()
        found = self[text] = self._store._text_id(text)
        return found
