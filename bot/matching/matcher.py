"""Match a villager's message to an intent and a knowledge-base topic (pure: no Flask, no redis).

``Matcher.build(kb)`` loads jieba (its dictionary cached on disk), the legal user dictionary, the
synonym table, stop words and intent rules from ``knowledge/dict/``, and indexes every topic.
After that the matcher is only read, so one instance is shared by every thread. ``match`` never
raises on any string: empty, emoji-only, traditional, full-width or very long.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jieba
import numpy as np

import knowledge
from bot.matching.calibration import Calibration, evidence
from bot.matching.classifier import TextModel, features, load_or_train_for, prune, touch
from bot.matching import examples, textnorm, topicmodel
from bot.matching.examples import training_rows, written_rows
from bot.matching.homophones import Homophones
from bot.matching.intents import IntentRules, parse_rating, says_more_than_a_score
from bot.matching.kb import KnowledgeBase, Point
from bot.matching.points import PointIndex
from bot.matching.ranking import Analysed, Scored, TopicIndex
from bot.matching.topicmodel import MIN_DF, OFFTOPIC, OUTSIDE, PSEUDO, RANKER_SURE_AT, combine, topic_examples
from bot.matching.vocabulary import Vocabulary, read_rows

# Decision thresholds on the blended score, tuned on the topics' own phrasings (leave-one-out)
# and on hand-written villager questions, never on the held-out dev set.
# Calibrated (bot/matching/calibration.py: the probability that the best topic is right given its
# score and lead, fitted on held-out questions): answer directly at or above ANSWER_P with a clear
# margin; at or above PLAUSIBLE_P, a menu of the candidates close to the best; below, no topic (the
# villager is offered a person).
ANSWER_P = 0.70
PLAUSIBLE_P = 0.25
MARGIN = 0.06  # the best topic must lead the second by this much to be answered directly
SURE_AT = RANKER_SURE_AT  # 0.70: at or above, answer directly whatever the margin (and no re-scoring)
REJECT_BELOW = 0.15  # below: not a legal question we know ("none")
OUTSIDE_AT = 0.15  # "a legal question the topics do not cover" at least this, and above every topic
# The topic model's probability of "outside" is scaled down before it is blended: one class of 700
# long, concrete examples against topics of ~60 phrasings each learns "long and concrete" as much as
# "not ours", and real questions to our topics are long and concrete too. Cross-validation on our own
# data costs little at 0.4 (outside recall 88% -> 77%, topics taken for outside 1.3% -> 0.5%).
OUTSIDE_WEIGHT = 0.4
REPORT_TOPIC_AT = 0.45  # a report names a topic when the rest scores at least this (and leads by MARGIN)
COMMON_RARITY = 6.0  # log(total / frequency) of words that carry no meaning for matching
RARITY_SPAN = 6.0  # ... and how much rarer a word must be to count fully
MAX_CHARS = 1000  # longer messages are cut: matching a whole essay helps nobody
MAX_COMMENT = 300  # a rating's comment as kept for staff
MAX_CANDIDATES = 3
ANALYSIS_VERSION = "1"  # bump when Analyser.analyse changes: the analysis cache's key includes it
ANALYSED_KEPT = 32  # recent analyses, for the point lookup that follows a match (a few threads at once)
# Homophone reading (bot/matching/homophones.py): never towards an everyday word (什么, 知道), and never
# re-read a run of the message that is itself a fairly common word: the villager meant that word.
SOUND_ALIKE_TARGET_AT = 0.25  # generality a lexicon word needs to be a homophone target
SOUND_ALIKE_WINDOW_BELOW = 0.8  # a run of the message at or above this generality may be re-read
OFFTOPIC_MARGIN = 0.05  # a legal topic must beat the pseudo-topic by this much (unless sure)
EVERYDAY_AT = 0.5  # ... or the topic model's probability of "everyday" must stay below this
# The learned intent model's probabilities (bot/matching/classifier.py) decide beside the rules.
# Thresholds come from 5-fold cross-validation on the project's own examples (``pufabot kb tune``,
# bot/matching/tuning.py): for report, status, human and menu the lowest value at which that
# intent's out-of-fold precision reaches its target (0.90 for report, 0.95 for the others).
# Urgent and none are combined with a second condition the tuning table does not model, so they
# sit below their table values (0.55, 0.65 on 2026-12-04): an emergency must also outweigh every
# other class together with a lower bar (a missed emergency costs more than a needless emergency
# line), and off-topic also needs a weak topic score.
URGENT_AT = 0.50
INTENT_AT = {"report": 0.40, "status": 0.55, "human": 0.40, "menu": 0.45, "none": 0.35, "chat": 0.50,
             "rating": 0.50}
MAJORITY = 0.5  # a learned human or menu below this yields to a ranker sure of a legal topic
PLAUSIBLE_SHARE = 0.6  # "您是想问…" lists only candidates scoring at least this share of the best
VAGUE_WORDS = 2  # a message of at most this many content words is vague unless the ranker is sure ...
VAGUE_SHARE = 0.5  # ... and is asked "which one": candidates scoring at least this share of the best

_NUMERAL = re.compile(r"^[0-9零一二三四五六七八九十百千万亿两几多半.]+$")


@dataclass(frozen=True)
class TopicCorpus:
    """What the topic index was built from, kept for cross-validation (``pufabot kb tune``)."""

    questions: tuple[tuple[str, str, Analysed], ...]  # (topic, normalised text, analysis): askable
    always: tuple[tuple[str, Analysed], ...]  # each topic's title with its keywords
    keywords: Mapping[str, tuple[Analysed, ...]]
    background: tuple[tuple[str, Analysed], ...]
    model_extra: tuple[tuple[str, str], ...]  # the topic model's other (text, label) examples


@dataclass(frozen=True)
class Ranking:
    scored: list[Scored]  # best first, the everyday pseudo-topic among them
    everyday: bool  # the message reads as an everyday, not a legal, question
    evidence: float  # the ranker's own best legal score: how much of the message the topics know
    outside: float = 0.0  # the score of "a legal question the topics do not cover"
    words: int = 0  # content words of the message (before the vocabulary's additions)


@dataclass(frozen=True)
class Said:
    """A message after the first stage (``Matcher.normalise``)."""

    text: str  # as received (cut to MAX_CHARS)
    folded: str  # simplified, half-width, lower case
    cleaned: str  # without ticket ids and long numbers, punctuation as spaces
    compact: str  # cleaned without spaces: what the learned models read
    grams: Counter[str]  # the models' character n-grams of ``compact``
    probs: Mapping[str, float]  # the intent model's probabilities ({} without a model or words)
    ticket_id: str | None


@dataclass(frozen=True)
class Intent:
    """What a message wants besides a legal answer (``Matcher.read_intent``)."""

    name: str  # urgent | status | chat | rating | human | menu | report | none
    confidence: float = 1.0  # the intent model's probability (1.0 for a rule)
    detail: str = ""  # the urgent kind, the chat kind, or the text a report's topic is read from
    rating: int | None = None
    yields: bool = False  # a ranker sure of a legal topic answers instead


@dataclass(frozen=True)
class Candidate:
    topic: str
    score: float


@dataclass(frozen=True)
class Match:
    intent: str  # "faq" | "outside" | "report" | "status" | "urgent" | "human" | "menu" | "rating" | "chat" | "none"
    topic: str | None = None
    score: float = 0.0
    candidates: tuple[Candidate, ...] = ()
    ambiguous: bool = False
    chat: str | None = None  # "greeting" | "thanks" | "bye" | "affirm" | "emoji" | "number" | "empty"
    ticket_id: str | None = None
    urgent_kind: str | None = None  # fraud-now | violence-now | child-danger | child-missing | threat | injury | self-harm
    rating: int | None = None  # 1–5, for intent "rating"
    confidence: float = 0.0  # the intent model's probability of the chosen intent (1.0 for a rule)

    def to_json(self, q: str) -> dict[str, Any]:
        """The object ``pufabot kb match --jsonl`` prints (a stable interface)."""
        out: dict[str, Any] = {
            "q": q,
            "intent": self.intent,
            "topic": self.topic,
            "score": self.rating if self.intent == "rating" else round(self.score, 4),
            "candidates": [{"topic": c.topic, "score": round(c.score, 4)} for c in self.candidates],
        }
        if self.intent == "urgent":
            out["urgent_kind"] = self.urgent_kind
        if self.intent == "status" and self.ticket_id:
            out["ticket_id"] = self.ticket_id
        if self.intent == "chat":
            out["chat"] = self.chat
        return out


def cache_dir() -> Path:
    """Where the models, jieba's dictionary and the analyses are cached between starts:
    ``$PUFABOT_CACHE_DIR``; else systemd's ``$CACHE_DIRECTORY`` (the units' ``CacheDirectory=``: a
    private /tmp is emptied at every restart, and a start that must train misses WeChat's 5 s);
    else ``$XDG_CACHE_HOME/pufabot`` or ``~/.cache/pufabot``; else the system temp dir."""
    configured = os.environ.get("PUFABOT_CACHE_DIR") or os.environ.get("CACHE_DIRECTORY", "").split(":")[0]
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "pufabot"
    home = Path.home() if os.environ.get("HOME") else None
    return home / ".cache" / "pufabot" if home is not None else Path(tempfile.gettempdir()) / "pufabot"


def load_tokenizer(directory: Path | None = None) -> jieba.Tokenizer:
    """A jieba tokenizer with its default dictionary, loaded from (or cached to) ``directory``."""
    jieba.setLogLevel(logging.WARNING)  # jieba logs "Building prefix dict..." at DEBUG to stderr
    directory = directory or cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(directory)
    tokenizer.initialize()
    return tokenizer


def read_word_list(path: Path) -> list[str]:
    """Non-empty lines without ``#`` comments."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def read_synonyms(path: Path) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for line in read_word_list(path):
        parts = line.split()
        if len(parts) == 2 and parts[0] != parts[1]:
            pairs.setdefault(parts[0], parts[1])
    return pairs


class Analyser:
    """Normalised text → canonical content tokens, their known parts, bigrams."""

    def __init__(self, tokenizer: jieba.Tokenizer, synonyms: Mapping[str, str], stopwords: frozenset[str]):
        self.tokenizer = tokenizer
        self.synonyms = _resolve_chains(synonyms)
        self.stopwords = stopwords
        self.lexicon: frozenset[str] = frozenset()
        self.homophones: Homophones | None = None
        self.memo: dict[str, Analysed] | None = None  # build time only: the analysis cache's entries
        self.phase = 0  # 0: no lexicon yet, 1: lexicon, 2: lexicon and homophones

    def add_words(self, words: Iterable[str]) -> None:
        """Make jieba keep these words whole (build time only)."""
        for word in dict.fromkeys(words):
            word = word.strip()
            if len(word) < 2 or " " in word:
                continue
            current = self.tokenizer.FREQ.get(word, 0)
            self.tokenizer.add_word(word, max(current, self.tokenizer.suggest_freq(word), 500))

    def generality(self, word: str) -> float:
        """0.15..1 from jieba's general-language frequency: everyday words (做, 吃, 钱) weigh little."""
        rarity = math.log(self.tokenizer.total / (self.tokenizer.FREQ.get(word, 0) + 1))
        return min(1.0, max(0.15, (rarity - COMMON_RARITY) / RARITY_SPAN))

    def may_reread(self, window: str, word: str) -> bool:
        """False when the run is itself a common word (the villager probably meant it), or ends
        with a stop word: particles close phrases (立了, 说是, 要在), not typos of a term."""
        if window == word:
            return True
        return window[-1] not in self.stopwords and self.generality(window) >= SOUND_ALIKE_WINDOW_BELOW

    def analyse(self, cleaned: str) -> Analysed:
        if self.memo is not None:  # only while the matcher is built (see ``AnalysisCache``)
            key = f"{self.phase}|{cleaned}"
            found = self.memo.get(key)
            if found is None:
                found = self.memo[key] = self._analyse(cleaned)
            return found
        return self._analyse(cleaned)

    def _analyse(self, cleaned: str) -> Analysed:
        tokens: list[str] = []
        cut: Iterable[str] = self.tokenizer.cut(cleaned, HMM=False)
        if self.homophones is not None:
            cut = self.homophones.respell(list(cut), self.may_reread)
        for raw in cut:
            if raw == " " or raw in self.stopwords:
                continue
            word = self.synonyms.get(raw, raw)
            if word in self.stopwords or (_NUMERAL.match(word) and word not in self.lexicon):
                continue
            tokens.append(word)
        parts = {}
        for word in tokens:
            inner = tuple(
                dict.fromkeys(self.synonyms.get(p, p) for p in textnorm.substrings(word, self.lexicon))
            )
            if inner:
                parts[word] = inner
        return Analysed(tuple(tokens), parts, frozenset(textnorm.char_bigrams(tokens)), "".join(tokens))


class AnalysisCache:
    """The analysis of every phrasing, kept on disk between starts (the slow part of ``build``).

    Keyed by a hash of everything the analysis depends on (the knowledge base, the dictionary files,
    jieba's version, ``ANALYSIS_VERSION``), so a change of any of them analyses afresh. Stored as
    JSON, not pickle: the cache directory may be shared, and JSON cannot run code when read.
    """

    def __init__(self, directory: Path, kb: KnowledgeBase, dict_dir: Path):
        digest = hashlib.sha256(f"{ANALYSIS_VERSION}|{jieba.__version__}|{kb.topics!r}|{kb.scope!r}".encode())
        for path in sorted(dict_dir.glob("*")):
            if path.is_file():
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
        self.path = directory / f"analysed-{digest.hexdigest()[:16]}.json"
        self.hit = False

    def load(self) -> dict[str, Analysed]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            memo = {key: _analysed(tokens, parts) for key, (tokens, parts) in raw.items()}
        except (OSError, ValueError, TypeError):
            return {}
        self.hit = True
        touch(self.path)
        return memo

    def save(self, memo: Mapping[str, Analysed] | None) -> None:
        if self.hit or not memo:
            return
        data = {key: [list(a.tokens), {w: list(p) for w, p in a.parts.items()}] for key, a in memo.items()}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            tmp.replace(self.path)
            prune(self.path.parent, "analysed-*.json")
        except OSError:
            pass  # a read-only cache only costs the next start the analysis


def _analysed(tokens: list[str], parts: dict[str, list[str]]) -> Analysed:
    words = tuple(tokens)
    return Analysed(words, {w: tuple(p) for w, p in parts.items()}, frozenset(textnorm.char_bigrams(words)),
                    "".join(words))


class Matcher:
    def __init__(self, kb: KnowledgeBase, analyser: Analyser, index: TopicIndex, rules: IntentRules,
                 char_table: dict[int, str], cache_size: int = 4096, model: TextModel | None = None,
                 exact: Mapping[str, tuple[str, str]] | None = None, rating_words: Mapping[str, int] | None = None,
                 topic_model: TextModel | None = None, corpus: TopicCorpus | None = None,
                 vocabulary: Vocabulary | None = None, calibration: Calibration | None = None):
        self.kb = kb
        self.calibration = calibration or Calibration.identity()
        self.vocabulary = vocabulary or Vocabulary.empty()
        self.model = model
        self.topic_model = topic_model
        self.corpus = corpus
        self.exact = exact or {}
        self.rating_words = rating_words or {}
        self.analyser = analyser
        self.index = index
        self.rules = rules
        self.char_table = char_table
        self.points = PointIndex(kb, self.analyse, analyser.generality)
        self._cached = lru_cache(maxsize=cache_size)(self._match) if cache_size else self._match
        self._cached_point = lru_cache(maxsize=cache_size)(self._match_point) if cache_size else self._match_point
        # The point is asked for right after the topic, of the same text: keep the last analyses so
        # that the message is cut and read once (even with the result cache off).
        self._analysed = lru_cache(maxsize=ANALYSED_KEPT)(analyser.analyse)
        self._titles: dict[str, Analysed] = {}  # a hinted topic's title, analysed (see ``_title``)

    @classmethod
    def build(cls, kb: KnowledgeBase, dict_dir: Path | None = None, cache_size: int = 4096) -> Matcher:
        dict_dir = dict_dir or knowledge.KNOWLEDGE_DIR / "dict"
        char_table = textnorm.load_char_table(dict_dir / "t2s.txt")

        def norm(text: str) -> str:
            return textnorm.clean(textnorm.fold(text, char_table))

        synonyms = {norm(k): norm(v) for k, v in read_synonyms(dict_dir / "synonyms.txt").items()}
        for topic in kb.topics.values():
            for colloquial, canonical in topic.synonyms.items():
                synonyms.setdefault(norm(colloquial), norm(canonical))
        stopwords = frozenset(norm(w) for w in read_word_list(dict_dir / "stopwords.txt"))
        analyser = Analyser(load_tokenizer(), synonyms, stopwords)
        cache = AnalysisCache(cache_dir(), kb, dict_dir)
        analyser.memo = cache.load()
        userdict = [norm(line.split()[0]) for line in read_word_list(dict_dir / "userdict.txt")]
        keywords = [norm(k) for topic in kb.topics.values() for k in topic.keywords]
        analyser.add_words([*userdict, *synonyms, *synonyms.values(), *keywords])
        everyday = read_word_list(dict_dir / "offtopic.txt")
        outside_path = dict_dir / "outside.txt"
        outside = read_word_list(outside_path) if outside_path.is_file() else []
        questions = [(topic.id, norm(q)) for topic in kb.topics.values() for q in topic.questions]
        questions += [(OFFTOPIC, norm(q)) for q in everyday]
        questions += [(OUTSIDE, norm(q)) for q in outside]
        titles_keywords = [(t.id, norm(t.title + " " + " ".join(t.keywords))) for t in kb.topics.values()]
        first_pass = {w for _, t in (*questions, *titles_keywords) for w in analyser.analyse(t).tokens}
        analyser.lexicon = frozenset(first_pass | set(userdict) | set(synonyms.values()))
        analyser.phase = 1
        titles = [w for t in kb.topics.values() for w in analyser.analyse(norm(t.title)).tokens]
        targets = [*keywords, *synonyms, *synonyms.values(), *userdict, *titles]
        analyser.homophones = Homophones.build(
            (w for w in targets if analyser.generality(w) >= SOUND_ALIKE_TARGET_AT),
            cache_dir(),
            lambda word: analyser.synonyms.get(word, word),
        )
        analyser.phase = 2
        asked = tuple((topic_id, text, analyser.analyse(text)) for topic_id, text in questions)
        always = tuple((topic_id, analyser.analyse(text)) for topic_id, text in titles_keywords)
        topic_keywords = {t.id: tuple(analyser.analyse(norm(k)) for k in t.keywords) for t in kb.topics.values()}
        background = tuple(
            (t.id, analyser.analyse(norm(t.answer + " " + kb.scope.get(t.id, "")))) for t in kb.topics.values()
        )
        index = TopicIndex([*((t, a) for t, _, a in asked), *always], topic_keywords, background,
                           analyser.generality)
        rules = IntentRules.load(dict_dir / "intents.toml")

        def compact(text: str) -> str:
            return norm(text).replace(" ", "")

        model, exact, rating_words, none = None, {}, {}, []
        intents_dir = dict_dir.parent / "intents"
        inputs = _model_inputs(kb, dict_dir, intents_dir)
        if intents_dir.is_dir():
            written = written_rows(intents_dir, compact)

            def intent_examples() -> tuple[list[str], list[str]]:
                rows = training_rows(kb, intents_dir, compact, outside)
                return [r.text for r in rows], [r.label for r in rows]

            model = load_or_train_for(inputs, intent_examples, cache_dir())
            # A message that is word for word one of the intent files' examples takes that example's
            # label; their legal questions ("孩子的事", "报警一个月了没消息", the negatives of urgent,
            # status and human) are then questions for the topics. Topic phrasings are not listed.
            exact = {r.text: (r.intent, r.detail) for r in written}
            rating_words = {r.text: int(r.detail) for r in written if r.intent == "rating" and r.detail.isdigit()}
            none = [r.text for r in written if r.intent == "none"]
        topic_model = load_or_train_for(inputs, lambda: topic_examples(kb, [*everyday, *none], compact, outside),
                                        cache_dir(), "topics", MIN_DF, np.float32)
        extra = [(q, t.id) for t in kb.topics.values() for p in t.points for q in p.questions]
        corpus = TopicCorpus(asked, always, topic_keywords, background,
                             (*extra, *((q, OFFTOPIC) for q in none)))
        vocabulary_path = dict_dir / "vocabulary.tsv"
        vocabulary = Vocabulary.from_rows(
            ((word, topic) for word, topic, _ in (read_rows(vocabulary_path) if vocabulary_path.is_file() else [])),
            {t.id: norm(t.title) for t in kb.topics.values()}, compact)
        matcher = cls(kb, analyser, index, rules, char_table, cache_size, model, exact, rating_words,
                      topic_model, corpus, vocabulary, Calibration.load(dict_dir / "calibration.tsv"))
        cache.save(analyser.memo)  # the point index above analysed through the cache too
        analyser.memo = None
        return matcher

    def match(self, text: str) -> Match:
        """Intent, topic and candidates for one message. Pure function of the text, cached."""
        return self._cached(text[:MAX_CHARS] if isinstance(text, str) else "")

    def match_point(self, topic_id: str, text: str) -> Point | None:
        """The point of ``topic_id`` that answers ``text`` (bot/matching/points.py), or None when no
        point clearly fits (the reply is then the topic's summary). Never raises; cached."""
        known = isinstance(topic_id, str) and topic_id in self.kb.topics
        return self._cached_point(topic_id, text[:MAX_CHARS] if isinstance(text, str) else "") if known else None

    def _match_point(self, topic_id: str, text: str) -> Point | None:
        return self.points.choose(topic_id, self._analysed(self._cleaned(textnorm.fold(text, self.char_table))))

    @staticmethod
    def _cleaned(folded: str) -> str:
        return textnorm.clean(textnorm.remove_long_numbers(textnorm.remove_ticket_ids(folded)))

    def compact(self, text: str) -> str:
        """Fold and clean any text as the models' examples are, without spaces."""
        return textnorm.clean(textnorm.fold(text, self.char_table)).replace(" ", "")

    def analyse(self, text: str) -> Analysed:
        """Fold, clean and analyse any text as the matcher does a message."""
        return self.analyser.analyse(textnorm.clean(textnorm.fold(text, self.char_table)))

    def rank(self, text: str) -> list[Scored]:
        """Every topic with evidence for this text, best first (no intent rules)."""
        cleaned = textnorm.clean(textnorm.fold(text[:MAX_CHARS], self.char_table))
        return self._ranked(cleaned).scored

    def _ranked(self, cleaned: str, grams: Counter[str] | None = None) -> Ranking:
        """The ranker's topics, re-scored with the topic model (bot/matching/topicmodel.py), and
        whether the message reads as an everyday question: the ranker's pseudo-topic of everyday
        questions comes close to its best topic, or the model finds everyday questions likelier
        than all the topics together. Concrete words of the vocabulary (bot/matching/vocabulary.py)
        add their topics' titles to what both read."""
        compact = cleaned.replace(" ", "")
        analysed = self._analysed(cleaned)
        words = len(analysed.tokens)
        plain_grams = grams
        hinted = self.vocabulary.hints(compact)
        for topic in hinted:  # as if the titles were written after the message
            analysed = analysed.followed_by(self._title(topic))
            compact, grams = compact + self.vocabulary.titles[topic].replace(" ", ""), None
        ranked = self.index.rank(analysed)
        legal = next((s.score for s in ranked if s.topic not in PSEUDO), 0.0)
        everyday = next((s.score for s in ranked if s.topic == OFFTOPIC), 0.0) >= legal - OFFTOPIC_MARGIN
        # A named thing says which topic, not whether the message is a legal question at all
        # (「夏草场上的草长得真好」): a ranker made sure by the vocabulary still hears the model.
        if self.topic_model is None or not ranked or not compact or (ranked[0].score >= RANKER_SURE_AT and not hinted):
            outside = next((s.score for s in ranked if s.topic == OUTSIDE), 0.0)  # a sure ranker is not re-scored
            return Ranking(ranked, everyday and bool(ranked), legal, outside, words)
        probs = self.topic_model.proba_of(grams if grams is not None else Counter(features(compact)))
        if OUTSIDE in probs:
            probs = {**probs, OUTSIDE: probs[OUTSIDE] * OUTSIDE_WEIGHT}
        scored = combine(ranked, probs, trust_sure_ranker=not hinted)
        outside = next((s.score for s in scored if s.topic == OUTSIDE), 0.0)
        everyday = everyday or probs.get(OFFTOPIC, 0.0) >= EVERYDAY_AT
        if hinted and not everyday:  # what the message itself says, without the titles added
            plain = self.topic_model.proba_of(plain_grams if plain_grams is not None else
                                              Counter(features(cleaned.replace(" ", ""))))
            everyday = plain.get(OFFTOPIC, 0.0) >= EVERYDAY_AT
        return Ranking(scored, everyday, legal, outside, words)

    def _title(self, topic: str) -> Analysed:
        """The analysis of a topic's title as the vocabulary appends it (kept once made)."""
        found = self._titles.get(topic)
        if found is None:
            found = self._titles[topic] = self.analyser.analyse(self.vocabulary.titles[topic])
        return found

    # -- the pipeline: normalise → intent → candidates → calibrate → decide -------------------------
    def _match(self, text: str) -> Match:
        said = self.normalise(text)
        intent = self.read_intent(said)
        return self.decide(intent, said)

    def normalise(self, text: str) -> Said:
        """Stage 1: fold (traditional, full-width, case), drop ticket ids and phone numbers, cut."""
        folded = textnorm.fold(text, self.char_table)
        cleaned = self._cleaned(folded)
        compact = cleaned.replace(" ", "")
        grams = Counter(features(compact)) if compact else Counter()
        probs = self.model.proba_of(grams) if self.model is not None and compact else {}
        return Said(text, folded, cleaned, compact, grams, probs, textnorm.find_ticket_id(folded))

    def read_intent(self, said: Said) -> Intent | None:
        """Stage 2: what the villager wants besides a legal answer (None: a question for the topics).
        Rules first (they are exact), then the learned intent model above its tuned thresholds."""
        known = self.exact.get(said.compact)
        if (known is not None and known[0] == "faq") or self._vague(said.compact):
            return None
        urgent = self._urgent(said.probs)
        if urgent is not None:
            return Intent("urgent", urgent[1], detail=urgent[0])
        if said.ticket_id or (said.compact and self.rules.is_status(said.compact)):
            return Intent("status")
        if not said.compact or _ONLY_NUMBER.fullmatch(said.folded.strip()):
            rating = self.rating(said.text) if not said.compact else None
            if rating is not None:  # "👍", "⭐⭐⭐⭐"
                return Intent("rating", rating=rating)
            return Intent("chat", detail=_empty_kind(said.folded))
        chat = self.rules.chat_kind(said.compact)
        if chat is not None:  # "你好 有人吗" is a person asked for: say who reads and when
            return Intent("human") if chat == "someone" else Intent("chat", detail=chat)
        rating = self.rating(said.text)
        if rating is not None:
            return Intent("rating", rating=rating)
        span = self.rules.report_span(said.compact)
        if span is not None:
            return Intent("report", detail=said.compact[: span[0]] + " " + said.compact[span[1] :])
        if known is not None:
            return _known_intent(known, said.cleaned)
        return self._learned_intent(said)

    def _vague(self, compact: str) -> bool:
        """Only a subject named ("孩子的事"), and neither a status question nor a request to report."""
        rules = self.rules
        return rules.is_vague(compact) and not rules.is_status(compact) and rules.report_span(compact) is None

    def _learned_intent(self, said: Said) -> Intent | None:
        learned = self._learned(said.probs)
        if learned is None:
            return None
        p = said.probs[learned]
        if learned == "report":  # "怎么申请调解", "调解要钱吗": a question about mediation, not a request
            return None if self.rules.asks_about_procedure(said.compact) else Intent("report", p, said.cleaned)
        if learned == "status":
            return Intent("status", p)
        if learned not in ("human", "menu", "none"):  # chat and rating are the rules' (exact) business
            return None
        # Not even a majority for "a person" or "the menu", or a learned "none": a ranker sure of a
        # legal topic overrules it (the answer names where to go, 12348 among them).
        return Intent(learned, p, yields=learned == "none" or p < MAJORITY)

    def decide(self, intent: Intent | None, said: Said) -> Match:
        """Stages 3–5: the candidates (only when the intent needs them), their calibrated likelihood,
        and the reply's kind."""
        if intent is None:
            return self._answer(self._ranked(said.cleaned, said.grams), said.compact)
        if intent.name == "urgent":
            top = _candidates(self._ranked(said.cleaned, said.grams).scored)
            return Match("urgent", top[0].topic if top else None, intent.confidence, top,
                         urgent_kind=intent.detail, confidence=intent.confidence)
        if intent.name == "report":
            return self._report(intent.detail, intent.confidence)
        if intent.name == "chat":
            return Match("chat", score=1.0, chat=intent.detail or "greeting", confidence=1.0)
        if intent.name == "rating":
            return Match("rating", rating=intent.rating, score=1.0, confidence=1.0)
        if intent.name == "status":
            return Match("status", score=intent.confidence, ticket_id=said.ticket_id, confidence=intent.confidence)
        if not intent.yields:
            return Match(intent.name, score=intent.confidence, confidence=intent.confidence)
        ranking = self._ranked(said.cleaned, said.grams)
        top = _candidates(ranking.scored)
        if top and top[0].score >= SURE_AT:
            return self._answer(ranking, said.compact)
        if intent.name == "none":
            return Match("none", None, top[0].score if top else 0.0, top, confidence=intent.confidence)
        return Match(intent.name, score=intent.confidence, confidence=intent.confidence)

    def rating(self, text: str) -> int | None:
        """The satisfaction score 1–5 this message gives, if it gives one (see ``parse_rating``)."""
        folded = textnorm.fold(text[:MAX_CHARS], self.char_table)
        return parse_rating(folded, textnorm.clean(folded), self.rating_words)

    def rating_comment(self, text: str) -> str:
        """The villager's own words when a rating message says more than the score, else ""."""
        folded = textnorm.fold(text[:MAX_CHARS], self.char_table)
        return " ".join(text.split())[:MAX_COMMENT] if says_more_than_a_score(textnorm.clean(folded), self.rating_words) else ""

    def _urgent(self, probs: Mapping[str, float]) -> tuple[str, float] | None:
        """The most likely emergency kind when emergencies together are likely enough."""
        kinds = {label.removeprefix("urgent:"): p for label, p in probs.items() if label.startswith("urgent:")}
        total = sum(kinds.values())
        others = max((p for label, p in probs.items() if not label.startswith("urgent:")), default=0.0)
        if total < URGENT_AT or total < others:  # "摔断了腿算工伤不" is a question about the law
            return None
        kind = max(kinds, key=lambda k: kinds[k])
        return kind, total

    @staticmethod
    def _learned(probs: Mapping[str, float]) -> str | None:
        """The model's intent when it is sure enough of it (faq and the rest are left to the rules)."""
        if not probs:
            return None
        label = max(probs, key=lambda k: probs[k])
        at = INTENT_AT.get(label)
        return label if at is not None and probs[label] >= at else None

    def _report(self, rest: str, confidence: float) -> Match:
        """A report; the rest of the message names its topic when it clearly does."""
        ranked = self._ranked(rest.strip()).scored
        candidates = _candidates(ranked)
        lead = candidates[0].score - candidates[1].score if len(candidates) > 1 else 1.0
        clear = bool(candidates) and candidates[0].score >= REPORT_TOPIC_AT and lead >= MARGIN
        best = candidates[0] if clear else None  # else the villager picks the kind: one tap, never a wrong one
        return Match("report", best.topic if best else None, best.score if best else 0.0, candidates,
                     confidence=confidence)

    def _answer(self, ranking: Ranking, compact: str) -> Match:
        """The legal answer's decision: no topic (everyday, outside, no evidence), a direct answer
        when the calibrated likelihood is high and clear, a menu of plausible candidates, or none."""
        candidates = _candidates(ranking.scored)
        top = candidates[0].score if candidates else 0.0
        second = candidates[1].score if len(candidates) > 1 else 0.0
        if candidates and top < SURE_AT and (ranking.everyday or self.rules.is_offtopic(compact)):
            # Plainly everyday, not law; but a subject named alone (「孩子的事」) is a villager's
            # matter we could not place, never "I don't understand": no topic, and a person offered.
            return Match("none", None, top, candidates, confidence=0.0 if self._vague(compact) else 1.0)
        if ranking.outside >= max(top, OUTSIDE_AT) and top < SURE_AT:
            # A legal question, but none of ours: say so and offer a person, never a wrong topic.
            return Match("outside", None, top, candidates, confidence=ranking.outside)
        if not candidates:
            return Match("none")
        if ranking.evidence < REJECT_BELOW:  # the ranker's scale: the model's doubt makes a menu, not a "none"
            return Match("none", None, top, candidates)
        likely = self.calibration.probability(evidence(top, second))
        if ranking.words <= VAGUE_WORDS and top < SURE_AT:
            # "合同", "房子的事": too few words to be sure of anything (the calibration was fitted on
            # whole questions): ask which one is meant, among the leading candidates.
            options = tuple(c for c in candidates if c.score >= top * VAGUE_SHARE)
            return Match("faq", options[0].topic, top, options, ambiguous=True, confidence=likely)
        if top >= SURE_AT or (likely >= ANSWER_P and top - second >= MARGIN):
            return Match("faq", candidates[0].topic, top, candidates, confidence=likely)
        if likely < PLAUSIBLE_P:  # no answer is plausible: the villager is offered a person
            return Match("none", None, top, candidates, confidence=0.0)
        # Not sure enough to answer: a menu of the candidates close to the best (one is a "did you mean").
        plausible = tuple(c for c in candidates if c.score >= top * PLAUSIBLE_SHARE)
        return Match("faq", plausible[0].topic, top, plausible, ambiguous=True, confidence=likely)


def _known_intent(known: tuple[str, str], cleaned: str) -> Intent:
    """The intent of a message that is word for word one of the intent examples."""
    intent, detail = known
    if intent == "urgent":
        return Intent("urgent", 1.0, detail=detail)
    if intent == "report":
        return Intent("report", 1.0, detail=cleaned)
    if intent == "chat":
        return Intent("chat", detail=detail or "greeting")
    if intent == "rating" and detail.isdigit():
        return Intent("rating", rating=int(detail))
    return Intent(intent)


def _model_inputs(kb: KnowledgeBase, dict_dir: Path, intents_dir: Path) -> str:
    """A digest of everything the two models' examples are made from: the topics' and points'
    phrasings, the intent files, the word lists, and the code that compacts and labels them. The
    models are cached under it, so a start with them cached never builds the examples."""
    digest = hashlib.sha256()
    for module in (textnorm, examples, topicmodel):
        digest.update(Path(str(module.__file__)).read_bytes())
    files = [*sorted(intents_dir.glob("*")), *(dict_dir / name for name in ("offtopic.txt", "outside.txt", "t2s.txt"))]
    for path in files:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for topic in kb.topics.values():
        digest.update("\n".join([topic.id, *topic.questions, *(q for p in topic.points for q in p.questions)]).encode())
    return digest.hexdigest()


def _candidates(ranked: list[Scored]) -> tuple[Candidate, ...]:
    topics = (s for s in ranked if s.topic not in PSEUDO)
    return tuple(Candidate(s.topic, min(1.0, max(0.0, s.score))) for s, _ in zip(topics, range(MAX_CANDIDATES)))


def _resolve_chains(synonyms: Mapping[str, str]) -> dict[str, str]:
    """Follow a → b → c to c; a cycle stops at the first repeat."""
    resolved: dict[str, str] = {}
    for word in synonyms:
        seen = {word}
        target = synonyms[word]
        while target in synonyms and target not in seen:
            seen.add(target)
            target = synonyms[target]
        if target != word:
            resolved[word] = target
    return resolved


# A phone number alone, however written: 139 1234 5678, 139-1234-5678, +86 13912345678, (0991)1234567.
_ONLY_NUMBER = re.compile(r"[+(]?\d[\d\s\-()]{5,}\d")


def _empty_kind(folded: str) -> str:
    """What a message with no words was: a number alone (a phone number, say), pictographs, or nothing."""
    if sum(c.isdigit() for c in folded) >= 7:
        return "number"
    return "emoji" if textnorm.has_pictograph(folded) else "empty"
