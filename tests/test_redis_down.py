"""Redis unreachable: villagers get an honest answer, never a 500, and legal questions still work."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import redis as redis_lib

from bot.app import create_app
from bot.dev import wire
from bot.services import build_services
from tests.conftest import TOKEN, flask_transport


@pytest.fixture
def dead_redis_client(config: Any, knowledge: Any) -> Any:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return redis_lib.Redis(host="127.0.0.1", port=port, socket_timeout=0.2, socket_connect_timeout=0.2,
                           decode_responses=True)


@pytest.fixture
def down_villager(config: Any, knowledge: Any, dead_redis_client: Any, cipher: Any) -> wire.Villager:
    services = build_services(config, redis=dead_redis_client, knowledge=knowledge)
    app = create_app(config, services)
    return wire.Villager(flask_transport(app.test_client()), TOKEN, cipher)


def test_a_legal_question_is_still_answered_from_memory(down_villager: wire.Villager) -> None:
    reply = down_villager.say("老板欠工钱不给咋整")
    assert reply.status == 200 and "12333" in reply.content and "回复「详细」" in reply.content


def test_a_report_is_not_pretended_to_be_saved(down_villager: wire.Villager) -> None:
    reply = down_villager.say("我要反映 邻居占了我家的地")
    assert reply.status == 200 and "系统正在维护" in reply.content


def test_menu_clicks_and_events_get_the_honest_busy_answer(down_villager: wire.Villager) -> None:
    assert "系统正在维护" in down_villager.click("MENU_REPORT").content
    assert down_villager.event("unsubscribe").status == 200


def test_health_says_degraded_with_503(config: Any, knowledge: Any, dead_redis_client: Any) -> None:
    app = create_app(config, build_services(config, redis=dead_redis_client, knowledge=knowledge))
    res = app.test_client().get("/healthz")
    assert res.status_code == 503 and res.json["status"] == "degraded"
