"""Redis down loses nothing a villager says: kept on disk, handled in order once Redis is back, every
answer delivered once by customer-service message (issue 15.19)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import cli

from bot.dev import wire
from bot.store.connect import EmbeddedRedis
from bot.worker import Worker
from tests.conftest import APPID, APPSECRET
from tests.disputes.test_redis_restart import own_redis, own_services, restart, talking_villager  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.clock]


def sigkill(server: EmbeddedRedis) -> None:
    assert server.process is not None
    server.process.kill()
    server.process.wait()
    server.process = None


def test_confirm_and_one_more_message_while_redis_is_dead_are_answered_once_when_it_is_back(
        own_services: Any, own_redis: EmbeddedRedis, cipher: Any, standin: Any) -> None:  # noqa: F811
    services = own_services
    services.redis.config_set("appendfsync", "always")  # SIGKILL below: what was acknowledged stays
    v = talking_villager(services, cipher, "我要反映 邻居家的狗咬了我家羊", "1", "好了", "13800000000", "1")
    assert services.conversations.get(v.openid)["step"] == "confirm"
    standin.state.user_message(v.openid)  # the villager wrote to the account today: CS messages may go
    sigkill(own_redis)

    confirm = v.say("1")
    assert "已经收到并保存" in confirm.content and "不用再发" in confirm.content
    again = v.push(wire.build_xml("text", v.openid, Content="查进度", msg_id=777000111))
    assert "已经收到并保存" in again.content
    retry = v.push(wire.build_xml("text", v.openid, Content="查进度", msg_id=777000111))  # WeChat's retry
    assert "已经收到并保存" in retry.content
    assert [r["fields"].get("Content") for r in services.inbound.pending()] == ["1", "查进度"], "in order, once"

    restart(own_redis)
    worker = Worker(services)
    # Only the replay: on a Monday morning the week's post is due too, and its mass send would be
    # one more message in the villager's chat (a test must pass on any day).
    worker.jobs = [j for j in worker.jobs if j.name == "replay-inbound"]
    assert worker.tick() == ["replay-inbound"]
    (ticket,) = services.disputes.for_villager(v.openid)
    assert "狗咬了我家羊" in ticket.description
    told = [m["text"] for m in standin.state.messages_for(v.openid)]
    assert len(told) == 2, told
    assert "已登记" in told[0] and ticket.id in told[0]
    assert ticket.id in told[1], "the second message was handled after the confirm, as sent"
    assert services.inbound.pending() == []

    worker.jobs[0].next_at = 0
    worker.tick()
    assert len(standin.state.messages_for(v.openid)) == 2, "each answer delivered once"
    assert len(services.disputes.for_villager(v.openid)) == 1


def test_the_operator_command_answers_the_kept_messages(own_services: Any, own_redis: EmbeddedRedis,  # noqa: F811
                                                        cipher: Any, standin: Any, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    v = talking_villager(own_services, cipher)
    standin.state.user_message(v.openid)
    sigkill(own_redis)
    assert "已经收到并保存" in v.click("MENU_MY_TICKETS").content
    restart(own_redis)
    config = tmp_path / "c.toml"
    config.write_text(f'[redis]\nurl = "{own_redis.url}"\n[wechat]\nappid = "{APPID}"\nappsecret = "{APPSECRET}"\n'
                      f'api_base_url = "{standin.url}"\n[bot]\nspool_dir = "{own_services.config.bot.spool_dir}"\n'
                      f'[log]\nlevel = "WARNING"\n', encoding="utf-8")
    monkeypatch.setenv("PUFABOT_CONFIG", str(config))
    result = CliRunner().invoke(cli, ["tickets", "spool-replay"])
    assert result.exit_code == 0, result.output
    assert "已处理维护期间保存的村民消息 1 条（共 1 条）" in result.output
    (told,) = standin.state.messages_for(v.openid)
    assert "事项" in told["text"]
