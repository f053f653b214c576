"""`extractor review OUT`: the review page and decisions.csv.

Unit tests read the generated files; the browser tests open the page in headless Chromium
(the system's /usr/bin/chromium driven by playwright) and click through it.
"""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import html.parser
import io
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor.cli import main
from extractor.outputs.options import OutputOptions
from extractor.outputs.rows import BatchWriter, _issue_span
from extractor.review.decisions import COLUMNS, DECISIONS
from extractor.review.decisions import read_decisions as read_decision_rows
from extractor.review.page import ReviewError, load_records, script_json, segments
from extractor.run.pipeline import process
from extractor.schema import (
    LAYOUTS,
    SCHEMA_VERSION,
    CellState,
    CellStatus,
    Correction,
    Issue,
    Record,
    iter_cells,
    title,
)
from extractor.store.store import Store

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "inputs"
FLAGGED = ("haining_health_2020.txt", "pingtan_office_2021.txt", "putuo_health_2020.txt")
CLEAN = "lvyuan_health_2020.txt"  # no flags: on the page only with --all

#: Markup a hostile report carries in its text, file name, agency, messages and reasons.
#: Each would set window.__pwned (or open a dialog, or load something) if it ever ran.
HOSTILE = ('<script>window.__pwned=1;alert(1)</script> <img src=x onerror="window.__pwned=2">'
           ' </script><script>window.__pwned=3</script> <a href="javascript:window.__pwned=4">'
           "link</a> <svg onload=window.__pwned=5> \u2028 \u2029 & &amp; <!-- ]]> ${x} {{x}}")
HOSTILE_FILE = "<img src=x onerror=alert(1)>.txt"


#: Text a spreadsheet runs as a formula when it opens a CSV (CSV injection).
FORMULA = '=HYPERLINK("http://evil.example","click")'


def hostile_record(folder: Path) -> Record:
    """海宁's report with hostile markup and an astral character (𠮷, two UTF-16 units) in
    its text before every table, and in every other string the page shows."""
    lines = (GOLDEN / "haining_health_2020.txt").read_text("utf-8").split("\n")
    text = "\n".join([*lines[:2], "𠮷" + HOSTILE, *lines[2:]])
    path = folder / HOSTILE_FILE
    path.write_text(text, "utf-8")
    record = process(path)
    assert isinstance(record, Record), record
    assert HOSTILE in record.text and record.flags
    record.meta.agency.value = "<script>window.__pwned=6</script>海宁"
    record.flags.append(Issue(rule="META<b>", key="META:<i>x</i>", message=HOSTILE, paths=[]))
    first = next(c for c in iter_cells(record.tables) if c.status is CellStatus.FLAGGED)
    first.reasons.append(HOSTILE)
    first.reasons.insert(0, FORMULA)  # what a spreadsheet would run, first in its reasons
    return record


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> list[Record]:
    """Records of a small batch: three reports with flags, one hostile, one without flags."""
    folder = tmp_path_factory.mktemp("inputs")
    found = [process(GOLDEN / name) for name in (*FLAGGED, CLEAN)]
    assert all(isinstance(r, Record) for r in found)
    return [*found, hostile_record(folder)]  # type: ignore[list-item]


@pytest.fixture(scope="module")
def run_out(records: list[Record], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder as `extractor run --with-text` leaves it (the results carry the text
    the page shows; there is no store), reviewed with `extractor review`."""
    out = tmp_path_factory.mktemp("out")
    with BatchWriter(out, options=OutputOptions(with_text=True)) as writer:
        for r in records:
            writer.add(r)
    result = CliRunner().invoke(main, ["review", str(out)])
    assert result.exit_code == 0, result.output
    return out


def page_html(out: Path) -> str:
    return (out / "review" / "index.html").read_text("utf-8")


def json_blocks(page: str) -> dict[str, object]:
    """The page's data blocks by id (r0, r1, … and index), parsed as JSON."""
    blocks = re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>', page, re.S)
    return {name: json.loads(body) for name, body in blocks}


def read_decisions(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        return list(reader)


def on_page(records: list[Record]) -> list[Record]:
    return [r for r in records if r.flags]


# --- the text cut into segments -------------------------------------------------------------


def test_segments_cut_at_code_points_so_astral_characters_do_not_shift_spans() -> None:
    text = "𠮷局 12 件"  # 𠮷 is one code point, two UTF-16 units
    assert segments(text, [(3, 5)]) == ["𠮷局 ", ["12", [0], []], " 件"]


def test_segments_keep_every_character_and_mark_overlaps_and_blank_cells() -> None:
    text = "abcdefgh"
    segs = segments(text, [(1, 4), (1, 4), (3, 3), (6, 6)], [(2, 7)])
    assert "".join(s if isinstance(s, str) else s[0] for s in segs) == text
    assert segs == ["a", ["b", [0, 1], []], ["c", [0, 1], [0]], ["", [2], [0]],
                    ["d", [0, 1], [0]], ["ef", [], [0]], ["", [3], [0]], ["g", [], [0]], "h"]


def test_a_blank_cell_at_the_end_of_a_flag_span_belongs_to_the_flag() -> None:
    assert segments("a1 b", [(1, 2), (3, 3)], [(1, 3)]) == [
        "a", ["1", [0], [0]], [" ", [], [0]], ["", [1], [0]], "b"]


def test_segments_ignore_spans_outside_the_text() -> None:
    assert segments("abc", [None, (2, 99), (5, 1)]) == ["ab", ["c", [1], []]]


def test_script_json_cannot_close_its_script_element() -> None:
    payload = {"t": "</script><!-- \u2028\u2029 & <b>"}
    encoded = script_json(payload)
    assert not set("<>&\u2028\u2029") & set(encoded)
    assert json.loads(encoded) == payload


# --- decisions.csv ----------------------------------------------------------------------


def test_decisions_csv_has_one_undecided_row_per_flagged_cell_of_each_report_with_flags(
        run_out: Path, records: list[Record]) -> None:
    raw = (run_out / "review" / "decisions.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, for Excel"
    rows = read_decisions(run_out / "review" / "decisions.csv")
    expected = [(r.meta.sha256, r.meta.source_file, c.path, c.state.value)
                for r in on_page(records) for c in iter_cells(r.tables)
                if c.status is CellStatus.FLAGGED]
    assert [(x["sha256"], x["file"], x["path"], x["machine_state"]) for x in rows] == expected
    assert all(x["status"] == "flagged" for x in rows)
    assert all(x[k] == "" for x in rows for k in ("decision", "value", "reviewer", "note"))
    assert CLEAN not in {x["file"] for x in rows}


def test_decisions_csv_neutralises_formulas_and_the_import_takes_them_back(
        run_out: Path, tmp_path: Path) -> None:
    raw = (run_out / "review" / "decisions.csv").read_text("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(raw, newline="")))
    hostile = [r for r in rows if FORMULA in r["reasons"]]
    assert len(hostile) == 1 and hostile[0]["reasons"].startswith("'" + FORMULA)
    assert not [r for r in rows for v in r.values() if v and v[0] in "=+@\t\r"]
    # a reviewer's name and note that spreadsheets would run, neutralised in the file,
    # are imported as the reviewer wrote them; a set value such as -47 stays a number
    row = dict(hostile[0], decision="set", value="0", reviewer="'=cmd|' /C calc'!A0",
               note="'@SUM(1+1)")
    decisions = tmp_path / "decisions.csv"
    with open(decisions, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(hostile[0]))
        w.writeheader()
        w.writerow(row)
    (decided,), undecided = read_decision_rows(decisions)
    assert undecided == 0
    assert decided.correction.reviewer == "=cmd|' /C calc'!A0"
    assert decided.correction.note == "@SUM(1+1)"


def test_decisions_csv_prints_machine_values_as_correct_reads_them(run_out: Path) -> None:
    rows = read_decisions(run_out / "review" / "decisions.csv")
    by = {(x["file"], x["path"]): x for x in rows}
    number = by[("haining_health_2020.txt", "s3.new_received.natural_person")]
    assert (number["machine_value"], number["machine_state"]) == ("1", "number")
    blank = by[("haining_health_2020.txt", "s3.carried_over.natural_person")]
    assert (blank["machine_value"], blank["machine_state"]) == ("", "blank")
    layout = by[("pingtan_office_2021.txt", "s2.normative_documents.issued")]
    assert layout["machine_value"] == "<unreadable>" and layout["reasons"]
    assert layout["label"] == "规范性文件·本年制发件数"


def test_review_all_shows_reports_without_flags_too(run_out: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["review", str(run_out), "-o", str(tmp_path / "r"), "--all"])
    assert result.exit_code == 0, result.output
    index = json_blocks((tmp_path / "r" / "index.html").read_text("utf-8"))["index"]
    assert CLEAN in [e["f"] for e in index["reports"]]  # type: ignore[index]
    assert (tmp_path / "r" / "decisions.csv").read_bytes() == (
        run_out / "review" / "decisions.csv").read_bytes(), "rows are per flagged cell either way"


# --- the page -------------------------------------------------------------------------------


def test_page_holds_each_report_with_flags_its_text_exactly_and_every_flagged_cell(
        run_out: Path, records: list[Record]) -> None:
    blocks = json_blocks(page_html(run_out))
    index = blocks["index"]
    shown = on_page(records)
    assert [e["f"] for e in index["reports"]] == [r.meta.source_file for r in shown]  # type: ignore[index]
    assert index["skipped"] == 1  # type: ignore[index]
    for i, record in enumerate(shown):
        data = blocks[f"r{i}"]
        assert data["sha"] == record.meta.sha256  # type: ignore[index]
        text = "".join(s if isinstance(s, str) else s[0] for s in data["seg"])  # type: ignore[index]
        assert text == record.text
        cells = {c["p"]: c for c in data["cells"]}  # type: ignore[index]
        for cell in iter_cells(record.tables):
            if cell.status is CellStatus.FLAGGED:
                assert cells[cell.path]["st"] == "flagged"
            if cell.span is not None:  # every printed number is highlighted
                assert cells[cell.path]["sp"] == list(cell.span)


def test_inferred_cells_carry_their_status_and_placement_to_the_page(
        run_out: Path, records: list[Record]) -> None:
    html = page_html(run_out)
    blocks = json_blocks(html)
    i = [r.meta.source_file for r in on_page(records)].index("pingtan_office_2021.txt")
    cells = {c["p"]: c for c in blocks[f"r{i}"]["cells"]}  # type: ignore[index]
    # pingtan's section 三 is one glued digit run per row: every cut was the identities' choice.
    assert cells["s3.new_received.total"]["st"] == "inferred"
    assert cells["s3.new_received.total"]["pl"] == "identities"
    assert "pl" not in cells["s2.regulations.issued"]  # '规章 0 0 0': read where printed
    entry = blocks["index"]["reports"][i]  # type: ignore[index]
    assert entry["n"]["inferred"] == 190 and entry["n"]["verified"] == 0
    assert 'class="key inferred"' in html


def test_each_flag_lists_its_numbers_and_points_where_flags_csv_points(
        run_out: Path, records: list[Record]) -> None:
    blocks = json_blocks(page_html(run_out))
    for i, record in enumerate(on_page(records)):
        data = blocks[f"r{i}"]
        by_path = {c.path: c for c in iter_cells(record.tables)}
        assert [f["k"] for f in data["flags"]] == [f.key for f in record.flags]  # type: ignore[index]
        for flag, issue in zip(data["flags"], record.flags, strict=True):  # type: ignore[index]
            span = _issue_span(issue, by_path)
            assert flag["sp"] == (list(span) if span else None)
            assert [data["cells"][c]["p"] for c in flag["c"]] == issue.paths  # type: ignore[index]
            assert flag["r"] == issue.rule and flag["m"] == issue.message


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and self.tags[-1][1].get("type") is None:
            self.scripts.append(data)


def test_hostile_markup_in_a_report_is_data_never_markup(run_out: Path,
                                                         records: list[Record]) -> None:
    page = page_html(run_out)
    for needle in ("<img", "<svg", "<b>", "<i>", "<script>window", "\u2028", "\u2029"):
        assert needle not in page, needle
    parser = _Tags()
    parser.feed(page)
    names = {t for t, _ in parser.tags}
    assert names <= {"html", "head", "meta", "title", "style", "body", "noscript", "p", "header",
                     "h1", "span", "label", "select", "option", "input", "button", "a", "div",
                     "section", "ol", "script", "strong", "kbd", "br", "code"}, names
    assert not [a for _, attrs in parser.tags for a in attrs if a.startswith("on")]
    assert [attrs["href"] for t, attrs in parser.tags if t == "a"] == ["decisions.csv"]
    scripts = [attrs for t, attrs in parser.tags if t == "script"]
    assert sum(1 for a in scripts if a.get("type") is None) == 1, "one script runs: the page's"
    assert all(a.get("type") in (None, "application/json") for a in scripts)
    hostile = json_blocks(page)[f"r{len(on_page(records)) - 1}"]
    assert hostile["file"] == HOSTILE_FILE  # type: ignore[index]
    assert HOSTILE in "".join(s if isinstance(s, str) else s[0] for s in hostile["seg"])  # type: ignore[index]


def test_content_security_policy_allows_only_the_pages_own_script_and_style(run_out: Path) -> None:
    page = page_html(run_out)
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert csp and page.index(csp.group(0)) < page.index("<style>"), "the policy comes first"
    policy = dict((d.split()[0], d.split()[1:]) for d in csp.group(1).split("; "))
    assert policy["default-src"] == ["'none'"]
    parser = _Tags()
    parser.feed(page)
    digest = base64.b64encode(hashlib.sha256(parser.scripts[0].encode()).digest()).decode()
    assert policy["script-src"] == [f"'sha256-{digest}'"]
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)  # type: ignore[union-attr]
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert policy["style-src"] == [f"'sha256-{digest}'"]
    assert policy["require-trusted-types-for"] == ["'script'"]
    assert policy["img-src"] == ["data:"], "images only from the data (page crops), never loaded"
    assert not re.search(r"https?:|url\(|@import|fetch\(|XMLHttpRequest|import\(",
                         parser.scripts[0] + style), "nothing is loaded from the network"


# --- the command ----------------------------------------------------------------------------


def test_review_says_where_it_wrote_the_page_and_the_decisions(run_out: Path, tmp_path: Path) -> None:
    dest = tmp_path / "elsewhere"
    result = CliRunner().invoke(main, ["review", str(run_out), "-o", str(dest)])
    assert result.exit_code == 0, result.output
    assert f"review page: {dest / 'index.html'}" in result.output
    assert f"decisions:   {dest / 'decisions.csv'}" in result.output
    assert "4 reports" in result.output and "1 without flags left out" in result.output
    assert sorted(p.name for p in dest.iterdir()) == ["decisions.csv", "index.html"]


def test_review_of_a_folder_without_results_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["review", str(tmp_path)])
    assert result.exit_code == 2 and "no results.jsonl" in result.output
    assert not (tmp_path / "review").exists()


def test_a_malformed_results_line_is_named_and_nothing_is_written(run_out: Path,
                                                                  tmp_path: Path) -> None:
    (tmp_path / "results.jsonl").write_bytes(gzip.decompress((run_out / "results.jsonl.gz").read_bytes()))
    with open(tmp_path / "results.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"not": "a record"}\n')
    result = CliRunner().invoke(main, ["review", str(tmp_path)])
    assert result.exit_code == 2 and "results.jsonl, line 6" in result.output
    assert list((tmp_path / "review").iterdir()) == []


def test_load_records_reads_the_run_one_record_at_a_time(run_out: Path,
                                                         records: list[Record]) -> None:
    loaded = load_records(run_out)
    assert next(loaded).meta.sha256 == records[0].meta.sha256
    with pytest.raises(ReviewError):
        load_records(run_out / "nowhere")


# --- where the run is read ---------------------------------------------------------------


def test_review_reads_the_store_with_decisions_applied_not_results_jsonl(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", *(str(GOLDEN / n) for n in (*FLAGGED, CLEAN)),
                                       "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    first = next(load_records(out))
    decided = next(c for c in iter_cells(first.tables) if c.status is CellStatus.FLAGGED)
    with Store(out) as store:
        store.put_corrections([(first.meta.sha256, decided.path, SCHEMA_VERSION, Correction(
            decision="accept", machine_value=decided.value, machine_state=decided.state,
            reviewer="ann"))])
    (out / "results.jsonl.gz").unlink()
    result = CliRunner().invoke(main, ["review", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{len(FLAGGED)} reports" in result.output
    rows = read_decisions(out / "review" / "decisions.csv")
    assert {x["file"] for x in rows} == set(FLAGGED)
    # the decided cell is corrected, no longer to decide; the page shows it corrected
    assert (first.meta.sha256, decided.path) not in {(x["sha256"], x["path"]) for x in rows}
    report = json_blocks(page_html(out))["r0"]
    assert isinstance(report, dict) and report["file"] == first.meta.source_file
    cells = {c["p"]: c for c in report["cells"]}
    assert cells[decided.path]["st"] == "corrected" and cells[decided.path]["k"].startswith("accept")


def test_review_of_a_store_without_a_run_is_a_usage_error(tmp_path: Path) -> None:
    Store(tmp_path).close()
    result = CliRunner().invoke(main, ["review", str(tmp_path)])
    assert result.exit_code == 2 and "holds no run yet" in result.output


def test_review_reads_a_results_jsonl_named_directly(run_out: Path, tmp_path: Path) -> None:
    theirs = tmp_path / "elsewhere" / "theirs.jsonl.gz"
    theirs.parent.mkdir()
    shutil.copy(run_out / "results.jsonl.gz", theirs)
    result = CliRunner().invoke(main, ["review", str(theirs)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "elsewhere" / "review" / "decisions.csv").read_bytes() == (
        run_out / "review" / "decisions.csv").read_bytes()
    result = CliRunner().invoke(main, ["review", str(tmp_path / "nowhere.jsonl")])
    assert result.exit_code == 2 and "does not exist" in result.output


# --- in a browser -----------------------------------------------------------------------------

CHROMIUM = Path(os.environ.get("EXTRACTOR_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _skip_or_fail(reason: str) -> None:
    """Locally a missing browser skips the browser tests; in CI (CI set) it fails them."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser tests (.ci/run installs chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        _skip_or_fail(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_or_fail("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Watch:
    """Everything a page does that a review page never should: dialogs, script errors,
    console errors (CSP violations are reported there) and requests for anything but itself."""

    def __init__(self, page, url: str) -> None:  # noqa: ANN001 - playwright's Page
        self.events: list[str] = []
        page.on("dialog", lambda d: (self.events.append(f"dialog: {d.message}"), d.dismiss()))
        page.on("pageerror", lambda e: self.events.append(f"page error: {e}"))
        page.on("console", lambda m: m.type in ("error", "warning")
                and self.events.append(f"console {m.type}: {m.text}"))
        page.on("request", lambda r: r.url != url and not r.url.startswith("blob:")
                and self.events.append(f"request: {r.url}"))


@pytest.fixture
def page(browser, run_out: Path):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    pg = context.new_page()
    url = (run_out / "review" / "index.html").as_uri()
    pg.watch = Watch(pg, url)
    pg.goto(url)
    yield pg
    context.close()


def open_report(page, name: str) -> None:  # noqa: ANN001
    page.locator("#report-list button", has_text=name).click()
    page.wait_for_selector(f"#report h2:text-is({json.dumps(name)})")


RECT = """e => { const r = e.getBoundingClientRect(); const h = document.elementFromPoint(
  r.left + r.width / 2, r.top + r.height / 2);
  return [e.textContent, r.top, r.bottom, r.left, r.right, innerHeight, h && h.outerHTML]; }"""
IN_VIEW = """e => {
  const r = e.getClientRects()[0];  // the first line of it
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return r.top >= 0 && r.bottom <= innerHeight && (hit === e || e.contains(hit));
}"""


def test_clicking_a_flag_highlights_its_span_and_scrolls_it_into_view(
        page, records: list[Record]) -> None:  # noqa: ANN001
    checked = scrolled = 0
    for record in on_page(records):
        open_report(page, record.meta.source_file)
        for details in page.locator("#report details.cannot, #report details.info").all():
            details.evaluate("e => { e.open = true; }")  # the collapsed groups
        by_path = {c.path: c for c in iter_cells(record.tables)}
        for issue in record.flags:
            span = _issue_span(issue, by_path)
            page.evaluate("document.querySelector('#source').scrollTop = 0")
            target = page.locator(f"#text span.n[data-flags~='{record.flags.index(issue)}']")
            scrolled += span is not None and not target.first.evaluate(IN_VIEW)
            page.locator(f'.flag-head[data-key="{issue.key}"]').click()
            hits = page.locator("#text .hit")
            if span is None:
                assert hits.count() == 0
                continue
            assert "".join(hits.all_text_contents()) == record.text[span[0]:span[1]], issue.key
            assert hits.first.evaluate(IN_VIEW), (
                f"{issue.key}: span not in view: {hits.first.evaluate(RECT)}")
            assert page.locator(".flag.active").get_attribute("data-key") == issue.key
            checked += 1
    assert checked >= 5 and scrolled >= 3, "spans below the fold were scrolled to"
    assert page.watch.events == []


def test_the_page_shows_the_text_exactly_with_numbers_coloured_by_status(
        page, records: list[Record]) -> None:  # noqa: ANN001
    record = records[0]
    open_report(page, record.meta.source_file)
    assert page.locator("#text").text_content() == record.text
    for status in ("verified", "grounded", "flagged"):
        assert page.locator(f"#text span.n.{status}").count() > 0
        colour = page.locator(f"#text span.n.{status}").first.evaluate(
            "e => getComputedStyle(e).backgroundColor")
        legend = page.locator(f"header .key.{status}").evaluate(
            "e => getComputedStyle(e).backgroundColor")
        assert colour == legend != "rgba(0, 0, 0, 0)"
    page.locator("#text span.n.flagged").first.click()
    assert "flagged" in (page.locator("#panel").text_content() or "")
    assert page.locator("#panel select").count() == 1
    assert page.watch.events == []


def test_inferred_numbers_have_their_own_colour_and_say_how_they_were_placed(
        page) -> None:  # noqa: ANN001
    open_report(page, "pingtan_office_2021.txt")
    inferred = page.locator("#text span.n.inferred")
    assert inferred.count() > 0
    colour = inferred.first.evaluate("e => getComputedStyle(e).backgroundColor")
    legend = page.locator("header .key.inferred").evaluate("e => getComputedStyle(e).backgroundColor")
    verified = page.locator("header .key.verified").evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == legend not in ("rgba(0, 0, 0, 0)", verified)
    inferred.first.click()
    panel = page.locator("#panel").text_content() or ""
    assert "inferred" in panel and "placement identities" in panel
    assert page.watch.events == []


def test_downloaded_decisions_are_the_written_file_plus_what_the_reviewer_chose(
        page, run_out: Path) -> None:  # noqa: ANN001
    written = (run_out / "review" / "decisions.csv").read_bytes()
    with page.expect_download() as d:
        page.click("#download")
    assert Path(d.value.path()).read_bytes() == written, "undecided: the same bytes as the file"

    open_report(page, "haining_health_2020.txt")
    page.fill("#reviewer", "王, \"审核\"")
    flag = page.locator('.flag[data-key="I1:natural_person"]')
    flag.locator('tr[data-path="s3.new_received.natural_person"] select').select_option("set")
    flag.locator('tr[data-path="s3.new_received.natural_person"] input[placeholder="value"]').fill("0")
    flag.locator('tr[data-path="s3.carried_over.natural_person"] select').select_option("source_wrong")
    flag.locator('tr[data-path="s3.carried_over.natural_person"] input[placeholder="note"]').fill(
        "printed \"12\", but wrong")
    with page.expect_download() as d:
        page.click("#download")
    rows = read_decisions(Path(d.value.path()))
    assert len(rows) == len(read_decisions(run_out / "review" / "decisions.csv"))
    decided = {x["path"]: x for x in rows if x["decision"]}
    assert set(decided) == {"s3.new_received.natural_person", "s3.carried_over.natural_person"}
    assert decided["s3.new_received.natural_person"]["value"] == "0"
    assert decided["s3.carried_over.natural_person"]["note"] == "printed \"12\", but wrong"
    assert {x["reviewer"] for x in decided.values()} == {"王, \"审核\""}
    assert all(x["decision"] in DECISIONS for x in decided.values())
    assert page.watch.events == []


def test_filters_narrow_reports_and_flags_by_rule_section_and_agency(page) -> None:  # noqa: ANN001
    def listed() -> list[str]:
        return page.locator("#report-list .file").all_text_contents()

    assert len(listed()) == 4
    page.select_option("#f-rule", "LAYOUT")
    assert listed() == ["pingtan_office_2021.txt"]
    page.select_option("#f-rule", "")
    page.select_option("#f-section", "s2")
    assert listed() == ["pingtan_office_2021.txt"]
    page.select_option("#f-section", "s3")
    open_report(page, "haining_health_2020.txt")
    keys = page.locator("#flags .flag-head").evaluate_all("es => es.map(e => e.dataset.key)")
    assert keys and all(k.startswith(("I1", "I2", "I3")) for k in keys)
    page.select_option("#f-section", "")
    page.select_option("#f-agency", "普陀区卫生健康局")
    assert listed() == ["putuo_health_2020.txt"]
    assert page.watch.events == []


def test_a_hostile_report_runs_nothing(page, records: list[Record]) -> None:  # noqa: ANN001
    hostile = records[-1]
    open_report(page, HOSTILE_FILE)
    for details in page.locator("#report details").all():
        details.evaluate("e => { e.open = true; }")
    for head in page.locator(".flag-head").all():
        head.click()
    for number in page.locator("#text span.n[data-cells]").all()[:12]:
        number.click()
    page.locator('#text span.n.flagged').first.click()  # its reasons carry markup too
    page.select_option("#f-agency", hostile.meta.agency.value)  # type: ignore[arg-type]
    assert page.locator("#text").text_content() == hostile.text
    assert HOSTILE in (page.locator("#report").text_content() or "")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("#text img, #text script, #text svg, #text a, #flags img").count() == 0
    assert page.watch.events == []


def test_the_browser_test_catches_what_it_guards_against(browser, tmp_path: Path) -> None:  # noqa: ANN001
    """The watch is not blind: a page that does run injected markup is caught by it."""
    bad = tmp_path / "bad.html"
    bad.write_text(f"<!DOCTYPE html><body>{HOSTILE}</body>", "utf-8")
    context = browser.new_context()
    pg = context.new_page()
    watch = Watch(pg, bad.as_uri())
    pg.goto(bad.as_uri())
    pg.wait_for_timeout(200)
    assert pg.evaluate("window.__pwned") is not None
    assert any(e.startswith("dialog") for e in watch.events)
    context.close()



def test_decisions_survive_a_reload_and_unflagged_cells_decided_in_the_text_are_downloaded(
        page, records: list[Record]) -> None:  # noqa: ANN001
    record = records[0]
    verified = next(c for c in iter_cells(record.tables)
                    if c.status is CellStatus.VERIFIED and c.span and c.span[1] > c.span[0])
    open_report(page, record.meta.source_file)
    page.locator(f"#text span.n.verified[title^='{verified.path} ']").first.click()
    words = {"s2": "二", "s3": "三", "s4": "四"}[verified.path[:2]] + "·" + title(verified.path)
    assert words in (page.locator("#panel").text_content() or "")
    page.locator("#panel select").select_option("source_wrong")
    page.reload()
    open_report(page, record.meta.source_file)
    assert page.locator("#decided").text_content() == "1 cell decided"
    with page.expect_download() as d:
        page.click("#download")
    rows = read_decisions(Path(d.value.path()))
    assert [(x["path"], x["status"], x["decision"]) for x in rows if x["decision"]] == [
        (verified.path, "verified", "source_wrong")]
    assert page.watch.events == []


# --- the table view, keyboard decisions, a screenshot (the golden set, run with a store) -----

#: Screenshots are kept here (CI keeps the folder as the test run's artifact).
ARTIFACTS = Path(os.environ.get("EXTRACTOR_TEST_ARTIFACTS",
                                Path(__file__).resolve().parent.parent / "test-artifacts"))


@pytest.fixture(scope="module")
def golden_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Record]]:
    """Every golden input run into a store, reviewed with --all; its records by file name."""
    out = tmp_path_factory.mktemp("golden-run")
    result = CliRunner().invoke(main, ["run", str(GOLDEN), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["review", str(out), "--all"])
    assert result.exit_code == 0, result.output
    found = {r.meta.source_file: r for r in load_records(out)}
    assert len(found) == len(list(GOLDEN.iterdir())) >= 19
    return out, found


def golden_page(browser, folder: Path):  # noqa: ANN001, ANN201
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    url = (folder / "review" / "index.html").as_uri()
    pg.watch = Watch(pg, url)
    pg.goto(url)
    return context, pg


def test_the_table_view_draws_every_golden_report_with_every_template_cell(
        browser, golden_run) -> None:  # noqa: ANN001
    out, found = golden_run
    context, page = golden_page(browser, out)
    for name, record in found.items():
        open_report(page, name)
        template = record.tables.template
        for section, rows in LAYOUTS[template].items():
            expected = sum(len(cols) for cols in rows.values())
            shown = page.locator(f"#tables table.grid[data-section='{section}'] td.g[data-cell]")
            assert shown.count() == expected, (name, section)
        texts = dict(zip(page.locator("#tables td.g").evaluate_all("es => es.map(e => e.dataset.path)"),
                         page.locator("#tables td.g").all_text_contents(), strict=True))
        for cell in iter_cells(record.tables):
            if cell.state is CellState.NUMBER:
                assert texts[cell.path] == str(cell.value), (name, cell.path)
            elif cell.state is CellState.BLANK:
                assert texts[cell.path] == "", (name, cell.path)
        flagged = {c.path for c in iter_cells(record.tables) if c.status is CellStatus.FLAGGED}
        assert set(page.locator("#tables td.g.flagged").evaluate_all(
            "es => es.map(e => e.dataset.path)")) == flagged, name
    assert page.watch.events == []
    context.close()


def test_clicking_a_table_cell_highlights_the_span_that_reads_its_value(
        browser, golden_run) -> None:  # noqa: ANN001
    out, found = golden_run
    context, page = golden_page(browser, out)
    checked = pages = 0
    for name in ("huaian_gov_2024.pdf", "haining_health_2020.txt", "shanghai_office_2019.html"):
        record = found[name]
        open_report(page, name)
        numbers = [c for c in iter_cells(record.tables) if c.state is CellState.NUMBER
                   and c.span and c.span[1] > c.span[0] and isinstance(c.value, int)]
        for cell in numbers[::10]:
            page.locator(f"#tables td.g[data-path='{cell.path}']").click()
            hits = "".join(page.locator("#text .hit").all_text_contents())
            assert hits == record.text[cell.span[0]:cell.span[1]], cell.path
            assert int(hits.replace(",", "").strip()) == cell.value, (name, cell.path, hits)
            assert page.locator("#text .hit").first.evaluate(IN_VIEW), cell.path
            panel = page.locator("#panel").text_content() or ""
            words = {"s2": "二", "s3": "三", "s4": "四"}[cell.path[:2]] + "·" + title(cell.path)
            assert words in panel and f"[{cell.span[0]}," not in panel, "words, no offsets"
            if cell.page is not None:
                assert f"p. {cell.page}" in panel
                pages += 1
            assert page.locator("#tables td.g.sel").get_attribute("data-path") == cell.path
            checked += 1
    assert checked >= 25 and pages >= 5
    assert page.watch.events == []
    context.close()


def test_a_failed_identity_outlines_its_cells_with_the_equation(browser, golden_run) -> None:  # noqa: ANN001
    out, found = golden_run
    context, page = golden_page(browser, out)
    open_report(page, "haining_health_2020.txt")
    flag = next(f for f in found["haining_health_2020.txt"].flags if f.key == "I1:natural_person")
    page.locator('.flag-head[data-key="I1:natural_person"]').click()
    outlined = page.locator("#tables td.g.in-flag").evaluate_all("es => es.map(e => e.dataset.path)")
    assert sorted(outlined) == sorted(flag.paths)
    assert flag.message in (page.locator("#equation").text_content() or "")
    assert page.locator("#equation").is_visible()
    context.close()


def test_flags_are_grouped_and_cannot_fix_is_one_acknowledged_line(browser, golden_run) -> None:  # noqa: ANN001
    out, found = golden_run
    context, page = golden_page(browser, out)
    record = found["excerpt_006.txt"]  # cut off: MISSING and TRUNCATED, a META flag
    open_report(page, "excerpt_006.txt")
    assert page.locator("#report details.cannot").count() == 1
    assert not page.locator("#report details.cannot").evaluate("e => e.open")
    missing = [c for c in iter_cells(record.tables)
               if c.status is CellStatus.FLAGGED and c.state is CellState.MISSING]
    assert f"{len(missing)} missing cells" in (page.locator("#cannot > summary").text_content() or "")
    before = page.locator("#progress").text_content() or ""
    page.locator("#cannot .ack").click()
    assert page.locator("#cannot .ack").text_content() == "acknowledged (undo)"
    done, units = (int(x) for x in re.findall(r"\d+", before)[:2])
    assert page.locator("#progress").text_content() == f"{done + 1} of {units} flags decided"
    with page.expect_download() as d:
        page.click("#download")
    rows = [x for x in read_decisions(Path(d.value.path())) if x["decision"]]
    assert {x["path"] for x in rows} == {c.path for c in missing}
    assert {x["decision"] for x in rows} == {"accept"}
    assert page.watch.events == []
    context.close()


def test_keyboard_decisions_round_trip_through_extractor_correct(
        browser, golden_run, tmp_path: Path) -> None:  # noqa: ANN001
    out = tmp_path / "run"
    shutil.copytree(golden_run[0], out)
    record = golden_run[1]["haining_health_2020.txt"]
    context, page = golden_page(browser, out)
    open_report(page, "haining_health_2020.txt")
    page.fill("#reviewer", "ann")
    page.locator("#report h2").click()
    page.keyboard.press("j")
    assert page.locator(".flag.active").get_attribute("data-key") == "I1:natural_person"
    sel = "#tables td.g.sel"
    assert page.locator(sel).get_attribute("data-path") == "s3.new_received.natural_person"
    page.keyboard.press("a")  # accept; the next undecided cell of the flag is selected
    assert page.locator(sel).get_attribute("data-path") == "s3.carried_over.natural_person"
    page.keyboard.press("w")  # the source is wrong
    assert page.locator(sel).get_attribute("data-path") == "s3.total_processed.natural_person"
    page.keyboard.press("s")  # set a value: typed into the focused field, Enter moves on
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    assert page.locator(sel).get_attribute("data-path") == "s3.carried_forward.natural_person"
    page.keyboard.press("j")
    assert page.locator(".flag.active").get_attribute("data-key") == "I1:other"
    page.keyboard.press("k")
    assert page.locator(".flag.active").get_attribute("data-key") == "I1:natural_person"
    assert page.locator("#decided").text_content() == "3 cells decided"
    with page.expect_download() as d:
        page.click("#download")
    downloaded = tmp_path / "decisions.csv"
    shutil.copy(d.value.path(), downloaded)
    context.close()
    result = CliRunner().invoke(main, ["correct", str(downloaded), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 decisions imported (1 accept, 1 set, 1 source_wrong;" in result.stdout
    assert "3 cells corrected in 1 report; 2 identities hold with the corrected values" in result.stdout
    with Store(out) as store:
        stored = store.corrections(record.meta.sha256)
    assert {p: (c.decision, c.value, c.reviewer) for p, c in stored.items()} == {
        "s3.new_received.natural_person": ("accept", None, "ann"),
        "s3.carried_over.natural_person": ("source_wrong", None, "ann"),
        "s3.total_processed.natural_person": ("set", 1, "ann"),
    }
    cells = {c.path: c for c in iter_cells(next(
        r for r in load_records(out) if r.meta.sha256 == record.meta.sha256).tables)}
    assert cells["s3.carried_forward.natural_person"].status is CellStatus.VERIFIED


def test_decisions_in_the_browser_survive_a_regenerated_page(browser, golden_run,
                                                              tmp_path: Path) -> None:  # noqa: ANN001
    out = tmp_path / "run"
    shutil.copytree(golden_run[0], out)
    assert CliRunner().invoke(main, ["review", str(out), "--all"]).exit_code == 0  # this folder's
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.goto((out / "review" / "index.html").as_uri())
    open_report(page, "haining_health_2020.txt")
    page.locator("#report h2").click()
    page.keyboard.press("j")
    page.keyboard.press("a")
    assert page.locator("#decided").text_content() == "1 cell decided"
    result = CliRunner().invoke(main, ["review", str(out)])  # without --all: another page
    assert result.exit_code == 0, result.output
    page.reload()
    assert page.locator("#decided").text_content() == "1 cell decided"
    open_report(page, "haining_health_2020.txt")
    assert page.locator("#tables td.g.decided[data-path='s3.new_received.natural_person']").count() == 1
    context.close()


def test_a_screenshot_of_one_report_is_kept(browser, golden_run) -> None:  # noqa: ANN001
    """The picture a reviewer sees (kept under test-artifacts/, CI's artifact). In CI the
    page must show real Chinese glyphs: .ci/run installs a CJK font."""
    fonts = shutil.which("fc-list") and __import__("subprocess").run(
        ["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout.strip()
    if not fonts:
        _skip_or_fail("no CJK font (apt-get install -y fonts-noto-cjk): Chinese shows as boxes")
    out, _ = golden_run
    context, page = golden_page(browser, out)
    open_report(page, "haining_health_2020.txt")
    page.locator("#report h2").click()
    page.keyboard.press("j")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "review-haining_health_2020.png"
    page.screenshot(path=str(shot))
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    # the grid and the source are side by side at this width
    grid = page.locator("#grid").bounding_box()
    source = page.locator("#source").bounding_box()
    assert grid and source and grid["x"] + grid["width"] <= source["x"] + 1
    assert abs(grid["y"] - source["y"]) < 2
    context.close()
