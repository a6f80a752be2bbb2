"""After a ticket is closed the villager hears the outcome and rates the handling in their own words;
staff read those words on the ticket page and in the yearly report (Word and Markdown)."""

from __future__ import annotations

import io
from typing import Any

from bot.dev import wire
from tests.handlers.test_status import report


def _closed(v: wire.Villager, services: Any, standin: Any, outcome: str = "调解成功") -> Any:
    report(v)
    (ticket,) = services.disputes.for_villager(v.openid)
    standin.state.user_message(v.openid)  # the villager wrote to us: the 48-hour window is open
    services.disputes.claim(ticket.id, "张调解")
    services.disputes.transition(ticket.id, "resolved", "张调解", outcome=outcome)
    services.disputes.close(ticket.id, "张调解")
    return ticket


def test_a_rating_with_words_keeps_the_words_for_the_ticket_page_and_the_report(
        villager: Any, services: Any, standin: Any, staff_client: Any) -> None:
    from docx import Document

    v = villager()
    ticket = _closed(v, services, standin)
    assert "谢谢您的评价" in v.say("还行吧 就是来得有点慢").content
    stored = services.disputes.get(ticket.id)
    assert (stored.rating, stored.rating_comment) == (3, "还行吧 就是来得有点慢")
    browser = staff_client()
    page = browser.page(f"/staff/tickets/{ticket.id}")
    assert "3 / 5" in page and "还行吧 就是来得有点慢" in page
    year = ticket.id[2:6]
    stats = browser.page(f"/staff/stats?from={year}-01-01&to={year}-12-31")
    assert "村民评价留言" in stats and "还行吧 就是来得有点慢" in stats and f"/staff/tickets/{ticket.id}" in stats
    md = browser.get(f"/staff/stats.md?from={year}-01-01&to={year}-12-31").get_data(as_text=True)
    assert "## 村民评价留言" in md and f"| {ticket.id} | 3 | 还行吧 就是来得有点慢 |" in md
    word = Document(io.BytesIO(browser.get(f"/staff/stats.docx?from={year}-01-01&to={year}-12-31").data))
    rows = [[cell.text for cell in row.cells] for table in word.tables for row in table.rows]
    assert [ticket.id, "3", "还行吧 就是来得有点慢"] in [row[1:] for row in rows]


def test_a_bare_score_leaves_no_comment_and_a_phone_in_a_comment_is_masked_in_the_report(
        villager: Any, services: Any, standin: Any, staff_client: Any) -> None:
    plain, talkative = villager(), villager()
    first = _closed(plain, services, standin)
    plain.say("5分")
    assert services.disputes.get(first.id).rating_comment == ""
    second = _closed(talkative, services, standin)
    talkative.say("不满意 有事打我电话13800000000")
    assert services.disputes.get(second.id).rating == 2
    year = second.id[2:6]
    md = staff_client().get(f"/staff/stats.md?from={year}-01-01&to={year}-12-31").get_data(as_text=True)
    comments = md.split("## 村民评价留言")[1]
    assert "有事打我电话138\\*\\*\\*\\*0000" in comments and "13800000000" not in md and first.id not in comments


def test_the_closing_message_names_the_outcome(villager: Any, services: Any, standin: Any) -> None:
    v = villager()
    _closed(v, services, standin, outcome="调解不成")
    (closing,) = [m["text"] for m in standin.state.messages_for(v.openid) if "已经办结" in m["text"]]
    assert "调解没有谈成" in closing and "人民调解法》第二十六条" in closing and "回复1到5" in closing
    other = villager()
    _closed(other, services, standin)
    assert any("调解成功，双方已经达成一致" in m["text"] for m in standin.state.messages_for(other.openid))


def test_1_right_after_the_status_list_shows_the_ticket_and_is_no_rating(
        villager: Any, services: Any, standin: Any) -> None:
    v = villager()
    ticket = _closed(v, services, standin)  # a rating offer is open
    listed = v.say("查询").content
    assert f"1. {ticket.id}" in listed and "回复序号" in listed
    detail = v.say("1").content
    assert f"编号：{ticket.id}" in detail and "结果：调解成功" in detail
    assert services.disputes.get(ticket.id).rating is None
    assert "谢谢您的评价" in v.say("4").content  # the offer stayed open
    assert services.disputes.get(ticket.id).rating == 4


def test_a_ticket_number_in_short_form_and_small_letters(villager: Any, services: Any) -> None:
    v = villager()
    report(v)
    (ticket,) = services.disputes.for_villager(v.openid)
    day, number = ticket.id[2:].split("-")
    short = f"jf{day}-{int(number)}"
    assert f"编号：{ticket.id}" in v.say(short).content
    assert f"编号：{ticket.id}" in v.say(f"{day}-{int(number)} 办得咋样了").content
