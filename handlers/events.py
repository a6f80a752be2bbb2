"""Follow, unfollow, QR scans and menu links."""

from __future__ import annotations

from typing import Any

from handlers.context import Context, HandlerResult, NoReply


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
