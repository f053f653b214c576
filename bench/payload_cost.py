"""The CPU of the payload (what a worker makes of a record) and of the main process, per
text report (issue 17): the stage figures of `throughput.stages` and the main/worker CPU of
`extractor run --jobs 1`, median of --repeat runs; then the payload's parts (`run.payload.pack`
piece by piece on the same records: the cell pass, the JSON pydantic still writes, each
compression, the panel's document, the CSV lines, the store's rows), the least of --repeat
rounds (CPU time; the least is the figure least moved by other processes on a shared
machine); then the main process's insert of the same payloads (`Store.add_rows` and the
spool) into a store that has inserted them once already, as they are and with each one's
largest group of cell rows cut in two at a random row: the bench corpus repeats a few
reports, whose groups of cell rows repeat their sizes, where a real corpus's reports have
groups of sizes new to the connection (statements of a new text are parsed again). Run by
hand:

    python bench/payload_cost.py [--files 300] [--repeat 3] [--no-cli] [--no-parts] [--complete]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import throughput as t  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-cli", action="store_true")
    ap.add_argument("--no-parts", action="store_true")
    ap.add_argument("--complete", action="store_true",
                    help="only the complete golden reports (real reports' shape), not excerpts")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        files = t.make_corpus(tmp / "c", args.files, False, complete=args.complete)
        # each pass on a corpus of its own (nothing cached by text carries over; the CLI's
        # workers are forked from this process)
        runs = [t.stages(t.make_corpus(tmp / f"sc{r}", args.files, False, tag=f"s{r}-",
                                       complete=args.complete),
                         tmp / f"s{r}") for r in range(args.repeat)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print("stages (CPU ms/report, median): "
              + ", ".join(f"{k} {v:.2f}" for k, v in med.items()))
        if not args.no_cli:
            cli = sorted(t.run_cli(tmp / "c", tmp / f"o{r}", 1) for r in range(args.repeat))
            main_ms = statistics.median(c[1] for c in cli) * 1000 / args.files
            work_ms = statistics.median(c[2] for c in cli) * 1000 / args.files
            print(f"run --jobs 1 (CPU ms/report, median): main {main_ms:.2f}, "
                  f"worker {work_ms:.2f}")
        if not args.no_parts:
            parts(files, args.repeat)
            inserts(files, args.repeat, tmp)
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def parts(files: list[Path], repeat: int) -> None:
    """CPU ms/report of each part of the payload, the least of `repeat` rounds."""
    import gc
    import time
    from collections.abc import Callable

    from extractor.outputs.cellpass import cell_pass
    from extractor.outputs.items import Item
    from extractor.outputs.options import OutputOptions
    from extractor.outputs.rows import BatchWriter, item_lines
    from extractor.outputs.tables import cells_of
    from extractor.panel.build import panel_doc
    from extractor.run.payload import pack
    from extractor.run.pipeline import process
    from extractor.schema import Record
    from extractor.store.codec import deflate, encode_bare_bytes, gzip_member, zlib_blob
    from extractor.store.rows import result_rows

    records = [(f, r) for f in files if isinstance(r := process(f), Record)]
    options = OutputOptions()

    def item(seq: int, f: Path, r: Record, passed: bool = True) -> Item:
        it = Item(r, None, None, seq, f.name, str(f), "0" * 64)
        cells_of(it)
        if passed:
            it.record_json = encode_bare_bytes(r, cell_pass(it).tables_utf8)  # type: ignore[assignment]
        return it

    def least(fn: Callable[[Item], object], passed: bool = True) -> float:
        best = float("inf")
        for _ in range(repeat):
            items = [item(i, f, r, passed) for i, (f, r) in enumerate(records)]
            t0 = time.process_time()
            for it in items:
                fn(it)
            best = min(best, time.process_time() - t0)
        return best * 1000 / len(records)

    gc.freeze()  # as a worker process collects (extractor/run/worker.py `_serve`)
    gc.set_threshold(20_000, 20, 20)
    figures = {
        "pack (all)": least(lambda it: pack(it.record, Path(it.input_path), it.seq, "0" * 64,
                                            options), False),  # type: ignore[arg-type]
        "cell pass": least(cell_pass, False),
        "JSON head+tail (pydantic)": least(lambda it: encode_bare_bytes(
            it.record, it.cell_pass.tables_utf8)),  # type: ignore[arg-type, union-attr]
        "deflate JSON (blob+member)": least(lambda it: deflate(it.record_json)),  # type: ignore[arg-type]
        "zlib text": least(lambda it: zlib_blob(it.record.text.encode())),  # type: ignore[union-attr]
        "panel doc": least(panel_doc),
        "CSV lines (+ gzip cells)": least(lambda it: item_lines(it, BatchWriter.FILES, options,
                                                                b"")),
        "of which gzip cells": least(lambda it: gzip_member(
            it.cell_pass.lean_utf8)),  # type: ignore[union-attr]
        "store rows (+ zlib text)": least(lambda it: result_rows(
            it.record, b"", cell_rows=(it.cell_pass.store_rows,  # type: ignore[union-attr]
                                       it.cell_pass.missing))),  # type: ignore[union-attr]
    }
    print("payload parts (CPU ms/report, least of rounds): "
          + ", ".join(f"{k} {v:.2f}" for k, v in figures.items()))


def inserts(files: list[Path], repeat: int, tmp: Path) -> None:
    """CPU ms/report of the main process's insert (`Store.add_rows`, `Spool.add`) of the
    payloads of `files`, in a store that inserted them once before: as they are, and with
    group sizes new to the connection. The least of `repeat` rounds."""
    import dataclasses
    import random
    import time

    from extractor.outputs.spool import Spool
    from extractor.run.payload import Payload, produce
    from extractor.store.rows import CellRows
    from extractor.store.store import Store

    payloads = [p for i, f in enumerate(files) if isinstance(p := produce(f, i, f"{i:064x}"),
                                                               Payload)]
    rnd = random.Random(1)

    def varied(p: Payload) -> Payload:
        groups = list(p.rows.cells.groups)
        k = max(range(len(groups)), key=lambda g: groups[g][1])
        bound, n, columns = groups[k]
        a = rnd.randrange(1, n) if n > 1 else 1
        groups[k:k + 1] = [(bound, a, [c[:a] for c in columns]),
                           (bound, n - a, [c[a:] for c in columns])]
        cells = CellRows(p.rows.cells.texts, tuple(g for g in groups if g[1]))
        return dataclasses.replace(p, rows=dataclasses.replace(p.rows, cells=cells))

    figures = {}
    for name, todo in (("as they are", payloads), ("sizes new", [varied(p) for p in payloads])):
        best = float("inf")
        for r in range(repeat):
            out = tmp / f"insert-{len(figures)}-{r}"
            with Store(out) as store, Spool(out) as spool:
                run_id = store.begin_run("bench", "bench", [], "bench")
                store.group_commits()
                for seq, p in enumerate(payloads):  # the first time: every statement new
                    store.add_rows(run_id, seq, Path(p.source_file), f"{seq:064x}", 1, p.rows,
                                   "bench", {}, "bench")
                t0 = time.process_time()
                for seq, p in enumerate(todo, start=len(payloads)):
                    store.add_rows(run_id, seq, Path(p.source_file), f"{seq:064x}", 1, p.rows,
                                   "bench", {}, "bench")
                    spool.add(seq, p.lines)
                store.commit_group()
                best = min(best, time.process_time() - t0)
        figures[name] = best * 1000 / len(todo)
    print("store insert (CPU ms/report, least of rounds): "
          + ", ".join(f"{k} {v:.2f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
