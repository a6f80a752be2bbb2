"""Villagers ask how their reports are going, see only their own, and rate the handling afterwards."""

from __future__ import annotations

from typing import Any

from bot.dev import wire


def report(v: wire.Villager, words: str = "我要反映 邻居占了我家地") -> None:
    for message in (words, "1", "好了", "不留", "3", "1"):
        v.say(message)


def test_status_without_any_report_says_so(villager: Any) -> None:
    assert "还没有反映过事项" in villager().say("查询进度").content


def test_status_lists_the_villagers_tickets_by_word_and_by_menu(villager: Any, services: Any) -> None:
    v = villager()
    report(v)
    report(v, "我要反映 老板欠工钱不给")
    first, second = services.disputes.for_villager(v.openid)
    for reply in (v.say("查一下进度"), v.click("MENU_MY_TICKETS")):
        assert first.id in reply.content and second.id in reply.content
        assert "已受理，等待工作人员处理" in reply.content


def test_a_ticket_id_shows_its_progress_in_chinese(villager: Any, services: Any) -> None:
    v = villager()
    report(v)
    (ticket,) = services.disputes.for_villager(v.openid)
    services.disputes.claim(ticket.id, "调解员王五")
    services.disputes.transition(ticket.id, "mediating", "调解员王五")
    detail = v.say(f"{ticket.id} 怎么样了").content
    assert f"编号：{ticket.id}" in detail and "进度：正在调解" in detail and "村：东村" in detail
    services.disputes.transition(ticket.id, "resolved", "调解员王五", outcome="调解成功")
    assert "结果：调解成功" in v.say(ticket.id.lower()).content


def test_nobody_sees_someone_elses_ticket(villager: Any, services: Any) -> None:
    owner, stranger = villager(), villager()
    report(owner)
    (ticket,) = services.disputes.for_villager(owner.openid)
    foreign = stranger.say(ticket.id).content
    missing = stranger.say("JF20200101-0001").content
    assert "没有找到" in foreign and ticket.id in foreign and "东村" not in foreign
    assert foreign.replace(ticket.id, "X") == missing.replace("JF20200101-0001", "X")
    assert ticket.id not in stranger.say("查询进度").content


def _closed_ticket(v: wire.Villager, services: Any, standin: Any) -> Any:
    report(v)
    (ticket,) = services.disputes.for_villager(v.openid)
    standin.state.user_message(v.openid)  # the villager wrote to us: the 48-hour window is open
    services.disputes.claim(ticket.id, "调解员王五")
    services.disputes.transition(ticket.id, "resolved", "调解员王五", outcome="调解成功")
    services.disputes.close(ticket.id, "调解员王五")
    return ticket


def test_after_closing_the_villager_is_asked_and_rates_once(villager: Any, services: Any, standin: Any) -> None:
    v = villager()
    ticket = _closed_ticket(v, services, standin)
    asked = [m["text"] for m in standin.state.messages_for(v.openid)]
    assert any("回复1到5" in text and ticket.id in text for text in asked)
    assert "谢谢您的评价" in v.say("5").content
    assert services.disputes.get(ticket.id).rating == 5
    services.disputes.record_rating(ticket.id, v.openid, 1)  # a second answer is not stored
    assert services.disputes.get(ticket.id).rating == 5
    assert [h["what"] for h in services.disputes.history(ticket.id)].count("rated") == 1


def test_a_question_after_the_rating_offer_is_answered_and_the_offer_stays_open(
        villager: Any, services: Any, standin: Any) -> None:
    v = villager()
    ticket = _closed_ticket(v, services, standin)
    assert "12333" in v.say("老板跑了工钱不给咋整").content  # answered as a legal question
    assert services.disputes.get(ticket.id).rating is None
    assert "谢谢" in v.say("很满意").content  # the offer was still open
    assert services.disputes.get(ticket.id).rating == 5


def test_closing_never_interrupts_a_report_in_progress(villager: Any, services: Any, standin: Any) -> None:
    v = villager()
    report(v)
    (ticket,) = services.disputes.for_villager(v.openid)
    v.say("我要反映 又有新的事")  # a second report going on
    services.disputes.claim(ticket.id, "调解员王五")
    services.disputes.close(ticket.id, "调解员王五")
    assert services.conversations.get(v.openid)["flow"] == "report"
