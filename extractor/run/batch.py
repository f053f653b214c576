"""A bulk run: every input found done in the store is reused, the rest is processed (in
parallel with `jobs`), each result committed to the store as it arrives, and the run's
exports written from the store at the end.

Resume is the default: a document whose result exists for the same key (content sha256,
schema version, extraction config) is not processed again, so a re-run after a crash,
Ctrl-C or kill -9 continues where it stopped without losing or duplicating anything.
Deterministic work runs in processes (it is CPU-bound); the LLM path runs in threads (it
waits on HTTP; the rate limiter and the reply cache are shared by all threads).
"""

from __future__ import annotations

import concurrent.futures as cf
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from extractor import __version__
from extractor.outputs.export import write_run
from extractor.run.fingerprint import code_fingerprint
from extractor.run.pipeline import discover, process
from extractor.schema import (
    ALL_PATHS,
    SCHEMA_VERSION,
    CellState,
    CellStatus,
    InputError,
    Record,
    iter_cells,
    section_fingerprints,
)
from extractor.store.store import Store, config_key, sha256_file

if TYPE_CHECKING:
    from extractor.llm.reader import LLMPass


@dataclass
class Totals:
    inputs: int = 0
    reports: int = 0
    processed: int = 0  # extracted in this run
    reused: int = 0  # found done in the store
    errors: int = 0
    flagged: int = 0  # flagged cells, for the progress tally (the summary is counted in SQL)
    missing: int = 0  # of the flagged: missing (the file is cut off or a table is absent)
    skipped_files: int = 0
    schema_redone: int = 0  # documents re-extracted because the schema changed
    code_redone: int = 0  # documents re-extracted because the extraction code changed
    sections_changed: set[str] = field(default_factory=set)
    interrupted: bool = False
    corrections_moved: int = 0  # stored decisions moved to renamed field paths
    corrections_orphaned: int = 0  # stored decisions on fields the schema no longer has
    llm_retried: int = 0  # documents redone because an LLM task failed in an earlier run
    llm_tasks: int = 0  # LLM tasks attempted in this run (not skipped)
    llm_failed: int = 0  # of those, failed

    def add_cells(self, flagged: int, missing: int) -> None:
        self.flagged += flagged
        self.missing += missing


@dataclass
class Event:
    """One input finished (for progress display and log lines)."""

    done: int
    total: int
    path: str
    record: Record | None
    error: InputError | None
    reused: bool
    totals: Totals


def extraction_config(second: LLMPass | None) -> dict[str, object]:
    """What besides the document and the schema shapes a result: the tool's version and the
    LLM setup (model, endpoint, mode, policy, prompt versions); none for the rules only."""
    llm: dict[str, object] | None = None
    if second is not None:
        from extractor.llm.prompts import load
        from extractor.llm.reader import TASKS

        s = second.client.settings
        llm = {"model": s.model, "endpoint": urlparse(s.endpoint).netloc.lower(), "mode": s.mode,
               "always": second.always, "prompts": {t: load(t).version for t in TASKS}}
    return {"tool": __version__, "llm": llm}


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the main process, which stops handing out work, lets the
    documents in hand finish, and exits (no traceback per worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _work(path: str) -> tuple[bool, str]:
    """Process-pool worker: (ok, Record JSON) or (False, InputError JSON)."""
    result = process(Path(path))
    if isinstance(result, InputError):
        return False, result.model_dump_json()
    return True, result.model_dump_json()


def run_batch(paths: list[Path], out: Path, second: LLMPass | None = None, jobs: int = 1,
              argv: list[str] | None = None,
              on_event: Callable[[Event], None] | None = None, redo: bool = False) -> Totals:
    """Every input into the store of OUT, then the exports; a document already done under
    the same key by the same code is reused. `redo`: process every input even when the store
    has it done (e.g. --refresh-cache)."""
    files, missing, skipped = discover(paths)
    totals = Totals(inputs=len(files) + len(missing), skipped_files=skipped)
    budget = second.client.settings.max_cost if second is not None else None
    with Store(out) as store:
        for stale in out.glob(".*.tmp"):  # an export a killed run did not finish
            stale.unlink(missing_ok=True)
        batch = _Batch(store, totals, config_key(extraction_config(second)), on_event)
        totals.corrections_moved = store.moved_corrections
        totals.corrections_orphaned = store.orphan_corrections(frozenset(ALL_PATHS))
        batch.run_id = store.begin_run(batch.key, SCHEMA_VERSION, argv or sys.argv[1:], batch.code)
        todo, twins = batch.plan([*missing, *files], redo)
        try:
            for seq, item, sha, size, outcome in _execute(todo, second, jobs, budget):
                if isinstance(outcome, InputError):
                    batch.failed(seq, outcome, sha)
                else:
                    batch.stored(seq, item, sha, size, *outcome)
        except KeyboardInterrupt:
            totals.interrupted = True
            return totals
        for seq, item, sha in twins:
            found = store.find(sha, SCHEMA_VERSION, batch.key, batch.code)
            if found is not None:
                batch.reused(seq, item, sha, found[0])
            else:
                batch.failed(seq, InputError(
                    file=item.name, path=str(item), kind="input",
                    error="same content as another input of this run, which failed"), sha)
        write_run(store, batch.run_id, out)
        store.finish_run(batch.run_id)
    return totals


Todo = tuple[int, Path, str, int]  # (seq, path, sha256, size)


@dataclass
class _Batch:
    """One run's bookkeeping: each input ends as a stored result, a reused one, or an error,
    committed at once and reported to `on_event`."""

    store: Store
    totals: Totals
    key: str
    on_event: Callable[[Event], None] | None
    code: str = field(default_factory=code_fingerprint)
    fingerprints: dict[str, str] = field(default_factory=section_fingerprints)
    run_id: int = 0
    done: int = 0

    def plan(self, items: list[Path | InputError], redo: bool) -> tuple[list[Todo], list[tuple[int, Path, str]]]:
        """Settle what needs no extraction (missing paths, unreadable files, documents done,
        known input errors); the rest to extract, and inputs whose content an earlier input
        of this run has (extracted once, recorded under each name)."""
        todo: list[Todo] = []
        first_of: dict[str, int] = {}  # sha256 -> seq of its first occurrence in this run
        twins: list[tuple[int, Path, str]] = []
        for seq, item in enumerate(items):
            if isinstance(item, InputError):
                self.failed(seq, item, None)
                continue
            try:
                sha, size = sha256_file(item), item.stat().st_size
            except OSError as e:
                self.failed(seq, InputError(file=item.name, path=str(item), kind="input",
                                            error=f"cannot read: {e.strerror or e}"), None)
                continue
            if not redo and self._reuse(seq, item, sha):
                continue
            known = self.store.known_input_error(sha, self.key, self.code)
            if known is not None:
                self.failed(seq, InputError(file=item.name, path=str(item), kind=known[0],
                                            error=known[1]), sha)
            elif sha in first_of:
                twins.append((seq, item, sha))
            else:
                first_of[sha] = seq
                todo.append((seq, item, sha, size))
        return todo, twins

    def _reuse(self, seq: int, item: Path, sha: str) -> bool:
        """Reuse the stored result of this key and code if it is complete; count why not."""
        found = self.store.find(sha, SCHEMA_VERSION, self.key, self.code)
        if found is None:
            if self.store.made_by_other_code(sha, SCHEMA_VERSION, self.key, self.code):
                self.totals.code_redone += 1
            return False
        if not found[1]:
            self.totals.llm_retried += 1  # an LLM task failed last time: try again
            return False
        self.reused(seq, item, sha, found[0])
        return True

    def failed(self, seq: int, error: InputError, sha: str | None) -> None:
        self.totals.errors += 1
        self.store.add_error(self.run_id, seq, error.path, sha, error.kind, error.error)
        self._event(error.path, None, error, False)

    def reused(self, seq: int, item: Path, sha: str, result_id: int) -> None:
        t = self.totals
        t.reports += 1
        t.reused += 1
        t.add_cells(*self.store.flagged_cells(result_id))
        self.store.add_reused(self.run_id, seq, item, sha, result_id)
        self._event(str(item), None, None, True)

    def stored(self, seq: int, item: Path, sha: str, size: int, record: Record,
               record_json: str) -> None:
        t = self.totals
        t.reports += 1
        t.processed += 1
        missing = sum(1 for c in iter_cells(record.tables)
                      if c.status is CellStatus.FLAGGED and c.state is CellState.MISSING)
        t.add_cells(record.summary.flagged, missing)
        if record.llm is not None:
            tried = [x for x in record.llm.tasks if x.outcome != "skipped"]
            t.llm_tasks += len(tried)
            t.llm_failed += sum(1 for x in tried if x.outcome == "failed")
        prev = self.store.previous(sha, self.key)
        if prev is not None and prev.schema_version != record.schema_version:
            t.schema_redone += 1
            t.sections_changed |= {s for s, fp in self.fingerprints.items()
                                   if prev.sections.get(s) != fp}
        self.store.add_result(self.run_id, seq, item, sha, size, record_json, record, self.key,
                              self.fingerprints, self.code)
        self._event(str(item), record, None, False)

    def _event(self, path: str, record: Record | None, error: InputError | None,
               reused: bool) -> None:
        self.done += 1
        if self.on_event is not None:
            self.on_event(Event(self.done, self.totals.inputs, path, record, error, reused,
                                self.totals))


Outcome = InputError | tuple[Record, str]


def _execute(todo: list[tuple[int, Path, str, int]], second: LLMPass | None, jobs: int,
             budget: Decimal | None) -> Iterator[tuple[int, Path, str, int, Outcome]]:
    """Results as they complete (any order); the caller commits each one at once."""

    def spent() -> bool:
        return (budget is not None and second is not None
                and second.client.spent() >= budget)

    def not_processed(item: Path) -> InputError:
        assert second is not None
        return InputError(file=item.name, path=str(item), kind="not_processed",
                          error=f"not processed: the LLM budget --max-cost {budget} is spent "
                          f"({second.client.spent():.4f}); run again to continue")

    def one(item: Path) -> Outcome:
        result = process(item, second)
        return result if isinstance(result, InputError) else (result, result.model_dump_json())

    if jobs <= 1:
        for seq, item, sha, size in todo:
            yield seq, item, sha, size, not_processed(item) if spent() else one(item)
        return
    if second is None:
        pool: cf.Executor = cf.ProcessPoolExecutor(max_workers=jobs, initializer=_ignore_sigint)
    else:
        pool = cf.ThreadPoolExecutor(max_workers=jobs)
    with pool:
        pending: dict[cf.Future[object], tuple[int, Path, str, int]] = {}
        queue = iter(todo)
        try:
            while True:
                while len(pending) < jobs * 2:
                    nxt = next(queue, None)
                    if nxt is None:
                        break
                    seq, item, sha, size = nxt
                    if spent():
                        yield seq, item, sha, size, not_processed(item)
                        continue
                    fut = pool.submit(_work, str(item)) if second is None else pool.submit(one, item)
                    pending[fut] = nxt
                if not pending:
                    return
                finished, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                for fut in finished:
                    seq, item, sha, size = pending.pop(fut)
                    yield seq, item, sha, size, _outcome(fut, item)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _outcome(fut: cf.Future[object], item: Path) -> Outcome:
    try:
        value = fut.result()
    except Exception as e:  # noqa: BLE001 - a worker that died is one input's error
        return InputError(file=item.name, path=str(item), kind="internal",
                          error=f"internal error (please report): worker failed: {e!r}"[:500])
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], bool):
        ok, raw = value
        if ok:
            return Record.model_validate_json(raw), raw
        return InputError.model_validate_json(raw)
    return value  # type: ignore[return-value]
