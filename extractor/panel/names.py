"""Agency identity: a canonical key for an agency's name as read from its reports.

Reports of one agency over the years print its name in different forms (全角/半角,
traditional characters, 卫健局 for 卫生健康局, 县政府办 for 县人民政府办公室, title words
left around it). `agency_identity` turns a name into a key by a small rule set, in order:

1. `normalise`: NFKC (full-width to half-width), traditional to simplified (OpenCC t2s,
   character for character), whitespace and punctuation removed;
2. `TITLE_NOISE`: words of a report's title that are not part of a name (a year, 年度报告,
   政府信息公开工作, 关于…的) are removed;
3. `VARIANTS`: known short forms of one body's name are written out in full (`NAME_RULES`
   lists each with its reason);
4. a name that is a region and nothing else (`XX区`, `XX镇`: the title of a region's own
   report) is that region's people's government, `XX区人民政府`. Its government office
   (`XX区人民政府办公室`) is another body with its own report and keeps its own key;
5. an alias file (`load_aliases`), when given, maps a name (normalised by 1–3) to a canonical
   name and a region code; it wins over the rules.

Where identity is doubtful the name gets no key (so nothing is linked on a guess) and a
reason: a name that starts with an administrative level but names no region (`区统计局`:
which district?), or a name left empty by the rules. Region (province, city, county) is read
from the leading place names when the name says it.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import opencc

#: Title words around a name: a year, the report's title, a leading 关于 / trailing 的.
TITLE_NOISE: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?:19|20)\d\d年度?"),
    re.compile(r"[〇零一二三四五六七八九]{4}年度?"),
    re.compile(r"(?:关于)?(?:政府|政务)?信息公开(?:工作)?(?:年度)?(?:报告|年报)?的?$"),
    re.compile(r"(?:工作)?年度报告$"),
    re.compile(r"^关于"),
    re.compile(r"的$"),
)


@dataclass(frozen=True)
class NameRule:
    """One known variant of a body's name: the short form (a regex on the end of the name)
    and the full one."""

    id: str
    pattern: str
    full: str
    reason: str


#: Short forms written out, applied in order to the end of a name (a rule never looks past
#: the body's own words, so `XX区人民政府办公室` and `XX区人民政府` stay two bodies).
VARIANTS: tuple[NameRule, ...] = (
    NameRule("V1", r"(?<!人民)政府办(?:公室)?$", "人民政府办公室", "县政府办 = 县人民政府办公室"),
    NameRule("V2", r"(?<!人民)政府办公厅$", "人民政府办公厅", "省政府办公厅 = 省人民政府办公厅"),
    NameRule("V3", r"(?<!人民)政府$", "人民政府", "县政府 = 县人民政府"),
    NameRule("V4", r"卫健局$", "卫生健康局", "卫健局 = 卫生健康局"),
    NameRule("V5", r"卫健委(?:员会)?$|卫生健康委$", "卫生健康委员会", "卫健委 = 卫生健康委员会"),
    NameRule("V6", r"发改委$|发展改革委(?:员会)?$", "发展和改革委员会", "发改委 = 发展和改革委员会"),
    NameRule("V7", r"发改局$|发展改革局$", "发展和改革局", "发改局 = 发展和改革局"),
    NameRule("V8", r"人社局$", "人力资源和社会保障局", "人社局 = 人力资源和社会保障局"),
    NameRule("V9", r"住建局$", "住房和城乡建设局", "住建局 = 住房和城乡建设局"),
    NameRule("V10", r"市场监管局$", "市场监督管理局", "市场监管局 = 市场监督管理局"),
    NameRule("V11", r"管委会(?=办公室$|$)", "管理委员会", "管委会 = 管理委员会"),
)

#: Every rule, for the README and the panel's documentation (id, what it does).
NAME_RULES: tuple[tuple[str, str], ...] = (
    ("N1", "NFKC (full-width -> half-width), traditional -> simplified, spaces and punctuation removed"),
    ("N2", "title words removed: years, 年度报告, 政府信息公开工作, 关于…的"),
    *((r.id, r.reason) for r in VARIANTS),
    ("R1", "a bare region (XX区, XX镇) is its people's government (XX区人民政府); its office is not"),
    ("D1", "doubtful, not linked: starts with an administrative level but names no region (区统计局)"),
    ("A1", "an alias file maps a name to a canonical name and region code, before all of these"),
)

_PUNCT = re.compile(r"[\s\u3000·•.,，。、:：;；\"'“”‘’《》<>\[\]【】()（）-]+")
#: Leading place names: a province-level unit, then cities, counties, towns. Greedy on the
#: shortest units ("平潭综合实验区" is one).
_PLACE = re.compile(
    r"(?P<name>[\u4e00-\u9fff]{1,10}?(?:特别行政区|自治区|自治州|自治县|地区|新区|实验区|开发区|"
    r"省|市|州|盟|县|区|旗|镇|乡|街道))")
_MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")
#: Words that end a place name but begin a body's name: "市场监督管理局" is not "市" + "场…".
_NOT_PLACE_AFTER = ("场", "政", "委", "级", "直", "属", "长", "民")
_LEVEL_CHARS = "省市州盟县区旗镇乡"
#: A name made of an administrative level and an organ only: which region is not said.
_NO_REGION = re.compile(r"^[省市区县镇乡州旗]")
#: Bodies a region's own report might be read as: a bare region is its government.
_BARE_REGION_END = ("省", "市", "州", "盟", "县", "区", "旗", "镇", "乡", "自治区", "自治州", "自治县")


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalise(name: str) -> str:
    """Rules N1 and N2: width, script, spacing, punctuation, title words."""
    s = unicodedata.normalize("NFKC", name)
    s = _t2s().convert(s)
    s = _PUNCT.sub("", s)
    for _ in range(3):  # title words may nest: "关于XX局2021年度政府信息公开工作年度报告的"
        before = s
        for pat in TITLE_NOISE:
            s = pat.sub("", s)
        if s == before:
            break
    return s


def full_form(name: str) -> str:
    """Rules V1…: known short forms written out."""
    for rule in VARIANTS:
        name = re.sub(rule.pattern, rule.full, name)
    return name


@dataclass(frozen=True)
class Region:
    name: str | None = None  # the leading place names as printed, e.g. "上海市", "信丰县"
    province: str | None = None
    city: str | None = None
    county: str | None = None


def region_of(name: str) -> Region:
    """The region a name says: its leading place names, each placed at a level only when its
    suffix says which (省/自治区/直辖市: province; 州/盟/地区: city; 县/区/旗: county; a 市
    after a province: city, after a city: county; a 市 alone: level unknown)."""
    places: list[str] = []
    rest = name
    while len(places) < 4:
        m = _PLACE.match(rest)
        if m is None:
            break
        place = m["name"]
        tail = rest[m.end():]
        while tail and tail[0] in _LEVEL_CHARS and (len(tail) == 1 or tail[1] not in _NOT_PLACE_AFTER):
            place, tail = place + tail[0], tail[1:]  # "拖市" + "镇": the town 拖市镇
        if not tail or tail[0] in _NOT_PLACE_AFTER or len(place) < 2:
            break
        places.append(place)
        rest = tail
    if not places:
        return Region()
    levels: dict[str, str] = {}
    for p in places:
        if p.endswith(("省", "自治区", "特别行政区")) or p in _MUNICIPALITIES:
            levels.setdefault("province", p)
        elif p.endswith(("州", "盟", "地区")):
            levels.setdefault("city", p)
        elif p.endswith(("县", "区", "旗")):
            levels.setdefault("county", p)
        elif p.endswith("市"):
            if "city" in levels:
                levels.setdefault("county", p)
            elif "province" in levels:
                levels.setdefault("city", p)
    return Region("".join(places), levels.get("province"), levels.get("city"), levels.get("county"))


def _bare_region(name: str) -> bool:
    """The name is one place name and nothing else (the title of a region's own report)."""
    m = _PLACE.fullmatch(name)
    return m is not None and name.endswith(_BARE_REGION_END) and not name.endswith("人民政府")


@dataclass(frozen=True)
class Alias:
    canonical: str
    region_code: str | None


class AliasError(ValueError):
    """The alias file cannot be read, or maps one name to two bodies."""


def load_aliases(path: Path) -> dict[str, Alias]:
    """An alias CSV (UTF-8, with or without BOM): columns `name`, `canonical` (or
    `canonical_name`) and an optional `region_code`; one row per name as printed. Names are
    matched after rules N1–N2 and the variants; a canonical name is itself normalised."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise AliasError(f"{path}: cannot read the alias file: {e}") from e
    out: dict[str, Alias] = {}
    for n, row in enumerate(rows, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        name = row.get("name", "")
        canonical = row.get("canonical") or row.get("canonical_name") or ""
        if not name or not canonical:
            raise AliasError(f"{path}, line {n}: needs a name and a canonical name "
                             "(columns name, canonical, region_code)")
        key = full_form(normalise(name))
        alias = Alias(full_form(normalise(canonical)), row.get("region_code") or None)
        if key in out and out[key] != alias:
            raise AliasError(f"{path}, line {n}: {name!r} is already mapped to "
                             f"{out[key].canonical!r}")
        out[key] = alias
    return out


@dataclass(frozen=True)
class AgencyIdentity:
    """An agency name as read, and what the panel makes of it."""

    read: str | None
    key: str | None  # None: not linked (no name, or doubtful)
    identity: str  # "rules", "alias", "doubtful", "no_name"
    reason: str | None = None  # why doubtful, or which rules changed the name
    region: Region = Region()
    region_code: str | None = None


def agency_identity(read: object, aliases: dict[str, Alias] | None = None) -> AgencyIdentity:
    """The canonical key of an agency name as read (see the module's rules)."""
    if not isinstance(read, str) or not read.strip():
        return AgencyIdentity(None, None, "no_name", "no agency name found in the report")
    norm = full_form(normalise(read))
    if aliases and norm in aliases:
        a = aliases[norm]
        return AgencyIdentity(read, a.canonical, "alias", f"alias file: {read} -> {a.canonical}",
                              region_of(a.canonical), a.region_code)
    if not norm:
        return AgencyIdentity(read, None, "doubtful", "nothing of a name is left once title "
                              "words are removed")
    if _NO_REGION.match(norm) and region_of(norm).name is None:
        return AgencyIdentity(read, None, "doubtful", f"{read!r} names no region (which "
                              f"{norm[0]}?): add it to an alias file to link it")
    key = norm
    if _bare_region(norm):
        key = norm + "人民政府"
    changed = None if key == read else f"{read} -> {key}"
    return AgencyIdentity(read, key, "rules", changed, region_of(key))
