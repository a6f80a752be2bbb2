"""What every handler receives: who sent the message, their conversation state, the services.

A handler never writes conversation state to Redis itself: it says what the state becomes
(``ctx.set_state`` / ``ctx.clear_state``) and the pipeline commits that together with the reply and
the dedupe record, in one round trip. Counters go through ``ctx.count`` and are flushed in batches.
Handlers import neither Flask nor the webhook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.wechat.replies import HandlerResult

if TYPE_CHECKING:
    from bot.config import Config
    from bot.wechat.message import Message
    from bot.services import Services
    from bot.texts import Texts

_UNSET: Any = object()

# What a reply is, as far as the pipeline must know when Redis is away (``bot.wechat.pipeline``):
EMERGENCY = "emergency"  # the emergency step with its number: always said at once
LAW_ANSWER = "law"  # an answer from the knowledge base: said at once to a question asked outright


@dataclass
class Context:
    """One message's view of the world: who sent it, their conversation state, the services."""

    openid: str
    services: Services
    state: dict[str, Any] | None = None
    now: float = 0.0
    new_state: Any = field(default=_UNSET)
    counts: list[tuple[str, str, int]] = field(default_factory=list)
    speculative: bool = False
    effects: list[Callable[[], None]] = field(default_factory=list)
    reply_kind: str = ""  # EMERGENCY, LAW_ANSWER or "" (anything else); set by the handler that answers

    @property
    def config(self) -> Config:
        return self.services.config

    @property
    def texts(self) -> Texts:
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
        """Forget the state change, counts and effects (the handler failed half-way)."""
        self.new_state = _UNSET
        self.reply_kind = ""
        self.counts.clear()
        self.effects.clear()

    def after(self, effect: Callable[[], None]) -> None:
        """Run ``effect`` once this reply is committed (never for a speculative run that is dropped).

        Effects must be idempotent: the pipeline runs them at most once per delivery, and a failed
        one is logged, never shown to the villager."""
        self.effects.append(effect)

    def handle_as_new(self, message: Message) -> HandlerResult:
        """Handle ``message`` as if no conversation were open: the villager left the flow (asked
        something else, clicked a menu). The flow's state is cleared; the new handler may set its own."""
        self.clear_state()
        self.state = None
        return self.services.routes.route(message, None).handler(message, self)

    def resume_or_new(self, message: Message, resume: Any) -> HandlerResult:
        """Handle ``message`` in the conversation a short one interrupted (``state["resume"]``, e.g.
        a rating offer), or as a new message when there is none."""
        if isinstance(resume, dict) and resume.get("flow") in self.services.routes.flows:
            self.clear_state()
            self.state = resume
            return self.services.routes.route(message, resume).handler(message, self)
        return self.handle_as_new(message)

    def count(self, metric: str, label: str = "", n: int = 1) -> None:
        """Count for the report (e.g. ``count("faq", topic)``, ``count("post_reach", slug, 812)``);
        flushed in batches."""
        self.counts.append((metric, label, n))
