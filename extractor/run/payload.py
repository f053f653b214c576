"""What a worker hands back for one input: everything the main process writes, made where
the record was made, so the main process parses, validates and serializes nothing.

`produce` extracts one input and returns a `Payload` (plain picklable data: the store's rows
with the compressed record, and the lines of each standard output) or the input's error.
The main process inserts the rows (`Store.add_rows`) and spools the lines
(`extractor.outputs.spool`); the exports copy them in input order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from extractor.outputs.cellpass import cell_pass
from extractor.outputs.items import Item
from extractor.outputs.options import OutputOptions
from extractor.outputs.rows import BatchWriter, item_lines
from extractor.panel import build as panel_build
from extractor.panel.build import PanelDoc
from extractor.run.pipeline import process
from extractor.schema import InputError, Record
from extractor.store.codec import deflate, encode_bare_bytes
from extractor.store.rows import ResultRows, result_rows

if TYPE_CHECKING:
    from extractor.llm.reader import LLMPass


@dataclass(frozen=True)
class Payload:
    rows: ResultRows  # the store's rows of the result (the record and its text compressed within)
    lines: dict[str, bytes]  # this input's lines of each standard output (UTF-8)
    source_file: str
    truncated: bool
    panel: PanelDoc | None = None  # what the run's panel keeps of it (None: it could not)
    panel_error: str | None = None
    llm_tasks: int = 0  # LLM tasks attempted (not skipped)
    llm_failures: tuple[str, ...] = ()  # those that failed, as messages


def produce(path: Path, seq: int, sha256: str, llm: LLMPass | None = None) -> Payload | InputError:
    """Extract the input at `path` (position `seq` of the run, content `sha256`)."""
    result = process(path, llm)
    return result if isinstance(result, InputError) else pack(result, path, seq, sha256)


def pack(record: Record, path: Path, seq: int, sha256: str,
         options: OutputOptions | None = None) -> Payload:
    """One serialization of the record, and one compression of it, shared by the store and
    results.jsonl.gz (`options`: what `extractor run` asked the outputs to hold, default as
    it set them in the environment)."""
    options = options or OutputOptions.from_env() or OutputOptions()
    item = Item(record, None, None, seq, path.name, str(path), sha256)
    cells = cell_pass(item)  # every output's view of the cells, in one pass
    bare = encode_bare_bytes(record, cells.tables_utf8)  # the JSON compressed for both
    blob, member = deflate(bare, record.text if options.with_text else None)
    try:
        doc, problem = panel_build.panel_doc(item), None
    except Exception as e:  # noqa: BLE001 - the panel never costs an input its result
        doc, problem = None, f"{path}: internal error (please report): {e!r}"[:500]
    tried = [t for t in record.llm.tasks if t.outcome != "skipped"] if record.llm else []
    failures = tuple(f"LLM {t.task}{' ' + t.section if t.section else ''} failed: {t.detail}"
                     for t in tried if t.outcome == "failed")
    return Payload(result_rows(record, blob, cell_rows=(cells.store_rows, cells.missing)),
                   item_lines(item, BatchWriter.FILES, options, member),
                   record.meta.source_file, record.truncated, doc, problem, len(tried), failures)
