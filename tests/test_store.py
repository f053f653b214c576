"""The run store: resume without loss or duplicates, parallel runs, exports, corrections."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from results_file import cells_joined, cells_text, results_records

from extractor.cli import main
from extractor.review.decisions import COLUMNS
from extractor.schema import Record

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ROOT / "golden" / "inputs"
TEXT_REPORTS = sorted(p for p in INPUTS.iterdir() if p.suffix == ".txt")


def cli(*args: object) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, [str(a) for a in args])
    return r.exit_code, r.stdout, r.stderr


def records(out: Path) -> list[Record]:
    return results_records(out)


def batch(tmp: Path, copies: int) -> Path:
    """`copies` distinct documents: the golden text reports with a line added to each copy."""
    folder = tmp / "batch"
    folder.mkdir()
    for i in range(copies):
        src = TEXT_REPORTS[i % len(TEXT_REPORTS)]
        text = src.read_text(encoding="utf-8")
        (folder / f"{i:04d}_{src.name}").write_text(text + f"\n（副本 {i}）\n", encoding="utf-8")
    return folder


def test_a_second_run_reuses_every_document_and_writes_the_same_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, first, _ = cli("run", INPUTS, "-o", out, "--llm", "off")
    assert code == 0
    # flags.csv's snippets come from the text: the store keeps it for items it renders
    before = {name: (out / name).read_bytes()
              for name in ("results.jsonl.gz", "cells.csv.gz", "reports.csv", "flags.csv")}
    code, second, _ = cli("run", INPUTS, "-o", out, "--llm", "off")
    assert code == 0
    n = len(list(INPUTS.iterdir()))
    assert f"{n} reports ({n} already done)" in second
    assert first.split(",", 1)[1] == second.split(")", 1)[1].lstrip(",")  # same totals
    for name, data in before.items():
        assert (out / name).read_bytes() == data, name
    db = sqlite3.connect(out / "store.sqlite")
    assert db.execute("SELECT count(*) FROM results").fetchone()[0] == n
    assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 2


def test_parallel_jobs_give_the_same_outputs_in_input_order(tmp_path: Path) -> None:
    assert cli("run", INPUTS, "-o", tmp_path / "one", "--llm", "off")[0] == 0
    assert cli("run", INPUTS, "-o", tmp_path / "two", "--llm", "off", "--jobs", "2")[0] == 0
    for name in ("results.jsonl.gz", "cells.csv.gz", "reports.csv", "flags.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_kill_9_mid_run_then_rerun_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    folder = batch(tmp_path, 120)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "extractor", "run", str(folder), "-o", str(out), "--llm", "off"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    store = out / "store.sqlite"
    deadline = time.monotonic() + 60
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if store.exists():
            try:
                with sqlite3.connect(store) as db:
                    done = db.execute("SELECT count(*) FROM results").fetchone()[0]
            except sqlite3.OperationalError:
                done = 0
            if done >= 5:
                break
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed; make the batch bigger"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 5 <= done < 120
    assert not (out / "results.jsonl.gz").exists()  # the export is written only at the end

    code, stdout, _ = cli("run", folder, "-o", out, "--llm", "off")
    assert code == 0
    reused = int(stdout.split("(")[1].split()[0])
    assert reused >= done
    got = records(out)
    assert [Path(r.meta.source_file).name for r in got] == sorted(p.name for p in folder.iterdir())
    assert len({r.meta.sha256 for r in got}) == 120
    assert not list(out.glob(".*.tmp"))

    clean = tmp_path / "clean"
    assert cli("run", folder, "-o", clean, "--llm", "off")[0] == 0
    assert (clean / "results.jsonl.gz").read_bytes() == (out / "results.jsonl.gz").read_bytes()


def test_a_broken_file_is_an_error_in_every_run_and_never_stops_the_batch(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(TEXT_REPORTS[0], folder / "good.txt")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    out = tmp_path / "out"
    for _ in range(2):
        code, stdout, stderr = cli("run", folder, "-o", out, "--llm", "off")
        assert code == 0 and "1 errors" in stdout and "broken.pdf" in stderr
        errors = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
        assert [e["file"] for e in errors] == ["broken.pdf"] and errors[0]["kind"] == "input"
        assert len(records(out)) == 1


def test_same_content_under_two_names_is_extracted_once(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(TEXT_REPORTS[0], folder / "a.txt")
    shutil.copy(TEXT_REPORTS[0], folder / "b.txt")
    out = tmp_path / "out"
    code, stdout, _ = cli("run", folder, "-o", out, "--llm", "off", "--jobs", "2")
    assert code == 0 and "2 reports (1 already done)" in stdout
    assert len(records(out)) == 2


def test_exports_csv_jsonl_parquet_sqlite(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("run", *TEXT_REPORTS[:3], "-o", out, "--llm", "off")[0] == 0
    expected = sum(r.summary.cells for r in records(out))
    for fmt in ("csv", "jsonl", "parquet", "sqlite"):
        code, stdout, stderr = cli("export", out, "--format", fmt, "--to", tmp_path / fmt)
        assert code == 0, stderr
    assert cells_text(tmp_path / "csv").startswith("\ufeff")  # UTF-8 with BOM, for Excel
    with open(tmp_path / "csv" / "reports.csv", encoding="utf-8-sig") as fh:
        assert len(list(csv.DictReader(fh))) == 3
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "parquet" / "reports.parquet").num_rows == 3
    cells = pq.read_table(tmp_path / "parquet" / "cells.parquet")
    assert cells.num_rows == expected
    assert str(cells.schema.field("span_start").type) == "int64"
    db = sqlite3.connect(tmp_path / "sqlite" / "export.sqlite")
    assert db.execute("SELECT count(*) FROM reports").fetchone()[0] == 3
    assert db.execute("SELECT count(*) FROM cells").fetchone()[0] == expected
    assert (tmp_path / "jsonl" / "results.jsonl.gz").read_bytes() == (out / "results.jsonl.gz").read_bytes()


def test_export_of_a_folder_without_a_store_is_a_usage_error(tmp_path: Path) -> None:
    code, _, stderr = cli("export", tmp_path, "--format", "csv")
    assert code == 2 and "run `extractor run" in stderr


def _decisions(out: Path, rows: list[dict[str, str]]) -> Path:
    path = out / "review" / "decisions.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        for row in rows:
            w.writerow({c: row.get(c, "") for c in COLUMNS})
    return path


def _flagged_cell(out: Path) -> tuple[Record, str]:
    for r in records(out):
        from extractor.schema import CellStatus, iter_cells

        for c in iter_cells(r.tables):
            if c.status is CellStatus.FLAGGED and c.state.value == "number":
                return r, c.path
    raise AssertionError("no flagged number in the batch")


def test_corrections_are_applied_shown_and_survive_reextraction(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("run", INPUTS, "-o", out, "--llm", "off")[0] == 0
    record, path = _flagged_cell(out)
    sha = record.meta.sha256
    decisions = _decisions(out, [
        {"sha256": sha, "path": path, "decision": "set", "value": "12345", "reviewer": "王"},
        {"sha256": sha, "path": "s3.granted.total", "decision": "source_wrong"},
        {"sha256": sha, "path": "s3.new_received.total", "decision": ""},  # undecided: ignored
    ])
    code, stdout, stderr = cli("correct", decisions)
    assert code == 0, stderr
    assert "2 decisions imported (0 accept, 1 set, 1 source_wrong; 1 rows undecided)" in stdout

    def check() -> None:
        r = next(r for r in records(out) if r.meta.sha256 == sha)
        cells = {c.path: c for c in __import__("extractor.schema").schema.iter_cells(r.tables)}
        assert cells[path].value == 12345 and cells[path].status.value == "corrected"
        assert cells[path].correction is not None and cells[path].correction.reviewer == "王"
        assert cells["s3.granted.total"].correction.decision == "source_wrong"
        assert r.summary.corrected == 2
        row = next(x for x in cells_joined(out) if x["sha256"] == sha and x["path"] == path)
        assert (row["value"], row["status"], row["decision"]) == ("12345", "corrected", "set")

    check()
    # Re-extraction (--redo processes every document again) keeps the decisions.
    code, stdout, _ = cli("run", INPUTS, "-o", out, "--llm", "off", "--redo")
    assert code == 0 and "already done" not in stdout
    check()


def test_a_bad_decisions_file_imports_nothing_and_says_every_problem(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("run", TEXT_REPORTS[0], "-o", out, "--llm", "off")[0] == 0
    sha = records(out)[0].meta.sha256
    decisions = _decisions(out, [
        {"sha256": sha, "path": "s3.granted.total", "decision": "set", "value": "abc"},
        {"sha256": sha, "path": "s3.nonsense.total", "decision": "accept"},
        {"sha256": sha, "path": "s3.granted.commercial", "decision": "maybe"},
        {"sha256": sha, "path": "s3.granted.research", "decision": "accept"},  # fine alone
    ])
    code, _, stderr = cli("correct", decisions)
    assert code == 1
    assert "3 problem(s), nothing imported" in stderr
    assert "line 2" in stderr and "line 3" in stderr and "line 4" in stderr
    with sqlite3.connect(out / "store.sqlite") as db:
        assert db.execute("SELECT count(*) FROM corrections").fetchone()[0] == 0


def test_decisions_for_a_document_not_in_the_store_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("run", TEXT_REPORTS[0], "-o", out, "--llm", "off")[0] == 0
    decisions = _decisions(out, [{"sha256": "ab" * 32, "path": "s3.granted.total",
                                  "decision": "accept"}])
    code, _, stderr = cli("correct", decisions)
    assert code == 1 and "not in" in stderr and "nothing imported" in stderr


def test_plain_log_lines_when_not_on_a_terminal(tmp_path: Path) -> None:
    folder = batch(tmp_path, 25)
    code, _, stderr = cli("run", folder, "-o", tmp_path / "out", "--llm", "off")
    assert code == 0
    assert "[25/25]" in stderr and "docs/s" in stderr and "flagged cells" in stderr


@pytest.mark.parametrize("rpm,tpm,requests,expect_wait", [(2, None, 3, True), (None, 100, 3, True),
                                                           (10, 1000, 3, False)])
def test_rate_limiter_waits_for_room_in_the_window(rpm: int | None, tpm: int | None,
                                                   requests: int, expect_wait: bool) -> None:
    from extractor.llm.ratelimit import RateLimiter

    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    limiter = RateLimiter(rpm, tpm, clock=lambda: now[0], sleep=sleep)
    for _ in range(requests):
        booking = limiter.acquire(40)
        limiter.settle(booking, 60)  # the server counted more than the estimate
    assert bool(slept) is expect_wait
    if expect_wait:
        assert now[0] >= 60.0  # the third request waited for the window to move


def test_review_decisions_file_round_trips_through_correct(tmp_path: Path) -> None:
    """The file `extractor review` writes, filled in by a reviewer, imports as it is."""
    out = tmp_path / "out"
    assert cli("run", INPUTS, "-o", out, "--llm", "off")[0] == 0
    code, _, stderr = cli("review", out)
    assert code == 0, stderr
    path = out / "review" / "decisions.csv"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and list(rows[0]) == list(COLUMNS)
    numbers = [r for r in rows if r["machine_state"] == "number"]
    numbers[0]["decision"] = "accept"
    numbers[1].update(decision="set", value="7", note="表格印错，正文为7")
    other = next(r for r in rows if r["machine_state"] != "number")
    other["decision"] = "source_wrong"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    code, stdout, stderr = cli("correct", path)
    assert code == 0, stderr
    assert f"3 decisions imported (1 accept, 1 set, 1 source_wrong; {len(rows) - 3} rows undecided)" in stdout
    by_key = {(r.meta.sha256, c.path): c for r in records(out)
              for c in __import__("extractor.schema").schema.iter_cells(r.tables)}
    accepted = by_key[(numbers[0]["sha256"], numbers[0]["path"])]
    assert accepted.status.value == "corrected" and not accepted.correction.machine_changed
    assert str(accepted.value) == numbers[0]["machine_value"]
    changed = by_key[(numbers[1]["sha256"], numbers[1]["path"])]
    assert changed.value == 7 and changed.correction.note == "表格印错，正文为7"
    assert by_key[(other["sha256"], other["path"])].correction.decision == "source_wrong"
    # The next review shows the decided cells as corrected and no longer asks about them;
    # the filled file is not overwritten: it is kept aside, its decisions kept in the new one.
    filled = path.read_bytes()
    code, _, stderr = cli("review", out)
    assert code == 0 and "kept as" in stderr, stderr
    kept = [p for p in path.parent.iterdir() if p.name.startswith("decisions.before-")]
    assert len(kept) == 1 and kept[0].read_bytes() == filled
    with open(path, encoding="utf-8-sig", newline="") as fh:
        again = list(csv.DictReader(fh))
    undecided = {(r["sha256"], r["path"]) for r in again if not r["decision"]}
    assert (numbers[1]["sha256"], numbers[1]["path"]) not in undecided
    assert {(r["sha256"], r["path"], r["decision"], r["value"]) for r in again if r["decision"]} == {
        (r["sha256"], r["path"], r["decision"], r["value"]) for r in (numbers[0], numbers[1], other)}


def test_ctrl_c_stops_cleanly_and_the_same_command_resumes(tmp_path: Path) -> None:
    folder = batch(tmp_path, 120)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "extractor", "run", str(folder), "-o", str(out), "--llm", "off",
           "--jobs", "2", "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    store = out / "store.sqlite"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with sqlite3.connect(store) as db:
                if db.execute("SELECT count(*) FROM results").fetchone()[0] >= 5:
                    break
        except sqlite3.Error:
            pass
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends: the whole process group
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "run the same command again to resume" in stderr
    assert "Traceback" not in stderr
    code, stdout, _ = cli("run", folder, "-o", out, "--llm", "off")
    assert code == 0 and "already done" in stdout
    assert len(records(out)) == 120


def test_on_a_terminal_the_progress_bar_shows_counts_and_tallies() -> None:
    import io

    from rich.console import Console

    from extractor.run.batch import Event, Totals
    from extractor.run.progress import RunDisplay
    from extractor.schema import InputError

    stream = io.StringIO()
    display = RunDisplay(stream=stream, live=True)
    totals = Totals(inputs=3, flagged=7, missing=5, errors=1)
    with display:
        display._console = Console(file=stream, force_terminal=True, width=160)
        err = InputError(file="x.pdf", path="in/x.pdf", kind="input", error="encrypted PDF")
        for i in range(1, 4):
            display(Event(i, 3, f"in/{i}.txt", err if i == 2 else None, False, totals))
    text = stream.getvalue()
    assert "ERROR in/x.pdf: encrypted PDF" in text
    assert "3/3" in text and "2 flagged cells to review, 5 missing, 1 failed" in text


def test_an_output_folder_whose_store_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "store.sqlite").write_bytes(b"this is not sqlite" * 100)
    code, _, stderr = cli("run", TEXT_REPORTS[0], "-o", out, "--llm", "off")
    assert code == 2 and "not a readable run store" in stderr and "Traceback" not in stderr
    code, _, stderr = cli("export", out)
    assert code == 2 and "not a readable run store" in stderr


def test_a_decisions_file_saved_by_excel_in_gbk_imports(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("run", TEXT_REPORTS[0], "-o", out, "--llm", "off")[0] == 0
    sha = records(out)[0].meta.sha256
    path = out / "review" / "decisions.csv"
    path.parent.mkdir()
    lines = [",".join(COLUMNS),
             ",".join({"sha256": sha, "path": "s3.granted.total", "label": "（一）予以公开·总计",
                       "decision": "accept", "note": "已核对原文"}.get(c, "") for c in COLUMNS)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    code, stdout, stderr = cli("correct", path)
    assert code == 0, stderr
    cell = next(c for c in __import__("extractor.schema").schema.iter_cells(records(out)[0].tables)
                if c.path == "s3.granted.total")
    assert cell.correction is not None and cell.correction.note == "已核对原文"


def test_the_progress_tally_counts_missing_cells_apart_on_first_and_resumed_runs(
        tmp_path: Path) -> None:
    """The golden expected files (read by hand) say which cells are MISSING; the run's tally
    of missing cells must count exactly those, whether extracted now or found done."""
    from extractor.evaluate.evaluation import expected_cells, load_expected_dir
    from extractor.run.batch import run_batch

    expected = load_expected_dir(ROOT / "golden" / "expected")
    want = sum(1 for exp in expected.values() for r in expected_cells(exp).values()
               if r.state == "missing")
    inputs = [ROOT / "golden" / "inputs"]
    first = run_batch(inputs, tmp_path / "out")
    again = run_batch(inputs, tmp_path / "out")
    assert again.reused == first.reports == 19
    assert first.missing == again.missing == want


def test_a_rolled_back_insert_forgets_the_text_ids_it_made(tmp_path: Path) -> None:
    """`Store` remembers `cell_text` ids across reports; an insert that fails rolls its new
    texts back, and a later report with the same text must get a real id (a remembered id
    of a rolled-back row would point nowhere: the cell would vanish from the `cells` view)."""
    from dataclasses import replace

    from extractor.run.pipeline import process
    from extractor.schema import iter_cells
    from extractor.store.rows import cell_groups, cell_row, result_rows
    from extractor.store.store import Store

    src = Path(__file__).resolve().parent.parent / "golden" / "inputs" / "lvyuan_health_2020.txt"
    record = process(src)
    assert isinstance(record, Record)
    rows = result_rows(record, b"")
    cells = [cell_row(c) for c in iter_cells(record.tables)]
    new_reason = "a reason no report has given before"
    first = (*cells[0][:7], new_reason, *cells[0][8:])
    broken = (*cells[1][:2], "not an integer", *cells[1][3:])  # fails the CHECK on value
    with Store(tmp_path) as store:
        run = store.begin_run("k", "v", [], "c")
        with pytest.raises(sqlite3.IntegrityError):
            store.add_rows(run, 0, src, "a" * 64, 1, replace(
                rows, cells=cell_groups([first, broken, *cells[2:]])), "k", {}, "c")
        assert store.db.execute("SELECT count(*) FROM cell_text WHERE text=?",
                                (new_reason,)).fetchone() == (0,)
        rid = store.add_rows(run, 1, src, "b" * 64, 1, replace(
            rows, cells=cell_groups([first, *cells[1:]])), "k", {}, "c")
        got = store.db.execute("SELECT reasons FROM cells WHERE result_id=? AND path=?",
                               (rid, cells[0][0])).fetchone()
        assert got == (new_reason,)
        assert store.db.execute("SELECT count(*) FROM cells WHERE result_id=?",
                                (rid,)).fetchone() == (len(cells),)
