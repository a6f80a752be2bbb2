"""Homophone-tolerant reading of a message (pure: no Flask, no redis).

Villagers dictate or type with a pinyin input method, so a key legal term often arrives as another
word that sounds the same: 重裁 for 仲裁, 善养 for 赡养, 补常 for 补偿, 抚样费 for 抚养费. The
matcher is token based, so such a typo loses the term. ``Homophones`` maps the toneless pinyin of
every lexicon word (2..5 characters) to the word; in a message, a run of characters that are not
already lexicon words and that sounds like exactly one lexicon word is read as that word.

Pinyin keys are "fuzzy" the way phone input methods are: zh/z, ch/c, sh/s and the -ang/-an,
-eng/-en, -ing/-in finals are not told apart (搬信罪 for 帮信罪, 冷尽期 for 冷静期), as in the
speech of many villagers. A character is read with every pronunciation it has (重: zhong, chong).

pypinyin is only needed to build the table; the table (word syllables and the readings of every
character that can occur in one) is cached on disk, so a running server starts without loading
pypinyin's dictionaries. After ``build`` the object is only read: safe to share across threads.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

SHORTEST, LONGEST = 2, 5
CACHE_VERSION = 2
_END = ""  # trie key of the word a path spells (syllables are never empty)
_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"))
_FUZZY_FINALS = (("ang", "an"), ("eng", "en"), ("ing", "in"))

Trie = dict[str, Any]


def fuzzy(syllable: str) -> str:
    """A toned or toneless syllable → its toneless fuzzy key (``zhòng`` → ``zon``, ``lǜ`` → ``lv``)."""
    plain = unicodedata.normalize("NFD", syllable.lower()).replace("u\u0308", "v")  # ǘ → u + ¨ + ´ → v´
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    for long, short in _FUZZY_INITIALS:
        if plain.startswith(long):
            plain = short + plain[len(long):]
            break
    for long, short in _FUZZY_FINALS:
        if plain.endswith(long):
            plain = plain[: -len(long)] + short
            break
    return plain


class Homophones:
    """Lexicon words by fuzzy pinyin, and the fuzzy readings of the characters that matter."""

    def __init__(self, trie: Trie, readings: dict[str, tuple[str, ...]]):
        self._trie = trie
        self._readings = readings

    @classmethod
    def build(
        cls,
        words: Iterable[str],
        cache: Path,
        canonical: Callable[[str], str] = lambda word: word,
    ) -> Homophones:
        """Index ``words`` (2..5 CJK characters); a key sounding like two canonical words is dropped.

        ``canonical`` maps a word to the one the matcher uses (synonyms), so 财礼 and 彩礼 are one
        word here. ``cache`` is the directory of the pinyin table (built with pypinyin if absent).
        """
        chosen = sorted({w for w in words if SHORTEST <= len(w) <= LONGEST and all(_is_cjk(c) for c in w)})
        syllables, readings = _pinyin_table(chosen, cache)
        owners: dict[tuple[str, ...], set[str]] = {}
        for word in chosen:
            owners.setdefault(syllables[word], set()).add(canonical(word))
        trie: Trie = {}
        for key, targets in owners.items():
            if len(targets) != 1:
                continue  # sounds like two different words: guessing would mislead
            node = trie
            for syllable in key:
                node = node.setdefault(syllable, {})
            node[_END] = next(iter(targets))
        return cls(trie, readings)

    def sounds_like(self, text: str, start: int) -> list[tuple[int, str]]:
        """(n, word) for each n where text[start:start+n] sounds like exactly one word, shortest first."""
        found: list[tuple[int, str]] = []
        frontier: list[Trie] = [self._trie]
        for pos in range(start, min(len(text), start + LONGEST)):
            readings = self._readings.get(text[pos])
            if not readings:
                break
            frontier = [child for node in frontier for r in readings if (child := node.get(r)) is not None]
            if not frontier:
                break
            words = {word for node in frontier if (word := node.get(_END)) is not None}
            if len(words) == 1 and pos + 1 - start >= SHORTEST:
                found.append((pos + 1 - start, words.pop()))  # two readings, two words: no guess
        return found

    def respell(self, tokens: Sequence[str], allowed: Callable[[str, str], bool]) -> list[str]:
        """Tokens with sound-alike windows replaced by the lexicon word they sound like.

        A window holds whole tokens (a word jieba found is never cut: 新房子 stays, though 新房
        sounds like 信访) and at least one single-character token, since a homophone typo of a
        term shows up as characters jieba could not join (重 裁, 补 常, 摘 基地). The longest
        window wins; ``allowed(window, word)`` can veto it (e.g. the window is a common word).
        """
        text = "".join(tokens)
        ends: dict[int, int] = {}  # char offset where a token ends → index of the next token
        single_at: list[int] = []  # char offsets of single-character tokens
        pos = 0
        for index, token in enumerate(tokens):
            if len(token) == 1:
                single_at.append(pos)
            pos += len(token)
            ends[pos] = index + 1
        if not single_at:
            return list(tokens)
        # next_single[p]: offset of the first single-character token at or after p
        next_single = [len(text)] * (len(text) + 1)
        for offset in single_at:
            next_single[offset] = offset
        for p in range(len(text) - 1, -1, -1):
            next_single[p] = min(next_single[p], next_single[p + 1])
        out: list[str] = []
        index = pos = 0
        while index < len(tokens):
            token = tokens[index]
            hit = None
            first = next_single[pos]
            if first < pos + LONGEST:
                for size, word in reversed(self.sounds_like(text, pos)):
                    stop = pos + size
                    if first < stop and stop in ends and allowed(text[pos:stop], word):
                        hit = (stop, word)
                        break
            if hit is None:
                out.append(token)
                index, pos = index + 1, pos + len(token)
            else:
                out.append(hit[1])
                index, pos = ends[hit[0]], hit[0]
        return out


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _pinyin_table(
    words: list[str], directory: Path
) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(word → fuzzy syllables, character → fuzzy readings), from the disk cache when present."""
    digest = hashlib.sha256("\n".join([str(CACHE_VERSION), *words]).encode()).hexdigest()
    path = directory / "pinyin.pickle"  # one file, rewritten when the lexicon changes
    try:
        with path.open("rb") as handle:
            stored_digest, table = pickle.load(handle)
        if stored_digest == digest:
            return table  # type: ignore[no-any-return]
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError):
        pass
    table = _compute_pinyin_table(words)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        with partial.open("wb") as handle:
            pickle.dump((digest, table), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)  # atomic: a concurrent reader sees the old file or the whole new one
    except OSError:
        pass  # a read-only cache only costs start-up time
    return table


def _compute_pinyin_table(
    words: list[str],
) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    from pypinyin import Style, lazy_pinyin
    from pypinyin.pinyin_dict import pinyin_dict

    # Words get their reading in context (phrase dictionary: 重婚 is chong hun, 仲裁 zhong cai).
    syllables = {w: tuple(fuzzy(s) for s in lazy_pinyin(w, style=Style.TONE, errors="ignore")) for w in words}
    syllables = {w: s for w, s in syllables.items() if len(s) == len(w)}
    used = {s for key in syllables.values() for s in key}
    # A character of the message is read its usual way (pypinyin's first reading): the rarer
    # readings of function characters (的 dì, 了 liǎo, 还 huán) made everyday phrases sound like
    # legal terms. Only readings that occur in some word matter, so the table stays small.
    readings: dict[str, tuple[str, ...]] = {}
    for code, spelled in pinyin_dict.items():
        key = fuzzy(spelled.split(",")[0])
        if key in used and 0x4E00 <= code <= 0x9FFF:
            readings[chr(code)] = (key,)
    return syllables, readings
