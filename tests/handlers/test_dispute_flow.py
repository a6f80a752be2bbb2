"""Villagers report a dispute through the real /wechat endpoint (signed XML), one question at a time."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.dev import wire

REDIS_KINDS = ("single", "cluster")  # run on one server and on a Redis Cluster

PHONE = "13800000000"  # an obviously fake number


def talk(v: wire.Villager, *messages: str) -> str:
    """Send each message in turn; the last reply's text."""
    reply = None
    for message in messages:
        reply = v.say(message)
        assert reply.status == 200
    assert reply is not None
    return reply.content


def test_a_report_from_the_intent_takes_the_first_words_as_description(villager: Any, services: Any) -> None:
    v = villager()
    first = talk(v, "我要反映 邻居家盖房挡了我家的光")
    assert "您是哪个村的" in first and "1. 东村" in first  # the topic already said "neighbours"
    assert "您已经说了：“邻居家盖房挡了我家的光”" in talk(v, "1")
    assert "已记下1条" in talk(v, "他把院墙砌到我家地里了")
    assert "手机号" in talk(v, "好了")
    assert "怎么联系您" in talk(v, PHONE)
    summary = talk(v, "1")
    assert "类别：邻里纠纷" in summary and "村：东村" in summary and PHONE in summary and "上门调解" in summary
    done = talk(v, "1")
    tickets = services.disputes.for_villager(v.openid)
    assert len(tickets) == 1
    ticket = tickets[0]
    assert f"编号：{ticket.id}" in done and "48小时内" in done and "查询" in done
    assert (ticket.kind, ticket.village, ticket.phone, ticket.contact_pref) == ("neighbours", "东村", PHONE, "visit")
    assert ticket.description == "邻居家盖房挡了我家的光\n他把院墙砌到我家地里了"
    assert ticket.topic == "neighbor-relations" and ticket.state == "new"
    assert services.conversations.get(v.openid) is None and services.conversations.get_draft(v.openid) is None


def test_from_the_menu_with_words_photos_voice_and_location(villager: Any, services: Any) -> None:
    v = villager()
    assert "哪一类纠纷" in v.click("MENU_REPORT").content
    assert "哪个村" in talk(v, "土地")
    assert "发生了什么事" in talk(v, "西村")
    assert "已记下1条" in talk(v, "承包地的界桩被人拔了")
    assert "已记下2条" in v.image("PHOTO_MEDIA_1").content
    assert "已记下3条" in v.voice("VOICE_MEDIA_1", recognition="去年秋天开始的").content
    assert "已记下4条" in v.location(43.8, 87.6, "西村三组").content
    assert "已记下5条" in v.voice("VOICE_MEDIA_2").content  # no transcript: kept for staff to play
    assert "手机号" in talk(v, "1")
    assert "怎么联系您" in talk(v, "不留")
    summary = talk(v, "3")
    assert "电话：不留" in summary and "语音2条" in summary and "照片1张" in summary and "位置1个" in summary
    talk(v, "确认")
    (ticket,) = services.disputes.for_villager(v.openid)
    assert (ticket.kind, ticket.village, ticket.phone, ticket.contact_pref) == ("land", "西村", "", "none")
    assert ticket.description == "承包地的界桩被人拔了\n去年秋天开始的"
    kinds = [(a["kind"], a.get("media_id"), a.get("recognition")) for a in ticket.attachments]
    assert kinds == [("image", "PHOTO_MEDIA_1", None), ("voice", "VOICE_MEDIA_1", "去年秋天开始的"),
                     ("location", None, None), ("voice", "VOICE_MEDIA_2", None)]
    assert ticket.attachments[2]["label"] == "西村三组" and ticket.attachments[2]["lat"] == pytest.approx(43.8)


STEPS_BEFORE = {"kind": [], "village": ["1"], "details": ["1", "1"], "phone": ["1", "1", "吵架", "好了"],
                "contact": ["1", "1", "吵架", "好了", "不留"], "confirm": ["1", "1", "吵架", "好了", "不留", "1"]}


@pytest.mark.parametrize("step", list(STEPS_BEFORE))
def test_cancel_leaves_at_any_step_and_forgets_the_draft(villager: Any, services: Any, step: str) -> None:
    v = villager()
    v.click("MENU_REPORT")
    if STEPS_BEFORE[step]:
        talk(v, *STEPS_BEFORE[step])
    assert "已取消" in talk(v, "取消")
    assert services.conversations.get(v.openid) is None and services.conversations.get_draft(v.openid) is None
    assert services.disputes.for_villager(v.openid) == []
    assert "回复「法条」" in talk(v, "老板跑了工钱不给咋整")  # back to ordinary questions


def test_back_returns_to_the_previous_question_and_keeps_answers(villager: Any, services: Any) -> None:
    v = villager()
    v.click("MENU_REPORT")
    assert "已经是第一步" in talk(v, "上一步")
    talk(v, "5", "2")  # wages, 西村
    assert "哪个村" in talk(v, "上一步")
    assert "哪一类纠纷" in talk(v, "上一步")
    talk(v, "6", "3", "借了五千块不还", "好了", PHONE, "2")  # debts, 南村, call
    summary = talk(v, "上一步", "1")  # change the call to a visit
    assert "借款、欠款纠纷" in summary and "南村" in summary and "上门调解" in summary
    talk(v, "1")
    (ticket,) = services.disputes.for_villager(v.openid)
    assert (ticket.kind, ticket.village, ticket.contact_pref) == ("debts", "南村", "visit")


@pytest.mark.parametrize("bad", ["12345", "1380000000", "23800000000", "电话没有", "138000000001"])
def test_a_bad_phone_is_asked_again(villager: Any, services: Any, bad: str) -> None:
    v = villager()
    talk(v, "我要反映 工钱不给", "1", "好了")
    assert "好像不是手机号" in talk(v, bad)
    assert "怎么联系您" in talk(v, "+86 138-0000-0000")
    talk(v, "2", "1")
    assert services.disputes.for_villager(v.openid)[0].phone == PHONE


def test_a_call_without_a_phone_asks_for_the_number(villager: Any, services: Any) -> None:
    v = villager()
    talk(v, "我要反映 工钱不给", "1", "好了", "不留")
    assert "打电话需要您留手机号" in talk(v, "2")
    assert "请核对" in talk(v, PHONE)
    talk(v, "1")
    ticket = services.disputes.for_villager(v.openid)[0]
    assert (ticket.phone, ticket.contact_pref) == (PHONE, "call")


def test_an_empty_description_is_not_accepted(villager: Any) -> None:
    v = villager()
    v.click("MENU_REPORT")
    assert "还没有收到内容" in talk(v, "9", "1", "好了")


def test_an_expired_conversation_is_offered_back_from_its_draft(villager: Any, services: Any,
                                                                redis_client: Any) -> None:
    v = villager()
    talk(v, "我要反映 邻居的牛吃了我家麦子", "2")
    assert 0 < redis_client.ttl(services.keys.draft(v.openid)) <= services.config.bot.draft_ttl
    redis_client.pexpire(services.keys.state(v.openid), 30)  # as if bot.state_ttl had passed
    time.sleep(0.1)
    assert services.conversations.get(v.openid) is None
    assert "回复「法条」" in talk(v, "邻居的牛吃了麦子怎么赔")  # an ordinary question again
    assert "没提交完的反映" in talk(v, "我要反映")
    resumed = talk(v, "1")
    assert "接着来" in resumed and "您已经说了：“邻居的牛吃了我家麦子”" in resumed
    talk(v, "好了", "不留", "3", "1")
    (ticket,) = services.disputes.for_villager(v.openid)
    assert ticket.village == "西村" and ticket.description == "邻居的牛吃了我家麦子"


def test_an_expired_draft_can_be_dropped_to_start_again(villager: Any, services: Any, redis_client: Any) -> None:
    v = villager()
    talk(v, "我要反映 邻居占地", "1")
    redis_client.delete(services.keys.state(v.openid))
    v.click("MENU_REPORT")
    assert "哪一类纠纷" in talk(v, "2")


def test_an_untranscribed_voice_reaches_staff_with_numbers_only(villager: Any, services: Any) -> None:
    v = villager()
    offer = v.voice("VOICE_ONLY_1").content
    assert "回复数字1" in offer
    assert "又收到一段语音" in v.voice("VOICE_ONLY_2").content
    assert "哪个村" in talk(v, "1")
    assert "怎么联系您" in talk(v, "3")
    assert "请核对" in talk(v, "1")
    done = talk(v, "1")
    (ticket,) = services.disputes.for_villager(v.openid)
    assert ticket.id in done
    assert (ticket.source, ticket.village, ticket.contact_pref, ticket.kind) == ("voice", "南村", "visit", "other")
    assert [a["media_id"] for a in ticket.attachments] == ["VOICE_ONLY_1", "VOICE_ONLY_2"]


def test_a_voice_offer_ignored_lets_the_villager_ask_normally(villager: Any, services: Any) -> None:
    v = villager()
    v.voice("VOICE_ONLY_3")
    assert "12333" in talk(v, "老板跑了工钱不给咋整")
    assert services.disputes.for_villager(v.openid) == []


def test_menu_pressed_again_repeats_the_current_question(villager: Any) -> None:
    v = villager()
    talk(v, "我要反映 工钱不给")
    again = v.click("MENU_REPORT").content
    assert "接着来" in again and "哪个村" in again


def _confirm_step(v: wire.Villager) -> None:
    talk(v, "我要反映 邻居占地", "1", "好了", "不留", "3")


def test_wechat_retrying_the_confirm_four_times_at_once_makes_one_ticket(villager: Any, services: Any) -> None:
    v = villager()
    _confirm_step(v)
    xml = wire.build_xml("text", v.openid, Content="1")
    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda _: v.push(xml), range(4)))
    (ticket,) = services.disputes.for_villager(v.openid)
    assert any(ticket.id in r.content for r in replies)
    assert all(r.status == 200 for r in replies)


def test_a_double_confirm_with_two_messages_makes_one_ticket(villager: Any, services: Any) -> None:
    v = villager()
    _confirm_step(v)
    barrier = threading.Barrier(2)

    def confirm(_: int) -> str:
        barrier.wait()
        return v.say("1").content

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(confirm, range(2)))
    assert len(services.disputes.for_villager(v.openid)) == 1


def test_two_villagers_report_at_once_without_mixing_up(villager: Any, services: Any) -> None:
    a, b = villager(), villager()

    def report(v: wire.Villager, kind: str, village: str, words: str) -> str:
        v.click("MENU_REPORT")
        return talk(v, kind, village, words, "好了", "不留", "3", "1")

    with ThreadPoolExecutor(2) as pool:
        fa = pool.submit(report, a, "1", "1", "张三家的羊吃了我的草")
        fb = pool.submit(report, b, "5", "2", "李四欠我工钱")
        done_a, done_b = fa.result(), fb.result()
    (ta,), (tb,) = services.disputes.for_villager(a.openid), services.disputes.for_villager(b.openid)
    assert ta.id != tb.id and ta.id in done_a and tb.id in done_b
    assert (ta.kind, ta.village, tb.kind, tb.village) == ("neighbours", "东村", "wages", "西村")
    assert "羊" in ta.description and "工钱" in tb.description
