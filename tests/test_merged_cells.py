"""A value cell merged over two rows (HTML rowspan, DOCX vertical merge) reads as the value in
its first row and as unreadable (flagged) in the rows below: never as a blank, which would
read as 0 in the identities, and never as a shifted column."""

from __future__ import annotations

from pathlib import Path

import docx

from extractor.run.pipeline import process
from extractor.schema import CellState, CellStatus, Record, iter_cells

TITLE = "某某县卫生健康局2022年政府信息公开工作年度报告"
#: Section 三 rows of the 2021 template: label, then 自然人 … 其他 (6 columns) and 总计.
ROWS = [
    ("（一）予以公开", ["5", "0", "0", "0", "0", "0", "5"]),
    ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", ["2", "0", "0", "0", "0", "0", "2"]),
    ("1.本机关不掌握相关政府信息", ["1", "0", "0", "0", "0", "0", "1"]),
]


def cells(record: Record) -> dict:
    assert isinstance(record, Record), record
    return {c.path: c for c in iter_cells(record.tables)}


def check(record: Record) -> None:
    got = cells(record)
    # the first row of the merge reads the printed value
    assert got["s3.granted.natural_person"].state is CellState.NUMBER
    assert got["s3.granted.natural_person"].value == 5
    # the row below: unreadable and flagged, not blank and not the next column's value
    below = got["s3.partially_granted.natural_person"]
    assert below.state is CellState.UNREADABLE
    assert below.status is CellStatus.FLAGGED
    assert below.reasons == ["LAYOUT: the cell is merged with the one above (one printed value "
                             "spans both rows), so this row's value is not printed"]
    # the rest of the row below stays in its columns
    assert got["s3.partially_granted.commercial"].value == 0
    assert got["s3.partially_granted.total"].value == 2
    assert got["s3.unable_1.natural_person"].value == 1


def html_report() -> str:
    rows = []
    for i, (label, values) in enumerate(ROWS):
        tds = [f"<td>{label}</td>"]
        for j, v in enumerate(values):
            if j == 0 and i == 0:
                tds.append(f'<td rowspan="2">{v}</td>')  # merged over the next row
            elif j == 0 and i == 1:
                continue  # covered by the merged cell above
            else:
                tds.append(f"<td>{v}</td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    return ("<html><body>"
            f"<p>{TITLE}</p><p>一、总体情况</p><p>本机关依法公开政府信息。</p>"
            "<p>三、收到和处理政府信息公开申请情况</p><table>"
            "<tr><td></td><td>自然人</td><td>商业企业</td><td>科研机构</td><td>社会公益组织</td>"
            "<td>法律服务机构</td><td>其他</td><td>总计</td></tr>"
            + "".join(rows) + "</table><p>五、存在的主要问题及改进情况</p></body></html>")


def test_html_rowspan_value(tmp_path: Path) -> None:
    f = tmp_path / "merged.html"
    f.write_text(html_report(), encoding="utf-8")
    record = process(f)
    check(record)
    below = cells(record)["s3.partially_granted.natural_person"]
    # provenance: the ditto points at the merged cell's printed value in the file
    assert below.source_span is not None
    source = f.read_text(encoding="utf-8")
    assert source[below.source_span[0]] == "5"


def test_docx_vertically_merged_value(tmp_path: Path) -> None:
    d = docx.Document()
    for line in (TITLE, "一、总体情况", "本机关依法公开政府信息。", "三、收到和处理政府信息公开申请情况"):
        d.add_paragraph(line)
    t = d.add_table(rows=len(ROWS) + 1, cols=8)
    for j, head in enumerate(["", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]):
        t.cell(0, j).text = head
    for i, (label, values) in enumerate(ROWS, start=1):
        t.cell(i, 0).text = label
        for j, v in enumerate(values, start=1):
            if not (i == 2 and j == 1):
                t.cell(i, j).text = v
    t.cell(1, 1).merge(t.cell(2, 1))  # 自然人 of （一） merged over （二）
    t.cell(1, 1).text = "5"
    d.add_paragraph("五、存在的主要问题及改进情况")
    f = tmp_path / "merged.docx"
    d.save(str(f))
    check(process(f))
