"""Emergencies (intent "urgent"): the emergency step first, and staff alerted at once.

The reply's first line is the step to take now with the number to call (110, 120, 12356...), for
every kind, inside or outside a conversation; its last line says staff were told (office hours) or
when they will see it, repeating the number (``bot.duty``). Staff see the message as an urgent item at the top of
the console queue even when the villager files no report: an alert ticket (``source = "urgent"``)
is submitted after the reply is committed, idempotently per message, so WeChat's retries make no
second alert, and it is spooled when Redis fails meanwhile. While Redis is away the emergency step
is said at once and the message is kept; the alert is made when it is replayed (``bot.wechat.pipeline``).
Danger messages in one episode (``[disputes] urgent_episode_hours``) make one item: the later ones
join its thread with the bot's reply.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from bot.duty import staff_told
from bot.logs import mask_openid
from bot.wechat.context import EMERGENCY, Context
from bot.wechat.message import Message, said
from bot.wechat.replies import HandlerResult

if TYPE_CHECKING:
    from handlers import Handler

log = logging.getLogger(__name__)


def answer(message: Message, ctx: Context, content: str, kind: str, topic: str | None = None) -> HandlerResult:
    """The emergency reply for ``kind``; the alert for staff follows the reply."""
    ctx.count("urgent", kind)
    ctx.reply_kind = EMERGENCY
    msg_id = getattr(message, "id", None) or f"{getattr(message, 'time', '')}"
    draft = {"kind": "other", "description": content, "source": "urgent", "urgent": True,
             "urgent_kind": kind, "topic": topic or "", "contact_pref": "none"}
    key = f"urgent:{ctx.openid}:{msg_id}"
    told = f"{ctx.texts.get(f'urgent_{kind}')}\n{_staff_told(ctx, kind)}"
    ctx.after(lambda: _alert(ctx, draft, key, told))
    return told


def _staff_told(ctx: Context, kind: str) -> str:
    """「已通知工作人员」 only when it is true now (office hours); else when they will see it."""
    services = ctx.services
    duty_alerted = bool(services.config.notify.duty_phone and services.notifier.robots_for("urgent"))
    return staff_told(ctx.texts, services.office_hours, ctx.now or time.time(), kind, duty_alerted)


def _alert(ctx: Context, draft: dict[str, Any], key: str, told: str) -> None:
    """One urgent item per episode (``Disputes.alert_urgent``): a later danger message joins it."""
    ticket, joined = ctx.services.disputes.alert_urgent(ctx.openid, draft, key, told)
    log.warning("urgent message: staff alerted", extra={"openid": mask_openid(ctx.openid),
                                                        "ticket": ticket.id or "spooled", "joined": joined,
                                                        "kind": draft["urgent_kind"]})


def first(handler: Handler) -> Handler:
    """Wrap a conversation's handler: an emergency inside any conversation is answered first.

    The conversation's state is left as it was, so the villager can go on where they were."""

    def handle(message: Message, ctx: Context) -> HandlerResult:
        content = said(message)
        if content:
            match = ctx.services.matcher.match(content)
            if match.intent == "urgent":
                return answer(message, ctx, content, match.urgent_kind or "threat", match.topic)
        return handler(message, ctx)

    handle.__doc__ = handler.__doc__
    handle.__name__ = getattr(handler, "__name__", "handle")
    return handle

