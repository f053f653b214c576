"""The rules and the LLM build cells with one builder: a cell cited by the LLM reads exactly
as the parser reads it (header units, bracketed notes, amounts without a unit)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from extractor.ingest.document import Document
from extractor.llm.grid import build_grid
from extractor.llm.table_mapping import cells_from_mapping, mapping_model, value_ids
from extractor.mapping.report import extract
from extractor.run.pipeline import read_document
from extractor.schema import LAYOUTS, Cell, Extraction, iter_cells

HEAD = "某某县卫生健康局2020年政府信息公开工作年度报告\n一、总体情况\n正文。\n二、主动公开政府信息情况\n"
TAIL = "五、存在的主要问题及改进情况\n无。\n"


def read(tmp_path: Path, table: str) -> tuple[Document, Extraction]:
    f = tmp_path / "r.txt"
    f.write_text(HEAD + table + TAIL, encoding="utf-8")
    doc = read_document(f)
    return doc, extract(doc)


def llm_cells(doc: Document, extraction: Extraction, cited: dict[str, list[str]]) -> dict[str, Cell]:
    """The LLM path's cells when it cites, for each row in `cited`, the grid cells printing
    those texts (in order); every other row cites nothing."""
    grid = build_grid(doc, extraction.sections, "s2")
    ids = {tc.text: cid for cid, tc in grid.cells.items()}
    rows = {row: [None] * len(cols) for row, cols in LAYOUTS["2019"]["s2"].items()}
    rows.update({row: [ids[t] for t in texts] for row, texts in cited.items()})
    mapping = mapping_model("2019", "s2", value_ids(grid, set()))(**rows)
    return cells_from_mapping(doc, "2019", "s2", grid, mapping)


def parser_cells(extraction: Extraction) -> dict[str, Cell]:
    return {c.path: c for c in iter_cells(extraction.tables)}


def test_an_amount_under_a_yuan_header_reads_the_same_for_both_readers(tmp_path: Path) -> None:
    doc, extraction = read(tmp_path, "信息内容\t采购项目数量\t采购总金额（单位：元）\n政府集中采购\t3\t125000\n")
    rule = parser_cells(extraction)["s2.procurement.amount"]
    llm = llm_cells(doc, extraction, {"procurement": ["3", "125000"]})["s2.procurement.amount"]
    for cell in (rule, llm):
        assert cell.value == Decimal("12.5") and cell.unit == "元"  # 125000 元 = 12.5 万元
        assert cell.raw == "125000" and not cell.reasons
        assert doc.text[cell.span[0]:cell.span[1]] == "125000"
    assert llm.reader == "llm" and rule.reader == "parser"
    assert llm.model_dump(exclude={"reader"}) == rule.model_dump(exclude={"reader"})


def test_an_amount_without_any_unit_is_flagged_by_both_readers(tmp_path: Path) -> None:
    doc, extraction = read(tmp_path, "信息内容\t采购项目数量\t采购总金额\n政府集中采购\t3\t12.5\n")
    rule = parser_cells(extraction)["s2.procurement.amount"]
    llm = llm_cells(doc, extraction, {"procurement": ["3", "12.5"]})["s2.procurement.amount"]
    for cell in (rule, llm):
        assert cell.value == Decimal("12.5") and cell.unit is None
        assert [r.split(":")[0] for r in cell.reasons] == ["UNIT"]


def test_a_bracketed_note_is_set_apart_by_both_readers(tmp_path: Path) -> None:
    doc, extraction = read(
        tmp_path, "信息内容\t上一年项目数量\t本年增/减\t处理决定数量\n行政许可\t22(其中新增16项)\t0\t5\n")
    rule = parser_cells(extraction)["s2.licensing.prev_items"]
    llm = llm_cells(doc, extraction, {"licensing": ["22(其中新增16项)", "0", "5"]})["s2.licensing.prev_items"]
    for cell in (rule, llm):
        assert cell.value == 22 and cell.raw == "22"
        assert doc.text[cell.span[0]:cell.span[1]] == "22"
