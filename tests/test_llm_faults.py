"""The fault matrix: `extractor run` against a misbehaving endpoint on 127.0.0.1.

Each fault is checked for what the user sees (one clear line, ERROR lines, the exit status),
for the wall time it costs (retry waits are set small here, as a config file can), and for
what it leaves in the cache (a failed reply is never served to a later run). Wall times are
printed (`pytest -s`) and bounded generously: the bound catches a silent retry loop, not a
slow machine.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from fake_llm import Reply
from llm_oracle import Oracle, task_of
from results_file import results_json

from extractor.cli import main

#: Seconds any one faulty run may take. Generous: this machine may be loaded (imports alone
#: can take 15 s under load); the calls counted by the server bound the retries exactly.
BOUND = 60

HTML = "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"


@pytest.fixture
def reports(golden_inputs: Path) -> list[Path]:
    return [golden_inputs / "pinghu_health_2024.txt", golden_inputs / "haining_health_2020.txt"]


@pytest.fixture
def oracle(reports: list[Path]) -> Oracle:
    return Oracle(reports)


def config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "extractor.toml"
    path.write_text(f"""
[llm]
base_url = "{url}"
model = "fake-model"
timeout = 2.0
max_attempts = 3
backoff_initial = 0.01
backoff_max = 0.05
retry_budget = 2.0
reasks = 0
max_reply_bytes = 1048576
cache_dir = "{tmp_path / 'cache'}"

[llm.prices.fake-model]
prompt = 1.0
completion = 2.0
""", encoding="utf-8")
    return path


def run(name: str, *args: str) -> tuple[int, str, str, float]:
    t0 = time.monotonic()
    r = CliRunner(env={"OPENAI_BASE_URL": None, "OPENAI_API_KEY": None, "EXTRACTOR_MODEL": None}).invoke(
        main, ["run", *args])
    wall = time.monotonic() - t0
    print(f"\nfault {name}: exit {r.exit_code}, {wall:.1f} s")
    return r.exit_code, r.stdout, r.stderr, wall


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_dead_endpoint_is_one_usage_error_line_before_any_report(tmp_path, reports) -> None:
    cfg = config(tmp_path, f"http://127.0.0.1:{free_port()}/v1")
    code, stdout, stderr, wall = run("dead endpoint", *map(str, reports), "-o", str(tmp_path / "o"),
                                     "--config", str(cfg))
    assert code == 2 and wall < BOUND
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: the LLM endpoint http://127.0.0.1:")
    assert "unreachable" in lines[0] and "could not be reached" not in lines[0]
    assert stdout == "" and not (tmp_path / "o" / "results.jsonl.gz").exists()


@pytest.mark.parametrize(("status", "words"), [(429, "HTTP 429 (rate limited"),
                                               (500, "HTTP 500 (server error"),
                                               (401, "HTTP 401 (authentication")])
def test_an_endpoint_failing_from_the_start_stops_the_run_at_the_probe(
        fake_llm, tmp_path, reports, status, words) -> None:
    fake_llm.answer_probe = False
    fake_llm.responder = lambda _: Reply(status=status, headers={"Retry-After": "0"})
    code, stdout, stderr, wall = run(f"{status} storm from the start", *map(str, reports), "-o",
                                     str(tmp_path / "o"), "--config", str(config(tmp_path, fake_llm.url)))
    assert code == 2 and wall < BOUND and stdout == ""
    (line,) = stderr.strip().splitlines()
    assert "failed the endpoint check" in line and words in line
    assert fake_llm.calls <= 3  # bounded: the check retries little


def test_a_500_storm_after_the_check_fails_every_task_visibly_and_exits_1(
        fake_llm, tmp_path, reports, oracle) -> None:
    fake_llm.responder = lambda _: Reply(status=500)
    cfg = config(tmp_path, fake_llm.url)
    code, stdout, stderr, wall = run("500 storm", *map(str, reports), "-o", str(tmp_path / "o"),
                                     "--config", str(cfg))
    assert code == 1 and wall < BOUND
    errors = [ln for ln in stderr.splitlines() if ln.startswith("ERROR ")]
    assert len(errors) == 2 and all("LLM narrative failed: the LLM endpoint answered HTTP 500 "
                                    "(server error; retries exhausted)" in ln for ln in errors)
    assert "LLM tasks: 0 ok, 2 failed" in stderr and "2 reports" in stdout
    # the server recovers: the failed tasks are asked again (nothing failed was cached)
    fake_llm.responder = oracle
    before = fake_llm.calls
    code, stdout, stderr, _ = run("500 storm, recovered", *map(str, reports), "-o",
                                  str(tmp_path / "o"), "--config", str(cfg))
    assert code == 0 and "ERROR" not in stderr
    assert [task_of(q) for q in fake_llm.requests[before:]] == ["probe", "narrative", "narrative"]


def test_a_429_storm_honours_retry_after_and_ends_in_failed_tasks(fake_llm, tmp_path, reports) -> None:
    fake_llm.responder = lambda _: Reply(status=429, headers={"Retry-After": "0"})
    code, _, stderr, wall = run("429 storm", str(reports[0]), "-o", str(tmp_path / "o"),
                                "--config", str(config(tmp_path, fake_llm.url)))
    assert code == 1 and wall < BOUND
    assert "LLM narrative failed: the LLM endpoint answered HTTP 429 (rate limited" in stderr
    assert fake_llm.calls == 1 + 3  # the check, then max_attempts for the one task


def test_garbage_is_never_cached_and_says_what_it_was(fake_llm, tmp_path, reports, oracle) -> None:
    cfg = config(tmp_path, fake_llm.url)
    fake_llm.answer_probe = False
    fake_llm.responder = lambda _: Reply(body=HTML)
    code, stdout, stderr, wall = run("garbage at the check", str(reports[0]), "-o",
                                     str(tmp_path / "o"), "--config", str(cfg))
    assert code == 2 and wall < BOUND
    assert "unparseable body: the reply is not JSON (it starts '<html>" in stderr

    fake_llm.answer_probe = True  # a proxy that lets the check through, then garbles
    for name, body, words in [
            ("html page", HTML, "unparseable body: the reply is not JSON"),
            ("json error object", '{"detail": "upstream timeout"}',
             "wrong shape: the reply is JSON but not a chat completion (keys: ['detail'])")]:
        fake_llm.responder = lambda _, b=body: Reply(body=b)
        code, _, stderr, wall = run(name, str(reports[0]), "-o", str(tmp_path / name),
                                    "--config", str(cfg))
        assert code == 1 and wall < BOUND
        assert f"LLM narrative failed: {words}" in stderr, stderr
    # a model answer that is not JSON, and one that does not fit the schema
    for name, content, words in [("not json", "Sure! Here are the claims: 207",
                                  "unparseable reply: the model's answer is not JSON"),
                                 ("wrong fields", '{"facts": []}', "wrong shape: the reply did not fit")]:
        fake_llm.responder = lambda _, c=content: Reply(content=c)
        code, _, stderr, _ = run(name, str(reports[0]), "-o", str(tmp_path / name), "--config",
                                 str(cfg), "--mode", "md_json")
        assert code == 1 and words in stderr, stderr
    fake_llm.responder = oracle  # recovered: the same run asks again and succeeds
    before = fake_llm.calls
    code, _, stderr, _ = run("garbage, recovered", str(reports[0]), "-o", str(tmp_path / "html page"),
                             "--config", str(cfg))
    assert code == 0 and "ERROR" not in stderr
    assert [task_of(q) for q in fake_llm.requests[before:]] == ["probe", "narrative"]


def test_a_huge_reply_is_not_read_past_the_bound(fake_llm, tmp_path, reports) -> None:
    fake_llm.responder = lambda _: Reply(huge=60 * 1024 * 1024)
    code, _, stderr, wall = run("huge reply (60 MB)", str(reports[0]), "-o", str(tmp_path / "o"),
                                "--config", str(config(tmp_path, fake_llm.url)))
    assert code == 1 and wall < BOUND
    assert "LLM narrative failed: the reply is larger than 1048576 bytes" in stderr
    assert fake_llm.calls == 2  # the check and one request: a too-large reply is not retried


@pytest.mark.parametrize("usage", [
    {"prompt_tokens": -1_000_000_000, "completion_tokens": -5, "total_tokens": -1_000_000_005},
    {"prompt_tokens": "lots", "completion_tokens": None},
])
def test_negative_or_nonsense_usage_cannot_defeat_max_cost(fake_llm, tmp_path, reports, oracle,
                                                           usage) -> None:
    def lying(request):
        reply = oracle(request)
        reply.usage = usage
        return reply

    fake_llm.responder = lying
    code, stdout, stderr, wall = run("negative usage", *map(str, reports), "-o", str(tmp_path / "o"),
                                     "--config", str(config(tmp_path, fake_llm.url)),
                                     "--max-cost", "0.0002")
    assert code == 0 and wall < BOUND, stderr
    assert "replies reported impossible token usage: estimated" in stderr
    errors = [json.loads(line) for line in (tmp_path / "o" / "errors.jsonl").read_text().splitlines()]
    assert [e["kind"] for e in errors] == ["not_processed"]  # the budget stopped the second
    record = results_json(tmp_path / "o")[0]
    assert record["llm"]["prompt_tokens"] > 0 and float(record["llm"]["cost"]) > 0
