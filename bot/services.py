"""Everything the bot needs, built in one place from the config (no Flask here).

The web app keeps the result in ``app.extensions["pufabot"]``; the worker and every CLI command
build the same thing without Flask. Each part gets the Redis client; nothing connects at import time.

Building is cheap except for the knowledge base and the matcher (jieba's dictionary: about a
second). The web app and the worker load them up front (``build_services``: the first villager does
not wait); commands that may not need them (``pufabot tickets``, ``staff``, ``posts``, ``menu``)
call ``build_services(config, knowledge="lazy")`` and the knowledge base is loaded on first use of
``services.kb`` or ``services.matcher``, if ever.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Literal

from bot.config import BotConfig, Config, runtime_dir
from bot.disputes import Disputes
from bot.duty import OfficeHours
from bot.notify import Notifier
from bot.posts import Posts
from bot.store.counters import BufferedCounters
from bot.store.dedupe import Deduper
from bot.store.client import RedisClient
from bot.store.keys import Keys
from bot.store.replay import ReplayGuard
from bot.store.replay_local import HostReplays
from bot.store.state import ConversationStore
from bot.texts import Texts
from bot.wechat.api import WeChatAPI
from bot.wechat.inbound import spool_for

if TYPE_CHECKING:
    from bot.matching.kb import KnowledgeBase
    from bot.matching.laws import Laws
    from bot.matching.matcher import Matcher
    from handlers import Router

Knowledge = tuple["KnowledgeBase", "Matcher"]


class Services:
    """The bot's shared objects; every attribute is built (none is ``None`` "until built")."""

    def __init__(self, config: Config, redis: RedisClient, knowledge: Knowledge | None = None):
        from handlers import ROUTES  # the one way bot reaches the handlers (they import bot, not back)

        b = config.bot
        self.config = config
        self.redis = redis
        self.keys = Keys(config.redis.key_prefix)
        self.office_hours = OfficeHours.from_config(b)  # when staff read messages (bot.duty)
        self.texts = load_texts(b)
        # A push is remembered at least as long as its signed URL is accepted (N8): an identical
        # captured push re-sent within the replay window gets the first reply, never a second run.
        self.deduper = Deduper(redis, self.keys, max(b.dedupe_ttl, config.wechat.replay_window), b.state_ttl)
        self.conversations = ConversationStore(redis, self.keys, b.state_ttl, b.draft_ttl)
        self.counters = BufferedCounters(redis, self.keys, tz=config.posts.timezone)
        self.wechat = WeChatAPI(config.wechat, redis, self.keys)
        self.replays = ReplayGuard(redis, self.keys, config.wechat.replay_window,
                                   HostReplays(runtime_dir(b.spool_dir) / "replay", 2 * config.wechat.replay_window))
        self.inbound = spool_for(config)  # messages kept while Redis is away (bot.wechat.inbound)
        self.routes: Router = ROUTES
        self.notifier = Notifier(config, redis, self.keys, self.texts)  # before disputes: it alerts
        self.disputes = Disputes(self)
        self.posts = Posts(config, redis, self.keys, self.wechat, self.counters, self.texts)
        if knowledge is not None:
            self.__dict__["knowledge"] = knowledge  # fills the cached property below

    @cached_property
    def knowledge(self) -> Knowledge:
        return build_knowledge()

    @cached_property
    def laws(self) -> Laws:
        """The cited articles' own text (``knowledge/laws/``), for 「法条」."""
        from bot.matching.laws import Laws

        return Laws.load()

    @property
    def kb(self) -> KnowledgeBase:
        return self.knowledge[0]

    @property
    def matcher(self) -> Matcher:
        return self.knowledge[1]

    def close(self) -> None:
        self.counters.close()
        if self.replays.redis is not self.redis:
            self.replays.redis.close()


def load_texts(bot: BotConfig) -> Texts:
    """The wording (knowledge/replies), with the office's name, township, phone and address filled in."""
    return Texts.load(defaults={"name": bot.name, "township": bot.township, "office_phone": bot.office_phone,
                                "office_address": bot.office_address, "office_hours": OfficeHours.from_config(bot).spoken(),
                                "times": ", ".join(bot.office_periods)})


def build_knowledge() -> Knowledge:
    """The knowledge base and the matcher over it (pure; the slow part of start-up)."""
    from bot.matching.kb import KnowledgeBase
    from bot.matching.matcher import Matcher

    kb = KnowledgeBase.load()
    return kb, Matcher.build(kb)


def build_services(config: Config, redis: RedisClient | None = None,
                   knowledge: Knowledge | Literal["lazy"] | None = None) -> Services:
    """The services on ``redis`` (default: connect as ``[redis]`` says).

    ``knowledge``: a prebuilt (knowledge base, matcher) pair (tests share one), ``None`` to load it
    now, or ``"lazy"`` to load it on first use.
    """
    from bot.store import connect

    redis = redis if redis is not None else connect.connect(config.redis)
    if knowledge is None:
        knowledge = build_knowledge()
    return Services(config, redis, None if knowledge == "lazy" else knowledge)
