"""`feed`: the standard library's `HTMLParser.feed` of a whole page, with its common tokens
read by one regex each.

`html.parser` spends most of a page's time on its own dispatch: for every tag, a search for
the next "<" or "&", a chain of prefix tests, a regex to find where the tag ends, another
for its name, one per attribute and a position update. Pages are mostly text runs, tags
without attributes (once `html_reader` has blanked the presentational ones) and entity
references. `feed` reads those with one anchored regex and calls the parser's handlers with
exactly what `html.parser` would pass them; every other token (a tag with attributes, a
comment, a declaration, a malformed tag, text inside <script>/<style>) goes through the
parser's own `parse_*` methods, and an "&" that starts no complete reference hands the rest
of the page to `HTMLParser.feed` itself. Held to the parser, callback for callback, by
tests/test_html_feed.py (every HTML input and generated pages).

The parser's position: `feed` does not call `updatepos`; it sets the parser's `at` (the
source offset of the piece being handled, see `html_reader._Renderer.updatepos`) before
each callback, as that `updatepos` keeps it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser, starttagopen
from typing import Protocol

#: The tokens read here, each exactly as `html.parser` (Python 3.11) reads it when it is
#: not inside <script>/<style>: 1 a text run (up to the next "<" or "&"); 2, 3 a start tag
#: with no attribute (the name up to white space, "/" or ">", as `tagfind_tolerant` ends
#: it) and its "/" of "<br/>"; 4 an end tag (`endtagfind`; its first ">" is the one
#: `parse_endtag` looks for); 5 an entity reference closed by ";" (`entityref`); 6 a
#: character reference closed by ";" (`charref`: ";" is not a hex digit); 7 an "&" that
#: can start no reference (not followed by a letter or "#", and not the page's last
#: character): text.
_TOKEN = re.compile(
    r"([^&<]+)"
    r"|<([a-zA-Z][-.a-zA-Z0-9:_]*)[ \t\n\r\f]*(/?)>"
    r"|</([a-zA-Z][-.a-zA-Z0-9:_]*)[ \t\n\r\f]*>"
    r"|&([a-zA-Z][-.a-zA-Z0-9]*);"
    r"|&#([0-9]+|[xX][0-9a-fA-F]+);"
    r"|(&)(?=[^a-zA-Z#])"
)
_CDATA = HTMLParser.CDATA_CONTENT_ELEMENTS


class Positioned(Protocol):
    """An `HTMLParser` that keeps the source offset of what it reads in `at`."""

    at: int


def feed(parser: HTMLParser, text: str) -> None:
    """`parser.feed(text)` on a parser that has read nothing yet (see the module)."""
    if parser.convert_charrefs:  # text runs are unescaped as they are read: not handled here
        parser.feed(text)
        return
    p: Positioned = parser  # type: ignore[assignment]
    parser.rawdata = text  # what the parser's own parse_* methods read
    match = _TOKEN.match
    data, start, startend, end = (parser.handle_data, parser.handle_starttag,
                                  parser.handle_startendtag, parser.handle_endtag)
    entity, char = parser.handle_entityref, parser.handle_charref
    n = len(text)
    i = p.at = 0
    while i < n:
        if parser.cdata_elem is not None:  # inside <script>/<style>: up to its end tag
            m = parser.interesting.search(text, i)
            if m is None:
                break
            if i < m.start():
                data(text[i:m.start()])
                i = p.at = m.start()
            k = parser.parse_endtag(i)
        elif (m := match(text, i)) is not None:
            kind = m.lastindex
            if kind == 1:
                data(m.group(1))
            elif kind == 3:
                tag = m.group(2).lower()
                if m.group(3):
                    startend(tag, [])
                else:
                    start(tag, [])
                    if tag in _CDATA:
                        parser.set_cdata_mode(tag)
            elif kind == 4:
                end(m.group(4).lower())
            elif kind == 5:
                entity(m.group(5))
            elif kind == 6:
                char(m.group(6))
            else:
                data("&")
            i = p.at = m.end()
            continue
        elif text.startswith("<", i):
            k = _markup(parser, text, i)
        else:
            break
        if k < 0:
            break
        i = p.at = k
    parser.rawdata = ""
    if i < n:  # the rest as `feed` reads it (an incomplete token, a stray "&")
        parser.feed(text[i:])


def _markup(parser: HTMLParser, text: str, i: int) -> int:
    """What `HTMLParser.goahead` does at a "<" the regex does not read: the end of the token
    it consumes, or -1 when it waits for more input (nothing handled)."""
    if starttagopen.match(text, i):
        return parser.parse_starttag(i)
    if text.startswith("</", i):
        return parser.parse_endtag(i)
    if text.startswith("<!--", i):
        return parser.parse_comment(i)
    if text.startswith("<?", i):
        return parser.parse_pi(i)
    if text.startswith("<!", i):
        return parser.parse_html_declaration(i)
    if i + 1 < len(text):
        parser.handle_data("<")
        return i + 1
    return -1
