"""The WeChat API client: pointed at the stand-in by config, one token shared by every worker."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.store.keys import Keys
from bot.wechat.api import WeChatAPI, WeChatError


@pytest.fixture
def no_real_wechat(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if anything tries to resolve WeChat's real API host."""
    real = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith("weixin.qq.com"):
            raise AssertionError(f"tried to reach the real WeChat host {host}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


def test_many_workers_share_one_token_and_refresh_it_once(config: Any, redis_client: Any, standin: Any,
                                                          no_real_wechat: None) -> None:
    clients = [WeChatAPI(config.wechat, redis_client, Keys(config.redis.key_prefix)) for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        tokens = list(pool.map(lambda c: c.access_token, clients))
    assert len(set(tokens)) == 1
    assert standin.state.token_issued == 1


def test_a_customer_service_message_reaches_the_villager_inside_the_window(config: Any, redis_client: Any,
                                                                          standin: Any, no_real_wechat: None) -> None:
    api = WeChatAPI(config.wechat, redis_client, Keys())
    standin.state.user_message("oTESTwindow00000000000000000")
    api.send_text("oTESTwindow00000000000000000", "您的事项已受理")
    assert [m["text"] for m in standin.state.messages_for("oTESTwindow00000000000000000")] == ["您的事项已受理"]


def test_wechat_refusals_keep_errcode_and_errmsg(config: Any, redis_client: Any, standin: Any) -> None:
    api = WeChatAPI(config.wechat, redis_client, Keys())
    with pytest.raises(WeChatError) as err:
        api.send_text("oTESTnever00000000000000000", "你好")  # never wrote to us: window closed
    assert err.value.errcode == 45015 and "response out of time limit" in err.value.errmsg


def test_a_superseded_token_is_refreshed_once_and_the_call_retried(config: Any, redis_client: Any,
                                                                   standin: Any) -> None:
    api = WeChatAPI(config.wechat, redis_client, Keys())
    api.store_token("stale-token-not-issued", 7200)
    standin.state.user_message("oTESTretry000000000000000000")
    api.send_text("oTESTretry000000000000000000", "重试成功")
    assert standin.state.token_issued == 1
    assert standin.state.messages_for("oTESTretry000000000000000000")


def test_media_downloads_use_the_configured_base(config: Any, redis_client: Any, standin: Any) -> None:
    api = WeChatAPI(config.wechat, redis_client, Keys())
    standin.state.add_media("VOICE1", b"#!AMR\n...", "audio/amr")
    content, ctype = api.download_media("VOICE1")
    assert content.startswith(b"#!AMR") and ctype == "audio/amr"
