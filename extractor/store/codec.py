"""The compact JSON of a record: what results lines and the store's records hold, and the
compressed forms of it.

A record's JSON without what the model fills in by itself: no null field (every nullable
field defaults to null) and, in each table cell, no field at its default (`reasons` [],
`placement` "direct", `reader` "parser"). It is still the JSON of a `Record`
(`Record.model_validate_json(line)` reads it), about a third smaller than the full dump,
and faster to compress. `decode` reads it (and the full JSON of older stores and exports);
`full_json` gives the full form, every field spelled out.

The normalized text (`Record.text`, the record's last field) is kept apart: `encode_bare`
is the JSON without it (what the store's record blob and a default results line hold; the
store keeps the text once per result in its own column) and `with_text` puts it back, at
the end, where `encode` writes it.

`deflate` compresses a bare JSON once for both places it goes: the store's record blob
(a zlib stream) and the document's member of results.jsonl.gz (a gzip member: the JSON and
a newline); the two share the deflate work up to their last block.
"""

from __future__ import annotations

import json
import struct
import zlib

from extractor.schema import Record

#: A cell's fields at their defaults, as the full dump writes them (only `Cell` has fields
#: of these names; `SecondReading.reader` is always "llm"). Inside a JSON string every
#: quote is escaped, so these never match text.
_DEFAULTS = (',"reasons":[]', ',"placement":"direct"', ',"reader":"parser"')
LEVEL = 6
#: A gzip member's header: magic, deflate, no flags, mtime 0 (the same bytes whenever and
#: wherever it is written), extra flags 0, OS unknown.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_EXCLUDE_TEXT = {"text"}


def _cut_defaults(text: str) -> str:
    for default in _DEFAULTS:
        text = text.replace(default, "")
    return text


def encode(record: Record) -> str:
    """The compact JSON of `record`, text included (pydantic's dump without nulls, then the
    cells' default fields cut: string work, no Python walk over the cells)."""
    return _cut_defaults(record.model_dump_json(exclude_none=True))


def encode_bare(record: Record) -> str:
    """The compact JSON of `record` without its normalized text (`with_text` restores it)."""
    return _cut_defaults(record.model_dump_json(exclude_none=True, exclude=_EXCLUDE_TEXT))


def with_text(bare: str, text: str) -> str:
    """A bare record JSON with the text put back as its last field: `encode`'s bytes."""
    return f'{bare[:-1]},"text":{json.dumps(text, ensure_ascii=False)}}}'


def decode(text: str | bytes) -> Record:
    """A record from its compact (or full) JSON; `ValueError` when it is not one."""
    return Record.model_validate_json(text)


def decode_any(line: str) -> tuple[Record, bool]:
    """A record from a results line that may lack its text (a default results line): the
    record (text "" when absent) and whether the line carried the text."""
    if '"text":' in line:  # only the record's own field is named so (quotes inside JSON
        return Record.model_validate_json(line), True  # strings are escaped)
    body = line.rstrip()
    if not body.endswith("}"):
        raise ValueError("not a JSON object")
    # parsed as JSON, as a line with its text is (amounts stay exact decimals)
    return Record.model_validate_json(with_text(body, "")), False


def full_json(text: str | bytes) -> str:
    """The full JSON of a record given in compact form (every field, nulls included)."""
    return decode(text).model_dump_json()


def zlib_blob(data: bytes) -> bytes:
    return zlib.compress(data, LEVEL)


def gzip_member(data: bytes) -> bytes:
    """`data` as one gzip member (fixed header: the same bytes for the same data)."""
    c = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    raw = c.compress(data) + c.flush()
    return _gzip_wrap(raw, data)


def _gzip_wrap(raw: bytes, data: bytes) -> bytes:
    return (_GZIP_HEADER + raw
            + struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF))


def _zlib_wrap(raw: bytes, data: bytes) -> bytes:
    return b"\x78\x9c" + raw + struct.pack(">I", zlib.adler32(data) & 0xFFFFFFFF)


def deflate(bare: str) -> tuple[bytes, bytes]:
    """(the store's record blob: zlib of the JSON, the results.jsonl.gz member: gzip of the
    JSON and a newline), deflating the JSON once: the compressor is copied before its end,
    and each copy finishes its own stream. The member is `gzip_member(json + newline)`,
    byte for byte."""
    data = bare.encode()
    c = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    head = c.compress(data)
    line = c.copy()
    blob = head + c.flush()
    member = head + line.compress(b"\n") + line.flush()
    return _zlib_wrap(blob, data), _gzip_wrap(member, data + b"\n")
