"""A mediator hands a ticket to a colleague, and finds tickets by id, village, the phone's last four
digits or words of the description; filters by assignee."""

from __future__ import annotations

import re
from typing import Any

from tests.console.conftest import flashes


def _rows(html: str) -> list[str]:
    return re.findall(r'data-ticket="([^"]+)"', html)


def test_the_claimer_hands_the_ticket_to_a_colleague(staff_client: Any, new_ticket: Any, services: Any,
                                                     audit: Any) -> None:
    ticket = new_ticket()
    zhang, li = staff_client("张调解"), staff_client("李调解")
    zhang.post(f"/staff/tickets/{ticket.id}/claim")
    res = zhang.post(f"/staff/tickets/{ticket.id}/assign", {"to": "李调解"}, follow_redirects=True)
    assert f"事项 {ticket.id} 已转给 李调解。" in flashes(res.get_data(as_text=True))
    moved = services.disputes.get(ticket.id)
    assert moved.claimed_by == "李调解" and moved.state == "claimed"
    assert services.disputes.queue.holders()[ticket.id] == "李调解"
    assert "转给同事" in li.page(f"/staff/tickets/{ticket.id}")
    assert [e.detail for e in audit.page(action="assign")[0]] == ["李调解"]
    refused = zhang.post(f"/staff/tickets/{ticket.id}/assign", {"to": "张调解"}, follow_redirects=True)
    assert "只有认领人或管理员可以处理" in refused.get_data(as_text=True)  # no longer theirs
    bad = li.post(f"/staff/tickets/{ticket.id}/assign", {"to": "没有这个人"}, follow_redirects=True)
    assert "请选择一位可用的同事。" in flashes(bad.get_data(as_text=True))


def test_search_finds_by_id_digits_village_phone_and_words(staff_client: Any, new_ticket: Any) -> None:
    cattle = new_ticket(village="西村", description="隔壁的牛吃了我家的麦子", phone="13912345678")
    wages = new_ticket(village="东村", description="老板欠工钱不给", phone="13800001111")
    browser = staff_client()
    assert _rows(browser.page(f"/staff/?q={cattle.id}")) == [cattle.id]
    assert _rows(browser.page(f"/staff/?q={wages.id[-4:]}")) == [wages.id]
    assert _rows(browser.page("/staff/?q=西村")) == [cattle.id]
    assert _rows(browser.page("/staff/?q=5678")) == [cattle.id]
    assert _rows(browser.page("/staff/?q=牛 麦子")) == [cattle.id]
    assert _rows(browser.page("/staff/?q=没有的词")) == []


def test_the_queue_filters_by_assignee(staff_client: Any, new_ticket: Any, services: Any) -> None:
    mine, theirs, nobodys = new_ticket(), new_ticket(), new_ticket()
    services.disputes.claim(mine.id, "张调解")
    services.disputes.claim(theirs.id, "李调解")
    browser = staff_client("张调解")
    staff_client("李调解", login=False)
    html = browser.page("/staff/?assignee=张调解")
    assert _rows(html) == [mine.id] and '<option value="李调解"' in html
    assert set(_rows(browser.page("/staff/"))) == {mine.id, theirs.id, nobodys.id}


def test_a_mediator_s_own_view_lists_only_what_they_claimed(staff_client: Any, new_ticket: Any,
                                                           services: Any) -> None:
    mine, theirs = new_ticket(), new_ticket()
    services.disputes.claim(mine.id, "张调解")
    services.disputes.claim(theirs.id, "李调解")
    browser = staff_client("张调解")
    queue = browser.page("/staff/")
    link = re.search(r'<a href="([^"]+)" id="nav-mine">我的</a>', queue)
    assert link, "every page has 「我的」 in its header"
    own = browser.page(link.group(1).replace("&amp;", "&"))
    assert "我的事项" in own and _rows(own) == [mine.id]
