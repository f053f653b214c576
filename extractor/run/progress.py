"""What a run shows while it works: a rich progress bar on a terminal (counts, rate, ETA,
flagged and failed tallies), plain log lines otherwise (CI logs, `| tee`, cron mail).

Error and warning lines go through the same console, so they never tear the bar.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import IO

import click

from extractor.run.batch import Event


class RunDisplay:
    def __init__(self, quiet: bool = False, stream: IO[str] | None = None,
                 live: bool | None = None) -> None:
        self.quiet = quiet
        self.stream = stream if stream is not None else sys.stderr
        self.live = (self.stream.isatty() if live is None else live) and not quiet
        self._progress = None
        self._task = None
        self._start = time.monotonic()
        self._next_log = 0.0
        self._console = None  # a rich Console; made on first use (tests pass their own)

    def __enter__(self) -> RunDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def _line(self, text: str) -> None:
        if self._progress is not None:
            self._progress.console.print(text, markup=False, highlight=False)
        else:
            click.echo(text, file=self.stream)

    def __call__(self, ev: Event) -> None:
        if ev.error is not None:
            self._line(f"ERROR {ev.error.path}: {ev.error.error}")
        for failure in ev.llm_failures:
            self._line(f"ERROR {ev.path}: {failure}")
        if ev.error is None and ev.truncated and not self.quiet:
            self._line(f"WARN  {Path(ev.path).name}: truncated report: the document "
                       "stops before a template table; the cells it cuts off are missing")
        t = ev.totals
        tallies = (f"{t.flagged - t.missing} flagged cells to review, {t.missing} missing, "
                   f"{t.errors} failed, {t.reused} already done"
                   + (f", {t.llm_failed} LLM tasks failed" if t.llm_failed else ""))
        if self.live:
            self._bar(ev, tallies)
        elif not self.quiet and ev.total >= 20:
            now = time.monotonic()
            if now >= self._next_log or ev.done == ev.total:
                self._next_log = now + 10.0
                rate = ev.done / max(now - self._start, 1e-9)
                eta = (ev.total - ev.done) / rate if rate else 0.0
                self._line(f"[{ev.done}/{ev.total}] {rate:.1f} docs/s, ETA {eta:.0f}s; {tallies}")

    def _bar(self, ev: Event, tallies: str) -> None:
        if self._progress is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("[bold]extracting"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                TextColumn("{task.fields[tallies]}"),
                console=self._console or Console(file=self.stream), transient=False)
            self._progress.start()
            self._task = self._progress.add_task("run", total=ev.total, tallies="")
        self._progress.update(self._task, completed=ev.done, tallies=tallies)  # type: ignore[arg-type]
