"""Page footers and page numbers that converters print between a table's rows."""

from __future__ import annotations

import re

_FOOTER = re.compile(
    r"^\s*(?:[-—–―~]{1,2}\s*\d{1,3}\s*[-—–―~]{1,2}|第\s*\d{1,3}\s*页(?:\s*[,，/]?\s*共\s*\d{1,3}\s*页)?"
    r"|\d{1,3}\s*/\s*\d{1,3})\s*$"
)


def is_footer(line: str) -> bool:
    """A page number line such as "— 4 —", "- 4 -" or "第 4 页 共 6 页"."""
    return bool(_FOOTER.match(line))
