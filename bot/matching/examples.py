"""The intent examples of ``knowledge/intents/`` as labelled rows (pure).

One file per intent: ``<intent>.txt`` (a message a line), ``urgent-<kind>.txt`` for each kind of
emergency, ``urgent-negatives.txt`` (messages that share words with emergencies but are legal
questions), ``rating.tsv`` (message, score 1–5) and ``chat.tsv`` (message, chat kind). ``#`` starts
a comment line. The knowledge base's own topic and point phrasings are ``faq`` examples too.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.matching.kb import KnowledgeBase

INTENTS = ("faq", "report", "status", "urgent", "human", "menu", "rating", "chat", "none")
URGENT_KINDS = ("fraud-now", "violence-now", "child-danger", "child-missing", "threat", "injury", "self-harm")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    detail: str = ""  # the urgent kind, the rating score or the chat kind
    written: bool = True  # an intent file's own example (False: a topic phrasing or an outside question)

    @property
    def label(self) -> str:
        """The classifier's class: urgent kinds are classes of their own, the rest is the intent."""
        return f"urgent:{self.detail}" if self.intent == "urgent" else self.intent


def _lines(path: Path) -> Iterator[str]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            yield line.rstrip()


def load_examples(directory: Path) -> list[Example]:
    """Every example of ``directory`` (``knowledge/intents``), in a stable order."""
    rows: list[Example] = []
    for path in sorted(directory.glob("*.txt")):
        name = path.stem
        if name == "urgent-negatives":
            rows += [Example(t, "faq") for t in _lines(path)]
        elif name.startswith("urgent-"):
            kind = name.removeprefix("urgent-")
            if kind not in URGENT_KINDS:
                raise ValueError(f"{path.name}: unknown urgent kind {kind!r} (one of {', '.join(URGENT_KINDS)})")
            rows += [Example(t, "urgent", kind) for t in _lines(path)]
        elif name in INTENTS:
            rows += [Example(t, name) for t in _lines(path)]
        else:
            raise ValueError(f"{path.name}: not an intent file (intents: {', '.join(INTENTS)})")
    for path in sorted(directory.glob("*.tsv")):
        if path.stem not in ("rating", "chat"):
            raise ValueError(f"{path.name}: only rating.tsv and chat.tsv are tables")
        for line in _lines(path):
            text, _, detail = line.rpartition("\t")
            if not text.strip() or not detail.strip():
                raise ValueError(f"{path.name}: {line!r} is not 'message<TAB>{path.stem} label'")
            rows.append(Example(text, path.stem, detail.strip()))
    return rows


def written_rows(directory: Path, compact: Callable[[str], str]) -> list[Example]:
    """The intent files' own examples, compacted, without duplicates (first label wins): the
    first rows of ``training_rows``, without the thousands of topic phrasings."""
    return _unique(load_examples(directory), compact)


def training_rows(kb: KnowledgeBase, directory: Path, compact: Callable[[str], str],
                  more_faq: Iterable[str] = ()) -> list[Example]:
    """The classifier's examples: the intent files plus every topic and point phrasing as ``faq``
    (and ``more_faq``: legal questions outside the topics are questions too, not chatter),
    compacted as the matcher compacts a message, without duplicates (first label wins)."""
    rows = load_examples(directory)
    rows += [Example(q, "faq", written=False) for q in more_faq]
    for topic in kb.topics.values():
        rows += [Example(q, "faq", written=False) for q in topic.questions]
        rows += [Example(q, "faq", written=False) for p in topic.points for q in p.questions]
    return _unique(rows, compact)


def _unique(rows: Iterable[Example], compact: Callable[[str], str]) -> list[Example]:
    seen: set[str] = set()
    out: list[Example] = []
    for row in rows:
        text = compact(row.text)
        if text and text not in seen:
            seen.add(text)
            out.append(Example(text, row.intent, row.detail, row.written))
    return out
