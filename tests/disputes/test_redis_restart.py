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
from bot.redisconn import EmbeddedRedis
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


def test_redis_dying_at_confirm_saves_the_report_and_it_arrives_once(own_services: Any, own_redis: EmbeddedRedis,
                                                                    cipher: Any) -> None:
    app = create_app(own_services.config, own_services)
    v = wire.Villager(flask_transport(app.test_client()), TOKEN, cipher)
    for message in ("我要反映 邻居家的狗咬了我家羊", "1", "好了", "13800000000", "1"):
        v.say(message)
    store = own_services.disputes.intake.store
    reserve = store.reserve_id

    def dies_first(*args: Any) -> Any:  # the state was read, then Redis goes away
        own_redis.stop()
        return reserve(*args)

    store.reserve_id = dies_first
    saved = v.say("1")
    assert saved.status == 200 and "已经保存" in saved.content and "不会丢失" in saved.content
    store.reserve_id = reserve
    assert "系统正在维护" in v.say("查进度").content  # honest while Redis is away
    restart(own_redis)
    assert own_services.disputes.replay_spool() == 1
    again = v.say("1")  # the villager's confirm had not been committed: they confirm once more
    (ticket,) = own_services.disputes.for_villager(v.openid)
    assert ticket.id in again.content and "狗咬了我家羊" in ticket.description
    assert own_services.disputes.replay_spool() == 0


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
