"""`codec.deflate` compresses a record's JSON once for two streams (issue 17): the store's
blob must be zlib-ng's own zlib compression of the JSON, and the results.jsonl.gz member a
gzip member of the line (with the normalized text under `--with-text`) deflated by zlib-ng
as the line, then its newline (how an export from the store writes it again), byte for
byte, whatever the JSON and the text hold; and both read back with Python's zlib and gzip."""

from __future__ import annotations

import gzip
import random
import struct
import zlib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from zlib_ng import zlib_ng

from extractor.run.pipeline import process
from extractor.schema import Record
from extractor.store.codec import deflate, encode_bare, with_text

ROOT = Path(__file__).resolve().parent.parent
LVYUAN = ROOT / "golden" / "inputs" / "lvyuan_health_2020.txt"


def reference(bare: str, text: str | None) -> tuple[bytes, bytes]:
    line = bare if text is None else with_text(bare, text)
    c = zlib_ng.compressobj(6, zlib_ng.DEFLATED, -15)
    raw = c.compress(line.encode()) + c.compress(b"\n") + c.flush()
    data = (line + "\n").encode()
    # RFC 1952: magic, deflate, no flags, mtime 0, no extra flags, OS 255 (unknown: the same
    # bytes on every system); the data's CRC-32 and size
    member = (b"\x1f\x8b\x08\x00" + bytes(4) + b"\x00\xff" + raw
              + struct.pack("<II", zlib.crc32(data), len(data)))
    return zlib_ng.compress(bare.encode(), 6), member


def test_a_golden_records_blob_and_member_are_zlibs_and_gzips_bytes() -> None:
    record = process(LVYUAN)
    assert isinstance(record, Record)
    bare = encode_bare(record)
    assert len(record.text) > 1000
    for text in (None, record.text):
        assert deflate(bare, text) == reference(bare, text)
    blob, member = deflate(bare, text)
    line = bare if text is None else with_text(bare, text)
    assert zlib.decompress(blob) == bare.encode()
    assert gzip.decompress(member) == (line + "\n").encode()
    assert gzip.decompress(deflate(bare, record.text)[1]).decode() == \
        with_text(bare, record.text) + "\n"


@settings(max_examples=200, deadline=None)
@given(body=st.text(max_size=3000) | st.binary(max_size=40_000).map(lambda b: b.hex()),
       text=st.none() | st.text(max_size=3000))
def test_any_json_and_text_are_deflated_as_zlib_and_gzip_do(body: str, text: str | None) -> None:
    bare = '{"a":' + repr(body) + "}"  # a JSON-like object: what matters is its closing brace
    assert deflate(bare, text) == reference(bare, text)
    blob, member = deflate(bare, text)
    line = bare if text is None else with_text(bare, text)
    assert zlib.decompress(blob) == bare.encode()
    assert gzip.decompress(member) == (line + "\n").encode()


def test_repetitive_lines_are_cut_before_their_newline_as_the_reference_cuts_them() -> None:
    """Where the deflater's matches run into the newline, a member deflated in one piece
    differs from one deflated as the line, then its newline (on about 1 in 4 of these)."""
    rnd = random.Random(17)
    for n in range(60):
        body = "".join(rnd.choice('ab{"x":1},') for _ in range(rnd.randint(500, 5000)))
        bare = '{"a":' + repr(body) + "}"
        text = None if n % 2 else "".join(rnd.choice("ab\n") for _ in range(rnd.randint(1, 3000)))
        assert deflate(bare, text) == reference(bare, text), n
