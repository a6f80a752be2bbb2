"""The learned topic model beside the jieba ranker: how their scores combine, and that together they
find more topics than the ranker alone on questions neither has seen (the project's own, held out)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.matching.matcher import Matcher
from bot.matching.ranking import Scored
from bot.matching.topicmodel import LEARNED_SHARE, OFFTOPIC, RANKER_SURE_AT, combine, held_out, tune_share


def scored(topic: str, score: float) -> Scored:
    return Scored(topic, score, 0.0, 0.0, 0.0, 0.0)


def test_a_confident_model_reorders_topics_the_ranker_could_not_tell_apart() -> None:
    ranked = [scored("crop-damage", 0.56), scored("animal-damage", 0.45), scored("grassland", 0.45)]
    probs = {"crop-damage": 0.10, "animal-damage": 0.80, "grassland": 0.05, OFFTOPIC: 0.05}
    out = combine(ranked, probs)
    assert [s.topic for s in out[:2]] == ["animal-damage", "crop-damage"]
    assert out[0].score == pytest.approx((1 - LEARNED_SHARE) * 0.45 + LEARNED_SHARE * 0.80)


def test_a_sure_ranker_is_not_overruled() -> None:
    ranked = [scored("crop-damage", RANKER_SURE_AT + 0.1), scored("neighbor-relations", 0.39)]
    probs = {"crop-damage": 0.2, "neighbor-relations": 0.7}
    assert combine(ranked, probs) == ranked


def test_the_model_alone_never_invents_a_topic() -> None:
    assert combine([], {"divorce": 0.99}) == []


def test_the_models_likeliest_topics_join_the_candidates() -> None:
    ranked = [scored("litigation-basics", 0.33), scored("petition", 0.25)]
    probs = {"limitation-period": 0.6, "litigation-basics": 0.2, "petition": 0.1, "divorce": 0.1}
    out = combine(ranked, probs)
    assert out[0].topic == "limitation-period"
    assert {s.topic for s in out} >= {"limitation-period", "litigation-basics", "petition"}


def test_an_unsure_model_lowers_the_score_so_the_villager_gets_a_menu(matcher: Matcher) -> None:
    found = matcher.match("合同")
    assert found.intent == "faq" and found.ambiguous and len(found.candidates) >= 2


@pytest.fixture(scope="module")
def matcher(knowledge: tuple[Any, Any]) -> Matcher:
    return knowledge[1]


@pytest.mark.slow
@pytest.mark.timeout(600)  # three folds of the topic model on every phrasing (about a minute per fold on CI)
def test_ranker_and_model_together_beat_the_ranker_alone_on_held_out_questions(matcher: Matcher) -> None:
    corpus = matcher.corpus
    assert corpus is not None and len(corpus.questions) > 1000
    figures = {f.share: f for f in tune_share(held_out(
        corpus.questions, corpus.always, corpus.keywords, corpus.background, matcher.analyser.generality,
        corpus.model_extra, matcher.compact, folds=3))}
    alone, together = figures[0.0], figures[LEARNED_SHARE]
    assert together.top1 >= alone.top1 + 0.04, (alone, together)
    assert together.top3 >= alone.top3, (alone, together)
    assert together.everyday_kept >= alone.everyday_kept
