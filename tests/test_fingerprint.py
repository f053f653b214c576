"""Results never go stale: a re-run after the extraction code changed re-extracts, and says so."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from click.testing import CliRunner

import extractor
import verify
from extractor.cli import main
from extractor.run.fingerprint import code_fingerprint, fingerprint_of

ROOT = Path(extractor.__file__).parent


def copy_sources(tmp_path: Path) -> tuple[Path, Path]:
    ex, ve = tmp_path / "extractor", tmp_path / "verify"
    shutil.copytree(ROOT, ex, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(Path(verify.__file__).parent, ve, ignore=shutil.ignore_patterns("__pycache__"))
    return ex, ve


def test_the_fingerprint_follows_the_extraction_code_only(tmp_path: Path) -> None:
    ex, ve = copy_sources(tmp_path)
    before = fingerprint_of(ex, ve)
    assert before == code_fingerprint()  # the same files give the same fingerprint

    (ex / "outputs" / "export.py").write_text("# an export change\n", encoding="utf-8")
    (ex / "cli.py").write_text("# a CLI change\n", encoding="utf-8")
    assert fingerprint_of(ex, ve) == before  # exporting differently re-extracts nothing

    cells = ex / "mapping" / "cells.py"
    cells.write_text(cells.read_text("utf-8") + "\n# a parser fix\n", encoding="utf-8")
    after_fix = fingerprint_of(ex, ve)
    assert after_fix != before

    (ve / "grounding.py").write_text("# a verifier change\n", encoding="utf-8")
    assert fingerprint_of(ex, ve) not in (before, after_fix)


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_a_rerun_after_an_upgrade_re_extracts_and_says_so(tmp_path: Path, golden_inputs: Path) -> None:
    out = tmp_path / "out"
    inputs = [str(golden_inputs / "shahe_health_2020.txt"), str(golden_inputs / "pinghu_health_2024.txt")]
    code, stdout, _ = run("run", *inputs, "-o", str(out))
    assert code == 0 and "2 reports" in stdout and "already done" not in stdout

    code, stdout, stderr = run("run", *inputs, "-o", str(out))
    assert "2 reports (2 already done)" in stdout and "re-extracted" not in stderr

    # as if an older version of the tool had made the stored results
    with sqlite3.connect(out / "store.sqlite") as db:
        db.execute("UPDATE results SET code='0123456789abcdef'")
    code, stdout, stderr = run("run", *inputs, "-o", str(out))
    assert code == 0 and "already done" not in stdout
    assert "2 documents re-extracted: the extraction code changed" in stderr
    with sqlite3.connect(out / "store.sqlite") as db:
        newest = db.execute("SELECT code FROM results ORDER BY id DESC LIMIT 2").fetchall()
    assert newest == [(code_fingerprint(),)] * 2

    code, stdout, stderr = run("run", *inputs, "-o", str(out))
    assert "2 reports (2 already done)" in stdout and "re-extracted" not in stderr


def errors(out: Path) -> list[str]:
    return [line for line in (out / "errors.jsonl").read_text("utf-8").splitlines() if line]


def test_an_input_error_is_remembered_by_the_same_code_and_retried_by_new_code(
        tmp_path: Path) -> None:
    out = tmp_path / "out"
    bad = tmp_path / "notes.txt"
    bad.write_text("会议纪要：今天讨论了食堂菜单。", encoding="utf-8")
    run("run", str(bad), "-o", str(out))
    # what an earlier run recorded for this content (a reason only a stored error can give)
    with sqlite3.connect(out / "store.sqlite") as db:
        db.execute("UPDATE run_items SET error='remembered reason'")
    run("run", str(bad), "-o", str(out))
    assert "remembered reason" in errors(out)[0]  # same code: not read again

    with sqlite3.connect(out / "store.sqlite") as db:
        db.execute("UPDATE runs SET code='0123456789abcdef'")  # as if older code had run
    code, stdout, _ = run("run", str(bad), "-o", str(out))
    assert code == 0 and "1 errors" in stdout
    assert "remembered reason" not in errors(out)[0]
    assert "not a government information-disclosure annual report" in errors(out)[0]
