"""Pick the point of a matched topic that answers the question asked (pure: no Flask, no redis).

Once the matcher has chosen a topic, the villager usually asked one specific thing about it
(期限, 去哪办, 要多少钱...). Each topic's points get a small ``TopicIndex`` of their own, whose
"topics" are the point ids and whose phrasings are each point's questions and its title with its
keywords (the point's answer is reference text: its words stop counting as unknown, nothing more).
The best point is chosen when it scores at least ``POINT_AT`` and leads the next point by
``POINT_MARGIN``: a point answers only the question it was written for. Otherwise no point is sure,
and the reply is the topic's summary with the choice of its likeliest points (``options``, at most
``MENU_SIZE``), which the villager picks with a number: one more message, never a confident answer
to another question (a 「不行」 that answers another point tells the villager the opposite of the law).

The two thresholds were tuned with ``tune`` on the project's own point phrasings, held out one at
a time (leave-one-out: each question of each point is ranked against an index built without it),
with the point questions of each topic's related topics as questions no point of it should take.
Never on the held-out dev sets. ``held_out`` gives the same split to the benchmark and the tests.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import MappingProxyType

from bot.matching.kb import KnowledgeBase, Point, Topic
from bot.matching.ranking import Analysed, Blend, Scored, TopicIndex

# Chosen on the leave-one-out figures (see the module docstring) of the knowledge base of 2026-12-08
# (58 topics, about 3,000 point questions and 9,300 related-topic ones), with the choice of points
# as the fallback: the least strict threshold at which held-out questions get another point under
# 1 % of the time (0.42 gave 2.4 %) and related topics' questions get a point under 5 % (13 %);
# ``tune`` chooses 0.59 on the same rows, at a cost within 0.01. benchmarks/matcher.py prints the
# figures for the current data and what ``tune`` would choose on it.
POINT_AT = 0.56
POINT_MARGIN = 0.04
MENU_SIZE = 3  # points offered when none is sure: a phone screen with the summary
# The topic blend, except that words of a point's answer earn a little credit (better held-out
# top-1 on the point questions: 77% against 75%).
POINT_BLEND = Blend(background=0.3)
# A wrong point misleads; no point falls back to the (correct, less specific) summary and the
# choice of points: one more message when the asked point is offered, a miss when it is not.
MISSED_COST = 0.5
MENU_COST = 0.1
# Questions about a related topic reach a topic's points only when the topic matcher erred, so they
# count for less than the questions the points were written for.
NEGATIVE_WEIGHT = 0.5

Analyse = Callable[[str], Analysed]


@dataclass(frozen=True)
class HeldOut:
    """One question ranked against the points of a topic, with the point it belongs to (or None)."""

    topic: str
    question: str
    expected: str | None  # the point the question was written for; None: no point should take it
    ranked: tuple[Scored, ...]

    def choice(self, at: float = POINT_AT, margin: float = POINT_MARGIN) -> str | None:
        return decide(self.ranked, at, margin)

    def offered(self, size: int = MENU_SIZE) -> tuple[str, ...]:
        """The point ids the choice lists when no point is sure (those with evidence, best first)."""
        return tuple(s.topic for s in self.ranked if s.score > 0)[:size]


class PointIndex:
    """One small index per topic over its points; built once, then only read (thread-safe)."""

    def __init__(self, kb: KnowledgeBase, analyse: Analyse, generality: Callable[[str], float],
                 at: float = POINT_AT, margin: float = POINT_MARGIN) -> None:
        self.at = at
        self.margin = margin
        self._analyse = analyse
        self._generality = generality
        self._points = MappingProxyType({t.id: {p.id: p for p in t.points} for t in kb.topics.values()})
        self._indexes = MappingProxyType(
            {t.id: self._index(t) for t in kb.topics.values() if t.points}
        )

    def _index(self, topic: Topic, leave_out: tuple[str, str] | None = None) -> TopicIndex:
        """The index of ``topic``'s points, without the (point id, question) ``leave_out``."""
        phrasings: list[tuple[str, Analysed]] = []
        keywords: dict[str, list[Analysed]] = {}
        for point in topic.points:
            texts = [q for q in point.questions if (point.id, q) != leave_out]
            texts.append(point.title + " " + " ".join(point.keywords))
            phrasings += [(point.id, self._analyse(t)) for t in texts]
            keywords[point.id] = [self._analyse(k) for k in point.keywords]
        background = [(p.id, self._analyse(p.answer)) for p in topic.points]
        return TopicIndex(phrasings, keywords, background, self._generality, POINT_BLEND)

    def rank(self, topic_id: str, query: Analysed) -> list[Scored]:
        index = self._indexes.get(topic_id)
        return index.rank(query) if index is not None else []

    def choose(self, topic_id: str, query: Analysed) -> Point | None:
        """The point of ``topic_id`` that answers ``query``, or None when none clearly does."""
        chosen = decide(self.rank(topic_id, query), self.at, self.margin)
        return self._points.get(topic_id, {}).get(chosen) if chosen else None

    def options(self, topic_id: str, query: Analysed, size: int = MENU_SIZE) -> tuple[Point, ...]:
        """The points to offer when none clearly answers ``query``: those the query has evidence
        for, best first, then the topic's first points in file order; ``size`` at most."""
        points = self._points.get(topic_id, {})
        ranked = [s.topic for s in self.rank(topic_id, query) if s.score > 0]
        return tuple(points[i] for i in dict.fromkeys([*ranked, *points]) if i in points)[:size]

    def held_out(self, kb: KnowledgeBase, topics: Iterable[str] | None = None) -> list[HeldOut]:
        """Leave-one-out over every point question, plus related topics' point questions as
        negatives; over every topic with points, or only ``topics``."""
        rows: list[HeldOut] = []
        chosen = set(topics) if topics is not None else set(kb.topics)
        for topic in kb.topics.values():
            if not topic.points or topic.id not in chosen:
                continue
            for point in topic.points:
                for question in point.questions:
                    index = self._index(topic, (point.id, question))
                    rows.append(HeldOut(topic.id, question, point.id, tuple(index.rank(self._analyse(question)))))
            own = {q for p in topic.points for q in p.questions}
            for question in _related_questions(kb, topic, own):
                rows.append(HeldOut(topic.id, question, None, tuple(self.rank(topic.id, self._analyse(question)))))
        return rows


def decide(ranked: Iterable[Scored], at: float, margin: float) -> str | None:
    """The best point id when it scores ``at`` or more and leads the second by ``margin``."""
    best = list(ranked)[:2]
    if not best or best[0].score < at:
        return None
    if len(best) > 1 and best[0].score - best[1].score < margin:
        return None
    return best[0].topic


def cost(rows: Iterable[HeldOut], at: float, margin: float) -> float:
    """Wrong points per question to answer, plus choices that offer the asked point at
    ``MENU_COST`` and those that do not at ``MISSED_COST``, plus points given to questions no point
    should take (per such question): lower is better."""
    wrong = offered = missed = taken = positives = negatives = 0
    for row in rows:
        chosen = row.choice(at, margin)
        if row.expected is None:
            negatives += 1
            taken += chosen is not None
        else:
            positives += 1
            wrong += chosen is not None and chosen != row.expected
            if chosen is None:
                offered += row.expected in row.offered()
                missed += row.expected not in row.offered()
    return ((wrong + MENU_COST * offered + MISSED_COST * missed) / max(positives, 1)
            + NEGATIVE_WEIGHT * taken / max(negatives, 1))


def tune(rows: list[HeldOut]) -> tuple[float, float]:
    """The (POINT_AT, POINT_MARGIN) of least ``cost`` on a grid (ties: the stricter threshold)."""
    grid = [(at / 100, margin / 100) for at in range(5, 81) for margin in range(0, 21)]
    return min(grid, key=lambda pair: (round(cost(rows, *pair), 6), -pair[0], -pair[1]))


def _related_questions(kb: KnowledgeBase, topic: Topic, own: set[str]) -> list[str]:
    questions: list[str] = []
    for related_id in topic.related:
        related = kb.topics.get(related_id)
        if related is not None:
            questions += [q for p in related.points for q in p.questions if q not in own]
    return questions

