"""Villager and staff talk both ways about a ticket: once staff have written, the villager's answers
(text, voice, photo, location) reach the ticket's thread instead of the legal-question matcher."""

from __future__ import annotations

from typing import Any

from bot.dev import wire
from tests.handlers.test_status import report

CONFIRM = "已转给处理您事项（编号"


def _ticket_with_staff_reply(v: wire.Villager, services: Any, standin: Any) -> Any:
    report(v)
    (ticket,) = services.disputes.for_villager(v.openid)
    standin.state.user_message(v.openid)  # the villager wrote to us: the 48-hour window is open
    services.disputes.claim(ticket.id, "调解员王五")
    services.disputes.reply(ticket.id, "调解员王五", "收到。请把被堵的路拍张照片发过来")
    return ticket


def test_after_staff_wrote_the_villagers_photo_and_words_go_to_the_thread(villager: Any, services: Any,
                                                                         standin: Any) -> None:
    v = villager()
    ticket = _ticket_with_staff_reply(v, services, standin)
    first = v.image("MEDIA_ROAD_1")
    assert CONFIRM in first.content and ticket.id in first.content and "退出" in first.content
    second = v.say("照片发了，就是这条路")
    assert second.kind == "none"  # confirmed once, not after every message
    voice = v.voice("MEDIA_VOICE_1", "路是上个月堵的")
    assert voice.kind == "none"
    v.location(38.5, 106.2, "东村村口")
    thread = services.disputes.thread.entries(ticket.id)
    assert [(e["from"], e["text"]) for e in thread] == [
        ("staff", "收到。请把被堵的路拍张照片发过来"),
        ("villager", ""), ("bot", first.content), ("villager", "照片发了，就是这条路"),
        ("villager", "路是上个月堵的"), ("villager", "东村村口")]
    assert thread[1]["media"]["type"] == "image" and thread[1]["media"]["media_id"] == "MEDIA_ROAD_1"
    assert thread[4]["media"] == {"type": "voice", "media_id": "MEDIA_VOICE_1", "recognition": "路是上个月堵的"}
    assert thread[5]["media"]["type"] == "location" and thread[5]["media"]["lat"] == 38.5
    assert services.disputes.thread.unread() == {ticket.id: 4}


def test_a_new_staff_message_is_confirmed_again_once(villager: Any, services: Any, standin: Any) -> None:
    v = villager()
    ticket = _ticket_with_staff_reply(v, services, standin)
    assert CONFIRM in v.say("好的").content
    services.disputes.reply(ticket.id, "调解员王五", "明天上午去现场看看")
    assert services.disputes.thread.unread() == {}  # staff answered: read
    assert CONFIRM in v.say("好，我在家等").content
    assert v.say("几点来？").kind == "none"


def test_exit_leaves_the_thread_and_questions_are_answered_again(villager: Any, services: Any,
                                                                standin: Any) -> None:
    v = villager()
    ticket = _ticket_with_staff_reply(v, services, standin)
    assert "已退出" in v.say("退出").content
    assert "12333" in v.say("老板跑了工钱不给咋整").content  # answered as a legal question again
    assert [e["from"] for e in services.disputes.thread.entries(ticket.id)] == ["staff"]


def test_outside_the_window_messages_are_ordinary_again(villager: Any, services: Any, standin: Any) -> None:
    v = villager()
    ticket = _ticket_with_staff_reply(v, services, standin)
    window = services.config.disputes.thread_window_hours * 3600
    real_clock = services.disputes.clock
    services.disputes.thread.redis.hset(services.keys.ticket_thread_meta(ticket.id), "last_staff_at",
                                        repr(real_clock() - window - 60))
    assert "12333" in v.say("老板跑了工钱不给咋整").content  # answered as a legal question again
    assert len(services.disputes.thread.entries(ticket.id)) == 1
    assert services.conversations.get(v.openid)["flow"] == "answered"  # the thread is over; 「详细」 may follow


def test_a_closed_ticket_ends_the_thread(villager: Any, services: Any, standin: Any) -> None:
    v = villager()
    ticket = _ticket_with_staff_reply(v, services, standin)
    services.disputes.transition(ticket.id, "resolved", "调解员王五", outcome="调解成功")
    services.disputes.close(ticket.id, "调解员王五")
    assert "谢谢您的评价" in v.say("5").content  # the rating question took over the thread
    assert services.disputes.get(ticket.id).rating == 5
    assert services.disputes.thread.entries(ticket.id)[-1]["from"] == "bot"
    assert "12333" in v.say("老板跑了工钱不给咋整").content  # answered as a legal question again


def test_staff_writing_never_cuts_into_a_report_being_filed(villager: Any, services: Any,
                                                           standin: Any) -> None:
    v = villager()
    ticket = _ticket_with_staff_reply(v, services, standin)
    v.say("退出")
    v.say("我要反映 隔壁的牛吃了我家的麦子")
    services.disputes.reply(ticket.id, "调解员王五", "还在吗？")
    assert services.conversations.get(v.openid)["flow"] == "report"


def test_add_opens_the_thread_without_staff_writing_first(villager: Any, services: Any) -> None:
    v = villager()
    assert "没有正在办理的事项" in v.say("补充").content
    report(v)
    (ticket,) = services.disputes.for_villager(v.openid)
    prompt = v.say("我还要说").content
    assert ticket.id in prompt and "退出" in prompt
    assert v.say("他家还砍了我两棵树").kind == "none"
    v.image("MEDIA_TREE")
    thread = services.disputes.thread.entries(ticket.id)
    assert [(e["from"], e["text"]) for e in thread] == [("villager", "他家还砍了我两棵树"), ("villager", "")]
    assert thread[1]["media"]["media_id"] == "MEDIA_TREE"
    assert "已退出" in v.say("退出").content
