"""The export spool hands back each input's lines as added, whatever the order of adds and
reads (a read moves the file's position; the next add must still append)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractor.outputs.spool import Spool

_lines = st.dictionaries(st.sampled_from(["results.jsonl.gz", "cells.csv", "reports.csv"]),
                         st.binary(min_size=1, max_size=50), min_size=1, max_size=3)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.one_of(st.tuples(st.just("add"), _lines),
                                st.tuples(st.just("get"), st.integers(0, 20))), max_size=30))
def test_every_input_reads_back_as_added(tmp_path_factory: object, steps: list[tuple[str, object]]) -> None:
    model: dict[int, dict[str, bytes]] = {}
    with Spool(tmp_path_factory.mktemp("spool")) as spool:  # type: ignore[attr-defined]
        for op, arg in steps:
            if op == "add":
                seq = len(model)
                spool.add(seq, arg)  # type: ignore[arg-type]
                model[seq] = arg  # type: ignore[assignment]
            elif model:  # one added before, or none added
                seq = arg % (len(model) + 1)  # type: ignore[operator]
                assert spool.get(seq) == model.get(seq)
        for seq, lines in model.items():
            assert seq in spool and spool.get(seq) == lines


def test_an_add_after_a_read_appends(tmp_path: Path) -> None:
    with Spool(tmp_path) as spool:
        spool.add(0, {"reports.csv": b"zero\r\n", "flags.csv": b"0\r\n"})
        spool.add(1, {"reports.csv": b"one\r\n"})
        assert spool.get(0) == {"reports.csv": b"zero\r\n", "flags.csv": b"0\r\n"}
        spool.add(2, {"reports.csv": b"two\r\n"})
        assert spool.get(1) == {"reports.csv": b"one\r\n"}
        assert spool.get(2) == {"reports.csv": b"two\r\n"}
        assert spool.get(3) is None


def test_the_spool_file_is_removed_when_closed(tmp_path: Path) -> None:
    with Spool(tmp_path) as spool:
        spool.add(0, {"reports.csv": b"a\r\n"})
        assert spool.path.is_file()
    assert not spool.path.exists()
