"""Tickets in Redis: one hash per ticket, an append-only history list, sorted-set indexes, a stream.

Guarantees:
- A ticket, its history and its indexes change together: every write is one Lua script over keys
  that share the ``{jf}`` hash tag (cluster-safe).
- ``reserve_id`` hands each idempotency key exactly one ticket id (a per-day counter), and
  ``create`` makes a ticket at most once; together they make a submission idempotent even when a
  process dies between the two calls (the retry finds the reserved id and finishes the job).
- ``update`` is compare-and-set on the ticket's ``rev``: of two racing writers exactly one wins.
- History is only ever appended (RPUSH), never rewritten.
- Listing uses the indexes (ZRANGE/ZINTERSTORE over sorted sets), never SCAN.
"""

from __future__ import annotations

import json
import secrets
from typing import Any, Iterable

from bot.disputes.tickets import OPEN_STATES, Ticket, TicketState, day_of
from redis.typing import EncodableT

from bot.store import lua
from bot.store.client import RedisClient, text, text_map
from bot.store.keys import Keys

GROUP = "mediators"  # the stream's consumer group
POOL = "queue"  # consumer that holds unclaimed tickets' entries
IDEM_TTL = 400 * 86400  # a spooled report may be replayed long after; keep its key for a year+

RESERVE = lua.source("tickets_reserve.lua")  # KEYS and ARGV documented in the file

CREATE = lua.source("tickets_create.lua")  # KEYS and ARGV documented in the file

UPDATE = lua.source("tickets_update.lua")  # KEYS and ARGV documented in the file


def _flat(mapping: dict[str, str]) -> list[str]:
    out: list[str] = []
    for key, value in mapping.items():
        out += [key, value]
    return out


class TicketStore:
    def __init__(self, redis: RedisClient, keys: Keys, stream_maxlen: int = 100000):
        self.redis = redis
        self.keys = keys
        self.stream_maxlen = stream_maxlen
        self._reserve = redis.register_script(RESERVE)
        self._create = redis.register_script(CREATE)
        self._update = redis.register_script(UPDATE)

    # -- creating ---------------------------------------------------------------------------------
    def reserve_id(self, idem_key: str, created_at: float) -> tuple[str, bool]:
        """The ticket id for this idempotency key: a new number of the day, or the one given before."""
        day = day_of(created_at)
        ticket_id, fresh = self._reserve(keys=[self.keys.ticket_idem(idem_key), self.keys.ticket_seq(day)],
                                         args=[day, IDEM_TTL])
        return str(ticket_id), bool(int(fresh))

    def create(self, ticket: Ticket, entry: dict[str, Any]) -> bool:
        """Store a new ticket with its first history entry, indexes and stream entry; False if it existed."""
        k = self.keys
        keys = [k.ticket(ticket.id), k.ticket_history(ticket.id), k.ticket_index("state", ticket.state),
                k.ticket_index("village", ticket.village), k.ticket_index("kind", ticket.kind),
                k.ticket_index("created"), k.ticket_index("user", ticket.openid), k.ticket_index("awaiting"),
                k.ticket_stream()]
        fields = ticket.to_hash()
        fields.pop("stream_id", None)
        args: list[EncodableT] = [ticket.id, repr(ticket.created_at), repr(ticket.due_at), json.dumps(entry, ensure_ascii=False),
                self.stream_maxlen, GROUP, POOL, *_flat(fields)]
        return bool(int(self._create(keys=keys, args=args)))

    # -- reading ----------------------------------------------------------------------------------
    def get(self, ticket_id: str) -> Ticket | None:
        data = text_map(self.redis.hgetall(self.keys.ticket(ticket_id)))
        return Ticket.from_hash(data) if data else None

    def get_many(self, ticket_ids: Iterable[str]) -> list[Ticket]:
        """Tickets in the given order (missing ones skipped), in one round trip."""
        ids = list(ticket_ids)
        if not ids:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for ticket_id in ids:
            pipe.hgetall(self.keys.ticket(ticket_id))
        return [Ticket.from_hash(data) for data in pipe.execute() if data]

    def exists(self, ticket_id: str) -> bool:
        return bool(self.redis.exists(self.keys.ticket(ticket_id)))

    def history(self, ticket_id: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.redis.lrange(self.keys.ticket_history(ticket_id), 0, -1)]

    def for_villager(self, openid: str) -> list[Ticket]:
        """The villager's tickets, newest first."""
        return self.get_many(map(text, self.redis.zrange(self.keys.ticket_index("user", openid), 0, -1, desc=True)))

    def counts_by_state(self) -> dict[str, int]:
        pipe = self.redis.pipeline(transaction=False)
        for state in TicketState:
            pipe.zcard(self.keys.ticket_index("state", state.value))
        return {state.value: int(n) for state, n in zip(TicketState, pipe.execute())}

    # -- changing ---------------------------------------------------------------------------------
    def update(self, ticket: Ticket, changes: dict[str, Any], entry: dict[str, Any] | None,
               check_rev: bool = True, stream_op: str = "", consumer: str = "") -> int:
        """Apply ``changes`` (field → value) if the ticket is still at ``ticket.rev``.

        Moves the ticket between state indexes when ``changes`` has a new state, drops it from the
        awaiting index once it has a response or is no longer open, appends ``entry`` to the
        history. Returns the new rev, 0 on a lost race, -1 when the ticket does not exist.
        """
        k = self.keys
        new_state = str(changes.get("state", ticket.state))
        responded = changes.get("first_response_at") or new_state not in {s.value for s in OPEN_STATES}
        fields = {key: "" if value is None else str(value) for key, value in changes.items()}
        keys = [k.ticket(ticket.id), k.ticket_history(ticket.id), k.ticket_index("state", ticket.state),
                k.ticket_index("state", new_state), k.ticket_index("awaiting"), k.ticket_stream()]
        args = [str(ticket.rev) if check_rev else "", ticket.id, repr(ticket.created_at),
                json.dumps(entry, ensure_ascii=False) if entry else "", "rem" if responded else "",
                stream_op, GROUP, consumer, ticket.stream_id, *_flat(fields)]
        return int(self._update(keys=keys, args=args))

    # -- listing ----------------------------------------------------------------------------------
    def list_ids(self, filters: dict[str, str], since: float | None, until: float | None,
                 overdue: bool | None, now: float, offset: int, limit: int,
                 oldest_first: bool = False) -> tuple[list[str], int]:
        """Ids matching every filter (index name → value) created in [since, until], a page and the total."""
        k = self.keys
        low = repr(since) if since is not None else "-inf"
        high = repr(until) if until is not None else "+inf"
        sets = [k.ticket_index(name, value) for name, value in filters.items() if value]
        if overdue is None and len(sets) <= 1:
            source = sets[0] if sets else k.ticket_index("created")
            return self._page(self.redis.pipeline(transaction=False), source, low, high, offset, limit,
                              oldest_first, [])
        token = secrets.token_hex(6)
        tmp, scratch = k.ticket_tmp(token), []
        pipe = self.redis.pipeline(transaction=True)
        base = k.ticket_index("created")
        if overdue is not None:
            late = k.ticket_tmp(token + ":late")
            scratch.append(late)
            pipe.zrangestore(late, k.ticket_index("awaiting"), "-inf", repr(now), byscore=True)
            if overdue:
                sets.append(late)
            else:
                base = k.ticket_tmp(token + ":ontime")
                scratch.append(base)
                pipe.zdiffstore(base, [k.ticket_index("created"), late])
        weights = {base: 1, **{name: 0 for name in sets}}
        pipe.zinterstore(tmp, weights, aggregate="SUM")
        return self._page(pipe, tmp, low, high, offset, limit, oldest_first, [tmp, *scratch])

    def _page(self, pipe: Any, source: str, low: str, high: str, offset: int, limit: int,
              oldest_first: bool, scratch: list[str]) -> tuple[list[str], int]:
        if oldest_first:
            pipe.zrange(source, low, high, byscore=True, offset=offset, num=limit)
        else:
            pipe.zrange(source, high, low, byscore=True, desc=True, offset=offset, num=limit)
        pipe.zcount(source, low, high)
        if scratch:
            pipe.delete(*scratch)
        results = pipe.execute()
        at = len(results) - (3 if scratch else 2)
        return list(results[at]), int(results[at + 1])

