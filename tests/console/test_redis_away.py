"""With Redis out of reach, staff pages say 「系统维护中」 (503, retry shortly), never a 500."""

from __future__ import annotations

import socket
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.console.conftest import StaffClient


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends: nothing listens


def test_staff_pages_without_redis_say_maintenance(config: Any, knowledge: Any, app: Any,
                                                   staff_client: Any) -> None:
    from bot.app import create_app
    from bot.services import build_services

    signed_in = staff_client()  # a mediator signed in while Redis was there
    cookie = signed_in.client.get_cookie("session")
    gone = redis.Redis(host="127.0.0.1", port=closed_port(), socket_connect_timeout=0.5,
                       retry=Retry(NoBackoff(), 0))
    away = create_app(config, build_services(config, redis=gone, knowledge=knowledge))
    browser = away.test_client()
    browser.set_cookie("session", cookie.value)
    for path in ("/staff/", "/staff/stats"):
        res = browser.get(path)
        assert res.status_code == 503 and res.headers["Retry-After"] == "30", (path, res.status_code)
        assert "系统维护中" in res.get_data(as_text=True)
    stranger = StaffClient(away.test_client())
    assert stranger.get("/staff/login").status_code == 200  # the login form needs no Redis
    res = stranger.login("张调解")
    assert res.status_code == 503 and "系统维护中" in res.get_data(as_text=True)
