"""One serialization per document (issue 17): the compact record JSON, the worker's payload,
and the run's exports written from it being the bytes an export from the store writes."""

from __future__ import annotations

import gzip
import json
import pickle
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from results_file import results_lines

from extractor.cli import main
from extractor.run.payload import Payload, produce
from extractor.run.pipeline import process
from extractor.schema import CellState, Record
from extractor.store.codec import decode, decode_any, encode, encode_bare, full_json, with_text
from extractor.store.store import sha256_file

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ROOT / "golden" / "inputs"
LVYUAN = INPUTS / "lvyuan_health_2020.txt"
OUTPUTS = ("results.jsonl.gz", "errors.jsonl", "cells.csv.gz", "reports.csv", "flags.csv",
           "fields.csv")


def cli(*args: object) -> tuple[int, str]:
    r = CliRunner().invoke(main, [str(a) for a in args])
    return r.exit_code, r.output


@pytest.fixture(scope="module")
def lvyuan() -> Record:
    record = process(LVYUAN)
    assert isinstance(record, Record)
    return record


def test_the_compact_json_reads_back_as_the_same_record(lvyuan: Record) -> None:
    assert decode(encode(lvyuan)) == lvyuan
    assert decode(lvyuan.model_dump_json()) == lvyuan  # the full form of older stores
    assert json.loads(full_json(encode(lvyuan))) == json.loads(lvyuan.model_dump_json())


def test_the_compact_json_leaves_out_nulls_paths_and_cell_defaults(lvyuan: Record) -> None:
    data = json.loads(encode(lvyuan))
    granted = data["tables"]["s3"]["granted"]["total"]
    cell = lvyuan.tables.s3.granted.total
    assert cell.state.value == "number" and cell.reasons == [] and cell.placement == "direct"
    assert granted["path"] == "s3.granted.total" and "reasons" not in granted
    assert "placement" not in granted and "reader" not in granted
    assert "unit" not in granted and "page" not in granted and "correction" not in granted
    assert granted["value"] == cell.value and granted["span"] == list(cell.span or ())
    assert "llm" not in data
    assert len(encode(lvyuan)) < 0.8 * len(lvyuan.model_dump_json())
    assert Record.model_validate_json(encode(lvyuan)) == lvyuan  # still a Record's JSON


def test_non_default_cell_fields_and_values_survive(lvyuan: Record) -> None:
    """A cell's reasons, a non-direct placement, an amount and a page: kept as they are."""
    cell = lvyuan.tables.s3.granted.total.model_copy(update={
        "reasons": ["a reason"], "placement": "identities", "page": 3})
    amount = lvyuan.tables.s2.procurement.amount.model_copy(update={
        "state": CellState.NUMBER, "value": Decimal("12.50"), "unit": "万元"})
    tables = lvyuan.tables.model_copy(update={
        "s3": lvyuan.tables.s3.model_copy(update={"granted": lvyuan.tables.s3.granted.model_copy(
            update={"total": cell})}),
        "s2": lvyuan.tables.s2.model_copy(update={"procurement": lvyuan.tables.s2.procurement
                                                  .model_copy(update={"amount": amount})})})
    record = lvyuan.model_copy(update={"tables": tables})
    back = decode(encode(record))
    assert back.tables.s3.granted.total == cell
    assert back.tables.s2.procurement.amount.value == Decimal("12.50")
    assert json.loads(encode(record))["tables"]["s3"]["granted"]["total"]["placement"] == "identities"


def test_text_that_looks_like_a_default_field_is_not_cut(lvyuan: Record) -> None:
    text = lvyuan.text + '\n,"reasons":[],"placement":"direct","reader":"parser"'
    record = lvyuan.model_copy(update={"text": text})
    assert decode(encode(record)).text == text


def test_the_payload_is_plain_picklable_data() -> None:
    payload = produce(LVYUAN, 7, sha256_file(LVYUAN))
    assert isinstance(payload, Payload)
    back = pickle.loads(pickle.dumps(payload))
    assert back == payload
    assert all(isinstance(v, bytes) for v in payload.lines.values())
    assert set(payload.lines) == {"results.jsonl.gz", "cells.csv", "reports.csv", "flags.csv"}
    line = gzip.decompress(payload.lines["results.jsonl.gz"]).decode()
    record, has_text = decode_any(line)
    assert line.endswith("\n") and line.count("\n") == 1 and not has_text
    made = process(LVYUAN)
    assert isinstance(made, Record)
    assert record == made.model_copy(update={"text": ""})
    # the cells' lines: a gzip member of cells.csv.gz (`files` and the lines say cells.csv)
    cells = gzip.decompress(payload.lines["cells.csv"]).decode()
    assert cells.count("\r\n") == payload.rows.result[5]  # cells


def test_a_run_writes_the_bytes_an_export_from_its_store_writes(tmp_path: Path) -> None:
    """Workers' lines (spooled) and the store's rendering agree, for items made now, a twin
    (same content, another name) and an input error, with --jobs 1 and --jobs 2."""
    folder = tmp_path / "in"
    folder.mkdir()
    for src in sorted(INPUTS.iterdir())[:5]:
        shutil.copy(src, folder / src.name)
    shutil.copy(LVYUAN, folder / "zz_twin.txt")
    (folder / "not_a_report.txt").write_text("会议纪要\n", encoding="utf-8")
    flags = {"1": (), "2": (), "2full": ("--with-text", "--cell-labels")}
    for jobs, extra in flags.items():
        out = tmp_path / f"out{jobs}"
        code, output = cli("run", folder, "-o", out, "--llm", "off", "-q", "--jobs", jobs[:1],
                           *extra)
        assert code in (0, 1), output
        for fmt in ("csv", "jsonl"):
            code, output = cli("export", out, "--format", fmt, "--to", tmp_path / f"x{jobs}", *extra)
            assert code == 0, output
        for name in OUTPUTS:
            name = "cells.csv" if name == "cells.csv.gz" and extra else name  # --cell-labels
            ran = (out / name).read_bytes()
            assert ran == (tmp_path / f"x{jobs}" / name).read_bytes(), name
        assert not list(out.glob(".*.tmp"))  # the spool is gone (.lock stays: see store.lock)
    for name in OUTPUTS:
        assert (tmp_path / "out1" / name).read_bytes() == (tmp_path / "out2" / name).read_bytes()
    lines = results_lines(tmp_path / "out1")
    assert [decode_any(x)[0].meta.source_file for x in lines][-1] == "zz_twin.txt"
    full = results_lines(tmp_path / "out2full")
    assert [decode(x).meta.source_file for x in full][-1] == "zz_twin.txt"  # with the text
    assert not (tmp_path / "out2full" / "cells.csv.gz").exists()
    assert (tmp_path / "out2full" / "cells.csv").read_bytes() != gzip.decompress(
        (tmp_path / "out2" / "cells.csv.gz").read_bytes())


def test_a_line_without_the_text_reads_as_the_record_with_text_empty(lvyuan: Record) -> None:
    """The default results line (no text) reads back exactly, amounts as exact decimals;
    `with_text` puts the text back where `encode` writes it."""
    amount = lvyuan.tables.s2.procurement.amount.model_copy(update={
        "state": CellState.NUMBER, "value": Decimal("0.10"), "unit": "万元"})
    tables = lvyuan.tables.model_copy(update={
        "s2": lvyuan.tables.s2.model_copy(update={"procurement": lvyuan.tables.s2.procurement
                                                  .model_copy(update={"amount": amount})})})
    record = lvyuan.model_copy(update={"tables": tables})
    bare = encode_bare(record)
    assert '"text":' not in bare and with_text(bare, record.text) == encode(record)
    back, has_text = decode_any(bare + "\n")
    assert not has_text and back == record.model_copy(update={"text": ""})
    assert back.tables.s2.procurement.amount.value == Decimal("0.10")
    with pytest.raises(ValueError):
        decode_any('{"not": "a record"}')
