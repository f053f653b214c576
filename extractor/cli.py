"""Command line: `extractor run PATH... -o OUT`, `extractor schema`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from extractor import __version__
from extractor.outputs import write_outputs
from extractor.pipeline import InputError, discover, run
from extractor.schema import Record

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
    files, errors, skipped = discover(paths)
    for e in errors:
        click.echo(f"ERROR {e.path}: {e.error}", err=True)
    records: list[Record] = []
    for result in run(files):
        if isinstance(result, InputError):
            errors.append(result)
            click.echo(f"ERROR {result.path}: {result.error}", err=True)
            continue
        records.append(result)
        if result.truncated and not quiet:
            click.echo(f"WARN  {result.meta.source_file}: truncated report: the document stops "
                       "before a template table; the cells it cuts off are missing", err=True)
    write_outputs(out, records, errors)
    cells = sum(r.summary.cells for r in records)
    verified = sum(r.summary.verified for r in records)
    grounded = sum(r.summary.grounded for r in records)
    flagged = sum(r.summary.flagged for r in records)
    if llm != "off" and not quiet:
        click.echo(f"note: {LLM_WOULD_ADD}", err=True)
    extra = f", {skipped} other files skipped" if skipped else ""
    click.echo(
        f"{len(records)} reports, {cells} cells: {verified} verified, {grounded} grounded only, "
        f"{flagged} flagged; {len(errors)} errors{extra} -> {out}"
    )


@main.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of one results.jsonl record."""
    json.dump(Record.model_json_schema(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
