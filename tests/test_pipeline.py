"""Each stage of the matcher on its own: normalise → intent → candidates → calibrate → decide."""

from __future__ import annotations

from typing import Any

import pytest

from bot.matching.calibration import evidence
from bot.matching.matcher import SURE_AT, Intent, Matcher
from bot.matching.questions import split


@pytest.fixture(scope="module")
def matcher(knowledge: tuple[Any, Any]) -> Matcher:
    return knowledge[1]


def test_normalise_folds_drops_numbers_and_finds_the_ticket(matcher: Matcher) -> None:
    said = matcher.normalise("ＪＦ20261124-0007 進度如何 電話13800000000")
    assert said.ticket_id == "JF20261124-0007"
    assert "13800000000" not in said.cleaned and "进度" in said.compact and " " not in said.compact
    assert sum(said.probs.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(("text", "name"), [
    ("有人在我家门口拿刀要砍我", "urgent"), ("查进度", "status"), ("谢谢", "chat"), ("五星好评", "rating"),
    ("我要反映 邻居占了我家的地", "report"), ("转人工", "human"),
])
def test_the_intent_stage_reads_what_the_villager_wants(matcher: Matcher, text: str, name: str) -> None:
    intent = matcher.read_intent(matcher.normalise(text))
    assert intent is not None and intent.name == name, intent


def test_a_legal_question_has_no_intent_of_its_own(matcher: Matcher) -> None:
    assert matcher.read_intent(matcher.normalise("离婚冷静期多少天")) is None


def test_a_yielding_intent_gives_way_to_a_sure_topic(matcher: Matcher) -> None:
    said = matcher.normalise("老板跑了工钱不给咋整")
    found = matcher.decide(Intent("human", 0.45, yields=True), said)
    assert found.intent == "faq" and found.topic == "wage-arrears" and found.score >= SURE_AT
    assert matcher.decide(Intent("human", 0.9), said).intent == "human"


def test_the_candidates_stage_ranks_pseudo_topics_apart(matcher: Matcher) -> None:
    said = matcher.normalise("公司股东要查账 公司不让查 股权怎么办")
    ranking = matcher._ranked(said.cleaned)
    assert ranking.outside > 0 and any(s.topic == "(outside)" for s in ranking.scored)
    found = matcher.decide(None, said)
    assert found.intent == "outside" and all(c.topic in matcher.kb.topics for c in found.candidates)


def test_decide_answers_offers_or_declines_by_the_calibrated_likelihood(matcher: Matcher) -> None:
    sure = matcher.decide(None, matcher.normalise("离婚冷静期多少天"))
    assert sure.intent == "faq" and not sure.ambiguous
    second = sure.candidates[1].score if len(sure.candidates) > 1 else 0.0
    assert sure.confidence == matcher.calibration.probability(evidence(sure.score, second))
    vague = matcher.decide(None, matcher.normalise("赔偿"))
    assert vague.ambiguous and len(vague.candidates) >= 2


@pytest.mark.parametrize(("text", "parts"), [
    ("罚款交了还要拘留吗 能分期交不", ["罚款交了还要拘留吗", "能分期交不"]),
    ("离婚冷静期多少天？孩子归谁？", ["离婚冷静期多少天", "孩子归谁"]),
    ("他骗了我三万块 报警了 钱能要回来吗", ["他骗了我三万块 报警了 钱能要回来吗"]),
    ("我家羊被咬死了。邻居的狗。怎么赔", ["我家羊被咬死了。邻居的狗。怎么赔"]),
    ("", []),
])
def test_several_questions_in_one_message_are_told_apart(text: str, parts: list[str]) -> None:
    assert split(text) == parts


@pytest.mark.parametrize("text", ["孩子的事", "钱的事"])
def test_a_subject_named_alone_is_never_brushed_off_as_everyday(matcher: Matcher, text: str) -> None:
    found = matcher.match(text)
    assert found.intent in ("faq", "none") and not (found.intent == "none" and found.confidence > 0), found
