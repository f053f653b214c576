"""The LLM path from its reply cache: the golden set cold, then warm, against the test server.

Run by hand:  python bench/llm_cache.py [--llm on|auto] [--report NAME]...

Starts the OpenAI-compatible test server of the test suite (`tests/fake_llm.py`, answering
like a careful model through `tests/llm_oracle.py`) on 127.0.0.1, runs `extractor run` over
the golden inputs with an empty cache (cold), then again with the same cache (warm), and
compares. The warm run must make **zero** HTTP calls (counted by the server itself, not by
the client) and write byte-identical outputs; the script exits 1 otherwise. For reference
it also times the deterministic path (`--llm off`) on the same inputs.

Ends with one summary line comparable across commits:
``llm_cache: warm <ms>/report, <n> HTTP calls (...), outputs identical; cold ...``.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's packages, not an installed copy
sys.path.insert(1, str(ROOT / "tests"))  # the test server and its oracle
sys.path.insert(2, str(Path(__file__).resolve().parent))  # llm_args

from click.testing import CliRunner  # noqa: E402
from fake_llm import FakeLLM  # noqa: E402
from llm_args import golden_selection  # noqa: E402
from llm_oracle import Oracle  # noqa: E402

import extractor.llm.reader  # noqa: E402, F401 - imported before timing, not inside the cold run
from extractor.cli import main as cli  # noqa: E402

OUTPUTS = ("results.jsonl.gz", "cells.csv.gz", "reports.csv", "flags.csv", "errors.jsonl")
_STATS = re.compile(r"LLM \S+ \((?P<mode>\w+)\): (?P<calls>\d+) HTTP calls, (?P<hits>\d+) cache hits")


def _config(path: Path, url: str, cache: Path) -> Path:
    path.write_text(f"""
[llm]
base_url = "{url}"
model = "fake-model"
timeout = 10.0
cache_dir = "{cache}"
probe = false  # the endpoint check never uses the cache: this bench measures the cache
""", encoding="utf-8")
    return path


def _run(inputs: Path, out: Path, *args: str) -> tuple[float, str]:
    """One `extractor run`; returns (seconds, stderr)."""
    runner = CliRunner(env={"OPENAI_BASE_URL": None, "OPENAI_API_KEY": None,
                            "EXTRACTOR_MODEL": None, "EXTRACTOR_CONFIG": None,
                            "EXTRACTOR_CACHE_DIR": None})
    t0 = time.perf_counter()
    result = runner.invoke(cli, ["run", str(inputs), "-o", str(out), *args])
    elapsed = time.perf_counter() - t0
    if result.exit_code != 0:
        raise SystemExit(f"extractor run {' '.join(args)} failed:\n{result.output}")
    return elapsed, result.stderr


def _client_stats(stderr: str) -> tuple[int, int]:
    m = _STATS.search(stderr)
    if m is None:
        raise SystemExit(f"no LLM statistics line in the run's output:\n{stderr}")
    return int(m["calls"]), int(m["hits"])


def measure(files: list[Path], llm: str = "on") -> dict[str, float | int | bool]:
    """Cold and warm runs of `files` through the LLM path; the figures of the summary."""
    with tempfile.TemporaryDirectory() as tmp_name, FakeLLM() as fake:
        tmp = Path(tmp_name)
        inputs = tmp / "inputs"
        inputs.mkdir()
        for f in files:
            shutil.copy(f, inputs / f.name)
        fake.responder = Oracle(sorted(inputs.iterdir()))
        config = _config(tmp / "extractor.toml", fake.url, tmp / "cache")
        off, _ = _run(inputs, tmp / "off", "--llm", "off", "-q")
        cold, stderr = _run(inputs, tmp / "cold", "--llm", llm, "--config", str(config))
        cold_calls = fake.calls
        cold_client, cold_hits = _client_stats(stderr)
        warm, stderr = _run(inputs, tmp / "warm", "--llm", llm, "--config", str(config))
        warm_calls = fake.calls - cold_calls
        warm_client, warm_hits = _client_stats(stderr)
        identical = all((tmp / "cold" / f).read_bytes() == (tmp / "warm" / f).read_bytes()
                        for f in OUTPUTS)
    n = len(files)
    return {"reports": n, "off_ms": 1000 * off / n, "cold_ms": 1000 * cold / n,
            "warm_ms": 1000 * warm / n, "cold_calls": cold_calls, "cold_client_calls": cold_client,
            "cold_hits": cold_hits, "warm_calls": warm_calls, "warm_client_calls": warm_client,
            "warm_hits": warm_hits, "identical": identical}


def summary_line(r: dict[str, float | int | bool], llm: str) -> str:
    return (f"llm_cache: warm {r['warm_ms']:.1f} ms/report, {r['warm_calls']} HTTP calls "
            f"({r['warm_hits']} cache hits), outputs {'identical' if r['identical'] else 'DIFFER'}; "
            f"cold {r['cold_ms']:.1f} ms/report, {r['cold_calls']} HTTP calls; --llm off "
            f"{r['off_ms']:.1f} ms/report ({r['reports']} reports, --llm {llm}, test server)")


def main(argv: list[str] | None = None) -> int:
    files, llm = golden_selection(argv, __doc__.split("\n\n")[0])
    r = measure(files, llm)
    print(f"cold: {r['cold_calls']} HTTP calls received by the server "
          f"(client: {r['cold_client_calls']} calls, {r['cold_hits']} cache hits)")
    print(f"warm: {r['warm_calls']} HTTP calls received by the server "
          f"(client: {r['warm_client_calls']} calls, {r['warm_hits']} cache hits)")
    print(summary_line(r, llm))
    ok = r["warm_calls"] == 0 and r["warm_client_calls"] == 0 and r["identical"]
    if not ok:
        print("FAIL: the warm run must make no HTTP call and write identical outputs",
              file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
