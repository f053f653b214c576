"""The LLM pass on golden reports: citations re-read, disagreements flagged, claims grounded."""

from __future__ import annotations

from pathlib import Path

import pytest
from llm_oracle import Oracle

from extractor.llm.client import LLMClient
from extractor.llm.reader import LLMPass
from extractor.llm.reconcile import with_cells
from extractor.mapping.report import extract
from extractor.run.pipeline import process, read_document
from extractor.schema import Cell, CellState, CellStatus, iter_cells


@pytest.fixture
def oracle(fake_llm, golden_inputs: Path) -> Oracle:
    o = Oracle(sorted(golden_inputs.iterdir()))
    fake_llm.responder = o
    return o


def run(llm_settings, path: Path, always: bool = True, extraction=None):
    doc = read_document(path)
    return LLMPass(LLMClient(llm_settings), always=always).run(doc, extraction or extract(doc))


def cells(record) -> dict[str, Cell]:
    return {c.path: c for c in iter_cells(record.tables)}


def test_agreeing_readers_change_nothing_but_mark_two_readers(oracle, llm_settings, golden_inputs) -> None:
    path = golden_inputs / "pinghu_health_2024.txt"
    doc = read_document(path)
    from verify import verify
    alone = verify(extract(doc), doc.text)
    record = run(llm_settings, path)
    assert record.summary == alone.summary
    assert record.llm.two_readers == 200 and record.llm.disagreements == 0
    assert all(c.second.agrees for c in iter_cells(record.tables))
    assert record.llm.prompt_versions["table_mapping"].startswith("table_mapping.v1+")
    assert record.llm.prompt_tokens > 0 and record.llm.completion_tokens > 0


def test_a_wrongly_cited_cell_is_caught_and_flagged_with_both_values(oracle, fake_llm, llm_settings, golden_inputs) -> None:
    def swap(name, section, m):
        if name == "pinghu_health_2024.txt" and section == "s3":
            m["new_received"][0], m["new_received"][1] = m["new_received"][1], m["new_received"][0]
        return m

    oracle.tamper = swap
    record = run(llm_settings, golden_inputs / "pinghu_health_2024.txt")
    c = cells(record)["s3.new_received.natural_person"]
    assert c.status is CellStatus.FLAGGED and c.second is not None and not c.second.agrees
    reason = next(r for r in c.reasons if r.startswith("LLM:"))
    assert f"parser reads {c.value}" in reason and "LLM cites" in reason
    assert "with the parser's reading the cell passes" in reason and "fails" in reason
    assert "LLM:s3.new_received.natural_person" in {f.key for f in record.flags}
    assert c.value == 1 and c.second.value == 0  # the parser's value is kept, the LLM's shown
    tasks = {(t.task, t.section): t for t in record.llm.tasks}
    assert "fed back once" in tasks[("table_mapping", "s3")].detail
    fed_back = [r for r in fake_llm.requests if len(r["messages"]) == 4]
    assert len(fed_back) == 1 and "I1" in fed_back[0]["messages"][3]["content"]


def test_a_cell_only_the_llm_places_is_accepted_only_when_verified(oracle, llm_settings, golden_inputs) -> None:
    path = golden_inputs / "lvyuan_health_2020.txt"
    doc = read_document(path)
    ex = extract(doc)
    lost = {c.path: c.model_copy(update={"state": CellState.MISSING, "value": None, "raw": None,
                                          "span": None, "source_span": None,
                                          "reasons": ["MISSING: simulated"]})
            for c in iter_cells(ex.tables) if c.path.startswith("s4.")}
    record = run(llm_settings, path, always=False, extraction=with_cells(ex, lost))
    s4 = [c for c in iter_cells(record.tables) if c.path.startswith("s4.")]
    # Accepted because the cited text grounds and an identity holds on the LLM's reading:
    # verified, with the LLM's citation as the evidence of its position (placement llm).
    assert all(c.reader == "llm" and c.placement == "llm" and c.status is CellStatus.VERIFIED
               and c.second is not None and c.second.cell_id is not None for c in s4)
    assert record.summary.verified >= 15
    assert record.llm.llm_only == 15
    tasks = {(t.task, t.section): t.outcome for t in record.llm.tasks}
    assert tasks[("table_mapping", "s4")] == "ok" and tasks[("table_mapping", "s3")] == "skipped"


def test_an_unconfirmed_llm_value_stays_null_and_flagged(oracle, llm_settings, golden_inputs) -> None:
    path = golden_inputs / "lvyuan_health_2020.txt"
    doc = read_document(path)
    ex = extract(doc)
    lost = {"s2.licensing.decisions": cells_of(ex)["s2.licensing.decisions"].model_copy(
        update={"state": CellState.UNREADABLE, "value": None, "reasons": ["LAYOUT: simulated"]})}
    record = run(llm_settings, path, always=False, extraction=with_cells(ex, lost))
    c = cells(record)["s2.licensing.decisions"]
    assert c.value is None and c.status is CellStatus.FLAGGED  # no identity covers section 二
    assert any("only the LLM places a value here" in r for r in c.reasons)
    assert c.second is not None and c.second.value is not None


def cells_of(ex) -> dict[str, Cell]:
    return {c.path: c for c in iter_cells(ex.tables)}


def test_auto_mode_skips_tables_the_parser_verified(oracle, fake_llm, llm_settings, golden_inputs) -> None:
    record = run(llm_settings, golden_inputs / "pinghu_health_2024.txt", always=False)
    assert [t.outcome for t in record.llm.tasks if t.task == "table_mapping"] == ["skipped"] * 3
    assert fake_llm.calls == 1  # the narrative only


def test_narrative_breakdown_and_c1_against_the_table(oracle, llm_settings, golden_inputs) -> None:
    pinghu = run(llm_settings, golden_inputs / "pinghu_health_2024.txt", always=False)
    values = [(c.topic, c.value) for c in pinghu.llm.claims]
    assert values[:5] == [("active_total", 207), ("active_part", 62), ("active_part", 77),
                          ("active_part", 48), ("active_part", 20)]
    breakdown = [c for c in pinghu.checks if c.key.startswith("C1:breakdown")]
    assert breakdown and breakdown[0].outcome == "pass"
    for claim in pinghu.llm.claims:
        assert pinghu.text[claim.number_span[0]:claim.number_span[1]] == str(claim.value)
    haining = run(llm_settings, golden_inputs / "haining_health_2020.txt", always=False)
    (warning,) = [w for w in haining.warnings if w.key.startswith("C1:punishment")]
    assert "457" in warning.message and "467" in warning.message and "167 + 290 = 457" in warning.message
    assert haining.text[warning.span[0]:warning.span[1]] == "457"
    assert warning.severity == "warning"


def test_a_claim_is_kept_only_where_its_sentence_prints_the_number(fake_llm, llm_settings,
                                                                  golden_inputs) -> None:
    from fake_llm import Reply

    fake_llm.script(Reply(arguments={"claims": [
        {"topic": "active_total", "sentence": 2, "number": "207", "part_of": None},
        {"topic": "active_part", "sentence": 2, "number": "62", "part_of": 0},
        {"topic": "applications_received", "sentence": 2, "number": "9", "part_of": None},  # invented
        {"topic": "other", "sentence": 2, "number": "6", "part_of": None},  # only inside 62
        {"topic": "other", "sentence": 999, "number": "207", "part_of": None},  # no such sentence
    ]}))
    record = run(llm_settings, golden_inputs / "pinghu_health_2024.txt", always=False)
    sent = next(m["content"] for m in fake_llm.requests[0]["messages"] if m["role"] == "user")
    assert "[2] 2024年度我局公布政府信息207条" in sent
    assert [(c.value, c.part_of) for c in record.llm.claims] == [(207, None), (62, 0)]
    assert record.llm.claims[1].quote == "其中工作信息62条"
    assert record.llm.dropped_claims == 3


def test_a_failed_task_ends_null_and_is_reported(fake_llm, llm_settings, golden_inputs) -> None:
    from fake_llm import Reply

    fake_llm.responder = lambda _: Reply(status=500)
    record = run(llm_settings, golden_inputs / "putuo_health_2020.txt", always=False)
    failed = [t for t in record.llm.tasks if t.outcome == "failed"]
    assert failed and all("HTTP 500" in (t.detail or "") for t in failed)
    assert record.llm.claims == [] and record.summary.flagged > 0


def _metadata_reply(oracle: Oracle, agency: str | None):
    from fake_llm import Reply
    from llm_oracle import task_of

    def respond(request):
        if task_of(request) == "metadata":
            return Reply(arguments={"agency_quote": agency, "year_quote": None})
        return oracle(request)

    return respond


def test_metadata_the_llm_fills_stays_flagged_for_a_person(oracle, fake_llm, llm_settings,
                                                            golden_inputs) -> None:
    """The rules found no agency; the LLM's reading is used but stays a flag, never silent."""
    fake_llm.responder = _metadata_reply(oracle, "政府信息公开工作年度报告")  # not an agency
    record = run(llm_settings, golden_inputs / "excerpt_006.txt")
    assert record.meta.agency.value is None
    assert "META:agency" in {f.key for f in record.flags}

    fake_llm.responder = _metadata_reply(oracle, "中华人民共和国政府信息公开条例")  # a law's title
    record = run(llm_settings, golden_inputs / "excerpt_006.txt")
    assert record.meta.agency.value is None and "META:agency" in {f.key for f in record.flags}


def test_a_plausible_agency_from_the_llm_is_filled_and_flagged(oracle, fake_llm, llm_settings,
                                                               tmp_path) -> None:
    src = tmp_path / "report.txt"
    text = (Path(__file__).resolve().parent.parent / "golden" / "inputs" / "excerpt_006.txt"
            ).read_text(encoding="utf-8")
    src.write_text("抄送：桃源县交通运输局\n" + text, encoding="utf-8")
    assert process(src).meta.agency.value is None  # the rules alone find no agency
    fake_llm.responder = _metadata_reply(Oracle([src]), "桃源县交通运输局")
    record = run(llm_settings, src)
    assert record.meta.agency.value == "桃源县交通运输局"
    flag = next(f for f in record.flags if f.key == "META_LLM:agency")
    assert flag.severity == "flag" and "check it" in flag.message


def test_the_schema_sent_constrains_ids_to_the_open_value_cells(oracle, fake_llm, llm_settings,
                                                                golden_inputs) -> None:
    from llm_oracle import task_of

    from extractor.llm.grid import build_grid

    path = golden_inputs / "lvyuan_health_2020.txt"
    doc = read_document(path)
    ex = extract(doc)
    lost = {p: c.model_copy(update={"state": CellState.UNREADABLE, "value": None,
                                    "reasons": ["LAYOUT: simulated"]})
            for p, c in cells_of(ex).items() if p.startswith("s4.review.")}
    run(llm_settings, path, always=False, extraction=with_cells(ex, lost))
    (request,) = [q for q in fake_llm.requests if task_of(q) == "table_mapping"]
    schema = request["response_format"]["json_schema"]["schema"]  # json_schema mode
    assert set(schema["properties"]) == {"review"}  # only the open row is asked
    ids = schema["$defs"]["CellId"]["enum"]
    grid = build_grid(doc, ex.sections, "s4")
    labels = [cid for cid, tc in grid.cells.items() if tc.text.strip() in ("行政复议", "结果维持", "总计")]
    assert labels and not set(labels) & set(ids)  # a label can never be cited
    # the cells the rules settled in other rows (litigation) are not offered
    settled = {cells_of(ex)[p].span for p in cells_of(ex) if p.startswith("s4.litigation")}
    assert not {(grid.cells[i].start, grid.cells[i].end) for i in ids} & settled
    item = schema["properties"]["review"]["items"]
    assert {"$ref": "#/$defs/CellId"} in item["anyOf"] and {"type": "null"} in item["anyOf"]
