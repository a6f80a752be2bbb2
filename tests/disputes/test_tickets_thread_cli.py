"""`pufabot tickets reply / close / show --json`: a mediator works a ticket from a terminal, and other
tools read the whole conversation as JSON (stable interface)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.console.accounts import accounts_for
from bot.dev import wire
from tests.conftest import APPID, APPSECRET
from tests.disputes.test_tickets_cli import cli_env as cli_config  # noqa: F401  (the fixture)
from tests.handlers.test_status import report

REDIS_KINDS = ("single", "cluster")


@pytest.fixture
def cli_env(cli_config: Any, monkeypatch: pytest.MonkeyPatch) -> Any:  # noqa: F811
    """The CLI's config, with the credentials the stand-in knows (replies go out as CS messages)."""
    monkeypatch.setenv("WECHAT_APPID", APPID)
    monkeypatch.setenv("WECHAT_APPSECRET", APPSECRET)
    return cli_config


def _run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def test_reply_close_and_show_tell_the_whole_story(cli_env: Any, services: Any, villager: Any,
                                                   standin: Any) -> None:
    accounts_for(services).add("wangwu", "a-long-enough-password-1", "mediator")
    v = villager()
    report(v)
    (ticket,) = services.disputes.for_villager(v.openid)
    standin.state.user_message(v.openid)
    sent = _run("tickets", "reply", ticket.id, "--as", "wangwu", "--text", "收到。请把被堵的路拍张照片发过来")
    assert sent.exit_code == 0, sent.output
    assert any("请把被堵的路拍张照片" in m["text"] for m in standin.state.messages_for(v.openid))
    v.image("MEDIA_ROAD")
    v.say("照片发了，就是这条路")
    closed = _run("tickets", "close", ticket.id, "--as", "wangwu", "--outcome", "partly", "--note", "路通了一半")
    assert closed.exit_code == 0, closed.output
    assert any("回复1到5" in m["text"] for m in standin.state.messages_for(v.openid))
    v.say("5")
    data = json.loads(_run("tickets", "show", ticket.id, "--json").output)
    assert data["state"] == "closed" and data["outcome"] == "部分化解" and data["rating"] == 5
    thread = data["thread"]
    assert [t["from"] for t in thread] == ["staff", "villager", "bot", "villager", "bot"]
    assert thread[1]["media"] == {"type": "image", "media_id": "MEDIA_ROAD",
                                  "pic_url": "http://mmbiz.qpic.cn/example.jpg"}
    assert thread[3]["text"] == "照片发了，就是这条路" and thread[3]["media"] is None
    assert datetime.fromisoformat(thread[0]["at"]).utcoffset().total_seconds() == 8 * 3600
    audit = services.redis.xrange(services.keys.staff_audit())
    assert [(f["who"], f["action"]) for _, f in audit] == [("wangwu", "reply"), ("wangwu", "close")]


def test_an_unrated_ticket_shows_rating_null_and_an_empty_thread(cli_env: Any, services: Any) -> None:
    ticket = services.disputes.submit(wire.fake_openid(), {"kind": "land", "village": "东村"}, "a")
    data = json.loads(_run("tickets", "show", ticket.id, "--json").output)
    assert data["rating"] is None and data["thread"] == []


def test_bad_input_gets_a_clear_answer(cli_env: Any, services: Any) -> None:
    accounts_for(services).add("wangwu", "a-long-enough-password-1", "mediator")
    ticket = services.disputes.submit(wire.fake_openid(), {"kind": "land", "village": "东村"}, "a")
    nobody = _run("tickets", "reply", ticket.id, "--as", "nobody", "--text", "你好")
    assert nobody.exit_code == 1 and "没有可用的工作人员账号 nobody" in nobody.output
    missing = _run("tickets", "close", "JF20200101-0001", "--as", "wangwu", "--outcome", "resolved")
    assert missing.exit_code == 1 and "没有找到事项" in missing.output
    bad = _run("tickets", "close", ticket.id, "--as", "wangwu", "--outcome", "maybe")
    assert bad.exit_code == 2 and "resolved" in bad.output
    assert _run("tickets", "close", ticket.id, "--as", "wangwu", "--outcome", "withdrawn").exit_code == 0
    again = _run("tickets", "close", ticket.id, "--as", "wangwu", "--outcome", "withdrawn")
    assert again.exit_code == 1 and "不能结案" in again.output
    accounts_for(services).set_disabled("wangwu")
    off = _run("tickets", "reply", ticket.id, "--as", "wangwu", "--text", "你好")
    assert off.exit_code == 1 and "没有可用的工作人员账号" in off.output


def test_close_says_honestly_when_the_invitation_was_not_delivered(cli_env: Any, services: Any,
                                                                   villager: Any, standin: Any) -> None:
    accounts_for(services).add("wangwu", "a-long-enough-password-1", "mediator")
    quiet, recent = villager(), villager()
    report(quiet)
    report(recent)
    (silent_ticket,) = services.disputes.for_villager(quiet.openid)
    (open_ticket,) = services.disputes.for_villager(recent.openid)
    standin.state.user_message(recent.openid)  # only this villager wrote within 48 hours
    refused = _run("tickets", "close", silent_ticket.id, "--as", "wangwu", "--outcome", "resolved")
    assert refused.exit_code == 0, refused.output
    assert "没有送到村民" in refused.output and "45015" in refused.output and "已请村民评价" not in refused.output
    assert not standin.state.messages_for(quiet.openid)
    delivered = _run("tickets", "close", open_ticket.id, "--as", "wangwu", "--outcome", "resolved")
    assert "已请村民评价" in delivered.output and "没有送到" not in delivered.output
    assert any("调解成功" in m["text"] for m in standin.state.messages_for(recent.openid))
