"""The alerts outbox in Redis: queued once, claimed with a lease, recorded sent once.

One message is one alert for one robot, id ``<alert id>@<robot>`` (``urgent:JF20261208-0001@wecom``).
Guarantees (every step is one Lua script over keys sharing the ``{nt}`` hash tag, cluster-safe):
- ``enqueue`` stores a message at most once per id (the same event queued twice, by the web process
  and by the worker's sweep, is one message);
- ``claim`` moves a due message to the lease set with a random token; of two senders exactly one
  gets it. ``retry`` acts only for the holder of the token, so a sender whose lease ran out (it
  stalled) cannot reschedule a message another sender holds now;
- a lease that runs out (the sender was killed mid-send) puts the message back in ``due``
  (``reclaim``): nothing is lost. A message is "sent" once a robot answered errcode 0, recorded by
  ``finish`` whoever sent it. When Redis is away at that moment the sender keeps the record in
  memory and writes it first thing next run (``bot.notify.delivery``). A sender killed after the
  robot took a message but before recording it is the one case a second copy can reach the group
  (robots take no idempotency key);
- sent messages are kept ``KEEP_SENT`` seconds (their ids keep a re-queued event from repeating).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from bot.notify.compose import Alert
from bot.store import lua
from bot.store.keys import Keys

KEEP_SENT = 30 * 86400


def robot_of(message_id: str) -> str:
    return message_id.rpartition("@")[2]


class Outbox:
    def __init__(self, redis: Any, keys: Keys):
        self.redis = redis
        self.keys = keys
        self._enqueue = redis.register_script(lua.source("notify_enqueue.lua"))
        self._claim = redis.register_script(lua.source("notify_claim.lua"))
        self._finish = redis.register_script(lua.source("notify_finish.lua"))
        self._retry = redis.register_script(lua.source("notify_retry.lua"))
        self._reclaim = redis.register_script(lua.source("notify_reclaim.lua"))
        self._slot = redis.register_script(lua.source("notify_slot.lua"))

    def _k(self, part: str) -> str:
        return self.keys.notify(part)

    def _m(self, message_id: str) -> str:
        return self._k(f"m:{message_id}")

    # -- queueing ---------------------------------------------------------------------------------
    def enqueue(self, alert: Alert, robot: str, now: float) -> bool:
        """Queue ``alert`` for ``robot``; False when that message was queued before (sent or not)."""
        message_id = f"{alert.id}@{robot}"
        return bool(int(self._enqueue(keys=[self._m(message_id), self._k("due")],
                                      args=[message_id, repr(now), robot, alert.to_json(), alert.event])))

    # -- sending ----------------------------------------------------------------------------------
    def due(self, now: float, limit: int = 200) -> list[dict[str, Any]]:
        """Messages due now (not leased), oldest first, with their fields and ``alert``."""
        ids = self.redis.zrange(self._k("due"), "-inf", repr(now), byscore=True, offset=0, num=limit)
        return self.read(ids)

    def read(self, ids: list[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for message_id in ids:
            pipe.hgetall(self._m(message_id))
        out = []
        for data in pipe.execute():
            if data:
                data["alert"] = Alert.from_json(data["alert"])
                out.append(data)
        return out

    def claim(self, message_id: str, now: float, lease_until: float) -> str | None:
        """A token for sending this message, or None when it is not due or another sender has it."""
        token = secrets.token_hex(8)
        keys = [self._m(message_id), self._k("due"), self._k("lease")]
        won = int(self._claim(keys=keys, args=[message_id, repr(now), repr(lease_until), token]))
        return token if won else None

    def finish(self, message_id: str, now: float, answer: str) -> bool:
        """Record the robot's errcode 0; False when it was recorded sent before."""
        keys = [self._m(message_id), self._k("lease"), self._k("sent"), self._k("due")]
        return bool(int(self._finish(keys=keys, args=[message_id, repr(now), answer, KEEP_SENT])))

    def retry(self, message_id: str, token: str, next_at: float, error: str = "", attempt: bool = True) -> bool:
        """Back to ``due`` at ``next_at`` with the reason; ``attempt`` counts a failed try."""
        keys = [self._m(message_id), self._k("lease"), self._k("due")]
        return bool(int(self._retry(keys=keys, args=[message_id, repr(next_at), token, error[:300],
                                                     "1" if attempt else "0"])))

    def reclaim(self, now: float) -> int:
        """Messages whose sender's lease ran out go back to ``due``; how many."""
        ids = self.redis.zrange(self._k("lease"), "-inf", repr(now), byscore=True)
        back = 0
        for message_id in ids:
            keys = [self._m(message_id), self._k("lease"), self._k("due")]
            back += int(self._reclaim(keys=keys, args=[message_id, repr(now)]))
        return back

    def take_slot(self, robot: str, now: float, per_minute: int) -> float:
        """0 when ``robot`` may take one more message now (and it is counted), else seconds to wait."""
        wait = int(self._slot(keys=[self._k(f"rate:{robot}")], args=[repr(now), per_minute, secrets.token_hex(6)]))
        return wait / 1000.0

    def pause(self, robot: str, until: float, seconds: int) -> None:
        self.redis.set(self._k(f"pause:{robot}"), repr(until), ex=max(1, seconds))

    def paused_until(self, robot: str) -> float:
        raw = self.redis.get(self._k(f"pause:{robot}"))
        return float(raw) if raw else 0.0

    # -- looking --------------------------------------------------------------------------------------
    def waiting(self, limit: int = 200) -> list[dict[str, Any]]:
        """Messages not sent yet (due or being sent), oldest first: what the console shows admins."""
        ids = list(self.redis.zrange(self._k("due"), 0, limit - 1))
        ids += list(self.redis.zrange(self._k("lease"), 0, limit - 1))
        return sorted(self.read(ids), key=lambda m: float(m.get("created_at") or 0))

    def sent_since(self, since: float) -> int:
        return int(self.redis.zcount(self._k("sent"), repr(since), "+inf"))

    def sent(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest sent messages, newest first."""
        return self.read(list(self.redis.zrange(self._k("sent"), 0, limit - 1, desc=True)))

    def send_now(self, message_id: str, now: float) -> bool:
        """An admin asked to try a waiting message again at once."""
        return bool(self.redis.zadd(self._k("due"), {message_id: now}, xx=True, ch=True))

    def trim(self, now: float) -> None:
        self.redis.zremrangebyscore(self._k("sent"), "-inf", repr(now - KEEP_SENT))


def answer_json(errcode: int | None, errmsg: str) -> str:
    return json.dumps({"errcode": errcode, "errmsg": errmsg}, ensure_ascii=False)
