"""What staff do to a ticket after claiming it: move it on, note, reply, schedule a visit, close.

Every action appends one history entry (who, what, when, note) in the same Lua script that changes
the ticket. State changes are compare-and-set (``TicketStore.update``), so two staff acting at once
never both move a ticket from the same state; notes and replies are appended whatever the state.
An action on a claimed ticket also resets its abandonment clock (see ``bot.disputes.queue``).

The first reply that reaches the villager, a scheduled visit, or moving the ticket into mediation
or to an outcome counts as the first response (``first_response_at``: the report's 响应率).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.disputes.queue import MAX_RACES
from bot.disputes.store import TicketStore
from bot.disputes.tickets import (REFERRAL_OUTCOMES, RESOLVED_OUTCOMES, TRANSITIONS, Outcome, Ticket, TicketError,
                                  TicketState, history_entry)

RESPONDING_STATES = (TicketState.MEDIATING, TicketState.RESOLVED, TicketState.REFERRED)


@dataclass(frozen=True)
class ReplyResult:
    delivered: bool
    errcode: int | None = None
    errmsg: str = ""
    template_sent: bool = False  # the 48-hour window was closed and a template message went instead


def touch(ticket: Ticket, now: float) -> tuple[dict[str, Any], str, str]:
    """(changes, stream op, consumer) that mark staff activity on the ticket."""
    changes: dict[str, Any] = {"updated_at": now}
    if ticket.state == TicketState.CLAIMED.value and ticket.claimed_by:
        changes["touched_at"] = now
        return changes, "claim", ticket.claimed_by
    return changes, "", ""


def _outcome_changes(to: TicketState, outcome: str | None, referred_to: str | None) -> dict[str, Any]:
    if to == TicketState.RESOLVED:
        if outcome not in {o.value for o in RESOLVED_OUTCOMES}:
            raise TicketError(f"a resolved ticket needs the outcome 调解成功, 调解不成, 部分化解 or "
                              f"当事人撤回, not {outcome!r}")
        return {"outcome": outcome, "referred_to": ""}
    if to == TicketState.REFERRED:
        if outcome not in {o.value for o in REFERRAL_OUTCOMES}:
            raise TicketError(f"a referred ticket needs a referral outcome (转12345...), not {outcome!r}")
        return {"outcome": outcome, "referred_to": referred_to or Outcome(outcome).value.removeprefix("转")}
    return {}


def transition_changes(ticket: Ticket, to: TicketState, staff: str, now: float, outcome: str | None,
                       referred_to: str | None) -> dict[str, Any]:
    """The field changes of moving ``ticket`` to ``to`` (raises TicketError when not allowed)."""
    if to not in TRANSITIONS[ticket.ticket_state]:
        raise TicketError(f"ticket {ticket.id} cannot go from {ticket.state} to {to.value}")
    changes: dict[str, Any] = {"state": to.value, "updated_at": now, **_outcome_changes(to, outcome, referred_to)}
    if not ticket.claimed_by:
        changes.update(claimed_by=staff, claimed_at=now)
    if to in RESPONDING_STATES and ticket.first_response_at is None:
        changes["first_response_at"] = now
    if to in (TicketState.RESOLVED, TicketState.REFERRED):
        changes["resolved_at"] = now
    if to == TicketState.MEDIATING and ticket.state in (TicketState.RESOLVED.value, TicketState.REFERRED.value):
        changes.update(outcome="", referred_to="", resolved_at=None)  # reopened; the history keeps the old outcome
    if to == TicketState.CLOSED:
        changes["closed_at"] = now
    return changes


class StaffActions:
    def __init__(self, store: TicketStore):
        self.store = store

    def load(self, ticket_id: str) -> Ticket:
        ticket = self.store.get(ticket_id)
        if ticket is None:
            raise TicketError(f"no ticket {ticket_id}")
        return ticket

    def transition(self, ticket_id: str, to_state: str, staff: str, now: float, note: str = "",
                   outcome: str | None = None, referred_to: str | None = None) -> Ticket:
        """Move the ticket on (not claim/release: see ``Queue``); the ticket as it is now."""
        to = TicketState(to_state)
        for _ in range(MAX_RACES):
            ticket = self.load(ticket_id)
            changes = transition_changes(ticket, to, staff, now, outcome, referred_to)
            entry = history_entry(now, staff, "state", note, **{"from": ticket.state, "to": to.value,
                                                                  "outcome": changes.get("outcome") or None,
                                                                  "referred_to": changes.get("referred_to") or None})
            if self.store.update(ticket, changes, entry, stream_op="ack") > 0:
                return self.load(ticket_id)
        raise TicketError(f"ticket {ticket_id} kept changing; try again")

    def append(self, ticket_id: str, who: str, what: str, now: float, note: str = "",
               extra_changes: dict[str, Any] | None = None, **details: Any) -> Ticket:
        """Append a history entry (and a few field changes) without a state change."""
        ticket = self.load(ticket_id)
        changes, op, consumer = touch(ticket, now)
        changes.update(extra_changes or {})
        if changes.get("first_response_at") and ticket.first_response_at is not None:
            changes.pop("first_response_at")
        self.store.update(ticket, changes, history_entry(now, who, what, note, **details), check_rev=False,
                          stream_op=op, consumer=consumer)
        return ticket

    def assign(self, ticket_id: str, by: str, to: str, now: float) -> Ticket:
        """Hand an open ticket to a colleague: ``to`` becomes its claimer (a new ticket is claimed for
        them; the stream entry moves to their consumer while the ticket is claimed)."""
        for _ in range(MAX_RACES):
            ticket = self.load(ticket_id)
            if not ticket.is_open:
                raise TicketError(f"ticket {ticket_id} is {ticket.state}; only open tickets are assigned")
            changes: dict[str, Any] = {"claimed_by": to, "claimed_at": now, "updated_at": now}
            op = consumer = ""
            if ticket.state in (TicketState.NEW.value, TicketState.CLAIMED.value):
                changes.update(state=TicketState.CLAIMED.value, touched_at=now)
                op, consumer = "claim", to
            entry = history_entry(now, by, "assigned", to=to, was_claimed_by=ticket.claimed_by or None)
            if self.store.update(ticket, changes, entry, stream_op=op, consumer=consumer) > 0:
                return self.load(ticket_id)
        raise TicketError(f"ticket {ticket_id} kept changing; try again")

    def record_rating(self, ticket_id: str, openid: str, score: int, now: float, comment: str = "") -> bool:
        """Store the villager's 1-5 rating of a closed ticket and their words with it, once; False when
        already rated."""
        if not 1 <= int(score) <= 5:
            raise TicketError(f"a rating is 1 to 5, not {score!r}")
        for _ in range(MAX_RACES):
            ticket = self.store.get(ticket_id)
            if ticket is None or ticket.openid != openid:
                raise TicketError(f"no ticket {ticket_id} of this villager")
            if ticket.rating is not None:
                return False
            if ticket.state != TicketState.CLOSED.value:
                raise TicketError(f"ticket {ticket_id} is not closed yet")
            entry = history_entry(now, "villager", "rated", score=int(score))
            changes = {"rating": int(score), "rating_comment": comment, "updated_at": now}
            if self.store.update(ticket, changes, entry) > 0:
                return True
        return False
