"""Fixtures of the weekly-post tests: a public address for posts, local times, more publishers."""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo

import pytest
from tests.scale.servers import client_for

from bot import config as config_mod
from bot.store.keys import Keys
from bot.posts import Posts
from bot.wechat.api import WeChatAPI

PUBLIC = "https://pufa.example.org"
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def config(config: config_mod.Config) -> config_mod.Config:
    """The suite's config, with the posts' public address set (as a deployment would)."""
    return config.replace(posts={"public_base_url": PUBLIC})


def at(text: str) -> float:
    """Epoch seconds of a local (Asia/Shanghai) time like "2026-03-09 09:00"."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ).timestamp()


@pytest.fixture
def make_posts(services: Any, redis_url: str) -> Iterator[Callable[..., Posts]]:
    """Another publisher, as another worker process would build it: its own Redis connection and
    WeChat client, same Redis and stand-in; keyword arguments override keys of ``[posts]``,
    ``wechat`` those of ``[wechat]``."""
    clients: list[Any] = []

    def make(wechat: dict[str, Any] | None = None, **posts: Any) -> Posts:
        cfg = services.config.replace(posts=posts, wechat=wechat or {})
        client = client_for(redis_url)
        clients.append(client)
        keys = Keys(cfg.redis.key_prefix)
        return Posts(cfg, client, keys, WeChatAPI(cfg.wechat, client, keys), services.counters, services.texts)

    yield make
    for client in clients:
        client.close()
