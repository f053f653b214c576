"""The agency × year panel and the checks across documents (X1–X4).

Consecutive years are built at test time from golden/inputs/pinghu_health_2024.txt (a 2021
template report printed as a pipe table): each synthetic report is that text with another
agency, another year and the rows below rewritten with numbers chosen by hand so that each
report's own identities hold. Every expected value here is written by hand.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor.cli import main
from extractor.outputs.items import Item, read_run
from extractor.panel import build_panel
from extractor.panel.names import AliasError, agency_identity, load_aliases, region_of
from extractor.panel.rules import instances
from extractor.schema import CellStatus, Record

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "golden" / "inputs" / "pinghu_health_2024.txt"
REAL_PAIR = ROOT / "golden" / "inputs-panel"

NEW = "一、本年新收政府信息公开申请数量"
CARRIED_OVER = "二、上年结转政府信息公开申请数量"
GRANTED = "三、本年度办理结果 | (一)予以公开"
TOTAL = "(七)总计"
CARRIED_FORWARD = "四、结转下年度继续办理"
NORMATIVE = "行政规范性文件"
LICENSING = "行政许可"

Z = (0, 0, 0, 0, 0, 0, 0)


def s3(np: int, commercial: int = 0) -> tuple[int, ...]:
    """A section 三 row: natural persons, commercial firms, nothing else, and the total."""
    return (np, commercial, 0, 0, 0, 0, np + commercial)


def report(agency: str, year: int, rows: dict[str, tuple[int, ...]]) -> str:
    """The base report as `agency`'s report of `year`, with `rows` rewritten (label -> the
    numbers printed after it). (七)总计 always equals 予以公开 here."""
    text = BASE.read_text("utf-8").replace("平湖市卫生健康局", agency).replace("2024", str(year))
    if GRANTED in rows:
        rows = {**rows, TOTAL: rows[GRANTED]}
    for label, values in rows.items():
        pat = re.compile(rf"^({re.escape(label)})((?: \| -?\d+){{{len(values)}}})", re.M)
        text, n = pat.subn(lambda m, v=values: m[1] + "".join(f" | {x}" for x in v), text)
        assert n == 1, label
    return text


def year_rows(new: tuple[int, ...], over: tuple[int, ...], granted: tuple[int, ...],
              forward: tuple[int, ...], **extra: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    for a, b, c, d in zip(new, over, granted, forward, strict=True):
        assert a + b == c + d, "I1 must hold in every synthetic report"
    return {NEW: new, CARRIED_OVER: over, GRANTED: granted, CARRIED_FORWARD: forward,
            **{ {"normative": NORMATIVE, "licensing": LICENSING}[k]: v for k, v in extra.items()}}


#: file name -> (agency, year, rows). 2024 of 平湖 is the golden file itself.
CORPUS: dict[str, tuple[str, int, dict[str, tuple[int, ...]]]] = {
    # A: carried over year by year; section 二 stock continuity holds 2024->2025, not 2025->2026
    "a_2024.txt": ("平湖市卫生健康局", 2024, {}),
    "a_2025.txt": ("平湖市卫生健康局", 2025, year_rows(s3(5, 1), Z, s3(3, 1), s3(2),
                                                     normative=(2, 0, 2))),
    "a_2026.txt": ("平湖市卫健局", 2026, year_rows(s3(4), s3(2), s3(6), Z, normative=(1, 1, 5))),
    # B: a deliberate break: 2024 carries 1 forward, 2025 says 4 were carried over
    "b_2024.txt": ("海盐县卫生健康局", 2024, year_rows(s3(3), Z, s3(2), s3(1))),
    "b_2025.txt": ("海盐县卫生健康局", 2025, year_rows(s3(1), s3(4), s3(5), Z)),
    # C: renamed between the years; linked only by the alias file
    "c_2024.txt": ("嘉善县卫生和计划生育局", 2024, year_rows(s3(2), Z, s3(1), s3(1))),
    "c_2025.txt": ("嘉善县卫生健康局", 2025, year_rows(Z, s3(1), s3(1), Z)),
    # D: 2025 is 2024 with the year changed
    "d_2024.txt": ("桐乡市卫生健康局", 2024, {}),
    "d_2025.txt": ("桐乡市卫生健康局", 2025, {}),
    # E: two versions of one report (one number differs), and a byte copy of the first
    "e_2024_v1.txt": ("德清县卫生健康局", 2024, {}),
    "e_2024_v2.txt": ("德清县卫生健康局", 2024, {LICENSING: (14,)}),
    # F: a name that says no region
    "f_2024.txt": ("区统计局", 2024, {}),
    # G: a quiet agency: the same two non-zero cells (行政许可 2, 行政处罚 1) both years, too
    # few to call the second a copy
    "g_2024.txt": ("海宁市审计局", 2024, year_rows(Z, Z, Z, Z, licensing=(2,))),
    "g_2025.txt": ("海宁市审计局", 2025, year_rows(Z, Z, Z, Z, licensing=(2,))),
}

ALIASES = "name,canonical,region_code\n嘉善县卫生和计划生育局,嘉善县卫生健康局,330421\n"


def invoke(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, (result.output, result.stderr)
    return result.stdout


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("years")
    for name, (agency, year, rows) in CORPUS.items():
        (folder / name).write_text(report(agency, year, rows), "utf-8")
    shutil.copy(folder / "e_2024_v1.txt", folder / "e_2024_v1_copy.txt")
    return folder


@pytest.fixture(scope="module")
def run_out(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    aliases = out.parent / "aliases.csv"
    aliases.write_text(ALIASES, "utf-8")
    stdout = invoke("run", str(corpus), "-o", str(out), "-q", "--aliases", str(aliases))
    assert "15 reports" in stdout
    return out


def records(out: Path) -> dict[str, Record]:
    return {i.file: i.record for i in read_run(out) if i.record is not None}


# -- agency identity --------------------------------------------------------------------------


@pytest.mark.parametrize(("read", "key"), [
    ("平湖市卫生健康局", "平湖市卫生健康局"),
    ("平湖市卫健局", "平湖市卫生健康局"),  # V4
    ("信丰县卫生健康委", "信丰县卫生健康委员会"),  # V5
    ("ＸＸ縣政府辦", "XX县人民政府办公室"),  # N1 full width + traditional, V1
    ("某县政府办公室", "某县人民政府办公室"),
    ("某县人民政府办公室", "某县人民政府办公室"),
    ("某县政府", "某县人民政府"),  # V3
    ("某区", "某区人民政府"),  # R1: a region's own report
    ("拖市镇", "拖市镇人民政府"),
    ("某区2021年政府信息公开工作年度报告", "某区人民政府"),  # N2 title noise
    ("平潭综合实验区管委会办公室", "平潭综合实验区管理委员会办公室"),  # V11
    ("上海市人民政府办公厅", "上海市人民政府办公厅"),
    ("上海市市场监督管理局", "上海市市场监督管理局"),  # 市场 is not a place
    ("国家统计局", "国家统计局"),  # a national body names no region and needs none
])
def test_names_are_keyed_by_the_documented_rules(read: str, key: str) -> None:
    assert agency_identity(read).key == key


def test_a_region_and_its_government_office_are_two_bodies() -> None:
    region = agency_identity("某区2021年政府信息公开工作年度报告").key
    office = agency_identity("某区人民政府办公室").key
    assert region == "某区人民政府" and office == "某区人民政府办公室"


@pytest.mark.parametrize("read", ["区统计局", "县审计局", "市场监管局", "区市场监督管理局"])
def test_a_name_without_a_region_is_doubtful_and_gets_no_key(read: str) -> None:
    ident = agency_identity(read)
    assert ident.key is None and ident.identity == "doubtful" and "names no region" in ident.reason


def test_no_name_is_listed_as_no_name() -> None:
    assert agency_identity(None).identity == "no_name"
    assert agency_identity("  ").key is None


def test_regions_are_read_at_the_level_their_suffix_says() -> None:
    r = region_of("江苏省南京市玄武区人民政府办公室")
    assert (r.name, r.province, r.city, r.county) == ("江苏省南京市玄武区", "江苏省", "南京市", "玄武区")
    r = region_of("上海市普陀区卫生健康委员会")
    assert (r.province, r.city, r.county) == ("上海市", None, "普陀区")
    r = region_of("海宁市卫生健康局")  # a 市 alone: a city or a county-level city
    assert (r.name, r.province, r.city, r.county) == ("海宁市", None, None, None)
    assert region_of("国家统计局").name is None


def test_alias_file_maps_names_and_refuses_a_name_mapped_twice(tmp_path: Path) -> None:
    good = tmp_path / "a.csv"
    good.write_text("\ufeffname,canonical,region_code\n嘉善縣衛生和計劃生育局,嘉善县卫生健康局,330421\n"
                    "区统计局,某区统计局,\n", "utf-8")
    aliases = load_aliases(good)
    ident = agency_identity("嘉善县卫生和计划生育局", aliases)
    assert (ident.key, ident.identity, ident.region_code) == ("嘉善县卫生健康局", "alias", "330421")
    assert agency_identity("区统计局", aliases).key == "某区统计局"  # a person resolved it
    bad = tmp_path / "b.csv"
    bad.write_text("name,canonical\n甲局,乙局\n甲局,丙局\n", "utf-8")
    with pytest.raises(AliasError, match="already mapped"):
        load_aliases(bad)
    empty = tmp_path / "c.csv"
    empty.write_text("name,canonical\n甲局,\n", "utf-8")
    with pytest.raises(AliasError, match="line 2"):
        load_aliases(empty)


# -- the rules as data ------------------------------------------------------------------------


def test_x1_is_one_equation_per_section_3_column_across_any_templates() -> None:
    for pair in (("2019", "2019"), ("2019", "2021"), ("2021", "2021")):
        x1 = [e for e in instances(*pair) if e.rule == "X1"]
        assert len(x1) == 7
    eq = next(e for e in instances("2019", "2021") if e.key == "X1:total")
    assert eq.left == (("later", "s3.carried_over.total", 1),)
    assert eq.right == (("earlier", "s3.carried_forward.total", 1),)


def test_x2_compares_stocks_only_within_one_template() -> None:
    assert [e.key for e in instances("2019", "2021") if e.rule == "X2"] == []
    x2 = {e.key: e for e in instances("2021", "2021") if e.rule == "X2"}
    assert sorted(x2) == ["X2:normative_documents", "X2:regulations"]
    assert x2["X2:regulations"].right == (("earlier", "s2.regulations.in_force", 1),
                                          ("later", "s2.regulations.issued", 1),
                                          ("later", "s2.regulations.repealed", -1))
    assert [e.key for e in instances("2019", "2019") if e.rule == "X2"] == [
        "X2:licensing", "X2:other_services", "X2:punishment", "X2:coercion", "X2:fees"]


# -- a real consecutive-year pair ---------------------------------------------------------------


def test_a_real_pair_of_one_agency_is_linked_and_carries_over(tmp_path: Path) -> None:
    out = tmp_path / "out"
    invoke("run", str(REAL_PAIR), "-o", str(out), "-q")
    panel = read_csv(out / "panel.csv")
    assert [(r["agency_key"], r["year"], r["previous_year"]) for r in panel] == [
        ("平潭综合实验区行政审批局", "2024", ""), ("平潭综合实验区行政审批局", "2025", "2024")]
    assert (panel[1]["x1_pass"], panel[1]["x1_fail"]) == ("7", "0")
    checks = {r["key"]: r for r in read_csv(out / "panel_checks.csv")}
    # Read by hand from the two pages: 2024 行政规范性文件 15 | 6 | 21; 2025 3 | 0 | 24; 2025
    # prints no 规章 row.
    assert (checks["X2:normative_documents"]["outcome"], checks["X2:normative_documents"]["left"],
            checks["X2:normative_documents"]["right"]) == ("pass", "24", "24")
    assert checks["X2:regulations"]["outcome"] == "not_assessable"
    assert read_csv(out / "panel_flags.csv") == []


# -- synthetic years ----------------------------------------------------------------------------


def test_the_synthetic_reports_verify_on_their_own(run_out: Path) -> None:
    recs = records(run_out)
    assert len(recs) == 15
    for name, r in recs.items():
        for cell in (r.tables.s3.carried_over.natural_person, r.tables.s3.carried_forward.total):
            assert cell.status is CellStatus.VERIFIED, name


def test_panel_counts_agencies_links_and_x1_outcomes(run_out: Path) -> None:
    rows = read_csv(run_out / "panel.csv")
    linked = {(r["agency_key"], r["year"], r["version"]) for r in rows if r["agency_key"]}
    assert linked == {
        ("平湖市卫生健康局", "2024", "1"), ("平湖市卫生健康局", "2025", "1"),
        ("平湖市卫生健康局", "2026", "1"), ("海盐县卫生健康局", "2024", "1"),
        ("海盐县卫生健康局", "2025", "1"), ("嘉善县卫生健康局", "2024", "1"),
        ("嘉善县卫生健康局", "2025", "1"), ("桐乡市卫生健康局", "2024", "1"),
        ("桐乡市卫生健康局", "2025", "1"), ("德清县卫生健康局", "2024", "1"),
        ("德清县卫生健康局", "2024", "2"), ("海宁市审计局", "2024", "1"),
        ("海宁市审计局", "2025", "1")}
    assert len(rows) == 14  # the byte copy of e_2024_v1 is one row with it; f is listed
    unlinked = [r for r in rows if not r["agency_key"]]
    assert [(r["file"], r["identity"]) for r in unlinked] == [("f_2024.txt", "doubtful")]
    checks = [r for r in read_csv(run_out / "panel_checks.csv") if r["rule"] == "X1"]
    assert len(checks) == 6 * 7  # links: A 2024->25, 25->26, B, C (alias), D, G
    assert sum(r["outcome"] == "pass" for r in checks) == 40
    assert sorted((r["agency_key"], r["key"]) for r in checks if r["outcome"] == "fail") == [
        ("海盐县卫生健康局", "X1:natural_person"), ("海盐县卫生健康局", "X1:total")]
    c2025 = next(r for r in rows if r["file"] == "c_2025.txt")
    assert (c2025["identity"], c2025["region_code"], c2025["previous_year"]) == ("rules", "", "2024")
    c2024 = next(r for r in rows if r["file"] == "c_2024.txt")
    assert (c2024["identity"], c2024["region_code"], c2024["next_year"]) == ("alias", "330421", "2025")


def test_a_break_is_a_flag_naming_both_documents_cells_and_spans(run_out: Path) -> None:
    recs = records(run_out)
    flags = [f for f in read_csv(run_out / "panel_flags.csv") if f["rule"] == "X1"]
    assert [f["key"] for f in flags] == ["X1:natural_person:海盐县卫生健康局:2024-2025",
                                         "X1:total:海盐县卫生健康局:2024-2025"]
    f = flags[0]
    assert (f["severity"], f["verdict"], f["grounded"]) == ("flag", "source_inconsistency", "both")
    assert (f["a_file"], f["a_year"], f["a_paths"], f["a_values"]) == (
        "b_2024.txt", "2024", "s3.carried_forward.natural_person", "1")
    assert (f["b_file"], f["b_year"], f["b_paths"], f["b_values"]) == (
        "b_2025.txt", "2025", "s3.carried_over.natural_person", "4")
    assert f["a_input_path"].endswith("b_2024.txt") and f["b_input_path"].endswith("b_2025.txt")
    a_text, b_text = recs["b_2024.txt"].text, recs["b_2025.txt"].text
    assert a_text[int(f["a_span_start"]):int(f["a_span_end"])] == "1"
    assert b_text[int(f["b_span_start"]):int(f["b_span_end"])] == "4"
    assert a_text[:int(f["a_span_start"])].splitlines()[-1].startswith(CARRIED_FORWARD)
    assert b_text[:int(f["b_span_start"])].splitlines()[-1].startswith(CARRIED_OVER)
    assert "b_2024.txt" in f["message"] and "b_2025.txt" in f["message"]
    assert "reorganised" in f["message"]  # strict, and says why it may break


def test_the_review_page_shows_a_break_on_both_reports_linking_each_other(
        run_out: Path, tmp_path: Path) -> None:
    from extractor.review.page import review

    review(run_out, tmp_path / "review")
    html = (tmp_path / "review" / "index.html").read_text(encoding="utf-8")
    blocks = {m.group(1): json.loads(m.group(2)) for m in re.finditer(
        r'<script type="application/json" id="(r\d+|index)">(.*?)</script>', html)}
    reports = {d["file"]: d for k, d in blocks.items() if k != "index"}
    recs = records(run_out)
    sha = {name: r.meta.sha256 for name, r in recs.items()}
    for me, other, path, value in (("b_2024.txt", "b_2025.txt", "s3.carried_forward.natural_person", "1"),
                                   ("b_2025.txt", "b_2024.txt", "s3.carried_over.natural_person", "4")):
        data = reports[me]
        x1 = [f for f in data["flags"] if f["k"] == "X1:natural_person:海盐县卫生健康局:2024-2025"]
        assert len(x1) == 1, me
        f = x1[0]
        assert [data["cells"][c]["p"] for c in f["c"]] == [path]
        assert [link["sha"] for link in f["links"]] == [sha[other]]
        assert other in f["links"][0]["label"]
        assert recs[me].text[f["sp"][0]:f["sp"][1]] == value
        # both readings verify on their own: nothing here to decide, the page says so
        assert f["g"] == "info"


def test_cross_document_flags_are_added_to_flags_csv_once_per_document(run_out: Path) -> None:
    rows = [r for r in read_csv(run_out / "flags.csv") if r["rule"] in ("X1", "X2", "X3", "X4", "AGENCY")]
    got = sorted((r["rule"], r["file"]) for r in rows)
    assert got == sorted([
        ("X1", "b_2024.txt"), ("X1", "b_2025.txt"), ("X1", "b_2024.txt"), ("X1", "b_2025.txt"),
        ("X3", "e_2024_v1.txt"), ("X3", "e_2024_v2.txt"),
        ("X4", "d_2024.txt"), ("X4", "d_2025.txt"),
        ("AGENCY", "f_2024.txt")])
    x1 = next(r for r in rows if r["rule"] == "X1" and r["file"] == "b_2025.txt")
    assert x1["paths"].startswith("s3.carried_over.") and "other document" in x1["message"]
    assert x1["message"].count("b_2024.txt") >= 1


def test_x2_is_a_warning_in_the_panel_only(run_out: Path) -> None:
    checks = [r for r in read_csv(run_out / "panel_checks.csv")
              if r["rule"] == "X2" and r["agency_key"] == "平湖市卫生健康局"]
    got = sorted((r["earlier_year"], r["key"], r["outcome"], r["left"], r["right"]) for r in checks)
    assert got == [("2024", "X2:normative_documents", "pass", "2", "2"),
                   ("2024", "X2:regulations", "pass", "0", "0"),
                   ("2025", "X2:normative_documents", "fail", "5", "2"),
                   ("2025", "X2:regulations", "pass", "0", "0")]
    warn = [f for f in read_csv(run_out / "panel_flags.csv") if f["rule"] == "X2"]
    assert [(f["severity"], f["a_file"], f["b_file"]) for f in warn] == [
        ("warning", "a_2025.txt", "a_2026.txt")]
    assert warn[0]["b_paths"] == ("s2.normative_documents.in_force s2.normative_documents.issued "
                                  "s2.normative_documents.repealed")
    a26 = next(r for r in read_csv(run_out / "panel.csv") if r["file"] == "a_2026.txt")
    assert a26["x2_warnings"] == "1"


def test_two_versions_are_both_kept_and_identical_content_is_one_row(run_out: Path) -> None:
    rows = [r for r in read_csv(run_out / "panel.csv") if r["agency_key"] == "德清县卫生健康局"]
    assert [(r["file"], r["version"], r["versions"], r["x3_versions"]) for r in rows] == [
        ("e_2024_v1.txt", "1", "2", "true"), ("e_2024_v2.txt", "2", "2", "true")]
    assert rows[0]["duplicates"].endswith("e_2024_v1_copy.txt")
    assert (rows[0]["s2.licensing.decisions"], rows[1]["s2.licensing.decisions"]) == ("13", "14")
    x3 = [f for f in read_csv(run_out / "panel_flags.csv") if f["rule"] == "X3"]
    assert len(x3) == 1 and "1 cells differ" in x3[0]["message"] and "行政许可" in x3[0]["message"]


def test_a_copied_report_is_flagged_x4_and_an_honest_one_is_not(run_out: Path) -> None:
    rows = {r["file"]: r for r in read_csv(run_out / "panel.csv")}
    assert rows["d_2025.txt"]["x4_copy"] == "true"
    assert [rows[f]["x4_copy"] for f in ("d_2024.txt", "a_2025.txt", "a_2026.txt", "b_2025.txt",
                                         "g_2025.txt")] == ["false"] * 5
    assert rows["g_2025.txt"]["previous_year"] == "2024"  # linked, equal, and not a copy
    x4 = [f for f in read_csv(run_out / "panel_flags.csv") if f["rule"] == "X4"]
    assert [(f["a_file"], f["b_file"]) for f in x4] == [("d_2024.txt", "d_2025.txt")]


def test_x1_evidence_is_shown_beside_the_cells_and_statuses_stay(run_out: Path) -> None:
    rows = {r["file"]: r for r in read_csv(run_out / "panel.csv")}
    a25 = rows["a_2025.txt"]
    assert a25["s3.carried_over.natural_person:cross_year"] == "pass"  # with 2024
    assert a25["s3.carried_forward.natural_person:cross_year"] == "pass"  # with 2026
    b25 = rows["b_2025.txt"]
    assert b25["s3.carried_over.natural_person:cross_year"] == "fail"
    assert b25["s3.carried_over.commercial:cross_year"] == "pass"
    assert b25["s3.carried_over.natural_person:status"] == "verified"  # a flag, not a new status
    assert b25["s3.carried_over.natural_person"] == "4"
    assert rows["f_2024.txt"]["s3.carried_over.total:cross_year"] == ""


def test_nothing_cross_document_changes_a_number(run_out: Path, tmp_path: Path) -> None:
    """The run's outputs are exactly what an export without the panel writes, save the
    panel's own flag rows in flags.csv; the panel's numbers are the reports'."""
    invoke("export", str(run_out), "--to", str(tmp_path / "csv"))
    invoke("export", str(run_out), "--format", "jsonl", "--to", str(tmp_path / "jsonl"))
    for name in ("cells.csv.gz", "reports.csv"):
        assert (run_out / name).read_bytes() == (tmp_path / "csv" / name).read_bytes(), name
    assert (run_out / "results.jsonl.gz").read_bytes() == (tmp_path / "jsonl" / "results.jsonl.gz").read_bytes()
    # the csv export is the run's own: its flags.csv with the panel's flags, and the panel
    for name in ("flags.csv", "panel.csv", "panel_flags.csv", "panel_checks.csv"):
        assert (run_out / name).read_bytes() == (tmp_path / "csv" / name).read_bytes(), name
    assert {r["rule"] for r in read_csv(tmp_path / "csv" / "flags.csv")} >= {"X1", "X3", "X4"}
    reports = {r["item"]: r for r in read_csv(run_out / "reports.csv")}
    for row in read_csv(run_out / "panel.csv"):
        rep = reports[row["item"]]
        for col, value in rep.items():
            if col.startswith(("s2.", "s3.", "s4.")):
                assert row[col] == value, (row["file"], col)


def test_every_export_format_but_jsonl_carries_the_panel_and_its_cross_document_flags(
        run_out: Path, tmp_path: Path) -> None:
    stdout = invoke("export", str(run_out), "--format", "sqlite", "--to", str(tmp_path / "db"))
    assert str(tmp_path / "db" / "panel.sqlite") in stdout.splitlines()
    db = sqlite3.connect(tmp_path / "db" / "panel.sqlite")
    try:
        exported = sorted(db.execute("SELECT rule, key FROM panel_flags").fetchall())
        years = db.execute("SELECT count(*) FROM panel").fetchone()[0]
    finally:
        db.close()
    assert {rule for rule, _ in exported} >= {"X1", "X3", "X4"}
    assert exported == sorted((r["rule"], r["key"]) for r in read_csv(run_out / "panel_flags.csv"))
    assert years == len(read_csv(run_out / "panel.csv"))
    invoke("export", str(run_out), "--format", "jsonl", "--to", str(tmp_path / "jsonl"))
    assert not list((tmp_path / "jsonl").glob("panel*"))


def test_a_panel_from_results_lines_without_text_says_why_its_snippets_are_empty(
        run_out: Path, tmp_path: Path) -> None:
    alone = tmp_path / "theirs"
    alone.mkdir()
    shutil.copy(run_out / "results.jsonl.gz", alone)  # written without --with-text
    with gzip.open(alone / "results.jsonl.gz", "rt", encoding="utf-8") as fh:
        lines = sum(1 for _ in fh)
    result = CliRunner().invoke(main, ["panel", str(alone / "results.jsonl.gz")])
    assert result.exit_code == 0, result.output
    assert f"note: {lines} reports came without their text" in result.stderr
    flags = read_csv(alone / "panel_flags.csv")
    assert flags and not any(r["a_snippet"] or r["b_snippet"] for r in flags)
    invoke("export", str(run_out), "--format", "jsonl", "--with-text", "--to", str(tmp_path / "t"))
    result = CliRunner().invoke(main, ["panel", str(tmp_path / "t" / "results.jsonl.gz")])
    assert result.exit_code == 0, result.output
    assert "without their text" not in result.stderr
    assert any(r["a_snippet"] for r in read_csv(tmp_path / "t" / "panel_flags.csv"))


def test_build_panel_leaves_records_as_they_were(run_out: Path) -> None:
    items = [i for i in read_run(run_out) if i.record is not None]
    before = [i.record.model_dump_json() for i in items]
    build_panel(items)
    assert [i.record.model_dump_json() for i in items] == before


def test_panel_command_rebuilds_without_aliases_and_replaces_its_flags(run_out: Path,
                                                                     tmp_path: Path) -> None:
    out = tmp_path / "again"
    shutil.copytree(run_out, out)
    empty = tmp_path / "no-aliases.csv"
    empty.write_text("name,canonical\n", "utf-8")
    stdout = invoke("panel", str(out), "--aliases", str(empty))
    # without the alias file 嘉善's two reports are two agencies and not linked
    assert "5 links" in stdout and "X1 33 pass, 2 fail" in stdout
    rows = {r["file"]: r for r in read_csv(out / "panel.csv")}
    assert rows["c_2024.txt"]["agency_key"] == "嘉善县卫生和计划生育局"
    assert rows["c_2025.txt"]["previous_year"] == ""
    invoke("panel", str(out))  # twice: flags.csv holds each cross-document flag once
    x = [r for r in read_csv(out / "flags.csv") if r["rule"] in ("X1", "X3", "X4", "AGENCY")]
    assert len(x) == 9
    # the empty alias file is now the folder's: the second build had no aliases either
    assert {r["file"]: r for r in read_csv(out / "panel.csv")}["c_2025.txt"]["previous_year"] == ""


def test_the_folders_alias_file_is_used_again_until_another_is_given(corpus: Path, run_out: Path,
                                                                     tmp_path: Path) -> None:
    out = tmp_path / "again"
    shutil.copytree(run_out, out)
    (out / "panel.csv").unlink()  # a resumed run without --aliases rebuilds it...
    result = CliRunner().invoke(main, ["run", str(corpus), "-o", str(out)])
    assert result.exit_code == 0, result.output
    # ...with the alias file the first run was given, and says so
    assert "built with the alias file an earlier run" in result.stderr and "(1 names)" in result.stderr
    assert read_csv(out / "panel.csv") == read_csv(run_out / "panel.csv")
    result = CliRunner().invoke(main, ["panel", str(out), "--format", "csv"])
    assert result.exit_code == 0 and "alias file given earlier" in result.stderr
    assert {r["file"]: r for r in read_csv(out / "panel.csv")}["c_2025.txt"]["previous_year"] == "2024"


def test_correct_rebuilds_the_panel_with_the_decisions(run_out: Path, tmp_path: Path) -> None:
    from extractor.review.decisions import COLUMNS

    out = tmp_path / "corrected"
    shutil.copytree(run_out, out)
    before = [r for r in read_csv(out / "panel_flags.csv") if r["rule"] == "X1"]
    assert sorted(r["key"].split(":")[1] for r in before) == ["natural_person", "total"]
    # a person reads b_2025's 上年结转 again and sets it to what 2024 carried forward (1)
    sha = records(out)["b_2025.txt"].meta.sha256
    decisions = tmp_path / "decisions.csv"
    with open(decisions, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        for col in ("natural_person", "total"):
            w.writerow({"sha256": sha, "path": f"s3.carried_over.{col}", "machine_value": "4",
                        "machine_state": "number", "decision": "set", "value": "1"})
    stdout = invoke("correct", str(decisions), "-o", str(out))
    assert "panel rebuilt with these decisions" in stdout and ", 0 fail;" in stdout
    assert [r for r in read_csv(out / "panel_flags.csv") if r["rule"] == "X1"] == []
    assert [r for r in read_csv(out / "flags.csv") if r["rule"] == "X1"] == []
    rows = {r["file"]: r for r in read_csv(out / "panel.csv")}
    assert rows["b_2025.txt"]["s3.carried_over.natural_person"] == "1"
    assert rows["b_2025.txt"]["s3.carried_over.natural_person:status"] == "corrected"
    assert rows["c_2025.txt"]["previous_year"] == "2024"  # the folder's alias file, again


def test_a_run_again_takes_a_corrected_report_from_the_store_not_its_workers_reading(
        corpus: Path, run_out: Path, tmp_path: Path) -> None:
    """With --redo every input is read again by a worker; one with a reviewer's decision is
    exported from the store (the decision applied): the panel takes that one, once."""
    from extractor.review.decisions import COLUMNS

    out = tmp_path / "again"
    shutil.copytree(run_out, out)
    sha = records(out)["b_2025.txt"].meta.sha256
    decisions = tmp_path / "decisions.csv"
    with open(decisions, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerow({"sha256": sha, "path": "s3.carried_over.natural_person", "machine_value": "4",
                    "machine_state": "number", "decision": "set", "value": "1"})
    invoke("correct", str(decisions), "-o", str(out))
    invoke("run", str(corpus), "-o", str(out), "-q", "--redo")
    rows = [r for r in read_csv(out / "panel.csv") if r["file"] == "b_2025.txt"]
    assert len(rows) == 1
    assert rows[0]["s3.carried_over.natural_person"] == "1"
    assert rows[0]["s3.carried_over.natural_person:status"] == "corrected"
    assert len(read_csv(out / "panel.csv")) == len(read_csv(run_out / "panel.csv"))


def test_panel_formats_are_typed(run_out: Path, tmp_path: Path) -> None:
    import openpyxl
    import pyarrow.parquet as pq

    dest = tmp_path / "p"
    invoke("panel", str(run_out), "--format", "parquet", "--format", "sqlite", "--format", "xlsx",
           "--to", str(dest))
    table = pq.read_table(dest / "panel.parquet")
    assert table.num_rows == 14
    assert str(table.schema.field("year").type) == "int64"
    assert str(table.schema.field("x4_copy").type) == "bool"
    assert str(table.schema.field("s2.fees.amount").type) == "decimal128(18, 6)"
    db = sqlite3.connect(dest / "panel.sqlite")
    got = db.execute("SELECT year, \"s3.carried_over.natural_person\" FROM panel "
                     "WHERE file = 'b_2025.txt'").fetchall()
    assert got == [(2025, 4)]
    assert db.execute("SELECT count(*) FROM panel_flags WHERE rule = 'X1'").fetchone() == (2,)
    db.close()
    wb = openpyxl.load_workbook(dest / "panel.xlsx", read_only=True)
    assert wb.sheetnames == ["panel", "panel_flags", "panel_checks"]
    head = [c.value for c in next(wb["panel"].iter_rows(min_row=2, max_row=2))]
    assert "agency_key" in head and "s3.carried_over.total" in head
    assert "s3.carried_over.total:status" not in head  # the status is the cell's colour


def test_a_side_not_grounded_makes_the_verdict_an_extraction_error(run_out: Path) -> None:
    items = {i.file: i for i in read_run(run_out) if i.record is not None}
    later = items["b_2025.txt"].record
    assert later is not None
    data = json.loads(later.model_dump_json())
    data["tables"]["s3"]["carried_over"]["natural_person"]["status"] = "flagged"
    flagged = Record.model_validate(data)
    panel = build_panel([items["b_2024.txt"], Item.of(flagged, seq=99)])
    f = next(f for f in panel.flags if f.key.startswith("X1:natural_person"))
    assert (f.verdict, f.grounded) == ("extraction_error", "earlier")


def test_reports_without_a_year_or_a_name_are_listed_not_linked(run_out: Path) -> None:
    items = {i.file: i for i in read_run(run_out) if i.record is not None}
    r = items["a_2025.txt"].record
    assert r is not None
    no_year = r.model_copy(update={"meta": r.meta.model_copy(update={
        "year": r.meta.year.model_copy(update={"value": None})})})
    no_name = r.model_copy(update={"meta": r.meta.model_copy(update={
        "agency": r.meta.agency.model_copy(update={"value": None})})})
    panel = build_panel([items["a_2024.txt"], Item.of(no_year, 1), Item.of(no_name, 2)])
    assert panel.links == 0 and list(panel.checks) == []
    assert [(d.identity.identity, d.year) for d in panel.docs] == [
        ("rules", 2024), ("rules", None), ("no_name", 2025)]
    assert list(panel.flags) == []


def test_a_resumed_run_keeps_the_panel_and_follows_the_alias_file(corpus: Path, run_out: Path,
                                                                   tmp_path: Path) -> None:
    out = tmp_path / "resumed"
    shutil.copytree(run_out, out)
    aliases = run_out.parent / "aliases.csv"
    invoke("run", str(corpus), "-o", str(out), "-q", "--aliases", str(aliases))
    assert (out / "panel.csv").read_bytes() == (run_out / "panel.csv").read_bytes()
    assert len([r for r in read_csv(out / "flags.csv") if r["rule"] == "X1"]) == 4
    empty = tmp_path / "no-aliases.csv"
    empty.write_text("", "utf-8")
    invoke("panel", str(out), "--aliases", str(empty))  # without aliases
    assert read_csv(out / "panel.csv") != read_csv(run_out / "panel.csv")
    invoke("run", str(corpus), "-o", str(out), "-q", "--aliases", str(aliases))
    assert read_csv(out / "panel.csv") == read_csv(run_out / "panel.csv")
    assert len([r for r in read_csv(out / "flags.csv") if r["rule"] == "X1"]) == 4


def test_a_report_the_panel_cannot_take_never_costs_the_run_its_exports(
        corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from extractor.panel import build

    real = build.panel_doc

    def fussy(item: Item, aliases: object = None) -> object:
        if item.file == "b_2025.txt":
            raise RuntimeError("boom")
        return real(item, aliases)  # type: ignore[arg-type]

    monkeypatch.setattr(build, "panel_doc", fussy)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(corpus), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert "panel: " in result.stderr and "b_2025.txt" in result.stderr and "boom" in result.stderr
    assert len(read_csv(out / "reports.csv")) == 15
    files = {r["file"] for r in read_csv(out / "panel.csv")}
    assert "b_2025.txt" not in files and "b_2024.txt" in files


def test_the_panel_bench_stays_runnable(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("panel_bench", ROOT / "bench" / "panel.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    results = tmp_path / "results.jsonl"
    bench.fabricate(results, 40, 4)  # 10 agencies with 4 consecutive years each
    panel = build_panel(read_run(results))
    assert (len(panel.docs), panel.agencies, panel.links) == (40, 10, 30)


def test_the_copy_rule_compares_numbers_not_how_they_are_printed() -> None:
    """X4 and the versions rule compare a report's non-zero numbers by a digest: equal
    numbers (an amount printed 1.50 or 1.5, a count as int or as an integral Decimal) are
    equal whatever their order; another value or another cell is not."""
    from decimal import Decimal

    from extractor.panel.doc import _nonzero_key

    a = [("s2.fees.amount", Decimal("1.50")), ("s3.granted.total", 3)]
    assert _nonzero_key(a) == _nonzero_key([("s3.granted.total", Decimal(3)),
                                            ("s2.fees.amount", Decimal("1.5"))])
    assert _nonzero_key(a) != _nonzero_key([("s2.fees.amount", Decimal("1.51")),
                                            ("s3.granted.total", 3)])
    assert _nonzero_key(a) != _nonzero_key([("s2.fees.amount", Decimal("1.50")),
                                            ("s3.granted.natural_person", 3)])
    assert _nonzero_key(a) != _nonzero_key(a[:1])
