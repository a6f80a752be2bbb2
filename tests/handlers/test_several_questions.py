"""A message that asks two things: the answer says which it answers and offers the other, which
「接着问」 then answers; an other question nothing answers is offered to a person."""

from __future__ import annotations

from typing import Any

REDIS_KINDS = ("single",)


def test_the_second_question_is_named_and_answered_on_request(villager: Any, services: Any) -> None:
    v = villager()
    first = v.say("离婚冷静期多少天 彩礼能要回来吗").content
    cooling = services.kb.topics["divorce"].point("cooling-off")
    assert first.startswith(cooling.answer.strip()[:20])
    assert "您还问了“彩礼能要回来吗”" in first and "接着问" in first
    second = v.say("接着问").content
    assert services.conversations.get(v.openid)["topic"] == "bride-price"
    assert "彩礼" in second and "接着问" not in second


def test_one_question_gets_no_offer(villager: Any) -> None:
    reply = villager().say("离婚冷静期多少天").content
    assert "您还问了" not in reply


def test_anything_else_after_the_offer_is_a_new_message(villager: Any) -> None:
    v = villager()
    v.say("离婚冷静期多少天 彩礼能要回来吗")
    assert "12333" in v.say("老板跑了工钱不给咋整").content
