"""Accuracy of the matcher on labelled questions, next to a plain BM25 baseline (pure).

Rows are ``{"q": "...", "topic": "<id>" | null, "intent": "report" | "status"}`` (intent optional).
Used by ``pufabot kb eval`` and ``benchmarks/matcher.py``.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import jieba
from rank_bm25 import BM25Okapi

from bot.matching.kb import KnowledgeBase
from bot.matching.matcher import Candidate, Match


@dataclass(frozen=True)
class Figures:
    topic_rows: int
    top1: float  # share of topic rows whose answer (or first option) is the labelled topic
    top3: float  # share of topic rows whose labelled topic is among the (up to 3) candidates
    out_of_scope_rows: int
    out_of_scope_matched: float  # share of out-of-scope rows matched to a topic anyway
    intent_rows: int
    intent: float  # share of report/status rows given that intent

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            row = json.loads(line)
            if not isinstance(row, dict) or not isinstance(row.get("q"), str):
                raise ValueError(f"{path}:{number}: a row needs a string field 'q'")
            rows.append(row)
    return rows


def evaluate(rows: Iterable[dict[str, Any]], match: Callable[[str], Match]) -> Figures:
    top1 = top3 = topic_rows = oos_rows = oos_matched = intent_rows = intent_ok = 0
    for row in rows:
        found = match(row["q"])
        expected = row.get("topic")
        if row.get("intent"):
            intent_rows += 1
            intent_ok += found.intent == row["intent"]
        if expected:
            topic_rows += 1
            top1 += found.topic == expected
            top3 += found.intent in ("faq", "report") and expected in {c.topic for c in found.candidates}
        elif not row.get("intent"):
            oos_rows += 1
            oos_matched += found.topic is not None
    return Figures(
        topic_rows, _share(top1, topic_rows), _share(top3, topic_rows),
        oos_rows, _share(oos_matched, oos_rows), intent_rows, _share(intent_ok, intent_rows),
    )


def _share(count: int, total: int) -> float:
    return round(count / total, 4) if total else 0.0


class Bm25Baseline:
    """``rank_bm25.BM25Okapi`` over jieba tokens of the same phrasings: default dictionary, no
    normalisation, no synonyms, no stop words, no intents, no threshold (any score > 0 matches)."""

    def __init__(self, kb: KnowledgeBase, tokenizer: jieba.Tokenizer):
        self.tokenizer = tokenizer
        self.doc_topics: list[str] = []
        corpus: list[list[str]] = []
        for topic in kb.topics.values():
            for text in (*topic.questions, topic.title + " " + " ".join(topic.keywords)):
                self.doc_topics.append(topic.id)
                corpus.append(self._tokens(text))
        self.bm25 = BM25Okapi(corpus)

    def _tokens(self, text: str) -> list[str]:
        return [t for t in self.tokenizer.lcut(text) if t.strip()]

    def match(self, text: str) -> Match:
        tokens = self._tokens(text)
        if not tokens:
            return Match("none")
        scores = self.bm25.get_scores(tokens)
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        candidates: list[Candidate] = []
        for i in order:
            if scores[i] <= 0 or len(candidates) == 3:
                break
            if all(c.topic != self.doc_topics[i] for c in candidates):
                candidates.append(Candidate(self.doc_topics[i], float(scores[i])))
        if not candidates:
            return Match("none")
        return Match("faq", candidates[0].topic, candidates[0].score, tuple(candidates))
