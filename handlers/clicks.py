"""Menu clicks that answer at once (the report and status keys live in dispute/status)."""

from __future__ import annotations

from bot.wechat.context import Context
from bot.wechat.message import Message
from bot.wechat.replies import HandlerResult, News


def ask(message: Message, ctx: Context) -> HandlerResult:
    ctx.count("menu", "ask")
    return ctx.texts.get("ask_prompt")


def contact(message: Message, ctx: Context) -> HandlerResult:
    ctx.count("menu", "contact")
    return ctx.texts.get("contact")


def weekly(message: Message, ctx: Context) -> HandlerResult:
    """This week's 普法 post as a one-article news reply."""
    ctx.count("menu", "weekly")
    posts = getattr(ctx.services, "posts", None)
    post = posts.current(ctx.now) if posts else None
    if post is None:
        return ctx.texts.get("weekly_none") if "weekly_none" in ctx.texts else ctx.texts.get("ask_prompt")
    return News(title=post.title, description=post.digest, url=post.url, image=post.image)


def unknown_key(message: Message, ctx: Context) -> HandlerResult:
    return ctx.texts.get("unknown_key")
