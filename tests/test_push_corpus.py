"""Other projects' push formats (tests/fixtures/pushes/) through the real /wechat in all three message
modes: never a 500, and every push that names its sender gets a readable answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.dev import wire
from tests.conftest import TOKEN
from tests.test_webhook_hardening import app_in_mode

CORPUS = sorted((Path(__file__).parent / "fixtures" / "pushes").glob("*.xml"))
REFUSED = {"odd-no-fromusername.xml"}  # a push without its sender cannot be answered: 400


def signed(mode: str, body: str, cipher: Any) -> wire.SignedPush:
    if mode == "plain":
        return wire.sign_push(TOKEN, body)
    push = wire.sign_push(TOKEN, body, cipher)  # safe: only <Encrypt>
    if mode == "safe":
        return push
    encrypted = push.body.decode().split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    both = body.replace("</xml>", f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>")  # compatible: fields + Encrypt
    return wire.SignedPush(push.params, both.encode("utf-8"))


def test_the_corpus_covers_the_projects_and_the_odd_forms() -> None:
    names = " ".join(p.name for p in CORPUS)
    for project in ("wechatpy", "werobot", "wxjava", "easywechat", "senparc", "fastwego", "chanxuehong", "node-webot",
                    "odd-"):
        assert project in names
    assert len(CORPUS) >= 40


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
def test_every_push_of_the_corpus_is_answered_without_a_500(config: Any, services: Any, cipher: Any,
                                                             mode: str) -> None:
    client = app_in_mode(config, services, mode)
    outcomes = {}
    for path in CORPUS:
        push = signed(mode, path.read_text(encoding="utf-8"), cipher)
        res = client.post("/wechat", query_string=push.params, data=push.body, content_type="text/xml")
        outcomes[path.name] = res.status_code
        if res.status_code == 200 and res.data != b"success":
            reply = wire.read_reply(200, res.data, cipher if mode != "plain" else None, TOKEN)
            assert reply.kind in ("text", "news") and reply.content or reply.title, path.name
    assert all(code < 500 for code in outcomes.values()), outcomes
    assert {name for name, code in outcomes.items() if code != 200} == REFUSED, outcomes


def test_no_push_of_the_corpus_makes_a_handler_fail(client: Any, caplog: Any) -> None:
    """Odd types (counts that are words, repeated elements) get a proper answer, not the apology."""
    for path in CORPUS:
        push = wire.sign_push(TOKEN, path.read_text(encoding="utf-8"))
        client.post("/wechat", query_string=push.params, data=push.body, content_type="text/xml")
    failures = [r for r in caplog.records if r.getMessage() in ("handler failed", "unexpected error")]
    assert failures == []
