"""A villager's own tickets (查询, 我的事项, a ticket id) and the satisfaction rating after closing.

A villager only ever sees their own tickets: an id that belongs to someone else answers exactly as
an id that does not exist ("没有找到"). The list is numbered, and the next message 「1」 (「第一个」)
shows the first ticket listed (flow ``tickets``), never a rating; a rating offer the list
interrupted stays open (``state["resume"]``).
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.disputes.flow import normalize
from bot.disputes.tickets import TZ, Ticket, TicketError
from bot.wechat.context import Context
from bot.wechat.message import Message, is_text
from bot.wechat.replies import HandlerResult

MAX_LISTED = 5
_TAIL_DIGITS = re.compile(r"(?<!\d)(\d{1,6})(?!\d)")


def same_number(ticket_id: str, digits: str) -> bool:
    """「0007」 or 「7」 is JF20261124-0007's number; 「11240007」 its tail."""
    number = ticket_id.rsplit("-", 1)[-1]
    return int(number) == int(digits) or (len(digits) >= 5 and ticket_id.replace("-", "").endswith(digits))


def said_text(message: Message) -> str:
    return (getattr(message, "content", None) or getattr(message, "recognition", None) or "") \
        .translate(str.maketrans("０１２３４５６７８９", "0123456789"))


def _date(ts: float, fmt: str = "%Y-%m-%d") -> str:
    return datetime.fromtimestamp(ts, TZ).strftime(fmt)


def promise_date(ts: float) -> str:
    """A promise as a day, 「12月4日」: a villager hears a date, not a minute-exact night hour."""
    day = datetime.fromtimestamp(ts, TZ)
    return f"{day.month}月{day.day}日"


def lookup(message: Message, ctx: Context, ticket_id: str | None = None) -> HandlerResult:
    """One ticket by id, or the villager's latest tickets."""
    disputes = ctx.services.disputes
    ctx.count("status", "id" if ticket_id else "list")
    if not ticket_id:
        typed = _TAIL_DIGITS.search(said_text(message))
        if typed:  # 「查询0007」, 「7号」: the number of one of the villager's own tickets
            own = [t for t in disputes.for_villager(ctx.openid) if same_number(t.id, typed.group(1))]
            if len(own) == 1:
                return describe(ctx, own[0])
    if ticket_id:
        ticket = disputes.get(ticket_id)
        if ticket is None or ticket.openid != ctx.openid:
            return ctx.texts.get("status_not_found", ticket=ticket_id)
        return describe(ctx, ticket)
    tickets = disputes.for_villager(ctx.openid)
    if not tickets:
        return ctx.texts.get("status_none")
    lines = [ctx.texts.get("status_header")]
    for n, ticket in enumerate(tickets[:MAX_LISTED], 1):
        lines.append(ctx.texts.get("status_line", n=n, ticket=ticket.id, date=_date(ticket.created_at, "%m-%d"),
                                   kind=disputes.kind_label(ticket.kind), state=disputes.state_label(ticket.state)))
    lines.append(ctx.texts.get("status_footer"))
    ctx.set_state(flow="tickets", ids=[t.id for t in tickets[:MAX_LISTED]])
    return "\n".join(lines)


def pick(message: Message, ctx: Context) -> HandlerResult:
    """The message after the numbered list: 「1」, 「第二个」 show that ticket; anything else is a new
    message (or goes to the rating offer the list interrupted)."""
    state = dict(ctx.state or {})
    ids = [str(i) for i in state.get("ids") or []]
    chosen = normalize(said_text(message))
    resume = state.get("resume")
    if chosen.isdigit() and 1 <= int(chosen) <= len(ids):
        ticket = ctx.services.disputes.get(ids[int(chosen) - 1])
        ctx.clear_state()
        if isinstance(resume, dict):
            ctx.set_state(**resume)
        if ticket is not None and ticket.openid == ctx.openid:
            ctx.count("status", "picked")
            return describe(ctx, ticket)
        return ctx.texts.get("status_not_found", ticket=ids[int(chosen) - 1])
    return ctx.resume_or_new(message, resume)


def describe(ctx: Context, ticket: Ticket) -> str:
    disputes = ctx.services.disputes
    text = ctx.texts.get("status_detail", ticket=ticket.id, date=_date(ticket.created_at, "%Y-%m-%d %H:%M"),
                         kind=disputes.kind_label(ticket.kind), village=ticket.village or "-",
                         state=disputes.state_label(ticket.state))
    if ticket.outcome:
        text += "\n" + ctx.texts.get("status_outcome", outcome=ticket.outcome)
    elif ticket.is_open and ticket.first_response_at is None:
        text += "\n" + ctx.texts.get("status_due", due=promise_date(ticket.due_at))
    return text


def my_tickets(message: Message, ctx: Context) -> HandlerResult:
    return lookup(message, ctx)


def rate(message: Message, ctx: Context) -> HandlerResult:
    """The answer to "请打个分（1-5）": "5", "5分", "五星", "满意", "很满意", "还行", "太差了", "👍"...
    map to a score; anything else is handled as a new message and the offer stays open (until the
    conversation state expires) unless that message starts a conversation of its own."""
    pending = dict(ctx.state or {})
    ticket_id = pending.get("ticket", "")
    said = message.content if is_text(message) else getattr(message, "recognition", "") or ""
    score = ctx.services.matcher.rating(said or "")
    ctx.clear_state()
    if score is not None and ticket_id:
        try:
            comment = ctx.services.matcher.rating_comment(said or "")
            ctx.services.disputes.record_rating(ticket_id, ctx.openid, score, comment)
            ctx.count("rating", str(score))
        except TicketError:
            pass  # not their ticket or not closed: nothing to store, the thanks is harmless
        return ctx.texts.get("dispute_rating_thanks")
    result = ctx.handle_as_new(message)
    if ctx.new_state is None and ticket_id:  # the new message opened nothing: keep the offer
        ctx.set_state(**pending)
    elif ticket_id and (ctx.new_state or {}).get("flow") in ("answered", "tickets"):  # an answer's 「详细」
        ctx.set_state(**ctx.new_state, resume=pending)  # offer, a numbered list: the rating comes back after
    return result
