"""A decisions file that holds a reviewer's work is never overwritten: `extractor review`
reads the work in the file it is about to replace (`prior_work`), carries it into the new
file, and sets the old one aside (`set_aside`)."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from extractor.review.decisions import COLUMNS


def holds_work(row: dict[str, str]) -> bool:
    """A row holds a reviewer's work: a decision, a value or a note."""
    return any((row.get(k) or "").strip() for k in ("decision", "value", "note"))


@dataclass
class PriorWork:
    """The reviewer's work in a decisions file about to be replaced (`prior_work`)."""

    path: Path
    rows: dict[tuple[str, str], list[str]]  # (sha256, path) -> the row, in COLUMNS order
    unreadable: bool = False  # the file is there but is not a decisions file we can read

    @property
    def keep(self) -> bool:
        return bool(self.rows) or self.unreadable


def prior_work(csv_path: Path) -> PriorWork:
    """The rows of an existing decisions file that hold work, by cell."""
    rows: dict[tuple[str, str], list[str]] = {}
    if not csv_path.is_file():
        return PriorWork(csv_path, rows)
    try:
        with open(csv_path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if "decision" not in (reader.fieldnames or ()):
                return PriorWork(csv_path, rows, unreadable=csv_path.stat().st_size > 0)
            for r in reader:
                if holds_work(r):
                    key = ((r.get("sha256") or "").strip().lower(), (r.get("path") or "").strip())
                    rows[key] = [r.get(k) or "" for k in COLUMNS]
    except (OSError, UnicodeDecodeError, csv.Error):
        return PriorWork(csv_path, {}, unreadable=True)
    return PriorWork(csv_path, rows)


def set_aside(path: Path) -> Path:
    """Rename `path` to ``decisions.before-<UTC time>.csv`` beside it (never over a file)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    backup, n = path.with_name(f"{path.stem}.before-{stamp}{path.suffix}"), 1
    while backup.exists():
        n += 1
        backup = path.with_name(f"{path.stem}.before-{stamp}-{n}{path.suffix}")
    os.replace(path, backup)
    return backup
