"""The contract between stages: template layouts, cells, reports, checks and flags.

The verifier imports this module and nothing else from `extractor`.

Every numeric table cell is a `Cell` with a stable field path such as
``s3.granted.total``. The two template versions differ only in their layouts, which are
data (`LAYOUTS`); the typed pydantic models for each version are built from that data so
the JSON Schema, the parser and the verifier can never disagree about which cells exist.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from decimal import Decimal
from enum import StrEnum
from functools import cache, lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

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


@lru_cache(maxsize=4096)
def title(path: str) -> str:
    """A readable name for a cell or row path: 'granted.total' -> '（一）予以公开·总计'."""
    parts = path.split(".")
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


class CellState(StrEnum):
    NUMBER = "number"  # a printed number
    BLANK = "blank"  # printed cell with nothing in it: null, never 0
    PLACEHOLDER = "placeholder"  # "/", "—", "无": printed, but not a number
    MISSING = "missing"  # the row or the table is absent from the document
    UNREADABLE = "unreadable"  # text present but not one number, or cells that cannot be placed


class CellStatus(StrEnum):
    VERIFIED = "verified"  # grounded and covered by a passing identity
    GROUNDED = "grounded"  # grounded; no identity covers it (or none could be assessed)
    FLAGGED = "flagged"  # a person must look at it; see reasons
    CORRECTED = "corrected"  # a person decided this cell; see Cell.correction


Decision = Literal["accept", "set", "source_wrong"]


Span = tuple[int, int]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SecondReading(Strict):
    """A second reader's (the LLM's) reading of a cell: the recovered-grid cell it cited and
    what that cell's text says (read by the extractor, never taken from the LLM's words)."""

    reader: Literal["llm"] = "llm"
    cell_id: str | None = Field(default=None, description="The grid cell cited; null: none")
    state: CellState | None = None
    value: int | Decimal | None = None
    raw: str | None = None
    span: Span | None = None
    agrees: bool = Field(description="Same reading at the same span as the deterministic parser")


class Correction(Strict):
    """A person's decision on a cell, imported with `extractor correct` and applied by every
    later run of the same document (keyed by the document's sha256 and the cell's path)."""

    decision: Decision = Field(
        description="accept: the machine reading is right; set: the value is another one; "
        "source_wrong: the source itself prints a wrong number (kept as printed)")
    value: int | Decimal | None = Field(default=None, description="The value a person set")
    state: CellState | None = Field(default=None, description="The state a person set")
    machine_state: CellState = Field(description="The machine's reading when the decision was applied")
    machine_value: int | Decimal | None = None
    machine_changed: bool = Field(
        default=False,
        description="The decision was taken on a different machine reading than this run's "
        "(re-extraction changed the cell): still applied, but worth a second look")
    reviewer: str | None = None
    note: str | None = None
    decided_at: str | None = Field(default=None, description="ISO 8601 time of the decision")


class Cell(Strict):
    """One numeric table cell with its provenance."""

    path: str = Field(description="Stable field path, e.g. s3.granted.total")
    state: CellState
    value: int | Decimal | None = Field(
        default=None, description="int for counts; Decimal in 万元 for amounts; null unless state=number"
    )
    unit: str | None = Field(default=None, description="Unit as printed (amounts only)")
    raw: str | None = Field(default=None, description="The cell's text as printed (normalized)")
    span: Span | None = Field(default=None, description="[start, end) in the normalized text")
    source_span: Span | None = Field(
        default=None,
        description="[start, end) in the decoded original file text (for PDF and DOCX: in the "
        "text extracted from the file, which is the normalized text before normalization)",
    )
    page: int | None = Field(default=None, description="1-based page number (PDF input only)")
    status: CellStatus | None = None
    reasons: list[str] = Field(default_factory=list)
    reader: Literal["parser", "llm"] = Field(
        default="parser", description="Who placed this value: the template parser or the LLM")
    second: SecondReading | None = Field(default=None, description="The LLM's reading, if any")
    correction: Correction | None = Field(
        default=None, description="A person's decision on this cell (status is then corrected)")


def _row_model(name: str, cols: tuple[str, ...]) -> type[BaseModel]:
    return create_model(name, __base__=Strict, **{c: (Cell, ...) for c in cols})


def _camel(s: str) -> str:
    return "".join(p.capitalize() for p in s.split("_"))


def _section_model(template: str, section: str) -> type[BaseModel]:
    rows = LAYOUTS[template][section]
    fields: dict[str, Any] = {}
    for row, cols in rows.items():
        fields[row] = (_row_model(f"T{template}{section.upper()}{_camel(row)}", cols), ...)
    return create_model(f"T{template}Section{section.upper()}", __base__=Strict, **fields)


def _tables_model(template: str) -> type[BaseModel]:
    return create_model(
        f"Tables{template}",
        __base__=Strict,
        template=(Literal[template], template),  # type: ignore[valid-type]
        s2=(_section_model(template, "s2"), ...),
        s3=(_section_model(template, "s3"), ...),
        s4=(_section_model(template, "s4"), ...),
    )


Tables2019 = _tables_model("2019")
Tables2021 = _tables_model("2021")
Tables = Annotated[Tables2019 | Tables2021, Field(discriminator="template")]  # type: ignore[valid-type]


def build_tables(template: str, cells: dict[str, Cell]) -> BaseModel:
    """Assemble the typed tables of a template from cells keyed by path."""
    data: dict[str, Any] = {"template": template}
    for section, rows in LAYOUTS[template].items():
        data[section] = {
            row: {col: cells[f"{section}.{row}.{col}"] for col in cols} for row, cols in rows.items()
        }
    model = Tables2019 if template == "2019" else Tables2021
    return model.model_validate(data)


def iter_cells(tables: BaseModel) -> Iterator[Cell]:
    """All cells of typed tables, in printed order."""
    for section in ("s2", "s3", "s4"):
        sec = getattr(tables, section)
        for row in type(sec).model_fields:
            row_obj = getattr(sec, row)
            for col in type(row_obj).model_fields:
                yield getattr(row_obj, col)


class Located(Strict):
    """A piece of metadata with where it was read."""

    value: str | int | None = None
    span: Span | None = None


class SectionHit(Strict):
    id: str = Field(description="一 … 六")
    heading: str
    span: Span


class Issue(Strict):
    """Something a person must look at (a flag) or should know (a warning)."""

    rule: str = Field(description="I1–I5, GROUND, MISSING, LAYOUT, UNIT, META, TRUNCATED, TEMPLATE …")
    key: str = Field(description="Stable id of this issue, e.g. I1:natural_person")
    message: str
    paths: list[str] = Field(default_factory=list)
    verdict: Literal["source_inconsistency", "extraction_error"] | None = None
    span: Span | None = None
    severity: Literal["flag", "warning"] = "flag"


class CheckResult(Strict):
    """The outcome of one identity instance."""

    rule: str
    key: str
    outcome: Literal["pass", "fail", "not_assessable"]
    message: str
    paths: list[str]
    verdict: Literal["source_inconsistency", "extraction_error"] | None = None


class ReportMeta(Strict):
    source_file: str
    sha256: str
    format: str
    encoding: str
    pages: int | None = Field(default=None, description="number of pages (PDF input only)")
    traditional: bool = Field(
        default=False,
        description="the source is in traditional characters; the normalized text maps them "
        "to simplified one for one, so spans are unchanged",
    )
    agency: Located = Field(default_factory=Located)
    year: Located = Field(default_factory=Located)
    template: TemplateVersion | None = None
    template_evidence: list[str] = Field(default_factory=list)


class Subtotal(Strict):
    """A subtotal row a publisher added to section 三 ("小计", "（三）不予公开 合计"): not a
    template row, so never placed into template cells; read with provenance and checked by
    the verifier against the sum of its group's sub-rows, column by column."""

    group: Literal["denied", "unable", "not_processed", "other_processing"]
    label: str = Field(description="The row's label as printed")
    span: Span
    cells: list[Cell] = Field(description="One per section 三 column, path s3.<group>.subtotal.<column>")


class Extraction(Strict):
    """What the extractor hands to the verifier."""

    schema_version: str = SCHEMA_VERSION
    meta: ReportMeta
    sections: list[SectionHit] = Field(default_factory=list)
    truncated: bool = False
    tables: Tables  # type: ignore[valid-type]
    issues: list[Issue] = Field(default_factory=list)
    subtotals: list[Subtotal] = Field(default_factory=list)


class Claim(Strict):
    """A number stated in the narrative, with the verbatim quote it was aligned to."""

    topic: str
    value: int | Decimal = Field(description="Read from the source at number_span")
    quote: str = Field(description="The source text at span (not the LLM's copy)")
    span: Span = Field(description="The aligned quote in the normalized text")
    number_span: Span
    part_of: int | None = Field(default=None, description="Index of the total claim this is a part of")
    alignment: Literal["exact", "fuzzy"]
    score: float = Field(description="Alignment score, 100 = exact")


class LLMTask(Strict):
    task: str = Field(description="table_mapping, narrative, metadata")
    section: str | None = None
    outcome: Literal["ok", "failed", "skipped"]
    detail: str | None = None


class LLMReport(Strict):
    """What the LLM path did for one report. Identical on a re-run from the cache."""

    model: str
    endpoint: str = Field(description="Host of the endpoint (never a key)")
    modes: list[str]
    prompt_versions: dict[str, str]
    tasks: list[LLMTask] = Field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: Decimal = Field(default=Decimal(0), description="Tokens at the configured prices (cache hits included)")
    claims: list[Claim] = Field(default_factory=list)
    dropped_claims: int = Field(default=0, description="Claims whose quote could not be aligned to the text")
    two_readers: int = Field(default=0, description="Cells the parser and the LLM read alike")
    disagreements: int = 0
    llm_only: int = Field(default=0, description="Cells only the LLM could place, accepted once verified")


class Summary(Strict):
    cells: int = 0
    numbers: int = 0
    verified: int = 0
    grounded: int = 0
    flagged: int = 0
    corrected: int = Field(default=0, description="Cells decided by a person")


def summarize(tables: BaseModel) -> Summary:
    """Counts of a report's cells by state and status (after verification)."""
    counts = dict.fromkeys(CellStatus, 0)
    cells = numbers = 0
    for cell in iter_cells(tables):
        cells += 1
        numbers += cell.state is CellState.NUMBER
        if cell.status is not None:
            counts[cell.status] += 1
    return Summary(cells=cells, numbers=numbers, verified=counts[CellStatus.VERIFIED],
                   grounded=counts[CellStatus.GROUNDED], flagged=counts[CellStatus.FLAGGED],
                   corrected=counts[CellStatus.CORRECTED])


class Record(Strict):
    """One line of results.jsonl: the extraction after verification."""

    schema_version: str = SCHEMA_VERSION
    meta: ReportMeta
    sections: list[SectionHit]
    truncated: bool
    tables: Tables  # type: ignore[valid-type]
    checks: list[CheckResult]
    flags: list[Issue]
    warnings: list[Issue]
    summary: Summary
    llm: LLMReport | None = Field(default=None, description="The LLM pass, when one ran")
    text: str = Field(description="The normalized source text every span points into")
