"""Everything the bot needs, built once per process from the config (no Flask here).

The web app keeps the result in ``app.extensions["pufabot"]``; the worker and the CLI build the
same thing without Flask. Each part gets the Redis client; nothing connects at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.config import Config
from bot.store.counters import BufferedCounters
from bot.store.dedupe import Deduper
from bot.store.keys import Keys
from bot.store.replay import ReplayGuard
from bot.store.state import ConversationStore
from bot.texts import Texts
from bot.wechat.api import WeChatAPI


@dataclass
class Services:
    config: Config
    redis: Any
    keys: Keys
    kb: Any
    matcher: Any
    texts: Texts
    deduper: Deduper
    conversations: ConversationStore
    counters: BufferedCounters
    wechat: WeChatAPI
    replays: ReplayGuard
    inbound: Any = None  # bot.wechat.inbound.InboundSpool: messages kept while Redis is away
    # Feature parts, built below in ``build_services`` (None until that feature is built).
    routes: Any = None  # the handler table (``handlers.ROUTES``): the one way bot reaches handlers
    disputes: Any = None
    posts: Any = None

    def close(self) -> None:
        self.counters.close()
        if self.replays.redis is not self.redis:
            self.replays.redis.close()


def build_knowledge() -> tuple[Any, Any]:
    """The knowledge base and the matcher over it (pure; the slow part of start-up)."""
    from bot.matching.kb import KnowledgeBase
    from bot.matching.matcher import Matcher

    kb = KnowledgeBase.load()
    return kb, Matcher.build(kb)


def build_services(config: Config, redis: Any = None, knowledge: tuple[Any, Any] | None = None) -> Services:
    from bot.store import connect

    redis = redis if redis is not None else connect.connect(config.redis)
    keys = Keys(config.redis.key_prefix)
    kb, matcher = knowledge or build_knowledge()
    b = config.bot
    texts = Texts.load(defaults={"name": b.name, "township": b.township, "office_phone": b.office_phone,
                                 "office_address": b.office_address})
    services = Services(
        config=config,
        redis=redis,
        keys=keys,
        kb=kb,
        matcher=matcher,
        texts=texts,
        deduper=Deduper(redis, keys, b.dedupe_ttl, b.state_ttl),
        conversations=ConversationStore(redis, keys, b.state_ttl, b.draft_ttl),
        counters=BufferedCounters(redis, keys, tz=config.posts.timezone),
        wechat=WeChatAPI(config.wechat, redis, keys),
        replays=ReplayGuard(connect.fail_fast(redis, config.redis), keys, config.wechat.replay_window),
    )
    # Feature parts: each feature package has one ``build(services)`` returning its facade.
    from bot.disputes import build as build_disputes

    services.disputes = build_disputes(services)
    from bot.posts import build as build_posts

    services.posts = build_posts(services)
    from bot.wechat.inbound import spool_for

    services.inbound = spool_for(config)
    from handlers import ROUTES

    services.routes = ROUTES
    return services
