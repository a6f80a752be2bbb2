"""The work queue of the 村民说事室: a Redis Stream with one consumer group (``mediators``).

Every ticket has one stream entry. While nobody works on it, the entry belongs to the consumer
``queue`` (the pool); claiming moves it to the staff member's consumer (XCLAIM), releasing moves it
back, and once mediation starts (or the ticket is resolved, referred or closed) it is acknowledged
and leaves the pending list. Every staff action on a claimed ticket re-claims the entry for the
same person, which resets its idle time; so an entry idle for ``[queue] claim_timeout`` seconds is a
claim nobody touched, and ``reclaim_abandoned`` (XAUTOCLAIM) returns those tickets to ``new``.

Guarantees: of two simultaneous claims of one ticket exactly one succeeds (compare-and-set in Lua,
see ``bot.disputes.store``); a ticket whose claimer is still active is never taken from them.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from bot.disputes.store import GROUP, POOL, TicketStore
from bot.disputes.tickets import Ticket, TicketError, TicketState, history_entry
from bot.store.client import RedisClient, text
from bot.store.keys import Keys

log = logging.getLogger(__name__)
MAX_RACES = 8  # compare-and-set retries before giving up (only under absurd contention)


class Queue:
    def __init__(self, store: TicketStore, redis: RedisClient, keys: Keys, claim_timeout: int):
        self.store = store
        self.redis = redis
        self.keys = keys
        self.claim_timeout = claim_timeout

    def _load(self, ticket_id: str) -> Ticket:
        ticket = self.store.get(ticket_id)
        if ticket is None:
            raise TicketError(f"no ticket {ticket_id}")
        return ticket

    def claim(self, ticket_id: str, staff: str, now: float) -> bool:
        """Take a new ticket; False when someone else has it (or it is past ``new``)."""
        for _ in range(MAX_RACES):
            ticket = self._load(ticket_id)
            if ticket.state == TicketState.CLAIMED.value and ticket.claimed_by == staff:
                return True
            if ticket.state != TicketState.NEW.value:
                return False
            changes = {"state": TicketState.CLAIMED.value, "claimed_by": staff, "claimed_at": now,
                       "touched_at": now, "updated_at": now}
            entry = history_entry(now, staff, "claimed")
            if self.store.update(ticket, changes, entry, stream_op="claim", consumer=staff) > 0:
                return True
        return False

    def release(self, ticket_id: str, staff: str, now: float, note: str = "") -> None:
        """Put a claimed ticket back in the queue (state ``new``)."""
        for _ in range(MAX_RACES):
            ticket = self._load(ticket_id)
            if ticket.state != TicketState.CLAIMED.value:
                raise TicketError(f"ticket {ticket_id} is {ticket.state}, not claimed")
            changes = {"state": TicketState.NEW.value, "claimed_by": "", "claimed_at": None,
                       "touched_at": None, "updated_at": now}
            entry = history_entry(now, staff, "released", note, was_claimed_by=ticket.claimed_by)
            if self.store.update(ticket, changes, entry, stream_op="claim", consumer=POOL) > 0:
                return
        raise TicketError(f"ticket {ticket_id} kept changing; try again")

    def reclaim_abandoned(self, now: float, batch: int = 200) -> int:
        """Return claims idle for ``claim_timeout`` seconds to the queue; the number returned."""
        stream, returned, cursor = self.keys.ticket_stream(), 0, "0-0"
        if not self.redis.exists(stream):
            return 0
        while True:
            result = self.redis.xautoclaim(stream, GROUP, POOL, self.claim_timeout * 1000,
                                           start_id=cursor, count=batch)
            cursor, entries = result[0], result[1]
            returned += self._settle(entries, now)
            if cursor in ("0-0", b"0-0"):
                return returned

    def _settle(self, entries: list[Any], now: float) -> int:
        """Entries XAUTOCLAIM just moved to the pool: revert abandoned claims, give back active ones."""
        by_ticket = {}
        for entry in entries:
            if entry and entry[1]:
                by_ticket[entry[1].get("ticket", "")] = entry[0]
        returned = 0
        for ticket in self.store.get_many(t for t in by_ticket if t):
            if ticket.state == TicketState.CLAIMED.value:
                returned += self._return_if_idle(ticket, now)
            elif ticket.state != TicketState.NEW.value:
                self.redis.xack(self.keys.ticket_stream(), GROUP, ticket.stream_id)
        return returned

    def _return_if_idle(self, ticket: Ticket, now: float) -> int:
        last = ticket.touched_at or ticket.claimed_at or 0.0
        if now - last < self.claim_timeout:
            self._give_back(ticket)
            return 0
        changes = {"state": TicketState.NEW.value, "claimed_by": "", "claimed_at": None, "touched_at": None,
                   "updated_at": now}
        entry = history_entry(now, "system", "returned_to_queue", was_claimed_by=ticket.claimed_by)
        if self.store.update(ticket, changes, entry) > 0:
            log.info("abandoned claim returned to the queue", extra={"ticket": ticket.id})
            return 1
        fresh = self.store.get(ticket.id)
        if fresh is not None and fresh.state == TicketState.CLAIMED.value:
            self._give_back(fresh)
        return 0

    def _give_back(self, ticket: Ticket) -> None:
        self.redis.xclaim(self.keys.ticket_stream(), GROUP, ticket.claimed_by, 0, [ticket.stream_id],
                          justid=True)

    def holders(self) -> dict[str, str]:
        """Ticket id → consumer holding its stream entry (diagnostics and tests)."""
        stream = self.keys.ticket_stream()
        if not self.redis.exists(stream):
            return {}
        pending = self.redis.xpending_range(stream, GROUP, "-", "+", 100000)
        owners = {text(p["message_id"]): text(p["consumer"]) for p in pending}
        out: dict[str, str] = {}
        for entry_id, fields in cast("list[tuple[str, dict[str, str]]]", self.redis.xrange(stream)):
            if entry_id in owners:
                out[fields.get("ticket", "")] = owners[entry_id]
        return out
