"""The yearly report downloads from the console as Word (with the monthly chart) and Markdown,
laid out like the disputes and 普法 section of the township's 法治政府建设工作报告."""

from __future__ import annotations

import io
from typing import Any

import pytest


def test_word_and_markdown_reports_download_with_the_figures(staff_client: Any, new_ticket: Any,
                                                             services: Any) -> None:
    from docx import Document

    ticket = new_ticket()
    services.disputes.claim(ticket.id, "张调解")
    services.disputes.transition(ticket.id, "resolved", "张调解", outcome="调解成功")
    year = ticket.id[2:6]
    browser = staff_client()
    stats = browser.page(f"/staff/stats?from={year}-01-01&to={year}-12-31")
    assert "下载报告（Word）" in stats and "下载报告（Markdown）" in stats
    res = browser.get(f"/staff/stats.docx?from={year}-01-01&to={year}-12-31")
    assert res.status_code == 200 and "report-" in res.headers["Content-Disposition"]
    doc = Document(io.BytesIO(res.data))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "一、矛盾纠纷排查化解" in text and "受理矛盾纠纷 1 件，化解 1 件，调解率 100.0%" in text
    assert len(doc.inline_shapes) == 1  # the monthly chart
    labels = {cell.text for t in doc.tables for row in t.rows for cell in row.cells}
    assert {"受理纠纷件数", "化解纠纷件数", "转办件数"} <= labels
    md = browser.get(f"/staff/stats.md?from={year}-01-01&to={year}-12-31")
    body = md.get_data(as_text=True)
    assert md.status_code == 200 and "## 一、矛盾纠纷排查化解" in body and "| 化解纠纷件数 | 1 |" in body


def test_the_chart_has_axes_month_labels_and_a_legend_in_chinese() -> None:
    from PIL import Image

    from bot.reports.chart import cjk_font, draw, monthly_bars

    font = cjk_font()
    if font is None:
        pytest.skip("no CJK font installed (make system-deps installs fonts-wqy-microhei)")
    months = ["2026-01", "2026-02", "2026-03"]
    series = [("received", [3.0, 0.0, 5.0]), ("resolved", [2.0, 0.0, 4.0])]
    figure = draw(months, series)
    (axes,) = figure.axes
    assert [t.get_text() for t in axes.get_xticklabels()] == ["1月", "2月", "3月"]
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["受理纠纷件数", "化解纠纷件数"]
    assert axes.get_ylabel() == "件" and axes.get_xticklabels()[0].get_fontproperties().get_file() == str(font)
    assert [t.get_text() for t in axes.texts] == ["3", "", "5", "2", "", "4"]  # each bar's value; none on 0
    image = Image.open(io.BytesIO(monthly_bars(months, series)))
    assert image.format == "PNG" and image.width > 1000 and image.height > 400


def test_without_a_chinese_font_the_chart_falls_back_to_ascii_labels() -> None:
    from bot.reports.chart import draw

    figure = draw(["2026-01", "2026-02"], [("received", [1.0, 2.0])], fonts=("/nonexistent/font.ttc",))
    (axes,) = figure.axes
    assert [t.get_text() for t in axes.get_xticklabels()] == ["2026-01", "2026-02"]
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["received"]
