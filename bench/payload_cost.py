"""The CPU of the payload (what a worker makes of a record) and of the main process, per
text report (issue 17): the stage figures of `throughput.stages` and the main/worker CPU of
`extractor run --jobs 1`, median of --repeat runs. Run by hand:

    python bench/payload_cost.py [--files 300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import throughput as t  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-cli", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        files = t.make_corpus(tmp / "c", args.files, False)
        runs = [t.stages(files, tmp / f"s{r}") for r in range(args.repeat)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print("stages (CPU ms/report, median): "
              + ", ".join(f"{k} {v:.2f}" for k, v in med.items()))
        if not args.no_cli:
            cli = sorted(t.run_cli(tmp / "c", tmp / f"o{r}", 1) for r in range(args.repeat))
            main_ms = statistics.median(c[1] for c in cli) * 1000 / args.files
            work_ms = statistics.median(c[2] for c in cli) * 1000 / args.files
            print(f"run --jobs 1 (CPU ms/report, median): main {main_ms:.2f}, "
                  f"worker {work_ms:.2f}")
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
