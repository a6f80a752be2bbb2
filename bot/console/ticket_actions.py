"""What staff do to a ticket: claim, release, mediate, reply, visit, outcome, close, note.

Every action is a POST from a plain form (CSRF-checked by the gate), is written to the audit log,
and answers with a redirect back to the ticket (303) and a message, except a lost claim race,
which answers 409 with the ticket page saying who won. Actions other than claim and note belong to
the ticket's claimer or an admin. A refused change (e.g. closing a closed ticket) is shown as a
message, never a 500.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from flask import flash, g, redirect, request, url_for
from werkzeug.wrappers import Response

from bot.console import display
from bot.console.auth import bp, console, record, services, text
from bot.console.views import load_ticket, may_act, ticket_page

if TYPE_CHECKING:
    from bot.disputes.tickets import Ticket


def _back(ticket_id: str) -> Response:
    return redirect(url_for("staff.ticket", ticket_id=ticket_id), code=303)


def _attempt(ticket: Ticket, change: Callable[[], Any]) -> tuple[bool, Any]:
    """Run a facade call; a refused change becomes a staff-facing message instead of an error."""
    try:
        return True, change()
    except (ValueError, LookupError) as exc:
        reason = f"事项当前为“{display.state_name(ticket.state)}”，不能这样操作"
        record("refused", ticket.id, f"{type(exc).__name__}: {exc}"[:200])
        flash(text("console_action_refused", reason=reason))
        return False, None


def _owned(ticket_id: str) -> Any:
    """The ticket, or None after telling staff that it is someone else's."""
    ticket = load_ticket(ticket_id)
    if not may_act(ticket):
        flash(text("console_not_yours", id=ticket.id, who=ticket.claimed_by or "无人"))
        return None
    return ticket


@bp.post("/tickets/<ticket_id>/claim")
def claim(ticket_id: str) -> Response:
    ticket = load_ticket(ticket_id)
    won = services().disputes.claim(ticket.id, g.staff.name)
    if won:
        record("claim", ticket.id)
        flash(text("console_claimed", id=ticket.id))
        return _back(ticket.id)
    ticket = load_ticket(ticket_id)
    if ticket.claimed_by and ticket.claimed_by != g.staff.name:
        record("claim_lost", ticket.id, ticket.claimed_by)
        flash(text("console_claim_lost", id=ticket.id, who=ticket.claimed_by))
    else:
        flash(text("console_claim_not_new", id=ticket.id))
    return ticket_page(ticket, status=409)


@bp.post("/tickets/<ticket_id>/release")
def release(ticket_id: str) -> Response:
    ticket = _owned(ticket_id)
    if ticket is not None:
        ok, _ = _attempt(ticket, lambda: services().disputes.release(ticket.id, g.staff.name))
        if ok:
            record("release", ticket.id, ticket.claimed_by)
            flash(text("console_released", id=ticket.id))
    return _back(ticket_id)


def _reply_text() -> str:
    typed = request.form.get("text", "").strip()
    if typed:
        return typed[:600]
    choice = request.form.get("canned", "")
    replies = console().canned.all()
    if choice.isdigit() and int(choice) < len(replies):
        return str(replies[int(choice)])
    return ""


@bp.post("/tickets/<ticket_id>/reply")
def reply(ticket_id: str) -> Response:
    ticket = _owned(ticket_id)
    if ticket is None:
        return _back(ticket_id)
    body = _reply_text()
    if not body:
        flash(text("console_reply_empty"))
        return _back(ticket.id)
    ok, result = _attempt(ticket, lambda: services().disputes.reply(ticket.id, g.staff.name, body))
    if not ok:
        return _back(ticket.id)
    if result.delivered:
        record("reply", ticket.id, f"{len(body)} 字")
        flash(text("console_reply_sent"))
    else:
        record("reply_failed", ticket.id, f"errcode {result.errcode}: {result.errmsg}")
        flash(text("console_reply_failed", errcode=result.errcode, errmsg=result.errmsg))
        if getattr(result, "template_sent", False):
            flash(text("console_reply_template_sent"))
    return _back(ticket.id)


def _visit_time(raw: str) -> str:
    """"2026-11-25T10:00" (the browser's datetime-local) → "2026-11-25 10:00"; "" if unreadable."""
    try:
        return datetime.strptime(raw.strip(), "%Y-%m-%dT%H:%M").strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return ""


@bp.post("/tickets/<ticket_id>/visit")
def visit(ticket_id: str) -> Response:
    ticket = _owned(ticket_id)
    if ticket is None:
        return _back(ticket_id)
    when = _visit_time(request.form.get("when", ""))
    if not when:
        flash(text("console_visit_bad_time"))
        return _back(ticket.id)
    note = request.form.get("note", "").strip()[:200]
    ok, _ = _attempt(ticket, lambda: services().disputes.schedule_visit(ticket.id, g.staff.name, when, note))
    if ok:
        record("visit", ticket.id, when)
        flash(text("console_visit_saved", when=when))
    return _back(ticket.id)


@bp.post("/tickets/<ticket_id>/outcome")
def outcome(ticket_id: str) -> Response:
    ticket = _owned(ticket_id)
    if ticket is None:
        return _back(ticket_id)
    chosen = request.form.get("outcome", "")
    if chosen not in display.OUTCOMES:
        flash(text("console_outcome_bad"))
        return _back(ticket.id)
    note = request.form.get("note", "").strip()[:300]
    referred_to = display.REFERRAL_TARGETS.get(chosen)
    to_state = "referred" if referred_to else "resolved"
    ok, _ = _attempt(ticket, lambda: services().disputes.transition(
        ticket.id, to_state, g.staff.name, note=note, outcome=chosen, referred_to=referred_to))
    if ok:
        record("outcome", ticket.id, chosen)
        flash(text("console_outcome_saved", outcome=chosen))
    return _back(ticket.id)


@bp.post("/tickets/<ticket_id>/mediate")
def mediate(ticket_id: str) -> Response:
    ticket = _owned(ticket_id)
    if ticket is None:
        return _back(ticket_id)
    note = request.form.get("note", "").strip()[:300]
    ok, _ = _attempt(ticket, lambda: services().disputes.transition(ticket.id, "mediating", g.staff.name,
                                                                     note=note))
    if ok:
        record("mediate", ticket.id)
        flash(text("console_mediating", id=ticket.id))
    return _back(ticket.id)


@bp.post("/tickets/<ticket_id>/close")
def close(ticket_id: str) -> Response:
    ticket = _owned(ticket_id)
    if ticket is None:
        return _back(ticket_id)
    note = request.form.get("note", "").strip()[:300]
    if not ticket.outcome and not note:
        flash(text("console_close_needs_outcome"))
        return _back(ticket.id)
    ok, _ = _attempt(ticket, lambda: services().disputes.close(ticket.id, g.staff.name, note))
    if ok:
        record("close", ticket.id, ticket.outcome or note[:60])
        sent = services().disputes.invitation(ticket.id)
        if sent.delivered:
            flash(text("console_closed", id=ticket.id))
        else:
            flash(text("console_closed_not_delivered", id=ticket.id, errcode=sent.errcode or "—"))
    return _back(ticket.id)


@bp.post("/tickets/<ticket_id>/assign")
def assign(ticket_id: str) -> Response:
    ticket = _owned(ticket_id)
    if ticket is None:
        return _back(ticket_id)
    to = request.form.get("to", "").strip()
    colleague = console().accounts.get(to) if to else None
    if colleague is None or colleague.disabled:
        flash(text("console_assign_bad"))
        return _back(ticket.id)
    ok, _ = _attempt(ticket, lambda: services().disputes.assign(ticket.id, g.staff.name, to))
    if ok:
        record("assign", ticket.id, to)
        flash(text("console_assigned", id=ticket.id, who=to))
    return _back(ticket.id)


@bp.post("/tickets/<ticket_id>/note")
def note(ticket_id: str) -> Response:
    ticket = load_ticket(ticket_id)
    body = request.form.get("note", "").strip()[:1000]
    if not body:
        flash(text("console_note_empty"))
        return _back(ticket.id)
    ok, _ = _attempt(ticket, lambda: services().disputes.add_note(ticket.id, g.staff.name, body))
    if ok:
        record("note", ticket.id, f"{len(body)} 字")
        flash(text("console_note_saved"))
    return _back(ticket.id)
