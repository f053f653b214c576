"""Template data: versions, layouts (rows and columns of each section), titles, field paths.

The two template versions differ only in their layouts, which are data (`LAYOUTS`); the typed
pydantic models for each version (`extractor.schema.models`) are built from that data so the
JSON Schema, the parser and the verifier can never disagree about which cells exist.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache, lru_cache
from typing import Literal

SCHEMA_VERSION = "1.0"

#: Field paths renamed by each schema version, oldest first: (version, {old path: new path}).
#: Stored human corrections follow the renames when a store is opened by a newer version.
#: A removed field needs no entry: its corrections stay in the store, unapplied.
SCHEMA_RENAMES: tuple[tuple[str, dict[str, str]], ...] = ()


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))

TemplateVersion = Literal["2019", "2021"]

S3_COLUMNS: tuple[str, ...] = (
    "natural_person",
    "commercial",
    "research",
    "social_welfare",
    "legal_service",
    "other",
    "total",
)
S4_COLUMNS: tuple[str, ...] = ("maintained", "corrected", "other", "pending", "total")

_S3_COMMON_HEAD = (
    "new_received",
    "carried_over",
    "granted",
    "partially_granted",
    *(f"denied_{i}" for i in range(1, 9)),
    *(f"unable_{i}" for i in range(1, 4)),
    *(f"not_processed_{i}" for i in range(1, 6)),
)
_S3_TAIL = ("total_processed", "carried_forward")

#: Section -> row -> columns, per template version. Order is the printed order.
LAYOUTS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "2019": {
        "s2": {
            "regulations": ("new_made", "new_published", "total_published"),
            "normative_documents": ("new_made", "new_published", "total_published"),
            "licensing": ("prev_items", "change", "decisions"),
            "other_services": ("prev_items", "change", "decisions"),
            "punishment": ("prev_items", "change", "decisions"),
            "coercion": ("prev_items", "change", "decisions"),
            "fees": ("prev_items", "change"),
            "procurement": ("items", "amount"),
        },
        "s3": {row: S3_COLUMNS for row in (*_S3_COMMON_HEAD, "other_processing", *_S3_TAIL)},
        "s4": {row: S4_COLUMNS for row in ("review", "litigation_direct", "litigation_after_review")},
    },
    "2021": {
        "s2": {
            "regulations": ("issued", "repealed", "in_force"),
            "normative_documents": ("issued", "repealed", "in_force"),
            "licensing": ("decisions",),
            "punishment": ("decisions",),
            "coercion": ("decisions",),
            "fees": ("amount",),
        },
        "s3": {
            row: S3_COLUMNS
            for row in (
                *_S3_COMMON_HEAD,
                "other_processing_1",
                "other_processing_2",
                "other_processing_3",
                *_S3_TAIL,
            )
        },
        "s4": {row: S4_COLUMNS for row in ("review", "litigation_direct", "litigation_after_review")},
    },
}



def section_fingerprints() -> dict[str, str]:
    """A short hash of each table section's schema (rows and columns of both template
    versions). A schema change alters only the fingerprints of the sections it touches, so
    a re-run knows which sections' work (and which LLM calls) must be redone."""
    out = {}
    for section in ("s2", "s3", "s4"):
        shape = [[t, list(LAYOUTS[t][section].items())] for t in ("2019", "2021")]
        out[section] = hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:12]
    return out


#: Cells holding money: value normalised to 万元, printed unit kept.
AMOUNT_FIELDS = frozenset({"s2.procurement.amount", "s2.fees.amount"})

SECTION_IDS: tuple[str, ...] = ("一", "二", "三", "四", "五", "六")

_DENIED = ("属于国家秘密", "其他法律行政法规禁止公开", "危及三安全一稳定", "保护第三方合法权益",
           "属于三类内部事务信息", "属于四类过程性信息", "属于行政执法案卷", "属于行政查询事项")
_UNABLE = ("本机关不掌握相关政府信息", "没有现成信息需要另行制作", "补正后申请内容仍不明确")
_NOT_PROCESSED = ("信访举报投诉类申请", "重复申请", "要求提供公开出版物", "无正当理由大量反复申请",
                  "要求行政机关确认或重新出具已获取信息")
_OTHER_PROCESSING = ("申请人无正当理由逾期不补正", "申请人逾期未按收费通知缴费", "其他")

#: Human-readable labels for messages and CSV headers.
ROW_TITLES: dict[str, str] = {
    "s2.regulations": "规章",
    "s2.normative_documents": "规范性文件",
    "s2.licensing": "行政许可",
    "s2.other_services": "其他对外管理服务事项",
    "s2.punishment": "行政处罚",
    "s2.coercion": "行政强制",
    "s2.fees": "行政事业性收费",
    "s2.procurement": "政府集中采购",
    "s3.new_received": "一、本年新收",
    "s3.carried_over": "二、上年结转",
    "s3.granted": "（一）予以公开",
    "s3.partially_granted": "（二）部分公开",
    **{f"s3.denied_{i + 1}": f"（三）{i + 1}.{t}" for i, t in enumerate(_DENIED)},
    **{f"s3.unable_{i + 1}": f"（四）{i + 1}.{t}" for i, t in enumerate(_UNABLE)},
    **{
        f"s3.not_processed_{i + 1}": f"（五）{i + 1}.{t}"
        for i, t in enumerate(_NOT_PROCESSED)
    },
    "s3.other_processing": "（六）其他处理",
    **{
        f"s3.other_processing_{i + 1}": f"（六）{i + 1}.{t[:12]}"
        for i, t in enumerate(_OTHER_PROCESSING)
    },
    "s3.total_processed": "（七）总计",
    "s3.carried_forward": "四、结转下年度继续办理",
    "s4.review": "行政复议",
    "s4.litigation_direct": "行政诉讼·未经复议直接起诉",
    "s4.litigation_after_review": "行政诉讼·复议后起诉",
}

COLUMN_TITLES: dict[str, str] = {
    "natural_person": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "social_welfare": "社会公益组织",
    "legal_service": "法律服务机构",
    "other": "其他",
    "total": "总计",
    "maintained": "结果维持",
    "corrected": "结果纠正",
    "pending": "尚未审结",
    "new_made": "本年新制作数量",
    "new_published": "本年新公开数量",
    "total_published": "对外公开总数量",
    "issued": "本年制发件数",
    "repealed": "本年废止件数",
    "in_force": "现行有效件数",
    "prev_items": "上一年项目数量",
    "change": "本年增/减",
    "decisions": "处理决定数量",
    "items": "采购项目数量",
    "amount": "金额(万元)",
}


#: Section 三's outcome groups, for the titles of their printed totals (publisher subtotals).
_GROUP_TITLES = {"denied": "（三）不予公开", "unable": "（四）无法提供", "not_processed": "（五）不予处理",
                 "other_processing": "（六）其他处理"}


@lru_cache(maxsize=4096)
@lru_cache(maxsize=4096)
def title(path: str) -> str:
    """A readable name for a cell or row path: 'granted.total' -> '（一）予以公开·总计'; a
    group's printed total 's3.denied.subtotal.total' -> '（三）不予公开 (printed total)·总计'."""
    parts = path.split(".")
    if len(parts) == 4 and parts[2] == "subtotal":
        return f"{_GROUP_TITLES.get(parts[1], parts[1])} (printed total)·{COLUMN_TITLES.get(parts[3], parts[3])}"
    row = ROW_TITLES.get(".".join(parts[:2]), parts[1] if len(parts) > 1 else path)
    if len(parts) < 3:
        return row
    col = parts[2]
    col_title = "其他结果" if parts[0] == "s4" and col == "other" else COLUMN_TITLES.get(col, col)
    return f"{row}·{col_title}"


@cache
def template_paths(template: str) -> tuple[str, ...]:
    """Every cell path of a template version, in printed order."""
    return tuple(
        f"{section}.{row}.{col}"
        for section, rows in LAYOUTS[template].items()
        for row, cols in rows.items()
        for col in cols
    )



@cache
def template_rows(template: str) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(section, row, the row's cell paths) of every row of a template version, in printed
    order."""
    return tuple(
        (section, row, tuple(f"{section}.{row}.{col}" for col in cols))
        for section, rows in LAYOUTS[template].items()
        for row, cols in rows.items()
    )


#: Every cell path of both template versions, 2019's first, each once.
ALL_PATHS: tuple[str, ...] = tuple(dict.fromkeys(template_paths("2019") + template_paths("2021")))
