"""`extractor eval OUT --expected DIR`: how a run scores against hand-checked expected files."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from extractor.cli import main
from extractor.evaluate.evaluation import (
    Reading,
    classify,
    expected_reading,
    expected_status,
    load_expected,
    load_run,
)
from extractor.schema import SCHEMA_VERSION, Cell, CellState, CellStatus, Correction
from extractor.store.store import Store

GOLDEN = Path(__file__).resolve().parent.parent / "golden"


def cli(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def golden_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "out"
    assert cli("run", GOLDEN / "inputs", "-o", out, "-q").exit_code == 0
    return out


@pytest.fixture
def expected_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "expected"
    shutil.copytree(GOLDEN / "expected", dest)
    return dest


def edit(folder: Path, name: str, change: Callable[[dict], None]) -> None:
    path = folder / f"{name}.json"
    doc = json.loads(path.read_text("utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")


def as_json(*args: object) -> dict:
    result = cli("eval", *args, "--json")
    return json.loads(result.stdout)


def report(doc: dict, file: str) -> dict:
    return next(r for r in doc["reports"] if r["file"] == file)


# --------------------------------------------------------------------------- the golden set


def test_eval_counts_the_cells_by_status_inferred_apart(golden_run: Path) -> None:
    doc = as_json(golden_run, "--expected", GOLDEN / "expected")
    o = doc["overall"]
    assert o["verified"] + o["inferred"] + o["grounded"] + o["flagged"] + o["corrected"] == o["cells"]
    # The hand-written expected letters: pingtan's glued 三/四 (190) and shanghai_office_2025's
    # four rows that lost their label (28) are I.
    letters = "".join(
        "".join(expected_status(load_expected(f)).values()) for f in (GOLDEN / "expected").glob("*.json"))
    assert o["inferred"] == letters.count("I") == 190 + 28
    assert o["verified"] == letters.count("V") and o["grounded"] == letters.count("G")
    assert report(doc, "pingtan_office_2021.txt")["inferred"] == 190
    assert all(r["evidence_mismatches"] == [] for r in doc["reports"])
    text = cli("eval", golden_run, "--expected", GOLDEN / "expected").stdout
    assert "by status" in text and "inferred" in text and "evidence differences" not in text


def test_statuses_placements_verdicts_and_warnings_that_differ_are_listed(
        golden_run: Path, expected_copy: Path) -> None:
    edit(expected_copy, "pingtan_office_2021.txt", lambda d: d.update(placement={"s4": "identities"}))
    edit(expected_copy, "haining_health_2020.txt",
         lambda d: d["verdicts"].__setitem__("I1:other", "extraction_error"))
    edit(expected_copy, "shanghai_office_2025.md", lambda d: (
        d["status"]["s3"].pop("partially_granted"), d["warnings"].remove("UNRECOGNIZED:1807")))
    doc = as_json(golden_run, "--expected", expected_copy)
    pingtan = report(doc, "pingtan_office_2021.txt")["evidence_mismatches"]
    assert len(pingtan) == 25 * 7 and "placement s3.granted.total: expected direct, got identities" in pingtan
    assert report(doc, "haining_health_2020.txt")["evidence_mismatches"] == [
        "verdict I1:other: expected extraction_error, got source_inconsistency"]
    shanghai = report(doc, "shanghai_office_2025.md")["evidence_mismatches"]
    assert "status s3.partially_granted.total: expected V, got I" in shanghai
    assert "warning UNRECOGNIZED:1807: raised, not expected" in shanghai
    assert doc["passed"] is True  # evidence is reported, not a threshold
    text = cli("eval", golden_run, "--expected", expected_copy, "-v").stdout
    assert "haining_health_2020.txt: 198/198 correct, 0 wrong+flagged, 0 silent, 0 missing, " \
           "1 evidence differences" in text
    assert "EVIDENCE verdict I1:other: expected extraction_error, got source_inconsistency" in text


def test_the_golden_run_scores_every_cell_correct_with_no_silent_error(golden_run: Path) -> None:
    result = cli("eval", golden_run, "--expected", GOLDEN / "expected",
                 "--max-silent", 0, "--min-accuracy", 1)
    assert result.exit_code == 0, result.output
    assert "SILENT ERRORS: 0" in result.stdout
    doc = as_json(golden_run, "--expected", GOLDEN / "expected")
    assert doc["overall"]["cells"] == sum(r["cells"] for r in doc["reports"]) > 1000
    assert doc["overall"]["accuracy"] == 1.0
    assert doc["overall"]["silent"] == doc["overall"]["wrong_flagged"] == doc["overall"]["missing"] == 0
    assert doc["passed"] is True and doc["unexpected_results"] == []


def test_deserved_flags_are_not_false_alarms(golden_run: Path) -> None:
    doc = as_json(golden_run, "--expected", GOLDEN / "expected")
    # haining's source does not add up and putuo's table rows are absent: flagged, rightly.
    assert doc["overall"]["correct_flagged"] > 0
    assert doc["overall"]["false_alarms"] == 0


def test_a_missing_row_the_tool_also_reports_missing_is_correct(golden_run: Path) -> None:
    putuo = report(as_json(golden_run, "--expected", GOLDEN / "expected"), "putuo_health_2020.txt")
    assert putuo["correct"] == putuo["cells"] == 198
    assert putuo["missing_cells"] == []


# --------------------------------------------------------------------------- wrong cells


def test_an_unflagged_wrong_cell_is_a_silent_error_listed_by_path(
        golden_run: Path, expected_copy: Path) -> None:
    # lvyuan's s3.granted.natural_person is a verified 0; the edited expected file says 5.
    edit(expected_copy, "lvyuan_health_2020.txt",
         lambda d: d["values"]["s3"]["granted"].__setitem__(0, 5))
    result = cli("eval", golden_run, "--expected", expected_copy)
    assert "SILENT  s3.granted.natural_person: expected 5, got 0" in result.stdout
    doc = as_json(golden_run, "--expected", expected_copy)
    assert doc["overall"]["silent"] == doc["sections"]["s3"]["silent"] == 1
    lvyuan = report(doc, "lvyuan_health_2020.txt")
    assert lvyuan["silent_errors"] == [{
        "path": "s3.granted.natural_person", "expected": "5", "got": "0", "raw": "0",
        "status": "verified", "reasons": []}]


def test_a_flagged_wrong_cell_is_wrong_and_flagged_not_silent(
        golden_run: Path, expected_copy: Path) -> None:
    # haining's s3.new_received.natural_person (1) is flagged by a failing I1.
    edit(expected_copy, "haining_health_2020.txt",
         lambda d: d["values"]["s3"]["new_received"].__setitem__(0, 3))
    doc = as_json(golden_run, "--expected", expected_copy)
    assert doc["overall"]["silent"] == 0
    assert doc["overall"]["wrong_flagged"] == 1
    cell = report(doc, "haining_health_2020.txt")["wrong_flagged_cells"][0]
    assert (cell["path"], cell["expected"], cell["got"], cell["status"]) == (
        "s3.new_received.natural_person", "3", "1", "flagged")


def test_blank_and_zero_are_different_readings(golden_run: Path, expected_copy: Path) -> None:
    # lvyuan prints 0 where the edited file says blank; haining leaves blank where it says 0.
    edit(expected_copy, "lvyuan_health_2020.txt",
         lambda d: d["values"]["s3"]["granted"].__setitem__(1, None))
    edit(expected_copy, "haining_health_2020.txt",
         lambda d: d["values"]["s3"]["granted"].__setitem__(1, 0))
    doc = as_json(golden_run, "--expected", expected_copy)
    wrong = {(r["file"], d["path"], d["expected"], d["got"])
             for r in doc["reports"] for d in r["silent_errors"] + r["wrong_flagged_cells"]}
    assert wrong == {("lvyuan_health_2020.txt", "s3.granted.commercial", "blank", "0"),
                     ("haining_health_2020.txt", "s3.granted.commercial", "0", "blank")}


def test_blank_zero_placeholder_and_missing_are_four_readings() -> None:
    cell = Cell(path="s3.granted.total", state=CellState.NUMBER, value=0, raw="0",
                status=CellStatus.VERIFIED)
    assert classify(expected_reading(0), cell) == "correct"
    assert classify(expected_reading(None), cell) == "silent"
    assert classify(expected_reading("/"), cell) == "silent"
    blank = Cell(path="s3.granted.total", state=CellState.BLANK, raw="", status=CellStatus.FLAGGED)
    assert classify(expected_reading(0), blank) == "wrong_flagged"
    assert classify(expected_reading("MISSING"), None) == "correct"
    assert classify(expected_reading(0), None) == "missing"
    assert expected_reading("—") == Reading(state="placeholder")


def test_a_flag_the_expected_status_does_not_call_for_is_a_false_alarm(
        golden_run: Path, expected_copy: Path) -> None:
    # haining's natural_person column is rightly F; an expected file saying V makes it a false alarm.
    edit(expected_copy, "haining_health_2020.txt",
         lambda d: d["status"]["s3"].__setitem__("new_received", "VVVVVVV"))
    doc = as_json(golden_run, "--expected", expected_copy)
    assert doc["overall"]["false_alarms"] == 2  # natural_person and other of new_received
    result = cli("eval", golden_run, "--expected", expected_copy, "--max-false-alarm-rate", 0)
    assert result.exit_code == 1 and "false-alarm rate" in result.stdout


# --------------------------------------------------------------------------- matching


def test_failed_inputs_count_as_missing_and_unmatched_files_are_reported(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    shutil.copytree(GOLDEN / "inputs", inputs)
    (inputs / "lvyuan_health_2020.txt").write_text("not a report at all", "utf-8")
    (inputs / "putuo_health_2020.txt").unlink()
    shutil.copy(GOLDEN / "inputs" / "shahe_health_2020.txt", inputs / "extra_2020.txt")
    out = tmp_path / "out"
    cli("run", inputs, "-o", out, "-q")
    result = cli("eval", out, "--expected", GOLDEN / "expected", "-v")
    assert "lvyuan_health_2020.txt: 0/198 correct" in result.stdout
    assert "input error, counted missing" in result.stdout
    assert "MISSING s3.granted.total: expected 0, got no result" in result.stdout
    doc = as_json(out, "--expected", GOLDEN / "expected")
    assert report(doc, "lvyuan_health_2020.txt")["state"] == "error"
    assert report(doc, "lvyuan_health_2020.txt")["missing"] == 198
    putuo = report(doc, "putuo_health_2020.txt")
    assert putuo["state"] == "no_result" and putuo["missing"] == 44  # its 154 MISSING cells are right
    assert doc["unexpected_results"] == ["extra_2020.txt"]
    assert doc["overall"]["silent"] == 0


def test_a_file_name_with_several_results_is_listed(tmp_path: Path, golden_run: Path) -> None:
    once = as_json(golden_run, "--expected", GOLDEN / "expected")["overall"]["cells"]
    out = tmp_path / "out"
    cli("run", GOLDEN / "inputs", GOLDEN / "inputs" / "lvyuan_health_2020.txt", "-o", out, "-q")
    doc = as_json(out, "--expected", GOLDEN / "expected")
    assert doc["duplicate_results"] == ["lvyuan_health_2020.txt"]
    assert doc["overall"]["cells"] == once and doc["overall"]["accuracy"] == 1.0


# --------------------------------------------------------------------------- where the run is read


def decide(out: Path, file: str, path: str, value: int) -> None:
    """Store a reviewer's `set` decision on a cell of `file`, as `extractor correct` would."""
    with Store(out) as store:
        sha = next(r.meta.sha256 for r in load_run(out).records if r.meta.source_file == file)
        store.put_corrections([(sha, path, SCHEMA_VERSION, Correction(
            decision="set", value=value, state=CellState.NUMBER, machine_value=0,
            machine_state=CellState.NUMBER, reviewer="ann"))])


def test_eval_reads_the_store_with_decisions_applied_not_results_jsonl(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("run", GOLDEN / "inputs", "-o", out, "-q").exit_code == 0
    decide(out, "lvyuan_health_2020.txt", "s3.granted.natural_person", 5)
    (out / "results.jsonl.gz").write_text("not what the store holds\n", "utf-8")
    (out / "errors.jsonl").unlink()
    doc = as_json(out, "--expected", GOLDEN / "expected")
    assert doc["overall"]["cells"] > 1000 and doc["unexpected_results"] == []
    # the decision, applied as the exports apply it: the reviewer's 5 against the golden 0
    assert report(doc, "lvyuan_health_2020.txt")["silent_errors"] == [{
        "path": "s3.granted.natural_person", "expected": "0", "got": "5", "raw": "0",
        "status": "corrected", "reasons": []}]
    assert doc["overall"]["silent"] == 1 and doc["overall"]["missing"] == 0


def test_eval_of_a_store_without_a_run_is_a_usage_error(tmp_path: Path) -> None:
    Store(tmp_path).close()
    result = cli("eval", tmp_path, "--expected", GOLDEN / "expected")
    assert result.exit_code == 2 and "holds no run yet" in result.stderr


def test_eval_reads_a_results_jsonl_from_elsewhere_with_its_errors(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "lvyuan_health_2020.txt").write_text("not a report at all", "utf-8")
    shutil.copy(GOLDEN / "inputs" / "haining_health_2020.txt", inputs)
    out = tmp_path / "out"
    assert cli("run", inputs, "-o", out, "-q").exit_code == 0
    from_store = as_json(out, "--expected", GOLDEN / "expected")
    assert report(from_store, "lvyuan_health_2020.txt")["state"] == "error"
    assert report(from_store, "haining_health_2020.txt")["state"] == "evaluated"
    # an export copied elsewhere: a folder with results.jsonl.gz and errors.jsonl, no store
    assert cli("export", out, "--format", "jsonl", "--to", tmp_path / "copy").exit_code == 0
    assert not (tmp_path / "copy" / "store.sqlite").exists()
    assert as_json(tmp_path / "copy", "--expected", GOLDEN / "expected") == from_store
    (tmp_path / "copy" / "results.jsonl.gz").rename(tmp_path / "copy" / "theirs.jsonl.gz")
    assert as_json(tmp_path / "copy" / "theirs.jsonl.gz", "--expected", GOLDEN / "expected") == from_store
    # unzipped, as a user may have it
    (tmp_path / "copy" / "theirs.jsonl").write_bytes(
        gzip.decompress((tmp_path / "copy" / "theirs.jsonl.gz").read_bytes()))
    assert as_json(tmp_path / "copy" / "theirs.jsonl", "--expected", GOLDEN / "expected") == from_store


def test_a_malformed_results_jsonl_named_directly_is_a_usage_error(
        golden_run: Path, tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    results.write_bytes(gzip.decompress((golden_run / "results.jsonl.gz").read_bytes()))
    with open(results, "a", encoding="utf-8") as fh:
        fh.write('{"not": "a record"}\n')
    result = cli("eval", results, "--expected", GOLDEN / "expected")
    assert result.exit_code == 2 and "results.jsonl, line 20: not a result record" in result.stderr
    zipped = tmp_path / "results.jsonl.gz"  # a member appended to the gzip file, likewise
    zipped.write_bytes((golden_run / "results.jsonl.gz").read_bytes()
                       + gzip.compress(b'{"not": "a record"}\n'))
    result = cli("eval", zipped, "--expected", GOLDEN / "expected")
    assert result.exit_code == 2 and "results.jsonl.gz, line 20: not a result record" in result.stderr
    result = cli("eval", tmp_path / "nowhere.jsonl", "--expected", GOLDEN / "expected")
    assert result.exit_code == 2 and "does not exist" in result.stderr


# --------------------------------------------------------------------------- thresholds and usage


@pytest.mark.parametrize(("options", "code"), [
    ((), 0),
    (("--max-silent", 1), 0),
    (("--max-silent", 0), 1),
    (("--min-accuracy", 0.99), 0),
    (("--min-accuracy", 1), 1),
    (("--max-silent", 1, "--min-accuracy", 1), 1),
])
def test_thresholds_set_the_exit_status(golden_run: Path, expected_copy: Path,
                                        options: tuple, code: int) -> None:
    edit(expected_copy, "lvyuan_health_2020.txt",
         lambda d: d["values"]["s3"]["granted"].__setitem__(0, 5))
    result = cli("eval", golden_run, "--expected", expected_copy, *options)
    assert result.exit_code == code, result.output
    assert ("FAIL:" in result.stdout) == (code == 1)


def test_json_has_stable_keys_and_records_the_verdict(golden_run: Path, expected_copy: Path) -> None:
    edit(expected_copy, "lvyuan_health_2020.txt",
         lambda d: d["values"]["s3"]["granted"].__setitem__(0, 5))
    result = cli("eval", golden_run, "--expected", expected_copy, "--json", "--max-silent", 0)
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert list(doc) == ["overall", "sections", "reports", "unexpected_results",
                         "duplicate_results", "thresholds", "violations", "passed"]
    assert list(doc["sections"]) == ["s2", "s3", "s4"]
    assert {"cells", "correct", "wrong_flagged", "silent", "missing", "accuracy", "flag_rate",
            "false_alarm_rate"} <= set(doc["overall"])
    assert doc["passed"] is False and doc["violations"] == ["1 silent errors > --max-silent 0"]
    assert doc["thresholds"]["max_silent"] == 0


@pytest.mark.parametrize("problem", ["no results.jsonl", "no expected folder", "bad expected file",
                                     "bad status", "bad status letter", "bad placement",
                                     "bad threshold"])
def test_usage_errors_exit_2_with_a_clear_message(golden_run: Path, expected_copy: Path,
                                                  tmp_path: Path, problem: str) -> None:
    args: list[object] = [golden_run, "--expected", expected_copy]
    message = {"no results.jsonl": "no results.jsonl", "no expected folder": "does not exist",
               "bad expected file": "rows differ from the template",
               "bad status": "status of s3.granted needs 7 letters",
               "bad status letter": "letters are V, I, G, F",
               "bad placement": "placement names no section or row of the template: ['s3.granted.total']",
               "bad threshold": "--min-accuracy"}[problem]
    if problem == "no results.jsonl":
        args[0] = tmp_path
    elif problem == "no expected folder":
        args[2] = tmp_path / "nowhere"
    elif problem == "bad expected file":
        edit(expected_copy, "lvyuan_health_2020.txt", lambda d: d["values"]["s3"].pop("granted"))
    elif problem == "bad status":
        edit(expected_copy, "lvyuan_health_2020.txt",
             lambda d: d["status"]["s3"].__setitem__("granted", "VV"))
    elif problem == "bad status letter":
        edit(expected_copy, "lvyuan_health_2020.txt",
             lambda d: d["status"]["s3"].__setitem__("granted", "VVVVVVX"))
    elif problem == "bad placement":
        edit(expected_copy, "lvyuan_health_2020.txt",
             lambda d: d.update(placement={"s3.granted.total": "identities"}))
    else:
        args += ["--min-accuracy", "99"]
    result = cli("eval", *args)
    assert result.exit_code == 2
    assert message in result.stderr
