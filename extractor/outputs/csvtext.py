"""Values as CSV text, as every CSV export writes them: numbers as numbers (amounts as exact
decimals, never in exponent form), null as an empty field, booleans as true/false, and text
neutralised against CSV injection (`safe.neutralise`); `text_field` quotes a text as
`csv.writer`'s default dialect does (for the writers that build lines themselves)."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from extractor.outputs.safe import neutralise


def csv_text(v: object) -> str:
    """One typed value as CSV text (called for every value of every export: the common
    types are tested first)."""
    if v is None:
        return ""
    kind = type(v)
    if kind is int:
        return str(v)
    if kind is str:
        return neutralise(v)  # type: ignore[arg-type]
    if kind is bool:
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, str):
        return neutralise(v)
    return str(v)


@lru_cache(maxsize=20_000)
def text_field(text: str) -> str:
    """A text value as `csv.writer` writes it after `csv_text`: neutralised, then quoted as
    its default dialect quotes (a field holding `,`, `"`, CR or LF, inner quotes doubled);
    remembered (paths, states and reasons recur in every report)."""
    out = csv_text(text)
    if '"' in out or "," in out or "\n" in out or "\r" in out:
        out = '"' + out.replace('"', '""') + '"'
    return out


def int_field(v: int | None) -> str:
    return "" if v is None else str(v)
