from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "golden"
sys.path.insert(0, str(Path(__file__).resolve().parent))  # fake_llm, llm_oracle


@pytest.fixture
def golden_inputs() -> Path:
    return GOLDEN / "inputs"


@pytest.fixture
def fake_llm():
    """A real OpenAI-compatible HTTP server on 127.0.0.1 with scripted replies."""
    from fake_llm import serve

    yield from serve()


@pytest.fixture
def llm_settings(fake_llm, tmp_path: Path):
    """Settings for the fake server: tiny timeouts and backoffs, a private cache."""
    from extractor.llm.config import LLMSettings

    return LLMSettings(base_url=fake_llm.url, model="fake-model", api_key="sk-test-SECRET",
                       timeout=0.5, backoff_initial=0.01, backoff_max=0.2, retry_budget=5,
                       max_attempts=3, cache_dir=tmp_path / "llm-cache")
