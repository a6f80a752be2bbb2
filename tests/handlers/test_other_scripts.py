"""A villager who writes Uyghur, Kazakh or pinyin is never told they sent nothing: the bot answers in
Chinese and in their script that a staff member will read it and when, with the office phone, and
queues it as a consultation with the language noted; the next words join the same thread, where
staff answer. Every sentence here was written for the test."""

from __future__ import annotations

from typing import Any

from bot.dev import wire

UYGHUR = "خوجايىن ئۈچ ئايلىق ئىش ھەققىمنى بەرمىدى، نېمە قىلىمەن"  # boss did not pay me for three months
UYGHUR_MORE = "مەن قۇرۇلۇشتا ئىشلىدىم"  # I worked on a building site
KAZAKH = "قوجايىن ٴۇش ايلىق جالاقىمدى ٴتولەمەدى، نە ىستەۋىم كەرەك"
PINYIN = "laoban san ge yue bu gei wo gongqian zenme ban"


def _first_line(reply: wire.Reply) -> str:
    return reply.content.strip().splitlines()[0]


def test_a_uyghur_message_is_answered_in_chinese_and_uyghur_and_queued_for_a_person(
        villager: Any, services: Any, standin: Any) -> None:
    v = villager()
    standin.state.user_message(v.openid)
    reply = v.say(UYGHUR)
    first = _first_line(reply)
    assert "维吾尔文" in first and "工作人员" in first and "0000-0000000" in first and "110" in first
    assert "10:00—14:00" in first  # the office hours from config
    assert "ئۇچۇرىڭىزنى" in reply.content and "10:00-14:00, 16:00-19:30" in reply.content  # in Uyghur too
    assert "没有收到文字内容" not in reply.content
    (ticket,) = services.disputes.for_villager(v.openid)
    assert (ticket.kind, ticket.language, ticket.description, ticket.state) == ("consult", "ug", UYGHUR, "new")
    assert [t.id for t in services.disputes.list(state="new", kind="consult")[0]] == [ticket.id]  # in the queue

    assert v.say(UYGHUR_MORE).kind == "none"  # joins the same thread; told a moment ago
    assert v.say("工资是一天两百").kind == "none"  # so do Chinese words from the same villager
    assert len(services.disputes.for_villager(v.openid)) == 1
    thread = services.disputes.thread.entries(ticket.id)
    assert [(e["from"], e["text"]) for e in thread] == [
        ("villager", UYGHUR), ("bot", reply.content), ("villager", UYGHUR_MORE), ("villager", "工资是一天两百")]

    services.disputes.claim(ticket.id, "调解员古丽")
    services.disputes.reply(ticket.id, "调解员古丽", "ئەسسالامۇ ئەلەيكۇم، ئەتە تېلېفون قىلىمەن")
    (sent,) = standin.state.messages_for(v.openid)
    assert "ئەتە" in sent["body"]["text"]["content"]
    again = v.say("رەھمەت")  # "thank you": the first message after staff wrote is acknowledged in both
    assert "维吾尔文" in _first_line(again) and "ئۇچۇرىڭىزنى" in again.content
    assert services.disputes.thread.entries(ticket.id)[-2]["text"] == "رەھمەت"


def test_a_kazakh_message_in_arabic_letters_is_answered_in_kazakh(villager: Any, services: Any) -> None:
    v = villager()
    reply = v.say(KAZAKH)
    assert "哈萨克文（阿拉伯字母）" in _first_line(reply) and "110" in _first_line(reply)
    assert "حابارىڭىزدى" in reply.content and "ئۇچۇرىڭىزنى" not in reply.content
    (ticket,) = services.disputes.for_villager(v.openid)
    assert (ticket.kind, ticket.language) == ("consult", "kk-arab")


def test_a_pinyin_message_is_answered_in_chinese_and_pinyin(villager: Any, services: Any) -> None:
    v = villager()
    reply = v.say(PINYIN)
    assert "汉语拼音" in _first_line(reply) and "0000-0000000" in _first_line(reply)
    assert "gongzuo renyuan" in reply.content and "暂时回答不了" not in reply.content
    (ticket,) = services.disputes.for_villager(v.openid)
    assert (ticket.kind, ticket.language, ticket.description) == ("consult", "pinyin", PINYIN)


def test_a_later_message_in_the_same_script_joins_the_open_consultation(villager: Any, services: Any) -> None:
    v = villager()
    v.say(UYGHUR)
    v.say("退出")  # the villager left the thread; the consultation stays open for staff
    reply = v.say(UYGHUR_MORE)
    assert "维吾尔文" in _first_line(reply)
    (ticket,) = services.disputes.for_villager(v.openid)
    assert [e["text"] for e in services.disputes.thread.entries(ticket.id) if e["from"] == "villager"] == [
        UYGHUR, UYGHUR_MORE]


def test_chinese_with_latin_letters_or_emoji_is_still_a_chinese_question(villager: Any, services: Any) -> None:
    v = villager()
    assert "12333" in v.say("老板跑了工钱不给咋整 OK?").content
    v.say("👍👍")
    v.say("WiFi")
    assert services.disputes.for_villager(v.openid) == []


def test_uyghur_inside_a_chinese_reports_thread_joins_it_and_is_acknowledged_in_uyghur(
        villager: Any, services: Any, standin: Any) -> None:
    from tests.handlers.test_status import report

    v = villager()
    report(v)
    (ticket,) = services.disputes.for_villager(v.openid)
    standin.state.user_message(v.openid)
    services.disputes.reply(ticket.id, "调解员王五", "收到，明天去看看")
    reply = v.say(UYGHUR_MORE)
    assert "维吾尔文" in _first_line(reply) and "ئۇچۇرىڭىزنى" in reply.content
    assert services.disputes.thread.entries(ticket.id)[-2]["text"] == UYGHUR_MORE
    assert len(services.disputes.for_villager(v.openid)) == 1  # no second ticket: it joined the thread
