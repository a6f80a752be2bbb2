"""Canned replies (常用回复) staff pick from when answering a villager; admins edit the list.

Until an admin saves a list, the defaults are the ``canned_*`` texts of
``knowledge/replies/console.toml``. A saved list replaces them wholesale (one JSON value in Redis),
so two admins saving at once leave one of the two lists, never a mix. No Flask here.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from bot.store.client import RedisClient
from bot.store.keys import Keys

if TYPE_CHECKING:
    from bot.texts import Texts

DEFAULT_KEYS = ("canned_received", "canned_need_details", "canned_visit", "canned_resolved",
                "canned_referred_court", "canned_legal_aid")
MAX_REPLIES = 20
MAX_LENGTH = 600


class CannedReplies:
    def __init__(self, redis: RedisClient, keys: Keys, texts: Texts):
        self.redis = redis
        self.key = keys.staff_canned()
        self.texts = texts

    def defaults(self) -> list[str]:
        return [self.texts.get(k) for k in DEFAULT_KEYS if k in self.texts]

    def all(self) -> list[str]:
        raw = self.redis.get(self.key)
        if raw is None:
            return self.defaults()
        return [str(x) for x in json.loads(raw)]

    def save(self, replies: list[str]) -> list[str]:
        """Keep the non-empty replies (trimmed, at most MAX_REPLIES of MAX_LENGTH characters)."""
        cleaned = [r.strip().replace("\r\n", "\n")[:MAX_LENGTH] for r in replies if r and r.strip()]
        cleaned = cleaned[:MAX_REPLIES]
        self.redis.set(self.key, json.dumps(cleaned, ensure_ascii=False))
        return cleaned

    def reset(self) -> None:
        self.redis.delete(self.key)
