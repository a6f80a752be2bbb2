"""Staff hear of it where they already are: alerts in the township's work group (企业微信 and 钉钉),
through /wechat and the local robot stand-in, queued in Redis and sent once."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.notify.conftest import CONSOLE, DUTY_PHONE, wait_for

REDIS_KINDS = ("single", "cluster")  # the outbox's claims and leases on one server and on a Redis Cluster
DANGER = "有人在我家门口拿刀要砍我 我叫测试人甲 电话13900001111"


def test_an_urgent_message_reaches_both_groups_at_once_with_no_personal_data(
        villager: Any, robots: Any, services: Any) -> None:
    v = villager()
    reply = v.say(DANGER)
    assert "110" in reply.content.splitlines()[0]  # the villager's side is unchanged: 110 first
    assert wait_for(lambda: len(robots.state.messages) == 2), robots.state.calls
    (ticket,) = services.disputes.for_villager(v.openid)
    for robot in ("wecom", "dingtalk"):
        (message,) = robots.state.of(robot)
        assert message.content.startswith("【紧急】") and "情况：受到威胁" in message.content
        assert "聊天中的紧急求助" in message.content  # not a report the villager filed
        assert ticket.id in message.content and f"{CONSOLE}/staff/tickets/{ticket.id}" in message.content
        assert message.mentioned == [DUTY_PHONE]  # @ the person on duty, through the robot's own list
        for personal in ("13900001111", "测试人甲", v.openid, DUTY_PHONE, "拿刀"):
            assert personal not in message.content
    services.notifier.run(time.time())  # the worker's job finds nothing more to send nor to queue
    assert len(robots.state.messages) == 2 and sorted(robots.state.calls) == [("dingtalk", 0), ("wecom", 0)]
    assert services.notifier.outbox.waiting() == []


def test_a_new_report_is_told_once_and_a_consultation_only_where_the_config_says(
        quiet_web: Any, robots: Any, new_ticket: Any) -> None:
    services = quiet_web
    report = new_ticket(village="西村")
    consultation = new_ticket(kind="consult", description="测试：我想问问彩礼的事")
    services.notifier.run(services.notifier.clock())
    services.notifier.run(services.notifier.clock() + 120)
    (wecom,) = robots.state.of("wecom")
    assert wecom.content.startswith("【新反映】") and report.id in wecom.content and "西村" in wecom.content
    assert "土地、草场纠纷" in wecom.content and wecom.mentioned == []
    assert consultation.id not in wecom.content  # new_consultation = [] in config.example.toml
    assert "13800000000" not in wecom.content and "邻居占了" not in wecom.content


def test_a_robot_that_says_too_fast_gets_the_alert_again_later_and_only_once(
        quiet_web: Any, robots: Any, new_ticket: Any) -> None:
    services, notifier = quiet_web, quiet_web.notifier
    robots.state.fail_next("wecom", 45009)
    t0 = 1_900_000_000.0
    ticket = new_ticket(at=t0, urgent=True)
    first = notifier.delivery.run(t0)
    assert first.sent == 1 and "wecom: 45009" in first.errors[0]  # 钉钉 took it; 企业微信 said too fast
    assert [m.robot for m in robots.state.messages] == ["dingtalk"]
    (waiting,) = notifier.outbox.waiting()
    assert "45009" in waiting["last_error"] and float(waiting["next_at"]) == t0 + 60
    notifier.delivery.run(t0 + 30)  # the robot is left alone for its minute
    assert robots.state.calls.count(("wecom", 45009)) == 1 and len(robots.state.calls) == 2
    notifier.delivery.run(t0 + 61)
    notifier.delivery.run(t0 + 200)
    (wecom,) = robots.state.of("wecom")
    assert ticket.id in wecom.content and notifier.outbox.waiting() == []
    assert len(services.notifier.outbox.sent()) == 2


def test_many_alerts_at_once_are_batched_within_the_robots_twenty_a_minute(
        quiet_web: Any, robots: Any, new_ticket: Any) -> None:
    notifier = quiet_web.notifier
    tickets = [new_ticket(village="南村") for _ in range(45)]
    report = notifier.delivery.run(notifier.clock())
    assert report.sent == 90 and report.calls <= 10  # 45 alerts × 2 robots in a few messages
    for robot in ("wecom", "dingtalk"):
        said = "\n".join(m.content for m in robots.state.of(robot))
        assert all(said.count(f"编号：{t.id}") == 1 for t in tickets)  # every ticket told exactly once
        assert all(len(m.content.encode()) <= 2048 for m in robots.state.of("wecom"))
    assert not any(code for _, code in robots.state.calls)


def test_a_robot_that_is_down_is_retried_with_back_off_and_shown_to_admins(
        quiet_web: Any, robots: Any, new_ticket: Any, staff_client: Any) -> None:
    notifier = quiet_web.notifier
    robots.state.down = True
    t0 = 1_900_000_000.0
    ticket = new_ticket(at=t0)
    notifier.delivery.run(t0)
    retries = [float(m["next_at"]) - t0 for m in notifier.outbox.waiting()]
    assert retries == [30.0, 30.0]  # retry_base_seconds, then doubling
    notifier.delivery.run(t0 + 31)
    assert sorted(float(m["next_at"]) - (t0 + 31) for m in notifier.outbox.waiting()) == [60.0, 60.0]

    admin = staff_client("管理员甲", role="admin")
    page = admin.page("/staff/admin/alerts")
    assert "等待发送（2）" in page and ticket.id in page and "HTTP 502" in page and "2 次" in page
    assert re.search(r"工作群提醒\s*<span class=\"badge overdue\">2</span>", page)

    robots.state.down = False
    res = admin.post(f"/staff/admin/alerts/new_report:{ticket.id}@wecom/retry")
    assert res.status_code == 303
    assert wait_for(lambda: len(robots.state.of("wecom")) == 1)  # sent at once by the web process
    notifier.delivery.run(t0 + 200)
    assert len(robots.state.messages) == 2 and "没有等待发送的提醒" in admin.page("/staff/admin/alerts")


def test_a_mediator_cannot_see_the_alerts_page(staff_client: Any) -> None:
    res = staff_client("调解员乙").get("/staff/admin/alerts")
    assert res.status_code in (302, 403)


@pytest.mark.clock
def test_a_ticket_past_its_promised_time_without_contact_is_told_once(
        quiet_web: Any, robots: Any, new_ticket: Any) -> None:
    notifier = quiet_web.notifier
    t0 = 1_900_000_000.0
    late = new_ticket(at=t0)
    answered = new_ticket(at=t0)
    quiet_web.disputes.clock = lambda: t0 + 3600
    quiet_web.disputes.reply(answered.id, "调解员乙", "您好，我们明天联系您")
    notifier.run(t0)  # the two new-report alerts
    before = len(robots.state.messages)
    notifier.run(t0 + 47 * 3600)
    assert len(robots.state.messages) == before  # not yet: 48 hours were promised
    for hours in (48.1, 49, 72):
        notifier.run(t0 + hours * 3600)
    overdue = [m for m in robots.state.of("wecom") if m.content.startswith("【超时未联系】")]
    assert len(overdue) == 1 and late.id in overdue[0].content and answered.id not in overdue[0].content
