"""The shortcuts for narrative lines (issue 17) against what they spare: the scanner's
(`is_prose`: a line it passes over is no table header and names no group, in every zone)
and the layout's (`may_be_value`: a text it rules out reads as no value)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import extractor.layout.rows as layout_rows
import extractor.mapping.scan as scan_module
from extractor.ingest.document import TextCell
from extractor.ingest.reader import load
from extractor.layout import with_rows
from extractor.mapping.matching import BARE_MAY_REMOVE, bare, compact
from extractor.mapping.report import NotAReport, extract
from extractor.mapping.rows import is_prose, label_context, table_header
from extractor.mapping.state import State
from extractor.schema.values import PLACEHOLDERS, may_be_value, read_value

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = sorted(p for d in ("inputs", "inputs-panel") for p in (ROOT / "golden" / d).iterdir()
                if p.is_file())

#: Pieces of lines: header and group words, phrases a header is told by, section numerals,
#: numbering, brackets, punctuation, white space, digits and narrative words.
_PIECES = st.sampled_from([
    "不予公开", "无法提供", "不予处理", "其他处理", "行政复议", "行政诉讼", "结果维持", "结果纠正",
    "其他结果", "尚未审结", "总计", "信息内容", "自然人", "法人或其他组织", "商业企业", "申请人情况",
    "勾稽关系", "第二十条", "复议", "、", "四", "三、", "（一）", "1.", "2、", "(", ")", "（", "）",
    "，", "。", " ", "\u3000", "12", "年", "本机关", "坚持", "依法", "情况", "维持", "纠", "其",
    "工作", "公开", "政府信息", "以", "等", "审", "计", "处", "理",
])
_LINES = st.lists(_PIECES, min_size=1, max_size=12).map("".join).map(str.strip).filter(bool)


def _after(zone: str | None, text: str, prose: bool) -> tuple[bool, dict[str, object]]:
    """What `table_header` and then `label_context` (told the line is prose, or not) make
    of a line of one cell in `zone`: (consumed as a header, the scanner's state after it)."""
    st_ = State()
    st_.zone, st_.s2_header = zone, ["信息内容"]
    cells = [TextCell(text, 0, len(text))]
    consumed = not prose and table_header(st_, cells, compact(text), [], False, False, True)
    if not consumed:
        label_context(st_, cells, prose=prose)
    return consumed, vars(st_)


@settings(max_examples=1200, deadline=None)
@given(_LINES, st.sampled_from([None, "s2", "s3", "s4"]))
def test_a_line_taken_for_prose_is_no_header_and_names_no_group(text: str,
                                                                zone: str | None) -> None:
    if is_prose(compact(text)):
        assert _after(zone, text, prose=False) == _after(zone, text, prose=True)


@settings(max_examples=500, deadline=None)
@given(_LINES)
def test_bare_keeps_every_character_outside_the_class_of_a_label_with_no_closing_bracket(
        text: str) -> None:
    if compact(text)[-1:] in (")", "）"):
        return
    kept = Counter(re.findall(f"[^{BARE_MAY_REMOVE}]", compact(text)))
    assert kept <= Counter(bare(text))


@pytest.mark.parametrize("text", [
    "本年度报告根据《中华人民共和国政府信息公开条例》（以",
    "2025 年，上海市人民政府办公厅坚持以习近平新时代中国",
])
def test_narrative_lines_are_prose(text: str) -> None:
    assert is_prose(compact(text))


@pytest.mark.parametrize("text", [
    "信息内容", "总计", "不予公开", "其他处理情况", "申请人情况", "四、行政复议、行政诉讼情况",
    "根据第二十条第（一）项规定的内容如下所述",
    "行政复议情况如下所述", "结果维持结果纠正其他结果尚未审结总计",
    # a group label with a trailing note (which `bare` drops), a section 四 heading that
    # names neither 行政复议 nor only header words (its title is matched fuzzily)
    "不予处理（本机关依法坚持工作）", "四、信息公开工作被申请复议和提起诉讼情况",
])
def test_headers_groups_and_headings_are_not_prose(text: str) -> None:
    consumed, state = _after("s3", text, prose=False)
    assert consumed or state["group"] is not None
    assert not is_prose(compact(text))


def _records(paths: list[Path]) -> list[str]:
    out = []
    for path in paths:
        doc = with_rows(load(path))
        try:
            out.append(extract(doc).model_dump_json())
        except NotAReport as e:
            out.append(str(e))
    return out


def test_every_golden_extraction_is_the_one_without_the_shortcut(
        monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _records(GOLDEN)
    monkeypatch.setattr(scan_module, "is_prose", lambda label_text: False)
    assert fast == _records(GOLDEN)


#: Pieces of cell texts: digits, signs, units, brackets, notes, placeholders, white space.
_CELL_PIECES = st.sampled_from([
    "1", "23", "0", "٣", ",", ".", "-", "+", "减少", "增", " ", "\t", "\n", "\u3000", "万元", "元", "亿",
    "千", "件", "个", "项", "条", "次", "起", "（", "）", "(", ")", "其中", "含", "〃", "年", "公开",
    *PLACEHOLDERS,
])


@settings(max_examples=1500, deadline=None)
@given(st.lists(_CELL_PIECES, max_size=8).map("".join))
def test_a_text_ruled_out_as_a_value_reads_as_none_or_a_blank(text: str) -> None:
    if not may_be_value(text):
        reading = read_value(text)
        assert reading is None or reading.state == "blank"


@pytest.mark.parametrize("text", ["12", "3万元", "22（其中修订16件）", "—", "无", "x", "٣", "5 "])
def test_values_are_not_ruled_out(text: str) -> None:
    assert read_value(text) is not None
    assert may_be_value(text)


def test_every_golden_layout_is_the_one_without_the_shortcut(
        monkeypatch: pytest.MonkeyPatch) -> None:
    fast = [with_rows(load(p)).rows for p in GOLDEN]
    monkeypatch.setattr(layout_rows, "may_be_value", lambda text: True)
    assert fast == [with_rows(load(p)).rows for p in GOLDEN]


@settings(max_examples=800, deadline=None)
@given(st.lists(st.one_of(_CELL_PIECES, _PIECES), max_size=10).map("".join))
def test_a_space_row_is_the_one_without_the_shortcut(line: str) -> None:
    if not re.search(r"\s", line.strip()):
        return  # `recover_rows` reads such a line as a plain line, without `_space_row`
    fast = layout_rows._space_row(line, 7)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(layout_rows, "may_be_value", lambda text: True)
        assert fast == layout_rows._space_row(line, 7)
