"""The deterministic extractor on small, targeted reports."""

from __future__ import annotations

from pathlib import Path

from extractor.mapping.report import extract
from extractor.run.pipeline import process, read_document
from extractor.schema import CellState, iter_cells

S3_ROWS_2019 = [
    "一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "（一）予以公开", "（二）部分公开",
    *[f"{i}.属于x" for i in range(1, 9)],
]

HEAD = "某某县卫生健康局2020年政府信息公开工作年度报告\n一、总体情况\n正文。\n二、主动公开政府信息情况\n"


TAIL = "\n五、存在的主要问题及改进情况\n无。\n"


def run(tmp_path: Path, text: str, name: str = "r.txt", complete: bool = True):
    """Extract from `text`; a complete report goes on past its tables (section 五)."""
    f = tmp_path / name
    f.write_text(text + TAIL if complete and "五、" not in text else text, encoding="utf-8")
    extraction = extract(read_document(f))
    return extraction, {c.path: c for c in iter_cells(extraction.tables)}


def test_row_labels_with_typos_and_numbering_variants(tmp_path: Path) -> None:
    text = HEAD + (
        "第二十条第(久)项\t\t\n信息内容\t采购项目数量\t采购总金额\n政府集中釆购\t3\t12.5万元\n"
        "第二十条第（六）项\n信息内容\t上一年项目数量\t本年增/减\t处理决定数量\n行政处 罚\t5\t+1\t6\n"
    )
    _, cells = run(tmp_path, text)
    assert cells["s2.procurement.items"].value == 3
    assert str(cells["s2.procurement.amount"].value) == "12.5"
    assert cells["s2.punishment.change"].value == 1


def test_glued_digits_are_flagged_not_split(tmp_path: Path) -> None:
    text = HEAD + "信息内容\t上一年项目数量\t本年增/减\t处理决定数量\n行政许可\t16016\n"
    extraction, cells = run(tmp_path, text)
    cell = cells["s2.licensing.prev_items"]
    assert cell.state is CellState.UNREADABLE and cell.value is None
    assert any(i.key == "LAYOUT:s2.licensing" and "not guessed" in i.message for i in extraction.issues)


def test_extra_non_blank_values_are_flagged(tmp_path: Path) -> None:
    text = HEAD + "信息内容\t上一年项目数量\t本年增/减\t处理决定数量\n行政许可\t1\t2\t3\t4\n"
    _, cells = run(tmp_path, text)
    assert cells["s2.licensing.decisions"].state is CellState.UNREADABLE


def test_a_cell_that_is_not_one_number_is_unreadable(tmp_path: Path) -> None:
    text = HEAD + "信息内容\t上一年项目数量\t本年增/减\t处理决定数量\n行政许可\t1\t约2件\t3\n"
    _, cells = run(tmp_path, text)
    c = cells["s2.licensing.change"]
    assert c.state is CellState.UNREADABLE and c.raw == "约2件" and c.reasons


def test_nonzero_amount_without_a_unit_is_flagged(tmp_path: Path) -> None:
    text = HEAD + "信息内容\t采购项目数量\t采购总金额\n政府集中采购\t3\t12.5\n"
    extraction, cells = run(tmp_path, text)
    assert "UNIT:s2.procurement.amount" in {i.key for i in extraction.issues}
    assert cells["s2.procurement.amount"].reasons


def test_header_unit_applies_to_bare_amounts(tmp_path: Path) -> None:
    text = HEAD + "信息内容\t采购项目数量\t采购总金额(元)\n政府集中采购\t3\t125000\n"
    extraction, cells = run(tmp_path, text)
    amount = cells["s2.procurement.amount"]
    assert str(amount.value) == "12.5" and amount.unit == "元"
    assert not [i for i in extraction.issues if i.rule == "UNIT"]


def test_template_version_from_headers_even_against_the_year(tmp_path: Path) -> None:
    text = HEAD.replace("2020", "2022") + "信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量\n规章\t1\t2\t3\n"
    extraction, cells = run(tmp_path, text)
    assert extraction.meta.template == "2019"
    assert any("本年新制作数量" in e for e in extraction.meta.template_evidence)
    assert cells["s2.regulations.total_published"].value == 3


def test_a_table_whose_words_are_present_but_rows_unrecoverable_is_not_truncation(tmp_path: Path) -> None:
    text = HEAD + "第二十条第(一)项信息内容本年新制作数量规章000\n三、收到和处理政府信息公开申请情况\n本年新收和上年结转的申请见附表\n" \
        "四、政府信息公开行政复议、行政诉讼情况\n结果维持尚未审结00000\n五、存在的主要问题及改进情况\n无\n"
    extraction, _ = run(tmp_path, text)
    keys = {i.key for i in extraction.issues}
    assert {"LAYOUT:s3", "LAYOUT:s4", "MISSING:s3", "MISSING:s4"} <= keys
    assert not extraction.truncated


def test_glued_digits_are_split_only_when_the_identities_admit_exactly_one_split(tmp_path: Path) -> None:
    # The issue's example: 2, 1, 3, 1, 7 | 0 ×5 | 13, 2, 4, 0, 19 printed with no separator.
    extraction, cells = run(tmp_path, HEAD + _glued_s4("21317000001324019"))
    assert [cells[f"s4.review.{c}"].value for c in ("maintained", "corrected", "other", "pending", "total")] == [2, 1, 3, 1, 7]
    assert [cells[f"s4.litigation_after_review.{c}"].value for c in ("maintained", "total")] == [13, 19]
    assert cells["s4.litigation_after_review.maintained"].span[1] - cells["s4.litigation_after_review.maintained"].span[0] == 2
    assert any(i.key == "PLACED:s4" and i.severity == "warning" for i in extraction.issues)


def test_a_glued_row_with_several_consistent_splits_is_flagged(tmp_path: Path) -> None:
    # 15 digits for 15 cells: one split. 17 digits: 10|1|1|0|12 and 1|0|1|10|12 both balance.
    extraction, cells = run(tmp_path, HEAD + _glued_s4("111030000000000"))
    assert cells["s4.review.total"].value == 3
    extraction, cells = run(tmp_path, HEAD + _glued_s4("10110120000000000"))
    assert cells["s4.review.total"].state.value == "unreadable"
    assert any(i.key == "LAYOUT:s4" and "placements" in i.message for i in extraction.issues)


def _glued_s4(digits: str) -> str:
    """A crawler's flattened section 四: the header run together, then the digits."""
    return ("四、政府信息公开行政复议、行政诉讼情况行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计"
            "未经复议直接起诉复议后起诉结果维持结果纠正其他结果尚未审结总计结果维持结果纠正其他结果尚未审结总计"
            + digits + "五、存在的主要问题及改进情况2021年,我们将继续努力做好政府信息公开工作,规范公开内容,拓宽公开渠道。\n")


def test_vanished_blanks_are_placed_only_when_one_placement_fits(tmp_path: Path) -> None:
    # One cell per line, blank cells left no line: 2 | 3 | 5 for seven columns.
    s3 = ("三、收到和处理政府信息公开申请情况\n申请人情况\n自然人\n总计\n"
          "一、本年新收政府信息公开申请数量\n2\n3\n5\n")
    extraction, cells = run(tmp_path, HEAD + s3)
    assert cells["s3.new_received.total"].state.value == "unreadable"
    assert any(i.key == "LAYOUT:s3.new_received" and "placements" in i.message for i in extraction.issues)


def test_a_cell_with_a_bracketed_note_reads_its_number_with_a_span_on_the_number(tmp_path: Path) -> None:
    text = HEAD.replace("2020", "2022") + (
        "第二十条第(一)项\n信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n"
        "规章\t22（其中修订16件）\t3\t235\n")
    extraction, cells = run(tmp_path, text)
    issued = cells["s2.regulations.issued"]
    assert (issued.state, issued.value, issued.raw) == (CellState.NUMBER, 22, "22")
    assert extraction.meta.template == "2021"
    note = next(i for i in extraction.issues if i.key == "NOTE:s2.regulations.issued")
    assert note.severity == "warning" and "其中修订16件" in note.message
    assert cells["s2.regulations.repealed"].value == 3
    record = process(tmp_path / "r.txt")
    assert next(c for c in iter_cells(record.tables) if c.path == issued.path).status.value == "grounded"
