"""The CPU of the run's process boundary per text report (issue 17): a worker's loop around
`fn` (receiving the task, sending the payload: pickling and the pipe) against `fn` itself
(`run.batch._work`: extraction and `run.payload.pack`), and the main process's CPU for the
pool and the payloads without the store (`run.batch._bounded` consumed, nothing written).
The worker's loop is timed by wrapping its pipe end in the forked worker; the figures are
CPU ms a report over one run of the corpus (fixed costs, e.g. starting the worker: ~16 ms,
included: ~0.05 ms a report of 300). Run by hand, from the checkout to measure:

    python bench/worker_loop.py [--files 300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import throughput as t  # noqa: E402

from extractor.run import batch, worker  # noqa: E402
from extractor.run.worker import Limits  # noqa: E402


class _Timed:
    """A worker's pipe end that adds the CPU of its `recv` and `send` to `acc`."""

    def __init__(self, conn: Any, acc: dict[str, float]) -> None:
        self.conn, self.acc = conn, acc

    def recv(self) -> Any:
        t0 = time.process_time()
        try:
            return self.conn.recv()
        finally:
            self.acc["recv"] += time.process_time() - t0

    def send(self, msg: Any) -> None:
        t0 = time.process_time()
        self.conn.send(msg)
        self.acc["send"] += time.process_time() - t0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


def cpu() -> tuple[float, float]:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def one(files: list[Path]) -> dict[str, float]:
    """Each answer carries the worker's figures so far (its own send is in the next one's:
    the last report's send is missing, 1/len(files) of the total)."""
    acc = {"fn": 0.0, "send": 0.0, "recv": 0.0}
    serve = worker._serve

    def timed_serve(conn: Any, fn: Any, *rest: Any) -> None:
        def timed_fn(task: Any) -> Any:
            t0 = time.process_time()
            out = fn(task)
            acc["fn"] += time.process_time() - t0
            return dict(acc), out

        serve(_Timed(conn, acc), timed_fn, *rest)

    worker._serve = timed_serve  # forked workers run it
    try:
        todo = [(i, f, f"{i:064d}", f.stat().st_size) for i, f in enumerate(files)]
        m0, k0 = cpu()
        got = max((outcome[0] for *_, outcome in batch._bounded(todo, 1, Limits())),
                  key=lambda a: a["fn"])
        m1, k1 = cpu()
    finally:
        worker._serve = serve
    n = len(files) / 1000
    return {"worker": (k1 - k0) / n, **{k: v / n for k, v in got.items()},
            "worker outside fn": (k1 - k0 - got["fn"]) / n, "main (no store)": (m1 - m0) / n}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        runs = [one(t.make_corpus(tmp / f"c{r}", args.files, False, tag=f"w{r}-"))
                for r in range(args.repeat)]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"CPU ms/report (median of {args.repeat}): "
          + ", ".join(f"{k} {v:.3f}" for k, v in med.items()))
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
