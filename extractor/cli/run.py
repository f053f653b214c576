"""`extractor run`: extract and verify a batch, with its LLM setup and its summary lines."""

from __future__ import annotations

import os
import sqlite3
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import click

from extractor.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from extractor.llm.reader import LLMPass
from extractor.cli import LLM_WOULD_ADD, Refused, aliases_of, environment_error, main


@main.command("run")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, readable=False))
@click.option("-o", "--out", "out", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Output folder (created if needed); holds the run store, store.sqlite.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Documents processed at once (processes for the rules, threads for the LLM).")
@click.option("--llm", type=click.Choice(["off", "auto", "on"]), default="auto", show_default=True,
              help="Use an LLM: off, auto (when configured), on (required).")
@click.option("--model", help="LLM model name (env EXTRACTOR_MODEL).")
@click.option("--base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1 "
              "(env OPENAI_BASE_URL). The API key is read from OPENAI_API_KEY only.")
@click.option("--mode", "mode", type=click.Choice(["auto", "json_schema", "tools", "md_json"]),
              default=None, help="Structured-output mode (default auto: by endpoint).")
@click.option("--config", "config", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="TOML config file (default ~/.config/report-extractor/config.toml).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the LLM reply cache.")
@click.option("--refresh-cache", is_flag=True, help="Ask again and overwrite cached replies.")
@click.option("--max-cost", type=Decimal, default=None,
              help="Stop before the next report once the LLM spend reaches this (price table units).")
@click.option("--rpm", type=click.IntRange(min=1), default=None,
              help="At most this many LLM requests per minute (all jobs together).")
@click.option("--tpm", type=click.IntRange(min=1), default=None,
              help="At most this many LLM tokens per minute (all jobs together).")
@click.option("--redo", is_flag=True,
              help="Process every document again, even those the store has done "
                   "(--refresh-cache implies it).")
@click.option("--timeout", type=click.FloatRange(min=1), default=None,
              help="Seconds to wait for one LLM reply (default 120; a small model on a CPU "
                   "may need 600).")
@click.option("--aliases", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              default=None, help="Agency alias CSV (name, canonical, region_code) for the panel "
              "OUT/panel.csv built at the end (see `extractor panel`). Remembered for OUT: later "
              "runs there use it until another is given (an empty file for none).")
@click.option("--doc-timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds one document may take (rules only; each page read by OCR adds 90 s); "
                   "over it, it is an error line and the batch goes on.")
@click.option("--doc-memory", type=click.IntRange(min=64), default=2048, show_default=True,
              help="MB of memory one document may take (rules only); over it, it is an error "
                   "line and the batch goes on.")
@click.option("--ocr", type=click.Choice(["off", "auto", "on"]), default="auto", show_default=True,
              help="Read scans by OCR (the 'ocr' extra): off; auto (PDF pages without a text "
                   "layer, and PNG/JPEG/TIFF inputs); on (every PDF page).")
@click.option("--with-text", is_flag=True,
              help="results.jsonl.gz lines carry the normalized text the spans point into "
                   "(the store always keeps it; by default the lines leave it out).")
@click.option("--cell-labels", is_flag=True,
              help="cells.csv with every identity and label column (file, section, row, "
                   "column, label, unit, input_path, sha256) instead of the lean default.")
@click.option("--quiet", "-q", is_flag=True, help="Only errors and the summary line.")
def run_cmd(paths: tuple[Path, ...], out: Path, jobs: int, llm: str, model: str | None,
            base_url: str | None, mode: str | None, config: Path | None, no_cache: bool,
            refresh_cache: bool, max_cost: Decimal | None, rpm: int | None, tpm: int | None,
            redo: bool, timeout: float | None, aliases: Path | None, doc_timeout: float,
            doc_memory: int, ocr: str, with_text: bool, cell_labels: bool, quiet: bool) -> None:
    """Extract and verify every report in PATHS (files or folders).

    Documents already done in OUT's store with the same content, schema version and
    configuration are not processed again: run the same command after an interruption and
    it resumes. Exports (results.jsonl, the CSVs) are rewritten from the store at the end.
    """
    from extractor.run.batch import run_batch
    from extractor.run.pipeline import NO_SUCH_PATH, discover
    from extractor.run.progress import RunDisplay
    from extractor.run.worker import Limits
    from extractor.store.lock import LockError
    from extractor.store.store import StoreError

    if no_cache and refresh_cache:
        raise click.UsageError("--no-cache and --refresh-cache exclude each other")
    if out.exists() and not out.is_dir():
        raise Refused(f"-o {out}: is a file, not a folder")
    files, errors, skipped = discover(list(paths), exclude=out)
    if not files and all(e.error == NO_SUCH_PATH for e in errors):
        if errors:
            raise Refused(f"nothing to process: {', '.join(e.path for e in errors)}: "
                          f"{NO_SUCH_PATH}")
        raise Refused("nothing to process: no report files (.txt, .md, .html, .pdf, .docx, .png, .jpg, .tif) in "
                      f"{', '.join(str(p) for p in paths)}"
                      + (f" ({skipped} other files)" if skipped else ""))
    alias_map = aliases_of(aliases)
    second = None
    if llm != "off":
        second = _llm_pass(llm, config, model=model, base_url=base_url, mode=mode, max_cost=max_cost,
                           rpm=rpm, tpm=tpm, timeout=timeout,
                           cache="off" if no_cache else "refresh" if refresh_cache else None)
    from extractor.ingest.ocr import ENV as OCR_ENV
    from extractor.outputs.options import ENV as OUTPUTS_ENV
    from extractor.outputs.options import OutputOptions

    before = os.environ.get(OCR_ENV)
    before_outputs = os.environ.get(OUTPUTS_ENV)
    os.environ[OCR_ENV] = ocr  # read by the ingest stage, in worker processes too
    os.environ[OUTPUTS_ENV] = OutputOptions(with_text, cell_labels).env_value()  # and the outputs
    try:
        with RunDisplay(quiet=quiet) as display:
            totals = run_batch(list(paths), out, second, jobs=jobs, on_event=display,
                               redo=redo or refresh_cache, aliases=alias_map,
                               limits=Limits(seconds=doc_timeout, memory_mb=doc_memory))
    except (StoreError, LockError) as e:
        raise Refused(str(e)) from e
    except (OSError, sqlite3.DatabaseError) as e:
        raise environment_error(e, out) from e
    finally:
        for name, value in ((OCR_ENV, before), (OUTPUTS_ENV, before_outputs)):
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    if second is not None:
        _llm_summary(second, quiet)
        second.client.close()
        if totals.llm_tasks:
            click.echo(f"LLM tasks: {totals.llm_tasks - totals.llm_failed} ok, "
                       f"{totals.llm_failed} failed", err=True)
    elif llm != "off" and not quiet:
        click.echo(f"note: {LLM_WOULD_ADD}", err=True)
    if totals.interrupted:
        click.echo(f"interrupted: {totals.processed} documents stored in {out}; run the same "
                   "command again to resume (finished documents are not redone)", err=True)
        sys.exit(130)
    if totals.schema_redone and not quiet:
        click.echo(f"schema {SCHEMA_VERSION}: {totals.schema_redone} documents re-extracted; "
                   f"sections whose schema changed: {', '.join(sorted(totals.sections_changed)) or 'none'}",
                   err=True)
    if totals.code_redone and not quiet:
        click.echo(f"{totals.code_redone} documents re-extracted: the extraction code changed "
                   "since their stored results were made (an upgrade or a fix)", err=True)
    if totals.llm_retried and not quiet:
        click.echo(f"{totals.llm_retried} documents redone because an LLM task failed in an "
                   "earlier run (answers that succeeded come from the cache)", err=True)
    if totals.corrections_moved and not quiet:
        click.echo(f"schema {SCHEMA_VERSION}: {totals.corrections_moved} stored decisions moved "
                   "to renamed fields", err=True)
    if totals.corrections_orphaned:
        click.echo(f"note: {totals.corrections_orphaned} stored decisions refer to fields this "
                   "schema no longer has; they are kept in the store and not applied", err=True)
    if totals.aliases_recalled is not None and not quiet:
        click.echo(f"panel: built with the alias file an earlier run in {out} was given "
                   f"({totals.aliases_recalled} names); --aliases FILE replaces it", err=True)
    for problem in totals.panel_problems:
        click.echo(f"panel: {problem}", err=True)
    extra = f", {totals.skipped_files} other files skipped" if totals.skipped_files else ""
    reused = f" ({totals.reused} already done)" if totals.reused else ""
    click.echo(f"{totals.reports} reports{reused}, {_cells_line(out)}; "
               f"{totals.errors} errors{extra} -> {out}")
    if totals.llm_tasks and totals.llm_failed == totals.llm_tasks:
        sys.exit(1)  # every LLM task failed: the run did not do what was asked


def _cells_line(out: Path) -> str:
    """'3778 cells: 1641 verified, 291 grounded only, 66 flagged (need a person), 1780
    missing (…), 0 corrected' for the run just written to OUT, decisions applied."""
    from extractor.outputs.summary import cell_counts
    from extractor.store.store import Store

    with Store(out) as store:
        run_id = store.latest_run()
        counts = cell_counts(store, run_id) if run_id is not None else None
    if counts is None:
        return "0 cells"
    return f"{counts.cells} cells: {counts.describe()}"



def _llm_pass(llm: str, config: Path | None, **flags: object) -> LLMPass | None:
    from pydantic import ValidationError

    from extractor.llm.config import load_settings

    try:
        settings = load_settings(config, **flags)
    except (ValidationError, OSError, ValueError) as e:
        raise click.UsageError(f"LLM configuration: {e}") from e
    if not settings.configured:
        if llm == "on":
            raise click.UsageError(
                "--llm on needs an LLM: set EXTRACTOR_MODEL and OPENAI_BASE_URL (or "
                "OPENAI_API_KEY for OpenAI), or pass --model and --base-url")
        return None
    # Only now: the client imports the OpenAI SDK (~1.5 CPU-s), which a run without an LLM
    # (the default) never needs.
    from extractor.llm.client import LLMClient
    from extractor.llm.reader import LLMPass

    client = LLMClient(settings)
    problem = client.probe() if settings.probe else None
    if problem is not None:  # fail fast: one line, exit 2, before any report
        client.close()
        click.echo(f"Error: {problem}", err=True)
        sys.exit(2)
    return LLMPass(client, always=llm == "on")


def _llm_summary(second: LLMPass, quiet: bool) -> None:
    c = second.client
    s = c.stats
    for note in c.notes:
        click.echo(f"note: {note}", err=True)
    if not quiet:
        click.echo(
            f"LLM {c.settings.model} ({c.mode}): {s.http_calls} HTTP calls, {s.cache_hits} cache "
            f"hits, {s.retries} retries; paid this run: {s.live_prompt_tokens} prompt + "
            f"{s.live_completion_tokens} completion tokens, cost {c.spent():.4f}"
            + (f" ({s.usage_estimated} replies reported impossible token usage: estimated)"
               if s.usage_estimated else ""), err=True)
