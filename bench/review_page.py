"""The review page for a large batch: time to write it, its size, time for a browser to show it.

Run by hand:  python bench/review_page.py [--reports 1000] [--no-browser]

The golden inputs are extracted once; their records are repeated to N reports (each with its
own sha256 and file name, so each is a distinct report on the page) and written with
`extractor.review.page.write_review` with every report on the page (as `--all`). Then the
page is opened in headless Chromium (/usr/bin/chromium, via playwright): the time until the
first report is drawn (table view, flags, source), the time to open another report, and
the time to download decisions.csv. Ends with one summary line comparable across commits:
``review page: <N> reports, <MB> MB, write <s> s, first report <s> s, switch <ms> ms``.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's packages, not an installed copy

from extractor.review.page import write_review  # noqa: E402
from extractor.run.pipeline import process  # noqa: E402
from extractor.schema import Record  # noqa: E402


def records(n: int) -> list[Record]:
    base = [r for r in (process(p) for p in sorted((ROOT / "golden" / "inputs").iterdir()))
            if isinstance(r, Record)]
    out = []
    for i in range(n):
        r = base[i % len(base)]
        meta = r.meta.model_copy(update={
            "sha256": hashlib.sha256(f"{r.meta.sha256}{i}".encode()).hexdigest(),
            "source_file": f"{i:05d}_{r.meta.source_file}"})
        out.append(r.model_copy(update={"meta": meta}))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=1000)
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    batch = records(args.reports)
    with tempfile.TemporaryDirectory() as tmp:
        dest = Path(tmp) / "review"
        t0 = time.perf_counter()
        result = write_review(batch, dest, include_all=True, source=str(dest))
        write_s = time.perf_counter() - t0
        size = result.page.stat().st_size
        print(f"wrote {result.reports} reports, {result.flags} flags, {result.rows} decision rows "
              f"in {write_s:.2f} s; index.html {size / 1e6:.1f} MB, decisions.csv "
              f"{result.decisions.stat().st_size / 1e6:.1f} MB")
        first = switch = download = float("nan")
        if not args.no_browser:
            first, switch, download = browse(result.page, args.reports)
        print(f"review page: {result.reports} reports, {size / 1e6:.1f} MB, write {write_s:.2f} s, "
              f"first report {first:.2f} s, switch {switch * 1000:.0f} ms, "
              f"download {download:.2f} s")


def browse(page_path: Path, n: int) -> tuple[float, float, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
        t0 = time.perf_counter()
        page.goto(page_path.as_uri(), wait_until="load")
        page.wait_for_selector("#tables td.g")
        first = time.perf_counter() - t0
        times = []
        for i in (n // 2, n - 1, 1, n // 3):
            t0 = time.perf_counter()
            page.evaluate(f"document.querySelector('#report-list button[data-report=\"{i}\"]').click()")
            page.wait_for_selector(f"#report[data-report='{i}']")
            times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with page.expect_download():
            page.click("#download")
        download = time.perf_counter() - t0
        browser.close()
    return first, sorted(times)[len(times) // 2], download


if __name__ == "__main__":
    main()
