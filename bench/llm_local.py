"""The LLM path on a real local model: what the reader of last resort recovers.

Run by hand, never in CI (a CPU model takes minutes per request):

    bash bench/build_local_llm.sh            # builds the server, assembles the model (once)
    python -m llama_cpp.server --model /work/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf \\
        --model_alias qwen0.5b --n_ctx 8192 --n_threads 2 --n_threads_batch 2 --port 8765 &
    python bench/llm_local.py --base-url http://127.0.0.1:8765/v1 --model qwen0.5b

The golden set reads 100% right with the rules, so the bench makes its own open cells: on
three clean reports the rules' reading of section 四 is dropped (unreadable, LAYOUT: what a
layout the rules cannot place leaves; `LOST_REPORTS`), and three reports keep the cells
golden itself calls unreadable (glued runs with several splits; `UNREADABLE_REPORTS`),
which no citation can recover and where no LLM value may sit unflagged. For each it runs
`--llm auto`
(the model is asked only about the rows the rules left open, and for the narrative facts)
and scores every cell against the hand-read golden file (`golden/expected`):

- open: a printed cell (golden reads a value, a blank or a placeholder) the rules left null
  or read wrong and flagged; recovered: an open cell that is now correct and not flagged;
- wrong-flagged: a cell that is wrong (or null where a value is printed) and flagged;
- silent: a cell that is wrong and not flagged (must be 0; counted over all cells);
- claims: narrative claims kept (their sentence prints their number) vs dropped;
- seconds and tokens per report (prompt + completion as the server reports them), against
  the whole normalized document's tokens (the server's own tokenizer, via /extras/tokenize
  when it has one, else chars/1.5).

The replies go to `--cache-dir` (default ~/.cache/report-extractor/llm-local-bench): a
second run is a replay that makes no model call. `--export tests/data/llm_local_replies.jsonl`
writes them as text (after each report), which `tests/test_local_llm.py` replays offline.
Ends with one line: ``llm_local: <model> recovered R of F flagged cells, wrong-flagged W,
silent S; claims K kept / D dropped; X s/report; T tokens/report (whole document Y)``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractor.evaluate.compare import classify  # noqa: E402
from extractor.evaluate.expected import expected_cells, load_expected  # noqa: E402
from extractor.llm.client import LLMClient  # noqa: E402
from extractor.llm.config import LLMSettings  # noqa: E402
from extractor.llm.reader import LLMPass  # noqa: E402
from extractor.mapping.report import extract  # noqa: E402
from extractor.run.pipeline import read_document  # noqa: E402
from extractor.schema import CellStatus, iter_cells  # noqa: E402
from verify import verify  # noqa: E402

GOLDEN = ROOT / "golden"
DEFAULT_CACHE = Path("~/.cache/report-extractor/llm-local-bench").expanduser()


def _open(want, cell) -> bool:  # type: ignore[no-untyped-def]
    """The rules did not read this printed cell right (and flagged it, or left it null)."""
    return want.state not in ("missing", "unreadable") and classify(want, cell) in (
        "wrong_flagged", "missing")


#: Reports whose rules reading keeps cells golden calls unreadable (glued runs with several
#: splits): nothing can recover them from one cited cell, and no LLM value may sit there silently.
UNREADABLE_REPORTS = ("pingtan_office_2021.txt", "excerpt_013.txt", "shanghai_office_2025.md")
#: Clean reports whose section 四 the bench makes the rules lose (see `lose`).
LOST_REPORTS = ("lvyuan_health_2020.txt", "pinghu_health_2024.txt", "haining_health_2020.txt")


def lose(ex, section: str = "s4"):  # type: ignore[no-untyped-def]
    """The extraction with a section's cells lost by the rules (unreadable, LAYOUT), as a
    layout the rules cannot place leaves them; the text still prints them and golden knows
    them, so what the LLM recovers can be scored."""
    from extractor.llm.reconcile import with_cells
    from extractor.schema import CellState

    lost = {c.path: c.model_copy(update={
        "state": CellState.UNREADABLE, "value": None, "unit": None,
        "reasons": ["LAYOUT: simulated by bench/llm_local.py (cells not placed)"]})
        for c in iter_cells(ex.tables) if c.path.startswith(section + ".")}
    return with_cells(ex, lost)


def open_reports() -> list[Path]:
    """Golden inputs whose rules-only reading leaves a printed cell unread or flagged wrong."""
    out = []
    for path in sorted((GOLDEN / "inputs").iterdir()):
        exp = GOLDEN / "expected" / f"{path.name}.json"
        if not exp.exists():
            continue
        expected = expected_cells(load_expected(exp))
        doc = read_document(path)
        record = verify(extract(doc), doc.text)
        cells = {c.path: c for c in iter_cells(record.tables)}
        if any(_open(want, cells.get(p)) for p, want in expected.items()):
            out.append(path)
    return out


def doc_tokens(base_url: str, text: str) -> tuple[int, str]:
    """The whole document's tokens by the server's tokenizer (llama-cpp-python's
    /extras/tokenize), else an estimate."""
    root = base_url.rstrip("/").removesuffix("/v1")
    try:
        req = urllib.request.Request(f"{root}/extras/tokenize", method="POST",
                                     data=json.dumps({"input": text}).encode(),
                                     headers={"content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as r:
            return len(json.loads(r.read())["tokens"]), "server tokenizer"
    except Exception:  # noqa: BLE001 - any failure: fall back to the estimate
        return int(len(text) / 1.5), "chars/1.5"


def score(path: Path, rules, record) -> dict[str, int]:  # type: ignore[no-untyped-def]
    expected = expected_cells(load_expected(GOLDEN / "expected" / f"{path.name}.json"))
    before = {c.path: c for c in iter_cells(rules.tables)}
    after = {c.path: c for c in iter_cells(record.tables)}
    s = {"open": 0, "recovered": 0, "wrong_flagged": 0, "silent": 0, "silent_rules": 0,
         "llm_cells": 0}
    for p, want in expected.items():
        b, a = before.get(p), after.get(p)
        cls_after = classify(want, a)
        if classify(want, b) == "silent":
            s["silent_rules"] += 1
        if cls_after == "silent":
            s["silent"] += 1
        if cls_after == "wrong_flagged" or (cls_after == "missing" and a is not None
                                            and a.status is CellStatus.FLAGGED):
            s["wrong_flagged"] += 1
        if _open(want, b):
            s["open"] += 1
            if cls_after == "correct" and a is not None and a.status is not CellStatus.FLAGGED:
                s["recovered"] += 1
        if a is not None and a.second is not None and a.second.cell_id is not None:
            s["llm_cells"] += 1
    return s


def export(client: LLMClient, settings: LLMSettings, rows: list[dict], path: Path) -> None:  # type: ignore[type-arg]
    """The replies the run used, as JSON lines: a header (settings, prompt versions, the
    figures per report), then one {"key", "value"} per cached reply."""
    from extractor.llm.prompts import load
    from extractor.llm.reader import TASKS

    cache = client.cache
    assert cache is not None
    header = {"base_url": settings.base_url, "model": settings.model, "mode": settings.mode,
              "max_tokens": settings.max_tokens, "reasks": settings.reasks,
              "prompt_versions": {t: load(t).version for t in TASKS}, "reports": rows}
    lines = [json.dumps(header, ensure_ascii=False)]
    for key in sorted(cache._cache.iterkeys()):  # noqa: SLF001 - a dedicated bench cache
        lines.append(json.dumps({"key": key, "value": cache.get(key)}, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", "utf-8")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base-url", default="http://127.0.0.1:8765/v1")
    ap.add_argument("--model", default="local")
    ap.add_argument("--mode", default="tools", choices=("auto", "json_schema", "tools", "md_json"))
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--report", action="append", default=None, help="golden input name; repeatable")
    ap.add_argument("--json", type=Path, default=None, help="write the per-report figures here")
    ap.add_argument("--export", type=Path, default=None,
                    help="write the run's cached replies here (JSON lines) for the offline "
                    "replay in tests/test_local_llm.py, with the settings and figures")
    args = ap.parse_args(argv)
    files = ([GOLDEN / "inputs" / n for n in args.report] if args.report else
             open_reports() + [GOLDEN / "inputs" / n for n in UNREADABLE_REPORTS + LOST_REPORTS])
    settings = LLMSettings(base_url=args.base_url, model=args.model, mode=args.mode,
                           timeout=args.timeout, max_attempts=2, reasks=1, max_tokens=2048,
                           cache_dir=args.cache_dir)
    client = LLMClient(settings)
    llm = LLMPass(client)
    rows = []
    for path in files:
        doc = read_document(path)
        ex = extract(doc)
        if path.name in LOST_REPORTS:
            ex = lose(ex)
        rules = verify(ex.model_copy(deep=True), doc.text)
        calls0 = client.stats.http_calls
        t0 = time.monotonic()
        record = llm.run(doc, ex)
        secs = time.monotonic() - t0
        assert record.llm is not None
        whole, counter = doc_tokens(args.base_url, doc.text)
        s = score(path, rules, record)
        row = {"report": path.name, "lost": "s4" if path.name in LOST_REPORTS else None,
               "seconds": round(secs, 1),
               "http_calls": client.stats.http_calls - calls0,
               "tokens": record.llm.prompt_tokens + record.llm.completion_tokens,
               "prompt_tokens": record.llm.prompt_tokens, "whole_document_tokens": whole,
               "claims": len(record.llm.claims), "dropped_claims": record.llm.dropped_claims,
               "tasks": [f"{t.task}{'/' + t.section if t.section else ''}:{t.outcome}"
                         + (f" ({t.detail[:120]})" if t.outcome == "failed" and t.detail else "")
                         for t in record.llm.tasks], **s}
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
        if args.export:  # after each report: a run stopped early still leaves a replay
            export(client, settings, rows, args.export)
    client.close()
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), "utf-8")
    if not rows:
        sys.exit("no report to run")
    tot = {k: sum(r[k] for r in rows) for k in ("open", "recovered", "wrong_flagged", "silent",
                                                  "silent_rules", "claims", "dropped_claims")}
    print(f"llm_local: {args.model} on {len(rows)} reports: recovered {tot['recovered']} of "
          f"{tot['open']} flagged cells, wrong-flagged {tot['wrong_flagged']}, silent "
          f"{tot['silent']} (rules alone {tot['silent_rules']}); claims {tot['claims']} kept / "
          f"{tot['dropped_claims']} dropped; "
          f"{statistics.mean(r['seconds'] for r in rows):.0f} s/report; "
          f"{statistics.median(r['tokens'] for r in rows):.0f} tokens/report (median; whole "
          f"document {statistics.median(r['whole_document_tokens'] for r in rows):.0f}, {counter})")
    sys.exit(1 if tot["silent"] > tot["silent_rules"] else 0)


if __name__ == "__main__":
    main()
