"""Recognise what a row is: a table header, a section 三 row, a piece of a lost label, a
publisher's subtotal row, or a group label that sets the context of the rows below it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache, lru_cache
from types import MappingProxyType

from extractor.ingest.document import Row, TextCell
from extractor.mapping.matching import BARE_MAY_REMOVE, bare, best_match, compact
from extractor.mapping.sections import find_sections
from extractor.mapping.state import State
from extractor.schema import LAYOUTS
from extractor.schema.labels import S3_GROUPS, S3_HEADER_WORDS, S3_SUBROWS, S3_TOP_ROWS

_SUBITEM = re.compile(r"^(\d{1,2})\s*[.、,]")


def _names_s3_header(text: str) -> bool:  # not cached: `_header_kind`, its caller, is
    return bare(text) in S3_HEADER_WORDS or "勾稽关系" in text or "申请人情况" in text


def s3_row(labels: list[TextCell], st: State) -> str | None:
    """The s3 row a label sequence names, tracking the （三）…（六） group context."""
    key, st.group = _s3_row(tuple([c.text for c in labels]), st.group)
    return key


@lru_cache(maxsize=16384)
def _s3_row(texts: tuple[str, ...], group: str | None) -> tuple[str | None, str | None]:
    """`s3_row` of label cells with these texts in group context `group`: (the row, the
    group context after it). A function of the labels' words and the context alone, so the
    decision is cached whole: labels repeat within and across reports."""
    for text in texts:
        if (g := _group_named(bare(text))) is not None:
            group = g
    last = texts[-1]
    b = bare(last)
    m = _SUBITEM.match(compact(last))
    if m is not None or group is not None:
        # A sub-row's own label can name its group when the group label was lost or split
        # ("（四）无" | "法提供" across a page break).
        scores = _group_scores(b)
        top_group = max(scores, key=lambda g: scores[g])
        if scores[top_group] >= 0.9 and (group is None or scores[top_group] > scores[group]):
            group = top_group
    if group is not None:
        subs = S3_SUBROWS[group]
        if m and 1 <= int(m.group(1)) <= len(subs):
            # The printed number names the row unless the words clearly name another one (a
            # publisher dropped a sub-row and renumbered the rest): then the words do, and
            # the scanner flags the row (`number_names`).
            key = _words_name_other(b, group, int(m.group(1))) or f"{group}_{m.group(1)}"
        else:
            key = _sub_row(b, group) or ""
        if group == "other_processing" and b in S3_GROUPS["other_processing"]:
            # The 2019 template's one （六）其他处理 row: its label is the group marker itself
            # (in a 2021 report, a section 三 printed in the 2019 template).
            return "other_processing", group
        if key and b not in S3_GROUPS[group]:
            return key, group
    top = _top_row(b)
    if top is not None:
        return top, None
    return None, group


# Label lookups keyed by the bare label (and the group): the label tables are constants,
# and labels repeat within and across reports.

@lru_cache(maxsize=8192)
def _group_named(b: str) -> str | None:
    """The last （三）…（六） group whose label `b` (bare) is or starts with."""
    found = None
    for g, canon in S3_GROUPS.items():
        if any(b.startswith(x) or b == x for x in canon):
            found = g
    return found


@lru_cache(maxsize=8192)
def _group_scores(b: str) -> Mapping[str, float]:
    """How well `b` (bare) matches a sub-row of each group."""
    return MappingProxyType({g: best_match(b, {g: subs})[1] for g, subs in S3_SUBROWS.items()})


@lru_cache(maxsize=8192)
def _sub_row(b: str, group: str) -> str | None:
    """The sub-row of `group` whose label `b` (bare) matches best, if any does."""
    subs = S3_SUBROWS[group]
    return best_match(b, {f"{group}_{i + 1}": (s,) for i, s in enumerate(subs)})[0]


@lru_cache(maxsize=8192)
def _top_row(b: str) -> str | None:
    return best_match(b, S3_TOP_ROWS)[0]


@lru_cache(maxsize=8192)
def _words_name_other(b: str, group: str, number: int) -> str | None:
    """The sub-row of `group` a label's words (`b`, bare) clearly name (a match of 0.9 or
    better) when they do not name sub-row `number` (a match below 0.75) too."""
    subs = S3_SUBROWS[group]
    words, score = best_match(b, {f"{group}_{i + 1}": (s,) for i, s in enumerate(subs)})
    if words is None or score < 0.9 or words == f"{group}_{number}":
        return None
    _, own = best_match(b, {"numbered": (subs[number - 1],)}, threshold=0.0)
    return words if own < 0.75 else None


def number_names(labels: list[TextCell], key: str) -> str | None:
    """The section 三 sub-row a row's printed number names ("2." -> （三）2) when that is not
    `key`, the row its words name: the number and the label contradict each other."""
    group, _, n = key.rpartition("_")
    m = _SUBITEM.match(compact(labels[-1].text))
    if group not in S3_SUBROWS or not n.isdigit() or m is None:
        return None
    number = int(m.group(1))
    if not 1 <= number <= len(S3_SUBROWS[group]) or number == int(n):
        return None
    return f"{group}_{number}"


_S3_NON_OUTCOME = ("new_received", "carried_over", "total_processed", "carried_forward")


@cache
def s3_row_words(template: str) -> dict[str, str]:
    """Each section 三 row of a template -> the bare label words it may be printed with
    (its own, its group's, and 本年度办理结果 for outcome rows), joined by a separator no
    fragment contains."""
    words: dict[str, str] = {}
    for row in LAYOUTS[template]["s3"]:
        group, _, n = row.rpartition("_")
        if row in S3_TOP_ROWS:
            own = S3_TOP_ROWS[row]
        elif row == "other_processing":
            own = S3_GROUPS[row]
        else:
            own = (*S3_GROUPS[group], S3_SUBROWS[group][int(n) - 1])
        extra = () if row in _S3_NON_OUTCOME else ("本年度办理结果",)
        words[row] = "\0".join((*own, *extra))
    return words


def fragments(labels: list[TextCell], template: str) -> bool:
    """Every label cell is a piece of some section 三 row's label (a label broken apart by
    a page break or a converter), so the row's own label was lost."""
    return _fragments(tuple(bare(c.text) for c in labels), template)


@lru_cache(maxsize=8192)
def _fragments(pieces: tuple[str, ...], template: str) -> bool:
    words = s3_row_words(template).values()
    return any(pieces) and all(not p or any(p in w for w in words) for p in pieces)


_SUBTOTAL_WORDS = ("小计", "合计")


def subtotal_group(labels: list[TextCell], st: State) -> str | None:
    """The （三）…（六） group a publisher's subtotal row sums, if the row is one: a label with
    小计/合计 (its group named there or the current one), or a group label alone with values
    (except （六）其他处理, which is a row of the 2019 template: decided at placement)."""
    subtotal, group = _subtotal_label(tuple(bare(c.text) for c in labels))
    return group if group is not None or not subtotal else st.group


@lru_cache(maxsize=8192)
def _subtotal_label(pieces: tuple[str, ...]) -> tuple[bool, str | None]:
    """(the label says 小计/合计, the group it names) for a subtotal row's label, (False, the
    group) for a group label alone, (False, None) for any other label."""
    joined = "".join(pieces)
    named = [g for g, canon in S3_GROUPS.items() if any(x in joined for x in canon)]
    if any(w in joined for w in _SUBTOTAL_WORDS):
        return True, (named[-1] if named else None)
    groups = {x for canon in S3_GROUPS.values() for x in canon}
    if named and named[-1] != "other_processing" and all(
            not p or p in groups or p == "本年度办理结果" for p in pieces):
        return False, named[-1]
    return False, None


#: Words of section 四's header, whole or as a dump splits them ("结果" | "维持").
S4_HEADER_WORDS = frozenset((
    "行政复议", "行政诉讼", "结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉",
    "复议后起诉", "结果", "维持", "纠正", "其他", "尚未", "审结", "审", "结"))
#: A header printed over several lines splits its words anywhere ("结果 … 总" | "维持 … 计",
#: "行政复" | "议"): the characters of the header words, in any order.
_S4_CHARS = frozenset("".join(S4_HEADER_WORDS))
#: Pieces only section 四's header prints (section 三's header shares 其他, 总计, 结果).
_S4_ONLY = ("维持", "纠正", "尚未", "审结", "复议", "诉讼", "起诉")


@lru_cache(maxsize=8192)
def is_s4_header(text: str) -> bool:
    """The text is nothing but section 四 header words, or pieces of them."""
    b = bare(text)
    return bool(b) and set(b) <= _S4_CHARS


def names_s4_header(text: str) -> bool:
    """The text is section 四's header, or a piece of it no other table prints. Not cached:
    a line's text rarely repeats (28% hits on the bench corpus), and what it calls is."""
    return is_s4_header(text) and any(w in bare(text) for w in _S4_ONLY)


def _is_s4_heading(text: str) -> bool:  # not cached: `_header_kind`, its caller, is
    """The line is the heading of section 四, in any of its printed titles."""
    return any(h.id == "四" for h in find_sections([Row([TextCell(text, 0, len(text))], "line", 0, len(text))]))


#: The characters of every word a line must be made of to be a header (`_header_kind`: the
#: header words of sections 三 and 四, 信息内容, 总计, 行政复议) or a group label
#: (`_context_group`: a group's words and at most two more characters).
_HEADER_CHARS = re.escape("".join(sorted(set("".join(
    [*S4_HEADER_WORDS, *S3_HEADER_WORDS, *(x for canon in S3_GROUPS.values() for x in canon),
     "信息内容", "总计", "行政复议"])))))
#: Three characters that are neither such a character nor one `bare` may remove.
_THREE_OTHERS = re.compile(
    f"(?:[{_HEADER_CHARS}{BARE_MAY_REMOVE}]*[^{_HEADER_CHARS}{BARE_MAY_REMOVE}]){{3}}")


def is_prose(label_text: str) -> bool:
    """A line of one cell (`label_text`: its compact text) that is no table header and names
    no group: `table_header` returns False for it and `label_context` finds no group in it.
    Most lines of a report are narrative, each its own: this test costs a fraction of the
    lookups it spares (which miss their caches on such lines).

    Exact: a header names one of a few phrases (tested here) or is made of header words'
    characters; a group label is a group's words and at most two more characters; `bare`
    keeps every character outside `BARE_MAY_REMOVE` of a label that does not end in a
    bracket (no trailing note), and a section heading starts with its numeral. A line with
    three characters outside the header words and `BARE_MAY_REMOVE` is neither."""
    return (bool(label_text) and label_text[-1] not in ")）" and label_text[0] not in "一二三四五六"
            and "第二十条" not in label_text and "勾稽关系" not in label_text
            and "申请人情况" not in label_text and "行政复议" not in label_text.replace("、", "")
            and _THREE_OTHERS.match(label_text) is not None)


def table_header(st: State, labels: list[TextCell], label_text: str, values: list[TextCell],
                 printed: bool, numbers: bool, is_line: bool) -> bool:
    """A table's header row (or line) enters its zone; True when the row is consumed.
    `printed`: some value cell has text; `numbers`: some reads as a value.

    Lines of text must be short to count (a sentence may mention 第二十条 or 行政复议), except
    a flattened section 四 header, which names its columns.
    """
    if not labels:
        return False
    if is_line and len(label_text) > 80:
        # A sentence (not cached: sentences do not repeat) is no header, except a flattened
        # section 四 header, which names its columns.
        kind = "s4" if "结果维持" in label_text and "行政复议" in label_text else None
    else:
        kind = _header_kind(tuple([c.text for c in labels]), label_text, printed, numbers, is_line)
    if kind is None:
        return False
    if kind == "total":  # the 总计 column header, not the （七）总计 row
        return st.zone == "s3"
    if kind == "s2_words":
        st.zone = "s2"
        st.s2_header = [c.text for c in labels]
    elif kind == "s2_article":
        st.zone = "s2"
        if not printed:
            st.s2_header = [label_text]  # a flattened header may carry the unit: （单位：万元）
    else:
        st.zone = kind
    return True


@lru_cache(maxsize=8192)
def _header_kind(texts: tuple[str, ...], label_text: str, printed: bool, numbers: bool,
                 is_line: bool) -> str | None:
    """What a row with label cells `texts` is as a header, by its words alone: "s4", "s3",
    "s2_words" (信息内容…: the header's words), "s2_article" (第二十条), "total" (the 总计
    column header, when inside section 三), or None (not a header). A line is short (see
    `table_header`)."""
    first = compact(texts[0])
    if first == "信息内容" and not printed:
        return "s2_words"
    if "第二十条" in label_text:
        return "s2_article"
    if not numbers and (
        label_text.startswith("行政复议") or "行政复议行政诉讼" in label_text.replace("、", "")
        or any(bare(t) == "行政复议" for t in texts) or names_s4_header(label_text)
        or (is_line and _is_s4_heading(texts[0]))
    ):
        return "s4"
    if any(_names_s3_header(t) for t in texts):
        return "s3"
    if label_text == "总计" and not printed:
        return "total"
    if first == "信息内容":  # with values printed, the checks above take precedence
        return "s2_words"
    return None


def label_context(st: State, labels: list[TextCell], prose: bool = False) -> None:
    """A label-only row inside a table: an s3 group label, or more of the s2 header.
    `prose`: the row is a line `is_prose` tells names no group."""
    if not labels:
        return
    if st.zone == "s3" or st.zone is None:
        if not prose and (g := _context_group(bare(labels[-1].text))) is not None:
            st.group = g
    elif st.zone == "s2":
        st.s2_header.extend(c.text for c in labels)


@lru_cache(maxsize=8192)
def _context_group(b: str) -> str | None:
    """The last （三）…（六） group a group label `b` (bare) names: the group's words, or
    them with at most two more characters."""
    found = None
    for g, canon in S3_GROUPS.items():
        if any(b == x or (b.startswith(x) and len(b) <= len(x) + 2) for x in canon):
            found = g
    return found
