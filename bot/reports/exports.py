"""A stats ``Report`` as files: a Markdown report and CSV exports (pure; used by the CLI and the console).

The CSV has one row per scope (合计, each month, each village, each kind) and one column per figure,
rates as percentages with one decimal; it opens in Excel and WPS (UTF-8 with BOM).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable
from zoneinfo import ZoneInfo

from bot.reports.figures import LABELS, Figures, Report, percent, show

if TYPE_CHECKING:
    from bot.services import Services

TICKET_COLUMNS = ("received", "consultations_staff", "resolved", "mediation_rate", "referred", "risks_found",
                  "response_rate", "solve_rate", "satisfaction_rate")


# A spreadsheet takes a cell starting with one of these as a formula (=cmd|..., +HYPERLINK(...), @SUM(...)).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Markdown and HTML syntax in villagers' text: escaped so the report shows it, never renders it.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!~])")


def csv_cell(value: Any) -> Any:
    """A cell Excel and WPS show as text: one starting like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def md_text(text: str) -> str:
    """Villagers' text for a Markdown table: no raw HTML, image, link or emphasis, one line."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _label(name: str) -> str:
    return LABELS[name]


def figures_csv(report: Report, kind_label: Callable[[str], str] = str) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["维度", "分组", *[_label(n) for n in LABELS]])
    rows: list[tuple[str, str, Figures]] = [("合计", report.period.label(), report.totals)]
    rows += [("月份", m, f) for m, f in report.by_month]
    rows += [("村", v, f) for v, f in report.by_village]
    rows += [("类型", kind_label(k), f) for k, f in report.by_kind]
    for scope, group, figures in rows:
        values = []
        for name in LABELS:
            value = figures.value(name)
            if scope in ("村", "类型") and name in ("consultations", "consultations_bot", "requests_total", "unanswered"):
                values.append("")  # the bot's counters are not split by village or kind
            else:
                values.append(show(name, value) if value is not None else "")
        writer.writerow([csv_cell(c) for c in (scope, group, *values)])
    return "\ufeff" + out.getvalue()


def unanswered_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["问题（已去除个人信息）", "次数", "最近一次"])
    for question, times, day in report.unanswered:
        writer.writerow([csv_cell(question), times, csv_cell(day)])
    return "\ufeff" + out.getvalue()


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    cells = [h.replace("|", "｜") for h in header]
    lines = ["| " + " | ".join(cells) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "｜").replace("\n", " ") for c in row) + " |" for row in rows]
    return lines + [""]


def _breakdown(title: str, rows: list[tuple[str, Figures]], label: Callable[[str], str]) -> list[str]:
    header = ["", *[_label(n) for n in TICKET_COLUMNS]]
    body = [[label(name), *[show(n, f.value(n)) for n in TICKET_COLUMNS]] for name, f in rows]
    return [f"## {title}", "", *_table(header, body)]


def markdown(report: Report, township: str = "", kind_label: Callable[[str], str] = str,
             topic_title: Callable[[str], str] = str, tz: str = "Asia/Shanghai") -> str:
    t = report.totals
    generated = datetime.fromtimestamp(report.generated_at, ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    lines = [f"# {township}村民说事室工作统计（{report.period.label()}）", "",
             f"生成时间：{generated}（北京时间）。口径见文末说明。", ""]
    from bot.reports.word import narrative_markdown

    lines += [narrative_markdown(report, township), "## 主要数据", ""]
    lines += _table(["指标", "数值"], [[_label(n), show(n, t.value(n))] for n in LABELS])
    lines += _breakdown("按月份", report.by_month, str)
    lines += _breakdown("按村", report.by_village, str)
    lines += _breakdown("按纠纷类型", report.by_kind, kind_label)
    lines += ["## 智能问答最常回答的问题", ""]
    lines += _table(["问题", "次数"], [[topic_title(topic), str(n)] for topic, n in report.top_topics]) \
        if report.top_topics else ["（本期没有记录）", ""]
    lines += ["## 智能问答没能回答的问题（知识库待补充）", ""]
    lines += _table(["问题", "次数", "最近一次"], [[md_text(q), str(n), d] for q, n, d in report.unanswered]) \
        if report.unanswered else ["（本期没有记录）", ""]
    lines += ["## 村民评价留言", ""]
    lines += _table(["结案日期", "编号", "评分", "村民的话"],
                    [[day, ticket, str(score), md_text(words)] for day, ticket, score, words in report.rating_comments]) \
        if report.rating_comments else ["（本期没有留言）", ""]
    lines += ["## 口径说明", "", *NOTES]
    return "\n".join(lines) + "\n"


NOTES = [
    "- 受理业务总量 = 接待咨询人次 + 受理纠纷件数。",
    "- 接待咨询人次 = 智能问答答出的问题数 + 工作人员首次答复的村民事项数（送达的回复、安排走访、开始调解或记录结果）。",
    "- 化解纠纷件数：本期记录为“调解成功”的事项；调解率 = 调解成功 ÷（调解成功 + 调解不成）。",
    "- 风险隐患：本期受理的事项中，内容涉及打人、威胁、轻生、上访、聚集等字词，或转派出所处理的；化解 = 其中调解成功，移交 = 其中转有关部门。",
    "- 响应率：本期受理且已到回应期限（或已回应）的事项中，在承诺时间内回应的比例。",
    "- 解决率：本期受理的事项中，调解成功或已转有关部门处理的比例。",
    "- 满意率：本期结案并评价的事项中，评 4 分、5 分的比例。",
    "- 智能问答计数按批写入，进程被强制结束时可能少计几秒钟的数据，为约数。",
]


def summary_line(report: Report) -> str:
    t = report.totals
    return (f"受理业务总量 {t.requests_total}，接待咨询 {t.consultations} 人次，受理纠纷 {t.received} 件，"
            f"化解 {t.resolved} 件，调解率 {percent(t.mediation_rate)}，响应率 {percent(t.response_rate)}，"
            f"解决率 {percent(t.solve_rate)}，满意率 {percent(t.satisfaction_rate)}")


def labels_for(services: Services) -> tuple[Callable[[str], str], Callable[[str], str]]:
    """(kind label, topic title) functions from the services' wording and knowledge base."""
    texts, topics = services.texts, services.kb.topics

    def kind_label(kind: str) -> str:
        key = f"dispute_kind_{kind}"
        return str(texts.get(key)) if key in texts else kind

    def topic_title(topic: str) -> str:
        found = topics.get(topic)
        return found.title if found is not None else topic

    return kind_label, topic_title
