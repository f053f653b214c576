"""The panel holds one agency's reports at a time (issue 17, principle 4): what it takes
waits in a temporary file, findings name documents without holding them, and the panel
comes out in the order a panel held in memory has.

The documents here are made by hand (`doc`): an agency, a year, the cells X1/X2 read (0
unless given) and a digest of the numbers (equal digests: the same numbers). Every
expected row, finding and check below is written by hand.
"""

from __future__ import annotations

import gc
import tempfile
import weakref
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor.cli import main
from extractor.panel.build import CellRef, DocRef, PanelBuilder, PanelDoc, pack
from extractor.panel.names import agency_identity

ROOT = Path(__file__).resolve().parent.parent

#: Every cell X1 and X2 read between two reports of the 2021 template.
_S3 = ("natural_person", "commercial", "research", "social_welfare", "legal_service", "other",
       "total")
_PATHS = (*(f"s3.{r}.{c}" for r in ("carried_over", "carried_forward") for c in _S3),
          *(f"s2.{r}.{c}" for r in ("regulations", "normative_documents")
            for c in ("in_force", "issued", "repealed")))


def doc(seq: int, agency: str, year: int | None, numbers: str = "same", nonzero: int = 0,
        **cells: int) -> PanelDoc:
    """A report of `agency` and `year` at input position `seq`, named r{seq}.txt; `cells`:
    e.g. carried_forward__natural_person=1 (every other cell read is 0)."""
    values = {p: cells.get(p[3:].replace(".", "__"), 0) for p in _PATHS}
    refs = {p: (p, "number", v, "verified", (seq, seq + 1), None, None, None)
            for p, v in values.items()}
    return PanelDoc(seq, f"r{seq}.txt", f"in/r{seq}.txt", f"{seq:064d}", year, "2021",
                    agency_identity(agency), (0, len(agency)), pack(()), pack(refs),
                    pack(frozenset()), f"nonzero-{numbers}", nonzero, numbers)


JX, PH, TX, HY = "嘉兴市民政局", "平湖市卫生健康局", "桐乡市卫生健康局", "海盐县卫生健康局"  # in key order


def corpus() -> list[PanelDoc]:
    """In the order taken: 平湖 2021 in two versions (and a duplicate of the first; the
    second version taken first: versions go by input position), linked to 2022; 海盐 2022
    taken before its 2021 (one carried-over count breaks), and 2024 after a gap; 桐乡 2022
    a copy of its 2021 (X4); a doubtful name and a report without a year; 嘉兴 2023 in two
    versions, no year beside it."""
    return [
        doc(1, HY, 2022, carried_over__natural_person=4),
        doc(5, PH, 2021, "v2", carried_forward__natural_person=2),
        doc(2, "区统计局", 2021),
        doc(3, HY, 2021, "hy21", carried_forward__natural_person=1),
        doc(0, PH, 2021, "v1"),
        doc(4, PH, 2021, "v1"),
        doc(6, HY, 2024),
        doc(7, JX, None),
        doc(8, PH, 2022),
        doc(10, TX, 2022, "copy", nonzero=5),
        doc(11, TX, 2021, "copy", nonzero=5),
        doc(12, JX, 2023, "a"),
        doc(13, JX, 2023, "b"),
    ]


def test_the_panel_comes_out_in_the_order_of_a_panel_held_in_memory() -> None:
    builder = PanelBuilder()
    for d in corpus():
        builder.add_doc(d)
    panel = builder.finish()
    rows = [(d.file, d.identity.key, d.year, d.version, d.versions, d.duplicates,
             d.previous_year, d.next_year, d.x1, d.x3, d.x4) for d in panel.docs]
    none = {"pass": 0, "fail": 0, "not_assessable": 0}
    assert rows == [
        ("r12.txt", JX, 2023, 1, 2, [], None, None, none, True, False),
        ("r13.txt", JX, 2023, 2, 2, [], None, None, none, True, False),
        ("r0.txt", PH, 2021, 1, 2, ["in/r4.txt"], None, 2022, none, True, False),
        ("r5.txt", PH, 2021, 2, 2, [], None, 2022, none, True, False),
        ("r8.txt", PH, 2022, 1, 1, [], 2021, None,
         {"pass": 13, "fail": 1, "not_assessable": 0}, False, False),
        ("r11.txt", TX, 2021, 1, 1, [], None, 2022, none, False, False),
        ("r10.txt", TX, 2022, 1, 1, [], 2021, None,
         {"pass": 7, "fail": 0, "not_assessable": 0}, False, True),
        ("r3.txt", HY, 2021, 1, 1, [], None, 2022, none, False, False),
        ("r1.txt", HY, 2022, 1, 1, [], 2021, None,
         {"pass": 6, "fail": 1, "not_assessable": 0}, False, False),
        ("r6.txt", HY, 2024, 1, 1, [], None, None, none, False, False),
        ("r2.txt", None, 2021, 1, 1, [], None, None, none, False, False),
        ("r7.txt", JX, None, 1, 1, [], None, None, none, False, False),
    ]
    # findings: about one report in the order taken, then versions, then across years, each
    # by the order its (agency, year) was first taken: 海盐 2022 (r1) before 平湖 2022 (r8)
    assert [(f.rule, f.key, f.a.doc.file, f.b.doc.file if f.b else None) for f in panel.flags] == [
        ("AGENCY", "AGENCY:区统计局", "r2.txt", None),
        ("X3", f"X3:{PH}:2021", "r0.txt", "r5.txt"),
        ("X3", f"X3:{JX}:2023", "r12.txt", "r13.txt"),
        ("X1", f"X1:natural_person:{HY}:2021-2022", "r3.txt", "r1.txt"),
        ("X1", f"X1:natural_person:{PH}:2021-2022", "r5.txt", "r8.txt"),
        ("X4", f"X4:{TX}:2022", "r11.txt", "r10.txt"),
    ]
    pairs = [(c.agency_key, c.earlier.file, c.later.file) for c in panel.checks]
    assert pairs == [(HY, "r3.txt", "r1.txt")] * 9 + [(PH, "r0.txt", "r8.txt")] * 9 + [
        (PH, "r5.txt", "r8.txt")] * 9 + [(TX, "r11.txt", "r10.txt")] * 9
    assert [c.key for c in panel.checks][:9] == [
        *(f"X1:{c}" for c in _S3), "X2:regulations", "X2:normative_documents"]
    assert [(c.later.file, c.key) for c in panel.checks if c.outcome != "pass"] == [
        ("r1.txt", "X1:natural_person"), ("r8.txt", "X1:natural_person")]
    assert (len(panel.docs), len(panel.flags), len(panel.checks)) == (12, 6, 36)
    assert (panel.agencies, panel.links, panel.alone) == (4, 3, 5)
    assert panel.outcomes("X1") == {"pass": 26, "fail": 2, "not_assessable": 0}
    panel.close()


def test_the_order_documents_are_taken_in_decides_not_the_order_they_arrive() -> None:
    """A run's workers hand documents in any order (`stage`); the exports take them in
    input order (`take`): the panel is the one made by adding them in that order. A
    document staged but never taken (read from the store instead) is not in it."""
    docs = corpus()
    builder = PanelBuilder()
    for d in reversed(docs):
        builder.stage(d.seq, d)
    builder.stage(14, doc(14, PH, 2023))  # never taken
    for d in docs:
        builder.take(d.seq)
    builder.take(99)  # nothing staged there: nothing
    staged = builder.finish()
    added = PanelBuilder()
    for d in docs:
        added.add_doc(d)
    held = added.finish()
    assert [d.file for d in staged.docs] == [d.file for d in held.docs]
    assert list(staged.flags) == list(held.flags)
    assert list(staged.checks) == list(held.checks)
    staged.close()
    held.close()


def _reaches(roots: list[object], kind: type) -> bool:
    """Whether any object reachable from `roots` is a `kind`."""
    seen: set[int] = set()
    todo = list(roots)
    while todo:
        o = todo.pop()
        if id(o) in seen or isinstance(o, type):
            continue
        seen.add(id(o))
        if isinstance(o, kind):
            return True
        todo.extend(gc.get_referents(o))
    return False


def test_the_builder_and_the_findings_hold_no_document() -> None:
    builder = PanelBuilder()
    refs = []
    for d in corpus():
        refs.append(weakref.ref(d))
        builder.add_doc(d)
        del d
    gc.collect()
    assert [r() for r in refs] == [None] * len(refs)  # taken into the spill file
    panel = builder.finish()
    flags, checks = list(panel.flags), list(panel.checks)
    assert len(flags) == 6 and len(checks) == 36
    gc.collect()
    assert not _reaches([builder, panel, flags, checks], PanelDoc)
    assert {type(p.doc) for f in flags for p in (f.a, f.b) if p is not None} == {DocRef}
    assert isinstance(flags[3].a.cells[0], CellRef)  # the cells a finding names, kept
    panel.close()


def _spills(folder: Path) -> list[Path]:
    return sorted(folder.glob(".panel-*.tmp"))


def test_the_spill_file_is_removed_when_the_panel_is_written_or_fails(tmp_path: Path) -> None:
    builder = PanelBuilder(where=tmp_path)
    builder.add_doc(corpus()[0])
    assert len(_spills(tmp_path)) == 1
    panel = builder.finish()
    assert _spills(tmp_path) == [builder.spill.path]
    panel.close()
    assert _spills(tmp_path) == []
    assert len(panel.docs) == 1 and panel.alone == 1  # what it counted stays
    with pytest.raises(ValueError, match="closed"):
        list(panel.docs)
    builder = PanelBuilder(where=tmp_path)
    builder.close()
    builder.close()  # again: nothing
    assert _spills(tmp_path) == []


GOLDEN_PAIR = ROOT / "golden" / "inputs-panel"


def test_a_run_leaves_no_spill_file_also_when_the_panel_step_raises(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import extractor.panel as panel_package

    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(GOLDEN_PAIR), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert (out / "panel.csv").is_file() and _spills(out) == []
    # `extractor panel`: the spill file in the system's temporary folder
    elsewhere = tmp_path / "tmp"
    elsewhere.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(elsewhere))
    real = panel_package.write_panel

    def spying(*args: object, **kwargs: object) -> object:
        during.append(_spills(elsewhere))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    during: list[list[Path]] = []
    monkeypatch.setattr(panel_package, "write_panel", spying)
    result = CliRunner().invoke(main, ["panel", str(out)])
    assert result.exit_code == 0, result.output
    assert len(during) == 1 and len(during[0]) == 1 and _spills(elsewhere) == []

    during.clear()

    def broken(*args: object, **kwargs: object) -> None:
        during.append(_spills(out))
        raise OSError("disk full")

    monkeypatch.setattr(panel_package, "write_panel", broken)
    result = CliRunner().invoke(main, ["run", str(GOLDEN_PAIR), "-o", str(out), "-q", "--redo"])
    assert result.exit_code == 0, result.output
    assert "disk full" in result.stderr
    assert len(during) == 1 and len(during[0]) == 1  # the file was there while it ran
    assert _spills(out) == []


def test_a_killed_runs_spill_file_is_removed_by_the_next_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / ".panel-left.tmp").write_bytes(b"a killed run's")
    result = CliRunner().invoke(main, ["run", str(GOLDEN_PAIR), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert _spills(out) == []


def test_every_query_the_spill_makes_per_document_searches_an_index(tmp_path: Path) -> None:
    """Staging, taking and reading back a document, and reading the agencies in order,
    never read a whole table (each would cost more with every document of the run)."""
    from extractor.panel.spill import Spill

    spill = Spill(tmp_path)
    executed: list[str] = []
    spill.db.set_trace_callback(executed.append)
    spill.stage(0, (b"k", 2024), 0, False, pack("x"))
    spill.stage(1, (None, None), 1, True, pack("y"))
    spill.take(0)
    spill.take(1)
    spill.take(2)
    spill.blob(1)
    list(spill.linked())
    list(spill.doubtful())
    spill.put_row(1, None)
    list(spill.docs())
    spill.db.set_trace_callback(None)
    selects = {s for s in executed if s.lstrip().upper().startswith("SELECT")}
    assert len(selects) >= 6
    for sql in selects:
        steps = [row[3] for row in spill.db.execute(f"EXPLAIN QUERY PLAN {sql}")]
        bad = [s for s in steps if s.startswith("SCAN") and not (
            "INDEX docs_order" in s  # the agencies in order: the index is the order
            or s in ("SCAN r", "SCAN unlinked"))]  # the panel's rows, in order, once
        assert not bad and not any("TEMP B-TREE" in s for s in steps), (sql, steps)
    spill.close()
