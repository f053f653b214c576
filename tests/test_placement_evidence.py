"""What a cell's status says about its evidence: a position the identities chose is
`inferred` (placement identities / orphan), never `verified`; no placement without an
identity; glued digit runs keep their signs.

The reports are written here by hand in the shape of golden/inputs/pingtan_office_2021.txt (a
crawler's dump: the whole report on one line, every cell separator lost), with their own
labels and numbers.
"""

from __future__ import annotations

from pathlib import Path

from extractor.ingest.document import TextCell
from extractor.layout.glued import split_glued
from extractor.mapping.placement import Ambiguous, glued_splits, orphan_assignments, resolve
from extractor.run.pipeline import process
from extractor.schema import CellState, CellStatus, Record, iter_cells

#: A 2019-template report flattened into one line, as a crawler leaves it. Section 二 keeps
#: spaces between most values, but a sign glues 35 to -15 and 2648 to -18538; sections 三 and
#: 四 are glued digit runs (a run ending before "2." gives its last digit to that label).
DUMP_2019 = (
    "标题: 某县农业农村局2019年政府信息公开工作年度报告\n"
    "==================== 正文 ====================\n"
    "某县农业农村局2019年政府信息公开工作年度报告 一、总体情况 2019年，我局认真贯彻落实《条例》，"
    "全年共收到政府信息公开申请5件，均已按时答复。"
    "二、主动公开政府信息情况 第二十条第（一）项信息内容本年新制作数量本年新公开数量对外公开总数量"
    "规章 0 0 0规范性文件 3 3 12"
    "第二十条第（五）项信息内容上一年项目数量本年增/减处理决定数量行政许可 120 减47 73"
    "其他对外管理服务事项 0 0 0"
    "第二十条第（六）项信息内容上一年项目数量本年增/减处理决定数量行政处罚 2648-18538行政强制 0 0 0"
    "第二十条第（八）项信息内容上一年项目数量本年增/减行政事业性收费35-15"
    "第二十条第（九）项信息内容采购项目数量采购总金额政府集中采购 0 0"
    "三、收到和处理政府信息公开申请情况（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    "申请人情况自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他"
    "一、本年新收政府信息公开申请数量500000 5二、上年结转政府信息公开申请数量0000000"
    "三、本年度办理结果（一）予以公开3000003（二）部分公开（区分处理的，只计这一情形，不计其他情形）0000000"
    "（三）不予公开1.属于国家秘密00000002.其他法律行政法规禁止公开00000003.危及“三安全一稳定”0000000"
    "4.保护第三方合法权益00000005.属于三类内部事务信息00000006.属于四类过程性信息0000000"
    "7.属于行政执法案卷00000008.属于行政查询事项0000000"
    "（四）无法提供1.本机关不掌握相关政府信息20000022.没有现成信息需要另行制作0000000"
    "3.补正后申请内容仍不明确0000000（五）不予处理1.信访举报投诉类申请00000002.重复申请0000000"
    "3.要求提供公开出版物00000004.无正当理由大量反复申请00000005.要求行政机关确认或重新出具已获取信息0000000"
    "（六）其他处理0000000（七）总计500000 5四、结转下年度继续办理0000000 "
    "四、政府信息公开行政复议、行政诉讼情况 行政复议 行政诉讼结果维持结果纠正其他结果尚未审结总计"
    "未经复议直接起诉复议后起诉结果维持结果纠正其他结果尚未审结总计结果维持结果纠正其他结果尚未审结总计"
    "100010000000000五、存在的主要问题及改进情况2019年，我局政府信息公开工作还存在一些不足。"
    "六、其他需要报告的事项无。\n"
)


def run(tmp_path: Path, text: str) -> tuple[Record, dict]:
    f = tmp_path / "dump.txt"
    f.write_text(text, encoding="utf-8")
    record = process(f)
    assert isinstance(record, Record), record
    return record, {c.path: c for c in iter_cells(record.tables)}


def test_a_glued_dump_keeps_the_signs_inside_its_digit_runs(tmp_path: Path) -> None:
    record, cells = run(tmp_path, DUMP_2019)
    fees = [cells["s2.fees.prev_items"], cells["s2.fees.change"]]
    assert [(c.state, c.value, c.raw) for c in fees] == [
        (CellState.NUMBER, 35, "35"), (CellState.NUMBER, -15, "-15")]
    assert record.text[fees[1].span[0]:fees[1].span[1]] == "-15"  # type: ignore[index]
    assert [cells[f"s2.licensing.{c}"].value for c in ("prev_items", "change", "decisions")] == [120, -47, 73]
    assert cells["s2.licensing.change"].raw == "减47"
    # Separated by a space or a sign, one value per column: read where printed, nothing checks
    # section 二.
    assert {(c.placement, c.status) for c in (*fees, cells["s2.licensing.change"])} == {
        ("direct", CellStatus.GROUNDED)}


def test_a_glued_section_two_row_is_never_split_on_the_column_count_alone(tmp_path: Path) -> None:
    record, cells = run(tmp_path, DUMP_2019)
    # 2648 | -18538 for three columns: -1 | 8538, -18 | 538 … or 2 | 648 | -18538 …; no identity
    # covers section 二, so nothing may choose.
    (flag,) = [f for f in record.flags if f.key == "LAYOUT:s2.punishment"]
    assert "2648 | -18538" in flag.message and "no identity covers the row" in flag.message
    assert all(cells[f"s2.punishment.{c}"].state is CellState.UNREADABLE
               for c in ("prev_items", "change", "decisions"))
    # The example: the sign lost, "35" alone fits two columns one way only (3 | 5).
    # That one way is the column count's, not the source's: flagged, never placed.
    record, cells = run(tmp_path, DUMP_2019.replace("行政事业性收费35-15", "行政事业性收费35"))
    (flag,) = [f for f in record.flags if f.key == "LAYOUT:s2.fees"]
    assert "column count" in flag.message
    assert [cells["s2.fees.prev_items"].value, cells["s2.fees.change"].value] == [None, None]
    assert cells["s2.fees.prev_items"].status is CellStatus.FLAGGED
    assert not [w for w in record.warnings if w.key == "PLACED:s2.fees"]


def test_a_2021_section_two_row_glued_into_one_run_is_flagged(tmp_path: Path) -> None:
    dump = (
        "某区司法局2021年度政府信息公开工作年度报告 一、总体情况 2021年，我局全年主动公开政府信息"
        "86条，其中发布行政规范性文件3件。二、主动公开政府信息情况 第二十条第（一）项信息内容本年制发件数"
        "本年废止件数现行有效件数规章 0 0 0行政规范性文件 000第二十条第（五）项信息内容本年处理决定数量"
        "行政许可12 第二十条第（六）项信息内容 本年处理决定数量行政处罚 3行政强制 0 第二十条第（八）项"
        "信息内容 本年收费金额（单位：万元）行政事业性收费0三、收到和处理政府信息公开申请情况"
        "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）五、存在的主要问题及改进情况"
        "无。\n")
    record, cells = run(tmp_path, dump)
    assert record.meta.template == "2021"
    assert "LAYOUT:s2.normative_documents" in {f.key for f in record.flags}
    assert cells["s2.normative_documents.issued"].state is CellState.UNREADABLE
    assert cells["s2.regulations.issued"].value == 0  # '规章 0 0 0': one value per column


def test_cells_whose_cuts_the_identities_chose_are_inferred_not_verified(tmp_path: Path) -> None:
    record, cells = run(tmp_path, DUMP_2019)
    assert [cells[f"s3.granted.{c}"].value for c in ("natural_person", "other", "total")] == [3, 0, 3]
    assert [cells[f"s3.new_received.{c}"].value for c in ("natural_person", "total")] == [5, 5]
    assert cells["s4.review.maintained"].value == 1 and cells["s4.review.total"].value == 1
    placed = [c for c in iter_cells(record.tables) if c.path[:2] in ("s3", "s4")]
    assert {(c.placement, c.status) for c in placed} == {("identities", CellStatus.INFERRED)}
    assert not [f for f in record.flags if f.rule in ("I1", "I2", "I3", "I4")]
    assert record.summary.verified == 0
    assert record.summary.inferred == len(placed) == 23 * 7 + 15  # 2019: 23 rows in 三


def test_vanished_blanks_placed_by_the_identities_are_inferred(tmp_path: Path) -> None:
    # A tab table whose （一） row is PDF text with its blank cells gone: "3 3" for 7 columns.
    # I2 pins it (（七）总计 5 = （一） + （四）1's 2 in 自然人 and 总计), so 3 | ∅ … ∅ | 3.
    blank = "\t" * 7
    rows = [
        "一、本年新收政府信息公开申请数量\t5\t\t\t\t\t\t5", "二、上年结转政府信息公开申请数量" + blank,
        "三、本年度办理结果", "（一）予以公开 3 3", "（二）部分公开" + blank, "（三）不予公开",
        *[f"{i}.不予公开第{i}类" + blank for i in range(1, 9)], "（四）无法提供",
        "1.本机关不掌握相关政府信息\t2\t\t\t\t\t\t2", "2.没有现成信息需要另行制作" + blank,
        "3.补正后申请内容仍不明确" + blank, "（五）不予处理",
        *[f"{i}.不予处理第{i}类" + blank for i in range(1, 6)],
        "（六）其他处理" + blank, "（七）总计\t5\t\t\t\t\t\t5", "四、结转下年度继续办理" + blank]
    text = ("某县卫生健康局2020年政府信息公开工作年度报告\n一、总体情况\n正文。\n"
            "三、收到和处理政府信息公开申请情况\n"
            "申请人情况\t自然人\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t总计\n"
            + "\n".join(rows) + "\n五、存在的主要问题及改进情况\n无。\n")
    record, cells = run(tmp_path, text)
    granted = [cells[f"s3.granted.{c}"] for c in ("natural_person", "commercial", "total")]
    assert [(c.state, c.value) for c in granted] == [
        (CellState.NUMBER, 3), (CellState.BLANK, None), (CellState.NUMBER, 3)]
    assert {(c.placement, c.status) for c in granted} == {("identities", CellStatus.INFERRED)}
    unable = cells["s3.unable_1.natural_person"]
    assert (unable.placement, unable.status) == ("direct", CellStatus.VERIFIED)
    assert "PLACED:s3.granted" in {w.key for w in record.warnings}


# --- the pieces -------------------------------------------------------------------------------


def test_split_glued_starts_a_value_at_each_sign() -> None:
    line = "第二十条第（八）项信息内容上一年项目数量本年增/减行政事业性收费35-15第二十条第（五）项信息内容" \
           "上一年项目数量本年增/减处理决定数量行政许可 120 减47 73其他对外管理服务事项 0 +1 1 行政处罚 2648-18538"
    rows = {r.cells[0].text: [c.text for c in r.cells[1:]] for r in split_glued(line, 0)
            if r.kind == "glued"}
    assert rows["行政事业性收费"] == ["35", "-15"]
    assert rows["行政许可"] == ["120", "减47", "73"]
    assert rows["其他对外管理服务事项"] == ["0", "+1", "1"]
    assert rows["行政处罚"] == ["2648", "-18538"]


def test_a_sign_stays_with_the_first_number_cut_from_its_run() -> None:
    splits = glued_splits([TextCell("-18538", 10, 16)], 2)
    assert [tuple(c.text for c in s) for s in splits] == [
        ("-1", "8538"), ("-18", "538"), ("-185", "38"), ("-1853", "8")]
    assert [(c.start, c.end) for c in splits[0]] == [(10, 12), (12, 16)]
    assert [tuple(c.text for c in s) for s in glued_splits([TextCell("减05", 0, 3)], 2)] == [("减0", "5")]


def test_resolve_places_nothing_no_identity_confirms() -> None:
    row = Ambiguous("s2.fees", ["s2.fees.prev_items", "s2.fees.change"],
                    glued_splits([TextCell("35", 0, 2)], 2))
    assert len(row.candidates) == 1  # 3 | 5, the column count's only answer
    chosen, unplaced = resolve("2019", {}, [row])
    assert chosen == {} and "column count" in unplaced["s2.fees"]


def test_an_orphan_row_is_placed_only_when_an_identity_holds_with_it() -> None:
    cols = ("natural_person", "commercial", "research", "social_welfare", "legal_service", "other", "total")
    # 总计 left blank on an outcome row: I3 is not assessable; nothing else is known.
    values = [TextCell(t, i, i + len(t)) for i, t in enumerate(["2", "0", "0", "0", "0", "0", ""])]
    orphan = (values, frozenset({"s3.partially_granted"}))
    assert orphan_assignments("2021", {}, ["s3.partially_granted"], [orphan], cols) == []
    values[-1] = TextCell("2", 6, 7)  # with its 总计 printed, I3 holds
    assert orphan_assignments("2021", {}, ["s3.partially_granted"], [(values, orphan[1])], cols) == [
        ("s3.partially_granted",)]
