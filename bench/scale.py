"""Cost per report as a run grows (issue 17: flat from 100 to 10,000 documents), run by hand:

    python bench/scale.py [--sizes 100,1000,10000] [--jobs 2]

For each size, the golden text inputs repeated (each copy made distinct) are run into a new
output folder with `extractor run`, in a process of its own (so each size's peak memory is
its own, not the largest so far); prints CPU ms per report (main process and workers), wall
ms per report, the main process's peak RSS (principle 4: flat in the number of reports),
and KB written per report.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import throughput as t  # noqa: E402


def one(tmp: Path, n: int, jobs: int) -> None:
    """One size, in this process: the corpus, the run, its line."""
    corpus = tmp / f"c{n}"
    t.make_corpus(corpus, n, pdf=False, tag=f"s{n}-")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = tmp / f"o{n}"
    wall, main_cpu, workers = t.run_cli(corpus, out, jobs)
    size = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"scale: {n} reports --jobs {jobs}: CPU {(main_cpu + workers) * 1000 / n:.2f} "
          f"ms/report (main {main_cpu * 1000 / n:.2f}), wall {wall * 1000 / n:.2f} ms/report, "
          f"{size / n / 1024:.1f} KB/report, main peak RSS {rss:.0f} MB "
          f"({before:.0f} MB before the run)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a size, in this process
    ap.add_argument("--tmp", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        one(args.tmp, args.one, args.jobs)
        return
    with tempfile.TemporaryDirectory() as name:
        for n in (int(x) for x in args.sizes.split(",")):
            subprocess.run([sys.executable, __file__, "--one", str(n), "--jobs", str(args.jobs),
                            "--tmp", name], check=True)


if __name__ == "__main__":
    main()
