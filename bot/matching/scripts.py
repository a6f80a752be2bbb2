"""Which script and language a message is written in, when it is not Chinese characters (pure).

Many villagers write Uyghur or Kazakh in the Arabic script, some Kazakh in the Latin or Cyrillic
alphabet, and some Chinese in pinyin when they cannot type characters. None of these is "nothing":
the bot hands such a message to a person (``handlers/scripts.py``). The rules, offline and cheap:

- Letters are counted per script (Han, Arabic, Latin, Cyrillic); a message whose letters are mostly
  Han is Chinese whatever else it holds ('WiFi密码', '12345', 'ok', emoji).
- Arabic script: letters only Uyghur writes (ې ۆ ۈ ئ ھ) against letters only Kazakh writes (the
  high hamza ٴ and the hamza-joined vowels ٵ ٶ ٷ ٸ); neither: Arabic script, language undecided.
- Cyrillic with a Kazakh letter (ә ғ қ ң ө ұ ү һ і): Kazakh.
- Latin with a Kazakh letter of the 2021 alphabet (ä ğ ñ ö ū ü ı ş): Kazakh; else pinyin when at
  least ``MIN_PINYIN_WORDS`` different words and nearly all of them split into pinyin syllables.
- Anything else (English, Russian, a lone 'ok'): None, the message is read as usual.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

UYGHUR = "ug"
KAZAKH_ARABIC = "kk-arab"
ARABIC = "arab"  # Arabic script, Uyghur or Kazakh undecided
KAZAKH_LATIN = "kk-latn"
KAZAKH_CYRILLIC = "kk-cyrl"
PINYIN = "pinyin"
LANGUAGES = (UYGHUR, KAZAKH_ARABIC, ARABIC, KAZAKH_LATIN, KAZAKH_CYRILLIC, PINYIN)

UYGHUR_LETTERS = frozenset("\u06d0\u06c6\u06c8\u0626\u06be")  # ې ۆ ۈ ئ ھ
KAZAKH_ARABIC_LETTERS = frozenset("\u0674\u0675\u0676\u0677\u0678")  # ٴ ٵ ٶ ٷ ٸ
KAZAKH_CYRILLIC_LETTERS = frozenset("әғқңөұүһі")
KAZAKH_LATIN_LETTERS = frozenset("äğñöūüış")

MIN_LETTERS = 3  # fewer letters of another script say nothing ('ok', a lone 'a')
MIN_PINYIN_WORDS = 3  # fewer ("wifi", "ni hao") are too little to call pinyin and queue for a person
PINYIN_SHARE = 0.8  # of the Latin words that must split into pinyin syllables

_INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x",
             "r", "z", "c", "s", "y", "w", "")
_FINALS = frozenset((
    "a", "o", "e", "i", "u", "v", "ai", "ei", "ao", "ou", "an", "en", "ang", "eng", "ong", "er", "ia", "ie",
    "iao", "iu", "ian", "in", "iang", "ing", "iong", "ua", "uo", "uai", "ui", "uan", "un", "uang", "ue", "ve",
))
# Every initial with every final: a little more than pinyin writes ('bua'), which is harmless; English
# words still fail ('is', 'my', 'ok', 'hello', 'broken').
_SYLLABLES = frozenset(i + f for i in _INITIALS for f in _FINALS if i or f[0] in "aoe")
_LONGEST = max(len(s) for s in _SYLLABLES)
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Script:
    language: str  # one of LANGUAGES
    letters: int  # letters of that script in the message


def detect(text: str) -> Script | None:
    """The other script and language of ``text``; None for Chinese characters and anything else."""
    counts = {"han": 0, "arabic": 0, "latin": 0, "cyrillic": 0}
    for ch in text:
        script = _script_of(ch)
        if script:
            counts[script] += 1
    other = max(("arabic", "latin", "cyrillic"), key=lambda s: counts[s])
    letters = counts[other]
    if letters < MIN_LETTERS or letters <= counts["han"]:
        return None
    lowered = text.lower()
    if other == "arabic":
        uyghur = sum(ch in UYGHUR_LETTERS for ch in text)
        kazakh = sum(ch in KAZAKH_ARABIC_LETTERS for ch in text)
        language = UYGHUR if uyghur > kazakh else KAZAKH_ARABIC if kazakh > uyghur else ARABIC
        return Script(language, letters)
    if other == "cyrillic":
        return Script(KAZAKH_CYRILLIC, letters) if any(ch in KAZAKH_CYRILLIC_LETTERS for ch in lowered) else None
    if any(ch in KAZAKH_LATIN_LETTERS for ch in lowered):
        return Script(KAZAKH_LATIN, letters)
    return Script(PINYIN, letters) if is_pinyin(lowered) else None


def is_pinyin(text: str) -> bool:
    """Whether the Latin words of ``text`` read as pinyin (tone marks and tone digits allowed)."""
    plain = "".join(ch for ch in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(ch) != "Mn")
    words = [w.replace("ü", "v") for w in _WORD.findall(plain) if w.isascii() or "ü" in w]
    if len(set(words)) < MIN_PINYIN_WORDS:  # 「haha haha haha」 is laughter, not a question
        return False
    return sum(1 for w in words if syllables(w)) >= PINYIN_SHARE * len(words)


@lru_cache(maxsize=4096)
def syllables(word: str) -> tuple[str, ...]:
    """``word`` split into pinyin syllables (the fewest, longest first), or () when it cannot be."""
    if not word:
        return ()
    best: list[tuple[str, ...] | None] = [None] * (len(word) + 1)
    best[0] = ()
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - _LONGEST), end):
            head = best[start]
            piece = word[start:end]
            if head is not None and piece in _SYLLABLES:
                candidate = (*head, piece)
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    return best[-1] or ()


def _script_of(ch: str) -> str:
    code = ord(ch)
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
        return "han"
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF:
        return "arabic" if unicodedata.category(ch).startswith("L") or ch == "\u0674" else ""
    if 0x0400 <= code <= 0x04FF:
        return "cyrillic" if ch.isalpha() else ""
    if ch.isalpha() and (ch.isascii() or 0x00C0 <= code <= 0x024F):
        return "latin"
    return ""
