"""Several questions in one message: 「罚款交了还要拘留吗 能分期交不」 asks two things (pure).

``split`` cuts a message at sentence ends (？。！；) and spaces into fragments, and groups them:
a group closes at a fragment that asks something (吗, 多少, 怎么, 哪, 能…不...), so the story before
a question stays with it. Two or more groups are two or more questions. The answer handler answers the
question the matcher understood best and offers each other question that a different point or
topic answers, so nothing the villager asked is silently dropped.
"""
from __future__ import annotations

import re

MIN_PART_CHARS = 4  # shorter parts ("好吗", "行不") are tags on the sentence, not questions
MAX_PARTS = 3
_FRAGMENTS = re.compile(r"[？?。！!；;，,\s]+")
_QUESTION = re.compile(r"[吗么嘛呢啥咋几哪谁]|[？?]|怎么|怎样|如何|多少|多久|多长|能不能|可不可以|可以不|行不|要不要|是不是|有没有|"
                       r"算不算|会不会|合法|违法|咋办|怎么办|能否|[能要会算]\S{0,8}不$")


def split(text: str) -> list[str]:
    """The questions of ``text`` in order (``[text]`` when it asks one thing, or none clearly)."""
    text = text.strip()
    if not text:
        return []
    groups: list[str] = []
    current = ""
    for fragment in _FRAGMENTS.split(text):
        fragment = fragment.strip()
        if not fragment:
            continue
        current = f"{current} {fragment}".strip()
        if _QUESTION.search(fragment):
            groups.append(current)
            current = ""
    if current and groups:
        groups[-1] = f"{groups[-1]} {current}"
    questions = [g for g in groups if len(g.replace(" ", "")) >= MIN_PART_CHARS]
    if len(questions) < 2 or len(questions) != len(groups):
        return [text]
    return questions[:MAX_PARTS]
