"""CPU ms/report of the rules pipeline's stages only (issue 17), and optionally a profile.

Run by hand (median of --repeat runs of bench/throughput.py's `stages` over the same corpus):

    python bench/stages_profile.py [--files 300] [--repeat 3] [--profile 40]

--profile N: afterwards, cProfile read+layout+mapping+verify over the corpus once and print
the N functions with the most own time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput import extract, load, make_corpus, stages, verify, with_rows  # noqa: E402

RULES = ("read+normalize", "layout", "mapping", "verify")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", type=int, default=0, help="print the top N by own time")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        files = make_corpus(tmp / "text", args.files, pdf=False)
        runs = []
        for r in range(args.repeat):
            (tmp / f"r{r}").mkdir()
            runs.append(stages(files, tmp / f"r{r}"))
        med = {k: statistics.median(run[k] for run in runs) for k in runs[0]}
        print(f"stages (CPU ms/report, one process, median of {args.repeat}): " + ", ".join(
            f"{k} {v:.2f}" for k, v in med.items()) + f"; rules {sum(med[k] for k in RULES):.2f}")
        if args.profile:
            def go() -> None:
                for f in files:
                    doc = with_rows(load(f))
                    verify(extract(doc), doc.text)
            prof = cProfile.Profile()
            prof.runcall(go)
            pstats.Stats(prof).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
