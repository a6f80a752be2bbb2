"""The replies a handler may return, and the one function that normalises what it returned (pure).

A handler is ``handle(message, ctx) -> Reply | str | None`` (``ctx``: ``bot.wechat.context.Context``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Text:
    content: str


@dataclass(frozen=True)
class News:
    """One article (WeChat shows only one in answer to a user's message)."""

    title: str
    description: str
    url: str
    image: str = ""


@dataclass(frozen=True)
class NoReply:
    """Answer WeChat with ``success``: nothing is shown to the villager."""


Reply = Text | News | NoReply
HandlerResult = Reply | str | None



def normalize(result: HandlerResult) -> Reply:
    """The one place that turns what a handler returned into a Reply."""
    if result is None:
        return NoReply()
    if isinstance(result, str):
        return Text(result) if result.strip() else NoReply()
    if isinstance(result, (Text, News, NoReply)):
        return result
    raise TypeError(f"handler returned {type(result).__name__}, expected Text, News, NoReply or str")


def reply_to_json(reply: Reply) -> dict[str, Any]:
    if isinstance(reply, Text):
        return {"t": "text", "content": reply.content}
    if isinstance(reply, News):
        return {"t": "news", "title": reply.title, "description": reply.description, "url": reply.url,
                "image": reply.image}
    return {"t": "none"}


def reply_from_json(data: dict[str, Any]) -> Reply:
    kind = data.get("t")
    if kind == "text":
        return Text(data["content"])
    if kind == "news":
        return News(data["title"], data["description"], data["url"], data.get("image", ""))
    return NoReply()
