"""Header variants seen in real reports: years inside headers, spaced 第二十条 headers,
header cells split over lines, columns renamed by OCR, an old template in a later year, and
reports that mix both templates (read per section, or flagged TEMPLATE: never misplaced)."""

from __future__ import annotations

from pathlib import Path

from s3_table import HEAD_2019, HEAD_2021, VALUES_2021, report, s3_rows

from extractor.run.pipeline import process
from extractor.schema import Record, iter_cells

COLS = ("natural_person", "commercial", "research", "social_welfare", "legal_service", "other", "total")


def run(tmp_path: Path, text: str, name: str = "r.md") -> tuple[Record, dict]:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    record = process(f)
    assert isinstance(record, Record), record
    return record, {c.path: c for c in iter_cells(record.tables)}


def row(cells: dict, path: str, cols: tuple[str, ...] = COLS) -> list:
    return [cells[f"{path}.{c}"].value for c in cols]


def flags(record: Record) -> set[str]:
    return {f.key for f in record.flags}


def test_the_complete_2021_fixture_reads_without_a_flag(tmp_path: Path) -> None:
    record, cells = run(tmp_path, report(s3_rows()))
    assert not record.flags
    assert row(cells, "s3.partially_granted") == VALUES_2021["partially_granted"]
    assert row(cells, "s2.normative_documents", ("issued", "repealed", "in_force")) == [1, 0, 5]


def test_a_year_printed_inside_the_header_is_still_the_2021_template(tmp_path: Path) -> None:
    head = (HEAD_2021.replace("本年制发件数", "本年(2023)制发件数").replace("本年废止件数", "本年（2023年）废止件数")
            .replace("本年处理决定数量", "本年度(2023)处理决定数量").replace("本年收费金额", "2023年收费金额"))
    rows = s3_rows()
    # No 2021 evidence from section 三: the evidence is in the headers only.
    rows["other_processing_1"] = ["（六）其他处理", "1.其他情形", *rows["other_processing_1"][2:]]
    rows["other_processing_2"] = ["2.其他情形", *rows["other_processing_2"][1:]]
    record, cells = run(tmp_path, report(rows, head=head).replace("2022年", "2020年"))
    assert record.meta.template == "2021"
    assert "2021: 本年制发件数" in record.meta.template_evidence
    assert row(cells, "s2.normative_documents", ("issued", "repealed", "in_force")) == [1, 0, 5]
    assert cells["s2.licensing.decisions"].value == 2


def test_spaced_article_headers_open_their_tables(tmp_path: Path) -> None:
    head = HEAD_2021.replace("第二十条第（五）项", "第二十条  第(五)项").replace("第二十条第（六）项", "第二十条　第（六）项")
    record, cells = run(tmp_path, report(s3_rows(), head=head))
    assert (cells["s2.licensing.decisions"].value, cells["s2.punishment.decisions"].value) == (2, 0)
    assert not record.flags


def test_header_cells_split_over_lines_do_not_disturb_the_rows(tmp_path: Path) -> None:
    header = ("三、收到和处理政府信息公开申请情况\n"
              "\t申请人情况\n\t自然人\t法人或其他组织\t总计\n"
              "\t\t商业\n企业\t科研\n机构\t社会公益\n组织\t法律服务\n机构\t其他\t\n")
    rows = s3_rows()
    text = report([], s3_header="").replace(
        "四、政府信息公开", header + "".join("\t".join(r) + "\n" for r in rows.values()) + "四、政府信息公开")
    record, cells = run(tmp_path, text)
    assert row(cells, "s3.new_received") == VALUES_2021["new_received"]
    assert row(cells, "s3.total_processed") == VALUES_2021["total_processed"]
    assert not record.flags


def test_one_cell_per_line_header_cells_split_over_lines(tmp_path: Path) -> None:
    header = "三、收到和处理政府信息公开申请情况\n\t自然人\n\t商业\n企业\n\t科研\n机构\n\t总计\n\n"
    body = "".join("".join(f"\t{c}\n" for c in r) + "\n" for r in s3_rows().values())
    text = report([], s3_header="").replace("四、政府信息公开", header + body + "四、政府信息公开")
    record, cells = run(tmp_path, text)
    assert row(cells, "s3.partially_granted") == VALUES_2021["partially_granted"]
    assert not record.flags


def test_columns_renamed_by_ocr_are_read_in_template_order(tmp_path: Path) -> None:
    head = (HEAD_2021.replace("| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |", "| 信息内容 | 数据1 | 数据2 | 数据3 |")
            .replace("本年处理决定数量", "数据1").replace("本年收费金额（单位：万元）", "数据1"))
    s3_header = ("三、收到和处理政府信息公开申请情况\n"
                 "| 申请人情况 | 数据1 | 数据2 | 数据3 | 数据4 | 数据5 | 数据6 | 数据7 |\n")
    text = report(s3_rows(), head=head, s3_header=s3_header).replace(
        "| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 "
        "| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |",
        "| " + " | ".join(f"数据{i}" for i in range(1, 16)) + " |")
    record, cells = run(tmp_path, text)
    assert record.meta.template == "2021"
    assert row(cells, "s2.normative_documents", ("issued", "repealed", "in_force")) == [1, 0, 5]
    assert row(cells, "s3.partially_granted") == VALUES_2021["partially_granted"]
    assert row(cells, "s4.review", ("maintained", "total")) == [0, 0]
    assert not record.flags


def test_a_2023_report_in_the_2019_template_is_read_as_2019(tmp_path: Path) -> None:
    values = {**VALUES_2021, "other_processing": [0] * 7}
    record, cells = run(tmp_path, report(s3_rows("2019", values), head=HEAD_2019))
    assert (record.meta.year.value, record.meta.template) == (2023, "2019")
    assert row(cells, "s2.licensing", ("prev_items", "change", "decisions")) == [12, -1, 30]
    assert str(cells["s2.procurement.amount"].value) == "10.5"
    assert row(cells, "s3.other_processing")[0] == 0
    assert not record.flags


def test_a_2021_report_with_a_2019_section_three_flags_the_other_processing_row(tmp_path: Path) -> None:
    # 2021 section 二, but section 三 prints the 2019 template's one （六）其他处理 row.
    values = {**VALUES_2021, "other_processing": [0, 0, 0, 0, 0, 0, 0]}
    record, cells = run(tmp_path, report(s3_rows("2019", values)))
    assert record.meta.template == "2021"
    assert "TEMPLATE:s3.other_processing" in flags(record)
    for i in (1, 2, 3):
        cell = cells[f"s3.other_processing_{i}.total"]
        assert cell.state.value == "unreadable" and any("2019" in r for r in cell.reasons)
    assert row(cells, "s3.granted") == VALUES_2021["granted"]
    assert not [f for f in record.flags if f.rule == "MISSING"]


def test_a_2019_report_with_2021_section_three_rows_flags_them(tmp_path: Path) -> None:
    values = {**VALUES_2021, "other_processing_3": [0] * 7}
    record, cells = run(tmp_path, report(s3_rows("2021", values), head=HEAD_2019))
    assert record.meta.template == "2019"
    assert {"TEMPLATE:s3.other_processing_1", "TEMPLATE:s3.other_processing_3"} <= flags(record)
    assert cells["s3.other_processing.total"].state.value == "unreadable"
    assert row(cells, "s2.licensing", ("prev_items", "change", "decisions")) == [12, -1, 30]


def test_a_2019_section_two_table_in_a_2021_report_is_never_read_as_2021_columns(tmp_path: Path) -> None:
    # Only the （一） table keeps the 2019 columns; everything else is 2021, so the report is 2021.
    head = HEAD_2021.replace("| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |",
                             "| 信息内容 | 本年新制作数量 | 本年新公开数量 | 对外公开总数量 |")
    record, cells = run(tmp_path, report(s3_rows(), head=head))
    assert record.meta.template == "2021"
    assert {"TEMPLATE:s2.regulations", "TEMPLATE:s2.normative_documents"} <= flags(record)
    issued = cells["s2.normative_documents.issued"]
    assert issued.state.value == "unreadable" and issued.value is None
    assert cells["s2.licensing.decisions"].value == 2
    assert row(cells, "s3.partially_granted") == VALUES_2021["partially_granted"]


def test_the_template_is_told_by_its_header_words_whatever_year_they_print() -> None:
    from extractor.mapping.template import detect_template

    for printed in ("本年(2023)制发件数 本年度（2023年度）废止件数 2023年处理决定数量 2023年度收费金额",
                    "（2022）制发件数 本年（2022年）废止件数 本年度收费金额"):
        version, evidence = detect_template(printed, None)
        assert version == "2021", printed
        assert "2021: 本年制发件数" in evidence and "2021: 本年废止件数" in evidence, printed
    # A year that is not in a header's brackets or before its words changes nothing.
    assert detect_template("2023年处理 本年 废止", None) == (None, [])
