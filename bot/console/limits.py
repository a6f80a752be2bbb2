"""How often one staff member may search the queue (no Flask: Redis only).

A fixed one-minute window per person: the count and its expiry are set in one MULTI, so parallel
searches cannot slip past the limit. Searches look at masked text only (``bot.disputes.matches``);
the limit keeps anyone from trying many queries in a row all the same.
"""

from __future__ import annotations

import time

from bot.store.client import RedisClient
from bot.store.keys import Keys


class SearchLimit:
    def __init__(self, redis: RedisClient, keys: Keys, per_minute: int):
        self.redis = redis
        self.keys = keys
        self.per_minute = max(1, per_minute)

    def allow(self, name: str, now: float | None = None) -> bool:
        """Count one search by ``name``; False once this minute's searches are used up."""
        minute = int((time.time() if now is None else now) // 60)
        key = self.keys.staff_search_rate(f"{name}:{minute}")
        pipe = self.redis.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, 120)
        count, _ = pipe.execute()
        return int(count) <= self.per_minute
