"""No input, fault or user mistake stalls a batch, loses an input, or leaks (issue 16).

Every hostile input is made at test time (tests/hostile.py). Runs go through the installed
command in a subprocess, as a user runs it: what is checked is the exit status, the
terminal (one line, never a traceback), results.jsonl / errors.jsonl, the time taken and
the peak memory of the whole process tree.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from hostile import CASES, REPORT, nested_tables, report_text
from results_file import results_json

from extractor.schema import CellStatus, Record, iter_cells
from extractor.store.lock import write_lock

EXE = [sys.executable, "-m", "extractor"]
ROOT = Path(__file__).resolve().parent.parent


class Ran:
    def __init__(self, code: int, out: str, err: str, seconds: float, peak_mb: float) -> None:
        self.code, self.out, self.err, self.seconds, self.peak_mb = code, out, err, seconds, peak_mb


def run(*args: object, timeout: float = 240, preexec=None) -> Ran:
    """The command in a subprocess; peak RSS is the largest process of its tree (workers are
    reaped by it, so wait4 on it counts them)."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([*EXE, *map(str, args)], stdout=out, stderr=err, cwd=ROOT,
                                preexec_fn=preexec)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Ran(proc.returncode, out.read().decode("utf-8", "replace"),
                   err.read().decode("utf-8", "replace"), time.monotonic() - start,
                   usage.ru_maxrss / 1024)


def jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def outcomes(out: Path) -> tuple[dict[str, dict], dict[str, dict]]:
    results = {r["meta"]["source_file"]: r for r in results_json(out)}
    errors = {e["file"]: e for e in jsonl(out / "errors.jsonl")}
    return results, errors


# -- the battery ------------------------------------------------------------------------------

#: What each hostile input must end as: a result, or an error line whose text says why.
EXPECTED: dict[str, tuple[str, str]] = {
    "one_long_line": ("error", "not a government information-disclosure annual report"),
    "nested_tables": ("error", "not a government information-disclosure annual report"),
    "million_open_a": ("error", "not a government information-disclosure annual report"),
    "million_close": ("error", "not a government information-disclosure annual report"),
    "glyph_bomb_pdf": ("error", "glyph bomb"),
    "shared_stream_pdf": ("error", "content stream"),
    "zip_bomb_docx": ("error", "zip bomb"),
    "fifo_txt": ("error", "not a regular file (a FIFO"),
    "charset_undefined_html": ("result", ""),
    "digit_run": ("result", ""),
    "utf16_bom": ("result", ""),
    "utf16_no_bom": ("result", ""),
    "big5": ("result", ""),
    "stray_bytes": ("result", ""),
    "big_text": ("error", "characters of text, over the 5,000,000 an annual report can hold"),
}


@pytest.fixture(scope="module")
def battery(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path], Ran]:
    """Every hostile input and a real report in one folder, plus /dev/zero named on the
    command line, run as one batch with two jobs."""
    base = tmp_path_factory.mktemp("battery")
    inputs = base / "in"
    inputs.mkdir()
    made = {name: make(inputs) for name, make in CASES.items()}
    shutil.copy(REPORT, inputs / "real_report.txt")
    out = base / "out"
    ran = run("run", inputs, "/dev/zero", "-o", out, "--llm", "off", "--jobs", "2",
              "--doc-timeout", "150", "-q", timeout=600)
    return out, made, ran


def test_every_hostile_input_ends_as_a_result_or_an_error_line(battery) -> None:
    out, made, ran = battery
    assert ran.code == 0, ran.err
    assert "Traceback" not in ran.err + ran.out
    results, errors = outcomes(out)
    # nothing lost: each input (and /dev/zero) is in exactly one of the two files
    names = {p.name for p in made.values()} | {"real_report.txt", "zero"}
    assert set(results) | set(errors) == names
    assert not set(results) & set(errors)
    assert "real_report.txt" in results
    assert errors["zero"]["error"].startswith("not a regular file (a device)")
    for name, (kind, text) in EXPECTED.items():
        file = made[name].name
        if kind == "result":
            assert file in results, (name, errors.get(file))
        else:
            assert file in errors, name
            assert text in errors[file]["error"], (name, errors[file])


def test_no_hostile_input_is_only_cut_off_by_the_time_budget(battery) -> None:
    """The quadratic paths are fixed where they are: nothing is cut off by the time budget
    (generous here, for a loaded machine: each case took well over a minute before)."""
    out, _, ran = battery
    _, errors = outcomes(out)
    assert not [e for e in errors.values() if e["kind"] == "budget"]
    assert ran.seconds < 400


def test_the_battery_runs_in_bounded_memory(battery) -> None:
    """A 2 kB PDF drawing a million glyphs took 2.3 GB; a 1 GiB zip bomb 2.1 GB."""
    _, _, ran = battery
    assert ran.peak_mb < 1024, ran.peak_mb


def test_decoded_inputs_give_the_same_numbers_as_the_utf8_report(battery) -> None:
    out, made, _ = battery
    results, _ = outcomes(out)

    def values(r: dict) -> dict[str, object]:
        rec = Record.model_validate({**r, "text": ""})  # results lines leave the text out
        return {c.path: c.value for c in iter_cells(rec.tables)}

    clean = values(results["real_report.txt"])
    assert sum(v is not None for v in clean.values()) > 100
    for name in ("utf16_bom", "utf16_no_bom", "big5", "charset_undefined_html"):
        assert values(results[made[name].name]) == clean, name


def test_stray_bytes_are_marked_and_only_cells_they_touch_are_flagged(tmp_path: Path) -> None:
    """A UTF-8 report with three undecodable bytes inside one table value: the text is read
    with U+FFFD marks; the cells whose span touches them (that value's row, whose values no
    longer fit) are flagged without a value; every other cell is as in the clean report."""
    from extractor.run.pipeline import process

    clean = process(REPORT)
    assert isinstance(clean, Record)
    text = report_text()
    target = next(c for c in iter_cells(clean.tables)
                  if c.value is not None and c.raw and c.raw.isdigit() and len(c.raw) >= 2
                  and c.source_span and text[c.source_span[0]:c.source_span[1]] == c.raw)
    at = target.source_span[0] + 1  # inside the number
    raw = text.encode("utf-8")
    cut = len(text[:at].encode("utf-8"))
    broken_path = tmp_path / "broken.txt"
    broken_path.write_bytes(raw[:cut] + b"\xff\xfe\x80" + raw[cut:])
    broken = process(broken_path)
    assert isinstance(broken, Record), broken
    assert broken.meta.encoding == "utf-8 (3 undecodable bytes replaced by \ufffd)"
    cells = {c.path: c for c in iter_cells(broken.tables)}
    hit = cells[target.path]
    assert hit.status is CellStatus.FLAGGED and hit.value is None
    marks = (at, at + 3)  # the three U+FFFD in the decoded text
    changed = 0
    for c in iter_cells(clean.tables):
        b = cells[c.path]
        if (b.value, b.status) != (c.value, c.status):
            changed += 1
            assert b.status is CellStatus.FLAGGED and b.value is None, c.path
            assert b.source_span[0] <= marks[1] and b.source_span[1] >= marks[0], c.path
    assert 1 <= changed < 10


# -- budgets ----------------------------------------------------------------------------------

def test_a_document_over_its_time_budget_is_an_error_line_and_the_batch_goes_on(
        tmp_path: Path) -> None:
    """--jobs 1 gets the protection too: the slow document is killed, the next one runs."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    # ~2 s of parsing on an idle machine, a real report ~0.06 s: a 0.8 s budget is ~2.6x
    # below the one and ~13x above the other, so a loaded machine (both slower) keeps the
    # verdicts (with 100,000 tables and 0.5 s the report itself ran over at load 10)
    nested_tables(inputs, depth=150_000)
    shutil.copy(REPORT, inputs / "z_report.txt")
    out = tmp_path / "out"
    ran = run("run", inputs, "-o", out, "--llm", "off", "--jobs", "1", "--doc-timeout", "0.8")
    assert ran.code == 0, ran.err
    results, errors = outcomes(out)
    assert set(results) == {"z_report.txt"}
    assert errors["nested_tables.html"]["kind"] == "budget"
    assert errors["nested_tables.html"]["error"].startswith("took over 0.8 s; skipped")
    assert ran.seconds < 60


def test_a_document_over_its_memory_ceiling_is_an_error_line_and_the_batch_goes_on(
        tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    CASES["big_text"](inputs)  # 40 MB of text: reading it needs far more than 64 MB
    shutil.copy(REPORT, inputs / "z_report.txt")
    out = tmp_path / "out"
    ran = run("run", inputs, "-o", out, "--llm", "off", "--doc-memory", "64")
    assert ran.code == 0, ran.err
    assert "Traceback" not in ran.err
    results, errors = outcomes(out)
    assert set(results) == {"z_report.txt"}
    assert errors["big_text.txt"]["kind"] == "budget"
    assert errors["big_text.txt"]["error"].startswith("needed over 64 MB of memory; skipped")


def test_an_llm_run_bounds_each_document_too(fake_llm, tmp_path: Path) -> None:
    """With the LLM on, the rules' half of every document runs in the same killable worker
    processes (the LLM's half in threads): a slow document is an error line, the others get
    their LLM pass."""
    from llm_oracle import Oracle

    fake_llm.responder = Oracle([REPORT])
    config = tmp_path / "extractor.toml"
    config.write_text(f"""
[llm]
base_url = "{fake_llm.url}"
model = "fake-model"
timeout = 5.0
cache_dir = "{tmp_path / 'cache'}"
""", encoding="utf-8")
    inputs = tmp_path / "in"
    inputs.mkdir()
    nested_tables(inputs, depth=150_000)  # as above: ~2 s of parsing against a 0.8 s budget
    shutil.copy(REPORT, inputs / "z_report.txt")
    out = tmp_path / "out"
    ran = run("run", inputs, "-o", out, "--llm", "on", "--config", config, "--jobs", "1",
              "--doc-timeout", "0.8", timeout=120)
    assert ran.code == 0, ran.err
    results, errors = outcomes(out)
    assert set(results) == {"z_report.txt"}
    tasks = results["z_report.txt"]["llm"]["tasks"]
    assert tasks and all(t["outcome"] == "ok" for t in tasks), tasks
    assert errors["nested_tables.html"]["kind"] == "budget"
    assert errors["nested_tables.html"]["error"].startswith("took over 0.8 s; skipped")


# -- the parent's death and signals -------------------------------------------------------------

def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text()
        found |= {int(x) for x in text.split()}
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _slow_batch(tmp_path: Path, n: int = 4) -> Path:
    inputs = tmp_path / "in"
    inputs.mkdir()
    one = CASES["nested_tables"](inputs)
    for i in range(n - 1):
        shutil.copy(one, inputs / f"nested_{i}.html")
        (inputs / f"nested_{i}.html").write_text(one.read_text() + f"<!-- {i} -->")
    return inputs


def _start_with_workers(inputs: Path, out: Path) -> tuple[subprocess.Popen, set[int]]:
    proc = subprocess.Popen([*EXE, "run", str(inputs), "-o", str(out), "--llm", "off",
                             "--jobs", "2", "-q"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while time.monotonic() < deadline and len(workers) < 2:
        time.sleep(0.1)
        workers = {c for c in _children(proc.pid) if _alive(c)}
    assert len(workers) == 2, "the run never started its two workers"
    return proc, workers


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_of_the_main_process_leaves_no_worker_behind(tmp_path: Path) -> None:
    proc, workers = _start_with_workers(_slow_batch(tmp_path), tmp_path / "out")
    os.kill(proc.pid, signal.SIGKILL)  # the main process only, not its group
    proc.communicate()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.1)
    assert not [w for w in workers if _alive(w)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigterm_ends_the_run_like_ctrl_c_and_stops_the_workers(tmp_path: Path) -> None:
    proc, workers = _start_with_workers(_slow_batch(tmp_path), tmp_path / "out")
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    text = err.decode()
    assert "interrupted" in text and "Traceback" not in text
    assert not [w for w in workers if _alive(w)]


# -- names and permissions -------------------------------------------------------------------

def test_a_file_name_that_is_not_utf8_is_an_error_line_and_the_batch_goes_on(
        tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(REPORT, inputs / "good.txt")
    bad = os.path.join(os.fsencode(inputs), b"bad\xff\xfename.txt")
    shutil.copy(REPORT, bad)
    out = tmp_path / "out"
    ran = run("run", inputs, "-o", out, "--llm", "off", "--jobs", "2")
    assert ran.code == 0, ran.err
    assert "Traceback" not in ran.err
    results, errors = outcomes(out)
    assert set(results) == {"good.txt"}
    assert errors["bad\\xff\\xfename.txt"]["error"].startswith("the file name is not valid UTF-8")
    assert errors["bad\\xff\\xfename.txt"]["path"].endswith("/in/bad\\xff\\xfename.txt")


def _without_dac_override() -> None:
    """As root, drop the capabilities that let root read any file (CAP_DAC_OVERRIDE,
    CAP_DAC_READ_SEARCH) from the bounding set before exec: chmod 000 then binds root too."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "PR_CAPBSET_DROP failed")


def test_a_file_without_read_permission_is_an_error_line_not_a_lost_input(
        tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(REPORT, inputs / "good.txt")
    secret = inputs / "secret.txt"
    shutil.copy(REPORT, secret)
    secret.chmod(0)
    preexec = _without_dac_override if os.geteuid() == 0 else None
    probe = subprocess.run(["cat", str(secret)], preexec_fn=preexec, capture_output=True)
    assert probe.returncode != 0, "the file is still readable: the case would test nothing"
    out = tmp_path / "out"
    # named in a folder and on the command line: both are error lines, the batch goes on
    ran = run("run", inputs, secret, "-o", out, "--llm", "off", preexec=preexec)
    assert ran.code == 0, ran.err
    assert "Traceback" not in ran.err
    items = jsonl(out / "errors.jsonl")
    assert [e["error"] for e in items] == ["cannot read: Permission denied"] * 2
    assert {r["meta"]["source_file"] for r in results_json(out)} == {"good.txt"}


def test_the_output_folder_inside_an_input_folder_is_never_read_as_input(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(REPORT, inputs / "good.txt")
    out = inputs / "out"
    assert run("run", inputs, "-o", out, "--llm", "off").code == 0
    (out / "review").mkdir()
    shutil.copy(ROOT / "golden" / "inputs" / "shanghai_office_2019.html",
                out / "review" / "index.html")  # a page that would even read as a report
    ran = run("run", inputs, "-o", out, "--llm", "off")
    assert ran.code == 0, ran.err
    assert [r["meta"]["source_file"] for r in results_json(out)] == ["good.txt"]
    assert jsonl(out / "errors.jsonl") == []


# -- user mistakes: one line, exit 2 -----------------------------------------------------------

def _one_line_error(ran: Ran) -> str:
    assert ran.code == 2, (ran.code, ran.err)
    assert "Traceback" not in ran.err
    lines = [x for x in ran.err.splitlines() if x.strip()]
    assert len(lines) == 1, ran.err
    return lines[0]


def test_an_output_path_under_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    line = _one_line_error(run("run", REPORT, "-o", tmp_path / "afile" / "sub", "--llm", "off"))
    assert "afile" in line


def test_an_output_folder_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    line = _one_line_error(run("run", REPORT, "-o", "/proc/version/out", "--llm", "off"))
    assert "/proc/version" in line


def test_nothing_to_process_is_a_usage_error(tmp_path: Path) -> None:
    line = _one_line_error(run("run", tmp_path / "nope.txt", "-o", tmp_path / "o1"))
    assert "nothing to process" in line and "nope.txt" in line
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.xls").write_bytes(b"x")
    line = _one_line_error(run("run", empty, "-o", tmp_path / "o2"))
    assert "no report files" in line
    assert not (tmp_path / "o1").exists()


@pytest.fixture(scope="module")
def done_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("done") / "out"
    ran = run("run", REPORT, "-o", out, "--llm", "off")
    assert ran.code == 0, ran.err
    return out


@pytest.mark.parametrize("number", ["99", "0", "-5"])
def test_export_of_an_unknown_run_is_refused_and_writes_nothing(done_run: Path,
                                                               number: str) -> None:
    dest = done_run / f"export-{number}"
    line = _one_line_error(run("export", done_run, "--run", number, "--to", dest))
    assert f"--run {number}: " in line and "no such run" in line
    assert not dest.exists()


def test_a_second_run_or_correct_on_a_busy_output_folder_is_refused(done_run: Path,
                                                                   tmp_path: Path) -> None:
    before = (done_run / "results.jsonl.gz").read_bytes()
    decisions = tmp_path / "decisions.csv"
    decisions.write_text("sha256,path,decision,value,note\n", encoding="utf-8")
    with write_lock(done_run, "run"):
        line = _one_line_error(run("run", REPORT, "-o", done_run, "--llm", "off"))
        assert f"{done_run} is in use by `extractor run` (pid {os.getpid()})" in line
        line = _one_line_error(run("correct", decisions, "-o", done_run))
        assert "is in use by" in line
    assert (done_run / "results.jsonl.gz").read_bytes() == before
    ran = run("run", REPORT, "-o", done_run, "--llm", "off")  # the lock went with its holder
    assert ran.code == 0, ran.err


def test_a_damaged_store_is_one_line_and_keeps_the_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("run", REPORT, "-o", out, "--llm", "off").code == 0
    store = out / "store.sqlite"
    with sqlite3.connect(store) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(store.read_bytes())
    page = 4096
    for i in range(page, len(data) - page, page):  # every page but the header: garbage
        data[i:i + 64] = b"\xa5" * 64
    store.write_bytes(bytes(data))
    line = _one_line_error(run("run", REPORT, ROOT / "golden" / "inputs" / "shahe_health_2020.txt",
                               "-o", out, "--llm", "off"))
    assert str(store) in line
    assert store.read_bytes() == bytes(data)
