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

`encode_bare` writes the typed tables itself (`tables_json`: the cells' JSON from string
pieces, a third less CPU than pydantic's generic serializer, which also calls an enum
descriptor per field) and leaves the rest of the record to pydantic; a cell holding a
second reading, a correction or OCR provenance, or a value of an unexpected type, is
written by pydantic. tests/test_hand_writers.py holds it to pydantic's bytes.
`encode_bare_bytes` is that JSON in UTF-8, as a worker compresses it: pydantic's bytes
are joined as they are, not decoded, joined as text and encoded again.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from decimal import Decimal
from functools import cache, lru_cache
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import get_args

from pydantic import BaseModel
from zlib_ng import zlib_ng as zlib  # zlib's API and formats, deflating about twice as fast

from extractor.schema import Cell, Record, iter_cells
from extractor.schema.models import CellState, CellStatus

#: A cell's fields at their defaults, as the full dump writes them (only `Cell` has fields
#: of these names; `SecondReading.reader` is always "llm"). Inside a JSON string every
#: quote is escaped, so these never match text.
_DEFAULTS = (',"reasons":[]', ',"placement":"direct"', ',"reader":"parser"')
_DEFAULTS_UTF8 = tuple(d.encode() for d in _DEFAULTS)
#: The deflate level of every stream the tool writes (zlib-ng's 6: within ~1% of zlib's size).
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


def encode_bare(record: Record, tables: str | bytes | None = None) -> str:
    """The compact JSON of `record` without its normalized text (`with_text` restores it):
    `encode_bare_pydantic`'s text (`encode_bare_bytes`, decoded)."""
    return encode_bare_bytes(record, tables).decode()


def encode_bare_bytes(record: Record, tables: str | bytes | None = None) -> bytes:
    """`encode_bare`'s JSON in UTF-8 (what is compressed), with the typed tables (most of a
    record's JSON: ~200 cells) written by `tables_json` (or given: its text, made
    elsewhere, as text or UTF-8) and the rest by pydantic, whose UTF-8 is joined as it is (not decoded to
    text, joined and encoded again)."""
    tables = tables if tables is not None else tables_json(record.tables)
    if tables is None:
        return encode_bare_pydantic(record).encode()
    # The defaults are cut from what pydantic wrote (where a model of those fields has a
    # field of their names); the tables hold none (their writers cut them), and none can
    # begin in one part and end in the next (`,"tables":` and the tail's first key are not
    # one of them).
    head, tail = _dump(record, _HEAD, _CUT_HEAD), _dump(record, _TAIL, _CUT_TAIL)
    return b"".join((head[:-1], b',"tables":', tables if type(tables) is bytes else tables.encode(),  # type: ignore[union-attr]
                     b"," + tail[1:] if len(tail) > 2 else b"}"))


def _dump(record: Record, fields: set[str], cut: bool) -> bytes:
    """pydantic's compact JSON of some of the record's fields in UTF-8, nulls and (`cut`) the
    cells' default fields cut (`model_dump_json`'s bytes before it decodes them)."""
    data = record.__pydantic_serializer__.to_json(record, include=fields, exclude_none=True)
    if cut:
        for default in _DEFAULTS_UTF8:
            data = data.replace(default, b"")
    return data  # type: ignore[no-any-return]


def _models(annotation: object) -> Iterator[type[BaseModel]]:
    """The pydantic models an annotation names (inside lists, unions, dicts ...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in get_args(annotation):
        yield from _models(arg)


def names_defaults(fields: set[str]) -> bool:
    """Whether a model held in these fields of a record (at any depth) has a field named as
    a cell's default field (`_DEFAULTS`: `reasons`, `placement`, `reader`): only then can
    pydantic's JSON of them hold one of those defaults to cut (a JSON string escapes its
    quotes, so text never reads as one)."""
    todo = [m for f in fields for m in _models(Record.model_fields[f].annotation)]
    seen: set[type[BaseModel]] = set()
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        if {"reasons", "placement", "reader"} & set(model.model_fields):
            return True
        todo += [m for f in model.model_fields.values() for m in _models(f.annotation)]
    return False


def encode_bare_pydantic(record: Record) -> str:
    """The compact JSON of `record` without its text, all written by pydantic (the reference
    `encode_bare` must equal byte for byte)."""
    return _cut_defaults(record.model_dump_json(exclude_none=True, exclude=_EXCLUDE_TEXT))


#: Record's fields before and after `tables` (the text left out): pydantic writes them.
_FIELDS = tuple(Record.model_fields)
_HEAD = set(_FIELDS[:_FIELDS.index("tables")])
_TAIL = set(_FIELDS[_FIELDS.index("tables") + 1:]) - _EXCLUDE_TEXT
#: Whether pydantic's JSON of each can hold a cell's default field to cut (none does now:
#: no cell is held outside the tables; the cut costs three scans of ~30 KB a record)
_CUT_HEAD, _CUT_TAIL = names_defaults(_HEAD), names_defaults(_TAIL)
#: The JSON pieces of a cell's state, status and placement, by the enum member (or string),
#: as pydantic writes them (a placement at its default is left out); `outputs.cellpass`
#: writes cells with them too.
STATE_JSON = {s: f',"state":"{s._value_}"' for s in CellState}
STATUS_JSON = {s: f',"status":"{s._value_}"' for s in CellStatus}
PLACEMENT_JSON = {p: "" if p == "direct" else f',"placement":"{p}"'
                  for p in ("direct", "identities", "orphan", "llm")}
_READERS = {"parser": "", "llm": ',"reader":"llm"'}


@lru_cache(maxsize=20_000)
def json_string(s: str) -> str:
    """The JSON of a string as pydantic writes it (UTF-8 kept, `"`, `\\` and control
    characters escaped), remembered: most strings (paths, units, reasons) recur."""
    if type(s) is not str:
        raise TypeError
    return encode_basestring(s)  # type: ignore[no-any-return]


def _span(key: str, span: object) -> str:
    a, b = span  # type: ignore[misc]
    if type(span) is not tuple or type(a) is not int or type(b) is not int:
        raise TypeError
    return f',"{key}":[{a},{b}]'


def _cell_json(c: Cell) -> str:
    """A cell's compact JSON (no null field, no field at its default); a `TypeError` for a
    cell this cannot write exactly as pydantic does (the caller lets pydantic write it)."""
    d = c.__dict__
    if d["second"] is not None or d["correction"] is not None or d["ocr"] is not None:
        raise TypeError
    value = d["value"]
    if value is None:
        v = ""
    elif type(value) is int:
        v = f',"value":{value}'
    elif type(value) is Decimal:
        v = f',"value":"{value}"'
    else:
        raise TypeError
    unit, raw, page, status, reasons = d["unit"], d["raw"], d["page"], d["status"], d["reasons"]
    span, source = d["span"], d["source_span"]
    if page is not None and type(page) is not int:
        raise TypeError
    return "".join((
        '{"path":', json_string(d["path"]), STATE_JSON[d["state"]], v,
        "" if unit is None else ',"unit":' + json_string(unit),
        "" if raw is None else ',"raw":' + json_string(raw),
        "" if span is None else _span("span", span),
        "" if source is None else _span("source_span", source),
        "" if page is None else f',"page":{page}',
        "" if status is None else STATUS_JSON[status],
        f',"reasons":[{",".join(map(json_string, reasons))}]' if reasons else "",
        PLACEMENT_JSON[d["placement"]], _READERS[d["reader"]], "}"))


def cell_json(c: Cell) -> str:
    """A cell's compact JSON: `_cell_json`, or pydantic's for a cell it cannot write."""
    try:
        return _cell_json(c)
    except (TypeError, KeyError):
        return _cut_defaults(c.model_dump_json(exclude_none=True))


@cache
def table_layout(model: type[BaseModel]) -> tuple[tuple[str, ...], str] | None:
    """The JSON around the cells of a typed tables model (`template` first, then sections,
    rows and columns, in field order): the text before each cell, and the closing text; None
    for a model of another shape."""
    fields = tuple(model.model_fields)
    if fields[:1] != ("template",) or model.model_config.get("extra") != "forbid":
        return None
    before: list[str] = []
    pending = ""
    for section in fields[1:]:
        sec = model.model_fields[section].annotation
        pending += f',"{section}":{{'
        for i, row in enumerate(sec.model_fields):  # type: ignore[union-attr]
            row_model = sec.model_fields[row].annotation  # type: ignore[union-attr]
            pending += f'{"," if i else ""}"{row}":{{'
            for j, col in enumerate(row_model.model_fields):  # type: ignore[union-attr]
                if row_model.model_fields[col].annotation is not Cell:  # type: ignore[union-attr]
                    return None
                before.append(f'{pending}{"," if j else ""}"{col}":')
                pending = ""
            pending += "}"
        pending += "}"
    return tuple(before), pending + "}"


def tables_json(tables: BaseModel) -> str | None:
    """The compact JSON of a record's typed tables (its cells' default fields cut), the
    bytes pydantic's dump and `_cut_defaults` make; None when the tables are not the
    models this knows (pydantic then writes them)."""
    layout = table_layout(type(tables))
    template = tables.__dict__.get("template")
    if layout is None or type(template) is not str:
        return None
    before, end = layout
    parts = ['{"template":', json_string(template)]
    cells = iter_cells(tables)
    for prefix, c in zip(before, cells, strict=True):
        if type(c) is not Cell:
            return None
        parts.append(prefix)
        parts.append(cell_json(c))
    parts.append(end)
    return "".join(parts)


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
    return _gzip_wrap(raw, zlib.crc32(data), len(data))


def _gzip_wrap(raw: bytes, crc: int, size: int) -> bytes:
    """A raw deflate stream as a gzip member of data of CRC-32 `crc` and `size` bytes."""
    return _GZIP_HEADER + raw + struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF)


def _zlib_wrap(raw: bytes, data: bytes) -> bytes:
    return b"\x78\x9c" + raw + struct.pack(">I", zlib.adler32(data) & 0xFFFFFFFF)


def line_member(line: bytes) -> bytes:
    """`line` and a newline as one gzip member, the newline given to the compressor after
    the line (zlib-ng's bytes depend on where its input is cut: every results line is
    compressed so, fresh from a worker by `deflate` or again from the store)."""
    c = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    raw = c.compress(line) + c.compress(b"\n") + c.flush()
    return _gzip_wrap(raw, zlib.crc32(b"\n", zlib.crc32(line)), len(line) + 1)


def deflate(bare: str | bytes, text: str | None = None) -> tuple[bytes, bytes]:
    """(the store's record blob: zlib of the JSON, the results.jsonl.gz member:
    `line_member` of the JSON), deflating the JSON once: the compressor is copied before the
    newline, and each copy finishes its own stream. With `text` (`--with-text`) the member
    is `line_member(with_text(json, text))`, deflated on its own."""
    data = bare if type(bare) is bytes else bare.encode()  # type: ignore[union-attr]
    c = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    head = c.compress(data)
    if text is not None:
        return _zlib_wrap(head + c.flush(), data), line_member(with_text(data.decode(), text).encode())
    line = c.copy()
    blob = head + c.flush()
    member = head + line.compress(b"\n") + line.flush()
    # the member's CRC continued over the newline (the JSON is not copied to add it)
    return _zlib_wrap(blob, data), _gzip_wrap(member, zlib.crc32(b"\n", zlib.crc32(data)),
                                              len(data) + 1)
