"""`extractor run` end to end: outputs, summary, and bad input that never stops a batch."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from results_file import cells_joined, cells_text, results_json

from extractor.cli import main


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def read_jsonl(path: Path) -> list[dict]:
    if path.suffix == ".gz":
        return results_json(path)
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def test_run_on_the_golden_folder_writes_every_output(tmp_path: Path, golden_inputs: Path) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = run("run", str(golden_inputs), "-o", str(out))
    assert code == 0, stderr
    n = len(list(golden_inputs.iterdir()))
    assert f"{n} reports" in stdout and "0 errors" in stdout and "verified" in stdout
    assert "no LLM configured" in stderr
    records = read_jsonl(out / "results.jsonl.gz")
    assert sorted(r["meta"]["source_file"] for r in records) == sorted(
        p.name for p in golden_inputs.iterdir())
    for name in ("reports.csv", "flags.csv"):
        raw = (out / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), f"{name} must start with a UTF-8 BOM for Excel"
    assert cells_text(out).startswith("\ufeff")  # cells.csv.gz unzipped, for a spreadsheet too
    rows = cells_joined(out)
    assert len(rows) == sum(r["summary"]["cells"] for r in records)
    shahe = [r for r in rows if r["file"] == "shahe_health_2020.txt" and r["path"] == "s2.punishment.change"]
    assert shahe[0]["value"] == "-47" and shahe[0]["raw"] == "减47"
    blank = [r for r in rows if r["file"] == "haining_health_2020.txt"
             and r["path"] == "s3.granted.natural_person"][0]
    assert blank["value"] == "" and blank["state"] == "blank"
    with open(out / "flags.csv", encoding="utf-8-sig", newline="") as fh:
        flags = list(csv.DictReader(fh))
    assert {f["file"] for f in flags} >= {"haining_health_2020.txt", "putuo_health_2020.txt"}
    assert all(f["message"] and f["rule"] for f in flags)
    assert any("【" in f["snippet"] for f in flags)
    assert (out / "errors.jsonl").read_text("utf-8") == ""


def test_every_number_carries_a_span_into_the_text_as_stored(tmp_path: Path, golden_inputs: Path) -> None:
    out = tmp_path / "out"
    run("run", str(golden_inputs), "-o", str(out), "--with-text")
    for record in read_jsonl(out / "results.jsonl.gz"):
        stored = golden_inputs / record["meta"]["source_file"]
        # A PDF's "source" is its extracted text, which is what the normalized text came from.
        source = record["text"] if record["meta"]["format"] == "pdf" else stored.read_text("utf-8")
        for section in ("s2", "s3", "s4"):
            for row in record["tables"][section].values():
                for cell in row.values():
                    if cell["state"] != "number":
                        continue
                    s, e = cell["span"]
                    assert record["text"][s:e] == cell["raw"]
                    ss, se = cell["source_span"]
                    assert source[ss:se] == cell["raw"]  # the file as stored reads the same
                    assert cell["status"] in ("verified", "inferred", "grounded", "flagged")
                    assert (cell.get("page") is not None) == (record["meta"]["format"] == "pdf")


def test_bad_inputs_each_get_a_clear_error_and_never_stop_the_batch(tmp_path: Path, golden_inputs: Path) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    shutil.copy(golden_inputs / "shahe_health_2020.txt", batch / "good.txt")
    (batch / "empty.txt").write_bytes(b"")
    (batch / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (batch / "novel.txt").write_text("从前有座山，山里有座庙。" * 50, encoding="utf-8")
    (batch / "scan.pdf").write_bytes(b"%PDF-1.7\n...")
    (batch / "broken.txt").symlink_to(batch / "does-not-exist.txt")
    shahe = (golden_inputs / "shahe_health_2020.txt").read_text("utf-8")
    cut = shahe.index("（二）部分公开")
    (batch / "truncated.txt").write_text(shahe[:cut], encoding="utf-8")
    out = tmp_path / "out"
    code, stdout, stderr = run("run", str(batch), str(tmp_path / "nope.txt"), "-o", str(out))
    assert code == 0
    errors = {e["file"]: e["error"] for e in read_jsonl(out / "errors.jsonl")}
    assert errors["empty.txt"] == "empty file"
    assert "binary" in errors["binary.txt"]
    assert "not a government information-disclosure annual report" in errors["novel.txt"]
    assert "PDF" in errors["scan.pdf"]
    assert "cannot read" in errors["broken.txt"]
    assert "no such file" in errors["nope.txt"]
    records = {r["meta"]["source_file"]: r for r in read_jsonl(out / "results.jsonl.gz")}
    assert set(records) == {"good.txt", "truncated.txt"}
    truncated = records["truncated.txt"]
    assert truncated["truncated"] is True
    assert truncated["tables"]["s4"]["review"]["total"]["state"] == "missing"
    assert truncated["tables"]["s3"]["granted"]["total"]["state"] == "number"
    assert "TRUNCATED" in {f["key"] for f in truncated["flags"]}
    assert "truncated.txt: truncated report" in stderr
    for name in errors:
        assert "ERROR" in stderr and name in stderr
    assert "2 reports" in stdout and "6 errors" in stdout


def test_usage_errors_exit_2_with_a_message(tmp_path: Path) -> None:
    code, _, stderr = run("run", str(tmp_path))
    assert code == 2 and "Missing option '-o'" in stderr
    code, _, stderr = run("run", "-o", str(tmp_path / "o"))
    assert code == 2 and "Missing argument 'PATHS...'" in stderr


def test_gb18030_and_bom_text_files(tmp_path: Path, golden_inputs: Path) -> None:
    text = (golden_inputs / "pinghu_health_2024.txt").read_text("utf-8")
    (tmp_path / "gbk.txt").write_bytes(text.encode("gb18030"))
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    out = tmp_path / "out"
    assert run("run", str(tmp_path / "gbk.txt"), str(tmp_path / "bom.txt"), "-o", str(out))[0] == 0
    records = read_jsonl(out / "results.jsonl.gz")
    assert [r["meta"]["encoding"] for r in records] == ["gb18030", "utf-8-sig"]
    assert records[0]["tables"] == records[1]["tables"]
    assert records[0]["tables"]["s2"]["licensing"]["decisions"]["value"] == 13


def test_schema_command_prints_the_json_schema() -> None:
    code, stdout, _ = run("schema")
    schema = json.loads(stdout)
    assert code == 0 and "Cell" in schema["$defs"] and "Tables2021" in schema["$defs"]


def test_console_script_is_installed() -> None:
    exe = shutil.which("extractor") or [sys.executable, "-m", "extractor.cli"]
    cmd = [exe, "--version"] if isinstance(exe, str) else [*exe, "--version"]
    assert "extractor" in subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def test_an_oversized_file_is_refused_without_being_read(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:
        fh.truncate(60 * 2**20)  # sparse: 60 MB on paper, nothing on disk
    out = tmp_path / "out"
    assert run("run", str(big), "-o", str(out))[0] == 0
    (error,) = read_jsonl(out / "errors.jsonl")
    assert "over the 50 MB limit" in error["error"]


def test_two_runs_write_byte_identical_outputs(tmp_path: Path, golden_inputs: Path) -> None:
    for name in ("a", "b"):
        assert run("run", str(golden_inputs), "-o", str(tmp_path / name))[0] == 0
    for f in ("results.jsonl.gz", "cells.csv.gz", "reports.csv", "flags.csv", "errors.jsonl",
              "fields.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
