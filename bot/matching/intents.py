"""Rule-based intents besides topics: chat, status, report, plainly off-topic (pure).

The phrase lists and patterns are data (``knowledge/dict/intents.toml``); this module compiles
them once and applies them to the compact form of a message (normalised, no spaces).
"""
from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class IntentRules:
    chat_order: tuple[str, ...]
    chat_phrases: tuple[tuple[str, re.Pattern[str]], ...]
    status: re.Pattern[str]
    report: re.Pattern[str]
    question_before: re.Pattern[str]
    offtopic: re.Pattern[str]
    vague: re.Pattern[str]

    @classmethod
    def load(cls, path: Path) -> IntentRules:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        chat = data["chat"]
        order = tuple(chat["order"])
        phrases = tuple(
            (kind, re.compile("|".join(re.escape(p) for p in sorted(set(chat[kind]), key=len, reverse=True))))
            for kind in (*order, "fillers")
        )
        return cls(
            chat_order=order,
            chat_phrases=phrases,
            status=_any(data["status"]["patterns"]),
            report=_any(data["report"]["patterns"]),
            question_before=re.compile(data["report"]["question_before"]),
            offtopic=_any(data["offtopic"]["patterns"]),
            vague=_any(data["vague"]["patterns"]),
        )

    def chat_kind(self, compact: str) -> str | None:
        """The chat kind when the whole message is chat phrases and fillers, else None."""
        if not compact:
            return None
        kinds: set[str] = set()
        pos = 0
        while pos < len(compact):
            # The longest phrase of any kind at this position ("好的" is affirm, not "好" + "的").
            best_kind, best_end = "", pos
            for kind, pattern in self.chat_phrases:
                found = pattern.match(compact, pos)
                if found is not None and found.end() > best_end:
                    best_kind, best_end = kind, found.end()
            if best_end == pos:
                return None
            if best_kind != "fillers":
                kinds.add(best_kind)
            pos = best_end
        return next((kind for kind in self.chat_order if kind in kinds), None)

    def is_status(self, compact: str) -> bool:
        return self.status.search(compact) is not None

    def report_span(self, compact: str) -> tuple[int, int] | None:
        """Where the message asks to report or be mediated, unless it asks how to do so."""
        for found in self.report.finditer(compact):
            if not self.question_before.search(compact, 0, found.start()):
                return found.span()
        return None

    def asks_about_procedure(self, compact: str) -> bool:
        """The message asks how mediation or reporting works (cost, time, effect, where, how)."""
        return _PROCEDURE_QUESTION.search(compact) is not None

    def is_vague(self, compact: str) -> bool:
        """Only a subject named ("孩子的事"): a legal question for a menu, nothing else."""
        return self.vague.search(compact) is not None

    def is_offtopic(self, compact: str) -> bool:
        return self.offtopic.search(compact) is not None


_PROCEDURE_QUESTION = re.compile(
    r"怎么|咋|如何|去哪|哪里|在哪|找谁|要不要|需不需要|收费|要钱|多少钱|花钱|多久|多长时间|有用吗|管用吗|有效吗|"
    r"算数|算不算|效力|是什么|啥意思|什么意思|能不能反悔|可以反悔")
_RATING = re.compile(r"^(?:打|给|评)?([1-5一二三四五两])(?:分|星|颗星|棵星|个星|星星)?(?:吧|啊|呀|的|满意)?$")
_NUMERALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_STARS = "⭐★🌟"


def parse_rating(folded: str, cleaned: str, words: Mapping[str, int]) -> int | None:
    """A satisfaction score 1–5 when the message is one, or opens with one before a comment
    ("5", "5分", "五星", "满意", "⭐⭐⭐", "👍", "3分 来得晚了点", "不满意 等了半个月").

    ``cleaned`` is the normalised message with spaces between runs; ``words`` maps compact rating
    words to scores (``knowledge/intents/rating.tsv``). Only the first run is read, so "5分钟" or
    "满意度怎么算" are not ratings.
    """
    compact = cleaned.replace(" ", "")
    first = cleaned.split(" ", 1)[0]
    if compact in words:
        return words[compact]
    found = _RATING.match(compact)
    if found is None and first != compact:
        # A rating before a comment must say it is one: a word ("不满意 …") or a unit ("2分 …");
        # a bare number before other words is something else ("2 3 cmd", "5 个人").
        if len(first) >= 2 and first in words:
            return words[first]
        found = _RATING.match(first) if any(unit in first for unit in "分星") else None
    if found:
        value = found.group(1)
        return int(value) if value.isdigit() else _NUMERALS[value]
    bare = re.sub(r"[\s,，.。!！~～\ufe0f]+", "", folded)
    if not bare:
        return None
    if all(ch in _STARS + "☆" for ch in bare):
        stars = sum(1 for ch in bare if ch in _STARS)
        return stars if 1 <= stars <= 5 else None
    if not bare.replace("👍", ""):
        return 5  # 赞: WeChat's thumbs-up is praise
    return None


def says_more_than_a_score(cleaned: str, words: Mapping[str, int]) -> bool:
    """A rating message that also says something (「还行吧 就是来得有点慢」, 「满意 谢谢你们」): its
    words are worth keeping as the villager's comment. A bare score (「5分」, 「很满意」, 「⭐⭐⭐」) is not."""
    compact = cleaned.replace(" ", "")
    if not compact or compact in words or _RATING.match(compact):
        return False
    return " " in cleaned.strip() or any("\u4e00" <= ch <= "\u9fff" for ch in compact)


def _any(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))
