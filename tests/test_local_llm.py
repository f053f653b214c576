"""A real model behind an OpenAI-compatible server (see README: "Testing with a local model").

Skipped unless EXTRACTOR_TEST_LLM_URL points to one, e.g. http://127.0.0.1:8000/v1 for
llama-cpp-python's server. Asserts that every LLM value is grounded and consistent, or
flagged: never silently accepted.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from extractor.llm.client import LLMClient
from extractor.llm.config import LLMSettings
from extractor.llm.reader import LLMPass
from extractor.mapping.report import extract
from extractor.run.pipeline import read_document
from extractor.schema import CellStatus, iter_cells

URL = os.environ.get("EXTRACTOR_TEST_LLM_URL")

pytestmark = [pytest.mark.local_llm,
              pytest.mark.skipif(not URL, reason="EXTRACTOR_TEST_LLM_URL is not set")]


def test_golden_samples_through_a_real_model(tmp_path: Path, golden_inputs: Path) -> None:
    settings = LLMSettings(base_url=URL, model=os.environ.get("EXTRACTOR_TEST_LLM_MODEL", "local"),
                           mode=os.environ.get("EXTRACTOR_TEST_LLM_MODE", "auto"),  # type: ignore[arg-type]
                           timeout=600, max_tokens=4096, cache_dir=tmp_path / "cache")
    llm = LLMPass(LLMClient(settings), always=True)
    for path in sorted(golden_inputs.iterdir()):
        doc = read_document(path)
        record = llm.run(doc, extract(doc))
        assert record.llm is not None
        for cell in iter_cells(record.tables):
            if cell.reader == "llm":  # placed by the LLM: accepted by a passing identity
                assert cell.placement == "llm" and cell.status is CellStatus.INFERRED, cell
            second = cell.second
            if second is not None and second.cell_id is not None and not second.agrees:
                # a disagreement or an unconfirmed LLM-only value is flagged
                assert cell.status is CellStatus.FLAGGED or cell.reader == "llm", cell
        for claim in record.llm.claims:  # every kept claim is grounded in the text
            assert record.text[claim.number_span[0]:claim.number_span[1]] == str(claim.value)
