"""The queue page: what a mediator sees first, filters, counts, the overdue badge, pages."""

from __future__ import annotations

import re
import time
from typing import Any

DAY = 86400


def ids_on(html: str) -> list[str]:
    return re.findall(r'<td><a href="/staff/tickets/(JF[^"]+)">', html)


def test_unclaimed_tickets_come_first_longest_waiting_on_top_then_the_ones_in_hand(
        staff_client: Any, new_ticket: Any, services: Any) -> None:
    now = time.time()
    older, newer = new_ticket(at=now - 2 * DAY), new_ticket(at=now - 3600)
    in_hand = new_ticket(at=now - 5 * DAY)
    finished = new_ticket(at=now - 6 * DAY)
    services.disputes.claim(in_hand.id, "李调解")
    services.disputes.close(finished.id, "李调解", "重复反映")
    html = staff_client().page("/staff/")
    assert ids_on(html) == [older.id, newer.id, in_hand.id]
    assert "共 3 件" in html


def test_counts_per_state_are_shown_and_link_to_that_state(staff_client: Any, new_ticket: Any,
                                                          services: Any) -> None:
    for _ in range(3):
        new_ticket()
    claimed = new_ticket()
    services.disputes.claim(claimed.id, "李调解")
    html = staff_client().page("/staff/")
    assert re.search(r'state=new"[^>]*>待认领 3</a>', html)
    assert re.search(r'state=claimed"[^>]*>已认领 1</a>', html)
    assert ">待处理 4</a>" in html
    assert ids_on(staff_client().page("/staff/?state=claimed")) == [claimed.id]


def test_filters_by_village_kind_and_age(staff_client: Any, new_ticket: Any) -> None:
    now = time.time()
    east_land = new_ticket(village="东村", kind="land", at=now - 10 * DAY)
    west_land = new_ticket(village="西村", kind="land", at=now - 1 * DAY)
    west_wages = new_ticket(village="西村", kind="wages", at=now - 4 * DAY)
    browser = staff_client()
    assert ids_on(browser.page("/staff/?village=西村")) == [west_wages.id, west_land.id]
    assert ids_on(browser.page("/staff/?kind=land")) == [east_land.id, west_land.id]
    assert ids_on(browser.page("/staff/?village=西村&kind=wages")) == [west_wages.id]
    assert ids_on(browser.page("/staff/?age=3d")) == [east_land.id, west_wages.id]
    assert ids_on(browser.page("/staff/?age=7d")) == [east_land.id]
    assert ids_on(browser.page("/staff/?age=1d")) == []
    assert "没有符合条件的事项" in browser.page("/staff/?village=南村")


def test_unknown_filter_values_are_ignored_rather_than_failing(staff_client: Any, new_ticket: Any) -> None:
    ticket = new_ticket()
    html = staff_client().page("/staff/?state=nonsense&village=<script>&kind=x&age=99y&page=abc")
    assert ids_on(html) == [ticket.id] and "<script>" not in html


def test_a_ticket_past_its_promised_response_time_gets_a_badge_until_someone_responds(
        staff_client: Any, new_ticket: Any, services: Any, config: Any) -> None:
    late = new_ticket(at=time.time() - (config.bot.response_hours + 1) * 3600)
    fresh = new_ticket()
    browser = staff_client()
    html = browser.page("/staff/")
    late_row = html[html.index(late.id):html.index(fresh.id)]
    assert "badge overdue" in late_row and "badge overdue" not in html[html.index(fresh.id):]
    assert ids_on(browser.page("/staff/?overdue=1")) == [late.id]
    browser.post(f"/staff/tickets/{late.id}/claim")
    browser.post(f"/staff/tickets/{late.id}/reply", {"text": "您好，我们明天上门。"})
    assert "badge overdue" not in browser.page("/staff/")
    assert ids_on(browser.page("/staff/?overdue=1")) == []


def test_pages_of_thirty_with_links_that_keep_the_filters(staff_client: Any, new_ticket: Any) -> None:
    now = time.time()
    made = [new_ticket(village="南村", at=now - 3600 * (40 - i)) for i in range(35)]
    browser = staff_client()
    first = browser.page("/staff/?village=南村")
    assert ids_on(first) == [t.id for t in made[:30]]
    assert "第 1 / 2 页" in first and 'href="/staff/?village=%E5%8D%97%E6%9D%91&amp;page=2"' in first
    second = browser.page("/staff/?village=南村&page=2")
    assert ids_on(second) == [t.id for t in made[30:]] and "上一页" in second
    assert ids_on(browser.page("/staff/?village=南村&page=9")) == []


def test_paging_runs_on_from_unclaimed_into_claimed_tickets(staff_client: Any, new_ticket: Any,
                                                           services: Any) -> None:
    now = time.time()
    fresh = [new_ticket(at=now - 3600 * (40 - i)) for i in range(28)]
    taken = [new_ticket(at=now - 3600 * (80 - i)) for i in range(4)]
    for t in taken:
        services.disputes.claim(t.id, "李调解")
    browser = staff_client()
    assert ids_on(browser.page("/staff/")) == [t.id for t in fresh] + [t.id for t in taken[:2]]
    assert ids_on(browser.page("/staff/?page=2")) == [t.id for t in taken[2:]]


def test_all_states_view_includes_closed_tickets_newest_first(staff_client: Any, new_ticket: Any,
                                                              services: Any) -> None:
    now = time.time()
    a, b = new_ticket(at=now - 2 * DAY), new_ticket(at=now - DAY)
    services.disputes.close(a.id, "李调解", "重复")
    assert ids_on(staff_client().page("/staff/?state=all")) == [b.id, a.id]
    assert ids_on(staff_client().page("/staff/?state=closed")) == [a.id]
