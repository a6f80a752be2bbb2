"""How many villagers the weekly posts reached: WeChat's MASSSENDJOBFINISH push, into the yearly report."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.dev import pushes, wire
from bot.dev.pushes import WebhookPusher
from bot.reports.figures import Period, build_report
from tests.conftest import TOKEN, flask_transport
from tests.posts.conftest import at

pytestmark = pytest.mark.clock  # the weekly post reads the wall clock: tests/test_any_day.py moves it

MONDAY = "2026-03-02"


@pytest.fixture
def pusher(standin: Any, client: Any) -> WebhookPusher:
    """The stand-in pushes its events to our webhook, as WeChat does to the account's server URL."""
    standin.state.pusher = WebhookPusher(flask_transport(client), TOKEN, delay=0)
    return standin.state.pusher


def this_year(services: Any) -> Any:
    return build_report(services, Period.this_year(services.config.posts.timezone)).totals


def test_the_weekly_posts_reach_is_recorded_and_counted_in_the_report(services: Any, standin: Any,
                                                                      pusher: WebhookPusher) -> None:
    for _ in range(3):
        standin.state.add_user(wire.fake_openid())
    standin.state.add_user(wire.fake_openid(), subscribed=False)  # unfollowed: not reached
    before = this_year(services)
    assert services.posts.run_due(at(f"{MONDAY} 09:00")).action == "sent"
    pusher.wait()
    assert pusher.answers == [(200, b"success")], "a system event gets success, no reply"
    record = services.posts.publisher.record(dt.date.fromisoformat(MONDAY))
    assert record["mass_status"] == "send success" and record["mass_total"] == "3" and record["mass_sent"] == "3"
    after = this_year(services)
    assert (after.posts_sent - before.posts_sent, after.posts_reached - before.posts_reached) == (1, 3)


def test_wechat_sending_the_same_report_again_counts_once(services: Any, standin: Any, pusher: WebhookPusher) -> None:
    standin.state.add_user(wire.fake_openid())
    services.posts.run_due(at(f"{MONDAY} 09:00"))
    pusher.wait()
    before = this_year(services)
    pusher.push(standin.state.pushes[-1])  # no answer came in time, says WeChat: the same body again
    pusher.wait()
    assert len(pusher.answers) == 2
    assert this_year(services).posts_reached == before.posts_reached


def test_a_mass_send_that_failed_alerts_the_staff_and_reaches_nobody(services: Any, standin: Any,
                                                                     client: Any) -> None:
    standin.state.add_user(wire.fake_openid())
    services.posts.run_due(at(f"{MONDAY} 09:00"))
    msg_id = services.posts.publisher.record(dt.date.fromisoformat(MONDAY))["msg_id"]
    before = this_year(services)
    system = wire.Villager(flask_transport(client), TOKEN, openid=pushes.SYSTEM_SENDER)
    reply = system.push(pushes.mass_send_finished(standin.state.account, msg_id, 1, 0, 0, 1, status="err(30001)"))
    assert reply.raw == "success"
    alert = services.posts.alerts()[0]
    assert alert["kind"] == "mass_failed" and "err(30001)" in alert["text"] and "群发没有送达" in alert["text"]
    assert this_year(services).posts_reached == before.posts_reached


def test_a_mass_send_this_bot_did_not_make_is_recorded_apart_not_counted(services: Any, client: Any,
                                                                          standin: Any) -> None:
    """A console send, or a forged push naming any MsgID, must not inflate the report's figures."""
    before = this_year(services)
    system = wire.Villager(flask_transport(client), TOKEN, openid=pushes.SYSTEM_SENDER)
    assert system.push(pushes.mass_send_finished(standin.state.account, 987654321, 120, 118, 117, 1)).raw == "success"
    after = this_year(services)
    assert (after.posts_sent, after.posts_reached) == (before.posts_sent, before.posts_reached)
    services.counters.flush()
    days = services.redis.keys(services.keys.stats("*"))
    apart: dict[str, int] = {}
    for key in days:
        if services.redis.type(key) in (b"hash", "hash"):
            for field, n in services.redis.hgetall(key).items():
                name = field.decode() if isinstance(field, bytes) else field
                if name.startswith("mass_other"):
                    apart[name.split("|")[0]] = apart.get(name.split("|")[0], 0) + int(n)
    assert apart == {"mass_other_sent": 1, "mass_other_reach": 117}


def test_status_sendsuccess_without_a_space_counts_like_send_success(services: Any, standin: Any,
                                                                      client: Any) -> None:
    standin.state.add_user(wire.fake_openid())
    services.posts.run_due(at(f"{MONDAY} 09:00"))
    msg_id = services.posts.publisher.record(dt.date.fromisoformat(MONDAY))["msg_id"]
    before = this_year(services)
    system = wire.Villager(flask_transport(client), TOKEN, openid=pushes.SYSTEM_SENDER)
    system.push(pushes.mass_send_finished(standin.state.account, msg_id, 40, 40, 39, 1, status="sendsuccess"))
    after = this_year(services)
    assert (after.posts_sent - before.posts_sent, after.posts_reached - before.posts_reached) == (1, 39)
    assert not [a for a in services.posts.alerts() if a["kind"] == "mass_failed"]
