"""The villagers' own words for things: concrete words that point to a topic (pure).

Villagers name the thing, not the legal category: 「面霜付了钱一直不发货」 is a consumer question
that never says 消费者; 「电线杆上的线垂下来把人电了」 is a personal-injury question. The reviewable
list ``knowledge/dict/vocabulary.tsv`` (``word<TAB>topic-id`` a line) maps such words to topics.

``Vocabulary.hints`` finds the listed words in a compacted message (longest first, no overlaps); the
matcher then reads each hinted topic's title (``titles``) as if written after the message, in the
ranker and the topic model alike, so
the evidence the word carries reaches both in their own terms (the title's words are each topic's
keywords and are in its index). A word is evidence, not a verdict: the ranker and the model still
weigh everything else the message says.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

MAX_HINTED = 2  # a message naming many things is about none of them in particular


@dataclass(frozen=True)
class Vocabulary:
    words: Mapping[str, str]  # compacted word → topic id
    titles: Mapping[str, str]  # topic id → the text appended for it
    pattern: re.Pattern[str] | None

    @classmethod
    def empty(cls) -> Vocabulary:
        return cls({}, {}, None)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str]], titles: Mapping[str, str],
                  compact: Callable[[str], str]) -> Vocabulary:
        words: dict[str, str] = {}
        for word, topic in rows:
            key = compact(word)
            if len(key) >= 2 and topic in titles:
                words.setdefault(key, topic)
        ordered = sorted(words, key=lambda w: (-len(w), w))
        pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        return cls(words, dict(titles), pattern)

    def hints(self, compact: str) -> tuple[str, ...]:
        """The topics the message's concrete words point to, most-named first (at most ``MAX_HINTED``)."""
        if self.pattern is None or not compact:
            return ()
        counts: dict[str, int] = {}
        for found in self.pattern.finditer(compact):
            topic = self.words[found.group()]
            counts[topic] = counts.get(topic, 0) + 1
        ranked = sorted(counts, key=lambda t: -counts[t])
        return tuple(ranked[:MAX_HINTED]) if len(ranked) <= MAX_HINTED + 1 else ()


def read_rows(path: Path) -> list[tuple[str, str, int]]:
    """(word, topic id, line number) of a vocabulary file; ``#`` starts a comment."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        word, _, topic = body.partition("\t")
        rows.append((word.strip(), topic.strip(), number))
    return rows


def lint(path: Path, topic_ids: Iterable[str]) -> list[tuple[str, str]]:
    """Problems of a vocabulary file, as (``file:line``, problem) (``pufabot kb lint`` prints them)."""
    known = set(topic_ids)
    problems: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for word, topic, number in read_rows(path):
        where = f"{path.name}:{number}"
        if not word or not topic:
            problems.append((where, "not 'word<TAB>topic-id'"))
        elif topic not in known:
            problems.append((where, f"unknown topic {topic!r}"))
        elif len(word) < 2:
            problems.append((where, f"{word!r} is too short to be evidence"))
        elif word in seen and seen[word] != topic:
            problems.append((where, f"{word!r} is listed for both {seen[word]} and {topic}"))
        else:
            seen.setdefault(word, topic)
    return problems
