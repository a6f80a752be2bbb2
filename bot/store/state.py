"""Conversation state per villager (openid), shared by every worker and host through Redis.

State is a small JSON object (``{"flow": "report", "step": ..., ...}``) that expires after
``bot.state_ttl`` seconds without a message. A report's draft is kept apart, for ``bot.draft_ttl``
seconds, so a villager whose conversation expired can pick it up again. The webhook writes state
through ``bot.store.dedupe`` in the same round trip as the reply; this class serves everyone else
(console, worker, handlers that read a draft).
"""

from __future__ import annotations

import json
from typing import Any

from bot.store.keys import Keys


class ConversationStore:
    def __init__(self, redis: Any, keys: Keys, state_ttl: int, draft_ttl: int):
        self.redis = redis
        self.keys = keys
        self.state_ttl = state_ttl
        self.draft_ttl = draft_ttl

    def get(self, openid: str) -> dict[str, Any] | None:
        raw = self.redis.get(self.keys.state(openid))
        return json.loads(raw) if raw else None

    def set(self, openid: str, state: dict[str, Any], ttl: int | None = None) -> None:
        self.redis.set(self.keys.state(openid), json.dumps(state, ensure_ascii=False), ex=ttl or self.state_ttl)

    def clear(self, openid: str) -> None:
        self.redis.delete(self.keys.state(openid))

    def get_draft(self, openid: str) -> dict[str, Any] | None:
        raw = self.redis.get(self.keys.draft(openid))
        return json.loads(raw) if raw else None

    def set_draft(self, openid: str, draft: dict[str, Any]) -> None:
        self.redis.set(self.keys.draft(openid), json.dumps(draft, ensure_ascii=False), ex=self.draft_ttl)

    def clear_draft(self, openid: str) -> None:
        self.redis.delete(self.keys.draft(openid))

    def forget(self, openid: str) -> None:
        """Drop everything about the villager's conversation (on unsubscribe)."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self.keys.state(openid))
        pipe.delete(self.keys.draft(openid))
        pipe.execute()
