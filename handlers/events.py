"""Follow, unfollow, QR scans, menu links, and WeChat's report on a finished mass send."""

from __future__ import annotations

from typing import cast

from bot.posts import mass_send_succeeded
from bot.wechat.context import Context
from bot.wechat.message import MassSendJobFinishEvent, Message
from bot.wechat.replies import HandlerResult, NoReply


def subscribe(message: Message, ctx: Context) -> HandlerResult:
    ctx.count("subscribe", getattr(message, "scene_id", "") or "")
    return ctx.texts.get("welcome")


def scan(message: Message, ctx: Context) -> HandlerResult:
    ctx.count("scan", getattr(message, "scene_id", "") or "")
    return ctx.texts.get("welcome_back")


def unsubscribe(message: Message, ctx: Context) -> HandlerResult:
    """The villager left: we can no longer message them; drop their conversation and draft."""
    ctx.count("unsubscribe")
    ctx.clear_state()
    ctx.services.conversations.forget(ctx.openid)
    return NoReply()


def view(message: Message, ctx: Context) -> HandlerResult:
    """A menu link: the villager is already on the page, a reply would not be seen."""
    return NoReply()


def mass_send_finished(message: Message, ctx: Context) -> HandlerResult:
    """MASSSENDJOBFINISH: how many followers the weekly post reached (the report's 普法 figures).

    Counted once however often WeChat pushes it (events are deduplicated on sender, time, event and
    the job's MsgID); a failed send reaches nobody and counts nothing. Only a send whose MsgID one of
    our weekly posts recorded counts for the report; any other (a console send, a forged push) is
    counted apart (``mass_other``). WeChat reads no reply to a system event."""
    status = str(cast(MassSendJobFinishEvent, message).status or "")  # routed here only for this event
    count = {name: _number(message, name) for name in ("total_count", "filter_count", "sent_count", "error_count")}
    record = ctx.services.posts.mass_send_finished(
        str(message.id), status, total=count["total_count"], filtered=count["filter_count"],
        sent=count["sent_count"], errors=count["error_count"], now=ctx.now)
    if not mass_send_succeeded(status):
        return NoReply()
    reached = max(count["sent_count"], 0)
    if record is None:
        ctx.count("mass_other_sent", "")
        ctx.count("mass_other_reach", "", reached)
    else:
        ctx.count("post_sent", record.get("slug", ""))
        ctx.count("post_reach", record.get("slug", ""), reached)
    return NoReply()


def _number(message: Message, name: str) -> int:
    """A count of the push, 0 when missing or not a number (wechatpy converts on access and raises)."""
    try:
        return int(getattr(message, name) or 0)
    except (TypeError, ValueError):
        return 0
