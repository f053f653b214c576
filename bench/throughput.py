"""Deterministic throughput: `extractor run` over the golden inputs repeated to N files.

Run by hand:  python bench/throughput.py [--files 1000] [--no-pdf]

Every copy gets a line appended so it is a distinct document (the run store would
otherwise extract identical content once). `--no-pdf` leaves the PDF out: pdfplumber's
layout analysis costs about 1.5 s for a 6-page report, 100 times a text report.
Ends with one summary line comparable across commits:
``throughput: <reports/s> reports/s, peak RSS <MB> MB (...)``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's packages, not an installed copy

from click.testing import CliRunner  # noqa: E402

from extractor.cli import main  # noqa: E402


def main_() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--no-pdf", action="store_true", help="text, markdown and HTML inputs only")
    args = ap.parse_args()
    inputs = sorted(p for p in (ROOT / "golden" / "inputs").iterdir()
                    if not (args.no_pdf and p.suffix == ".pdf"))
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for i in range(args.files):
            src = inputs[i % len(inputs)]
            extra = {".pdf": f"\n% copy {i}\n", ".html": f"\n<!-- copy {i} -->\n"}.get(
                src.suffix, f"\n（副本 {i}）\n")
            (corpus / f"{i:05d}_{src.name}").write_bytes(src.read_bytes() + extra.encode())
        out = Path(tmp) / "out"
        t0 = time.perf_counter()
        result = CliRunner().invoke(main, ["run", str(corpus), "-o", str(out), "-q"])
        elapsed = time.perf_counter() - t0
        assert result.exit_code == 0, result.output
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        run_summary = result.stdout.strip().rsplit(" -> ", 1)[0]
        print(f"run: {run_summary}")
        print(f"throughput: {args.files / elapsed:.0f} reports/s, peak RSS {peak_mb:.0f} MB "
              f"({args.files} reports in {elapsed:.2f}s, one process"
              f"{', no PDF' if args.no_pdf else ''})")


if __name__ == "__main__":
    main_()
