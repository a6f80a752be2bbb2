"""The guided dispute report (我要反映). Placeholder until the dispute flow lands (issue 4)."""

from __future__ import annotations

from typing import Any

from handlers.context import Context, HandlerResult


def start(message: Any, ctx: Context, text: str = "", topic: str | None = None,
          attachment: dict[str, Any] | None = None) -> HandlerResult:
    ctx.set_state(flow="report", step="kind", draft={"text": text, "topic": topic,
                                                     "attachments": [attachment] if attachment else []})
    return "请问是哪一类纠纷？"


def start_from_menu(message: Any, ctx: Context) -> HandlerResult:
    return start(message, ctx)


def offer_voice(message: Any, ctx: Context) -> HandlerResult:
    return ctx.texts.get("voice_unclear")


def step(message: Any, ctx: Context) -> HandlerResult:
    ctx.clear_state()
    return "已取消。"
