"""Match a villager's message to an intent and a knowledge-base topic (pure: no Flask, no redis).

``Matcher.build(kb)`` loads jieba (its dictionary cached on disk), the legal user dictionary, the
synonym table, stop words and intent rules from ``knowledge/dict/``, and indexes every topic.
After that the matcher is only read, so one instance is shared by every thread. ``match`` never
raises on any string: empty, emoji-only, traditional, full-width or very long.
"""
from __future__ import annotations

import logging
import math
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jieba

import knowledge
from bot.matching import textnorm
from bot.matching.homophones import Homophones
from bot.matching.intents import IntentRules
from bot.matching.kb import KnowledgeBase
from bot.matching.ranking import Analysed, Scored, TopicIndex

# Decision thresholds on the blended score, tuned on the topics' own phrasings (leave-one-out)
# and on hand-written villager questions, never on the held-out dev set.
ANSWER_AT = 0.50  # at or above (with a clear margin): answer directly
MARGIN = 0.06  # the best topic must lead the second by this much to be answered directly
SURE_AT = 0.70  # at or above: answer directly whatever the margin
REJECT_BELOW = 0.15  # below: not a legal question we know ("none")
REPORT_TOPIC_AT = 0.45  # a report names a topic when the rest of the message scores at least this
COMMON_RARITY = 6.0  # log(total / frequency) of words that carry no meaning for matching
RARITY_SPAN = 6.0  # ... and how much rarer a word must be to count fully
MAX_CHARS = 1000  # longer messages are cut: matching a whole essay helps nobody
MAX_CANDIDATES = 3
# Homophone reading (bot/matching/homophones.py): never towards an everyday word (什么, 知道), and never
# re-read a run of the message that is itself a fairly common word: the villager meant that word.
SOUND_ALIKE_TARGET_AT = 0.25  # generality a lexicon word needs to be a homophone target
SOUND_ALIKE_WINDOW_BELOW = 0.8  # a run of the message at or above this generality may be re-read
OFFTOPIC = "(offtopic)"  # pseudo-topic of everyday non-legal questions (knowledge/dict/offtopic.txt)
OFFTOPIC_MARGIN = 0.05  # a legal topic must beat the pseudo-topic by this much (unless sure)

_NUMERAL = re.compile(r"^[0-9零一二三四五六七八九十百千万亿两几多半.]+$")


@dataclass(frozen=True)
class Candidate:
    topic: str
    score: float


@dataclass(frozen=True)
class Match:
    intent: str  # "faq" | "report" | "status" | "chat" | "none"
    topic: str | None = None
    score: float = 0.0
    candidates: tuple[Candidate, ...] = ()
    ambiguous: bool = False
    chat: str | None = None  # "greeting" | "thanks" | "bye" | "affirm" | "emoji" | "number" | "empty"
    ticket_id: str | None = None

    def to_json(self, q: str) -> dict[str, Any]:
        """The object ``pufabot kb match --jsonl`` prints (a stable interface)."""
        return {
            "q": q,
            "intent": self.intent,
            "topic": self.topic,
            "score": round(self.score, 4),
            "candidates": [{"topic": c.topic, "score": round(c.score, 4)} for c in self.candidates],
        }


def cache_dir() -> Path:
    """Where jieba keeps its dictionary cache: $PUFABOT_CACHE_DIR, else the system temp dir."""
    configured = os.environ.get("PUFABOT_CACHE_DIR")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "pufabot"


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


class Matcher:
    def __init__(self, kb: KnowledgeBase, analyser: Analyser, index: TopicIndex, rules: IntentRules,
                 char_table: dict[int, str], cache_size: int = 4096):
        self.kb = kb
        self.analyser = analyser
        self.index = index
        self.rules = rules
        self.char_table = char_table
        self._cached = lru_cache(maxsize=cache_size)(self._match) if cache_size else self._match

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
        userdict = [norm(line.split()[0]) for line in read_word_list(dict_dir / "userdict.txt")]
        keywords = [norm(k) for topic in kb.topics.values() for k in topic.keywords]
        analyser.add_words([*userdict, *synonyms, *synonyms.values(), *keywords])
        texts = {
            topic.id: [norm(q) for q in topic.questions] + [norm(topic.title + " " + " ".join(topic.keywords))]
            for topic in kb.topics.values()
        }
        texts[OFFTOPIC] = [norm(q) for q in read_word_list(dict_dir / "offtopic.txt")]
        first_pass = {w for items in texts.values() for t in items for w in analyser.analyse(t).tokens}
        analyser.lexicon = frozenset(first_pass | set(userdict) | set(synonyms.values()))
        titles = [w for t in kb.topics.values() for w in analyser.analyse(norm(t.title)).tokens]
        targets = [*keywords, *synonyms, *synonyms.values(), *userdict, *titles]
        analyser.homophones = Homophones.build(
            (w for w in targets if analyser.generality(w) >= SOUND_ALIKE_TARGET_AT),
            cache_dir(),
            lambda word: analyser.synonyms.get(word, word),
        )
        phrasings = [(topic_id, analyser.analyse(t)) for topic_id, items in texts.items() for t in items]
        topic_keywords = {t.id: [analyser.analyse(norm(k)) for k in t.keywords] for t in kb.topics.values()}
        background = [
            (t.id, analyser.analyse(norm(t.answer + " " + kb.scope.get(t.id, "")))) for t in kb.topics.values()
        ]
        index = TopicIndex(phrasings, topic_keywords, background, analyser.generality)
        rules = IntentRules.load(dict_dir / "intents.toml")
        return cls(kb, analyser, index, rules, char_table, cache_size)

    def match(self, text: str) -> Match:
        """Intent, topic and candidates for one message. Pure function of the text, cached."""
        return self._cached(text[:MAX_CHARS] if isinstance(text, str) else "")

    def rank(self, text: str) -> list[Scored]:
        """Every topic with evidence for this text, best first (no intent rules)."""
        folded = textnorm.fold(text[:MAX_CHARS], self.char_table)
        return self.index.rank(self.analyser.analyse(textnorm.clean(folded)))

    def _match(self, text: str) -> Match:
        folded = textnorm.fold(text, self.char_table)
        ticket_id = textnorm.find_ticket_id(folded)
        cleaned = textnorm.clean(textnorm.remove_long_numbers(textnorm.remove_ticket_ids(folded)))
        compact = cleaned.replace(" ", "")
        if ticket_id or (compact and self.rules.is_status(compact)):
            return Match("status", score=1.0, ticket_id=ticket_id)
        if not compact or _ONLY_NUMBER.fullmatch(folded.strip()):
            return Match("chat", score=1.0, chat=_empty_kind(folded))
        chat = self.rules.chat_kind(compact)
        if chat is not None:
            return Match("chat", score=1.0, chat=chat)
        span = self.rules.report_span(compact)
        if span is not None:
            rest = compact[: span[0]] + " " + compact[span[1] :]
            ranked = self.index.rank(self.analyser.analyse(rest.strip()))
            candidates = _candidates(ranked)
            best = candidates[0] if candidates and candidates[0].score >= REPORT_TOPIC_AT else None
            return Match("report", best.topic if best else None, best.score if best else 0.0, candidates)
        ranked = self.index.rank(self.analyser.analyse(cleaned))
        return self._decide(ranked, compact)

    def _decide(self, ranked: list[Scored], compact: str) -> Match:
        candidates = _candidates(ranked)
        if not candidates:
            return Match("none")
        top = candidates[0].score
        second = candidates[1].score if len(candidates) > 1 else 0.0
        offtopic = next((s.score for s in ranked if s.topic == OFFTOPIC), 0.0)
        if (
            top < REJECT_BELOW
            or (top < SURE_AT and offtopic >= top - OFFTOPIC_MARGIN)
            or (top < SURE_AT and self.rules.is_offtopic(compact))
        ):
            return Match("none", None, top, candidates)
        confident = top >= SURE_AT or (top >= ANSWER_AT and top - second >= MARGIN)
        return Match("faq", candidates[0].topic, top, candidates, ambiguous=not confident)


def _candidates(ranked: list[Scored]) -> tuple[Candidate, ...]:
    topics = (s for s in ranked if s.topic != OFFTOPIC)
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
