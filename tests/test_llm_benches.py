"""bench/llm_cache.py and bench/llm_tokens.py stay runnable: each on one golden report."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
REPORT = "pinghu_health_2024.txt"


def _bench(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"{name}_bench", ROOT / "bench" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_cached_rerun_makes_no_http_call(capsys: pytest.CaptureFixture[str]) -> None:
    assert _bench("llm_cache").main(["--report", REPORT]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[1].startswith("warm: 0 HTTP calls received by the server")
    last = out[-1]
    assert last.startswith("llm_cache: warm ") and "0 HTTP calls" in last
    assert "outputs identical" in last and "(1 reports, --llm on" in last


def test_routed_prompts_are_smaller_than_the_whole_document(
        capsys: pytest.CaptureFixture[str]) -> None:
    bench = _bench("llm_tokens")
    assert bench.main(["--report", REPORT]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("counter: ")
    assert out[-1].startswith("llm_tokens: routed ") and "(1 reports, --llm on" in out[-1]
    _, rows = bench.measure([ROOT / "golden" / "inputs" / REPORT])
    (row,) = rows
    assert row["requests"] == 5  # three table sections, the narrative, the metadata
    assert 0 < row["routed"] < row["whole"] and 0 < row["server_routed"] < row["server_whole"]


def test_without_a_tokenizer_the_server_count_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    bench = _bench("llm_tokens")
    monkeypatch.setitem(sys.modules, "tiktoken", None)  # import fails as if not installed
    name, count = bench.tokenizer()
    assert name.startswith("test-server count") and count("本年新收ab") == 5
