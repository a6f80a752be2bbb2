"""Text normalisation for the matcher (pure: no Flask, no redis).

Villagers type on phones or dictate: full-width letters and digits, traditional characters,
WeChat's face codes (``/::)``, ``[微笑]``), emoji and no punctuation. Everything here turns such a
message into one canonical form, the same for the index and for the query, and never raises.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

# WeChat sends its built-in faces as text: "[微笑]", "[Smile]", "/::)", "/:strong".
_WECHAT_FACE = re.compile(r"\[[\u4e00-\u9fffA-Za-z]{1,6}\]|/:[:,]?[^\s/\u4e00-\u9fff]{1,8}")
# Ticket ids such as JF20261124-0007 in any case; voice input may drop the dash or add spaces, and a
# villager may shorten the number after a dash (「jf20261208-10」) or leave out the letters
# (「20261208-0010」).
_TICKET_ID = re.compile(r"(?:jf\s*|(?<![\da-z])(?=20\d{6}\s*[-_－—]))(\d{8})\s*(?:[-_－—]\s*(\d{1,6})|(\d{1,6}))(?!\d)")
# What the matcher keeps: CJK ideographs, ASCII letters and digits. The rest becomes a space.
_NOT_WORD = re.compile(r"[^\u4e00-\u9fff0-9a-z]+")

_PICTOGRAPH_CATEGORIES = frozenset({"So", "Sk", "Cs", "Co"})


def load_char_table(path: Path) -> dict[int, str]:
    """Read ``traditional<TAB>simplified`` pairs (``#`` starts a comment) into a str.translate table."""
    table: dict[int, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) == 2 and len(parts[0]) == 1:
            table[ord(parts[0])] = parts[1]
    return table


def fold(text: str, char_table: dict[int, str]) -> str:
    """Full-width → ASCII (NFKC), traditional → simplified, lower case. Keeps punctuation."""
    text = unicodedata.normalize("NFKC", text)
    return text.translate(char_table).lower()


def strip_faces(text: str) -> str:
    """Remove WeChat face codes; call on folded text."""
    return _WECHAT_FACE.sub(" ", text)


def clean(text: str) -> str:
    """Keep only CJK, ASCII letters and digits, single spaces between runs; call on folded text."""
    return _NOT_WORD.sub(" ", strip_faces(text)).strip()


def has_pictograph(text: str) -> bool:
    """True when the text holds an emoji, a symbol or a WeChat face code."""
    if _WECHAT_FACE.search(text):
        return True
    return any(unicodedata.category(ch) in _PICTOGRAPH_CATEGORIES for ch in text)


def find_ticket_id(folded: str) -> str | None:
    """The first ticket id in folded text, canonical (``JF20261124-0007``), else None."""
    found = _TICKET_ID.search(folded)
    if found is None:
        return None
    return f"JF{found.group(1)}-{int(found.group(2) or found.group(3)):04d}"


def remove_ticket_ids(folded: str) -> str:
    return _TICKET_ID.sub(" ", folded)


# Seven or more digits are a phone, ID or account number, never a hotline (12345, 12348, 96110):
# left in, their substrings would look like hotline numbers to the matcher ("139 1234 5678" holds
# 12345 once its spaces go). Written in groups too: one space or dash between digits.
_LONG_NUMBER = re.compile(r"\d(?:[ \-]?\d){6,}")


def remove_long_numbers(folded: str) -> str:
    return _LONG_NUMBER.sub(" ", folded)


def char_bigrams(tokens: Iterable[str]) -> set[str]:
    """Character bigrams inside each CJK token, plus unigrams of one-character tokens.

    Bigrams catch what tokenisation misses: a typo that splits a word differently, a word the
    dictionaries do not know, a compound that the index holds in another form.
    """
    grams: set[str] = set()
    for token in tokens:
        if not _is_cjk(token):
            continue
        if len(token) == 1:
            grams.add(token)
        for i in range(len(token) - 1):
            grams.add(token[i : i + 2])
    return grams


def substrings(token: str, known: set[str] | frozenset[str], longest: int = 4) -> Iterator[str]:
    """Known words of 2..longest characters strictly inside a longer token (a search-mode split)."""
    n = len(token)
    if n < 3:
        return
    for size in range(2, min(longest, n - 1) + 1):
        for i in range(n - size + 1):
            piece = token[i : i + size]
            if piece in known:
                yield piece


def _is_cjk(token: str) -> bool:
    return bool(token) and "\u4e00" <= token[0] <= "\u9fff"
