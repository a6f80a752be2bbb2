"""The matcher's score made a probability on held-out questions, and the decisions it drives."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from bot.matching.calibration import Calibration, reliability
from bot.matching.matcher import ANSWER_P, PLAUSIBLE_P, Matcher


@pytest.fixture(scope="module")
def matcher(knowledge: tuple[Any, Any]) -> Matcher:
    return knowledge[1]


def test_the_fit_is_monotone_and_matches_how_often_answers_were_right() -> None:
    rng = random.Random(3)
    pairs = []
    for _ in range(2000):
        score = rng.random()
        pairs.append((score, rng.random() < score))  # right with probability = score
    fitted = Calibration.fit(pairs)
    assert list(fitted.values) == sorted(fitted.values)
    for band in reliability([(s, fitted.probability(s), r) for s, r in pairs]):
        assert abs(band.accuracy - band.mean_probability) < 0.08, band
    assert fitted.probability(0.05) < 0.2 and fitted.probability(0.95) > 0.8


def test_a_table_round_trips_and_a_broken_one_is_the_identity(tmp_path: Path) -> None:
    fitted = Calibration((0.0, 0.2, 0.4), (0.05, 0.5, 0.9))
    path = tmp_path / "calibration.tsv"
    path.write_text(fitted.dump(), encoding="utf-8")
    assert Calibration.load(path) == fitted
    assert Calibration.load(path).probability(0.3) == 0.5
    path.write_text("0.5\t0.9\n0.1\tnot a number\n", encoding="utf-8")
    assert Calibration.load(path) == Calibration.identity()
    assert Calibration.load(tmp_path / "missing.tsv").probability(0.42) == 0.42


def test_the_shipped_table_says_low_scores_are_seldom_right(matcher: Matcher) -> None:
    likely = matcher.calibration.probability
    assert likely(0.05) < 0.05, "a topic at 0.05 must never be answered"
    assert likely(0.9) >= ANSWER_P
    assert PLAUSIBLE_P < ANSWER_P


# Written for these tests: legal questions none of the 58 topics answers, and covered ones.
OUTSIDE = ["公司的股东不给我分红 我持股百分之十 能查公司的账吗",
           "在县城买的期房 开发商延期交房一年了 违约金怎么算",
           "住房公积金离职了能全部取出来吗",
           "我在网上开的店被平台扣了五千保证金 说我违规 我去哪里申诉"]
COVERED = [("老板跑了工钱不给咋整", "wage-arrears"), ("离婚冷静期多少天", "divorce"),
           ("邻居的羊把我家麦子啃了", "crop-damage")]


@pytest.mark.parametrize("text", OUTSIDE)
def test_a_legal_question_outside_the_topics_gets_no_topic(matcher: Matcher, text: str) -> None:
    found = matcher.match(text)
    assert found.topic is None and found.intent in ("outside", "none"), found


@pytest.mark.parametrize(("text", "topic"), COVERED)
def test_covered_questions_are_still_answered(matcher: Matcher, text: str, topic: str) -> None:
    found = matcher.match(text)
    assert (found.intent, found.topic, found.ambiguous) == ("faq", topic, False), found


def test_a_menu_lists_only_plausible_candidates(matcher: Matcher) -> None:
    for text in ("赔偿", "合同", "房子的事", "孩子上学的事"):
        found = matcher.match(text)
        if found.ambiguous:
            best = found.candidates[0].score
            assert all(c.score >= best * 0.5 for c in found.candidates), found
