"""The one table that routes every message, event and menu key to its handler.

``ROUTES`` maps:
- an ongoing conversation (``state["flow"]``) to the flow's handler, for messages (not events);
- a menu click key (``CLICK`` events) to its handler;
- an event name (lower case, as wechatpy reports it) to its handler;
- a message type (``text``, ``voice``, ...) to its handler;
- anything else to ``fallback.unknown``.

A route is *pure* when, without conversation state, its handler has no effect besides the reply,
the state it declares and the counters: the webhook may then run it before knowing the state and
commit everything in one Redis round trip (see ``bot.wechat.webhook``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, cast

from handlers import answers, clicks, consult, dispute, events, fallback, media_messages, status, text, thread, urgent
from bot.wechat.context import Context
from bot.wechat.message import ClickEvent, Message, is_event
from bot.wechat.replies import HandlerResult

Handler = Callable[[Message, Context], HandlerResult]
# What the matcher understood of a text (or a voice transcript) is answered by its intent's handler:
# (message, context, the words, the matcher's Match).
IntentHandler = Callable[[Message, Context, str, Any], HandlerResult]


@dataclass(frozen=True)
class Route:
    handler: Handler
    pure: bool = True


class Router:
    def __init__(self) -> None:
        self.flows: dict[str, Route] = {}
        self.clicks: dict[str, Route] = {}
        self.events: dict[str, Route] = {}
        self.messages: dict[str, Route] = {}
        self.intents: dict[str, IntentHandler] = {}
        self.default = Route(fallback.unknown)

    def flow(self, name: str, handler: Handler, urgent_first: bool = True) -> None:
        """A conversation; an emergency inside it is answered first (``handlers.urgent.first``),
        unless the flow answers emergencies itself (``urgent_first=False``)."""
        self.flows[name] = Route(urgent.first(handler) if urgent_first else handler, pure=False)

    def click(self, key: str, handler: Handler, pure: bool = True) -> None:
        self.clicks[key] = Route(handler, pure)

    def event(self, name: str, handler: Handler, pure: bool = True) -> None:
        self.events[name.lower()] = Route(handler, pure)

    def message(self, msg_type: str, handler: Handler, pure: bool = True) -> None:
        self.messages[msg_type] = Route(handler, pure)

    def on_intent(self, name: str, handler: IntentHandler) -> None:
        self.intents[name] = handler

    def intent(self, name: str) -> IntentHandler:
        """The handler of a matcher intent; an unknown one is answered as "no answer found"."""
        return self.intents.get(name, text.on_none)

    def route(self, message: Message, state: dict[str, Any] | None) -> Route:
        if is_event(message):
            if message.event == "click":
                return self.clicks.get(cast(ClickEvent, message).key or "", Route(clicks.unknown_key))
            return self.events.get(message.event, Route(fallback.ignore_event))
        if state and state.get("flow") in self.flows:
            return self.flows[state["flow"]]
        return self.messages.get(message.type, self.default)


ROUTES = Router()

# Conversations that span several messages.
ROUTES.flow("choose", text.choose)        # "您是想问：1… 2… 3…" waits for a number
ROUTES.flow("answered", answers.follow_up)  # after an answer: 「详细」「法条」「调解」, else a new message
ROUTES.flow("report", dispute.step)       # the guided dispute report
ROUTES.flow("rating", status.rate)        # 满意度 after a ticket was closed
ROUTES.flow("tickets", status.pick)       # after the numbered list of 查询: 「1」 shows the first ticket
ROUTES.flow("human", text.human)          # after "人工": "登记" registers the matter for staff
ROUTES.flow("consult", consult.reply)     # after "outside what I can answer": 「转人工」 makes a 法律咨询 ticket
ROUTES.flow("thread", thread.step, urgent_first=False)  # messages to the staff handling a ticket (两头对话);
                                                        # an emergency is answered first and joins the thread

# Menu keys (documented in config.example.toml).
ROUTES.click("MENU_ASK", clicks.ask)
ROUTES.click("MENU_REPORT", dispute.start_from_menu)
ROUTES.click("MENU_WEEKLY", clicks.weekly)
ROUTES.click("MENU_MY_TICKETS", status.my_tickets)
ROUTES.click("MENU_CONTACT", clicks.contact)

# Events.
ROUTES.event("subscribe", events.subscribe)
ROUTES.event("subscribe_scan", events.subscribe)
ROUTES.event("scan", events.scan)
ROUTES.event("unsubscribe", events.unsubscribe, pure=False)
ROUTES.event("view", events.view)
ROUTES.event("masssendjobfinish", events.mass_send_finished, pure=False)

# Messages.
ROUTES.message("text", thread.text_message)  # 「补充」 opens the thread; the rest goes to text.handle
ROUTES.message("voice", media_messages.voice)
ROUTES.message("image", media_messages.image)
ROUTES.message("location", media_messages.location)
ROUTES.message("link", media_messages.link)
ROUTES.message("video", media_messages.video)
ROUTES.message("shortvideo", media_messages.video)

# What a text means (bot/matching/matcher.py's intents): handlers/text.py asks the matcher, then this.
ROUTES.on_intent("urgent", text.on_urgent)
ROUTES.on_intent("report", text.on_report)
ROUTES.on_intent("status", text.on_status)
ROUTES.on_intent("chat", text.on_chat)
ROUTES.on_intent("human", text.on_human)
ROUTES.on_intent("menu", text.on_menu)
ROUTES.on_intent("rating", text.on_rating)
ROUTES.on_intent("faq", text.on_faq)
ROUTES.on_intent("outside", text.on_outside)
ROUTES.on_intent("none", text.on_none)
