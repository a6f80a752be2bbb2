"""A ticket's conversation with the villager: who wrote what when, oldest first (Redis).

Guarantees:
- Entries are only appended (RPUSH), never rewritten; each is ``{"from": "villager"|"staff"|"bot",
  "at": epoch seconds, "text": str, "media": {"type": ..., "media_id": ...} | None}`` plus
  ``"staff"`` (who wrote) on staff entries.
- A villager entry and its unread count and the live counter change in one MULTI (keys share ``{jf}``),
  so a console that polls the live counter never misses a message it then fails to find.
- ``last_staff_at`` is what the thread window is measured from (``[disputes] thread_window_hours``).
"""

from __future__ import annotations

import json
from typing import Any

from bot.store.client import RedisClient, text_map
from bot.store.keys import Keys

SENDERS = ("villager", "staff", "bot")


def entry(sender: str, at: float, text: str = "", media: dict[str, Any] | None = None,
          **extra: Any) -> dict[str, Any]:
    """One thread entry (pure)."""
    if sender not in SENDERS:
        raise ValueError(f"a thread entry comes from villager, staff or bot, not {sender!r}")
    out: dict[str, Any] = {"from": sender, "at": at, "text": text, "media": media or None}
    out.update({k: v for k, v in extra.items() if v not in (None, "")})
    return out


def media_of(attachment: dict[str, Any] | None) -> dict[str, Any] | None:
    """A report attachment (``bot.disputes.tickets.attachment``) as thread media: ``type`` + its values."""
    if not attachment or attachment.get("kind") == "text":
        return None
    media = {k: v for k, v in attachment.items() if k not in ("kind", "at")}
    return {"type": attachment["kind"], **media}


class Thread:
    def __init__(self, redis: RedisClient, keys: Keys):
        self.redis = redis
        self.keys = keys

    def append(self, ticket_id: str, item: dict[str, Any]) -> None:
        """Add an entry; a villager's counts as unread, a staff member's marks the thread read."""
        k = self.keys
        pipe = self.redis.pipeline(transaction=True)
        pipe.rpush(k.ticket_thread(ticket_id), json.dumps(item, ensure_ascii=False))
        if item["from"] == "villager":
            pipe.hincrby(k.ticket_unread(), ticket_id, 1)
            pipe.hset(k.ticket_thread_meta(ticket_id), "last_villager_at", repr(item["at"]))
            pipe.hincrby(k.ticket_thread_meta(ticket_id), "villager_messages", 1)
        elif item["from"] == "staff":
            pipe.hdel(k.ticket_unread(), ticket_id)
            pipe.hset(k.ticket_thread_meta(ticket_id), "last_staff_at", repr(item["at"]))
        pipe.incr(k.ticket_live())
        pipe.execute()

    def entries(self, ticket_id: str) -> list[dict[str, Any]]:
        """The whole conversation, oldest first."""
        return [json.loads(line) for line in self.redis.lrange(self.keys.ticket_thread(ticket_id), 0, -1)]

    def entries_since(self, ticket_id: str, start: int) -> tuple[int, list[dict[str, Any]]]:
        """(how many entries the thread holds, the entries from index ``start`` on): what a page that
        already shows ``start`` entries lacks, without reading the rest again."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.llen(self.keys.ticket_thread(ticket_id))
        pipe.lrange(self.keys.ticket_thread(ticket_id), max(0, start), -1)
        total, lines = pipe.execute()
        return int(total), [json.loads(line) for line in lines]

    def villager_count(self, ticket_id: str) -> int:
        """How many villager messages the thread holds (counted since the count was introduced)."""
        return int(self.redis.hget(self.keys.ticket_thread_meta(ticket_id), "villager_messages") or 0)

    def meta(self, ticket_id: str) -> dict[str, float]:
        """``last_staff_at``, ``last_villager_at``, ``confirmed_at`` (epoch seconds) as far as known."""
        raw = text_map(self.redis.hgetall(self.keys.ticket_thread_meta(ticket_id)))
        return {key: float(value) for key, value in raw.items() if value}

    def mark_confirmed(self, ticket_id: str, at: float) -> None:
        """The bot told the villager their messages go to staff (said once per staff message)."""
        self.redis.hset(self.keys.ticket_thread_meta(ticket_id), "confirmed_at", repr(at))

    def mark_read(self, ticket_id: str) -> None:
        """A staff member has seen the thread: no unread badge (the live pages notice)."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.hdel(self.keys.ticket_unread(), ticket_id)
        pipe.incr(self.keys.ticket_live())
        pipe.execute()

    def touch_live(self) -> None:
        """Something the pages show changed without a state count changing (e.g. an assignee)."""
        self.redis.incr(self.keys.ticket_live())

    def unread(self) -> dict[str, int]:
        """Ticket id → unread villager messages, for tickets that have any."""
        unread = text_map(self.redis.hgetall(self.keys.ticket_unread()))
        return {tid: int(n) for tid, n in unread.items() if int(n) > 0}

    def live_version(self) -> int:
        return int(self.redis.get(self.keys.ticket_live()) or 0)
