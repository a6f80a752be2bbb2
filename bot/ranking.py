"""Topic ranking over analysed text (pure: no jieba here, no Flask, no redis).

Four signals per topic, each in 0..1, blended into one score:

- ``phrase``: BM25 of the query against each phrasing of the topic (its questions, and its title
  with its keywords), best phrasing wins, divided by what a perfect phrasing would score. BM25
  rewards rare words shared with one concrete way of asking.
- ``cover``: how much of the query (idf-weighted over topics) the topic's whole vocabulary
  explains. Words that no topic knows ("天气", "拉稀") keep this low, which is what rejects
  off-topic questions.
- ``gram``: the same coverage over character bigrams, for typos and words the dictionaries split.
- ``keyword``: a keyword of the topic occurs in the query.

The index is built once and only read afterwards, so one instance serves every thread.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

K1 = 1.2
B = 0.75
WEIGHTS = {"phrase": 0.40, "cover": 0.30, "gram": 0.15, "keyword": 0.15}
PARTIAL = 0.6  # credit for a word only known through a shorter word inside it


@dataclass(frozen=True)
class Analysed:
    """One text after normalisation, tokenisation, synonyms and stop words."""

    tokens: tuple[str, ...]  # content tokens, canonical
    parts: Mapping[str, tuple[str, ...]]  # token → known shorter words inside it
    bigrams: frozenset[str]
    compact: str  # the content tokens joined, for keyword search

    @property
    def expanded(self) -> set[str]:
        words = set(self.tokens)
        for inner in self.parts.values():
            words.update(inner)
        return words


@dataclass(frozen=True)
class Scored:
    topic: str
    score: float
    phrase: float
    cover: float
    gram: float
    keyword: float


class TopicIndex:
    """Inverted indexes over the phrasings, vocabularies, bigrams and keywords of every topic."""

    def __init__(
        self,
        phrasings: Sequence[tuple[str, Analysed]],
        keywords: Mapping[str, Sequence[Analysed]],
    ) -> None:
        self.topics = tuple(dict.fromkeys(topic for topic, _ in phrasings))
        self._doc_topic = tuple(topic for topic, _ in phrasings)
        self._postings = _bm25_postings([doc.expanded for _, doc in phrasings])
        self._doc_idf = {t: idf for t, (idf, _) in self._postings.items()}
        self._postings_only = {t: post for t, (_, post) in self._postings.items()}
        self._max_doc_idf = math.log(1 + (len(phrasings) + 0.5) / 0.5)
        vocab: dict[str, set[str]] = defaultdict(set)
        grams: dict[str, set[str]] = defaultdict(set)
        for topic, doc in phrasings:
            for word in doc.expanded:
                vocab[word].add(topic)
            for gram in doc.bigrams:
                grams[gram].add(topic)
        n = len(self.topics)
        self._vocab = {w: frozenset(ts) for w, ts in vocab.items()}
        self._word_weight = {w: math.log(1 + n / len(ts)) for w, ts in vocab.items()}
        self._grams = {g: frozenset(ts) for g, ts in grams.items()}
        self._gram_weight = {g: math.log(1 + n / len(ts)) for g, ts in grams.items()}
        self._unknown_weight = math.log(1 + n)
        self._keywords = _keyword_table(keywords, n)

    def known(self, word: str) -> bool:
        return word in self._vocab

    def rank(self, query: Analysed) -> list[Scored]:
        """Every topic with any evidence, best first."""
        if not query.tokens:
            return []
        phrase = self._phrase(query)
        cover = self._cover(query)
        gram = self._gram(query)
        keyword = self._keyword(query)
        scored = []
        for topic in set(phrase) | set(cover) | set(gram) | set(keyword):
            p, c, g, k = phrase.get(topic, 0.0), cover.get(topic, 0.0), gram.get(topic, 0.0), keyword.get(topic, 0.0)
            score = WEIGHTS["phrase"] * p + WEIGHTS["cover"] * c + WEIGHTS["gram"] * g + WEIGHTS["keyword"] * k
            scored.append(Scored(topic, score, p, c, g, k))
        scored.sort(key=lambda s: (-s.score, s.topic))
        return scored

    def _phrase(self, query: Analysed) -> dict[str, float]:
        words = query.expanded
        acc: dict[int, float] = defaultdict(float)
        ideal = 0.0
        for word in words:
            posting = self._postings_only.get(word)
            if posting is None:
                ideal += self._max_doc_idf * (0.5 if len(word) == 1 else 1.0)
                continue
            ideal += self._doc_idf[word]
            for doc, weight in posting:
                acc[doc] += weight
        best: dict[str, float] = {}
        for doc, value in acc.items():
            topic = self._doc_topic[doc]
            if value > best.get(topic, 0.0):
                best[topic] = value
        return {topic: min(1.0, value / ideal) for topic, value in best.items()}

    def _cover(self, query: Analysed) -> dict[str, float]:
        acc: dict[str, float] = defaultdict(float)
        total = 0.0
        for word in dict.fromkeys(query.tokens):
            topics = self._vocab.get(word)
            if topics is not None:
                weight = self._word_weight[word]
                for topic in topics:
                    acc[topic] += weight
            else:
                weight = self._unknown_weight * (0.5 if len(word) == 1 else 1.0)
                partial: set[str] = set()
                for inner in query.parts.get(word, ()):
                    partial.update(self._vocab.get(inner, ()))
                for topic in partial:
                    acc[topic] += PARTIAL * weight
            total += weight
        return {topic: value / total for topic, value in acc.items()} if total else {}

    def _gram(self, query: Analysed) -> dict[str, float]:
        acc: dict[str, float] = defaultdict(float)
        total = 0.0
        for gram in query.bigrams:
            topics = self._grams.get(gram)
            weight = self._gram_weight[gram] if topics is not None else self._unknown_weight
            total += weight
            for topic in topics or ():
                acc[topic] += weight
        return {topic: value / total for topic, value in acc.items()} if total else {}

    def _keyword(self, query: Analysed) -> dict[str, float]:
        found: dict[str, float] = {}
        text = query.compact
        for phrase, topics, weight in self._keywords:
            if phrase in text:
                for topic in topics:
                    if weight > found.get(topic, 0.0):
                        found[topic] = weight
        return found


def _bm25_postings(docs: list[set[str]]) -> dict[str, tuple[float, list[tuple[int, float]]]]:
    """word → (idf, [(doc, BM25 term weight)]) with tf = 1 (phrasings rarely repeat a word)."""
    n = len(docs)
    avgdl = sum(len(d) for d in docs) / n if n else 1.0
    df: dict[str, int] = defaultdict(int)
    for doc in docs:
        for word in doc:
            df[word] += 1
    postings: dict[str, tuple[float, list[tuple[int, float]]]] = {}
    for word, count in df.items():
        idf = math.log(1 + (n - count + 0.5) / (count + 0.5))
        postings[word] = (idf, [])
    for i, doc in enumerate(docs):
        norm = K1 * (1 - B + B * len(doc) / avgdl)
        for word in doc:
            idf, posting = postings[word]
            posting.append((i, idf * (K1 + 1) / (1 + norm)))
    return postings


def _keyword_table(
    keywords: Mapping[str, Sequence[Analysed]], n_topics: int
) -> tuple[tuple[str, frozenset[str], float], ...]:
    """(compact keyword, topics having it, specificity 0..1); keywords of one character are skipped."""
    owners: dict[str, set[str]] = defaultdict(set)
    for topic, analysed in keywords.items():
        for kw in analysed:
            if len(kw.compact) >= 2:
                owners[kw.compact].add(topic)
    top = math.log(1 + n_topics) if n_topics else 1.0
    return tuple(
        (phrase, frozenset(topics), math.log(1 + n_topics / len(topics)) / top)
        for phrase, topics in sorted(owners.items(), key=lambda item: -len(item[0]))
    )


def top_topics(scored: Iterable[Scored], limit: int = 3) -> list[Scored]:
    return list(scored)[:limit]
