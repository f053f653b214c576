"""The compact JSON of a record: what results.jsonl lines and the store's records hold.

A record's JSON without what the model fills in by itself: no null field (every nullable
field defaults to null) and, in each table cell, no field at its default (`reasons` [],
`placement` "direct", `reader` "parser"). It is still the JSON of a `Record`
(`Record.model_validate_json(line)` reads it), about a third smaller than the full dump,
and faster to compress. `decode` reads it (and the full JSON of older stores and exports);
`full_json` gives the full form, every field spelled out.
"""

from __future__ import annotations

from extractor.schema import Record

#: A cell's fields at their defaults, as the full dump writes them (only `Cell` has fields
#: of these names; `SecondReading.reader` is always "llm"). Inside a JSON string every
#: quote is escaped, so these never match text.
_DEFAULTS = (',"reasons":[]', ',"placement":"direct"', ',"reader":"parser"')


def encode(record: Record) -> str:
    """The compact JSON of `record` (pydantic's dump without nulls, then the cells' default
    fields cut: string work, no Python walk over the cells)."""
    text = record.model_dump_json(exclude_none=True)
    for default in _DEFAULTS:
        text = text.replace(default, "")
    return text


def decode(text: str | bytes) -> Record:
    """A record from its compact (or full) JSON; `ValueError` when it is not one."""
    return Record.model_validate_json(text)


def full_json(text: str | bytes) -> str:
    """The full JSON of a record given in compact form (every field, nulls included)."""
    return decode(text).model_dump_json()
