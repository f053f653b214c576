"""Deterministic throughput (issue 17): where the time of a text report goes, text and PDF
reports/s, the I/O floor, --jobs 2 vs --jobs 1, bytes written per report, and the cost with
a store that holds earlier runs.

Run by hand on an idle machine (median of --repeat runs):

    python bench/throughput.py [--files 1000] [--pdf-files 6] [--repeat 3] [--history 0]

The corpus is the golden inputs repeated; every copy gets a line appended so it is a
distinct document (the store would otherwise extract identical content once), and a tag
of its own in every narrative sentence, so that what the code caches by text (labels,
lines) helps as it would on real reports, where sentences differ and template labels
repeat. Every timed pass reads a corpus of its own (workers are forked from this process:
they would inherit caches warmed by an earlier pass over the same texts). Sections:

- stages: CPU ms/report of each stage over the text corpus, in one process collecting
  garbage as a worker does (read+decode,
  normalize is part of ingest; layout; mapping; verify; the payload: one serialization,
  store rows and export lines; the store insert; the export write);
- floor: read + decode + a regex scan of the same files (CPU), and the ratio of the run to
  it (wall time, and CPU time: on a busy machine only the CPU ratio means anything);
- run: `extractor run` over the text corpus with --jobs 1 and --jobs 2: reports/s, the
  speed-up, the main process's share of the CPU; the CPU of a run of one report (what every
  run costs: a new store, a worker, the panel, the exports) and the CPU per report beyond it;
  `--jobs 1` over the complete golden reports alone (real reports are complete: longer
  than the excerpts, with fewer missing cells, and dearer);
  over the PDF corpus: reports/s, ms/page;
- bytes: what the run wrote per report (each output file, and the store), over the corpus
  (the golden inputs: 10 of the 19 are cut-off excerpts, full of missing cells) and over
  the complete golden reports alone (closer to real reports);
- history (--history K): the text corpus run again after K earlier runs of other content
  into the same store, CPU ms/report before and after.

Ends with one summary line comparable across commits (``throughput: ...``).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import re
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's packages, not an installed copy

from click.testing import CliRunner  # noqa: E402

from extractor.cli import main  # noqa: E402
from extractor.ingest.reader import load  # noqa: E402
from extractor.layout import with_rows  # noqa: E402
from extractor.mapping.report import extract  # noqa: E402
from extractor.outputs.export import write_run  # noqa: E402
from extractor.store.store import Store, sha256_file  # noqa: E402
from verify import verify  # noqa: E402

NUMBER = re.compile(r"\d[\d,.]*")


#: A narrative sentence (not a table row, not a heading such as "二、主动公开政府信息情况",
#: which real reports share): its first of these gets the copy's tag after it.
_PAUSES = ("，", "。")


def distinct_narrative(text: str, tag: str) -> str:
    """`text` with `tag` after the first pause of every narrative line: copies of one report
    then share their tables (as real reports share the template's labels) but not their
    sentences, so nothing the code caches by text carries from one copy to the next (a
    real corpus's narrative is its own in every report). Extraction is unchanged."""
    lines = text.split("\n")
    for k, line in enumerate(lines):
        if len(line) > 8 and "|" not in line and "\t" not in line and "<td" not in line.lower():
            pause = next((p for p in _PAUSES if p in line), None)
            if pause is not None:
                lines[k] = line.replace(pause, pause + tag, 1)
    return "\n".join(lines)


def make_corpus(folder: Path, n: int, pdf: bool, tag: str = "",
                complete: bool = False) -> list[Path]:
    """`complete`: only the golden reports that are not cut-off excerpts. Each copy is a
    distinct document (a line appended) with sentences of its own (`distinct_narrative`);
    `tag` keeps two corpora apart."""
    inputs = sorted(p for p in (ROOT / "golden" / "inputs").iterdir()
                    if (p.suffix == ".pdf") == pdf
                    and not (complete and p.name.startswith("excerpt_")))
    folder.mkdir(parents=True)
    out = []
    for i, src in zip(range(n), itertools.cycle(inputs)):
        dst = folder / f"{i:05d}_{src.name}"
        if src.suffix == ".pdf":
            dst.write_bytes(src.read_bytes() + f"\n% copy {tag}{i}\n".encode())
        else:
            extra = f"\n<!-- copy {tag}{i} -->\n" if src.suffix == ".html" else f"\n（副本 {tag}{i}）\n"
            text = distinct_narrative(src.read_bytes().decode("utf-8"), f"第{tag}{i}份")
            dst.write_bytes((text + extra).encode("utf-8"))
        out.append(dst)
    return out


def cpu() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def floor_ms(files: list[Path]) -> float:
    """Read, decode and regex-scan every file: the cost no extraction can go below."""
    t0 = time.process_time()
    found = 0
    for f in files:
        text = f.read_bytes().decode("utf-8", errors="replace")
        found += len(NUMBER.findall(text))
    assert found
    return (time.process_time() - t0) * 1000 / len(files)


def stages(files: list[Path], tmp: Path) -> dict[str, float]:
    """CPU ms/report of each stage, in this process (CPU, not wall time: the figures hold
    on a busy machine too)."""
    from extractor.outputs.spool import Spool
    from extractor.run.payload import pack

    spent = dict.fromkeys(("read+normalize", "layout", "mapping", "verify", "payload",
                           "store insert", "export write"), 0.0)

    def timed(name: str, fn: Callable[[], object]) -> object:
        t0 = time.process_time()
        value = fn()
        spent[name] += time.process_time() - t0
        return value

    out = tmp / "stages"
    thresholds = gc.get_threshold()
    gc.freeze()  # collect garbage as a worker process does (extractor/run/worker.py `_serve`)
    gc.set_threshold(20_000, 20, 20)
    try:
        with Store(out) as store, Spool(out) as spool:
            run_id = store.begin_run("bench", "bench", [], "bench")
            store.group_commits()  # as `extractor run` commits
            for seq, f in enumerate(files):
                doc = timed("read+normalize", lambda f=f: load(f))
                doc = timed("layout", lambda d=doc: with_rows(d))
                ex = timed("mapping", lambda d=doc: extract(d))
                rec = timed("verify", lambda e=ex, d=doc: verify(e, d.text))
                sha = sha256_file(f)
                p = timed("payload", lambda r=rec, f=f, s=seq, h=sha: pack(r, f, s, h))

                def insert(p=p, f=f, s=seq, h=sha) -> None:
                    store.add_rows(run_id, s, f, h, f.stat().st_size, p.rows, "bench", {},
                                   "bench")
                    spool.add(s, p.lines)
                timed("store insert", insert)
            timed("export write", lambda: write_run(store, run_id, out, spool=spool))
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
    return {k: v * 1000 / len(files) for k, v in spent.items()}


def run_cli(corpus: Path, out: Path, jobs: int) -> tuple[float, float, float]:
    """(wall s, main-process CPU s, worker CPU s) of `extractor run`."""
    c0, k0 = cpu()
    t0 = time.perf_counter()
    result = CliRunner().invoke(main, ["run", str(corpus), "-o", str(out), "-q",
                                       "--jobs", str(jobs)])
    wall = time.perf_counter() - t0
    c1, k1 = cpu()
    assert result.exit_code == 0, result.output
    return wall, c1 - c0, k1 - k0


def median_run(corpus: Path, tmp: Path, jobs: int, repeat: int) -> tuple[float, float, float]:
    runs = []
    for r in range(repeat):
        out = tmp / f"out-j{jobs}-{r}"
        runs.append(run_cli(corpus, out, jobs))
    runs.sort()
    return runs[len(runs) // 2]


def output_bytes(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(out.iterdir()) if p.is_file()
            and not p.name.startswith(".")} | {
        "store (with WAL)": sum(p.stat().st_size for p in out.glob("store.sqlite*"))}


def pdf_pages(files: list[Path]) -> int:
    import pypdfium2 as pdfium

    return sum(len(pdfium.PdfDocument(str(f))) for f in files)


def main_() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=1000, help="text reports in the corpus")
    ap.add_argument("--pdf-files", type=int, default=6, help="PDF reports (0: none)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure (the median)")
    ap.add_argument("--history", type=int, default=0,
                    help="earlier runs of other content before a last timed run")
    ap.add_argument("--no-stages", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        files = make_corpus(tmp / "text", args.files, pdf=False)
        floor = statistics.median(floor_ms(files) for _ in range(3))
        print(f"floor: read+decode+regex {floor:.3f} CPU ms/report")
        if not args.no_stages:
            st = stages(make_corpus(tmp / "stages", args.files, pdf=False, tag="st-"), tmp)
            total = sum(st.values())
            print("stages (CPU ms/report, one process): " + ", ".join(
                f"{k} {v:.2f}" for k, v in st.items()) + f"; total {total:.2f}")
        w1, m1, k1 = median_run(tmp / "text", tmp, 1, args.repeat)
        w2, m2, k2 = median_run(tmp / "text", tmp, 2, args.repeat)
        n = args.files
        # What a run costs whatever its size (a new store, forking a worker, the panel, the
        # exports' headers): a run of one report. The per-report figure is the rest.
        make_corpus(tmp / "one", 1, pdf=False, tag="one-")
        wf, mf, kf = median_run(tmp / "one", tmp / "one-out", 1, args.repeat)
        marginal = ((m1 + k1) - (mf + kf)) * 1000 / (n - 1)
        print(f"text --jobs 1 per report (the run of {n} less a run of 1: {wf:.2f} s, CPU "
              f"{mf + kf:.2f} s): CPU {marginal:.2f} ms/report, {1000 / marginal:.0f} reports/s")
        print(f"text --jobs 1: {n / w1:.0f} reports/s, {w1 * 1000 / n:.2f} ms/report, "
              f"{w1 * 1000 / n / floor:.0f}x the floor; CPU {(m1 + k1) * 1000 / n:.2f} ms/report "
              f"({(m1 + k1) * 1000 / n / floor:.0f}x the floor)")
        print(f"text --jobs 2: {n / w2:.0f} reports/s, speed-up {w1 / w2:.2f}x, CPU "
              f"{(m2 + k2) / (m1 + k1):.2f}x of --jobs 1, main process {m2 / (m2 + k2):.0%} "
              f"of the CPU ({m2 * 1000 / n:.2f} ms/report)")
        sizes = output_bytes(tmp / "out-j1-0")
        per = {k: v / n / 1024 for k, v in sizes.items() if k != "store.sqlite"}
        print("bytes (KB/report): " + ", ".join(f"{k} {v:.1f}" for k, v in per.items())
              + f"; total {sum(per.values()):.1f}")
        # The golden inputs are half cut-off excerpts (few rows, many missing cells); real
        # reports are complete, longer and dearer: the figure a year's corpus would see.
        make_corpus(tmp / "complete", n, pdf=False, tag="c-", complete=True)
        wc, mc, kc = median_run(tmp / "complete", tmp / "out-complete", 1, args.repeat)
        full = (f"complete reports only {n / wc:.0f} reports/s ({wc * 1000 / n:.2f} ms, "
                f"CPU {(mc + kc) * 1000 / n:.2f} ms)")
        print(f"text --jobs 1, {full}")
        sizes = output_bytes(tmp / "out-complete" / "out-j1-0")
        per_full = {k: v / n / 1024 for k, v in sizes.items() if k != "store.sqlite"}
        print("bytes, complete reports only (KB/report): " + ", ".join(
            f"{k} {v:.1f}" for k, v in per_full.items()) + f"; total {sum(per_full.values()):.1f}")
        pdf_line = ""
        if args.pdf_files:
            pdfs = make_corpus(tmp / "pdf", args.pdf_files, pdf=True)
            (tmp / "pdfout").mkdir()
            wp, mp_, kp = median_run(tmp / "pdf", tmp / "pdfout", 1, args.repeat)
            pages = pdf_pages(pdfs)
            # As for text: a run's fixed cost is a run of one PDF; the per-page figure is the rest.
            one = make_corpus(tmp / "pdf-one", 1, pdf=True, tag="one-")
            _, mo, ko = median_run(tmp / "pdf-one", tmp / "pdf-one-out", 1, args.repeat)
            extra = pages - pdf_pages(one)
            per_page = ((mp_ + kp) - (mo + ko)) * 1000 / extra if extra > 0 else float("nan")
            pdf_line = (f", PDF {args.pdf_files / wp:.2f} reports/s ({wp * 1000 / pages:.0f} "
                        f"ms/page; past a run's fixed cost CPU {per_page:.0f} ms/page)")
            print(f"pdf --jobs 1: {args.pdf_files / wp:.2f} reports/s, {pages} pages, "
                  f"{wp * 1000 / pages:.0f} ms/page; per page past a run's fixed cost (the run "
                  f"less a run of one PDF, CPU {mo + ko:.2f} s): CPU {per_page:.1f} ms/page")
        if args.history:
            hist = tmp / "hist"
            first = sum(run_cli(tmp / "text", hist, 1)[1:])
            for h in range(args.history):
                make_corpus(tmp / f"h{h}", args.files, pdf=False, tag=f"h{h}-")
                run_cli(tmp / f"h{h}", hist, 1)
            make_corpus(tmp / "last", args.files, pdf=False, tag="last-")
            last = sum(run_cli(tmp / "last", hist, 1)[1:])
            print(f"history: CPU {first * 1000 / n:.2f} ms/report into an empty store, "
                  f"{last * 1000 / n:.2f} after {args.history + 1} earlier runs")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"throughput: text {n / w1:.0f} reports/s ({w1 * 1000 / n:.2f} ms, CPU "
              f"{(m1 + k1) * 1000 / n:.2f} ms, {(m1 + k1) * 1000 / n / floor:.0f}x floor; "
              f"per report past a run's fixed cost CPU {marginal:.2f} ms; {full}), "
              f"--jobs 2 {w1 / w2:.2f}x, main CPU "
              f"{m2 / (m2 + k2):.0%}, {sum(per.values()):.0f} KB/report "
              f"({sum(per_full.values()):.0f} complete reports only){pdf_line}, "
              f"peak RSS {rss:.0f} MB ({n} reports, pid {os.getpid()})")


if __name__ == "__main__":
    main_()
