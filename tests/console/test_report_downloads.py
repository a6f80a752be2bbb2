"""The yearly report downloads from the console as Word (with the monthly chart) and Markdown,
laid out like the disputes and 普法 section of the township's 法治政府建设工作报告."""

from __future__ import annotations

import io
from typing import Any


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
    assert any(cell.text == "受理纠纷件数" for t in doc.tables for row in t.rows for cell in row.cells)
    md = browser.get(f"/staff/stats.md?from={year}-01-01&to={year}-12-31")
    body = md.get_data(as_text=True)
    assert md.status_code == 200 and "## 一、矛盾纠纷排查化解" in body and "| 化解纠纷件数 | 1 |" in body


def test_the_chart_is_a_real_png() -> None:
    from bot.reports.word import bar_png

    png = bar_png([1, 0, 3], width=30, height=10)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and b"IHDR" in png
