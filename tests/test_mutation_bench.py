"""bench/mutation.py stays runnable: a handful of mutations of one golden report."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from extractor.pipeline import process
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
