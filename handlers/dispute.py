"""The guided dispute report (我要反映): the webhook side of ``bot.disputes.flow``.

The flow decides; this module turns WeChat messages into the flow's turns and carries out the
result: the conversation state goes through ``ctx`` (the webhook commits it with the reply), a copy
of an unfinished report is kept as the villager's draft for ``bot.draft_ttl`` seconds, and on
confirmation the draft is submitted once (idempotency key = openid + the draft's id, so even a
double confirm makes one ticket). Redis writes besides ``ctx`` happen only in non-speculative runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from redis.exceptions import RedisError

from bot.disputes.flow import ReportFlow, Result, Turn, has_content, new_draft, voice_attachment
from bot.disputes.tickets import attachment as make_attachment
from bot.reports.figures import RISK_WORDS
from bot.wechat.context import Context
from bot.wechat.message import Message, VoiceMessage, coordinates, is_image, is_location, is_text, is_voice
from bot.wechat.replies import HandlerResult

NO_DRAFT_STEPS = ("resume", "voice_offer")  # states not worth keeping as a draft


def _flow(ctx: Context) -> ReportFlow:
    return ReportFlow(ctx.texts, ctx.config.bot.villages)


def _topic_kind(ctx: Context, topic: str | None) -> str:
    found = ctx.services.kb.topics.get(topic) if topic else None
    return getattr(found, "dispute_kind", "") or ""


def start(message: Message, ctx: Context, text: str = "", topic: str | None = None,
          attachment: dict[str, Any] | None = None) -> HandlerResult:
    """Begin a report (menu key or report intent); ``text`` becomes the first draft of the description."""
    flow = _flow(ctx)
    state = ctx.state or {}
    if state.get("flow") == "report" and state.get("step") not in NO_DRAFT_STEPS:
        return _apply(message, ctx, flow.current(state))
    ctx.count("report", "start")
    draft = new_draft(text, topic, _topic_kind(ctx, topic), [attachment] if attachment else [])
    saved = ctx.services.conversations.get_draft(ctx.openid)
    if saved and has_content(saved.get("draft") or {}):
        return _apply(message, ctx, flow.offer_resume(saved, draft))
    return _apply(message, ctx, flow.begin(draft))


def start_from_menu(message: Message, ctx: Context) -> HandlerResult:
    return start(message, ctx)


def offer_voice(message: VoiceMessage, ctx: Context) -> HandlerResult:
    """A voice WeChat could not transcribe: reply 1 registers it for staff to listen to."""
    voice = voice_attachment(message.media_id or "", "", ctx.now)
    return _apply(message, ctx, _flow(ctx).offer_voice(voice))


def step(message: Message, ctx: Context) -> HandlerResult:
    """One message inside the report conversation."""
    unreadable = unreadable_location(message, ctx)
    if unreadable is not None:
        return unreadable
    return _apply(message, ctx, _flow(ctx).step(ctx.state or {}, turn_of(message, ctx.now)))


def unreadable_location(message: Message, ctx: Context) -> str | None:
    """The answer to a location whose coordinates are not numbers (the conversation goes on as it
    was), or None for every other message."""
    if is_location(message) and coordinates(message) is None:
        ctx.count("location", "unreadable")
        return ctx.texts.get("location_unreadable")
    return None


def turn_of(message: Message, now: float) -> Turn:
    """A WeChat message as the flow sees it (attachments keep the media id for staff)."""
    if is_text(message):
        return Turn("text", message.content or "")
    if is_voice(message):
        heard = (message.recognition or "").strip()
        return Turn("voice", heard, voice_attachment(message.media_id or "", heard, now))
    if is_image(message):
        return Turn("image", attachment=make_attachment("image", now, media_id=message.media_id,
                                                        pic_url=message.image))
    if is_location(message) and (where := coordinates(message)) is not None:
        return Turn("location", attachment=make_attachment("location", now, lat=where[0], lng=where[1],
                                                           label=message.label))
    return Turn("other")


def _apply(message: Message, ctx: Context, result: Result) -> HandlerResult:
    if result.passthrough:
        return ctx.handle_as_new(message)
    if result.submit:
        return _submit(ctx, result.draft)
    if result.state is None:
        ctx.clear_state()
        if result.cancelled:
            ctx.count("report", "cancelled")
            _forget_draft(ctx)
        return result.reply
    ctx.set_state(**result.state)
    if not ctx.speculative and result.state.get("step") not in NO_DRAFT_STEPS:
        ctx.services.conversations.set_draft(ctx.openid, result.state)
    return result.reply


def _forget_draft(ctx: Context) -> None:
    if ctx.speculative:
        return
    try:
        ctx.services.conversations.clear_draft(ctx.openid)
    except RedisError:
        pass  # Redis is down: the draft expires by itself after bot.draft_ttl


def _is_urgent(draft: dict[str, Any]) -> bool:
    """Words of violence, threats or despair anywhere in what the villager said: never held back."""
    words = " ".join([str(draft.get("description", ""))] + [
        str(a.get(k, "")) for a in draft.get("attachments") or [] for k in ("text", "recognition", "label")])
    return any(w in words for w in RISK_WORDS)


def _reports_today(ctx: Context) -> str:
    """The villager's report counter of today (their own hash slot: the node the webhook just used,
    so a dead dispute-queue node never delays a confirmation twice)."""
    day = datetime.fromtimestamp(ctx.now, ZoneInfo(ctx.config.posts.timezone)).strftime("%Y%m%d")
    return str(ctx.services.keys.daily_reports(ctx.openid, day))


def _over_daily_limit(ctx: Context, draft: dict[str, Any]) -> int:
    """The villager's reports of today when the daily limit is reached (and the report is not urgent), else 0."""
    limit = ctx.config.bot.max_reports_per_day
    if limit <= 0 or _is_urgent(draft):
        return 0
    filed = int(ctx.services.redis.get(_reports_today(ctx)) or 0)
    return filed if filed >= limit else 0


def _count_report(ctx: Context) -> None:
    key = _reports_today(ctx)
    try:
        pipe = ctx.services.redis.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, 2 * 86400)
        pipe.execute()
    except RedisError:  # the ticket exists; at worst this villager may file one more today
        pass


def _submit(ctx: Context, draft: dict[str, Any]) -> HandlerResult:
    filed = _over_daily_limit(ctx, draft)
    if filed:
        ctx.count("report", "daily_limit")
        ctx.clear_state()  # the draft stays (bot.draft_ttl) for tomorrow's "我要反映"
        return ctx.texts.get("dispute_daily_limit", count=filed)
    ticket = ctx.services.disputes.submit(ctx.openid, draft, f"{ctx.openid}:{draft.get('id', '')}")
    ctx.clear_state()
    _forget_draft(ctx)
    hours = ctx.config.bot.response_hours
    if ticket.spooled:
        ctx.count("report", "spooled")
        return ctx.texts.get("dispute_spooled", hours=hours)
    ctx.count("report", "submitted")
    _count_report(ctx)
    return ctx.texts.get("dispute_submitted", ticket=ticket.id, hours=hours)
