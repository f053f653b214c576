"""Layouts real reports use that used to come out missing (issue 12, "Coverage").

Every sample here is written by hand in the shape of a layout seen in the wild, with the
values typed in the test; none is taken from a real report. Each test fails on the code
before its fix (the row or table came out missing, or a number was silently dropped).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from render import HEADINGS, Block, TCell, blocks, s4_grid, write_pdf

from extractor.run.pipeline import process
from extractor.schema import CellState, Record, iter_cells


def run(tmp_path: Path, text: str, name: str = "r.txt") -> tuple[Record, dict]:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    record = process(f)
    assert isinstance(record, Record), record
    return record, {c.path: c for c in iter_cells(record.tables)}


def flag_keys(record: Record) -> set[str]:
    return {f.key for f in record.flags}


# -- 1. a purchase amount glued to its count, with a unit, in a crawler's one-line dump ------

#: A 2019-template report flattened into one line by a crawler: every cell separator lost,
#: spaces kept inside digit runs. PROCUREMENT is the 政府集中采购 row's printed values.
GLUED_2019 = (
    "标题: 某某县市场监督管理局2020年政府信息公开工作年度报告\n"
    "==================== 正文 ====================\n"
    "某某县市场监督管理局2020年政府信息公开工作年度报告 本报告依据《中华人民共和国政府信息公开条例》编制。"
    "一、总体情况2020年，本局认真做好政府信息公开工作，全年政府采购支出较上年下降5万元。"
    "二、主动公开政府信息情况第二十条第（一）项信息内容本年新制作数量本年新公开数量对外公开总数量"
    "规章 0 0 0规范性文件 3 3 12第二十条第（五）项信息内容上一年项目数量本年增/减处理决定数量"
    "行政许可 35 2 37其他对外管理服务事项 0 0 0第二十条第（六）项信息内容上一年项目数量本年增/减处理决定数量"
    "行政处罚 20 1 66行政强制 4 0 7第二十条第（八）项信息内容上一年项目数量本年增/减行政事业性收费 2 0"
    "第二十条第（九）项信息内容采购项目数量采购总金额政府集中采购 PROCUREMENT"
    "三、收到和处理政府信息公开申请情况（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    "申请人情况自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他"
    "一、本年新收政府信息公开申请数量 3 1 0 0 0 0 4二、上年结转政府信息公开申请数量 0 0 0 0 0 0 0"
    "三、本年度办理结果（一）予以公开 2 1 0 0 0 0 3（二）部分公开（区分处理的，只计这一情形，不计其他情形） 0 0 0 0 0 0 0"
    "（三）不予公开1.属于国家秘密 0 0 0 0 0 0 02.其他法律行政法规禁止公开 0 0 0 0 0 0 0"
    "3.危及“三安全一稳定” 0 0 0 0 0 0 04.保护第三方合法权益 0 0 0 0 0 0 05.属于三类内部事务信息 0 0 0 0 0 0 0"
    "6.属于四类过程性信息 0 0 0 0 0 0 07.属于行政执法案卷 0 0 0 0 0 0 08.属于行政查询事项 0 0 0 0 0 0 0"
    "（四）无法提供1.本机关不掌握相关政府信息 1 0 0 0 0 0 12.没有现成信息需要另行制作 0 0 0 0 0 0 0"
    "3.补正后申请内容仍不明确 0 0 0 0 0 0 0（五）不予处理1.信访举报投诉类申请 0 0 0 0 0 0 02.重复申请 0 0 0 0 0 0 0"
    "3.要求提供公开出版物 0 0 0 0 0 0 04.无正当理由大量反复申请 0 0 0 0 0 0 0"
    "5.要求行政机关确认或重新出具已获取信息 0 0 0 0 0 0 0（六）其他处理 0 0 0 0 0 0 0（七）总计 3 1 0 0 0 0 4"
    "四、结转下年度继续办理 0 0 0 0 0 0 0四、政府信息公开行政复议、行政诉讼情况行政复议行政诉讼"
    "结果维持结果纠正其他结果尚未审结总计未经复议直接起诉复议后起诉结果维持结果纠正其他结果尚未审结总计"
    "结果维持结果纠正其他结果尚未审结总计 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"
    "五、存在的主要问题及改进情况本局将继续改进。六、其他需要报告的事项无。\n"
)


def test_a_glued_purchase_row_whose_amount_carries_a_unit_is_read(tmp_path: Path) -> None:
    record, cells = run(tmp_path, GLUED_2019.replace("PROCUREMENT", "12 156000元"))
    items, amount = cells["s2.procurement.items"], cells["s2.procurement.amount"]
    assert (items.state, items.value) == (CellState.NUMBER, 12)
    assert (amount.value, amount.unit, amount.raw) == (Decimal("15.6"), "元", "156000元")
    assert record.text[amount.span[0]:amount.span[1]] == "156000元"
    assert "MISSING:s2" not in flag_keys(record)
    # The narrative's "下降5万元" before the table stays narrative.
    assert cells["s2.regulations.new_made"].value == 0


def test_a_count_and_amount_glued_into_one_number_are_flagged_not_missing_nor_split(
        tmp_path: Path) -> None:
    # 53 | 73.82万元 printed as "5373.82万元": 5 | 373.82, 53 | 73.82 and 537 | 3.82 all
    # read, and no identity covers section 二, so the row is unreadable, never guessed.
    record, cells = run(tmp_path, GLUED_2019.replace("PROCUREMENT", "5373.82万元"))
    for col in ("items", "amount"):
        cell = cells[f"s2.procurement.{col}"]
        assert cell.state is CellState.UNREADABLE and cell.value is None
    assert "LAYOUT:s2.procurement" in flag_keys(record)
    assert "MISSING:s2" not in flag_keys(record)
    # The same row with its separator kept reads both cells.
    _, cells = run(tmp_path, GLUED_2019.replace("PROCUREMENT", "53 73.82万元"))
    assert cells["s2.procurement.items"].value == 53
    assert (cells["s2.procurement.amount"].value, cells["s2.procurement.amount"].unit) == (
        Decimal("73.82"), "万元")


# -- 2. a narrative line naming a template row, read before the table ------------------------

#: PDF→markdown text wraps the narrative at a fixed width, so a line can end right after a
#: number: "…行政规范性文件 77件" and "…实施行政处罚 9" read like a label and its value.
NARRATIVE_FIRST_2021 = """某某市人民政府办公室2022年政府信息公开
工作年度报告
一、总体情况
2022 年，本办坚持以公开为常态、不公开为例外，全年主动
公开政府信息 1306 条，其中制发规章 3 件、行政规范性文件 77件
，均按规定在政府网站公开。市场监管部门全年依法实施行政处罚 9
起，同比下降。
二、主动公开政府信息情况
| 第二十条第（一）项 ||||
|---|---|---|---|
| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |
| 规章 | 3 | 1 | 40 |
| 行政规范性文件 | 12 | 5 | 130 |
| 第二十条第（五）项 ||
| 信息内容 | 本年处理决定数量 |
| 行政许可 | 26 |
| 第二十条第（六）项 ||
| 信息内容 | 本年处理决定数量 |
| 行政处罚 | 8 |
| 行政强制 | 0 |
| 第二十条第（八）项 ||
| 信息内容 | 本年收费金额（单位：万元） |
| 行政事业性收费 | 0 |
三、收到和处理政府信息公开申请情况
"""


def test_the_table_row_wins_over_a_narrative_line_naming_the_same_row(tmp_path: Path) -> None:
    record, cells = run(tmp_path, NARRATIVE_FIRST_2021, "r.md")
    row = [cells[f"s2.normative_documents.{c}"] for c in ("issued", "repealed", "in_force")]
    assert [c.value for c in row] == [12, 5, 130]
    assert all(c.state is CellState.NUMBER for c in row)
    # A one-column row: the narrative's 9 would have filled it silently.
    assert cells["s2.punishment.decisions"].value == 8
    assert record.text[slice(*cells["s2.punishment.decisions"].span)] == "8"
    assert not [i for i in record.flags + record.warnings if i.key.startswith(("LAYOUT:s2", "DUPLICATE"))]


def test_a_table_printed_twice_still_reports_the_second_printing(tmp_path: Path) -> None:
    # Both printings are table rows (after a table header): the narrative rule changes nothing.
    text = NARRATIVE_FIRST_2021.replace(
        "| 行政事业性收费 | 0 |\n",
        "| 行政事业性收费 | 0 |\n| 第二十条第（六）项 ||\n| 信息内容 | 本年处理决定数量 |\n| 行政处罚 | 7 |\n")
    record, _ = run(tmp_path, text, "r.md")
    assert any(i.key == "DUPLICATE:s2.punishment" for i in record.flags + record.warnings)


# -- 3. a PDF row whose label sits in a two-column cell ---------------------------------------

S3_COLUMNS = ("natural_person", "commercial", "research", "social_welfare", "legal_service", "other",
              "total")
S3_ROWS_2021 = ("new_received", "carried_over", "granted", "partially_granted",
                *(f"denied_{i}" for i in range(1, 9)), *(f"unable_{i}" for i in range(1, 4)),
                *(f"not_processed_{i}" for i in range(1, 6)),
                *(f"other_processing_{i}" for i in range(1, 4)), "total_processed", "carried_forward")


def small_report_2021() -> dict:
    """A consistent 2021 report typed by hand: 10 new + 1 carried over = 10 handled + 1 left."""
    s3 = {row: [0] * 7 for row in S3_ROWS_2021}
    s3 |= {
        "new_received": [7, 2, 0, 0, 1, 0, 10],
        "carried_over": [1, 0, 0, 0, 0, 0, 1],
        "granted": [4, 1, 0, 0, 0, 0, 5],
        "unable_1": [2, 1, 0, 0, 1, 0, 4],
        "other_processing_3": [1, 0, 0, 0, 0, 0, 1],
        "total_processed": [7, 2, 0, 0, 1, 0, 10],
        "carried_forward": [1, 0, 0, 0, 0, 0, 1],
    }
    return {
        "file": "r.pdf", "agency": "某某区司法局", "year": 2023, "template": "2021",
        "values": {
            "s2": {"regulations": {"issued": 0, "repealed": 0, "in_force": 0},
                   "normative_documents": {"issued": 1, "repealed": 0, "in_force": 4},
                   "licensing": {"decisions": 3}, "punishment": {"decisions": 0},
                   "coercion": {"decisions": 0}, "fees": {"amount": {"value": "0", "unit": "万元"}}},
            "s3": s3,
            "s4": {"review": [1, 0, 0, 0, 1], "litigation_direct": [0] * 5,
                   "litigation_after_review": [0] * 5},
        },
    }


def test_a_pdf_total_row_whose_label_leaves_an_empty_cell_before_its_values_is_read(
        tmp_path: Path) -> None:
    exp = small_report_2021()
    bs = blocks(exp)
    # The PDF's table finder sees the label cell's second column as a cell of its own: the
    # row comes out as "（七）总计 | ∅ | 7 | 2 | 0 | 0 | 1 | 0 | 10".
    total_row = next(r for b in bs if b.grid for r in b.grid if r and r[0].text == "（七）总计")
    total_row[0:1] = [TCell("（七）总计", header=True), TCell("")]
    f = tmp_path / "r.pdf"
    write_pdf(bs, f)
    record = process(f)
    assert isinstance(record, Record), record
    cells = {c.path: c for c in iter_cells(record.tables)}
    assert [cells[f"s3.total_processed.{c}"].value for c in S3_COLUMNS] == [7, 2, 0, 0, 1, 0, 10]
    assert not [f for f in record.flags if f.key.startswith("LAYOUT")]
    outcomes = {c.key: c.outcome for c in record.checks}
    assert all(outcomes[f"{rule}:{c}"] == "pass" for rule in ("I1", "I2") for c in S3_COLUMNS)
    assert cells["s3.total_processed.total"].status.value == "verified"


def test_a_leading_empty_cell_is_kept_as_a_blank_when_the_row_fits_without_dropping_it(
        tmp_path: Path) -> None:
    from s3_table import report, s3_rows

    rows = s3_rows()
    rows["granted"] = ["三、本年度办理结果", "（一）予以公开", "", "0", "0", "0", "0", "0", "0"]
    rows["total_processed"] = ["（七）总计", "", "4", "1", "0", "0", "0", "0", "5"]
    _, cells = run(tmp_path, report(rows), "r.md")
    assert cells["s3.granted.natural_person"].state is CellState.BLANK
    assert [cells[f"s3.total_processed.{c}"].value for c in S3_COLUMNS] == [4, 1, 0, 0, 0, 0, 5]


# -- 4. a 2021 report printing （六）其他处理 as one row, without its three sub-rows ------------

#: A consistent 2021 table whose （六）其他处理 is one row (the 2019 form): 5 new + 1 carried
#: over = 5 handled + 1 carried forward; outcomes 2 | 1 | 1 | 1 (其他处理).
ONE_ROW_OTHER = {
    "new_received": [4, 1, 0, 0, 0, 0, 5],
    "carried_over": [1, 0, 0, 0, 0, 0, 1],
    "granted": [2, 0, 0, 0, 0, 0, 2],
    "partially_granted": [0, 1, 0, 0, 0, 0, 1],
    "unable_1": [1, 0, 0, 0, 0, 0, 1],
    "other_processing": [1, 0, 0, 0, 0, 0, 1],
    "total_processed": [4, 1, 0, 0, 0, 0, 5],
    "carried_forward": [1, 0, 0, 0, 0, 0, 1],
}


def test_a_one_row_other_processing_is_the_groups_printed_total_and_i2_is_still_checked(
        tmp_path: Path) -> None:
    from s3_table import report, s3_rows

    record, cells = run(tmp_path, report(s3_rows("2019", ONE_ROW_OTHER)), "r.md")
    assert record.meta.template == "2021"
    for i in (1, 2, 3):  # the sub-rows stay unreadable: the row does not say how it splits
        assert cells[f"s3.other_processing_{i}.natural_person"].state is CellState.UNREADABLE
    assert "TEMPLATE:s3.other_processing" in flag_keys(record)
    i2 = {c.key: c for c in record.checks if c.rule == "I2"}
    assert {c.outcome for c in i2.values()} == {"pass"} and len(i2) == 7
    assert "（六）其他处理 (printed total) 1" in i2["I2:natural_person"].message
    assert [cells[f"s3.total_processed.{c}"].status.value for c in S3_COLUMNS] == ["verified"] * 7
    assert any(w.key == "SUBTOTAL:other_processing" and "I2 takes this printed total" in w.message
               for w in record.warnings)


def test_a_one_row_other_processing_that_does_not_add_up_fails_i2_in_that_column(tmp_path: Path) -> None:
    from s3_table import report, s3_rows

    values = {**ONE_ROW_OTHER, "other_processing": [2, 0, 0, 0, 0, 0, 1]}
    record, _ = run(tmp_path, report(s3_rows("2019", values)), "r.md")
    outcomes = {c.key: c.outcome for c in record.checks if c.rule == "I2"}
    assert outcomes.pop("I2:natural_person") == "fail"
    assert set(outcomes.values()) == {"pass"}
    flag = next(f for f in record.flags if f.key == "I2:natural_person")
    assert flag.verdict == "source_inconsistency" and "(printed total) 2" in flag.message


def test_a_group_printed_as_its_total_alone_stands_in_for_its_missing_sub_rows(tmp_path: Path) -> None:
    # （三）不予公开 printed as one row with values and none of its eight sub-rows.
    from s3_table import report, s3_rows

    values = {**ONE_ROW_OTHER, "other_processing_3": [0] * 7}
    rows = []
    for name, printed in s3_rows("2021", values).items():
        if name == "denied_1":
            rows.append(["（三）不予公开", "1", "0", "0", "0", "0", "0", "1"])
        if not name.startswith("denied_"):
            rows.append(printed)
    record, cells = run(tmp_path, report(rows), "r.md")
    assert cells["s3.denied_1.natural_person"].state is CellState.MISSING
    i2 = {c.key: c.outcome for c in record.checks if c.rule == "I2"}
    assert set(i2.values()) == {"pass"}, i2


# -- 5. a stray space inside a glued run, before the next label's item number -------------------

#: A 2021 report flattened into one line with section 三's digits glued per row; the row
#: （六）1 ends "…申请1000001 2.申请人逾期…": a space before the next label's number.
GLUED_2021 = (
    "标题: 某某镇人民政府2022年度政府信息公开工作年度报告\n"
    "==================== 正文 ====================\n"
    "当前位置： 首页 某某镇人民政府2022年度政府信息公开工作年度报告 根据《中华人民共和国政府信息公开条例》要求编制本报告。一、总体情况2022年，本镇持续推进政务公开。二、主动公"
    "开政府信息情况第二十条第（一）项信息内容本年制发件数本年废止件数现行有效件数规章 0 0 0行政规范性文件 2 1 9第二十条第（五）项信息内容本年处理决定数量行政许可 14 第二"
    "十条第（六）项信息内容本年处理决定数量行政处罚 3行政强制 0 第二十条第（八）项信息内容本年收费金额（单位：万元）行政事业性收费 0三、收到和处理政府信息公开申请情况（本列数据的"
    "勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）申请人情况自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他一、本年新收政府信息公开申请数量4100005"
    "二、上年结转政府信息公开申请数量0000000三、本年度办理结果（一）予以公开2000002（二）部分公开（区分处理的，只计这一情形，不计其他情形）0000000（三）不予公开1."
    "属于国家秘密00000002.其他法律行政法规禁止公开00000003.危及“三安全一稳定”00000004.保护第三方合法权益00000005.属于三类内部事务信息0000000"
    "6.属于四类过程性信息00000007.属于行政执法案卷00000008.属于行政查询事项0000000（四）无法提供1.本机关不掌握相关政府信息11000022.没有现成信息需要"
    "另行制作00000003.补正后申请内容仍不明确0000000（五）不予处理1.信访举报投诉类申请00000002.重复申请00000003.要求提供公开出版物00000004.无"
    "正当理由大量反复申请00000005.要求行政机关确认或重新出具已获取信息0000000（六）其他处理1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请100000"
    "1 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请00000003.其他0000000（七）总计4100005四、结转下年度继续办理0000000四、政"
    "府信息公开行政复议、行政诉讼情况行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计未经复议直接起诉复议后起诉结果维持结果纠正其他结果尚未审结总计结果维持结果纠正其他结果尚未审结总"
    "计000000000000000五、存在的主要问题及改进情况本镇将继续改进。六、其他需要报告的事项本年度未收取信息处理费。\n"
)


def test_a_stray_space_before_the_next_labels_number_keeps_the_glued_run(tmp_path: Path) -> None:
    record, cells = run(tmp_path, GLUED_2021)
    assert [cells[f"s3.other_processing_1.{c}"].value for c in S3_COLUMNS] == [1, 0, 0, 0, 0, 0, 1]
    assert [cells[f"s3.other_processing_2.{c}"].value for c in S3_COLUMNS] == [0] * 7
    assert not [f for f in record.flags if f.rule in ("MISSING", "LAYOUT", "I1", "I2", "I3")]
    # a glued run: the identities chose where each digit goes (golden/GOLDEN.md rule 8)
    c = cells["s3.other_processing_1.total"]
    assert (c.status.value, c.placement) == ("inferred", "identities")


# -- 6. PDF→markdown rows whose labels were split off --------------------------------------

#: A PDF→markdown conversion of a 2021 report: section 三's two-line labels were split off the
#: table and printed as loose lines; BARE_ROWS is where （五）4, （五）5, （六）1 and （六）2 are
#: printed, by number only. The table adds up: 60 + 5 = 60 + 5 (自然人), and so on.
SPLIT_LABELS_MD = """2023 年某某区人民政府办公室政府信息公开
工作年度报告
一、总体情况
2023 年，本办认真落实政务公开各项要求。
二、主动公开政府信息情况
第二十条第（一）项
| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |
|---|---|---|---|
| 规章 | 0 | 0 | 0 |
| 行政规范性文件 | 6 | 2 | 41 |
第二十条第（五）项
信息内容本年处理决定数量
行政许可 120
第二十条第（六）项
信息内容本年处理决定数量
行政处罚 4
行政强制 0
第二十条第（八）项
信息内容本年收费金额（单位：万元）
行政事业性收费 0
三、收到和处理政府信息公开申请情况
申请人情况
法人或其他组织
（本列数据的勾稽关系为：第一项加第二项之和，
社会法律
公益服务其他
企业机构
组织机构
| 等于第三项加第四项之和） | 自然人 | 商业 | 科研 | 总计 |
|---|---|---|---|---|
| 一、本年新收政府信息公开申请数量 | 60 | 4 | 0 | 0 | 1 | 0 | 65 |
|---|---|---|---|---|---|---|---|
| 二、上年结转政府信息公开申请数量 | 5 | 0 | 0 | 0 | 0 | 0 | 5 |
| （一）予以公开 | 20 | 1 | 0 | 0 | 0 | 0 | 21 |
| （二）部分公开（区分处理的，只计这一情形，不计其他情形） | 3 | 0 | 0 | 0 | 0 | 0 | 3 |
| 1.属于国家秘密 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 2.其他法律行政法规禁止公开 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 3.危及“三安全一稳定” | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| （三）不 | 4.保护第三方合法权益 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |
| 予公开 | 5.属于三类内部事务信息 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 6.属于四类过程性信息 | 2 | 0 | 0 | 0 | 0 | 0 | 2 |
| 7.属于行政执法案卷 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 8.属于行政查询事项 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 1.本机关不掌握相关政府信息 | 18 | 2 | 0 | 0 | 1 | 0 | 21 |
| 2.没有现成信息需要另行制作 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |
| 3.补正后申请内容仍不明确 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 1.信访举报投诉类申请 | 4 | 0 | 0 | 0 | 0 | 0 | 4 |
| 2.重复申请 | 2 | 0 | 0 | 0 | 0 | 0 | 2 |
| （五）不 | 3.要求提供公开出版物 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
BARE_ROWS（六）其
2.申请人逾期未按收费通知要求
他处理
缴纳费用、行政机关不再处理其政
府信息公开申请
— 5 —
| 3.其他 | 6 | 0 | 0 | 0 | 0 | 0 | 6 |
|---|---|---|---|---|---|---|---|
| （七）总计 | 60 | 4 | 0 | 0 | 1 | 0 | 65 |
| 四、结转下年度继续办理 | 5 | 0 | 0 | 0 | 0 | 0 | 5 |

四、政府信息公开行政复议、行政诉讼情况
行政复议行政诉讼
未经复议直接起诉复议后起诉
结果结果其他尚未
总计结果结果其他尚未结果结果其他尚未
维持纠正结果审结维持纠正结果审结
| 维持 | 纠正 | 结果 | 审结 | 总计 | 总计 |
|---|---|---|---|---|---|
| 1 | 0 | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|

五、存在的主要问题及改进情况
无。
"""
#: （五）4 … （六）2 as typed: 0s, then 1 | … | 1, then 2 | 1 | … | 3, then 0s.
SPLIT_OFF = {"not_processed_4": [0, 0, 0, 0, 0, 0, 0], "not_processed_5": [1, 0, 0, 0, 0, 0, 1],
             "other_processing_1": [2, 1, 0, 0, 0, 0, 3], "other_processing_2": [0, 0, 0, 0, 0, 0, 0]}
LOOSE_LABELS = """三、本
年度办
理结果
予处理
4.无正当理由大量反复申请
5.要求行政机关确认或重新出具
已获取信息
1.申请人无正当理由逾期不补正、
"""


def _assert_split_off_rows_placed(record: Record, cells: dict) -> None:
    for row, expected in SPLIT_OFF.items():
        assert [cells[f"s3.{row}.{c}"].value for c in S3_COLUMNS] == expected, row
    assert not [f for f in record.flags if f.rule in ("MISSING", "LAYOUT")]
    assert any(w.key == "PLACED:s3.not_processed_4" for w in record.warnings)


def test_split_off_rows_printed_with_empty_label_cells_are_placed_by_the_lost_label_logic(
        tmp_path: Path) -> None:
    # The converter kept the label columns, empty: "|  |  | 0 | … |" (two label columns) and
    # "|  | 1 | … |" (one); before, 8 or 9 cells for 7 columns dropped all four rows.
    bare = ("|  |  | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n|---|---|---|---|---|---|---|---|---|\n\n" + LOOSE_LABELS
            + "|  | 1 | 0 | 0 | 0 | 0 | 0 | 1 |\n|---|---|---|---|---|---|---|---|\n"
            "|  | 2 | 1 | 0 | 0 | 0 | 0 | 3 |\n|---|---|---|---|---|---|---|---|\n"
            "|  | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n|---|---|---|---|---|---|---|---|\n\n")
    record, cells = run(tmp_path, SPLIT_LABELS_MD.replace("BARE_ROWS", bare), "r.md")
    _assert_split_off_rows_placed(record, cells)


def test_split_off_rows_after_a_block_of_loose_labels_are_not_given_the_last_label(
        tmp_path: Path) -> None:
    # The values as text lines right after the loose labels: "1.申请人无正当理由逾期不补正、"
    # is not （五）4's label (read by its number, it made a second （五）1).
    bare = LOOSE_LABELS + "0 0 0 0 0 0 0\n1 0 0 0 0 0 1\n2 1 0 0 0 0 3\n0 0 0 0 0 0 0\n"
    record, cells = run(tmp_path, SPLIT_LABELS_MD.replace("BARE_ROWS", bare), "r.md")
    _assert_split_off_rows_placed(record, cells)
    assert [cells[f"s3.not_processed_1.{c}"].value for c in S3_COLUMNS] == [4, 0, 0, 0, 0, 0, 4]
    assert not [w for w in record.warnings if w.key.startswith("DUPLICATE")]


def test_a_label_line_right_above_its_values_still_labels_them(tmp_path: Path) -> None:
    # One loose label line per value row keeps its row: no block of label lines, no block
    # of value rows.
    bare = ("4.无正当理由大量反复申请\n0 0 0 0 0 0 0\n5.要求行政机关确认或重新出具已获取信息\n1 0 0 0 0 0 1\n"
            "（六）其他处理\n1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请\n2 1 0 0 0 0 3\n"
            "0 0 0 0 0 0 0\n")
    record, cells = run(tmp_path, SPLIT_LABELS_MD.replace("BARE_ROWS", bare), "r.md")
    for row, expected in SPLIT_OFF.items():
        assert [cells[f"s3.{row}.{c}"].value for c in S3_COLUMNS] == expected, row
    assert not [f for f in record.flags if f.rule in ("MISSING", "LAYOUT")]


# -- 7. section 四 with its header words split over lines ----------------------------------

#: Section 四 as PDF text prints it when the header cells wrap: "总计" split into "总" and
#: "计", "行政复议" into "行政复" and "议"; the values follow on one line.
S4_SPLIT_HEADERS = {
    "words split over two lines": (
        "四、政府信息公开行政复议、行政诉讼情况\n"
        "行政复议 行政诉讼\n"
        "结果 结果 其他 尚未 总 未经复议直接起诉 复议后起诉\n"
        "维持 纠正 结果 审结 计\n"),
    "the other title, 行政复议 split": (
        "四、因政府信息公开工作被申请行政复议和提起行政诉讼情况\n"
        "行政复 行政诉\n"
        "议 讼\n"
        "结果维持 结果纠正 其他结果 尚未审结 总计 未经复议直接起诉 复议后起诉\n"
        "结果维持 结果纠正 其他结果 尚未审结 总计 结果维持 结果纠正 其他结果 尚未审结 总计\n"),
    "the other title, header wrapped mid-list": (
        "四、因政府信息公开工作被申请行政复议和提起行政诉讼情况\n"
        "结果维持 结果纠正 其他结果 尚未审结 总计 结果维持 结果纠正 其他结果 尚未审结 总计 结果维持 结果纠正 其他\n"
        "结果 尚未审结 总计\n"),
}


@pytest.mark.parametrize("shape", list(S4_SPLIT_HEADERS))
def test_section_four_under_a_header_split_over_lines_is_read(tmp_path: Path, shape: str) -> None:
    from s3_table import S4, report, s3_rows

    for printed, expected in (
        ("0 0 0 0 0 0 0 0 0 0 0 0 0 0 0", {"review": [0] * 5, "litigation_direct": [0] * 5,
                                          "litigation_after_review": [0] * 5}),
        ("2 1 0 1 4 0 0 1 0 1 0 0 0 0 0", {"review": [2, 1, 0, 1, 4], "litigation_direct": [0, 0, 1, 0, 1],
                                          "litigation_after_review": [0] * 5}),
    ):
        text = report(s3_rows()).replace(S4, S4_SPLIT_HEADERS[shape] + printed + "\n")
        record, cells = run(tmp_path, text, "r.md")
        for row, values in expected.items():
            got = [cells[f"s4.{row}.{c}"].value for c in ("maintained", "corrected", "other", "pending", "total")]
            assert got == values, (shape, row)
        assert not [f for f in record.flags if f.key in ("MISSING:s4", "LAYOUT:s4")]
        assert cells["s4.review.total"].status.value == "verified"


def test_section_three_rows_whose_labels_share_section_four_words_stay_in_section_three(
        tmp_path: Path) -> None:
    # （七）总计 and the 其他 column header are made of characters section 四's header uses too.
    from s3_table import report, s3_rows

    record, cells = run(tmp_path, report(s3_rows()), "r.md")
    assert [cells[f"s3.total_processed.{c}"].value for c in S3_COLUMNS] == [4, 1, 0, 0, 0, 0, 5]
    assert not record.flags


# -- 8. the last page of a PDF: section 三's tail and section 四 -----------------------------


def _label(text: str, rowspan: int = 1, colspan: int = 1) -> TCell:
    return TCell(text, rowspan=rowspan, colspan=colspan, header=True)


def _values(values: list[int]) -> list[TCell]:
    return [TCell(str(v)) for v in values]


def last_page(path: Path, other_processing: str) -> None:
    """A report's last page: the end of section 三's table (its first label column, merged
    from the page before, is empty here), section 四, and sections 五 and 六."""
    rows: list[tuple[str, list[int]]] = []
    if other_processing == "2021":
        rows = [("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", [0, 0, 0, 0, 0, 0, 0]),
                ("3.其他", [3, 1, 0, 0, 0, 0, 4])]
    elif other_processing == "2019":
        rows = [("（六）其他处理", [3, 1, 0, 0, 0, 0, 4])]
    grid = [[_label("", rowspan=len(rows) + 1), _label(label, colspan=2), *_values(v)] for label, v in rows]
    grid.append([*([] if rows else [_label("")]), _label("（七）总计", colspan=2), *_values([40, 6, 0, 1, 0, 0, 47])])
    grid.append([_label("四、结转下年度继续办理", colspan=3), *_values([2, 0, 0, 0, 0, 0, 2])])
    s4 = {"values": {"s4": {"review": [1, 0, 1, 0, 2], "litigation_direct": [0, 1, 0, 0, 1],
                            "litigation_after_review": [0, 0, 0, 0, 0]}}}
    write_pdf([Block("table", grid=grid), Block("heading", HEADINGS[3]), Block("table", grid=s4_grid(s4)),
               Block("heading", HEADINGS[4]), Block("para", "本机关将进一步完善工作机制，提升政务公开工作水平。"),
               Block("heading", HEADINGS[5]), Block("para", "本年度本机关未收取信息处理费。")], path)


@pytest.mark.parametrize("other_processing", ["2021", "2019", "not printed"])
def test_the_last_page_of_a_report_is_a_partial_report(tmp_path: Path, other_processing: str) -> None:
    f = tmp_path / "last.pdf"
    last_page(f, other_processing)
    record = process(f)
    assert isinstance(record, Record), record  # not "not a report"
    cells = {c.path: c for c in iter_cells(record.tables)}
    assert record.truncated
    truncated = next(f for f in record.flags if f.key == "TRUNCATED")
    assert "starts inside" in truncated.message
    assert [cells[f"s3.total_processed.{c}"].value for c in S3_COLUMNS] == [40, 6, 0, 1, 0, 0, 47]
    assert [cells[f"s3.carried_forward.{c}"].value for c in S3_COLUMNS] == [2, 0, 0, 0, 0, 0, 2]
    assert [cells[f"s4.litigation_direct.{c}"].value
            for c in ("maintained", "corrected", "other", "pending", "total")] == [0, 1, 0, 0, 1]
    assert cells["s3.new_received.total"].state is CellState.MISSING
    assert "(the document is truncated)" in cells["s3.new_received.total"].reasons[0]
    assert cells["s2.licensing.decisions"].state is CellState.MISSING
    if other_processing == "not printed":
        # Nothing says which version: the rows it prints are the same in both, the version
        # stays unknown and is flagged.
        assert record.meta.template is None and "META:template" in flag_keys(record)
    else:
        assert record.meta.template == other_processing
        assert "META:template" not in flag_keys(record)
    if other_processing == "2019":
        assert cells["s3.other_processing.total"].value == 4
    if other_processing == "2021":
        assert cells["s3.other_processing_3.total"].value == 4


def test_a_complete_report_without_section_two_is_not_cut_at_the_start(tmp_path: Path) -> None:
    from s3_table import report, s3_rows

    text = "某某区审计局2022年政府信息公开工作年度报告\n一、总体情况\n本机关依法公开政府信息。\n" + report(
        s3_rows(), head="")
    record, _ = run(tmp_path, text, "r.md")
    assert not record.truncated and "TRUNCATED" not in flag_keys(record)


# -- 9. agency names: fragments a sentence or a page produced are not names ---------------

#: Report openings typed in the shapes seen in the wild, each with the fragment the old rules
#: took for the agency.
FRAGMENT_OPENINGS = {
    "在区委": "2022年度政府信息公开工作年度报告\n一、总体情况\n2022年，在区委、区政府的坚强领导下，本局全面推进政务公开。\n",
    "我局按照区政府": "一、总体情况\n2022年，我局按照区政府统一部署，扎实推进政务公开。\n",
    "政府": "2022年度政府信息公开工作年度报告\n一、总体情况\n本机关全面推进政务公开。\n",
    "Page8-": "Page8-2022年政府信息公开工作年度报告\n一、总体情况\n本机关全面推进政务公开。\n",
    "#": "##2022年度政府信息公开工作年度报告\n一、总体情况\n本机关全面推进政务公开。\n",
}


def _with_opening(opening: str) -> str:
    from s3_table import HEAD_2021, report, s3_rows

    body = HEAD_2021[HEAD_2021.index("二、主动公开政府信息情况"):]
    return report(s3_rows(), head=opening + body)


@pytest.mark.parametrize("fragment", list(FRAGMENT_OPENINGS))
def test_an_agency_fragment_is_flagged_with_its_candidates_not_taken(tmp_path: Path, fragment: str) -> None:
    record, _ = run(tmp_path, _with_opening(FRAGMENT_OPENINGS[fragment]), "r.md")
    assert record.meta.agency.value is None
    assert record.meta.year.value == 2022
    flag = next(f for f in record.flags if f.key == "META:agency")
    if fragment != "#":  # "##2022年度…" names no agency: without the mark, "政府" is left
        assert f"{fragment}:" in flag.message
    assert "rejected" in flag.message


def test_the_agency_is_still_found_after_a_rejected_fragment(tmp_path: Path) -> None:
    opening = ("2022年度政府信息公开工作年度报告\n一、总体情况\n2022年，在区委、区政府的坚强领导下，"
               "本报告由某某区教育局编制，全面推进政务公开。\n")
    record, _ = run(tmp_path, _with_opening(opening), "r.md")
    assert record.meta.agency.value == "某某区教育局"
    assert record.text[slice(*record.meta.agency.span)] == "某某区教育局"
    assert "META:agency" not in flag_keys(record)


def test_a_markdown_heading_mark_is_not_part_of_the_agency(tmp_path: Path) -> None:
    opening = "# 某某区教育局2022年度政府信息公开工作年度报告\n一、总体情况\n本局全面推进政务公开。\n"
    record, _ = run(tmp_path, _with_opening(opening), "r.md")
    assert (record.meta.agency.value, record.meta.year.value) == ("某某区教育局", 2022)
    assert record.text[slice(*record.meta.agency.span)] == "某某区教育局"


@pytest.mark.parametrize("name", ["区统计局", "两城镇人民政府", "拖市镇", "某某市人民政府办公室（市政府外事办公室）",
                                  "平潭综合实验区管委会办公室", "本溪市人民政府", "经济技术开发区管委会"])
def test_names_of_agencies_are_not_rejected(name: str) -> None:
    from extractor.mapping.metadata import implausible_agency

    assert implausible_agency(name) is None
