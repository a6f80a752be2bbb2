"""0 alerts lost or doubled: a worker killed mid-send, Redis restarted, Redis gone right after the
robot took an alert. Each test counts what reached the stand-in robots."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import redis as redis_lib

from bot.services import build_services
from bot.store.connect import EmbeddedRedis
from tests.conftest import EXAMPLE_CONFIG
from tests.disputes.test_redis_restart import own_redis  # noqa: F401  (fixture)
from tests.notify.conftest import wait_for
from tests.processes import workers

pytestmark = pytest.mark.slow


def alerts_for(robots: Any, ticket_id: str) -> dict[str, int]:
    """How many messages each group received naming this ticket."""
    return {robot: sum(f"编号：{ticket_id}" in m.content for m in robots.state.of(robot))
            for robot in ("wecom", "dingtalk")}


@pytest.fixture
def worker_process(redis_url: str, robots: Any, standin: Any, tmp_path: Path) -> Iterator[Any]:
    """Start a real ``pufabot worker`` (1-second interval) on the test Redis and the stand-ins."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUFABOT_")}
    env.update({f"PUFABOT_NOTIFY__{k.upper()}": v for k, v in robots.config().items()})
    env.update({"PUFABOT_CONFIG": str(EXAMPLE_CONFIG), "REDIS_URL": redis_url,
                "PUFABOT_WECHAT__API_BASE_URL": standin.url, "PUFABOT_BOT__SPOOL_DIR": str(tmp_path / "spool"),
                "PUFABOT_LOG__JSON": "false"})

    with workers(env) as start:
        yield start


def test_a_worker_killed_mid_send_loses_and_doubles_nothing(
        quiet_web: Any, robots: Any, new_ticket: Any, worker_process: Any) -> None:
    notifier = quiet_web.notifier
    ticket = new_ticket(urgent=True)  # queued for both groups, not sent yet
    robots.state.stall_next()  # the robot holds the worker's first call...
    proc = worker_process()
    assert wait_for(robots.state.stalled.is_set, seconds=30), "the worker never called a robot"
    proc.send_signal(signal.SIGKILL)  # ...and the worker dies in the middle of it
    proc.wait(timeout=10)
    robots.state.release(deliver=False)  # the connection was cut before the robot took it
    assert alerts_for(robots, ticket.id) == {"wecom": 0, "dingtalk": 0}
    (leased,) = [m for m in notifier.outbox.waiting() if m.get("lease")]  # held by the dead worker
    notifier.run(time.time() + 5)  # another worker, soon after: the dead one's lease still runs
    assert sum(alerts_for(robots, ticket.id).values()) == 1
    notifier.run(time.time() + 60)  # the lease ran out: the alert goes back to the queue and out
    notifier.run(time.time() + 120)
    assert alerts_for(robots, ticket.id) == {"wecom": 1, "dingtalk": 1}
    assert notifier.outbox.waiting() == []
    assert leased["id"] in [m["id"] for m in notifier.outbox.sent()]


@pytest.fixture
def own_services(config: Any, knowledge: Any, own_redis: EmbeddedRedis, standin: Any) -> Iterator[Any]:  # noqa: F811
    client = redis_lib.Redis.from_url(own_redis.url, decode_responses=True, socket_timeout=0.5,
                                      socket_connect_timeout=0.5)
    cfg = config.replace(redis={"url": own_redis.url}, notify={"send_from_web": False})
    services = build_services(cfg, redis=client, knowledge=knowledge)
    yield services
    services.close()


def _report(services: Any, standin: Any) -> Any:
    from bot.dev import wire

    openid = wire.fake_openid()
    standin.state.user_message(openid)
    return services.disputes.submit(openid, {"kind": "debts", "village": "北村", "description": "测试：借钱不还",
                                             "urgent": True}, f"restart-{openid}")


def test_alerts_waiting_in_redis_survive_a_restart_and_go_out_once(
        own_services: Any, own_redis: EmbeddedRedis, robots: Any, standin: Any) -> None:  # noqa: F811
    notifier = own_services.notifier
    robots.state.down = True
    ticket = _report(own_services, standin)
    t0 = time.time()
    notifier.run(t0)  # the robots are down: both alerts wait with their failure
    own_redis.stop()
    own_redis.start()
    waiting = notifier.outbox.waiting()
    assert len(waiting) == 2 and all(m["attempts"] == "1" for m in waiting)
    robots.state.down = False
    for later in (60, 120, 600):
        notifier.run(t0 + later)
    assert alerts_for(robots, ticket.id) == {"wecom": 1, "dingtalk": 1}


def test_redis_gone_right_after_the_robot_took_the_alert_sends_no_second_copy(
        own_services: Any, own_redis: EmbeddedRedis, robots: Any, standin: Any) -> None:  # noqa: F811
    notifier = own_services.notifier
    ticket = _report(own_services, standin)
    outbox = notifier.outbox
    finish = outbox.finish

    def redis_dies_first(*args: Any) -> Any:
        own_redis.stop()
        return finish(*args)

    outbox.finish = redis_dies_first
    t0 = time.time()
    try:
        with pytest.raises(redis_lib.exceptions.ConnectionError):
            notifier.run(t0)  # the first robot took it; recording it found Redis gone
    finally:
        outbox.finish = finish
    assert sum(alerts_for(robots, ticket.id).values()) == 1 and len(notifier.delivery.unrecorded) == 1
    own_redis.start()
    for later in (60, 120, 600):  # long after the lease ran out
        notifier.run(t0 + later)
    assert alerts_for(robots, ticket.id) == {"wecom": 1, "dingtalk": 1}
    assert notifier.outbox.waiting() == [] and notifier.delivery.unrecorded == []
