"""The LLM path on a real model (see README: "Testing with a local model").

Two tests:

- `test_replay_of_a_real_model_run` replays, offline, the replies a real small model gave in
  the bench run (`bench/llm_local.py --export tests/data/llm_local_replies.jsonl`: Qwen2.5-
  Coder on llama-cpp-python's server). The replies are loaded into a fresh reply cache and the
  same reports are run through the LLM pass with the same settings: every request is a cache
  hit (the endpoint named is never reached; a request the recording lacks skips the test with
  the reason: the code now sends something else, so it is no replay), so the test checks the code against what a real
  model said: no cell wrong and unflagged, every LLM value grounded, every claim printed in
  its sentence, and the figures the bench recorded. It is skipped (with the reason) only
  when the replies file is absent or was recorded for other prompt versions (then it would
  test nothing: re-run the bench).
- `test_golden_samples_through_a_real_model` talks to a live server; skipped unless
  EXTRACTOR_TEST_LLM_URL points to one (never in CI).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from extractor.evaluate.compare import classify
from extractor.evaluate.expected import expected_cells, load_expected
from extractor.llm.cache import ReplyCache
from extractor.llm.client import LLMClient
from extractor.llm.config import LLMSettings
from extractor.llm.prompts import load
from extractor.llm.reader import TASKS, LLMPass
from extractor.llm.reconcile import with_cells
from extractor.mapping.report import extract
from extractor.run.pipeline import read_document
from extractor.schema import CellState, CellStatus, iter_cells

ROOT = Path(__file__).resolve().parent.parent
REPLIES = Path(__file__).resolve().parent / "data" / "llm_local_replies.jsonl"
URL = os.environ.get("EXTRACTOR_TEST_LLM_URL")

pytestmark = pytest.mark.local_llm


def _replay_header() -> dict:  # type: ignore[type-arg]
    if not REPLIES.exists():
        pytest.skip(f"{REPLIES.name} absent: run bench/llm_local.py --export (see README)")
    header = json.loads(REPLIES.read_text("utf-8").splitlines()[0])
    now = {t: load(t).version for t in TASKS}
    if header["prompt_versions"] != now:
        pytest.skip(f"{REPLIES.name} was recorded for prompts {header['prompt_versions']}, "
                    f"these are {now}: re-run bench/llm_local.py --export")
    return header


def _check_record(record, golden_name: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    assert record.llm is not None
    for cell in iter_cells(record.tables):
        if cell.reader == "llm":  # placed by the LLM: grounded, and confirmed or flagged
            assert cell.placement == "llm" and cell.status in (CellStatus.VERIFIED,
                                                               CellStatus.FLAGGED), cell
            assert cell.span is not None and record.text[cell.span[0]:cell.span[1]] == cell.raw
        second = cell.second
        if second is not None and second.cell_id is not None and not second.agrees:
            assert cell.status is CellStatus.FLAGGED or cell.reader == "llm", cell
    for claim in record.llm.claims:  # every kept claim is printed where it points
        assert record.text[claim.number_span[0]:claim.number_span[1]] == str(claim.value)
    expected = expected_cells(load_expected(ROOT / "golden" / "expected" / f"{golden_name}.json"))
    cells = {c.path: c for c in iter_cells(record.tables)}
    silent = [p for p, want in expected.items() if classify(want, cells.get(p)) == "silent"]
    assert silent == [], silent
    return {"claims": len(record.llm.claims), "dropped_claims": record.llm.dropped_claims}


def test_replay_of_a_real_model_run(tmp_path: Path, golden_inputs: Path) -> None:
    header = _replay_header()
    cache = ReplyCache(tmp_path / "cache")
    for line in REPLIES.read_text("utf-8").splitlines()[1:]:
        entry = json.loads(line)
        cache.set(entry["key"], entry["value"])
    cache.close()
    settings = LLMSettings(base_url=header["base_url"], model=header["model"], mode=header["mode"],
                           max_tokens=header["max_tokens"], reasks=header["reasks"],
                           max_attempts=1, timeout=5, cache_dir=tmp_path / "cache")
    client = LLMClient(settings)
    llm = LLMPass(client)
    records = []
    for row in header["reports"]:
        doc = read_document(golden_inputs / row["report"])
        ex = extract(doc)
        if row.get("lost"):  # the bench made the rules lose this section (bench/llm_local.py)
            ex = with_cells(ex, {c.path: c.model_copy(update={
                "state": CellState.UNREADABLE, "value": None, "unit": None,
                "reasons": ["LAYOUT: simulated by bench/llm_local.py (cells not placed)"]})
                for c in iter_cells(ex.tables) if c.path.startswith(row["lost"] + ".")})
        records.append((row, llm.run(doc, ex)))
    client.close()
    for row, record in records:
        # A task that failed in the recording left no reply (failed replies are never cached),
        # so it fails here too, unreachable; one that succeeded there and is unreachable here
        # sent a request the recording lacks: the code changed since, so this is no replay.
        was = [t.split(" (")[0] for t in row["tasks"]]
        now = [t for t in record.llm.tasks if t.outcome == "failed" and "unreachable" in (t.detail or "")]
        stale = [t for t in now if f"{t.task}{'/' + t.section if t.section else ''}:ok" in was]
        if stale:
            pytest.skip(f"{row['report']}: {len(stale)} requests are not in {REPLIES.name} (the "
                        "grids or schemas sent changed since it was recorded): re-run "
                        "bench/llm_local.py --export")
    for row, record in records:
        got = _check_record(record, row["report"])
        assert got == {"claims": row["claims"], "dropped_claims": row["dropped_claims"]}
        cells = {c.path: c for c in iter_cells(record.tables)}
        expected = expected_cells(load_expected(ROOT / "golden" / "expected" / f"{row['report']}.json"))
        recovered = sum(1 for p, c in cells.items() if c.reader == "llm" and c.status is
                        CellStatus.VERIFIED and classify(expected[p], c) == "correct")
        assert recovered == row["recovered"]
        outcomes = [f"{t.task}{'/' + t.section if t.section else ''}:{t.outcome}"
                    for t in record.llm.tasks]
        assert outcomes == [t.split(" (")[0] for t in row["tasks"]]


@pytest.mark.skipif(not URL, reason="EXTRACTOR_TEST_LLM_URL is not set (a live model server)")
def test_golden_samples_through_a_real_model(tmp_path: Path, golden_inputs: Path) -> None:
    settings = LLMSettings(base_url=URL, model=os.environ.get("EXTRACTOR_TEST_LLM_MODEL", "local"),
                           mode=os.environ.get("EXTRACTOR_TEST_LLM_MODE", "tools"),  # type: ignore[arg-type]
                           timeout=900, max_tokens=2048, cache_dir=tmp_path / "cache")
    llm = LLMPass(LLMClient(settings))
    for name in ("excerpt_007.txt", "haining_health_2020.txt"):
        doc = read_document(golden_inputs / name)
        _check_record(llm.run(doc, extract(doc)), name)
