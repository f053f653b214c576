"""Where the panel keeps a run's documents until it is made: a temporary SQLite file, so the
main process holds one agency's reports at a time, not every report of the run (a year of
reports is ~100,000 of them, ~5 KB each; principle 4: every run within a memory budget).

One file per panel (`.panel-*.tmp`, in the run's output folder or the system's temporary
folder), removed when the panel is written or fails (`close`), and by the next run in that
folder if a killed run left it. Tables:

- `pending`: documents a worker made, by input position, until the run's exports take them
  (`take`: the exports copied that input's lines; an input read from the store, e.g. with a
  reviewer's decision, is taken from the store instead);
- `docs` (linked: an agency key and a year) and `unlinked`: each document by the order it
  was taken in (`n`), read back agency by agency (`agencies`) and in that order;
- `rows`, `flags`, `checks`: what the panel made of them, in the order it is written.

Values are pickled (our own objects, made in this run; the file is private to it).
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import sqlite3
import tempfile
from collections.abc import Callable, Collection, Iterator
from operator import attrgetter
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_TABLES = (
    "CREATE TABLE pending (seq INTEGER PRIMARY KEY, key BLOB, year INTEGER, doc_seq INTEGER,"
    " doubtful INTEGER, blob BLOB)",
    "CREATE TABLE docs (n INTEGER PRIMARY KEY, key BLOB, year INTEGER, seq INTEGER, blob BLOB)",
    "CREATE INDEX docs_order ON docs (key, year, seq, n)",
    "CREATE TABLE unlinked (n INTEGER PRIMARY KEY, doubtful INTEGER, blob BLOB)",
    "CREATE TABLE rows (n INTEGER PRIMARY KEY, doc INTEGER, blob BLOB)",
    "CREATE TABLE flags (phase INTEGER, ord INTEGER, blob BLOB, PRIMARY KEY (phase, ord))",
    "CREATE TABLE checks (ord INTEGER PRIMARY KEY, blob BLOB)",
)

#: What a document is filed under: its agency key (UTF-8: SQLite orders these bytes as
#: Python orders the strings) and year, both None for a document the panel does not link.
Place = tuple[bytes | None, int | None]


def by_fields(cls: type[T]) -> type[T]:
    """A slotted dataclass pickled as its constructor's arguments, read in one call
    (dataclasses pickle slots through Python code, a call per field: 3–5× slower)."""
    fields = attrgetter(*(f.name for f in dataclasses.fields(cls)))  # type: ignore[arg-type]

    def __reduce__(self: T) -> tuple[type[T], tuple[object, ...]]:
        return cls, fields(self)

    cls.__reduce__ = __reduce__  # type: ignore[assignment,method-assign]
    return cls


def dump(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def load(blob: bytes) -> Any:
    return pickle.loads(blob)  # noqa: S301 - written by `dump` in this run


def place(key: str | None, year: int | None) -> Place:
    if key is None or year is None:
        return None, None
    return key.encode("utf-8", "surrogatepass"), year


class Spill:
    """The panel's temporary file (see the module)."""

    def __init__(self, where: Path | None = None) -> None:
        fd, name = tempfile.mkstemp(prefix=".panel-", suffix=".tmp", dir=where)
        os.close(fd)
        self.path = Path(name)
        try:
            self._db: sqlite3.Connection | None = sqlite3.connect(self.path)
            for pragma in ("journal_mode = OFF", "synchronous = OFF", "temp_store = FILE"):
                self._db.execute(f"PRAGMA {pragma}")  # a scratch file: no journal to keep
            for ddl in _TABLES:
                self._db.execute(ddl)
        except BaseException:
            self.close()
            raise
        self.n = self.unlinked = 0  # documents taken, those of them not linked
        self.rows = self.flag_count = self.check_count = 0  # what the panel made

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise ValueError("the panel's spill file is closed (the panel was written)")
        return self._db

    def close(self) -> None:
        """Remove the file (again: nothing)."""
        db, self._db = getattr(self, "_db", None), None
        if db is not None:
            db.close()
        self.path.unlink(missing_ok=True)

    def add(self, where: Place, seq: int, doubtful: bool, blob: bytes) -> None:
        """File a document under `where`, after those filed before it."""
        self.n += 1
        key, year = where
        if key is None:
            self.unlinked += 1
            self.db.execute("INSERT INTO unlinked VALUES (?, ?, ?)", (self.n, doubtful, blob))
        else:
            self.db.execute("INSERT INTO docs VALUES (?, ?, ?, ?, ?)", (self.n, key, year, seq, blob))

    def stage(self, seq: int, where: Place, doc_seq: int, doubtful: bool, blob: bytes) -> None:
        self.db.execute("INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?, ?, ?)",
                        (seq, *where, doc_seq, doubtful, blob))

    def take(self, seq: int) -> None:
        """File the document staged at input position `seq`, if any."""
        row = self.db.execute("SELECT key, year, doc_seq, doubtful, blob FROM pending WHERE seq = ?",
                              (seq,)).fetchone()
        if row is not None:
            self.db.execute("DELETE FROM pending WHERE seq = ?", (seq,))
            self.add((row[0], row[1]), row[2], row[3], row[4])

    def linked(self) -> Iterator[tuple[bytes, int, int]]:
        """(key, year, n) of the linked documents by key, year, seq and order taken (from
        the index alone); `blob(n)` reads one."""
        yield from self.db.execute("SELECT key, year, n FROM docs ORDER BY key, year, seq, n")

    def blob(self, n: int) -> bytes:
        return self.db.execute("SELECT blob FROM docs WHERE n = ?", (n,)).fetchone()[0]  # type: ignore[no-any-return]

    def doubtful(self) -> Iterator[tuple[int, bytes]]:
        yield from self.db.execute("SELECT n, blob FROM unlinked WHERE doubtful ORDER BY n")

    def put_row(self, doc: int | None, value: object) -> None:
        """The panel's next row: `value`, or the document taken as `doc`, as it was."""
        self.rows += 1
        self.db.execute("INSERT INTO rows VALUES (?, ?, ?)",
                        (self.rows, doc, None if doc is not None else dump(value)))

    def put_flags(self, phase: int, order: int, values: list[Any]) -> None:
        if values:
            self.flag_count += len(values)
            self.db.execute("INSERT INTO flags VALUES (?, ?, ?)", (phase, order, dump(values)))

    def put_checks(self, order: int, values: list[Any]) -> None:
        if values:
            self.check_count += len(values)
            self.db.execute("INSERT INTO checks VALUES (?, ?)", (order, dump(values)))

    def docs(self) -> Iterator[Any]:
        """The panel's rows: the linked documents as made, then the unlinked ones."""
        for (blob,) in self.db.execute("SELECT coalesce(r.blob, d.blob) FROM rows r LEFT JOIN "
                                       "docs d ON d.n = r.doc ORDER BY r.n"):
            yield load(blob)
        for (blob,) in self.db.execute("SELECT blob FROM unlinked ORDER BY n"):
            yield load(blob)

    def flags(self) -> Iterator[Any]:
        for (blob,) in self.db.execute("SELECT blob FROM flags ORDER BY phase, ord"):
            yield from load(blob)

    def checks(self) -> Iterator[Any]:
        for (blob,) in self.db.execute("SELECT blob FROM checks ORDER BY ord"):
            yield from load(blob)


class Spilled(Collection[T]):
    """A panel's table read back from its spill file each time it is iterated; its length
    is known without reading it (and after the file is closed)."""

    def __init__(self, read: Callable[[], Iterator[T]], count: int) -> None:
        self._read, self._count = read, count

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[T]:
        return iter(self._read())

    def __contains__(self, value: object) -> bool:
        return any(v == value for v in self)
