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


def _ticket_with_visit_notice(v: wire.Villager, services: Any, standin: Any) -> Any:
    """Staff only scheduled a visit: the automatic notice opens the thread as any staff message does."""
    report(v)
    (ticket,) = services.disputes.for_villager(v.openid)
    standin.state.user_message(v.openid)
    services.disputes.claim(ticket.id, "调解员王五")
    services.disputes.schedule_visit(ticket.id, "调解员王五", "2026-12-09 10:00")
    return ticket


def _quiet_period_passes(services: Any, ticket_id: str) -> None:
    """Move the last acknowledgement back beyond [disputes] thread_ack_quiet_minutes."""
    quiet = services.config.disputes.thread_ack_quiet_minutes * 60
    services.disputes.thread.mark_confirmed(ticket_id, services.disputes.clock() - quiet - 60)


def test_status_words_and_the_tickets_own_number_get_the_status_inside_the_thread(
        villager: Any, services: Any, standin: Any) -> None:
    v = villager()
    ticket = _ticket_with_visit_notice(v, services, standin)
    number = ticket.id.rsplit("-", 1)[-1]  # 「0001」, as the status list shows it
    replies = [v.say(words).content for words in ("查询", "俺那事办得咋样了", ticket.id.lower(), number)]
    for reply in replies:
        assert f"编号：{ticket.id}" in reply and "进度：" in reply, reply
    assert CONFIRM in replies[0] and not any(CONFIRM in reply for reply in replies[1:])  # told once
    thread = services.disputes.thread.entries(ticket.id)
    asked = [e["text"] for e in thread if e["from"] == "villager"]
    assert asked == ["查询", "俺那事办得咋样了", ticket.id.lower(), number]  # staff see what was asked
    assert sum(1 for e in thread if e["from"] == "bot" and f"编号：{ticket.id}" in e["text"]) == 4
    assert v.say("好的 我明天在家").kind == "none"  # the same burst: acknowledged already


def test_a_new_legal_question_in_the_thread_is_answered_noted_for_staff_and_the_thread_goes_on(
        villager: Any, services: Any, standin: Any) -> None:
    v = villager()
    ticket = _ticket_with_staff_reply(v, services, standin)
    answer = v.say("对了 俺还想问问 订婚彩礼能要回来不").content
    assert "彩礼" in answer and "详细" in answer  # the knowledge base's answer, not silence
    assert answer.index("彩礼") < answer.index(CONFIRM)  # the answer first, then where the words went
    note, told = services.disputes.thread.entries(ticket.id)[-2:]
    assert note["from"] == "bot" and "【自动回答】" in note["text"] and "彩礼" in note["text"]
    assert told["from"] == "bot" and CONFIRM in told["text"]
    assert "彩礼" in v.say("详细").content  # the answer's choices still work
    assert v.say("法条").content.startswith("法律原文（彩礼")
    assert v.say("路的照片我下午拍").kind == "none"  # ...and the thread takes the words again
    assert v.say("拍了两张").kind == "none"
    state = services.conversations.get(v.openid)
    assert (state["flow"], state["ticket"]) == ("thread", ticket.id)
    assert services.redis.ttl(services.keys.state(v.openid)) > 47 * 3600  # staff's window, not 30 minutes
    thread = services.disputes.thread.entries(ticket.id)
    assert [e["text"] for e in thread if e["from"] == "villager"] == [
        "对了 俺还想问问 订婚彩礼能要回来不", "路的照片我下午拍", "拍了两张"]


def test_a_burst_is_acknowledged_once_and_again_after_a_quiet_period(villager: Any, services: Any,
                                                                    standin: Any) -> None:
    v = villager()
    ticket = _ticket_with_staff_reply(v, services, standin)
    assert CONFIRM in v.say("路是上个月堵的").content
    assert v.say("他家还放了一堆砖").kind == "none"  # same burst: no second acknowledgement
    _quiet_period_passes(services, ticket.id)
    assert CONFIRM in v.say("今天还是堵着").content  # a quiet period later: told again
    assert v.say("麻烦快点").kind == "none"
    assert len([e for e in services.disputes.thread.entries(ticket.id) if e["from"] == "villager"]) == 4


def test_the_consultation_thread_is_never_silent_after_hand_over(villager: Any, services: Any) -> None:
    v = villager()
    v.say("我注册的商标被别人抢注了 还在网店上用我的牌子卖东西 能告他吗")
    assert "咨询编号" in v.say("转人工").content
    (ticket,) = services.disputes.for_villager(v.openid)
    assert v.say("商标是前年申请的").kind == "none"  # the hand-over just said where the words go
    _quiet_period_passes(services, ticket.id)
    assert CONFIRM in v.say("有人在吗").content
    status = v.say("俺那事办得咋样了").content
    assert f"编号：{ticket.id}" in status and "法律咨询" in status
    assert [e["text"] for e in services.disputes.thread.entries(ticket.id) if e["from"] == "villager"][-2:] == [
        "有人在吗", "俺那事办得咋样了"]


def test_add_then_a_quiet_period_is_acknowledged(villager: Any, services: Any) -> None:
    v = villager()
    report(v)
    (ticket,) = services.disputes.for_villager(v.openid)
    v.say("补充")
    assert v.say("他家还砍了我两棵树").kind == "none"  # the 「补充」 prompt already said where it goes
    _quiet_period_passes(services, ticket.id)
    assert CONFIRM in v.say("他家说那两棵树是他们的").content
