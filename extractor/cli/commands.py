"""The commands over a run's folder: `export`, `correct`, `eval`, `review`, `panel`, and `fields`, `schema`."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from extractor.evaluate import evaluation as ev
from extractor.schema import SCHEMA_VERSION, Record

if TYPE_CHECKING:
    from extractor.outputs.items import Item
    from extractor.store.store import Store
from extractor.cli import Refused, aliases_of, environment_error, main


@main.command("export")
@click.argument("out", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "parquet", "sqlite", "xlsx"]),
              default="csv", show_default=True)
@click.option("--to", "dest", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder to write into (default OUT/export).")
@click.option("--run", "run_id", type=int, default=None, help="Run number (default the latest).")
@click.option("--with-text", is_flag=True,
              help="jsonl: results lines carry the normalized text (left out by default).")
@click.option("--cell-labels", is_flag=True,
              help="csv: cells.csv with every identity and label column (lean by default).")
def export_cmd(out: Path, fmt: str, dest: Path | None, run_id: int | None, with_text: bool,
               cell_labels: bool) -> None:
    """Export a run from OUT's store: one row per report and one row per cell, with people's
    decisions applied (csv: UTF-8 with BOM; parquet needs the `parquet` extra; xlsx: a
    workbook with cells coloured by status). Except for jsonl, the run's agency × year panel
    and its cross-document flags come with it in the same format (as `extractor panel`
    writes them; csv also adds those flags to flags.csv, as the run does)."""
    from extractor.outputs.export import ExportError, export
    from extractor.outputs.options import OutputOptions
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
            written = export(store, fmt, dest or out / "export", run_id,
                             OutputOptions(with_text, cell_labels))
            if fmt != "jsonl":  # the panel's formats are the other four
                written += _export_panel(store, run_id, dest or out / "export", fmt)
    except (ExportError, StoreError) as e:
        raise click.UsageError(str(e)) from e
    except (OSError, sqlite3.DatabaseError) as e:
        raise environment_error(e, dest or out / "export") from e
    for p in written:
        click.echo(str(p))


def _export_panel(store: Store, run_id: int | None, dest: Path, fmt: str) -> list[Path]:
    """The panel of the exported run (with the folder's alias file) beside the export, in its
    format; a csv export's flags.csv gets the cross-document flags, as the run's does."""
    from extractor.outputs.items import run_items
    from extractor.panel import folder_aliases, panel_step
    from extractor.panel.write import panel_files

    rid = run_id if run_id is not None else store.latest_run()
    if rid is None:
        return []
    aliases, _ = folder_aliases(store, None)
    panel = panel_step(run_items(store, rid), dest, aliases, (fmt,))
    for problem in panel.errors:
        click.echo(f"panel: {problem}", err=True)
    return panel_files(dest, fmt)


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
        raise environment_error(e, out) from e


def _import_decisions(out: Path, decisions: Path, rows: list, undecided: int) -> None:
    from extractor.outputs.export import write_run
    from extractor.panel import folder_aliases, run_panel
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
        panel = None
        if latest is not None:
            write_run(store, latest, out)
            checked = recheck_run(store, latest, {r.sha256 for r in rows})
            if (out / "panel.csv").is_file():  # the run built one: rebuilt on the decisions
                aliases, _ = folder_aliases(store, None)
                panel = run_panel(store, latest, out, aliases, force=True)
    kinds = {d: sum(r.correction.decision == d for r in rows) for d in ("accept", "set", "source_wrong")}
    click.echo(f"{n} decisions imported ({kinds['accept']} accept, {kinds['set']} set, "
               f"{kinds['source_wrong']} source_wrong; {undecided} rows undecided) into "
               f"{out / STORE_NAME}; exports rewritten")
    _correct_summary(checked)
    if panel is not None:
        x1 = panel.outcomes("X1")
        click.echo(f"panel rebuilt with these decisions: X1 {x1['pass']} pass, {x1['fail']} "
                   f"fail; {len(panel.flags)} cross-document findings")


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
    people's decisions applied as in the exports. OUT may also be a results.jsonl.gz (or results.jsonl) from
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



@main.command("review")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("-o", "--output", "dest", type=click.Path(path_type=Path, file_okay=False),
              default=None, help="Where to write index.html and decisions.csv [default: "
                                 "OUT/review, or review/ beside a results file].")
@click.option("--all", "include_all", is_flag=True,
              help="Also show reports without flags (to spot-check them).")
def review_cmd(out: Path, dest: Path | None, include_all: bool) -> None:
    """Write a review page and a decisions file for a run.

    OUT is the output folder of `extractor run`: its store's newest run is reviewed, with
    people's decisions applied as in the exports. OUT may also be a results.jsonl.gz (or results.jsonl) from
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



@main.command("panel")
@click.argument("out", type=click.Path(path_type=Path, exists=True))
@click.option("--aliases", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              default=None, help="Agency alias CSV: name, canonical, region_code. Remembered "
              "for OUT (default: the one OUT was last given; an empty file for none).")
@click.option("--format", "formats", type=click.Choice(["csv", "parquet", "sqlite", "xlsx"]),
              multiple=True, default=("csv",), show_default=True, help="Repeat for several.")
@click.option("--to", "dest", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder to write into (default OUT).")
def panel_cmd(out: Path, aliases: Path | None, formats: tuple[str, ...], dest: Path | None) -> None:
    """Build the agency × year panel of a run and check its reports across years (X1–X4).

    OUT is the output folder of `extractor run` (its newest run) or a results.jsonl.gz. Writes
    panel, panel_flags and panel_checks in each format, and adds the cross-document flags to
    OUT/flags.csv. Never changes a number.
    """
    from extractor.outputs.export import ExportError
    from extractor.outputs.items import RunSourceError, read_run
    from extractor.panel import folder_aliases, panel_step, run_panel
    from extractor.store.store import STORE_NAME, Store, StoreError

    alias_map = aliases_of(aliases)
    folder = out if out.is_dir() else out.parent
    try:
        if out.is_dir() and (out / STORE_NAME).is_file():
            with Store(out) as store:
                run_id = store.latest_run()
                if run_id is None:
                    raise click.UsageError(f"{out} holds no run yet: run `extractor run` first")
                alias_map, recalled = folder_aliases(store, alias_map)
                if recalled and alias_map is not None:
                    click.echo(f"with the alias file given earlier in {out} ({len(alias_map)} "
                               "names); --aliases FILE replaces it", err=True)
                p = run_panel(store, run_id, out, alias_map, True, formats, dest)
        else:
            textless = [0]

            def counted(items: Iterable[Item]) -> Iterator[Item]:
                for item in items:
                    textless[0] += not item.has_text
                    yield item

            p = panel_step(counted(read_run(out)), folder, alias_map, formats, dest)
            if textless[0]:
                click.echo(f"note: {textless[0]} reports came without their text (results "
                           "lines carry it only with --with-text), so their cells in "
                           "panel_flags have no snippet; name the run's folder instead, whose "
                           "store keeps the text", err=True)
    except (RunSourceError, ExportError, StoreError) as e:
        raise click.UsageError(str(e)) from e
    assert p is not None
    for problem in p.errors:
        click.echo(f"panel: {problem}", err=True)
    x1 = p.outcomes("X1")
    click.echo(f"{len(p.docs)} reports, {p.agencies} agencies, {p.links} links to a previous "
               f"year; X1 {x1['pass']} pass, {x1['fail']} fail, {x1['not_assessable']} not "
               f"assessable; {len(p.flags)} cross-document findings; {p.alone} reports "
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
