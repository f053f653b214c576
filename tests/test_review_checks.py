"""Decisions are checked and a reviewer's work is never lost.

- `extractor correct`: identities are evaluated again with the corrected values (a "set"
  that completes an identity verifies its neighbours; one that breaks it is reported with
  the equation); an accept given on a machine reading that has since changed is flagged for
  a second look, not applied; the summary counts corrected cells.
- `extractor review`: a decisions file holding decisions is never overwritten.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from results_file import cells_rows

from extractor.cli import main
from extractor.outputs.items import read_run
from extractor.review.decisions import COLUMNS
from extractor.review.page import write_review
from extractor.run.pipeline import process
from extractor.schema import CellState, CellStatus, Correction, Record, iter_cells
from extractor.store.corrections import SECOND_LOOK, apply_checked

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "inputs"
HAINING = "haining_health_2020.txt"  # I1/I2 fail in 自然人: （七）总计 printed blank, 1 received
LVYUAN = "lvyuan_health_2020.txt"  # no flags: every identity holds, all zeros


@pytest.fixture(scope="module")
def haining() -> Record:
    record = process(GOLDEN / HAINING)
    assert isinstance(record, Record)
    return record


@pytest.fixture(scope="module")
def lvyuan() -> Record:
    record = process(GOLDEN / LVYUAN)
    assert isinstance(record, Record)
    return record


def cells(record: Record) -> dict:
    return {c.path: c for c in iter_cells(record.tables)}


def set_to(value: int, machine: object = None, state: CellState = CellState.BLANK) -> Correction:
    return Correction(decision="set", value=value, state=CellState.NUMBER, machine_state=state,
                      machine_value=machine, reviewer="ann")


# --- identities re-checked with the corrected values --------------------------------------------


def test_a_set_that_completes_an_identity_verifies_its_neighbours(haining: Record) -> None:
    before = cells(haining)
    assert before["s3.new_received.natural_person"].status is CellStatus.FLAGGED
    assert {"I1:natural_person", "I2:natural_person"} <= {f.key for f in haining.flags}
    # The report prints 1 received, 1 "本机关不掌握", and leaves （七）总计·自然人 blank.
    applied = apply_checked(haining, {"s3.total_processed.natural_person": set_to(1)})
    after = cells(applied.record)
    assert after["s3.total_processed.natural_person"].status is CellStatus.CORRECTED
    assert after["s3.total_processed.natural_person"].value == 1
    # I1 (1 + blank = 1 + blank) and I2 (1 = 1 + 18 blanks) now hold: their cells are verified
    for path in ("s3.new_received.natural_person", "s3.carried_over.natural_person",
                 "s3.carried_forward.natural_person", "s3.unable_1.natural_person",
                 "s3.granted.natural_person"):
        assert after[path].status is CellStatus.VERIFIED, (path, after[path].reasons)
        assert after[path].reasons == []
    assert sorted(r.key for r in applied.completed) == ["I1:natural_person", "I2:natural_person"]
    checks = {c.key: c for c in applied.record.checks}
    assert checks["I1:natural_person"].outcome == "pass"
    assert "with corrected values: （七）总计·自然人 set to 1" in checks["I1:natural_person"].message
    keys = {f.key for f in applied.record.flags}
    assert "I1:natural_person" not in keys and "I2:natural_person" not in keys
    # I3 across （七）总计 still fails (总计 2 ≠ 自然人 1 + blanks): reported with its sums
    assert [r.key for r in applied.broken] == ["I3:total_processed"]
    assert "（七）总计 2 ≠ （七）总计 1 + 5 blank(0) = 1" in applied.broken[0].message
    assert applied.record.summary.corrected == 1
    assert applied.record.summary.verified == haining.summary.verified + len(applied.verified)
    # the input record is not changed
    assert before["s3.total_processed.natural_person"].value is None


def test_a_set_that_breaks_an_identity_is_reported_and_flags_its_neighbours(lvyuan: Record) -> None:
    assert not lvyuan.flags
    assert cells(lvyuan)["s3.carried_over.natural_person"].status is CellStatus.VERIFIED
    applied = apply_checked(lvyuan, {"s3.new_received.natural_person": set_to(
        5, machine=0, state=CellState.NUMBER)})
    broken = {r.key: r for r in applied.broken}
    assert set(broken) == {"I1:natural_person", "I3:new_received"}
    assert "一、本年新收 5 + 二、上年结转 0 = 5 ≠ （七）总计 0 + 四、结转下年度继续办理 0 = 0" in (
        broken["I1:natural_person"].message)
    after = cells(applied.record)
    for path in ("s3.carried_over.natural_person", "s3.total_processed.natural_person",
                 "s3.new_received.total", "s3.new_received.commercial"):
        assert after[path].status is CellStatus.FLAGGED, path
    assert after["s3.granted.natural_person"].status is CellStatus.VERIFIED  # not in those two
    assert {"I1:natural_person", "I3:new_received"} <= {f.key for f in applied.record.flags}
    assert applied.completed == []


def test_an_accept_on_a_machine_reading_that_changed_is_flagged_not_applied(lvyuan: Record) -> None:
    path = "s3.granted.natural_person"  # reads 0 now; the reviewer accepted a 3
    accept = Correction(decision="accept", machine_state=CellState.NUMBER, machine_value=3)
    applied = apply_checked(lvyuan, {path: accept})
    cell = cells(applied.record)[path]
    assert cell.status is CellStatus.FLAGGED and cell.value == 0
    assert cell.correction is not None and cell.correction.machine_changed
    assert applied.second_look == [path] and applied.corrected == 0
    flag = next(f for f in applied.record.flags if f.rule == SECOND_LOOK)
    assert flag.paths == [path] and "accepted as 3" in flag.message and "now reads 0" in flag.message
    # the same accept on the reading as it is stands
    same = apply_checked(lvyuan, {path: accept.model_copy(update={"machine_value": 0})})
    assert cells(same.record)[path].status is CellStatus.CORRECTED and not same.second_look


def test_accept_and_source_wrong_keep_the_value_and_recheck_nothing(haining: Record) -> None:
    applied = apply_checked(haining, {
        "s3.new_received.natural_person": Correction(
            decision="accept", machine_state=CellState.NUMBER, machine_value=1),
        "s3.carried_over.natural_person": Correction(
            decision="source_wrong", machine_state=CellState.BLANK)})
    assert applied.corrected == 2 and not applied.completed and not applied.broken
    assert "I1:natural_person" in {f.key for f in applied.record.flags}


# --- through the command line ---------------------------------------------------------------------


def write_decisions(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)


def test_correct_reports_what_the_decisions_did(tmp_path: Path, haining: Record,
                                                lvyuan: Record) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(GOLDEN / HAINING), str(GOLDEN / LVYUAN),
                                       "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    rows = [
        {"sha256": haining.meta.sha256, "path": "s3.total_processed.natural_person",
         "machine_state": "blank", "decision": "set", "value": "1"},
        {"sha256": lvyuan.meta.sha256, "path": "s3.new_received.natural_person",
         "machine_value": "0", "machine_state": "number", "decision": "set", "value": "5"},
        {"sha256": lvyuan.meta.sha256, "path": "s3.granted.natural_person",
         "machine_value": "3", "machine_state": "number", "decision": "accept"},
    ]
    decisions = tmp_path / "decisions.csv"
    write_decisions(decisions, rows)
    result = CliRunner().invoke(main, ["correct", str(decisions), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 decisions imported (1 accept, 2 set, 0 source_wrong; 0 rows undecided)" in result.stdout
    assert "2 cells corrected in 2 reports; 2 identities hold with the corrected values" in result.stdout
    assert (f"identity fails with the corrected values in {LVYUAN}: I1:natural_person (自然人) "
            "fails: 一、本年新收 5 + 二、上年结转 0 = 5 ≠ （七）总计 0 + 四、结转下年度继续办理 0 = 0") in (
        result.stderr)
    assert f"second look: {LVYUAN} s3.granted.natural_person" in result.stderr
    # the exports carry the re-checked statuses
    records = {i.record.meta.source_file: i.record for i in read_run(out) if i.record}
    assert cells(records[HAINING])["s3.new_received.natural_person"].status is CellStatus.VERIFIED
    assert cells(records[LVYUAN])["s3.carried_over.natural_person"].status is CellStatus.FLAGGED
    assert cells(records[LVYUAN])["s3.granted.natural_person"].status is CellStatus.FLAGGED
    assert cells(records[LVYUAN])["s3.new_received.natural_person"].value == 5


def test_a_run_after_decisions_counts_cells_as_the_exports_show_them(tmp_path: Path,
                                                                    haining: Record,
                                                                    lvyuan: Record) -> None:
    """The closing line of a run counts a decided document's cells after the decisions and
    their re-check: a `set` that completes an identity verifies its neighbours, an `accept`
    on a reading that has changed since is not a correction."""
    out = tmp_path / "out"
    inputs = [str(GOLDEN / HAINING), str(GOLDEN / LVYUAN)]
    assert CliRunner().invoke(main, ["run", *inputs, "-o", str(out), "-q"]).exit_code == 0
    write_decisions(tmp_path / "decisions.csv", [
        {"sha256": haining.meta.sha256, "path": "s3.total_processed.natural_person",
         "machine_state": "blank", "decision": "set", "value": "1"},
        {"sha256": lvyuan.meta.sha256, "path": "s3.granted.natural_person",
         "machine_value": "3", "machine_state": "number", "decision": "accept"},  # it read 0
    ])
    assert CliRunner().invoke(main, ["correct", str(tmp_path / "decisions.csv"), "-o",
                                     str(out)]).exit_code == 0
    result = CliRunner().invoke(main, ["run", *inputs, "-o", str(out)])
    assert result.exit_code == 0, result.output
    line = result.stdout.strip().splitlines()[-1]
    assert line.endswith(", 1 corrected; 0 errors -> " + str(out)), line  # the set only
    statuses = [r["status"] for r in cells_rows(out)]
    assert f"{statuses.count('verified')} verified," in line
    assert f"{statuses.count('corrected')} corrected;" in line


# --- a reviewer's work is never lost ---------------------------------------------------------------


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_a_decisions_file_with_decisions_is_never_overwritten(tmp_path: Path, haining: Record) -> None:
    dest = tmp_path / "review"
    first = write_review([haining], dest)
    assert first.kept_aside is None
    rows = read_rows(dest / "decisions.csv")
    assert len(rows) == first.rows > 3 and not any(r["decision"] for r in rows)
    rows[0].update(decision="set", value="7", reviewer="王", note="正文为7")
    rows[2].update(note="ask the agency")  # a note alone is work too
    gone = {**rows[1], "path": "s3.granted.total", "decision": "accept", "reviewer": "王"}
    rows.append(gone)  # a decision on a cell no longer to decide (imported, or another run)
    write_decisions(dest / "decisions.csv", rows)
    filled = (dest / "decisions.csv").read_bytes()

    again = write_review([haining], dest)
    assert again.kept_aside is not None and again.kept_aside.parent == dest
    assert again.kept_aside.name.startswith("decisions.before-")
    assert again.kept_aside.read_bytes() == filled, "the filled file is kept as it was"
    assert (again.carried, again.appended) == (2, 1)
    merged = read_rows(dest / "decisions.csv")
    assert len(merged) == len(rows)
    by = {(r["sha256"], r["path"]): r for r in merged}
    assert (by[(rows[0]["sha256"], rows[0]["path"])]["decision"],
            by[(rows[0]["sha256"], rows[0]["path"])]["value"],
            by[(rows[0]["sha256"], rows[0]["path"])]["note"]) == ("set", "7", "正文为7")
    assert by[(rows[2]["sha256"], rows[2]["path"])]["note"] == "ask the agency"
    assert by[(gone["sha256"], "s3.granted.total")]["decision"] == "accept"
    assert merged[-1]["path"] == "s3.granted.total", "kept rows come after the new ones"


def test_an_undecided_decisions_file_is_simply_replaced(tmp_path: Path, haining: Record) -> None:
    dest = tmp_path / "review"
    write_review([haining], dest)
    result = write_review([haining], dest)
    assert result.kept_aside is None
    assert sorted(p.name for p in dest.iterdir()) == ["decisions.csv", "index.html"]


def test_a_file_that_is_not_a_decisions_file_is_kept_aside_too(tmp_path: Path,
                                                                haining: Record) -> None:
    dest = tmp_path / "review"
    dest.mkdir()
    (dest / "decisions.csv").write_text("my own notes, not a decisions file\n", "utf-8")
    result = write_review([haining], dest)
    assert result.kept_aside is not None
    assert result.kept_aside.read_text("utf-8") == "my own notes, not a decisions file\n"


def test_review_says_where_the_filled_file_went(tmp_path: Path, haining: Record) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(GOLDEN / HAINING), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert CliRunner().invoke(main, ["review", str(out)]).exit_code == 0
    path = out / "review" / "decisions.csv"
    rows = read_rows(path)
    rows[0].update(decision="accept")
    write_decisions(path, rows)
    result = CliRunner().invoke(main, ["review", str(out)])
    assert result.exit_code == 0, result.output
    kept = next(p for p in path.parent.iterdir() if p.name.startswith("decisions.before-"))
    assert f"kept as {kept}" in result.stderr and "1 decisions on cells still to decide" in result.stderr
    assert read_rows(path)[0]["decision"] == "accept"


def test_formula_text_in_carried_decisions_is_neutralised(tmp_path: Path, haining: Record) -> None:
    dest = tmp_path / "review"
    write_review([haining], dest)
    rows = read_rows(dest / "decisions.csv")
    rows[0].update(decision="set", value="7", note='=HYPERLINK("x")')
    write_decisions(dest / "decisions.csv", rows)
    write_review([haining], dest)
    merged = read_rows(dest / "decisions.csv")
    assert (merged[0]["value"], merged[0]["note"]) == ("7", '\'=HYPERLINK("x")')
