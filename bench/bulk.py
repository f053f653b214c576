"""Bulk run benchmark: N documents through the deterministic path with --jobs, then the same
command again (a resumed run with nothing left to do).

Run by hand:  python bench/bulk.py [--docs 10000] [--jobs 2] [--keep DIR]

The documents are the golden inputs copied with a small variation each (a line appended,
so every copy has its own sha256 and is a distinct document to the store). Prints both
wall times, the peak memory of the largest process (the CLI or one of its workers), the
store's size and the outputs' sizes, and one summary line comparable across commits.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ROOT / "golden" / "inputs"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput import distinct_narrative  # noqa: E402


def make_corpus(folder: Path, n: int) -> None:
    sources = sorted(p for p in INPUTS.iterdir() if p.is_file())
    for i in range(n):
        src = sources[i % len(sources)]
        data = src.read_bytes()
        if src.suffix == ".pdf":
            extra = f"\n% copy {i}\n".encode()
        else:  # sentences of its own, as a real report's (bench/throughput.py)
            data = distinct_narrative(data.decode("utf-8"), f"第{i}份").encode("utf-8")
            extra = (f"\n<!-- copy {i} -->\n" if src.suffix in (".html", ".htm")
                     else f"\n（副本 {i}）\n").encode()
        sub = folder / f"{i // 1000:02d}"
        sub.mkdir(exist_ok=True)
        (sub / f"{i:05d}_{src.name}").write_bytes(data + extra)


def timed_run(corpus: Path, out: Path, jobs: int) -> tuple[float, str]:
    cmd = [sys.executable, "-m", "extractor", "run", str(corpus), "-o", str(out), "--llm", "off",
           "--jobs", str(jobs), "--quiet"]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stdout.strip().splitlines()[-1]


def size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep", type=Path, help="Work in this folder and keep it (default: a temp dir)")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bulk-bench-"))
    corpus, out = work / "corpus", work / "out"
    try:
        if not corpus.exists():
            corpus.mkdir(parents=True)
            t = time.perf_counter()
            make_corpus(corpus, args.docs)
            print(f"corpus: {args.docs} documents, {size_mb(corpus):.1f} MB, "
                  f"made in {time.perf_counter() - t:.1f}s")
        shutil.rmtree(out, ignore_errors=True)
        first, line1 = timed_run(corpus, out, args.jobs)
        print(f"first run:   {first:.1f}s ({args.docs / first:.0f} docs/s)  {line1}")
        second, line2 = timed_run(corpus, out, args.jobs)
        print(f"resumed run: {second:.1f}s (nothing to do)  {line2}")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        store = (out / "store.sqlite").stat().st_size / 1e6
        outputs = {p.name: p.stat().st_size / 1e6 for p in out.iterdir() if p.is_file()}
        print("outputs: " + ", ".join(f"{k} {v:.1f} MB" for k, v in sorted(outputs.items())))
        print(f"BULK docs={args.docs} jobs={args.jobs} first={first:.1f}s resumed={second:.1f}s "
              f"peak_rss={peak:.0f}MB store={store:.0f}MB")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
