"""A villager asks one thing about a topic through the real /wechat: the point written for that
question answers it, or, when no point is sure, the topic's summary and the choice of points
(「您想问的是：1. … 2. …」) — never a confident answer to another question. A number then gives the
chosen point's answer, and 「法条」 that point's articles."""

from __future__ import annotations

import re
from typing import Any

import pytest

REDIS_KINDS = ("single",)

HEADER = "您想问的是："

# The examples of issue 21, each phrased anew (none is a point's own question): (question, topic, point).
ASKED = [
    ("合作社租了我家二十亩地 欠了两年租子 我想把地要回来行不行", "land-transfer", "rent-unpaid"),
    ("爷爷的遗嘱被叔叔偷偷改了几个字 剩下的还有效吗", "will", "invalid"),
    ("不去县里 直接去北京上访可以吗", "petition", "skip-level"),
    ("村头养牛场的粪水排进小河了 该向谁反映", "environment", "livestock-waste"),
    ("禁毒日是在几月份", "anti-drug", "drug-day"),
    ("俺娘去世了没写遗嘱 兄弟说房子全归他 俺们当闺女的能分吗", "inheritance", "daughters-share"),
    ("在烧烤店干了四个月 老板一直拖着工钱不发", "wage-arrears", "boss-unpaid"),
    ("网上借了三千 利滚利要还一万五 催收的给我亲戚挨个打电话骂人", "online-loans", "harassment"),
    ("村委会说要把我家的承包地收回去分给别人", "land-contract", "take-back"),
    ("在小卖部买到过期的奶粉 能赔多少钱", "consumer-rights", "food"),
    ("骑摩托车跟小轿车撞了 对方说私下给两千了事", "traffic-accident", "at-scene"),
    ("老公吸毒被抓了 会关多久", "anti-drug", "drug-use"),
    ("有人出五百块一个月借我的银行卡用 能借吗", "telecom-fraud", "rent-card"),
    ("儿子被派出所刑拘了 家里啥时候能收到通知 能请律师去看他吗", "criminal-detention", "notice"),
    ("派出所民警当场罚了我两百块 我不服 能直接去法院告吗", "public-security-penalty", "appeal"),
]

# What the chosen point must say: the fact that changes what the villager does.
MUST_SAY = {
    "rent-unpaid": ["解除", "收回"], "livestock-waste": ["12369"], "drug-day": ["6月26日"],
    "daughters-share": ["有份", "平等"], "boss-unpaid": ["12333", "仲裁"], "harassment": ["110", "12378"],
    "take-back": ["不得收回"], "food": ["10倍", "1000元"], "at-scene": ["事故认定书"],
    "drug-use": ["社区戒毒", "强制隔离戒毒"], "rent-card": ["帮信罪"], "notice": ["24小时", "48小时"],
    "appeal": ["当场", "先在60日内申请行政复议", "不能直接起诉"], "invalid": ["改动的内容无效"],
    "skip-level": [],
}


def _offered(reply: str) -> list[str]:
    """The titles of the numbered choice, in order (empty when the reply is a point's answer)."""
    if HEADER not in reply:
        return []
    return re.findall(r"^\d\. (.+)$", reply.split(HEADER, 1)[1], flags=re.M)


def _answer(villager: Any, services: Any, question: str, topic_id: str, point_id: str) -> str:
    """What the villager reads about the asked point: the reply itself, or after picking its number."""
    v = villager()
    topic = services.kb.topics[topic_id]
    point = topic.point(point_id)
    assert point is not None, f"the knowledge base lost {topic_id}/{point_id}"
    reply = v.say(question).content
    others = [p for p in topic.points if p.id != point_id]
    assert not any(reply.startswith(p.answer.strip()) for p in others), f"another point answered: {reply}"
    if reply.startswith(point.answer.strip()):
        return reply
    offered = _offered(reply)
    assert reply.startswith(topic.summary.strip()) and point.title in offered, reply
    chosen = v.say(str(offered.index(point.title) + 1)).content
    assert chosen.startswith(point.answer.strip())
    return chosen


@pytest.mark.parametrize("question, topic, point", ASKED)
def test_the_asked_point_answers_or_is_offered_never_another_point(villager: Any, services: Any, question: str,
                                                                   topic: str, point: str) -> None:
    text = _answer(villager, services, question, topic, point)
    for fact in MUST_SAY[point]:
        assert fact in text, (fact, text)
    assert not re.match(r"^(不行|可以)。", text) or point in {"appeal"}, text


def test_a_number_picks_an_offered_point_and_laws_then_quote_that_point(villager: Any, services: Any) -> None:
    """A villager who regrets renting out the land asks nothing specific: the summary and the
    choice; 「第一个」 gives the first offered point, then 「法条」 quotes that point's own articles."""
    v = villager()
    reply = v.say("地流转给别人了 我后悔了").content
    topic = services.kb.topics["land-transfer"]
    offered = _offered(reply)
    assert 2 <= len(offered) <= 3 and reply.startswith(topic.summary.strip())
    assert reply.endswith("回复「详细」看完整说明 · 回复「法条」看法律原文 · 回复「调解」请村民说事室帮忙")
    assert len(reply.encode("utf-8")) <= 2048
    first = next(p for p in topic.points if p.title == offered[0])
    assert v.say("第一个").content.startswith(first.answer.strip())
    state = services.conversations.get(v.openid)
    assert state["topic"] == "land-transfer" and state["point"] == first.id and "options" not in state
    laws = v.say("法条").content
    quote = services.laws.quote(first.basis[0])
    assert quote is not None and quote.text[:20] in laws


@pytest.mark.parametrize("number", ["2", "二", "第二个", "２"])
def test_the_number_may_be_written_as_villagers_write_it(villager: Any, services: Any, number: str) -> None:
    v = villager()
    reply = v.say("行政诉讼").content  # the topic named alone: no point is sure, the choice lists its first points
    offered = _offered(reply)
    topic = services.kb.topics["administrative-litigation"]
    assert reply.startswith(topic.summary.strip()) and len(offered) == 3
    second = next(p for p in topic.points if p.title == offered[1])
    assert v.say(number).content.startswith(second.answer.strip())


@pytest.mark.parametrize("after", ["7", "0", "你好"])
def test_a_number_that_is_not_offered_is_a_new_message(villager: Any, services: Any, after: str) -> None:
    v = villager()
    assert _offered(v.say("行政诉讼").content)
    reply = v.say(after).content
    assert HEADER not in reply and reply and "Traceback" not in reply
    topic = services.kb.topics["administrative-litigation"]
    assert not any(reply.startswith(p.answer.strip()) for p in topic.points)
