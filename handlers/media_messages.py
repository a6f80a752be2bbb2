"""Voice, images, locations, links and videos outside a conversation."""

from __future__ import annotations

from typing import cast

from handlers import dispute, text
from bot.wechat.context import Context
from bot.wechat.message import Message, VoiceMessage
from bot.wechat.replies import HandlerResult


def voice(message: Message, ctx: Context) -> HandlerResult:
    """Use WeChat's transcript; without one, offer to pass the voice itself to staff."""
    voice_message = cast(VoiceMessage, message)  # routed here only for voice
    heard = (voice_message.recognition or "").strip().rstrip("。.!！")
    if heard:
        ctx.count("voice", "recognised")
        reply = text.answer(message, ctx, heard)
        if isinstance(reply, str) and not reply.startswith("【紧急】"):  # the emergency step stays first
            return ctx.texts.get("voice_heard", text=heard) + "\n" + reply
        return reply
    ctx.count("voice", "unrecognised")
    return dispute.offer_voice(voice_message, ctx)


def image(message: Message, ctx: Context) -> HandlerResult:
    return ctx.texts.get("image_outside_flow")


def location(message: Message, ctx: Context) -> HandlerResult:
    return ctx.texts.get("location_outside_flow")


def link(message: Message, ctx: Context) -> HandlerResult:
    return ctx.texts.get("link_outside_flow")


def video(message: Message, ctx: Context) -> HandlerResult:
    return ctx.texts.get("unknown_type")
