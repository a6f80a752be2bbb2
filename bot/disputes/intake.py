"""Turning a villager's confirmed draft into a ticket: idempotent, and never lost.

``submit`` either stores the ticket in Redis, or, when Redis cannot be reached, appends the draft to
the local spool (fsync'd) and returns a ticket marked ``spooled`` without an id. ``replay`` later
submits every spooled draft with its original idempotency key and confirmation time, so a report
confirmed once is one ticket, whichever way and however often it arrives.

A draft is a dict: ``kind`` (one of ``tickets.ALL_KINDS``), ``village``, ``description`` (or ``text``),
``attachments`` (list of attachment dicts), ``phone`` ("" = declined), ``contact_pref``
(visit|call|none), ``topic``, ``source`` (text|voice). Unknown or invalid values are normalised,
never rejected: a villager's report is always accepted.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from redis import exceptions as rx

from bot.disputes.spool import Spool
from bot.disputes.store import TicketStore
from bot.disputes.tickets import ALL_KINDS, CONTACT_PREFS, Ticket, history_entry
from bot.logs import mask_openid

log = logging.getLogger(__name__)
PHONE = re.compile(r"^1[3-9]\d{9}$")
URGENT_KIND = re.compile(r"^[a-z-]{1,20}$")
MAX_DESCRIPTION = 4000
MAX_ATTACHMENTS = 30
MAX_LANGUAGE_CHARS = 16  # a language code (bot.matching.scripts.LANGUAGES)
# Errors that mean "Redis cannot take the report right now" (as opposed to a bug): it is spooled.
# OutOfMemoryError: with maxmemory-policy noeviction a full Redis refuses writes.
UNAVAILABLE = (rx.ConnectionError, rx.TimeoutError, rx.BusyLoadingError, rx.ReadOnlyError,
               rx.ClusterDownError, rx.TryAgainError, rx.MasterDownError, rx.OutOfMemoryError)


def unavailable(exc: Exception) -> bool:
    """Redis is down, failing over or full; not a bug of ours. (A write refused inside a Lua script
    for lack of memory arrives as a plain ResponseError naming OOM.)"""
    return isinstance(exc, UNAVAILABLE) or (isinstance(exc, rx.ResponseError) and "OOM command not allowed" in str(exc))


def ticket_from_draft(ticket_id: str, openid: str, draft: dict[str, Any], created_at: float,
                      response_hours: float) -> Ticket:
    phone = str(draft.get("phone") or "")
    kind = str(draft.get("kind") or "other")
    contact = str(draft.get("contact_pref") or "none")
    description = str(draft.get("description") or draft.get("text") or "").strip()
    attachments = [a for a in (draft.get("attachments") or []) if isinstance(a, dict)]
    urgent_kind = str(draft.get("urgent_kind") or "")
    return Ticket(
        id=ticket_id, openid=openid, kind=kind if kind in ALL_KINDS else "other",
        village=str(draft.get("village") or ""), description=description[:MAX_DESCRIPTION],
        attachments=attachments[:MAX_ATTACHMENTS], phone=phone if PHONE.match(phone) else "",
        address=str(draft.get("address") or "")[:60],
        contact_pref=contact if contact in CONTACT_PREFS else "none", topic=str(draft.get("topic") or ""),
        created_at=created_at, updated_at=created_at, due_at=created_at + response_hours * 3600,
        source=str(draft.get("source") or "text"), urgent=bool(draft.get("urgent")),
        urgent_kind=urgent_kind if URGENT_KIND.match(urgent_kind) else "",
        language=str(draft.get("language") or "")[:MAX_LANGUAGE_CHARS],
    )


class Intake:
    def __init__(self, store: TicketStore, spool: Spool, response_hours: int, urgent_response_hours: int = 2):
        self.store = store
        self.spool = spool
        self.response_hours = response_hours
        self.urgent_response_hours = urgent_response_hours

    def hours_for(self, draft: dict[str, Any]) -> int:
        """The promised response time: an urgent item's is hours, an ordinary report's two days."""
        return self.urgent_response_hours if draft.get("urgent") else self.response_hours

    def submit(self, openid: str, draft: dict[str, Any], idem_key: str, now: float) -> Ticket:
        """The ticket for this draft (created once per ``idem_key``), or a spooled placeholder."""
        try:
            ticket, _ = self.store_ticket(openid, draft, idem_key, now)
            return ticket
        except rx.RedisError as exc:
            if not unavailable(exc):
                raise
            log.warning("redis unreachable at confirm; report spooled", extra={"openid": mask_openid(openid)})
            self.spool.append({"idem_key": idem_key, "openid": openid, "draft": draft, "created_at": now})
            placeholder = ticket_from_draft("", openid, draft, now, self.hours_for(draft))
            placeholder.spooled = True
            return placeholder

    def store_ticket(self, openid: str, draft: dict[str, Any], idem_key: str, now: float) -> tuple[Ticket, bool]:
        """Create the ticket in Redis (raises when Redis is down); (ticket, newly created)."""
        ticket_id, _ = self.store.reserve_id(idem_key, now)
        existing = self.store.get(ticket_id)
        if existing is not None:
            return existing, False
        ticket = ticket_from_draft(ticket_id, openid, draft, now, self.hours_for(draft))
        entry = history_entry(now, "villager", "submitted", source=ticket.source)
        created = self.store.create(ticket, entry)
        return self.store.get(ticket_id) or ticket, created

    def replay(self, on_created: Any = None) -> int:
        """Submit every spooled draft (see module doc); the number of records replayed."""

        def submit(record: dict[str, Any]) -> None:
            ticket, created = self.store_ticket(record["openid"], record.get("draft") or {}, record["idem_key"],
                                                float(record.get("created_at") or 0))
            if created and on_created is not None:
                on_created(ticket, record)

        return self.spool.replay(submit)
