"""Villager- and staff-facing wording, kept as data in ``knowledge/replies/*.toml``.

Each file is a flat table of ``key = "text"``; keys are unique across files. Texts may contain
``{placeholders}`` filled by ``Texts.get(key, **values)``. Pure module.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from knowledge import KNOWLEDGE_DIR


_CLOCK_SPAN = re.compile(r"(\d{1,2}[:：]\d{2})\s*[-—–~～至到]+\s*(\d{1,2}[:：]\d{2})")


def clock_times(hours: str) -> str:
    """The clock times of an office-hours text (「工作日北京时间10:00—14:00、16:00—19:30」 →
    「10:00-14:00, 16:00-19:30」), for replies in another script; the text itself when it has none."""
    spans = [f"{a}-{b}".replace("：", ":") for a, b in _CLOCK_SPAN.findall(hours)]
    return ", ".join(spans) or hours


class Texts:
    def __init__(self, table: dict[str, str], defaults: dict[str, Any] | None = None):
        self._table = table
        self._defaults = dict(defaults or {})

    @classmethod
    def load(cls, directory: Path | None = None, defaults: dict[str, Any] | None = None) -> Texts:
        directory = directory or KNOWLEDGE_DIR / "replies"
        table: dict[str, str] = {}
        for path in sorted(directory.glob("*.toml")):
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            for key, value in data.items():
                if key in table:
                    raise ValueError(f"{path.name}: reply key {key!r} is defined twice")
                if not isinstance(value, str):
                    raise ValueError(f"{path.name}: reply key {key!r} must be a string")
                table[key] = value.strip("\n")
        return cls(table, defaults)

    def __contains__(self, key: str) -> bool:
        return key in self._table

    def get(self, key: str, **values: Any) -> str:
        template = self._table[key]
        if "{" not in template:
            return template
        return template.format(**{**self._defaults, **values})
