"""Command line: `extractor run PATH... -o OUT`, `extractor schema`."""

from __future__ import annotations

import json
import sys
from itertools import chain
from pathlib import Path

import click

from extractor import __version__
from extractor.outputs import BatchWriter
from extractor.pipeline import InputError, discover, run
from extractor.schema import Record, Summary

LLM_WOULD_ADD = (
    "no LLM configured: deterministic path only. An LLM (issue 4) would add the numbers "
    "stated in the narrative and their checks against the tables (C1), a second reading of "
    "tables whose layout the rules could not place, and metadata the rules miss."
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
@click.option("--quiet", "-q", is_flag=True, help="Only the summary line.")
def run_cmd(paths: tuple[Path, ...], out: Path, llm: str, quiet: bool) -> None:
    """Extract and verify every report in PATHS (files or folders)."""
    if llm == "on":
        raise click.UsageError("--llm on: no LLM client is available in this version (issue 4)")
    files, missing, skipped = discover(paths)
    totals = Summary()
    reports = errors = 0
    with BatchWriter(out) as writer:
        for result in chain(missing, run(files)):
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
    if llm != "off" and not quiet:
        click.echo(f"note: {LLM_WOULD_ADD}", err=True)
    extra = f", {skipped} other files skipped" if skipped else ""
    click.echo(
        f"{reports} reports, {totals.cells} cells: {totals.verified} verified, "
        f"{totals.grounded} grounded only, {totals.flagged} flagged; {errors} errors{extra} -> {out}"
    )


@main.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of one results.jsonl record."""
    json.dump(Record.model_json_schema(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
