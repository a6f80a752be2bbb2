"""A message that asks two things: the answer says which it answers and offers the other, which
「接着问」 then answers; an other question nothing answers is offered to a person."""

from __future__ import annotations

from typing import Any

REDIS_KINDS = ("single",)


def test_the_second_question_is_named_and_answered_on_request(villager: Any, services: Any) -> None:
    v = villager()
    cooling = services.kb.topics["divorce"].point("cooling-off").answer.strip()[:20]
    bride_price = "彩礼"
    first = v.say("离婚冷静期多少天 彩礼能要回来吗").content
    # Whichever question the matcher answers first, the other is named and answered on 「接着问」.
    if first.startswith(cooling):
        assert "您还问了“彩礼能要回来吗”" in first and "接着问" in first
        second, other_topic, other_words = v.say("接着问").content, "bride-price", bride_price
    else:
        assert bride_price in first.split("\n")[0] and "您还问了“离婚冷静期多少天”" in first
        second, other_topic, other_words = v.say("接着问").content, "divorce", cooling
    assert services.conversations.get(v.openid)["topic"] == other_topic
    assert other_words in second and "接着问" not in second


def test_one_question_gets_no_offer(villager: Any) -> None:
    reply = villager().say("离婚冷静期多少天").content
    assert "您还问了" not in reply


def test_anything_else_after_the_offer_is_a_new_message(villager: Any) -> None:
    v = villager()
    v.say("离婚冷静期多少天 彩礼能要回来吗")
    assert "12333" in v.say("老板跑了工钱不给咋整").content
