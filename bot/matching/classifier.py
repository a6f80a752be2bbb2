"""Learned text classifiers beside the rules: character n-gram TF-IDF and a linear model (pure).

Two models are built this way from ``knowledge/``: the intent model (what the villager wants done,
from ``knowledge/intents/``) and the topic model (which legal topic, from the topics' and points'
phrasings, with everyday questions as a class of their own; see ``bot/matching/topicmodel.py``).

Why this model: villagers' messages are short, unsegmented, full of voice typos and dialect, so
character n-grams (1–3) carry the signal that word rules miss ("评评理", "说和说和", "登计一下"), and
a linear model over them trains in about a second on a few thousand examples, is deterministic
(liblinear-free ``lbfgs`` with a fixed order of examples), and is a dot product at run time.
fastText would be similar in quality but adds a compiled dependency and a binary model file.

Training uses scikit-learn (imported only when the model is built). The trained weights are
exported to plain numpy arrays and cached on disk, keyed by a hash of what the examples are made
from (the knowledge files and the code that compacts them) and of ``MODEL_VERSION``; answering a message needs only numpy, so start-up stays fast and scikit-learn's
import time is paid once per change of the examples.
"""
from __future__ import annotations

import hashlib
import math
import os
import secrets
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MODEL_VERSION = "3"  # bump when features or training change: the cache key includes it
NGRAMS = (1, 2, 3)
C = 8.0  # inverse regularisation, chosen by cross-validation (see ``bot.matching.tuning``)
MAX_CHARS = 200  # the start of a long story says what it is about; its end says what is wanted
TAIL_CHARS = 60
GRAM_SEPARATOR = "\x1f"  # between the n-grams of a saved model (no message keeps control characters)


def features(compact: str) -> list[str]:
    """Character n-grams of the message with boundary marks; long messages keep head and tail.

    The tail gets its own marked n-grams too, because a long story's request comes last
    ("……你们能不能帮忙").
    """
    if len(compact) > MAX_CHARS:
        compact = compact[: MAX_CHARS - TAIL_CHARS] + compact[-TAIL_CHARS:]
    text = f"^{compact}$"
    grams = [text[i : i + n] for n in NGRAMS for i in range(len(text) - n + 1)]
    tail = compact[-12:]
    grams += ["T:" + tail[i : i + 2] for i in range(len(tail) - 1)]
    return grams


@dataclass(frozen=True)
class TextModel:
    classes: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray  # (n_features,)
    coef: np.ndarray  # (n_features, n_classes): column-major for a fast row gather
    intercept: np.ndarray  # (n_classes,)

    def proba(self, compact: str) -> dict[str, float]:
        """Probability of each class for one compact message (softmax of the linear scores)."""
        return self.proba_of(Counter(features(compact)))

    def proba_of(self, grams: Counter[str]) -> dict[str, float]:
        """``proba`` from the message's n-gram counts (computed once for several models)."""
        vocabulary, columns, counts = self.vocabulary, [], []
        for gram, count in grams.items():
            column = vocabulary.get(gram)
            if column is not None:
                columns.append(column)
                counts.append(count)
        if not columns:
            scores = self.intercept
        else:
            index = np.array(columns, dtype=np.int64)
            weights = (1.0 + np.log(np.array(counts, dtype=np.float64))) * self.idf[index]
            weights /= math.sqrt(float(weights @ weights))
            scores = weights @ self.coef[index] + self.intercept  # float32 weights sum in float64
        exp = np.exp(scores - scores.max())
        probs = exp / exp.sum()
        return dict(zip(self.classes, probs.tolist()))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A name of its own per writer: `serve` and `worker` training at once on a fresh install must
        # not write into one temporary file; os.replace makes the finished file appear whole.
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.{secrets.token_hex(4)}.tmp.npz")
        # The n-grams as one string in index order, not a JSON object: splitting it back into a dict
        # is five times faster than decoding JSON, and start-up reads it every time.
        grams = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        np.savez(tmp, idf=self.idf, coef=self.coef, intercept=self.intercept,
                 classes=np.array("\n".join(self.classes)), grams=np.array(GRAM_SEPARATOR.join(grams)))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> TextModel:
        with open(path, "rb") as file, np.load(file, allow_pickle=False) as data:  # closed even when torn
            grams = str(data["grams"]).split(GRAM_SEPARATOR)
            vocabulary = dict(zip(grams, range(len(grams))))
            return cls(tuple(str(data["classes"]).split("\n")), vocabulary, data["idf"], data["coef"],
                       data["intercept"])


def train(texts: Sequence[str], labels: Sequence[str], c: float = C, min_df: int = 1,
          dtype: type[np.floating[Any]] = np.float64) -> TextModel:
    """Fit on compact texts (deterministic: same examples, same model).

    ``min_df=2`` drops n-grams seen in one example only: for the topic model (58 classes) that
    keeps accuracy, halves the vocabulary and trains three times faster. ``float32`` weights halve
    the memory of a many-class model; scores are still summed in float64."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True, norm="l2", lowercase=False, min_df=min_df)
    matrix = vectorizer.fit_transform(list(texts))
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    model.fit(matrix, list(labels))
    classes = tuple(str(c) for c in model.classes_)
    coef = np.ascontiguousarray(model.coef_.T, dtype=dtype)
    if len(classes) == 2:  # binary: sklearn keeps one column; make it two for softmax
        coef = np.hstack([-coef / 2, coef / 2]).astype(dtype)
        intercept = np.array([-model.intercept_[0] / 2, model.intercept_[0] / 2])
    else:
        intercept = np.asarray(model.intercept_, dtype=np.float64)
    vocabulary = {str(k): int(v) for k, v in vectorizer.vocabulary_.items()}
    return TextModel(classes, vocabulary, np.asarray(vectorizer.idf_, dtype=np.float64), coef, intercept)


def load_or_train_for(inputs: str, examples: Callable[[], tuple[Sequence[str], Sequence[str]]], cache: Path,
                      name: str = "intents", min_df: int = 1,
                      dtype: type[np.floating[Any]] = np.float64) -> TextModel:
    """The cached model ``name`` for ``inputs`` (a digest of what the examples are made from: the
    files and the code that turns them into examples), else ``examples()`` trained and cached. A
    start that finds the model cached builds no example (compacting ten thousand phrasings costs a
    fifth of a second)."""
    settings = f"{MODEL_VERSION}|{C}|{NGRAMS}|{MAX_CHARS}|{TAIL_CHARS}|{name}|{min_df}|{np.dtype(dtype).name}"
    path = cache / f"{name}-{hashlib.sha256(f'{settings}|{inputs}'.encode()).hexdigest()[:16]}.npz"
    try:
        model = TextModel.load(path)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        pass  # missing, or torn (a crash mid-write before writes were atomic): train it again
    else:
        touch(path)
        return model
    texts, labels = examples()
    model = train(texts, labels, min_df=min_df, dtype=dtype)
    try:
        model.save(path)
        prune(path.parent, f"{name}-*.npz")
    except OSError:
        pass  # a read-only cache only costs the next start a second of training
    return model


def touch(path: Path) -> None:
    """Mark a cache file as used now, so that ``prune`` keeps what running servers read."""
    try:
        path.touch()
    except OSError:
        pass  # a read-only cache is only never pruned


def prune(directory: Path, pattern: str, keep: int = 3) -> None:
    """Delete all but the ``keep`` most recently used cache files of ``pattern`` (old examples'
    models pile up; a model a server reads at start is touched then, so tests or a dry run with
    other examples do not delete the one in use)."""
    files = sorted(directory.glob(pattern), key=lambda f: f.stat().st_mtime, reverse=True)
    for stale in files[keep:]:
        stale.unlink(missing_ok=True)
