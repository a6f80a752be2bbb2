"""The yearly report as a Word document (.docx, python-docx), laid out like the disputes and 普法
section of a township's 法治政府建设工作报告: a numbered narrative with the figures in the sentences,
then the tables, a chart per month, and how each figure is counted (pure: a ``Report`` in, bytes out).

The monthly chart (received, resolved and referred disputes) is drawn by ``bot.reports.chart`` with
matplotlib: axes, month labels, a legend and the values; the table under it has the same figures,
so the document reads without it too.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any, Callable, Sequence
from zoneinfo import ZoneInfo

from bot.reports.chart import monthly_bars
from bot.reports.exports import NOTES, TICKET_COLUMNS
from bot.reports.figures import LABELS, Figures, Report, percent, show

def narrative(report: Report, township: str = "") -> list[tuple[str, str]]:
    """(heading, paragraph) pairs in the words of a 法治政府建设 report (Markdown and Word share them)."""
    t = report.totals
    who = township or "本镇"
    return [
        ("一、矛盾纠纷排查化解", (
            f"{report.period.label()}，{who}村民说事室通过公众号受理矛盾纠纷 {t.received} 件，化解 {t.resolved} 件，"
            f"调解率 {percent(t.mediation_rate)}；转有关部门处理 {t.referred} 件。按时回应率 {percent(t.response_rate)}，"
            f"解决率 {percent(t.solve_rate)}，群众满意率 {percent(t.satisfaction_rate)}（{t.rated} 件评价）。")),
        ("二、风险隐患排查", (
            f"排查发现涉及人身安全、群体性等风险隐患 {t.risks_found} 件（其中村民通过公众号紧急求助 {t.urgent_alerts} 件），化解 {t.risks_resolved} 件，"
            f"移交有关部门 {t.risks_referred} 件。")),
        ("三、法律咨询与普法宣传", (
            f"受理业务总量 {t.requests_total} 件次，其中接待法律咨询 {t.consultations} 人次（智能问答 "
            f"{t.consultations_bot}、工作人员答复 {t.consultations_staff}）。公众号推送普法内容 {t.posts_sent} 期，"
            f"送达 {t.posts_reached} 人次。")),
    ]


def narrative_markdown(report: Report, township: str = "") -> str:
    """The narrative as Markdown (placed before the tables of ``exports.markdown``)."""
    return "\n".join(f"## {heading}\n\n{paragraph}\n" for heading, paragraph in narrative(report, township))


def _table(doc: Any, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = text
    for row in rows:
        for cell, text in zip(table.add_row().cells, row):
            cell.text = str(text)


def _breakdown(doc: Any, title: str, rows: list[tuple[str, Figures]], label: Callable[[str], str]) -> None:
    doc.add_heading(title, level=2)
    _table(doc, ["", *[LABELS[n] for n in TICKET_COLUMNS]],
           [[label(name), *[show(n, f.value(n)) for n in TICKET_COLUMNS]] for name, f in rows])


def docx_bytes(report: Report, township: str = "", kind_label: Callable[[str], str] = str,
               topic_title: Callable[[str], str] = str, tz: str = "Asia/Shanghai") -> bytes:
    from docx import Document
    from docx.shared import Cm

    doc = Document()
    doc.add_heading(f"{township}村民说事室工作情况（{report.period.label()}）", level=1)
    generated = datetime.fromtimestamp(report.generated_at, ZoneInfo(tz)).strftime("%Y年%m月%d日 %H:%M")
    doc.add_paragraph(f"统计时间：{generated}（北京时间）。口径见文末说明。")
    for heading, paragraph in narrative(report, township):
        doc.add_heading(heading, level=2)
        doc.add_paragraph(paragraph)
    doc.add_heading("主要数据", level=2)
    _table(doc, ["指标", "数值"], [[LABELS[n], show(n, report.totals.value(n))] for n in LABELS])
    if report.by_month:
        doc.add_heading("每月受理、化解和转办纠纷件数", level=2)
        shown = ("received", "resolved", "referred")
        months = [m for m, _ in report.by_month]
        series = [(name, [float(f.value(name)) for _, f in report.by_month]) for name in shown]
        doc.add_picture(io.BytesIO(monthly_bars(months, series)), width=Cm(16))
        _table(doc, ["月份", *months], [[LABELS[name], *[str(f.value(name)) for _, f in report.by_month]]
                                        for name in shown])
    _breakdown(doc, "按月份", report.by_month, str)
    _breakdown(doc, "按村", report.by_village, str)
    _breakdown(doc, "按纠纷类型", report.by_kind, kind_label)
    doc.add_heading("智能问答最常回答的问题", level=2)
    _table(doc, ["问题", "次数"], [[topic_title(t), str(n)] for t, n in report.top_topics] or [["（本期没有记录）", ""]])
    doc.add_heading("村民评价留言", level=2)
    _table(doc, ["结案日期", "编号", "评分", "村民的话"],
           [[day, ticket, str(score), words] for day, ticket, score, words in report.rating_comments]
           or [["（本期没有留言）", "", "", ""]])
    doc.add_heading("口径说明", level=2)
    for note in NOTES:
        doc.add_paragraph(note.removeprefix("- "), style="List Bullet")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
