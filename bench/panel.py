"""Panel benchmark: the panel step (`extractor panel`) on N reports, run by hand.

    python bench/panel.py [--docs 10000] [--years 5] [--keep DIR]

Fabricates N records cheaply: the golden inputs are extracted once, then copied into a
results.jsonl with agency names and years assigned so that N / years agencies each have
`years` consecutive reports (every record keeps its text, as a real run's do). Times the
panel step on it (reading and parsing every record, building the panel, writing
panel*.csv) and prints one summary line comparable across commits, with the peak memory:
`panel` is `extractor panel OUT` (reads every record), `in_run` what `extractor run` adds
(it hands the panel each record while writing the exports), `read_only` the reading alone;
wall and CPU seconds (CPU is what to compare on a shared machine).
Compare with bench/bulk.py's first-run time for the same N (the README's bench table).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fabricate(results: Path, n: int, years: int) -> None:
    from extractor.run.pipeline import process
    from extractor.schema import Located, Record

    base = [r for p in sorted((ROOT / "golden" / "inputs").iterdir())
            if isinstance(r := process(p), Record)]
    with open(results, "w", encoding="utf-8") as fh:
        for i in range(n):
            r = base[i % len(base)]
            agency, year = f"第{i // years}号县卫生健康局", 2019 + i % years
            meta = r.meta.model_copy(update={
                "agency": Located(value=agency, span=r.meta.agency.span),
                "year": Located(value=year, span=r.meta.year.span),
                "source_file": f"{i:05d}_{r.meta.source_file}", "sha256": f"{i:064x}"})
            fh.write(r.model_copy(update={"meta": meta}).model_dump_json() + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=10000)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--keep", type=Path, default=None, help="keep the files in DIR")
    args = ap.parse_args()
    from extractor.outputs.items import read_run
    from extractor.panel import PanelBuilder, panel_step

    work = args.keep or Path(tempfile.mkdtemp(prefix="panel-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results = work / "results.jsonl"
    t0 = time.perf_counter()
    fabricate(results, args.docs, args.years)
    made = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    parsed = sum(1 for _ in read_run(results))
    parse, parse_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    panel = panel_step(read_run(results), work)
    took, took_cpu = time.perf_counter() - t0, time.process_time() - c0
    stats = (panel.agencies, panel.links, panel.outcomes("X1"), len(panel.flags))
    del panel
    # What `extractor run` adds: it hands the panel each record while writing the exports,
    # so the records are not read a second time: building and writing only.
    builder = PanelBuilder()
    in_run = in_run_cpu = 0.0
    for item in read_run(results):
        t1, c1 = time.perf_counter(), time.process_time()
        builder.add(item)
        in_run += time.perf_counter() - t1
        in_run_cpu += time.process_time() - c1
    t1, c1 = time.perf_counter(), time.process_time()
    panel_step(builder, work)
    in_run += time.perf_counter() - t1
    in_run_cpu += time.process_time() - c1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    agencies, links, x1, findings = stats
    print(f"fabricated {parsed} records in {made:.1f}s ({results.stat().st_size // 2**20} MB); "
          f"reading them alone takes {parse:.1f}s", file=sys.stderr)
    print(f"PANEL docs={args.docs} agencies={agencies} links={links} "
          f"x1_pass={x1['pass']} x1_fail={x1['fail']} findings={findings} "
          f"panel={took:.1f}s read_only={parse:.1f}s in_run={in_run:.1f}s (cpu: panel={took_cpu:.1f}s "
          f"read_only={parse_cpu:.1f}s in_run={in_run_cpu:.1f}s) peak_rss={peak}MB")
    if args.keep is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
