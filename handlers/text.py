"""Text messages: the knowledge-base answer, a "which one did you mean" choice, or a route onward."""

from __future__ import annotations

import re

from bot.disputes.flow import normalize as choice_text
from bot.logs import mask
from handlers import answers, dispute, status, urgent
from bot.wechat.context import Context
from bot.wechat.message import Message, TextMessage
from bot.wechat.replies import HandlerResult

WEEKLY_WORDS = re.compile(r"^\s*(本周普法|普法|本周|这周普法|每周普法)\s*$")
MAX_OPTIONS = 3
MAX_KEPT_CHARS = 200  # of the question, kept in the "choose" state to find the point afterwards


def handle(message: TextMessage, ctx: Context) -> HandlerResult:
    return answer(message, ctx, message.content or "")


def answer(message: Message, ctx: Context, content: str) -> HandlerResult:
    """Answer free text (typed, or a voice transcript) as the matcher understands it."""
    if WEEKLY_WORDS.match(content):
        from handlers import clicks

        return clicks.weekly(message, ctx)
    match = ctx.services.matcher.match(content)
    if match.intent == "urgent":
        return urgent.answer(message, ctx, content, match.urgent_kind or "threat", match.topic)
    if match.intent == "report":
        return dispute.start(message, ctx, text=content, topic=match.topic)
    if match.intent == "status":
        return status.lookup(message, ctx, match.ticket_id)
    if match.intent == "chat":
        ctx.count("chat", match.chat or "greeting")
        return ctx.texts.get(f"chat_{match.chat or 'greeting'}")
    if match.intent == "human":
        ctx.count("human")
        ctx.set_state(flow="human")
        return ctx.texts.get("human_answer")
    if match.intent == "menu":
        ctx.count("menu_words")
        return ctx.texts.get("menu_answer")
    if match.intent == "rating":  # a rating word with no rating pending (the rating flow takes the rest)
        return ctx.texts.get("rating_nothing_pending")
    if match.intent == "faq" and match.topic:
        if match.ambiguous and len(match.candidates) > 1:
            return offer_choices(ctx, [c.topic for c in match.candidates[:MAX_OPTIONS]], content)
        return topic_answer(ctx, match.topic, content)
    ctx.count("unanswered", mask(content.strip())[:200])  # staff see what villagers ask (masked)
    if match.intent == "none" and match.confidence > 0:  # plainly off-topic: no law, no lecture
        return ctx.texts.get("offtopic_answer")
    return ctx.texts.get("none_answer")


def human(message: Message, ctx: Context) -> HandlerResult:
    """After "人工": one reply word registers the matter for staff; anything else is a new message."""
    said = (getattr(message, "content", None) or "").strip().strip("。.!！")
    ctx.clear_state()
    if message.type == "text" and said in ctx.texts.get("human_register_words").split():
        return dispute.start(message, ctx)
    return ctx.handle_as_new(message)


def topic_answer(ctx: Context, topic_id: str, question: str = "") -> str:
    """The short answer to ``question`` and the choices 「详细」「法条」「调解」 (handlers/answers.py)."""
    return answers.answer(ctx, topic_id, question)


def offer_choices(ctx: Context, topic_ids: list[str], question: str = "") -> str:
    """Number the candidate topics; the question is kept so the chosen topic's point can answer it."""
    ctx.set_state(flow="choose", options=topic_ids, q=question[:MAX_KEPT_CHARS])
    topics = ctx.services.kb.topics
    lines = [ctx.texts.get("choose_header")]
    lines += [f"{i}. {topics[t].title}" for i, t in enumerate(topic_ids, 1)]
    lines.append(ctx.texts.get("choose_footer"))
    return "\n".join(lines)


def choose(message: Message, ctx: Context) -> HandlerResult:
    """The villager answers "您是想问…" with a number (「2」, 「二」, 「第二个」); anything else is a new question."""
    options = (ctx.state or {}).get("options", [])
    content = choice_text(getattr(message, "content", None) or "")
    ctx.clear_state()
    if content.isdigit() and 1 <= int(content) <= len(options) and options[int(content) - 1] in ctx.services.kb.topics:
        return topic_answer(ctx, options[int(content) - 1], str((ctx.state or {}).get("q") or ""))
    return ctx.handle_as_new(message)

