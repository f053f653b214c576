"""A run's items (each input's record, or its error), with people's decisions applied.

`run_items` reads one run from the store, as every export does. `read_run` is how the
commands that look at a finished run (`extractor review`, `extractor eval`) find it: the
newest run of a folder's store, or a results.jsonl from elsewhere (a file named directly,
or a folder that holds one but no store, such as a copied export).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from extractor.schema import InputError, Record
from extractor.store import corrections
from extractor.store.codec import decode, encode
from extractor.store.store import STORE_NAME, Store, StoreError

RESULTS = "results.jsonl"
ERRORS = "errors.jsonl"


class RunSourceError(ValueError):
    """There is no run to read at the path given, or what is there cannot be read."""


@dataclass
class Item:
    """One input of a run: its record or its error, and where it came from (its position in
    the run, file name, path as given, content sha256; from a results.jsonl: the record's
    own file name and sha256, the line number, no path)."""

    record: Record | None
    record_json: str | None
    error: InputError | None
    seq: int = 0
    file: str = ""
    input_path: str = ""
    sha256: str | None = None

    @classmethod
    def of(cls, record: Record, seq: int = 0, input_path: str = "") -> Item:
        """A record on its own (not read from a run)."""
        return cls(record, None, None, seq, record.meta.source_file, input_path,
                   record.meta.sha256)


def run_items(store: Store, run_id: int) -> Iterator[Item]:
    """A run's inputs in order: the record (decisions applied, named as this input is named)
    or the error of each. Two inputs with the same content share one stored result and are
    two items, each with its own path and file name; a renamed file has its new name."""
    corrected = store.has_corrections()
    for row in store.run_items(run_id):
        yield item_of(store, row, corrected)


RunItemRow = tuple[int, str, "str | None", "int | None", "str | None", "str | None"]


def item_of(store: Store, row: RunItemRow, corrected: set[str]) -> Item:
    """The item of one row of `Store.run_items`; `corrected`: `Store.has_corrections()`."""
    seq, path, sha, rid, kind, error = row
    name = Path(path).name
    if rid is None:
        return Item(None, None, InputError(file=name, path=path, kind=kind or "internal",
                                           error=error or ""), seq, name, path, sha)
    raw = store.record_json(rid)
    record = decode(raw)
    if sha in corrected:
        record = corrections.apply(record, store.corrections(sha or ""))
        raw = encode(record)
    if record.meta.source_file != name:  # the content was met earlier under another name
        record = record.model_copy(
            update={"meta": record.meta.model_copy(update={"source_file": name})})
        raw = encode(record)
    return Item(record, raw, None, seq, name, path, sha)


def read_run(target: Path) -> Iterator[Item]:
    """The items of the run at `target`, one at a time:

    - a folder with a store (`extractor run`'s output folder): its newest run, decisions
      applied exactly as the exports apply them (the folder's results.jsonl is not read);
    - a results.jsonl file: its records, then the errors of an errors.jsonl beside it;
    - a folder with a results.jsonl but no store: that file, likewise.

    Where to read is decided now (`RunSourceError` when there is nothing to read); the
    items are read as the iterator is consumed.
    """
    if target.is_dir() and (target / STORE_NAME).is_file():
        try:
            with Store(target) as store:
                if store.latest_run() is None:
                    raise RunSourceError(f"{store.path} holds no run yet: run `extractor run` first")
        except StoreError as e:
            raise RunSourceError(str(e)) from e
        return _store_items(target)
    results = target / RESULTS if target.is_dir() else target
    if not results.is_file():
        if target.is_dir():
            raise RunSourceError(f"{target}: no {STORE_NAME} and no {RESULTS} (is this the output "
                                 "folder of `extractor run`?)")
        raise RunSourceError(f"{target} does not exist: name the output folder of `extractor "
                             f"run` or a {RESULTS} file")
    return _jsonl_items(results, results.parent / ERRORS)


def _store_items(out: Path) -> Iterator[Item]:
    try:
        store = Store(out)
    except StoreError as e:
        raise RunSourceError(str(e)) from e
    with store:
        run_id = store.latest_run()
        if run_id is not None:
            yield from run_items(store, run_id)


def _jsonl_items(results: Path, errors: Path) -> Iterator[Item]:
    for n, line in _lines(results):
        try:
            record = decode(line)
        except ValueError as e:
            first = str(e).splitlines()[0]
            raise RunSourceError(f"{results}, line {n}: not a result record: {first}") from e
        yield Item(record, line, None, n - 1, record.meta.source_file, "", record.meta.sha256)
    if not errors.is_file():
        return
    for n, line in _lines(errors):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise RunSourceError(f"{errors}, line {n}: not JSON: {e.msg}") from e
        if not isinstance(row, dict):
            raise RunSourceError(f"{errors}, line {n}: not an error record")
        e = InputError(file=str(row.get("file", "")), path=str(row.get("path", "")),
                       kind=str(row.get("kind", "internal")), error=str(row.get("error", "")))
        yield Item(None, None, e, n - 1, e.file, e.path)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if line.strip():
                yield n, line.rstrip("\r\n")
