"""A villager asks one specific thing through the real /wechat and gets the short answer to it;
「详细」, 「法条」 and 「调解」 then work in the next message, and anything else is a new message."""

from __future__ import annotations

from typing import Any

import pytest

from bot.dev import wire
from bot.matching.laws import parse_citation
from bot.wechat.context import Context
from handlers import answers

REDIS_KINDS = ("single",)

DEADLINE_Q = "告政府的期限是多久 过了半年还能告不"
CHOICES = "回复「详细」看完整说明 · 回复「法条」看法律原文 · 回复「调解」请村民说事室帮忙"


def _point(services: Any, topic: str, point: str) -> Any:
    found = services.kb.topics[topic].point(point)
    assert found is not None, f"the knowledge base lost {topic}/{point}"
    return found


def test_a_specific_question_gets_its_short_answer_first_then_the_choices(villager: Any, services: Any) -> None:
    v = villager()
    reply = v.say(DEADLINE_Q).content
    deadline = _point(services, "administrative-litigation", "deadline")
    assert reply.startswith(deadline.answer.strip())  # the asked fact opens the reply
    assert reply.endswith(CHOICES) and reply.count("\n") == 1
    assert len(reply) <= 220 and "【" not in reply
    state = services.conversations.get(v.openid)
    assert state == {"flow": "answered", "topic": "administrative-litigation", "point": "deadline"}


def test_detail_gives_the_whole_topic(villager: Any, services: Any) -> None:
    v = villager()
    v.say(DEADLINE_Q)
    detail = v.say("详细").content
    topic = services.kb.topics["administrative-litigation"]
    assert detail.startswith(topic.reply_text()) and "依据" in detail and "下一步" in detail
    assert len(detail.encode("utf-8")) <= 2048
    assert "《中华人民共和国行政诉讼法》第46条" in v.say("「法条」").content  # still works after 「详细」


def test_laws_gives_the_cited_articles_own_words(villager: Any, services: Any) -> None:
    v = villager()
    v.say(DEADLINE_Q)
    text = v.say("法条").content
    first = _point(services, "administrative-litigation", "deadline").basis[0]
    quote = services.laws.quote(first)
    assert quote is not None, f"{first} has no text in knowledge/laws/"
    assert f"《{quote.law}》{quote.label}：" in text and quote.text[:30] in text
    assert len(text) <= answers.MAX_LAWS_CHARS and len(text.encode("utf-8")) <= 2048


def test_mediate_starts_the_report_about_that_topic(villager: Any, services: Any) -> None:
    v = villager()
    assert "12333" in v.say("老板跑了工钱不给咋整").content
    reply = v.say("调解").content
    assert "您是哪个村的" in reply  # the topic already told the kind of dispute (wages)
    state = services.conversations.get(v.openid)
    assert state["flow"] == "report" and state["draft"]["topic"] == "wage-arrears"
    assert state["draft"]["kind"] == "wages"


@pytest.mark.parametrize("after, expected", [("你好", "有法律问题请直接说"), ("包工头欠我工钱不给", "12333"),
                                             ("1", "没有待评价的事项")])
def test_any_other_message_after_an_answer_is_a_new_message(villager: Any, services: Any, after: str,
                                                            expected: str) -> None:
    v = villager()
    v.say(DEADLINE_Q)
    assert expected in v.say(after).content
    if after == "你好":
        assert services.conversations.get(v.openid) is None


def test_a_spoken_detail_works_like_a_typed_one(villager: Any) -> None:
    v = villager()
    v.say(DEADLINE_Q)
    assert "【行政诉讼】" in v.voice("VOICE_1", recognition="详细。").content


def test_choosing_a_number_answers_the_question_asked_before(villager: Any, services: Any) -> None:
    v = villager()
    services.conversations.set(v.openid, {"flow": "choose", "options": ["administrative-reconsideration",
                                                                         "administrative-litigation"],
                                          "q": DEADLINE_Q})
    reply = v.say("2").content
    assert reply.startswith(_point(services, "administrative-litigation", "deadline").answer.strip())


def test_a_question_no_point_fits_gets_the_summary(villager: Any, services: Any) -> None:
    v = villager()
    reply = v.say("行政诉讼").content
    topic = services.kb.topics["administrative-litigation"]
    assert reply.startswith(topic.summary.strip()) and reply.endswith(CHOICES)
    assert services.conversations.get(v.openid)["point"] == ""


def test_a_topic_without_points_or_summary_falls_back_to_the_whole_answer(services: Any) -> None:
    """While the data is mid-edit: no point, no summary → the whole topic, and no 「详细」 offered."""
    topic = next(iter(services.kb.topics.values()))
    bare = type(topic)(**{**topic.__dict__, "summary": "", "points": ()})
    reply = answers.short_reply(bare, None, services.texts)
    assert reply.startswith(bare.reply_text()) and "「详细」" not in reply and "「法条」" in reply


def test_every_laws_reply_fits_one_wechat_message_and_names_law_and_article(services: Any) -> None:
    for topic in services.kb.topics.values():
        for point in (None, *topic.points):
            ctx = Context(wire.fake_openid(), services)
            text = answers.laws_reply(ctx, topic, point)
            assert len(text) <= answers.MAX_LAWS_CHARS, (topic.id, point and point.id)
            assert len(text.encode("utf-8")) <= 2048
            basis = point.basis if point is not None else topic.legal_basis
            cited = parse_citation(basis[0])
            if cited is not None and services.laws.quote(basis[0]) is not None:
                assert f"《{services.laws.quote(basis[0]).law}》{cited.label}" in text


def test_unknown_state_topic_is_a_new_message(villager: Any, services: Any) -> None:
    v = villager()
    services.conversations.set(v.openid, {"flow": "answered", "topic": "no-such-topic", "point": ""})
    assert v.say("详细").content == villager().say("详细").content  # as if nothing had been asked


def test_a_rating_offer_survives_a_question_and_its_details(villager: Any, services: Any) -> None:
    v = villager()
    services.conversations.set(v.openid, {"flow": "rating", "ticket": "T-NOPE"})
    assert v.say(DEADLINE_Q).content.endswith(CHOICES)
    assert "【行政诉讼】" in v.say("详细").content
    assert services.conversations.get(v.openid)["resume"] == {"flow": "rating", "ticket": "T-NOPE"}
    assert "谢谢" in v.say("很满意").content  # the rating flow takes the next message
