"""A villager's own tickets (我的事项) and the satisfaction rating. Placeholder until issue 4 lands."""

from __future__ import annotations

from typing import Any

from handlers.context import Context, HandlerResult


def lookup(message: Any, ctx: Context, ticket_id: str | None = None) -> HandlerResult:
    return "您还没有反映过事项。"


def my_tickets(message: Any, ctx: Context) -> HandlerResult:
    return lookup(message, ctx)


def rate(message: Any, ctx: Context) -> HandlerResult:
    ctx.clear_state()
    return "谢谢您的评价。"
