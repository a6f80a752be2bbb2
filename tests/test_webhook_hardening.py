"""/wechat against a hostile sender and other projects' pushes (issue 15, the webhook part)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.dev import wire
from tests.conftest import TOKEN


def post(client: Any, push: wire.SignedPush, content_type: str = "text/xml") -> Any:
    return client.post("/wechat", query_string=push.params, data=push.body, content_type=content_type)


@pytest.mark.parametrize("redis_url", ["single", "cluster"], indirect=True)  # folded / a call of its own
def test_a_captured_signed_url_cannot_carry_another_body(client: Any, caplog: Any) -> None:
    victim, attacker_body = wire.fake_openid(), wire.build_xml("text", wire.fake_openid(), Content="我的事项")
    push = wire.sign_push(TOKEN, wire.build_xml("text", victim, Content="你好"))
    first = post(client, push)
    assert first.status_code == 200 and wire.read_reply(200, first.data).content
    retry = post(client, push)  # WeChat's retry: same URL, same body, same answer
    assert retry.status_code == 200 and retry.data == first.data
    forged = wire.SignedPush(push.params, attacker_body.encode())
    with caplog.at_level(logging.WARNING, logger="bot.wechat.webhook"):
        res = post(client, forged)
    assert res.status_code == 403
    assert any("reused with another body" in r.getMessage() for r in caplog.records)


def test_on_a_single_server_the_check_rides_in_the_dedupe_call(client: Any, services: Any, redis_client: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    assert services.replays.folded
    monkeypatch.setattr(services.replays, "admit", lambda *args: pytest.fail("a round trip of its own"))
    push = wire.sign_push(TOKEN, wire.build_xml("text", wire.fake_openid(), Content="你好"))
    first = post(client, push)
    assert first.status_code == 200 and wire.read_reply(200, first.data).content
    assert list(redis_client.scan_iter(match="*{rp:*")), "the (timestamp, nonce) record is kept"
    assert post(client, push).data == first.data  # WeChat's retry
    forged = wire.SignedPush(push.params, wire.build_xml("text", wire.fake_openid(), Content="我的事项").encode())
    assert post(client, forged).status_code == 403


def app_in_mode(config: Any, services: Any, mode: str) -> Any:
    from bot.app import create_app

    cfg = config.replace(wechat={"message_mode": mode})
    services.config = cfg
    application = create_app(cfg, services)
    application.testing = True
    return application.test_client()


@pytest.mark.parametrize("mode", ["compatible", "safe"])
def test_with_an_encrypted_mode_set_a_plaintext_push_cannot_downgrade_it(config: Any, services: Any, cipher: Any,
                                                                         mode: str) -> None:
    client = app_in_mode(config, services, mode)
    openid = wire.fake_openid()
    plain = wire.sign_push(TOKEN, wire.build_xml("text", openid, Content="我的事项"))
    assert post(client, plain).status_code == 403
    no_signature = wire.sign_push(TOKEN, wire.build_xml("text", openid, Content="你好"), cipher)
    params = {k: v for k, v in no_signature.params.items() if k != "msg_signature"}
    assert post(client, wire.SignedPush(params, no_signature.body)).status_code == 403
    good = wire.sign_push(TOKEN, wire.build_xml("text", openid, Content="你好"), cipher)
    res = post(client, good)
    assert res.status_code == 200 and wire.read_reply(200, res.data, cipher, TOKEN).content


def test_plain_mode_is_the_default_and_still_reads_an_encrypted_push(villager: Any, config: Any) -> None:
    assert config.wechat.message_mode == "plain"
    assert villager().say("你好").content and villager(safe_mode=True).say("你好").content


def test_an_encrypted_mode_without_an_aes_key_is_a_config_error(config: Any) -> None:
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match="message_mode"):
        config.replace(wechat={"message_mode": "safe", "aes_key": ""})
    with pytest.raises(ConfigError, match="message_mode"):
        config.replace(wechat={"message_mode": "secure"})


def test_cdata_with_spaces_around_it_is_read_as_its_value(client: Any) -> None:
    openid = wire.fake_openid()
    body = (f"<xml>\n  <ToUserName> <![CDATA[gh_0123456789ab]]> </ToUserName>\n"
            f"  <FromUserName> <![CDATA[{openid}]]> </FromUserName>\n  <CreateTime> 1700000000 </CreateTime>\n"
            "  <MsgType> <![CDATA[event]]> </MsgType>\n  <Event> <![CDATA[subscribe]]> </Event>\n</xml>")
    res = post(client, wire.sign_push(TOKEN, body))
    reply = wire.read_reply(res.status_code, res.data)
    assert "欢迎关注" in reply.content
    assert f"<ToUserName><![CDATA[{openid}]]></ToUserName>" in res.data.decode()


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", "",
                                          "application/xml; charset=utf-8", "text/html"])
def test_a_push_is_taken_whatever_content_type_names_it(client: Any, content_type: str) -> None:
    push = wire.sign_push(TOKEN, wire.build_xml("text", wire.fake_openid(), Content="老板跑了工钱不给咋整"))
    res = client.post("/wechat", query_string=push.params, data=push.body,
                      headers={"Content-Type": content_type} if content_type else {})
    assert res.status_code == 200 and "12333" in wire.read_reply(200, res.data).content


@pytest.mark.parametrize("number", ["13912345678", "139 1234 5678", "+86 139-1234-5678", "１３９１２３４５６７８",
                                    "0991-1234567"])
def test_a_text_that_is_only_a_phone_number_is_understood_as_one(villager: Any, number: str) -> None:
    reply = villager().say(number).content
    assert "号码" in reply and "我要反映" in reply and "没有收到文字内容" not in reply


def test_a_push_is_remembered_as_long_as_its_signed_url_is_accepted(villager: Any, services: Any) -> None:
    """N8: the dedupe record outlives no less than the replay window, so an identical captured push
    re-sent 61–300 s later gets the stored reply instead of running again."""
    v = villager()
    v.push(wire.build_xml("text", v.openid, Content="离婚冷静期多少天", msg_id=990011))
    ttl = services.redis.ttl(services.keys.dedupe(v.openid, "m:990011"))
    assert ttl > services.config.wechat.replay_window - 5, ttl
