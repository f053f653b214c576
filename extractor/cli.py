"""Command line: `extractor run PATH... -o OUT`, `extractor eval OUT --expected DIR`,
`extractor review OUT`, `extractor schema`."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import click

from extractor import __version__
from extractor import evaluate as ev
from extractor.outputs import BatchWriter
from extractor.pipeline import InputError, discover, process
from extractor.schema import Record, Summary

if TYPE_CHECKING:
    from extractor.llm.second_pass import LLMPass

LLM_WOULD_ADD = (
    "no LLM configured: deterministic path only. An LLM would add the numbers stated in the "
    "narrative and their checks against the tables (C1), a second reading of tables whose "
    "layout the rules could not place, and metadata the rules miss; configure one with "
    "EXTRACTOR_MODEL and OPENAI_BASE_URL (or --model/--base-url, see README)."
)


@click.group()
@click.version_option(__version__, prog_name="extractor")
def main() -> None:
    """Verified numbers from government information-disclosure annual reports."""


@main.command("run")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--out", "out", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Output folder (created if needed).")
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
@click.option("--quiet", "-q", is_flag=True, help="Only the summary line.")
def run_cmd(paths: tuple[Path, ...], out: Path, llm: str, model: str | None, base_url: str | None,
            mode: str | None, config: Path | None, no_cache: bool, refresh_cache: bool,
            max_cost: Decimal | None, quiet: bool) -> None:
    """Extract and verify every report in PATHS (files or folders)."""
    if no_cache and refresh_cache:
        raise click.UsageError("--no-cache and --refresh-cache exclude each other")
    second = None
    if llm != "off":
        second = _llm_pass(llm, config, model=model, base_url=base_url, mode=mode, max_cost=max_cost,
                           cache="off" if no_cache else "refresh" if refresh_cache else None)
    files, missing, skipped = discover(paths)
    totals = Summary()
    reports = errors = 0
    budget = second.client.settings.max_cost if second is not None else None
    with BatchWriter(out) as writer:
        for item in [*missing, *files]:
            if isinstance(item, InputError):
                result: Record | InputError = item
            elif budget is not None and second is not None and second.client.spent() >= budget:
                result = InputError(file=item.name, path=str(item), kind="not_processed",
                                    error=f"not processed: the LLM budget --max-cost {budget} is "
                                    f"spent ({second.client.spent():.4f}); run again to continue")
            else:
                result = process(item, second)
            if isinstance(result, InputError):
                errors += 1
                writer.add_error(result)
                click.echo(f"ERROR {result.path}: {result.error}", err=True)
                continue
            reports += 1
            writer.add(result)
            for field in ("cells", "verified", "grounded", "flagged"):
                setattr(totals, field, getattr(totals, field) + getattr(result.summary, field))
            if result.truncated and not quiet:
                click.echo(f"WARN  {result.meta.source_file}: truncated report: the document "
                           "stops before a template table; the cells it cuts off are missing",
                           err=True)
    if second is not None:
        _llm_summary(second, quiet)
        second.client.close()
    elif llm != "off" and not quiet:
        click.echo(f"note: {LLM_WOULD_ADD}", err=True)
    extra = f", {skipped} other files skipped" if skipped else ""
    click.echo(
        f"{reports} reports, {totals.cells} cells: {totals.verified} verified, "
        f"{totals.grounded} grounded only, {totals.flagged} flagged; {errors} errors{extra} -> {out}"
    )


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
    """Score the output folder OUT of `extractor run` against hand-checked expected files.

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
    from extractor.llm.second_pass import LLMPass

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
    return LLMPass(LLMClient(settings), always=llm == "on")


def _llm_summary(second: LLMPass, quiet: bool) -> None:
    c = second.client
    s = c.stats
    for note in c.notes:
        click.echo(f"note: {note}", err=True)
    if not quiet:
        click.echo(
            f"LLM {c.settings.model} ({c.mode}): {s.http_calls} HTTP calls, {s.cache_hits} cache "
            f"hits, {s.retries} retries; paid this run: {s.live_prompt_tokens} prompt + "
            f"{s.live_completion_tokens} completion tokens, cost {c.spent():.4f}", err=True)


@main.command("review")
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@click.option("-o", "--output", "dest", type=click.Path(path_type=Path, file_okay=False),
              default=None, help="Where to write index.html and decisions.csv [default: OUT/review].")
@click.option("--all", "include_all", is_flag=True,
              help="Also show reports without flags (to spot-check them).")
def review_cmd(out: Path, dest: Path | None, include_all: bool) -> None:
    """Write a review page and a decisions file for the run output folder OUT.

    Open index.html in a browser (no server needed), record a decision per flagged cell, and
    download decisions.csv (or fill the written one); then `extractor correct DECISIONS.csv`.
    """
    from extractor.review import ReviewError, review

    try:
        result = review(out, dest, include_all=include_all)
    except ReviewError as e:
        raise click.UsageError(str(e)) from e
    left_out = f"; {result.skipped} without flags left out (--all shows them)" if result.skipped else ""
    click.echo(f"{result.reports} reports, {result.flags} flags, {result.rows} flagged cells to "
               f"decide{left_out}")
    click.echo(f"review page: {result.page}")
    click.echo(f"decisions:   {result.decisions}")


@main.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of one results.jsonl record."""
    json.dump(Record.model_json_schema(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
