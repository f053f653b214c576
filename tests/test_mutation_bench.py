"""bench/mutation.py stays runnable: a handful of mutations of one golden report."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from extractor.run.pipeline import process
from extractor.schema import Record

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "golden" / "inputs" / "lvyuan_health_2020.txt"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutation_bench", ROOT / "bench" / "mutation.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the module's annotations through it
    spec.loader.exec_module(module)
    return module


def test_a_few_seeded_mutations_are_classified_and_reproducible(bench: ModuleType) -> None:
    first = bench.mutate_report(REPORT, seed=7, limit=6)
    assert len(first) == 6
    assert {r.kind for r in first} <= set(bench.KINDS)
    assert {r.outcome for r in first} <= {"caught", "silent", "noop"}
    assert first == bench.mutate_report(REPORT, seed=7, limit=6)


def test_a_changed_digit_in_section_three_is_caught(bench: ModuleType, tmp_path: Path) -> None:
    base = process(REPORT)
    assert isinstance(base, Record)
    text = REPORT.read_text("utf-8")
    start, end = bench.slots(base, text)["s3.granted.natural_person"]
    assert text[start:end] == "0"
    mutation = bench.Mutation(kind="digit", section="s3", paths=["s3.granted.natural_person"],
                              detail="0->7", edits=[(start, end, "7")])
    result = bench.run_mutation(base, text, mutation, tmp_path / REPORT.name)
    assert result.outcome == "caught" and not result.preflagged
    assert result.changed == ["s3.granted.natural_person"]


def test_the_command_prints_a_summary_line(bench: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    bench.main(["--report", REPORT.name, "--limit", "4", "--seed", "1"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("mutation: s3 caught ") and "(seed 1)" in last


def test_a_zero_dropped_from_a_pipe_row_is_caught_by_the_blank_pattern(
        bench: ModuleType, tmp_path: Path) -> None:
    # The dropped "0" is absorbed by the row's trailing padding: the identities still hold.
    report = ROOT / "golden" / "inputs" / "pinghu_health_2024.txt"
    base = process(report)
    assert isinstance(base, Record)
    text = report.read_text("utf-8")
    path = "s3.carried_over.natural_person"
    drop = bench._drop_range(text, bench.slots(base, text)[path], html=False)
    mutation = bench.Mutation(kind="drop", section="s3", paths=[path], detail="drop",
                              edits=[(*drop, "")])
    result = bench.run_mutation(base, text, mutation, tmp_path / report.name)
    assert result.outcome == "caught" and result.changed == ["s3.carried_over.total"]


def test_a_swap_no_identity_can_see_is_reported_as_undetectable(
        bench: ModuleType, tmp_path: Path) -> None:
    # The excerpt stops inside section 三: its column identities are not assessable, and a
    # swap keeps the row's sum.
    report = ROOT / "golden" / "inputs" / "excerpt_006.txt"
    base = process(report)
    assert isinstance(base, Record)
    text = report.read_text("utf-8")
    at = bench.slots(base, text)
    a, b = "s3.new_received.natural_person", "s3.new_received.commercial"
    mutation = bench.Mutation(kind="swap", section="s3", paths=[a, b], detail="swap",
                              edits=[(*at[a], text[slice(*at[b])]), (*at[b], text[slice(*at[a])])])
    result = bench.run_mutation(base, text, mutation, tmp_path / report.name)
    assert result.outcome == "silent" and result.undetectable == "balance_kept"
    assert "balance_kept" in bench.REASONS
