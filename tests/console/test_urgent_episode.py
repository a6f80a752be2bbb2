"""A villager in danger sends message after message: staff get one urgent item, not one per message
(issue 22). It has a deadline in hours, shows what kind of danger, the phone the villager gave on an
earlier ticket, their other tickets and what the bot told them; the yearly figures count it as a
风险隐患, not as a dispute received."""

from __future__ import annotations

from typing import Any

from bot.reports import figures

PHONE = "13800000000"  # a test number, as in the other tests
DANGER = ("他喝醉了拿着刀在院子里要砍俺 俺躲在屋里", "他在砸门 说要砍死俺", "门快被砸开了 救命",
          "他拿刀在院子里转", "俺不敢出去 他还在砸门")


def report(v: Any, what: str) -> None:
    for message in ("我要反映 " + what, "1", "好了", PHONE, "1", "1"):
        v.say(message)


def test_five_danger_messages_make_one_urgent_item_with_everything_staff_need(
        villager: Any, services: Any, staff_client: Any) -> None:
    v = villager()
    report(v, "邻居占了我家的地 说了几次不听")
    (earlier,) = services.disputes.for_villager(v.openid)

    replies = [v.say(text).content for text in DANGER]
    for reply in replies:
        assert "110" in reply.split("\n", 1)[0], "the emergency number comes first, every time"

    tickets = services.disputes.for_villager(v.openid)
    urgent = [t for t in tickets if t.source == "urgent"]
    assert len(tickets) == 2 and len(urgent) == 1, "five danger messages: one urgent item"
    item = urgent[0]
    assert item.urgent and item.urgent_kind, "the kind of danger is kept"
    assert item.description == DANGER[0]
    assert item.phone == PHONE, "the phone the villager gave on the earlier ticket"
    assert item.due_at - item.created_at == services.config.disputes.urgent_response_hours * 3600 == 2 * 3600
    thread = services.disputes.thread.entries(item.id)
    assert [e["text"] for e in thread if e["from"] == "villager"] == list(DANGER[1:])
    assert [e["text"] for e in thread if e["from"] == "bot"] == replies, "what the bot told the villager"

    page = staff_client().page(f"/staff/tickets/{item.id}")
    assert "紧急：" + services.texts.get(f"urgent_kind_{item.urgent_kind}") in page
    assert earlier.id in page and "该村民的其他事项" in page
    assert "公众号自动回复" in page and DANGER[3] in page

    year = figures.Period.this_year(services.config.posts.timezone)
    totals = figures.build_report(services, year).totals
    assert totals.urgent_alerts == 1 and totals.received == 1, "a chat alert is not a dispute received"
    assert totals.risks_found >= 1


def test_a_danger_message_after_the_episode_makes_a_new_item_and_a_closed_item_is_not_joined(
        villager: Any, services: Any) -> None:
    v = villager()
    v.say(DANGER[0])
    (first,) = services.disputes.for_villager(v.openid)
    real_clock = services.disputes.clock
    hours = services.config.disputes.urgent_episode_hours
    services.disputes.clock = lambda: real_clock() + hours * 3600 + 60
    try:
        v.say(DANGER[1])
    finally:
        services.disputes.clock = real_clock
    assert len(services.disputes.for_villager(v.openid)) == 2, "a new episode, a new urgent item"
    second = services.disputes.for_villager(v.openid)[0]
    services.disputes.close(second.id, "张调解")
    v.say(DANGER[2])
    assert len(services.disputes.for_villager(v.openid)) == 3, "a closed item is never joined"


def test_an_urgent_item_that_staff_mediate_counts_as_a_dispute_received(villager: Any, services: Any) -> None:
    v = villager()
    v.say(DANGER[0])
    (item,) = services.disputes.for_villager(v.openid)
    services.disputes.claim(item.id, "张调解")
    services.disputes.transition(item.id, "mediating", "张调解")
    totals = figures.build_report(services, figures.Period.this_year(services.config.posts.timezone)).totals
    assert totals.received == 1 and totals.urgent_alerts == 0
