"""Rule-based intents besides topics: chat, status, report, plainly off-topic (pure).

The phrase lists and patterns are data (``knowledge/dict/intents.toml``); this module compiles
them once and applies them to the compact form of a message (normalised, no spaces).
"""
from __future__ import annotations

import re
import tomllib
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

    def is_offtopic(self, compact: str) -> bool:
        return self.offtopic.search(compact) is not None


def _any(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))
