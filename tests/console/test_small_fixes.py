"""Small things villagers and staff noticed: the contact choice 「在公众号里回复我」 reads as such, a
scheduled visit's time reaches the villager, promises read as dates, one word per state, each rate
defined on the stats page."""

from __future__ import annotations

from typing import Any

from tests.handlers.test_status import report


def test_in_account_contact_is_shown_as_such(staff_client: Any, new_ticket: Any) -> None:
    ticket = new_ticket(contact_pref="none")
    assert "在公众号里回复我" in staff_client().page(f"/staff/tickets/{ticket.id}")


def test_a_scheduled_visit_tells_the_villager_when(staff_client: Any, new_ticket: Any, services: Any,
                                                   standin: Any) -> None:
    ticket = new_ticket()
    browser = staff_client("张调解")
    browser.post(f"/staff/tickets/{ticket.id}/claim")
    browser.post(f"/staff/tickets/{ticket.id}/visit", {"when": "2026-12-09T10:00", "note": "带卷尺"})
    sent = [m["text"] for m in standin.state.messages_for(ticket.openid)]
    assert any("12月9日 10:00" in s and ticket.id in s and "上门" in s for s in sent)
    assert services.disputes.thread.entries(ticket.id)[-1]["text"] == sent[-1]
    assert "带卷尺" not in sent[-1]  # the note is internal


def test_the_promise_is_a_date(villager: Any, services: Any) -> None:
    from datetime import datetime

    from bot.disputes.tickets import TZ

    v = villager()
    report(v)
    (ticket,) = services.disputes.for_villager(v.openid)
    due = datetime.fromtimestamp(ticket.due_at, TZ)
    detail = v.say(ticket.id).content
    assert f"工作人员会在{due.month}月{due.day}日前联系您。" in detail and ":" not in detail.split("\n")[-1]


def test_closed_is_called_one_thing(staff_client: Any, new_ticket: Any, services: Any, villager: Any) -> None:
    ticket = new_ticket()
    services.disputes.claim(ticket.id, "张调解")
    services.disputes.transition(ticket.id, "resolved", "张调解", outcome="调解成功")
    assert "已出结果" in staff_client().page(f"/staff/tickets/{ticket.id}")
    services.disputes.close(ticket.id, "张调解")
    assert "已办结" in staff_client().page(f"/staff/tickets/{ticket.id}")
    assert "已结案" not in staff_client().page("/staff/?state=all")


def test_the_stats_page_defines_each_rate(staff_client: Any) -> None:
    html = staff_client().page("/staff/stats")
    definitions = html[html.index('id="definitions"'):]
    for rate in ("响应率", "调解率", "解决率", "满意率"):
        assert f"<dt>{rate}</dt><dd>" in definitions
