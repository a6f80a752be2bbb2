"""A legal question the account cannot answer reliably becomes a consultation for a person.

When the matcher says a message is a legal question outside the knowledge base (intent
``outside``), or finds no answer to a legal-sounding message, or the villager declines the
「您是想问…」 menu, the reply says so honestly, names where to get a real answer (12348, legal aid,
the township judicial office with its hours) and offers a person: 「转人工」 (or another word of
``consult_words``) turns the question into a ticket of kind 法律咨询 (``bot.disputes.tickets.CONSULT``)
in the 村民说事室 queue, with the question as the first message of its thread (at most
``[bot] max_reports_per_day`` a day per villager, as for reports). Staff answer through
the thread (``handlers/thread.py``); the villager's next messages join it. The report counts these
as consultations, never as disputes or in 调解 figures (``bot.reports.figures``).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from redis.exceptions import RedisError

from bot.disputes.tickets import CONSULT
from bot.logs import mask
from bot.wechat.context import Context
from bot.wechat.message import Message
from bot.wechat.replies import HandlerResult

MAX_QUESTION_CHARS = 500  # kept in the conversation state until the villager answers the offer


def offer(ctx: Context, question: str, reply_key: str = "outside_answer") -> str:
    """The honest answer with the offer of a person; the question waits for 「转人工」."""
    ctx.count("unanswered", mask(question.strip())[:200])  # staff still see what was not answered
    ctx.count("consult", "offered")
    ctx.set_state(flow="consult", q=question[:MAX_QUESTION_CHARS], offer=secrets.token_hex(6))
    return str(ctx.texts.get(reply_key))


def reply(message: Message, ctx: Context) -> HandlerResult:
    """The message after the offer: a consult word hands the question over; anything else is new."""
    state = ctx.state or {}
    said = (getattr(message, "content", None) or "").strip().strip("。.!！ ")
    question = str(state.get("q") or "").strip()
    if message.type != "text" or not question or said not in ctx.texts.get("consult_words").split():
        ctx.clear_state()
        return ctx.handle_as_new(message)
    return hand_over(ctx, question, str(state.get("offer") or ""))


def hand_over(ctx: Context, question: str, offer_id: str) -> HandlerResult:
    """A 法律咨询 ticket with ``question`` as its first thread message (once per offer, retries
    included); the villager then talks with staff in its thread."""
    disputes = ctx.services.disputes
    today = _consultations_today(ctx)
    if today >= ctx.config.bot.max_reports_per_day > 0:
        ctx.clear_state()
        ctx.count("consult", "daily_limit")
        return ctx.texts.get("consult_daily_limit", count=today)
    draft = {"kind": CONSULT, "description": question, "source": "consult", "id": offer_id}
    ticket = disputes.submit(ctx.openid, draft, f"{ctx.openid}:consult:{offer_id}")
    ctx.clear_state()
    if ticket.spooled:
        ctx.count("consult", "spooled")
        return ctx.texts.get("consult_spooled")
    if not disputes.thread.entries(ticket.id):
        disputes.villager_wrote(ticket.id, question)
    ctx.count("consult", "handed_over")
    disputes.thread.mark_confirmed(ticket.id, ctx.now)  # the reply says where the words go
    ctx.set_state(flow="thread", ticket=ticket.id, by="villager")
    return ctx.texts.get("consult_started", ticket=ticket.id)


def _consultations_today(ctx: Context) -> int:
    """The villager's consultations handed over today (local day); 0 when Redis cannot say."""
    zone = ZoneInfo(ctx.config.posts.timezone)
    day = datetime.fromtimestamp(ctx.now, zone).date()
    try:
        tickets = ctx.services.disputes.for_villager(ctx.openid)
    except RedisError:
        return 0  # the hand-over is spooled anyway; the limit waits for Redis
    return sum(1 for t in tickets if t.kind == CONSULT and datetime.fromtimestamp(t.created_at, zone).date() == day)
