"""Evidence the document contradicts is flagged, never settled silently: a template row
printed twice with different values, a count printed with a unit, a sub-row number that
names another row than its words, a bracketed note that may change a number, a row the
labels do not name printed where a missing row belongs. Each flag reaches the record's
flags (flags.csv) and the review page.

Every report here is typed by hand in the shape of the golden inputs (pipe rows like
pinghu_health_2024.txt, tab rows like the Word exports); every expected value is worked
out by hand from the text, never by the code under test.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor.cli import main
from extractor.review.page import report_data
from extractor.run.pipeline import process
from extractor.schema import CellState, CellStatus, Record, iter_cells
from extractor.schema.values import read_value

# A 2021-template report with consistent tables (worked out by hand):
#   I1 自然人 5 + 1 = 5 + 1; 商业企业 1 + 0 = 1 + 0; 总计 6 + 1 = 6 + 1
#   I2 自然人 予以公开 2 + 部分公开 1 + 危及 1 + 不掌握 1 = 5; 商业企业 予以公开 1 = 1
REPORT_2021 = """某某区民政局2023年政府信息公开工作年度报告
一、总体情况
本年度共收到政府信息公开申请6件。
二、主动公开政府信息情况
第二十条第(一)项 |
信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |
规章 | 0 | 0 | 0 |
行政规范性文件 | 2 | 1 | 9 |
第二十条第(五)项 |
信息内容 | 本年处理决定数量 |
行政许可 | 13 |
第二十条第(六)项 |
信息内容 | 本年处理决定数量 |
行政处罚 | 4 |
行政强制 | 0 |
第二十条第(八)项 |
信息内容 | 本年收费金额(单位:万元) |
行政事业性收费 | 0 |
三、收到和处理政府信息公开申请情况
(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和) | 申请人情况 |
自然人 | 法人或其他组织 | 总计 |
商业 企业 | 科研 机构 | 社会公益组织 | 法律服务机构 | 其他 |
一、本年新收政府信息公开申请数量 | 5 | 1 | 0 | 0 | 0 | 0 | 6 |
二、上年结转政府信息公开申请数量 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |
三、本年度办理结果 | (一)予以公开 | 2 | 1 | 0 | 0 | 0 | 0 | 3 |
(二)部分公开(区分处理的,只计这一情形,不计其他情形) | 1 | 0 | 0 | 0 | 0 | 0 | 1 |
(三)不予公开 | 1.属于国家秘密 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
2.其他法律行政法规禁止公开 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
3.危及“三安全一稳定” | 1 | 0 | 0 | 0 | 0 | 0 | 1 |
4.保护第三方合法权益 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
5.属于三类内部事务信息 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
6.属于四类过程性信息 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
7.属于行政执法案卷 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
8.属于行政查询事项 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
(四)无法提供 | 1.本机关不掌握相关政府信息 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |
2.没有现成信息需要另行制作 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
3.补正后申请内容仍不明确 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
(五)不予处理 | 1.信访举报投诉类申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
2.重复申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
3.要求提供公开出版物 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
4.无正当理由大量反复申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
5.要求行政机关确认或重新出具已获取信息 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
(六)其他处理 | 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
3.其他 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
(七)总计 | 5 | 1 | 0 | 0 | 0 | 0 | 6 |
四、结转下年度继续办理 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |
四、政府信息公开行政复议、行政诉讼情况
行政复议 | 行政诉讼 |
结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 未经复议直接起诉 | 复议后起诉 |
结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |
1 | 0 | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
五、存在的主要问题及改进情况
公开内容不够丰富。
六、其他需要报告的事项
本年度未收取信息处理费。
"""

# The same denied rows after a publisher dropped 2.其他法律行政法规禁止公开 and renumbered the
# rest: 危及 is printed as "2.", 保护第三方 as "3.", … 行政查询事项 as "7.".
DENIED_PRINTED = """(三)不予公开 | 1.属于国家秘密 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
2.其他法律行政法规禁止公开 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
3.危及“三安全一稳定” | 1 | 0 | 0 | 0 | 0 | 0 | 1 |
4.保护第三方合法权益 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
5.属于三类内部事务信息 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
6.属于四类过程性信息 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
7.属于行政执法案卷 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
8.属于行政查询事项 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
"""
DENIED_RENUMBERED = """(三)不予公开 | 1.属于国家秘密 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
2.危及“三安全一稳定” | 1 | 0 | 0 | 0 | 0 | 0 | 1 |
3.保护第三方合法权益 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
4.属于三类内部事务信息 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
5.属于四类过程性信息 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
6.属于行政执法案卷 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
7.属于行政查询事项 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
"""

# A 2019-template section 二 as a Word export writes it (one row per line, tab-separated),
# followed by the rest of a report (section 三 and 四 left out: reported missing).
HEAD_2019 = "某某县卫生健康局2020年政府信息公开工作年度报告\n一、总体情况\n正文。\n二、主动公开政府信息情况\n"
S2_2019 = """第二十条第（一）项
信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量
规章\t0\t0\t0
规范性文件\t1\t1\t6
第二十条第（五）项
信息内容\t上一年项目数量\t本年增/减\t处理决定数量
行政许可\t39\t-7\t32
其他对外管理服务事项\t0\t1\t1
第二十条第（六）项
信息内容\t上一年项目数量\t本年增/减\t处理决定数量
行政处罚\t167\t290\t467
行政强制\t0\t0\t0
第二十条第（八）项
信息内容\t上一年项目数量\t本年增/减
行政事业性收费\t0\t0
第二十条第（九）项
信息内容\t采购项目数量\t采购总金额
政府集中采购\t2\t73.82万元
"""
TAIL = "五、存在的主要问题及改进情况\n无。\n"


def run(tmp_path: Path, text: str, name: str = "report.txt") -> tuple[Record, dict]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    record = process(path)
    assert isinstance(record, Record), record
    return record, {c.path: c for c in iter_cells(record.tables)}


def replaced(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def reading(cells: dict, row: str, cols: tuple[str, ...]) -> list:
    return [cells[f"{row}.{c}"].value if cells[f"{row}.{c}"].state is CellState.NUMBER
            else cells[f"{row}.{c}"].state.value for c in cols]


S3_COLS = ("natural_person", "commercial", "research", "social_welfare", "legal_service", "other", "total")


def flag_keys(record: Record) -> set[str]:
    return {f.key for f in record.flags}


def on_review_page(record: Record, key: str) -> dict:
    """The flag as the review page shows it, with the paths of the cells it links to."""
    data = report_data(record)
    flag = next(f for f in data["flags"] if f["k"] == key)
    flag["paths"] = [data["cells"][i]["p"] for i in flag["c"]]
    return flag


def test_the_hand_typed_report_is_clean(tmp_path: Path) -> None:
    """The base every test below changes one thing of: no flag, every s3 cell verified."""
    record, cells = run(tmp_path, REPORT_2021)
    assert record.meta.template == "2021"
    assert record.flags == []
    assert reading(cells, "s3.denied_3", S3_COLS) == [1, 0, 0, 0, 0, 0, 1]
    assert all(c.status is CellStatus.VERIFIED for p, c in cells.items() if p.startswith("s3."))


# --- row numbers that contradict the row's words ------------------------------------------


def test_a_renumbered_sub_row_is_read_under_its_words_and_flagged(tmp_path: Path) -> None:
    record, cells = run(tmp_path, replaced(REPORT_2021, DENIED_PRINTED, DENIED_RENUMBERED))
    # 危及“三安全一稳定” is printed as "2."; its 1 | … | 1 belongs to （三）3 (its words), not to
    # （三）2, which the report does not print at all.
    assert reading(cells, "s3.denied_3", S3_COLS) == [1, 0, 0, 0, 0, 0, 1]
    assert reading(cells, "s3.denied_2", S3_COLS) == ["missing"] * 7
    assert reading(cells, "s3.denied_8", S3_COLS) == [0] * 7  # 行政查询事项, printed as "7."
    keys = flag_keys(record)
    assert {f"ROWNUM:s3.denied_{i}" for i in range(3, 9)} <= keys
    assert "ROWNUM:s3.denied_1" not in keys and "MISSING:s3" in keys
    flag = next(f for f in record.flags if f.key == "ROWNUM:s3.denied_3")
    assert "2.危及" in flag.message and "（三）2.其他法律行政法规禁止公开" in flag.message
    assert "（三）3.危及三安全一稳定" in flag.message
    assert flag.severity == "flag" and flag.paths == [f"s3.denied_3.{c}" for c in S3_COLS]
    for c in S3_COLS:
        cell = cells[f"s3.denied_3.{c}"]
        assert cell.status is CellStatus.FLAGGED
        assert any(r.startswith("ROWNUM:") for r in cell.reasons)
    assert cells["s3.denied_1.total"].status is not CellStatus.FLAGGED
    assert on_review_page(record, "ROWNUM:s3.denied_3")["paths"] == flag.paths


def test_without_the_check_the_renumbered_row_would_verify_under_the_wrong_row(tmp_path: Path) -> None:
    """Why the flag matters: the identities cannot see a row read one row off (the sums
    are unchanged), so only the label/number check catches it."""
    record, cells = run(tmp_path, replaced(REPORT_2021, DENIED_PRINTED, DENIED_RENUMBERED))
    assert cells["s3.denied_2.natural_person"].value is None  # not the 1 printed as "2."
    assert not any(c.status is CellStatus.VERIFIED
                   for i in range(2, 9) for c in (cells[f"s3.denied_{i}.{col}"] for col in S3_COLS))


def test_a_number_and_words_that_agree_raise_nothing(tmp_path: Path) -> None:
    """A label cut short (as a page break leaves it) names no other row: the number decides."""
    text = replaced(REPORT_2021, "2.其他法律行政法规禁止公开 |", "2.其他法律 |")
    record, cells = run(tmp_path, text)
    assert not [f for f in record.flags if f.rule == "ROWNUM"]
    assert reading(cells, "s3.denied_2", S3_COLS) == [0] * 7


def test_a_number_that_names_a_row_its_words_do_not_in_another_group(tmp_path: Path) -> None:
    """（五） rows renumbered after 2.重复申请 was dropped: "2.要求提供公开出版物"."""
    old = ("2.重复申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n"
           "3.要求提供公开出版物 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n"
           "4.无正当理由大量反复申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n"
           "5.要求行政机关确认或重新出具已获取信息 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n")
    new = ("2.要求提供公开出版物 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n"
           "3.无正当理由大量反复申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n"
           "4.要求行政机关确认或重新出具已获取信息 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n")
    record, cells = run(tmp_path, replaced(REPORT_2021, old, new))
    assert {"ROWNUM:s3.not_processed_3", "ROWNUM:s3.not_processed_4",
            "ROWNUM:s3.not_processed_5"} <= flag_keys(record)
    assert reading(cells, "s3.not_processed_2", S3_COLS) == ["missing"] * 7


# --- a template row printed twice -------------------------------------------------------------


def test_a_row_printed_twice_with_different_values_flags_both_readings(tmp_path: Path) -> None:
    # 行政规范性文件 printed again after the table, 3 | 1 | 9 against 2 | 1 | 9 above.
    text = replaced(REPORT_2021, "行政许可 | 13 |\n", "行政许可 | 13 |\n行政规范性文件 | 3 | 1 | 9 |\n")
    record, cells = run(tmp_path, text)
    issued = cells["s2.normative_documents.issued"]
    assert issued.state is CellState.UNREADABLE and issued.value is None
    assert issued.status is CellStatus.FLAGGED
    assert any(r.startswith("DUPLICATE:") for r in issued.reasons)
    # The cells both printings agree on are read, and nothing flags them.
    assert cells["s2.normative_documents.repealed"].value == 1
    assert cells["s2.normative_documents.in_force"].value == 9
    assert cells["s2.normative_documents.in_force"].status is CellStatus.GROUNDED
    flag = next(f for f in record.flags if f.key == "DUPLICATE:s2.normative_documents")
    assert flag.severity == "flag" and flag.paths == ["s2.normative_documents.issued"]
    assert "2 | 1 | 9" in flag.message and "3 | 1 | 9" in flag.message
    assert not [w for w in record.warnings if w.rule == "DUPLICATE"]
    assert on_review_page(record, "DUPLICATE:s2.normative_documents")["paths"] == flag.paths


def test_a_section_three_row_printed_twice_is_not_checked_with_either_reading(tmp_path: Path) -> None:
    """（七）总计 printed again below the table with 6 for 自然人: neither 5 nor 6 is kept, so
    I1 and I2 for 自然人 are not assessable instead of passing on the first reading."""
    text = replaced(REPORT_2021, "四、结转下年度继续办理 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |\n",
                    "四、结转下年度继续办理 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |\n"
                    "(七)总计 | 6 | 1 | 0 | 0 | 0 | 0 | 6 |\n")
    record, cells = run(tmp_path, text)
    assert cells["s3.total_processed.natural_person"].state is CellState.UNREADABLE
    assert cells["s3.total_processed.commercial"].value == 1
    assert cells["s3.total_processed.total"].value == 6
    assert "DUPLICATE:s3.total_processed" in flag_keys(record)
    outcome = {c.key: c.outcome for c in record.checks if c.rule in ("I1", "I2")}
    assert outcome["I1:natural_person"] == outcome["I2:natural_person"] == "not_assessable"
    assert outcome["I1:commercial"] == "pass"


def test_a_row_printed_twice_alike_raises_nothing(tmp_path: Path) -> None:
    text = replaced(REPORT_2021, "行政许可 | 13 |\n", "行政许可 | 13 |\n行政许可 | 13 | |\n")
    record, cells = run(tmp_path, text)
    assert record.flags == [] and not [w for w in record.warnings if w.rule == "DUPLICATE"]
    assert cells["s2.licensing.decisions"].value == 13


def test_a_second_printing_that_does_not_fit_the_row_leaves_every_cell_unread(tmp_path: Path) -> None:
    text = replaced(REPORT_2021, "行政处罚 | 4 |\n", "行政处罚 | 4 |\n行政处罚 | 4 | 5 |\n")
    record, cells = run(tmp_path, text)
    assert cells["s2.punishment.decisions"].state is CellState.UNREADABLE
    flag = next(f for f in record.flags if f.key == "DUPLICATE:s2.punishment")
    assert "4 | 5" in flag.message


# --- units in count cells ---------------------------------------------------------------------


@pytest.mark.parametrize("printed", ["3万", "1.2万", "2千", "1亿", "500元", "3万元"])
def test_a_count_printed_with_a_unit_is_flagged_not_read(tmp_path: Path, printed: str) -> None:
    record, cells = run(tmp_path, replaced(REPORT_2021, "行政许可 | 13 |", f"行政许可 | {printed} |"))
    cell = cells["s2.licensing.decisions"]
    assert (cell.state, cell.value, cell.raw) == (CellState.UNREADABLE, None, printed)
    assert cell.status is CellStatus.FLAGGED
    flag = next(f for f in record.flags if f.key == "UNIT:s2.licensing.decisions")
    assert printed in flag.message and "only amounts take units" in flag.message
    assert flag.paths == ["s2.licensing.decisions"]
    assert on_review_page(record, "UNIT:s2.licensing.decisions")["paths"] == flag.paths


def test_a_unit_in_a_section_three_count_blinds_its_identities(tmp_path: Path) -> None:
    text = replaced(REPORT_2021, "一、本年新收政府信息公开申请数量 | 5 |", "一、本年新收政府信息公开申请数量 | 5万 |")
    record, cells = run(tmp_path, text)
    assert cells["s3.new_received.natural_person"].state is CellState.UNREADABLE
    assert "UNIT:s3.new_received.natural_person" in flag_keys(record)
    outcome = {c.key: c.outcome for c in record.checks}
    assert outcome["I1:natural_person"] == "not_assessable"


def test_a_unit_in_a_2019_count_column_is_flagged_while_the_amount_keeps_its_unit(tmp_path: Path) -> None:
    text = HEAD_2019 + replaced(S2_2019, "行政处罚\t167\t290\t467", "行政处罚\t167\t290\t4.67万") + TAIL
    record, cells = run(tmp_path, text)
    assert cells["s2.punishment.decisions"].state is CellState.UNREADABLE
    assert "UNIT:s2.punishment.decisions" in flag_keys(record)
    amount = cells["s2.procurement.amount"]
    assert (amount.value, amount.unit, amount.status) == (Decimal("73.82"), "万元", CellStatus.GROUNDED)


@pytest.mark.parametrize(("printed", "value", "unit"), [
    ("1.2亿元", Decimal("12000"), "亿元"),   # 1.2 亿元 = 12000 万元
    ("5千元", Decimal("0.5"), "千元"),       # 5000 元 = 0.5 万元
    ("73.82万元", Decimal("73.82"), "万元"),
])
def test_amounts_take_units_of_magnitude(tmp_path: Path, printed: str, value: Decimal, unit: str) -> None:
    text = HEAD_2019 + replaced(S2_2019, "政府集中采购\t2\t73.82万元", f"政府集中采购\t2\t{printed}") + TAIL
    record, cells = run(tmp_path, text)
    amount = cells["s2.procurement.amount"]
    assert (amount.state, amount.value, amount.unit) == (CellState.NUMBER, value, unit)
    assert not [f for f in record.flags if f.key.endswith("s2.procurement.amount")]  # grounded too


def test_the_value_grammar_reads_units_of_magnitude() -> None:
    assert read_value("3千").unit == "千"
    assert read_value("1亿").unit == "亿"
    assert read_value("12件").unit is None and read_value("12件").value == 12


# --- bracketed notes ------------------------------------------------------------------------


def test_a_note_that_may_change_the_number_is_a_flag(tmp_path: Path) -> None:
    record, cells = run(tmp_path, replaced(REPORT_2021, "行政处罚 | 4 |", "行政处罚 | 4（另有2件移送）|"))
    cell = cells["s2.punishment.decisions"]
    assert (cell.state, cell.value, cell.raw) == (CellState.NUMBER, 4, "4")
    assert cell.status is CellStatus.FLAGGED and any(r.startswith("NOTE:") for r in cell.reasons)
    flag = next(f for f in record.flags if f.key == "NOTE:s2.punishment.decisions")
    assert "另有2件移送" in flag.message
    assert on_review_page(record, "NOTE:s2.punishment.decisions")["paths"] == ["s2.punishment.decisions"]


def test_a_note_that_breaks_the_number_down_stays_a_warning(tmp_path: Path) -> None:
    record, cells = run(tmp_path, replaced(REPORT_2021, "行政处罚 | 4 |", "行政处罚 | 4（其中简易程序3件）|"))
    cell = cells["s2.punishment.decisions"]
    assert cell.value == 4 and cell.status is CellStatus.GROUNDED
    assert "NOTE:s2.punishment.decisions" in {w.key for w in record.warnings}
    assert record.flags == []


# --- rows no label names, next to a missing row ---------------------------------------------


def test_an_unrecognised_row_where_a_missing_row_belongs_is_a_flag(tmp_path: Path) -> None:
    # 行政许可 printed under a label the matcher does not take for it.
    text = HEAD_2019 + replaced(S2_2019, "行政许可\t39\t-7\t32", "许可类审批事项\t39\t-7\t32") + TAIL
    record, cells = run(tmp_path, text)
    assert cells["s2.licensing.decisions"].state is CellState.MISSING
    flag = next(f for f in record.flags if f.rule == "UNRECOGNIZED")
    assert "许可类审批事项" in flag.message and "行政许可" in flag.message
    assert flag.paths == ["s2.licensing.prev_items", "s2.licensing.change", "s2.licensing.decisions"]
    assert any(r.startswith("UNRECOGNIZED:") for r in cells["s2.licensing.change"].reasons)
    assert on_review_page(record, flag.key)["paths"] == flag.paths


def test_a_section_three_row_without_its_label_skipped_next_to_a_missing_row_is_a_flag(tmp_path: Path) -> None:
    """A row that lost its label and one of its values (six for seven columns) is skipped;
    the row it stands for, （三）2, comes out missing: the skip is a flag naming （三）2."""
    text = replaced(REPORT_2021, "2.其他法律行政法规禁止公开 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |",
                    "| 0 | 0 | 0 | 0 | 0 | 0 |")
    record, cells = run(tmp_path, text)
    assert reading(cells, "s3.denied_2", S3_COLS) == ["missing"] * 7
    flag = next(f for f in record.flags if f.rule == "UNRECOGNIZED")
    assert "（三）2.其他法律行政法规禁止公开" in flag.message
    assert flag.paths == [f"s3.denied_2.{c}" for c in S3_COLS]
    assert not [w for w in record.warnings if w.rule == "UNRECOGNIZED"]


def test_an_extra_row_in_another_small_table_stays_a_warning(tmp_path: Path) -> None:
    """A publisher's extra row under 规范性文件 (as excerpt_009 prints one) is not where the
    missing 行政许可 belongs: the （五） table header stands between them."""
    s2 = replaced(S2_2019, "规范性文件\t1\t1\t6\n", "规范性文件\t1\t1\t6\n其他主动公开文件\t0\t0\t0\n")
    s2 = replaced(s2, "行政许可\t39\t-7\t32", "许可类审批事项\t39\t-7\t32")
    record, _ = run(tmp_path, HEAD_2019 + s2 + TAIL)
    flagged = [f for f in record.flags if f.rule == "UNRECOGNIZED"]
    warned = [w for w in record.warnings if w.rule == "UNRECOGNIZED"]
    assert [f.message.split(":")[1].split()[0] for f in flagged] == ["许可类审批事项"]
    assert [w.message.split(":")[1].split()[0] for w in warned] == ["其他主动公开文件"]


def test_an_extra_row_with_no_missing_neighbour_stays_a_warning(tmp_path: Path) -> None:
    s2 = replaced(S2_2019, "规范性文件\t1\t1\t6\n", "规范性文件\t1\t1\t6\n其他主动公开文件\t0\t0\t0\n")
    record, _ = run(tmp_path, HEAD_2019 + s2 + TAIL)
    assert not [f for f in record.flags if f.rule == "UNRECOGNIZED"]
    assert [w.rule for w in record.warnings] == ["UNRECOGNIZED"]


# --- the flags reach flags.csv ----------------------------------------------------------------


def test_the_new_flags_reach_flags_csv(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    text = replaced(REPORT_2021, DENIED_PRINTED, DENIED_RENUMBERED)
    text = replaced(text, "行政许可 | 13 |", "行政许可 | 3万 |")
    text = replaced(text, "行政处罚 | 4 |\n", "行政处罚 | 4 |\n行政处罚 | 5 |\n")
    (src / "r.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(src), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    with open(out / "flags.csv", encoding="utf-8-sig", newline="") as fh:
        keys = {row["key"] for row in csv.DictReader(fh)}
    assert {"ROWNUM:s3.denied_3", "UNIT:s2.licensing.decisions",
            "DUPLICATE:s2.punishment"} <= keys


# -- text in a value position that is not a value ------------------------------------------

#: A 2019 section 二 sub-table, typed by hand, whose 行政许可 row prints a formula-like text
#: where 上一年项目数量 stands (a spreadsheet export gone wrong).
FORMULA_ROW_2019 = (
    "某某县卫生健康局2023年政府信息公开工作年度报告\n一、总体情况\n本机关依法公开政府信息。\n"
    "二、主动公开政府信息情况\n"
    "| 第二十条第（五）项 |||\n| 信息内容 | 上一年项目数量 | 本年增/减 | 处理决定数量 |\n"
    "| 行政许可 | =1+2 | -1 | 30 |\n| 其他对外管理服务事项 | 0 | 0 | 0 |\n"
    "五、存在的主要问题及改进情况\n无。\n"
)


@pytest.mark.parametrize("printed", ["=1+2", "1,2?", "12-"])
def test_text_in_a_value_position_is_an_unreadable_value_not_part_of_the_label(
        tmp_path: Path, printed: str) -> None:
    f = tmp_path / "r.txt"
    f.write_text(FORMULA_ROW_2019.replace("=1+2", printed), encoding="utf-8")
    record = process(f)
    assert isinstance(record, Record), record
    got = {c.path: c for c in iter_cells(record.tables)}
    cell = got["s2.licensing.prev_items"]
    assert cell.state is CellState.UNREADABLE and cell.raw == printed
    assert cell.reasons == [f"LAYOUT: cell text {printed!r} is not one number"]
    # the row is there: its other cells are read, and it is not reported absent
    assert (got["s2.licensing.change"].value, got["s2.licensing.decisions"].value) == (-1, 30)
    assert not [k for k in (f.key for f in record.flags) if k.startswith("MISSING:s2.licensing")]


def test_an_item_number_printed_apart_from_its_words_stays_with_the_label(tmp_path: Path) -> None:
    text = FORMULA_ROW_2019.replace("| 行政许可 | =1+2 |", "| 行政许可 | 12 |").replace(
        "| 其他对外管理服务事项 |", "| 2. | 其他对外管理服务事项 |")
    f = tmp_path / "r.txt"
    f.write_text(text, encoding="utf-8")
    record = process(f)
    assert isinstance(record, Record), record
    got = {c.path: c for c in iter_cells(record.tables)}
    assert [got[f"s2.other_services.{c}"].value for c in ("prev_items", "change", "decisions")] == [0, 0, 0]
    assert got["s2.licensing.prev_items"].value == 12
