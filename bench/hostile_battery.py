"""The hostile-input battery, one case at a time, as a table: case, outcome, seconds, peak
RSS (the largest process of the run: the main one or a worker).

    python bench/hostile_battery.py [--doc-timeout 60] [CASE ...]

Each case is made by tests/hostile.py in a temporary folder and run alone with
`extractor run CASE -o OUT -q --llm off`; the outcome is what results.jsonl.gz / errors.jsonl say.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hostile import CASES  # noqa: E402


def run_case(name: str, doc_timeout: float, extra: list[str]) -> tuple[str, float, float, int]:
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        d = Path(tmp)
        (d / "in").mkdir()
        path = CASES[name](d / "in")
        out = d / "out"
        cmd = [sys.executable, "-m", "extractor", "run", str(path), "-o", str(out), "-q",
               "--llm", "off", "--doc-timeout", str(doc_timeout), *extra]
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        secs = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        outcome = "?"
        errors = out / "errors.jsonl"
        results = out / "results.jsonl.gz"
        if errors.is_file() and errors.read_text().strip():
            e = json.loads(errors.read_text().splitlines()[0])
            outcome = f"error[{e['kind']}]: {e['error'][:70]}"
        elif results.is_file() and gzip.decompress(results.read_bytes()).strip():
            r = json.loads(gzip.decompress(results.read_bytes()).splitlines()[0])
            outcome = f"result: template {r['meta']['template']}, {r['summary']['flagged']} cells flagged"
        if "Traceback" in err:
            outcome += " [TRACEBACK]"
        return outcome, secs, usage.ru_maxrss / 1024, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("cases", nargs="*", default=list(CASES))
    ap.add_argument("--doc-timeout", type=float, default=60.0)
    ap.add_argument("--jobs", default="1")
    a = ap.parse_args()
    print("| case | outcome | exit | seconds | peak RSS MB |\n|---|---|---|---|---|")
    for name in a.cases:
        outcome, secs, rss, code = run_case(name, a.doc_timeout, ["--jobs", a.jobs])
        print(f"| {name} | {outcome} | {code} | {secs:.1f} | {rss:.0f} |", flush=True)


if __name__ == "__main__":
    main()
