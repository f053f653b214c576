"""The rules pipeline's fast paths (issue 17) keep their meaning: caches keyed on the right
thing, a script detector and a map that read like the slow ones, models built without
validation that equal validated ones. Expected values are written by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from extractor.ingest.document import Document, Row, TextCell, new_row, text_cell
from extractor.ingest.normalize import normalize
from extractor.ingest.reader import IngestError, load_bytes
from extractor.mapping.cells import cell_from_text
from extractor.mapping.matching import bare
from extractor.mapping.rows import s3_row
from extractor.mapping.state import State
from extractor.schema import Cell, CellState, CheckResult, build_tables, iter_cells, template_paths
from extractor.schema.identities import Equation
from extractor.schema.models import Tables2019, new_cell
from extractor.schema.trusted import trusted, trusted_given
from verify.verifier import check

TRADITIONAL = "機關資訊報告數量申請處理結果總計國務院辦公廳會議開"
SIMPLIFIED = "机关资讯报告数量申请处理结果总计国务院办公厅会议开"


def test_a_traditional_text_is_mapped_to_simplified_character_for_character() -> None:
    doc = load_bytes(f"某县{TRADITIONAL}：1件\n".encode(), "r.txt")
    assert doc.traditional
    assert doc.text == f"某县{SIMPLIFIED}:1件\n"


def test_a_few_traditional_characters_do_not_make_a_text_traditional() -> None:
    # Seven distinct characters that change: under the eight a traditional text has.
    text = "政府信息公开" + TRADITIONAL[:7] + "。\n"
    doc = load_bytes(text.encode(), "r.txt")
    assert not doc.traditional
    assert doc.text == text


def test_a_small_share_of_traditional_characters_does_not_make_a_text_traditional() -> None:
    # 19 changing characters among ~990 CJK ones: under the 3% share.
    text = "政府信息公开工作年度报告" * 80 + TRADITIONAL + "\n"
    doc = load_bytes(text.encode(), "r.txt")
    assert not doc.traditional
    assert doc.text == text


def test_full_width_and_odd_characters_are_mapped_one_for_one() -> None:
    text = "（一）１２３，ＡＢ\u3000\u00a0\u2212５\r\n"
    assert normalize(text).text == "(一)123,AB  -5\n"


def test_control_bytes_make_a_file_binary_but_tabs_and_escapes_do_not() -> None:
    with pytest.raises(IngestError, match="binary"):
        load_bytes(b"\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f" + "政府信息公开".encode() * 5, "r.txt")
    doc = load_bytes(b"\t\x1b\x0c" * 10 + "政府信息公开\n".encode(), "r.txt")
    assert "政府信息公开" in doc.text


def test_label_normalisation_keeps_different_labels_apart() -> None:
    # The cache is keyed by the label: alternating calls never return the other's result.
    for _ in range(2):
        assert bare("（一）予以公开") == "予以公开"
        assert bare("1.予以公开") == "予以公开"
        assert bare("（三）不予公开") == "不予公开"
        assert bare("规章(设区的市、自治州人民政府应提供相关数据)") == "规章"
        assert bare("本年 新收 政府信息公开申请数量") == "本年新收政府信息公开申请数量"


def test_a_cell_built_without_validation_equals_the_validated_one() -> None:
    given = dict(path="s3.granted.total", state=CellState.NUMBER, value=12, raw="12",
                 span=(3, 5), source_span=(4, 6), reasons=["I1: x"])
    fast, checked = new_cell(**given), Cell(**given)
    assert fast == checked
    assert fast.model_dump_json() == checked.model_dump_json()
    assert fast.model_fields_set == checked.model_fields_set
    assert fast.placement == "direct" and fast.reader == "parser" and fast.status is None


def test_a_field_given_its_default_value_counts_as_set_as_in_validation() -> None:
    fast = new_cell(path="s2.rules.made", state=CellState.BLANK, placement="direct", value=None)
    assert fast.model_fields_set == {"path", "state", "placement", "value"}
    assert fast.reasons == [] and fast.status is None
    assert new_cell(path="s2.rules.made", state=CellState.BLANK).model_fields_set == {"path", "state"}


def test_default_lists_are_not_shared_between_cells() -> None:
    a = new_cell(path="s2.rules.made", state=CellState.BLANK)
    b = new_cell(path="s2.rules.made", state=CellState.BLANK)
    a.reasons.append("GROUND: x")
    assert b.reasons == []


def test_a_missing_or_unknown_field_is_an_error_as_in_validation() -> None:
    with pytest.raises(TypeError, match="required"):
        new_cell(path="s2.rules.made")
    with pytest.raises(TypeError, match="unknown"):
        new_cell(path="s2.rules.made", state=CellState.BLANK, colour="red")
    with pytest.raises(TypeError, match="required"):
        trusted(CheckResult)(rule="I1", key="I1:total", outcome="pass", message="m")


def test_a_cell_built_for_one_call_pattern_equals_the_validated_one() -> None:
    make = trusted_given(Cell, ("path", "state", "value", "raw", "span", "reasons"))
    fast = make("s3.granted.total", CellState.NUMBER, 12, "12", (3, 5), ["I1: x"])
    checked = Cell(path="s3.granted.total", state=CellState.NUMBER, value=12, raw="12",
                   span=(3, 5), reasons=["I1: x"])
    assert fast == checked
    assert fast.model_dump_json() == checked.model_dump_json()
    assert list(fast.__dict__) == list(checked.__dict__)  # declaration order
    assert fast.model_fields_set == {"path", "state", "value", "raw", "span", "reasons"}
    assert fast.placement == "direct" and fast.reader == "parser" and fast.status is None


def test_a_call_pattern_makes_a_new_default_list_for_every_cell() -> None:
    make = trusted_given(Cell, ("path", "state"))
    a, b = make("s2.rules.made", CellState.BLANK), make("s2.rules.made", CellState.BLANK)
    a.reasons.append("GROUND: x")
    assert b.reasons == [] and a.model_fields_set == {"path", "state"}


def test_a_call_pattern_must_name_every_required_field_and_only_fields() -> None:
    with pytest.raises(TypeError, match="missing"):
        trusted_given(Cell, ("path",))
    with pytest.raises(TypeError, match="unknown"):
        trusted_given(Cell, ("path", "state", "colour"))
    with pytest.raises(TypeError):
        trusted_given(Cell, ("path", "state"))("s2.rules.made")  # a value left out


def test_cells_and_rows_built_from_tuples_are_the_named_tuples() -> None:
    cell = text_cell(("12", 3, 5))
    assert type(cell) is TextCell and (cell.text, cell.start, cell.end) == ("12", 3, 5)
    assert cell == TextCell("12", 3, 5)
    row = new_row(([cell], "tab", 0, 9))
    assert type(row) is Row and row.kind == "tab" and row.cells == [cell] and row.end == 9
    assert row.text == "12" and not row.is_line


def _doc(text: str) -> Document:
    return Document(name="r.txt", path="r.txt", sha256="0" * 64, format="text",
                    encoding="utf-8", norm=normalize(text))


@pytest.mark.parametrize(("printed", "path", "state", "value", "unit"), [
    ("12", "s3.granted.total", CellState.NUMBER, 12, None),
    ("1,234", "s3.granted.total", CellState.NUMBER, 1234, None),
    ("", "s3.granted.total", CellState.BLANK, None, None),
    ("—", "s3.granted.total", CellState.PLACEHOLDER, None, None),
    ("约2件", "s3.granted.total", CellState.UNREADABLE, None, None),
    ("3万", "s3.granted.total", CellState.UNREADABLE, None, None),
    ("22（其中修订16件）", "s3.granted.total", CellState.NUMBER, 22, None),
    ("3.5万元", "s2.fees.amount", CellState.NUMBER, Decimal("3.5"), "万元"),
])
def test_cells_read_from_text_are_valid_models(printed: str, path: str, state: CellState,
                                               value: object, unit: str | None) -> None:
    doc = _doc(f"行 {printed} 尾")
    cell, _ = cell_from_text(doc, path, TextCell(printed, 2, 2 + len(printed)), None)
    assert (cell.state, cell.value, cell.unit) == (state, value, unit)
    assert type(cell.value) is type(value)
    assert Cell.model_validate(cell.model_dump()) == cell


def test_tables_hold_the_cells_they_are_built_from() -> None:
    cells = {p: Cell(path=p, state=CellState.BLANK) for p in template_paths("2019")}
    tables = build_tables("2019", cells)
    assert tables.template == "2019"
    assert tables.s3.granted.total is cells["s3.granted.total"]
    assert [c.path for c in iter_cells(tables)] == list(template_paths("2019"))
    assert Tables2019.model_validate(tables.model_dump()) == tables


def test_tables_from_something_other_than_cells_are_validated() -> None:
    cells: dict[str, object] = {p: Cell(path=p, state=CellState.BLANK) for p in template_paths("2021")}
    cells["s3.granted.total"] = {"path": "s3.granted.total", "state": "number", "value": 3}
    assert build_tables("2021", cells).s3.granted.total.value == 3  # type: ignore[arg-type]
    cells["s3.granted.total"] = {"path": "s3.granted.total", "state": "seven"}
    with pytest.raises(ValidationError):
        build_tables("2021", cells)  # type: ignore[arg-type]


def _s3_row(group: str | None, *texts: str) -> tuple[str | None, str | None]:
    st = State()
    st.group = group
    key = s3_row([TextCell(t, 0, len(t)) for t in texts], st)
    return key, st.group


def test_section_three_rows_by_label_and_group_context() -> None:
    # Interleaved twice: cached label lookups answer for their own label and group.
    for _ in range(2):
        assert _s3_row(None, "（三）不予公开", "1.属于国家秘密") == ("denied_1", "denied")
        assert _s3_row("not_processed", "重复申请") == ("not_processed_2", "not_processed")
        assert _s3_row("unable", "本机关不掌握相关政府信息") == ("unable_1", "unable")
        assert _s3_row("other_processing", "3.其他") == ("other_processing_3", "other_processing")
        assert _s3_row("denied", "（二）部分公开") == ("partially_granted", None)
        assert _s3_row(None, "（一）予以公开") == ("granted", None)


def _number(path: str, value: object) -> Cell:
    if value is None:
        return Cell(path=path, state=CellState.BLANK, raw="")
    return Cell(path=path, state=CellState.NUMBER, value=value, raw=str(value))


def test_identity_sums_keep_the_printed_decimals_and_count_blanks_and_zeros_as_nothing() -> None:
    row = "s3.granted."
    cells = {row + "total": _number(row + "total", Decimal("3.50")),
             row + "natural_person": _number(row + "natural_person", Decimal("1.50")),
             row + "commercial": _number(row + "commercial", 2),
             row + "research": _number(row + "research", None),
             row + "social_welfare": _number(row + "social_welfare", Decimal("0.00"))}
    right = tuple(row + c for c in ("natural_person", "commercial", "research", "social_welfare"))
    result = check(Equation("I3", "I3:granted", "", (row + "total",), right), cells)
    assert result.outcome == "pass"
    assert result.message == (
        "I3:granted (（一）予以公开): （一）予以公开 3.50 = （一）予以公开 1.50 + （一）予以公开 2 + "
        "（一）予以公开 blank(0) + （一）予以公开 0.00 = 3.50")
    cells[row + "commercial"] = _number(row + "commercial", 3)
    failed = check(Equation("I3", "I3:granted", "", (row + "total",), right), cells)
    assert failed.outcome == "fail"
    assert "≠ （一）予以公开 1.50 + （一）予以公开 3 + （一）予以公开 blank(0) + （一）予以公开 0.00 = 4.50" in failed.message
