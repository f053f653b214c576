"""Section 二's soft rules (P1–P3), on small reports written by hand in the shape of the golden
inputs: a 2019 table with one cell per line (as shahe_health_2020 and lvyuan_health_2020
print it) and a 2021 pipe table (as excerpt_012 and pinghu_health_2024 print it), each an
excerpt that stops after section 二 (as the golden excerpts do).

Each rule is shown to fire when a report breaks it and to stay quiet when a report keeps
it; the expected flags are written out, never computed by the code under test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.mapping.report import extract
from extractor.run.pipeline import process, read_document
from extractor.schema import CellStatus, Record, build_tables, iter_cells
from extractor.schema.soft_rules import SOFT_RULES, soft_checks
from verify import verify

#: What an excerpt that stops after section 二 is always flagged for.
EXCERPT_FLAGS = {"MISSING:s3", "MISSING:s4", "TRUNCATED"}

#: Section 二 of a 2019 report, one cell per line; `{name}` marks a row's three (or two) cells.
S2_2019 = """\
二、主动公开政府信息情况
\t第二十条第（一）项

\t信息内容
\t本年新
制作数量
\t本年新
公开数量
\t对外公开总数量

\t规章
{regulations}
\t规范性文件
{normative_documents}
\t第二十条第（五）项

\t信息内容
\t上一年项目数量
\t本年增/减
\t处理决定数量

\t行政许可
{licensing}
\t其他对外管理服务事项
{other_services}
\t第二十条第（六）项

\t信息内容
\t上一年项目数量
\t本年增/减
\t处理决定数量

\t行政处罚
{punishment}
\t行政强制
{coercion}
\t第二十条第（八）项

\t信息内容
\t上一年项目数量
\t本年增/减

\t行政事业性收费
{fees}
\t第二十条第（九）项

\t信息内容
\t采购项目数量
\t采购总金额

\t政府集中采购
{procurement}
"""

HEAD_2019 = ("\n某县卫生健康局\n\n2020年政府信息公开工作年度报告\n一、总体情况\n"
             "（一）主动公开情况。本局全年在门户网站主动公开政府信息86条。\n\n")

#: A 2019 section 二 that keeps every rule (the numbers of real reports: excerpt_009's
#: 34 | 4 | 47, shahe's 102 | 减47 | 55, shanghai_office_2019's 6 | 251000元).
GOOD_2019 = {
    "regulations": ("0", "0", "0"),
    "normative_documents": ("34", "4", "47"),
    "licensing": ("1215", "-35", "1180"),
    "other_services": ("0", "1", "1"),
    "punishment": ("102", "减47", "55"),
    "coercion": ("0", "0", "0"),
    "fees": ("5", "0"),
    "procurement": ("6", "251000元"),
}


def _cells(values: tuple[str, ...]) -> str:
    return "".join(f"\t{v}\n" for v in values) + "\n"


def report_2019(tmp_path: Path, **changes: tuple[str, ...]) -> Record:
    rows = {**GOOD_2019, **changes}
    text = HEAD_2019 + S2_2019.format(**{k: _cells(v) for k, v in rows.items()})
    f = tmp_path / "agency_2020.txt"
    f.write_text(text, encoding="utf-8")
    record = process(f)
    assert isinstance(record, Record), record
    return record


def s2_statuses(record: Record) -> dict[str, CellStatus | None]:
    return {c.path: c.status for c in iter_cells(record.tables) if c.path.startswith("s2.")}


def keys(record: Record) -> set[str]:
    return {f.key for f in record.flags}


def test_the_rules_are_a_table_naming_real_columns() -> None:
    assert [(r.rule, r.template) for r in SOFT_RULES] == [("P1", "2019"), ("P2", "2019"), ("P3", "2019")]
    assert [c.key for c in soft_checks("2019")] == [
        "P1:s2.regulations", "P1:s2.normative_documents",
        "P2:s2.licensing", "P2:s2.other_services", "P2:s2.punishment", "P2:s2.coercion", "P2:s2.fees",
        "P3:s2.procurement",
    ]
    (p3,) = [c for c in soft_checks("2019") if c.rule == "P3"]
    assert (p3.left, p3.right) == (("s2.procurement.items",), ("s2.procurement.amount",))
    assert soft_checks("2021") == ()  # 2021's examples (amounts ≥ 0, whole counts) are I5


def test_a_report_that_keeps_every_rule_is_not_flagged_and_not_verified(tmp_path: Path) -> None:
    record = report_2019(tmp_path)
    assert keys(record) == EXCERPT_FLAGS
    st = s2_statuses(record)
    assert len(st) == 22
    # a rule that holds is plausibility, not confirmation: grounded, never verified
    assert set(st.values()) == {CellStatus.GROUNDED}
    assert not [c for c in record.checks if c.rule in ("P1", "P2", "P3")]  # holding rules leave no trace


def test_p1_total_published_below_new_published_is_flagged(tmp_path: Path) -> None:
    record = report_2019(tmp_path, normative_documents=("5", "5", "3"))
    assert keys(record) == EXCERPT_FLAGS | {"P1:s2.normative_documents"}
    (flag,) = [f for f in record.flags if f.rule == "P1"]
    assert flag.verdict == "source_inconsistency"
    assert flag.message == ("P1:s2.normative_documents (规范性文件) fails the plausibility rule "
                            "对外公开总数量 ≥ 本年新公开数量: 对外公开总数量 3 < 本年新公开数量 5")
    assert flag.paths == ["s2.normative_documents.total_published", "s2.normative_documents.new_published"]
    st = s2_statuses(record)
    assert st["s2.normative_documents.total_published"] is CellStatus.FLAGGED
    assert st["s2.normative_documents.new_published"] is CellStatus.FLAGGED
    assert st["s2.normative_documents.new_made"] is CellStatus.GROUNDED  # not in the rule
    (check,) = [c for c in record.checks if c.rule == "P1"]
    assert check.outcome == "fail" and check.verdict == "source_inconsistency"


def test_p1_a_blank_total_counts_as_0_and_the_message_says_so(tmp_path: Path) -> None:
    record = report_2019(tmp_path, regulations=("2", "2", ""))
    assert keys(record) == EXCERPT_FLAGS | {"P1:s2.regulations"}
    (flag,) = [f for f in record.flags if f.rule == "P1"]
    assert flag.message.endswith("对外公开总数量 blank(0) < 本年新公开数量 2; "
                                 "blank cells counted as 0 decide this: 对外公开总数量")


def test_p1_equal_numbers_and_a_placeholder_do_not_fire(tmp_path: Path) -> None:
    record = report_2019(tmp_path, regulations=("13", "13", "13"), normative_documents=("1", "1", "/"))
    # the placeholder is flagged for itself; the rule is not assessable, so it says nothing
    assert keys(record) == EXCERPT_FLAGS | {"PLACEHOLDER:s2.normative_documents.total_published"}


def test_p2_a_decrease_larger_than_last_years_items_is_flagged(tmp_path: Path) -> None:
    record = report_2019(tmp_path, punishment=("3", "减5", "2"), fees=("2", "-3"))
    assert keys(record) == EXCERPT_FLAGS | {"P2:s2.punishment", "P2:s2.fees"}
    by_key = {f.key: f for f in record.flags}
    assert by_key["P2:s2.punishment"].message == (
        "P2:s2.punishment (行政处罚) fails the plausibility rule 上一年项目数量 + 本年增/减 ≥ 0: "
        "上一年项目数量 3 + 本年增/减 -5 = -2 < 0")
    assert by_key["P2:s2.fees"].verdict == "source_inconsistency"
    st = s2_statuses(record)
    assert st["s2.punishment.prev_items"] is CellStatus.FLAGGED
    assert st["s2.punishment.change"] is CellStatus.FLAGGED
    assert st["s2.punishment.decisions"] is CellStatus.GROUNDED
    assert st["s2.fees.change"] is CellStatus.FLAGGED


def test_p2_a_decrease_down_to_zero_items_is_plausible(tmp_path: Path) -> None:
    record = report_2019(tmp_path, punishment=("47", "减47", "3"), coercion=("0", "+2", "0"))
    assert keys(record) == EXCERPT_FLAGS


def test_p3_an_amount_without_procurement_items_is_flagged(tmp_path: Path) -> None:
    record = report_2019(tmp_path, procurement=("0", "73.82万元"))
    assert keys(record) == EXCERPT_FLAGS | {"P3:s2.procurement"}
    (flag,) = [f for f in record.flags if f.rule == "P3"]
    assert "采购项目数量 0" in flag.message and "金额(万元) 73.82 > 0" in flag.message
    assert s2_statuses(record)["s2.procurement.items"] is CellStatus.FLAGGED


@pytest.mark.parametrize("procurement", [("0", "0"), ("12", "1082.33万"), ("3", "0")])
def test_p3_items_with_or_without_an_amount_and_nothing_at_all_are_quiet(
        tmp_path: Path, procurement: tuple[str, str]) -> None:
    assert keys(report_2019(tmp_path, procurement=procurement)) == EXCERPT_FLAGS


def test_a_misread_number_breaking_a_rule_is_an_extraction_error(tmp_path: Path) -> None:
    rows = {**GOOD_2019, "punishment": ("3", "减2", "1")}
    f = tmp_path / "agency_2020.txt"
    f.write_text(HEAD_2019 + S2_2019.format(**{k: _cells(v) for k, v in rows.items()}), encoding="utf-8")
    doc = read_document(f)
    extraction = extract(doc)
    cells = {c.path: c for c in iter_cells(extraction.tables)}
    assert cells["s2.punishment.change"].value == -2
    cells["s2.punishment.change"] = cells["s2.punishment.change"].model_copy(update={"value": -9})
    extraction = extraction.model_copy(update={"tables": build_tables("2019", cells)})
    record = verify(extraction, doc.text)
    (flag,) = [f for f in record.flags if f.rule == "P2"]
    assert flag.key == "P2:s2.punishment" and flag.verdict == "extraction_error"
    assert "上一年项目数量 3 + 本年增/减 -9 = -6 < 0" in flag.message
    assert "GROUND:s2.punishment.change" in keys(record)


# --------------------------------------------------------------------------- 2021: I5

S2_2021 = """\
二、主动公开政府信息情况
第二十条第(一)项 | |||
信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |
规章 | 0 | 0 | 0 |
行政规范性文件 | 5 | 1 | 25 |
第二十条第(五)项 | |||
信息内容 | 本年处理决定数量 | ||
行政许可 | {licensing} | ||
第二十条第(六)项 | |||
信息内容 | 本年处理决定数量 | ||
行政处罚 | 2 | ||
行政强制 | 0 | ||
第二十条第(八)项 | |||
信息内容 | 本年收费金额(单位:万元) | ||
行政事业性收费 | {fees} |
"""


def report_2021(tmp_path: Path, licensing: str, fees: str) -> Record:
    f = tmp_path / "bureau_2022.txt"
    f.write_text("一、总体情况\n2022年,某市自然资源局全力推进政府信息公开工作。\n"
                 + S2_2021.format(licensing=licensing, fees=fees), encoding="utf-8")
    record = process(f)
    assert isinstance(record, Record), record
    return record


def test_2021_amounts_not_negative_and_whole_counts_are_the_strict_i5(tmp_path: Path) -> None:
    good = report_2021(tmp_path, "76", "26.55")
    assert not {k for k in keys(good) if k.startswith("I5")}
    assert {c.path: c.value for c in iter_cells(good.tables)}["s2.licensing.decisions"] == 76
    bad = report_2021(tmp_path, "7.5", "-26.55")
    assert {k for k in keys(bad) if k.startswith("I5")} == {"I5:s2.licensing.decisions", "I5:s2.fees.amount"}
    st = s2_statuses(bad)
    assert st["s2.licensing.decisions"] is CellStatus.FLAGGED and st["s2.fees.amount"] is CellStatus.FLAGGED
