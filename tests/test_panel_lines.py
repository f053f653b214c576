"""panel.csv's rows copy the reports row's fields as the worker's cell pass wrote them
(`PanelDoc.packed_csv`) instead of writing ~680 values again: every row must read exactly
as `csv.writer` writes `panel_values` (each value through `csv_text`), for every golden
report, linked or not, and for a doc made without a cell pass."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

from extractor.outputs.csvtext import csv_text
from extractor.panel.build import PanelBuilder, PanelDoc
from extractor.panel.write import panel_lines, panel_values, write_panel
from extractor.run.payload import produce

ROOT = Path(__file__).resolve().parent.parent
INPUTS = sorted(p for d in ("inputs", "inputs-panel") for p in (ROOT / "golden" / d).iterdir()
                if p.suffix != ".pdf")


def reference_line(doc: PanelDoc) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerow([csv_text(v) for v in panel_values(doc)])
    return buf.getvalue()


def worker_docs(inputs: list[Path] = INPUTS) -> list[PanelDoc]:
    docs = []
    for seq, src in enumerate(inputs):
        payload = produce(src, seq, f"{seq:064d}")
        assert not hasattr(payload, "kind"), payload  # not an InputError
        assert payload.panel is not None and payload.panel.packed_csv is not None
        docs.append(payload.panel)
    return docs


def test_each_row_reads_as_csv_writer_writes_its_values(tmp_path: Path) -> None:
    docs = worker_docs()
    builder, bare = PanelBuilder(), PanelBuilder()
    for doc in docs:
        builder.add_doc(doc)
        bare.add_doc(replace(doc, packed_csv=None))
    panel = builder.finish()
    assert panel.links >= 1 and any(d.previous_year is None for d in panel.docs)
    lines = list(panel_lines(panel))
    assert lines == [reference_line(d) for d in panel.docs]
    assert len(lines) == len(panel.docs) >= 18
    # the same file whether the docs carry the fields' text or not
    write_panel(panel, tmp_path / "a")
    panel = bare.finish()
    assert all(d.packed_csv is None for d in panel.docs)
    assert list(panel_lines(panel)) == lines
    write_panel(panel, tmp_path / "b")
    for name in ("panel.csv", "panel_flags.csv", "panel_checks.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_a_head_that_needs_quoting_or_neutralising_is_written_as_csv_writer_does() -> None:
    doc = worker_docs(INPUTS[:1])[0]
    odd = replace(doc, file='=cmd|"x",y.txt', input_path="+a\nb", duplicates=["-c", "d,e"])
    builder = PanelBuilder()
    builder.add_doc(odd)
    panel = builder.finish()
    assert list(panel_lines(panel)) == [reference_line(d) for d in panel.docs]


def test_the_panel_flags_are_added_to_flags_csv_as_csv_writer_writes_them(tmp_path: Path) -> None:
    """OUT/flags.csv keeps its rows but an earlier panel's (replaced, never repeated) and
    gets the panel's flags after them: the same bytes whether it held panel rows or not."""
    from extractor.outputs.tables import FLAG_COLUMNS
    from extractor.panel.build import CrossFlag, Panel, Part
    from extractor.panel.write import merge_run_flags, run_flag_rows

    a, b = worker_docs(INPUTS[:2])
    a.year, b.year = 2020, 2021
    panel = Panel([], [CrossFlag("X1", "X1:k:2020-2021", "flag", 'a "break",\nover lines', "k",
                                 Part(a.ref, ()), Part(b.ref, ()), "source_inconsistency",
                                 "both")], [])
    header = [c.name for c in FLAG_COLUMNS]
    mine = [["r.txt", "SUM", "SUM:1", "", 'total "off",\r\nby 1', "s1.x", "1", "2", "=x", "p",
             "s", "0"], ["r.txt", "X1X", "k", "", "names ,X1X, only", "", "", "", "", "", "", "1"]]
    old_panel_row = ["o.txt", "X2", "X2:k", "", "an earlier panel's", "", "", "", "", "", "", "2"]

    def written(rows: list[list[str]]) -> bytes:
        buf = io.StringIO()
        csv.writer(buf).writerows(rows)
        return "\ufeff".encode() + buf.getvalue().encode()

    want = written([header, *mine, *([csv_text(v) for v in r] for r in run_flag_rows(panel))])
    assert len(list(run_flag_rows(panel))) == 2
    for before in ([header, *mine], [header, mine[0], old_panel_row, mine[1]]):
        out = tmp_path / str(len(before))
        out.mkdir()
        (out / "flags.csv").write_bytes(written(before))
        merge_run_flags(out, panel)
        assert (out / "flags.csv").read_bytes() == want
        merge_run_flags(out, panel)  # again: replaced, not repeated
        assert (out / "flags.csv").read_bytes() == want
