"""A schema change re-runs only what it must: a field added and a field renamed in section
二 re-ask the LLM for section 二 of the reports whose template changed, take every other
call from the cache, and move a person's decision to the renamed field."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from llm_oracle import Oracle, task_of, user_text
from results_file import results_json

from extractor.cli import main
from extractor.review.decisions import COLUMNS

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ROOT / "golden" / "inputs"
DOCS = [INPUTS / "pinghu_health_2024.txt", INPUTS / "haining_health_2020.txt"]  # 2021, 2019

#: Version 1.1 of the schema: 2021 section 二 gets a new row (备案, "filing") and its
#: 行政强制 column is renamed decisions -> decision_count, with the rename map saying so.
EDITS = [
    ['SCHEMA_VERSION = "1.0"', 'SCHEMA_VERSION = "1.1"'],
    ["SCHEMA_RENAMES: tuple[tuple[str, dict[str, str]], ...] = ()",
     'SCHEMA_RENAMES: tuple[tuple[str, dict[str, str]], ...] = '
     '(("1.1", {"s2.coercion.decisions": "s2.coercion.decision_count"}),)'],
    ['            "coercion": ("decisions",),\n            "fees": ("amount",),',
     '            "coercion": ("decision_count",),\n            "filing": ("decisions",),\n'
     '            "fees": ("amount",),'],
]


def config(fake_llm, tmp_path: Path) -> Path:
    fake_llm.responder = Oracle(DOCS)
    path = tmp_path / "extractor.toml"
    path.write_text(f"""
[llm]
base_url = "{fake_llm.url}"
model = "fake-model"
timeout = 5.0
backoff_initial = 0.01
backoff_max = 0.1
cache_dir = "{tmp_path / 'cache'}"
""", encoding="utf-8")
    return path


def edited_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    edits = tmp_path / "edits.json"
    edits.write_text(json.dumps(EDITS), encoding="utf-8")
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "EXTRACTOR_MODEL")}
    return subprocess.run([sys.executable, str(ROOT / "tests" / "schema_edit.py"), str(edits),
                           "--", *args], capture_output=True, text=True, env=env, timeout=300)


def test_adding_and_renaming_a_field_redoes_only_that_section(fake_llm, tmp_path: Path) -> None:
    cfg = config(fake_llm, tmp_path)
    out = tmp_path / "out"
    args = ["run", *map(str, DOCS), "-o", str(out), "--llm", "on", "--config", str(cfg)]
    r = CliRunner(env={"OPENAI_BASE_URL": None, "OPENAI_API_KEY": None,
                       "EXTRACTOR_MODEL": None}).invoke(main, args)
    assert r.exit_code == 0, r.stderr
    cold = fake_llm.calls
    assert cold >= 6

    # A reviewer accepts pinghu's 行政强制 under schema 1.0.
    first = results_json(out)[0]
    assert first["meta"]["source_file"] == "pinghu_health_2024.txt"
    decisions = out / "review" / "decisions.csv"
    decisions.parent.mkdir()
    with open(decisions, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerow({"sha256": first["meta"]["sha256"], "path": "s2.coercion.decisions",
                    "decision": "accept", "machine_value": "0", "machine_state": "number",
                    "reviewer": "李"})
    r = CliRunner().invoke(main, ["correct", str(decisions)])
    assert r.exit_code == 0, r.output

    done = edited_run(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    asked = [q for q in fake_llm.requests[cold:] if task_of(q) != "probe"]  # the endpoint check
    # Only pinghu's section 二 changed shape: haining (2019) asks the same as before.
    assert [(task_of(q), user_text(q).split("section ")[1][0]) for q in asked] == \
        [("table_mapping", "二")]
    assert "schema 1.1: 2 documents re-extracted; sections whose schema changed: s2" in done.stderr
    assert "1 stored decisions moved to renamed fields" in done.stderr
    assert "LLM fake-model (json_schema): 2 HTTP calls" in done.stderr  # the check and section 二

    pinghu = results_json(out)[0]
    assert pinghu["schema_version"] == "1.1"
    s2 = pinghu["tables"]["s2"]
    assert s2["filing"]["decisions"]["state"] == "missing"  # the new field: not in this report
    coercion = s2["coercion"]["decision_count"]
    assert coercion["status"] == "corrected"
    assert coercion["correction"]["decision"] == "accept"
    assert coercion["correction"]["reviewer"] == "李"

    again = edited_run(tmp_path, *args)
    assert again.returncode == 0, again.stderr
    assert fake_llm.calls == cold + 3  # run 2: the check and section 二; run 3: the check only
    assert "2 reports (2 already done)" in again.stdout
