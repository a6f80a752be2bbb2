"""Knowledge-base answers: the short answer to the question asked, then 「详细」/「法条」/「调解」.

A legal question is answered with the point of the matched topic that answers it (its ``answer``,
one to three sentences and the next step), else the topic's summary with the choice of its likeliest
points (「您想问的是：1. … 2. …」, bot/matching/points.py), else (data mid-edit) the whole topic; then
one line of choices. The conversation remembers the topic, point and offered points for the next
message (flow ``answered``): a number gives the offered point's answer, 「详细」 gives the whole topic, 「法条」 the cited articles' own text from
``knowledge/laws/``, 「调解」 starts the dispute report about the topic. Any other message is a new
message, routed as usual (or, when the answer interrupted a rating offer, ``state["resume"]``, by
that conversation).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.disputes.flow import normalize as choice_text
from bot.matching.kb import MAX_REPLY_BYTES, Point, Topic
from bot.matching.questions import split as split_questions
from bot.wechat.context import LAW_ANSWER, Context
from bot.wechat.message import Message, is_text
from bot.wechat.replies import HandlerResult

if TYPE_CHECKING:
    from bot.texts import Texts

FLOW = "answered"
# The reply words, as villagers type them (punctuation, brackets and spaces are ignored).
DETAIL = frozenset({"详细", "详情", "完整说明", "看详细", "详细说明", "全文", "完整"})
LAWS = frozenset({"法条", "法律原文", "原文", "看法条", "法律条文", "条文"})
MEDIATE = frozenset({"调解", "请求调解", "要调解", "我要调解", "帮忙调解", "申请调解"})
MAX_LAWS_CHARS = 600  # about one phone screen and a half; also held to WeChat's 2048 bytes
MAX_ECHO_CHARS = 40  # of the other question, named back to the villager
MIN_QUOTE_CHARS = 40  # a quote cut shorter than this says nothing: leave it out instead
_IGNORED = re.compile(r"[\s「」『』“”\"'‘’。，,.!！?？~～、:：()（）【】\[\]]+")


def lead(topic: Topic, point: Point | None) -> str:
    """What the reply opens with: the point's answer, else the summary, else the whole topic."""
    if point is not None and point.answer.strip():
        return point.answer.strip()
    return topic.summary.strip() or topic.reply_text()


def short_reply(topic: Topic, point: Point | None, texts: Texts, options: Sequence[Point] = ()) -> str:
    """The short answer and the line of choices; with no point, the summary and the numbered
    ``options`` (pure: the benchmark measures exactly this)."""
    text = lead(topic, point)
    whole = text == topic.reply_text()
    if point is None and options and not whole:
        numbered = [f"{i}. {option.title}" for i, option in enumerate(options, 1)]
        text = "\n".join([text, texts.get("point_choice_header"), *numbered, texts.get("point_choice_footer")])
    return _fits(text, texts.get("answer_choices_more" if whole else "answer_choices"))


def answer(ctx: Context, topic_id: str, question: str = "") -> str:
    """The short answer to ``question`` about ``topic_id``; the next message may pick a choice.

    A message that asks several things (bot/matching/questions.py) is answered for the question the
    chosen point answers; the next question that another point or topic answers is named at the end
    and answered on 「接着问」."""
    topic = ctx.services.kb.topics[topic_id]
    ctx.count("faq", topic_id)
    ctx.reply_kind = LAW_ANSWER
    matcher = ctx.services.matcher
    point = matcher.match_point(topic_id, question) if question else None
    if point is None and question:  # several questions: the first that a point answers for sure
        point = next((p for part in split_questions(question) if (p := matcher.match_point(topic_id, part))), None)
    options = matcher.points.options(topic_id, matcher.analyse(question)) if question and point is None else ()
    other = other_question(ctx, topic_id, point, question)
    ctx.set_state(flow=FLOW, topic=topic_id, point=point.id if point else "",
                  **({"options": [p.id for p in options]} if options else {}), **({"more": list(other)} if other else {}))
    reply = short_reply(topic, point, ctx.texts, options)
    if not other:
        return reply
    both = _both(ctx, topic, point, other)
    if both is not None:  # two asked points, each answered, in one reply
        ctx.set_state(flow=FLOW, topic=topic_id, point=point.id if point else "")
        return both
    key = "answer_other_question" if other[1] else "answer_other_unknown"
    return _fits(reply, ctx.texts.get(key, question=other[0][:MAX_ECHO_CHARS]))


def _both(ctx: Context, topic: Topic, point: Point | None, other: tuple[str, ...]) -> str | None:
    """The answers to two asked points in one reply, when the first is a point's and the other
    question is answered by a point (of this topic or of the topic the matcher is sure of) and both
    fit one WeChat reply; else None (the other question is then offered)."""
    words, other_topic_id, point_id = (other + ("", "", ""))[:3]
    other_topic = ctx.services.kb.topics.get(other_topic_id)
    if point is None or other_topic is None:
        return None
    second = other_topic.point(point_id) if point_id else ctx.services.matcher.match_point(other_topic.id, words)
    if second is None or (other_topic.id == topic.id and second.id == point.id):
        return None
    title = second.title if other_topic.id == topic.id else f"{other_topic.title}·{second.title}"
    text = "\n".join([lead(topic, point), ctx.texts.get("answer_second", title=title, answer=second.answer.strip())])
    choices = ctx.texts.get("answer_choices")
    if len(f"{text}\n{choices}".encode()) > MAX_REPLY_BYTES:
        return None
    return f"{text}\n{choices}"


def other_question(ctx: Context, topic_id: str, point: Point | None, question: str) -> tuple[str, ...]:
    """(words, topic, point) of the first question of ``question`` (when it asks several) that this
    answer does not answer: another point of the same topic, or another topic the matcher is sure of."""
    parts = split_questions(question)
    if len(parts) < 2:
        return ()
    matcher = ctx.services.matcher
    answered = point.id if point is not None else None
    title = ctx.services.kb.topics[topic_id].title
    for part in parts:
        # A later question often leaves out what the first named (「民法典哪天施行的 一共有几编」):
        # read it with the topic's name too.
        own = matcher.match_point(topic_id, part) or matcher.match_point(topic_id, f"{title} {part}")
        if own is not None and own.id == answered:
            continue
        found = matcher.match(part)
        if found.intent == "faq" and found.topic and found.topic != topic_id and not found.ambiguous:
            return part, found.topic, ""  # another topic answers it
        if own is not None:
            return part, topic_id, own.id  # another point of this topic answers it
        if found.topic != topic_id:
            return part, "", ""  # nothing answers it reliably: a person may
    return ()


def follow_up(message: Message, ctx: Context) -> HandlerResult:
    """The message after an answer: 「详细」, 「法条」, 「调解」, or else a new message."""
    state = ctx.state or {}
    topic = ctx.services.kb.topics.get(state.get("topic") or "")
    said = message.content if is_text(message) else getattr(message, "recognition", "")
    word = _IGNORED.sub("", said or "")
    if topic is not None and word in DETAIL:
        ctx.set_state(**state)  # 「法条」 and 「调解」 still work after the details
        full = ctx.services.posts.with_related(topic.id, topic.reply_text(), ctx.now)
        return _fits(full, ctx.texts.get("answer_choices_more"))
    if topic is not None and word in LAWS:
        ctx.set_state(**state)
        return laws_reply(ctx, topic, topic.point(state.get("point") or ""))
    offered = topic.point(_offered(state, choice_text(said or ""))) if topic is not None else None
    if topic is not None and offered is not None:  # the number of an offered point: its answer
        ctx.set_state(flow=FLOW, topic=topic.id, point=offered.id)
        return short_reply(topic, offered, ctx.texts)
    more = state.get("more") or []
    if len(more) == 3 and more[1] in ctx.services.kb.topics and word in ctx.texts.get("answer_other_words").split():
        words, other_topic, point_id = (str(x) for x in more)
        ctx.count("faq", other_topic)
        chosen = ctx.services.kb.topics[other_topic]
        point = chosen.point(point_id) if point_id else ctx.services.matcher.match_point(other_topic, words)
        ctx.set_state(flow=FLOW, topic=other_topic, point=point.id if point else "")
        return short_reply(chosen, point, ctx.texts)
    if len(more) == 3 and not more[1] and word in ctx.texts.get("answer_handover_words").split():
        from handlers import consult

        offer = hashlib.sha256(str(more[0]).encode()).hexdigest()[:12]  # a retry makes no second ticket
        return consult.hand_over(ctx, str(more[0]), offer)
    if topic is not None and word in MEDIATE:
        from handlers import dispute

        ctx.clear_state()
        ctx.state = None
        return dispute.start(message, ctx, topic=topic.id)
    return ctx.resume_or_new(message, state.get("resume"))  # a rating offer the answer interrupted


def _offered(state: dict[str, object], number: str) -> str:
    """The id of the offered point whose number the villager sent (「2」, 「二」, 「第二个」), or ""."""
    options = state.get("options")
    if not isinstance(options, list) or not number.isdigit() or not 1 <= int(number) <= len(options):
        return ""
    return str(options[int(number) - 1])


def laws_reply(ctx: Context, topic: Topic, point: Point | None) -> str:
    """The cited articles' own words (the point's basis, else the topic's legal basis), each with
    the law's name and article number, cut to fit one WeChat reply."""
    citations = list(point.basis if point is not None and point.basis else topic.legal_basis)
    title = f"{topic.title}·{point.title}" if point is not None else topic.title
    lines = [ctx.texts.get("laws_header", topic=title)]
    shown = 0
    for citation in citations:
        quote = ctx.services.laws.quote(citation) if ctx.services.laws is not None else None
        if quote is None:
            entry = f"{citation.strip()}{ctx.texts.get('laws_missing')}"
        else:
            entry = f"《{quote.law}》{quote.label}：{quote.text}"
        room = MAX_LAWS_CHARS - len("\n".join(lines)) - 1
        room -= len(ctx.texts.get("laws_more", count=len(citations))) + 1 if shown + 1 < len(citations) else 0
        if len(entry) > room:
            if room < MIN_QUOTE_CHARS:
                break
            entry = _cut(entry, room, ctx.texts.get("laws_cut"))
        lines.append(entry)
        shown += 1
    if shown < len(citations):
        lines.append(ctx.texts.get("laws_more", count=len(citations) - shown))
    return _fits("\n".join(lines), "")


def _cut(text: str, room: int, mark: str) -> str:
    """``text`` cut to ``room`` characters, at the last sentence end that leaves half of it."""
    head = text[: room - len(mark)]
    end = max(head.rfind(p) for p in "。；;\n")
    if end >= len(head) // 2:
        head = head[: end + 1]
    return head + mark


def _fits(text: str, line: str) -> str:
    """``text`` and ``line`` when both fit WeChat's 2048 bytes; else ``text`` cut to fit."""
    if line and len(f"{text}\n{line}".encode()) <= MAX_REPLY_BYTES:
        return f"{text}\n{line}"
    while len(text.encode("utf-8")) > MAX_REPLY_BYTES:
        text = text[: len(text) - 10]
    return text
