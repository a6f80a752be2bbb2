"""Anything no other handler claims."""

from __future__ import annotations

from bot.wechat.context import Context
from bot.wechat.message import Message
from bot.wechat.replies import HandlerResult, NoReply


def unknown(message: Message, ctx: Context) -> HandlerResult:
    ctx.count("unknown_type", getattr(message, "type", "") or "")
    return ctx.texts.get("unknown_type")


def ignore_event(message: Message, ctx: Context) -> HandlerResult:
    """System and job events (TEMPLATESENDJOBFINISH, MASSSENDJOBFINISH, LOCATION...): ``success``."""
    return NoReply()
