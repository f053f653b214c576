"""Outputs ≤ 40 KB per report by default (issue 17): results.jsonl.gz without the text
(`--with-text` restores it; the store keeps it once), lean cells.csv joined to reports.csv
and fields.csv (`--cell-labels` restores the readable layout).

Expected values are read off the sources by hand (golden/GOLDEN.md, golden/expected) or
written here from the README."""

from __future__ import annotations

import csv
import gzip
import json
import re
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from results_file import cells_rows, cells_text, results_lines

from extractor.cli import main
from extractor.outputs.items import read_run
from extractor.outputs.options import ENV, OutputOptions

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ROOT / "golden" / "inputs"
LEAN_HEADER = ("item,path,value,amount,raw,state,status,placement,reasons,span_start,span_end,"
               "source_start,source_end,page,decision,machine_value,machine_amount,reviewer,note")
FULL_HEADER = ("file,section,row,column,path,label,value,amount,unit,raw,state,status,placement,"
               "reasons,span_start,span_end,source_start,source_end,page,decision,machine_value,"
               "machine_amount,reviewer,note,input_path,sha256,item")


def cli(*args: object) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, [str(a) for a in args])
    return r.exit_code, r.stdout, r.stderr


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The golden inputs run by default and with --with-text --cell-labels."""
    base = tmp_path_factory.mktemp("lean")
    out = {}
    for name, extra in (("lean", ()), ("full", ("--with-text", "--cell-labels"))):
        out[name] = base / name
        code, _, stderr = cli("run", INPUTS, "-o", out[name], "--llm", "off", "-q", *extra)
        assert code == 0, stderr
    return out


def test_a_lean_cells_csv_row_reads_as_the_source_prints_it(runs: dict[str, Path]) -> None:
    out = runs["lean"]
    assert cells_text(out).removeprefix("\ufeff").splitlines()[0] == LEAN_HEADER
    items = {r["file"]: r["item"] for r in read_csv(out / "reports.csv")}
    cells = {(r["item"], r["path"]): r for r in cells_rows(out)}
    # huaian_gov_2024.pdf page 4: （一）新收 总计 3119, printed as the number: raw left empty
    row = cells[(items["huaian_gov_2024.pdf"], "s3.new_received.total")]
    assert (row["value"], row["amount"], row["raw"], row["state"], row["status"], row["page"]) == (
        "3119", "", "", "number", "verified", "4")
    text = next(i.record.text for i in read_run(out) if i.file == "huaian_gov_2024.pdf")
    assert text[int(row["span_start"]):int(row["span_end"])] == "3119"
    # shahe_health_2020.txt line 60 prints 行政处罚's 本年增/减 as "减47": raw kept
    row = cells[(items["shahe_health_2020.txt"], "s2.punishment.change")]
    assert (row["value"], row["raw"], row["state"]) == ("-47", "减47", "number")
    # shanghai_office_2019.html prints 政府集中采购 金额 as "251000元" = 25.1 万元
    row = cells[(items["shanghai_office_2019.html"], "s2.procurement.amount")]
    assert (row["value"], row["amount"], row["raw"]) == ("", "25.1", "251000元")


def test_fields_csv_in_the_run_folder_labels_every_path_of_cells_csv(runs: dict[str, Path]) -> None:
    out = runs["lean"]
    fields = {r["path"]: r for r in read_csv(out / "fields.csv")}
    # a 2019-only field and a 2021-only one, as the templates print them
    assert fields["s2.procurement.amount"] == {
        "path": "s2.procurement.amount", "label": "二·政府集中采购·金额(万元)", "section": "二",
        "row": "procurement", "column": "amount", "templates": "2019", "type": "amount",
        "unit": "万元", "relation": "none", "other_template": "", "comparable_as": "",
        "note": "", "title": "政府集中采购·金额(万元)"}
    other = fields["s3.other_processing_1.total"]
    assert (other["templates"], other["section"], other["row"], other["column"], other["type"],
            other["unit"], other["relation"], other["title"]) == (
        "2021", "三", "other_processing_1", "total", "count", "count", "part",
        "（六）1.申请人无正当理由逾期不补·总计")
    assert {r["path"] for r in cells_rows(out)} <= set(fields)
    assert (out / "fields.csv").read_bytes() == (ROOT / "docs" / "fields.csv").read_bytes()


def test_cell_labels_writes_the_readable_layout(runs: dict[str, Path]) -> None:
    out = runs["full"]
    assert (out / "cells.csv").read_text("utf-8-sig").splitlines()[0] == FULL_HEADER
    row = next(r for r in read_csv(out / "cells.csv")
               if r["file"] == "huaian_gov_2024.pdf" and r["path"] == "s3.new_received.total")
    assert (row["section"], row["row"], row["column"], row["label"], row["raw"], row["value"]) == (
        "三", "new_received", "total", "一、本年新收·总计", "3119", "3119")
    assert row["input_path"] == str(INPUTS / "huaian_gov_2024.pdf") and len(row["sha256"]) == 64
    lean = cells_rows(runs["lean"])
    assert len(lean) == len(read_csv(out / "cells.csv")) == 3778  # the README's summary line


def test_results_jsonl_gz_is_one_gzip_member_per_report_read_by_gzip_and_pandas(
        runs: dict[str, Path]) -> None:
    path = runs["lean"] / "results.jsonl.gz"
    assert not (runs["lean"] / "results.jsonl").exists()
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    assert len(lines) == 19
    data = path.read_bytes()
    members = 0
    while data:
        d = zlib.decompressobj(wbits=31)
        d.decompress(data)
        assert d.eof
        data = d.unused_data
        members += 1
    assert members == 19
    pd = pytest.importorskip("pandas")
    frame = pd.read_json(path, lines=True)
    assert len(frame) == 19 and "text" not in frame.columns
    assert sorted(frame["meta"].map(lambda m: m["source_file"])) == sorted(
        p.name for p in INPUTS.iterdir())


def test_results_lines_leave_the_text_out_and_with_text_gives_the_stores_text(
        runs: dict[str, Path]) -> None:
    lean = [json.loads(x) for x in results_lines(runs["lean"])]
    assert all("text" not in r for r in lean)
    full = [json.loads(x) for x in results_lines(runs["full"])]
    stored = {i.file: i.record.text for i in read_run(runs["lean"])}
    assert {r["meta"]["source_file"]: r["text"] for r in full} == stored
    for a, b in zip(lean, full, strict=True):
        assert a == {k: v for k, v in b.items() if k != "text"}


def test_export_flags_follow_the_same_rules(runs: dict[str, Path], tmp_path: Path) -> None:
    out = runs["lean"]
    code, _, stderr = cli("export", out, "--format", "jsonl", "--to", tmp_path / "j",
                          "--with-text")
    assert code == 0, stderr
    assert all("text" in json.loads(x) for x in results_lines(tmp_path / "j"))
    code, _, stderr = cli("export", out, "--format", "csv", "--to", tmp_path / "c", "--cell-labels")
    assert code == 0, stderr
    assert (tmp_path / "c" / "cells.csv").read_bytes() == (runs["full"] / "cells.csv").read_bytes()
    code, _, stderr = cli("export", out, "--format", "csv", "--to", tmp_path / "d")
    assert code == 0, stderr
    assert (tmp_path / "d" / "cells.csv.gz").read_bytes() == (out / "cells.csv.gz").read_bytes()
    assert (tmp_path / "d" / "fields.csv").is_file()


def test_a_results_file_without_text_is_reviewed_and_evaluated(runs: dict[str, Path],
                                                               tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "results.jsonl.gz").write_bytes((runs["lean"] / "results.jsonl.gz").read_bytes())
    code, stdout, stderr = cli("review", copy / "results.jsonl.gz", "-o", tmp_path / "review")
    assert code == 0, stderr
    page = (tmp_path / "review" / "index.html").read_text("utf-8")
    assert "source text is not included" in page and "--with-text" in page
    code, stdout, stderr = cli("eval", copy, "--expected", ROOT / "golden" / "expected")
    assert code == 0, stderr
    assert "SILENT ERRORS: 0" in stdout and "accuracy 100.0%" in stdout
    # and an unzipped one, as a user may have it
    plain = tmp_path / "plain" / "results.jsonl"
    plain.parent.mkdir()
    plain.write_bytes(gzip.decompress((runs["full"] / "results.jsonl.gz").read_bytes()))
    code, stdout, stderr = cli("eval", plain, "--expected", ROOT / "golden" / "expected")
    assert code == 0 and "accuracy 100.0%" in stdout, stderr


def test_correct_rewrites_the_files_as_the_run_wrote_them_and_an_old_results_jsonl_goes(
        tmp_path: Path) -> None:
    """`extractor correct` rewrites the exports in the layout the run chose (--cell-labels,
    --with-text stay); a results.jsonl an older version left in the folder is removed, so it
    is never read as this run's."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.jsonl").write_text('{"an": "older run"}\n', "utf-8")
    report = INPUTS / "putuo_health_2020.txt"
    code, _, stderr = cli("run", report, "-o", out, "--llm", "off", "-q", "--cell-labels",
                          "--with-text")
    assert code == 0, stderr
    assert not (out / "results.jsonl").exists()
    record = json.loads(results_lines(out)[0])
    flagged = next(c for rows in record["tables"]["s3"].values() for c in rows.values()
                   if c.get("status") == "flagged")
    decisions = tmp_path / "decisions.csv"
    decisions.write_text("sha256,path,decision,value,reviewer,note\n"
                         f"{record['meta']['sha256']},{flagged['path']},set,7,ann,\n", "utf-8")
    code, _, stderr = cli("correct", decisions, "--out", out)
    assert code == 0, stderr
    assert (out / "cells.csv").read_text("utf-8-sig").splitlines()[0] == FULL_HEADER
    row = next(r for r in read_csv(out / "cells.csv") if r["path"] == flagged["path"])
    assert (row["file"], row["value"], row["status"], row["decision"]) == (
        "putuo_health_2020.txt", "7", "corrected", "set")
    assert json.loads(results_lines(out)[0])["text"] == record["text"]


def test_the_review_page_of_a_run_folder_has_the_text_from_the_store(runs: dict[str, Path],
                                                                     tmp_path: Path) -> None:
    code, _, stderr = cli("review", runs["lean"], "-o", tmp_path / "review")
    assert code == 0, stderr
    page = (tmp_path / "review" / "index.html").read_text("utf-8")
    assert "source text is not included" not in page
    blocks = re.findall(r'<script type="application/json" id="(r\d+)">(.*?)</script>', page, re.S)
    texts = {i.file: i.record.text for i in read_run(runs["lean"]) if i.record is not None}
    assert blocks
    for _, body in blocks:
        data = json.loads(body)
        shown = "".join(seg if isinstance(seg, str) else seg[0] for seg in data["seg"])
        assert shown == texts[data["file"]], data["file"]


def test_lean_cells_are_gzipped_one_member_per_report(runs: dict[str, Path], tmp_path: Path) -> None:
    """cells.csv.gz: a member with the BOM and the header, then one member per report (19
    golden reports); the readable layout is plain cells.csv, and a folder never keeps the
    other layout from an earlier run."""
    data = (runs["lean"] / "cells.csv.gz").read_bytes()
    assert data.count(b"\x1f\x8b\x08") >= 20
    first = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert first.decompress(data) == ("\ufeff" + LEAN_HEADER + "\r\n").encode()
    assert not (runs["lean"] / "cells.csv").exists()
    assert not (runs["full"] / "cells.csv.gz").exists()
    out = tmp_path / "out"
    report = INPUTS / "putuo_health_2020.txt"
    assert cli("run", report, "-o", out, "--llm", "off", "-q")[0] == 0
    assert cli("run", report, "-o", out, "--llm", "off", "-q", "--cell-labels")[0] == 0
    assert (out / "cells.csv").is_file() and not (out / "cells.csv.gz").exists()
    assert cli("run", report, "-o", out, "--llm", "off", "-q")[0] == 0
    assert (out / "cells.csv.gz").is_file() and not (out / "cells.csv").exists()


def test_the_options_follow_the_environment_each_time_they_are_read(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`OutputOptions.from_env` remembers what a value means, never which value was set."""
    monkeypatch.delenv(ENV, raising=False)
    assert OutputOptions.from_env() is None
    monkeypatch.setenv(ENV, "with-text")
    assert OutputOptions.from_env() == OutputOptions(with_text=True)
    monkeypatch.setenv(ENV, "cell-labels,with-text")
    assert OutputOptions.from_env() == OutputOptions(with_text=True, cell_labels=True)
    monkeypatch.setenv(ENV, "")
    assert OutputOptions.from_env() == OutputOptions()
    monkeypatch.setenv(ENV, "with-text")
    assert OutputOptions.from_env() == OutputOptions(with_text=True)
