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


@dataclass(frozen=True)
class IntentFigures:
    """Precision and recall per intent, and the confusion table (gold intent → predicted → count)."""

    rows: int
    precision: dict[str, float]
    recall: dict[str, float]
    support: dict[str, int]
    confusion: dict[str, dict[str, int]]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def gold_intent(row: dict[str, Any]) -> str:
    """A row's intent: as labelled, else ``faq`` when it names a topic, else ``none`` (off-topic)."""
    return str(row.get("intent") or ("faq" if row.get("topic") else "none"))


def evaluate_intents(rows: Iterable[dict[str, Any]], match: Callable[[str], Match]) -> IntentFigures:
    """Per-intent figures; a rating counts as right only with the labelled score (when labelled)."""
    confusion: dict[str, dict[str, int]] = {}
    for row in rows:
        gold = gold_intent(row)
        found = match(row["q"])
        predicted = found.intent
        if gold == "rating" and predicted == "rating" and row.get("score") not in (None, found.rating):
            predicted = "rating(wrong score)"
        confusion.setdefault(gold, {}).setdefault(predicted, 0)
        confusion[gold][predicted] += 1
    labels = sorted(confusion)
    support = {g: sum(confusion[g].values()) for g in labels}
    recall = {g: _share(confusion[g].get(g, 0), support[g]) for g in labels}
    predicted_as = {g: sum(c.get(g, 0) for c in confusion.values()) for g in labels}
    precision = {g: _share(confusion[g].get(g, 0), predicted_as[g]) for g in labels}
    return IntentFigures(sum(support.values()), precision, recall, support, confusion)


def format_intents(figures: IntentFigures, baseline: IntentFigures | None = None) -> list[str]:
    """The per-intent table and the confusion table as text lines (``pufabot kb eval``, benchmarks)."""
    lines = [f"{'intent':12}{'n':>5}{'precision':>11}{'recall':>9}" + ("   baseline P/R" if baseline else "")]
    for intent in figures.support:
        line = (f"{intent:12}{figures.support[intent]:>5}{figures.precision[intent]:>11.1%}"
                f"{figures.recall[intent]:>9.1%}")
        if baseline:
            line += f"   {baseline.precision.get(intent, 0):.0%}/{baseline.recall.get(intent, 0):.0%}"
        lines.append(line)
    predicted = sorted({p for row in figures.confusion.values() for p in row})
    lines.append("confusion (rows: labelled, columns: matched)")
    lines.append(" " * 12 + "".join(f"{p[:8]:>9}" for p in predicted))
    for gold, row in figures.confusion.items():
        lines.append(f"{gold:12}" + "".join(f"{row.get(p, 0):>9}" for p in predicted))
    return lines
