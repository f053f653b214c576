"""`extractor run --llm ...` end to end against the local fake server, on golden/inputs."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from llm_oracle import Oracle
from results_file import results_json, results_lines

from extractor.cli import main

OUTPUTS = ("results.jsonl.gz", "cells.csv.gz", "reports.csv", "flags.csv", "errors.jsonl")


@pytest.fixture
def config(fake_llm, tmp_path: Path, golden_inputs: Path) -> Path:
    fake_llm.responder = Oracle(sorted(golden_inputs.iterdir()))
    path = tmp_path / "extractor.toml"
    path.write_text(f"""
[llm]
base_url = "{fake_llm.url}"
model = "fake-model"
timeout = 2.0
backoff_initial = 0.01
backoff_max = 0.1
cache_dir = "{tmp_path / 'cache'}"

[llm.prices.fake-model]
prompt = 1.0
completion = 2.0
""", encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner(env={"OPENAI_BASE_URL": None, "OPENAI_API_KEY": None, "EXTRACTOR_MODEL": None}).invoke(
        main, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_llm_on_cold_then_warm_cache_is_free_and_byte_identical(fake_llm, config, tmp_path, golden_inputs) -> None:
    code, stdout, stderr = run("run", str(golden_inputs), "-o", str(tmp_path / "a"), "--llm", "on",
                               "--config", str(config))
    assert code == 0, stderr
    cold = fake_llm.calls
    n = len(list(golden_inputs.iterdir()))
    assert cold >= n * 2  # tables, narrative and metadata per report (identical requests once)
    assert f"{n} reports" in stdout and f"{cold} HTTP calls" in stderr  # the probe included
    code, _, stderr = run("run", str(golden_inputs), "-o", str(tmp_path / "b"), "--llm", "on",
                          "--config", str(config))
    # warm cache: the endpoint check is the only HTTP call (it never uses the cache)
    assert code == 0 and fake_llm.calls == cold + 1
    assert "LLM fake-model (json_schema): 1 HTTP calls" in stderr  # identical requests of
    # two reports (same section grid) were already one HTTP call in the cold run
    for f in OUTPUTS:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    records = results_json(tmp_path / "a")
    for r in records:
        assert r["llm"]["model"] == "fake-model" and r["llm"]["prompt_tokens"] > 0
        assert set(r["llm"]["prompt_versions"]) == {"table_mapping", "narrative", "metadata"}
        for sec in ("s2", "s3", "s4"):
            for row in r["tables"][sec].values():
                for cell in row.values():  # every LLM reading agrees or is flagged
                    second = cell.get("second")
                    assert second is None or second["agrees"] or cell["status"] == "flagged" \
                        or second.get("cell_id") is None
    haining = next(r for r in records if r["meta"]["source_file"] == "haining_health_2020.txt")
    assert any(w["key"].startswith("C1:punishment") for w in haining["warnings"])


def test_llm_auto_without_an_endpoint_says_what_it_would_add(tmp_path, golden_inputs) -> None:
    code, _, stderr = run("run", str(golden_inputs / "pinghu_health_2024.txt"), "-o", str(tmp_path / "o"))
    assert code == 0 and "no LLM configured" in stderr
    code, _, stderr = run("run", str(golden_inputs), "-o", str(tmp_path / "o"), "--llm", "on")
    assert code != 0 and "--llm on needs an LLM" in stderr


def test_max_cost_stops_cleanly_and_lists_what_was_not_processed(fake_llm, config, tmp_path, golden_inputs) -> None:
    out = tmp_path / "o"
    code, stdout, stderr = run("run", str(golden_inputs), "-o", str(out), "--llm", "on",
                               "--config", str(config), "--max-cost", "0.001")
    assert code == 0, stderr
    errors = [json.loads(x) for x in (out / "errors.jsonl").read_text("utf-8").splitlines()]
    results = results_lines(out)
    n = len(list(golden_inputs.iterdir()))
    assert len(results) == 1 and len(errors) == n - 1
    assert all(e["kind"] == "not_processed" and "--max-cost" in e["error"] for e in errors)
    # Nothing lost: a re-run with a larger budget does the rest, the first report from cache.
    calls = fake_llm.calls
    code, stdout, _ = run("run", str(golden_inputs), "-o", str(out), "--llm", "on",
                          "--config", str(config), "--max-cost", "100")
    assert f"{n} reports" in stdout and fake_llm.calls > calls


def test_max_cost_is_checked_again_before_a_read_document_asks_the_llm(
        fake_llm, config, tmp_path, golden_inputs) -> None:
    """A slow model: the next document is read while the first one's answers are awaited.
    Once the first has spent the budget, the second must not ask, though it was read."""
    oracle = fake_llm.responder
    fake_llm.responder = lambda request: dataclasses.replace(oracle(request), delay=0.3)
    out = tmp_path / "o"
    code, _, stderr = run("run", str(golden_inputs), "-o", str(out), "--llm", "on",
                          "--config", str(config), "--max-cost", "0.001", "--jobs", "1")
    assert code == 0, stderr
    errors = (out / "errors.jsonl").read_text("utf-8").splitlines()
    assert len(results_lines(out)) == 1
    assert len(errors) == len(list(golden_inputs.iterdir())) - 1


def test_python_dash_m_runs_the_cli() -> None:
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "extractor", "--version"], capture_output=True,
                       text=True, cwd=Path(__file__).resolve().parent.parent, check=True)
    assert "extractor" in r.stdout


def test_parallel_jobs_ask_the_llm_concurrently_and_give_the_same_outputs(
        fake_llm, config, tmp_path, golden_inputs) -> None:
    code, _, stderr = run("run", str(golden_inputs), "-o", str(tmp_path / "serial"), "--llm", "on",
                          "--config", str(config), "--no-cache")
    assert code == 0, stderr
    serial = fake_llm.calls
    code, _, stderr = run("run", str(golden_inputs), "-o", str(tmp_path / "par"), "--llm", "on",
                          "--config", str(config), "--no-cache", "--jobs", "4", "--rpm", "10000")
    assert code == 0, stderr
    assert fake_llm.calls - serial == serial  # the same requests, no more
    for f in OUTPUTS:
        assert (tmp_path / "serial" / f).read_bytes() == (tmp_path / "par" / f).read_bytes(), f


def test_a_report_whose_llm_task_failed_is_tried_again_by_the_next_run(
        fake_llm, config, tmp_path, golden_inputs) -> None:
    from fake_llm import Reply
    from llm_oracle import task_of

    oracle = fake_llm.responder
    report = str(golden_inputs / "pinghu_health_2024.txt")
    out = str(tmp_path / "o")

    def narrative_down(request):
        if task_of(request) == "narrative":
            return Reply(status=503, body='{"error": {"message": "overloaded"}}')
        return oracle(request)

    fake_llm.responder = narrative_down
    code, _, stderr = run("run", report, "-o", out, "--llm", "on", "--config", str(config))
    assert code == 0, stderr
    record = results_json(tmp_path / "o")[0]
    assert {t["task"]: t["outcome"] for t in record["llm"]["tasks"]}["narrative"] == "failed"

    fake_llm.responder = oracle
    before = fake_llm.calls
    code, stdout, stderr = run("run", report, "-o", out, "--llm", "on", "--config", str(config))
    assert code == 0 and "already done" not in stdout
    assert "1 documents redone because an LLM task failed" in stderr
    # the endpoint check, then the narrative; the rest comes from the cache
    assert [task_of(q) for q in fake_llm.requests[before:]] == ["probe", "narrative"]
    record = results_json(tmp_path / "o")[0]
    assert all(t["outcome"] != "failed" for t in record["llm"]["tasks"])

    code, stdout, _ = run("run", report, "-o", out, "--llm", "on", "--config", str(config))
    assert "1 reports (1 already done)" in stdout
    code, stdout, _ = run("run", report, "-o", out, "--llm", "on", "--config", str(config), "--redo")
    assert code == 0 and "already done" not in stdout


def test_a_run_without_an_llm_never_loads_the_openai_sdk(tmp_path: Path, golden_inputs: Path) -> None:
    """The SDK costs ~1.5 CPU-s to import; a rules-only run (the default `--llm auto` with no
    endpoint configured) must not pay it."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "r.txt").write_bytes((golden_inputs / "pinghu_health_2024.txt").read_bytes())
    env = {k: v for k, v in os.environ.items()
           if k not in ("EXTRACTOR_MODEL", "OPENAI_BASE_URL", "OPENAI_API_KEY")}
    code = ("import sys; from extractor.cli import main\n"
            "try:\n"
            f"    main(['run', {str(src)!r}, '-o', {str(tmp_path / 'out')!r}, '-q'])\n"
            "except SystemExit as e:\n"
            "    assert not e.code, e.code\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('openai', 'instructor')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "cells.csv.gz").exists()
    assert done.stdout.splitlines()[-1] == "[]"
