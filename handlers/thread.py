"""The two-way thread: a villager's messages go to the staff handling their ticket.

A villager enters the thread of a ticket in two ways:
- staff wrote to them about it (``Disputes.reply`` sets the conversation ``{"flow": "thread",
  "by": "staff"}`` for ``[disputes] thread_window_hours``); the messages join the thread while the
  ticket is open and the last staff message is within that window;
- they wrote 「补充」 / 「我还要说」 with a ticket open (``by: "villager"``, for ``bot.state_ttl``).

Text, voice (with its transcript), photos, locations, links and videos all join the thread. The bot
confirms once per staff message (「已转给…」); 「退出」 leaves. Outside the window, or once the ticket
is closed, the message is handled as if there were no thread.

Urgent messages: when the intent layer says a message is an emergency, it is answered by the text
handler (its emergency step, first line) and still goes to the thread.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

from bot.disputes.flow import normalize
from bot.disputes.thread import media_of
from bot.wechat.context import Context
from bot.wechat.message import Message, TextMessage, said
from bot.wechat.replies import HandlerResult

if TYPE_CHECKING:
    from bot.disputes.tickets import Ticket

EXIT_WORDS = frozenset({"退出", "退出对话", "结束", "不说了", "q", "Q"})
ADD_WORDS = re.compile(r"^\s*(补充|我要补充|补充材料|补充情况|我还要说|还要说|我还有话说)\s*[。.!！]?\s*$")


def is_urgent(message: Message, ctx: Context) -> bool:
    """True when this message needs the emergency answer first (the intent layer's ``urgent``)."""
    words = said(message)
    return bool(words) and ctx.services.matcher.match(words).intent == "urgent"


def text_message(message: Message, ctx: Context) -> HandlerResult:
    """The route of every text outside a conversation: 「补充」 opens the thread, the rest is the text
    handler's (``handlers.text``)."""
    from handlers import text

    typed = cast(TextMessage, message)  # routed here only for text
    if ADD_WORDS.match(typed.content or ""):
        return add(message, ctx)
    return text.handle(typed, ctx)


def add(message: Message, ctx: Context) -> HandlerResult:
    """「补充」: the villager adds to their newest open ticket without staff having written first."""
    open_tickets = [t for t in ctx.services.disputes.for_villager(ctx.openid) if t.is_open]
    if not open_tickets:
        return ctx.texts.get("thread_add_none")
    ticket = open_tickets[0]
    ctx.count("thread", "add")
    ctx.set_state(flow="thread", ticket=ticket.id, by="villager")
    return ctx.texts.get("thread_add_prompt", ticket=ticket.id)


def step(message: Message, ctx: Context) -> HandlerResult:
    """One message while the villager is in a ticket's thread."""
    disputes = ctx.services.disputes
    state = ctx.state or {}
    words = normalize(said(message))
    if words in EXIT_WORDS:
        ctx.clear_state()
        ctx.count("thread", "exit")
        return ctx.texts.get("thread_left")
    ticket = disputes.get(str(state.get("ticket", "")))
    if ticket is None or ticket.openid != ctx.openid or not _still_open(ctx, ticket, state):
        return _outside_thread(message, ctx)
    from handlers.dispute import unreadable_location

    text, media = content_of(message, ctx.now)
    refusal = unreadable_location(message, ctx) or _over_limit(ctx, ticket.id, text)
    if refusal is None:
        disputes.villager_wrote(ticket.id, text, media)
        ctx.count("thread", message.type)
    answer = refusal or _confirmation(ctx, ticket.id, state)
    if words and is_urgent(message, ctx):
        from handlers import text as text_handler

        before = ctx.new_state
        urgent = text_handler.answer(message, ctx, words)
        ctx.new_state = before  # the emergency answer does not end the thread
        return "\n\n".join(part for part in (urgent if isinstance(urgent, str) else "", answer) if part) or urgent
    return answer


def _over_limit(ctx: Context, ticket_id: str, text: str) -> str | None:
    """Why the thread does not take this message (``[bot] thread_max_chars`` / ``thread_max_messages``),
    told to the villager with what to do instead; None when it takes it."""
    limits = ctx.services.config.bot
    if len(text) > limits.thread_max_chars:
        ctx.count("thread", "too_long")
        return ctx.texts.get("thread_too_long", chars=len(text), limit=limits.thread_max_chars)
    if ctx.services.disputes.thread.villager_count(ticket_id) >= limits.thread_max_messages:
        ctx.count("thread", "full")
        return ctx.texts.get("thread_full", ticket=ticket_id)
    return None


def _still_open(ctx: Context, ticket: Ticket, state: dict[str, Any]) -> bool:
    if state.get("by") == "villager":  # 「补充」: as long as the conversation state lives
        return bool(ticket.is_open)
    return bool(ctx.services.disputes.open_thread_for(ticket, ctx.now))


def _confirmation(ctx: Context, ticket_id: str, state: dict[str, Any]) -> str:
    """「已转给…」 once after each staff message (the 「补充」 prompt already said it)."""
    if state.get("by") == "villager":
        return ""
    thread = ctx.services.disputes.thread
    meta = thread.meta(ticket_id)
    if meta.get("confirmed_at", 0.0) >= meta.get("last_staff_at", 0.0):
        return ""
    thread.mark_confirmed(ticket_id, ctx.now)
    confirmation = str(ctx.texts.get("thread_confirm", ticket=ticket_id))
    ctx.services.disputes.bot_wrote(ticket_id, confirmation)
    return confirmation


def content_of(message: Message, now: float) -> tuple[str, dict[str, Any] | None]:
    """A WeChat message as a thread entry's text and media (a voice keeps its transcript as text)."""
    from handlers.dispute import turn_of

    kind = message.type
    if kind in ("text", "voice", "image", "location"):
        turn = turn_of(message, now)
        media = media_of(turn.attachment)
        if kind == "location" and media:
            return str(media.get("label") or ""), media
        return turn.text, media
    if kind == "link":
        return f"{getattr(message, 'title', '') or ''} {getattr(message, 'url', '') or ''}".strip(), None
    if kind in ("video", "shortvideo"):
        return "", {"type": "video", "media_id": getattr(message, "media_id", "") or ""}
    return "", None


def _outside_thread(message: Message, ctx: Context) -> HandlerResult:
    """The thread is over (closed ticket, window passed): handle the message as a new one."""
    from handlers import ROUTES

    ctx.clear_state()
    ctx.state = None
    return ROUTES.route(message, None).handler(message, ctx)
