"""Kill -9 a bulk run ten times at random moments, then let it finish: every input ends in
the exports exactly once and no worker process outlives its parent.

    python bench/kill_resume.py [--files 300] [--kills 10] [--jobs 2] [--seed 16]

The inputs are copies of the golden reports (each made distinct by a trailing line, so none
is a duplicate of another). Each round starts `extractor run DIR -o OUT`, waits a random
0.5-8 s, sends SIGKILL to the main process only (never its group: the workers must die on
their own), then checks after 5 s that none of the workers it had is still alive. The last
round runs to the end; results.jsonl.gz + errors.jsonl must list every input once, and the
store must hold one result per distinct content.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                kids = {int(x) for x in (task / "children").read_text().split()}
                found |= kids
                todo.extend(kids)
        except FileNotFoundError:
            pass
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--jobs", default="2")
    ap.add_argument("--seed", type=int, default=16)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    golden = sorted((ROOT / "golden" / "inputs").glob("*.txt"))
    with tempfile.TemporaryDirectory(prefix="kill-resume-") as tmp:
        inputs, out = Path(tmp) / "in", Path(tmp) / "out"
        inputs.mkdir()
        for i in range(a.files):
            src = golden[i % len(golden)]
            (inputs / f"{i:03d}_{src.name}").write_text(
                src.read_text(encoding="utf-8") + f"\n副本 {i}\n", encoding="utf-8")
        cmd = [sys.executable, "-m", "extractor", "run", str(inputs), "-o", str(out), "-q",
               "--llm", "off", "--jobs", a.jobs]
        orphans: list[int] = []
        for k in range(a.kills):
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
            wait = rng.uniform(0.5, 8.0)
            seen: set[int] = set()
            end = time.monotonic() + wait
            while time.monotonic() < end and proc.poll() is None:
                seen |= descendants(proc.pid)
                time.sleep(0.05)
            if proc.poll() is not None:
                print(f"round {k + 1}: the run finished before the kill")
                break
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            time.sleep(5)
            left = [p for p in seen if alive(p)]
            orphans += left
            stored = 0
            if (out / "store.sqlite").exists():
                with sqlite3.connect(out / "store.sqlite") as db:
                    stored = db.execute("SELECT count(*) FROM results").fetchone()[0]
            print(f"round {k + 1}: killed after {wait:.1f} s; {len(seen)} workers seen, "
                  f"{len(left)} alive 5 s later; {stored} results stored", flush=True)
        start = time.monotonic()
        final = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        print(f"resume: exit {final.returncode} in {time.monotonic() - start:.1f} s: "
              f"{final.stdout.strip()}")
        results = [json.loads(x)["meta"]["source_file"] for x in gzip.decompress((out / "results.jsonl.gz").read_bytes()).splitlines()]
        errors = [json.loads(x)["file"] for x in (out / "errors.jsonl").read_text().splitlines()]
        names = sorted(p.name for p in inputs.iterdir())
        with sqlite3.connect(out / "store.sqlite") as db:
            distinct = db.execute("SELECT count(DISTINCT sha256), count(*) FROM results").fetchone()
        print(f"inputs {len(names)}; results {len(results)} ({len(set(results))} distinct); "
              f"errors {len(errors)}; store results {distinct[1]} for {distinct[0]} contents; "
              f"orphaned workers {len(orphans)}")
        ok = (sorted(results + errors) == names and distinct[0] == distinct[1]
              and not orphans and final.returncode == 0)
        print("OK" if ok else "FAILED")
        shutil.rmtree(out, ignore_errors=True)
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
