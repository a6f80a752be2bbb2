"""Choosing the intent model's thresholds by cross-validation on the project's own examples (pure).

How: the examples of ``knowledge/intents/`` plus the topics' phrasings are split into ``folds``
stratified folds (a fixed shuffle, so the result is reproducible); each fold is scored by a model
trained on the others, which gives one out-of-fold probability table for every example. For each
intent the threshold is then the lowest probability (on a 0.05 grid) at which the model's
out-of-fold precision for that intent reaches its target: 0.90 for emergencies (a missed
emergency costs more than a needless emergency line) and for reports (a needless report flow costs
the villager one 「取消」, a missed one means the dispute never reaches the talk room), 0.95 for
the rest. ``pufabot kb tune``
prints the table; the chosen values are written into ``bot/matching/matcher.py`` by hand, so a
change of thresholds is a reviewed commit, not a side effect of editing examples.
"""
from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.matching.classifier import train

TARGETS = {"urgent": 0.90, "report": 0.90}
DEFAULT_TARGET = 0.95
GRID = tuple(round(0.05 * i, 2) for i in range(2, 20))


@dataclass(frozen=True)
class Threshold:
    intent: str
    threshold: float | None  # None: no threshold reaches the target precision
    precision: float
    recall: float
    support: int


def out_of_fold(texts: Sequence[str], labels: Sequence[str], folds: int = 5,
                seed: int = 7) -> list[dict[str, float]]:
    """For each example, the class probabilities of a model that never saw it."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_label[label].append(i)
    fold_of = [0] * len(texts)
    rng = random.Random(seed)
    for indexes in by_label.values():
        rng.shuffle(indexes)
        for n, i in enumerate(indexes):
            fold_of[i] = n % folds
    probs: list[dict[str, float]] = [{} for _ in texts]
    for fold in range(folds):
        train_idx = [i for i in range(len(texts)) if fold_of[i] != fold]
        model = train([texts[i] for i in train_idx], [labels[i] for i in train_idx])
        for i in range(len(texts)):
            if fold_of[i] == fold:
                probs[i] = model.proba(texts[i])
    return probs


def intent_of(label: str) -> str:
    return label.split(":", 1)[0]


def choose_thresholds(labels: Sequence[str], probs: Sequence[dict[str, float]]) -> list[Threshold]:
    """Per intent, the lowest grid threshold whose out-of-fold precision meets the target."""
    intents = sorted({intent_of(label) for label in labels})
    out: list[Threshold] = []
    for intent in intents:
        gold = [intent_of(label) == intent for label in labels]
        scores = [sum(p for k, p in row.items() if intent_of(k) == intent) for row in probs]
        target = TARGETS.get(intent, DEFAULT_TARGET)
        chosen = Threshold(intent, None, 0.0, 0.0, sum(gold))
        for at in GRID:
            picked = [g for g, s in zip(gold, scores) if s >= at]
            if not picked:
                break
            precision = sum(picked) / len(picked)
            recall = sum(picked) / max(1, sum(gold))
            if precision >= target:
                chosen = Threshold(intent, at, precision, recall, sum(gold))
                break
        out.append(chosen)
    return out
