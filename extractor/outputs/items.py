"""A run's items (each input's record, or its error), with people's decisions applied.

`run_items` reads one run from the store, as every export does. `read_run` is how the
commands that look at a finished run (`extractor review`, `extractor eval`) find it: the
newest run of a folder's store, or a results file from elsewhere (results.jsonl.gz or a
plain results.jsonl, named directly, or in a folder that holds one but no store, such as a
copied export).
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from extractor.schema import Cell, InputError, Record
from extractor.store import corrections
from extractor.store.codec import decode, decode_any, encode_bare, with_text
from extractor.store.store import STORE_NAME, Store, StoreError

RESULTS = "results.jsonl.gz"
PLAIN_RESULTS = "results.jsonl"  # written before issue 17, or unzipped by a user
ERRORS = "errors.jsonl"


class RunSourceError(ValueError):
    """There is no run to read at the path given, or what is there cannot be read."""


@dataclass
class Item:
    """One input of a run: its record or its error, and where it came from (its position in
    the run, file name, path as given, content sha256; from a results file: the record's
    own file name and sha256, the line number, no path). `record_json`, when set, is the
    record's compact JSON without its text (`codec.encode_bare`)."""

    record: Record | None
    record_json: str | None
    error: InputError | None
    seq: int = 0
    file: str = ""
    input_path: str = ""
    sha256: str | None = None
    #: False for a record read from a results line without its text (the default lines):
    #: `record.text` is then "" and no span can be shown
    has_text: bool = True
    #: the reports row, made once (`tables.report_values`)
    report_row: list[object] | None = field(default=None, repr=False, compare=False)
    #: the record's cells in printed order, listed once (`tables.cells_of`)
    cells: list[Cell] | None = field(default=None, repr=False, compare=False)
    #: what every output needs of the cells, made in one pass (`cellpass.cell_pass`)
    cell_pass: object | None = field(default=None, repr=False, compare=False)

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
    bare, text = store.record_parts(rid)
    if text is None:  # stored before migration 006: the text is inside the record's JSON
        record = decode(bare)
        raw: str | None = None
    else:
        record = decode(with_text(bare, text))
        raw = bare
    if sha in corrected:
        record = corrections.apply(record, store.corrections(sha or ""))
        raw = None
    if record.meta.source_file != name:  # the content was met earlier under another name
        record = record.model_copy(
            update={"meta": record.meta.model_copy(update={"source_file": name})})
        raw = None
    return Item(record, raw if raw is not None else encode_bare(record), None, seq, name, path,
                sha)


def read_run(target: Path) -> Iterator[Item]:
    """The items of the run at `target`, one at a time:

    - a folder with a store (`extractor run`'s output folder): its newest run, decisions
      applied exactly as the exports apply them (the folder's results file is not read);
    - a results file (results.jsonl.gz, or a plain results.jsonl): its records, then the
      errors of an errors.jsonl beside it. A line without the normalized text (the default:
      `--with-text` keeps it) gives a record whose text is "" and an item with `has_text`
      False;
    - a folder with a results file but no store: that file, likewise.

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
    results = target
    if target.is_dir():
        results = next((target / n for n in (RESULTS, PLAIN_RESULTS) if (target / n).is_file()),
                       target / RESULTS)
    if not results.is_file():
        if target.is_dir():
            raise RunSourceError(f"{target}: no {STORE_NAME} and no {RESULTS} or {PLAIN_RESULTS} "
                                 "(is this the output folder of `extractor run`?)")
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
            record, has_text = decode_any(line)
        except ValueError as e:
            first = str(e).splitlines()[0]
            raise RunSourceError(f"{results}, line {n}: not a result record: {first}") from e
        yield Item(record, None, None, n - 1, record.meta.source_file, "", record.meta.sha256,
                   has_text)
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
    """The lines of a text file, or of a gzip file (told by its first bytes, not its name)."""
    with open(path, "rb") as raw:
        zipped = raw.read(2) == b"\x1f\x8b"
    try:
        with (gzip.open(path, "rt", encoding="utf-8") if zipped
              else open(path, encoding="utf-8")) as fh:
            for n, line in enumerate(fh, start=1):
                if line.strip():
                    yield n, line.rstrip("\r\n")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as e:
        raise RunSourceError(f"{path}: cannot be read ({e})") from e
