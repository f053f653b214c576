"""Brief cy7: medians of bench/compile_ab.sh's alternating runs (compiled vs interpreted).

    python bench/compile_ab_table.py /tmp/cy-ab
"""

from __future__ import annotations

import glob
import re
import statistics as st
import sys


def parse(path: str) -> dict[str, float]:
    d: dict[str, float] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("stages"):
                for k, v in re.findall(r"([a-z+ ]+?) (\d+\.\d+)", line.split(":", 1)[1]):
                    d[k.strip()] = float(v)
            m = re.search(r"text --jobs 1: .*?, (\d+\.\d+) ms/report.*CPU (\d+\.\d+) ms/report",
                          line)
            if m:
                d["wall"], d["cpu"] = float(m[1]), float(m[2])
    return d


def main() -> None:
    src = sys.argv[1]
    rounds = sorted({int(p.rsplit("-", 1)[1][:-4]) for p in glob.glob(f"{src}/stages-on-*.txt")})
    for kind in ("stages", "tp"):
        on = [parse(f"{src}/{kind}-on-{r}.txt") for r in rounds]
        off = [parse(f"{src}/{kind}-off-{r}.txt") for r in rounds]
        print(f"-- {kind} ({len(rounds)} alternating pairs)")
        print(f"{'stage':16} {'interpreted':>11} {'compiled':>9} {'ratio':>6}  pair ratios")
        for k in on[0]:
            a = st.median(o[k] for o in off)
            b = st.median(o[k] for o in on)
            rs = [x[k] / y[k] for x, y in zip(on, off, strict=True)]
            print(f"{k:16} {a:11.2f} {b:9.2f} {st.median(rs):6.2f}  "
                  + " ".join(f"{r:.2f}" for r in rs))


if __name__ == "__main__":
    main()
