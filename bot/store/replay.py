"""Captured signed URLs: one (timestamp, nonce) may carry one body only.

WeChat's URL signature covers token, timestamp and nonce, not the body. Whoever sees one push's
query string (a proxy log, a shared link) could otherwise send any body, as any openid, until the
timestamp leaves the replay window. So the first body seen with a (timestamp, nonce) is remembered
by its SHA-256 for twice the window (the window runs both ways around now); the same body again is
WeChat's retry and goes on as usual, another body is refused.
"""

from __future__ import annotations

import hashlib
from typing import Any

from bot.store.keys import Keys


class ReplayGuard:
    def __init__(self, redis: Any, keys: Keys, window: int):
        self.redis = redis
        self.keys = keys
        self.ttl = max(1, 2 * window)

    def admit(self, timestamp: str, nonce: str, body: bytes) -> bool:
        """True when this body is the first (or the same again) seen with this timestamp and nonce.

        One round trip for a new push (``SET NX``), a second one only for a retry (``GET``; the
        embedded redis-server is 6.2, which does not take ``NX`` with ``GET``).
        Raises RedisError when Redis is unreachable (the caller decides).
        """
        digest = hashlib.sha256(body).hexdigest()
        key = self.keys.replay(timestamp, nonce)
        if self.redis.set(key, digest, nx=True, ex=self.ttl):
            return True
        previous = self.redis.get(key)
        if previous is None:  # expired between the two calls: nothing to compare with any more
            return True
        return bool((previous.decode() if isinstance(previous, bytes) else previous) == digest)
