"""Deterministic throughput: `extractor run` over the golden inputs repeated to N files.

Run by hand:  python bench/throughput.py [--files 1000]
Ends with one summary line comparable across commits:
``throughput: <reports/s> reports/s, peak RSS <MB> MB (...)``.
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
sys.path.insert(0, str(ROOT))  # this checkout's packages, not an installed copy

from click.testing import CliRunner  # noqa: E402

from extractor.cli import main  # noqa: E402


def main_() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=1000)
    args = ap.parse_args()
    inputs = sorted((ROOT / "golden" / "inputs").iterdir())
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for i in range(args.files):
            src = inputs[i % len(inputs)]
            shutil.copy(src, corpus / f"{i:05d}_{src.name}")
        out = Path(tmp) / "out"
        t0 = time.perf_counter()
        result = CliRunner().invoke(main, ["run", str(corpus), "-o", str(out), "-q"])
        elapsed = time.perf_counter() - t0
        assert result.exit_code == 0, result.output
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        run_summary = result.stdout.strip().rsplit(" -> ", 1)[0]
        print(f"run: {run_summary}")
        print(f"throughput: {args.files / elapsed:.0f} reports/s, peak RSS {peak_mb:.0f} MB "
              f"({args.files} reports in {elapsed:.2f}s, one process)")


if __name__ == "__main__":
    main_()
