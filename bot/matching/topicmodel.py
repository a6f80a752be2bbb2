"""The learned topic model beside the jieba ranker, and how the two combine (pure).

The ranker (bot/matching/ranking.py) scores topics by the words a message shares with each topic's
phrasings: precise when the villager uses the topic's words, weaker when two related topics share
them (庄稼 and 牲畜, 继承 and 赡养) or when the words are new to it. The topic model is the same
character n-gram classifier as the intent model (bot/matching/classifier.py), trained on every topic
and point phrasing, with everyday questions (``knowledge/dict/offtopic.txt`` and
``knowledge/intents/none.txt``) as a class of their own, so it knows "蛋糕怎么做" is nobody's topic.

``combine`` interpolates: each topic's score becomes

    (1 - LEARNED_SHARE) · ranker score  +  LEARNED_SHARE · p(topic)

over the topics the ranker found plus the model's few likeliest, so an unsure model (58 classes,
a vague "合同") lowers the score and the villager gets a menu rather than a guess. Two guards:
when the ranker finds no known word at all nothing is added (the model alone never invents a topic
for gibberish), and when the ranker is sure (``RANKER_SURE_AT``, the matcher's own "answer
whatever the margin" level) it is not overruled: the model's one weakness is a word that is common
in one topic's phrasings ("邻居的羊把我家麦子啃了" reads as a neighbours' quarrel to it).
``LEARNED_SHARE`` is chosen by cross-validation on the project's own phrasings
(``pufabot kb tune``, ``tune_share`` below), never on the dev sets; the guard costs nothing there.
Whether a message is everyday (the pseudo-topic) is decided by the matcher from the ranker's own
scores and the model's ``OFFTOPIC`` probability, not from the interpolated scores.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, replace

from bot.matching.classifier import TextModel, train
from bot.matching.kb import KnowledgeBase
from bot.matching.ranking import Analysed, Scored, TopicIndex

OFFTOPIC = "(offtopic)"  # the pseudo-topic of everyday questions, in the ranker and in the model
OUTSIDE = "(outside)"  # legal questions the topics do not cover (knowledge/dict/outside.txt), likewise
PSEUDO = frozenset({OFFTOPIC, OUTSIDE})  # entries of the ranking that are no topic to answer with
LEARNED_SHARE = 0.7  # best top-1 of ``tune_share`` (5 folds, 2026-12-04: 87.7% vs 78.1% ranker alone)
RANKER_SURE_AT = 0.70  # the matcher's SURE_AT: a ranker this sure is answered directly, not re-scored
MODEL_EXTRA = 3  # the model's likeliest topics join the ranker's candidates
MIN_DF = 2  # n-grams of one phrasing only are dropped (same accuracy, half the size)
SHARE_GRID = tuple(round(0.1 * i, 1) for i in range(11))


def topic_examples(kb: KnowledgeBase, everyday: Iterable[str], compact: Callable[[str], str],
                   outside: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """(texts, labels) of the topic model: topic and point phrasings, everyday questions, legal
    questions outside the topics."""
    rows = [(q, t.id) for t in kb.topics.values() for q in (*t.questions, *(q for p in t.points for q in p.questions))]
    return unique_examples([*rows, *((q, OFFTOPIC) for q in everyday), *((q, OUTSIDE) for q in outside)], compact)


def unique_examples(rows: Iterable[tuple[str, str]], compact: Callable[[str], str],
                    exclude: Set[str] = frozenset()) -> tuple[list[str], list[str]]:
    """(texts, labels) of (text, label) rows, compacted, without duplicates (first label wins) and
    without the compact texts of ``exclude``."""
    seen = set(exclude)
    texts: list[str] = []
    labels: list[str] = []
    for text, label in rows:
        key = compact(text)
        if key and key not in seen:
            seen.add(key)
            texts.append(key)
            labels.append(label)
    return texts, labels


def combine(ranked: Sequence[Scored], probs: Mapping[str, float], share: float = LEARNED_SHARE,
            trust_sure_ranker: bool = True) -> list[Scored]:
    """The ranker's topics re-scored with the model's probabilities, best first (see module doc)."""
    if not ranked or not probs or share <= 0 or (trust_sure_ranker and ranked[0].score >= RANKER_SURE_AT):
        return list(ranked)
    pool = {s.topic: s for s in ranked}
    for topic in sorted(probs, key=lambda t: -probs[t])[:MODEL_EXTRA]:
        pool.setdefault(topic, Scored(topic, 0.0, 0.0, 0.0, 0.0, 0.0))
    out = [replace(s, score=(1 - share) * s.score + share * probs.get(s.topic, 0.0)) for s in pool.values()]
    out.sort(key=lambda s: -s.score)
    return out


@dataclass(frozen=True)
class ShareFigures:
    share: float
    top1: float
    top3: float
    everyday_kept: float  # held-out everyday questions whose best entry is still the pseudo-topic


def held_out(
    questions: Sequence[tuple[str, str, Analysed]],
    always: Sequence[tuple[str, Analysed]],
    keywords: Mapping[str, Sequence[Analysed]],
    background: Sequence[tuple[str, Analysed]],
    generality: Callable[[str], float],
    extra: Sequence[tuple[str, str]],
    compact: Callable[[str], str],
    folds: int = 5,
    seed: int = 7,
) -> Iterator[tuple[str, list[Scored], dict[str, float]]]:
    """(label, ranker's ranking, model's probabilities) of every question, asked while held out.

    ``questions`` are the ranker's askable phrasings (topic, text, analysis): the topics' questions
    and the pseudo-topics' ones. In each fold a fifth of every label's questions is held out of both
    the ranker's index and the model's training, and asked. ``always`` (each topic's title with its
    keywords) stays in the index; ``extra`` are the model's other (text, label) examples (the
    points' phrasings, ``none.txt``), which always train unless they repeat a held-out question.
    """
    rng = random.Random(seed)
    fold_of = [0] * len(questions)
    by_topic: dict[str, list[int]] = {}
    for i, (topic, _, _) in enumerate(questions):
        by_topic.setdefault(topic, []).append(i)
    for indexes in by_topic.values():
        rng.shuffle(indexes)
        for n, i in enumerate(indexes):
            fold_of[i] = n % folds
    for fold in range(folds):
        held = [i for i in range(len(questions)) if fold_of[i] == fold]
        kept = [i for i in range(len(questions)) if fold_of[i] != fold]
        index = TopicIndex([*((questions[i][0], questions[i][2]) for i in kept), *always], keywords,
                           background, generality)
        held_texts = {compact(questions[i][1]) for i in held}
        rows = [*((questions[i][1], questions[i][0]) for i in kept), *extra]
        model: TextModel = train(*unique_examples(rows, compact, held_texts), min_df=MIN_DF)
        for i in held:
            topic, text, analysed = questions[i]
            yield topic, index.rank(analysed), model.proba(compact(text))


def tune_share(held: Iterable[tuple[str, list[Scored], Mapping[str, float]]]) -> list[ShareFigures]:
    """Top-1 and top-3 of ``combine`` for each share on the grid, over questions asked while held out
    (``held_out``: the model's examples are those of ``topic_examples``, less the held-out questions)."""
    hits = {share: [0, 0, 0, 0] for share in SHARE_GRID}  # top1, top3, pseudo-topic kept, pseudo asked
    asked = 0
    for topic, ranked, probs in held:
        asked += topic not in PSEUDO
        for share in SHARE_GRID:
            order = [s.topic for s in combine(ranked, probs, share)]
            row = hits[share]
            if topic in PSEUDO:
                row[3] += 1
                row[2] += bool(order) and order[0] == topic
            else:
                topics = [t for t in order if t not in PSEUDO]
                row[0] += bool(topics) and topics[0] == topic
                row[1] += topic in topics[:3]
    return [ShareFigures(share, row[0] / max(asked, 1), row[1] / max(asked, 1), row[2] / max(row[3], 1))
            for share, row in hits.items()]
