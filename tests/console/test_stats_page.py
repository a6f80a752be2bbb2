"""/staff/stats: the report's figures from real traffic, SVG charts, CSV downloads, the unanswered list."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.console.charts import bar_chart, nice_max


def figure(html: str, label: str) -> str:
    match = re.search(r'<div class="figure"><b>([^<]*)</b><span>' + re.escape(label) + "</span>", html)
    assert match, label
    return match.group(1)


def traffic(villager: Any, staff_client: Any, new_ticket: Any) -> None:
    """Two questions the bot answers, one it cannot, two reports; one mediated and closed with a 5."""
    asker = villager()
    asker.say("老板欠工钱不给怎么办")
    asker.say("彩礼能要回来吗")
    asker.say("量子计算机的原理是什么")
    solved, _waiting = new_ticket(description="邻居动手打人了"), new_ticket(village="西村", kind="wages")
    browser = staff_client()
    browser.post(f"/staff/tickets/{solved.id}/claim")
    browser.post(f"/staff/tickets/{solved.id}/reply", {"text": "我们今天下午到。"})
    browser.post(f"/staff/tickets/{solved.id}/outcome", {"outcome": "调解成功"})
    browser.post(f"/staff/tickets/{solved.id}/close")
    villager(openid=solved.openid).say("5")


def test_the_page_shows_this_years_figures_from_real_traffic(staff_client: Any, new_ticket: Any, villager: Any,
                                                             services: Any) -> None:
    traffic(villager, staff_client, new_ticket)
    html = staff_client().page("/staff/stats")
    bot_answers = int(figure(html, "接待咨询人次")) - 1
    assert bot_answers >= 1  # the knowledge base answered at least one of the two questions
    assert figure(html, "受理纠纷件数") == "2" and figure(html, "化解纠纷件数") == "1"
    assert figure(html, "受理业务总量") == str(bot_answers + 1 + 2)
    assert figure(html, "调解率") == "100.0%" and figure(html, "满意率") == "100.0%"
    assert figure(html, "发现风险隐患") == "1" and figure(html, "化解风险隐患") == "1"
    assert figure(html, "解决率") == "50.0%"
    assert "量子计算机的原理是什么" in html[html.index('id="unanswered"'):]
    # The charts are drawn without script; the one script is the poller every page has for urgent items.
    assert html.count("<svg") == 5 and re.findall(r"<script[^>]*>", html) == [
        '<script src="/staff/static/live.js" defer>']


def test_a_date_range_narrows_the_figures_and_bad_dates_fall_back_to_this_year(staff_client: Any,
                                                                             new_ticket: Any) -> None:
    new_ticket()
    browser = staff_client()
    assert figure(browser.page("/staff/stats?from=2020-01-01&to=2020-12-31"), "受理纠纷件数") == "0"
    res = browser.get("/staff/stats?from=2026-02-30&to=2026-01-01")
    html = res.get_data(as_text=True)
    assert res.status_code == 400 and "日期格式应为" in html and figure(html, "受理纠纷件数") == "1"


@pytest.mark.clock
def test_the_figures_download_as_csv_for_excel(staff_client: Any, new_ticket: Any, services: Any) -> None:
    ticket = new_ticket(village="西村", kind="wages")
    now = datetime.fromtimestamp(ticket.created_at, ZoneInfo(services.config.posts.timezone))
    year, month = now.year, f"{now.year}-{now.month:02d}"  # the year the ticket came in: any day, any year
    res = staff_client().get(f"/staff/stats.csv?from={year}-01-01&to={year}-12-31")
    assert res.status_code == 200 and res.mimetype == "text/csv"
    assert f'filename="figures-{year}-01-01-{year}-12-31.csv"' in res.headers["Content-Disposition"]
    text = res.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["维度", "分组", "受理业务总量", "接待咨询人次"]
    scopes = {(r[0], r[1]): r for r in rows[1:]}
    assert ("月份", month) in scopes and ("类型", "欠薪、劳务纠纷") in scopes
    received = rows[0].index("受理纠纷件数")
    assert scopes[("村", "西村")][received] == "1" and scopes[("村", "东村")][received] == "0"


def test_the_unanswered_list_downloads_as_csv(staff_client: Any, villager: Any) -> None:
    villager().say("量子计算机的原理是什么")
    res = staff_client().get("/staff/stats.csv?table=unanswered")
    assert "量子计算机的原理是什么,1," in res.get_data(as_text=True)


def test_bar_charts_scale_to_a_round_maximum_and_escape_labels() -> None:
    assert [nice_max(v) for v in (0, 1, 3, 7, 12, 21, 180, 2400, 2401)] == [4, 4, 4, 8, 12, 24, 200, 2400, 3200]
    svg = str(bar_chart("村<b>", ["一月", "二月"], [("受理", [3, 7]), ("化解", [1, None])]))
    assert svg.startswith("<svg") and "村&lt;b&gt;" in svg and "<b>" not in svg
    assert svg.count("<rect") == 3 + 2  # three bars, two legend swatches
    assert "二月 受理：7" in svg and ">8</text>" in svg and ">6</text>" in svg
    rates = str(bar_chart("率", ["一月"], [("响应率", [0.5])], percent=True))
    assert "一月 响应率：50%" in rates and ">100%</text>" in rates
    crowded = str(bar_chart("类型", ["欠薪、劳务纠纷"] * 12, [("受理", [1] * 12)]))
    assert "<title>欠薪、劳务纠纷</title>欠薪、劳…</text>" in crowded
    months = str(bar_chart("月", [f"2026-{m:02d}" for m in range(1, 13)], [("受理", [1] * 12)]))
    assert "</title>2026-12</text>" in months and "…" not in months
