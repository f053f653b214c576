"""A bulk run: every input found done in the store is reused, the rest is processed (in
parallel with `jobs`), each result committed to the store as it arrives, and the run's
exports written from the store at the end.

Resume is the default: a document whose result exists for the same key (content sha256,
schema version, extraction config) is not processed again, so a re-run after a crash,
Ctrl-C or kill -9 continues where it stopped without losing or duplicating anything.
The rules read every document in worker processes under a time and memory budget (it is
CPU-bound, and a hostile file is killed, not waited for); with the LLM, its half runs in
threads (it waits on HTTP; the rate limiter, the reply cache and the budget are shared).
"""

from __future__ import annotations

import concurrent.futures as cf
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from extractor import __version__
from extractor.ingest.ocr import ocr_mode
from extractor.outputs.export import write_run
from extractor.outputs.items import Item
from extractor.outputs.spool import Spool
from extractor.panel import PanelBuilder, folder_aliases, run_panel
from extractor.run.fingerprint import code_fingerprint
from extractor.run.payload import Payload, pack, produce
from extractor.run.pipeline import discover, finish, prepare
from extractor.run.worker import (
    POLL_SECONDS,
    BoundedPool,
    Done,
    Limits,
    interrupts,
    raise_if_interrupted,
)
from extractor.schema import (
    ALL_PATHS,
    SCHEMA_VERSION,
    Extraction,
    InputError,
    section_fingerprints,
)
from extractor.store.lock import write_lock
from extractor.store.store import Store, config_key, sha256_file

if TYPE_CHECKING:
    from extractor.ingest.document import Document
    from extractor.llm.reader import LLMPass
    from extractor.panel.names import Alias


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
    panel_problems: list[str] = field(default_factory=list)  # the panel step's, if any
    aliases_recalled: int | None = None  # names of an earlier run's alias file, used again
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
    error: InputError | None
    reused: bool
    totals: Totals
    truncated: bool = False  # a result of a truncated report
    llm_failures: tuple[str, ...] = ()  # the LLM tasks that failed on it, as messages


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
    config: dict[str, object] = {"tool": __version__, "llm": llm}
    if (ocr := ocr_mode()) != "auto":  # --ocr (the default leaves earlier keys as they were)
        config["ocr"] = ocr
    return config


def _work(task: tuple[str, int, str]) -> Payload | InputError:
    """What a worker process computes for one task (path, position in the run, content
    sha256): what the main process writes for the input (`payload.produce`; plain picklable
    data). The parent turns it, or why there is none, into an Outcome in `_outcome`."""
    path, seq, sha256 = task
    return produce(Path(path), seq, sha256)


def run_batch(paths: list[Path], out: Path, second: LLMPass | None = None, jobs: int = 1,
              argv: list[str] | None = None,
              on_event: Callable[[Event], None] | None = None, redo: bool = False,
              aliases: dict[str, Alias] | None = None, limits: Limits | None = None) -> Totals:
    """Every input into the store of OUT, then the exports and the agency × year panel
    (OUT/panel*.csv, its flags added to flags.csv; `aliases`: an alias file's names); a
    document already done under the same key by the same code is reused. `redo`: process
    every input even when the store has it done (e.g. --refresh-cache). `limits`: each
    document's time and memory budget (the rules' half of every document; the LLM's half
    runs in threads, bounded by its HTTP timeouts)."""
    files, missing, skipped = discover(paths, exclude=out)
    totals = Totals(inputs=len(files) + len(missing), skipped_files=skipped)
    budget = second.client.settings.max_cost if second is not None else None
    with write_lock(out, "run"), Store(out) as store, _fresh_spool(out) as spool, \
            closing(PanelBuilder(where=out)) as seen:
        store.group_commits()  # a commit every few items, not every item
        aliases, recalled = folder_aliases(store, aliases)
        totals.aliases_recalled = len(aliases) if recalled and aliases is not None else None
        seen.aliases = aliases  # before the workers' documents are filed
        batch = _Batch(store, totals, config_key(extraction_config(second)), on_event, spool,
                       panel=seen)
        totals.corrections_moved = store.moved_corrections
        totals.corrections_orphaned = store.orphan_corrections(frozenset(ALL_PATHS))
        batch.run_id = store.begin_run(batch.key, SCHEMA_VERSION, argv or sys.argv[1:], batch.code)
        todo, twins = batch.plan([*missing, *files], redo)
        try:
            outcomes = _execute(todo, second, jobs, budget, limits or Limits())
            with interrupts(), closing(outcomes):  # closed: the workers are killed
                for seq, item, sha, size, outcome in outcomes:
                    if isinstance(outcome, InputError):
                        batch.failed(seq, outcome, sha)
                    else:
                        batch.stored(seq, item, sha, size, outcome)
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

        def panel_takes(seq: int, item: Item | None) -> None:
            if item is not None:  # read from the store
                seen.add(item)
            else:  # its lines copied from the spool: the document its worker made
                seen.take(seq)

        wrote = write_run(store, batch.run_id, out, spool=spool, also=panel_takes)
        seen.errors += batch.panel_errors
        try:
            panel = run_panel(store, batch.run_id, out, aliases, force=wrote,
                              seen=seen if wrote else None)
            totals.panel_problems = panel.errors if panel is not None else []
        except Exception as e:  # noqa: BLE001 - the panel never costs a run its exports
            totals.panel_problems = [f"the panel could not be built (please report): {e!r}"[:500]]
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
    spool: Spool | None = None
    code: str = field(default_factory=code_fingerprint)
    fingerprints: dict[str, str] = field(default_factory=section_fingerprints)
    run_id: int = 0
    done: int = 0
    #: the run's panel: what it keeps of each input processed in this run, made in the
    #: worker, waits in its spill file until the exports take it
    panel: PanelBuilder | None = None
    panel_errors: list[str] = field(default_factory=list)
    #: the contents of this run the store had never met when it was planned (`plan`)
    new: set[str] = field(default_factory=set)

    def plan(self, items: list[Path | InputError], redo: bool) -> tuple[list[Todo], list[tuple[int, Path, str]]]:
        """Settle what needs no extraction (missing paths, unreadable files, documents done,
        known input errors); the rest to extract, and inputs whose content an earlier input
        of this run has (extracted once, recorded under each name)."""
        todo: list[Todo] = []
        first_of: dict[str, int] = {}  # sha256 -> seq of its first occurrence in this run
        twins: list[tuple[int, Path, str]] = []
        read = [item if isinstance(item, InputError) else _read(item) for item in items]
        shas = [r[0] for r in read if not isinstance(r, InputError)]
        self.new = set(shas) - self.store.seen(shas)  # nothing stored to look up
        for seq, (item, got) in enumerate(zip(items, read, strict=True)):
            if isinstance(got, InputError):
                self.failed(seq, got, None)
                continue
            assert not isinstance(item, InputError)
            sha, size = got
            if sha in self.new:
                known = None
            elif not redo and self._reuse(seq, item, sha):
                continue
            else:
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
        self._event(error.path, error, False)

    def reused(self, seq: int, item: Path, sha: str, result_id: int) -> None:
        t = self.totals
        t.reports += 1
        t.reused += 1
        t.add_cells(*self.store.flagged_cells(result_id))
        self.store.add_reused(self.run_id, seq, item, sha, result_id)
        self._event(str(item), None, True)

    def stored(self, seq: int, item: Path, sha: str, size: int, payload: Payload) -> None:
        """A worker's result: its rows into the store and its lines into the spool, as
        they are (nothing parsed or serialized here)."""
        t = self.totals
        t.reports += 1
        t.processed += 1
        rows = payload.rows
        t.add_cells(rows.flagged, rows.missing)
        t.llm_tasks += payload.llm_tasks
        failures = payload.llm_failures
        t.llm_failed += len(failures)
        prev = None if sha in self.new else self.store.previous(sha, self.key)
        if prev is not None and prev.schema_version != rows.schema_version:
            t.schema_redone += 1
            t.sections_changed |= {s for s, fp in self.fingerprints.items()
                                   if prev.sections.get(s) != fp}
        self.store.add_rows(self.run_id, seq, item, sha, size, rows, self.key,
                            self.fingerprints, self.code)
        if self.spool is not None:
            self.spool.add(seq, payload.lines)
        if payload.panel is not None and self.panel is not None:
            self.panel.stage(seq, payload.panel)
        if payload.panel_error is not None:
            self.panel_errors.append(payload.panel_error)
        self._event(str(item), None, False, payload.truncated, failures)

    def _event(self, path: str, error: InputError | None, reused: bool, truncated: bool = False,
               llm_failures: tuple[str, ...] = ()) -> None:
        self.done += 1
        if self.on_event is not None:
            self.on_event(Event(self.done, self.totals.inputs, path, error, reused,
                                self.totals, truncated, llm_failures))


def _read(item: Path) -> tuple[str, int] | InputError:
    """An input's content sha256 and size, or why it cannot be read."""
    try:
        return sha256_file(item), item.stat().st_size
    except OSError as e:
        return InputError(file=item.name, path=str(item), kind="input",
                          error=f"cannot read: {e.strerror or e}")


def _fresh_spool(out: Path) -> Spool:
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(".*.tmp"):  # an export or a spool a killed run did not finish
        stale.unlink(missing_ok=True)
    return Spool(out)


Outcome = InputError | Payload


def _execute(todo: list[tuple[int, Path, str, int]], second: LLMPass | None, jobs: int,
             budget: Decimal | None, limits: Limits) -> Iterator[tuple[int, Path, str, int, Outcome]]:
    """Results as they complete (any order); the caller commits each one at once.

    Every document is read by the rules in a worker process under `limits`, `--jobs 1`
    included. With the LLM, the second half (the LLM's tasks, the merge, the verification)
    runs in threads of this process: the work is waiting on HTTP, bounded by its timeouts,
    and the rate limiter, the reply cache and the --max-cost budget are shared."""
    if second is None:
        yield from _bounded(todo, jobs, limits)
        return

    def spent() -> bool:
        return budget is not None and second.client.spent() >= budget

    def not_processed(item: Path) -> InputError:
        return InputError(file=item.name, path=str(item), kind="not_processed",
                          error=f"not processed: the LLM budget --max-cost {budget} is spent "
                          f"({second.client.spent():.4f}); run again to continue")

    def second_half(item: Path, seq: int, sha: str, prepared: tuple[Document, str]) -> Outcome:
        if spent():  # by the documents asked about while this one was read and queued
            return not_processed(item)
        doc, extraction = prepared
        try:
            record = finish(item, doc, Extraction.model_validate_json(extraction), second)
        except MemoryError:
            return InputError(file=item.name, path=str(item), kind="budget",
                              error="ran out of memory; skipped")
        return record if isinstance(record, InputError) else pack(record, item, seq, sha)

    reading: dict[int, Todo] = {}  # in a worker process
    asking: dict[cf.Future[Outcome], Todo] = {}  # in a thread, with the LLM
    queue = iter(todo)
    with BoundedPool(_prepare, jobs, limits) as pool, cf.ThreadPoolExecutor(max_workers=jobs) as threads:
        try:
            while True:
                raise_if_interrupted()
                while pool.free() and len(asking) < jobs * 2:
                    nxt = next(queue, None)
                    if nxt is None:
                        break
                    if spent():
                        yield *nxt, not_processed(nxt[1])
                        continue
                    pool.submit(nxt[0], (str(nxt[1]), nxt[0], nxt[2]))
                    reading[nxt[0]] = nxt
                if not reading and not asking:
                    return
                if reading:  # while threads work, look at them 20 times a second
                    for done in pool.wait(timeout=0.05 if asking else None):
                        nxt = reading.pop(done.key)  # type: ignore[call-overload]
                        outcome = _outcome(done, nxt[1], limits)
                        if isinstance(outcome, InputError):
                            yield *nxt, outcome
                        else:
                            asking[threads.submit(second_half, nxt[1], nxt[0], nxt[2],
                                                  outcome)] = nxt
                if asking:
                    finished, _ = cf.wait(asking, timeout=0 if reading else POLL_SECONDS,
                                          return_when=cf.FIRST_COMPLETED)
                    for fut in finished:
                        nxt = asking.pop(fut)
                        try:
                            outcome = fut.result()
                        except Exception as e:  # noqa: BLE001 - one input's error
                            outcome = _internal(nxt[1], f"{type(e).__name__}: {e}")
                        yield *nxt, outcome
        except BaseException:
            threads.shutdown(wait=False, cancel_futures=True)
            raise


def _prepare(task: tuple[str, int, str]) -> tuple[Document, str] | InputError:
    """The rules' half of an LLM run, in a worker process under the document's budget: the
    document with its rows and the rules' extraction, as JSON (the template's models are
    made at run time and do not pickle)."""
    path = Path(task[0])
    prepared = prepare(path)
    if isinstance(prepared, InputError):
        return prepared
    doc, extraction = prepared
    return doc, extraction.model_dump_json()


def _bounded(todo: list[Todo], jobs: int, limits: Limits,
             fn: Callable[[tuple[str, int, str]], Outcome] = _work,
             ) -> Iterator[tuple[int, Path, str, int, Outcome]]:
    """The rules path: `fn` (`_work`) in killable worker processes, one document each at a
    time. The workers read while this process writes what they made (with `--jobs 1` the
    worker and this process overlap instead of taking turns): each worker has the next
    document queued behind the one it works on, and one that answered is handed another
    before the answers are yielded."""
    pending: dict[int, Todo] = {}
    queue = iter(todo)
    with BoundedPool(fn, jobs, limits, depth=2) as pool:
        def feed() -> None:
            while pool.free() and (nxt := next(queue, None)) is not None:
                pool.submit(nxt[0], (str(nxt[1]), nxt[0], nxt[2]))
                pending[nxt[0]] = nxt

        feed()
        while pending:
            answered = [(pending.pop(done.key), done) for done in pool.wait()]  # type: ignore[call-overload]
            feed()  # the next documents first, then the answers
            for (seq, item, sha, size), done in answered:
                yield seq, item, sha, size, _outcome(done, item, limits)


def _internal(item: Path, detail: str) -> InputError:
    return InputError(file=item.name, path=str(item), kind="internal",
                      error=f"internal error (please report): {detail}"[:500])


def _outcome(done: Done, item: Path, limits: Limits) -> Outcome:
    """A worker's payload, or why there is none, as this input's outcome (the one place
    that knows what `_work` returns)."""
    f = done.failure
    if f is None:
        return done.payload  # type: ignore[no-any-return]  # a Payload or an InputError
    if f.reason == "timeout":
        return InputError(file=item.name, path=str(item), kind="budget",
                          error=f"{f.detail}; skipped (--doc-timeout raises the limit; the next "
                                "run tries it again)")
    if f.reason == "memory":
        return InputError(file=item.name, path=str(item), kind="budget",
                          error=f"{f.detail}; skipped (--doc-memory raises the limit; the next "
                                "run tries it again)")
    return _internal(item, f"worker failed: {f.detail}")
