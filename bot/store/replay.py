"""Captured signed URLs: one (timestamp, nonce) may carry one body only.

WeChat's URL signature covers token, timestamp and nonce, not the body. Whoever sees one push's
query string (a proxy log, a shared link) could otherwise send any body, as any openid, until the
timestamp leaves the replay window. So the first body seen with a (timestamp, nonce) is remembered
by its SHA-256 for twice the window (the window runs both ways around now); the same body again is
WeChat's retry and goes on as usual, another body is refused.

On a single Redis server the check costs no round trip of its own: the webhook hands a
``ReplayCheck`` to the pipeline, and the dedupe ``begin`` script runs it first, in the same call
(``bot/store/lua/dedupe_begin.lua``). On a cluster the record's key and the villager's keys live in different
slots, so ``admit`` is a call of its own before the message is read.

While Redis is unreachable the check runs against this host's own record instead
(``bot.store.replay_local``), and a message kept for later carries its ``ReplayCheck`` so that its
replay is checked against Redis' record (``bot.wechat.inbound``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from redis import Redis

from bot.store.keys import Keys
from bot.store.replay_local import HostReplays

@dataclass(frozen=True)
class ReplayCheck:
    """The (timestamp, nonce) record to check within the dedupe ``begin`` call."""

    key: str
    digest: str
    ttl: int
    folded: bool = True  # run within the dedupe ``begin`` call (single server); False: ``admit`` runs it

    def as_json(self) -> dict[str, str]:
        """What a kept message carries, to be checked when it is replayed."""
        return {"key": self.key, "digest": self.digest}


class ReplayGuard:
    def __init__(self, redis: Any, keys: Keys, window: int, host: HostReplays):
        self.redis = redis
        self.host = host
        self.keys = keys
        self.ttl = max(1, 2 * window)
        # On a single server the check rides in the dedupe ``begin`` script (``check``); on a
        # cluster the record and the villager's keys are in different slots (``admit``).
        self.folded = isinstance(redis, Redis)

    def check(self, timestamp: str, nonce: str, body: bytes) -> ReplayCheck:
        """This push's check: run by the dedupe ``begin`` call (single server) or by ``admit``."""
        return ReplayCheck(self.keys.replay(timestamp, nonce), hashlib.sha256(body).hexdigest(), self.ttl,
                           self.folded)

    def kept(self, record: dict[str, Any] | None) -> ReplayCheck | None:
        """The check a kept message carries (``ReplayCheck.as_json``); None for one kept without it."""
        if not record or not record.get("key") or not record.get("digest"):
            return None
        return ReplayCheck(str(record["key"]), str(record["digest"]), self.ttl, self.folded)

    def admit(self, check: ReplayCheck) -> bool:
        """True when this body is the first (or the same again) seen with this timestamp and nonce.

        The cluster's own call: one round trip for a new push (``SET NX``), a second one only for a
        retry (``GET``; redis-server 6.2 does not take ``NX`` with ``GET``). Plain commands fail fast
        during a failover instead of detouring through the cluster client's script retries.
        Raises RedisError when Redis is unreachable (the caller decides).
        """
        key, digest = check.key, check.digest
        if self.redis.set(key, digest, nx=True, ex=self.ttl):
            return True
        previous = self.redis.get(key)
        if previous is None:  # expired between the two calls: nothing to compare with any more
            return True
        return bool((previous.decode() if isinstance(previous, bytes) else previous) == digest)
