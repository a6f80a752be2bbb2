"""Nothing lost: the Redis server dies mid-conversation and mid-load, comes back, every ticket is there once.

These tests start their own redis-server (AOF on) on a free port and kill it; the shared test
server is never touched.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import pytest
import redis as redis_lib

from bot.app import create_app
from bot.dev import wire
from bot.store.connect import EmbeddedRedis
from bot.services import build_services
from tests.conftest import TOKEN, flask_transport

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path / "redis", port=free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def own_services(config: Any, knowledge: Any, own_redis: EmbeddedRedis) -> Iterator[Any]:
    client = redis_lib.Redis.from_url(own_redis.url, decode_responses=True, socket_timeout=0.5,
                                      socket_connect_timeout=0.5)
    services = build_services(config.replace(redis={"url": own_redis.url}), redis=client, knowledge=knowledge)
    yield services
    services.close()


def restart(server: EmbeddedRedis) -> None:
    server.start()  # same directory: the AOF brings everything acknowledged back


def talking_villager(services: Any, cipher: Any, *messages: str) -> wire.Villager:
    v = wire.Villager(flask_transport(create_app(services.config, services).test_client()), TOKEN, cipher)
    for message in messages:
        v.say(message)
    return v


def confirm_while_redis_dies(v: wire.Villager, services: Any, server: EmbeddedRedis) -> str:
    """Send the confirming "1"; Redis stops after the webhook read the state, before the ticket is stored."""
    store = services.disputes.intake.store
    reserve = store.reserve_id

    def dies_first(*args: Any) -> Any:
        server.stop()
        return reserve(*args)

    store.reserve_id = dies_first
    try:
        return v.say("1").content
    finally:
        store.reserve_id = reserve


def test_redis_dying_at_confirm_saves_the_report_and_it_arrives_once(own_services: Any, own_redis: EmbeddedRedis,
                                                                    cipher: Any, standin: Any) -> None:
    v = talking_villager(own_services, cipher, "我要反映 邻居家的狗咬了我家羊", "1", "好了", "13800000000", "1")
    saved = confirm_while_redis_dies(v, own_services, own_redis)
    assert "已经保存" in saved and "不会丢失" in saved
    assert "系统正在维护" in v.say("查进度").content  # honest while Redis is away
    restart(own_redis)
    standin.state.user_message(v.openid)  # the villager wrote to the account today
    assert own_services.disputes.replay_spool() == 1
    (ticket,) = own_services.disputes.for_villager(v.openid)
    assert "狗咬了我家羊" in ticket.description
    told = [m["text"] for m in standin.state.messages_for(v.openid)]
    assert any(ticket.id in text and "已登记" in text for text in told)
    assert own_services.conversations.get(v.openid) is None  # no confirmation question left hanging
    assert own_services.conversations.get_draft(v.openid) is None
    assert ticket.id in v.say("查进度").content
    assert own_services.disputes.replay_spool() == 0


def test_a_confirm_repeated_before_the_replay_is_still_one_ticket(own_services: Any, own_redis: EmbeddedRedis,
                                                                  cipher: Any) -> None:
    v = talking_villager(own_services, cipher, "我要反映 工钱不给", "1", "好了", "不留", "3")
    assert "已经保存" in confirm_while_redis_dies(v, own_services, own_redis)
    restart(own_redis)
    again = v.say("1")  # the confirmation state survived in Redis: the villager confirms once more
    assert own_services.disputes.replay_spool() == 1
    (ticket,) = own_services.disputes.for_villager(v.openid)
    assert ticket.id in again.content


def test_redis_killed_and_restarted_under_load_loses_and_doubles_nothing(own_services: Any,
                                                                          own_redis: EmbeddedRedis) -> None:
    disputes = own_services.disputes
    own_services.redis.config_set("appendfsync", "always")  # SIGKILL below: nothing acknowledged may vanish
    stop, made = threading.Event(), Counter[str]()
    lock = threading.Lock()

    def villager_load(worker: int) -> None:
        openid, i = wire.fake_openid(), 0
        while not stop.is_set():
            key = f"{openid}:load{i}"
            disputes.submit(openid, {"description": key, "village": "东村"}, key)
            with lock:
                made[key] += 1
            i += 1
            time.sleep(0.002)

    threads = [threading.Thread(target=villager_load, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.4)
    assert own_redis.process is not None
    own_redis.process.kill()  # SIGKILL mid-load
    own_redis.process.wait()
    own_redis.process = None
    time.sleep(0.4)
    restart(own_redis)
    time.sleep(0.4)
    stop.set()
    for t in threads:
        t.join()
    spooled = len(disputes.spool.pending())
    assert spooled > 0  # some reports really arrived while Redis was dead
    disputes.replay_spool()
    tickets, total = disputes.list(limit=100000)
    found = Counter(t.description for t in tickets)
    assert set(found) == set(made) and set(found.values()) == {1} and total == len(made)
    assert len({t.id for t in tickets}) == total


def test_a_full_redis_refusing_writes_spools_the_report(own_services: Any) -> None:
    disputes, client = own_services.disputes, own_services.redis
    client.config_set("maxmemory-policy", "noeviction")
    client.config_set("maxmemory", "1")  # full: every write is refused with OOM
    try:
        spooled = disputes.submit("oTESTfullredis00000000000000", {"description": "内存满时登记"}, "full:1")
    finally:
        client.config_set("maxmemory", "0")
    assert spooled.spooled
    assert disputes.replay_spool() == 1
    (ticket,) = disputes.for_villager("oTESTfullredis00000000000000")
    assert ticket.description == "内存满时登记"
