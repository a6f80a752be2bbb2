"""A message that asks two things: when a point answers each, both answers come in one reply (the
second after 「另外，…：」); when the second has no sure answer it is named and offered — 「接着问」
answers it when a topic does, 「转人工」 when nothing does (issues 20 and 21)."""

from __future__ import annotations

from typing import Any

REDIS_KINDS = ("single",)


def test_two_asked_points_are_both_answered_in_one_reply(villager: Any, services: Any) -> None:
    code = services.kb.topics["civil-code"]
    effective, structure = code.point("effective"), code.point("structure")
    reply = villager().say("民法典是哪天开始施行的 一共有几编").content
    assert effective is not None and structure is not None
    assert effective.answer.strip()[:15] in reply and structure.answer.strip()[:15] in reply
    assert "另外，" in reply and "接着问" not in reply
    assert len(reply.encode()) <= 2048


def test_two_questions_of_two_topics_are_answered_together_or_the_second_is_offered(
        villager: Any, services: Any) -> None:
    v = villager()
    first = v.say("离婚冷静期多少天 彩礼能要回来吗").content
    cooling = services.kb.topics["divorce"].point("cooling-off").answer.strip()[:20]
    if "另外，" in first:  # each answered by a point: both in this reply
        assert cooling in first and "彩礼" in first.split("另外，", 1)[1]
        return
    # Otherwise whichever question the matcher answers first, the other is named and answered on 「接着问」.
    if first.startswith(cooling):
        assert "您还问了“彩礼能要回来吗”" in first and "接着问" in first
        second, other_topic, other_words = v.say("接着问").content, "bride-price", "彩礼"
    else:
        assert "彩礼" in first.split("\n")[0] and "您还问了“离婚冷静期多少天”" in first
        second, other_topic, other_words = v.say("接着问").content, "divorce", cooling
    assert services.conversations.get(v.openid)["topic"] == other_topic
    assert other_words in second and "接着问" not in second


def test_one_question_gets_no_offer(villager: Any) -> None:
    reply = villager().say("离婚冷静期多少天").content
    assert "您还问了" not in reply and "另外，" not in reply


def test_anything_else_after_the_answer_is_a_new_message(villager: Any) -> None:
    v = villager()
    v.say("离婚冷静期多少天 彩礼能要回来吗")
    assert "12333" in v.say("老板跑了工钱不给咋整").content
