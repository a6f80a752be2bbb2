"""The dispute queue of the 村民说事室: one facade (``Disputes``) over tickets, queue and spool.

``build(services)`` makes the facade the webhook's handlers, the staff console, the worker and the
CLI use. Guarantees, detailed in the modules:
- ``submit`` is idempotent on its key and never loses a report (spooled when Redis is down,
  ``replay_spool`` brings it in later): ``bot.disputes.intake``, ``bot.disputes.spool``;
- ``claim`` is atomic: of two simultaneous claims exactly one wins; abandoned claims return to the
  queue (``reclaim_abandoned``): ``bot.disputes.queue``;
- every change is recorded in the ticket's append-only history: ``bot.disputes.actions``;
- listings use sorted-set indexes, never SCAN: ``bot.disputes.store``.
Times are epoch seconds from ``self.clock`` (tests may replace it).
"""

from __future__ import annotations

import builtins
import logging
import time
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from bot.config import runtime_dir
from bot.disputes.actions import ReplyResult, StaffActions
from bot.disputes.intake import Intake
from bot.disputes.media import MediaArchive
from bot.disputes.queue import Queue
from bot.disputes.spool import Spool
from bot.disputes.store import TicketStore
from bot.disputes.thread import Thread, entry as thread_entry
from bot.disputes.tickets import KINDS, Outcome, Ticket, TicketError, TicketState
from bot.logs import mask, mask_openid
from bot.store.client import text as decoded
from bot.wechat.api import WeChatError

if TYPE_CHECKING:
    from bot.services import Services

__all__ = ["Disputes", "ReplyResult", "Ticket", "TicketError", "TicketState", "Outcome", "KINDS", "build"]
log = logging.getLogger(__name__)
WINDOW_CLOSED = 45015
URGENT_RECENT = 2 * 24 * 3600  # seconds an urgent item stays in the list open console pages ring for
URGENT_MEMORY = 24 * 3600  # seconds after an emergency message during which a report is urgent too
SEARCH_SCAN = 2000  # tickets read per state by a search (a township files a few hundred a year)
OPEN_LISTED = ("new", "claimed", "mediating")  # listed oldest first (longest waiting on top)


def _spoken_time(when: str) -> str:
    """「2026-11-25 10:00」 (as staff picked it, Beijing time) → 「11月25日 10:00」."""
    from datetime import datetime

    try:
        at = datetime.strptime(when, "%Y-%m-%d %H:%M")
    except ValueError:
        return when
    return f"{at.month}月{at.day}日 {at:%H:%M}"


def matches(ticket: Ticket, query: str) -> bool:
    """Whether a search query finds this ticket (see ``Disputes.search``). Only the masked text is
    searched, as the queue shows it: a search never tells masked digits apart (N5)."""
    words = mask(query).strip().upper().split()
    if not words:
        return True
    if len(words) == 1:
        word = words[0]
        if word == ticket.id or (word.isdigit() and len(word) >= 3 and ticket.id.endswith(word)):
            return True
        if word == ticket.village.upper() or (len(word) == 4 and word.isdigit() and ticket.phone.endswith(word)):
            return True
    text = mask(f"{ticket.description} {ticket.village}").upper()
    return all(w in text for w in words)


class Disputes:
    def __init__(self, services: Services):
        config = services.config
        self.config = config
        self.texts = services.texts
        self.wechat = services.wechat
        self.conversations = services.conversations
        self.clock = time.time
        self.store = TicketStore(services.redis, services.keys, config.queue.stream_maxlen)
        self.queue = Queue(self.store, services.redis, services.keys, config.queue.claim_timeout)
        self.spool = Spool(runtime_dir(config.bot.spool_dir))
        self.intake = Intake(self.store, self.spool, config.bot.response_hours, config.disputes.urgent_response_hours)
        self.media = MediaArchive(runtime_dir(config.bot.media_dir), services.wechat)
        self.actions = StaffActions(self.store)
        self.thread = Thread(services.redis, services.keys)
        self.redis = services.redis
        self.keys = services.keys
        self.notifier = services.notifier

    # -- villagers --------------------------------------------------------------------------------
    def submit(self, openid: str, draft: dict[str, Any], idem_key: str) -> Ticket:
        """The ticket of this draft, once per ``idem_key``; ``spooled`` (no id yet) when Redis is down.

        A report filed within ``URGENT_MEMORY`` seconds of an emergency message is flagged urgent."""
        if not draft.get("urgent") and self._recently_urgent(openid):
            draft = {**draft, "urgent": True}
        ticket = self.intake.submit(openid, draft, idem_key, self.clock())
        self._announce(ticket, draft)
        return ticket

    def _announce(self, ticket: Ticket, draft: dict[str, Any]) -> None:
        """Staff hear of a new ticket in their work group (``bot.notify``; idempotent, never raises)."""
        if not ticket.spooled:
            self.notifier.ticket_created(ticket, str(draft.get("urgent_kind") or ""))

    def alert_urgent(self, openid: str, draft: dict[str, Any], idem_key: str, told: str) -> tuple[Ticket, bool]:
        """The urgent item for a danger message, and whether the message joined an open one.

        Danger messages of one villager within ``[disputes] urgent_episode_hours`` of the last are
        one episode: the first makes the urgent item (with the villager's phone from an earlier
        ticket when this one has none), the later ones join its thread. Every message is followed in
        the thread by what the bot told the villager (``told``: the emergency number), so staff see
        both. Redis down: the item is spooled as any report is."""
        now = self.clock()
        window = self.config.disputes.urgent_episode_hours * 3600
        ongoing = self._urgent_episode(openid, now, window)
        if ongoing is not None:
            self.villager_wrote(ongoing.id, str(draft.get("description") or ""))
            self.bot_wrote(ongoing.id, told)
            self.redis.set(self.keys.urgent_episode(openid), f"{ongoing.id} {now}", ex=window)
            return ongoing, True
        if not draft.get("phone"):
            draft = {**draft, "phone": self._known_phone(openid)}
        ticket = self.submit(openid, draft, idem_key)
        if ticket.spooled:
            return ticket, False
        self.bot_wrote(ticket.id, told)
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(self.keys.urgent_recent(), {ticket.id: now})
        pipe.zremrangebyscore(self.keys.urgent_recent(), "-inf", now - URGENT_RECENT)
        pipe.set(self.keys.urgent_episode(openid), f"{ticket.id} {now}", ex=window)
        pipe.set(self.keys.recent_emergency(openid), "1", ex=URGENT_MEMORY)  # a report filed next is urgent too
        pipe.execute()
        return ticket, False

    def latest_urgent(self) -> Ticket | None:
        """The newest urgent item the bot opened in the last two days, if it is still open."""
        newest = self.redis.zrange(self.keys.urgent_recent(), -1, -1)
        ticket = self.store.get(decoded(newest[0])) if newest else None
        return ticket if ticket is not None and ticket.is_open else None

    def _urgent_episode(self, openid: str, now: float, window: float) -> Ticket | None:
        """The villager's open urgent item whose last danger message is less than ``window`` seconds
        old, if any (None when Redis is down). The key holds "<ticket id> <last message time>"."""
        try:
            ticket_id, _, last = decoded(self.redis.get(self.keys.urgent_episode(openid)) or "").partition(" ")
            ticket = self.store.get(ticket_id) if ticket_id else None
        except RedisError:
            return None
        try:
            recent = now - float(last) <= window
        except ValueError:
            recent = False
        return ticket if ticket is not None and recent and ticket.is_open and ticket.openid == openid else None

    def _known_phone(self, openid: str) -> str:
        """The phone the villager gave on their latest ticket that has one ("" if none)."""
        try:
            return next((t.phone for t in self.for_villager(openid) if t.phone), "")
        except RedisError:
            return ""

    def _recently_urgent(self, openid: str) -> bool:
        try:
            return bool(self.redis.exists(self.keys.recent_emergency(openid)))
        except RedisError:
            return False  # Redis is down: the report is spooled as it is

    def get(self, ticket_id: str) -> Ticket | None:
        return self.store.get(ticket_id)

    def for_villager(self, openid: str) -> list[Ticket]:
        """The villager's own tickets, newest first."""
        return self.store.for_villager(openid)

    @property
    def thread_window(self) -> float:
        """Seconds after the last staff message during which the villager's messages join the thread."""
        return self.config.disputes.thread_window_hours * 3600.0

    def open_thread_for(self, ticket: Ticket, now: float) -> bool:
        """Whether the villager's messages now belong to this ticket's thread: the ticket is open and
        staff wrote to them within the thread window."""
        last_staff = self.thread.meta(ticket.id).get("last_staff_at")
        return ticket.is_open and last_staff is not None and now - last_staff <= self.thread_window

    def villager_wrote(self, ticket_id: str, text: str, media: dict[str, Any] | None = None) -> None:
        """A villager's message joins the ticket's thread (unread for staff until they look)."""
        self.thread.append(ticket_id, thread_entry("villager", self.clock(), text, media))

    def bot_wrote(self, ticket_id: str, text: str) -> None:
        self.thread.append(ticket_id, thread_entry("bot", self.clock(), text))

    def record_rating(self, ticket_id: str, openid: str, score: int, comment: str = "") -> None:
        """The villager's 1-5 rating of their closed ticket, with their words if they said more;
        stored once (later answers are ignored)."""
        self.actions.record_rating(ticket_id, openid, score, self.clock(), comment)

    # -- staff: reading ---------------------------------------------------------------------------
    def list(self, state: str | None = None, village: str | None = None, kind: str | None = None,
             since: float | None = None, until: float | None = None, overdue: bool | None = None,
             offset: int = 0, limit: int = 50, oldest_first: bool = False) -> tuple[list[Ticket], int]:
        """A page of tickets matching every given filter (created in [since, until]) and the total.

        Newest first unless ``oldest_first``; ``overdue`` True/False keeps only tickets past / within
        their promised response time without a response yet.
        """
        filters = {"state": state or "", "village": village or "", "kind": kind or ""}
        ids, total = self.store.list_ids(filters, since, until, overdue, self.clock(), max(0, offset),
                                         max(0, limit), oldest_first)
        return self.store.get_many(ids), total

    def counts_by_state(self) -> dict[str, int]:
        return self.store.counts_by_state()

    def history(self, ticket_id: str) -> builtins.list[dict[str, Any]]:
        """Who did what when (and a note), oldest first."""
        return self.store.history(ticket_id)

    def kind_label(self, kind: str) -> str:
        return self.texts.get(f"dispute_kind_{kind}") if f"dispute_kind_{kind}" in self.texts else kind

    def state_label(self, state: str) -> str:
        return self.texts.get(f"dispute_state_{state}") if f"dispute_state_{state}" in self.texts else state

    # -- staff: acting ----------------------------------------------------------------------------
    def claim(self, ticket_id: str, staff: str) -> bool:
        """Atomic: exactly one of two simultaneous claims wins; True also if ``staff`` holds it already."""
        return self.queue.claim(ticket_id, staff, self.clock())

    def release(self, ticket_id: str, staff: str) -> None:
        self.queue.release(ticket_id, staff, self.clock())

    def transition(self, ticket_id: str, to_state: str, staff: str, note: str = "", outcome: str | None = None,
                   referred_to: str | None = None) -> Ticket:
        """Move a ticket on; claim/release go through the queue. Raises TicketError when not allowed."""
        to = TicketState(to_state)
        if to == TicketState.CLAIMED:
            if not self.claim(ticket_id, staff):
                raise TicketError(f"ticket {ticket_id} is taken by someone else")
            return self.actions.load(ticket_id)
        if to == TicketState.NEW:
            self.queue.release(ticket_id, staff, self.clock(), note)
            return self.actions.load(ticket_id)
        return self.actions.transition(ticket_id, to_state, staff, self.clock(), note, outcome, referred_to)

    def assign(self, ticket_id: str, staff: str, to: str) -> Ticket:
        """``staff`` hands the open ticket to colleague ``to`` (who becomes its claimer)."""
        ticket = self.actions.assign(ticket_id, staff, to, self.clock())
        self.thread.touch_live()
        return ticket

    def mark_urgent(self, ticket_id: str, why: str = "", who: str = "system") -> Ticket:
        """Flag the ticket urgent (the intent layer calls this on fraud, violence, danger...): marked
        and listed first in the console; the live pages notice."""
        ticket = self.actions.append(ticket_id, who, "urgent", self.clock(), why, {"urgent": "1"})
        self.thread.touch_live()
        return ticket

    def search(self, query: str = "", assignee: str = "", states: tuple[str | None, ...] = (None,),
               village: str | None = None, kind: str | None = None) -> builtins.list[Ticket]:
        """Tickets matching every given filter and the query, in the listing order of ``states``.

        The query matches a ticket id (also its last digits, e.g. ``0007``), a village, the last four
        digits of the phone, or all its words in the masked description (``139****5678``). Reads at most ``SEARCH_SCAN``
        tickets per state (newest first for finished work): the index sets narrow first.
        """
        out: list[Ticket] = []
        for state in states:
            rows, _ = self.list(state=state, village=village, kind=kind, limit=SEARCH_SCAN,
                                oldest_first=state in OPEN_LISTED)
            out += [t for t in rows if (not assignee or t.claimed_by == assignee) and matches(t, query)]
        return out

    def add_note(self, ticket_id: str, staff: str, note: str) -> None:
        """An internal note (villagers never see it), in the history."""
        self.actions.append(ticket_id, staff, "note", self.clock(), note)

    def schedule_visit(self, ticket_id: str, staff: str, when: str, note: str = "") -> ReplyResult:
        """Record the visit and tell the villager when staff will come (also in the thread)."""
        now = self.clock()
        ticket = self.actions.append(ticket_id, staff, "visit", now, note,
                                     {"visit_at": when, "first_response_at": now}, when=when)
        told = self.texts.get("dispute_visit_scheduled", ticket=ticket.id, when=_spoken_time(when))
        result = self._send(ticket, told)
        self.thread.append(ticket_id, thread_entry("staff", now, told, staff=staff, delivered=result.delivered))
        self._enter_thread(ticket)
        return result

    def reply(self, ticket_id: str, staff: str, text: str) -> ReplyResult:
        """Send staff's words to the villager (customer-service message), recorded before they are sent.

        The thread entry and the villager's thread window are written first: if Redis is unreachable
        nothing is sent and staff may simply try again. Once sent, the words are never sent twice
        for one request: WeChat's outcome goes into the history, and if Redis fails just then the
        outcome is logged and staff still hear that the message went (a retry would repeat it to the
        villager). When the 48-hour window is closed (45015) on a service account with
        ``wechat.template_ticket_reply`` set, a template message asks the villager to open the account.
        """
        ticket = self.actions.load(ticket_id)
        now = self.clock()
        self.thread.append(ticket_id, thread_entry("staff", now, text, staff=staff))
        self._enter_thread(ticket)
        result = self._send(ticket, self.texts.get("dispute_staff_reply", ticket=ticket.id, text=text))
        extra = {"first_response_at": now} if result.delivered or result.template_sent else {}
        try:
            self.actions.append(ticket_id, staff, "reply", now, text, extra, delivered=result.delivered,
                                errcode=result.errcode, errmsg=result.errmsg or None,
                                template_sent=result.template_sent or None)
        except RedisError:
            log.error("staff reply sent, but its outcome could not be recorded: redis unreachable",
                      extra={"openid": mask_openid(ticket.openid), "ticket": ticket.id,
                             "delivered": result.delivered, "errcode": result.errcode})
        return result

    def _enter_thread(self, ticket: Ticket) -> None:
        """The villager's next messages go to this ticket's thread; never cuts into a report being filed."""
        if not ticket.is_open:
            return
        state = self.conversations.get(ticket.openid) or {}
        if state.get("flow") == "report":
            return
        self.conversations.set(ticket.openid, {"flow": "thread", "ticket": ticket.id, "by": "staff"},
                               ttl=int(self.thread_window))

    def _send(self, ticket: Ticket, content: str) -> ReplyResult:
        try:
            self.wechat.send_text(ticket.openid, content)
            return ReplyResult(True)
        except WeChatError as exc:
            log.warning("customer-service message refused",
                        extra={"openid": mask_openid(ticket.openid), "errcode": exc.errcode})
            template_sent = exc.errcode == WINDOW_CLOSED and self._send_template(ticket)
            return ReplyResult(False, exc.errcode, exc.errmsg, template_sent)

    def _send_template(self, ticket: Ticket) -> bool:
        w = self.config.wechat
        if w.account_type != "service" or not w.template_ticket_reply:
            return False
        data = {"first": {"value": self.texts.get("dispute_template_first")},
                "keyword1": {"value": ticket.id}, "keyword2": {"value": self.state_label(ticket.state)},
                "remark": {"value": self.texts.get("dispute_template_remark")}}
        try:
            self.wechat.send_template(ticket.openid, w.template_ticket_reply, data,
                                      client_msg_id=f"{ticket.id}-{ticket.rev}")
            return True
        except WeChatError as exc:
            log.warning("template message refused", extra={"openid": mask_openid(ticket.openid),
                                                           "errcode": exc.errcode})
            return False

    def invitation(self, ticket_id: str) -> ReplyResult:
        """Whether the closing message with the rating invitation reached the villager, as its
        ``rating_asked`` history entry recorded (not delivered when there is none)."""
        asked = [h for h in self.history(ticket_id) if h.get("what") == "rating_asked"]
        if not asked:
            return ReplyResult(False)
        return ReplyResult(bool(asked[-1].get("delivered")), asked[-1].get("errcode"))

    def outcome_words(self, outcome: str) -> str:
        """The outcome as the villager hears it at closing (「调解成功，双方已经达成一致」)."""
        known = next((o for o in Outcome if o.value == outcome), None)
        return self.texts.get(f"dispute_outcome_{known.name.lower() if known else 'none'}")

    def close(self, ticket_id: str, staff: str, note: str = "") -> Ticket:
        """Close the ticket, then ask the villager to rate the handling 1-5 (a rating conversation)."""
        ticket = self.actions.transition(ticket_id, TicketState.CLOSED.value, staff, self.clock(), note)
        asked = self.texts.get("dispute_rating_ask", ticket=ticket.id, outcome=self.outcome_words(ticket.outcome))
        result = self._send(ticket, asked)
        self.actions.append(ticket_id, "system", "rating_asked", self.clock(), delivered=result.delivered,
                            errcode=result.errcode)
        self.bot_wrote(ticket_id, asked)
        state = self.conversations.get(ticket.openid)
        if state is None or state.get("flow") == "thread":  # never interrupt another conversation
            ttl = max(self.config.bot.state_ttl, self.config.bot.draft_ttl)
            self.conversations.set(ticket.openid, {"flow": "rating", "ticket": ticket.id}, ttl=ttl)
        return ticket

    # -- housekeeping -----------------------------------------------------------------------------
    def reclaim_abandoned(self) -> int:
        """Claims untouched for ``[queue] claim_timeout`` seconds go back to ``new``; how many."""
        return self.queue.reclaim_abandoned(self.clock())

    def replay_spool(self) -> int:
        """Bring spooled reports into Redis (idempotent); the number of records replayed."""
        return self.intake.replay(on_created=self._tell_saved)

    def _tell_saved(self, ticket: Ticket, record: dict[str, Any]) -> None:
        """A spooled report got its id: tell the villager (best effort, the window may be closed) and
        drop the conversation and draft that still wait for this report's confirmation."""
        self._announce(ticket, record.get("draft") or {})
        self._send(ticket, self.texts.get("dispute_spool_registered", ticket=ticket.id,
                                          hours=self.config.bot.response_hours))
        draft_id = (record.get("draft") or {}).get("id")
        if not draft_id:
            return
        state = self.conversations.get(ticket.openid) or {}
        if (state.get("draft") or {}).get("id") == draft_id:
            self.conversations.clear(ticket.openid)
        saved = self.conversations.get_draft(ticket.openid) or {}
        if (saved.get("draft") or {}).get("id") == draft_id:
            self.conversations.clear_draft(ticket.openid)


def build(services: Services) -> Disputes:
    return Disputes(services)
