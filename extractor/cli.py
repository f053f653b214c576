"""Command line: `extractor run PATH... -o OUT`, `extractor eval OUT --expected DIR`,
`extractor panel OUT`,
`extractor review OUT`, `extractor schema`."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import click

from extractor import __version__
from extractor.evaluate import evaluation as ev
from extractor.schema import SCHEMA_VERSION, Record

if TYPE_CHECKING:
    from extractor.llm.reader import LLMPass

LLM_WOULD_ADD = (
    "no LLM configured: deterministic path only. An LLM would add the numbers stated in the "
    "narrative and their checks against the tables (C1), a second reading of tables whose "
    "layout the rules could not place, and metadata the rules miss; configure one with "
    "EXTRACTOR_MODEL and OPENAI_BASE_URL (or --model/--base-url, see README)."
)


class Refused(click.ClickException):
    """A user mistake or an unusable folder: one line ("Error: …") and exit status 2."""

    exit_code = 2


def _environment_error(e: BaseException, out: Path) -> Refused:
    """One line for what went wrong with the output folder or its store (no traceback);
    what was stored before stays."""
    from extractor.store.store import STORE_NAME

    text = str(e)
    if isinstance(e, OSError) and e.errno == errno.ENOSPC or "disk is full" in text:
        return Refused(f"the disk is full while writing to {out}: free some space and run the "
                       "same command again (finished documents are kept and not redone)")
    if isinstance(e, sqlite3.DatabaseError):
        return Refused(f"the run store {out / STORE_NAME} cannot be used ({text}); what it "
                       "holds stays. Move it away (or recover it with `sqlite3 store.sqlite "
                       "\".recover\"`) and run again")
    if isinstance(e, OSError):
        where = e.filename or out
        return Refused(f"cannot write to {where}: {e.strerror or e}; choose an output folder "
                       "you can write to (-o)")
    return Refused(text)


@click.group()
@click.version_option(__version__, prog_name="extractor")
def main() -> None:
    """Verified numbers from government information-disclosure annual reports."""


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
              "OUT/panel.csv built at the end (see `extractor panel`).")
@click.option("--doc-timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds one document may take (rules only; each page read by OCR adds 90 s); "
                   "over it, it is an error line and the batch goes on.")
@click.option("--doc-memory", type=click.IntRange(min=64), default=2048, show_default=True,
              help="MB of memory one document may take (rules only); over it, it is an error "
                   "line and the batch goes on.")
@click.option("--ocr", type=click.Choice(["off", "auto", "on"]), default="auto", show_default=True,
              help="Read scans by OCR (the 'ocr' extra): off; auto (PDF pages without a text "
                   "layer, and PNG/JPEG/TIFF inputs); on (every PDF page).")
@click.option("--quiet", "-q", is_flag=True, help="Only errors and the summary line.")
def run_cmd(paths: tuple[Path, ...], out: Path, jobs: int, llm: str, model: str | None,
            base_url: str | None, mode: str | None, config: Path | None, no_cache: bool,
            refresh_cache: bool, max_cost: Decimal | None, rpm: int | None, tpm: int | None,
            redo: bool, timeout: float | None, aliases: Path | None, doc_timeout: float,
            doc_memory: int, ocr: str, quiet: bool) -> None:
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
    alias_map = _aliases(aliases)
    second = None
    if llm != "off":
        second = _llm_pass(llm, config, model=model, base_url=base_url, mode=mode, max_cost=max_cost,
                           rpm=rpm, tpm=tpm, timeout=timeout,
                           cache="off" if no_cache else "refresh" if refresh_cache else None)
    from extractor.ingest.ocr import ENV as OCR_ENV

    before = os.environ.get(OCR_ENV)
    os.environ[OCR_ENV] = ocr  # read by the ingest stage, in worker processes too
    try:
        with RunDisplay(quiet=quiet) as display:
            totals = run_batch(list(paths), out, second, jobs=jobs, on_event=display,
                               redo=redo or refresh_cache, aliases=alias_map,
                               limits=Limits(seconds=doc_timeout, memory_mb=doc_memory))
    except (StoreError, LockError) as e:
        raise Refused(str(e)) from e
    except (OSError, sqlite3.DatabaseError) as e:
        raise _environment_error(e, out) from e
    finally:
        if before is None:
            os.environ.pop(OCR_ENV, None)
        else:
            os.environ[OCR_ENV] = before
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


@main.command("export")
@click.argument("out", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "parquet", "sqlite", "xlsx"]),
              default="csv", show_default=True)
@click.option("--to", "dest", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder to write into (default OUT/export).")
@click.option("--run", "run_id", type=int, default=None, help="Run number (default the latest).")
def export_cmd(out: Path, fmt: str, dest: Path | None, run_id: int | None) -> None:
    """Export a run from OUT's store: one row per report and one row per cell, with people's
    decisions applied (csv: UTF-8 with BOM; parquet needs the `parquet` extra; xlsx: a
    workbook with cells coloured by status)."""
    from extractor.outputs.export import ExportError, export
    from extractor.store.store import STORE_NAME, Store, StoreError

    if not (out / STORE_NAME).is_file():
        raise click.UsageError(f"{out} has no {STORE_NAME}: run `extractor run ... -o {out}` first")
    try:
        with Store(out) as store:
            if run_id is not None and not store.has_run(run_id):
                latest = store.latest_run()
                raise Refused(f"--run {run_id}: {out} has no such run"
                              + (f" (runs 1-{latest}; the latest is the default)" if latest
                                 else " (it holds no run yet)"))
            written = export(store, fmt, dest or out / "export", run_id)
    except (ExportError, StoreError) as e:
        raise click.UsageError(str(e)) from e
    except (OSError, sqlite3.DatabaseError) as e:
        raise _environment_error(e, dest or out / "export") from e
    for p in written:
        click.echo(str(p))


@main.command("correct")
@click.argument("decisions", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("-o", "--out", "out", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="The run folder whose store keeps the decisions (default: the folder above "
                   "the decisions file's folder, as `extractor review` writes it).")
def correct_cmd(decisions: Path, out: Path | None) -> None:
    """Import a reviewer's DECISIONS.csv into the store and rewrite the latest run's exports.

    Decisions are kept by (document sha256, field path) and applied by every later run."""
    from extractor.review.decisions import DecisionsError, read_decisions
    from extractor.store.lock import LockError, write_lock
    from extractor.store.store import STORE_NAME, StoreError

    if out is None:
        out = next((d for d in (decisions.parent, decisions.parent.parent)
                    if (d / STORE_NAME).is_file()), decisions.parent.parent)
    if not (out / STORE_NAME).is_file():
        raise click.UsageError(f"no {STORE_NAME} in {out}: name the run folder with --out")
    try:
        rows, undecided = read_decisions(decisions)
    except DecisionsError as e:
        raise click.ClickException(str(e)) from e
    try:
        with write_lock(out, "correct"):
            _import_decisions(out, decisions, rows, undecided)
    except (StoreError, LockError) as e:
        raise Refused(str(e)) from e
    except (OSError, sqlite3.DatabaseError) as e:
        raise _environment_error(e, out) from e


def _import_decisions(out: Path, decisions: Path, rows: list, undecided: int) -> None:
    from extractor.outputs.export import write_run
    from extractor.store.corrections import recheck_run
    from extractor.store.store import STORE_NAME, Store

    with Store(out) as store:
        unknown = sorted({r.sha256 for r in rows} - store.documents())
        if unknown:
            raise click.ClickException(
                f"{len(unknown)} document(s) in {decisions} are not in {out}'s store "
                f"(sha256 {', '.join(u[:12] + '…' for u in unknown[:5])}); nothing imported")
        n = store.put_corrections((r.sha256, r.path, SCHEMA_VERSION, r.correction) for r in rows)
        latest = store.latest_run()
        checked = []
        if latest is not None:
            write_run(store, latest, out)
            checked = recheck_run(store, latest, {r.sha256 for r in rows})
    kinds = {d: sum(r.correction.decision == d for r in rows) for d in ("accept", "set", "source_wrong")}
    click.echo(f"{n} decisions imported ({kinds['accept']} accept, {kinds['set']} set, "
               f"{kinds['source_wrong']} source_wrong; {undecided} rows undecided) into "
               f"{out / STORE_NAME}; exports rewritten")
    _correct_summary(checked)
    if (out / "panel.csv").is_file():
        click.echo(f"the panel was built before these decisions: `extractor panel {out}` (with "
                   "the run's --aliases, if any) rebuilds it and adds its flags to flags.csv again")


def _correct_summary(checked: list) -> None:  # list[tuple[str, corrections.Applied]]
    """What the decisions did to the latest run: corrected cells, identities a correction
    completed (their undecided cells now verified) or broke (with the equation), and
    accepts given on a machine reading that has since changed."""
    corrected = sum(a.corrected for _, a in checked)
    completed = sum(len(a.completed) for _, a in checked)
    verified = sum(len(a.verified) for _, a in checked)
    reports = sum(1 for _, a in checked if a.corrected)
    click.echo(f"{corrected} cells corrected in {reports} report{'' if reports == 1 else 's'}; "
               f"{completed} identities hold with the corrected values "
               f"({verified} more cells verified by them)")
    for name, a in checked:
        for result in a.broken:
            click.echo(f"identity fails with the corrected values in {name}: {result.message}", err=True)
        for path in a.second_look:
            click.echo(f"second look: {name} {path}: accepted on a machine reading that has "
                       "since changed; not applied, flagged again", err=True)


@main.command("eval")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--expected", "expected_dir", required=True, type=click.Path(path_type=Path),
              help="Folder of expected files in the golden format (<input name>.json).")
@click.option("--max-silent", type=click.IntRange(min=0), default=None,
              help="Exit 1 if there are more silent errors (wrong, not flagged) than this.")
@click.option("--min-accuracy", type=click.FloatRange(0, 1), default=None,
              help="Exit 1 if the share of correct cells is below this (0-1, e.g. 0.99).")
@click.option("--max-false-alarm-rate", type=click.FloatRange(0, 1), default=None,
              help="Exit 1 if the share of correct cells flagged although their expected "
                   "status is not F is above this (0-1).")
@click.option("--json", "as_json", is_flag=True, help="Print the evaluation as JSON to stdout.")
@click.option("--verbose", "-v", is_flag=True,
              help="Also list wrong-but-flagged and missing cells (silent ones are always listed).")
def eval_cmd(out: Path, expected_dir: Path, max_silent: int | None, min_accuracy: float | None,
             max_false_alarm_rate: float | None, as_json: bool, verbose: bool) -> None:
    """Score a run against hand-checked expected files.

    OUT is the output folder of `extractor run`: its store's newest run is scored, with
    people's decisions applied as in the exports. OUT may also be a results.jsonl from
    elsewhere (or a folder holding one and no store); an errors.jsonl beside it is read too.

    Exit status: 0 when every threshold holds, 1 when one is violated, 2 on usage errors.
    """
    try:
        expected = ev.load_expected_dir(expected_dir)
        run_output = ev.load_run(out)
    except ev.EvalError as e:
        raise click.UsageError(str(e)) from e
    thresholds = ev.Thresholds(max_silent=max_silent, min_accuracy=min_accuracy,
                               max_false_alarm_rate=max_false_alarm_rate)
    evaluation = ev.evaluate(run_output, expected)
    failed = ev.violations(evaluation, thresholds)
    if as_json:
        doc = ev.to_json(evaluation, thresholds, failed)
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        click.echo(ev.render_text(evaluation, failed, verbose=verbose))
    if failed:
        sys.exit(1)


def _llm_pass(llm: str, config: Path | None, **flags: object) -> LLMPass | None:
    from pydantic import ValidationError

    from extractor.llm.client import LLMClient
    from extractor.llm.config import load_settings
    from extractor.llm.reader import LLMPass

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


@main.command("review")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("-o", "--output", "dest", type=click.Path(path_type=Path, file_okay=False),
              default=None, help="Where to write index.html and decisions.csv [default: "
                                 "OUT/review, or review/ beside a results.jsonl].")
@click.option("--all", "include_all", is_flag=True,
              help="Also show reports without flags (to spot-check them).")
def review_cmd(out: Path, dest: Path | None, include_all: bool) -> None:
    """Write a review page and a decisions file for a run.

    OUT is the output folder of `extractor run`: its store's newest run is reviewed, with
    people's decisions applied as in the exports. OUT may also be a results.jsonl from
    elsewhere (or a folder holding one and no store).

    Open index.html in a browser (no server needed), record a decision per flagged cell, and
    download decisions.csv (or fill the written one); then `extractor correct DECISIONS.csv`.
    """
    from extractor.review.page import ReviewError, review

    try:
        result = review(out, dest, include_all=include_all)
    except ReviewError as e:
        raise click.UsageError(str(e)) from e
    left_out = f"; {result.skipped} without flags left out (--all shows them)" if result.skipped else ""
    click.echo(f"{result.reports} reports, {result.flags} flags, {result.rows} flagged cells to "
               f"decide{left_out}")
    click.echo(f"review page: {result.page}")
    click.echo(f"decisions:   {result.decisions}")
    if result.kept_aside is not None:
        click.echo(f"the decisions file there held a reviewer's work: it is kept as "
                   f"{result.kept_aside}; the new one carries its {result.carried} decisions on "
                   f"cells still to decide and {result.appended} more rows on cells no longer "
                   "to decide (nothing was lost)", err=True)


def _aliases(path: Path | None) -> dict | None:
    from extractor.panel import AliasError, load_aliases

    try:
        return load_aliases(path) if path is not None else None
    except AliasError as e:
        raise click.UsageError(str(e)) from e


@main.command("panel")
@click.argument("out", type=click.Path(path_type=Path, exists=True))
@click.option("--aliases", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              default=None, help="Agency alias CSV: name, canonical, region_code.")
@click.option("--format", "formats", type=click.Choice(["csv", "parquet", "sqlite", "xlsx"]),
              multiple=True, default=("csv",), show_default=True, help="Repeat for several.")
@click.option("--to", "dest", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder to write into (default OUT).")
def panel_cmd(out: Path, aliases: Path | None, formats: tuple[str, ...], dest: Path | None) -> None:
    """Build the agency × year panel of a run and check its reports across years (X1–X4).

    OUT is the output folder of `extractor run` (its newest run) or a results.jsonl. Writes
    panel, panel_flags and panel_checks in each format, and adds the cross-document flags to
    OUT/flags.csv. Never changes a number.
    """
    from extractor.outputs.export import ExportError
    from extractor.outputs.items import RunSourceError, read_run
    from extractor.panel import panel_step, run_panel
    from extractor.store.store import STORE_NAME, Store, StoreError

    alias_map = _aliases(aliases)
    folder = out if out.is_dir() else out.parent
    try:
        if out.is_dir() and (out / STORE_NAME).is_file():
            with Store(out) as store:
                run_id = store.latest_run()
                if run_id is None:
                    raise click.UsageError(f"{out} holds no run yet: run `extractor run` first")
                p = run_panel(store, run_id, out, alias_map, True, formats, dest)
        else:
            p = panel_step(read_run(out), folder, alias_map, formats, dest)
    except (RunSourceError, ExportError, StoreError) as e:
        raise click.UsageError(str(e)) from e
    assert p is not None
    for problem in p.errors:
        click.echo(f"panel: {problem}", err=True)
    x1 = p.outcomes("X1")
    unlinked = sum(1 for d in p.docs if d.previous_year is None and d.next_year is None)
    click.echo(f"{len(p.docs)} reports, {p.agencies} agencies, {p.links} links to a previous "
               f"year; X1 {x1['pass']} pass, {x1['fail']} fail, {x1['not_assessable']} not "
               f"assessable; {len(p.flags)} cross-document findings; {unlinked} reports "
               f"without a neighbouring year -> {dest or folder}")


@main.command("fields")
@click.option("-o", "--output", "target", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="Write the CSV to this file (UTF-8 with BOM, as docs/fields.csv) "
              "instead of printing it.")
def fields_cmd(target: Path | None) -> None:
    """Print the data dictionary: every field path, its Chinese label, section, template
    versions, type, unit, and the field of the other template version measuring the same
    thing (docs/fields.csv is this output)."""
    from extractor.outputs.fields import fields_csv, write_fields_csv

    if target is None:
        click.echo(fields_csv(), nl=False)
    else:
        write_fields_csv(target)
        click.echo(str(target))


@main.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of one results.jsonl record."""
    json.dump(Record.model_json_schema(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
