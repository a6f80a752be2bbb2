"""What every handler receives, and the replies it may return.

A handler is ``handle(message, ctx) -> Reply | str | None``. It never writes conversation state to
Redis itself: it says what the state becomes (``ctx.set_state`` / ``ctx.clear_state``) and the
webhook commits that together with the reply and the dedupe record, in one round trip. Counters go
through ``ctx.count`` and are flushed in batches. Handlers import neither Flask nor the webhook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union


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


Reply = Union[Text, News, NoReply]
HandlerResult = Union[Reply, str, None]

_UNSET: Any = object()


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


@dataclass
class Context:
    """One message's view of the world: who sent it, their conversation state, the services."""

    openid: str
    services: Any
    state: dict[str, Any] | None = None
    now: float = 0.0
    new_state: Any = field(default=_UNSET)
    counts: list[tuple[str, str, int]] = field(default_factory=list)
    speculative: bool = False

    @property
    def config(self) -> Any:
        return self.services.config

    @property
    def texts(self) -> Any:
        return self.services.texts

    def set_state(self, **state: Any) -> None:
        """The conversation continues with this state (kept for ``bot.state_ttl`` seconds)."""
        self.new_state = state

    def clear_state(self) -> None:
        self.new_state = None

    @property
    def state_changed(self) -> bool:
        return self.new_state is not _UNSET

    def discard(self) -> None:
        """Forget the state change and counts (the handler failed half-way)."""
        self.new_state = _UNSET
        self.counts.clear()

    def count(self, metric: str, label: str = "", n: int = 1) -> None:
        """Count for the report (e.g. ``count("faq", topic)``, ``count("post_reach", slug, 812)``);
        flushed in batches."""
        self.counts.append((metric, label, n))
