"""Analysis-ready outputs: typed exports, status and state beside every number, the Excel
workbook, input identity, the data dictionary, CSV injection, the run summary, DataFrames.

Expected values come from results.jsonl.gz parsed as plain JSON (the record the exports are
views of), from the template layouts of the schema, or are written here by hand.
"""

from __future__ import annotations

import csv
import re
import shutil
import sqlite3
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from results_file import cells_joined, cells_rows, cells_text, results_json, results_lines

from extractor.cli import main
from extractor.schema import AMOUNT_FIELDS, LAYOUTS, CellStatus

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ROOT / "golden" / "inputs"
NUMBER = re.compile(r"-?\d+(\.\d+)?")


def cli(*args: object) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, [str(a) for a in args])
    return r.exit_code, r.stdout, r.stderr


def paths_of(template: str) -> list[str]:
    return [f"{s}.{r}.{c}" for s, rows in LAYOUTS[template].items() for r, cols in rows.items()
            for c in cols]


PATHS_2019, PATHS_2021 = paths_of("2019"), paths_of("2021")
ALL = list(dict.fromkeys(PATHS_2019 + PATHS_2021))
COUNTS = [p for p in ALL if p not in AMOUNT_FIELDS]
AMOUNTS = [p for p in ALL if p in AMOUNT_FIELDS]


def json_cells(record: dict) -> dict[str, dict]:
    return {f"{s}.{r}.{c}": cell for s in ("s2", "s3", "s4")
            for r, cols in record["tables"][s].items() for c, cell in cols.items()}


def read_jsonl(path: Path) -> list[dict]:
    """The records of a results file (results.jsonl.gz, as plain JSON)."""
    return results_json(path)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def golden_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`extractor run golden/inputs -o out`, then every export format into out/export."""
    out = tmp_path_factory.mktemp("golden") / "out"
    code, stdout, stderr = cli("run", INPUTS, "-o", out, "--llm", "off", "-q")
    assert code == 0, stderr
    (out / "summary.txt").write_text(stdout, "utf-8")
    for fmt in ("parquet", "sqlite", "xlsx"):
        code, _, stderr = cli("export", out, "--format", fmt)
        assert code == 0, stderr
    return out


# -- typed exports ------------------------------------------------------------------------


def test_reports_csv_loads_with_numeric_dtypes_and_no_non_number(golden_run: Path) -> None:
    pd = pytest.importorskip("pandas")
    df = pd.read_csv(golden_run / "reports.csv", encoding="utf-8-sig")
    assert len(df) == 19
    for p in ALL:
        assert pd.api.types.is_numeric_dtype(df[p]), (p, df[p].dtype)
    for row in read_csv(golden_run / "reports.csv"):
        for p in ALL:
            assert row[p] == "" or NUMBER.fullmatch(row[p]), (row["file"], p, row[p])
    assert df["truncated"].dtype == bool
    assert pd.api.types.is_numeric_dtype(df["year"])


def test_reports_csv_holds_each_value_with_its_status_and_state(golden_run: Path) -> None:
    records = {r["meta"]["source_file"]: r for r in read_jsonl(golden_run / "results.jsonl.gz")}
    rows = read_csv(golden_run / "reports.csv")
    assert [r["file"] for r in rows] == list(records)
    for row in rows:
        cells = json_cells(records[row["file"]])
        for p in ALL:
            c = cells.get(p)
            if c is None:
                assert (row[p], row[f"{p}:status"], row[f"{p}:state"]) == ("", "", "not_in_template")
                continue
            assert row[f"{p}:state"] == c["state"] and row[f"{p}:status"] == (c["status"] or "")
            if c["state"] == "number":
                assert Decimal(row[p]) == Decimal(str(c.get("value"))), (row["file"], p)
            else:
                assert row[p] == "", (row["file"], p)
    by_file = {r["file"]: r for r in rows}
    # Read by hand from the sources.
    assert by_file["shahe_health_2020.txt"]["s2.punishment.change"] == "-47"
    assert by_file["shanghai_office_2019.html"]["s2.procurement.amount"] == "25.1"  # 251000元
    assert by_file["shanghai_office_2019.html"]["s3.new_received.total"] == "859"
    assert by_file["huaian_gov_2024.pdf"]["s3.new_received.total"] == "3119"
    assert by_file["huaian_gov_2024.pdf"]["s2.procurement.amount:state"] == "not_in_template"
    assert by_file["shanghai_office_2019.html"]["s3.other_processing_1.total:state"] == "not_in_template"
    assert by_file["huaian_gov_2024.pdf"]["truncated"] == "false"


def test_parquet_has_integer_counts_decimal_amounts_and_booleans(golden_run: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pd = pytest.importorskip("pandas")
    table = pq.read_table(golden_run / "export" / "reports.parquet")
    schema = table.schema
    for p in COUNTS:
        assert schema.field(p).type == pa.int64(), p
    for p in AMOUNTS:
        assert schema.field(p).type == pa.decimal128(18, 6), p
    assert schema.field("truncated").type == pa.bool_()
    assert schema.field("year").type == pa.int64()
    amounts = dict(zip(table.column("file").to_pylist(),
                       table.column("s2.procurement.amount").to_pylist(), strict=True))
    assert amounts["shanghai_office_2019.html"] == Decimal("25.1")
    assert amounts["putuo_health_2020.txt"] == Decimal("73.82")  # printed 73.82万元
    df = pd.read_parquet(golden_run / "export" / "reports.parquet", dtype_backend="pyarrow")
    for p in ALL:
        assert pd.api.types.is_numeric_dtype(df[p]), (p, df[p].dtype)
    cells = pq.read_table(golden_run / "export" / "cells.parquet").schema
    assert cells.field("value").type == pa.int64()
    assert cells.field("amount").type == pa.decimal128(18, 6)


def test_sqlite_columns_hold_only_numbers_and_compare_as_numbers(golden_run: Path) -> None:
    db = sqlite3.connect(golden_run / "export" / "export.sqlite")
    declared = {name: kind for _, name, kind, *_ in db.execute("PRAGMA table_info(reports)")}
    for p in COUNTS:
        assert declared[p] == "INTEGER"
        kinds = {k for (k,) in db.execute(f'SELECT DISTINCT typeof("{p}") FROM reports')}
        assert kinds <= {"integer", "null"}, (p, kinds)
    for p in AMOUNTS:
        assert p not in declared and declared[f"{p}_fen"] == "INTEGER"
        kinds = {k for (k,) in db.execute(f'SELECT DISTINCT typeof("{p}_fen") FROM reports')}
        assert kinds <= {"integer", "null"}, (p, kinds)
    # The issue's examples: `value > 100` gave 2, 66, 23 and '859' sorted before '3119'.
    big = db.execute('SELECT "s3.new_received.total" FROM reports WHERE "s3.new_received.total" '
                     '> 100 ORDER BY "s3.new_received.total"').fetchall()
    assert [v for (v,) in big] == [859, 1295, 3119]
    fen = db.execute('SELECT "s2.procurement.amount_fen" FROM reports WHERE file = '
                     "'shanghai_office_2019.html'").fetchone()[0]
    assert fen == 25_100_000  # 251000元 = 25,100,000 分
    assert {t for (t,) in db.execute("SELECT DISTINCT typeof(truncated) FROM reports")} == {"integer"}
    assert db.execute("SELECT count(*) FROM cells").fetchone()[0] == 3778
    assert {k for (k,) in db.execute("SELECT DISTINCT typeof(value) FROM cells")} <= {"integer", "null"}
    assert db.execute("SELECT count(*) FROM fields").fetchone()[0] == len(ALL)
    with pytest.raises(sqlite3.IntegrityError):  # the CHECKs keep text out of number columns
        db.execute('UPDATE reports SET "s3.granted.total" = \'<missing>\'')


def test_cells_csv_keeps_counts_and_amounts_in_their_own_columns(golden_run: Path) -> None:
    records = {r["meta"]["source_file"]: r for r in read_jsonl(golden_run / "results.jsonl.gz")}
    rows = cells_joined(golden_run)
    assert len(rows) == sum(len(json_cells(r)) for r in records.values())
    for row in rows:
        c = json_cells(records[row["file"]])[row["path"]]
        number = str(c.get("value")) if c["state"] == "number" else ""
        if row["path"] in AMOUNT_FIELDS:
            assert (row["value"], row["amount"]) == ("", number)
        else:
            assert (row["value"], row["amount"]) == (number, "")
        assert row["input_path"].endswith("/" + row["file"]) and row["item"].isdigit()


# -- the workbook ---------------------------------------------------------------------------

#: The fills a person sees, by status (as in the review page: green, teal, yellow, red, purple).
FILLS = {"verified": "FFC6EFCE", "inferred": "FFC4E8EF", "grounded": "FFFFEB9C",
         "flagged": "FFFFC7CE", "corrected": "FFE4DFEC"}


def _fill(cell: object) -> str | None:
    fill = cell.fill  # type: ignore[attr-defined]
    return fill.fgColor.rgb if fill.fill_type == "solid" else None


def check_workbook(path: Path, records: list[dict]) -> None:
    """Every template cell of every record is in its template's sheet with its number, the
    fill of its status, and a comment holding its reasons when it is flagged."""
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["reports", "template 2019", "template 2021", "flags", "errors",
                             "fields", "legend"]
    legend = {row[0].value: _fill(row[0]) for row in wb["legend"].iter_rows(min_row=2, max_row=6)}
    assert legend == FILLS
    for template, paths in (("2019", PATHS_2019), ("2021", PATHS_2021)):
        ws = wb[f"template {template}"]
        assert ws.freeze_panes == "C3"
        header = [c.value for c in ws[2]]
        assert header[:5] == ["item", "file", "agency", "year", "truncated"]
        assert sorted(header[5:]) == sorted(paths)
        assert str(ws.cell(1, header.index("s3.granted.total") + 1).value) == "三·（一）予以公开·总计"
        mine = [r for r in records if r["tables"]["template"] == template]
        rows = list(ws.iter_rows(min_row=3))
        assert [row[1].value for row in rows] == [r["meta"]["source_file"] for r in mine]
        for record, row in zip(mine, rows, strict=True):
            cells = json_cells(record)
            for col, p in enumerate(header[5:], 5):
                c, x = cells[p], row[col]
                where = (record["meta"]["source_file"], p)
                assert _fill(x) == FILLS[c["status"]], where
                if c["state"] == "number":
                    assert Decimal(str(x.value)) == Decimal(str(c.get("value"))), where
                else:
                    assert x.value is None, where
                if c["status"] == "flagged":
                    assert x.comment is not None, where
                    for reason in c["reasons"]:
                        assert reason in x.comment.text, where
                elif c["status"] in ("verified", "grounded"):
                    assert x.comment is None, where
    flags = list(wb["flags"].iter_rows(min_row=3, values_only=True))
    assert len(flags) == sum(len(r["flags"]) for r in records)
    reports = list(wb["reports"].iter_rows(min_row=2, values_only=True))
    head = reports[0]
    assert head[:6] == ("file", "input_path", "agency", "year", "template", "truncated")
    assert [r[0] for r in reports[1:]] == [r["meta"]["source_file"] for r in records]
    for row, record in zip(reports[1:], records, strict=True):
        got = dict(zip(head, row, strict=True))
        assert got["agency"] == record["meta"]["agency"].get("value")
        assert got["year"] == record["meta"]["year"].get("value")
        assert got["template"] == record["tables"]["template"]
        assert got["truncated"] is record["truncated"]
        assert got["flags"] == len(record["flags"])
        assert got["flagged"] == sum(c["status"] == "flagged" for c in json_cells(record).values())


def test_the_workbook_colours_every_cell_by_status_and_comments_flagged_ones(golden_run: Path) -> None:
    check_workbook(golden_run / "export" / "export.xlsx", read_jsonl(golden_run / "results.jsonl.gz"))


def test_a_corrected_cell_is_purple_with_the_decision_in_its_comment(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "out"
    assert cli("run", INPUTS / "putuo_health_2020.txt", "-o", out, "--llm", "off")[0] == 0
    record = read_jsonl(out / "results.jsonl.gz")[0]
    path = next(p for p, c in json_cells(record).items() if c["status"] == "flagged")
    decisions = tmp_path / "decisions.csv"
    decisions.write_text("sha256,path,decision,value,reviewer,note\n"
                         f"{record['meta']['sha256']},{path},set,7,=王,+checked\n", "utf-8")
    code, _, stderr = cli("correct", decisions, "--out", out)
    assert code == 0, stderr
    assert cli("export", out, "--format", "xlsx")[0] == 0
    corrected = read_jsonl(out / "results.jsonl.gz")
    check_workbook(out / "export" / "export.xlsx", corrected)
    ws = openpyxl.load_workbook(out / "export" / "export.xlsx")["template 2019"]
    header = [c.value for c in ws[2]]
    x = ws.cell(3, header.index(path) + 1)
    assert (x.value, _fill(x)) == (7, FILLS["corrected"])
    assert "corrected by =王: set" in x.comment.text and "+checked" in x.comment.text
    row = cells_rows(out)
    mine = next(r for r in row if r["path"] == path)
    assert (mine["status"], mine["reviewer"], mine["note"]) == ("corrected", "'=王", "'+checked")
    # The run summary counts it.
    code, stdout, _ = cli("run", INPUTS / "putuo_health_2020.txt", "-o", out, "--llm", "off")
    assert "1 corrected" in stdout


def test_the_workbook_converts_with_libreoffice_when_it_is_installed(golden_run: Path,
                                                                    tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed: the openpyxl read-back is the check here")
    subprocess.run([soffice, "--headless", "--convert-to", "csv", "--outdir", str(tmp_path),
                    str(golden_run / "export" / "export.xlsx")], check=True, timeout=300,
                   capture_output=True)
    text = (tmp_path / "export.csv").read_text("utf-8", errors="replace")
    assert "shanghai_office_2019.html" in text  # the first sheet, reports, as LibreOffice read it


# -- input identity -------------------------------------------------------------------------


def test_two_names_for_one_content_are_two_rows_each_with_its_name_and_path(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    openpyxl = pytest.importorskip("openpyxl")
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(INPUTS / "shahe_health_2020.txt", folder / "a.txt")
    shutil.copy(INPUTS / "shahe_health_2020.txt", folder / "sub" / "b.txt")
    out = tmp_path / "out"
    code, stdout, _ = cli("run", folder, "-o", out, "--llm", "off")
    assert code == 0 and "2 reports (1 already done)" in stdout  # extracted once
    expected = [("a.txt", str(folder / "a.txt")), ("b.txt", str(folder / "sub" / "b.txt"))]
    assert [(r["file"], r["input_path"]) for r in read_csv(out / "reports.csv")] == expected
    assert [r["meta"]["source_file"] for r in read_jsonl(out / "results.jsonl.gz")] == ["a.txt", "b.txt"]
    cells = cells_joined(out)
    assert {(r["file"], r["input_path"]) for r in cells} == set(expected)
    # Renamed since: the next run's exports carry the new name, although the content is known.
    (folder / "a.txt").rename(folder / "c.txt")
    code, stdout, _ = cli("run", folder, "-o", out, "--llm", "off")
    assert "2 already done" in stdout
    expected = [("c.txt", str(folder / "c.txt")), ("b.txt", str(folder / "sub" / "b.txt"))]
    assert [(r["file"], r["input_path"]) for r in read_csv(out / "reports.csv")] == expected
    for fmt in ("parquet", "sqlite", "xlsx"):
        assert cli("export", out, "--format", fmt)[0] == 0
    t = pq.read_table(out / "export" / "reports.parquet")
    assert list(zip(t.column("file").to_pylist(), t.column("input_path").to_pylist(),
                    strict=True)) == expected
    db = sqlite3.connect(out / "export" / "export.sqlite")
    assert db.execute("SELECT file, input_path FROM reports ORDER BY item").fetchall() == expected
    assert {r for r in db.execute("SELECT DISTINCT file, input_path FROM cells")} == set(expected)
    ws = openpyxl.load_workbook(out / "export" / "export.xlsx")["reports"]
    assert [(r[0], r[1]) for r in ws.iter_rows(min_row=3, values_only=True)] == expected


# -- data dictionary ------------------------------------------------------------------------


def test_the_committed_docs_fields_csv_is_what_extractor_fields_writes(tmp_path: Path) -> None:
    code, stdout, stderr = cli("fields", "-o", tmp_path / "fields.csv")
    assert code == 0, stderr
    assert (tmp_path / "fields.csv").read_bytes() == (ROOT / "docs" / "fields.csv").read_bytes(), (
        "docs/fields.csv is stale: run `extractor fields -o docs/fields.csv`")
    code, printed, _ = cli("fields")
    assert printed == (ROOT / "docs" / "fields.csv").read_text("utf-8-sig")


def test_the_data_dictionary_maps_fields_across_the_2021_change() -> None:
    rows = {r["path"]: r for r in read_csv(ROOT / "docs" / "fields.csv")}
    assert set(rows) == set(ALL) and len(rows) == 226  # 198 fields in 2019, 200 in 2021, 172 shared
    assert sum("2019" in r["templates"] for r in rows.values()) == 198
    assert sum("2021" in r["templates"] for r in rows.values()) == 200
    whole = rows["s3.other_processing.total"]
    assert (whole["templates"], whole["relation"], whole["label"]) == ("2019", "sum", "三·（六）其他处理·总计")
    assert whole["other_template"] == ("s3.other_processing_1.total + s3.other_processing_2.total"
                                       " + s3.other_processing_3.total")
    for i in (1, 2, 3):
        part = rows[f"s3.other_processing_{i}.total"]
        assert (part["templates"], part["relation"], part["comparable_as"]) == (
            "2021", "part", "s3.other_processing.total")
    granted = rows["s3.granted.natural_person"]
    assert (granted["templates"], granted["relation"], granted["section"]) == ("2019 2021", "same", "三")
    assert granted["label"] == "三·（一）予以公开·自然人" and granted["type"] == "count"
    fees = rows["s2.fees.amount"]
    assert (fees["templates"], fees["type"], fees["unit"], fees["relation"]) == ("2021", "amount", "万元", "none")
    assert rows["s2.procurement.amount"]["templates"] == "2019"
    assert rows["s2.punishment.change"]["type"] == "signed_count"
    made = rows["s2.regulations.new_made"]
    assert (made["relation"], made["other_template"], made["comparable_as"]) == (
        "similar", "s2.regulations.issued", "")
    assert rows["s4.review.total"]["relation"] == "same"


# -- CSV injection --------------------------------------------------------------------------


def test_untrusted_text_is_neutralised_in_csv_and_xlsx_and_numbers_stay_numbers(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    from extractor.outputs.safe import neutralise

    for hostile in ("=HYPERLINK(\"http://x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
                    "\tx", "\r=1"):
        assert neutralise(hostile) == "'" + hostile
    for fine in ("-47", "+1", "-3.5", "47", "规章", "", "s3.granted.total"):
        assert neutralise(fine) == fine

    folder = tmp_path / "in"
    folder.mkdir()
    name = "=HYPERLINK(1).txt"
    text = (INPUTS / "shahe_health_2020.txt").read_text("utf-8")
    (folder / name).write_text(text.replace("沙河市卫生健康局", "@沙河市卫生健康局", 1), "utf-8")
    out = tmp_path / "out"
    assert cli("run", folder, "-o", out, "--llm", "off")[0] == 0
    assert cli("export", out, "--format", "xlsx")[0] == 0
    record = read_jsonl(out / "results.jsonl.gz")[0]
    assert record["meta"]["source_file"] == name  # JSON keeps the text as it is
    report = read_csv(out / "reports.csv")[0]
    # "@沙河市卫生健康局" is no agency's name: the rules reject it and say so (a person reads
    # the candidates in the flag); the file name carries the formula into every export
    assert record["meta"]["agency"].get("value") is None
    assert "META:agency" in {f["key"] for f in record["flags"]}
    assert report["file"] == "'" + name and report["input_path"] == str(folder / name)
    assert report["agency"] == ""
    assert report["s2.punishment.change"] == "-47"  # a number stays a number
    cells = {row["path"]: row for row in cells_joined(out)}
    assert {row["file"] for row in cells.values()} == {"'" + name}
    assert cells["s2.punishment.change"]["value"] == "-47"
    raw = cells_text(out)
    assert "\n=" not in raw and ",=" not in raw and ",@" not in raw and ",+" not in raw
    wb = openpyxl.load_workbook(out / "export" / "export.xlsx")
    reports = list(wb["reports"].iter_rows(min_row=3, values_only=True))
    assert reports[0][0] == "'" + name
    sheet = wb["template 2019"]
    assert sheet.cell(3, 2).value == "'" + name and sheet.cell(3, 2).data_type == "s"
    assert sheet.cell(3, 3).value is None  # no agency
    for ws in wb.worksheets:  # nothing was written as a formula
        for row in ws.iter_rows():
            assert all(c.data_type != "f" for c in row), ws.title
    header = [c.value for c in sheet[2]]
    assert sheet.cell(3, header.index("s2.punishment.change") + 1).value == -47


# -- summary, frames, README ----------------------------------------------------------------


def test_the_summary_keeps_missing_apart_from_what_needs_a_person(golden_run: Path) -> None:
    records = read_jsonl(golden_run / "results.jsonl.gz")
    cells = [(c, r["truncated"]) for r in records for c in json_cells(r).values()]
    missing = [t for c, t in cells if c["status"] == "flagged" and c["state"] == "missing"]
    others = sum(c["status"] == "flagged" and c["state"] != "missing" for c, _ in cells)
    cut = sum(r["truncated"] for r in records)
    line = (golden_run / "summary.txt").read_text("utf-8")
    assert f"{len(cells)} cells:" in line
    assert f" {others} flagged (need a person)" in line
    assert (f" {len(missing)} missing ({sum(missing)} in {cut} cut-off files, "
            f"{len(missing) - sum(missing)} where a table or row is absent)") in line
    assert "0 corrected" in line and "0 errors" in line


def test_read_run_gives_typed_frames(golden_run: Path) -> None:
    pd = pytest.importorskip("pandas")
    from extractor.outputs.frames import FramesError, read_run, record_frame
    from extractor.schema import Record

    wide = read_run(golden_run)
    assert len(wide) == 19
    for p in COUNTS:
        assert str(wide[p].dtype) == "Int64", p
    for p in AMOUNTS:
        assert pd.api.types.is_numeric_dtype(wide[p]) and "decimal128(18, 6)" in str(wide[p].dtype)
    assert str(wide["truncated"].dtype) == "boolean"
    records = read_jsonl(golden_run / "results.jsonl.gz")
    for i, record in enumerate(records):
        for p, c in json_cells(record).items():
            got = wide.at[i, p]
            if c["state"] == "number":
                assert Decimal(str(got)) == Decimal(str(c.get("value"))), (i, p)
            else:
                assert got is pd.NA, (i, p)
            assert wide.at[i, f"{p}:state"] == c["state"]
    assert wide["s2.procurement.amount"].sum() == Decimal("25.1") + sum(
        Decimal(str(json_cells(r)["s2.procurement.amount"].get("value"))) for r in records
        if r["tables"]["template"] == "2019" and r["meta"]["source_file"] != "shanghai_office_2019.html"
        and json_cells(r)["s2.procurement.amount"]["state"] == "number")
    long = read_run(golden_run, "long")
    assert len(long) == 3778 and str(long["value"].dtype) == "Int64"
    one = record_frame(Record.model_validate({**records[0], "text": ""}))  # lines lack the text
    assert len(one) == 1 and one.at[0, "file"] == records[0]["meta"]["source_file"]
    with pytest.raises(FramesError):
        read_run(golden_run / "nothing-here")
    from_jsonl = read_run(golden_run / "results.jsonl.gz")  # results from elsewhere
    assert list(from_jsonl["file"]) == list(wide["file"])
    assert (from_jsonl["s3.granted.total"].fillna(-1) == wide["s3.granted.total"].fillna(-1)).all()
    assert len(read_run(golden_run, run=1)) == 19


def _readme_block(lang: str, marker: str) -> str:
    readme = (ROOT / "README.md").read_text("utf-8")
    at = readme.index(marker)
    m = re.compile(rf"```{lang}\n(.*?)```", re.S).search(readme, at)
    assert m is not None
    return m.group(1)


def test_the_readme_pandas_and_sql_examples_give_the_same_answer(golden_run: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    code = _readme_block("python", "<!-- example: pandas -->")
    query = _readme_block("sql", "<!-- example: sql -->")
    assert len(code.strip().splitlines()) <= 10
    monkeypatch.chdir(golden_run.parent)  # the examples name out/export/...
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    per_year = namespace["per_year"]
    db = sqlite3.connect(golden_run / "export" / "export.sqlite")
    sql = db.execute(query).fetchall()
    frame = [(int(y), int(n), int(s)) for y, (n, s) in per_year.iterrows()]  # type: ignore[attr-defined]
    assert frame == [tuple(r) for r in sql]
    # And both say what results.jsonl.gz says, counted here with plain JSON.
    by_year: dict[int, list[int]] = {}
    for r in read_jsonl(golden_run / "results.jsonl.gz"):
        c = json_cells(r)["s3.new_received.total"]
        if c["status"] in ("verified", "corrected") and c["state"] == "number":
            by_year.setdefault(r["meta"]["year"].get("value"), []).append(int(c.get("value")))
    assert frame == [(y, len(v), sum(v)) for y, v in sorted(by_year.items())]
    assert len(frame) >= 3


def test_every_status_has_its_count_column() -> None:
    from extractor.outputs.tables import REPORT_COLUMNS

    names = [c.name for c in REPORT_COLUMNS]
    for status in CellStatus:
        assert status.value in names


def test_printed_text_reasons_and_messages_are_neutralised_too(tmp_path: Path) -> None:
    """A cell printing a formula, a reason and a flag message quoting it: neutralised in
    cells.csv, flags.csv and the workbook (their text comes from the document)."""
    openpyxl = pytest.importorskip("openpyxl")
    from extractor.outputs.rows import BatchWriter
    from extractor.outputs.tables import Item
    from extractor.outputs.xlsx import write_xlsx
    from extractor.schema import CellState, Issue, Record, iter_cells

    line = INPUTS / "shahe_health_2020.txt"
    out = tmp_path / "out"
    assert cli("run", line, "-o", out, "--llm", "off", "-q", "--with-text")[0] == 0
    record = Record.model_validate_json(results_lines(out)[0])
    cell = next(c for c in iter_cells(record.tables) if c.path == "s2.coercion.prev_items")
    cell.state, cell.value, cell.raw = CellState.UNREADABLE, None, "=1+2"
    cell.status = CellStatus.FLAGGED
    cell.reasons = ["-cmd|' /C calc'!A0"]
    record.flags.append(Issue(rule="X", key="X:1", message="@SUM(1)", paths=[cell.path]))
    with BatchWriter(tmp_path / "w") as writer:
        writer.add(record)
    row = next(r for r in cells_rows(tmp_path / "w") if r["path"] == cell.path)
    assert (row["raw"], row["reasons"], row["value"]) == ("'=1+2", "'-cmd|' /C calc'!A0", "")
    flag = read_csv(tmp_path / "w" / "flags.csv")[-1]
    assert flag["message"] == "'@SUM(1)"
    write_xlsx([Item.of(record)], tmp_path / "w.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "w.xlsx")
    assert list(wb["flags"].iter_rows(values_only=True))[-1][4] == "'@SUM(1)"
    header = [c.value for c in wb["template 2019"][2]]
    x = wb["template 2019"].cell(3, header.index(cell.path) + 1)
    assert x.value is None and "-cmd" in x.comment.text and "printed: =1+2" in x.comment.text


def test_comments_stop_at_the_cap_and_the_legend_says_so(golden_run: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    from extractor.outputs import xlsx
    from extractor.outputs.items import read_run

    monkeypatch.setattr(xlsx, "MAX_COMMENTS", 5)
    xlsx.write_xlsx(read_run(golden_run), tmp_path / "capped.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "capped.xlsx")
    comments = [c for name in ("template 2019", "template 2021") for row in wb[name].iter_rows()
                for c in row if c.comment is not None]
    assert len(comments) == 5
    legend = [c.value for row in wb["legend"].iter_rows() for c in row if c.value]
    assert any("Comments stop after 5 cells" in str(v) for v in legend)


def test_the_readme_audit_query_counts_each_cell_once_after_redo(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    m = re.search(r"`(SELECT i\.path, c\.path.*?'flagged')`", readme, re.S)
    assert m is not None
    query = " ".join(m.group(1).split())
    out = tmp_path / "out"
    report = INPUTS / "putuo_health_2020.txt"
    assert cli("run", report, "-o", out, "--llm", "off")[0] == 0
    assert cli("run", report, "-o", out, "--llm", "off", "--redo")[0] == 0
    flagged = sum(c["status"] == "flagged"
                  for c in json_cells(read_jsonl(out / "results.jsonl.gz")[0]).values())
    db = sqlite3.connect(out / "store.sqlite")
    assert db.execute("SELECT count(*) FROM results").fetchone()[0] == 2  # history kept
    assert len(db.execute(query).fetchall()) == flagged > 0


def test_a_resumed_run_rewrites_exports_an_older_layout_wrote(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = INPUTS / "putuo_health_2020.txt"
    assert cli("run", report, "-o", out, "--llm", "off")[0] == 0
    (out / "reports.csv").write_text("file,三·（一）予以公开·自然人 [s3.granted.natural_person]\n", "utf-8")
    db = sqlite3.connect(out / "store.sqlite")
    key = next(k for (k,) in db.execute("SELECT key FROM meta WHERE key LIKE 'exported:%'"))
    stamp = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]
    # What the tool wrote before the layout was part of the stamp: the run's items only.
    db.execute("UPDATE meta SET value = ? WHERE key = ?", (stamp.split(":")[0], key))
    db.commit()
    db.close()
    assert cli("run", report, "-o", out, "--llm", "off")[0] == 0
    assert "s3.granted.natural_person:status" in (out / "reports.csv").read_text("utf-8-sig")


def test_values_a_typed_column_cannot_hold_are_never_rounded(tmp_path: Path) -> None:
    """A count printed with a fraction is null in its integer column (the verifier flags it);
    an amount finer than 1 分 stops the parquet and SQLite exports with the file named."""
    from extractor.outputs.export import ExportError, write_parquet, write_sqlite
    from extractor.outputs.items import Item
    from extractor.outputs.tables import REPORT_COLUMNS, cell_values, report_values
    from extractor.schema import Record, iter_cells

    record = Record.model_validate(read_jsonl_one(INPUTS / "shanghai_office_2019.html", tmp_path))
    cells = {c.path: c for c in iter_cells(record.tables)}
    cells["s3.new_received.total"].value = Decimal("12.5")
    row = dict(zip([c.name for c in REPORT_COLUMNS], report_values(Item.of(record)), strict=True))
    assert row["s3.new_received.total"] is None and row["s3.new_received.total:state"] == "number"
    assert next(r for r in cell_values(Item.of(record)) if r[4] == "s3.new_received.total")[6] is None
    cells["s2.procurement.amount"].value = Decimal("25.1000001")
    for write in (lambda: write_sqlite([Item.of(record)], tmp_path / "x.sqlite"),
                  lambda: write_parquet([Item.of(record)], tmp_path / "pq")):
        with pytest.raises(ExportError, match="shanghai_office_2019.html.*s2.procurement.amount"):
            write()


def read_jsonl_one(report: Path, tmp: Path) -> dict:
    out = tmp / "one"
    assert cli("run", report, "-o", out, "--llm", "off", "-q", "--with-text")[0] == 0
    return read_jsonl(out / "results.jsonl.gz")[0]


def test_placement_reaches_cells_csv_and_the_store(golden_run: Path) -> None:
    """Hand-read (golden/GOLDEN.md): pingtan_office_2021's section 三 rows are glued digit
    runs placed by the identities; shanghai_office_2025's （二）部分公开 lost its label."""
    rows = {(r["file"], r["path"]): r for r in cells_joined(golden_run)}
    glued = rows[("pingtan_office_2021.txt", "s3.new_received.total")]
    assert (glued["placement"], glued["status"]) == ("identities", "inferred")
    orphan = rows[("shanghai_office_2025.md", "s3.partially_granted.total")]
    assert (orphan["placement"], orphan["status"]) == ("orphan", "inferred")
    printed = rows[("pinghu_health_2024.txt", "s3.new_received.total")]
    assert (printed["placement"], printed["status"]) == ("direct", "verified")
    db = sqlite3.connect(golden_run / "store.sqlite")
    got = dict(db.execute("SELECT file, placement FROM latest_cells WHERE path = ?",
                          ("s3.new_received.total",)).fetchall())
    assert got["pingtan_office_2021.txt"] == "identities"
    assert got["pinghu_health_2024.txt"] == "direct"
