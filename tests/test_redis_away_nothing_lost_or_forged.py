"""Redis away, really killed: nothing a villager says is lost, nothing forged gets in (security review
2026-12-07, N1 and N2). Each story goes through ``/wechat`` and ends with the worker's replay."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import redis as redis_lib

from bot.app import create_app
from bot.dev import wire
from bot.services import build_services
from bot.store.connect import EmbeddedRedis
from bot.worker import Worker
from tests.conftest import TOKEN, flask_transport
from tests.disputes.test_inbound_spool import sigkill
from tests.handlers.test_status import report
from tests.disputes.test_redis_restart import own_redis, own_services, restart, talking_villager  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.clock]  # the worker runs (only its replay job)

STAFF = "调解员测试甲"


def replay_kept(services: Any) -> None:
    """What the worker does once Redis is back (only that job: a test must pass on any day)."""
    worker = Worker(services)
    worker.jobs = [j for j in worker.jobs if j.name == "replay-inbound"]
    assert worker.tick() == ["replay-inbound"]
    assert services.inbound.pending() == []


def captured(v: wire.Villager, content: str, openid: str | None = None) -> tuple[str, str, wire.Reply]:
    """A genuine push by ``v``; its timestamp and nonce, as someone reading a proxy log would see them."""
    push = wire.sign_push(TOKEN, wire.build_xml("text", openid or v.openid, Content=content))
    status, body = v.transport(push.params, push.body)
    return push.params["timestamp"], push.params["nonce"], wire.read_reply(status, body)


def forge(v: wire.Villager, timestamp: str, nonce: str, openid: str, content: str) -> wire.Reply:
    """Another body sent on a captured signed URL, as ``openid``."""
    push = wire.sign_push(TOKEN, wire.build_xml("text", openid, Content=content), timestamp=int(timestamp),
                          nonce=nonce)
    status, body = v.transport(push.params, push.body)
    return wire.read_reply(status, body)


def in_thread(v: wire.Villager, services: Any, standin: Any) -> Any:
    """A villager whose report a mediator answered: their next messages belong in its thread."""
    report(v, "我要反映 邻居家的牛吃了我家玉米")
    (ticket,) = services.disputes.for_villager(v.openid)
    standin.state.user_message(v.openid)
    services.disputes.claim(ticket.id, STAFF)
    services.disputes.reply(ticket.id, STAFF, "收到，我们明天去看看。")
    return ticket


def test_a_captured_url_carries_no_other_body_while_redis_is_dead(own_services: Any, own_redis: EmbeddedRedis,  # noqa: F811
                                                                   cipher: Any, standin: Any) -> None:
    services = own_services
    services.redis.config_set("appendfsync", "always")  # SIGKILL below: what was acknowledged stays
    victim = talking_villager(services, cipher)
    ticket = in_thread(victim, services, standin)
    sigkill(own_redis)
    ts, nonce, genuine = captured(victim, "牛是王老五家的")
    assert genuine.status == 200 and "已经收到并保存" in genuine.content

    forged = forge(victim, ts, nonce, victim.openid, "【伪造】我不需要帮助了，请直接结案")
    assert forged.status == 403
    assert forge(victim, ts, nonce, "o_fake_other_villager_000001", "1").status == 403
    _, _, retry = captured(victim, "牛是王老五家的")  # a fresh URL, the same words: WeChat-like traffic goes on
    assert retry.status == 200

    restart(own_redis)
    assert forge(victim, ts, nonce, victim.openid, "【伪造】请直接结案").status == 403, \
        "this host's record still refuses it once Redis is back, before the replay"
    replay_kept(services)
    texts = [e["text"] for e in services.disputes.thread.entries(ticket.id)]
    assert "牛是王老五家的" in texts
    assert not any("伪造" in t for t in texts)


def test_a_kept_push_whose_url_redis_saw_with_another_body_is_refused_on_replay(
        own_services: Any, own_redis: EmbeddedRedis, cipher: Any, standin: Any) -> None:  # noqa: F811
    services = own_services
    services.redis.config_set("appendfsync", "always")  # SIGKILL below: what was acknowledged stays
    victim = talking_villager(services, cipher)
    ticket = in_thread(victim, services, standin)
    ts, nonce, genuine = captured(victim, "照片我晚点发")  # seen by Redis, on another host say
    assert genuine.status == 200
    sigkill(own_redis)
    # This host never saw the URL: kept, but only for now.
    assert "已经收到并保存" in forge(victim, ts, nonce, victim.openid, "【伪造】请直接结案").content
    restart(own_redis)
    replay_kept(services)
    texts = [e["text"] for e in services.disputes.thread.entries(ticket.id)]
    assert "照片我晚点发" in texts and not any("伪造" in t for t in texts)
    assert services.disputes.get(ticket.id).is_open
    (refused,) = services.inbound.refused.pending()
    assert "伪造" in refused["fields"]["Content"], "set aside for an operator, not silently dropped"


def test_a_description_sent_mid_report_lands_in_the_report(own_services: Any, own_redis: EmbeddedRedis,  # noqa: F811
                                                           cipher: Any, standin: Any) -> None:
    services = own_services
    services.redis.config_set("appendfsync", "always")
    v = talking_villager(services, cipher, "我要反映 邻居家的牛吃了我家玉米", "1")
    assert services.conversations.get(v.openid)["step"] == "details"
    standin.state.user_message(v.openid)
    sigkill(own_redis)
    v.say("它们把半亩玉米都吃光了")  # may be answered as a legal question at once; it is kept all the same
    restart(own_redis)
    replay_kept(services)
    for step in ("好了", "不留", "3", "1"):
        v.say(step)
    (ticket,) = services.disputes.for_villager(v.openid)
    assert "半亩玉米都吃光了" in ticket.description


def test_questions_and_an_emergency_sent_to_staff_land_in_the_thread(own_services: Any, own_redis: EmbeddedRedis,  # noqa: F811
                                                                      cipher: Any, standin: Any) -> None:
    services = own_services
    services.redis.config_set("appendfsync", "always")
    v = talking_villager(services, cipher)
    ticket = in_thread(v, services, standin)
    sigkill(own_redis)
    asked = v.say("他欠我五千块钱不还怎么办")
    assert asked.status == 200 and asked.content
    danger = v.say("他们还威胁说要打我")
    assert "110" in danger.content.splitlines()[0], "a villager in danger gets the number in the first line"
    restart(own_redis)
    replay_kept(services)
    texts = [e["text"] for e in services.disputes.thread.entries(ticket.id)]
    assert "他欠我五千块钱不还怎么办" in texts and "他们还威胁说要打我" in texts
    told = [m["text"] for m in standin.state.messages_for(v.openid)]
    assert not any(danger.content in t for t in told), "the emergency step was said at once, not twice"
    assert sum("已转给处理您事项" in t for t in told) == 1, "the thread confirmation, once"


def test_a_plain_question_answered_at_once_is_not_answered_twice(own_services: Any, own_redis: EmbeddedRedis,  # noqa: F811
                                                                 cipher: Any, standin: Any) -> None:
    services = own_services
    v = talking_villager(services, cipher)
    standin.state.user_message(v.openid)
    sigkill(own_redis)
    reply = v.say("老板欠工钱不给咋整")
    assert "12333" in reply.content
    assert [r["fields"]["Content"] for r in services.inbound.pending()] == ["老板欠工钱不给咋整"]
    restart(own_redis)
    replay_kept(services)
    assert standin.state.messages_for(v.openid) == [], "the villager already has that answer"
    assert services.conversations.get(v.openid)["flow"] == "answered", "「详细」 now works on it"


def test_a_staff_reply_in_flight_when_redis_dies_is_recorded_and_sent_once(
        own_services: Any, own_redis: EmbeddedRedis, cipher: Any, standin: Any) -> None:  # noqa: F811
    services = own_services
    services.redis.config_set("appendfsync", "always")
    v = talking_villager(services, cipher)
    ticket = in_thread(v, services, standin)
    wechat = services.disputes.wechat
    send = wechat.send_text

    def redis_dies_while_wechat_delivers(*args: Any, **kwargs: Any) -> Any:
        sent = send(*args, **kwargs)
        sigkill(own_redis)
        return sent

    wechat.send_text = redis_dies_while_wechat_delivers
    try:
        result = services.disputes.reply(ticket.id, STAFF, "在途回复：明天上午我们去您家看看。")
    finally:
        wechat.send_text = send
    assert result.delivered, "staff hear it went: no error page, no retry sending it twice"
    restart(own_redis)
    told = [m["text"] for m in standin.state.messages_for(v.openid)]
    assert sum("在途回复" in t for t in told) == 1
    thread = [(e["from"], e["text"]) for e in services.disputes.thread.entries(ticket.id)]
    assert ("staff", "在途回复：明天上午我们去您家看看。") in thread
    assert services.conversations.get(v.openid)["flow"] == "thread", "the villager's answer reaches the thread"


def test_a_message_to_staff_when_redis_dies_half_way_through_it_still_reaches_the_thread(
        own_services: Any, own_redis: EmbeddedRedis, cipher: Any, standin: Any) -> None:  # noqa: F811
    services = own_services
    services.redis.config_set("appendfsync", "always")
    v = talking_villager(services, cipher)
    ticket = in_thread(v, services, standin)
    disputes = services.disputes
    wrote = disputes.villager_wrote

    def redis_dies_first(*args: Any, **kwargs: Any) -> Any:
        sigkill(own_redis)  # after the webhook claimed the message, before the thread has it
        return wrote(*args, **kwargs)

    disputes.villager_wrote = redis_dies_first
    try:
        assert "已经收到并保存" in v.say("裂缝照片我晚点发").content
    finally:
        disputes.villager_wrote = wrote
    restart(own_redis)
    replay_kept(services)
    texts = [e["text"] for e in services.disputes.thread.entries(ticket.id)]
    assert "裂缝照片我晚点发" in texts


def test_on_a_cluster_whose_nodes_are_all_away_a_captured_url_carries_no_other_body(
        config: Any, knowledge: Any, cipher: Any) -> None:
    """The cluster's separate replay check (``admit``) falls back to this host's record, not to nothing."""
    with socket.socket() as s:  # a port nobody listens on: Redis unreachable
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = redis_lib.Redis(host="127.0.0.1", port=port, socket_timeout=0.2, socket_connect_timeout=0.2,
                           decode_responses=True)
    services = build_services(config, redis=dead, knowledge=knowledge)
    services.replays.folded = False  # the cluster's way: the check is a call of its own before the pipeline
    v = wire.Villager(flask_transport(create_app(config, services).test_client()), TOKEN, cipher)
    ts, nonce, genuine = captured(v, "我家的地被占了")
    assert genuine.status == 200 and "已经收到并保存" in genuine.content
    assert forge(v, ts, nonce, "o_fake_other_villager_000002", "1").status == 403
    assert [r["fields"]["Content"] for r in services.inbound.pending()] == ["我家的地被占了"]
