"""Topic ranking over analysed text (pure: no jieba here, no Flask, no redis).

Four signals per topic, each in 0..1, blended into one score:

- ``phrase``: BM25 of the query against each phrasing of the topic (its questions, and its title
  with its keywords), best phrasing wins, divided by what a perfect phrasing would score. BM25
  rewards rare words shared with one concrete way of asking.
- ``cover``: how much of the query (idf-weighted over topics) the topic's whole vocabulary
  explains. Words that no topic knows ("天气", "拉稀") keep this low. (Everyday questions are
  also indexed as a pseudo-topic by the matcher, so they have a topic of their own to win.)
- ``gram``: the same coverage over character bigrams, for typos and words the dictionaries split.
- ``keyword``: a keyword of the topic occurs in the query.

Query words are weighted by idf over topics times their rarity in general Chinese (jieba's
frequencies), so "做", "吃", "钱" count little. The blend is then scaled by an evidence factor
(how much weighted vocabulary actually matched), which keeps vague or everyday messages low.

The index is built once and only read afterwards, so one instance serves every thread.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

K1 = 1.2
B = 0.75
SECOND_PHRASING = 0.3  # chosen on held-out questions written for the purpose (not the topics, not dev)
PARTIAL = 0.6  # credit for a word only known through a shorter word inside it


@dataclass(frozen=True)
class Blend:
    """How the signals combine; tuned on the topics' own phrasings and hand-written questions."""

    phrase: float = 0.30
    cover: float = 0.10
    gram: float = 0.30
    keyword: float = 0.20
    evidence_full: float = 5.0  # weighted matched words at which the evidence factor reaches 1
    evidence_share: float = 0.4  # how much of the score the evidence factor can take away
    unknown: float = 0.2  # weight of a word no topic knows, relative to the rarest known word
    # Credit for a word found only in a topic's reference text (answer, scope note). Zero: such
    # words then only stop counting as unknown, which tuned better than giving them credit.
    background: float = 0.0


BLEND = Blend()


@dataclass(frozen=True)
class Analysed:
    """One text after normalisation, tokenisation, synonyms and stop words."""

    tokens: tuple[str, ...]  # content tokens, canonical
    parts: Mapping[str, tuple[str, ...]]  # token → known shorter words inside it
    bigrams: frozenset[str]
    compact: str  # the content tokens joined, for keyword search

    def followed_by(self, other: Analysed) -> Analysed:
        """The analysis of this text, a space, then ``other``'s text: a space ends every word and
        every sound-alike window, so the two analyses simply join (no second cut of the text)."""
        return Analysed(self.tokens + other.tokens, {**self.parts, **other.parts}, self.bigrams | other.bigrams,
                        self.compact + other.compact)

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
        background: Sequence[tuple[str, Analysed]] = (),
        generality: Callable[[str], float] = lambda word: 1.0,
        blend: Blend = BLEND,
    ) -> None:
        """``phrasings`` are (topic, text) a villager might send; ``background`` (topic, text) is
        reference text (answers, scope notes) whose words count, less, towards a topic.
        ``generality(word)`` is 0..1: near 0 for everyday words (做, 吃), 1 for rare ones."""
        self.blend = blend
        self._generality = generality
        self.topics = tuple(dict.fromkeys(topic for topic, _ in phrasings))
        # Phrasings grouped by topic (stable), so that per-topic maxima are numpy segment reductions.
        place = {topic: i for i, topic in enumerate(self.topics)}
        grouped = sorted(phrasings, key=lambda item: place[item[0]])
        counts = Counter(topic for topic, _ in phrasings)
        sizes = [counts[t] for t in self.topics]
        self._starts = np.cumsum([0, *sizes[:-1]]) if sizes else np.zeros(0, dtype=np.int64)
        self._sizes = np.array(sizes, dtype=np.int64)
        postings = _bm25_postings([doc.expanded for _, doc in grouped])
        self._doc_idf = {t: idf for t, (idf, _) in postings.items()}
        self._postings = {
            t: (np.array([d for d, _ in post], dtype=np.int64), np.array([w for _, w in post], dtype=np.float64))
            for t, (_, post) in postings.items()
        }
        self._n_docs = len(grouped)
        self._max_doc_idf = math.log(1 + (len(phrasings) + 0.5) / 0.5)
        n = len(self.topics)
        self._vocab = _credits([(t, d.expanded) for t, d in phrasings], background, "expanded", blend.background)
        self._grams = _credits([(t, d.bigrams) for t, d in phrasings], background, "bigrams", blend.background)
        self._word_weight = {w: math.log(1 + n / len(ts)) * generality(w) for w, ts in self._vocab.items()}
        self._gram_weight = {g: math.log(1 + n / len(ts)) for g, ts in self._grams.items()}
        self._unknown_weight = math.log(1 + n)
        self._keywords = _keyword_table(keywords, n)

    def known(self, word: str) -> bool:
        return word in self._vocab

    def rank(self, query: Analysed, limit: int = 8) -> list[Scored]:
        """The ``limit`` topics with most evidence, best first."""
        if not query.tokens:
            return []
        weights = {word: self._weight(word) for word in query.expanded}
        phrase = self._phrase(query, weights)
        cover, evidence = self._cover(query, weights)
        gram = self._gram(query)
        keyword = self._keyword(query)
        blend = self.blend
        keep, share = 1.0 - blend.evidence_share, blend.evidence_share / blend.evidence_full
        scores = []
        for topic in {*phrase, *cover, *gram, *keyword}:
            base = (
                blend.phrase * phrase.get(topic, 0.0) + blend.cover * cover.get(topic, 0.0)
                + blend.gram * gram.get(topic, 0.0) + blend.keyword * keyword.get(topic, 0.0)
            )
            scores.append((-base * (keep + min(blend.evidence_share, share * evidence.get(topic, 0.0))), topic))
        scores.sort()
        return [
            Scored(t, -s, phrase.get(t, 0.0), cover.get(t, 0.0), gram.get(t, 0.0), keyword.get(t, 0.0))
            for s, t in scores[:limit]
        ]

    def _weight(self, word: str) -> float:
        """Idf over topics times generality; a word no topic knows counts as rare."""
        known = self._word_weight.get(word)
        if known is not None:
            return known
        single = 0.5 if len(word) == 1 else 1.0
        return self.blend.unknown * self._unknown_weight * self._generality(word) * single

    def _phrase(self, query: Analysed, weights: Mapping[str, float]) -> dict[str, float]:
        """Best BM25 phrasing per topic, query words weighted by generality, over the ideal score."""
        acc = np.zeros(self._n_docs)
        ideal = 0.0
        touched = False
        for word, weight in weights.items():
            posting = self._postings.get(word)
            general = self._generality(word) if posting is not None else weight / self._unknown_weight
            if posting is None:
                ideal += self._max_doc_idf * general
                continue
            ideal += self._doc_idf[word] * general
            docs, terms = posting
            acc[docs] += terms * general  # a word occurs once per phrasing: no repeated index
            touched = True
        if not ideal or not touched:
            return {}
        # The best phrasing decides; a second phrasing that also fits adds a little (SECOND_PHRASING),
        # so a topic asked about in many ways beats one that has a single similar sentence.
        best = np.maximum.reduceat(acc, self._starts)
        is_best = acc == np.repeat(best, self._sizes)
        runner = np.maximum.reduceat(np.where(is_best, 0.0, acc), self._starts)
        runner = np.where(np.add.reduceat(is_best, self._starts) > 1, best, runner)  # a tie: both count
        return {self.topics[i]: min(1.0, float(best[i]) / ideal) + SECOND_PHRASING * min(1.0, float(runner[i]) / ideal)
                for i in np.flatnonzero(best > 0)}

    def _cover(self, query: Analysed, weights: Mapping[str, float]) -> tuple[dict[str, float], dict[str, float]]:
        """Share of the query's weight each topic's vocabulary explains, and that weight itself."""
        acc: dict[str, float] = defaultdict(float)
        total = 0.0
        for word in dict.fromkeys(query.tokens):
            weight = weights[word]
            total += weight
            credits = self._vocab.get(word)
            if credits is not None:
                for topic, credit in credits.items():
                    acc[topic] += credit * weight
                continue
            partial: dict[str, float] = {}
            for inner in query.parts.get(word, ()):
                for topic, credit in self._vocab.get(inner, {}).items():
                    partial[topic] = max(partial.get(topic, 0.0), credit)
            for topic, credit in partial.items():
                acc[topic] += PARTIAL * credit * weight
        if not total:
            return {}, {}
        return {topic: value / total for topic, value in acc.items()}, acc

    def _gram(self, query: Analysed) -> dict[str, float]:
        acc: dict[str, float] = defaultdict(float)
        total = 0.0
        for gram in query.bigrams:
            credits = self._grams.get(gram)
            weight = self._gram_weight[gram] if credits is not None else self._unknown_weight
            total += weight
            for topic, credit in (credits or {}).items():
                acc[topic] += credit * weight
        return {topic: value / total for topic, value in acc.items()} if total else {}

    def _keyword(self, query: Analysed) -> dict[str, float]:
        """Keywords found anywhere in the query; looked up by their first two characters."""
        found: dict[str, float] = {}
        text = query.compact
        for i in range(len(text) - 1):
            for phrase, topics, weight in self._keywords.get(text[i : i + 2], ()):
                if text.startswith(phrase, i):
                    for topic in topics:
                        if weight > found.get(topic, 0.0):
                            found[topic] = weight
        return found


def _credits(
    phrasings: Sequence[tuple[str, Iterable[str]]],
    background: Sequence[tuple[str, Analysed]],
    field: str,
    background_credit: float,
) -> dict[str, dict[str, float]]:
    """item → {topic: 1.0 if a phrasing has it, else background_credit if only reference text}."""
    credits: dict[str, dict[str, float]] = defaultdict(dict)
    for topic, items in phrasings:
        for item in items:
            credits[item][topic] = 1.0
    for topic, analysed in background:
        for item in getattr(analysed, field):
            credits[item].setdefault(topic, background_credit)
    return dict(credits)


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
) -> dict[str, tuple[tuple[str, frozenset[str], float], ...]]:
    """First two characters → (compact keyword, topics having it, specificity 0..1).

    Keywords of one character are skipped: too ambiguous to signal a topic by themselves."""
    owners: dict[str, set[str]] = defaultdict(set)
    for topic, analysed in keywords.items():
        for kw in analysed:
            if len(kw.compact) >= 2:
                owners[kw.compact].add(topic)
    top = math.log(1 + n_topics) if n_topics else 1.0
    table: dict[str, list[tuple[str, frozenset[str], float]]] = defaultdict(list)
    for phrase, topics in owners.items():
        table[phrase[:2]].append((phrase, frozenset(topics), math.log(1 + n_topics / len(topics)) / top))
    return {start: tuple(entries) for start, entries in table.items()}
