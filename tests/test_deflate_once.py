"""`codec.deflate` compresses a record's JSON once for two streams (issue 17): the store's
blob must be zlib's own compression of the JSON, and the results.jsonl.gz member gzip's own
compression of the line (with the normalized text under `--with-text`), byte for byte,
whatever the JSON and the text hold."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.run.pipeline import process
from extractor.schema import Record
from extractor.store.codec import deflate, encode_bare, with_text

ROOT = Path(__file__).resolve().parent.parent
LVYUAN = ROOT / "golden" / "inputs" / "lvyuan_health_2020.txt"


def reference(bare: str, text: str | None) -> tuple[bytes, bytes]:
    line = bare if text is None else with_text(bare, text)
    member = gzip.compress((line + "\n").encode(), compresslevel=6, mtime=0)
    # the gzip header's OS byte: the project writes 255 (unknown, the same bytes on every
    # system), Python's gzip this system's
    return zlib.compress(bare.encode(), 6), member[:9] + b"\xff" + member[10:]


def test_a_golden_records_blob_and_member_are_zlibs_and_gzips_bytes() -> None:
    record = process(LVYUAN)
    assert isinstance(record, Record)
    bare = encode_bare(record)
    assert len(record.text) > 1000
    for text in (None, record.text):
        assert deflate(bare, text) == reference(bare, text)
    assert gzip.decompress(deflate(bare, record.text)[1]).decode() == \
        with_text(bare, record.text) + "\n"


@settings(max_examples=200, deadline=None)
@given(body=st.text(max_size=3000) | st.binary(max_size=40_000).map(lambda b: b.hex()),
       text=st.none() | st.text(max_size=3000))
def test_any_json_and_text_are_deflated_as_zlib_and_gzip_do(body: str, text: str | None) -> None:
    bare = '{"a":' + repr(body) + "}"  # a JSON-like object: what matters is its closing brace
    assert deflate(bare, text) == reference(bare, text)
