"""/wechat against a hostile sender and other projects' pushes (issue 15, the webhook part)."""

from __future__ import annotations

import logging
from typing import Any

from bot.dev import wire
from tests.conftest import TOKEN


def post(client: Any, push: wire.SignedPush, content_type: str = "text/xml") -> Any:
    return client.post("/wechat", query_string=push.params, data=push.body, content_type=content_type)


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
