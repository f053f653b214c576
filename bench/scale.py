"""Cost per report as a run grows (issue 17: flat from 100 to 10,000 documents), run by hand:

    python bench/scale.py [--sizes 100,1000,10000] [--jobs 2]

For each size, the golden text inputs repeated (each copy made distinct) are run into a new
output folder with `extractor run`; prints CPU ms per report (main process and workers),
wall ms per report, the main process's peak RSS, and KB written per report.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import throughput as t  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        for n in (int(x) for x in args.sizes.split(",")):
            corpus = tmp / f"c{n}"
            t.make_corpus(corpus, n, pdf=False, tag=f"s{n}-")
            out = tmp / f"o{n}"
            wall, main_cpu, workers = t.run_cli(corpus, out, args.jobs)
            size = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"scale: {n} reports --jobs {args.jobs}: CPU {(main_cpu + workers) * 1000 / n:.2f} "
                  f"ms/report (main {main_cpu * 1000 / n:.2f}), wall {wall * 1000 / n:.2f} ms/report, "
                  f"{size / n / 1024:.1f} KB/report, peak RSS so far {rss:.0f} MB", flush=True)


if __name__ == "__main__":
    main()
