"""Follow, unfollow, QR scans, menu links, and WeChat's report on a finished mass send."""

from __future__ import annotations

from typing import Any

from bot.wechat.context import Context
from bot.wechat.replies import HandlerResult, NoReply


def subscribe(message: Any, ctx: Context) -> HandlerResult:
    ctx.count("subscribe", getattr(message, "scene_id", "") or "")
    return ctx.texts.get("welcome")


def scan(message: Any, ctx: Context) -> HandlerResult:
    ctx.count("scan", getattr(message, "scene_id", "") or "")
    return ctx.texts.get("welcome_back")


def unsubscribe(message: Any, ctx: Context) -> HandlerResult:
    """The villager left: we can no longer message them; drop their conversation and draft."""
    ctx.count("unsubscribe")
    ctx.clear_state()
    ctx.services.conversations.forget(ctx.openid)
    return NoReply()


def view(message: Any, ctx: Context) -> HandlerResult:
    """A menu link: the villager is already on the page, a reply would not be seen."""
    return NoReply()


def mass_send_finished(message: Any, ctx: Context) -> HandlerResult:
    """MASSSENDJOBFINISH: how many followers the weekly post reached (the report's 普法 figures).

    Counted once however often WeChat pushes it (events are deduplicated on sender, time, event and
    the job's MsgID); a failed send reaches nobody and counts nothing. WeChat reads no reply to a
    system event."""
    slug = ctx.services.posts.mass_send_finished(
        str(message.id), message.status or "", total=message.total_count, filtered=message.filter_count,
        sent=message.sent_count, errors=message.error_count, now=ctx.now)
    if (message.status or "").lower() == "send success":
        ctx.count("post_sent", slug or "")
        ctx.count("post_reach", slug or "", max(int(message.sent_count or 0), 0))
    return NoReply()
