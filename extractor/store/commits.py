"""The store's transactions: one an item (a document's result, a reused result, an error),
or items committed together (`Store.group_commits`), each a savepoint of the group's."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass


@dataclass
class Group:
    """Items committed together (`Store.group_commits`)."""

    items: int
    seconds: float
    open: bool = False  # a transaction is open
    done: int = 0  # items in it
    since: float = 0.0  # when it began (`time.monotonic`)


class Transaction:
    """One item's writes: its own transaction, or a savepoint of the group's."""

    def __init__(self, db: sqlite3.Connection, group: Group | None) -> None:
        self.db = db
        self.group = group

    def __enter__(self) -> None:
        g = self.group
        if g is None:
            self.db.execute("BEGIN IMMEDIATE")
            return
        if not g.open:
            self.db.execute("BEGIN IMMEDIATE")
            g.open, g.done, g.since = True, 0, time.monotonic()
        self.db.execute("SAVEPOINT item")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        g = self.group
        if g is None:
            self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
        elif exc_type is not None:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK TO item")
                self.db.execute("RELEASE item")
            else:  # SQLite rolled the whole transaction back (a full disk): begin anew
                g.open = False
        else:
            self.db.execute("RELEASE item")
            g.done += 1
            if g.done >= g.items or time.monotonic() - g.since >= g.seconds:
                g.open = False
                self.db.execute("COMMIT")
