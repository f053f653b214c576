"""The printed labels of both templates, as data for the label matcher.

Canonical labels are given "bare": no numbering, whitespace or punctuation (see
`labels.bare`).
"""

from __future__ import annotations

S2_ROWS: dict[str, tuple[str, ...]] = {
    "regulations": ("规章",),
    "normative_documents": ("规范性文件", "行政规范性文件"),
    "licensing": ("行政许可",),
    "other_services": ("其他对外管理服务事项", "其他对外管理服务"),
    "punishment": ("行政处罚",),
    "coercion": ("行政强制",),
    "fees": ("行政事业性收费",),
    "procurement": ("政府集中采购",),
}

S3_TOP_ROWS: dict[str, tuple[str, ...]] = {
    "new_received": ("本年新收政府信息公开申请数量", "本年新收"),
    "carried_over": ("上年结转政府信息公开申请数量", "上年结转"),
    "granted": ("予以公开",),
    "partially_granted": ("部分公开区分处理的只计这一情形不计其他情形", "部分公开"),
    "total_processed": ("总计",),
    "carried_forward": ("结转下年度继续办理", "结转下年度"),
}

S3_GROUPS: dict[str, tuple[str, ...]] = {
    "denied": ("不予公开",),
    "unable": ("无法提供",),
    "not_processed": ("不予处理",),
    "other_processing": ("其他处理",),
}

S3_SUBROWS: dict[str, tuple[str, ...]] = {
    "denied": (
        "属于国家秘密",
        "其他法律行政法规禁止公开",
        "危及三安全一稳定",
        "保护第三方合法权益",
        "属于三类内部事务信息",
        "属于四类过程性信息",
        "属于行政执法案卷",
        "属于行政查询事项",
    ),
    "unable": ("本机关不掌握相关政府信息", "没有现成信息需要另行制作", "补正后申请内容仍不明确"),
    "not_processed": (
        "信访举报投诉类申请",
        "重复申请",
        "要求提供公开出版物",
        "无正当理由大量反复申请",
        "要求行政机关确认或重新出具已获取信息",
    ),
    "other_processing": (
        "申请人无正当理由逾期不补正行政机关不再处理其政府信息公开申请",
        "申请人逾期未按收费通知要求缴纳费用行政机关不再处理其政府信息公开申请",
        "其他",
    ),
}

#: Column headers found only in section 三; a row holding one of them is a header.
S3_HEADER_WORDS = frozenset(
    {"自然人", "法人或其他组织", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "申请人情况"}
)

#: Keywords whose presence (whitespace removed) is evidence for a template version.
TEMPLATE_EVIDENCE: dict[str, tuple[str, ...]] = {
    "2019": (
        "本年新制作数量",
        "本年新公开数量",
        "对外公开总数量",
        "上一年项目数量",
        "第二十条第(九)项",
        "政府集中采购",
        "采购总金额",
    ),
    "2021": (
        "本年制发件数",
        "本年废止件数",
        "现行有效件数",
        "本年处理决定数量",
        "本年收费金额",
        "逾期不补正",
        "逾期未按收费通知",
    ),
}
