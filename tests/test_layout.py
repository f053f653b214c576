"""Table rows recovered from each text layout seen in exported reports."""

from extractor.layout.rows import recover_rows
from extractor.mapping.split import split_row


def texts(row):
    return [c.text for c in row.cells]


def test_tab_rows_keep_blank_cells_and_trailing_padding() -> None:
    rows = recover_rows("规章\t0\t\t3\t\t\n")
    assert texts(rows[0]) == ["规章", "0", "", "3", "", ""]


def test_one_cell_per_line_with_headers_broken_over_lines() -> None:
    text = "\t信息内容\n\t本年新\n制作数量\n\t对外公开总数量\n\n\t规章\n\t0\n\t \n\t5\n"
    rows = recover_rows(text)
    assert [texts(r) for r in rows] == [["信息内容", "本年新制作数量", "对外公开总数量"],
                                        ["规章", "0", "", "5"]]
    assert rows[1].kind == "cells"


def test_ragged_pipe_rows() -> None:
    rows = recover_rows("第二十条第(一)项 | |||\n行政许可 | 13 | ||\n")
    assert texts(rows[0]) == ["第二十条第(一)项", "", "", ""]
    assert texts(rows[1]) == ["行政许可", "13", "", ""]


def test_space_separated_numbers() -> None:
    rows = recover_rows("0 0 1 2 3\n")
    assert rows[0].kind == "space" and texts(rows[0]) == ["0", "0", "1", "2", "3"]


def test_cell_spans_point_at_the_cell_text() -> None:
    text = "行政处罚\t 103 \t减47\n"
    row = recover_rows(text)[0]
    assert [text[c.start:c.end] for c in row.cells] == ["行政处罚", "103", "减47"]


def test_split_row_separates_labels_from_values() -> None:
    row = recover_rows("三、本年度办理结果 | (一)予以公开 | 1 | 0 | |\n")[0]
    labels, values = split_row(row)
    assert [c.text for c in labels] == ["三、本年度办理结果", "(一)予以公开"]
    assert [c.text for c in values] == ["1", "0", ""]


def test_page_number_lines_between_rows_are_dropped_in_every_printed_form() -> None:
    for footer in ("— 4 —", "- 12 -", "~3~", "第 4 页 共 6 页", "第4页", "4 / 6", "  4/6  ",
                   "\u0664/\u0666"):  # Arabic-Indic digits: decimal digits too
        rows = recover_rows(f"规章\t0\t3\n{footer}\n行政许可\t13\t2\n")
        assert [texts(r) for r in rows] == [["规章", "0", "3"], ["行政许可", "13", "2"]], footer
    # Numbers that are not a page's: a line of their own.
    rows = recover_rows("规章\t0\t3\n第4项\n")
    assert [texts(r) for r in rows] == [["规章", "0", "3"], ["第4项"]]
