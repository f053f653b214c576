"""The page's static frame and what keeps it safe: the head with its Content-Security-Policy
(the page's own script and style by hash, Trusted Types required), the skeleton review.js
fills, and data embedded as JSON blocks that nothing in the data can close (`script_json`)."""

from __future__ import annotations

import base64
import hashlib
import json
from importlib import resources

_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                   "\u2028": "\\u2028", "\u2029": "\\u2029"}
_SCRIPT_ESCAPE_TABLE = str.maketrans(_SCRIPT_ESCAPES)


def script_json(data: object) -> str:
    """JSON safe to place inside a ``<script type="application/json">`` element: nothing in
    it can end the element or be read as markup (the escapes are valid JSON)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(
        _SCRIPT_ESCAPE_TABLE)


def asset(name: str) -> str:
    return resources.files("extractor.review").joinpath(name).read_text("utf-8")


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def content_security_policy(script: str, style: str) -> str:
    """Nothing may load or run but the page's own inline script and style, by hash."""
    return (f"default-src 'none'; script-src {_csp_hash(script)}; style-src {_csp_hash(style)}; "
            "img-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'; "
            "require-trusted-types-for 'script'; trusted-types 'none'")


def page_head(title_text: str, script: str, style: str) -> str:
    from html import escape

    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{escape(content_security_policy(script, style), quote=False)}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n"
        f"<title>{escape(title_text)}</title>\n<style>{style}</style>\n</head>\n<body>\n"
        "<noscript><p>This page needs JavaScript; decisions.csv next to it can be filled in "
        "a spreadsheet instead.</p></noscript>\n" + SKELETON
    )


#: The static frame of the page; review.js fills it from the JSON blocks.
SKELETON = """<header id="top">
<div class="bar">
<h1>Review</h1>
<span id="batch" class="small"></span>
<strong id="progress" aria-live="polite"></strong>
<span id="decided" class="small"></span>
<label>reviewer <input id="reviewer" placeholder="your name"></label>
<button id="download" type="button">Download decisions.csv</button>
<a id="csv-link" href="decisions.csv">decisions.csv (as written)</a>
</div>
<p id="guide"><strong>1.</strong> Pick a report and work down its <strong>Decide</strong> flags: <kbd>j</kbd>/<kbd>k</kbd>
next/previous flag, then <kbd>a</kbd> accept the value, <kbd>s</kbd> set the right value,
<kbd>w</kbd> the source itself is wrong (<kbd>u</kbd> undo, <kbd>?</kbd> all keys).<br>
<strong>2.</strong> Click any number in the table or the text to see it in the source. Done? <strong>Download
decisions.csv</strong> and run <code>extractor correct decisions.csv</code>.</p>
<div id="keys" class="small" hidden>j or n: next flag · k or p: previous flag · a: accept · s: set a
value (Enter: next) · w: source is wrong · u: undo the decision · ?: this help. Keys act on the
selected cell (outlined in the table).</div>
<div class="bar">
<span class="legend" aria-label="legend"><span class="key verified">verified</span><span
 class="key inferred" title="placed by the identities: trusted only as far as the source is
 consistent">inferred</span><span class="key grounded">grounded only</span><span class="key flagged">flagged</span><span
 class="key corrected">corrected by a person</span><span class="key hit">selected</span></span>
<label>rule <select id="f-rule"><option value="">all</option></select></label>
<label>section <select id="f-section"><option value="">all</option></select></label>
<label>agency <select id="f-agency"><option value="">all</option></select></label>
<label>search <input id="f-text" type="search" placeholder="file or agency"></label>
</div>
</header>
<div id="layout">
<section id="reports" aria-label="reports"><p id="report-count" class="small"></p><ol id="report-list"></ol></section>
<section id="report" aria-label="flags"><p class="small">Choose a report.</p></section>
<section id="grid" aria-label="extracted tables"><div id="equation" hidden></div><div id="tables"></div></section>
<section id="source" aria-label="source text"><div id="panel" class="small">Click a number in the table or the text to see it in the source.</div><div id="text"></div></section>
</div>
"""
