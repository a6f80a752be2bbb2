"""The two-way thread: a villager's messages go to the staff handling their ticket.

A villager enters the thread of a ticket in two ways:
- staff wrote to them about it (``Disputes.reply`` sets the conversation ``{"flow": "thread",
  "by": "staff"}`` for ``[disputes] thread_window_hours``); the messages join the thread while the
  ticket is open and the last staff message is within that window;
- they wrote 「补充」 / 「我还要说」 with a ticket open (``by: "villager"``, for ``bot.state_ttl``).

- a consultation was handed to a person (「转人工」, ``handlers/consult.py``) or a message in another
  script was queued as one (``handlers/scripts.py``, the state names the language): ``by: "villager"``.

Text, voice (with its transcript), photos, locations, links and videos all join the thread, and no
message meets silence (``reply_in_thread``): an emergency is answered first (the text handler's
emergency step, first line); status words (「查询」, 「俺那事办得咋样了」) and the ticket's own number
get the ticket's status; a new legal question the matcher answers directly and confidently is
answered (and the answer noted in the thread for staff); anything else gets 「已转给…」 once after each
staff message and again once ``[disputes] thread_ack_quiet_minutes`` have passed since the last one
(a burst gets one). 「退出」 leaves. Outside the window, or once the ticket is closed, the message is
handled as if there were no thread.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

from bot.disputes.flow import normalize
from bot.matching.kb import MAX_REPLY_BYTES
from bot.matching.scripts import LANGUAGES
from handlers import answers, scripts
from bot.disputes.thread import media_of
from bot.wechat.context import Context
from bot.wechat.message import Message, TextMessage, said
from bot.wechat.replies import HandlerResult

if TYPE_CHECKING:
    from bot.disputes.tickets import Ticket

EXIT_WORDS = frozenset({"退出", "退出对话", "结束", "不说了", "q", "Q"})
MIN_NUMBER_DIGITS = 4  # 「0003」 is a ticket's number; 「3」 inside a thread may be an answer to staff
ADD_WORDS = re.compile(r"^\s*(补充|我要补充|补充材料|补充情况|我还要说|还要说|我还有话说)\s*[。.!！]?\s*$")


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
    thread, now = ctx.services.disputes.thread, ctx.now
    ctx.after(lambda: thread.mark_confirmed(ticket.id, now))  # the prompt says where the words go
    return ctx.texts.get("thread_add_prompt", ticket=ticket.id)


def step(message: Message, ctx: Context) -> HandlerResult:
    """One message while the villager is in a ticket's thread: it always joins the thread, and is
    never met with silence (see ``reply_in_thread``)."""
    disputes = ctx.services.disputes
    state = ctx.state or {}
    words = normalize(said(message))
    if words in EXIT_WORDS:
        ctx.clear_state()
        ctx.count("thread", "exit")
        return ctx.texts.get("thread_left")
    ticket = _ticket_of(ctx, state)
    if ticket is None or ticket.openid != ctx.openid or not _still_open(ctx, ticket, state):
        return _outside_thread(message, ctx)
    if not state.get("ticket"):  # another script's consultation, made after the first reply
        state = {**state, "ticket": ticket.id}
        ctx.set_state(**state)
    answered = state.get("answered")
    if isinstance(answered, dict) and words in answers.DETAIL | answers.LAWS:
        return _answer_choice(message, ctx, answered)  # ...and 「详细」「法条」 of that answer still work
    if ticket.language and not state.get("language"):  # staff wrote to a villager of another script
        state = {**state, "language": ticket.language}
    from handlers.dispute import unreadable_location

    text, media = content_of(message, ctx.now)
    refusal = unreadable_location(message, ctx) or _over_limit(ctx, ticket.id, text)
    if refusal is not None:  # not taken, and told why; an emergency still gets its number first
        if words and ctx.services.matcher.match(said(message)).intent == "urgent":
            from handlers import text as text_handler

            before = ctx.new_state
            urgent = text_handler.answer(message, ctx, words)
            ctx.new_state = before  # the emergency answer does not end the thread
            return "\n\n".join(part for part in (urgent if isinstance(urgent, str) else "", refusal) if part)
        return refusal
    disputes.villager_wrote(ticket.id, text, media)
    ctx.count("thread", message.type)
    return reply_in_thread(message, ctx, ticket, state, words)


def reply_in_thread(message: Message, ctx: Context, ticket: Ticket, state: dict[str, Any], words: str) -> HandlerResult:
    """What the villager hears after a message joined the thread:
    - an emergency: the emergency answer first (the intent layer's ``urgent``);
    - status words or the ticket's own number: the ticket's status;
    - a new legal question the matcher answers directly with confidence: that answer (noted in the
      thread for staff); the thread goes on, and 「详细」 / 「法条」 of that answer still work;
    - else the acknowledgement, once per staff message and once per quiet period at least."""
    from handlers import status
    from handlers import text as text_handler

    found = scripts.found_in(words) if words else None
    if found is not None and not state.get("language"):  # acknowledged in the script it came in
        state = {**state, "language": found.language}
    match = ctx.services.matcher.match(said(message)) if words and found is None else None
    if match is not None and match.intent == "urgent":
        before = ctx.new_state
        urgent = text_handler.answer(message, ctx, words)
        ctx.new_state = before  # the emergency answer does not end the thread
        answer = _acknowledgement(ctx, ticket.id, state)
        return "\n\n".join(part for part in (urgent if isinstance(urgent, str) else "", answer) if part) or urgent
    if match is not None and (match.intent == "status" or _own_number(words, ticket.id)):
        ctx.count("thread", "status")
        asked = match.ticket_id if match.ticket_id and match.ticket_id != ticket.id else None
        reply = status.lookup(message, ctx, asked) if asked else status.describe(ctx, ticket)
        return _noted(ctx, ticket.id, str(reply), state)
    if match is not None and match.intent == "faq" and match.topic and not match.ambiguous:
        ctx.count("thread", "answered")
        before = ctx.new_state
        reply = text_handler.topic_answer(ctx, match.topic, words)
        answered = ctx.new_state if isinstance(ctx.new_state, dict) else {}
        ctx.new_state = before  # the villager stays in the thread...
        _keep_thread(ctx, ticket, {**state, "answered": {k: answered.get(k, "") for k in ("topic", "point")}})
        title = ctx.services.kb.topics[match.topic].title
        ctx.services.disputes.bot_wrote(ticket.id, ctx.texts.get("thread_answered_note", topic=title, answer=reply))
        return _with_acknowledgement(ctx, ticket.id, reply, state)
    return _acknowledgement(ctx, ticket.id, state)


def _keep_thread(ctx: Context, ticket: Ticket, state: dict[str, Any]) -> None:
    """Keep ``state`` as the conversation for what is left of the thread (staff's window, or the
    conversation's own lifetime for 「补充」 and consultations), once the reply is committed."""
    ttl = ctx.config.bot.state_ttl
    if state.get("by") != "villager":
        last_staff = ctx.services.disputes.thread.meta(ticket.id).get("last_staff_at", ctx.now)
        ttl = max(1, int(ctx.services.disputes.thread_window - (ctx.now - last_staff)))
    conversations, openid = ctx.services.conversations, ctx.openid
    ctx.after(lambda: conversations.set(openid, state, ttl=ttl))


def _answer_choice(message: Message, ctx: Context, answered: dict[str, Any]) -> HandlerResult:
    """「详细」 / 「法条」 after an answer given inside the thread (``handlers/answers.py``); the thread goes on."""
    before, thread_state = ctx.new_state, ctx.state
    ctx.state = {"flow": answers.FLOW, **answered}
    try:
        return answers.follow_up(message, ctx)
    finally:
        ctx.state, ctx.new_state = thread_state, before


def _own_number(words: str, ticket_id: str) -> bool:
    """「JF20261208-0003」 (any case) or its tail 「0003」 / 「202612080003」 alone: the ticket's own number.
    A short number (「3」) inside a conversation with staff is more likely an answer to them."""
    from handlers import status

    plain = words.upper().replace(" ", "")
    return plain == ticket_id or (
        plain.isdigit() and MIN_NUMBER_DIGITS <= len(plain) <= 12 and status.same_number(ticket_id, plain))


def _ticket_of(ctx: Context, state: dict[str, Any]) -> Ticket | None:
    """The thread's ticket; for another script's consultation not yet named, the open consultation."""
    if state.get("ticket"):
        return ctx.services.disputes.get(str(state["ticket"]))
    if state.get("language"):
        return scripts.open_consultation(ctx.services, ctx.openid)
    return None


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


def _noted(ctx: Context, ticket_id: str, reply: str, state: dict[str, Any]) -> str:
    """A reply the bot gave inside the thread, written to it so staff see it; the acknowledgement
    follows when it is due."""
    ctx.services.disputes.bot_wrote(ticket_id, reply)
    return _with_acknowledgement(ctx, ticket_id, reply, state)


def _with_acknowledgement(ctx: Context, ticket_id: str, reply: str, state: dict[str, Any]) -> str:
    """``reply`` and, when due and both fit one WeChat reply, the acknowledgement after it."""
    acknowledgement = _acknowledgement_text(ctx, ticket_id, state)
    if not _acknowledgement_due(ctx, ticket_id):
        return reply
    if reply and len(f"{reply}\n\n{acknowledgement}".encode()) > MAX_REPLY_BYTES:
        return reply  # said with the next message instead
    ctx.services.disputes.thread.mark_confirmed(ticket_id, ctx.now)
    ctx.services.disputes.bot_wrote(ticket_id, acknowledgement)
    return f"{reply}\n\n{acknowledgement}" if reply else acknowledgement


def _acknowledgement(ctx: Context, ticket_id: str, state: dict[str, Any]) -> str:
    return _with_acknowledgement(ctx, ticket_id, "", state)


def _acknowledgement_due(ctx: Context, ticket_id: str) -> bool:
    """None said since the last staff message, or none within ``[disputes] thread_ack_quiet_minutes``:
    a burst of messages is acknowledged once, and no message meets silence."""
    meta = ctx.services.disputes.thread.meta(ticket_id)
    confirmed = meta.get("confirmed_at", 0.0)
    quiet = ctx.config.disputes.thread_ack_quiet_minutes * 60
    return confirmed < meta.get("last_staff_at", 0.0) or ctx.now - confirmed >= quiet


def _acknowledgement_text(ctx: Context, ticket_id: str, state: dict[str, Any]) -> str:
    """「已转给…」, or for another script's consultation the reply in Chinese and the villager's script."""
    if state.get("language") in LANGUAGES:
        return scripts.reply_text(ctx.texts, str(state["language"]))
    return str(ctx.texts.get("thread_confirm", ticket=ticket_id))


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
