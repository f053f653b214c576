"""Small section 三 tables for tests: every template row as a pipe row with its printed label.

`s3_rows` gives each row's label cells and values; tests then drop or break labels, add
publisher rows or rename headers, and `report` wraps the rows in a minimal report.
"""

from __future__ import annotations

from render import S3_GROUPS, S3_OTHER_2021

# Printed labels as the official templates print them (written by hand in render.py, never
# taken from the extractor's own label tables).
GROUP_TITLES = {key: title for key, title, _ in S3_GROUPS} | {"other_processing": "（六）其他处理"}
SUBROW_LABELS = {key: subs for key, _, subs in S3_GROUPS} | {"other_processing": S3_OTHER_2021}
TOP_TITLES = {
    "new_received": "一、本年新收政府信息公开申请数量",
    "carried_over": "二、上年结转政府信息公开申请数量",
    "granted": "（一）予以公开",
    "partially_granted": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "total_processed": "（七）总计",
    "carried_forward": "四、结转下年度继续办理",
}
S3_HEADER = (
    "三、收到和处理政府信息公开申请情况\n"
    "| （本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和） | 申请人情况 |||||||\n"
    "| | 自然人 | 法人或其他组织 ||||| 总计 |\n"
    "| | | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | |\n"
)
S4 = (
    "四、政府信息公开行政复议、行政诉讼情况\n"
    "| 行政复议 ||||| 行政诉讼 ||||||||||\n"
    "| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 "
    "| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |\n"
    "| 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n"
)
HEAD_2021 = (
    "某某区审计局2022年政府信息公开工作年度报告\n一、总体情况\n本机关依法公开政府信息。\n"
    "二、主动公开政府信息情况\n"
    "| 第二十条第（一）项 |||\n| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |\n"
    "| 规章 | 0 | 0 | 0 |\n| 行政规范性文件 | 1 | 0 | 5 |\n"
    "| 第二十条第（五）项 ||\n| 信息内容 | 本年处理决定数量 |\n| 行政许可 | 2 |\n"
    "| 第二十条第（六）项 ||\n| 信息内容 | 本年处理决定数量 |\n| 行政处罚 | 0 |\n| 行政强制 | 0 |\n"
    "| 第二十条第（八）项 ||\n| 信息内容 | 本年收费金额（单位：万元） |\n| 行政事业性收费 | 0 |\n"
)
HEAD_2019 = (
    "某某县卫生健康局2023年政府信息公开工作年度报告\n一、总体情况\n本机关依法公开政府信息。\n"
    "二、主动公开政府信息情况\n"
    "| 第二十条第（一）项 |||\n| 信息内容 | 本年新制作数量 | 本年新公开数量 | 对外公开总数量 |\n"
    "| 规章 | 0 | 0 | 0 |\n| 规范性文件 | 2 | 2 | 9 |\n"
    "| 第二十条第（五）项 |||\n| 信息内容 | 上一年项目数量 | 本年增/减 | 处理决定数量 |\n"
    "| 行政许可 | 12 | -1 | 30 |\n| 其他对外管理服务事项 | 0 | 0 | 0 |\n"
    "| 第二十条第（六）项 |||\n| 信息内容 | 上一年项目数量 | 本年增/减 | 处理决定数量 |\n"
    "| 行政处罚 | 5 | 1 | 7 |\n| 行政强制 | 0 | 0 | 0 |\n"
    "| 第二十条第（八）项 |||\n| 信息内容 | 上一年项目数量 | 本年增/减 ||\n| 行政事业性收费 | 1 | 0 ||\n"
    "| 第二十条第（九）项 |||\n| 信息内容 | 采购项目数量 | 采购总金额 ||\n| 政府集中采购 | 2 | 10.5万元 ||\n"
)
TAIL = "五、存在的主要问题及改进情况\n无。\n六、其他需要报告的事项\n无。\n"

#: A consistent 2021 table: 3 + 1 new, 1 carried over; outcomes 1 | 2 | 1 | 1 | 1.
VALUES_2021: dict[str, list[int]] = {
    "new_received": [3, 1, 0, 0, 0, 0, 4],
    "carried_over": [1, 0, 0, 0, 0, 0, 1],
    "granted": [1, 0, 0, 0, 0, 0, 1],
    "partially_granted": [1, 1, 0, 0, 0, 0, 2],
    "denied_5": [1, 0, 0, 0, 0, 0, 1],
    "unable_1": [1, 0, 0, 0, 0, 0, 1],
    "other_processing_3": [0, 0, 0, 0, 0, 0, 0],
    "total_processed": [4, 1, 0, 0, 0, 0, 5],
    "carried_forward": [0, 0, 0, 0, 0, 0, 0],
}


def row_names(template: str) -> list[str]:
    from extractor.schema import LAYOUTS

    return list(LAYOUTS[template]["s3"])


def s3_rows(template: str = "2021", values: dict[str, list[int]] | None = None) -> dict[str, list[str]]:
    """Row name -> the printed cells of its row (labels, then seven values)."""
    values = VALUES_2021 if values is None else values
    rows: dict[str, list[str]] = {}
    for name in row_names(template):
        v = [str(x) for x in values.get(name, [0] * 7)]
        if name in TOP_TITLES:
            labels = [TOP_TITLES[name]]
            if name == "granted":
                labels = ["三、本年度办理结果", *labels]
        elif name == "other_processing":  # the 2019 template's one （六） row
            labels = [GROUP_TITLES["other_processing"]]
        else:
            group, _, n = name.rpartition("_")
            sub = SUBROW_LABELS[group][int(n) - 1]
            labels = [GROUP_TITLES[group], sub] if n == "1" else [sub]
        rows[name] = [*labels, *v]
    return rows


def pipe(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |\n"


def report(rows: list[list[str]] | dict[str, list[str]], head: str = HEAD_2021,
           s3_header: str = S3_HEADER) -> str:
    body = rows.values() if isinstance(rows, dict) else rows
    return head + s3_header + "".join(pipe(r) for r in body) + S4 + TAIL
