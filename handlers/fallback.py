"""Anything no other handler claims."""

from __future__ import annotations

from typing import Any

from bot.wechat.context import Context
from bot.wechat.replies import HandlerResult, NoReply


def unknown(message: Any, ctx: Context) -> HandlerResult:
    ctx.count("unknown_type", getattr(message, "type", "") or "")
    return ctx.texts.get("unknown_type")


def ignore_event(message: Any, ctx: Context) -> HandlerResult:
    """System and job events (TEMPLATESENDJOBFINISH, MASSSENDJOBFINISH, LOCATION...): ``success``."""
    return NoReply()
