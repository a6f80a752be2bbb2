"""Text messages: the knowledge-base answer, a "which one did you mean" choice, or a route onward."""

from __future__ import annotations

import re

from bot.disputes.flow import normalize as choice_text
from bot.logs import mask
from bot.matching.matcher import Match
from handlers import answers, consult, dispute, scripts, status, urgent
from bot.wechat.context import Context
from bot.wechat.message import Message, TextMessage
from bot.wechat.replies import HandlerResult

WEEKLY_WORDS = re.compile(r"^\s*(本周普法|普法|本周|这周普法|每周普法)\s*$")
MAX_OPTIONS = 3
MAX_KEPT_CHARS = 200  # of the question, kept in the "choose" state to find the point afterwards


def handle(message: TextMessage, ctx: Context) -> HandlerResult:
    return answer(message, ctx, message.content or "")


def answer(message: Message, ctx: Context, content: str) -> HandlerResult:
    """Answer free text (typed, or a voice transcript) as the matcher understands it: the intent's
    handler in the routing table (``handlers.ROUTES.intents``) answers. A message in another script
    (Uyghur, Kazakh, pinyin) goes to a person (``handlers/scripts.py``)."""
    found = scripts.found_in(content)
    if found is not None:
        return scripts.handle(message, ctx, content, found)
    if WEEKLY_WORDS.match(content):
        from handlers import clicks

        return clicks.weekly(message, ctx)
    from handlers import ROUTES

    match = ctx.services.matcher.match(content)
    return ROUTES.intent(match.intent)(message, ctx, content, match)


# -- one handler per intent (registered in handlers/__init__.py) ----------------------------------
def on_urgent(message: Message, ctx: Context, content: str, match: Match) -> HandlerResult:
    return urgent.answer(message, ctx, content, match.urgent_kind or "threat", match.topic)


def on_report(message: Message, ctx: Context, content: str, match: Match) -> HandlerResult:
    return dispute.start(message, ctx, text=content, topic=match.topic)


def on_status(message: Message, ctx: Context, content: str, match: Match) -> HandlerResult:
    return status.lookup(message, ctx, match.ticket_id)


def on_chat(message: Message, ctx: Context, content: str, match: Match) -> HandlerResult:
    ctx.count("chat", match.chat or "greeting")
    return ctx.texts.get(f"chat_{match.chat or 'greeting'}")


def on_human(message: Message, ctx: Context, content: str, match: Match) -> HandlerResult:
    ctx.count("human")
    ctx.set_state(flow="human")
    return ctx.texts.get("human_answer")


def on_menu(message: Message, ctx: Context, content: str, match: Match) -> HandlerResult:
    ctx.count("menu_words")
    return ctx.texts.get("menu_answer")


def on_rating(message: Message, ctx: Context, content: str, match: Match) -> HandlerResult:
    """A rating word with no rating pending (the rating flow takes the rest)."""
    return ctx.texts.get("rating_nothing_pending")


def on_faq(message: Message, ctx: Context, content: str, match: Match) -> HandlerResult:
    if not match.topic:
        return on_none(message, ctx, content, match)
    if match.ambiguous and match.candidates:  # one plausible topic is a "did you mean", not an answer
        return offer_choices(ctx, [c.topic for c in match.candidates[:MAX_OPTIONS]], content)
    return topic_answer(ctx, match.topic, content)


def on_outside(message: Message, ctx: Context, content: str, match: Match) -> HandlerResult:
    """A legal question the topics do not cover: say so, say where to ask, offer a person."""
    return consult.offer(ctx, content)


def on_none(message: Message, ctx: Context, content: str, match: Match) -> HandlerResult:
    if match.confidence == 0 and match.candidates:  # some legal words, no answer found: a person may help
        return consult.offer(ctx, content, "consult_offer_answer")
    ctx.count("unanswered", mask(content.strip())[:200])  # staff see what villagers ask (masked)
    # Plainly off-topic (a confident "none"): no law, no lecture.
    return ctx.texts.get("offtopic_answer" if match.confidence > 0 else "none_answer")


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
    question = str((ctx.state or {}).get("q") or "")
    if content.isdigit() and 1 <= int(content) <= len(options) and options[int(content) - 1] in ctx.services.kb.topics:
        return topic_answer(ctx, options[int(content) - 1], question)
    if question and content in ctx.texts.get("choose_none_words").split():  # 「都不是」: a person may help
        return consult.offer(ctx, question, "consult_offer_answer")
    return ctx.handle_as_new(message)

